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

// Writes through prepared statements on the writer's connection see and change the same data as
// unprepared ones, across batches, savepoint rollbacks and failing statements.
func TestWriterStatementCache(t *testing.T) {
	d := openSQLite(t)
	ctx := context.Background()
	if d.gc == nil || d.gc.stmts == nil {
		t.Fatal("the SQLite writer has no statement cache")
	}
	const upd = "UPDATE settings SET value = ? WHERE key = ?"
	for i := range 5 { // the first batch runs it unprepared; later ones through the prepared statement
		if err := d.Write(ctx, func(tx *Tx) error {
			_, err := tx.Exec(upd, fmt.Sprint("v", i), "k001")
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if d.gc.stmts.ready[upd] == nil {
		t.Fatal("a repeated write statement was not prepared")
	}
	// A failing job rolls back to its savepoint; the prepared statement keeps working after it.
	err := d.Write(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(upd, "lost", "k001"); err != nil {
			return err
		}
		return fmt.Errorf("job fails after its update")
	})
	if err == nil {
		t.Fatal("the failing job reported no error")
	}
	var v string
	if err := d.QueryRow(ctx, "SELECT value FROM settings WHERE key = 'k001'").Scan(&v); err != nil || v != "v4" {
		t.Fatalf("after a rolled-back job: %q %v, want v4", v, err)
	}
	if err := d.Write(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRow("SELECT COUNT(*) FROM settings WHERE value = ?", "v4").Scan(&n); err != nil || n != 1 {
			return fmt.Errorf("read in the writer: %d %v", n, err)
		}
		_, err := tx.Exec(upd, "v5", "k001")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := d.QueryRow(ctx, "SELECT value FROM settings WHERE key = 'k001'").Scan(&v); err != nil || v != "v5" {
		t.Fatalf("after the last write: %q %v", v, err)
	}
	// A bulk transaction runs at most maxPreparedPerTx statements prepared (database/sql holds each until
	// the transaction ends); the rest run unprepared, with the same effect.
	if err := d.Write(ctx, func(tx *Tx) error {
		for i := range maxPreparedPerTx + 10 {
			if _, err := tx.Exec(upd, fmt.Sprint("bulk", i), "k002"); err != nil {
				return err
			}
		}
		if tx.prepared != maxPreparedPerTx {
			return fmt.Errorf("%d statements ran prepared, want the bound %d", tx.prepared, maxPreparedPerTx)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := d.QueryRow(ctx, "SELECT value FROM settings WHERE key = 'k002'").Scan(&v); err != nil || v != fmt.Sprint("bulk", maxPreparedPerTx+9) {
		t.Fatalf("after the bulk write: %q %v", v, err)
	}
}

// BenchmarkWriteStatements: one write transaction of 200 small UPDATEs and SELECTs (the shape of an
// import or an audited change), with the writer's prepared statements and without (bare).
//
//	go test -run='^$' -bench=WriteStatements -benchtime=2s ./internal/platform/db/
func BenchmarkWriteStatements(b *testing.B) {
	for _, prepared := range []bool{true, false} {
		name := map[bool]string{true: "prepared", false: "unprepared"}[prepared]
		b.Run(name, func(b *testing.B) {
			d := openSQLite(b)
			if !prepared {
				d.gc.stmts = nil
			}
			ctx := context.Background()
			for b.Loop() {
				if err := d.Write(ctx, func(tx *Tx) error {
					for i := range 100 {
						k := fmt.Sprintf("k%03d", i)
						if _, err := tx.Exec("UPDATE settings SET updated_at = updated_at + 1 WHERE key = ?", k); err != nil {
							return err
						}
						var n int
						if err := tx.QueryRow("SELECT updated_at FROM settings WHERE key = ?", k).Scan(&n); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
