package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dangjian/dangjian/internal/platform/auth"
)

// evidencePNG is a 1×1 picture standing in for a photo of the rectified records.
var evidencePNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")

// TestBrowserRectifyJourney (issue 5): the supervisor (the 工委's administrator) records a finding; the
// implementing branch officer proposes a plan, which the supervisor accepts; the officer reports and asks
// for sign-off with evidence; the supervisor rejects it with a reason, the officer submits again, and the
// supervisor closes it (销号). Each page works without script; screenshots at desktop and phone widths.
func TestBrowserRectifyJourney(t *testing.T) {
	t.Parallel()
	p, tb := journey(t, "rectify")
	admin, officer := p.login(t, auth.OrgAdmin), p.login(t, auth.BranchOfficer)
	photo := filepath.Join(t.TempDir(), "整改照片.png")
	if err := os.WriteFile(photo, evidencePNG, 0o644); err != nil {
		t.Fatal(err)
	}
	as := func(l string, pw string) {
		t.Helper()
		if st := tb.open("/"); st == http.StatusOK && tb.path() != "/login?next=%2F" {
			tb.click("form.logout button")
		}
		if st := tb.login(l, pw); st != http.StatusOK {
			t.Fatalf("login %s: %d", l, st)
		}
	}
	// The officer's branch, as the navigation links to it.
	as(officer.Username, officer.Password)
	branch := orgIDFromNav(t, tb)

	// 1. The supervisor records the finding.
	as(admin.Username, admin.Password)
	if st := tb.open("/rectifications/new"); st != http.StatusOK {
		t.Fatalf("new item page: %d", st)
	}
	tb.typeInto("#r-title", "支部“三会一课”记录不完整")
	tb.typeInto("#r-finding", "巡察发现，支部委员会会议记录缺失两个月。")
	tb.typeInto("#r-category", "组织建设")
	tb.eval(`(() => { const s = document.querySelector('#r-resp'); s.selectedIndex = 1;
		const i = document.querySelector('#r-impl'); for (const o of i.options) o.selected = o.value === '` + branch + `';
		document.querySelector('#r-due').value = '2026-06-30'; })()`)
	tb.shot("new-desktop")
	if st := tb.click(`form[action="/rectifications"] button.primary`); st != http.StatusOK {
		t.Fatalf("create: %d", st)
	}
	item := strings.SplitN(tb.path(), "?", 2)[0]
	if !strings.HasPrefix(item, "/rectifications/") || tb.text("#status") != "待制定方案" {
		t.Fatalf("after create at %s, status %q", tb.path(), tb.text("#status"))
	}
	tb.shot("created-desktop")

	// 2. The implementing officer proposes the plan.
	as(officer.Username, officer.Password)
	tb.open(item)
	tb.typeInto("#m-plan", "逐月检查会议记录，补齐缺失记录")
	tb.eval(`document.querySelector('#d-plan').value = '2026-05-31'`)
	if st := tb.click(`#form-plan button`); st != http.StatusOK {
		t.Fatalf("plan: %d", st)
	}
	if got := tb.text("p.flash"); !strings.Contains(got, "整改方案已提交") {
		t.Errorf("after plan: flash %q", got)
	}

	// 3. The supervisor accepts it.
	as(admin.Username, admin.Password)
	tb.open(item)
	if st := tb.click(`#form-accept_plan button`); st != http.StatusOK || tb.text("#status") != "方案已审核" {
		t.Fatalf("accept plan: %d, status %q", st, tb.text("#status"))
	}

	// 4. The officer reports progress, then asks for sign-off with evidence.
	as(officer.Username, officer.Password)
	tb.open(item)
	tb.typeInto("#c-report", "已检查全部会议记录")
	tb.do(chromedp.SetUploadFiles(chromedp.CSS("#e-report"), []string{photo}))
	if st := tb.click(`#form-report button`); st != http.StatusOK || tb.text("#status") != "整改中" {
		t.Fatalf("report: %d, status %q", st, tb.text("#status"))
	}
	tb.typeInto("#c-submit", "已补齐缺失记录，建立台账")
	tb.do(chromedp.SetUploadFiles(chromedp.CSS("#e-submit"), []string{photo}))
	if st := tb.click(`#form-submit button`); st != http.StatusOK || tb.text("#status") != "待销号" {
		t.Fatalf("submit: %d, status %q", st, tb.text("#status"))
	}
	if ev := tb.texts(".history a[href^='/files/']"); len(ev) != 2 {
		t.Errorf("evidence links in the history: %v", ev)
	}
	tb.shot("submitted-desktop")
	tb.phone()
	tb.noHorizontalScroll("phone item submitted")
	tb.shot("submitted-phone")
	tb.asDesktop()

	// 5. The supervisor rejects it: a reason is required, and the item goes back to work.
	as(admin.Username, admin.Password)
	tb.open(item)
	if st := tb.click(`#form-reject button`); st != http.StatusConflict && st != http.StatusUnprocessableEntity {
		t.Fatalf("reject without a reason: status %d, want 422", st)
	}
	if got := tb.text("#form-reject .field-error"); !strings.Contains(got, "退回须说明理由") {
		t.Errorf("reject without reason: %q", got)
	}
	tb.typeInto("#c-reject", "缺少第二个月的会议记录照片")
	if st := tb.click(`#form-reject button`); st != http.StatusOK || tb.text("#status") != "整改中" {
		t.Fatalf("reject: %d, status %q", st, tb.text("#status"))
	}

	// 6. The officer submits again; the supervisor verifies and closes it.
	as(officer.Username, officer.Password)
	tb.open(item)
	tb.typeInto("#c-submit", "已补充第二个月的记录照片")
	tb.do(chromedp.SetUploadFiles(chromedp.CSS("#e-submit"), []string{photo}))
	if st := tb.click(`#form-submit button`); st != http.StatusOK || tb.text("#status") != "待销号" {
		t.Fatalf("resubmit: %d, status %q", st, tb.text("#status"))
	}
	as(admin.Username, admin.Password)
	tb.open(item)
	tb.typeInto("#c-close", "经实地核查，记录完整，同意销号")
	if st := tb.click(`#form-close button`); st != http.StatusOK || tb.text("#status") != "已销号" {
		t.Fatalf("close: %d, status %q", st, tb.text("#status"))
	}
	history := strings.Join(tb.texts(".history li strong"), " ")
	for _, want := range []string{"录入问题", "提交整改方案", "审核通过整改方案", "报告整改进展", "申请销号", "退回整改", "销号"} {
		if !strings.Contains(history, want) {
			t.Errorf("history %q lacks %s", history, want)
		}
	}
	tb.shot("closed-desktop")
	// The one refused form (reject without a reason) answers 422, which the browser logs.
	refused := func(s string) bool { return strings.Contains(s, "status of 422") && strings.Contains(s, "/actions") }
	tb.noConsoleErrors("desktop", refused)
	tb.phone()
	tb.noHorizontalScroll("phone item closed")
	tb.shot("closed-phone")
	tb.open("/rectifications")
	tb.noHorizontalScroll("phone ledger")
	tb.shot("ledger-phone")
	tb.asDesktop()
	tb.open("/rectifications")
	if n := tb.texts("tr.overdue"); len(n) == 0 {
		t.Error("the ledger shows no overdue row in red (the demo has one)")
	}
	tb.shot("ledger-desktop")
	tb.noConsoleErrors("phone", refused)
}
