package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
)

func TestLoginShowsChineseHomeAndSetsSafeCookie(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.client()
		if r := c.get("/"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
			t.Fatalf("anonymous home: %d %s", r.status, r.header.Get("Location"))
		}
		l := e.logins[auth.OrgAdmin]
		r := c.login(l.Username, l.Password)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
			t.Fatalf("login: %d %q", r.status, r.header.Get("Location"))
		}
		sc := r.header.Get("Set-Cookie")
		for _, want := range []string{sessionCookie + "=", "HttpOnly", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(sc, want) {
				t.Errorf("session cookie %q lacks %s", sc, want)
			}
		}
		home := c.get("/")
		for _, want := range []string{"demo_admin，您好", "组织管理员", "示例市直机关工委（演示）", "今天是2026年3月10日", "退出", "繁體", "English"} {
			if !strings.Contains(home.body, want) {
				t.Errorf("home page lacks %q", want)
			}
		}
		if e.auditCount("auth.login") != 1 {
			t.Errorf("login not audited")
		}
	})
}

func TestLoginFailuresLockTheAccount(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		l := e.logins[auth.BranchOfficer]
		c := e.client()
		for i := range 4 {
			r := c.login(l.Username, "Wrong-pass-1")
			if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "用户名或密码不正确") {
				t.Fatalf("failure %d: %d", i+1, r.status)
			}
		}
		r := c.login(l.Username, "Wrong-pass-1")
		if !strings.Contains(r.body, "账号已临时锁定") {
			t.Fatalf("5th failure should lock: %d", r.status)
		}
		// Locked: even the right password is refused, for 30 minutes.
		e.clock.Advance(29 * time.Minute)
		if r := c.login(l.Username, l.Password); r.status != http.StatusUnauthorized {
			t.Fatalf("locked account logged in: %d", r.status)
		}
		e.clock.Advance(2 * time.Minute)
		if r := c.login(l.Username, l.Password); r.status != http.StatusSeeOther {
			t.Fatalf("after the lockout: %d", r.status)
		}
		if got := e.auditCount("auth.login_failed"); got != 5 {
			t.Errorf("login_failed audited %d times, want 5", got)
		}
		if e.auditCount("auth.lockout") != 1 || e.auditCount("auth.login_refused") != 1 {
			t.Errorf("lockout or refusal not audited")
		}
		// Unknown usernames get the same answer and are audited too.
		if r := c.login("nobody_here", "Wrong-pass-1"); r.status != http.StatusUnauthorized || !strings.Contains(r.body, "用户名或密码不正确") {
			t.Fatalf("unknown user: %d", r.status)
		}
	})
}

func TestFailuresOutsideTheWindowDoNotLock(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		l := e.logins[auth.Member]
		c := e.client()
		for range 4 {
			c.login(l.Username, "Wrong-pass-1")
		}
		e.clock.Advance(16 * time.Minute) // the 15-minute window has passed
		c.login(l.Username, "Wrong-pass-1")
		if r := c.login(l.Username, l.Password); r.status != http.StatusSeeOther {
			t.Fatalf("5 failures spread over more than 15 minutes locked the account: %d", r.status)
		}
	})
}

func TestSessionIdleTimeout(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.as(auth.OrgAdmin)
		e.clock.Advance(29 * time.Minute)
		if r := c.get("/api/v1/me"); r.status != http.StatusOK {
			t.Fatalf("29 minutes idle: %d", r.status)
		}
		e.clock.Advance(31 * time.Minute)
		if r := c.get("/api/v1/me"); r.status != http.StatusUnauthorized {
			t.Fatalf("31 minutes idle: %d", r.status)
		}
		if e.auditCount("auth.session_expired") != 1 {
			t.Error("expiry not audited")
		}
	})
}

func TestSessionAbsoluteTimeout(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.as(auth.OrgAdmin)
		for elapsed := time.Duration(0); elapsed < 12*time.Hour-20*time.Minute; elapsed += 20 * time.Minute {
			e.clock.Advance(20 * time.Minute)
			if r := c.get("/api/v1/me"); r.status != http.StatusOK {
				t.Fatalf("active session ended after %s: %d", elapsed+20*time.Minute, r.status)
			}
		}
		e.clock.Advance(25 * time.Minute) // now past 12 hours since login, though active
		if r := c.get("/api/v1/me"); r.status != http.StatusUnauthorized {
			t.Fatalf("session outlived 12 hours: %d", r.status)
		}
	})
}

func TestLogoutReplayIsRefused(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.as(auth.BranchOfficer)
		stolen := c.cookie(sessionCookie)
		if r := c.postForm("/logout", nil); r.status != http.StatusSeeOther {
			t.Fatalf("logout: %d", r.status)
		}
		replay := e.client()
		r := replay.do("GET", "/api/v1/me", nil, map[string]string{"Cookie": sessionCookie + "=" + stolen})
		if r.status != http.StatusUnauthorized {
			t.Fatalf("replayed cookie after logout: %d", r.status)
		}
		if e.auditCount("auth.logout") != 1 {
			t.Error("logout not audited")
		}
	})
}

func TestSessionIDRotatedAtLogin(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.as(auth.OrgAdmin)
		before := c.cookie(sessionCookie)
		l := e.logins[auth.OrgAdmin]
		c.login(l.Username, l.Password)
		after := c.cookie(sessionCookie)
		if before == after || after == "" {
			t.Fatal("session id not rotated")
		}
		old := e.client().do("GET", "/api/v1/me", nil, map[string]string{"Cookie": sessionCookie + "=" + before})
		if old.status != http.StatusUnauthorized {
			t.Fatalf("pre-login session still valid: %d", old.status)
		}
	})
}

func TestCrossOriginWritesAreRejected(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.as(auth.OrgAdmin)
		cases := []struct {
			name string
			hdr  map[string]string
		}{
			{"sec-fetch-site cross-site", map[string]string{"Sec-Fetch-Site": "cross-site"}},
			{"foreign origin", map[string]string{"Origin": "http://evil.example"}},
		}
		for _, tc := range cases {
			hdr := map[string]string{"Content-Type": "application/json"}
			for k, v := range tc.hdr {
				hdr[k] = v
			}
			r := c.do("POST", "/api/v1/orgs", strings.NewReader(`{"parent_id":1,"kind":"committee","name":"跨站创建的组织"}`), hdr)
			if r.status != http.StatusForbidden {
				t.Errorf("%s: %d", tc.name, r.status)
			}
			r = c.do("POST", "/logout", nil, tc.hdr)
			if r.status != http.StatusForbidden {
				t.Errorf("%s logout: %d", tc.name, r.status)
			}
		}
		// Same-origin browser requests pass.
		r := c.do("POST", "/api/v1/orgs", strings.NewReader(`{"parent_id":1,"kind":"committee","name":"同源创建的组织"}`),
			map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin"})
		if r.status != http.StatusCreated {
			t.Fatalf("same-origin write: %d %s", r.status, r.body)
		}
	})
}

func TestPersonalAccessTokens(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		tok, err := e.auth.CreateToken(ctx, "demo_officer", 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		_ = e.db.QueryRow(ctx, "SELECT COUNT(*) FROM tokens WHERE hash = ?", tok).Scan(&n)
		if n != 0 {
			t.Fatal("token stored in clear")
		}
		c := e.client()
		bearer := map[string]string{"Authorization": "Bearer " + tok}
		r := c.do("GET", "/api/v1/me", nil, bearer)
		var me meResponse
		r.json(t, &me)
		if r.status != 200 || me.Username != "demo_officer" || me.Roles[0] != "branch_officer" || me.OrgID != e.branchA || me.MemberID != nil {
			t.Fatalf("me: %d %+v", r.status, me)
		}
		// Tokens need no CSRF protection: no cookie is involved.
		r = c.do("POST", "/api/v1/orgs", strings.NewReader(`{"parent_id":1,"kind":"committee","name":"令牌无权创建"}`), bearer)
		if r.status != http.StatusForbidden {
			t.Fatalf("officer creating a committee: %d", r.status)
		}
		for name, h := range map[string]string{"unknown": "Bearer djp_0000", "malformed": "Basic abc", "not ours": "Bearer xyz"} {
			if r := c.do("GET", "/api/v1/me", nil, map[string]string{"Authorization": h}); r.status != http.StatusUnauthorized {
				t.Errorf("%s token: %d", name, r.status)
			}
		}
		// A revoked token, and any token of a disabled account, stop working at once.
		for _, c2 := range []struct{ name, set, undo string }{
			{"revoked", "UPDATE tokens SET revoked_at = 1", "UPDATE tokens SET revoked_at = 0"},
			{"account disabled", "UPDATE users SET disabled = TRUE WHERE username = 'demo_officer'", "UPDATE users SET disabled = FALSE WHERE username = 'demo_officer'"},
		} {
			if err := e.db.Write(ctx, func(tx *db.Tx) error { _, err := tx.Exec(c2.set); return err }); err != nil {
				t.Fatal(err)
			}
			if r := c.do("GET", "/api/v1/me", nil, bearer); r.status != http.StatusUnauthorized {
				t.Fatalf("%s token: %d", c2.name, r.status)
			}
			if err := e.db.Write(ctx, func(tx *db.Tx) error { _, err := tx.Exec(c2.undo); return err }); err != nil {
				t.Fatal(err)
			}
		}
		if r := c.do("GET", "/api/v1/me", nil, bearer); r.status != http.StatusOK {
			t.Fatalf("token after undoing: %d", r.status)
		}
		e.clock.Advance(24*time.Hour + time.Second)
		if r := c.do("GET", "/api/v1/me", nil, bearer); r.status != http.StatusUnauthorized {
			t.Fatalf("expired token: %d", r.status)
		}
	})
}

func TestMeForMemberHasMemberID(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		var me meResponse
		e.as(auth.Member).get("/api/v1/me").json(t, &me)
		if me.MemberID == nil || *me.MemberID == 0 || me.Roles[0] != "member" {
			t.Fatalf("member me: %+v", me)
		}
	})
}

func TestLoginRedirectStaysOnSite(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		l := e.logins[auth.OrgAdmin]
		for next, want := range map[string]string{"/audit": "/audit", "//evil.example/": "/", "https://evil.example": "/", "/\\evil": "/"} {
			r := e.client().postForm("/login", url.Values{"username": {l.Username}, "password": {l.Password}, "next": {next}})
			if got := r.header.Get("Location"); got != want {
				t.Errorf("next=%q → %q, want %q", next, got, want)
			}
		}
	})
}

func TestPasswordChangeAndExpiry(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		l := e.logins[auth.BranchOfficer]
		c := e.as(auth.BranchOfficer)
		other := e.as(auth.BranchOfficer) // a second device
		bad := []struct{ current, next, field, msg string }{
			{"Wrong-current-1", "New-strong-pass-1", "current_password", "当前密码不正确"},
			{l.Password, "short", "password", "密码至少8位"},
			{l.Password, "alllowercaseletters", "password", "至少3类"},
			{l.Password, "Demo_officer-2026", "password", "不能包含用户名"},
			{l.Password, l.Password, "password", "不能与当前密码相同"},
		}
		for _, b := range bad {
			r := c.postForm("/account/password", url.Values{"current_password": {b.current}, "password": {b.next}})
			if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, b.msg) {
				t.Errorf("change to %q: %d, want 422 with %q", b.next, r.status, b.msg)
			}
		}
		if r := c.postForm("/account/password", url.Values{"current_password": {l.Password}, "password": {"New-strong-pass-1"}}); r.status != http.StatusSeeOther {
			t.Fatalf("change: %d %s", r.status, r.body)
		}
		if r := other.get("/api/v1/me"); r.status != http.StatusUnauthorized {
			t.Errorf("other device still logged in after a password change: %d", r.status)
		}
		if r := e.client().login(l.Username, l.Password); r.status != http.StatusUnauthorized {
			t.Errorf("old password still works")
		}
		if e.auditCount("auth.password_change") != 1 {
			t.Error("password change not audited")
		}
		// 等保: after 90 days the password must be changed before anything else.
		e.clock.Advance(91 * 24 * time.Hour)
		c2 := e.client()
		c2.login(l.Username, "New-strong-pass-1")
		if r := c2.get("/"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/account/password" {
			t.Fatalf("expired password: home %d %q", r.status, r.header.Get("Location"))
		}
		if r := c2.get("/api/v1/me"); r.status != http.StatusForbidden {
			t.Fatalf("expired password: API %d", r.status)
		}
		if r := c2.get("/account/password"); r.status != 200 || !strings.Contains(r.body, "已超过有效期") {
			t.Fatalf("expired password page: %d", r.status)
		}
		c2.postForm("/account/password", url.Values{"current_password": {"New-strong-pass-1"}, "password": {"Newer-strong-pass-2"}})
		if r := c2.get("/"); r.status != http.StatusOK {
			t.Fatalf("after changing the expired password: %d", r.status)
		}
	})
}
