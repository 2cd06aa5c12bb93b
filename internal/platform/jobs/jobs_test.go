package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func enqueue(t *testing.T, d *db.DB, kind, payload string, runAt time.Time, key string) int64 {
	t.Helper()
	var id int64
	err := d.Write(context.Background(), func(tx *db.Tx) error {
		var err error
		id, err = Enqueue(tx, kind, []byte(payload), runAt, key)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

type row struct {
	Kind, Status, LastError, LockedBy string
	DedupeKey                         *string
	Attempts                          int
	RunAt, DoneAt                     time.Time
}

func getRow(t *testing.T, d *db.DB, id int64) row {
	t.Helper()
	var r row
	var runAt, doneAt int64
	err := d.QueryRow(context.Background(), `SELECT kind, status, last_error, locked_by, dedupe_key, attempts, run_at, done_at
		FROM jobs WHERE id = ?`, id).Scan(&r.Kind, &r.Status, &r.LastError, &r.LockedBy, &r.DedupeKey, &r.Attempts, &runAt, &doneAt)
	if err != nil {
		t.Fatal(err)
	}
	r.RunAt, r.DoneAt = db.FromMillis(runAt), db.FromMillis(doneAt)
	return r
}

func count(t *testing.T, d *db.DB, where string, args ...any) int {
	t.Helper()
	var n int
	if err := d.QueryRow(context.Background(), "SELECT COUNT(*) FROM jobs WHERE "+where, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func runDue(t *testing.T, s *Scheduler, want int) {
	t.Helper()
	n, err := s.RunDue(context.Background())
	if err != nil {
		t.Fatalf("RunDue: %v", err)
	}
	if n != want {
		t.Fatalf("RunDue ran %d jobs, want %d", n, want)
	}
}

func TestBackoff(t *testing.T) {
	for attempts, want := range map[int]time.Duration{
		0: time.Minute, 1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute, 6: 32 * time.Minute,
		7: time.Hour, 8: time.Hour, 1000: time.Hour,
	} {
		if got := backoff(attempts); got != want {
			t.Errorf("backoff(%d) = %v, want %v", attempts, got, want)
		}
	}
}

func TestRunsOnceWhenDueAndNotBefore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := clock.NewFake(t0)
		s := New(d, clk, Options{Worker: "w1"})
		var got []Job
		s.Register("remind", func(ctx context.Context, j Job) error { got = append(got, j); return nil })

		id := enqueue(t, d, "remind", `{"meeting":7}`, t0.Add(10*time.Minute), "")
		runDue(t, s, 0)
		clk.Advance(10*time.Minute - time.Millisecond)
		runDue(t, s, 0)
		clk.Advance(time.Millisecond)
		runDue(t, s, 1)
		runDue(t, s, 0)
		clk.Advance(24 * time.Hour)
		runDue(t, s, 0)

		if len(got) != 1 {
			t.Fatalf("handler ran %d times, want 1", len(got))
		}
		j := got[0]
		if j.ID != id || j.Kind != "remind" || string(j.Payload) != `{"meeting":7}` || j.Attempts != 1 || !j.RunAt.Equal(t0.Add(10*time.Minute)) {
			t.Fatalf("handler saw %+v", j)
		}
		r := getRow(t, d, id)
		if r.Status != StatusDone || !r.DoneAt.Equal(t0.Add(10*time.Minute)) || r.Attempts != 1 || r.LockedBy != "w1" {
			t.Fatalf("row after success: %+v", r)
		}
	})
}

func TestEnqueueIsPartOfCallersTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		boom := errors.New("workflow change failed")
		err := d.Write(context.Background(), func(tx *db.Tx) error {
			if _, err := Enqueue(tx, "remind", nil, time.Time{}, "k"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if n := count(t, d, "1 = 1"); n != 0 {
			t.Fatalf("rolled-back enqueue left %d jobs", n)
		}
		// The zero time means due at once.
		s := New(d, clock.NewFake(t0), Options{})
		ran := 0
		s.Register("remind", func(context.Context, Job) error { ran++; return nil })
		enqueue(t, d, "remind", "", time.Time{}, "k")
		runDue(t, s, 1)
		if ran != 1 {
			t.Fatal("zero-time job did not run")
		}
	})
}

func TestEnqueueRejectsBadInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		for _, c := range []struct {
			kind    string
			payload []byte
		}{{"", nil}, {"k", []byte{0xff, 0xfe}}, {"k", []byte("a\x00b")}} {
			err := d.Write(context.Background(), func(tx *db.Tx) error {
				_, err := Enqueue(tx, c.kind, c.payload, t0, "")
				return err
			})
			if !errs.Is(err, errs.Invalid) {
				t.Errorf("Enqueue(%q, %q): want invalid, got %v", c.kind, c.payload, err)
			}
		}
	})
}

func TestDedupeKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		a := enqueue(t, d, "remind", "1", t0, "meeting:7:remind")
		b := enqueue(t, d, "remind", "2", t0.Add(time.Hour), "meeting:7:remind")
		if a != b {
			t.Fatalf("same key gave ids %d and %d", a, b)
		}
		// Twice in one transaction, too.
		var c1, c2 int64
		err := d.Write(context.Background(), func(tx *db.Tx) error {
			var err error
			if c1, err = Enqueue(tx, "remind", nil, t0, "meeting:8:remind"); err != nil {
				return err
			}
			c2, err = Enqueue(tx, "remind", nil, t0, "meeting:8:remind")
			return err
		})
		if err != nil || c1 != c2 || c1 == a {
			t.Fatalf("in-transaction dedupe: %d %d %v", c1, c2, err)
		}
		// No key: no dedupe.
		if enqueue(t, d, "remind", "", t0, "") == enqueue(t, d, "remind", "", t0, "") {
			t.Fatal("keyless jobs were deduplicated")
		}
		if n := count(t, d, "1 = 1"); n != 4 {
			t.Fatalf("%d jobs, want 4", n)
		}
		if r := getRow(t, d, a); r.Kind != "remind" || !r.RunAt.Equal(t0) {
			t.Fatalf("second enqueue changed the first job: %+v", r)
		}
		// The key stays taken after the job ran.
		s := New(d, clock.NewFake(t0), Options{})
		s.Register("remind", func(context.Context, Job) error { return nil })
		runDue(t, s, 4)
		if again := enqueue(t, d, "remind", "3", t0, "meeting:7:remind"); again != a {
			t.Fatalf("key of a done job gave a new id %d", again)
		}
		runDue(t, s, 0)
	})
}

func TestRetryWithBackoffThenFailed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := clock.NewFake(t0)
		s := New(d, clk, Options{})
		calls := 0
		s.Register("flaky", func(ctx context.Context, j Job) error {
			calls++
			if j.Attempts != calls {
				t.Errorf("call %d saw Attempts=%d", calls, j.Attempts)
			}
			return fmt.Errorf("smtp down (try %d)", j.Attempts)
		})
		id := enqueue(t, d, "flaky", "", t0, "")
		for attempt := 1; attempt <= 4; attempt++ {
			runDue(t, s, 1)
			r := getRow(t, d, id)
			wait := time.Minute << (attempt - 1)
			if r.Status != StatusPending || r.Attempts != attempt || !r.RunAt.Equal(clk.Now().Add(wait)) ||
				r.LastError != fmt.Sprintf("smtp down (try %d)", attempt) || r.LockedBy != "" {
				t.Fatalf("after attempt %d: %+v", attempt, r)
			}
			clk.Advance(wait - time.Millisecond)
			runDue(t, s, 0)
			clk.Advance(time.Millisecond)
		}
		runDue(t, s, 1) // the 5th and last attempt (max_attempts defaults to 5)
		r := getRow(t, d, id)
		if r.Status != StatusFailed || r.Attempts != 5 || !r.DoneAt.Equal(clk.Now()) || !strings.Contains(r.LastError, "try 5") {
			t.Fatalf("after last attempt: %+v", r)
		}
		clk.Advance(48 * time.Hour)
		runDue(t, s, 0)
		if calls != 5 {
			t.Fatalf("handler called %d times, want 5", calls)
		}
	})
}

func TestRetryThenSucceed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := clock.NewFake(t0)
		s := New(d, clk, Options{})
		s.Register("k", func(ctx context.Context, j Job) error {
			if j.Attempts < 3 {
				return errors.New("not yet")
			}
			return nil
		})
		id := enqueue(t, d, "k", "", t0, "")
		runDue(t, s, 1)
		clk.Advance(time.Minute)
		runDue(t, s, 1)
		clk.Advance(2 * time.Minute)
		runDue(t, s, 1)
		if r := getRow(t, d, id); r.Status != StatusDone || r.Attempts != 3 {
			t.Fatalf("%+v", r)
		}
	})
}

func TestPanicIsAFailure(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := clock.NewFake(t0)
		s := New(d, clk, Options{})
		s.Register("explode", func(ctx context.Context, j Job) error {
			if j.Attempts == 1 {
				panic("kaboom")
			}
			return nil
		})
		id := enqueue(t, d, "explode", "", t0, "")
		runDue(t, s, 1)
		r := getRow(t, d, id)
		if r.Status != StatusPending || r.Attempts != 1 || !strings.HasPrefix(r.LastError, "panic: kaboom") || !r.RunAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("after panic: %+v", r)
		}
		clk.Advance(time.Minute)
		runDue(t, s, 1)
		if r := getRow(t, d, id); r.Status != StatusDone {
			t.Fatalf("after recovery: %+v", r)
		}
	})
}

func TestUnknownKindFails(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := New(d, clock.NewFake(t0), Options{Worker: "w9"})
		id := enqueue(t, d, "nobody-handles-this", "", t0, "")
		runDue(t, s, 1)
		r := getRow(t, d, id)
		if r.Status != StatusFailed || r.LastError != `jobs: no handler registered for kind "nobody-handles-this" (worker w9)` {
			t.Fatalf("%+v", r)
		}
	})
}

func TestLeaseExpiryReclaim(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := clock.NewFake(t0)
		lease := 5 * time.Minute
		dead := New(d, clk, Options{Worker: "dead", Lease: lease})
		alive := New(d, clk, Options{Worker: "alive", Lease: lease})
		var ran []Job
		alive.Register("k", func(ctx context.Context, j Job) error { ran = append(ran, j); return nil })
		id := enqueue(t, d, "k", "", t0, "")

		// The dead worker claims the job and never runs or finishes it.
		cl, err := dead.claim(ctx)
		if err != nil || len(cl) != 1 || cl[0].ID != id {
			t.Fatalf("claim: %v %+v", err, cl)
		}
		if r := getRow(t, d, id); r.Status != StatusRunning || r.LockedBy != "dead" || r.Attempts != 1 {
			t.Fatalf("claimed: %+v", r)
		}
		runDue(t, alive, 0)
		clk.Advance(lease)
		runDue(t, alive, 0) // the lease still holds at its last instant
		clk.Advance(time.Millisecond)
		runDue(t, alive, 1)
		if len(ran) != 1 || ran[0].Attempts != 2 {
			t.Fatalf("reclaimed run: %+v", ran)
		}
		r := getRow(t, d, id)
		if r.Status != StatusDone || r.LockedBy != "alive" || !strings.Contains(r.LastError, "lease expired: worker dead") {
			t.Fatalf("after reclaim: %+v", r)
		}
		// The dead worker comes back late: its outcome is dropped.
		if err := dead.finish(ctx, cl[0], outcome{err: errors.New("late failure")}); err != nil {
			t.Fatal(err)
		}
		if r2 := getRow(t, d, id); r2 != r {
			t.Fatalf("stale finish changed the job: %+v", r2)
		}
	})
}

func TestLeaseExpiryOnLastAttemptFails(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := clock.NewFake(t0)
		dead := New(d, clk, Options{Worker: "dead", Lease: time.Minute})
		alive := New(d, clk, Options{Worker: "alive", Lease: time.Minute})
		calls := 0
		alive.Register("poison", func(context.Context, Job) error { calls++; return nil })
		id := enqueue(t, d, "poison", "", t0, "")
		for i := 1; i <= 5; i++ { // every attempt kills its worker
			if cl, err := dead.claim(ctx); err != nil || len(cl) != 1 || cl[0].Attempts != i {
				t.Fatalf("claim %d: %v %+v", i, err, cl)
			}
			clk.Advance(time.Minute + time.Millisecond)
		}
		runDue(t, alive, 1)
		r := getRow(t, d, id)
		if calls != 0 || r.Status != StatusFailed || !strings.Contains(r.LastError, "abandoned after 5 attempts") {
			t.Fatalf("calls=%d row=%+v", calls, r)
		}
	})
}

// Two schedulers on two separate handles of one database (two processes, in effect) drain 200 due jobs
// concurrently; every job must run exactly once.
func TestTwoSchedulersRunEachJobOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d1 *db.DB) {
		const total = 200
		ctx := context.Background()
		d2, err := db.Open(ctx, d1.URL(), db.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer d2.Close()

		clk := clock.NewFake(t0)
		err = d1.Write(ctx, func(tx *db.Tx) error {
			for i := range total {
				if _, err := Enqueue(tx, "count", []byte(fmt.Sprint(i)), t0.Add(-time.Duration(i)*time.Second), ""); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		var mu sync.Mutex
		runs := map[int64]int{}
		byWorker := map[string]int{}
		var done atomic.Int64
		deadline, cancel := context.WithTimeout(ctx, 2*time.Minute) // a hang guard, not an assertion
		defer cancel()
		// Each worker's first jobs wait until the other worker has claimed and started one too, so the two
		// certainly work side by side (SQLite's busy handler would otherwise let one drain the table alone).
		first := map[string]chan struct{}{"w1": make(chan struct{}), "w2": make(chan struct{})}
		once := map[string]*sync.Once{"w1": {}, "w2": {}}
		handler := func(worker, other string, h *db.DB) Handler {
			return func(ctx context.Context, j Job) error {
				once[worker].Do(func() { close(first[worker]) })
				select {
				case <-first[other]:
				case <-deadline.Done():
				}
				mu.Lock()
				runs[j.ID]++
				byWorker[worker]++
				mu.Unlock()
				done.Add(1)
				// Some work outside any lock, so that on SQLite the other handle gets the write lock between
				// claims instead of waiting in its busy handler until this one has drained the table.
				time.Sleep(time.Millisecond)
				// A real handler writes through its own handle; a duplicate run would also trip this key.
				return h.Write(ctx, func(tx *db.Tx) error {
					_, err := tx.Exec("INSERT INTO settings(key, value, updated_at) VALUES (?, ?, ?)", fmt.Sprint("ran:", j.ID), worker, 1)
					return err
				})
			}
		}
		var wg sync.WaitGroup
		loopErrs := make([]error, 2)
		for i, h := range []*db.DB{d1, d2} {
			name, other := fmt.Sprint("w", i+1), fmt.Sprint("w", 2-i)
			s := New(h, clk, Options{Worker: name, Batch: 7})
			s.Register("count", handler(name, other, h))
			wg.Go(func() {
				for done.Load() < total && deadline.Err() == nil {
					if _, err := s.RunDue(ctx); err != nil {
						loopErrs[i] = err
						return
					}
				}
			})
		}
		wg.Wait()
		if err := errors.Join(loopErrs...); err != nil {
			t.Fatal(err)
		}
		for id, n := range runs {
			if n != 1 {
				t.Errorf("job %d ran %d times", id, n)
			}
		}
		if len(runs) != total {
			t.Fatalf("%d distinct jobs ran, want %d", len(runs), total)
		}
		if n := count(t, d1, "status = ?", StatusDone); n != total {
			t.Fatalf("%d jobs done, want %d", n, total)
		}
		if byWorker["w1"] == 0 || byWorker["w2"] == 0 {
			t.Fatalf("one worker did everything: %v", byWorker)
		}
		t.Logf("runs per worker: %v", byWorker)
	})
}

func TestEveryReenqueuesItself(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := clock.NewFake(t0)
		s := New(d, clk, Options{})
		var ranAt []time.Time
		s.Every("sweep", time.Hour, func(ctx context.Context, j Job) error {
			ranAt = append(ranAt, clk.Now())
			if len(ranAt) == 3 {
				return errors.New("sweep broke")
			}
			return nil
		})
		pending := func() int {
			return count(t, d, "kind = 'sweep' AND status IN ('pending', 'running')")
		}
		runDue(t, s, 1) // first run at once
		if pending() != 1 || count(t, d, "kind = 'sweep' AND status = 'pending' AND run_at = ?", db.Millis(t0.Add(time.Hour))) != 1 {
			t.Fatalf("after first run: %d pending", pending())
		}
		runDue(t, s, 0)
		clk.Advance(59 * time.Minute)
		runDue(t, s, 0)
		clk.Advance(time.Minute)
		runDue(t, s, 1)

		// Another instance registering the same periodic kind adds no second pending run.
		other := New(d, clk, Options{Worker: "other"})
		other.Every("sweep", time.Hour, func(ctx context.Context, j Job) error {
			ranAt = append(ranAt, clk.Now())
			return nil
		})
		runDue(t, other, 0)
		runDue(t, s, 0)
		if pending() != 1 {
			t.Fatalf("%d pending runs with two instances", pending())
		}

		// A failed run is not retried with backoff, and the next tick is still scheduled.
		clk.Advance(time.Hour)
		runDue(t, s, 1)
		if pending() != 1 || count(t, d, "kind = 'sweep' AND status = 'failed' AND last_error = 'sweep broke'") != 1 {
			t.Fatalf("after failed run: %d pending", pending())
		}
		clk.Advance(time.Minute)
		runDue(t, s, 0)
		clk.Advance(59 * time.Minute)
		runDue(t, other, 1)

		// A worker that does not know the kind fails the run and keeps its key; the next poll of an
		// instance that knows it schedules a fresh run.
		clk.Advance(time.Hour)
		runDue(t, New(d, clk, Options{Worker: "old-version"}), 1)
		if pending() != 0 {
			t.Fatalf("%d pending after unknown-kind failure", pending())
		}
		runDue(t, s, 1)
		if pending() != 1 {
			t.Fatalf("%d pending after self-heal", pending())
		}
		want := []time.Time{t0, t0.Add(time.Hour), t0.Add(2 * time.Hour), t0.Add(3 * time.Hour), t0.Add(4 * time.Hour)}
		if fmt.Sprint(ranAt) != fmt.Sprint(want) {
			t.Fatalf("ran at %v, want %v", ranAt, want)
		}
		if n := count(t, d, "kind = 'sweep'"); n != 7 {
			t.Fatalf("%d sweep rows, want 7 (5 runs, 1 unknown-kind failure, 1 pending)", n)
		}
	})
}

func TestStartStop(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := clock.NewFake(t0)
		s := New(d, clk, Options{Poll: 5 * time.Millisecond})
		started := make(chan struct{})
		release := make(chan struct{})
		var finished atomic.Bool
		s.Register("slow", func(ctx context.Context, j Job) error {
			close(started)
			<-release
			finished.Store(true)
			return nil
		})
		id := enqueue(t, d, "slow", "", t0, "")
		s.Start(context.Background())
		s.Start(context.Background()) // no-op
		select {
		case <-started:
		case <-time.After(30 * time.Second):
			t.Fatal("the loop never ran the due job")
		}
		stopped := make(chan struct{})
		go func() { s.Stop(); close(stopped) }()
		close(release)
		<-stopped
		if !finished.Load() {
			t.Fatal("Stop returned before the running handler finished")
		}
		if r := getRow(t, d, id); r.Status != StatusDone {
			t.Fatalf("after Stop: %+v", r)
		}
		s.Stop() // idempotent
	})
}

func TestPruneRemovesOnlyOldFinishedJobs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		s := New(d, clk, Options{})
		s.Register("ok", func(context.Context, Job) error { return nil })
		for i := range 3 {
			if err := d.Write(ctx, func(tx *db.Tx) error {
				_, err := Enqueue(tx, "ok", nil, clk.Now(), fmt.Sprintf("k%d", i))
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		_ = d.Write(ctx, func(tx *db.Tx) error {
			_, err := Enqueue(tx, "ok", nil, clk.Now().Add(200*24*time.Hour), "future")
			return err
		})
		clk.Advance(100 * 24 * time.Hour)
		n, err := s.Prune(ctx, 90*24*time.Hour)
		if err != nil || n != 3 {
			t.Fatalf("pruned %d (%v), want 3", n, err)
		}
		var left int
		_ = d.QueryRow(ctx, "SELECT COUNT(*) FROM jobs").Scan(&left)
		if left != 1 {
			t.Fatalf("%d jobs left, want the pending one", left)
		}
	})
}
