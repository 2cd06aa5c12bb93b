package inspection

import (
	"context"
	"database/sql"
	"sort"
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
	counts                  counts
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
	Engine() db.Engine
}

// under is the condition "col lies in the subtree of path" with its arguments. On SQLite it is a range
// on the materialised path, which the path index serves (LIKE cannot use it: SQLite's LIKE ignores case);
// PostgreSQL compares text by the database's collation, which may not be byte order, so it keeps LIKE.
func under(q querier, col, path string) (string, []any) {
	if q.Engine() == db.SQLite {
		upper := path[:len(path)-1] + string(path[len(path)-1]+1) // "/1/7/" → "/1/70": the first path past the subtree
		return col + " >= ? AND " + col + " < ?", []any{path, upper}
	}
	return col + " LIKE ?", []any{path + "%"}
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
	cond, args := under(q, "path", path)
	err := each(q, `SELECT id, COALESCE(parent_id, 0), name, path, kind, established_on, dissolved_on FROM orgs
		WHERE `+cond+` ORDER BY path`, args, func(r *sql.Rows) error {
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

// loadCounts fills the packed counts of the subtree's organisations from compliance_summaries.
func loadCounts(q querier, path string, y0, y1 int, byID map[int64]*orgFacts) error {
	cond, args := under(q, "o.path", path)
	var id int64
	var y int
	var raw []byte
	return each(q, `SELECT c.org_id, c.year, c.packed FROM compliance_summaries c
		JOIN orgs o ON o.id = c.org_id WHERE `+cond+` AND c.year BETWEEN ? AND ?`, append(args, y0, y1),
		func(r *sql.Rows) error {
			if err := r.Scan(&id, &y, &raw); err != nil {
				return err
			}
			if o := byID[id]; o != nil {
				if yf := o.year(y); yf != nil {
					yf.counts.decode(raw)
				}
			}
			return nil
		})
}

// loadLive reads a subtree with its structure facts computed from the roster and the posts.
func loadLive(q querier, path string, y0, y1 int) ([]*orgFacts, error) {
	orgs, byID, err := loadOrgs(q, path, y0, y1)
	if err != nil {
		return nil, err
	}
	if err := loadCounts(q, path, y0, y1, byID); err != nil {
		return nil, err
	}
	_, err = loadLiveFacts(q, path, y0, y1, byID)
	return orgs, err
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
	cond, args := under(q, "o.path", path)
	// Status is filtered here, not in SQL: SQLite would otherwise scan members_status — everyone who is
	// a full member in the city — instead of the branches' members (members_org).
	var status string
	err := each(q, `SELECT m.org_id, m.status, m.terminal_state, m.joined_on, m.full_on, m.terminal_on FROM members m
		WHERE m.org_id IN (SELECT o.id FROM orgs o WHERE `+cond+` AND o.kind = 'branch')`, args,
		func(r *sql.Rows) error {
			if err := r.Scan(&orgID, &status, &terminal, &joined, &fullOn, &termOn); err != nil {
				return err
			}
			if status != "full" {
				return nil
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
	err = each(q, `SELECT ps.org_id, ps.member_id, ps.post, ps.from_on, ps.to_on FROM posts ps
		WHERE ps.org_id IN (SELECT o.id FROM orgs o WHERE `+cond+` AND o.kind IN ('branch', 'committee', 'leading_group'))`, args, func(r *sql.Rows) error {
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
			args := append([]any{from0, to1}, chunk...)
			// The kind is a literal so the partial index on it (migration 00008) serves the query.
			err := each(q, `SELECT `+w.col+`, held_on FROM compliance_held WHERE kind = '`+w.kind+`' AND held_on >= ? AND held_on < ? AND `+w.col+` IN (`+ph+`)`,
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

func (p poolQuerier) Engine() db.Engine { return p.d.Engine() }

// loadCached reads a large subtree in one pass per year: each organisation with its refreshed facts and
// its packed counts. Organisations the nightly refresh has not seen yet (set up since) get their facts
// computed live, one by one.
func loadCached(q querier, path string, y0, y1 int) ([]*orgFacts, error) {
	// A large subtree is read in id order — the order of both tables on disk — rather than through the
	// path index, whose order sends every row to a random page; tree order is restored in memory.
	cond, args := under(q, "o.path", path)
	if q.Engine() == db.SQLite {
		cond = "+o.path >= ? AND +o.path < ?" // unary + : scan the table, do not use the path index
	}
	var orgs []*orgFacts
	byID := map[int64]*orgFacts{}
	var missing []*orgFacts
	for y := y0; y <= y1; y++ {
		var id int64
		var name, opath, kind string
		var live, committee, lr, lg, tr, tg int64
		var raw []byte
		err := each(q, `SELECT o.id, o.name, o.path, o.kind, CASE WHEN f.refreshed_at > 0 THEN f.live_months ELSE -1 END,
			COALESCE(f.committee_months, 0), COALESCE(f.lesson_roles, 0), COALESCE(f.lesson_gaps, 0), COALESCE(f.talk_roles, 0),
			COALESCE(f.talk_gaps, 0), f.packed
			FROM orgs o LEFT JOIN compliance_summaries f ON f.org_id = o.id AND f.year = ?
			WHERE `+cond+` ORDER BY o.id`, append([]any{y}, args...), func(r *sql.Rows) error {
			raw = raw[:0]
			if err := r.Scan(&id, &name, &opath, &kind, &live, &committee, &lr, &lg, &tr, &tg, &raw); err != nil {
				return err
			}
			o := byID[id]
			if o == nil {
				if y != y0 {
					return nil // set up while we read; the next read sees it
				}
				o = &orgFacts{ID: id, Name: name, Path: opath, Kind: org.Kind(kind), base: y0, years: make([]yearFacts, y1-y0+1)}
				orgs = append(orgs, o)
				byID[id] = o
			}
			yf := &o.years[y-y0]
			if live < 0 {
				if y == y0 {
					missing = append(missing, o)
				}
			} else {
				yf.live, yf.committee = uint16(live), uint16(committee)
				yf.lessonRoles, yf.lessonGaps, yf.talkRoles, yf.talkGaps = int(lr), int(lg), int(tr), int(tg)
			}
			yf.counts.decode(raw)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(orgs, func(i, j int) bool { return orgs[i].Path < orgs[j].Path })
	for _, o := range missing {
		if err := each(q, "SELECT established_on, dissolved_on FROM orgs WHERE id = ?", []any{o.ID}, func(r *sql.Rows) error {
			return r.Scan(&o.established, &o.dissolved)
		}); err != nil {
			return nil, err
		}
		for y := y0; y <= y1; y++ {
			o.years[y-y0] = yearFacts{live: liveMonths(o.established, o.dissolved, y), counts: o.years[y-y0].counts}
		}
		if _, err := loadLiveFacts(q, o.Path, y0, y1, map[int64]*orgFacts{o.ID: o}); err != nil {
			return nil, err
		}
	}
	return orgs, nil
}
