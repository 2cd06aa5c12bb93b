package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/i18n"
)

func init() {
	business := map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200}
	authzMatrix = append(authzMatrix,
		matrixCase{name: "member status page", method: "GET", scoped: true, want: business,
			path: func(e *env, orgID int64) string { return fmt.Sprintf("/members/%d/status", memberIn(e, orgID)) }},
		matrixCase{name: "member flags", method: "POST", scoped: true, want: business, path: memberPath("/flags"),
			body: func(*env, int64, auth.Role) any { return map[string]any{"mobile": true, "mobile_since": "2025-10-01"} }},
		// Refused before it is checked: allowed roles learn the reason is missing, the others nothing.
		matrixCase{name: "member terminal state without reason", method: "POST", scoped: true, path: memberPath("/terminal"),
			want: map[auth.Role]int{auth.OrgAdmin: 422, auth.BranchOfficer: 422},
			body: func(*env, int64, auth.Role) any { return map[string]any{"state": "removed", "on": "2026-03-01"} }},
		matrixCase{name: "correct a terminal state that is not there", method: "POST", scoped: true, path: memberPath("/terminal/correct"),
			want: map[auth.Role]int{auth.OrgAdmin: 409},
			body: func(*env, int64, auth.Role) any { return map[string]any{"reason": "误录"} }},
	)
}

// TestF8_MemberStatusForms: the officer of the member's branch raises flags and records a terminal state
// on the pages (without JavaScript), sees field messages in Chinese, cannot correct it (org admin only);
// an officer of another branch is refused (403, nothing changed, audited); the API says the same.
func TestF8_MemberStatusForms(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		officer, admin := e.as(auth.BranchOfficer), e.as(auth.OrgAdmin)
		id := memberIn(e, e.branchA)
		base := fmt.Sprintf("/members/%d", id)
		zh := func(key string) string { return i18n.Std().T(i18n.ZhHans, key, nil) }

		page := officer.get(base + "/status")
		if page.status != 200 || !strings.Contains(page.body, zh("member.terminal_title")) || strings.Contains(page.body, "/terminal/correct") {
			t.Fatalf("status page: %d", page.status)
		}
		r := officer.postForm(base+"/flags", url.Values{"mobile": {"1"}})
		if r.status != 422 || !strings.Contains(r.body, zh("validate.required")) {
			t.Errorf("flag without date: %d", r.status)
		}
		r = officer.postForm(base+"/flags", url.Values{"mobile": {"1"}, "mobile_since": {"2025-10-01"}, "abroad_since": {""}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("flags: %d %s", r.status, r.body)
		}
		if p := officer.get(base); !strings.Contains(p.body, zh("member.mobile")) || !strings.Contains(p.body, "2025年10月1日") {
			t.Errorf("member page does not show the flag with its date")
		}

		// Another branch's officer: the committee B branch's member is out of reach.
		other := memberIn(e, e.branchB)
		denied := e.auditCount("authz.denied")
		for _, r := range []resp{
			officer.get(fmt.Sprintf("/members/%d/status", other)),
			officer.postForm(fmt.Sprintf("/members/%d/terminal", other), url.Values{"state": {"removed"}, "on": {"2026-03-01"}, "reason": {"x"}}),
			officer.sendJSON("POST", fmt.Sprintf("/api/v1/members/%d/flags", other), map[string]any{"lost_contact": true, "lost_contact_since": "2026-01-01"}),
		} {
			if r.status != http.StatusForbidden {
				t.Errorf("other branch: %d, want 403", r.status)
			}
		}
		var state string
		var lost bool
		_ = e.db.QueryRow(context.Background(), "SELECT terminal_state, lost_contact FROM members WHERE id = ?", other).Scan(&state, &lost)
		if state != "" || lost || e.auditCount("authz.denied") < denied+3 {
			t.Errorf("refused changes wrote %q %v or were not audited", state, lost)
		}

		r = officer.postForm(base+"/terminal", url.Values{"state": {"withdrew"}, "on": {"2026-03-01"}})
		if r.status != 422 || !strings.Contains(r.body, zh("validate.required")) || !strings.Contains(r.body, `value="2026-03-01"`) {
			t.Errorf("terminal without reason: %d", r.status)
		}
		r = officer.postForm(base+"/terminal", url.Values{"state": {"withdrew"}, "on": {"2026-03-01"}, "reason": {"本人申请退党"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("terminal: %d %s", r.status, r.body)
		}
		if p := officer.get(base); !strings.Contains(p.body, zh("member.terminal.withdrew")) || !strings.Contains(p.body, "本人申请退党") {
			t.Error("member page does not show the terminal state and reason")
		}
		again := officer.sendJSON("POST", "/api/v1"+base+"/terminal", map[string]any{"state": "deceased", "on": "2026-03-02", "reason": "x"})
		if again.status != http.StatusConflict {
			t.Errorf("second terminal state: %d", again.status)
		}
		if r := officer.postForm(base+"/terminal/correct", url.Values{"correct_reason": {"误录"}}); r.status != http.StatusForbidden {
			t.Errorf("officer corrected: %d", r.status)
		}
		if p := admin.get(base + "/status"); !strings.Contains(p.body, "/terminal/correct") {
			t.Error("org admin is not offered the correction")
		}
		if r := admin.postForm(base+"/terminal/correct", url.Values{"correct_reason": {""}}); r.status != 422 {
			t.Errorf("correction without reason: %d", r.status)
		}
		if r := admin.postForm(base+"/terminal/correct", url.Values{"correct_reason": {"误录，实为他人"}}); r.status != http.StatusSeeOther {
			t.Fatalf("correction: %d %s", r.status, r.body)
		}
		if e.auditCount("member.terminal") != 1 || e.auditCount("member.terminal.correct") != 1 || e.auditCount("member.flags") != 1 {
			t.Error("status changes not audited once each")
		}
	})
}
