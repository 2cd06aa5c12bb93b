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
