package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dangjian/dangjian/internal/platform/auth"
)

// apiClient is a plain HTTP client logged in as a demo account (setting up what the journey needs).
type apiClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (p *platform) api(t *testing.T, role auth.Role) *apiClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	l := p.login(t, role)
	res, err := c.PostForm(p.URL+"/login", url.Values{"username": {l.Username}, "password": {l.Password}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("API login as %s: %v %v", role, err, res)
	}
	res.Body.Close()
	return &apiClient{t: t, base: p.URL, c: c}
}

func (a *apiClient) call(method, path string, body, out any) int {
	a.t.Helper()
	var rd *strings.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	} else {
		rd = strings.NewReader("")
	}
	req, _ := http.NewRequest(method, a.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	res, err := a.c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		_ = json.NewDecoder(res.Body).Decode(out)
	}
	return res.StatusCode
}

// TestBrowserOfficerRecordsCommitteeMeeting: the branch's committee is set up (three posts, A3.1); the
// branch officer records a committee meeting for the branch — kind and date first, then the roster of
// that day with two present and one excused, a photo — saves the draft, submits it, and finds it on
// the branch's list, on the annual plan as held, and green on the compliance calendar. Desktop and phone.
func TestBrowserOfficerRecordsCommitteeMeeting(t *testing.T) {
	t.Parallel()
	p, tb := journey(t, "meetings")
	officer := p.login(t, auth.BranchOfficer)
	tb.login(officer.Username, officer.Password)
	branch := orgIDFromNav(t, tb)

	// The administrator gives the branch its committee: a secretary (approved) and two members (filed).
	admin := p.api(t, auth.OrgAdmin)
	var members struct {
		Items []struct {
			ID     int64  `json:"id"`
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"items"`
	}
	if st := admin.call("GET", "/api/v1/members?status=full&org_id="+branch, nil, &members); st != 200 || len(members.Items) < 3 {
		t.Fatalf("members of the officer's branch: %d, %d full", st, len(members.Items))
	}
	com := members.Items[:3]
	for i, post := range []string{"secretary", "organisation_member", "publicity_member"} {
		body := map[string]any{"member_id": com[i].ID, "post": post, "from": "2026-01-05", "state": "filed"}
		if post == "secretary" {
			body["state"], body["approved_on"], body["approval_ref"] = "approved", "2026-01-05", "示组字〔2026〕1号"
		}
		if st := admin.call("POST", "/api/v1/orgs/"+branch+"/posts", body, nil); st != http.StatusCreated {
			t.Fatalf("post %s: %d", post, st)
		}
	}

	// The officer opens the branch's records and starts a new one.
	if st := tb.open("/orgs/" + branch + "/meetings"); st != 200 {
		t.Fatalf("meetings page: %d", st)
	}
	tb.shot("list-empty-desktop")
	if st := tb.click(`a.button.primary[href$="/meetings/new"]`); st != 200 {
		t.Fatalf("new record form: %d", st)
	}
	// Step 1: kind and date load the roster of that day.
	tb.do(chromedp.SetValue(chromedp.CSS(`#mf-kind`), "committee_meeting"))
	tb.do(chromedp.SetValue(chromedp.CSS(`#mf-date`), "2026-03-05"))
	if st := tb.click(`form.filters button[type="submit"]`); st != 200 {
		t.Fatalf("load roster: %d", st)
	}
	if got := tb.texts(`.attendees li`); len(got) != 3 {
		t.Fatalf("the committee roster shows %d people, want 3: %v", len(got), got)
	}
	// Step 2: topic, chair, two present, one excused, a photo.
	tb.typeInto(`#mf-topic`, "研究三月份发展党员工作")
	tb.typeInto(`#mf-place`, "党员活动室")
	tb.do(chromedp.SetValue(chromedp.CSS(`#mf-chair`), fmt.Sprint(com[0].ID)))
	tb.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name="present"][value="%d"]`, com[0].ID))))
	tb.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name="present"][value="%d"]`, com[1].ID))))
	tb.typeInto(fmt.Sprintf(`input[name="reason_%d"]`, com[2].ID), "出差")
	tb.typeInto(`#mf-minutes`, "一、学习发展党员工作细则；二、研究本月发展对象。")
	photo := filepath.Join(t.TempDir(), "会议照片.png")
	if err := os.WriteFile(photo, pngPixel, 0o644); err != nil {
		t.Fatal(err)
	}
	tb.do(chromedp.SetUploadFiles(chromedp.CSS(`#mf-files`), []string{photo}))
	tb.shot("form-filled-desktop")
	if st := tb.click(`form[enctype="multipart/form-data"] button.primary[type="submit"]`); st != 200 {
		t.Fatalf("save draft: %d", st)
	}
	if !strings.HasPrefix(tb.path(), "/meetings/") {
		t.Fatalf("after saving at %s, want the record page", tb.path())
	}
	if s := tb.text(".flash"); !strings.Contains(s, "已保存") {
		t.Errorf("flash after saving = %q", s)
	}
	if s := tb.text("dl.record"); !strings.Contains(s, "实到 2 人 / 应到 3 人") || !strings.Contains(s, com[0].Name) {
		t.Errorf("record summary = %q", s)
	}
	var imgs int
	tb.evalInto(`[...document.querySelectorAll('.attachments img')].filter(i => i.complete && i.naturalWidth > 0).length`, &imgs)
	if imgs != 1 {
		t.Errorf("%d photos shown, want 1", imgs)
	}
	// Submit: the record now counts.
	if st := tb.click(`form[action$="/submit"] button`); st != 200 {
		t.Fatalf("submit: %d", st)
	}
	if s := tb.text("h1"); !strings.Contains(s, "已提交") {
		t.Errorf("status after submitting: %q", s)
	}
	tb.shot("record-desktop")
	tb.noConsoleErrors("record", nil)

	// The branch's list for March shows it, submitted; the plan shows March's committee meeting held.
	tb.open("/orgs/" + branch + "/meetings?month=2026-03")
	if rows := tb.texts("table.meetings tbody tr"); len(rows) != 1 || !strings.Contains(rows[0], "研究三月份发展党员工作") || !strings.Contains(rows[0], "已提交") {
		t.Errorf("March list = %v", rows)
	}
	tb.shot("list-desktop")
	tb.open("/orgs/" + branch + "/meetings/plan?year=2026")
	var held string
	tb.evalInto(`(() => { const r = [...document.querySelectorAll('table.plan tbody tr')].find(r => r.innerText.includes('支部委员会会议'));
		return r ? r.children[3].innerText.trim() : ''; })()`, &held)
	if held != "1/0" {
		t.Errorf("plan: March committee meetings = %q, want 1/0", held)
	}
	tb.shot("plan-desktop")

	// The compliance calendar (wired to the records in the same transaction) shows March's committee
	// meeting (A2.2, monthly where a committee exists) as met.
	if st := tb.open("/orgs/" + branch + "/compliance?year=2026"); st != 200 {
		t.Fatalf("calendar: %d", st)
	}
	var cell string
	tb.evalInto(`(() => { const a = document.querySelector('a[href$="/compliance/A2.2/2026-03"]'); return a ? a.parentElement.className : 'missing'; })()`, &cell)
	if !strings.Contains(cell, "st-met") {
		t.Errorf("calendar cell for A2.2 in March 2026: class %q, want st-met", cell)
	}
	tb.shot("calendar-desktop")

	// On a phone: the list and the record fit the screen.
	tb.asPhone()
	tb.open("/orgs/" + branch + "/meetings?month=2026-03")
	tb.noHorizontalScroll("phone meetings list")
	tb.shot("list-phone")
	tb.click("table.meetings tbody a")
	tb.noHorizontalScroll("phone record")
	tb.shot("record-phone")
	tb.open("/orgs/" + branch + "/meetings/new?kind=committee_meeting&held_on=2026-03-05")
	tb.noHorizontalScroll("phone form")
	tb.shot("form-phone")
	tb.noConsoleErrors("phone", nil)
}

// pngPixel is a 1×1 PNG.
var pngPixel = []byte{0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54,
	0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49,
	0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82}
