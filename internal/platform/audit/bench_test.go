package audit

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
)

// eachEngine runs a benchmark on SQLite, and on PostgreSQL when DANGJIAN_TEST_PG is set.
func eachEngine(b *testing.B, fn func(b *testing.B, open func() *db.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, func() *db.DB { return dbtest.SQLite(b) }) })
	if dbtest.PGURL() != "" {
		b.Run("postgres", func(b *testing.B) { fn(b, func() *db.DB { return dbtest.Postgres(b) }) })
	}
}

// BenchmarkAppend: one entry per durable write transaction (sequential, and from parallel writers,
// where SQLite's group commit shares fsyncs), and the cost of Append alone inside a larger transaction.
func BenchmarkAppend(b *testing.B) {
	eachEngine(b, func(b *testing.B, open func() *db.DB) {
		ctx := WithActor(context.Background(), actor(1))
		b.Run("own-tx", func(b *testing.B) {
			e := newEnv(b, open())
			ev := event(1)
			b.ResetTimer()
			for b.Loop() {
				if err := e.tr.Record(ctx, ev); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("own-tx-parallel", func(b *testing.B) {
			e := newEnv(b, open())
			ev := event(1)
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := e.tr.Record(ctx, ev); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
		b.Run("in-tx", func(b *testing.B) {
			e := newEnv(b, open())
			ev := event(1)
			const perTx = 500
			b.ResetTimer()
			for done := 0; done < b.N; done += perTx {
				err := e.d.Write(ctx, func(tx *db.Tx) error {
					for i := done; i < min(done+perTx, b.N); i++ {
						if err := e.tr.Append(tx, ev); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkVerify verifies a 100k-entry log; ns/op is per log, entries/s is the rate.
func BenchmarkVerify(b *testing.B) {
	const n = 100_000
	eachEngine(b, func(b *testing.B, open func() *db.DB) {
		e := newEnv(b, open())
		e.bulk(b, n)
		if _, err := e.tr.Checkpoint(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			r, err := e.tr.Verify(context.Background())
			if err != nil || r.Problem != nil || r.Entries != n {
				b.Fatalf("%+v %v", r, err)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	})
}

// AL-06: verify a log of DANGJIAN_AUDIT_VERIFY_N entries (e.g. 1000000) and report the time. Off by
// default: building the log takes a while.
func TestAL06_VerifyLargeLog(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("DANGJIAN_AUDIT_VERIFY_N"))
	if n <= 0 {
		t.Skip("set DANGJIAN_AUDIT_VERIFY_N to run")
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		start := time.Now()
		e.bulk(t, n)
		t.Logf("built %d entries in %s", n, time.Since(start).Round(time.Millisecond))
		cpu0 := cpuTime()
		start = time.Now()
		r := e.verify(t)
		took := time.Since(start)
		cpu := cpuTime() - cpu0
		t.Logf("verified %d entries in %s wall, %s CPU of this process (%.0f entries/s)", r.Entries,
			took.Round(time.Millisecond), cpu.Round(time.Millisecond), float64(r.Entries)/took.Seconds())
		if r.Problem != nil || r.Entries != int64(n) {
			t.Fatalf("%+v", r)
		}
		if limit := time.Duration(n) * 30 * time.Microsecond; took > limit { // 30 s per million
			t.Errorf("verification took %s, over %s", took, limit)
		}
	})
}
