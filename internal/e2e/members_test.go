package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/dangjian/dangjian/internal/demo"
	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/auth"
)

// setValue sets a form field's value as the page's own script would not: directly, so date inputs and
// selects behave the same in every locale.
func (tb *tab) setValue(sel, v string) {
	tb.t.Helper()
	tb.do(chromedp.SetValue(chromedp.CSS(sel), v, chromedp.NodeReady))
}

// journeySheet writes an import sheet in the template's columns for the branch, two valid members.
func journeySheet(t *testing.T, branch string) string {
	t.Helper()
	x := excelize.NewFile()
	defer x.Close()
	born := time.Date(1982, 4, 5, 0, 0, 0, 0, time.UTC)
	rows := [][]string{{}, {"周导入", demo.IDNumber(born, 611), "男", "1982-04-05", "汉族", "13900002222", "大学本科", branch, "正式党员", "2008-07-01", "2009-07-01", "否"},
		{"吴导入", demo.IDNumber(born, 622), "女", "1982-04-05", "回族", "13900003333", "硕士研究生", branch, "预备党员", "2025-12-01", "", "否"}}
	for _, c := range org.ImportColumns {
		rows[0] = append(rows[0], c.Header)
	}
	for i, r := range rows {
		vals := make([]any, len(r))
		for j, v := range r {
			vals[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow("Sheet1", cell, &vals); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "党员导入.xlsx")
	if err := x.SaveAs(file); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestBrowserMembersJourney: an organisation administrator builds a small tree (a committee and a
// branch under it), adds a member — first with a wrong ID number, and reads the Chinese message — imports
// a sheet of two more, raises a flag on the status page and views the branch's statistics; screenshots at
// desktop and phone widths, no console errors, no sideways scrolling on the phone.
func TestBrowserMembersJourney(t *testing.T) {
	t.Parallel()
	p, tb := journey(t, "members")
	admin := p.login(t, auth.OrgAdmin)
	if st := tb.login(admin.Username, admin.Password); st != 200 {
		t.Fatalf("login: %d", st)
	}
	root := orgIDFromNav(t, tb)

	// The tree: a committee under the root, a branch under the committee.
	establish := func(name, kind string) string {
		t.Helper()
		tb.eval(`document.querySelectorAll('#manage details').forEach(d => d.open = true)`)
		tb.setValue("#e-name", name)
		tb.setValue("#e-kind", kind)
		tb.setValue("#e-reason", "浏览器测试")
		if st := tb.click(`form[action$="/establish"] button[type="submit"]`); st != 200 {
			t.Fatalf("establish %s: %d", name, st)
		}
		if h1 := tb.text("main h1"); !strings.Contains(h1, name) {
			t.Fatalf("after establishing %s the page is %q", name, h1)
		}
		id := strings.TrimPrefix(strings.Split(tb.path(), "?")[0], "/orgs/")
		return id
	}
	tb.open("/orgs/" + root)
	establish("旅程测试机关党委", "committee")
	branch := establish("旅程测试第一党支部", "branch")
	tb.shot("branch-desktop")

	// A member with a wrong check digit: the form comes back with the Chinese message and the input kept.
	id := demo.IDNumber(time.Date(1986, 2, 3, 0, 0, 0, 0, time.UTC), 513)
	bad := id[:17] + map[bool]string{true: "1", false: "0"}[id[17] == '0']
	if st := tb.open("/orgs/" + branch + "/members/new"); st != 200 {
		t.Fatalf("new member form: %d", st)
	}
	fill := func(number string) {
		tb.setValue("#m-name", "郑旅程")
		tb.setValue("#m-id", number)
		tb.setValue("#m-phone", "13700001234")
		tb.setValue("#m-status", "full")
		tb.setValue("#m-joined", "2010-07-01")
		tb.setValue("#m-full", "2011-07-01")
	}
	fill(bad)
	if st := tb.click(`form.grid-form button[type="submit"].primary`); st != 422 {
		t.Fatalf("bad ID number: status %d, want 422", st)
	}
	if msg := tb.text(".field-error"); msg != "身份证号码校验位不正确，请核对" {
		t.Errorf("the ID number's message is %q", msg)
	}
	tb.shot("bad-id-desktop")
	tb.asPhone()
	tb.noHorizontalScroll("phone member form with an error")
	tb.shot("bad-id-phone")
	tb.asDesktop()
	tb.setValue("#m-id", id)
	if st := tb.click(`form.grid-form button[type="submit"].primary`); st != 200 {
		t.Fatalf("add member: %d", st)
	}
	if h1 := tb.text("main h1"); !strings.Contains(h1, "郑旅程") {
		t.Fatalf("member page h1 %q", h1)
	}
	if shown := tb.text(`[data-testid="id-number"]`); shown != id[:6]+"********"+id[14:] {
		t.Errorf("ID number shown as %q, want it masked", shown)
	}

	// Flags on the status page (F7): mobile since a date.
	tb.click(`form[action$="/status"] button[type="submit"]`)
	tb.eval(`document.querySelector('#f-mobile').checked = true`)
	tb.setValue("#f-mobile-since", "2025-11-01")
	tb.shot("status-desktop")
	if st := tb.click(`form[action$="/flags"] button[type="submit"]`); st != 200 {
		t.Fatalf("flags: %d", st)
	}
	if flags := tb.text(`main table.facts`); !strings.Contains(flags, "流动党员") || !strings.Contains(flags, "2025年11月1日") {
		t.Errorf("member page lacks the flag and its date: %q", flags)
	}

	// Import a sheet: preview, then confirm.
	if st := tb.open("/orgs/" + branch + "/members/import"); st != 200 {
		t.Fatalf("import page: %d", st)
	}
	tb.do(chromedp.SetUploadFiles(chromedp.CSS("#imp-file"), []string{journeySheet(t, "旅程测试第一党支部")}, chromedp.NodeReady))
	if st := tb.click(`form[enctype="multipart/form-data"] button[type="submit"]`); st != 200 {
		t.Fatalf("preview: %d", st)
	}
	if s := tb.text("main .card p"); !strings.Contains(s, "2") {
		t.Errorf("preview summary %q", s)
	}
	tb.shot("import-preview-desktop")
	if st := tb.click(`form input[name="token"] ~ button[type="submit"]`); st != 200 {
		t.Fatalf("import: %d", st)
	}
	if done := tb.text("p.flash"); !strings.Contains(done, "已导入 2 人") {
		t.Errorf("import result %q", done)
	}
	tb.shot("import-done-desktop")
	tb.asPhone()
	tb.open("/orgs/" + branch + "/members")
	if names := strings.Join(tb.texts("main table tbody tr"), " "); !strings.Contains(names, "周导入") || !strings.Contains(names, "郑旅程") {
		t.Errorf("roster lacks the new members: %s", names)
	}
	tb.noHorizontalScroll("phone roster")
	tb.shot("roster-phone")

	// Statistics of the branch: three members, one woman, one minority.
	tb.asDesktop()
	if st := tb.open("/orgs/" + branch + "/stats"); st != 200 {
		t.Fatalf("stats: %d", st)
	}
	if h1 := tb.text("main h1"); !strings.Contains(h1, "旅程测试第一党支部") {
		t.Errorf("stats h1 %q", h1)
	}
	if st := tb.text("dl.stats"); !strings.Contains(st, "33.3%") {
		t.Errorf("statistics of 3 members with one woman and one minority: %q", st)
	}
	tb.shot("stats-desktop")
	tb.phone()
	tb.noHorizontalScroll("phone stats")
	tb.shot("stats-phone")
	// The refused form answered 422 on purpose: the browser reports that status, nothing else is allowed.
	tb.noConsoleErrors("members journey", func(m string) bool { return strings.Contains(m, "status of 422") })
	if os.Getenv("DANGJIAN_SCREENSHOTS") != "" {
		t.Logf("screenshots in %s", tb.shots)
	}
}
