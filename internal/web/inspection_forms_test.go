package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dangjian/dangjian/internal/platform/auth"
)

// Inspectors add findings and spot-check notes from the report page: a bad form comes back with its
// values and field messages (422, nothing stored), a good one lands in the report; a branch officer
// cannot add to a city-wide campaign.
func TestInspectionManualFindingAndNoteForms(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.as(auth.OrgAdmin)
		var c struct {
			ID       int64 `json:"id"`
			Findings []struct {
				ID     int64  `json:"id"`
				Source string `json:"source"`
			} `json:"findings"`
			Notes []struct {
				Body string `json:"body"`
			} `json:"notes"`
		}
		admin.sendJSON("POST", "/api/v1/inspections", map[string]any{"name": "三会一课抽查", "org_id": e.root, "from": "2026-01", "to": "2026-02", "rules": []string{"A2.1"}}).json(t, &c)
		admin.do("POST", fmt.Sprintf("/api/v1/inspections/%d/run", c.ID), nil, nil).json(t, &c)
		before := len(c.Findings)
		page := admin.get(fmt.Sprintf("/inspections/%d", c.ID))
		if !strings.Contains(page.body, `action="/inspections/`+fmt.Sprint(c.ID)+`/findings"`) {
			t.Fatal("no finding form on the report of a run campaign")
		}

		bad := admin.postForm(fmt.Sprintf("/inspections/%d/findings", c.ID), url.Values{"period": {"2026-13"}, "severity": {"warning"}, "note": {"会议记录缺少签到"}})
		if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "field-error") || !strings.Contains(bad.body, "会议记录缺少签到") {
			t.Fatalf("bad finding form: %d", bad.status)
		}
		good := admin.postForm(fmt.Sprintf("/inspections/%d/findings", c.ID), url.Values{"org_id": {fmt.Sprint(e.branchA)}, "rule_id": {"A2.1"},
			"period": {"2026-Q1"}, "severity": {"warning"}, "note": {"会议记录缺少签到"}})
		if good.status != http.StatusSeeOther {
			t.Fatalf("finding form: %d %s", good.status, good.body)
		}
		note := admin.postForm(fmt.Sprintf("/inspections/%d/notes", c.ID), url.Values{"org_id": {fmt.Sprint(e.branchA)}, "body": {"抽查3月支委会记录，签到表齐全"}})
		if note.status != http.StatusSeeOther {
			t.Fatalf("note form: %d %s", note.status, note.body)
		}
		admin.get(fmt.Sprintf("/api/v1/inspections/%d", c.ID)).json(t, &c)
		if len(c.Findings) != before+1 || len(c.Notes) != 1 || c.Notes[0].Body != "抽查3月支委会记录，签到表齐全" {
			t.Fatalf("after the forms: %d findings (before %d), notes %+v", len(c.Findings), before, c.Notes)
		}

		officer := e.as(auth.BranchOfficer)
		r := officer.postForm(fmt.Sprintf("/inspections/%d/findings", c.ID), url.Values{"org_id": {fmt.Sprint(e.branchA)}, "period": {"2026-Q1"}, "severity": {"info"}, "note": {"x"}})
		if r.status != http.StatusForbidden && r.status != http.StatusNotFound {
			t.Fatalf("branch officer adding a finding: %d", r.status)
		}
	})
}
