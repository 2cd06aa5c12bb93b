package db

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds the cache: queries built with a varying number of placeholders (IN lists) must
// not grow it without end; past the bound new texts simply run unprepared.
const maxCachedStmts = 1024

// stmtCache keeps one prepared statement per query text. database/sql prepares a Stmt again on each
// pooled connection as needed, so one Stmt serves the whole read pool.
type stmtCache struct {
	mu     sync.RWMutex
	m      map[string]*sql.Stmt
	closed bool
}

func (c *stmtCache) get(ctx context.Context, pool *sql.DB, q string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.m[q]
	full, closed := len(c.m) >= maxCachedStmts, c.closed
	c.mu.RUnlock()
	if ok || full || closed {
		return st
	}
	// Prepared outside the lock; a query that fails to prepare runs unprepared and reports its error there.
	st, err := pool.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[q]; ok || c.closed {
		_ = st.Close()
		return old
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[q] = st
	return st
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		_ = st.Close()
	}
	c.m, c.closed = nil, true
}

// writeStmts keeps statements prepared on the SQLite writer's single connection. Only the writer
// goroutine uses it: inside a batch a known query runs through its prepared statement (database/sql
// reuses a statement prepared on the transaction's own connection); an unknown one runs unprepared and is
// remembered, to be prepared between batches, when the connection is free — preparing inside a batch
// would wait for the connection the batch holds.
type writeStmts struct {
	ready  map[string]*sql.Stmt
	wanted map[string]bool
}

func (w *writeStmts) get(q string) *sql.Stmt {
	st, ok := w.ready[q]
	if !ok && len(w.ready)+len(w.wanted) < maxCachedStmts {
		w.wanted[q] = true
	}
	return st
}

func (w *writeStmts) prepareWanted(ctx context.Context, pool *sql.DB) {
	if w == nil || len(w.wanted) == 0 {
		return
	}
	for q := range w.wanted {
		if st, err := pool.PrepareContext(ctx, q); err == nil {
			w.ready[q] = st
		}
		delete(w.wanted, q) // a query that fails to prepare keeps running unprepared
	}
}

// txStmt runs a transaction's statement with the execer interface (the query text is already bound).
type txStmt struct{ st *sql.Stmt }

func (s txStmt) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return s.st.ExecContext(ctx, args...)
}

func (s txStmt) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return s.st.QueryContext(ctx, args...)
}

func (s txStmt) QueryRowContext(ctx context.Context, _ string, args ...any) *sql.Row {
	return s.st.QueryRowContext(ctx, args...)
}
