// Package wire assembles the platform's services from a database, an audit key and a clock — the one
// place that knows how capabilities depend on each other. The command, the web tests and the browser
// tests all wire the platform through it, so they test what runs.
package wire

import (
	"context"

	"github.com/dangjian/dangjian/internal/notify"
	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/files"
	"github.com/dangjian/dangjian/internal/platform/jobs"
	"github.com/dangjian/dangjian/internal/platform/pii"
	"github.com/dangjian/dangjian/internal/rectify"
)

// Platform is every service, wired.
type Platform struct {
	DB              *db.DB
	Clock           clock.Clock
	Trail           *audit.Trail
	Auth            *auth.Service
	Orgs            *org.Service
	Notify          *notify.Service
	Files           *files.Store     // attachments, linked by capabilities' records
	*files.Attacher                  // Attach: upload a file before the record that links it
	Rectify         *rectify.Service // rectification ledger (整改台账)
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
	return &Platform{DB: d, Clock: clk, Trail: trail, Auth: a, Orgs: o, Notify: n, Files: fs, Attacher: files.NewAttacher(fs, a, d),
		Rectify: rectify.NewService(d, a, trail, clk, n, fs)}
}

// RegisterJobs registers the capabilities' scheduled work (reminders, escalations) on s. The platform's
// own housekeeping (checkpoints, pruning) is registered by the command.
func (p *Platform) RegisterJobs(s *jobs.Scheduler) {
	s.Every(rectify.EscalateJob, rectify.EscalateEvery, func(ctx context.Context, _ jobs.Job) error {
		_, err := p.Rectify.EscalateOverdue(ctx)
		return err
	})
}
