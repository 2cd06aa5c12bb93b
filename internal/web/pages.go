package web

import (
	"net/http"
	"strconv"

	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/i18n"
)

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := principalFrom(r.Context()); ok {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", map[string]any{"Next": safeNext(r.URL.Query().Get("next"))})
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	username, password := r.PostFormValue("username"), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	secret, _, err := s.Auth.Login(r.Context(), username, password)
	if err != nil {
		if e, ok := errs.As(err); ok && e.Code == errs.Unauthorized {
			s.render(w, r, http.StatusUnauthorized, "login", map[string]any{"Error": e.Key, "Username": username, "Next": next})
			return
		}
		s.fail(w, r, err)
		return
	}
	// Rotate: whatever session the browser had before is ended; the new id is fresh.
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		_ = s.Auth.EndSession(r.Context(), c.Value)
	}
	s.setSession(w, r, secret)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if p.SessionHash != "" {
		if err := s.Auth.Logout(r.Context(), p); err != nil {
			return err
		}
	}
	s.clearSession(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// setLang stores the language choice in a long-lived cookie and goes back to the page. It changes no
// record, so a plain link can do it (the switch works without JavaScript and without a form).
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	l := i18n.Parse(r.URL.Query().Get("lang"))
	if l == "" {
		s.fail(w, r, errs.E(errs.Invalid, "lang.unknown"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.Secure || r.TLS != nil})
	http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data := map[string]any{"Today": clock.Today(s.Clock)}
	if p.Role.Can(auth.ReadBusiness) {
		sum, err := s.Orgs.Summarise(r.Context(), p, p.OrgID)
		if err != nil {
			return err
		}
		data["Summary"] = sum
	}
	data["MemberOnly"] = p.Role == auth.Member
	s.render(w, r, http.StatusOK, "home", data)
	return nil
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}
