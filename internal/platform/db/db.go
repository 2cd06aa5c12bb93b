// Package db opens the platform's database — embedded SQLite by default, PostgreSQL when a deployment
// outgrows one machine — runs the embedded migrations, and offers one way to write: DB.Write, which runs a
// function in a transaction. On SQLite every write goes through a single writer goroutine that commits
// concurrent transactions together (group commit), so synchronous=FULL stays fast. See
// docs/decisions/0002-database.md.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

// Engine names a database engine.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// DefaultURL is where the platform keeps its data when nothing else is said.
const DefaultURL = "sqlite:./data/dangjian.db"

// DB is the platform's handle on its database.
type DB struct {
	engine Engine
	url    string
	read   *sql.DB // read pool
	write  *sql.DB // SQLite: one connection used only by the writer goroutine; PostgreSQL: same as read
	gc     *groupCommitter
	path   string // SQLite file path
	stmts  stmtCache
}

// Options tune Open.
type Options struct {
	// ReadConns is the size of the SQLite read pool (default: max(4, GOMAXPROCS)).
	ReadConns int
	// MaxBatch caps how many queued write transactions one SQLite commit takes (default 256).
	MaxBatch int
}

// ParseURL splits a --db value into engine and driver data source.
func ParseURL(url string) (Engine, string, error) {
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		p := strings.TrimPrefix(url, "sqlite:")
		p = strings.TrimPrefix(p, "//")
		if p == "" {
			return "", "", fmt.Errorf("db: empty SQLite path in %q", url)
		}
		return SQLite, p, nil
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return Postgres, url, nil
	}
	return "", "", fmt.Errorf("db: unsupported database URL %q (want sqlite:PATH or postgres://…)", url)
}

// Open connects to the database named by url. It does not migrate; call Migrate.
func Open(ctx context.Context, url string, opt Options) (*DB, error) {
	engine, dsn, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	d := &DB{engine: engine, url: url}
	switch engine {
	case SQLite:
		if err := d.openSQLite(ctx, dsn, opt); err != nil {
			return nil, err
		}
	case Postgres:
		pool, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, err
		}
		pool.SetMaxOpenConns(16)
		pool.SetMaxIdleConns(16)
		pool.SetConnMaxIdleTime(5 * time.Minute)
		if err := pool.PingContext(ctx); err != nil {
			pool.Close()
			return nil, fmt.Errorf("db: cannot reach PostgreSQL: %w", err)
		}
		d.read, d.write = pool, pool
		d.gc = newGroupCommitter(pool, Postgres, opt.MaxBatch)
	}
	return d, nil
}

func sqliteDSN(path string, immediate bool) string {
	// synchronous=FULL: no acknowledged write is lost on power loss; group commit keeps it fast.
	q := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=foreign_keys(ON)&_time_format=sqlite"
	if immediate {
		q += "&_txlock=immediate"
	}
	return "file:" + escapePath(path) + "?" + q
}

// escapePath keeps a file name with '?', '#' or '%' from being read as part of the URI's query.
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

func (d *DB) openSQLite(ctx context.Context, path string, opt Options) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("db: create data directory: %w", err)
		}
	}
	d.path = path
	w, err := sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		return err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return fmt.Errorf("db: open SQLite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", sqliteDSN(path, false)+"&_pragma=query_only(ON)")
	if err != nil {
		w.Close()
		return err
	}
	n := opt.ReadConns
	if n <= 0 {
		n = max(4, runtime.GOMAXPROCS(0))
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	d.read, d.write = r, w
	d.gc = newGroupCommitter(w, SQLite, opt.MaxBatch)
	return nil
}

// Engine tells which engine this is.
func (d *DB) Engine() Engine { return d.engine }

// URL is the URL the database was opened with.
func (d *DB) URL() string { return d.url }

// Path is the SQLite file path ("" on PostgreSQL).
func (d *DB) Path() string { return d.path }

// Close stops the writer and closes the pools.
func (d *DB) Close() error {
	if d.gc != nil {
		d.gc.close()
	}
	d.stmts.close()
	var errs []error
	if d.write != d.read {
		errs = append(errs, d.write.Close())
	}
	errs = append(errs, d.read.Close())
	return errors.Join(errs...)
}

// Stats of the group committer: commits and transactions so far.
func (d *DB) Stats() (commits, txs int64) {
	if d.gc == nil {
		return 0, 0
	}
	return d.gc.commits.Load(), d.gc.txs.Load()
}

type writerKey struct{}

// Write runs fn in a write transaction and returns once it is durably committed (or failed). If fn returns
// an error nothing it did is kept. fn must not call Write itself (it would wait on itself); use the tx.
func (d *DB) Write(ctx context.Context, fn func(*Tx) error) error {
	if ctx.Value(writerKey{}) != nil {
		return errors.New("db: Write called inside a write transaction")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return d.gc.do(ctx, fn)
}

func runFn(tx *Tx, fn func(*Tx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("db: panic in write transaction: %v", r)
		}
	}()
	return fn(tx)
}

// Query runs a read query on the read pool.
func (d *DB) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := d.readStmt(ctx, q); st != nil {
		rows, err := st.QueryContext(ctx, args...)
		return rows, mapErr(err)
	}
	rows, err := d.read.QueryContext(ctx, d.rebind(q), args...)
	return rows, mapErr(err)
}

// QueryRow runs a read query that returns at most one row.
func (d *DB) QueryRow(ctx context.Context, q string, args ...any) *Row {
	if st := d.readStmt(ctx, q); st != nil {
		return &Row{row: st.QueryRowContext(ctx, args...)}
	}
	return &Row{row: d.read.QueryRowContext(ctx, d.rebind(q), args...)}
}

// readStmt returns the read pool's prepared statement for q on SQLite, where parsing is a large share of
// a short read's cost (pgx caches prepared statements itself). nil means: run q unprepared.
func (d *DB) readStmt(ctx context.Context, q string) *sql.Stmt {
	if d.engine != SQLite {
		return nil
	}
	return d.stmts.get(ctx, d.read, q)
}

// Exec runs a statement outside any transaction of ours — for operators' tools (VACUUM INTO), never for
// business writes, which go through Write.
func (d *DB) Exec(ctx context.Context, q string, args ...any) error {
	_, err := d.write.ExecContext(ctx, d.rebind(q), args...)
	return mapErr(err)
}

// SQL exposes the underlying pool for migrations and tests.
func (d *DB) SQL() *sql.DB { return d.write }

func (d *DB) rebind(q string) string { return Rebind(d.engine, q) }

// Rebind turns ? placeholders into $1, $2 … for PostgreSQL. Queries must not contain a literal '?'.
func Rebind(e Engine, q string) string {
	if e != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// Row wraps sql.Row so that driver errors come back mapped.
type Row struct{ row *sql.Row }

// Scan copies the row's columns into dest; no row is errs.NotFound.
func (r *Row) Scan(dest ...any) error { return mapErr(r.row.Scan(dest...)) }
