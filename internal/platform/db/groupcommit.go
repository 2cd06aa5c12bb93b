package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// groupCommitter is the process's only writer (both engines). Requests queue their transaction functions; the writer takes
// whatever is queued (up to maxBatch), runs each in its own SAVEPOINT inside one BEGIN IMMEDIATE
// transaction, and answers every waiter after the single COMMIT. A function that fails is rolled back to
// its savepoint and does not spoil the others. With synchronous=FULL one fsync then covers many writes.
type groupCommitter struct {
	db       *sql.DB
	engine   Engine
	queue    chan *job
	maxBatch int
	wg       sync.WaitGroup
	closing  chan struct{}
	once     sync.Once
	commits  atomic.Int64
	txs      atomic.Int64
	stmts    *writeStmts // SQLite: statements prepared on the writer's connection; nil on PostgreSQL
}

type job struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
	tx   *Tx
}

var errClosed = errors.New("db: database is closed")

func newGroupCommitter(db *sql.DB, engine Engine, maxBatch int) *groupCommitter {
	if maxBatch <= 0 {
		maxBatch = 256
	}
	g := &groupCommitter{db: db, engine: engine, queue: make(chan *job, 4096), maxBatch: maxBatch, closing: make(chan struct{})}
	if engine == SQLite {
		g.stmts = &writeStmts{ready: map[string]*sql.Stmt{}, wanted: map[string]bool{}}
	}
	g.wg.Add(1)
	go g.loop()
	return g
}

func (g *groupCommitter) do(ctx context.Context, fn func(*Tx) error) error {
	j := &job{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case g.queue <- j:
	case <-g.closing:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, wait for the outcome even if ctx ends: the caller must learn whether it was committed.
	return <-j.done
}

func (g *groupCommitter) close() {
	g.once.Do(func() { close(g.closing) })
	g.wg.Wait()
}

func (g *groupCommitter) loop() {
	defer g.wg.Done()
	batch := make([]*job, 0, g.maxBatch)
	for {
		var first *job
		select {
		case first = <-g.queue:
		case <-g.closing:
			// Finish what is already queued, then stop.
			for {
				select {
				case j := <-g.queue:
					g.run([]*job{j})
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	drain:
		for len(batch) < g.maxBatch {
			select {
			case j := <-g.queue:
				batch = append(batch, j)
			default:
				break drain
			}
		}
		g.run(batch)
	}
}

func (g *groupCommitter) run(batch []*job) {
	ctx := context.Background()
	// Between batches the writer's connection is free: prepare what the last batches ran unprepared.
	defer g.stmts.prepareWanted(ctx, g.db)
	sqlTx, err := g.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE via _txlock
	if err != nil {
		for _, j := range batch {
			j.done <- mapErr(err)
		}
		return
	}
	results := make([]error, len(batch))
	broken := error(nil)
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			results[i] = err // the caller gave up before we started: do nothing for it
			continue
		}
		sp := fmt.Sprintf("j%d", i)
		if _, err := sqlTx.ExecContext(ctx, "SAVEPOINT "+sp); err != nil {
			broken = err
			break
		}
		j.tx = &Tx{ex: sqlTx, engine: g.engine, ctx: context.WithValue(context.WithoutCancel(j.ctx), writerKey{}, true), sqlTx: sqlTx, ws: g.stmts}
		if err := runFn(j.tx, j.fn); err != nil {
			results[i] = err
			j.tx.afterFuncs = nil
			if _, rerr := sqlTx.ExecContext(ctx, "ROLLBACK TO "+sp); rerr != nil {
				broken = rerr // SQLite already rolled the whole transaction back
				break
			}
		}
		if _, err := sqlTx.ExecContext(ctx, "RELEASE "+sp); err != nil {
			broken = err
			break
		}
	}
	if broken != nil {
		_ = sqlTx.Rollback()
		for _, j := range batch {
			j.done <- fmt.Errorf("db: write batch aborted: %w", mapErr(broken))
		}
		return
	}
	if err := sqlTx.Commit(); err != nil {
		for _, j := range batch {
			j.done <- mapErr(err)
		}
		return
	}
	g.commits.Add(1)
	g.txs.Add(int64(len(batch)))
	for i, j := range batch {
		if results[i] == nil && j.tx != nil {
			j.tx.runAfterCommit()
		}
		j.done <- results[i]
	}
}
