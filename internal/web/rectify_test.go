package web

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/rectify"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files")

// rectifyItems caches one item per (environment, implementing branch) for the authorization matrix.
var rectifyItems sync.Map

// rectifyItemFor is an item implemented by branch org, of its committee, supervised by the root.
func rectifyItemFor(e *env, org int64) int64 {
	key := fmt.Sprintf("%p/%d", e, org)
	if id, ok := rectifyItems.Load(key); ok {
		return id.(int64)
	}
	ctx := context.Background()
	admin, err := e.auth.UserByName(ctx, "demo_admin")
	if err != nil {
		e.t.Fatal(err)
	}
	path, _ := e.auth.OrgPath(ctx, org)
	committee := atoi(strings.Split(strings.Trim(path, "/"), "/")[1])
	p := auth.Principal{UserID: admin.ID, Username: admin.Username, Role: auth.OrgAdmin, OrgID: e.root, OrgPath: fmt.Sprintf("/%d/", e.root)}
	it, err := e.srv.Rectify.Create(ctx, p, rectify.NewItem{Title: "矩阵测试问题", Finding: "矩阵测试问题描述", ResponsibleOrgID: committee,
		ImplementingIDs: []int64{org}, SupervisorOrgID: e.root, DueOn: "2026-06-30"})
	if err != nil {
		e.t.Fatal(err)
	}
	rectifyItems.Store(key, it.ID)
	return it.ID
}

func init() {
	authzMatrix = append(authzMatrix,
		matrixCase{name: "rectification ledger API", method: "GET", scoped: true,
			path: func(e *env, org int64) string { return fmt.Sprintf("/api/v1/rectifications?org_id=%d", org) },
			want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200}},
		matrixCase{name: "rectification item", method: "GET", scoped: true,
			path: func(e *env, org int64) string {
				return fmt.Sprintf("/api/v1/rectifications/%d", rectifyItemFor(e, org))
			},
			want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200}},
		matrixCase{name: "rectification item page", method: "GET", scoped: true,
			path: func(e *env, org int64) string { return fmt.Sprintf("/rectifications/%d", rectifyItemFor(e, org)) },
			want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200}},
		matrixCase{name: "rectification ledger export", method: "GET", scoped: true,
			path: func(e *env, org int64) string {
				return fmt.Sprintf("/api/v1/rectifications/ledger.xlsx?org_id=%d", org)
			},
			want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200}},
		matrixCase{name: "rectification ledger page", method: "GET", path: fixed("/rectifications"),
			want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200}},
		matrixCase{name: "rectification statistics", method: "GET", scoped: true,
			path: func(e *env, org int64) string { return fmt.Sprintf("/api/v1/rectifications/stats?org_id=%d", org) },
			want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200}},
		matrixCase{name: "feedback import template", method: "GET", path: fixed("/api/v1/rectifications/feedbacks/template.xlsx"),
			want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200}},
		matrixCase{name: "record a feedback document", method: "POST", path: fixed("/api/v1/rectifications/feedbacks"),
			body: func(e *env, org int64, role auth.Role) any {
				return map[string]any{"title": "矩阵反馈意见", "responsible_org_id": e.committeeA, "supervisor_org_id": e.root,
					"findings": []map[string]any{{"finding": "矩阵问题", "implementing_org_ids": []int64{org}, "due_on": "2026-06-30"}}}
			},
			want: map[auth.Role]int{auth.OrgAdmin: 201}},
		matrixCase{name: "record a coordination meeting", method: "POST", path: fixed("/api/v1/rectifications/meetings"),
			body: func(e *env, org int64, role auth.Role) any {
				return map[string]any{"title": "矩阵会办", "held_on": "2026-03-09", "org_id": e.root, "difficulties": []string{"活动经费保障"},
					"decisions": []map[string]any{{"decision": "矩阵事项", "responsible_org_id": e.committeeA, "implementing_org_ids": []int64{org}, "due_on": "2026-06-30"}}}
			},
			want: map[auth.Role]int{auth.OrgAdmin: 201}},
		// Only the supervising 工委 records findings: the branch officer may not, even for their branch.
		matrixCase{name: "record a rectification", method: "POST", path: fixed("/api/v1/rectifications"),
			body: func(e *env, org int64, role auth.Role) any {
				return map[string]any{"title": "矩阵录入", "finding": "矩阵录入问题", "source": "manual", "responsible_org_id": e.committeeA,
					"implementing_org_ids": []int64{org}, "supervisor_org_id": e.root, "due_on": "2026-06-30"}
			},
			want: map[auth.Role]int{auth.OrgAdmin: 201}},
	)
}

// newRectifyItem records an item as the supervisor (the root org admin) through the API contract.
func newRectifyItem(t *testing.T, e *env, sup *client, title string) int64 {
	t.Helper()
	r := sup.sendJSON("POST", "/api/v1/rectifications", map[string]any{"title": title, "finding": title + "：问题描述", "source": "inspection_tour",
		"responsible_org_id": e.committeeA, "implementing_org_ids": []int64{e.branchA}, "supervisor_org_id": e.root, "due_on": "2026-06-30"})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var it struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	r.json(t, &it)
	if it.ID == 0 || it.Status != "open" {
		t.Fatalf("create answered %s", r.body)
	}
	return it.ID
}

type rectifyView struct {
	ID      int64    `json:"id"`
	Status  string   `json:"status"`
	Overdue bool     `json:"overdue"`
	Planned bool     `json:"plan_proposed"`
	Allowed []string `json:"allowed_actions"`
	Steps   []struct {
		Action string `json:"action"`
	} `json:"steps"`
	Evidence []struct {
		ID int64 `json:"id"`
	} `json:"evidence"`
}

func getRectify(t *testing.T, c *client, id int64) rectifyView {
	t.Helper()
	r := c.get(fmt.Sprintf("/api/v1/rectifications/%d", id))
	if r.status != http.StatusOK {
		t.Fatalf("get %d: %d %s", id, r.status, r.body)
	}
	var v rectifyView
	r.json(t, &v)
	return v
}

// TestRectifyTransitionTable: every state × action × role, through the real router on both engines.
// The table below is the specification (seed §4 and decision 0005), written out by hand: the implementing
// side (the implementing branch's officer, and the responsible 党委's admin) plans, reports and submits;
// the supervisor (the 工委's admin) accepts plans, closes, rejects and reopens. Every other call is
// refused — 403 for the wrong side or an outsider, 409 for the right side in the wrong state — and
// changes nothing.
func TestRectifyTransitionTable(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		sup := e.as(auth.OrgAdmin)
		impl := e.as(auth.BranchOfficer)
		member := e.as(auth.Member)
		for _, u := range []auth.NewUser{
			{Username: "committee_a_admin", Password: "Committee-a-2026", Role: auth.OrgAdmin, OrgID: e.committeeA},
			{Username: "branch_b_officer", Password: "Branch-b-2026", Role: auth.BranchOfficer, OrgID: e.branchB},
		} {
			if _, err := e.auth.CreateUser(t.Context(), u); err != nil {
				t.Fatal(err)
			}
		}
		respC, outsider := e.client(), e.client()
		respC.login("committee_a_admin", "Committee-a-2026")
		outsider.login("branch_b_officer", "Branch-b-2026")
		roles := []struct {
			name string
			c    *client
		}{{"supervisor", sup}, {"implementing", impl}, {"responsible", respC}, {"outsider", outsider}, {"member", member}}

		up := impl.uploadFile("/api/v1/files", map[string]string{"org_id": fmt.Sprint(e.branchA)}, "整改照片.png", pngBytes)
		if up.status != http.StatusCreated {
			t.Fatalf("upload: %d %s", up.status, up.body)
		}
		var file struct {
			ID int64 `json:"id"`
		}
		up.json(t, &file)

		body := map[string]map[string]any{
			"plan":        {"measures": "逐月检查会议记录", "due_on": "2026-05-31"},
			"accept_plan": {"comment": "同意"},
			"report":      {"comment": "已检查三个支部"},
			"submit":      {"comment": "已完成整改", "evidence_ids": []int64{file.ID}},
			"close":       {"comment": "经核查同意销号"},
			"reject":      {"comment": "佐证材料不足"},
			"reopen":      {"comment": "问题反弹"},
		}
		act := func(c *client, id int64, action string) resp {
			b := map[string]any{"action": action}
			for k, v := range body[action] {
				b[k] = v
			}
			return c.sendJSON("POST", fmt.Sprintf("/api/v1/rectifications/%d/actions", id), b)
		}
		// How to bring a new item into each state, and who takes each step.
		path := map[string][]string{
			"open": {}, "proposed": {"plan"}, "planned": {"plan", "accept_plan"},
			"in_progress": {"plan", "accept_plan", "report"}, "submitted": {"plan", "accept_plan", "report", "submit"},
			"closed": {"plan", "accept_plan", "report", "submit", "close"},
		}
		stepBy := map[string]*client{"plan": impl, "report": impl, "submit": impl, "accept_plan": sup, "close": sup, "reject": sup, "reopen": sup}
		itemIn := func(state string) int64 {
			id := newRectifyItem(t, e, sup, "状态"+state)
			for _, a := range path[state] {
				if r := act(stepBy[a], id, a); r.status != http.StatusOK {
					t.Fatalf("to %s, %s: %d %s", state, a, r.status, r.body)
				}
			}
			return id
		}
		// The specification: allowed[state][role] → action → resulting status.
		implSteps := map[string]map[string]string{
			"open": {"plan": "open"}, "proposed": {"plan": "open"}, "planned": {"report": "in_progress"},
			"in_progress": {"report": "in_progress", "submit": "submitted"},
		}
		supSteps := map[string]map[string]string{
			"proposed": {"accept_plan": "planned"}, "submitted": {"close": "closed", "reject": "in_progress"}, "closed": {"reopen": "in_progress"},
		}
		supervisorActions := map[string]bool{"accept_plan": true, "close": true, "reject": true, "reopen": true}
		states := []string{"open", "proposed", "planned", "in_progress", "submitted", "closed"}
		actions := []string{"plan", "accept_plan", "report", "submit", "close", "reject", "reopen"}
		for _, st := range states {
			base := itemIn(st)
			before := getRectify(t, sup, base)
			for _, a := range actions {
				for _, ro := range roles {
					var next string
					var ok bool
					switch ro.name {
					case "supervisor":
						next, ok = supSteps[st][a]
					case "implementing", "responsible":
						next, ok = implSteps[st][a]
					}
					if ok {
						id := itemIn(st)
						r := act(ro.c, id, a)
						var v rectifyView
						if r.status == http.StatusOK {
							r.json(t, &v)
						}
						if r.status != http.StatusOK || v.Status != next {
							t.Errorf("%s × %s × %s: %d %s, want 200 and status %s", st, a, ro.name, r.status, v.Status, next)
						}
						continue
					}
					want := http.StatusForbidden
					if (ro.name == "supervisor" && supervisorActions[a]) || ((ro.name == "implementing" || ro.name == "responsible") && !supervisorActions[a]) {
						want = http.StatusConflict
					}
					r := act(ro.c, base, a)
					if r.status != want {
						t.Errorf("%s × %s × %s: %d %s, want %d", st, a, ro.name, r.status, r.body, want)
					}
					if !strings.Contains(r.body, `"message"`) {
						t.Errorf("%s × %s × %s: refusal without a message: %s", st, a, ro.name, r.body)
					}
				}
			}
			after := getRectify(t, sup, base)
			if after.Status != before.Status || len(after.Steps) != len(before.Steps) || after.Planned != before.Planned {
				t.Errorf("%s: refused calls changed the item: %+v → %+v", st, before, after)
			}
		}
		if e.auditCount("authz.denied") == 0 {
			t.Error("refused steps are not audited")
		}
	})
}

// TestRectifyAPIContract: create → 201 {id, status:"open"}; get with status; list for the subtree
// with {items, total}, filtered by status and overdue; the unrelated branch sees nothing.
func TestRectifyAPIContract(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		sup := e.as(auth.OrgAdmin)
		impl := e.as(auth.BranchOfficer)
		id := newRectifyItem(t, e, sup, "接口契约问题")
		if v := getRectify(t, impl, id); v.Status != "open" || len(v.Allowed) != 1 || v.Allowed[0] != "plan" {
			t.Fatalf("implementing officer's view: %+v", v)
		}
		list := func(c *client, q string) (int, []rectifyView) {
			t.Helper()
			r := c.get("/api/v1/rectifications?" + q)
			if r.status != http.StatusOK {
				t.Fatalf("list %s: %d %s", q, r.status, r.body)
			}
			var out struct {
				Items []rectifyView `json:"items"`
				Total int           `json:"total"`
			}
			r.json(t, &out)
			return out.Total, out.Items
		}
		has := func(items []rectifyView, id int64) bool {
			for _, it := range items {
				if it.ID == id {
					return true
				}
			}
			return false
		}
		if n, items := list(impl, fmt.Sprintf("org_id=%d&status=open", e.branchA)); n == 0 || !has(items, id) {
			t.Fatalf("branch list lacks the item (%d)", n)
		}
		// The demo's overdue item is the only overdue one; ours is not overdue.
		if n, items := list(sup, fmt.Sprintf("org_id=%d&overdue=true", e.root)); n != 1 || has(items, id) || !items[0].Overdue {
			t.Fatalf("overdue list: %d %+v", n, items)
		}
		// Statistics over the demo's document and meeting plus ours: 1 of 10 closed, 120 days to close.
		st := sup.get(fmt.Sprintf("/api/v1/rectifications/stats?org_id=%d", e.root))
		if st.status != http.StatusOK || !strings.Contains(st.body, `"all":{"key":"all","total":10,"closed":1,"closure_rate":10,"avg_days_to_close":120,"overdue":1}`) {
			t.Fatalf("stats: %d %s", st.status, st.body)
		}
		// An officer of an unrelated branch sees nothing: not the item, not in their list, not acting on it.
		if _, err := e.auth.CreateUser(t.Context(), auth.NewUser{Username: "branch_b_officer", Password: "Branch-b-2026", Role: auth.BranchOfficer, OrgID: e.branchB}); err != nil {
			t.Fatal(err)
		}
		outsider := e.client()
		outsider.login("branch_b_officer", "Branch-b-2026")
		if r := outsider.get(fmt.Sprintf("/api/v1/rectifications/%d", id)); r.status != http.StatusForbidden && r.status != http.StatusNotFound {
			t.Fatalf("outsider get: %d", r.status)
		}
		if n, items := list(outsider, ""); has(items, id) || n != len(items) {
			t.Fatalf("outsider's list shows the item (%d)", n)
		}
		if r := outsider.get(fmt.Sprintf("/api/v1/rectifications?org_id=%d", e.branchA)); r.status != http.StatusForbidden {
			t.Fatalf("outsider listing another branch: %d", r.status)
		}
		if r := outsider.get(fmt.Sprintf("/rectifications/%d", id)); r.status != http.StatusForbidden {
			t.Fatalf("outsider page: %d", r.status)
		}
		// The demo's feedback document: the implementing branch reads it through its items; the outsider
		// may not, and neither finds it in their lists.
		if r := impl.get("/api/v1/rectifications/feedbacks/1"); r.status != http.StatusOK || !strings.Contains(r.body, "支部换届未按期进行") {
			t.Fatalf("branch reading its feedback document: %d", r.status)
		}
		if r := outsider.get("/api/v1/rectifications/feedbacks/1"); r.status != http.StatusForbidden {
			t.Fatalf("outsider reading the feedback document: %d", r.status)
		}
		if r := impl.get("/rectifications"); !strings.Contains(r.body, "/rectifications/feedbacks/1") {
			t.Error("the branch's ledger does not list the feedback document it implements")
		}
		if r := outsider.get("/rectifications"); strings.Contains(r.body, "/rectifications/feedbacks/1") || strings.Contains(r.body, "/rectifications/meetings/1") {
			t.Error("the outsider's ledger lists another organ's document or meeting")
		}
		// Bad input: field-level messages in the user's language, nothing written.
		before := e.auditCount("rectify.create")
		r := sup.sendJSON("POST", "/api/v1/rectifications", map[string]any{"finding": "x", "source": "rumour", "responsible_org_id": e.branchA,
			"implementing_org_ids": []int64{e.root}, "supervisor_org_id": e.root, "due_on": "2026-02-30"})
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("bad create: %d %s", r.status, r.body)
		}
		for _, want := range []string{`"finding"`, `"source"`, `"due_on"`, "问题描述"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("bad create lacks %s: %s", want, r.body)
			}
		}
		r = sup.sendJSON("POST", "/api/v1/rectifications", map[string]any{"finding": "责任单位为支部", "responsible_org_id": e.branchA,
			"implementing_org_ids": []int64{e.root}, "supervisor_org_id": e.root, "due_on": "2026-06-30"})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "党组或党委") || !strings.Contains(r.body, "督导单位下属") {
			t.Fatalf("wrong organisations: %d %s", r.status, r.body)
		}
		if e.auditCount("rectify.create") != before {
			t.Fatal("a refused create was written")
		}
		// Evidence of another branch cannot be linked (the item's scope), nothing changes.
		other := e.as(auth.OrgAdmin).uploadFile("/api/v1/files", map[string]string{"org_id": fmt.Sprint(e.branchB)}, "别的支部.png", pngBytes)
		var f struct {
			ID int64 `json:"id"`
		}
		other.json(t, &f)
		r = impl.sendJSON("POST", fmt.Sprintf("/api/v1/rectifications/%d/actions", id), map[string]any{"action": "plan",
			"measures": "措施", "due_on": "2026-05-31", "evidence_ids": []int64{f.ID}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "evidence_ids") {
			t.Fatalf("foreign evidence: %d %s", r.status, r.body)
		}
		if v := getRectify(t, sup, id); v.Planned || len(v.Steps) != 1 {
			t.Fatalf("a refused plan changed the item: %+v", v)
		}
	})
}

// TestRectifyLedgerExportGolden: the 台账 export for the whole deployment, read back cell by cell and
// compared with a golden file (go test -run TestRectifyLedgerExportGolden -update rewrites it). A finding
// that looks like a formula is written as text.
func TestRectifyLedgerExportGolden(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		sup := e.as(auth.OrgAdmin)
		newRectifyItem(t, e, sup, "=HYPERLINK(\"http://x\",\"点此\")")
		r := sup.get(fmt.Sprintf("/api/v1/rectifications/ledger.xlsx?org_id=%d", e.root))
		if r.status != http.StatusOK || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("export: %d %v", r.status, r.header)
		}
		x, err := excelize.OpenReader(bytes.NewReader([]byte(r.body)))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		rows, err := x.GetRows("整改台账")
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, row := range rows {
			b.WriteString(strings.Join(row, "\t"))
			b.WriteString("\n")
		}
		for _, row := range rows {
			for _, c := range row {
				if strings.HasPrefix(c, "=") {
					t.Errorf("cell %q would run as a formula", c)
				}
			}
		}
		golden := filepath.Join("testdata", "rectify_ledger.golden")
		if *updateGolden {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if b.String() != string(want) {
			t.Errorf("export differs from %s:\n%s", golden, b.String())
		}
		if e.auditCount("rectify.ledger_export") != 1 {
			t.Error("export not audited")
		}
	})
}

// TestRectifyFeedbackImport: a feedback document's findings from the template's sheet — a bad row stops
// the whole import with row errors in Chinese; with skip_invalid the good rows are recorded.
func TestRectifyFeedbackImport(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		sup := e.as(auth.OrgAdmin)
		tpl := sup.get("/api/v1/rectifications/feedbacks/template.xlsx")
		if tpl.status != http.StatusOK {
			t.Fatalf("template: %d", tpl.status)
		}
		var branchName string
		if err := e.db.QueryRow(t.Context(), "SELECT name FROM orgs WHERE id = ?", e.branchA).Scan(&branchName); err != nil {
			t.Fatal(err)
		}
		x := excelize.NewFile()
		rows := [][]string{
			{"序号", "*问题", "问题类别", "*落实单位", "责任人", "*整改时限", "长期坚持", "报告周期（月）"},
			{"1", "党员教育培训学时不足", "思想建设", branchName, "张三", "2026年6月30日", "否", ""},
			{"2", "支部阵地建设不规范", "组织建设", "不存在的支部", "李四", "2026-06-30", "否", ""},
			{"3", "主题党日活动形式单一", "组织建设", fmt.Sprint(e.branchA), "", "2026/7/15", "是", "3"},
		}
		for i, row := range rows {
			for j, v := range row {
				cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
				_ = x.SetCellStr("Sheet1", cell, v)
			}
		}
		var buf bytes.Buffer
		_, _ = x.WriteTo(&buf)
		fields := map[string]string{"title": "市委第二巡察组反馈意见", "responsible_org_id": fmt.Sprint(e.committeeA), "supervisor_org_id": fmt.Sprint(e.root)}
		before, docs := e.auditCount("rectify.create"), e.auditCount("rectify.feedback")
		r := sup.uploadFile("/api/v1/rectifications/feedbacks/import", fields, "反馈.xlsx", buf.Bytes())
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "找不到该落实单位") || !strings.Contains(r.body, `"row":3`) {
			t.Fatalf("all or nothing: %d %s", r.status, r.body)
		}
		if e.auditCount("rectify.create") != before || e.auditCount("rectify.feedback") != docs {
			t.Fatal("a refused import wrote something")
		}
		fields["skip_invalid"] = "1"
		r = sup.uploadFile("/api/v1/rectifications/feedbacks/import", fields, "反馈.xlsx", buf.Bytes())
		var res rectify.ImportResult
		r.json(t, &res)
		if r.status != http.StatusCreated || res.Imported != 2 || res.Invalid != 1 || res.FeedbackID == 0 {
			t.Fatalf("skip invalid: %d %s", r.status, r.body)
		}
		fb := sup.get(fmt.Sprintf("/api/v1/rectifications/feedbacks/%d", res.FeedbackID))
		if fb.status != http.StatusOK || !strings.Contains(fb.body, "主题党日活动形式单一") || !strings.Contains(fb.body, `"long_term":true`) {
			t.Fatalf("feedback document: %d %s", fb.status, fb.body)
		}
	})
}

// TestRectifyMeetingDecisionsBecomeItems: a coordination meeting (集中会办) with its difficulties; each
// decision is a tracked item linked to the meeting.
func TestRectifyMeetingDecisionsBecomeItems(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		sup := e.as(auth.OrgAdmin)
		r := sup.sendJSON("POST", "/api/v1/rectifications/meetings", map[string]any{"title": "集中会办", "held_on": "2026-03-09",
			"org_id": e.root, "difficulties": []string{"纪检组织建设", "党务干部选配", "活动经费保障"},
			"decisions": []map[string]any{
				{"decision": "增补纪检委员", "difficulty": "纪检组织建设", "responsible_org_id": e.committeeA, "implementing_org_ids": []int64{e.committeeA}, "owner": "王五", "due_on": "2026-04-30"},
				{"decision": "经费纳入预算", "difficulty": "活动经费保障", "responsible_org_id": e.committeeA, "implementing_org_ids": []int64{e.branchA}, "owner": "赵六", "due_on": "2026-05-31"},
			}})
		if r.status != http.StatusCreated {
			t.Fatalf("meeting: %d %s", r.status, r.body)
		}
		var m struct {
			ID    int64 `json:"id"`
			Items []struct {
				ID        int64  `json:"id"`
				MeetingID int64  `json:"meeting_id"`
				Source    string `json:"source"`
				Category  string `json:"category"`
			} `json:"items"`
		}
		r.json(t, &m)
		if len(m.Items) != 2 || m.Items[0].MeetingID != m.ID || m.Items[0].Source != "coordination_meeting" || m.Items[1].Category != "活动经费保障" {
			t.Fatalf("meeting items: %s", r.body)
		}
		// The branch officer sees the decision given to the branch, on the meeting page too.
		if p := e.as(auth.BranchOfficer).get(fmt.Sprintf("/rectifications/meetings/%d", m.ID)); p.status != http.StatusOK || !strings.Contains(p.body, "经费纳入预算") {
			t.Fatalf("meeting page for the branch: %d", p.status)
		}
		bad := sup.sendJSON("POST", "/api/v1/rectifications/meetings", map[string]any{"title": "集中会办", "held_on": "2026-03-09",
			"org_id": e.root, "difficulties": []string{"纪检组织建设"}, "decisions": []map[string]any{{"decision": "", "due_on": "2026-04-30"}}})
		if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "decisions.1.decision") {
			t.Fatalf("bad meeting: %d %s", bad.status, bad.body)
		}
	})
}

// Every rectification page renders in every language without raw keys.
func TestRectifyPagesRender(t *testing.T) {
	e := newEnv(t, sqliteOnly(t))
	sup := e.as(auth.OrgAdmin)
	id := newRectifyItem(t, e, sup, "页面问题")
	for _, lang := range []string{"zh-Hans", "zh-Hant", "en"} {
		sup.get("/lang?lang=" + lang)
		for _, p := range []string{"/rectifications", "/rectifications/new", fmt.Sprintf("/rectifications/%d", id), "/rectifications/feedbacks/new",
			"/rectifications/feedbacks/1", "/rectifications/meetings/new", "/rectifications/meetings/1", "/rectifications?overdue=true&status=pending"} {
			r := sup.get(p)
			if r.status != http.StatusOK {
				t.Errorf("%s %s: %d", lang, p, r.status)
				continue
			}
			if strings.Contains(r.body, ">rectify.") || strings.Contains(r.body, "\"rectify.") {
				t.Errorf("%s %s shows a raw key", lang, p)
			}
		}
	}
}
