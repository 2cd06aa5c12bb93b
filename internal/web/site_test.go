package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/i18n"
)

// The OpenAPI document describes exactly the registered API routes.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("not OpenAPI 3: %q", doc.OpenAPI)
	}
	var documented []string
	for p, ops := range doc.Paths {
		for m := range ops {
			documented = append(documented, strings.ToUpper(m)+" "+p)
		}
	}
	slices.Sort(documented)
	e := newEnv(t, sqliteOnly(t))
	if got := e.srv.APIRoutes(); !slices.Equal(got, documented) {
		t.Fatalf("routes and openapi.json differ\nregistered: %v\ndocumented: %v", got, documented)
	}
	r := e.client().get("/api/v1/openapi.json")
	if r.status != 200 || !strings.Contains(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("openapi.json served: %d", r.status)
	}
}

// Every page renders for a role that may see it, in every language, with no message key left
// untranslated and the layout's parts present.
func TestEveryPageRendersInEveryLanguage(t *testing.T) {
	e := newEnv(t, sqliteOnly(t))
	pages := []struct {
		role auth.Role
		path string
	}{
		{auth.OrgAdmin, "/"},
		{auth.OrgAdmin, fmt.Sprintf("/orgs/%d", e.root)},
		{auth.BranchOfficer, fmt.Sprintf("/orgs/%d", e.branchA)},
		{auth.Member, "/"},
		{auth.SystemAdmin, "/admin/users"},
		{auth.Member, "/account/password"},
		{auth.SecurityAdmin, "/security"},
		{auth.AuditAdmin, "/audit"},
		{"", "/login"},
		{auth.OrgAdmin, "/no-such-page"},
	}
	keys := i18n.Std().Keys(i18n.ZhHans)
	for _, l := range i18n.Langs {
		for _, p := range pages {
			c := e.client()
			if p.role != "" {
				c = e.as(p.role)
			}
			c.do("GET", "/lang?lang="+string(l), nil, nil)
			r := c.get(p.path)
			want := 200
			if p.path == "/no-such-page" {
				want = 404
			}
			if r.status != want {
				t.Errorf("%s %s as %s: %d", l, p.path, p.role, r.status)
				continue
			}
			if !strings.Contains(r.body, i18n.Std().T(l, "app.name", nil)) {
				t.Errorf("%s %s: layout title missing", l, p.path)
			}
			for _, k := range keys {
				if strings.Contains(r.body, ">"+k+"<") || strings.Contains(r.body, "\""+k+"\"") {
					t.Errorf("%s %s shows the raw key %q", l, p.path, k)
				}
			}
		}
	}
}

func TestHTMLLangAndChineseDate(t *testing.T) {
	e := newEnv(t, sqliteOnly(t))
	c := e.as(auth.OrgAdmin)
	if r := c.get("/"); !strings.Contains(r.body, `<html lang="zh-CN">`) || !strings.Contains(r.body, "2026年3月10日") {
		t.Fatal("zh-Hans page without lang or Chinese date")
	}
	c.get("/lang?lang=en")
	if r := c.get("/"); !strings.Contains(r.body, `<html lang="en">`) || !strings.Contains(r.body, "10 Mar 2026") || !strings.Contains(r.body, "Hello, demo_admin") {
		t.Fatal("English page wrong")
	}
	c2 := e.as(auth.OrgAdmin)
	c2.lang = "zh-TW,zh;q=0.9"
	if r := c2.get("/"); !strings.Contains(r.body, "組織體系") {
		t.Fatal("Accept-Language zh-TW did not pick traditional characters")
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, sqliteOnly(t))
	r := e.client().get("/login")
	csp := r.header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %s", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Error("CSP allows inline code")
	}
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"} {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s = %q", h, got)
		}
	}
	if r.header.Get("X-Request-Id") == "" {
		t.Error("no request id")
	}
	if regexp.MustCompile(`<script>|\son[a-z]+="`).MatchString(r.body) {
		t.Error("inline script or handler in page")
	}
	// Static assets are embedded and cache-busted.
	m := regexp.MustCompile(`/static/app\.css\?v=[0-9a-f]{12}`).FindString(r.body)
	if m == "" {
		t.Fatal("stylesheet link without content hash")
	}
	s := e.client().get(m)
	if s.status != 200 || !strings.Contains(s.header.Get("Cache-Control"), "immutable") {
		t.Fatalf("asset: %d %q", s.status, s.header.Get("Cache-Control"))
	}
}

// Errors have one JSON shape, with field messages in the caller's language, and never a 5xx for bad input.
func TestAPIErrorShape(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.as(auth.OrgAdmin)
		type apiErr struct {
			Error struct {
				Code    string            `json:"code"`
				Message string            `json:"message"`
				Fields  map[string]string `json:"fields"`
			} `json:"error"`
		}
		cases := []struct {
			name   string
			method string
			path   string
			body   string
			status int
			code   string
			field  string
			msg    string
		}{
			{"malformed JSON", "POST", "/api/v1/orgs", `{"parent_id":`, 400, "invalid", "", "请求格式不正确"},
			{"unknown field", "POST", "/api/v1/orgs", `{"parent_id":1,"kind":"branch","name":"某支部","bogus":1}`, 400, "invalid", "", ""},
			{"missing name", "POST", "/api/v1/orgs", fmt.Sprintf(`{"parent_id":%d,"kind":"branch","name":""}`, e.committeeA), 422, "unprocessable", "name", ""},
			{"bad kind", "POST", "/api/v1/orgs", fmt.Sprintf(`{"parent_id":%d,"kind":"club","name":"某支部"}`, e.committeeA), 422, "unprocessable", "kind", ""},
			{"bad credit code", "POST", "/api/v1/orgs", fmt.Sprintf(`{"parent_id":%d,"kind":"branch","name":"某支部","unit_credit_code":"91350100M000100Y44"}`, e.committeeA), 422, "unprocessable", "unit_credit_code", ""},
			{"cell under committee", "POST", "/api/v1/orgs", fmt.Sprintf(`{"parent_id":%d,"kind":"cell","name":"某小组"}`, e.committeeA), 422, "unprocessable", "kind", ""},
			{"unknown org", "GET", "/api/v1/orgs/999999", "", 404, "not_found", "", "找不到您要的内容"},
			{"unknown route", "GET", "/api/v1/nothing", "", 404, "not_found", "", ""},
			{"weak password", "PUT", "/api/v1/security/password-policy", `{"min_length":4,"max_length":64,"min_classes":1,"max_age_days":90}`, 403, "forbidden", "", "您没有权限进行此操作"},
		}
		for _, tc := range cases {
			var body *strings.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			} else {
				body = strings.NewReader("")
			}
			r := c.do(tc.method, tc.path, body, map[string]string{"Content-Type": "application/json"})
			var got apiErr
			r.json(t, &got)
			if r.status != tc.status || got.Error.Code != tc.code || got.Error.Message == "" {
				t.Errorf("%s: %d %+v", tc.name, r.status, got)
				continue
			}
			if tc.field != "" && got.Error.Fields[tc.field] == "" {
				t.Errorf("%s: no message for field %s: %+v", tc.name, tc.field, got.Error.Fields)
			}
			if tc.msg != "" && got.Error.Message != tc.msg {
				t.Errorf("%s: message %q", tc.name, got.Error.Message)
			}
		}
		// The security admin's weak policy is a 422 with Chinese field messages.
		r := e.as(auth.SecurityAdmin).sendJSON("PUT", "/api/v1/security/password-policy", map[string]int{"min_length": 4, "max_length": 64, "min_classes": 1, "max_age_days": 90})
		var got apiErr
		r.json(t, &got)
		if r.status != 422 || !strings.Contains(got.Error.Fields["min_length"], "8") || !strings.Contains(got.Error.Fields["min_classes"], "等保") {
			t.Fatalf("weak policy: %d %+v", r.status, got)
		}
	})
}

// A business write through the API leaves its audit entry, with the actor and the request id.
func TestWritesAreAuditedWithActorAndRequest(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.as(auth.OrgAdmin)
		r := c.sendJSON("POST", "/api/v1/orgs", map[string]any{"parent_id": e.committeeA, "kind": "branch", "name": "审计测试党支部"})
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var o struct {
			ID int64 `json:"id"`
		}
		r.json(t, &o)
		var actor, role, reqID, ip string
		err := e.db.QueryRow(t.Context(), "SELECT actor_name, actor_role, request_id, client_ip FROM audit_log WHERE action = 'org.create' AND object_id = ?",
			fmt.Sprint(o.ID)).Scan(&actor, &role, &reqID, &ip)
		if err != nil {
			t.Fatal(err)
		}
		if actor != "demo_admin" || role != "org_admin" || reqID != r.header.Get("X-Request-Id") || ip != "127.0.0.1" {
			t.Fatalf("audit entry: %s %s %s %s", actor, role, reqID, ip)
		}
		// A refused write changes nothing and writes no business entry.
		before := e.auditCount("org.create")
		e.as(auth.BranchOfficer).sendJSON("POST", "/api/v1/orgs", map[string]any{"parent_id": e.branchA, "kind": "cell", "name": "无权小组"})
		if e.auditCount("org.create") != before {
			t.Fatal("refused write left an entry")
		}
	})
}

func TestHealthz(t *testing.T) {
	e := newEnv(t, sqliteOnly(t))
	if r := e.client().get("/healthz"); r.status != 200 || r.body != "ok\n" {
		t.Fatalf("healthz: %d %q", r.status, r.body)
	}
}
