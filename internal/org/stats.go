package org

import (
	"context"
	"time"

	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
)

// AgeBands are the eight age bands of the 2021 and 2023 bulletins (§G), each an inclusive range of
// completed years on the as-at date; the first has no lower bound and the last no upper bound.
var AgeBands = []AgeBand{
	{"30_under", 0, 30}, {"31_35", 31, 35}, {"36_40", 36, 40}, {"41_45", 41, 45},
	{"46_50", 46, 50}, {"51_55", 51, 55}, {"56_60", 56, 60}, {"61_over", 61, 1 << 30},
}

// AgeBand is one age band: Key names it (label stats.age.<key>), Min and Max are inclusive (R0.1: 以下
// and 以上 include the number).
type AgeBand struct {
	Key      string
	Min, Max int
}

// JoinEras are the bulletins' join-date eras (§G), each starting on From (inclusive) and running to the
// next era's start. The boundaries are the founding of the PRC (1949-10-01), the opening of the Third
// Plenum of the 11th Central Committee (1978-12-18) and the opening of the 18th Congress (2012-11-08);
// the bulletins name the events, not the days. [U: the days are the events' opening days]
var JoinEras = []JoinEra{
	{"before_1949", time.Time{}},
	{"1949_1978", time.Date(1949, 10, 1, 0, 0, 0, 0, time.UTC)},
	{"1978_2012", time.Date(1978, 12, 18, 0, 0, 0, 0, time.UTC)},
	{"since_2012", time.Date(2012, 11, 8, 0, 0, 0, 0, time.UTC)},
}

// JoinEra is one join-date era: Key names it (label stats.era.<key>).
type JoinEra struct {
	Key  string
	From time.Time
}

// Count is one row of a statistics table: a key (band, era, status or kind) and its count.
type Count struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
}

// Share is a count with its share of the party members (党员总数) in per cent, one decimal.
type Share struct {
	Count   int     `json:"count"`
	Percent float64 `json:"percent"`
}

// Stats are the party statistics of an organisation's subtree as at a date (§G).
type Stats struct {
	OrgID   int64   `json:"org_id"`
	OrgName string  `json:"org_name"`
	AsOf    db.Date `json:"as_of"`
	// Members is 党员总数: Full + Probationary as at the date.
	Members      int   `json:"members"`
	Full         int   `json:"full"`
	Probationary int   `json:"probationary"`
	Women        Share `json:"women"`
	Minorities   Share `json:"minorities"`
	// CollegeOrAbove is 大专及以上学历 (education doctorate, master, bachelor or college).
	CollegeOrAbove Share `json:"college_or_above"`
	// AgeBands counts party members by completed years on the date; "unknown" has no birth date.
	AgeBands []Count `json:"age_bands"`
	// JoinEras counts party members by 入党时间 (joined_on, the 支部大会); "unknown" has none recorded.
	JoinEras []Count `json:"join_eras"`
	// Statuses counts everyone on the roster as at the date by status, in recruitment order.
	Statuses []Count `json:"statuses"`
	// Orgs counts the live organisations of the subtree on the date (the root included) by kind.
	Orgs []Count `json:"orgs"`
}

// DefaultAsOf is the default as-at date (§G): 12-31 of the current year in the platform's time zone.
func DefaultAsOf(now time.Time) db.Date {
	return db.Date{Time: time.Date(now.In(clock.Shanghai).Year(), 12, 31, 0, 0, 0, 0, time.UTC)}
}

// Age is the completed years from birth to day, a birthday falling on the day itself counting (§G:
// born 1993-12-31 is 30 on 2023-12-31).
func Age(birth, day time.Time) int {
	n := day.Year() - birth.Year()
	if AddYears(birth, n).After(day) {
		n--
	}
	return n
}

// AgeBandOf is the key of the §G age band for an age.
func AgeBandOf(age int) string {
	for _, b := range AgeBands {
		if age >= b.Min && age <= b.Max {
			return b.Key
		}
	}
	return AgeBands[0].Key // negative ages (a birth date after the day) fall in the youngest band
}

// JoinEraOf is the key of the §G join-date era of a joined date.
func JoinEraOf(joined time.Time) string {
	key := JoinEras[0].Key
	for _, e := range JoinEras[1:] {
		if !joined.Before(e.From) {
			key = e.Key
		}
	}
	return key
}

// statRow is what Stats reads of one roster entry.
type statRow struct {
	gender, ethnicity, education, status, terminal string
	birth, joined, full, terminalOn                db.Date
}

// statusOn reconstructs the member's status on day from the recorded dates, or "" when they were not on
// the roster: someone admitted (joined_on) after the day was not yet a party member, and someone who
// left (terminal_on) before the day no longer counts. A full member confirmed (full_on) after the day
// was still probationary on it. Applicants, activists and candidates carry no dates of their own on
// the roster, so they count with their present status.
func (r statRow) statusOn(day time.Time) Status {
	if r.terminal != "" && (r.terminalOn.IsZero() || r.terminalOn.Before(day)) {
		return ""
	}
	st := Status(r.status)
	if st != Full && st != Probationary {
		if r.terminal != "" { // left from the recruitment stages: no way to tell the stage on the day
			return ""
		}
		return st
	}
	if !r.joined.IsZero() && r.joined.After(day) {
		return ""
	}
	if st == Full && !r.full.IsZero() && r.full.After(day) {
		return Probationary
	}
	return st
}

// Stats computes the §G party statistics for the subtree of orgID as at asOf (zero: DefaultAsOf).
//
// Limitation: members are counted under the organisation the roster places them in today, not where
// they belonged on asOf — a member transferred out of the subtree since is not counted in it, and one
// transferred in is. The organisation counts do follow the tree as it stood on the date (TreeAsOf).
func (s *Service) Stats(ctx context.Context, p auth.Principal, orgID int64, asOf db.Date) (Stats, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: orgID}); err != nil {
		return Stats{}, err
	}
	if asOf.IsZero() {
		asOf = DefaultAsOf(s.clock.Now())
	}
	root, err := s.Get(ctx, p, orgID)
	if err != nil {
		return Stats{}, err
	}
	st := Stats{OrgID: root.ID, OrgName: root.Name, AsOf: asOf}
	day := asOf.Time
	rows, err := s.db.Query(ctx, `SELECT m.gender, m.ethnicity, m.education, m.status, m.terminal_state,
		m.birth_on, m.joined_on, m.full_on, m.terminal_on
		FROM members m JOIN orgs o ON o.id = m.org_id WHERE o.path LIKE ?`, root.Path+"%")
	if err != nil {
		return Stats{}, err
	}
	defer rows.Close()
	statuses := map[Status]int{}
	ages := map[string]int{}
	eras := map[string]int{}
	for rows.Next() {
		var r statRow
		if err := rows.Scan(&r.gender, &r.ethnicity, &r.education, &r.status, &r.terminal,
			&r.birth, &r.joined, &r.full, &r.terminalOn); err != nil {
			return Stats{}, err
		}
		status := r.statusOn(day)
		if status == "" {
			continue
		}
		statuses[status]++
		if status != Full && status != Probationary {
			continue
		}
		st.Members++
		if r.gender == "female" {
			st.Women.Count++
		}
		// §G: ethnic minorities are everyone not 汉族 with a recorded ethnicity; 外国血统 is not a minority.
		if r.ethnicity != "" && r.ethnicity != Han && r.ethnicity != "外国血统" {
			st.Minorities.Count++
		}
		if CollegeOrAbove(r.education) {
			st.CollegeOrAbove.Count++
		}
		if r.birth.IsZero() {
			ages["unknown"]++
		} else {
			ages[AgeBandOf(Age(r.birth.Time, day))]++
		}
		if r.joined.IsZero() {
			eras["unknown"]++
		} else {
			eras[JoinEraOf(r.joined.Time)]++
		}
	}
	if err := rows.Err(); err != nil {
		return Stats{}, err
	}
	st.Full, st.Probationary = statuses[Full], statuses[Probationary]
	for _, sh := range []*Share{&st.Women, &st.Minorities, &st.CollegeOrAbove} {
		sh.Percent = percent(sh.Count, st.Members)
	}
	for _, b := range AgeBands {
		st.AgeBands = append(st.AgeBands, Count{b.Key, ages[b.Key]})
	}
	st.AgeBands = append(st.AgeBands, Count{"unknown", ages["unknown"]})
	for _, e := range JoinEras {
		st.JoinEras = append(st.JoinEras, Count{e.Key, eras[e.Key]})
	}
	st.JoinEras = append(st.JoinEras, Count{"unknown", eras["unknown"]})
	for _, x := range Statuses {
		st.Statuses = append(st.Statuses, Count{string(x), statuses[x]})
	}
	tree, err := s.TreeAsOf(ctx, p, orgID, day)
	if err != nil {
		return Stats{}, err
	}
	kinds := map[Kind]int{}
	for _, n := range tree {
		kinds[n.Kind]++
	}
	for _, k := range Kinds {
		st.Orgs = append(st.Orgs, Count{string(k), kinds[k]})
	}
	return st, nil
}

// percent is n of total in per cent rounded to one decimal (0 when total is 0).
func percent(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return float64(n*1000/total+boolInt(n*1000%total*2 >= total)) / 10
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
