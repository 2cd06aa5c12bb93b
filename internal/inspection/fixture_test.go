package inspection

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/orglife"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
)

// fx is a small organisation tree on a real database: the root work committee (工委), an organ's
// committee (机关党委) and whatever branches and cells a test adds, with the compliance service on a fake
// clock. Records of organisational life are fed in as Held facts through MeetingsChanged, as the
// records service does in its write transaction.
type fx struct {
	t     testing.TB
	ctx   context.Context
	db    *db.DB
	clock *clock.Fake
	trail *audit.Trail
	auth  *auth.Service
	svc   *Service
	root  int64 // work committee
	organ int64 // committee (机关党委)
	next  int64 // next record id
}

func day(s string) db.Date {
	d, err := db.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func newFx(t testing.TB, d *db.DB, today string) *fx {
	t.Helper()
	key, err := audit.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(day(today).Add(10 * time.Hour).In(clock.Shanghai))
	clk.Set(time.Date(day(today).Year(), day(today).Month(), day(today).Day(), 10, 0, 0, 0, clock.Shanghai))
	trail := audit.New(d, key, clk)
	a := auth.NewService(d, trail, clk, auth.DefaultLimits)
	f := &fx{t: t, ctx: audit.WithActor(context.Background(), audit.Actor{Username: "test"}), db: d, clock: clk, trail: trail, auth: a,
		svc: NewService(d, a, trail, clk), next: 1}
	f.root = f.org("work_committee", 0, "2000-01-01")
	f.organ = f.org("committee", f.root, "2000-01-01")
	return f
}

// eachEngine runs fn on SQLite and, with DANGJIAN_TEST_PG, on PostgreSQL.
func eachEngine(t *testing.T, today string, fn func(t *testing.T, f *fx)) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) { fn(t, newFx(t, d, today)) })
}

func (f *fx) write(fn func(tx *db.Tx) error) {
	f.t.Helper()
	if err := f.db.Write(f.ctx, fn); err != nil {
		f.t.Fatal(err)
	}
}

// org adds an organisation under parent (0: the root), established on est.
func (f *fx) org(kind string, parent int64, est string) int64 {
	f.t.Helper()
	var id int64
	f.write(func(tx *db.Tx) error {
		var p any
		path := "/"
		if parent != 0 {
			p = parent
			if err := tx.QueryRow("SELECT path FROM orgs WHERE id = ?", parent).Scan(&path); err != nil {
				return err
			}
		}
		var err error
		id, err = tx.Insert(`INSERT INTO orgs (parent_id, kind, name, established_on, created_at, updated_at) VALUES (?, ?, ?, ?, 0, 0)`,
			p, kind, fmt.Sprintf("%s-%d", kind, f.next), day(est))
		f.next++
		if err != nil {
			return err
		}
		_, err = tx.Exec("UPDATE orgs SET path = ? WHERE id = ?", fmt.Sprintf("%s%d/", path, id), id)
		return err
	})
	return id
}

func (f *fx) branch(est string) int64 { return f.org("branch", f.organ, est) }

// members adds n members of a branch with status, confirmed (full_on) on fullOn; returns their ids.
func (f *fx) members(orgID int64, n int, status, fullOn string) []int64 {
	f.t.Helper()
	var ids []int64
	f.write(func(tx *db.Tx) error {
		for i := 0; i < n; i++ {
			var full any
			if fullOn != "" {
				full = day(fullOn)
			}
			id, err := tx.Insert(`INSERT INTO members (org_id, name, status, joined_on, full_on, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, 0)`,
				orgID, fmt.Sprintf("党员%d", f.next), status, day("2010-01-01"), full)
			f.next++
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids
}

func (f *fx) post(orgID, memberID int64, post, from string) {
	f.t.Helper()
	f.write(func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO posts (org_id, member_id, post, from_on, state, approved_on, created_at, updated_at)
			VALUES (?, ?, ?, ?, 'approved', ?, 0, 0)`, orgID, memberID, post, day(from), day(from))
		return err
	})
}

// held records one counting record (as the records service would in its write) and returns it.
func (f *fx) held(orgID int64, kind orglife.Kind, on string, people ...int64) orglife.Held {
	f.t.Helper()
	h := orglife.Held{RecordID: f.next, OrgID: orgID, Kind: kind, On: day(on)}
	f.next++
	if len(people) > 0 {
		h.LecturerID, h.ChairID = people[0], people[0]
	}
	f.write(func(tx *db.Tx) error { return f.svc.MeetingsChanged(tx, nil, []orglife.Held{h}) })
	return h
}

// judged evaluates the whole tree over from…to and returns "org rule period" → status.
func (f *fx) judged(from, to string) map[string]Status {
	f.t.Helper()
	a, b := mustMonth(from), mustMonth(to)
	st, err := f.svc.load(f.ctx, poolQuerier{f.ctx, f.db}, f.root, a, b, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]Status{}
	st.walk(func(o *orgFacts, j Judgement) { out[fmt.Sprintf("%d %s %s", o.ID, j.Rule.ID, j.Period)] = j.Status })
	return out
}

func mustMonth(s string) Month {
	m, err := ParseMonth(s)
	if err != nil {
		panic(err)
	}
	return m
}

func key(org int64, rule, period string) string { return fmt.Sprintf("%d %s %s", org, rule, period) }

// admin is a principal of the root work committee's administrator.
func (f *fx) admin() auth.Principal {
	return auth.Principal{UserID: 1, Username: "gongwei", Role: auth.OrgAdmin, OrgID: f.root, OrgPath: fmt.Sprintf("/%d/", f.root)}
}
