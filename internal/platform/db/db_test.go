package db_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

func insertSetting(tx *db.Tx, k string) error {
	_, err := tx.Exec("INSERT INTO settings(key, value, updated_at) VALUES (?, ?, ?)", k, "v", 1)
	return err
}

func countSettings(t *testing.T, d *db.DB) int {
	t.Helper()
	var n int
	if err := d.QueryRow(context.Background(), "SELECT COUNT(*) FROM settings").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWriteCommitsAndRollsBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := d.Write(ctx, func(tx *db.Tx) error { return insertSetting(tx, "a") }); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		err := d.Write(ctx, func(tx *db.Tx) error {
			if err := insertSetting(tx, "b"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("want boom, got %v", err)
		}
		if n := countSettings(t, d); n != 1 {
			t.Fatalf("rolled-back write left rows: %d", n)
		}
	})
}

func TestDriverErrorsMapToDomainErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		_ = d.Write(ctx, func(tx *db.Tx) error { return insertSetting(tx, "dup") })
		err := d.Write(ctx, func(tx *db.Tx) error { return insertSetting(tx, "dup") })
		if !errs.Is(err, errs.Conflict) {
			t.Fatalf("unique violation: want conflict, got %v", err)
		}
		err = d.Write(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec("INSERT INTO members(org_id, name, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?)", 999, "x", "full", 1, 1)
			return err
		})
		if !errs.Is(err, errs.Unprocessable) {
			t.Fatalf("foreign key violation: want unprocessable, got %v", err)
		}
		err = d.QueryRow(ctx, "SELECT value FROM settings WHERE key = ?", "none").Scan(new(string))
		if !errs.Is(err, errs.NotFound) {
			t.Fatalf("no rows: want not_found, got %v", err)
		}
	})
}

// Group commit: concurrent writers share commits, a failing one does not spoil the batch, and every
// acknowledged write is there.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for i := range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := d.Write(ctx, func(tx *db.Tx) error {
					if err := insertSetting(tx, fmt.Sprintf("k%d", i)); err != nil {
						return err
					}
					if i%7 == 0 {
						return errors.New("deliberate")
					}
					return nil
				})
				if err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if want := 200 - 29; ok != want {
			t.Fatalf("acknowledged %d, want %d", ok, want)
		}
		if n := countSettings(t, d); n != ok {
			t.Fatalf("rows %d, acknowledged %d", n, ok)
		}
		if d.Engine() == db.SQLite {
			commits, txs := d.Stats()
			t.Logf("group commit: %d transactions in %d commits", txs, commits)
			if txs != 200 {
				t.Fatalf("writer saw %d transactions", txs)
			}
		}
	})
}

func TestAfterCommitRunsOnlyOnCommit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ran := 0
		_ = d.Write(context.Background(), func(tx *db.Tx) error { tx.AfterCommit(func() { ran++ }); return nil })
		_ = d.Write(context.Background(), func(tx *db.Tx) error {
			tx.AfterCommit(func() { ran += 10 })
			return errors.New("no")
		})
		if ran != 1 {
			t.Fatalf("after-commit ran %d", ran)
		}
	})
}

func TestNestedWriteRefused(t *testing.T) {
	d := dbtest.SQLite(t)
	err := d.Write(context.Background(), func(tx *db.Tx) error {
		return d.Write(tx.Context(), func(*db.Tx) error { return nil })
	})
	if err == nil || !strings.Contains(err.Error(), "inside a write transaction") {
		t.Fatalf("nested write: %v", err)
	}
}

func TestDateRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		day, _ := db.ParseDate("2024-03-10")
		var id int64
		err := d.Write(ctx, func(tx *db.Tx) error {
			var err error
			id, err = tx.Insert("INSERT INTO orgs(kind, name, established_on, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
				"work_committee", "示例", day, 1, 1)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var got db.Date
		if err := d.QueryRow(ctx, "SELECT established_on FROM orgs WHERE id = ?", id).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got.String() != "2024-03-10" {
			t.Fatalf("date round trip: %q", got)
		}
		var n int
		if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM orgs WHERE established_on <= ?", db.Date{Time: day.AddDate(0, 0, 1)}).Scan(&n); err != nil || n != 1 {
			t.Fatalf("date comparison: n=%d err=%v", n, err)
		}
	})
}

func TestMigrationsSameVersionsOnBothEngines(t *testing.T) {
	a, _ := db.MigrationVersions(db.SQLite)
	b, _ := db.MigrationVersions(db.Postgres)
	if !slices.Equal(a, b) || len(a) == 0 {
		t.Fatalf("migration files differ: sqlite %v postgres %v", a, b)
	}
}

// Both engines' migrations must produce the same tables and columns.
func TestSchemaParity(t *testing.T) {
	ctx := context.Background()
	lite := schemaOf(t, dbtest.SQLite(t), ctx)
	pg := schemaOf(t, dbtest.Postgres(t), ctx)
	if !slices.Equal(lite, pg) {
		t.Fatalf("schemas differ\nsqlite:   %v\npostgres: %v", diff(lite, pg), diff(pg, lite))
	}
}

func diff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func schemaOf(t *testing.T, d *db.DB, ctx context.Context) []string {
	t.Helper()
	q := `SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
	      WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'goose_db_version'
	        AND m.name NOT LIKE '%\_fts%' ESCAPE '\'` // FTS5 search indexes are SQLite's own (PostgreSQL: pg_trgm)
	if d.Engine() == db.Postgres {
		q = `SELECT table_name || '.' || column_name FROM information_schema.columns
		     WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'`
	}
	rows, err := d.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func TestSQLitePathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a#b?c%d")
	d, err := db.Open(context.Background(), "sqlite:"+filepath.Join(dir, "x.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.db")); err != nil {
		t.Fatalf("database not at the named path: %v", err)
	}
}
