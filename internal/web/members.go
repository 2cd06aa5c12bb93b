package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// memberRoutes: the member roster — pages and API (organisations issue, Members).
func (s *Server) memberRoutes() {
	s.mux.HandleFunc("GET /orgs/{id}/members", s.page(s.rosterPage))
	s.mux.HandleFunc("GET /orgs/{id}/members/new", s.page(s.memberNewPage))
	s.mux.HandleFunc("POST /orgs/{id}/members", s.page(s.memberCreateForm))
	s.mux.HandleFunc("GET /members/{id}", s.page(s.memberPage))
	s.mux.HandleFunc("POST /members/{id}/unmask", s.page(s.memberUnmaskPage))
	s.mux.HandleFunc("GET /members/{id}/edit", s.page(s.memberEditPage))
	s.mux.HandleFunc("POST /members/{id}/edit", s.page(s.memberEditForm))
	s.api("GET /api/v1/members", s.apiMemberList, true)
	s.api("POST /api/v1/members", s.apiMemberCreate, true)
	s.api("GET /api/v1/members/{id}", s.apiMemberGet, true)
	s.api("PUT /api/v1/members/{id}", s.apiMemberUpdate, true)
	s.api("GET /api/v1/members/import-template", s.apiImportTemplate, true)
	s.api("POST /api/v1/members/import", s.apiMemberImport, true)
	s.api("POST /api/v1/members/import/{id}/rollback", s.apiImportRollback, true)
	s.api("GET /api/v1/members/export", s.apiMemberExport, true)
	s.mux.HandleFunc("GET /orgs/{id}/members/import", s.page(s.memberImportPage))
	s.mux.HandleFunc("POST /orgs/{id}/members/import", s.page(s.memberImportForm))
	s.mux.HandleFunc("POST /orgs/{id}/members/import/{imp}/rollback", s.page(s.memberImportRollbackForm))
	s.mux.HandleFunc("GET /orgs/{id}/members/import/jobs/{job}", s.page(s.memberImportJobPage))
	s.memberStatusRoutes()
}

// memberFilter reads the list filter from a query; org defaults to the caller's organisation.
func memberFilter(q url.Values, orgID int64) (org.MemberFilter, error) {
	f := org.MemberFilter{OrgID: orgID, Q: q.Get("q"), Status: q.Get("status")}
	fields := errs.Fields{}
	for name, dst := range map[string]*int{"limit": &f.Limit, "offset": &f.Offset} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				fields.Add(name, "form.number")
			}
			*dst = n
		}
	}
	if v := q.Get("org_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			fields.Add("org_id", "form.number")
		}
		f.OrgID = n
	}
	return f, fields.Err()
}

func (s *Server) apiMemberList(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	f, err := memberFilter(r.URL.Query(), p.OrgID)
	if err != nil {
		return err
	}
	items, total, err := s.Orgs.ListMembers(r.Context(), p, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "total": total})
	return nil
}

func (s *Server) apiMemberCreate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var n org.NewMember
	if err := readJSON(r, &n); err != nil {
		return err
	}
	m, err := s.Orgs.CreateMember(r.Context(), p, n)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/members/"+strconv.FormatInt(m.ID, 10))
	writeJSON(w, http.StatusCreated, m)
	return nil
}

func (s *Server) apiMemberUpdate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var n org.NewMember
	if err := readJSON(r, &n); err != nil {
		return err
	}
	m, err := s.Orgs.UpdateMember(r.Context(), p, id, n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) apiMemberGet(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	unmask := false
	switch r.URL.Query().Get("unmask") {
	case "", "false":
	case "true":
		unmask = true
	default:
		return &errs.Error{Code: errs.Invalid, Key: "error.validation", Fields: map[string]string{"unmask": "member.unmask.bool"}}
	}
	m, err := s.Orgs.GetMember(r.Context(), p, id, unmask)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// rosterPage lists an organisation's subtree of members with a name search and a status filter.
func (s *Server) rosterPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	o, err := s.Orgs.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f, err := memberFilter(url.Values{"q": {q.Get("q")}, "status": {q.Get("status")}, "offset": {q.Get("offset")}}, id)
	if err != nil {
		return err
	}
	f.Limit = 50
	items, total, err := s.Orgs.ListMembers(r.Context(), p, f)
	if err != nil {
		return err
	}
	data := map[string]any{"Org": o, "Items": items, "Total": total, "Q": f.Q, "Status": f.Status,
		"Statuses": org.Statuses, "Terminal": org.TerminalStates, "CanAdd": o.Kind == org.Branch && p.Role.Can(auth.WriteBusiness)}
	if f.Offset+len(items) < total {
		data["Next"] = pageLink(r.URL.Path, f, f.Offset+f.Limit)
	}
	if f.Offset > 0 {
		data["Prev"] = pageLink(r.URL.Path, f, max(0, f.Offset-f.Limit))
	}
	data["From"], data["To"] = f.Offset+1, f.Offset+len(items)
	s.render(w, r, http.StatusOK, "members", data)
	return nil
}

func pageLink(path string, f org.MemberFilter, offset int) string {
	v := url.Values{}
	if f.Q != "" {
		v.Set("q", f.Q)
	}
	if f.Status != "" {
		v.Set("status", f.Status)
	}
	v.Set("offset", strconv.Itoa(offset))
	return path + "?" + v.Encode()
}

func (s *Server) memberFormData(r *http.Request, p auth.Principal) (map[string]any, org.Org, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, org.Org{}, err
	}
	o, err := s.Orgs.Get(r.Context(), p, id)
	if err != nil {
		return nil, org.Org{}, err
	}
	return map[string]any{"Org": o, "Form": map[string]string{"status": "full", "ethnicity": org.Han},
		"Action": "/orgs/" + strconv.FormatInt(o.ID, 10) + "/members", "Title": "member.add",
		"Fields": map[string]string{}, "Ethnicities": org.Ethnicities, "Educations": org.Educations,
		"Statuses": org.Statuses}, o, nil
}

func (s *Server) memberNewPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, o, err := s.memberFormData(r, p)
	if err != nil {
		return err
	}
	// Asking for the form is not yet a change, but an officer outside the branch should learn so now.
	if err := s.Auth.Authorize(r.Context(), p, auth.WriteBusiness, auth.Target{OrgID: o.ID}); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "member_new", data)
	return nil
}

var memberFormFields = []string{"name", "id_number", "gender", "birth_date", "ethnicity", "phone", "education",
	"job_title", "unit_name", "status", "joined_on", "full_on", "is_leading_cadre"}

func (s *Server) memberCreateForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, o, err := s.memberFormData(r, p)
	if err != nil {
		return err
	}
	form := map[string]string{}
	for _, k := range memberFormFields {
		form[k] = r.PostFormValue(k)
	}
	data["Form"] = form
	m, err := s.Orgs.CreateMember(r.Context(), p, newMemberFromForm(form, o.ID))
	if err != nil {
		return s.formError(w, r, err, "member_new", data)
	}
	http.Redirect(w, r, "/members/"+strconv.FormatInt(m.ID, 10)+"?created=1", http.StatusSeeOther)
	return nil
}

func newMemberFromForm(form map[string]string, orgID int64) org.NewMember {
	return org.NewMember{OrgID: orgID, Name: form["name"], IDNumber: form["id_number"], Gender: form["gender"],
		BirthDate: form["birth_date"], Ethnicity: form["ethnicity"], Phone: form["phone"], Education: form["education"],
		JobTitle: form["job_title"], UnitName: form["unit_name"], Status: org.Status(form["status"]),
		JoinedOn: form["joined_on"], FullOn: form["full_on"], IsLeadingCadre: form["is_leading_cadre"] != ""}
}

// memberEditData is the edit form filled from the member as stored, numbers masked: sent back
// unchanged they keep the stored numbers, so editing needs no unmasking.
func (s *Server) memberEditData(r *http.Request, p auth.Principal) (map[string]any, org.Member, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, org.Member{}, err
	}
	m, err := s.Orgs.GetMember(r.Context(), p, id, false)
	if err != nil {
		return nil, m, err
	}
	if err := s.Auth.Authorize(r.Context(), p, auth.WriteBusiness, auth.Target{OrgID: m.OrgID}); err != nil {
		return nil, m, err
	}
	form := map[string]string{"name": m.Name, "id_number": m.IDNumber, "gender": m.Gender, "birth_date": m.BirthDate.String(),
		"ethnicity": m.Ethnicity, "phone": m.Phone, "education": m.Education, "job_title": m.JobTitle, "unit_name": m.UnitName,
		"status": string(m.Status), "joined_on": m.JoinedOn.String(), "full_on": m.FullOn.String()}
	if m.IsLeadingCadre {
		form["is_leading_cadre"] = "1"
	}
	return map[string]any{"Org": org.Org{ID: m.OrgID, Name: m.OrgName}, "Form": form, "Fields": map[string]string{},
		"Ethnicities": org.Ethnicities, "Educations": org.Educations, "Statuses": org.Statuses,
		"Action": "/members/" + strconv.FormatInt(id, 10) + "/edit", "Title": "member.edit", "Member": m}, m, nil
}

func (s *Server) memberEditPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, _, err := s.memberEditData(r, p)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "member_new", data)
	return nil
}

func (s *Server) memberEditForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, m, err := s.memberEditData(r, p)
	if err != nil {
		return err
	}
	form := map[string]string{}
	for _, k := range memberFormFields {
		form[k] = r.PostFormValue(k)
	}
	data["Form"] = form
	if _, err := s.Orgs.UpdateMember(r.Context(), p, m.ID, newMemberFromForm(form, m.OrgID)); err != nil {
		return s.formError(w, r, err, "member_new", data)
	}
	http.Redirect(w, r, "/members/"+strconv.FormatInt(m.ID, 10)+"?updated=1", http.StatusSeeOther)
	return nil
}

func (s *Server) memberPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	return s.showMember(w, r, p, false)
}

// memberUnmaskPage shows the whole ID and phone numbers: a POST, because each look is recorded.
func (s *Server) memberUnmaskPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	return s.showMember(w, r, p, true)
}

func (s *Server) showMember(w http.ResponseWriter, r *http.Request, p auth.Principal, unmask bool) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	m, err := s.Orgs.GetMember(r.Context(), p, id, unmask)
	if err != nil {
		return err
	}
	data := map[string]any{"M": m, "CanUnmask": p.Role.Can(auth.UnmaskPII) && !m.Unmasked,
		"CanRoster": p.Role.Can(auth.ReadBusiness), "CanEdit": p.Role.Can(auth.WriteBusiness) && m.TerminalState == "",
		"CanStatus": p.Role.Can(auth.WriteBusiness)}
	switch {
	case r.URL.Query().Get("created") != "":
		data["Flash"] = "member.created"
	case r.URL.Query().Get("updated") != "":
		data["Flash"] = "member.updated"
	}
	s.render(w, r, http.StatusOK, "member", data)
	return nil
}
