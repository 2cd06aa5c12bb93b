package inspection

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// Campaign statuses.
const (
	CampaignDraft = "draft" // created, findings not yet frozen
	CampaignRun   = "run"   // run: rule findings frozen; inspectors may still add manual findings and notes
)

// Campaign is a special inspection (专项检查): a subtree, a span of months, the rules it checks and the
// inspectors assigned.
type Campaign struct {
	ID         int64          `json:"id"`
	Name       string         `json:"name"`
	OrgID      int64          `json:"org_id"`
	OrgName    string         `json:"org_name"`
	From       string         `json:"from"`
	To         string         `json:"to"`
	Rules      []string       `json:"rules"`
	Inspectors []Inspector    `json:"inspectors"`
	Status     string         `json:"status"`
	RunOn      db.Date        `json:"run_on"`
	Findings   []FrozenResult `json:"findings"`
	Notes      []SpotNote     `json:"notes"`
}

// Inspector is an account assigned to a campaign.
type Inspector struct {
	UserID   int64  `json:"user_id"`
	Username string `json:"username"`
}

// FrozenResult is a finding as frozen when the campaign ran (source rule) or added by an inspector
// (source manual). ID is stable: the rectification ledger links to it.
type FrozenResult struct {
	ID        int64          `json:"id"`
	OrgID     int64          `json:"org_id"`
	OrgName   string         `json:"org_name"`
	RuleID    string         `json:"rule_id"`
	Period    string         `json:"period"`
	Severity  Severity       `json:"severity"`
	Article   string         `json:"article"`
	Message   string         `json:"message"` // in the reader's language (web layer)
	Key       string         `json:"-"`
	Params    map[string]any `json:"-"`
	Evidence  string         `json:"evidence"`
	Source    string         `json:"source"`
	Note      string         `json:"note,omitempty"`
	CreatedBy string         `json:"created_by,omitempty"`
}

// SpotNote is an inspector's note from a spot-check of an organisation's records.
type SpotNote struct {
	ID       int64  `json:"id"`
	OrgID    int64  `json:"org_id"`
	RecordID int64  `json:"record_id,omitempty"`
	Body     string `json:"body"`
	Author   string `json:"author"`
}

// NewCampaign is what CreateCampaign needs.
type NewCampaign struct {
	Name       string   `json:"name"`
	OrgID      int64    `json:"org_id"`
	From       string   `json:"from"` // YYYY-MM
	To         string   `json:"to"`
	Rules      []string `json:"rules"`         // rule ids; empty: every rule
	Inspectors []int64  `json:"inspector_ids"` // accounts (org administrators) assigned
}

// CreateCampaign sets up a campaign over a subtree the caller administers.
func (s *Service) CreateCampaign(ctx context.Context, p auth.Principal, n NewCampaign) (Campaign, error) {
	f := errs.Fields{}
	n.Name = strings.TrimSpace(n.Name)
	if err := validate.Length(n.Name, 2, 100); err != nil {
		f.Add("name", keyOf(err))
	}
	if n.OrgID <= 0 {
		f.Add("org_id", "validate.required")
	}
	from, to, err := s.Span(n.From, n.To)
	if e, ok := errs.As(err); ok {
		for k, v := range e.Fields {
			f.Add(k, v)
		}
	}
	if len(n.Rules) == 0 {
		for _, r := range Builtin {
			n.Rules = append(n.Rules, r.ID)
		}
	}
	for _, id := range n.Rules {
		if _, ok := RuleByID(id); !ok {
			f.Add("rules", "compliance.rule.unknown")
		}
	}
	if err := f.Err(); err != nil {
		return Campaign{}, err
	}
	if err := s.auth.Authorize(ctx, p, auth.ManageOrgs, auth.Target{OrgID: n.OrgID}); err != nil {
		return Campaign{}, err
	}
	var id int64
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		id, err = tx.Insert(`INSERT INTO inspections (name, org_id, from_month, to_month, rules, status, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, n.Name, n.OrgID, from.String(), to.String(), strings.Join(n.Rules, ","), CampaignDraft, p.UserID, db.Millis(s.clock.Now()))
		if err != nil {
			return err
		}
		for _, u := range n.Inspectors {
			var role string
			if err := tx.QueryRow("SELECT role FROM users WHERE id = ? AND disabled = FALSE", u).Scan(&role); err != nil || role != string(auth.OrgAdmin) {
				return &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"inspector_ids": "inspection.inspector.invalid"}}
			}
			if _, err := tx.Exec("INSERT INTO inspection_inspectors (inspection_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING", id, u); err != nil {
				return err
			}
		}
		return s.trail.Append(tx, audit.Event{Action: "inspection.create", ObjectType: "inspection", ObjectID: id, After: n})
	})
	if err != nil {
		return Campaign{}, err
	}
	return s.Campaign(ctx, p, id)
}

func (s *Service) campaignRow(ctx context.Context, id int64) (Campaign, error) {
	var c Campaign
	var rules string
	err := s.db.QueryRow(ctx, `SELECT i.id, i.name, i.org_id, o.name, i.from_month, i.to_month, i.rules, i.status, i.run_on
		FROM inspections i JOIN orgs o ON o.id = i.org_id WHERE i.id = ?`, id).
		Scan(&c.ID, &c.Name, &c.OrgID, &c.OrgName, &c.From, &c.To, &rules, &c.Status, &c.RunOn)
	if errs.Is(err, errs.NotFound) {
		return c, errs.E(errs.NotFound, "error.not_found")
	}
	c.Rules = strings.Split(rules, ",")
	return c, err
}

// Campaign returns a campaign with its findings and notes (readers of its subtree).
func (s *Service) Campaign(ctx context.Context, p auth.Principal, id int64) (Campaign, error) {
	c, err := s.campaignRow(ctx, id)
	if err != nil {
		return c, err
	}
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: c.OrgID}); err != nil {
		return Campaign{}, err
	}
	c.Inspectors, c.Findings, c.Notes = []Inspector{}, []FrozenResult{}, []SpotNote{}
	err = each(poolQuerier{ctx, s.db}, `SELECT u.id, u.username FROM inspection_inspectors x JOIN users u ON u.id = x.user_id
		WHERE x.inspection_id = ? ORDER BY u.username`, []any{id}, func(r *sql.Rows) error {
		var in Inspector
		if err := r.Scan(&in.UserID, &in.Username); err != nil {
			return err
		}
		c.Inspectors = append(c.Inspectors, in)
		return nil
	})
	if err != nil {
		return c, err
	}
	err = each(poolQuerier{ctx, s.db}, `SELECT id, org_id, org_name, rule_id, period, severity, article, message, params, evidence, source, note, created_by
		FROM inspection_findings WHERE inspection_id = ? ORDER BY id`, []any{id}, func(r *sql.Rows) error {
		var x FrozenResult
		var params string
		if err := r.Scan(&x.ID, &x.OrgID, &x.OrgName, &x.RuleID, &x.Period, &x.Severity, &x.Article, &x.Key, &params, &x.Evidence, &x.Source, &x.Note, &x.CreatedBy); err != nil {
			return err
		}
		_ = json.Unmarshal([]byte(params), &x.Params)
		c.Findings = append(c.Findings, x)
		return nil
	})
	if err != nil {
		return c, err
	}
	err = each(poolQuerier{ctx, s.db}, `SELECT id, org_id, record_id, body, author FROM inspection_notes WHERE inspection_id = ? ORDER BY id`,
		[]any{id}, func(r *sql.Rows) error {
			var n SpotNote
			if err := r.Scan(&n.ID, &n.OrgID, &n.RecordID, &n.Body, &n.Author); err != nil {
				return err
			}
			c.Notes = append(c.Notes, n)
			return nil
		})
	return c, err
}

// Campaigns lists the campaigns whose scope lies in the caller's subtree, newest first.
func (s *Service) Campaigns(ctx context.Context, p auth.Principal) ([]Campaign, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: p.OrgID}); err != nil {
		return nil, err
	}
	out := []Campaign{}
	err := each(poolQuerier{ctx, s.db}, `SELECT i.id, i.name, i.org_id, o.name, i.from_month, i.to_month, i.status, i.run_on
		FROM inspections i JOIN orgs o ON o.id = i.org_id WHERE o.path LIKE ? ORDER BY i.id DESC LIMIT 200`, []any{p.OrgPath + "%"},
		func(r *sql.Rows) error {
			var c Campaign
			if err := r.Scan(&c.ID, &c.Name, &c.OrgID, &c.OrgName, &c.From, &c.To, &c.Status, &c.RunOn); err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	return out, err
}

// RunCampaign judges the campaign's subtree, span and rules once and freezes the missed obligations as
// findings. A campaign runs once: its report then no longer changes when records are corrected.
func (s *Service) RunCampaign(ctx context.Context, p auth.Principal, id int64) (Campaign, error) {
	c, err := s.campaignRow(ctx, id)
	if err != nil {
		return c, err
	}
	if err := s.auth.Authorize(ctx, p, auth.ManageOrgs, auth.Target{OrgID: c.OrgID}); err != nil {
		return Campaign{}, err
	}
	if c.Status != CampaignDraft {
		return Campaign{}, errs.E(errs.Conflict, "inspection.already_run")
	}
	from, to, err := s.Span(c.From, c.To)
	if err != nil {
		return Campaign{}, err
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		var status string
		if err := tx.QueryRow("SELECT status FROM inspections WHERE id = ?", id).Scan(&status); err != nil {
			return err
		}
		if status != CampaignDraft {
			return errs.E(errs.Conflict, "inspection.already_run")
		}
		st, err := s.load(ctx, tx, c.OrgID, from, to, c.Rules)
		if err != nil {
			return err
		}
		now := db.Millis(s.clock.Now())
		n := 0
		var werr error
		st.walk(func(o *orgFacts, j Judgement) {
			f, ok := finding(o, j)
			if werr != nil || !ok || f.Status != Missed {
				return
			}
			params, _ := json.Marshal(f.Params)
			_, werr = tx.Exec(`INSERT INTO inspection_findings (inspection_id, org_id, org_name, rule_id, period, severity, article, message, params,
				evidence, source, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'rule', ?, ?)`,
				id, f.OrgID, f.OrgName, f.RuleID, f.Period, string(f.Severity), f.Article, f.Key, string(params), f.Evidence, p.Username, now)
			n++
		})
		if werr != nil {
			return werr
		}
		if _, err := tx.Exec("UPDATE inspections SET status = ?, run_at = ?, run_on = ? WHERE id = ?", CampaignRun, now, db.DateOf(clock.Today(s.clock)), id); err != nil {
			return err
		}
		return s.trail.Append(tx, audit.Event{Action: "inspection.run", ObjectType: "inspection", ObjectID: id, Detail: fmt.Sprintf("%d finding(s) frozen", n)})
	})
	if err != nil {
		return Campaign{}, err
	}
	return s.Campaign(ctx, p, id)
}

// ManualFinding is an inspector's own finding from a spot-check.
type ManualFinding struct {
	OrgID    int64    `json:"org_id"`
	RuleID   string   `json:"rule_id"`   // a rule id, or empty for a finding outside the rules
	Period   string   `json:"period"`    // 2025-03, 2025-Q1, 2025-H1 or 2025
	Severity Severity `json:"severity"`  //
	RecordID int64    `json:"record_id"` // the record looked at, if any (evidence link)
	Note     string   `json:"note"`
}

// inspectorOf authorizes an inspector (or an administrator) of the campaign on an organisation of its scope.
func (s *Service) inspectorOf(ctx context.Context, p auth.Principal, c Campaign, orgID int64) error {
	var path, scope string
	if err := s.db.QueryRow(ctx, "SELECT path FROM orgs WHERE id = ?", orgID).Scan(&path); err != nil {
		if errs.Is(err, errs.NotFound) {
			return &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"org_id": "inspection.org.outside"}}
		}
		return err
	}
	if err := s.db.QueryRow(ctx, "SELECT path FROM orgs WHERE id = ?", c.OrgID).Scan(&scope); err != nil {
		return err
	}
	if !strings.HasPrefix(path, scope) {
		return &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"org_id": "inspection.org.outside"}}
	}
	var n int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM inspection_inspectors WHERE inspection_id = ? AND user_id = ?", c.ID, p.UserID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: orgID})
	}
	return s.auth.Authorize(ctx, p, auth.ManageOrgs, auth.Target{OrgID: orgID})
}

// AddFinding adds a manual finding to a campaign.
func (s *Service) AddFinding(ctx context.Context, p auth.Principal, id int64, m ManualFinding) (FrozenResult, error) {
	c, err := s.campaignRow(ctx, id)
	if err != nil {
		return FrozenResult{}, err
	}
	f := errs.Fields{}
	m.Note = strings.TrimSpace(m.Note)
	if err := validate.Length(m.Note, 2, 2000); err != nil {
		f.Add("note", keyOf(err))
	}
	x := FrozenResult{OrgID: m.OrgID, RuleID: m.RuleID, Severity: m.Severity, Source: "manual", Note: m.Note, CreatedBy: p.Username, Key: "inspection.manual"}
	if m.RuleID != "" {
		r, ok := RuleByID(m.RuleID)
		if !ok {
			f.Add("rule_id", "compliance.rule.unknown")
		}
		x.Article = r.Article
	}
	if _, err := ParsePeriod(m.Period); err != nil {
		f.Add("period", "compliance.period.invalid")
	}
	x.Period = m.Period
	if x.Severity == "" {
		x.Severity = SevWarning
	}
	if !x.Severity.Valid() {
		f.Add("severity", "compliance.tune.severity")
	}
	if m.OrgID <= 0 {
		f.Add("org_id", "validate.required")
	}
	if err := f.Err(); err != nil {
		return FrozenResult{}, err
	}
	if err := s.inspectorOf(ctx, p, c, m.OrgID); err != nil {
		return FrozenResult{}, err
	}
	if m.RecordID > 0 {
		x.Evidence = fmt.Sprintf("/meetings/%d", m.RecordID)
	}
	x.Params = map[string]any{"Note": x.Note}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRow("SELECT name FROM orgs WHERE id = ?", m.OrgID).Scan(&x.OrgName); err != nil {
			return err
		}
		params, _ := json.Marshal(x.Params)
		var err error
		x.ID, err = tx.Insert(`INSERT INTO inspection_findings (inspection_id, org_id, org_name, rule_id, period, severity, article, message, params,
			evidence, source, note, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'manual', ?, ?, ?)`,
			id, x.OrgID, x.OrgName, x.RuleID, x.Period, string(x.Severity), x.Article, x.Key, string(params), x.Evidence, x.Note, x.CreatedBy, db.Millis(s.clock.Now()))
		if err != nil {
			return err
		}
		return s.trail.Append(tx, audit.Event{Action: "inspection.finding.add", ObjectType: "inspection_finding", ObjectID: x.ID, After: x})
	})
	return x, err
}

// AddNote adds a spot-check note to a campaign.
func (s *Service) AddNote(ctx context.Context, p auth.Principal, id int64, n SpotNote) (SpotNote, error) {
	c, err := s.campaignRow(ctx, id)
	if err != nil {
		return SpotNote{}, err
	}
	n.Body = strings.TrimSpace(n.Body)
	if err := validate.Length(n.Body, 2, 2000); err != nil {
		return SpotNote{}, &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"body": keyOf(err)}}
	}
	if err := s.inspectorOf(ctx, p, c, n.OrgID); err != nil {
		return SpotNote{}, err
	}
	n.Author = p.Username
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		n.ID, err = tx.Insert(`INSERT INTO inspection_notes (inspection_id, org_id, record_id, body, author, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			id, n.OrgID, n.RecordID, n.Body, n.Author, db.Millis(s.clock.Now()))
		if err != nil {
			return err
		}
		return s.trail.Append(tx, audit.Event{Action: "inspection.note.add", ObjectType: "inspection_note", ObjectID: n.ID})
	})
	return n, err
}
