package inspection

import (
	"context"
	"database/sql"

	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// CalCell is one period of one rule on a calendar row, spanning Span months.
type CalCell struct {
	Period string `json:"period"`
	Status Status `json:"status"`
	Span   int    `json:"span"`
	Count  int    `json:"count"`
	Need   int    `json:"need"`
}

// CalRow is one rule for one organisation over a year: its periods in order, gaps (months no period of
// the rule covers) as cells without status.
type CalRow struct {
	OrgID   int64     `json:"org_id"`
	OrgName string    `json:"org_name"`
	RuleID  string    `json:"rule_id"`
	RuleKey string    `json:"-"`
	Local   bool      `json:"local"`
	Cells   []CalCell `json:"cells"`
}

// Calendar is an organisation's (a branch and its cells) year, rule by rule.
func (s *Service) Calendar(ctx context.Context, p auth.Principal, orgID int64, year int) ([]CalRow, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: orgID}); err != nil {
		return nil, err
	}
	st, err := s.load(ctx, poolQuerier{ctx, s.db}, orgID, Month(year*12), Month(year*12+11), nil)
	if err != nil {
		return nil, err
	}
	var rows []CalRow
	index := map[[2]any]int{}
	st.walk(func(o *orgFacts, j Judgement) {
		k := [2]any{o.ID, j.Rule.ID}
		i, ok := index[k]
		if !ok {
			i = len(rows)
			index[k] = i
			rows = append(rows, CalRow{OrgID: o.ID, OrgName: o.Name, RuleID: j.Rule.ID, RuleKey: j.Rule.Key(), Local: j.Rule.Local})
		}
		rows[i].Cells = append(rows[i].Cells, CalCell{Period: j.Period.String(), Status: j.Status, Span: j.Period.Every.months(), Count: j.Count, Need: j.Need})
	})
	// Pad each row to twelve months: leading months no period covered, and the months not yet begun.
	for i := range rows {
		covered := 0
		var cells []CalCell
		for _, c := range rows[i].Cells {
			p, _ := ParsePeriod(c.Period)
			if gap := int(p.Start) - year*12 - covered; gap > 0 {
				cells = append(cells, CalCell{Span: gap})
				covered += gap
			}
			cells = append(cells, c)
			covered += c.Span
		}
		if covered < 12 {
			cells = append(cells, CalCell{Span: 12 - covered})
		}
		rows[i].Cells = cells
	}
	return rows, nil
}

// HeatRow is one organisation over the months of a span: the worst status of the periods ending in
// each month (an open period shows in the current month).
type HeatRow struct {
	OrgID   int64    `json:"org_id"`
	OrgName string   `json:"org_name"`
	Kind    string   `json:"kind"`
	Depth   int      `json:"depth"`
	Cells   []Status `json:"cells"`
}

// Heatmap judges a subtree over from…to, one row per organisation some rule applies to (at most limit
// rows, in tree order).
func (s *Service) Heatmap(ctx context.Context, p auth.Principal, orgID int64, from, to Month, limit int) ([]HeatRow, Summary, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: orgID}); err != nil {
		return nil, Summary{}, err
	}
	st, err := s.load(ctx, poolQuerier{ctx, s.db}, orgID, from, to, nil)
	if err != nil {
		return nil, Summary{}, err
	}
	rep := st.report(orgID, from, to)
	var rows []HeatRow
	var cur *HeatRow
	rootDepth := depth(st.root.Path)
	st.walk(func(o *orgFacts, j Judgement) {
		if cur == nil || cur.OrgID != o.ID {
			if len(rows) >= limit {
				cur = &HeatRow{}
				return
			}
			rows = append(rows, HeatRow{OrgID: o.ID, OrgName: o.Name, Kind: string(o.Kind), Depth: depth(o.Path) - rootDepth, Cells: make([]Status, int(to-from)+1)})
			cur = &rows[len(rows)-1]
		}
		if cur.Cells == nil {
			return
		}
		m := j.Period.End()
		if m > to {
			m = max(from, min(to, MonthOf(st.today)))
		}
		if i := int(m - from); i >= 0 && i < len(cur.Cells) && j.Status.rank() > cur.Cells[i].rank() {
			cur.Cells[i] = j.Status
		}
	})
	return rows, rep.Summary, nil
}

func depth(path string) int {
	n := 0
	for _, c := range path {
		if c == '/' {
			n++
		}
	}
	return n
}

// Evidence is the drill-down of one rule, organisation and period: the judgement and the records that
// count towards it.
type Evidence struct {
	OrgID   int64      `json:"org_id"`
	OrgName string     `json:"org_name"`
	RuleID  string     `json:"rule_id"`
	RuleKey string     `json:"-"`
	Article string     `json:"article"`
	Period  string     `json:"period"`
	Status  Status     `json:"status"`
	Count   int        `json:"count"`
	Need    int        `json:"need"`
	Records []Recorded `json:"records"`
}

// Recorded is one record that counted, linking to the records' own page.
type Recorded struct {
	RecordID int64   `json:"record_id"`
	OrgID    int64   `json:"org_id"`
	Kind     string  `json:"kind"`
	On       db.Date `json:"held_on"`
	Link     string  `json:"link"`
}

// Drill explains one judgement.
func (s *Service) Drill(ctx context.Context, p auth.Principal, orgID int64, ruleID, period string) (Evidence, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: orgID}); err != nil {
		return Evidence{}, err
	}
	r, ok := RuleByID(ruleID)
	per, err := ParsePeriod(period)
	if !ok || err != nil {
		return Evidence{}, errs.E(errs.NotFound, "error.not_found")
	}
	st, err := s.load(ctx, poolQuerier{ctx, s.db}, orgID, per.Start, per.End(), []string{ruleID})
	if err != nil {
		return Evidence{}, err
	}
	ev := Evidence{OrgID: orgID, OrgName: st.root.Name, RuleID: r.ID, RuleKey: r.Key(), Article: r.Article, Period: per.String(), Records: []Recorded{}}
	st.walk(func(o *orgFacts, j Judgement) {
		if o.ID == orgID && j.Period == per {
			ev.Status, ev.Count, ev.Need = j.Status, j.Count, j.Need
		}
	})
	q := `SELECT record_id, org_id, kind, held_on FROM compliance_held WHERE org_id = ? AND kind = ? AND held_on >= ? AND held_on <= ? ORDER BY held_on, record_id`
	args := []any{orgID, string(r.Kind), db.DateOf(per.FirstDay()), db.DateOf(per.LastDay())}
	if r.Scope.person() {
		col := "lecturer_id"
		if r.Scope == ScopeCommitteeMembers {
			col = "chair_id"
		}
		q = `SELECT h.record_id, h.org_id, h.kind, h.held_on FROM compliance_held h WHERE h.kind = ? AND h.held_on >= ? AND h.held_on <= ?
			AND h.` + col + ` IN (SELECT ps.member_id FROM posts ps WHERE ps.org_id = ?) ORDER BY h.held_on, h.record_id`
		args = []any{string(r.Kind), db.DateOf(per.FirstDay()), db.DateOf(per.LastDay()), orgID}
	}
	err = each(poolQuerier{ctx, s.db}, q, args, func(rows *sql.Rows) error {
		var x Recorded
		if err := rows.Scan(&x.RecordID, &x.OrgID, &x.Kind, &x.On); err != nil {
			return err
		}
		x.Link = "/meetings/" + itoa(x.RecordID)
		ev.Records = append(ev.Records, x)
		return nil
	})
	return ev, err
}
