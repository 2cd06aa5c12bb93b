package web

import (
	"net/http"

	"github.com/dangjian/dangjian/internal/platform/auth"
)

func (s *Server) passwordData(r *http.Request, p auth.Principal) (map[string]any, error) {
	pol, err := auth.LoadPolicy(r.Context(), s.DB)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Policy": pol, "Expired": p.PasswordExpired, "Fields": map[string]string{}}, nil
}

func (s *Server) passwordPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.passwordData(r, p)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("done") != "" {
		data["Flash"] = "account.password_changed"
	}
	s.render(w, r, http.StatusOK, "password", data)
	return nil
}

func (s *Server) passwordChange(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.passwordData(r, p)
	if err != nil {
		return err
	}
	if err := s.Auth.ChangePassword(r.Context(), p, r.PostFormValue("current_password"), r.PostFormValue("password")); err != nil {
		return s.formError(w, r, err, "password", data)
	}
	http.Redirect(w, r, "/account/password?done=1", http.StatusSeeOther)
	return nil
}
