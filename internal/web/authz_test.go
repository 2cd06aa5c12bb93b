package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/dangjian/dangjian/internal/platform/auth"
)

// matrixCase is one route in the authorization matrix: every role calls it, on the caller's own
// subtree and on another one, and the status must be the one listed. Later capabilities add their
// routes to authzMatrix; the harness stays the same.
type matrixCase struct {
	name   string
	method string
	// path builds the URL for an organisation in scope ("own") or out of it ("other").
	path func(e *env, org int64) string
	body func(e *env, org int64, role auth.Role) any
	// want maps role → status on the own subtree; roles not listed get 403.
	want map[auth.Role]int
	// scoped: when true, the "other subtree" call must be refused (403) for every role that is not the
	// root org admin, whose subtree is everything.
	scoped bool
}

func orgPath(suffix string) func(*env, int64) string {
	return func(e *env, org int64) string { return fmt.Sprintf("/api/v1/orgs/%d%s", org, suffix) }
}

func fixed(p string) func(*env, int64) string { return func(*env, int64) string { return p } }

var authzMatrix = []matrixCase{
	{name: "read org", method: "GET", path: orgPath(""), scoped: true,
		want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200}},
	{name: "org children", method: "GET", path: orgPath("/children"), scoped: true,
		want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200}},
	{name: "org summary", method: "GET", path: orgPath("/summary"), scoped: true,
		want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200}},
	{name: "org page", method: "GET", path: func(e *env, org int64) string { return fmt.Sprintf("/orgs/%d", org) }, scoped: true,
		want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200}},
	{name: "create cell under a branch", method: "POST", path: fixed("/api/v1/orgs"), scoped: true,
		body: func(e *env, org int64, role auth.Role) any {
			return map[string]any{"parent_id": org, "kind": "cell", "name": "测试党小组" + string(role)}
		},
		want: map[auth.Role]int{auth.OrgAdmin: 201}},
	{name: "create account", method: "POST", path: fixed("/api/v1/users"), scoped: true,
		body: func(e *env, org int64, role auth.Role) any {
			return map[string]any{"username": "new_" + string(role), "password": "Abcdef-12345", "role": "branch_officer", "org_id": org}
		},
		want: map[auth.Role]int{auth.SystemAdmin: 201}},
	{name: "accounts page", method: "GET", path: fixed("/admin/users"), want: map[auth.Role]int{auth.SystemAdmin: 200}},
	{name: "read password policy", method: "GET", path: fixed("/api/v1/security/password-policy"), want: map[auth.Role]int{auth.SecurityAdmin: 200}},
	{name: "change password policy", method: "PUT", path: fixed("/api/v1/security/password-policy"),
		body: func(*env, int64, auth.Role) any {
			return map[string]any{"min_length": 10, "max_length": 64, "min_classes": 3, "max_age_days": 90}
		},
		want: map[auth.Role]int{auth.SecurityAdmin: 200}},
	{name: "security page", method: "GET", path: fixed("/security"), want: map[auth.Role]int{auth.SecurityAdmin: 200}},
	{name: "audit entries", method: "GET", path: fixed("/api/v1/audit/entries"), want: map[auth.Role]int{auth.AuditAdmin: 200}},
	{name: "audit verify", method: "POST", path: fixed("/api/v1/audit/verify"), want: map[auth.Role]int{auth.AuditAdmin: 200}},
	{name: "audit page", method: "GET", path: fixed("/audit"), want: map[auth.Role]int{auth.AuditAdmin: 200}},
	{name: "me", method: "GET", path: fixed("/api/v1/me"), want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200,
		auth.Member: 200, auth.SystemAdmin: 200, auth.SecurityAdmin: 200, auth.AuditAdmin: 200}},
}

// TestAuthorizationMatrix: route × role × own/other subtree. The own subtree is the officer's branch
// (inside every demo account's scope); the other is a branch of another committee, seen through a
// committee-level administrator whose subtree excludes it.
func TestAuthorizationMatrix(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		clients := map[auth.Role]*client{}
		for _, r := range auth.Roles {
			clients[r] = e.as(r)
		}
		// A committee admin for committee A: the "other subtree" case for administrators.
		if _, err := e.auth.CreateUser(t.Context(), auth.NewUser{Username: "committee_a_admin", Password: "Committee-a-2026", Role: auth.OrgAdmin, OrgID: e.committeeA}); err != nil {
			t.Fatal(err)
		}
		committeeAdmin := e.client()
		committeeAdmin.login("committee_a_admin", "Committee-a-2026")

		for _, mc := range authzMatrix {
			for _, role := range auth.Roles {
				want, ok := mc.want[role]
				if !ok {
					want = http.StatusForbidden
				}
				got := call(clients[role], e, mc, e.branchA, role)
				if got != want {
					t.Errorf("%s as %s on own subtree: %d, want %d", mc.name, role, got, want)
				}
			}
			if !mc.scoped {
				continue
			}
			// Other subtree: the officer (branch A) on branch B, and the committee-A admin on branch B.
			if got := call(clients[auth.BranchOfficer], e, mc, e.branchB, auth.BranchOfficer); mc.want[auth.BranchOfficer] != 0 || mc.want[auth.OrgAdmin] != 0 {
				if got != http.StatusForbidden {
					t.Errorf("%s as branch_officer on another branch: %d, want 403", mc.name, got)
				}
			}
			if mc.want[auth.OrgAdmin] != 0 {
				if got := call(committeeAdmin, e, mc, e.branchB, "committee"); got != http.StatusForbidden {
					t.Errorf("%s as committee admin on another committee's branch: %d, want 403", mc.name, got)
				}
				if got := call(committeeAdmin, e, mc, e.branchA, "committee"); got != mc.want[auth.OrgAdmin] {
					t.Errorf("%s as committee admin inside its subtree: %d, want %d", mc.name, got, mc.want[auth.OrgAdmin])
				}
			}
			if mc.want[auth.SystemAdmin] != 0 {
				// A system admin scoped to committee A cannot create accounts elsewhere.
				if _, err := e.auth.CreateUser(t.Context(), auth.NewUser{Username: "sys_a_" + strings.ReplaceAll(mc.name, " ", "_"), Password: "Sysadmin-a-2026", Role: auth.SystemAdmin, OrgID: e.committeeA}); err != nil {
					t.Fatal(err)
				}
				sa := e.client()
				sa.login("sys_a_"+strings.ReplaceAll(mc.name, " ", "_"), "Sysadmin-a-2026")
				if got := call(sa, e, mc, e.branchB, "scoped_sys"); got != http.StatusForbidden {
					t.Errorf("%s as scoped system admin elsewhere: %d, want 403", mc.name, got)
				}
			}
		}
		if e.auditCount("authz.denied") == 0 {
			t.Error("refusals are not audited")
		}
	})
}

func call(c *client, e *env, mc matrixCase, org int64, role auth.Role) int {
	path := mc.path(e, org)
	if mc.body != nil {
		return c.sendJSON(mc.method, path, mc.body(e, org, role)).status
	}
	return c.do(mc.method, path, nil, nil).status
}

// System and security administrators cannot change business data, and nobody but the audit
// administrator reads the trail (三权分立).
func TestSeparationOfDuties(t *testing.T) {
	for _, r := range auth.Roles {
		business := r.Can(auth.WriteBusiness) || r.Can(auth.ManageOrgs)
		if r.System() && business {
			t.Errorf("%s may change business data", r)
		}
		if r.Can(auth.ReadAudit) != (r == auth.AuditAdmin) {
			t.Errorf("%s: audit read grant wrong", r)
		}
		n := 0
		for _, a := range []auth.Action{auth.ManageUsers, auth.ManageSecurity, auth.ReadAudit} {
			if r.Can(a) {
				n++
			}
		}
		if n > 1 {
			t.Errorf("%s holds %d of the three separated powers", r, n)
		}
	}
}
