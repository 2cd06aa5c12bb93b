package web

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/demo"
	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/xuri/excelize/v2"
)

func init() {
	authzMatrix = append(authzMatrix,
		matrixCase{name: "export members", method: "GET", scoped: true,
			want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200},
			path: func(e *env, orgID int64) string { return fmt.Sprintf("/api/v1/members/export?org_id=%d", orgID) }},
		matrixCase{name: "export members unmasked", method: "GET", scoped: true,
			want: map[auth.Role]int{auth.OrgAdmin: 200},
			path: func(e *env, orgID int64) string {
				return fmt.Sprintf("/api/v1/members/export?org_id=%d&unmask=true", orgID)
			}},
		matrixCase{name: "member import page", method: "GET", scoped: true,
			want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200},
			path: func(e *env, orgID int64) string { return fmt.Sprintf("/orgs/%d/members/import", orgID) }},
		matrixCase{name: "import template", method: "GET", path: fixed("/api/v1/members/import-template"),
			want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200, auth.Member: 200, auth.SystemAdmin: 200,
				auth.SecurityAdmin: 200, auth.AuditAdmin: 200}},
	)
}

// xlsxID is a valid ID number for import tests (born 1979-09-09, male), numbered n.
func xlsxID(n int) string { return demo.IDNumber(time.Date(1979, 9, 9, 0, 0, 0, 0, time.UTC), 301+2*n) }

func importSheet(t *testing.T, rows ...[]string) []byte {
	t.Helper()
	x := excelize.NewFile()
	defer x.Close()
	for i, r := range append([][]string{headers()}, rows...) {
		vals := make([]any, len(r))
		for j, v := range r {
			vals[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow("Sheet1", cell, &vals); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func headers() []string {
	var h []string
	for _, c := range org.ImportColumns {
		h = append(h, c.Header)
	}
	return h
}

func xrow(name, id string, branch int64) []string {
	return []string{name, id, "男", "1979-09-09", "汉族", "13900001111", "硕士研究生", fmt.Sprint(branch), "正式党员", "2005-07-01", "2006-07-01", "否"}
}

// upload posts a multipart form with the file and fields.
func (c *client) upload(path string, file []byte, fields map[string]string) resp {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if file != nil {
		w, _ := mw.CreateFormFile("file", "党员.xlsx")
		_, _ = w.Write(file)
	}
	_ = mw.Close()
	return c.do("POST", path, &buf, map[string]string{"Content-Type": mw.FormDataContentType()})
}

func (e *env) members() (n int) {
	_ = e.db.QueryRow(context.Background(), "SELECT COUNT(*) FROM members").Scan(&n)
	return n
}

type importJSON struct {
	Error struct {
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
	ImportID int64 `json:"import_id"`
	Rows     int   `json:"rows"`
	Valid    int   `json:"valid"`
	Invalid  int   `json:"invalid"`
	Imported int   `json:"imported"`
	Errors   []struct {
		Row     int    `json:"row"`
		Column  string `json:"column"`
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func TestMemberImportTemplate(t *testing.T) {
	e := newEnv(t, sqliteOnly(t))
	r := e.as(auth.BranchOfficer).get("/api/v1/members/import-template")
	if r.status != 200 || r.header.Get("Content-Type") != xlsxType || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("%d %v", r.status, r.header)
	}
	x, err := excelize.OpenReader(strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if got := x.GetSheetList(); len(got) != 2 || got[0] != "党员信息" || got[1] != "填写说明" {
		t.Fatalf("sheets %v", got)
	}
	rows, _ := x.GetRows("党员信息")
	want := "姓名,身份证号码,性别,出生日期,民族,手机号码,学历,所在支部,人员类别,入党日期,转正日期,是否党员领导干部"
	if len(rows) != 1 || strings.Join(rows[0], ",") != want {
		t.Fatalf("headers %v", rows)
	}
	// The template, filled in, imports.
	if err := x.SetSheetRow("党员信息", "A2", &[]any{"孙一", xlsxID(40), "男", "", "汉族", "", "大学本科", fmt.Sprint(e.branchA), "正式党员", "2005-07-01", "", "否"}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_, _ = x.WriteTo(&buf)
	res := e.as(auth.BranchOfficer).upload("/api/v1/members/import", buf.Bytes(), map[string]string{"org_id": fmt.Sprint(e.branchA), "dry_run": "false"})
	if res.status != http.StatusCreated {
		t.Fatalf("filled template: %d %s", res.status, res.body)
	}
}

// Import through the API: refused files with Chinese messages, a preview with row errors in Chinese,
// all or nothing, skip_invalid, rollback; an officer cannot import into another branch.
func TestMemberImportAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin, officer := e.as(auth.OrgAdmin), e.as(auth.BranchOfficer)
		before := e.members()
		own := map[string]string{"org_id": fmt.Sprint(e.branchA)}
		for _, c := range []struct {
			name string
			file []byte
			want string
		}{
			{"0-byte file", []byte{}, "文件是空的"},
			{"not an xlsx", []byte("姓名,身份证号码\n"), "不是有效的 Excel 表格"},
		} {
			r := officer.upload("/api/v1/members/import", c.file, own)
			var v importJSON
			r.json(t, &v)
			if r.status != http.StatusUnprocessableEntity || !strings.Contains(v.Error.Fields["file"], c.want) {
				t.Errorf("%s: %d %s", c.name, r.status, r.body)
			}
		}

		bad := "110105194912310021" // H1: wrong check character
		sheet := importSheet(t, xrow("周一", xlsxID(1), e.branchA), xrow("周二", bad, e.branchA),
			xrow("周三", xlsxID(3), e.branchA), xrow("周四", xlsxID(1), e.branchA))
		// Preview (dry_run defaults to true).
		r := officer.upload("/api/v1/members/import", sheet, own)
		var v importJSON
		r.json(t, &v)
		if r.status != 200 || v.Rows != 4 || v.Valid != 2 || v.Invalid != 2 || e.members() != before {
			t.Fatalf("preview: %d %s", r.status, r.body)
		}
		msgs := map[int]string{}
		for _, er := range v.Errors {
			msgs[er.Row] += er.Column + "：" + er.Message
		}
		if !strings.Contains(msgs[3], "身份证号码：身份证号码校验位不正确") || !strings.Contains(msgs[5], "与第 2 行重复") {
			t.Errorf("H1 row messages: %v", msgs)
		}
		// All or nothing: 422, nobody imported.
		r = officer.upload("/api/v1/members/import", sheet, map[string]string{"org_id": own["org_id"], "dry_run": "false"})
		v = importJSON{}
		r.json(t, &v)
		if r.status != http.StatusUnprocessableEntity || v.Imported != 0 || !strings.Contains(v.Error.Message, "未导入任何人员") || e.members() != before {
			t.Fatalf("all or nothing: %d %s", r.status, r.body)
		}
		// Skip the bad rows by explicit choice.
		r = officer.upload("/api/v1/members/import", sheet, map[string]string{"org_id": own["org_id"], "dry_run": "false", "skip_invalid": "true"})
		v = importJSON{}
		r.json(t, &v)
		if r.status != http.StatusCreated || v.Imported != 2 || e.members() != before+2 {
			t.Fatalf("skip_invalid: %d %s", r.status, r.body)
		}
		if e.auditCount("member.import") != 1 {
			t.Error("member.import not audited")
		}
		// The officer cannot roll back; the org admin can, and the roster is as before.
		path := fmt.Sprintf("/api/v1/members/import/%d/rollback", v.ImportID)
		if r := officer.do("POST", path, nil, nil); r.status != http.StatusForbidden {
			t.Errorf("officer rollback: %d", r.status)
		}
		if r := admin.do("POST", path, nil, nil); r.status != 200 || e.members() != before {
			t.Fatalf("rollback: %d %s, %d members", r.status, r.body, e.members())
		}
		if r := admin.do("POST", path, nil, nil); r.status != http.StatusConflict {
			t.Errorf("second rollback: %d", r.status)
		}

		// Another branch: the scope itself (403) and a row naming it inside the officer's scope.
		denied := e.auditCount("authz.denied")
		if r := officer.upload("/api/v1/members/import", importSheet(t, xrow("吴一", xlsxID(7), e.branchB)),
			map[string]string{"org_id": fmt.Sprint(e.branchB), "dry_run": "false"}); r.status != http.StatusForbidden {
			t.Errorf("officer into branch B: %d %s", r.status, r.body)
		}
		if e.auditCount("authz.denied") != denied+1 {
			t.Error("refused import not audited")
		}
		r = officer.upload("/api/v1/members/import", importSheet(t, xrow("吴一", xlsxID(7), e.branchB)),
			map[string]string{"org_id": own["org_id"], "dry_run": "false"})
		v = importJSON{}
		r.json(t, &v)
		if r.status != http.StatusUnprocessableEntity || len(v.Errors) != 1 || v.Errors[0].Field != "org_id" ||
			!strings.Contains(v.Errors[0].Message, "不在您管理的范围内") || e.members() != before {
			t.Errorf("row in branch B: %d %s", r.status, r.body)
		}
	})
}

// Export: masked unless an org admin asks (audited), formula injection neutralised, filters applied.
func TestMemberExport(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin, officer := e.as(auth.OrgAdmin), e.as(auth.BranchOfficer)
		body := newMemberBody(e.branchA)
		body["name"], body["job_title"], body["unit_name"] = "=1+2", "@SUM(A1)", "-2+3"
		id := body["id_number"].(string)
		if r := admin.sendJSON("POST", "/api/v1/members", body); r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		read := func(r resp) [][]string {
			t.Helper()
			if r.status != 200 || r.header.Get("Content-Type") != xlsxType {
				t.Fatalf("export: %d %s", r.status, r.body)
			}
			x, err := excelize.OpenReader(strings.NewReader(r.body))
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			rows, err := x.GetRows("党员名册")
			if err != nil {
				t.Fatal(err)
			}
			for i, row := range rows {
				for j := range row {
					if f, _ := x.GetCellFormula("党员名册", cellName(j, i+1)); f != "" {
						t.Fatalf("a formula in the export: %q", f)
					}
				}
			}
			return rows
		}
		exports := e.auditCount("member.export")
		rows := read(officer.get(fmt.Sprintf("/api/v1/members/export?org_id=%d&q=%s", e.branchA, url.QueryEscape("=1"))))
		if len(rows) != 2 || rows[0][0] != "姓名" {
			t.Fatalf("filtered export: %v", rows)
		}
		m := rows[1]
		if m[0] != "'=1+2" || m[12] != "'@SUM(A1)" || m[13] != "'-2+3" {
			t.Errorf("formula injection not neutralised: %q", m)
		}
		if m[1] != id[:6]+"********"+id[14:] || m[5] != "138****9999" || strings.Contains(r2s(rows), id) {
			t.Errorf("not masked: %q", m)
		}
		if m[2] != "男" || m[8] != "正式党员" || m[6] != "研究生（硕士）" {
			t.Errorf("labels: %q", m)
		}
		// The whole branch, in pinyin order, every row masked.
		all := read(officer.get(fmt.Sprintf("/api/v1/members/export?org_id=%d", e.branchA)))
		masked := regexp.MustCompile(`^\d{6}\*{8}[\dX]{4}$`)
		for _, row := range all[1:] {
			if !masked.MatchString(row[1]) {
				t.Errorf("unmasked ID in a masked export: %q", row[1])
			}
		}
		if r := officer.get(fmt.Sprintf("/api/v1/members/export?org_id=%d&unmask=true", e.branchA)); r.status != http.StatusForbidden {
			t.Errorf("officer unmasked export: %d", r.status)
		}
		rows = read(admin.get(fmt.Sprintf("/api/v1/members/export?org_id=%d&q=%s&unmask=true", e.branchA, url.QueryEscape("=1"))))
		if rows[1][1] != id || rows[1][5] != "13800009999" {
			t.Errorf("unmasked export: %q", rows[1])
		}
		if e.auditCount("member.export") != exports+3 {
			t.Errorf("exports audited %d, want %d", e.auditCount("member.export"), exports+3)
		}
		var detail string
		_ = e.db.QueryRow(context.Background(), "SELECT detail FROM audit_log WHERE action = 'member.export' ORDER BY seq DESC LIMIT 1").Scan(&detail)
		if !strings.HasPrefix(detail, "unmasked") {
			t.Errorf("unmasked export recorded as %q", detail)
		}
		if r := officer.get(fmt.Sprintf("/api/v1/members/export?org_id=%d", e.branchB)); r.status != http.StatusForbidden {
			t.Errorf("officer exports branch B: %d", r.status)
		}
	})
}

func cellName(col, row int) string { c, _ := excelize.CoordinatesToCellName(col+1, row); return c }

func r2s(rows [][]string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, "\t"))
	}
	return b.String()
}

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{"=cmd|' /C calc'!A0": "'=cmd|' /C calc'!A0", "+1": "'+1", "-1": "'-1", "@x": "'@x",
		"\tx": "'\tx", "\rx": "'\rx", "张三": "张三", "": "", "1=1": "1=1"} {
		if got := org.SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// The page: upload → preview with the Chinese row errors → confirm (skipping the bad row) → rollback.
func TestMemberImportPage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.as(auth.OrgAdmin)
		page := fmt.Sprintf("/orgs/%d/members/import", e.branchA)
		if r := admin.get(page); r.status != 200 || !strings.Contains(r.body, "批量导入党员") || !strings.Contains(r.body, "/api/v1/members/import-template") {
			t.Fatalf("page: %d", r.status)
		}
		before := e.members()
		r := admin.upload(page, importSheet(t, xrow("郑一", xlsxID(11), e.branchA), xrow("郑二", "11010519491231002", e.branchA)), nil)
		if r.status != 200 || !strings.Contains(r.body, "身份证号码应为18位") || e.members() != before {
			t.Fatalf("preview: %d %s", r.status, r.body)
		}
		tok := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindStringSubmatch(r.body)
		if tok == nil {
			t.Fatal("no confirm form")
		}
		if r := admin.postForm(page, url.Values{"token": {tok[1]}}); r.status != http.StatusUnprocessableEntity || e.members() != before {
			t.Fatalf("all or nothing: %d", r.status)
		}
		r = admin.postForm(page, url.Values{"token": {tok[1]}, "skip_invalid": {"1"}})
		if r.status != 200 || !strings.Contains(r.body, "已导入 1 人") || e.members() != before+1 {
			t.Fatalf("confirm: %d %s", r.status, r.body)
		}
		rb := regexp.MustCompile(`action="(/orgs/\d+/members/import/\d+/rollback)"`).FindStringSubmatch(r.body)
		if rb == nil {
			t.Fatal("no rollback button")
		}
		if r := admin.postForm(rb[1], nil); r.status != http.StatusSeeOther || e.members() != before {
			t.Fatalf("rollback: %d %s", r.status, r.body)
		}
		if r := admin.upload(page, []byte{}, nil); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "文件是空的") {
			t.Errorf("empty file: %d", r.status)
		}
		if r := e.as(auth.BranchOfficer).upload(fmt.Sprintf("/orgs/%d/members/import", e.branchB), importSheet(t, xrow("郑三", xlsxID(12), e.branchB)), nil); r.status != http.StatusForbidden {
			t.Errorf("officer on branch B: %d", r.status)
		}
	})
}
