// Package wire assembles the platform's services from a database, an audit key and a clock — the one
// place that knows how capabilities depend on each other. The command, the web tests and the browser
// tests all wire the platform through it, so they test what runs.
package wire

import (
	"github.com/dangjian/dangjian/internal/inspection"
	"github.com/dangjian/dangjian/internal/notify"
	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/jobs"
	"github.com/dangjian/dangjian/internal/platform/pii"
)

// Platform is every service, wired.
type Platform struct {
	DB     *db.DB
	Clock  clock.Clock
	Trail  *audit.Trail
	Auth   *auth.Service
	Orgs   *org.Service
	Notify *notify.Service
	// Compliance is the compliance calendar and special inspections (issue 4).
	Compliance *inspection.Service
}

// New wires the services on d. dataKey seals personal data on the roster (ID and phone numbers); it is
// kept apart from the audit key.
func New(d *db.DB, key audit.Key, dataKey pii.Key, clk clock.Clock) *Platform {
	trail := audit.New(d, key, clk)
	a := auth.NewService(d, trail, clk, auth.DefaultLimits)
	o := org.NewService(d, a, trail, clk)
	o.UseDataKey(dataKey)
	n := notify.NewService(d, trail, clk)
	return &Platform{DB: d, Clock: clk, Trail: trail, Auth: a, Orgs: o, Notify: n, Compliance: inspection.NewService(d, a, trail, clk)}
}

// RegisterJobs registers the capabilities' scheduled work (reminders, escalations) on s. The platform's
// own housekeeping (checkpoints, pruning) is registered by the command.
func (p *Platform) RegisterJobs(s *jobs.Scheduler) {
	p.Compliance.RegisterJobs(s, p.Notify)
}
