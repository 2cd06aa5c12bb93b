// Package web is the platform's HTTP face: the router, middleware, the layout every page uses, static
// assets, the JSON API's conventions and the OpenAPI document. Capabilities' handlers live here or in
// their own web files; capabilities never import this package.
package web

import (
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/i18n"
	"github.com/dangjian/dangjian/internal/wire"
)

// Deps is what the web layer needs; cmd/dangjian wires it.
type Deps struct {
	*wire.Platform // every service (DB, Clock, Trail, Auth, Orgs, Notify, …)
	Log            *slog.Logger
	I18n           *i18n.Catalogue
	Secure         bool // cookies get the Secure flag (behind TLS)
}

// Server routes requests.
type Server struct {
	Deps
	mux       *http.ServeMux
	pages     *pageSet
	apiRoutes []string // "METHOD /api/v1/…" in registration order, checked against openapi.json
	started   time.Time
}

// New builds the server and its routes.
func New(d Deps) (*Server, error) {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.I18n == nil {
		d.I18n = i18n.Std()
	}
	pages, err := loadPages()
	if err != nil {
		return nil, err
	}
	s := &Server{Deps: d, mux: http.NewServeMux(), pages: pages, started: d.Clock.Now()}
	s.routes()
	return s, nil
}

// Handler is the whole site with its middleware.
func (s *Server) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errCSRF)
	}))
	var h http.Handler = s.mux
	h = s.authenticate(h)
	h = cop.Handler(h)
	h = s.locale(h)
	h = securityHeaders(h)
	h = s.recoverer(h)
	h = s.logRequests(h)
	h = requestID(h)
	return h
}

// APIRoutes lists the registered API routes ("GET /api/v1/me"), sorted.
func (s *Server) APIRoutes() []string {
	out := append([]string(nil), s.apiRoutes...)
	sort.Strings(out)
	return out
}

func (s *Server) routes() {
	s.mux.Handle("GET /static/", staticHandler())
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, assetPath("favicon.svg"), http.StatusMovedPermanently)
	})

	// Pages.
	s.mux.HandleFunc("GET /login", s.loginForm)
	s.mux.HandleFunc("POST /login", s.loginSubmit)
	s.mux.HandleFunc("POST /logout", s.page(s.logout))
	s.mux.HandleFunc("GET /lang", s.setLang)
	s.mux.HandleFunc("GET /{$}", s.page(s.home))
	s.mux.HandleFunc("GET /account/password", s.page(s.passwordPage))
	s.mux.HandleFunc("POST /account/password", s.page(s.passwordChange))
	s.mux.HandleFunc("GET /admin/users", s.page(s.usersPage))
	s.mux.HandleFunc("POST /admin/users", s.page(s.usersCreate))
	s.mux.HandleFunc("GET /security", s.page(s.securityPage))
	s.mux.HandleFunc("POST /security/policy", s.page(s.securityPolicy))
	s.mux.HandleFunc("POST /security/unlock", s.page(s.securityUnlock))
	s.mux.HandleFunc("GET /audit", s.page(s.auditPage))
	s.mux.HandleFunc("POST /audit/verify", s.page(s.auditVerifyPage))
	s.mux.HandleFunc("/", s.notFound)

	// JSON API, described by openapi.json.
	s.api("GET /api/v1/openapi.json", s.openapi, false)
	s.api("GET /api/v1/me", s.apiMe, true)
	s.api("POST /api/v1/users", s.apiUserCreate, true)
	s.api("PUT /api/v1/security/password-policy", s.apiSetPolicy, true)
	s.api("GET /api/v1/security/password-policy", s.apiGetPolicy, true)
	s.api("POST /api/v1/security/unlock", s.apiUnlock, true)
	s.api("GET /api/v1/audit/entries", s.apiAuditEntries, true)
	s.api("POST /api/v1/audit/verify", s.apiAuditVerify, true)
	// Capabilities, each registering its pages and API routes in its own file.
	s.orgRoutes()
	s.memberRoutes()
	s.transferRoutes()
	s.statsRoutes()
	s.notificationRoutes()
	s.fileRoutes()
	s.inspectionRectifyRoutes()
	s.readingRoutes()
	s.learningRoutes()
	s.meetingRoutes()
	s.rectifyRoutes()
	s.complianceRoutes()
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, errNotFound) })
}

// api registers a JSON route; with auth it answers 401 to anonymous callers.
func (s *Server) api(pattern string, h func(http.ResponseWriter, *http.Request, auth.Principal) error, needAuth bool) {
	s.apiRoutes = append(s.apiRoutes, pattern)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		p, ok := principalFrom(r.Context())
		if needAuth && !ok {
			s.fail(w, r, errUnauthenticated)
			return
		}
		if needAuth && p.PasswordExpired {
			s.fail(w, r, errPasswordExpired)
			return
		}
		if err := h(w, r, p); err != nil {
			s.fail(w, r, err)
		}
	})
}

// page wraps a handler that needs a logged-in user; anonymous visitors go to /login.
func (s *Server) page(h func(http.ResponseWriter, *http.Request, auth.Principal) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := principalFrom(r.Context())
		if !ok {
			next := r.URL.Path
			if r.Method != http.MethodGet {
				next = "/"
			}
			http.Redirect(w, r, "/login?next="+urlQueryEscape(next), http.StatusSeeOther)
			return
		}
		if p.PasswordExpired && r.URL.Path != "/account/password" && r.URL.Path != "/logout" {
			http.Redirect(w, r, "/account/password", http.StatusSeeOther)
			return
		}
		if err := h(w, r, p); err != nil {
			s.fail(w, r, err)
		}
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if err := s.DB.QueryRow(r.Context(), "SELECT 1").Scan(new(int)); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("database unavailable\n"))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }
