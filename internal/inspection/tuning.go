package inspection

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// Version is a rule as tuned by the work committee from a date on. A period is judged by the version in
// force on its first day, so a change never re-judges a period that had already begun.
type Version struct {
	ID          int64    `json:"id,omitempty"`
	RuleID      string   `json:"rule_id"`
	EffectiveOn db.Date  `json:"effective_on"`
	Enabled     bool     `json:"enabled"`
	Every       Every    `json:"every"`
	Min         int      `json:"min_count"`
	Severity    Severity `json:"severity"`
	Reason      string   `json:"reason,omitempty"`
	ChangedBy   string   `json:"changed_by,omitempty"`
}

func defaultVersion(r Rule) Version {
	return Version{RuleID: r.ID, Enabled: true, Every: r.Every, Min: r.Min, Severity: r.Severity}
}

// ruleset is every rule's versions, oldest first.
type ruleset map[string][]Version

// at is the version of r in force on the first day of month m.
func (rs ruleset) at(r Rule, m Month) Version {
	v := defaultVersion(r)
	day := m.First()
	for _, x := range rs[r.ID] {
		if x.EffectiveOn.After(day) {
			break
		}
		v = x
	}
	return v
}

func loadRuleset(q querier) (ruleset, error) {
	rs := ruleset{}
	var v Version
	err := each(q, `SELECT id, rule_id, effective_on, enabled, every, min_count, severity, reason, changed_by
		FROM compliance_rule_versions ORDER BY rule_id, effective_on`, nil, func(r *sql.Rows) error {
		if err := r.Scan(&v.ID, &v.RuleID, &v.EffectiveOn, &v.Enabled, &v.Every, &v.Min, &v.Severity, &v.Reason, &v.ChangedBy); err != nil {
			return err
		}
		rs[v.RuleID] = append(rs[v.RuleID], v)
		return nil
	})
	return rs, err
}

// RuleState is a rule with its version in force today and its history, for the rules page and API.
type RuleState struct {
	Rule    Rule      `json:"-"`
	ID      string    `json:"id"`
	Article string    `json:"article"`
	Local   bool      `json:"local"`
	Tunable bool      `json:"tunable"`
	Current Version   `json:"current"`
	History []Version `json:"history"`
}

// Rules lists the rules with their tuning (any business reader).
func (s *Service) Rules(ctx context.Context, p auth.Principal) ([]RuleState, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: p.OrgID}); err != nil {
		return nil, err
	}
	rs, err := loadRuleset(poolQuerier{ctx, s.db})
	if err != nil {
		return nil, err
	}
	now := MonthOf(clock.Today(s.clock))
	out := make([]RuleState, 0, len(Builtin))
	for _, r := range Builtin {
		h := rs[r.ID]
		if h == nil {
			h = []Version{}
		}
		out = append(out, RuleState{Rule: r, ID: r.ID, Article: r.Article, Local: r.Local, Tunable: r.Tunable(), Current: rs.at(r, now), History: h})
	}
	return out, nil
}

// Tuning is a change to a rule from a date on.
type Tuning struct {
	RuleID      string   `json:"rule_id"`
	EffectiveOn string   `json:"effective_on"` // YYYY-MM-01, not before the current month
	Enabled     *bool    `json:"enabled"`
	Every       Every    `json:"every"`
	Min         int      `json:"min_count"`
	Severity    Severity `json:"severity"`
	Reason      string   `json:"reason"`
}

// rootOrg is the work committee at the root of the tree: only its administrators tune rules.
func (s *Service) rootOrg(ctx context.Context) (int64, error) {
	var id int64
	err := s.db.QueryRow(ctx, "SELECT MIN(id) FROM orgs WHERE parent_id IS NULL").Scan(&id)
	return id, err
}

// authorizeWorkCommittee lets only administrators of the root work committee (工委) through.
func (s *Service) authorizeWorkCommittee(ctx context.Context, p auth.Principal) error {
	root, err := s.rootOrg(ctx)
	if err != nil {
		return err
	}
	return s.auth.Authorize(ctx, p, auth.ManageOrgs, auth.Target{OrgID: root})
}

// Tune records a new version of a rule (work committee administrators only), audited.
func (s *Service) Tune(ctx context.Context, p auth.Principal, t Tuning) (Version, error) {
	if err := s.authorizeWorkCommittee(ctx, p); err != nil {
		return Version{}, err
	}
	f := errs.Fields{}
	r, ok := RuleByID(t.RuleID)
	if !ok {
		f.Add("rule_id", "compliance.rule.unknown")
	}
	v := Version{RuleID: r.ID, Enabled: t.Enabled == nil || *t.Enabled, Every: t.Every, Min: t.Min, Severity: t.Severity,
		Reason: strings.TrimSpace(t.Reason), ChangedBy: p.Username}
	if d, err := validate.Date(t.EffectiveOn); err != nil {
		f.Add("effective_on", keyOf(err))
	} else {
		v.EffectiveOn = db.DateOf(d)
		switch {
		case d.Day() != 1:
			f.Add("effective_on", "compliance.tune.first_day")
		case MonthOf(d) < MonthOf(clock.Today(s.clock)):
			f.Add("effective_on", "compliance.tune.past")
		}
	}
	if v.Every == "" {
		v.Every = r.Every
	}
	if !v.Every.Valid() || (ok && !r.Tunable() && v.Every != r.Every) {
		f.Add("every", "compliance.tune.every")
	}
	if v.Min == 0 {
		v.Min = r.Min
	}
	if v.Min < 1 || v.Min > nibbleMax {
		f.Add("min_count", "compliance.tune.min")
	}
	if v.Severity == "" {
		v.Severity = r.Severity
	}
	if !v.Severity.Valid() {
		f.Add("severity", "compliance.tune.severity")
	}
	if err := validate.Length(v.Reason, 2, 500); err != nil {
		f.Add("reason", keyOf(err))
	}
	if err := f.Err(); err != nil {
		return Version{}, err
	}
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		v.ID, err = tx.Insert(`INSERT INTO compliance_rule_versions (rule_id, effective_on, enabled, every, min_count, severity, reason, changed_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, v.RuleID, v.EffectiveOn, v.Enabled, string(v.Every), v.Min, string(v.Severity), v.Reason, v.ChangedBy, db.Millis(s.clock.Now()))
		if errs.Is(err, errs.Conflict) {
			return &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"effective_on": "compliance.tune.taken"}}
		}
		if err != nil {
			return err
		}
		return s.trail.Append(tx, audit.Event{Action: "compliance.rule.tune", ObjectType: "compliance_rule", ObjectID: v.RuleID, After: v})
	})
	return v, err
}

// settingRemindDays is where the reminder lead time is kept (settings table).
const settingRemindDays = "compliance.remind_days"

// DefaultRemindDays: officers are reminded this many days before a period ends with an obligation unmet.
const DefaultRemindDays = 10

// RemindDays is the reminder lead time in force.
func (s *Service) RemindDays(ctx context.Context) int {
	var v string
	if err := s.db.QueryRow(ctx, "SELECT value FROM settings WHERE key = ?", settingRemindDays).Scan(&v); err == nil {
		if n, err := strconv.Atoi(v); err == nil && n >= 1 {
			return n
		}
	}
	return DefaultRemindDays
}

// SetRemindDays changes the lead time (work committee administrators only), audited.
func (s *Service) SetRemindDays(ctx context.Context, p auth.Principal, days int) error {
	if err := s.authorizeWorkCommittee(ctx, p); err != nil {
		return err
	}
	if days < 1 || days > 60 {
		return &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"remind_days": "compliance.remind_days.range"}}
	}
	before := s.RemindDays(ctx)
	return s.db.Write(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(`INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			settingRemindDays, strconv.Itoa(days), db.Millis(s.clock.Now())); err != nil {
			return err
		}
		return s.trail.Append(tx, audit.Event{Action: "compliance.remind_days", ObjectType: "setting", ObjectID: settingRemindDays,
			Before: before, After: days})
	})
}

func keyOf(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Key
	}
	return "error.validation"
}

// sortedRules returns the built-in rules restricted to ids (all when ids is empty), in rule-set order.
func sortedRules(ids []string) []Rule {
	if len(ids) == 0 {
		return Builtin
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var out []Rule
	for _, r := range Builtin {
		if want[r.ID] {
			out = append(out, r)
		}
	}
	return out
}

// CanTune reports whether p administers the root work committee (shows the tuning form).
func (s *Service) CanTune(ctx context.Context, p auth.Principal) bool {
	root, err := s.rootOrg(ctx)
	return err == nil && p.Role.Can(auth.ManageOrgs) && s.auth.Within(ctx, p, root)
}
