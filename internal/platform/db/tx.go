package db

import (
	"context"
	"database/sql"
)

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Tx is a write transaction. Its methods take the transaction's own context: on SQLite a caller's
// cancellation must not interrupt a batch that other requests share, so work, once queued, runs to the
// end of its savepoint.
type Tx struct {
	ex         execer
	engine     Engine
	ctx        context.Context
	afterFuncs []func()
	sqlTx      *sql.Tx     // SQLite writer: the batch's transaction, to run prepared statements in
	ws         *writeStmts // SQLite writer: statements prepared on its connection; nil otherwise
	prepared   int         // statements this transaction ran through ws
}

// maxPreparedPerTx bounds how many statements one transaction runs through the writer's prepared
// statements: database/sql keeps every transaction-bound statement until the transaction ends, so a bulk
// import of 100,000 rows would hold 600,000 of them (≈ 90 MB). Past the bound statements run unprepared.
const maxPreparedPerTx = 4096

// on returns what runs q inside the transaction: the writer's prepared statement when there is one.
func (t *Tx) on(q string) execer {
	if t.ws != nil && t.prepared < maxPreparedPerTx {
		if st := t.ws.get(q); st != nil {
			t.prepared++
			return txStmt{t.sqlTx.StmtContext(t.ctx, st)}
		}
	}
	return t.ex
}

// Engine tells which engine the transaction runs on, for the few queries that differ.
func (t *Tx) Engine() Engine { return t.engine }

// Context is the context the write was requested with (values only; cancellation is ignored on SQLite).
func (t *Tx) Context() context.Context { return t.ctx }

// Exec runs a statement.
func (t *Tx) Exec(q string, args ...any) (sql.Result, error) {
	q = Rebind(t.engine, q)
	res, err := t.on(q).ExecContext(t.ctx, q, args...)
	return res, mapErr(err)
}

// ExecN runs a statement and returns the number of rows it changed.
func (t *Tx) ExecN(q string, args ...any) (int64, error) {
	res, err := t.Exec(q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Insert runs an INSERT … RETURNING id and returns the id.
func (t *Tx) Insert(q string, args ...any) (int64, error) {
	var id int64
	err := t.QueryRow(q+" RETURNING id", args...).Scan(&id)
	return id, err
}

// Query runs a query inside the transaction.
func (t *Tx) Query(q string, args ...any) (*sql.Rows, error) {
	q = Rebind(t.engine, q)
	rows, err := t.on(q).QueryContext(t.ctx, q, args...)
	return rows, mapErr(err)
}

// QueryRow runs a query that returns at most one row.
func (t *Tx) QueryRow(q string, args ...any) *Row {
	q = Rebind(t.engine, q)
	return &Row{row: t.on(q).QueryRowContext(t.ctx, q, args...)}
}

// AfterCommit registers f to run once the transaction is durably committed (not if it rolls back).
func (t *Tx) AfterCommit(f func()) { t.afterFuncs = append(t.afterFuncs, f) }

func (t *Tx) runAfterCommit() {
	for _, f := range t.afterFuncs {
		f()
	}
}
