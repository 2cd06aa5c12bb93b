package reading

import (
	"context"

	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// Counts are the reading figures of one organisation's subtree (or of one organisation alone).
type Counts struct {
	Rooms        int `json:"rooms"`
	Volumes      int `json:"volumes"`      // copies held now
	Loans        int `json:"loans"`        // copies lent in the year
	Activities   int `json:"activities"`   // activities held in the year
	Participants int `json:"participants"` // attendances recorded at them
	SignUps      int `json:"sign_ups"`     // confirmed sign-ups for them
}

// YearLine is one year of the series.
type YearLine struct {
	Year int `json:"year"`
	Counts
}

// OrgLine is one organisation directly below the one asked about (its subtree), or the organisation's
// own level (Own).
type OrgLine struct {
	OrgID int64  `json:"org_id"`
	Name  string `json:"name"`
	Own   bool   `json:"own,omitempty"`
	Counts
}

// Stats are the reading statistics of a subtree: the year's totals, the last five years, and the year
// by the organisations directly below.
type Stats struct {
	OrgID   int64      `json:"org_id"`
	OrgName string     `json:"org_name"`
	Year    int        `json:"year"`
	Totals  Counts     `json:"totals"`
	ByYear  []YearLine `json:"by_year"`
	ByOrg   []OrgLine  `json:"by_org"`
}

// StatsYears is how many years the series shows.
const StatsYears = 5

// Stats counts rooms, volumes, loans, activities and participants of orgID's subtree for a year (0: this
// year).
func (s *Service) Stats(ctx context.Context, p auth.Principal, orgID int64, year int) (Stats, error) {
	now := s.clock.Now().Year()
	if year == 0 {
		year = now
	}
	if year < 1990 || year > now+1 {
		return Stats{}, fieldErr("year", "reading.stats.year.range")
	}
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: orgID}); err != nil {
		return Stats{}, err
	}
	o, err := s.org(ctx, orgID)
	if errs.Is(err, errs.NotFound) {
		return Stats{}, notFound()
	}
	if err != nil {
		return Stats{}, err
	}
	st := Stats{OrgID: orgID, OrgName: o.name, Year: year}
	subtree := scope{"o.path LIKE ?", o.path + "%"}
	if st.Totals, err = s.counts(ctx, subtree, year); err != nil {
		return st, err
	}
	for y := year - StatsYears + 1; y <= year; y++ {
		c, err := s.counts(ctx, subtree, y)
		if err != nil {
			return st, err
		}
		st.ByYear = append(st.ByYear, YearLine{Year: y, Counts: c})
	}
	own, err := s.counts(ctx, scope{"o.id = ?", orgID}, year)
	if err != nil {
		return st, err
	}
	if own != (Counts{}) {
		st.ByOrg = append(st.ByOrg, OrgLine{OrgID: orgID, Name: o.name, Own: true, Counts: own})
	}
	rows, err := s.db.Query(ctx, "SELECT id, name, path FROM orgs WHERE parent_id = ? AND dissolved_on IS NULL ORDER BY path", orgID)
	if err != nil {
		return st, err
	}
	var children []orgRef
	for rows.Next() {
		var c orgRef
		if err := rows.Scan(&c.id, &c.name, &c.path); err != nil {
			rows.Close()
			return st, err
		}
		children = append(children, c)
	}
	rows.Close()
	for _, c := range children {
		n, err := s.counts(ctx, scope{"o.path LIKE ?", c.path + "%"}, year)
		if err != nil {
			return st, err
		}
		if n != (Counts{}) {
			st.ByOrg = append(st.ByOrg, OrgLine{OrgID: c.id, Name: c.name, Counts: n})
		}
	}
	return st, nil
}

// scope is a condition on the orgs alias o and its argument.
type scope struct {
	where string
	arg   any
}

func (s *Service) counts(ctx context.Context, sc scope, year int) (Counts, error) {
	var c Counts
	from, to := dateIn(year, 1, 1), dateIn(year+1, 1, 1)
	queries := []struct {
		dst  *int
		q    string
		args []any
	}{
		{&c.Rooms, "SELECT COUNT(*) FROM reading_rooms r JOIN orgs o ON o.id = r.org_id WHERE " + sc.where, nil},
		{&c.Volumes, "SELECT COUNT(*) FROM reading_copies k JOIN reading_rooms r ON r.id = k.room_id JOIN orgs o ON o.id = r.org_id WHERE " + sc.where, nil},
		{&c.Loans, "SELECT COUNT(*) FROM reading_loans l JOIN reading_rooms r ON r.id = l.room_id JOIN orgs o ON o.id = r.org_id WHERE " + sc.where +
			" AND l.lent_on >= ? AND l.lent_on < ?", []any{from, to}},
		{&c.Activities, "SELECT COUNT(*) FROM reading_events e JOIN orgs o ON o.id = e.org_id WHERE " + sc.where +
			" AND e.held_on >= ? AND e.held_on < ?", []any{from, to}},
		{&c.Participants, "SELECT COUNT(*) FROM reading_signups g JOIN reading_events e ON e.id = g.event_id JOIN orgs o ON o.id = e.org_id WHERE " +
			sc.where + " AND g.attended = TRUE AND e.held_on >= ? AND e.held_on < ?", []any{from, to}},
		{&c.SignUps, "SELECT COUNT(*) FROM reading_signups g JOIN reading_events e ON e.id = g.event_id JOIN orgs o ON o.id = e.org_id WHERE " +
			sc.where + " AND g.status = 'confirmed' AND e.held_on >= ? AND e.held_on < ?", []any{from, to}},
	}
	for _, q := range queries {
		if err := s.db.QueryRow(ctx, q.q, append([]any{sc.arg}, q.args...)...).Scan(q.dst); err != nil {
			return c, err
		}
	}
	return c, nil
}
