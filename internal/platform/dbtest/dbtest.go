// Package dbtest gives tests real databases: a fresh SQLite file always, and a fresh PostgreSQL schema
// when DANGJIAN_TEST_PG holds a server URL. Tests written with Each run once per engine, so the whole suite
// specifies both. With DANGJIAN_STRICT=1 (set by .ci/run) a missing or unreachable PostgreSQL fails the
// test instead of skipping it.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/dangjian/dangjian/internal/platform/db"
)

// Strict reports whether tests that need more than Go must run (CI).
func Strict() bool { return os.Getenv("DANGJIAN_STRICT") == "1" }

// PGURL is the PostgreSQL server tests may use, or "".
func PGURL() string { return os.Getenv("DANGJIAN_TEST_PG") }

// Each runs fn as a subtest on every engine under test, each with a fresh, migrated database.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	if PGURL() == "" && !Strict() {
		return
	}
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite opens a fresh migrated SQLite database in the test's temporary directory.
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	return open(t, "sqlite:"+filepath.Join(t.TempDir(), "test.db"))
}

// SQLiteURL returns a URL for a fresh (unmigrated) SQLite file.
func SQLiteURL(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "test.db") }

// Postgres opens a fresh migrated schema on the test server; skips (fails when strict) without one.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	return open(t, PostgresURL(t))
}

// PostgresURL creates a fresh, empty schema on the test server and returns a URL whose search_path
// points at it. The schema is dropped when the test ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := PGURL()
	if base == "" {
		if Strict() {
			t.Fatal("DANGJIAN_STRICT=1 but DANGJIAN_TEST_PG is not set: the PostgreSQL suite must run in CI")
		}
		t.Skip("PostgreSQL not configured (set DANGJIAN_TEST_PG)")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.Ping(); err != nil {
		if Strict() {
			t.Fatalf("cannot reach PostgreSQL at DANGJIAN_TEST_PG: %v", err)
		}
		t.Skipf("PostgreSQL unreachable: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func open(t testing.TB, u string) *db.DB {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, u, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return d
}
