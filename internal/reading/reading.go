// Package reading is 书香机关 (issue 6, second half): reading rooms and book cabinets (书屋/书橱) with their
// honours, the book catalogue and the copies each room holds, loans of copies to members with renewals and
// overdue reminders, book recommendations (好书推荐) with members' moderated reviews (读书心得), and reading
// activities — the World Book Day (4·23) series, guest lectures, salons, recitations — with sign-ups, a
// waiting list, attendance and photos; and the statistics of all of it by year and organisation.
//
// Scope (docs/decisions/0007-reading.md): officers manage what their organisation's subtree owns; every
// account with a business or member role also sees what the organisations above it offer (the 工委's World
// Book Day, the committee's 职工书屋), because those are offered to everyone below them.
package reading

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/notify"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/files"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// Service is the reading capability.
type Service struct {
	db     *db.DB
	auth   *auth.Service
	trail  *audit.Trail
	clock  clock.Clock
	notify *notify.Service
	files  *files.Store
}

// NewService returns the reading service.
func NewService(d *db.DB, a *auth.Service, t *audit.Trail, c clock.Clock, n *notify.Service, f *files.Store) *Service {
	return &Service{db: d, auth: a, trail: t, clock: c, notify: n, files: f}
}

func (s *Service) today() db.Date { return db.DateOf(clock.Today(s.clock)) }

func (s *Service) now() int64 { return db.Millis(s.clock.Now()) }

func keyOf(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Key
	}
	return "error.validation"
}

func fieldErr(field, key string) error {
	return &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{field: key}}
}

func conflict(key string) error { return errs.E(errs.Conflict, key) }

// errRace is a unique violation on a copy's open loan or an event's seat: on PostgreSQL another app
// instance (with its own writer) took it between our read and our insert. The database refused the
// second one; a fresh transaction sees the first and chooses again.
var errRace = errors.New("reading: lost a race for a copy or a seat")

// retryRace runs write up to three times while it loses races, then answers busy.
func retryRace(write func() error, busy error) error {
	for i := 0; i < 3; i++ {
		if err := write(); !errors.Is(err, errRace) {
			return err
		}
	}
	return busy
}

func notFound() error { return errs.E(errs.NotFound, "error.not_found") }

// text trims v and checks its length into f.
func text(f errs.Fields, field string, v *string, min, max int) {
	*v = strings.TrimSpace(*v)
	if err := validate.Length(*v, min, max); err != nil {
		if min > 0 && *v == "" {
			f.Add(field, validate.KeyRequired)
			return
		}
		f.Add(field, keyOf(err))
	}
}

// optDate reads an optional date: def when empty.
func optDate(f errs.Fields, field, v string, def db.Date) db.Date {
	if strings.TrimSpace(v) == "" {
		return def
	}
	t, err := validate.Date(v)
	if err != nil {
		f.Add(field, keyOf(err))
		return def
	}
	return db.DateOf(t)
}

// orgRef is an organisation as scope checks need it.
type orgRef struct {
	id         int64
	name, path string
}

func (s *Service) org(ctx context.Context, id int64) (orgRef, error) {
	o := orgRef{id: id}
	err := s.db.QueryRow(ctx, "SELECT name, path FROM orgs WHERE id = ?", id).Scan(&o.name, &o.path)
	return o, err
}

// canSee lets p read something owned by an organisation: officers inside their subtree, and every business
// or member account what an organisation above it (or its own) offers. Otherwise the refusal is checked —
// and audited — by Authorize against the owner.
func (s *Service) canSee(ctx context.Context, p auth.Principal, orgID int64, orgPath string) error {
	if p.OrgPath != "" && orgPath != "" {
		if p.Role.Can(auth.ReadBusiness) && strings.HasPrefix(orgPath, p.OrgPath) {
			return nil
		}
		if p.Role.Can(auth.ReadSelf) && strings.HasPrefix(p.OrgPath, orgPath) {
			return nil
		}
	}
	return s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: orgID})
}

// visibleSQL is the list filter matching canSee on an orgs alias o: the caller's subtree (officers) and the
// organisations on the way up to the caller's own. Its arguments follow the returned text.
func visibleSQL(p auth.Principal) (string, []any) {
	if p.OrgPath == "" || !(p.Role.Can(auth.ReadBusiness) || p.Role.Can(auth.ReadSelf)) {
		return "1 = 0", nil
	}
	if p.Role.Can(auth.ReadBusiness) {
		return "(o.path LIKE ? OR CAST(? AS TEXT) LIKE o.path || '%')", []any{p.OrgPath + "%", p.OrgPath}
	}
	return "CAST(? AS TEXT) LIKE o.path || '%'", []any{p.OrgPath}
}

// likeArg escapes a search term for LIKE … ESCAPE '\'.
func likeArg(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + strings.ToLower(r.Replace(q)) + "%"
}

func yearOf(d db.Date) int { return d.Year() }

func dateIn(year int, m time.Month, d int) db.Date {
	return db.Date{Time: time.Date(year, m, d, 0, 0, 0, 0, time.UTC)}
}
