package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/dangjian/dangjian/internal/platform/dbtest"
)

// Time limits: a step is a page load on 127.0.0.1, a query or a screenshot, and anything near these
// limits is a hang, not a slow machine.
const (
	startTimeout = 60 * time.Second // Chromium's start
	stepTimeout  = 15 * time.Second // one step
)

// Screen sizes.
const (
	desktopW, desktopH = 1366, 900
	phoneW, phoneH     = 390, 844 // an iPhone 12–15 in CSS pixels
	phoneScale         = 2
)

// envChromium names the browser binary to use instead of "chromium" on PATH.
const envChromium = "DANGJIAN_CHROMIUM"

// chromiumPath finds the browser: $DANGJIAN_CHROMIUM when set (a path or a name on PATH), else
// chromium on PATH, else Debian's /usr/bin/chromium.
func chromiumPath() (string, error) {
	if p := os.Getenv(envChromium); p != "" {
		found, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("%s=%s: %w", envChromium, p, err)
		}
		return found, nil
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, nil
	}
	if p, err := exec.LookPath("/usr/bin/chromium"); err == nil {
		return p, nil
	}
	return "", errors.New("chromium is not installed (run scripts/install-browser-deps, or set " + envChromium + ")")
}

// requireChromium skips the test when there is no browser, and fails it in CI (DANGJIAN_STRICT=1).
func requireChromium(t *testing.T) string {
	t.Helper()
	p, err := chromiumPath()
	if err != nil {
		if dbtest.Strict() {
			t.Fatalf("DANGJIAN_STRICT=1 and the browser tests cannot run: %v", err)
		}
		t.Skipf("browser tests skipped: %v", err)
	}
	return p
}

// screenshotDir is $DANGJIAN_SCREENSHOTS when set, else the test's temporary folder.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("DANGJIAN_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The package shares one headless Chromium, started by the first test that needs it and stopped by
// TestMain; each test works in its own browser context (its own cookies and cache), so the tests stay
// independent and may run in parallel, while the browser's start (seconds on a busy machine) is paid
// once.
var shared struct {
	once   sync.Once
	ctx    context.Context // the browser's first tab; the browser lives as long as it
	err    error
	stop   func()
	took   time.Duration
	logged atomic.Bool // the start was logged, by the first test to open a tab
	binary string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.stop != nil {
		shared.stop()
	}
	os.Exit(code)
}

// browser returns the shared browser's context, starting it on first use.
func browser(t *testing.T) context.Context {
	t.Helper()
	exe := requireChromium(t)
	shared.once.Do(func() { startBrowser(exe) })
	if shared.err != nil {
		t.Fatalf("start %s: %v", shared.binary, shared.err)
	}
	return shared.ctx
}

// startBrowser starts Chromium with a fresh profile, flags for a machine that reaches nothing but
// 127.0.0.1, and a desktop window.
func startBrowser(exe string) {
	shared.binary = exe
	profile, err := os.MkdirTemp("", "dangjian-e2e-chromium-")
	if err != nil {
		shared.err = err
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.UserDataDir(profile),
		// Without these Chromium tries to reach Google's services, gets refused connections on this
		// closed network and stalls on them.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		// A Chinese browser; each tab also sends Accept-Language: zh-CN (see newTab).
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("accept-lang", "zh-CN,zh"),
		chromedp.Flag("hide-scrollbars", true), // screenshots show the page, not a scrollbar
		chromedp.WindowSize(desktopW, desktopH),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	shared.stop = func() {
		cancelTab()
		cancelAlloc() // waits for the browser to exit
		_ = os.RemoveAll(profile)
	}
	start := time.Now()
	// The first action starts the browser and ties it to ctx, which has no deadline on purpose (a
	// deadline would end the browser with it), so the start is timed here.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			shared.err = err
			return
		}
	case <-time.After(startTimeout):
		shared.err = fmt.Errorf("the browser did not start within %s", startTimeout)
		cancelTab()
		return
	}
	shared.took = time.Since(start)
	shared.ctx = ctx
}

// tab is one browser tab on the platform, watching its console for errors.
type tab struct {
	t       *testing.T
	ctx     context.Context
	base    string // the server's URL
	shots   string
	journey string // names the screenshots
	onPhone bool

	mu       sync.Mutex
	problems []string // console errors, uncaught exceptions, CSP violations, in order
}

// newTab opens a tab in a browser context of its own (its own cookies), on a desktop screen, with
// Chinese as the browser's language.
func newTab(t *testing.T, base, journey string) *tab {
	t.Helper()
	parent := browser(t)
	tb := &tab{t: t, base: base, shots: screenshotDir(t), journey: journey}
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext(), chromedp.WithListener(tb.watch))
	t.Cleanup(cancel)
	tb.ctx = ctx
	// The first action opens the tab and ties it to ctx: no per-step deadline here.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	if shared.logged.CompareAndSwap(false, true) {
		t.Logf("browser: %s, started in %s", shared.binary, shared.took.Round(time.Millisecond))
	}
	tb.do(
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
				Headers: network.Headers{"Accept-Language": "zh-CN,zh;q=0.9"}})
			if err != nil {
				return err
			}
			_, err = cdp.Call(ctx, t, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: "zh-CN"})
			return err
		}),
		chromedp.EmulateViewport(desktopW, desktopH),
	)
	return tb
}

// watch runs in the tab's event loop: it must be quick and send no command.
func (tb *tab) watch(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		if d == nil {
			msg = "uncaught exception"
			break
		}
		msg = "uncaught exception: " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		msg += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			if a.Value != nil {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		msg = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
	case *log.EventEntryAdded:
		// Chromium reports CSP violations, failed loads and other browser-side errors here.
		if ev.Entry.Level != log.EntryLevelError {
			return
		}
		msg = fmt.Sprintf("console error [%s]: %s", ev.Entry.Source, ev.Entry.Text)
		if ev.Entry.URL != "" {
			msg += " (" + ev.Entry.URL + ")"
		}
	default:
		return
	}
	tb.mu.Lock()
	tb.problems = append(tb.problems, msg)
	tb.mu.Unlock()
}

// consoleProblems returns what the console reported so far and forgets it. Events that arrived before
// the last command's reply have all been seen (the listener runs in the tab's event loop), so a cheap
// command first makes the list complete up to now.
func (tb *tab) consoleProblems() []string {
	tb.t.Helper()
	tb.eval("0")
	tb.mu.Lock()
	defer tb.mu.Unlock()
	p := tb.problems
	tb.problems = nil
	return p
}

// noConsoleErrors fails the test for every console problem that allow does not excuse.
func (tb *tab) noConsoleErrors(where string, allow func(string) bool) {
	tb.t.Helper()
	for _, p := range tb.consoleProblems() {
		if allow != nil && allow(p) {
			continue
		}
		tb.t.Errorf("%s: %s", where, p)
	}
}

// step runs a with a per-step deadline and fails the test if it fails.
func step[T any](tb *tab, what string, a chromedp.Action[T]) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tb.t.Fatalf("%s: %v (at %s)", what, err, tb.locationOrEmpty())
	}
	return v
}

func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	step(tb, "browser", chromedp.Steps(actions...))
}

// locationOrEmpty is the current URL for error messages; it never fails the test.
func (tb *tab) locationOrEmpty() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	return loc
}

// open loads path and returns the document's HTTP status.
func (tb *tab) open(path string) int64 {
	tb.t.Helper()
	resp := step(tb, "open "+path, chromedp.NavigateResponse(tb.base+path))
	if resp == nil {
		tb.t.Fatalf("open %s: no response", path)
	}
	return resp.Status
}

// click clicks the element that sel finds and waits for the page it leads to; it returns that page's
// HTTP status.
func (tb *tab) click(sel string) int64 {
	tb.t.Helper()
	resp, err := func() (*network.Response, error) {
		ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
		defer cancel()
		return chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	}()
	if err != nil {
		tb.t.Fatalf("click %s: %v (at %s)", sel, err, tb.locationOrEmpty())
	}
	if resp == nil {
		tb.t.Fatalf("click %s: no page loaded", sel)
	}
	return resp.Status
}

// text is the visible text of the first element sel finds (waiting for it to appear).
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return strings.TrimSpace(step(tb, "text of "+sel, chromedp.Text(chromedp.CSS(sel))))
}

// texts is the text of every element sel finds, right now.
func (tb *tab) texts(sel string) []string {
	tb.t.Helper()
	var out []string
	tb.evalInto(fmt.Sprintf(`[...document.querySelectorAll(%q)].map(e => e.innerText.trim())`, sel), &out)
	return out
}

// eval runs a JavaScript expression for its effect.
func (tb *tab) eval(js string) {
	tb.t.Helper()
	step(tb, "evaluate "+js, chromedp.Evaluate[chromedp.Void](js))
}

// evalInto runs a JavaScript expression and decodes its value into v.
func (tb *tab) evalInto(js string, v any) {
	tb.t.Helper()
	raw := step(tb, "evaluate "+js, chromedp.Evaluate[[]byte](js))
	if err := json.Unmarshal(raw, v); err != nil {
		tb.t.Fatalf("evaluate %s: %v (%s)", js, err, raw)
	}
}

// path is the current URL's path and query.
func (tb *tab) path() string {
	tb.t.Helper()
	loc := step(tb, "location", chromedp.Location())
	u, err := url.Parse(loc)
	if err != nil {
		tb.t.Fatalf("location %q: %v", loc, err)
	}
	return u.RequestURI()
}

// typeInto focuses the field and types s, as a person would.
func (tb *tab) typeInto(sel, s string) {
	tb.t.Helper()
	step(tb, "type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), s, chromedp.NodeVisible))
}

// asDesktop and asPhone switch the tab's screen. They do not reload: the next page loaded is laid out
// for the new screen. phone also reloads the current page (use it only on pages from a GET).
func (tb *tab) asDesktop() {
	tb.t.Helper()
	tb.do(chromedp.EmulateViewport(desktopW, desktopH))
	tb.onPhone = false
}

func (tb *tab) asPhone() {
	tb.t.Helper()
	tb.do(chromedp.EmulateViewport(phoneW, phoneH, chromedp.EmulateMobile, chromedp.EmulateTouch,
		chromedp.EmulateScale(phoneScale)))
	tb.onPhone = true
}

func (tb *tab) phone() {
	tb.t.Helper()
	tb.asPhone()
	tb.do(chromedp.Reload())
}

// shot saves a PNG as <journey>-<name>.png: the whole page on a desktop, the first screen on a phone
// (a phone's whole page can be many screens long, and the first one is what a person sees).
func (tb *tab) shot(name string) {
	tb.t.Helper()
	var png []byte
	if tb.onPhone {
		png = step(tb, "screenshot "+name, chromedp.CaptureScreenshot())
	} else {
		png = step(tb, "screenshot "+name, chromedp.FullScreenshot(100))
	}
	file := filepath.Join(tb.shots, tb.journey+"-"+name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	tb.t.Logf("screenshot %s", file)
}

// noHorizontalScroll fails when the page is wider than the screen, naming the widest culprits.
func (tb *tab) noHorizontalScroll(where string) {
	tb.t.Helper()
	var m struct {
		ScrollWidth int      `json:"scrollWidth"`
		InnerWidth  int      `json:"innerWidth"`
		Wide        []string `json:"wide"`
	}
	tb.evalInto(`(() => {
		const w = window.innerWidth;
		const wide = [...document.querySelectorAll('body *')]
			.filter(e => e.getBoundingClientRect().right > w + 0.5)
			.slice(0, 8)
			.map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).trim().split(/\s+/).join('.') : '') +
				' (right edge ' + Math.round(e.getBoundingClientRect().right) + 'px)');
		return {scrollWidth: document.documentElement.scrollWidth, innerWidth: w, wide};
	})()`, &m)
	if m.ScrollWidth > m.InnerWidth {
		tb.t.Errorf("%s: the page scrolls sideways: scrollWidth %d > innerWidth %d; too wide: %s",
			where, m.ScrollWidth, m.InnerWidth, strings.Join(m.Wide, ", "))
	}
}

// login signs in through the form and returns the status of the page it lands on.
func (tb *tab) login(username, password string) int64 {
	tb.t.Helper()
	if st := tb.open("/login"); st != 200 {
		tb.t.Fatalf("GET /login: status %d", st)
	}
	tb.typeInto(`section.login form input[name="username"]`, username)
	tb.typeInto(`section.login form input[name="password"]`, password)
	return tb.click(`section.login form button[type="submit"].primary`)
}

// back presses the browser's Back button and waits for the page it shows, which may come out of the
// back/forward cache without a request to the server. It returns how the page came back.
func (tb *tab) back() page.NavigationType {
	tb.t.Helper()
	main := func(e page.EventFrameNavigated) bool { return e.Frame != nil && e.Frame.ParentID == "" }
	press := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		h, err := cdp.Call(ctx, t, page.GetNavigationHistory, cdp.Empty{})
		if err != nil {
			return err
		}
		if h.CurrentIndex <= 0 || int(h.CurrentIndex) >= len(h.Entries) {
			return errors.New("no page to go back to")
		}
		_, err = cdp.Call(ctx, t, page.NavigateToHistoryEntry,
			page.NavigateToHistoryEntryParams{EntryID: h.Entries[h.CurrentIndex-1].ID})
		return err
	})
	ev := step(tb, "back", chromedp.WaitEvent(page.FrameNavigated, main, press))
	tb.settle()
	return ev.Type
}

// settle waits until the tab shows a completely loaded document and has stayed on it for a moment: a
// page restored from the back/forward cache may at once load another one (a pageshow handler, a
// redirect), which destroys the document a single check would look at.
func (tb *tab) settle() {
	tb.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	last, stable := "", 0
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(tb.ctx, time.Second)
		state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState + ' ' + location.href`))
		cancel()
		if err == nil && strings.HasPrefix(state, "complete ") && state == last {
			if stable++; stable >= 2 {
				return
			}
		} else {
			stable = 0
		}
		last = state
		time.Sleep(100 * time.Millisecond)
	}
	tb.t.Fatalf("the page did not settle within %s (last: %q)", stepTimeout, last)
}

// with is the same tab reporting to t (a subtest); console problems stay with the original.
func (tb *tab) with(t *testing.T) *tab {
	return &tab{t: t, ctx: tb.ctx, base: tb.base, shots: tb.shots, journey: tb.journey, onPhone: tb.onPhone}
}
