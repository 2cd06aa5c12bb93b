package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dangjian/dangjian/internal/platform/auth"
)

// TestBrowserDailyQuestionOnPhone: at phone width a member logs in, opens 每日一题, picks an option,
// submits and sees right or wrong with the explanation and source at once; the page has no sideways
// scroll and no script errors. Then the branch officer sees the participation chart by branch.
func TestBrowserDailyQuestionOnPhone(t *testing.T) {
	t.Parallel()
	p, tb := journey(t, "learning")
	member := p.login(t, auth.Member)
	tb.asPhone()
	if st := tb.login(member.Username, member.Password); st != http.StatusOK {
		t.Fatalf("member login: %d", st)
	}
	if st := tb.open("/learning"); st != http.StatusOK {
		t.Fatalf("GET /learning: %d", st)
	}
	if h := tb.text("main h1"); h != "每日一题" {
		t.Errorf("h1 = %q", h)
	}
	stem := tb.text(".quiz-stem")
	if !strings.Contains(stem, "示例") {
		t.Errorf("stem %q is not a demo question", stem)
	}
	tb.noHorizontalScroll("phone question")
	tb.shot("question-phone")
	if n := len(tb.texts(".quiz-option")); n >= 2 {
		tb.do(chromedp.Click(".quiz-option", chromedp.NodeVisible))
	} else {
		tb.typeInto("#quiz-text", "月") // a fill-in question of the demo bank
	}
	if st := tb.click(`.quiz-form button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("answer: landed with %d", st)
	}
	verdict := tb.text(".quiz-verdict")
	if !strings.Contains(verdict, "回答正确") && !strings.Contains(verdict, "回答错误") {
		t.Errorf("verdict %q", verdict)
	}
	if ex := tb.text(`[data-testid="explanation"]`); ex == "" {
		t.Error("no explanation after answering")
	}
	if src := tb.text(".quiz-result p.muted"); !strings.Contains(src, "支部工作条例") {
		t.Errorf("source %q", src)
	}
	if n := len(tb.texts(".quiz-form")); n != 0 {
		t.Error("the answer form is still there after answering")
	}
	tb.noHorizontalScroll("phone result")
	tb.shot("result-phone")
	tb.noConsoleErrors("member", nil)

	// The officer's view: participation by branch, as a chart.
	officer := p.login(t, auth.BranchOfficer)
	tb.eval(`document.querySelector('form[action="/logout"] button').click()`)
	tb.settle()
	if st := tb.login(officer.Username, officer.Password); st != http.StatusOK {
		t.Fatalf("officer login: %d", st)
	}
	tb.open("/learning")
	// On a phone the menu starts folded: unfold it, then follow its link to the branch's figures.
	tb.do(chromedp.Click(chromedp.CSS(`nav.nav details.menu > summary`), chromedp.NodeVisible))
	tb.click(`nav.nav a[href$="/learning"]:not([href="/learning"])`)
	if rows := tb.texts(`[data-testid="participation-chart"] tbody tr`); len(rows) == 0 || !strings.Contains(rows[0], "%") {
		t.Fatalf("chart rows: %q", rows)
	}
	var bars int
	tb.evalInto(`document.querySelectorAll('[data-testid="participation-chart"] svg rect').length`, &bars)
	if bars < 2 {
		t.Errorf("%d bars in the chart", bars)
	}
	tb.noHorizontalScroll("phone chart")
	tb.shot("officer-chart-phone")
	tb.noConsoleErrors("officer", nil)
}
