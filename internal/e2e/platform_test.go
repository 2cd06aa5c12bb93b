package e2e

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/demo"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
	"github.com/dangjian/dangjian/internal/platform/pii"
	"github.com/dangjian/dangjian/internal/web"
	"github.com/dangjian/dangjian/internal/wire"
)

// today is the platform's fixed "now" in these tests: 9:00 in Shanghai on 10 March 2026.
var today = time.Date(2026, 3, 10, 9, 0, 0, 0, clock.Shanghai)

// rootOrgName is the demo city's root organisation.
const rootOrgName = "示例市直机关工委（演示）"

// platform is the whole application served on 127.0.0.1 for one test.
type platform struct {
	URL    string
	logins map[auth.Role]demo.Login
	log    *syncBuffer // the server's request log, printed when the test fails
}

// startPlatform wires the platform as cmd/dangjian does, on a fresh SQLite database with a small demo
// city and a fake clock, and serves it until the test ends.
func startPlatform(t *testing.T) *platform {
	t.Helper()
	start := time.Now()
	d := dbtest.SQLite(t)
	key, err := audit.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	dataKey, err := pii.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(today)
	wired := wire.New(d, key, dataKey, clk)
	ctx := audit.WithActor(context.Background(), audit.Actor{Username: "test"})
	res, err := demo.Load(ctx, wired, demo.Size{Committees: 2, Branches: 6, Members: 40}, 1, clock.Today(clk))
	if err != nil {
		t.Fatal(err)
	}
	logBuf := &syncBuffer{}
	srv, err := web.New(web.Deps{Platform: wired,
		Log: slog.New(slog.NewTextHandler(logBuf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler()) // listens on 127.0.0.1
	t.Cleanup(func() {
		ts.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", logBuf.String())
		}
	})
	p := &platform{URL: ts.URL, logins: map[auth.Role]demo.Login{}, log: logBuf}
	for _, l := range res.Logins {
		p.logins[l.Role] = l
	}
	for _, r := range []auth.Role{auth.OrgAdmin, auth.AuditAdmin} {
		if p.logins[r].Username == "" {
			t.Fatalf("the demo city has no %s login", r)
		}
	}
	t.Logf("platform with the demo city ready in %s", time.Since(start).Round(time.Millisecond))
	return p
}

// login is the demo account of role.
func (p *platform) login(t *testing.T, role auth.Role) demo.Login {
	t.Helper()
	l, ok := p.logins[role]
	if !ok {
		t.Fatalf("no demo login for %s", role)
	}
	return l
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
