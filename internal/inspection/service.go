package inspection

import (
	"context"
	"database/sql"
	"time"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// Service judges organisational life against the rules and runs inspection campaigns.
type Service struct {
	db    *db.DB
	auth  *auth.Service
	trail *audit.Trail
	clock clock.Clock
	// LiveLimit: subtrees with at most this many organisations have their structure facts (committee
	// months, people of the person rules) computed from the roster on every read; larger ones read the
	// facts refreshed by the nightly job (RefreshFacts), so a whole city stays one indexed read.
	LiveLimit int
}

// NewService wires the service.
func NewService(d *db.DB, a *auth.Service, t *audit.Trail, c clock.Clock) *Service {
	return &Service{db: d, auth: a, trail: t, clock: c, LiveLimit: 2000}
}

// MaxMonths bounds one request's span.
const MaxMonths = 36

// Span reads from/to (YYYY-MM) with field errors; empty from/to default to this year so far.
func (s *Service) Span(from, to string) (Month, Month, error) {
	f := errs.Fields{}
	today := MonthOf(clock.Today(s.clock))
	a, b := Month(today.Year()*12), today
	var err error
	if from != "" {
		if a, err = ParseMonth(from); err != nil {
			f.Add("from", "compliance.month.invalid")
		}
	}
	if to != "" {
		if b, err = ParseMonth(to); err != nil {
			f.Add("to", "compliance.month.invalid")
		}
	}
	if len(f) == 0 && (b < a || b-a >= MaxMonths) {
		f.Add("to", "compliance.span.invalid")
	}
	return a, b, f.Err()
}

// subtree is everything one evaluation needs.
type subtree struct {
	root  *orgFacts
	orgs  []*orgFacts
	plan  []planItem
	today time.Time
	soon  int
}

// load reads the subtree of orgID for [from, to] with the rules given (all when empty).
func (s *Service) load(ctx context.Context, q querier, orgID int64, from, to Month, ruleIDs []string) (*subtree, error) {
	var path string
	if err := s.db.QueryRow(ctx, "SELECT path FROM orgs WHERE id = ?", orgID).Scan(&path); err != nil {
		return nil, err
	}
	y0, y1 := from.Year(), to.Year()
	var n int
	cond, args := under(q, "path", path)
	if err := each(q, "SELECT COUNT(*) FROM orgs WHERE "+cond, args, func(r *sql.Rows) error { return r.Scan(&n) }); err != nil {
		return nil, err
	}
	var orgs []*orgFacts
	var err error
	if n > s.LiveLimit {
		orgs, err = loadCached(q, path, y0, y1)
	} else {
		orgs, err = loadLive(q, path, y0, y1)
	}
	if err != nil {
		return nil, err
	}
	if len(orgs) == 0 {
		return nil, errs.E(errs.NotFound, "error.not_found")
	}
	rs, err := loadRuleset(q)
	if err != nil {
		return nil, err
	}
	today := clock.Today(s.clock)
	return &subtree{root: orgs[0], orgs: orgs, plan: buildPlan(sortedRules(ruleIDs), rs, from, to, today),
		today: today, soon: s.RemindDays(ctx)}, nil
}

// walk judges every plan item for every organisation of the subtree.
func (st *subtree) walk(fn func(o *orgFacts, j Judgement)) {
	for _, o := range st.orgs {
		for i := range st.plan {
			if j, ok := judge(o, &st.plan[i], st.today, st.soon); ok {
				fn(o, j)
			}
		}
	}
}

// Finding is a judged obligation that needs attention: missed (red), due soon (yellow), or a note.
type Finding struct {
	OrgID    int64          `json:"org_id"`
	OrgName  string         `json:"org_name"`
	RuleID   string         `json:"rule_id"`
	Period   string         `json:"period"`
	Status   Status         `json:"status"`
	Severity Severity       `json:"severity"`
	Article  string         `json:"article"`
	Message  string         `json:"message"` // in the caller's language (filled by the web layer from Key)
	Key      string         `json:"-"`
	Params   map[string]any `json:"-"`
	Evidence string         `json:"evidence"` // drill-down page
}

// finding turns a judgement into a finding, or false when it needs no attention.
func finding(o *orgFacts, j Judgement) (Finding, bool) {
	var key string
	status, sev := j.Status, j.Version.Severity
	switch {
	case j.Status == Missed:
		key = "compliance.missed." + j.Rule.Key()
	case j.Status == DueSoon:
		key = "compliance.due." + j.Rule.Key()
	case j.Note:
		status, sev, key = Met, SevInfo, "compliance.note."+j.Rule.Key()
	default:
		return Finding{}, false
	}
	period := j.Period.String()
	return Finding{OrgID: o.ID, OrgName: o.Name, RuleID: j.Rule.ID, Period: period, Status: status, Severity: sev,
		Article: j.Rule.Article, Key: key,
		Params:   map[string]any{"Period": period, "Count": j.Count, "Need": j.Need, "Missing": j.Need - j.Count, "Due": db.DateOf(j.Period.LastDay()).String()},
		Evidence: "/orgs/" + itoa(o.ID) + "/compliance/" + j.Rule.ID + "/" + period}, true
}

// Tally counts judgements by status.
type Tally struct {
	Judged  int `json:"judged"`
	Met     int `json:"met"`
	Missed  int `json:"missed"`
	DueSoon int `json:"due_soon"`
	Open    int `json:"open"`
}

func (t *Tally) add(s Status) {
	t.Judged++
	switch s {
	case Met:
		t.Met++
	case Missed:
		t.Missed++
	case DueSoon:
		t.DueSoon++
	case Open:
		t.Open++
	}
}

// Summary is the report's totals.
type Summary struct {
	OrgID        int64            `json:"org_id"`
	From         string           `json:"from"`
	To           string           `json:"to"`
	Orgs         int              `json:"orgs"`          // organisations in the subtree
	OrgsJudged   int              `json:"orgs_judged"`   // organisations some rule applied to
	OrgsMissed   int              `json:"orgs_missed"`   // organisations with at least one missed obligation
	Total        Tally            `json:"total"`         // every judged period
	ByRule       map[string]Tally `json:"by_rule"`       // by rule id
	CompliantPct float64          `json:"compliant_pct"` // met / (met + missed), one decimal
	Findings     int              `json:"findings"`      // findings in all (the list may be cut at the caller's limit)
}

// Report is the compliance of a subtree over a span of months.
type Report struct {
	Findings []Finding `json:"findings"`
	Summary  Summary   `json:"summary"`
}

// Compliance judges every organisation of orgID's subtree for the months from…to.
func (s *Service) Compliance(ctx context.Context, p auth.Principal, orgID int64, from, to Month) (Report, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: orgID}); err != nil {
		return Report{}, err
	}
	st, err := s.load(ctx, poolQuerier{ctx, s.db}, orgID, from, to, nil)
	if err != nil {
		return Report{}, err
	}
	return st.report(orgID, from, to), nil
}

func (st *subtree) report(orgID int64, from, to Month) Report {
	rep := Report{Findings: []Finding{}, Summary: Summary{OrgID: orgID, From: from.String(), To: to.String(), Orgs: len(st.orgs), ByRule: map[string]Tally{}}}
	byRule := make([]Tally, len(Builtin))
	var last *orgFacts
	var judged, missed int
	lastMissed := false
	st.walk(func(o *orgFacts, j Judgement) {
		rep.Summary.Total.add(j.Status)
		byRule[j.ruleIdx].add(j.Status)
		if o != last {
			last, lastMissed = o, false
			judged++
		}
		if j.Status == Missed && !lastMissed {
			lastMissed = true
			missed++
		}
		if j.Status == Missed || j.Status == DueSoon || j.Note {
			if f, ok := finding(o, j); ok {
				rep.Findings = append(rep.Findings, f)
			}
		}
	})
	for i, t := range byRule {
		if t.Judged > 0 {
			rep.Summary.ByRule[Builtin[i].ID] = t
		}
	}
	rep.Summary.OrgsJudged, rep.Summary.OrgsMissed, rep.Summary.Findings = judged, missed, len(rep.Findings)
	if d := rep.Summary.Total.Met + rep.Summary.Total.Missed; d > 0 {
		rep.Summary.CompliantPct = float64(rep.Summary.Total.Met*1000/d) / 10
	}
	return rep
}
