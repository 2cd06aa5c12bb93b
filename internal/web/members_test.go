package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/demo"
	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/i18n"
)

// memberIDSeq hands the matrix distinct valid ID numbers (sequence numbers of one fictitious birth date).
var memberIDSeq atomic.Int64

func nextMemberIDNumber() string {
	return demo.IDNumber(time.Date(1988, 8, 8, 0, 0, 0, 0, time.UTC), 501+2*int(memberIDSeq.Add(1)%240))
}

// memberJSON is a member as the API writes it (db.Date only marshals).
type memberJSON struct {
	ID            int64  `json:"id"`
	IDNumber      string `json:"id_number"`
	Phone         string `json:"phone"`
	Unmasked      bool   `json:"unmasked"`
	PartyStanding *int   `json:"party_standing"`
}

func newMemberBody(orgID int64) map[string]any {
	return map[string]any{"name": "测试党员", "id_number": nextMemberIDNumber(), "gender": "male", "birth_date": "1988-08-08",
		"ethnicity": "汉族", "phone": "13800009999", "education": "master", "org_id": orgID, "status": "full",
		"joined_on": "2012-07-01", "full_on": "2013-07-01", "is_leading_cadre": false}
}

// memberIn returns a member of branch orgID that no account is linked to, adding one when the branch
// has none, so the matrix always has someone to read.
func memberIn(e *env, orgID int64) int64 {
	e.t.Helper()
	ctx := context.Background()
	var id int64
	err := e.db.QueryRow(ctx, `SELECT id FROM members WHERE org_id = ? AND id NOT IN
		(SELECT member_id FROM users WHERE member_id IS NOT NULL) ORDER BY id LIMIT 1`, orgID).Scan(&id)
	if err == nil {
		return id
	}
	err = e.db.Write(audit.WithActor(ctx, audit.Actor{Username: "test"}), func(tx *db.Tx) error {
		b := newMemberBody(orgID)
		id, err = e.orgs.CreateMemberTx(tx, org.NewMember{Name: "补充党员", IDNumber: b["id_number"].(string),
			Ethnicity: "汉族", OrgID: orgID, Status: org.Full, JoinedOn: "2012-07-01"})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func memberPath(suffix string) func(*env, int64) string {
	return func(e *env, orgID int64) string {
		return fmt.Sprintf("/api/v1/members/%d%s", memberIn(e, orgID), suffix)
	}
}

func init() {
	business := map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200}
	authzMatrix = append(authzMatrix,
		matrixCase{name: "list members", method: "GET", scoped: true, want: business,
			path: func(e *env, orgID int64) string { return fmt.Sprintf("/api/v1/members?org_id=%d", orgID) }},
		matrixCase{name: "read member", method: "GET", scoped: true, want: business, path: memberPath("")},
		matrixCase{name: "unmask member", method: "GET", scoped: true, want: map[auth.Role]int{auth.OrgAdmin: 200},
			path: memberPath("?unmask=true")},
		matrixCase{name: "create member", method: "POST", scoped: true,
			want: map[auth.Role]int{auth.OrgAdmin: 201, auth.BranchOfficer: 201},
			path: fixed("/api/v1/members"),
			body: func(e *env, orgID int64, role auth.Role) any { return newMemberBody(orgID) }},
		matrixCase{name: "roster page", method: "GET", scoped: true, want: business,
			path: func(e *env, orgID int64) string { return fmt.Sprintf("/orgs/%d/members", orgID) }},
		matrixCase{name: "member page", method: "GET", scoped: true, want: business,
			path: func(e *env, orgID int64) string { return fmt.Sprintf("/members/%d", memberIn(e, orgID)) }},
		matrixCase{name: "update member", method: "PUT", scoped: true, want: business, path: memberPath(""),
			body: func(e *env, orgID int64, role auth.Role) any { return newMemberBody(orgID) }},
		matrixCase{name: "edit member form", method: "GET", scoped: true, want: business,
			path: func(e *env, orgID int64) string { return fmt.Sprintf("/members/%d/edit", memberIn(e, orgID)) }},
		matrixCase{name: "add member form", method: "GET", scoped: true,
			want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200},
			path: func(e *env, orgID int64) string { return fmt.Sprintf("/orgs/%d/members/new", orgID) }},
	)
}

// An officer cannot read or add members of another branch: 403, nothing written, the attempt audited.
func TestMembersOutsideTheBranchRefused(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		officer := e.as(auth.BranchOfficer)
		other := memberIn(e, e.branchB)
		count := func() (n int) {
			_ = e.db.QueryRow(context.Background(), "SELECT COUNT(*) FROM members").Scan(&n)
			return n
		}
		members, denied := count(), e.auditCount("authz.denied")
		for _, r := range []resp{
			officer.sendJSON("POST", "/api/v1/members", newMemberBody(e.branchB)),
			officer.get(fmt.Sprintf("/api/v1/members/%d", other)),
			officer.get(fmt.Sprintf("/api/v1/members?org_id=%d", e.branchB)),
			officer.postForm(fmt.Sprintf("/orgs/%d/members", e.branchB), url.Values{"name": {"某人"}, "id_number": {nextMemberIDNumber()}}),
		} {
			if r.status != http.StatusForbidden {
				t.Errorf("status %d, want 403: %s", r.status, r.body)
			}
		}
		if count() != members {
			t.Error("a refused create wrote a member")
		}
		if got := e.auditCount("authz.denied"); got != denied+4 {
			t.Errorf("authz.denied %d → %d, want +4", denied, got)
		}
	})
}

// The API contract: 201 with id; 422 with error.fields.<field> in Chinese; 409 for a known ID number;
// masked numbers unless an org admin unmasks, which is audited.
func TestMemberAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.as(auth.OrgAdmin)
		body := newMemberBody(e.branchA)
		idNumber := body["id_number"].(string)
		r := admin.sendJSON("POST", "/api/v1/members", body)
		var m memberJSON
		r.json(t, &m)
		if r.status != http.StatusCreated || m.ID == 0 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		if m.IDNumber != idNumber[:6]+"********"+idNumber[14:] || m.Phone != "138****9999" || strings.Contains(r.body, idNumber) {
			t.Errorf("create answer not masked: %s", r.body)
		}
		if m.PartyStanding == nil || *m.PartyStanding != 12 { // full since 2013-07-01, today 2026-03-10
			t.Errorf("party_standing: %v", m.PartyStanding)
		}

		bad := newMemberBody(e.branchA)
		bad["id_number"] = "110105194912310021" // H1: check character should be X
		bad["phone"] = "1234"
		bad["ethnicity"] = "不存在族"
		r = admin.sendJSON("POST", "/api/v1/members", bad)
		var apiErr apiError
		r.json(t, &apiErr)
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("bad member: %d %s", r.status, r.body)
		}
		want := map[string]string{
			"id_number": i18n.Std().T(i18n.ZhHans, "validate.id_number.checksum", nil),
			"phone":     i18n.Std().T(i18n.ZhHans, "validate.mobile.invalid", nil),
			"ethnicity": i18n.Std().T(i18n.ZhHans, "member.ethnicity.unknown", nil),
		}
		for f, msg := range want {
			if apiErr.Error.Fields[f] != msg || !strings.ContainsFunc(msg, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
				t.Errorf("error.fields.%s = %q, want %q", f, apiErr.Error.Fields[f], msg)
			}
		}
		mismatch := newMemberBody(e.branchA)
		mismatch["gender"], mismatch["birth_date"] = "female", "1988-08-09"
		r = admin.sendJSON("POST", "/api/v1/members", mismatch)
		r.json(t, &apiErr)
		if r.status != 422 || apiErr.Error.Fields["gender"] == "" || apiErr.Error.Fields["birth_date"] == "" {
			t.Errorf("H1 cross-checks over the API: %d %s", r.status, r.body)
		}
		r = admin.sendJSON("POST", "/api/v1/members", body) // the same ID number again
		r.json(t, &apiErr)
		if r.status != http.StatusConflict || apiErr.Error.Fields["id_number"] == "" {
			t.Errorf("duplicate: %d %s", r.status, r.body)
		}

		unmasks := e.auditCount("member.unmask")
		r = admin.get(fmt.Sprintf("/api/v1/members/%d?unmask=true", m.ID))
		var full memberJSON
		r.json(t, &full)
		if r.status != 200 || full.IDNumber != idNumber || full.Phone != "13800009999" || !full.Unmasked {
			t.Errorf("unmask: %d %s", r.status, r.body)
		}
		if e.auditCount("member.unmask") != unmasks+1 {
			t.Error("unmask not audited")
		}
		officer := e.as(auth.BranchOfficer)
		if r := officer.get(fmt.Sprintf("/api/v1/members/%d?unmask=true", m.ID)); r.status != 403 {
			t.Errorf("officer unmask: %d", r.status)
		}
		if r := officer.get(fmt.Sprintf("/api/v1/members/%d", m.ID)); r.status != 200 || strings.Contains(r.body, idNumber) {
			t.Errorf("officer read: %d %s", r.status, r.body)
		}

		r = admin.get(fmt.Sprintf("/api/v1/members?org_id=%d&q=%s&status=full", e.branchA, url.QueryEscape("党员")))
		var list struct {
			Items []memberJSON `json:"items"`
			Total int          `json:"total"`
		}
		r.json(t, &list)
		if r.status != 200 || list.Total != 1 || len(list.Items) != 1 || list.Items[0].ID != m.ID {
			t.Errorf("list: %d %s", r.status, r.body)
		}
	})
}

// The pages: roster with masked numbers, the add form with Chinese field messages, the member page
// and its audited unmask button.
func TestMemberPages(t *testing.T) {
	e := newEnv(t, sqliteOnly(t))
	admin := e.as(auth.OrgAdmin)
	id := nextMemberIDNumber()
	form := url.Values{"name": {"页面党员"}, "id_number": {id[:17] + "0"}, "ethnicity": {"汉族"}, "status": {"full"},
		"joined_on": {"2012-07-01"}, "phone": {"13800008888"}}
	if id[17] == '0' {
		form.Set("id_number", id[:17]+"1")
	}
	r := admin.postForm(fmt.Sprintf("/orgs/%d/members", e.branchA), form)
	if r.status != 422 || !strings.Contains(r.body, i18n.Std().T(i18n.ZhHans, "validate.id_number.checksum", nil)) ||
		!strings.Contains(r.body, `value="页面党员"`) {
		t.Fatalf("bad ID on the form: %d", r.status)
	}
	form.Set("id_number", id)
	r = admin.postForm(fmt.Sprintf("/orgs/%d/members", e.branchA), form)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/members/") {
		t.Fatalf("create on the form: %d %s", r.status, r.body)
	}
	page := admin.get(r.header.Get("Location"))
	if page.status != 200 || !strings.Contains(page.body, id[:6]+"********"+id[14:]) || strings.Contains(page.body, id) {
		t.Errorf("member page not masked: %d", page.status)
	}
	memberURL := strings.Split(r.header.Get("Location"), "?")[0]
	unmasked := admin.postForm(memberURL+"/unmask", url.Values{})
	if unmasked.status != 200 || !strings.Contains(unmasked.body, id) {
		t.Errorf("unmask page: %d", unmasked.status)
	}
	edit := admin.get(memberURL + "/edit")
	if edit.status != 200 || !strings.Contains(edit.body, id[:6]+"********"+id[14:]) || strings.Contains(edit.body, id) {
		t.Errorf("edit form: %d", edit.status)
	}
	form.Set("id_number", id[:6]+"********"+id[14:]) // sent back masked: the number stays
	form.Set("phone", "138****8888")
	form.Set("job_title", "二级主任科员")
	if r := admin.postForm(memberURL+"/edit", form); r.status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", r.status, r.body)
	}
	var full memberJSON
	admin.get("/api/v1"+memberURL+"?unmask=true").json(t, &full)
	if full.IDNumber != id || full.Phone != "13800008888" {
		t.Errorf("masked values sent back changed the numbers: %+v", full)
	}
	roster := admin.get(fmt.Sprintf("/orgs/%d/members?q=%s", e.branchA, url.QueryEscape("页面")))
	if roster.status != 200 || !strings.Contains(roster.body, "页面党员") || strings.Contains(roster.body, id) || !strings.Contains(roster.body, "138****8888") {
		t.Errorf("roster: %d", roster.status)
	}
	// Every member page in every language, with no raw keys.
	keys := i18n.Std().Keys(i18n.ZhHans)
	for _, l := range i18n.Langs {
		c := e.as(auth.OrgAdmin)
		c.get("/lang?lang=" + string(l))
		for _, p := range []string{fmt.Sprintf("/orgs/%d/members", e.root), fmt.Sprintf("/orgs/%d/members/new", e.branchA), memberURL} {
			r := c.get(p)
			if r.status != 200 {
				t.Errorf("%s %s: %d", l, p, r.status)
			}
			for _, k := range keys {
				if strings.Contains(r.body, ">"+k+"<") || strings.Contains(r.body, "\""+k+"\"") {
					t.Errorf("%s %s shows the raw key %q", l, p, k)
				}
			}
		}
	}
}
