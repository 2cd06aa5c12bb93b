package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/i18n"
)

// Membership transfers (F4) in the authorization matrix. The transfers used go from the org under test
// to a third branch (of committee B, not branch B), so the "other subtree" callers sit on neither side.
func init() {
	authzMatrix = append(authzMatrix,
		matrixCase{name: "list transfers", method: "GET", scoped: true,
			path: func(e *env, o int64) string { return fmt.Sprintf("/api/v1/transfers?org_id=%d&direction=out", o) },
			want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200}},
		matrixCase{name: "transfers page", method: "GET", scoped: true,
			path: func(e *env, o int64) string { return fmt.Sprintf("/orgs/%d/transfers", o) },
			want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200}},
		matrixCase{name: "request transfer", method: "POST", scoped: true, path: fixed("/api/v1/transfers"),
			body: func(e *env, o int64, _ auth.Role) any {
				return map[string]any{"member_id": freeMember(e, o), "to_org_id": thirdBranch(e), "reason": "工作调动"}
			},
			want: map[auth.Role]int{auth.OrgAdmin: 201, auth.BranchOfficer: 201}},
		matrixCase{name: "read transfer", method: "GET", scoped: true,
			path: func(e *env, o int64) string { return fmt.Sprintf("/api/v1/transfers/%d", pendingTransfer(e, o)) },
			want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200}},
		matrixCase{name: "cancel transfer", method: "POST", scoped: true,
			path: func(e *env, o int64) string { return fmt.Sprintf("/api/v1/transfers/%d/steps", pendingTransfer(e, o)) },
			body: func(*env, int64, auth.Role) any { return map[string]any{"action": "cancel", "note": "矩阵测试"} },
			want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200}},
	)
}

// thirdBranch is a branch of committee B other than branch B.
func thirdBranch(e *env) int64 {
	e.t.Helper()
	path, _ := e.auth.OrgPath(context.Background(), e.committeeB)
	var id int64
	if err := e.db.QueryRow(context.Background(), "SELECT id FROM orgs WHERE kind = 'branch' AND path LIKE ? AND id <> ? ORDER BY id LIMIT 1",
		path+"%", e.branchB).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// freeMember is a full member of orgID with no pending transfer.
func freeMember(e *env, orgID int64) int64 {
	e.t.Helper()
	var id int64
	if err := e.db.QueryRow(context.Background(), `SELECT m.id FROM members m WHERE m.org_id = ? AND m.status = 'full'
		AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.member_id = m.id AND t.status IN ('requested', 'sent')) ORDER BY m.id LIMIT 1`, orgID).Scan(&id); err != nil {
		e.t.Fatalf("no free member in org %d: %v", orgID, err)
	}
	return id
}

func (e *env) rootPrincipal() auth.Principal {
	path, _ := e.auth.OrgPath(context.Background(), e.root)
	return auth.Principal{UserID: 1, Username: "test", Role: auth.OrgAdmin, OrgID: e.root, OrgPath: path}
}

// pendingTransfer returns a pending transfer out of orgID into the third branch, opening one if none is.
func pendingTransfer(e *env, orgID int64) int64 {
	e.t.Helper()
	var id int64
	err := e.db.QueryRow(context.Background(), "SELECT id FROM transfers WHERE from_org_id = ? AND to_org_id = ? AND status = 'requested' ORDER BY id LIMIT 1",
		orgID, thirdBranch(e)).Scan(&id)
	if err == nil {
		return id
	}
	t, err := e.orgs.RequestTransfer(context.Background(), e.rootPrincipal(), org.NewTransfer{MemberID: freeMember(e, orgID), ToOrgID: thirdBranch(e), Reason: "矩阵测试"})
	if err != nil {
		e.t.Fatal(err)
	}
	return t.ID
}

// officerOf logs in a new branch officer of orgID.
func (e *env) officerOf(name string, orgID int64) *client {
	e.t.Helper()
	if _, err := e.auth.CreateUser(context.Background(), auth.NewUser{Username: name, Password: "Officer-2026-xyz", Role: auth.BranchOfficer, OrgID: orgID}); err != nil {
		e.t.Fatal(err)
	}
	c := e.client()
	if r := c.login(name, "Officer-2026-xyz"); r.status != 303 {
		e.t.Fatalf("login %s: %d", name, r.status)
	}
	return c
}

type transferJSON struct {
	ID         int64  `json:"id"`
	Status     string `json:"status"`
	LetterNo   string `json:"letter_no"`
	MemberID   int64  `json:"member_id"`
	ReceivedOn string `json:"received_on"`
	Steps      []struct {
		Action string `json:"action"`
		Actor  string `json:"actor"`
	} `json:"steps"`
}

type transferErr struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

// TestF4_TransferAPI: a transfer from branch A to branch B through the API, with each side's officer,
// refusals in Chinese that change nothing, and a third branch's officer who sees nothing.
func TestF4_TransferAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		sender := e.as(auth.BranchOfficer)
		receiver := e.officerOf("officer_b", e.branchB)
		third := e.officerOf("officer_third", thirdBranch(e))
		member := freeMember(e, e.branchA)
		memberOrg := func() int64 {
			var o int64
			if err := e.db.QueryRow(context.Background(), "SELECT org_id FROM members WHERE id = ?", member).Scan(&o); err != nil {
				t.Fatal(err)
			}
			return o
		}
		refused := func(r resp, status int, wantMsg string) {
			t.Helper()
			var ae transferErr
			r.json(t, &ae)
			if r.status != status || !strings.Contains(ae.Error.Message, wantMsg) {
				t.Errorf("got %d %q, want %d %q", r.status, ae.Error.Message, status, wantMsg)
			}
		}

		// The receiver cannot request for a member it does not hold; bad input is 422 with fields.
		refused(receiver.sendJSON("POST", "/api/v1/transfers", map[string]any{"member_id": member, "to_org_id": e.branchB, "reason": "工作调动"}), 403, "没有权限")
		r := sender.sendJSON("POST", "/api/v1/transfers", map[string]any{"member_id": member, "to_org_id": e.branchA, "reason": "工作调动"})
		var ae transferErr
		r.json(t, &ae)
		if r.status != 422 || ae.Error.Fields["to_org_id"] != "转入党组织不能与转出党组织相同" {
			t.Fatalf("same org: %d %+v", r.status, ae)
		}

		r = sender.sendJSON("POST", "/api/v1/transfers", map[string]any{"member_id": member, "to_org_id": e.branchB, "reason": "工作调动"})
		var tr transferJSON
		r.json(t, &tr)
		if r.status != 201 || tr.ID == 0 || tr.Status != "requested" {
			t.Fatalf("request: %d %s", r.status, r.body)
		}
		refused(sender.sendJSON("POST", "/api/v1/transfers", map[string]any{"member_id": member, "to_org_id": e.branchB, "reason": "再次"}), 409, "正在办理")
		steps := fmt.Sprintf("/api/v1/transfers/%d/steps", tr.ID)

		// The receiver sees the transfer coming but cannot act before the letter is sent.
		var list struct {
			Items []transferJSON `json:"items"`
			Total int            `json:"total"`
		}
		receiver.get(fmt.Sprintf("/api/v1/transfers?org_id=%d&direction=in&status=pending", e.branchB)).json(t, &list)
		if list.Total != 1 || list.Items[0].ID != tr.ID {
			t.Fatalf("incoming: %+v", list)
		}
		refused(receiver.sendJSON("POST", steps, map[string]any{"action": "receive"}), 409, "不能接收")
		refused(receiver.sendJSON("POST", steps, map[string]any{"action": "send", "letter_no": "X"}), 403, "转出党组织")
		refused(receiver.sendJSON("POST", steps, map[string]any{"action": "cancel"}), 403, "转出党组织")
		refused(sender.sendJSON("POST", steps, map[string]any{"action": "receive"}), 403, "转入党组织")
		r = sender.sendJSON("POST", steps, map[string]any{"action": "send"})
		r.json(t, &ae)
		if r.status != 422 || ae.Error.Fields["letter_no"] == "" {
			t.Fatalf("send without letter: %d %s", r.status, r.body)
		}

		// A third branch's officer sees nothing and can do nothing.
		for _, rr := range []resp{third.get(fmt.Sprintf("/api/v1/transfers/%d", tr.ID)), third.sendJSON("POST", steps, map[string]any{"action": "cancel"}),
			third.get(fmt.Sprintf("/api/v1/transfers?org_id=%d", e.branchA)), third.get(fmt.Sprintf("/orgs/%d/transfers", e.branchA))} {
			if rr.status != 403 {
				t.Errorf("third branch: %d", rr.status)
			}
		}
		third.get("/api/v1/transfers").json(t, &list)
		if list.Total != 0 {
			t.Errorf("third branch lists %d transfers", list.Total)
		}

		if r := sender.sendJSON("POST", steps, map[string]any{"action": "send", "letter_no": "甲组转字〔2026〕7号", "on": "2026-03-10"}); r.status != 200 {
			t.Fatalf("send: %d %s", r.status, r.body)
		}
		refused(sender.sendJSON("POST", steps, map[string]any{"action": "send", "letter_no": "again"}), 409, "不能开具")
		// F4: sent but not received, the member is still the sender's.
		if memberOrg() != e.branchA {
			t.Fatal("member moved before receipt")
		}
		refused(receiver.sendJSON("POST", steps, map[string]any{"action": "reject"}), 422, "")
		if r := receiver.sendJSON("POST", steps, map[string]any{"action": "receive", "note": "已接收"}); r.status != 200 {
			t.Fatalf("receive: %d %s", r.status, r.body)
		}
		if memberOrg() != e.branchB {
			t.Fatal("member not moved on receipt")
		}
		refused(sender.sendJSON("POST", steps, map[string]any{"action": "cancel"}), 409, "已办结")
		receiver.get(fmt.Sprintf("/api/v1/transfers/%d", tr.ID)).json(t, &tr)
		if tr.Status != "received" || tr.LetterNo != "甲组转字〔2026〕7号" || tr.ReceivedOn != "2026-03-10" || len(tr.Steps) != 3 || tr.Steps[2].Actor != "officer_b" {
			t.Fatalf("history: %+v", tr)
		}
		if e.auditCount("member.transfer") != 1 || e.auditCount("transfer.receive") != 1 || e.auditCount("transfer.send") != 1 {
			t.Fatal("steps not audited")
		}
		// Query validation.
		if r := sender.get("/api/v1/transfers?direction=up"); r.status != 422 {
			t.Errorf("bad direction: %d", r.status)
		}
	})
}

// TestF4_TransferPages: the request form, the step buttons of each side, and every language.
func TestF4_TransferPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		sender := e.as(auth.BranchOfficer)
		receiver := e.officerOf("officer_b", e.branchB)
		page := fmt.Sprintf("/orgs/%d/transfers", e.branchA)
		r := sender.get(page)
		if r.status != 200 || !strings.Contains(r.body, "发起转出") || !strings.Contains(r.body, "暂无记录") {
			t.Fatalf("page: %d", r.status)
		}
		// An empty request re-renders with field messages in Chinese.
		r = sender.postForm(page, url.Values{"reason": {""}})
		if r.status != 422 || !strings.Contains(r.body, "field-error") {
			t.Fatalf("empty request: %d", r.status)
		}
		member := freeMember(e, e.branchA)
		r = sender.postForm(page, url.Values{"member_id": {fmt.Sprint(member)}, "to_org_id": {fmt.Sprint(e.branchB)}, "reason": {"工作调动"}})
		if r.status != 303 {
			t.Fatalf("request: %d %s", r.status, r.body)
		}
		var id int64
		if err := e.db.QueryRow(context.Background(), "SELECT id FROM transfers WHERE member_id = ?", member).Scan(&id); err != nil {
			t.Fatal(err)
		}
		stepURL := fmt.Sprintf("/orgs/%d/transfers/%d/steps", e.branchA, id)
		r = sender.get(page + "?requested=1")
		if !strings.Contains(r.body, "转出申请已提交") || !strings.Contains(r.body, `value="send"`) || !strings.Contains(r.body, stepURL) {
			t.Fatal("requested transfer not shown with its send button")
		}
		// Sending without a letter number: the message shows beside the transfer's own form.
		r = sender.postForm(stepURL, url.Values{"action": {"send"}})
		if r.status != 422 || !strings.Contains(r.body, "请填写介绍信编号") {
			t.Fatalf("send without letter: %d", r.status)
		}
		if r = sender.postForm(stepURL, url.Values{"action": {"send"}, "letter_no": {"甲组转字〔2026〕9号"}}); r.status != 303 {
			t.Fatalf("send: %d %s", r.status, r.body)
		}
		// The receiver's page offers receive and reject; the sender's step URL under its own org is refused.
		inPage := fmt.Sprintf("/orgs/%d/transfers", e.branchB)
		r = receiver.get(inPage)
		if !strings.Contains(r.body, `value="receive"`) || !strings.Contains(r.body, "甲组转字〔2026〕9号") {
			t.Fatal("incoming transfer without receive button")
		}
		if r := sender.postForm(stepURL, url.Values{"action": {"receive"}}); r.status != 403 {
			t.Fatalf("sender receives: %d", r.status)
		}
		if r := receiver.postForm(fmt.Sprintf("/orgs/%d/transfers/%d/steps", e.branchB, id), url.Values{"action": {"receive"}}); r.status != 303 {
			t.Fatalf("receive: %d %s", r.status, r.body)
		}
		r = receiver.get(inPage)
		if !strings.Contains(r.body, "已接收") || strings.Contains(r.body, `value="receive"`) {
			t.Fatal("received transfer still offers receive")
		}
		// Every language, no raw keys.
		keys := i18n.Std().Keys(i18n.ZhHans)
		for _, l := range i18n.Langs {
			c := e.as(auth.OrgAdmin)
			c.get("/lang?lang=" + string(l))
			for _, p := range []string{page, inPage, fmt.Sprintf("/orgs/%d/transfers", e.root)} {
				r := c.get(p)
				if r.status != 200 {
					t.Errorf("%s %s: %d", l, p, r.status)
				}
				for _, k := range keys {
					if strings.HasPrefix(k, "transfer.") && (strings.Contains(r.body, ">"+k+"<") || strings.Contains(r.body, k+" ")) {
						t.Errorf("%s %s shows the raw key %q", l, p, k)
					}
				}
			}
		}
	})
}
