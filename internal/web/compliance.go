package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/dangjian/dangjian/internal/inspection"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// complianceRoutes: the compliance calendar (RULES.md §A2, §B2, §R0) — calendar, heatmap, drill-down,
// rule tuning — pages and API (issue 4). Inspections are in inspections.go.
func (s *Server) complianceRoutes() {
	s.mux.HandleFunc("GET /orgs/{id}/compliance", s.page(s.calendarPage))
	s.mux.HandleFunc("GET /orgs/{id}/compliance/heatmap", s.page(s.heatmapPage))
	s.mux.HandleFunc("GET /orgs/{id}/compliance/{rule}/{period}", s.page(s.drillPage))
	s.mux.HandleFunc("GET /compliance/rules", s.page(s.rulesPage))
	s.mux.HandleFunc("POST /compliance/rules", s.page(s.rulesTuneForm))
	s.api("GET /api/v1/compliance", s.apiCompliance, true)
	s.api("GET /api/v1/compliance/calendar", s.apiCalendar, true)
	s.api("GET /api/v1/compliance/rules", s.apiRules, true)
	s.api("POST /api/v1/compliance/rules", s.apiTune, true)
	s.inspectionRoutes()
}

// queryOrg reads org_id (default the caller's organisation).
func queryOrg(q url.Values, p auth.Principal, f errs.Fields) int64 {
	if v := q.Get("org_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			f.Add("org_id", "form.number")
		}
		return n
	}
	return p.OrgID
}

func (s *Server) apiCompliance(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	f := errs.Fields{}
	id := queryOrg(q, p, f)
	from, to, err := s.Compliance.Span(q.Get("from"), q.Get("to"))
	if e, ok := errs.As(err); ok {
		for k, v := range e.Fields {
			f.Add(k, v)
		}
	}
	limit := 5000
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			f.Add("limit", "form.number")
		}
		limit = n
	}
	if err := f.Err(); err != nil {
		return err
	}
	rep, err := s.Compliance.Compliance(r.Context(), p, id, from, to)
	if err != nil {
		return err
	}
	// A whole city has tens of thousands of findings: the list is cut at limit (summary.findings says
	// how many there are); the messages are written for the part returned only.
	if len(rep.Findings) > limit {
		rep.Findings = rep.Findings[:limit]
	}
	lang := langFrom(r.Context())
	for i := range rep.Findings {
		rep.Findings[i].Message = s.I18n.T(lang, rep.Findings[i].Key, rep.Findings[i].Params)
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// yearOf reads ?year= (default this year).
func (s *Server) yearOf(r *http.Request) (int, error) {
	y := clock.Today(s.Clock).Year()
	if v := r.URL.Query().Get("year"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2000 || n > y+1 {
			return 0, &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"year": "compliance.year.invalid"}}
		}
		y = n
	}
	return y, nil
}

func (s *Server) apiCalendar(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	f := errs.Fields{}
	id := queryOrg(r.URL.Query(), p, f)
	if err := f.Err(); err != nil {
		return err
	}
	y, err := s.yearOf(r)
	if err != nil {
		return err
	}
	rows, err := s.Compliance.Calendar(r.Context(), p, id, y)
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []inspection.CalRow{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"org_id": id, "year": y, "rows": rows})
	return nil
}

func (s *Server) calendarPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	o, err := s.Orgs.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	y, err := s.yearOf(r)
	if err != nil {
		return err
	}
	rows, err := s.Compliance.Calendar(r.Context(), p, id, y)
	if err != nil {
		return err
	}
	months := make([]int, 12)
	for i := range months {
		months[i] = i + 1
	}
	s.render(w, r, http.StatusOK, "compliance_calendar", map[string]any{"Org": o, "Year": y, "Prev": y - 1, "Next": y + 1,
		"Rows": rows, "Months": months, "Today": clock.Today(s.Clock)})
	return nil
}

// heatCell is a heatmap cell as the page draws it.
type heatCell struct {
	Status inspection.Status
	Month  string
}

func (s *Server) heatmapPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	o, err := s.Orgs.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	from, to, err := s.Compliance.Span(q.Get("from"), q.Get("to"))
	if err != nil {
		return err
	}
	rows, sum, err := s.Compliance.Heatmap(r.Context(), p, id, from, to, 500)
	if err != nil {
		return err
	}
	var months []string
	for m := from; m <= to; m++ {
		months = append(months, m.String())
	}
	type row struct {
		inspection.HeatRow
		Link  string
		Cells []heatCell
	}
	var out []row
	for _, hr := range rows {
		x := row{HeatRow: hr, Link: "/orgs/" + strconv.FormatInt(hr.OrgID, 10) + "/compliance?year=" + strconv.Itoa(to.Year())}
		for i, st := range hr.Cells {
			x.Cells = append(x.Cells, heatCell{Status: st, Month: months[i]})
		}
		out = append(out, x)
	}
	s.render(w, r, http.StatusOK, "compliance_heatmap", map[string]any{"Org": o, "From": from.String(), "To": to.String(),
		"Months": months, "Rows": out, "Summary": sum})
	return nil
}

func (s *Server) drillPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ev, err := s.Compliance.Drill(r.Context(), p, id, r.PathValue("rule"), r.PathValue("period"))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "compliance_drill", map[string]any{"Ev": ev})
	return nil
}

func (s *Server) apiRules(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	rules, err := s.Compliance.Rules(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": rules, "remind_days": s.Compliance.RemindDays(r.Context())})
	return nil
}

func (s *Server) apiTune(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var t inspection.Tuning
	if err := readJSON(r, &t); err != nil {
		return err
	}
	v, err := s.Compliance.Tune(r.Context(), p, t)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) rulesData(r *http.Request, p auth.Principal) (map[string]any, error) {
	rules, err := s.Compliance.Rules(r.Context(), p)
	if err != nil {
		return nil, err
	}
	next := clock.Today(s.Clock).AddDate(0, 1, 0)
	return map[string]any{"Rules": rules, "RemindDays": s.Compliance.RemindDays(r.Context()), "Everies": inspection.Everies,
		"Severities": inspection.Severities, "Form": map[string]string{"effective_on": next.Format("2006-01") + "-01"},
		"Fields": map[string]string{}, "CanTune": s.Compliance.CanTune(r.Context(), p)}, nil
}

func (s *Server) rulesPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.rulesData(r, p)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("tuned") != "" {
		data["Flash"] = "compliance.tuned"
	}
	s.render(w, r, http.StatusOK, "compliance_rules", data)
	return nil
}

func (s *Server) rulesTuneForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.rulesData(r, p)
	if err != nil {
		return err
	}
	form := map[string]string{}
	for _, k := range []string{"rule_id", "effective_on", "enabled", "every", "min_count", "severity", "reason"} {
		form[k] = r.PostFormValue(k)
	}
	data["Form"] = form
	enabled := form["enabled"] != "off"
	n, _ := strconv.Atoi(form["min_count"])
	_, err = s.Compliance.Tune(r.Context(), p, inspection.Tuning{RuleID: form["rule_id"], EffectiveOn: form["effective_on"], Enabled: &enabled,
		Every: inspection.Every(form["every"]), Min: n, Severity: inspection.Severity(form["severity"]), Reason: form["reason"]})
	if err != nil {
		return s.formError(w, r, err, "compliance_rules", data)
	}
	http.Redirect(w, r, "/compliance/rules?tuned=1", http.StatusSeeOther)
	return nil
}
