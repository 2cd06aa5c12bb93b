package orglife

// Annual plans: a branch enters which lessons, theme days and other records it plans in which month,
// and sees planned against held (counted records of the branch and its cells).

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// PlanItem is one planned record.
type PlanItem struct {
	Month int    `json:"month"` // 1–12
	Kind  Kind   `json:"kind"`
	Topic string `json:"topic"`
}

// PlanCell is planned against held for one kind in one month.
type PlanCell struct {
	Planned int      `json:"planned"`
	Held    int      `json:"held"`
	Topics  []string `json:"topics,omitempty"`
	Ended   bool     `json:"ended"` // the month is over
}

// Short reports whether fewer were held than planned in a month that is over.
func (c PlanCell) Short() bool { return c.Ended && c.Held < c.Planned }

// PlanRow is one kind across the twelve months.
type PlanRow struct {
	Kind   Kind         `json:"kind"`
	Months [12]PlanCell `json:"months"`
}

// Plan is a branch's plan for a year with what was held.
type Plan struct {
	OrgID   int64      `json:"org_id"`
	OrgName string     `json:"org_name"`
	Year    int        `json:"year"`
	Items   []PlanItem `json:"items"`
	Rows    []PlanRow  `json:"rows"`
}

// SavePlan replaces the plan of orgID for year (audited with the plan before and after).
func (s *Service) SavePlan(ctx context.Context, p auth.Principal, orgID int64, year int, items []PlanItem) (Plan, error) {
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: orgID}); err != nil {
		return Plan{}, err
	}
	f := errs.Fields{}
	if year < 2000 || year > 2100 {
		f.Add("year", "meetings.plan.year")
	}
	if len(items) > 200 {
		f.Add("items", "meetings.plan.too_many")
	}
	for i := range items {
		items[i].Topic = strings.TrimSpace(items[i].Topic)
		switch {
		case !items[i].Kind.Valid():
			f.Add("items", "meetings.kind.invalid")
		case items[i].Month < 1 || items[i].Month > 12:
			f.Add("items", "meetings.plan.month")
		case validate.Length(items[i].Topic, 0, 200) != nil:
			f.Add("items", "meetings.plan.topic")
		}
	}
	if err := f.Err(); err != nil {
		return Plan{}, err
	}
	err := s.db.Write(ctx, func(tx *db.Tx) error { return s.SavePlanTx(tx, orgID, year, items) })
	if err != nil {
		return Plan{}, err
	}
	return s.Plan(ctx, p, orgID, year)
}

// SavePlanTx replaces a plan inside tx, for callers that have authorized and validated (the demo).
func (s *Service) SavePlanTx(tx *db.Tx, orgID int64, year int, items []PlanItem) error {
	o, err := loadOrg(tx, orgID)
	if err != nil {
		return err
	}
	for _, it := range items {
		if !it.Kind.HeldBy(o.Kind) {
			return invalid("items", "meetings.kind.org")
		}
	}
	before, err := planItems(tx, orgID, year)
	if err != nil {
		return err
	}
	if _, err := tx.Exec("DELETE FROM meeting_plans WHERE org_id = ? AND year = ?", orgID, year); err != nil {
		return err
	}
	now := db.Millis(s.clock.Now())
	for _, it := range items {
		if _, err := tx.Exec("INSERT INTO meeting_plans(org_id, year, month, kind, topic, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			orgID, year, it.Month, string(it.Kind), it.Topic, now); err != nil {
			return err
		}
	}
	return s.trail.Append(tx, audit.Event{Action: "meeting.plan", ObjectType: "org", ObjectID: orgID, Before: before, After: items,
		Detail: "year=" + strconv.Itoa(year)})
}

func planItems(q reader, orgID int64, year int) ([]PlanItem, error) {
	rows, err := q.Query("SELECT month, kind, topic FROM meeting_plans WHERE org_id = ? AND year = ? ORDER BY month, kind, id", orgID, year)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []PlanItem{}
	for rows.Next() {
		var it PlanItem
		if err := rows.Scan(&it.Month, &it.Kind, &it.Topic); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// Plan returns the plan of orgID for year, with the counted records held by it and its cells.
func (s *Service) Plan(ctx context.Context, p auth.Principal, orgID int64, year int) (Plan, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: orgID}); err != nil {
		return Plan{}, err
	}
	r := dbReader{ctx, s.db}
	o, err := loadOrg(r, orgID)
	if err != nil {
		return Plan{}, err
	}
	pl := Plan{OrgID: o.ID, OrgName: o.Name, Year: year}
	if pl.Items, err = planItems(r, orgID, year); err != nil {
		return Plan{}, err
	}
	rows := map[Kind]*PlanRow{}
	row := func(k Kind) *PlanRow {
		if rows[k] == nil {
			rows[k] = &PlanRow{Kind: k}
		}
		return rows[k]
	}
	for _, it := range pl.Items {
		c := &row(it.Kind).Months[it.Month-1]
		c.Planned++
		if it.Topic != "" {
			c.Topics = append(c.Topics, it.Topic)
		}
	}
	from := db.DateOf(time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC))
	to := db.DateOf(time.Date(year+1, 1, 1, 0, 0, 0, 0, time.UTC))
	hrows, err := s.db.Query(ctx, `SELECT mt.kind, mt.held_on FROM meetings mt JOIN orgs og ON og.id = mt.org_id
		WHERE og.path LIKE ? AND mt.counted AND mt.held_on >= ? AND mt.held_on < ?`, o.Path+"%", from, to)
	if err != nil {
		return Plan{}, err
	}
	defer hrows.Close()
	for hrows.Next() {
		var k Kind
		var on db.Date
		if err := hrows.Scan(&k, &on); err != nil {
			return Plan{}, err
		}
		row(k).Months[on.Month()-1].Held++
	}
	if err := hrows.Err(); err != nil {
		return Plan{}, err
	}
	today := time.Now()
	if s.clock != nil {
		today = s.clock.Now()
	}
	for _, k := range Kinds {
		if r := rows[k]; r != nil {
			for m := range r.Months {
				r.Months[m].Ended = !time.Date(year, time.Month(m+2), 1, 0, 0, 0, 0, today.Location()).After(today)
			}
			pl.Rows = append(pl.Rows, *r)
		}
	}
	return pl, nil
}
