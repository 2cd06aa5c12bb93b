package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed migrations
var migrations embed.FS

func (d *DB) provider() (*goose.Provider, error) {
	dialect, dir := goose.DialectSQLite3, "migrations/sqlite"
	if d.engine == Postgres {
		dialect, dir = goose.DialectPostgres, "migrations/postgres"
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(dialect, d.write, sub)
}

// Migrate brings the schema up to date. It runs on start (serve) and from `migrate up`.
func (d *DB) Migrate(ctx context.Context) ([]string, error) {
	p, err := d.provider()
	if err != nil {
		return nil, err
	}
	res, err := p.Up(ctx)
	var done []string
	for _, r := range res {
		done = append(done, fmt.Sprintf("%05d %s", r.Source.Version, r.Source.Path))
	}
	if err != nil {
		return done, fmt.Errorf("db: migrate: %w", err)
	}
	return done, nil
}

// MigrationStatus lists each migration and whether it is applied.
func (d *DB) MigrationStatus(ctx context.Context) ([]string, error) {
	p, err := d.provider()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range st {
		out = append(out, fmt.Sprintf("%05d %-40s %s", s.Source.Version, s.Source.Path, s.State))
	}
	return out, nil
}

// MigrationVersions lists the embedded migration versions for an engine (for the parity test).
func MigrationVersions(e Engine) ([]string, error) {
	dir := "migrations/sqlite"
	if e == Postgres {
		dir = "migrations/postgres"
	}
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, nil
}
