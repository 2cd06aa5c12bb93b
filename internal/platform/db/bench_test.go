package db_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
)

// Benchmarks of DB.Write: one small INSERT per write transaction, from one goroutine (every write waits
// for its own commit) and from 64 goroutines (on SQLite the group committer can put many writes under one
// COMMIT, i.e. one fsync under synchronous=FULL). They report tx/s and, on SQLite, the transactions per
// COMMIT from DB.Stats. PostgreSQL runs only when DANGJIAN_TEST_PG is set. Numbers and how to read them:
// docs/performance.md.
//
//	go test -run='^$' -bench=Write -benchtime=3s ./internal/platform/db/

const benchWriters = 64

var benchKey atomic.Int64

func benchInsert(ctx context.Context, d *db.DB) error {
	k := fmt.Sprintf("bench-%d", benchKey.Add(1))
	return d.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec("INSERT INTO settings(key, value, updated_at) VALUES (?, ?, ?)", k, "v", 1)
		return err
	})
}

// benchEngines runs fn once per engine, each on a fresh migrated database. "sqlite" is the platform as it
// ships (synchronous=FULL); "sqlite-normal" switches the writer connection to synchronous=NORMAL, only
// here, to check the claim that group commit makes FULL cost about what NORMAL does.
func benchEngines(b *testing.B, fn func(b *testing.B, d *db.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, dbtest.SQLite(b)) })
	b.Run("sqlite-normal", func(b *testing.B) { fn(b, sqliteNormal(b)) })
	if dbtest.PGURL() == "" && !dbtest.Strict() {
		return
	}
	b.Run("postgres", func(b *testing.B) { fn(b, dbtest.Postgres(b)) })
}

// sqliteNormal is a fresh SQLite database whose writer runs with synchronous=NORMAL. The write pool is the
// writer goroutine's single, never-recycled connection, so the PRAGMA sticks; it is checked to be sure.
func sqliteNormal(b *testing.B) *db.DB {
	d := dbtest.SQLite(b)
	ctx := context.Background()
	if err := d.Exec(ctx, "PRAGMA synchronous=NORMAL"); err != nil {
		b.Fatal(err)
	}
	var mode int
	if err := d.SQL().QueryRowContext(ctx, "PRAGMA synchronous").Scan(&mode); err != nil || mode != 1 {
		b.Fatalf("synchronous = %d, %v; want 1 (NORMAL)", mode, err)
	}
	return d
}

func reportWrites(b *testing.B, d *db.DB, commits0, txs0 int64) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "tx/s")
	}
	commits, txs := d.Stats()
	if dc := commits - commits0; dc > 0 { // SQLite only; on PostgreSQL every Write is its own COMMIT
		b.ReportMetric(float64(txs-txs0)/float64(dc), "tx/commit")
	}
}

func BenchmarkWriteSerial(b *testing.B) {
	benchEngines(b, func(b *testing.B, d *db.DB) {
		ctx := context.Background()
		c0, t0 := d.Stats()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := benchInsert(ctx, d); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		reportWrites(b, d, c0, t0)
	})
}

func BenchmarkWriteParallel(b *testing.B) {
	benchEngines(b, func(b *testing.B, d *db.DB) {
		ctx := context.Background()
		procs := runtime.GOMAXPROCS(0)
		b.SetParallelism((benchWriters + procs - 1) / procs) // ≈64 goroutines whatever GOMAXPROCS is
		var failed atomic.Pointer[error]
		c0, t0 := d.Stats()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := benchInsert(ctx, d); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
			}
		})
		b.StopTimer()
		if e := failed.Load(); e != nil {
			b.Fatal(*e)
		}
		reportWrites(b, d, c0, t0)
	})
}
