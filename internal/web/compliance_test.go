package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/dangjian/dangjian/internal/orglife"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
)

func init() {
	both := map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200}
	authzMatrix = append(authzMatrix,
		matrixCase{name: "compliance findings", method: "GET", scoped: true, want: both,
			path: func(e *env, org int64) string {
				return fmt.Sprintf("/api/v1/compliance?org_id=%d&from=2026-01&to=2026-03", org)
			}},
		matrixCase{name: "compliance calendar", method: "GET", scoped: true, want: both,
			path: func(e *env, org int64) string {
				return fmt.Sprintf("/api/v1/compliance/calendar?org_id=%d&year=2026", org)
			}},
		matrixCase{name: "compliance calendar page", method: "GET", scoped: true, want: both,
			path: func(e *env, org int64) string { return fmt.Sprintf("/orgs/%d/compliance", org) }},
		matrixCase{name: "compliance heatmap page", method: "GET", scoped: true, want: both,
			path: func(e *env, org int64) string { return fmt.Sprintf("/orgs/%d/compliance/heatmap", org) }},
		matrixCase{name: "compliance drill-down", method: "GET", scoped: true, want: both,
			path: func(e *env, org int64) string { return fmt.Sprintf("/orgs/%d/compliance/A2.6/2026-02", org) }},
		matrixCase{name: "tune a rule", method: "POST", path: fixed("/api/v1/compliance/rules"),
			body: func(e *env, org int64, role auth.Role) any {
				return map[string]any{"rule_id": "A2.5", "effective_on": "2026-04-01", "every": "month", "reason": "测试 " + string(role)}
			}, want: map[auth.Role]int{auth.OrgAdmin: 201}},
		matrixCase{name: "create inspection", method: "POST", path: fixed("/api/v1/inspections"), scoped: true,
			body: func(e *env, org int64, role auth.Role) any {
				return map[string]any{"name": "专项检查" + string(role), "org_id": org, "from": "2026-01", "to": "2026-02"}
			}, want: map[auth.Role]int{auth.OrgAdmin: 201}},
	)
}

// held feeds a record's contribution as the records service does inside its write.
func (e *env) held(h orglife.Held) {
	e.t.Helper()
	if err := e.db.Write(context.Background(), func(tx *db.Tx) error { return e.srv.Compliance.MeetingsChanged(tx, nil, []orglife.Held{h}) }); err != nil {
		e.t.Fatal(err)
	}
}

// A branch officer reads their own branch's calendar and findings but not another branch's; only the
// work committee's administrators tune rules; a campaign run through the API freezes findings with ids.
func TestComplianceAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		e.held(orglife.Held{RecordID: 501, OrgID: e.branchA, Kind: orglife.ThemeDay, On: db.DateOf(t0.AddDate(0, -1, 0))}) // 2026-02-10
		officer := e.as(auth.BranchOfficer)
		var rep struct {
			Findings []struct {
				OrgID    int64  `json:"org_id"`
				RuleID   string `json:"rule_id"`
				Period   string `json:"period"`
				Status   string `json:"status"`
				Severity string `json:"severity"`
				Article  string `json:"article"`
				Message  string `json:"message"`
			} `json:"findings"`
			Summary struct {
				Orgs  int `json:"orgs"`
				Total struct {
					Met, Missed int
				} `json:"total"`
			} `json:"summary"`
		}
		r := officer.get(fmt.Sprintf("/api/v1/compliance?org_id=%d&from=2026-01&to=2026-02", e.branchA))
		if r.status != 200 {
			t.Fatalf("own branch: %d %s", r.status, r.body)
		}
		r.json(t, &rep)
		var jan, feb bool
		for _, f := range rep.Findings {
			if f.RuleID == "A2.6" && f.Period == "2026-01" && f.Status == "missed" && f.Severity == "error" && strings.Contains(f.Message, "主题党日") && f.Article != "" {
				jan = true
			}
			if f.RuleID == "A2.6" && f.Period == "2026-02" {
				feb = true
			}
		}
		if !jan || feb {
			t.Errorf("A2.6: January missed %v, February flagged %v: %s", jan, feb, r.body)
		}
		if r := officer.get(fmt.Sprintf("/api/v1/compliance?org_id=%d", e.branchB)); r.status != http.StatusForbidden {
			t.Errorf("another branch's findings: %d", r.status)
		}
		if r := officer.get(fmt.Sprintf("/orgs/%d/compliance", e.branchB)); r.status != http.StatusForbidden {
			t.Errorf("another branch's calendar: %d", r.status)
		}
		if r := officer.get("/api/v1/compliance?from=2026-13"); r.status != 422 || !strings.Contains(r.body, `"from"`) {
			t.Errorf("bad month: %d %s", r.status, r.body)
		}
		page := officer.get(fmt.Sprintf("/orgs/%d/compliance?year=2026", e.branchA))
		if page.status != 200 || !strings.Contains(page.body, "st-met") || !strings.Contains(page.body, "/compliance/A2.6/2026-02") {
			t.Errorf("calendar page: %d", page.status)
		}
		drill := officer.get(fmt.Sprintf("/orgs/%d/compliance/A2.6/2026-02", e.branchA))
		if drill.status != 200 || !strings.Contains(drill.body, "/meetings/501") {
			t.Errorf("drill-down does not link the record: %d", drill.status)
		}
		if r := officer.sendJSON("POST", "/api/v1/compliance/rules", map[string]any{"rule_id": "A2.5", "effective_on": "2026-04-01", "reason": "越权"}); r.status != 403 {
			t.Errorf("officer tuned a rule: %d", r.status)
		}

		admin := e.as(auth.OrgAdmin)
		heat := admin.get(fmt.Sprintf("/orgs/%d/compliance/heatmap?from=2026-01&to=2026-03", e.root))
		if heat.status != 200 || !strings.Contains(heat.body, "st-missed") {
			t.Errorf("heatmap: %d", heat.status)
		}
		var c struct {
			ID       int64 `json:"id"`
			Findings []struct {
				ID      int64  `json:"id"`
				RuleID  string `json:"rule_id"`
				Message string `json:"message"`
			} `json:"findings"`
		}
		r = admin.sendJSON("POST", "/api/v1/inspections", map[string]any{"name": "一季度主题党日检查", "org_id": e.root, "from": "2026-01", "to": "2026-02", "rules": []string{"A2.6"}})
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		r.json(t, &c)
		if r := admin.sendJSON("POST", "/api/v1/inspections", map[string]any{"name": "x", "org_id": e.root, "from": "2026-05", "to": "2026-01"}); r.status != 422 ||
			!strings.Contains(r.body, `"name"`) || !strings.Contains(r.body, `"to"`) {
			t.Errorf("bad campaign: %d %s", r.status, r.body)
		}
		r = admin.do("POST", fmt.Sprintf("/api/v1/inspections/%d/run", c.ID), nil, nil)
		if r.status != 200 {
			t.Fatalf("run: %d %s", r.status, r.body)
		}
		r.json(t, &c)
		if len(c.Findings) == 0 || c.Findings[0].ID == 0 || c.Findings[0].Message == "" {
			t.Errorf("run: %s", r.body)
		}
		if r := admin.do("POST", fmt.Sprintf("/api/v1/inspections/%d/run", c.ID), nil, nil); r.status != 409 {
			t.Errorf("second run: %d", r.status)
		}
		if r := officer.get(fmt.Sprintf("/api/v1/inspections/%d", c.ID)); r.status != 403 {
			t.Errorf("officer reads a city-wide campaign: %d", r.status)
		}
		x := admin.get(fmt.Sprintf("/api/v1/inspections/%d/report.xlsx", c.ID))
		if x.status != 200 || !strings.HasPrefix(x.body, "PK") {
			t.Errorf("workbook: %d", x.status)
		}
		if p := admin.get(fmt.Sprintf("/inspections/%d", c.ID)); p.status != 200 || !strings.Contains(p.body, "<svg") {
			t.Errorf("report page: %d", p.status)
		}
		if e.auditCount("inspection.run") != 1 {
			t.Error("run not audited")
		}
	})
}
