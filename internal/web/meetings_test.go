package web

import (
	"archive/zip"
	"bytes"
	"context"
	"flag"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/dangjian/dangjian/internal/orglife"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/i18n"
)

var updateMeetingsGolden = flag.Bool("update-meetings", false, "rewrite the meetings golden files")

// rosterOf lists the party members of an organisation on a day (straight from the table: the fixture,
// not the code under test).
func (e *env) rosterOf(orgID int64, day string) []int64 {
	e.t.Helper()
	rows, err := e.db.Query(context.Background(), `SELECT id FROM members WHERE org_id = ? AND status IN ('full', 'probationary')
		AND terminal_state = '' AND (joined_on IS NULL OR joined_on <= ?) ORDER BY id`, orgID, day)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		_ = rows.Scan(&id)
		out = append(out, id)
	}
	return out
}

func themeDay(e *env, orgID int64) map[string]any {
	return map[string]any{"org_id": orgID, "kind": "theme_day", "held_on": "2026-03-02", "topic": "主题党日：学习党章",
		"attendee_ids": e.rosterOf(orgID, "2026-03-02")}
}

// meetingIn returns (creating once per organisation) a draft record of orgID, for read routes.
func meetingIn(e *env, orgID int64) int64 {
	const topic = "主题党日（测试夹具）"
	var id int64
	err := e.db.QueryRow(context.Background(), "SELECT id FROM meetings WHERE org_id = ? AND topic = ? ORDER BY id LIMIT 1", orgID, topic).Scan(&id)
	if err == nil {
		return id
	}
	admin := e.principal("demo_admin")
	in := orglife.Input{OrgID: orgID, Kind: orglife.ThemeDay, HeldOn: "2026-03-02", Topic: topic, AttendeeIDs: e.rosterOf(orgID, "2026-03-02")}
	m, err := e.srv.Meetings.Create(context.Background(), admin, in)
	if err != nil {
		e.t.Fatal(err)
	}
	return m.ID
}

func (e *env) principal(username string) auth.Principal {
	e.t.Helper()
	u, err := e.auth.UserByName(context.Background(), username)
	if err != nil {
		e.t.Fatal(err)
	}
	path, _ := e.auth.OrgPath(context.Background(), u.OrgID)
	return auth.Principal{UserID: u.ID, Username: u.Username, Role: u.Role, OrgID: u.OrgID, OrgPath: path}
}

func init() {
	business := map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200}
	created := map[auth.Role]int{auth.OrgAdmin: 201, auth.BranchOfficer: 201}
	q := func(p string) func(*env, int64) string {
		return func(e *env, org int64) string { return fmt.Sprintf(p, org) }
	}
	authzMatrix = append(authzMatrix,
		matrixCase{name: "record a meeting", method: "POST", path: fixed("/api/v1/meetings"), scoped: true, want: created,
			body: func(e *env, org int64, _ auth.Role) any { return themeDay(e, org) }},
		matrixCase{name: "list meetings", method: "GET", path: q("/api/v1/meetings?org_id=%d&month=2026-03"), scoped: true, want: business},
		matrixCase{name: "read a meeting", method: "GET", scoped: true, want: business,
			path: func(e *env, org int64) string { return fmt.Sprintf("/api/v1/meetings/%d", meetingIn(e, org)) }},
		matrixCase{name: "meeting versions", method: "GET", scoped: true, want: business,
			path: func(e *env, org int64) string { return fmt.Sprintf("/api/v1/meetings/%d/versions", meetingIn(e, org)) }},
		matrixCase{name: "meeting page", method: "GET", scoped: true, want: business,
			path: func(e *env, org int64) string { return fmt.Sprintf("/meetings/%d", meetingIn(e, org)) }},
		matrixCase{name: "meetings page", method: "GET", path: q("/orgs/%d/meetings"), scoped: true, want: business},
		matrixCase{name: "new meeting form", method: "GET", path: q("/orgs/%d/meetings/new"), scoped: true, want: business},
		matrixCase{name: "plan page", method: "GET", path: q("/orgs/%d/meetings/plan"), scoped: true, want: business},
		matrixCase{name: "read plan", method: "GET", path: q("/api/v1/meeting-plans?org_id=%d&year=2026"), scoped: true, want: business},
		matrixCase{name: "save plan", method: "PUT", path: fixed("/api/v1/meeting-plans"), scoped: true, want: business,
			body: func(e *env, org int64, _ auth.Role) any {
				return map[string]any{"org_id": org, "year": 2026, "items": []map[string]any{{"month": 4, "kind": "party_lesson"}}}
			}},
		matrixCase{name: "dual-life report", method: "GET", path: q("/api/v1/reports/dual-life?org_id=%d&year=2025"), scoped: true, want: business},
		matrixCase{name: "dual-life workbook", method: "GET", path: q("/api/v1/reports/dual-life.xlsx?org_id=%d&year=2025"), scoped: true, want: business},
		matrixCase{name: "dual-life page", method: "GET", path: q("/reports/dual-life?org_id=%d&year=2025"), scoped: true, want: business},
	)
}

// The API contract: POST → 201 with id; GET one; list by org and month; submit, lock, correct with a
// reason, versions; 422 with field messages citing the rule; a branch officer cannot touch another
// branch's records (and nothing changes).
func TestMeetingsAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		officer := e.as(auth.BranchOfficer)
		body := themeDay(e, e.branchA)
		r := officer.sendJSON("POST", "/api/v1/meetings", body)
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var m orglife.Meeting
		r.json(t, &m)
		if m.ID == 0 || m.Status != orglife.Draft || m.ExpectedCount != len(body["attendee_ids"].([]int64)) {
			t.Fatalf("created = %+v", m)
		}
		id := fmt.Sprint(m.ID)
		if r := officer.get("/api/v1/meetings/" + id); r.status != 200 || !strings.Contains(r.body, "主题党日：学习党章") {
			t.Errorf("get: %d", r.status)
		}
		var list struct{ Items []orglife.Meeting }
		officer.get(fmt.Sprintf("/api/v1/meetings?org_id=%d&month=2026-03", e.branchA)).json(t, &list)
		if len(list.Items) != 1 || list.Items[0].ID != m.ID {
			t.Errorf("list March: %+v", list.Items)
		}
		officer.get(fmt.Sprintf("/api/v1/meetings?org_id=%d&month=2026-02", e.branchA)).json(t, &list)
		for _, x := range list.Items {
			if x.ID == m.ID || x.HeldOn.Month() != 2 {
				t.Errorf("list February holds %+v", x)
			}
		}
		for _, step := range []string{"submit", "lock"} {
			if r := officer.sendJSON("POST", "/api/v1/meetings/"+id+"/"+step, map[string]any{}); r.status != 200 {
				t.Fatalf("%s: %d %s", step, r.status, r.body)
			}
		}
		body["topic"] = "主题党日：学习党章（更正）"
		r = officer.sendJSON("POST", "/api/v1/meetings/"+id+"/correct", body)
		var bad apiError
		r.json(t, &bad)
		if r.status != 422 || !strings.Contains(bad.Error.Fields["reason"], "理由") {
			t.Errorf("correct a locked record without a reason: %d %s", r.status, r.body)
		}
		body["reason"] = "主题表述更正"
		if r := officer.sendJSON("POST", "/api/v1/meetings/"+id+"/correct", body); r.status != 200 {
			t.Fatalf("correct: %d %s", r.status, r.body)
		}
		var vs struct{ Items []orglife.Version }
		officer.get("/api/v1/meetings/"+id+"/versions").json(t, &vs)
		if len(vs.Items) != 4 || vs.Items[0].Record.Topic != "主题党日：学习党章" || vs.Items[3].Reason != "主题表述更正" {
			t.Errorf("versions: %+v", vs.Items)
		}

		// 422 citing the rule: a committee meeting without a committee (A2.2), a lesson without a
		// lecturer (A2.5), an unknown kind — in the caller's language.
		for _, c := range []struct {
			patch       map[string]any
			field, want string
		}{
			{map[string]any{"kind": "committee_meeting", "chair_id": body["attendee_ids"].([]int64)[0]}, "kind", "A2.2"},
			{map[string]any{"kind": "party_lesson"}, "lecturer_id", "A2.5"},
			{map[string]any{"kind": "tea_party"}, "kind", "会议类型不正确"},
			{map[string]any{"held_on": "2026-03-11"}, "held_on", "晚于今天"},
			{map[string]any{"attendee_ids": []int64{e.rosterOf(e.branchB, "2026-03-02")[0]}}, "attendee_ids", "R0.3"},
		} {
			b := themeDay(e, e.branchA)
			for k, v := range c.patch {
				b[k] = v
			}
			r := officer.sendJSON("POST", "/api/v1/meetings", b)
			var out apiError
			r.json(t, &out)
			if r.status != 422 || !strings.Contains(out.Error.Fields[c.field], c.want) {
				t.Errorf("%v: %d %s", c.patch, r.status, r.body)
			}
		}
		en := e.as(auth.BranchOfficer)
		en.lang = "en"
		b := themeDay(e, e.branchA)
		b["kind"] = "party_lesson"
		if r := en.sendJSON("POST", "/api/v1/meetings", b); r.status != 422 || !strings.Contains(r.body, "needs its lecturer (A2.5)") {
			t.Errorf("English 422: %d %s", r.status, r.body)
		}

		// Another branch: refused, nothing written.
		var before int
		_ = e.db.QueryRow(context.Background(), "SELECT COUNT(*) FROM meetings").Scan(&before)
		if r := officer.sendJSON("POST", "/api/v1/meetings", themeDay(e, e.branchB)); r.status != 403 {
			t.Errorf("record for branch B: %d", r.status)
		}
		other := meetingIn(e, e.branchB)
		for _, c := range []struct{ method, path string }{{"GET", "/api/v1/meetings/%d"}, {"POST", "/api/v1/meetings/%d/submit"},
			{"GET", "/meetings/%d"}, {"GET", "/api/v1/meetings/%d/versions"}} {
			if r := officer.do(c.method, fmt.Sprintf(c.path, other), nil, nil); r.status != 403 {
				t.Errorf("%s %s on branch B: %d", c.method, c.path, r.status)
			}
		}
		var after int
		_ = e.db.QueryRow(context.Background(), "SELECT COUNT(*) FROM meetings").Scan(&after)
		if after != before+1 { // +1: the fixture record of branch B made by the administrator
			t.Errorf("meetings %d → %d", before, after)
		}
		if e.auditCount("meeting.create") == 0 || e.auditCount("meeting.correct") != 1 {
			t.Error("record changes not audited")
		}
	})
}

// postMeetingForm posts the record form as a browser would, with files under "attachments".
func (c *client) postMeetingForm(path string, form url.Values, files map[string][]byte) resp {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range form {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	for name, data := range files {
		fw, _ := mw.CreateFormFile("attachments", name)
		_, _ = fw.Write(data)
	}
	_ = mw.Close()
	return c.do("POST", path, &b, map[string]string{"Content-Type": mw.FormDataContentType()})
}

// Attachments are typed by their content and limited in size: a page dressed as a photo and an
// oversized file are refused with a field message and nothing is written; a real photo is stored with
// the record and served from its page; a file of another branch cannot be linked.
func TestMeetingAttachmentsRefused(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		officer := e.as(auth.BranchOfficer)
		form := url.Values{"topic": {"主题党日"}}
		for _, id := range e.rosterOf(e.branchA, "2026-03-02") {
			form.Add("present", fmt.Sprint(id))
		}
		path := fmt.Sprintf("/orgs/%d/meetings?kind=theme_day&held_on=2026-03-02", e.branchA)
		count := func() (n, f int) {
			_ = e.db.QueryRow(context.Background(), "SELECT COUNT(*) FROM meetings").Scan(&n)
			_ = e.db.QueryRow(context.Background(), "SELECT COUNT(*) FROM files").Scan(&f)
			return
		}
		n0, f0 := count()
		big := append([]byte("\xFF\xD8\xFF"), make([]byte, 20<<20)...)
		for _, c := range []struct {
			name string
			data []byte
			want string
		}{
			{"会议照片.png", []byte("<html><script>alert(1)</script></html>"), "只能上传"},
			{"宏.docx", docxWithMacros(t), "宏"},
			{"大照片.jpg", big, "20 MB"},
		} {
			r := officer.postMeetingForm(path, form, map[string][]byte{c.name: c.data})
			if r.status != 422 || !strings.Contains(r.body, "field-error") || !strings.Contains(r.body, c.want) {
				t.Errorf("%s: %d", c.name, r.status)
			}
			if n, f := count(); n != n0 || f != f0 {
				t.Errorf("%s: something was written (%d→%d meetings, %d→%d files)", c.name, n0, n, f0, f)
			}
		}
		r := officer.postMeetingForm(path, form, map[string][]byte{"会议照片.png": pngBytes})
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/meetings/") {
			t.Fatalf("with a photo: %d %s", r.status, r.body)
		}
		page := officer.get(strings.Split(r.header.Get("Location"), "?")[0])
		if !strings.Contains(page.body, `<img src="/files/`) {
			t.Error("the photo is not shown on the record page")
		}
		// A file of branch B (uploaded by the administrator) cannot be linked to branch A's record.
		admin := e.as(auth.OrgAdmin)
		up := admin.uploadFile("/api/v1/files", map[string]string{"org_id": fmt.Sprint(e.branchB)}, "b.png", pngBytes)
		var f struct{ ID int64 }
		up.json(t, &f)
		b := themeDay(e, e.branchA)
		b["attachment_ids"] = []int64{f.ID}
		if r := admin.sendJSON("POST", "/api/v1/meetings", b); r.status != 422 || !strings.Contains(r.body, "附件须属于本组织") {
			t.Errorf("linking another branch's file: %d %s", r.status, r.body)
		}
	})
}

// docxWithMacros is a Word package carrying a VBA project.
func docxWithMacros(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, name := range []string{"[Content_Types].xml", "word/document.xml", "word/vbaProject.bin"} {
		w, _ := zw.Create(name)
		_, _ = w.Write([]byte("<x/>"))
	}
	_ = zw.Close()
	return b.Bytes()
}

// The record pages render in every language without raw keys, through the whole life of a record.
func TestMeetingPagesRender(t *testing.T) {
	e := newEnv(t, sqliteOnly(t))
	officer := e.as(auth.BranchOfficer)
	id := meetingIn(e, e.branchA)
	if r := officer.postForm(fmt.Sprintf("/meetings/%d/submit", id), nil); r.status != http.StatusSeeOther {
		t.Fatalf("submit form: %d %s", r.status, r.body)
	}
	if r := officer.postForm(fmt.Sprintf("/orgs/%d/meetings/plan?year=2026", e.branchA), url.Values{"p_theme_day_3": {"1"}, "p_party_lesson_4": {"1"}, "p_org_life_meeting_2": {"1"}}); r.status != http.StatusSeeOther {
		t.Fatalf("plan form: %d %s", r.status, r.body)
	}
	pages := []string{
		fmt.Sprintf("/orgs/%d/meetings?month=2026-03", e.branchA),
		fmt.Sprintf("/orgs/%d/meetings/new?kind=committee_meeting&held_on=2026-03-02", e.branchA),
		fmt.Sprintf("/orgs/%d/meetings/new?kind=member_appraisal", e.branchA),
		fmt.Sprintf("/orgs/%d/meetings/new?kind=party_lesson", e.branchA),
		fmt.Sprintf("/meetings/%d", id),
		fmt.Sprintf("/meetings/%d/edit", id),
		fmt.Sprintf("/meetings/%d/versions", id),
		fmt.Sprintf("/orgs/%d/meetings/plan?year=2026", e.branchA),
		fmt.Sprintf("/reports/dual-life?org_id=%d&year=2026", e.root),
	}
	keys := i18n.Std().Keys(i18n.ZhHans)
	admin := e.as(auth.OrgAdmin)
	for _, l := range i18n.Langs {
		admin.do("GET", "/lang?lang="+string(l), nil, nil)
		for _, p := range pages {
			r := admin.get(p)
			if r.status != 200 {
				t.Errorf("%s %s: %d", l, p, r.status)
				continue
			}
			for _, k := range keys {
				if strings.Contains(r.body, ">"+k+"<") || strings.Contains(r.body, "\""+k+"\"") || strings.Contains(r.body, " "+k+" ") {
					t.Errorf("%s %s shows the raw key %q", l, p, k)
				}
			}
		}
	}
	plan := admin.get(fmt.Sprintf("/orgs/%d/meetings/plan?year=2026", e.branchA))
	// March's theme day is held; February's organisational life meeting is missed; April is still to come.
	if !strings.Contains(plan.body, `class="nowrap met">1/1`) || strings.Count(plan.body, `class="nowrap short">0/1`) != 1 ||
		!strings.Contains(plan.body, `class="nowrap">0/1`) {
		t.Error("the plan does not show March met, February short and April to come")
	}
}

// The dual-life workbook, from a fixed report: every cell as text against a golden file
// (go test ./internal/web -run DualLifeWorkbook -update-meetings rewrites it).
func TestDualLifeWorkbookGolden(t *testing.T) {
	s := &Server{Deps: Deps{I18n: i18n.Std()}}
	day := func(v string) db.Date { d, _ := db.ParseDate(v); return d }
	rep := orglife.DualLifeReport{OrgID: 2, OrgName: "示例局机关党委", Year: 2025, Items: []orglife.DualLifeItem{
		{MemberID: 11, Name: "王建国", HomeOrgID: 3, HomeOrgName: "办公室党支部", Expected: 4, Attended: 3, LessonsGiven: 1,
			Attendance: []orglife.LifeEntry{{MeetingID: 1, Kind: orglife.ThemeDay, HeldOn: day("2025-03-05"), OrgName: "办公室党支部", Topic: "主题党日", Present: true},
				{MeetingID: 4, Kind: orglife.OrgLifeMeeting, HeldOn: day("2025-12-10"), OrgName: "办公室党支部", Topic: "=HYPERLINK(\"x\")", Present: true}},
			Lessons:  []orglife.LifeEntry{{MeetingID: 7, Kind: orglife.PartyLesson, HeldOn: day("2025-05-20"), OrgName: "财务处党支部", Topic: "领导干部讲党课"}},
			Findings: []orglife.Finding{}},
		{MemberID: 12, Name: "李芳", HomeOrgID: 3, HomeOrgName: "办公室党支部", Expected: 4, Attended: 0,
			Findings: []orglife.Finding{
				{RuleID: "B2.19", Severity: "error", Key: "dual_life.finding.none", Args: map[string]any{"Expected": 4}},
				{RuleID: "A2.7", Severity: "warning", Key: "dual_life.finding.org_life"},
				{RuleID: "A2.5", Severity: "error", Key: "dual_life.finding.secretary_lesson"}}},
	}}
	for i := range rep.Items {
		for j := range rep.Items[i].Findings {
			f := &rep.Items[i].Findings[j]
			f.Message = s.I18n.T(i18n.ZhHans, f.Key, f.Args)
		}
	}
	f, err := s.dualLifeWorkbook(rep)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, sh := range f.GetSheetList() {
		fmt.Fprintf(&b, "== %s\n", sh)
		rows, err := f.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			b.WriteString(strings.Join(row, "\t"))
			b.WriteString("\n")
		}
	}
	// No cell is a formula, whatever a topic says.
	for _, sh := range f.GetSheetList() {
		rows, _ := f.GetRows(sh)
		for ri, row := range rows {
			for ci := range row {
				cell, _ := excelize.CoordinatesToCellName(ci+1, ri+1)
				if fm, _ := f.GetCellFormula(sh, cell); fm != "" {
					t.Errorf("%s!%s is a formula: %s", sh, cell, fm)
				}
			}
		}
	}
	golden := filepath.Join("testdata", "dual_life.golden")
	if *updateMeetingsGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update-meetings to create it)", err)
	}
	if b.String() != string(want) {
		t.Errorf("workbook differs from %s:\n%s", golden, b.String())
	}
}

// The report over the API and as a workbook, for a leading cadre who attended and lectured.
func TestDualLifeReportEndToEnd(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		var cadre int64
		if err := e.db.QueryRow(context.Background(), `SELECT m.id FROM members m JOIN orgs o ON o.id = m.org_id
			WHERE m.is_leading_cadre AND m.status = 'full' AND m.org_id = ? ORDER BY m.id LIMIT 1`, e.branchA).Scan(&cadre); err != nil {
			t.Skipf("no leading cadre in branch A of the demo: %v", err)
		}
		admin := e.as(auth.OrgAdmin)
		var rep orglife.DualLifeReport
		admin.get(fmt.Sprintf("/api/v1/reports/dual-life?org_id=%d&year=2026", e.branchA)).json(t, &rep)
		var base int
		for _, it := range rep.Items {
			if it.MemberID == cadre {
				base = it.Attended
			}
		}
		b := themeDay(e, e.branchA)
		r := admin.sendJSON("POST", "/api/v1/meetings", b)
		var m orglife.Meeting
		r.json(t, &m)
		admin.sendJSON("POST", fmt.Sprintf("/api/v1/meetings/%d/submit", m.ID), map[string]any{})
		admin.get(fmt.Sprintf("/api/v1/reports/dual-life?org_id=%d&year=2026", e.branchA)).json(t, &rep)
		found := false
		for _, it := range rep.Items {
			if it.MemberID == cadre {
				found = true
				if it.Attended != base+1 || it.HomeOrgID != e.branchA {
					t.Errorf("cadre line: %+v (attended before %d)", it, base)
				}
				for _, f := range it.Findings {
					if f.Message == "" || f.RuleID == "" {
						t.Errorf("finding without message or rule: %+v", f)
					}
				}
			}
		}
		if !found {
			t.Fatalf("cadre %d missing from %+v", cadre, rep.Items)
		}
		x := admin.get(fmt.Sprintf("/api/v1/reports/dual-life.xlsx?org_id=%d&year=2026", e.branchA))
		if x.status != 200 || !strings.HasPrefix(x.body, "PK") {
			t.Fatalf("workbook: %d", x.status)
		}
		wb, err := excelize.OpenReader(strings.NewReader(x.body))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := wb.GetRows("双重组织生活")
		detail, _ := wb.GetRows("明细")
		if len(rows) != 4+len(rep.Items) || !strings.Contains(r2s(detail), "主题党日：学习党章") {
			t.Errorf("workbook rows: %v / %v", rows, detail)
		}
	})
}
