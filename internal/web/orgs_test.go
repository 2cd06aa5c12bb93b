package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/auth"
)

// The organisation lifecycle, posts and checks in the authorization matrix. Mutating steps are sent
// with bodies that pass authorization and then fail validation (422), so nothing in the shared demo
// tree changes; an officer (no ManageOrgs) and anyone outside the subtree get 403.
func init() {
	step := func(extra func(org int64) map[string]any) func(*env, int64, auth.Role) any {
		return func(e *env, o int64, role auth.Role) any {
			b := map[string]any{"on": "2026-03-10", "reason": "矩阵测试", "approval_ref": "测〔2026〕1号"}
			for k, v := range extra(o) {
				b[k] = v
			}
			return b
		}
	}
	manage := map[auth.Role]int{auth.OrgAdmin: 422}
	read := map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200}
	authzMatrix = append(authzMatrix,
		matrixCase{name: "dissolve org with members", method: "POST", path: orgPath("/dissolve"), scoped: true,
			body: step(func(int64) map[string]any { return nil }), want: manage},
		matrixCase{name: "rename org (unchanged name)", method: "POST", path: orgPath("/rename"), scoped: true,
			body: step(func(int64) map[string]any { return map[string]any{"name": "x"} }), want: manage},
		matrixCase{name: "move org under itself", method: "POST", path: orgPath("/move"), scoped: true,
			body: step(func(o int64) map[string]any { return map[string]any{"parent_id": o} }), want: manage},
		matrixCase{name: "merge org into itself", method: "POST", path: orgPath("/merge"), scoped: true,
			body: step(func(o int64) map[string]any { return map[string]any{"target_id": o} }), want: manage},
		matrixCase{name: "reorganise org (unchanged kind)", method: "POST", path: orgPath("/reorganise"), scoped: true,
			body: step(func(int64) map[string]any { return map[string]any{"kind": "branch"} }), want: manage},
		matrixCase{name: "term without date", method: "POST", path: orgPath("/term"), scoped: true,
			body: func(*env, int64, auth.Role) any { return map[string]any{"approval_ref": "x"} }, want: manage},
		matrixCase{name: "assign post without member", method: "POST", path: orgPath("/posts"), scoped: true,
			body: func(*env, int64, auth.Role) any {
				return map[string]any{"member_id": 0, "post": "secretary", "from": "2026-01-01"}
			}, want: map[auth.Role]int{auth.OrgAdmin: 422, auth.BranchOfficer: 422}},
		matrixCase{name: "update unknown post", method: "POST", path: orgPath("/posts/999999"), scoped: true,
			body: func(*env, int64, auth.Role) any { return map[string]any{"to": "2026-01-01"} },
			want: map[auth.Role]int{auth.OrgAdmin: 404, auth.BranchOfficer: 404}},
		matrixCase{name: "org posts", method: "GET", path: orgPath("/posts"), scoped: true, want: read},
		matrixCase{name: "org checks", method: "GET", path: orgPath("/checks?subtree=true"), scoped: true, want: read},
		matrixCase{name: "org history", method: "GET", path: orgPath("/history"), scoped: true, want: read},
		matrixCase{name: "org tree as of", method: "GET", path: orgPath("/tree?as_of=2024-06-30"), scoped: true, want: read},
		matrixCase{name: "subtree checks page", method: "GET", path: func(e *env, o int64) string { return fmt.Sprintf("/orgs/%d/checks", o) }, scoped: true, want: read},
	)
}

type orgResp struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	ParentID  int64  `json:"parent_id"`
	Dissolved string `json:"dissolved_on"`
}

func TestOrgLifecycleAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.as(auth.OrgAdmin)
		r := c.sendJSON("POST", "/api/v1/orgs", map[string]any{"parent_id": e.committeeA, "kind": "branch", "name": "新设党支部", "established_on": "2021-06-15"})
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var o orgResp
		r.json(t, &o)
		id := strconv.FormatInt(o.ID, 10)
		base := "/api/v1/orgs/" + id
		ch := func(extra map[string]any) map[string]any {
			b := map[string]any{"on": "2026-03-10", "reason": "机构改革", "approval_ref": "示组〔2026〕5号"}
			for k, v := range extra {
				b[k] = v
			}
			return b
		}
		if r := c.sendJSON("POST", base+"/rename", ch(map[string]any{"name": "综合处党支部"})); r.status != 200 || !strings.Contains(r.body, "综合处党支部") {
			t.Fatalf("rename: %d %s", r.status, r.body)
		}
		// Missing reason and approval: field errors in Chinese.
		c.lang = "zh-Hans"
		if r := c.sendJSON("POST", base+"/rename", map[string]any{"on": "2026-03-02", "name": "又一名"}); r.status != 422 || !strings.Contains(r.body, "approval_ref") {
			t.Fatalf("rename without reason: %d %s", r.status, r.body)
		}
		// Move under committee B: cycle check passes, kind fits.
		if r := c.sendJSON("POST", base+"/move", ch(map[string]any{"parent_id": e.committeeB})); r.status != 200 {
			t.Fatalf("move: %d %s", r.status, r.body)
		}
		// History and the tree before the move.
		var h struct {
			Items []struct {
				Kind org.EventKind `json:"kind"`
			} `json:"items"`
			Total int `json:"total"`
		}
		c.get(base+"/history").json(t, &h)
		if h.Total != 3 || h.Items[0].Kind != org.EventEstablish || h.Items[2].Kind != org.EventMove {
			t.Fatalf("history = %+v", h)
		}
		var tree struct {
			Items []org.TreeNode `json:"items"`
		}
		c.get(fmt.Sprintf("/api/v1/orgs/%d/tree?as_of=2025-12-31", e.committeeA)).json(t, &tree)
		found := false
		for _, n := range tree.Items {
			found = found || (n.ID == o.ID && n.Name == "新设党支部")
		}
		if !found {
			t.Errorf("tree on 2025-12-31 lacks the branch under committee A: %+v", tree.Items)
		}
		// A3.4: elected 2021-06-15, term ended 2024-06-15, overdue now; checks cite the rule.
		r = c.get(base + "/checks")
		if r.status != 200 || !strings.Contains(r.body, `"rule":"A3.4"`) || !strings.Contains(r.body, "应当按期换届") {
			t.Errorf("checks: %d %s", r.status, r.body)
		}
		// Dissolve: refused with a member, with the Chinese message telling what to do.
		branchA := "/api/v1/orgs/" + strconv.FormatInt(e.branchA, 10)
		r = c.sendJSON("POST", branchA+"/dissolve", ch(nil))
		if r.status != 422 || !strings.Contains(r.body, "请先办理组织关系转接") {
			t.Errorf("dissolve with members: %d %s", r.status, r.body)
		}
		r = c.sendJSON("POST", base+"/dissolve", ch(nil))
		if r.status != 200 || !strings.Contains(r.body, `"dissolved_on":"2026-03-10"`) {
			t.Errorf("dissolve: %d %s", r.status, r.body)
		}
		if e.auditCount("org.dissolve") != 1 || e.auditCount("org.rename") != 1 || e.auditCount("org.move") != 1 {
			t.Error("lifecycle steps not audited")
		}
	})
}

func TestOrgPostsAPIAndPage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.as(auth.BranchOfficer)
		var mid int64
		if err := e.db.QueryRow(t.Context(), "SELECT id FROM members WHERE org_id = ? AND status = 'full' AND terminal_state = '' ORDER BY id LIMIT 1", e.branchA).Scan(&mid); err != nil {
			t.Fatal(err)
		}
		base := "/api/v1/orgs/" + strconv.FormatInt(e.branchA, 10)
		r := c.sendJSON("POST", base+"/posts", map[string]any{"member_id": mid, "post": "secretary", "from": "2026-01-05"})
		if r.status != 201 || !strings.Contains(r.body, `"in_office":false`) {
			t.Fatalf("assign: %d %s", r.status, r.body)
		}
		var p struct {
			ID int64 `json:"id"`
		}
		r.json(t, &p)
		// §A3.2: in office only with approval.
		r = c.sendJSON("POST", base+"/posts/"+strconv.FormatInt(p.ID, 10), map[string]any{"state": "approved", "approved_on": "2026-01-20", "approval_ref": "示组〔2026〕9号"})
		if r.status != 200 || !strings.Contains(r.body, `"in_office":true`) {
			t.Fatalf("approve: %d %s", r.status, r.body)
		}
		// The officer cannot assign posts outside the branch.
		other := "/api/v1/orgs/" + strconv.FormatInt(e.branchB, 10)
		if r := c.sendJSON("POST", other+"/posts", map[string]any{"member_id": mid, "post": "secretary", "from": "2026-01-05"}); r.status != 403 {
			t.Errorf("post elsewhere: %d", r.status)
		}
		// The page shows the post, the checks with rule ids, and the history; officers get no lifecycle forms.
		page := c.get("/orgs/" + strconv.FormatInt(e.branchA, 10))
		if page.status != 200 || !strings.Contains(page.body, "书记") || !strings.Contains(page.body, "组织设置检查") || !strings.Contains(page.body, "沿革") {
			t.Errorf("page: %d", page.status)
		}
		if strings.Contains(page.body, "/dissolve") {
			t.Error("officer sees the dissolve form")
		}
		// An org admin's forms: a dissolve with members re-renders the page with the Chinese message.
		a := e.as(auth.OrgAdmin)
		adminPage := a.get("/orgs/" + strconv.FormatInt(e.branchA, 10))
		if !strings.Contains(adminPage.body, `action="/orgs/`+strconv.FormatInt(e.branchA, 10)+`/dissolve"`) {
			t.Error("admin lacks the dissolve form")
		}
		r = a.postForm("/orgs/"+strconv.FormatInt(e.branchA, 10)+"/dissolve", url.Values{"on": {"2026-03-10"}, "reason": {"撤销测试"}, "approval_ref": {"x"}})
		if r.status != 422 || !strings.Contains(r.body, "请先办理组织关系转接") || strings.Contains(r.body, "no value") {
			t.Errorf("dissolve form: %d", r.status)
		}
		r = a.postForm("/orgs/"+strconv.FormatInt(e.branchA, 10)+"/rename", url.Values{"on": {"2026-03-10"}, "reason": {"更名测试"}, "approval_ref": {"x"}, "name": {"页面更名党支部"}})
		if r.status != http.StatusSeeOther {
			t.Errorf("rename form: %d %s", r.status, r.body)
		}
		// Establish a cell through the page form, then the tree as it stood before it.
		r = a.postForm("/orgs/"+strconv.FormatInt(e.branchA, 10)+"/establish", url.Values{"name": {"第一党小组"}, "kind": {"cell"}, "established_on": {"2026-03-10"}})
		if r.status != http.StatusSeeOther {
			t.Errorf("establish form: %d %s", r.status, r.body)
		}
		r = a.postForm("/orgs/"+strconv.FormatInt(e.branchA, 10)+"/establish", url.Values{"name": {"坏代码党小组"}, "kind": {"cell"}, "unit_credit_code": {"91350100M000100Y44"}})
		if r.status != 422 || !strings.Contains(r.body, "field-error") {
			t.Errorf("establish with a bad credit code: %d", r.status)
		}
		treeOf := func(body string) string { _, after, _ := strings.Cut(body, `class="links tree"`); return after }
		if tree := a.get(fmt.Sprintf("/orgs/%d?as_of=2026-03-09", e.branchA)); tree.status != 200 || strings.Contains(treeOf(tree.body), ">第一党小组<") {
			t.Errorf("tree before the cell: %d", tree.status)
		}
		if tree := a.get(fmt.Sprintf("/orgs/%d?as_of=2026-03-10", e.branchA)); !strings.Contains(treeOf(tree.body), ">第一党小组<") {
			t.Error("tree lacks the new cell")
		}
		if list := a.get(fmt.Sprintf("/orgs/%d/checks", e.root)); list.status != 200 || !regexp.MustCompile(`\b(A1\.[15]|A3\.[124]|B1)\b`).MatchString(list.body) {
			t.Errorf("subtree checks page: %d", list.status)
		}
	})
}
