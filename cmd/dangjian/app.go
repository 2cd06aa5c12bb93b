package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/pii"
	"github.com/dangjian/dangjian/internal/wire"
)

// common are the flags every command takes.
type common struct {
	dbURL  string
	keyDir string
}

func addCommon(fs *flag.FlagSet) *common {
	c := &common{}
	def := os.Getenv("DANGJIAN_DB")
	if def == "" {
		def = db.DefaultURL
	}
	fs.StringVar(&c.dbURL, "db", def, "database: sqlite:PATH or postgres://… (env DANGJIAN_DB)")
	fs.StringVar(&c.keyDir, "key-dir", os.Getenv("DANGJIAN_KEY_DIR"), "folder of the audit key file (env DANGJIAN_KEY_DIR)")
	return c
}

func (c *common) keyFolder() string {
	if c.keyDir != "" {
		return c.keyDir
	}
	if e, p, err := db.ParseURL(c.dbURL); err == nil && e == db.SQLite {
		return filepath.Dir(p)
	}
	return "data"
}

// app is the wired platform.
type app struct {
	db    *db.DB
	clock clock.Clock
	trail *audit.Trail
	auth  *auth.Service
	orgs  *org.Service
	log   *slog.Logger
	wired *wire.Platform
}

type keyMode int

const (
	keyMustExist     keyMode = iota
	keyCreate                // setup, demo: make the key file if missing
	keyCreateIfFresh         // serve: make it only on a database with no audit entries yet
)

// open connects, migrates and wires everything.
func (c *common) open(ctx context.Context, km keyMode) (*app, error) {
	d, err := db.Open(ctx, c.dbURL, db.Options{})
	if err != nil {
		return nil, err
	}
	if _, err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	create := km == keyCreate
	if km == keyCreateIfFresh {
		var n int
		if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log").Scan(&n); err != nil {
			d.Close()
			return nil, err
		}
		create = n == 0
	}
	key, err := audit.LoadKey(c.keyFolder(), create)
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("audit key (%s in %s, or %s): %w", audit.KeyFile, c.keyFolder(), audit.EnvKey, err)
	}
	// The data key follows the audit key's rules, with one widening for serve: a deployment set up before
	// the roster sealed anything gets its data key on the next start (a fresh key loses nothing then).
	dataCreate := create
	if km == keyCreateIfFresh && !create {
		var n int
		if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM members WHERE id_number_enc <> '' OR phone_enc <> ''").Scan(&n); err != nil {
			d.Close()
			return nil, err
		}
		dataCreate = n == 0
	}
	dataKey, err := pii.LoadKey(c.keyFolder(), dataCreate)
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("data key (%s in %s, or %s): %w", pii.KeyFile, c.keyFolder(), pii.EnvKey, err)
	}
	if err := org.CheckDataKey(ctx, d, dataKey); err != nil {
		d.Close()
		return nil, fmt.Errorf("data key (%s in %s, or %s): %w", pii.KeyFile, c.keyFolder(), pii.EnvKey, err)
	}
	p := wire.New(d, key, dataKey, clock.Real{})
	return &app{wired: p, db: d, clock: p.Clock, trail: p.Trail, auth: p.Auth, orgs: p.Orgs,
		log: slog.New(slog.NewJSONHandler(os.Stderr, nil))}, nil
}

func (a *app) close() { a.db.Close() }
