package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/files"
	"github.com/dangjian/dangjian/internal/rectify"
)

// rectifyRoutes: the rectification ledger (巡察整改, 整改台账) — pages and API (issue 5).
func (s *Server) rectifyRoutes() {
	s.mux.HandleFunc("GET /rectifications", s.page(s.rectifyLedgerPage))
	s.mux.HandleFunc("GET /rectifications/new", s.page(s.rectifyNewPage))
	s.mux.HandleFunc("POST /rectifications", s.page(s.rectifyCreateForm))
	s.mux.HandleFunc("GET /rectifications/{id}", s.page(s.rectifyItemPage))
	s.mux.HandleFunc("POST /rectifications/{id}/actions", s.page(s.rectifyActionForm))
	s.mux.HandleFunc("GET /rectifications/feedbacks/new", s.page(s.rectifyFeedbackNewPage))
	s.mux.HandleFunc("POST /rectifications/feedbacks", s.page(s.rectifyFeedbackForm))
	s.mux.HandleFunc("POST /rectifications/feedbacks/import", s.page(s.rectifyFeedbackImportForm))
	s.mux.HandleFunc("GET /rectifications/feedbacks/{id}", s.page(s.rectifyFeedbackPage))
	s.mux.HandleFunc("GET /rectifications/meetings/new", s.page(s.rectifyMeetingNewPage))
	s.mux.HandleFunc("POST /rectifications/meetings", s.page(s.rectifyMeetingForm))
	s.mux.HandleFunc("GET /rectifications/meetings/{id}", s.page(s.rectifyMeetingPage))
	s.api("GET /api/v1/rectifications", s.apiRectifyList, true)
	s.api("POST /api/v1/rectifications", s.apiRectifyCreate, true)
	s.api("GET /api/v1/rectifications/{id}", jsonByID(s.Rectify.Get), true)
	s.api("POST /api/v1/rectifications/{id}/actions", s.apiRectifyAction, true)
	s.api("GET /api/v1/rectifications/stats", s.apiRectifyStats, true)
	s.api("GET /api/v1/rectifications/ledger.xlsx", s.apiRectifyExport, true)
	s.api("POST /api/v1/rectifications/feedbacks", jsonCreate(s.Rectify.RecordFeedback), true)
	s.api("GET /api/v1/rectifications/feedbacks/{id}", jsonByID(s.Rectify.GetFeedback), true)
	s.api("POST /api/v1/rectifications/feedbacks/import", s.apiRectifyImport, true)
	s.api("GET /api/v1/rectifications/feedbacks/template.xlsx", s.apiRectifyTemplate, true)
	s.api("POST /api/v1/rectifications/meetings", jsonCreate(s.Rectify.RecordMeeting), true)
	s.api("GET /api/v1/rectifications/meetings/{id}", jsonByID(s.Rectify.GetMeeting), true)
}

// jsonByID answers GET …/{id} with what get returns for the caller.
func jsonByID[T any](get func(context.Context, auth.Principal, int64) (T, error)) func(http.ResponseWriter, *http.Request, auth.Principal) error {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		v, err := get(r.Context(), p, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

// jsonCreate answers a POST whose JSON body create records, with 201 and the record.
func jsonCreate[In, Out any](create func(context.Context, auth.Principal, In) (Out, error)) func(http.ResponseWriter, *http.Request, auth.Principal) error {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
		var in In
		if err := readJSON(r, &in); err != nil {
			return err
		}
		v, err := create(r.Context(), p, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, v)
		return nil
	}
}

// rectifyFilter reads the ledger's query: org_id (default the caller's organisation), source, status,
// overdue, category.
func rectifyFilter(q url.Values, p auth.Principal) (rectify.Filter, error) {
	f := rectify.Filter{OrgID: p.OrgID, Source: q.Get("source"), Status: q.Get("status"), Category: q.Get("category")}
	fields := errs.Fields{}
	if v := q.Get("org_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			fields.Add("org_id", "form.number")
		}
		f.OrgID = n
	}
	switch q.Get("overdue") {
	case "", "false", "0":
	case "true", "1", "on":
		f.Overdue = true
	default:
		fields.Add("overdue", "rectify.overdue.invalid")
	}
	return f, fields.Err()
}

func (s *Server) apiRectifyList(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	f, err := rectifyFilter(r.URL.Query(), p)
	if err != nil {
		return err
	}
	items, total, err := s.Rectify.List(r.Context(), p, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "total": total})
	return nil
}

func (s *Server) apiRectifyCreate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var n rectify.NewItem
	if err := readJSON(r, &n); err != nil {
		return err
	}
	it, err := s.Rectify.Create(r.Context(), p, n)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/rectifications/"+strconv.FormatInt(it.ID, 10))
	writeJSON(w, http.StatusCreated, it)
	return nil
}

func (s *Server) apiRectifyAction(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in rectify.StepInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	it, err := s.Rectify.Act(r.Context(), p, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, it)
	return nil
}

func (s *Server) apiRectifyStats(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	f, err := rectifyFilter(r.URL.Query(), p)
	if err != nil {
		return err
	}
	st, err := s.Rectify.Statistics(r.Context(), p, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) apiRectifyExport(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	f, err := rectifyFilter(r.URL.Query(), p)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := s.Rectify.ExportLedger(r.Context(), p, f, &buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", files.XLSX)
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape("整改台账.xlsx"))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(w)
	return nil
}

// feedbackImport reads the multipart import: the sheet and the document's fields.
func (s *Server) feedbackImport(w http.ResponseWriter, r *http.Request, p auth.Principal) (rectify.ImportResult, error) {
	defer cleanupMultipart(r)
	r.Body = http.MaxBytesReader(w, r.Body, rectify.ImportMaxFileBytes+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return rectify.ImportResult{}, &errs.Error{Code: errs.Unprocessable, Key: "rectify.import.too_large", Fields: map[string]string{"file": "rectify.import.too_large"}}
		}
		return rectify.ImportResult{}, &errs.Error{Code: errs.Unprocessable, Key: "rectify.import.empty", Fields: map[string]string{"file": "rectify.import.empty"}}
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		return rectify.ImportResult{}, &errs.Error{Code: errs.Unprocessable, Key: "rectify.import.empty", Fields: map[string]string{"file": "rectify.import.empty"}}
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, rectify.ImportMaxFileBytes+1))
	if err != nil {
		return rectify.ImportResult{}, err
	}
	h := rectify.NewFeedback{Title: r.FormValue("title"), Source: rectify.Source(r.FormValue("source")), Reference: r.FormValue("reference"),
		IssuedBy: r.FormValue("issued_by"), IssuedOn: r.FormValue("issued_on"),
		ResponsibleOrgID: formInt64(r.FormValue("responsible_org_id")), SupervisorOrgID: formInt64(r.FormValue("supervisor_org_id"))}
	opt := rectify.ImportOptions{DryRun: formBool(r.FormValue("dry_run")), SkipInvalid: formBool(r.FormValue("skip_invalid"))}
	res, err := s.Rectify.ImportFeedback(r.Context(), p, h, data, opt)
	if err != nil {
		return res, err
	}
	lang := langFrom(r.Context())
	for i := range res.Errors {
		res.Errors[i].Message = s.I18n.T(lang, res.Errors[i].Key, nil)
	}
	return res, nil
}

func formInt64(v string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return n
}

func formBool(v string) bool { return v == "1" || v == "true" || v == "on" }

func (s *Server) apiRectifyImport(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	res, err := s.feedbackImport(w, r, p)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if res.FeedbackID != 0 {
		status = http.StatusCreated
	} else if res.Invalid > 0 && !res.DryRun {
		status = http.StatusUnprocessableEntity
	}
	writeJSON(w, status, res)
	return nil
}

func (s *Server) apiRectifyTemplate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if !p.Role.Can(auth.WriteBusiness) {
		return s.Auth.Authorize(r.Context(), p, auth.WriteBusiness, auth.Target{OrgID: p.OrgID})
	}
	var buf bytes.Buffer
	if err := rectify.WriteTemplate(&buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", files.XLSX)
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape("巡察反馈问题导入模板.xlsx"))
	_, _ = buf.WriteTo(w)
	return nil
}

// ---- pages ----

// rectStatBar is one bar of a server-side SVG chart.
type rectStatBar struct {
	rectify.StatLine
	Bar     int // closure rate, 0–100
	Overdue int // overdue share of the line's total, 0–100
}

// statTableR is one of the ledger's statistics tables (by organisation, by category).
type statTableR struct {
	Kind  string
	Lines []rectStatBar
}

func statBars(ls []rectify.StatLine) []rectStatBar {
	out := make([]rectStatBar, len(ls))
	for i, l := range ls {
		out[i] = rectStatBar{StatLine: l, Bar: int(l.ClosureRate + 0.5)}
		if l.Total > 0 {
			out[i].Overdue = l.Overdue * 100 / l.Total
		}
	}
	return out
}

func (s *Server) rectifyLedgerPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	f, ferr := rectifyFilter(q, p)
	data := map[string]any{"Q": map[string]string{"org_id": q.Get("org_id"), "source": q.Get("source"), "status": q.Get("status"),
		"overdue": q.Get("overdue"), "category": q.Get("category")}, "Sources": rectify.Sources, "Statuses": rectify.Statuses,
		"Fields": map[string]string{}}
	if ferr != nil {
		_, data["Fields"] = s.fieldMessages(r, ferr)
		f = rectify.Filter{OrgID: p.OrgID}
	}
	items, total, err := s.Rectify.List(r.Context(), p, f)
	if err != nil {
		if code := errs.CodeOf(err); code == errs.Unprocessable {
			_, data["Fields"] = s.fieldMessages(r, err)
			f = rectify.Filter{OrgID: p.OrgID}
			items, total, err = s.Rectify.List(r.Context(), p, f)
		}
		if err != nil {
			return err
		}
	}
	st, err := s.Rectify.Statistics(r.Context(), p, f)
	if err != nil {
		return err
	}
	fbs, err := s.Rectify.ListFeedbacks(r.Context(), p, f.OrgID)
	if err != nil {
		return err
	}
	mts, err := s.Rectify.ListMeetings(r.Context(), p, f.OrgID)
	if err != nil {
		return err
	}
	xq := url.Values{}
	for k, v := range data["Q"].(map[string]string) {
		if v != "" {
			xq.Set(k, v)
		}
	}
	if o, err := s.Rectify.FormOptions(r.Context(), p); err == nil {
		data["FilterOrgs"] = append(o.Supervisors, o.Implementing...)
	}
	data["Items"], data["Total"], data["Stats"] = items, total, st
	data["StatTables"] = []statTableR{{"org", statBars(st.ByOrg)}, {"category", statBars(st.ByCategory)}}
	data["Feedbacks"], data["Meetings"] = fbs, mts
	data["XLSX"] = "/api/v1/rectifications/ledger.xlsx?" + xq.Encode()
	data["CanCreate"] = p.Role.Can(auth.WriteBusiness) && s.canSupervise(r, p)
	if q.Get("created") != "" {
		data["Flash"] = "rectify.flash.created"
	}
	s.render(w, r, http.StatusOK, "rectify_ledger", data)
	return nil
}

// canSupervise reports whether the caller's subtree holds a 工委 (only supervisors record findings).
func (s *Server) canSupervise(r *http.Request, p auth.Principal) bool {
	if !p.Role.Can(auth.WriteBusiness) {
		return false
	}
	o, err := s.Rectify.FormOptions(r.Context(), p)
	return err == nil && len(o.Supervisors) > 0
}

func (s *Server) rectifyFormData(r *http.Request, p auth.Principal) (map[string]any, error) {
	o, err := s.Rectify.FormOptions(r.Context(), p)
	if err != nil {
		return nil, err
	}
	form := map[string]string{"due_on": clock.Today(s.Clock).AddDate(0, 3, 0).Format("2006-01-02"), "source": "inspection_tour"}
	if len(o.Supervisors) > 0 {
		form["supervisor_org_id"] = strconv.FormatInt(o.Supervisors[0].ID, 10)
	}
	return map[string]any{"Opts": o, "Form": form, "Fields": map[string]string{}, "Sources": rectify.Sources,
		"Categories": rectify.Categories, "ReportMonths": rectify.ReportMonths, "Difficulties": rectify.Difficulties,
		"Rows": []int{1, 2, 3, 4, 5}, "Today": clock.Today(s.Clock).Format("2006-01-02"), "Multi": map[string]bool{}}, nil
}

func (s *Server) rectifyNewPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.rectifyFormData(r, p)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "rectify_new", data)
	return nil
}

func (s *Server) rectifyCreateForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.rectifyFormData(r, p)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errs.Wrap(errs.Invalid, "error.invalid", err)
	}
	form := map[string]string{}
	for _, k := range []string{"title", "finding", "category", "source", "source_ref", "responsible_org_id", "supervisor_org_id",
		"responsible_person", "measures", "due_on", "long_term", "report_months"} {
		form[k] = r.PostFormValue(k)
	}
	multi := map[string]bool{}
	var impl []int64
	for _, v := range r.PostForm["implementing_org_ids"] {
		if n := formInt64(v); n > 0 {
			impl = append(impl, n)
			multi[v] = true
		}
	}
	data["Form"], data["Multi"] = form, multi
	months, _ := strconv.Atoi(form["report_months"])
	it, err := s.Rectify.Create(r.Context(), p, rectify.NewItem{Title: form["title"], Finding: form["finding"], Category: form["category"],
		Source: rectify.Source(form["source"]), SourceRef: form["source_ref"], ResponsibleOrgID: formInt64(form["responsible_org_id"]),
		ImplementingIDs: impl, SupervisorOrgID: formInt64(form["supervisor_org_id"]), ResponsiblePerson: form["responsible_person"],
		Measures: form["measures"], DueOn: form["due_on"], LongTerm: formBool(form["long_term"]), ReportMonths: months})
	if err != nil {
		return s.formError(w, r, err, "rectify_new", data)
	}
	http.Redirect(w, r, fmt.Sprintf("/rectifications/%d?created=1", it.ID), http.StatusSeeOther)
	return nil
}

func (s *Server) rectifyItemData(r *http.Request, p auth.Principal, id int64) (map[string]any, error) {
	it, err := s.Rectify.Get(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Item": it, "Side": string(rectify.SideFor(p, it)), "Form": map[string]string{}, "Fields": map[string]string{},
		"Today": clock.Today(s.Clock).Format("2006-01-02"), "ActFor": "", "Flow": []string{"open", "planned", "in_progress", "submitted", "closed"}}, nil
}

func (s *Server) rectifyItemPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	data, err := s.rectifyItemData(r, p, id)
	if err != nil {
		return err
	}
	switch {
	case r.URL.Query().Get("created") != "":
		data["Flash"] = "rectify.flash.created"
	case r.URL.Query().Get("done") != "":
		data["Flash"] = "rectify.flash.done." + r.URL.Query().Get("done")
	}
	s.render(w, r, http.StatusOK, "rectify_item", data)
	return nil
}

// rectifyActionForm takes a step from the item's page. Evidence comes as an uploaded file, filed under
// the caller's organisation first (as POST /api/v1/files does) and then linked by the step.
func (s *Server) rectifyActionForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	defer cleanupMultipart(r)
	r.Body = http.MaxBytesReader(w, r.Body, files.MaxBytes+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return &errs.Error{Code: errs.Unprocessable, Key: "files.too_large", Fields: map[string]string{"evidence": "files.too_large"}}
	}
	data, err := s.rectifyItemData(r, p, id)
	if err != nil {
		return err
	}
	in := rectify.StepInput{Action: rectify.Action(r.FormValue("action")), Comment: r.FormValue("comment"),
		Measures: r.FormValue("measures"), DueOn: r.FormValue("due_on")}
	data["ActFor"] = string(in.Action)
	data["Form"] = map[string]string{"comment": in.Comment, "measures": in.Measures, "due_on": in.DueOn}
	if f, hdr, ferr := r.FormFile("evidence"); ferr == nil {
		b, rerr := io.ReadAll(io.LimitReader(f, files.MaxBytes+1))
		f.Close()
		if rerr != nil {
			return rerr
		}
		if len(b) > 0 {
			if len(b) > files.MaxBytes {
				return s.formError(w, r, &errs.Error{Code: errs.Unprocessable, Key: "files.too_large", Fields: map[string]string{"evidence_ids": "files.too_large"}}, "rectify_item", data)
			}
			if rectify.SideOf(in.Action) != rectify.Side(data["Side"].(string)) {
				return errs.E(errs.Forbidden, "rectify.side."+string(rectify.SideOf(in.Action)))
			}
			fl, err := s.Attach(r.Context(), p, p.OrgID, hdr.Filename, b)
			if err != nil {
				if e, ok := errs.As(err); ok && e.Code == errs.Unprocessable {
					return s.formError(w, r, &errs.Error{Code: errs.Unprocessable, Key: e.Key, Fields: map[string]string{"evidence_ids": e.Key}}, "rectify_item", data)
				}
				return err
			}
			in.EvidenceIDs = append(in.EvidenceIDs, fl.ID)
		}
	}
	if _, err := s.Rectify.Act(r.Context(), p, id, in); err != nil {
		return s.formError(w, r, err, "rectify_item", data)
	}
	http.Redirect(w, r, fmt.Sprintf("/rectifications/%d?done=%s", id, url.QueryEscape(string(in.Action))), http.StatusSeeOther)
	return nil
}

// postedForm is the form page's data with the posted values (the first of each) as its Form.
func (s *Server) postedForm(r *http.Request, p auth.Principal) (map[string]any, map[string]string, error) {
	data, err := s.rectifyFormData(r, p)
	if err != nil {
		return nil, nil, err
	}
	if err := r.ParseForm(); err != nil {
		return nil, nil, errs.Wrap(errs.Invalid, "error.invalid", err)
	}
	form := map[string]string{}
	for k, v := range r.PostForm {
		if len(v) > 0 {
			form[k] = v[0]
		}
	}
	data["Form"] = form
	return data, form, nil
}

func (s *Server) rectifyFeedbackNewPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.rectifyFormData(r, p)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "rectify_feedback_new", data)
	return nil
}

func (s *Server) rectifyFeedbackForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, form, err := s.postedForm(r, p)
	if err != nil {
		return err
	}
	n := rectify.NewFeedback{Title: form["title"], Source: rectify.Source(form["source"]), Reference: form["reference"],
		IssuedBy: form["issued_by"], IssuedOn: form["issued_on"], ResponsibleOrgID: formInt64(form["responsible_org_id"]),
		SupervisorOrgID: formInt64(form["supervisor_org_id"])}
	for _, k := range data["Rows"].([]int) {
		pre := fmt.Sprintf("f%d_", k)
		if strings.TrimSpace(form[pre+"finding"]) == "" {
			continue
		}
		n.Findings = append(n.Findings, rectify.FeedbackFinding{Finding: form[pre+"finding"], Category: form[pre+"category"],
			ImplementingIDs: []int64{formInt64(form[pre+"implementing"])}, ResponsiblePerson: form[pre+"person"],
			DueOn: form[pre+"due_on"]})
	}
	fb, err := s.Rectify.RecordFeedback(r.Context(), p, n)
	if err != nil {
		return s.formError(w, r, err, "rectify_feedback_new", data)
	}
	http.Redirect(w, r, fmt.Sprintf("/rectifications/feedbacks/%d", fb.ID), http.StatusSeeOther)
	return nil
}

func (s *Server) rectifyFeedbackImportForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.rectifyFormData(r, p)
	if err != nil {
		return err
	}
	res, err := s.feedbackImport(w, r, p)
	form := map[string]string{}
	for _, k := range []string{"title", "source", "reference", "issued_by", "issued_on", "responsible_org_id", "supervisor_org_id", "skip_invalid"} {
		form[k] = r.FormValue(k)
	}
	data["ImportForm"] = form
	if err != nil {
		data["ImportError"] = true
		return s.formError(w, r, err, "rectify_feedback_new", data)
	}
	if res.FeedbackID != 0 {
		http.Redirect(w, r, fmt.Sprintf("/rectifications/feedbacks/%d", res.FeedbackID), http.StatusSeeOther)
		return nil
	}
	data["Import"] = res
	s.render(w, r, http.StatusUnprocessableEntity, "rectify_feedback_new", data)
	return nil
}

func (s *Server) rectifyFeedbackPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	fb, err := s.Rectify.GetFeedback(r.Context(), p, id)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "rectify_feedback", map[string]any{"Feedback": fb})
	return nil
}

func (s *Server) rectifyMeetingNewPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.rectifyFormData(r, p)
	if err != nil {
		return err
	}
	data["Form"].(map[string]string)["held_on"] = data["Today"].(string)
	s.render(w, r, http.StatusOK, "rectify_meeting_new", data)
	return nil
}

func (s *Server) rectifyMeetingForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, form, err := s.postedForm(r, p)
	if err != nil {
		return err
	}
	n := rectify.NewMeeting{Title: form["title"], HeldOn: form["held_on"], Location: form["location"],
		OrgID: formInt64(form["supervisor_org_id"]), Summary: form["summary"], Difficulties: strings.Split(form["difficulties"], "\n")}
	for _, k := range data["Rows"].([]int) {
		pre := fmt.Sprintf("d%d_", k)
		if strings.TrimSpace(form[pre+"decision"]) == "" {
			continue
		}
		n.Decisions = append(n.Decisions, rectify.Decision{Decision: form[pre+"decision"], Difficulty: form[pre+"difficulty"],
			ResponsibleOrgID: formInt64(form[pre+"responsible"]), ImplementingIDs: []int64{formInt64(form[pre+"implementing"])},
			Owner: form[pre+"owner"], DueOn: form[pre+"due_on"]})
	}
	m, err := s.Rectify.RecordMeeting(r.Context(), p, n)
	if err != nil {
		return s.formError(w, r, err, "rectify_meeting_new", data)
	}
	http.Redirect(w, r, fmt.Sprintf("/rectifications/meetings/%d", m.ID), http.StatusSeeOther)
	return nil
}

func (s *Server) rectifyMeetingPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	m, err := s.Rectify.GetMeeting(r.Context(), p, id)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "rectify_meeting", map[string]any{"Meeting": m})
	return nil
}
