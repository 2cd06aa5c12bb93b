package inspection

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/orglife"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
)

// The city of performance-anchors.md §1.6: 20,000 branches under 200 organs, a year (2025) of records —
// general meetings 4, committee meetings 12 (branches with a committee), theme days 12, lessons 4,
// organisational life 1, appraisal 1, talks 3, and 12 cell meetings for each of 8,000 cells; about one
// branch in five misses something. ≈ 840,000 records.
var (
	benchOrgans   = 200
	benchBranches = envInt("DANGJIAN_BENCH_BRANCHES", 20000)
	benchCells    = benchBranches * 2 / 5
)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

type benchCity struct {
	f        *fx
	branches []int64
	records  int
}

// bulk inserts rows in multi-row statements inside one write.
func bulk(tx *db.Tx, head string, cols int, rows [][]any) error {
	for start := 0; start < len(rows); start += 500 {
		chunk := rows[start:min(start+500, len(rows))]
		ph := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
		var args []any
		for _, r := range chunk {
			args = append(args, r...)
		}
		if _, err := tx.Exec(head+" VALUES "+strings.TrimSuffix(strings.Repeat(ph+",", len(chunk)), ","), args...); err != nil {
			return err
		}
	}
	return nil
}

func buildCity(b testing.TB, d *db.DB) *benchCity {
	b.Helper()
	f := newFx(b, d, "2026-01-15")
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 7))
	c := &benchCity{f: f}
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	// Organisations: organs under the root, branches under organs, cells under the first branches.
	var organs []int64
	must(d.Write(ctx, func(tx *db.Tx) error {
		for i := 0; i < benchOrgans; i++ {
			id, err := tx.Insert(`INSERT INTO orgs (parent_id, kind, name, established_on, created_at, updated_at) VALUES (?, 'committee', ?, '2000-01-01', 0, 0)`,
				f.root, fmt.Sprintf("机关党委%03d", i))
			if err != nil {
				return err
			}
			if _, err := tx.Exec("UPDATE orgs SET path = ? WHERE id = ?", fmt.Sprintf("/%d/%d/", f.root, id), id); err != nil {
				return err
			}
			organs = append(organs, id)
		}
		return nil
	}))
	for k := 0; k < 2; k++ { // branches, then cells
		n, kind := benchBranches, "branch"
		if k == 1 {
			n, kind = benchCells, "cell"
		}
		must(d.Write(ctx, func(tx *db.Tx) error {
			var rows [][]any
			for i := 0; i < n; i++ {
				parent := organs[i%benchOrgans]
				if k == 1 {
					parent = c.branches[i]
				}
				rows = append(rows, []any{parent, kind, fmt.Sprintf("%s%05d", kind, i), "2000-01-01", 0, 0})
			}
			if err := bulk(tx, "INSERT INTO orgs (parent_id, kind, name, established_on, created_at, updated_at)", 6, rows); err != nil {
				return err
			}
			_, err := tx.Exec(`UPDATE orgs SET path = (SELECT p.path FROM orgs p WHERE p.id = orgs.parent_id) || CAST(id AS TEXT) || '/' WHERE path = '' AND kind = ?`, kind)
			return err
		}))
		if k == 0 {
			must(each(poolQuerier{ctx, d}, "SELECT id FROM orgs WHERE kind = 'branch' ORDER BY id", nil, func(r *sql.Rows) error {
				var id int64
				err := r.Scan(&id)
				c.branches = append(c.branches, id)
				return err
			}))
		}
	}
	// Members (6–9 full: about half the branches have a committee) and a secretary and two members' posts.
	must(d.Write(ctx, func(tx *db.Tx) error {
		var rows [][]any
		for _, br := range c.branches {
			for j := 0; j < 6+rng.IntN(4); j++ {
				rows = append(rows, []any{br, "党员", "full", "2010-01-01", "2011-01-01", 0, 0})
			}
		}
		if err := bulk(tx, "INSERT INTO members (org_id, name, status, joined_on, full_on, created_at, updated_at)", 7, rows); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO posts (org_id, member_id, post, from_on, state, approved_on, created_at, updated_at)
			SELECT org_id, MIN(id), 'secretary', '2020-01-01', 'approved', '2020-01-01', 0, 0 FROM members GROUP BY org_id`)
		return err
	}))
	// A year of records, written as the records' listener writes them, summarised in bulk.
	var cellIDs []int64
	must(each(poolQuerier{ctx, d}, "SELECT id FROM orgs WHERE kind = 'cell' ORDER BY id", nil, func(r *sql.Rows) error {
		var id int64
		err := r.Scan(&id)
		cellIDs = append(cellIDs, id)
		return err
	}))
	packed := map[int64]*[10]int64{}
	var held [][]any
	add := func(org int64, k orglife.Kind, m int, dayOf int) {
		held = append(held, []any{org, string(k), fmt.Sprintf("2025-%02d-%02d", m, dayOf), int64(len(held) + 1), 0, 0})
		p := packed[org]
		if p == nil {
			p = new([10]int64)
			packed[org] = p
		}
		i, sh := kindIndex(k), 4*(m-1)
		if n := (p[i] >> sh) & 15; n < 15 {
			p[i] += 1 << sh
		}
	}
	for i, br := range c.branches {
		miss := rng.IntN(5) == 0
		for m := 1; m <= 12; m++ {
			if !(miss && m == 1+rng.IntN(12)) {
				add(br, orglife.ThemeDay, m, 1+rng.IntN(28))
				add(br, orglife.CommitteeMeeting, m, 1+rng.IntN(28))
			}
			if m%3 == 0 {
				add(br, orglife.GeneralMeeting, m, 1+rng.IntN(28))
				add(br, orglife.PartyLesson, m, 1+rng.IntN(28))
			}
			if i < benchCells {
				add(cellIDs[i], orglife.CellMeeting, m, 1+rng.IntN(28))
			}
		}
		add(br, orglife.OrgLifeMeeting, 12, 10)
		add(br, orglife.MemberAppraisal, 12, 20)
		for j := 0; j < 3; j++ {
			add(br, orglife.HeartTalk, 1+rng.IntN(12), 1+rng.IntN(28))
		}
	}
	c.records = len(held)
	for start := 0; start < len(held); start += 50000 {
		chunk := held[start:min(start+50000, len(held))]
		must(d.Write(ctx, func(tx *db.Tx) error {
			return bulk(tx, "INSERT INTO compliance_held (org_id, kind, held_on, record_id, lecturer_id, chair_id)", 6, chunk)
		}))
	}
	must(d.Write(ctx, func(tx *db.Tx) error {
		var rows [][]any
		for org, p := range packed {
			c := counts(*p)
			rows = append(rows, []any{org, 2025, c.encode()})
		}
		return bulk(tx, "INSERT INTO compliance_summaries (org_id, year, packed)", 3, rows)
	}))
	must(f.svc.RefreshFacts(ctx, 0))
	return c
}

// BenchmarkCity measures, on each engine, a whole city's compliance for a year from the summaries, the
// on-the-fly GROUP BY it replaces, one branch's calendar (with p99), and the cost of the summary upkeep
// inside a write. Run: go test ./internal/inspection -run '^$' -bench City -benchtime 20x
func BenchmarkCity(b *testing.B) {
	engines := map[string]func(testing.TB) *db.DB{"sqlite": dbtest.SQLite}
	if dbtest.PGURL() != "" {
		engines["postgres"] = dbtest.Postgres
	}
	for _, name := range []string{"sqlite", "postgres"} {
		open, ok := engines[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			t0 := time.Now()
			c := buildCity(b, open(b))
			b.Logf("%s: city built in %s: %d branches, %d cells, %d records", name, time.Since(t0).Round(time.Second), len(c.branches), benchCells, c.records)
			benchCityParts(b, c)
		})
	}
}

func benchCityParts(b *testing.B, c *benchCity) {
	ctx := context.Background()
	f := c.f
	admin := auth.Principal{UserID: 1, Username: "bench", Role: auth.OrgAdmin, OrgID: f.root, OrgPath: fmt.Sprintf("/%d/", f.root)}
	from, to := mustMonth("2025-01"), mustMonth("2025-12")
	b.Run("city_compliance", func(b *testing.B) {
		var rep Report
		for i := 0; i < b.N; i++ {
			var err error
			if rep, err = f.svc.Compliance(ctx, admin, f.root, from, to); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(rep.Summary.Orgs), "orgs")
		b.ReportMetric(float64(len(rep.Findings)), "findings")
		b.ReportMetric(float64(rep.Summary.Total.Judged), "judged")
	})
	b.Run("groupby_baseline", func(b *testing.B) {
		month := "strftime('%Y-%m', held_on)"
		if f.db.Engine() == db.Postgres {
			month = "date_trunc('month', held_on)"
		}
		for i := 0; i < b.N; i++ {
			n := 0
			err := each(poolQuerier{ctx, f.db}, `SELECT org_id, kind, `+month+`, COUNT(*) FROM compliance_held
				WHERE held_on >= '2025-01-01' AND held_on < '2026-01-01' GROUP BY org_id, kind, `+month, nil, func(r *sql.Rows) error { n++; return nil })
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(n), "groups")
		}
	})
	b.Run("branch_calendar", func(b *testing.B) {
		var d []time.Duration
		for i := 0; i < b.N; i++ {
			br := c.branches[i*7919%len(c.branches)]
			t := time.Now()
			if _, err := f.svc.Calendar(ctx, admin, br, 2025); err != nil {
				b.Fatal(err)
			}
			d = append(d, time.Since(t))
		}
		slices.Sort(d)
		b.ReportMetric(float64(d[len(d)*99/100].Microseconds())/1000, "p99-ms")
	})
	// A meeting write (a row of a meetings-like table and its audit entry) with and without the upkeep.
	trail := audit.New(f.db, mustKey(b), clock.NewFake(time.Date(2026, 1, 15, 10, 0, 0, 0, clock.Shanghai)))
	if err := f.db.Write(ctx, func(tx *db.Tx) error {
		// A meetings-like table with the indexes such a table has (by organisation and date, by kind).
		id := "id INTEGER PRIMARY KEY"
		if tx.Engine() == db.Postgres {
			id = "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
		}
		for _, stmt := range []string{`CREATE TABLE IF NOT EXISTS bench_meetings (` + id + `, org_id BIGINT NOT NULL, kind TEXT NOT NULL,
			held_on DATE NOT NULL, topic TEXT NOT NULL, minutes TEXT NOT NULL)`, "CREATE INDEX IF NOT EXISTS bench_meetings_org ON bench_meetings(org_id, held_on)",
			"CREATE INDEX IF NOT EXISTS bench_meetings_kind ON bench_meetings(kind, held_on)"} {
			if _, err := tx.Exec(stmt); err != nil {
				return err
			}
		}
		// As many rows as the city has records, as a meetings table would.
		_, err := tx.Exec("INSERT INTO bench_meetings (org_id, kind, held_on, topic, minutes) SELECT org_id, kind, held_on, '学习', '会议记录' FROM compliance_held")
		return err
	}); err != nil {
		b.Fatal(err)
	}
	// Each op is 100 sequential writes (each its own commit), reported as ms/write.
	write := func(b *testing.B, upkeep bool) {
		t0 := time.Now()
		for i := 0; i < b.N*100; i++ {
			br := c.branches[i%len(c.branches)]
			benchRecord++
			h := orglife.Held{RecordID: benchRecord, OrgID: br, Kind: orglife.ThemeDay, On: day("2025-06-15")}
			err := f.db.Write(ctx, func(tx *db.Tx) error {
				if _, err := tx.Exec("INSERT INTO bench_meetings (org_id, kind, held_on, topic, minutes) VALUES (?, ?, ?, ?, ?)",
					br, string(h.Kind), h.On, "学习贯彻主题教育", strings.Repeat("会议记录。", 40)); err != nil {
					return err
				}
				if upkeep {
					if err := f.svc.MeetingsChanged(tx, nil, []orglife.Held{h}); err != nil {
						return err
					}
				}
				return trail.Append(tx, audit.Event{Action: "meeting.create", ObjectType: "meeting", ObjectID: h.RecordID})
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(time.Since(t0).Microseconds())/float64(b.N*100)/1000, "ms/write")
	}
	b.Run("write_without_upkeep", func(b *testing.B) { write(b, false) })
	b.Run("write_with_upkeep", func(b *testing.B) { write(b, true) })
}

var benchRecord int64 = 10_000_000

func mustKey(b *testing.B) audit.Key {
	k, err := audit.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	return k
}
