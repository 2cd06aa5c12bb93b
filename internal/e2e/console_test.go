package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestBrowserConsoleWatchSeesCSPViolations checks the checker: the journeys' "no console errors" would
// mean little if the watch missed what it is there for. A page that breaks a script-src 'self' policy
// with an inline script, and throws from a script file, must be reported on both counts.
func TestBrowserConsoleWatchSeesCSPViolations(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>csp</title><script>document.title = "inline ran"</script>` +
			`<script src="/throw.js"></script><p>probe</p>`))
	})
	mux.HandleFunc("GET /throw.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = w.Write([]byte(`throw new Error("probe exception");`))
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)

	tb := newTab(t, ts.URL, "console-watch")
	tb.open("/")
	var title string
	tb.evalInto(`document.title`, &title)
	if title != "csp" {
		t.Errorf("the inline script ran despite the CSP (title %q)", title)
	}
	got := tb.consoleProblems()
	var csp, exc bool
	for _, p := range got {
		csp = csp || strings.Contains(p, "Content Security Policy")
		exc = exc || (strings.HasPrefix(p, "uncaught exception") && strings.Contains(p, "probe exception"))
	}
	if !csp || !exc {
		t.Errorf("console watch saw CSP violation %v, exception %v; it reported %q", csp, exc, got)
	}
}
