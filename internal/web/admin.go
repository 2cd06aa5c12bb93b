package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// fieldMessages translates an error's field keys for a form, and returns the summary key.
func (s *Server) fieldMessages(r *http.Request, err error) (string, map[string]string) {
	e, ok := errs.As(err)
	if !ok {
		return "", nil
	}
	out := map[string]string{}
	for f, k := range e.Fields {
		out[f] = s.I18n.T(langFrom(r.Context()), k, e.Args)
	}
	return e.Key, out
}

// formError re-renders a form with the user's input and field messages when err is the user's to fix.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, err error, page string, data map[string]any) error {
	code := errs.CodeOf(err)
	if code != errs.Unprocessable && code != errs.Conflict && code != errs.Invalid {
		return err
	}
	data["Error"], data["Fields"] = s.fieldMessages(r, err)
	s.render(w, r, statusOf[code], page, data)
	return nil
}

func (s *Server) usersData(r *http.Request, p auth.Principal) (map[string]any, error) {
	users, err := s.Auth.ListUsers(r.Context(), p, 200)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Users": users, "Roles": auth.Roles, "Form": map[string]string{"org_id": strconv.FormatInt(p.OrgID, 10)},
		"Fields": map[string]string{}}, nil
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.usersData(r, p)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("created") != "" {
		data["Flash"] = "users.created"
	}
	s.render(w, r, http.StatusOK, "users", data)
	return nil
}

func (s *Server) usersCreate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.usersData(r, p)
	if err != nil {
		return err
	}
	form := map[string]string{"username": r.PostFormValue("username"), "role": r.PostFormValue("role"),
		"org_id": r.PostFormValue("org_id"), "member_id": r.PostFormValue("member_id")}
	data["Form"] = form
	nu, ferr := newUserFromForm(form, r.PostFormValue("password"))
	if ferr != nil {
		return s.formError(w, r, ferr, "users", data)
	}
	if _, err := s.Auth.CreateUserAs(r.Context(), p, nu); err != nil {
		return s.formError(w, r, err, "users", data)
	}
	http.Redirect(w, r, "/admin/users?created=1", http.StatusSeeOther)
	return nil
}

func newUserFromForm(form map[string]string, password string) (auth.NewUser, error) {
	f := errs.Fields{}
	orgID, err := strconv.ParseInt(form["org_id"], 10, 64)
	if err != nil {
		f.Add("org_id", "form.number")
	}
	var memberID int64
	if form["member_id"] != "" {
		if memberID, err = strconv.ParseInt(form["member_id"], 10, 64); err != nil {
			f.Add("member_id", "form.number")
		}
	}
	return auth.NewUser{Username: form["username"], Password: password, Role: auth.Role(form["role"]), OrgID: orgID, MemberID: memberID}, f.Err()
}

func (s *Server) securityData(r *http.Request, p auth.Principal) (map[string]any, error) {
	locked, err := s.Auth.LockedUsers(r.Context(), p)
	if err != nil {
		return nil, err
	}
	pol, err := auth.LoadPolicy(r.Context(), s.DB)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Locked": locked, "Policy": pol, "Fields": map[string]string{}}, nil
}

func (s *Server) securityPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.securityData(r, p)
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("done") {
	case "policy":
		data["Flash"] = "security.policy_saved"
	case "unlock":
		data["Flash"] = "security.unlocked"
	}
	s.render(w, r, http.StatusOK, "security", data)
	return nil
}

func (s *Server) securityPolicy(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := s.Auth.Authorize(r.Context(), p, auth.ManageSecurity, auth.Target{}); err != nil {
		return err
	}
	data, err := s.securityData(r, p)
	if err != nil {
		return err
	}
	f := errs.Fields{}
	num := func(name string) int {
		n, err := strconv.Atoi(r.PostFormValue(name))
		if err != nil {
			f.Add(name, "form.number")
		}
		return n
	}
	pol := auth.Policy{MinLength: num("min_length"), MaxLength: num("max_length"), MinClasses: num("min_classes"), MaxAgeDays: num("max_age_days")}
	data["Policy"] = pol
	if err := f.Err(); err != nil {
		return s.formError(w, r, err, "security", data)
	}
	if err := s.Auth.SetPolicy(r.Context(), pol); err != nil {
		return s.formError(w, r, err, "security", data)
	}
	http.Redirect(w, r, "/security?done=policy", http.StatusSeeOther)
	return nil
}

func (s *Server) securityUnlock(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := s.Auth.Authorize(r.Context(), p, auth.ManageSecurity, auth.Target{}); err != nil {
		return err
	}
	if err := s.Auth.Unlock(r.Context(), r.PostFormValue("username")); err != nil {
		return err
	}
	http.Redirect(w, r, "/security?done=unlock", http.StatusSeeOther)
	return nil
}

const auditPageSize = 50

func auditFilter(q url.Values) audit.Filter {
	off, _ := strconv.Atoi(q.Get("offset"))
	lim, _ := strconv.Atoi(q.Get("limit"))
	if lim <= 0 || lim > 500 {
		lim = auditPageSize
	}
	return audit.Filter{Action: q.Get("action"), ObjectType: q.Get("object_type"), ObjectID: q.Get("object_id"),
		Actor: q.Get("actor"), Limit: lim, Offset: max(off, 0)}
}

func (s *Server) auditData(r *http.Request, p auth.Principal) (map[string]any, error) {
	if err := s.Auth.Authorize(r.Context(), p, auth.ReadAudit, auth.Target{}); err != nil {
		return nil, err
	}
	f := auditFilter(r.URL.Query())
	entries, total, err := s.Trail.List(r.Context(), f)
	if err != nil {
		return nil, err
	}
	data := map[string]any{"Entries": entries, "Total": total, "Filter": f}
	page := func(off int) string {
		q := r.URL.Query()
		q.Set("offset", strconv.Itoa(off))
		return "/audit?" + q.Encode()
	}
	if f.Offset > 0 {
		data["Prev"] = page(max(f.Offset-f.Limit, 0))
	}
	if f.Offset+f.Limit < total {
		data["Next"] = page(f.Offset + f.Limit)
	}
	return data, nil
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.auditData(r, p)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "audit", data)
	return nil
}

func (s *Server) auditVerifyPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.auditData(r, p)
	if err != nil {
		return err
	}
	rep, err := s.Trail.Verify(r.Context())
	if err != nil {
		return err
	}
	data["Report"] = rep
	s.render(w, r, http.StatusOK, "audit", data)
	return nil
}
