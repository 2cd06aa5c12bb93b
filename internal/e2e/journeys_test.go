package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dangjian/dangjian/internal/platform/auth"
)

// journey starts a browser test: it skips (fails in CI) at once without Chromium, then starts the
// platform and opens a tab on it. name prefixes the screenshots.
func journey(t *testing.T, name string) (*platform, *tab) {
	t.Helper()
	requireChromium(t)
	p := startPlatform(t)
	return p, newTab(t, p.URL, name)
}

// TestBrowserLoginHomeChinese: a Chinese browser logs in as the organisation administrator and sees the
// home page in Chinese, with no console errors, at desktop and phone widths.
func TestBrowserLoginHomeChinese(t *testing.T) {
	t.Parallel()
	p, tb := journey(t, "login-home-zh")
	admin := p.login(t, auth.OrgAdmin)

	if st := tb.open("/"); st != http.StatusOK {
		t.Fatalf("GET / anonymous: status %d, want 200 (the login page after a redirect)", st)
	}
	if got := tb.path(); got != "/login?next=%2F" {
		t.Errorf("anonymous / ended at %s, want /login?next=%%2F", got)
	}
	tb.shot("login-desktop")

	if st := tb.login(admin.Username, admin.Password); st != http.StatusOK {
		t.Fatalf("login: landed with status %d", st)
	}
	if got := tb.path(); got != "/" {
		t.Fatalf("after login at %s, want /", got)
	}
	var lang string
	tb.evalInto(`document.documentElement.lang`, &lang)
	if lang != "zh-CN" {
		t.Errorf(`<html lang> = %q, want "zh-CN"`, lang)
	}
	if h1 := tb.text("main h1"); !strings.Contains(h1, "您好") || !strings.Contains(h1, admin.Username) {
		t.Errorf("h1 = %q, want demo_admin，您好", h1)
	}
	scope := tb.text(".scope")
	for _, want := range []string{admin.Username, "组织管理员", rootOrgName} {
		if !strings.Contains(scope, want) {
			t.Errorf("scope bar %q lacks %q", scope, want)
		}
	}
	if nav := tb.text("nav.nav"); !strings.Contains(nav, "组织体系") || !strings.Contains(nav, "首页") {
		t.Errorf("navigation %q lacks 组织体系 / 首页", nav)
	}
	if date := tb.text("main > p.muted"); date != "今天是2026年3月10日" {
		t.Errorf("date line = %q, want 今天是2026年3月10日", date)
	}
	if title := tb.text("main .card h2"); !strings.Contains(title, rootOrgName) {
		t.Errorf("summary card title %q lacks the root organisation", title)
	}
	tb.shot("home-desktop")
	tb.noConsoleErrors("desktop", nil)

	tb.phone()
	if h1 := tb.text("main h1"); !strings.Contains(h1, "您好") {
		t.Errorf("phone: h1 = %q", h1)
	}
	tb.noHorizontalScroll("phone home")
	tb.shot("home-phone")
	tb.open("/orgs/" + orgIDFromNav(t, tb))
	tb.noHorizontalScroll("phone org page")
	tb.shot("org-phone")
	tb.noConsoleErrors("phone", nil)
}

// orgIDFromNav is the id in the navigation's link to the user's organisation page.
func orgIDFromNav(t *testing.T, tb *tab) string {
	t.Helper()
	var href string
	tb.evalInto(`document.querySelector('nav.nav a[href^="/orgs/"]')?.getAttribute('href') ?? ''`, &href)
	id, ok := strings.CutPrefix(href, "/orgs/")
	if !ok || id == "" {
		t.Fatalf("no link to /orgs/{id} in the navigation (got %q)", href)
	}
	return id
}

// TestBrowserLanguageSwitch: the header's links switch to traditional Chinese and then English; the
// choice holds on later pages and reloads.
func TestBrowserLanguageSwitch(t *testing.T) {
	t.Parallel()
	p, tb := journey(t, "language-switch")
	admin := p.login(t, auth.OrgAdmin)
	tb.login(admin.Username, admin.Password)
	if h1 := tb.text("main h1"); h1 != admin.Username+"，您好" {
		t.Fatalf("h1 before switching = %q", h1)
	}
	checkCurrentLang(t, tb, "zh-Hans")

	// 繁體
	if st := tb.click(`nav.langs a[hreflang="zh-Hant"]`); st != http.StatusOK {
		t.Fatalf("switch to zh-Hant: status %d", st)
	}
	if got := tb.path(); got != "/" {
		t.Errorf("after switching to zh-Hant at %s, want back at /", got)
	}
	checkLang(t, tb, "zh-TW", admin.Username+"，您好", "組織管理員", "組織體系")
	checkCurrentLang(t, tb, "zh-Hant")
	tb.shot("zh-hant-desktop")

	// English
	if st := tb.click(`nav.langs a[hreflang="en"]`); st != http.StatusOK {
		t.Fatalf("switch to en: status %d", st)
	}
	checkLang(t, tb, "en", "Hello, "+admin.Username, "Organisation administrator", "Organisations")
	if date := tb.text("main > p.muted"); date != "Today is 10 Mar 2026" {
		t.Errorf("English date line = %q, want Today is 10 Mar 2026", date)
	}
	checkCurrentLang(t, tb, "en")
	tb.shot("en-desktop")

	// It sticks: another page, a reload, and a fresh visit to /.
	tb.click(`nav.nav a[href^="/orgs/"]`)
	if h2 := tb.texts("main h2"); !slices.Contains(h2, "Sub-organisations") {
		t.Errorf("org page after switching: headings %q, want Sub-organisations", h2)
	}
	tb.do(chromedp.Reload())
	if nav := tb.text("nav.nav"); !strings.Contains(nav, "Organisations") {
		t.Errorf("org page after reload: nav %q is not English", nav)
	}
	tb.open("/")
	checkLang(t, tb, "en", "Hello, "+admin.Username, "Organisation administrator", "Organisations")
	tb.phone()
	tb.noHorizontalScroll("phone, English home")
	tb.shot("en-phone")
	tb.noConsoleErrors("language switch", nil)
}

// checkCurrentLang checks that the language switch marks exactly lang as the current one.
func checkCurrentLang(t *testing.T, tb *tab, lang string) {
	t.Helper()
	var cur []string
	tb.evalInto(`[...document.querySelectorAll('nav.langs a[aria-current="true"]')].map(a => a.hreflang)`, &cur)
	if !slices.Equal(cur, []string{lang}) {
		t.Errorf("the language switch marks %q as current, want just %s", cur, lang)
	}
}

// checkLang checks the home page's language markers.
func checkLang(t *testing.T, tb *tab, htmlLang, h1, role, nav string) {
	t.Helper()
	var lang string
	tb.evalInto(`document.documentElement.lang`, &lang)
	if lang != htmlLang {
		t.Errorf(`<html lang> = %q, want %q`, lang, htmlLang)
	}
	if got := tb.text("main h1"); got != h1 {
		t.Errorf("h1 = %q, want %q", got, h1)
	}
	if got := tb.text(".scope .scope-role"); got != role {
		t.Errorf("scope role = %q, want %q", got, role)
	}
	if got := tb.text("nav.nav"); !strings.Contains(got, nav) {
		t.Errorf("navigation %q lacks %q", got, nav)
	}
}

// TestBrowserWrongPasswordAndLogout: a wrong password is refused in Chinese with 401 and the username
// kept; the right one gets in; logging out ends the session so neither Back nor a new visit shows a
// signed-in page.
func TestBrowserWrongPasswordAndLogout(t *testing.T) {
	t.Parallel()
	p, tb := journey(t, "wrong-password-logout")
	admin := p.login(t, auth.OrgAdmin)

	if st := tb.login(admin.Username, admin.Password+"x"); st != http.StatusUnauthorized {
		t.Errorf("wrong password: status %d, want 401", st)
	}
	if got := tb.path(); got != "/login" {
		t.Errorf("wrong password: at %s, want /login", got)
	}
	if msg := tb.text(`section.login .error[role="alert"]`); msg != "用户名或密码不正确" {
		t.Errorf("error message = %q, want 用户名或密码不正确", msg)
	}
	var kept struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	tb.evalInto(`({username: document.querySelector('input[name=username]').value,
		password: document.querySelector('input[name=password]').value})`, &kept)
	if kept.Username != admin.Username {
		t.Errorf("username field after the error = %q, want %q kept", kept.Username, admin.Username)
	}
	if kept.Password != "" {
		t.Errorf("the password field was filled back in after the error")
	}
	tb.shot("error-desktop")
	// The same mistake on a phone.
	tb.asPhone()
	if st := tb.login(admin.Username, "wrong"); st != http.StatusUnauthorized {
		t.Errorf("wrong password on the phone: status %d, want 401", st)
	}
	tb.noHorizontalScroll("phone login error")
	tb.shot("error-phone")
	tb.asDesktop()
	// The refused POST is reported by Chromium as a failed load; that is the expected 401, not a bug.
	tb.noConsoleErrors("wrong password", func(msg string) bool {
		return strings.Contains(msg, "[network]") && strings.Contains(msg, "401")
	})

	// The username is still there: only the password is typed again.
	tb.typeInto(`section.login form input[name="password"]`, admin.Password)
	if st := tb.click(`section.login form button[type="submit"].primary`); st != http.StatusOK {
		t.Fatalf("right password: status %d", st)
	}
	if got := tb.path(); got != "/" {
		t.Fatalf("right password: at %s, want /", got)
	}
	if h1 := tb.text("main h1"); !strings.Contains(h1, admin.Username) {
		t.Errorf("home h1 = %q", h1)
	}

	// Log out.
	if st := tb.click("form.logout button"); st != http.StatusOK {
		t.Fatalf("logout: status %d", st)
	}
	if got := tb.path(); got != "/login" {
		t.Errorf("after logout at %s, want /login", got)
	}
	tb.shot("logged-out-desktop")

	// Back must not show the signed-in home page again, neither fetched (the session is gone) nor out
	// of the back/forward cache.
	t.Run("BackAfterLogout", func(t *testing.T) {
		tb := tb.with(t)
		how := tb.back()
		if got := tb.path(); !strings.HasPrefix(got, "/login") {
			t.Errorf("Back after logout shows %s (navigation type %s), want /login", got, how)
		}
		if n := len(tb.texts(".scope")); n != 0 {
			t.Errorf("Back after logout shows the signed-in page again, scope bar and all (navigation type %s)", how)
			tb.shot("back-after-logout-desktop")
		}
		if n := len(tb.texts("form.logout")); n != 0 {
			t.Errorf("Back after logout shows a logout button (navigation type %s)", how)
		}
	})
	// Nor does a fresh visit.
	tb.open("/")
	if got := tb.path(); got != "/login?next=%2F" {
		t.Errorf("/ after logout ended at %s, want /login?next=%%2F", got)
	}
	tb.noConsoleErrors("logout", nil)
}

// TestBrowserAuditAdminVerifies: the audit administrator opens the audit trail and verifies it.
func TestBrowserAuditAdminVerifies(t *testing.T) {
	t.Parallel()
	p, tb := journey(t, "audit-verify")
	auditor := p.login(t, auth.AuditAdmin)
	tb.login(auditor.Username, auditor.Password)
	if got := tb.text(".scope .scope-role"); got != "审计管理员" {
		t.Errorf("scope role = %q, want 审计管理员", got)
	}
	if st := tb.click(`nav.nav a[href="/audit"]`); st != http.StatusOK {
		t.Fatalf("open /audit: status %d", st)
	}
	if h1 := tb.text("main h1"); h1 != "审计日志" {
		t.Errorf("audit page h1 = %q", h1)
	}
	if rows := tb.texts("table.list tbody tr"); len(rows) == 0 {
		t.Errorf("the audit trail lists no entries (the demo load and the logins should be there)")
	}
	tb.shot("trail-desktop")

	btn := `form[action="/audit/verify"] button[type="submit"]`
	if label := tb.text(btn); label != "校验日志完整性" {
		t.Errorf("verify button = %q", label)
	}
	if st := tb.click(btn); st != http.StatusOK {
		t.Fatalf("verify: status %d", st)
	}
	msg := tb.text(`p.ok[role="status"]`)
	if !strings.Contains(msg, "日志完整") {
		t.Errorf("verify result = %q, want 日志完整…", msg)
	}
	if n := len(tb.texts(`.card .error[role="alert"]`)); n != 0 {
		t.Errorf("verify shows a problem")
	}
	tb.shot("verified-desktop")

	// Again on a phone.
	tb.asPhone()
	tb.open("/audit")
	if st := tb.click(btn); st != http.StatusOK {
		t.Fatalf("verify on the phone: status %d", st)
	}
	if msg := tb.text(`p.ok[role="status"]`); !strings.Contains(msg, "日志完整") {
		t.Errorf("verify result on the phone = %q", msg)
	}
	tb.noHorizontalScroll("phone audit page")
	tb.shot("verified-phone")
	tb.eval(`document.querySelector('table.list').scrollIntoView()`)
	tb.shot("trail-phone")
	tb.noConsoleErrors("audit", nil)
}
