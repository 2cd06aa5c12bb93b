// Package jobs is the platform's small database-backed job scheduler: reminders and other background work
// are rows in the jobs table, enqueued inside the caller's own write transaction (so a reminder exists if
// and only if the workflow change that needs it was committed), claimed atomically by one worker at a time
// under a lease, retried with exponential backoff, and marked done or failed. It works unchanged on SQLite
// (where every write is already serialised) and on PostgreSQL (where several app instances share the table
// and claim with FOR UPDATE SKIP LOCKED).
//
// Delivery is at least once: a handler whose worker dies, or that outlives its lease, is run again, so
// handlers must be idempotent (or check in their own transaction whether their work is already done).
package jobs

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// Job statuses as stored in jobs.status.
const (
	StatusPending = "pending"
	StatusRunning = "running"
	StatusDone    = "done"
	StatusFailed  = "failed"
)

// Backoff bounds: the n-th failed attempt waits BackoffBase·2^(n-1), at most BackoffMax.
const (
	BackoffBase = time.Minute
	BackoffMax  = time.Hour
)

// maxErrorLen caps the stored last_error (bytes, before UTF-8 cleanup).
const maxErrorLen = 4000

// Job is one claimed job as a handler sees it.
type Job struct {
	ID       int64
	Kind     string
	Payload  []byte
	Attempts int       // 1 on the first run, counting this one
	RunAt    time.Time // when it was due
}

// Handler runs a job. A nil error marks it done; an error (or a panic) schedules a retry with backoff, or
// fails the job once it has used up its attempts. Handlers run outside any transaction and do their own
// writes with db.Write. ctx ends when the job's lease runs out.
type Handler func(ctx context.Context, j Job) error

// Options tune a Scheduler. Zero values take the defaults.
type Options struct {
	// Worker identifies this instance in jobs.locked_by (default hostname-pid-random).
	Worker string
	// Poll is how long Start waits between polls when there was nothing more to do (default 5s).
	Poll time.Duration
	// Batch is how many jobs one RunDue claims at most (default 20). They run concurrently.
	Batch int
	// Lease is how long a claimed job belongs to its worker; after that another worker may run it again
	// (default 5m). Handlers get a context that ends when the lease does.
	Lease time.Duration
	// Logger receives errors of the background loop (default slog.Default()).
	Logger *slog.Logger
}

// Scheduler claims due jobs from the database and runs their handlers. Several Schedulers — in one process
// or in several processes on one database — may run at once; each job is claimed by one at a time.
type Scheduler struct {
	db    *db.DB
	clock clock.Clock
	opts  Options

	mu       sync.RWMutex
	handlers map[string]Handler
	periodic map[string]time.Duration // kind → interval, for kinds registered with Every

	loopMu sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// New makes a scheduler; register handlers, then call Start (or RunDue from tests).
func New(d *db.DB, c clock.Clock, opts Options) *Scheduler {
	if opts.Worker == "" {
		opts.Worker = defaultWorker()
	}
	if opts.Poll <= 0 {
		opts.Poll = 5 * time.Second
	}
	if opts.Batch <= 0 {
		opts.Batch = 20
	}
	if opts.Lease <= 0 {
		opts.Lease = 5 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Scheduler{db: d, clock: c, opts: opts, handlers: map[string]Handler{}, periodic: map[string]time.Duration{}}
}

func defaultWorker() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Worker is the id this scheduler writes into jobs.locked_by.
func (s *Scheduler) Worker() string { return s.opts.Worker }

// Register sets the handler for kind. Registering a kind twice is a programming error and panics.
func (s *Scheduler) Register(kind string, h Handler) {
	if kind == "" || h == nil {
		panic("jobs: Register needs a kind and a handler")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.handlers[kind]; dup {
		panic(fmt.Sprintf("jobs: handler for kind %q registered twice", kind))
	}
	s.handlers[kind] = h
}

// Every registers h as a periodic job of the given kind. The first run is due as soon as the scheduler next
// polls; after each run — whether it succeeded or failed — the next one is enqueued at now+interval in the
// same transaction that closes the run. A periodic run is not retried with backoff: its next tick is the
// retry. The pending run is deduplicated by kind (key "every:"+kind), so however many instances register
// the same periodic kind, only one run is pending at a time.
func (s *Scheduler) Every(kind string, interval time.Duration, h Handler) {
	if interval <= 0 {
		panic("jobs: Every needs a positive interval")
	}
	s.Register(kind, h)
	s.mu.Lock()
	s.periodic[kind] = interval
	s.mu.Unlock()
}

// EveryKey is the dedupe key of the pending run of a periodic kind.
func EveryKey(kind string) string { return "every:" + kind }

// Enqueue adds a job inside the caller's transaction, so it is scheduled if and only if the caller's
// change commits. runAt is when it becomes due (the zero time means at once). payload must be UTF-8 text
// (JSON, typically; it is stored in a TEXT column) without NUL bytes. dedupeKey "" means none; with a key,
// enqueueing a key that any job — pending, running, done or failed — already carries is a no-op that
// returns the existing job's id, so put whatever makes a job distinct (ids, dates, a version) in the key.
func Enqueue(tx *db.Tx, kind string, payload []byte, runAt time.Time, dedupeKey string) (int64, error) {
	if kind == "" {
		return 0, errs.Wrap(errs.Invalid, "error.invalid", errors.New("jobs: empty kind"))
	}
	if !utf8.Valid(payload) || slices.Contains(payload, 0) {
		return 0, errs.Wrap(errs.Invalid, "error.invalid", errors.New("jobs: payload must be UTF-8 text without NUL bytes"))
	}
	var key any
	if dedupeKey != "" {
		key = dedupeKey
	}
	// created_at is informational only (nothing schedules by it) and Enqueue has no clock, so it is the
	// database's own time.
	var id int64
	err := tx.QueryRow(`INSERT INTO jobs(kind, payload, dedupe_key, status, run_at, created_at)
		VALUES (?, ?, ?, 'pending', ?, `+nowMillisSQL(tx.Engine())+`)
		ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
		kind, string(payload), key, db.Millis(runAt)).Scan(&id)
	if err == nil {
		return id, nil
	}
	if dedupeKey == "" || !errs.Is(err, errs.NotFound) {
		return 0, err
	}
	// The key exists: hand back its job. (On PostgreSQL a concurrent insert of the same key has committed
	// by now — ON CONFLICT waited for it — and read committed sees it.)
	err = tx.QueryRow("SELECT id FROM jobs WHERE dedupe_key = ?", dedupeKey).Scan(&id)
	return id, err
}

func nowMillisSQL(e db.Engine) string {
	if e == db.Postgres {
		return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
	}
	return "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
}

// backoff is the wait after the attempts-th failed attempt.
func backoff(attempts int) time.Duration {
	if attempts < 1 {
		attempts = 1
	}
	d := BackoffBase
	for i := 1; i < attempts; i++ {
		d *= 2
		if d >= BackoffMax {
			return BackoffMax
		}
	}
	return min(d, BackoffMax)
}

// claimed is a job this worker owns: attempts is the fencing token of the claim.
type claimed struct {
	Job
	maxAttempts int
}

const claimSQL = `UPDATE jobs SET status = 'running', locked_by = ?, locked_until_at = ?, attempts = attempts + 1,
	last_error = CASE WHEN status = 'running' THEN 'lease expired: worker ' || locked_by || ' did not finish' ELSE last_error END
WHERE id IN (SELECT id FROM jobs
	WHERE (status = 'pending' AND run_at <= ?) OR (status = 'running' AND locked_until_at < ?)
	ORDER BY run_at LIMIT ?%s)
RETURNING id, kind, payload, attempts, max_attempts, run_at`

// claim takes up to Batch due jobs (pending and due, or running with an expired lease) in one statement.
// On SQLite the write lock makes it atomic; on PostgreSQL FOR UPDATE SKIP LOCKED keeps two instances off
// the same rows.
func (s *Scheduler) claim(ctx context.Context) ([]claimed, error) {
	now := s.clock.Now()
	q := fmt.Sprintf(claimSQL, "")
	if s.db.Engine() == db.Postgres {
		q = fmt.Sprintf(claimSQL, " FOR UPDATE SKIP LOCKED")
	}
	var out []claimed
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		out = out[:0] // a retried fn must not keep rows of an earlier try
		rows, err := tx.Query(q, s.opts.Worker, db.Millis(now.Add(s.opts.Lease)), db.Millis(now), db.Millis(now), s.opts.Batch)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c claimed
			var payload string
			var runAt int64
			if err := rows.Scan(&c.ID, &c.Kind, &payload, &c.Attempts, &c.maxAttempts, &runAt); err != nil {
				return err
			}
			c.Payload = []byte(payload)
			c.RunAt = db.FromMillis(runAt)
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: claim: %w", err)
	}
	slices.SortFunc(out, func(a, b claimed) int {
		if c := a.RunAt.Compare(b.RunAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// RunDue claims the jobs that are due now (by the scheduler's clock), runs them concurrently and waits for
// them; it returns how many it claimed and ran (a job without a handler counts: it was failed). Errors are
// about the scheduler's own bookkeeping; handler errors are recorded on the job, not returned.
func (s *Scheduler) RunDue(ctx context.Context) (int, error) {
	perr := s.ensurePeriodic(ctx)
	jobs, err := s.claim(ctx)
	if err != nil {
		return 0, errors.Join(perr, err)
	}
	errsOut := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, c := range jobs {
		wg.Go(func() { errsOut[i] = s.run(ctx, c) })
	}
	wg.Wait()
	return len(jobs), errors.Join(append(errsOut, perr)...)
}

// outcome of one run, as finish records it.
type outcome struct {
	err       error
	permanent bool // fail now, do not retry
}

func (s *Scheduler) run(ctx context.Context, c claimed) error {
	s.mu.RLock()
	h := s.handlers[c.Kind]
	s.mu.RUnlock()
	var o outcome
	switch {
	case h == nil:
		o = outcome{err: fmt.Errorf("jobs: no handler registered for kind %q (worker %s)", c.Kind, s.opts.Worker), permanent: true}
	case c.Attempts > c.maxAttempts:
		// Its last allowed attempt was claimed and never finished (the worker died or overran its lease):
		// do not run it yet again — a job that kills its worker must not kill them all.
		o = outcome{err: fmt.Errorf("jobs: abandoned after %d attempts: the last attempt's lease expired", c.maxAttempts), permanent: true}
	default:
		hctx, cancel := context.WithTimeout(ctx, s.opts.Lease)
		o.err = callHandler(hctx, h, c.Job)
		cancel()
	}
	// Record the outcome even if ctx was cancelled meanwhile; otherwise the job would sit until its lease
	// runs out and then run again.
	return s.finish(context.WithoutCancel(ctx), c, o)
}

func callHandler(ctx context.Context, h Handler, j Job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return h(ctx, j)
}

// finish records the outcome of a run, provided this worker still owns the claim (same locked_by and
// attempts): if the lease ran out and another worker took the job over, the late result is dropped.
func (s *Scheduler) finish(ctx context.Context, c claimed, o outcome) error {
	now := s.clock.Now()
	s.mu.RLock()
	interval, periodic := s.periodic[c.Kind]
	s.mu.RUnlock()
	if o.permanent {
		periodic = false // an abandoned or unhandled job is not re-enqueued by this worker
	}
	const owned = " WHERE id = ? AND status = 'running' AND locked_by = ? AND attempts = ?"
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var n int64
		var err error
		switch {
		case o.err == nil && periodic:
			n, err = tx.ExecN("UPDATE jobs SET status = 'done', done_at = ?, dedupe_key = NULL, locked_until_at = 0"+owned,
				db.Millis(now), c.ID, s.opts.Worker, c.Attempts)
		case o.err == nil:
			n, err = tx.ExecN("UPDATE jobs SET status = 'done', done_at = ?, locked_until_at = 0"+owned,
				db.Millis(now), c.ID, s.opts.Worker, c.Attempts)
		case periodic:
			n, err = tx.ExecN("UPDATE jobs SET status = 'failed', done_at = ?, dedupe_key = NULL, locked_until_at = 0, last_error = ?"+owned,
				db.Millis(now), errText(o.err), c.ID, s.opts.Worker, c.Attempts)
		case o.permanent || c.Attempts >= c.maxAttempts:
			n, err = tx.ExecN("UPDATE jobs SET status = 'failed', done_at = ?, locked_until_at = 0, last_error = ?"+owned,
				db.Millis(now), errText(o.err), c.ID, s.opts.Worker, c.Attempts)
		default:
			n, err = tx.ExecN("UPDATE jobs SET status = 'pending', run_at = ?, locked_by = '', locked_until_at = 0, last_error = ?"+owned,
				db.Millis(now.Add(backoff(c.Attempts))), errText(o.err), c.ID, s.opts.Worker, c.Attempts)
		}
		if err != nil || n == 0 {
			return err // n == 0: the claim was lost to lease expiry; the new owner decides
		}
		if periodic {
			_, err = Enqueue(tx, c.Kind, nil, now.Add(interval), EveryKey(c.Kind))
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("jobs: record outcome of job %d (%s): %w", c.ID, c.Kind, err)
	}
	return nil
}

// errText makes an error storable: valid UTF-8, no NUL, bounded.
func errText(err error) string {
	s := err.Error()
	if len(s) > maxErrorLen {
		s = s[:maxErrorLen]
	}
	s = strings.ToValidUTF8(s, "�")
	return strings.ReplaceAll(s, "\x00", "")
}

// ensurePeriodic makes sure every kind registered with Every has a pending (or running) run. It reads
// first and writes only when a run is missing: on first start, or if a run was closed by a worker that
// did not know the kind and so left its key behind.
func (s *Scheduler) ensurePeriodic(ctx context.Context) error {
	s.mu.RLock()
	kinds := make([]string, 0, len(s.periodic))
	for k := range s.periodic {
		kinds = append(kinds, k)
	}
	s.mu.RUnlock()
	slices.Sort(kinds)
	var all []error
	for _, kind := range kinds {
		key := EveryKey(kind)
		var n int
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM jobs WHERE dedupe_key = ? AND status IN ('pending', 'running')", key).Scan(&n); err != nil {
			all = append(all, fmt.Errorf("jobs: check periodic %s: %w", kind, err))
			continue
		}
		if n > 0 {
			continue
		}
		now := s.clock.Now()
		err := s.db.Write(ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec("UPDATE jobs SET dedupe_key = NULL WHERE dedupe_key = ? AND status NOT IN ('pending', 'running')", key); err != nil {
				return err
			}
			_, err := Enqueue(tx, kind, nil, now, key)
			return err
		})
		if err != nil {
			all = append(all, fmt.Errorf("jobs: schedule periodic %s: %w", kind, err))
		}
	}
	return errors.Join(all...)
}

// Start polls for due jobs in a goroutine until ctx ends or Stop is called. When a poll found a full batch
// it polls again at once; otherwise it waits Poll. Starting a started scheduler does nothing.
func (s *Scheduler) Start(ctx context.Context) {
	s.loopMu.Lock()
	defer s.loopMu.Unlock()
	if s.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	s.cancel, s.done = cancel, make(chan struct{})
	go s.loop(ctx, s.done)
}

func (s *Scheduler) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// Handlers that have started are left to finish (bounded by their lease) rather than cancelled
		// half-way when the loop stops; Stop waits for them.
		n, err := s.RunDue(context.WithoutCancel(ctx))
		if err != nil {
			s.opts.Logger.Error("jobs: poll", "worker", s.opts.Worker, "err", err)
		}
		if err == nil && n >= s.opts.Batch {
			t.Reset(0)
		} else {
			t.Reset(s.opts.Poll)
		}
	}
}

// Stop ends the polling loop and waits for the handlers it is running. The scheduler can be started again.
func (s *Scheduler) Stop() {
	s.loopMu.Lock()
	cancel, done := s.cancel, s.done
	s.cancel, s.done = nil, nil
	s.loopMu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// Prune deletes jobs that finished (done or failed) before olderThan ago, with their dedupe keys: by
// then no reminder can be scheduled twice for a period that long past. It returns how many went.
func (s *Scheduler) Prune(ctx context.Context, olderThan time.Duration) (int64, error) {
	var n int64
	cutoff := db.Millis(s.clock.Now().Add(-olderThan))
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		n, err = tx.ExecN("DELETE FROM jobs WHERE status IN (?, ?) AND done_at > 0 AND done_at < ?", StatusDone, StatusFailed, cutoff)
		return err
	})
	return n, err
}
