package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/dangjian/dangjian/internal/platform/auth"
)

// A finding of a run special inspection becomes one ledger item, supervised by the work committee and
// linked back to the finding; sending it again returns the same item; a draft campaign's findings cannot
// be sent, and a branch officer cannot send any.
func TestInspectionFindingToLedger(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.as(auth.OrgAdmin)
		var c struct {
			ID       int64 `json:"id"`
			Findings []struct {
				ID    int64 `json:"id"`
				OrgID int64 `json:"org_id"`
			} `json:"findings"`
		}
		r := admin.sendJSON("POST", "/api/v1/inspections", map[string]any{"name": "主题党日专项检查", "org_id": e.root, "from": "2026-01", "to": "2026-02", "rules": []string{"A2.6"}})
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		r.json(t, &c)
		draft := admin.sendJSON("POST", fmt.Sprintf("/api/v1/inspections/%d/findings/1/rectification", c.ID), map[string]any{"due_on": "2026-06-30"})
		if draft.status != http.StatusNotFound && draft.status != http.StatusConflict {
			t.Fatalf("finding of a draft campaign: %d %s", draft.status, draft.body)
		}
		admin.do("POST", fmt.Sprintf("/api/v1/inspections/%d/run", c.ID), nil, nil).json(t, &c)
		if len(c.Findings) == 0 {
			t.Fatal("the campaign found nothing to send")
		}
		var fid int64
		for _, f := range c.Findings {
			path, _ := e.auth.OrgPath(t.Context(), f.OrgID)
			if strings.Count(path, "/") > 2 { // under a committee, so there is a 党委 to be responsible
				fid = f.ID
				break
			}
		}
		if fid == 0 {
			t.Fatal("no finding under a committee")
		}
		url := fmt.Sprintf("/api/v1/inspections/%d/findings/%d/rectification", c.ID, fid)

		if r := e.as(auth.BranchOfficer).sendJSON("POST", url, map[string]any{"due_on": "2026-06-30"}); r.status != http.StatusForbidden && r.status != http.StatusNotFound {
			t.Fatalf("branch officer sending: %d", r.status)
		}
		if r := admin.sendJSON("POST", url, map[string]any{"due_on": "not a date"}); r.status != http.StatusUnprocessableEntity && r.status != http.StatusBadRequest {
			t.Fatalf("bad deadline: %d %s", r.status, r.body)
		}
		var item struct {
			ID              int64  `json:"id"`
			Status          string `json:"status"`
			Source          string `json:"source"`
			SourceID        int64  `json:"source_id"`
			SourceLink      string `json:"source_link"`
			SupervisorOrgID int64  `json:"supervisor_org_id"`
		}
		r = admin.sendJSON("POST", url, map[string]any{"due_on": "2026-06-30"})
		if r.status != http.StatusCreated {
			t.Fatalf("send: %d %s", r.status, r.body)
		}
		r.json(t, &item)
		if item.Status != "open" || item.Source != "inspection" || item.SourceID != fid || item.SupervisorOrgID != e.root ||
			item.SourceLink != fmt.Sprintf("/inspections/%d#finding-%d", c.ID, fid) {
			t.Fatalf("item: %+v", item)
		}
		again := admin.sendJSON("POST", url, map[string]any{"due_on": "2026-07-31"})
		var same struct {
			ID int64 `json:"id"`
		}
		again.json(t, &same)
		if again.status != http.StatusOK || same.ID != item.ID {
			t.Fatalf("second send: %d, item %d (first %d)", again.status, same.ID, item.ID)
		}
		if n := e.auditCount("rectify.from_finding"); n != 1 {
			t.Fatalf("rectify.from_finding audited %d times", n)
		}
		page := admin.get(fmt.Sprintf("/inspections/%d", c.ID))
		if !strings.Contains(page.body, fmt.Sprintf(`href="/rectifications/%d"`, item.ID)) {
			t.Fatal("the report does not link the sent finding to its item")
		}
	})
}
