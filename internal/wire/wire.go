// Package wire assembles the platform's services from a database, an audit key and a clock — the one
// place that knows how capabilities depend on each other. The command, the web tests and the browser
// tests all wire the platform through it, so they test what runs.
package wire

import (
	"context"
	"time"

	"github.com/dangjian/dangjian/internal/inspection"
	"github.com/dangjian/dangjian/internal/learning"
	"github.com/dangjian/dangjian/internal/notify"
	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/orglife"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/files"
	"github.com/dangjian/dangjian/internal/platform/jobs"
	"github.com/dangjian/dangjian/internal/platform/pii"
	"github.com/dangjian/dangjian/internal/reading"
	"github.com/dangjian/dangjian/internal/rectify"
)

// Platform is every service, wired.
type Platform struct {
	DB              *db.DB
	Clock           clock.Clock
	Trail           *audit.Trail
	Auth            *auth.Service
	Orgs            *org.Service
	Notify          *notify.Service // in-app notifications (reminders, escalations)
	Files           *files.Store    // attachments, linked by capabilities' records
	*files.Attacher                 // Attach: upload a file before the record that links it

	Meetings   *orglife.Service    // records of organisational life (三会一课 …); listeners join via OnHeld
	Compliance *inspection.Service // compliance calendar (rules as data) and special inspections (专项检查)
	Rectify    *rectify.Service    // rectification ledger (整改台账)
	Learning   *learning.Service   // 每日一题 and its question bank
	Reading    *reading.Service    // reading rooms, books, loans and reading activities (书香机关)
}

// New wires the services on d. dataKey seals personal data on the roster (ID and phone numbers); it is
// kept apart from the audit key.
func New(d *db.DB, key audit.Key, dataKey pii.Key, clk clock.Clock) *Platform {
	trail := audit.New(d, key, clk)
	a := auth.NewService(d, trail, clk, auth.DefaultLimits)
	o := org.NewService(d, a, trail, clk)
	o.UseDataKey(dataKey)
	n := notify.NewService(d, trail, clk)
	fs := files.NewStore(d, trail, clk)
	p := &Platform{DB: d, Clock: clk, Trail: trail, Auth: a, Orgs: o, Notify: n, Files: fs, Attacher: files.NewAttacher(fs, a, d)}
	p.Meetings = orglife.NewService(d, a, trail, clk, fs)
	p.Compliance = inspection.NewService(d, a, trail, clk)
	p.Rectify = rectify.NewService(d, a, trail, clk, n, fs)
	p.Learning = learning.NewService(d, a, trail, clk)
	p.Learning.UseShuffleKey(dataKey)
	p.Reading = reading.NewService(d, a, trail, clk, n, fs)
	// The compliance calendar keeps its summaries in the records' own write transactions.
	p.Meetings.OnHeld(p.Compliance.MeetingsChanged)
	return p
}

// RegisterJobs registers the capabilities' scheduled work (reminders, escalations) on s. The platform's
// own housekeeping (checkpoints, pruning) is registered by the command.
func (p *Platform) RegisterJobs(s *jobs.Scheduler) {
	p.Compliance.RegisterJobs(s, p.Notify)
	s.Every(rectify.EscalateJob, rectify.EscalateEvery, func(ctx context.Context, _ jobs.Job) error {
		_, err := p.Rectify.EscalateOverdue(ctx)
		return err
	})
	s.Every(reading.OverdueJob, time.Hour, func(ctx context.Context, _ jobs.Job) error {
		_, err := p.Reading.RemindOverdue(ctx)
		return err
	})
}
