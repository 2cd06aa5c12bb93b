package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/dangjian/dangjian/internal/platform/auth"
)

// TestBrowserInspectorRunsCampaign: a work-committee inspector (the root organisation's administrator)
// creates a special inspection over the whole tree, runs it, reads the frozen findings with their chart,
// and opens the heatmap of the city — at desktop and phone widths. The demo city has no records of
// organisational life (those belong to the records capability), so its obligations show as missed.
func TestBrowserInspectorRunsCampaign(t *testing.T) {
	t.Parallel()
	p, tb := journey(t, "inspection")
	admin := p.login(t, auth.OrgAdmin)
	if st := tb.login(admin.Username, admin.Password); st != http.StatusOK {
		t.Fatalf("login: %d", st)
	}
	if st := tb.open("/inspections"); st != http.StatusOK {
		t.Fatalf("GET /inspections: %d", st)
	}
	tb.typeInto(`#name`, "2026年一季度三会一课专项检查")
	tb.eval(`document.querySelector('#from').value = '2026-01'`)
	tb.eval(`document.querySelector('#to').value = '2026-02'`)
	if st := tb.click(`form[action="/inspections"] button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("create: %d", st)
	}
	if !strings.HasPrefix(tb.path(), "/inspections/") {
		t.Fatalf("after create at %s", tb.path())
	}
	if st := tb.click(`#run`); st != http.StatusOK {
		t.Fatalf("run: %d", st)
	}
	if tag := tb.text("main h1 .tag"); tag != "已开展" {
		t.Errorf("status after run = %q, want 已开展", tag)
	}
	if rows := tb.texts("main table.list tbody tr"); len(rows) < 2 {
		t.Errorf("findings table has %d rows", len(rows))
	}
	var bars int
	tb.evalInto(`document.querySelectorAll('svg rect').length`, &bars)
	if bars == 0 {
		t.Error("no chart on the report")
	}
	tb.shot("report-desktop")
	tb.noConsoleErrors("report", nil)

	tb.click(`main section.card p a[href*="/compliance/heatmap"]`)
	if h1 := tb.text("main h1"); !strings.Contains(h1, "热力图") {
		t.Errorf("heatmap h1 = %q", h1)
	}
	var red int
	tb.evalInto(`document.querySelectorAll('table.heatmap td.st-missed').length`, &red)
	if red == 0 {
		t.Error("the heatmap shows no missed obligation for a city without records")
	}
	tb.shot("heatmap-desktop")

	tb.phone()
	tb.noHorizontalScroll("phone heatmap")
	tb.shot("heatmap-phone")
	tb.open("/inspections")
	tb.noHorizontalScroll("phone inspections")
	tb.shot("inspections-phone")
	tb.noConsoleErrors("phone", nil)
}
