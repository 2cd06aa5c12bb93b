package inspection

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/orglife"
	"github.com/dangjian/dangjian/internal/platform/db"
)

// yearFacts is what the rules look at for one organisation in one year.
type yearFacts struct {
	live      uint16 // bit m-1: the organisation existed for the whole of month m
	committee uint16 // bit m-1: a branch had a committee on the 1st of month m (A2.2; A3.1; R0.3)
	// Person rules: how many people the rule looks at that year, and how many of them fall short.
	lessonRoles, lessonGaps int // A2.5: secretaries in office during the year / without a lesson given
	talkRoles, talkGaps     int // A2.9: committee members in office during the year / without a talk
	counts                  [10]int64
}

// orgFacts is one organisation with its years [base, base+len(years)).
type orgFacts struct {
	ID, ParentID int64
	Name, Path   string
	Kind         org.Kind
	established  db.Date
	dissolved    db.Date
	base         int
	years        []yearFacts
}

func (o *orgFacts) year(y int) *yearFacts {
	if i := y - o.base; i >= 0 && i < len(o.years) {
		return &o.years[i]
	}
	return nil
}

// querier is the read side shared by the read pool and a write transaction.
type querier interface {
	Query(q string, args ...any) (*sql.Rows, error)
}

type poolQuerier struct {
	ctx context.Context
	d   *db.DB
}

func (p poolQuerier) Query(q string, args ...any) (*sql.Rows, error) {
	return p.d.Query(p.ctx, q, args...)
}

// each runs fn on every row of a query.
func each(q querier, sqlText string, args []any, fn func(*sql.Rows) error) error {
	rows, err := q.Query(sqlText, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// loadOrgs reads the organisations of a subtree (path prefix) in tree order, with empty years y0…y1
// whose live months are filled in.
func loadOrgs(q querier, path string, y0, y1 int) ([]*orgFacts, map[int64]*orgFacts, error) {
	var out []*orgFacts
	byID := map[int64]*orgFacts{}
	err := each(q, `SELECT id, COALESCE(parent_id, 0), name, path, kind, established_on, dissolved_on FROM orgs
		WHERE path LIKE ? ORDER BY path`, []any{path + "%"}, func(r *sql.Rows) error {
		o := &orgFacts{base: y0, years: make([]yearFacts, y1-y0+1)}
		if err := r.Scan(&o.ID, &o.ParentID, &o.Name, &o.Path, &o.Kind, &o.established, &o.dissolved); err != nil {
			return err
		}
		for y := y0; y <= y1; y++ {
			o.years[y-y0].live = liveMonths(o.established, o.dissolved, y)
		}
		out = append(out, o)
		byID[o.ID] = o
		return nil
	})
	return out, byID, err
}

// liveMonths: month m counts when the organisation was established on or before its first day and not
// dissolved before its last day is over.
func liveMonths(est, dis db.Date, y int) uint16 {
	var bits uint16
	for i := 1; i <= 12; i++ {
		m := Month(y*12 + i - 1)
		if !est.IsZero() && est.After(m.First()) {
			continue
		}
		if !dis.IsZero() && !dis.After((m+1).First().AddDate(0, 0, -1)) {
			continue
		}
		bits |= 1 << (i - 1)
	}
	return bits
}

// loadCounts fills the packed counts of the subtree's organisations from compliance_counts.
func loadCounts(q querier, path string, y0, y1 int, byID map[int64]*orgFacts) error {
	var c [10]int64
	dest := []any{new(int64), new(int)}
	for i := range c {
		dest = append(dest, &c[i])
	}
	return each(q, `SELECT c.org_id, c.year, c.`+strings.Join(countCols, ", c.")+` FROM compliance_counts c
		JOIN orgs o ON o.id = c.org_id WHERE o.path LIKE ? AND c.year BETWEEN ? AND ?`, []any{path + "%", y0, y1},
		func(r *sql.Rows) error {
			if err := r.Scan(dest...); err != nil {
				return err
			}
			if o := byID[*dest[0].(*int64)]; o != nil {
				if yf := o.year(*dest[1].(*int)); yf != nil {
					yf.counts = c
				}
			}
			return nil
		})
}

// loadCachedFacts fills structure facts from compliance_facts; it reports false when some organisation
// and year has no row yet (never refreshed), so the caller computes them live instead.
func loadCachedFacts(q querier, path string, y0, y1 int, orgs []*orgFacts, byID map[int64]*orgFacts) (bool, error) {
	seen := 0
	var id int64
	var y int
	var yf yearFacts
	err := each(q, `SELECT f.org_id, f.year, f.committee_months, f.lesson_roles, f.lesson_gaps, f.talk_roles, f.talk_gaps
		FROM compliance_facts f JOIN orgs o ON o.id = f.org_id WHERE o.path LIKE ? AND f.year BETWEEN ? AND ?`,
		[]any{path + "%", y0, y1}, func(r *sql.Rows) error {
			if err := r.Scan(&id, &y, &yf.committee, &yf.lessonRoles, &yf.lessonGaps, &yf.talkRoles, &yf.talkGaps); err != nil {
				return err
			}
			if o := byID[id]; o != nil {
				if t := o.year(y); t != nil {
					t.committee, t.lessonRoles, t.lessonGaps, t.talkRoles, t.talkGaps = yf.committee, yf.lessonRoles, yf.lessonGaps, yf.talkRoles, yf.talkGaps
					seen++
				}
			}
			return nil
		})
	return seen == len(orgs)*(y1-y0+1), err
}

// role is one person a person rule looks at.
type role struct {
	org    *orgFacts
	year   int
	member int64
	kind   string
	n      int
}

// loadLiveFacts computes the structure facts of the subtree from the roster, the posts and the held
// records: committee months (A2.2), and the people of the person rules with their tallies (A2.5, A2.9).
// It returns the roles so a refresh can store them.
func loadLiveFacts(q querier, path string, y0, y1 int, byID map[int64]*orgFacts) ([]role, error) {
	// Full members of each branch on the 1st of every month (R0.3: 正式党员 only).
	full := map[int64]*[]int{} // org → count per month index (y-y0)*12 + m-1
	months := (y1 - y0 + 1) * 12
	var orgID int64
	var terminal string
	var joined, fullOn, termOn db.Date
	err := each(q, `SELECT m.org_id, m.terminal_state, m.joined_on, m.full_on, m.terminal_on FROM members m
		JOIN orgs o ON o.id = m.org_id WHERE o.path LIKE ? AND o.kind = 'branch' AND m.status = 'full'`, []any{path + "%"},
		func(r *sql.Rows) error {
			if err := r.Scan(&orgID, &terminal, &joined, &fullOn, &termOn); err != nil {
				return err
			}
			c := full[orgID]
			if c == nil {
				s := make([]int, months)
				c = &s
				full[orgID] = c
			}
			for i := 0; i < months; i++ {
				day := Month(y0*12 + i).First()
				if terminal != "" && (termOn.IsZero() || termOn.Before(day)) {
					continue
				}
				if (!joined.IsZero() && joined.After(day)) || (!fullOn.IsZero() && fullOn.After(day)) {
					continue
				}
				(*c)[i]++
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	for id, c := range full {
		o := byID[id]
		if o == nil {
			continue
		}
		for i, n := range *c {
			if n >= BranchCommitteeFrom {
				o.years[i/12].committee |= 1 << (i % 12)
			}
		}
	}
	// Posts: committee posts make a committee (as org.facts reads them); who holds which role each year.
	type key struct {
		org    int64
		year   int
		member int64
		kind   string
	}
	seen := map[key]bool{}
	var roles []role
	var member int64
	var post string
	var from, to db.Date
	err = each(q, `SELECT ps.org_id, ps.member_id, ps.post, ps.from_on, ps.to_on FROM posts ps JOIN orgs o ON o.id = ps.org_id
		WHERE o.path LIKE ? AND o.kind IN ('branch', 'committee', 'leading_group')`, []any{path + "%"}, func(r *sql.Rows) error {
		if err := r.Scan(&orgID, &member, &post, &from, &to); err != nil {
			return err
		}
		o := byID[orgID]
		if o == nil {
			return nil
		}
		pk := org.PostKind(post)
		heldOn := func(d time.Time) bool { return !from.After(d) && (to.IsZero() || to.After(d)) }
		for y := y0; y <= y1; y++ {
			yf := o.year(y)
			jan1, dec31 := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC)
			during := !from.After(dec31) && (to.IsZero() || to.After(jan1))
			if o.Kind == org.Branch {
				switch pk {
				case org.OrganisationMember, org.PublicityMember, org.DisciplineMember, org.CommitteeMember:
					for m := 1; m <= 12; m++ {
						if heldOn(Month(y*12 + m - 1).First()) {
							yf.committee |= 1 << (m - 1)
						}
					}
				}
			}
			if !during {
				continue
			}
			var kind string
			switch {
			case o.Kind == org.Branch && pk != org.CellLeader:
				kind = roleCommittee
			case (o.Kind == org.Committee || o.Kind == org.LeadingGroup) && pk == org.Secretary:
				kind = roleSecretary
			default:
				continue
			}
			k := key{o.ID, y, member, kind}
			if !seen[k] {
				seen[k] = true
				roles = append(roles, role{org: o, year: y, member: member, kind: kind})
			}
		}
		return nil
	})
	if err != nil || len(roles) == 0 {
		return roles, err
	}
	// Tallies of the people in roles, read from the held records by lecturer (lessons) and chair (talks).
	tally := map[key]int{} // org 0: per member, year, kind
	ids := map[int64]bool{}
	for _, r := range roles {
		ids[r.member] = true
	}
	list := make([]any, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	from0, to1 := db.DateOf(time.Date(y0, 1, 1, 0, 0, 0, 0, time.UTC)), db.DateOf(time.Date(y1+1, 1, 1, 0, 0, 0, 0, time.UTC))
	for start := 0; start < len(list); start += 500 {
		chunk := list[start:min(start+500, len(list))]
		ph := strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",")
		for _, w := range []struct{ col, kind, role string }{{"lecturer_id", string(orglife.PartyLesson), roleSecretary}, {"chair_id", string(orglife.HeartTalk), roleCommittee}} {
			var held db.Date
			args := append([]any{w.kind, from0, to1}, chunk...)
			err := each(q, `SELECT `+w.col+`, held_on FROM compliance_held WHERE kind = ? AND held_on >= ? AND held_on < ? AND `+w.col+` IN (`+ph+`)`,
				args, func(r *sql.Rows) error {
					if err := r.Scan(&member, &held); err != nil {
						return err
					}
					tally[key{0, held.Year(), member, w.role}]++
					return nil
				})
			if err != nil {
				return nil, err
			}
		}
	}
	for i := range roles {
		r := &roles[i]
		r.n = tally[key{0, r.year, r.member, r.kind}]
		yf := r.org.year(r.year)
		if r.kind == roleSecretary {
			yf.lessonRoles++
			if r.n == 0 {
				yf.lessonGaps++
			}
		} else {
			yf.talkRoles++
			if r.n == 0 {
				yf.talkGaps++
			}
		}
	}
	return roles, nil
}
