package db

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

func openSQLite(t testing.TB) *DB {
	t.Helper()
	ctx := context.Background()
	d, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "t.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if err := d.Write(ctx, func(tx *Tx) error {
			_, err := tx.Exec("INSERT INTO settings(key, value, updated_at) VALUES (?, ?, ?)", fmt.Sprintf("k%03d", i), fmt.Sprint(i), i)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// Reads through the statement cache see every committed write, a bad query still reports its error, and
// the cache stops growing at its bound (IN lists of every length must not fill memory).
func TestStatementCache(t *testing.T) {
	d := openSQLite(t)
	ctx := context.Background()
	for range 3 {
		var v string
		if err := d.QueryRow(ctx, "SELECT value FROM settings WHERE key = ?", "k042").Scan(&v); err != nil || v != "42" {
			t.Fatalf("cached read: %q %v", v, err)
		}
	}
	if err := d.Write(ctx, func(tx *Tx) error {
		_, err := tx.Exec("UPDATE settings SET value = 'changed' WHERE key = 'k042'")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := d.QueryRow(ctx, "SELECT value FROM settings WHERE key = ?", "k042").Scan(&v); err != nil || v != "changed" {
		t.Fatalf("read after write through the cache: %q %v", v, err)
	}
	if _, err := d.Query(ctx, "SELECT nope FROM settings"); err == nil {
		t.Fatal("a bad query reported no error")
	}
	for i := range maxCachedStmts + 50 {
		_ = d.QueryRow(ctx, fmt.Sprintf("SELECT COUNT(*) FROM settings WHERE updated_at > %d", i)).Scan(new(int))
	}
	if n := len(d.stmts.m); n != maxCachedStmts {
		t.Fatalf("cache holds %d statements, want the bound %d", n, maxCachedStmts)
	}
}

// BenchmarkRead compares a short primary-key read through DB.QueryRow (prepared once, cached) with the
// same read on the same pool unprepared (the bare baseline). docs/performance.md has the numbers.
//
//	go test -run='^$' -bench=Read -benchtime=2s ./internal/platform/db/
func BenchmarkRead(b *testing.B) {
	d := openSQLite(b)
	ctx := context.Background()
	const q = "SELECT value, updated_at FROM settings WHERE key = ?"
	b.Run("cached", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			var v string
			var n int
			for pb.Next() {
				if err := d.QueryRow(ctx, q, "k042").Scan(&v, &n); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("unprepared", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			var v string
			var n int
			for pb.Next() {
				if err := d.read.QueryRowContext(ctx, q, "k042").Scan(&v, &n); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
