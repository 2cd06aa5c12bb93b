package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/dangjian/dangjian/internal/inspection"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/i18n"
)

// inspectionRoutes: special inspections (专项检查) — campaigns, frozen findings, report and workbook.
func (s *Server) inspectionRoutes() {
	s.mux.HandleFunc("GET /inspections", s.page(s.inspectionsPage))
	s.mux.HandleFunc("POST /inspections", s.page(s.inspectionCreateForm))
	s.mux.HandleFunc("GET /inspections/{id}", s.page(s.inspectionPage))
	s.mux.HandleFunc("POST /inspections/{id}/run", s.page(s.inspectionRunForm))
	s.mux.HandleFunc("POST /inspections/{id}/findings", s.page(s.inspectionFindingForm))
	s.mux.HandleFunc("POST /inspections/{id}/notes", s.page(s.inspectionNoteForm))
	s.api("GET /api/v1/inspections", s.apiInspections, true)
	s.api("POST /api/v1/inspections", s.apiInspectionCreate, true)
	s.api("GET /api/v1/inspections/{id}", s.apiInspectionGet, true)
	s.api("POST /api/v1/inspections/{id}/run", s.apiInspectionRun, true)
	s.api("POST /api/v1/inspections/{id}/findings", s.apiInspectionFinding, true)
	s.api("POST /api/v1/inspections/{id}/notes", s.apiInspectionNote, true)
	s.api("GET /api/v1/inspections/{id}/report.xlsx", s.apiInspectionXLSX, true)
}

// localise fills the findings' messages in lang.
func (s *Server) localise(lang i18n.Lang, c *inspection.Campaign) {
	for i := range c.Findings {
		c.Findings[i].Message = s.I18n.T(lang, c.Findings[i].Key, c.Findings[i].Params)
	}
}

func (s *Server) apiInspections(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	list, err := s.Compliance.Campaigns(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (s *Server) apiInspectionCreate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var n inspection.NewCampaign
	if err := readJSON(r, &n); err != nil {
		return err
	}
	c, err := s.Compliance.CreateCampaign(r.Context(), p, n)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/inspections/"+strconv.FormatInt(c.ID, 10))
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) apiInspectionGet(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := s.Compliance.Campaign(r.Context(), p, id)
	if err != nil {
		return err
	}
	s.localise(langFrom(r.Context()), &c)
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) apiInspectionRun(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := s.Compliance.RunCampaign(r.Context(), p, id)
	if err != nil {
		return err
	}
	s.localise(langFrom(r.Context()), &c)
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) apiInspectionFinding(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var m inspection.ManualFinding
	if err := readJSON(r, &m); err != nil {
		return err
	}
	f, err := s.Compliance.AddFinding(r.Context(), p, id, m)
	if err != nil {
		return err
	}
	f.Message = s.I18n.T(langFrom(r.Context()), f.Key, f.Params)
	writeJSON(w, http.StatusCreated, f)
	return nil
}

func (s *Server) apiInspectionNote(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var n inspection.SpotNote
	if err := readJSON(r, &n); err != nil {
		return err
	}
	out, err := s.Compliance.AddNote(r.Context(), p, id, n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) apiInspectionXLSX(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := s.Compliance.Campaign(r.Context(), p, id)
	if err != nil {
		return err
	}
	s.localise(i18n.ZhHans, &c)
	f, err := inspection.Workbook(c, func(key string, args map[string]any) string { return s.I18n.T(i18n.ZhHans, key, args) })
	if err != nil {
		return err
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="inspection-%d.xlsx"; filename*=UTF-8''%s`, c.ID, rfc5987(c.Name+".xlsx")))
	w.Header().Set("Cache-Control", "no-store")
	_, err = f.WriteTo(w)
	return err
}

func (s *Server) inspectionsData(r *http.Request, p auth.Principal) (map[string]any, error) {
	list, err := s.Compliance.Campaigns(r.Context(), p)
	if err != nil {
		return nil, err
	}
	today := clock.Today(s.Clock)
	return map[string]any{"Items": list, "Rules": inspection.Builtin, "CanCreate": p.Role.Can(auth.ManageOrgs),
		"Form":   map[string]string{"org_id": strconv.FormatInt(p.OrgID, 10), "from": today.Format("2006") + "-01", "to": today.Format("2006-01")},
		"Fields": map[string]string{}}, nil
}

func (s *Server) inspectionsPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.inspectionsData(r, p)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "inspections", data)
	return nil
}

func (s *Server) inspectionCreateForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.inspectionsData(r, p)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	form := map[string]string{"name": r.PostFormValue("name"), "org_id": r.PostFormValue("org_id"), "from": r.PostFormValue("from"), "to": r.PostFormValue("to")}
	data["Form"] = form
	orgID, _ := strconv.ParseInt(form["org_id"], 10, 64)
	n := inspection.NewCampaign{Name: form["name"], OrgID: orgID, From: form["from"], To: form["to"], Rules: r.PostForm["rules"]}
	for _, v := range strings.Fields(strings.ReplaceAll(r.PostFormValue("inspector_ids"), ",", " ")) {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			n.Inspectors = append(n.Inspectors, id)
		}
	}
	n.Inspectors = append(n.Inspectors, p.UserID)
	c, err := s.Compliance.CreateCampaign(r.Context(), p, n)
	if err != nil {
		return s.formError(w, r, err, "inspections", data)
	}
	http.Redirect(w, r, "/inspections/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
	return nil
}

// ruleBar is one bar of the report's chart: findings per rule.
type ruleBar struct {
	RuleID string
	Count  int
	Bar    int // 0–100
}

func (s *Server) inspectionPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.renderInspection(w, r, p, id, http.StatusOK, nil)
}

// renderInspection shows a campaign's report; extra carries a refused form back (Form, Fields, Error).
func (s *Server) renderInspection(w http.ResponseWriter, r *http.Request, p auth.Principal, id int64, status int, extra map[string]any) error {
	c, err := s.Compliance.Campaign(r.Context(), p, id)
	if err != nil {
		return err
	}
	s.localise(langFrom(r.Context()), &c)
	counts := map[string]int{}
	top := 0
	for _, f := range c.Findings {
		counts[f.RuleID]++
		top = max(top, counts[f.RuleID])
	}
	var bars []ruleBar
	for _, ru := range inspection.Builtin {
		if n := counts[ru.ID]; n > 0 {
			bars = append(bars, ruleBar{RuleID: ru.ID, Count: n, Bar: n * 100 / top})
		}
	}
	if n := counts[""]; n > 0 {
		bars = append(bars, ruleBar{RuleID: "—", Count: n, Bar: n * 100 / top})
	}
	// Findings already sent to the rectification ledger link to their item; the work committee's officers
	// send the others (inspection_rectify.go).
	fids := make([]int64, len(c.Findings))
	for i, f := range c.Findings {
		fids[i] = f.ID
	}
	sent, err := s.Rectify.ItemsForFindings(r.Context(), fids)
	if err != nil {
		return err
	}
	canSend := c.Status == inspection.CampaignRun && p.Role.Can(auth.WriteBusiness) && strings.Count(p.OrgPath, "/") == 2
	data := map[string]any{"C": c, "Bars": bars, "CanRun": c.Status == inspection.CampaignDraft && p.Role.Can(auth.ManageOrgs),
		"XLSX": "/api/v1/inspections/" + strconv.FormatInt(c.ID, 10) + "/report.xlsx", "Sent": sent, "CanSend": canSend,
		"DueDefault": clock.Today(s.Clock).AddDate(0, 3, 0).Format("2006-01-02")}
	if v := r.URL.Query().Get("rectify_error"); v != "" {
		data["SendError"], _ = strconv.ParseInt(v, 10, 64)
	}
	// Inspectors add findings and notes from spot-checks once the campaign has run.
	if c.Status == inspection.CampaignRun && p.Role.Can(auth.WriteBusiness) {
		tree, err := s.Orgs.TreeAsOf(r.Context(), p, c.OrgID, s.Clock.Now())
		if err != nil {
			return err
		}
		data["ScopeOrgs"], data["RuleIDs"] = tree, inspection.Builtin
		data["Severities"] = []inspection.Severity{inspection.SevError, inspection.SevWarning, inspection.SevInfo}
	}
	data["Form"], data["Fields"] = map[string]string{}, map[string]string{}
	for k, v := range extra {
		data[k] = v
	}
	if r.URL.Query().Get("added") != "" {
		data["Flash"] = "inspection.added"
	}
	s.render(w, r, status, "inspection", data)
	return nil
}

func (s *Server) inspectionRunForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.Compliance.RunCampaign(r.Context(), p, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/inspections/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// inspectionFindingForm adds an inspector's finding from the report page.
func (s *Server) inspectionFindingForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	m := inspection.ManualFinding{OrgID: formID(r, "org_id"), RuleID: r.PostFormValue("rule_id"), Period: strings.TrimSpace(r.PostFormValue("period")),
		Severity: inspection.Severity(r.PostFormValue("severity")), RecordID: formID(r, "record_id"), Note: r.PostFormValue("note")}
	f, err := s.Compliance.AddFinding(r.Context(), p, id, m)
	if err != nil {
		return s.inspectionFormRefused(w, r, p, id, "finding", err)
	}
	http.Redirect(w, r, fmt.Sprintf("/inspections/%d?added=1#finding-%d", id, f.ID), http.StatusSeeOther)
	return nil
}

// inspectionNoteForm adds an inspector's note from a spot-check.
func (s *Server) inspectionNoteForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n := inspection.SpotNote{OrgID: formID(r, "org_id"), RecordID: formID(r, "record_id"), Body: r.PostFormValue("body")}
	if _, err := s.Compliance.AddNote(r.Context(), p, id, n); err != nil {
		return s.inspectionFormRefused(w, r, p, id, "note", err)
	}
	http.Redirect(w, r, fmt.Sprintf("/inspections/%d?added=1#notes", id), http.StatusSeeOther)
	return nil
}

// inspectionFormRefused shows the report again with the form's values and its field messages (422), or
// passes on errors that are not about the input.
func (s *Server) inspectionFormRefused(w http.ResponseWriter, r *http.Request, p auth.Principal, id int64, form string, err error) error {
	e, ok := errs.As(err)
	if !ok || (e.Code != errs.Unprocessable && e.Code != errs.Invalid) {
		return err
	}
	vals := map[string]string{"form": form}
	for k, v := range r.PostForm {
		if len(v) > 0 {
			vals[k] = v[0]
		}
	}
	fields := map[string]string{}
	lang := langFrom(r.Context())
	for k, key := range e.Fields {
		fields[k] = s.I18n.T(lang, key, e.Args)
	}
	return s.renderInspection(w, r, p, id, http.StatusUnprocessableEntity, map[string]any{"Form": vals, "Fields": fields, "Error": e.Key})
}
