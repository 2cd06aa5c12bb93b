package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/demo"
	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
	"github.com/dangjian/dangjian/internal/platform/pii"
	"github.com/dangjian/dangjian/internal/wire"
)

// env is the real platform behind the real router, on a real database, with a fake clock.
type env struct {
	t      *testing.T
	db     *db.DB
	clock  *clock.Fake
	trail  *audit.Trail
	auth   *auth.Service
	orgs   *org.Service
	srv    *Server
	ts     *httptest.Server
	logins map[auth.Role]demo.Login
	root   int64
	// A second committee admin and two branches in different committees, for scope tests.
	committeeA, committeeB int64
	branchA, branchB       int64
}

var t0 = time.Date(2026, 3, 10, 9, 0, 0, 0, clock.Shanghai)

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	key, err := audit.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	dataKey, err := pii.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(t0)
	p := wire.New(d, key, dataKey, clk)
	trail, a, o := p.Trail, p.Auth, p.Orgs
	ctx := audit.WithActor(context.Background(), audit.Actor{Username: "test"})
	res, err := demo.Load(ctx, p, demo.Size{Committees: 2, Branches: 6, Members: 30}, 7, clock.Today(clk))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Deps{Platform: p, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e := &env{t: t, db: d, clock: clk, trail: trail, auth: a, orgs: o, srv: srv, ts: ts, logins: map[auth.Role]demo.Login{}, root: res.RootID}
	for _, l := range res.Logins {
		e.logins[l.Role] = l
	}
	// The officer's branch is A; find its committee, and a branch under the other committee.
	officer, err := a.UserByName(ctx, "demo_officer")
	if err != nil {
		t.Fatal(err)
	}
	e.branchA = officer.OrgID
	path, _ := a.OrgPath(ctx, e.branchA)
	parts := strings.Split(strings.Trim(path, "/"), "/")
	e.committeeA = atoi(parts[1])
	rows, err := d.Query(ctx, "SELECT id FROM orgs WHERE kind = 'committee' AND id <> ? ORDER BY id", e.committeeA)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		_ = rows.Scan(&e.committeeB)
	}
	rows.Close()
	bpath, _ := a.OrgPath(ctx, e.committeeB)
	if err := d.QueryRow(ctx, "SELECT id FROM orgs WHERE kind = 'branch' AND path LIKE ? ORDER BY id LIMIT 1", bpath+"%").Scan(&e.branchB); err != nil {
		t.Fatal(err)
	}
	return e
}

func atoi(s string) int64 {
	var n int64
	for _, c := range s {
		n = n*10 + int64(c-'0')
	}
	return n
}

// forEachEngine runs fn with a fresh environment on every database under test.
func forEachEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) { fn(t, newEnv(t, d)) })
}

// client is a browser-like client with its own cookie jar that does not follow redirects.
type client struct {
	e    *env
	http *http.Client
	lang string
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type resp struct {
	status int
	header http.Header
	body   string
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("not JSON (%d): %s", r.status, r.body)
	}
}

func (c *client) do(method, path string, body io.Reader, hdr map[string]string) resp {
	c.e.t.Helper()
	req, err := http.NewRequest(method, c.e.ts.URL+path, body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (c *client) get(path string) resp { return c.do("GET", path, nil, nil) }

func (c *client) postForm(path string, form url.Values) resp {
	return c.do("POST", path, strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

func (c *client) sendJSON(method, path string, v any) resp {
	b, _ := json.Marshal(v)
	return c.do(method, path, strings.NewReader(string(b)), map[string]string{"Content-Type": "application/json"})
}

func (c *client) login(username, password string) resp {
	return c.postForm("/login", url.Values{"username": {username}, "password": {password}})
}

// as returns a client logged in with the demo login of role.
func (e *env) as(role auth.Role) *client {
	e.t.Helper()
	c := e.client()
	l := e.logins[role]
	if r := c.login(l.Username, l.Password); r.status != http.StatusSeeOther {
		e.t.Fatalf("login as %s: %d %s", role, r.status, r.body)
	}
	return c
}

func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.e.ts.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// auditCount counts trail entries with action.
func (e *env) auditCount(action string) int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRow(context.Background(), "SELECT COUNT(*) FROM audit_log WHERE action = ?", action).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// sqliteOnly is for tests of the web layer itself, where the engine makes no difference.
func sqliteOnly(t *testing.T) *db.DB { return dbtest.SQLite(t) }
