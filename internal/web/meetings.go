package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/orglife"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/files"
	"github.com/dangjian/dangjian/internal/platform/i18n"
)

// readAll reads an uploaded part up to one byte past the attachment limit (files refuses the excess).
func readAll(f io.Reader) ([]byte, error) { return io.ReadAll(io.LimitReader(f, files.MaxBytes+1)) }

// meetingRoutes: records of organisational life (三会一课 and the rest, RULES.md §A2, §B2), annual plans
// and the leading cadres' dual-life report — pages and API. A record's page is /meetings/{id}: the
// compliance calendar links there.
func (s *Server) meetingRoutes() {
	s.mux.HandleFunc("GET /orgs/{id}/meetings", s.page(s.meetingsPage))
	s.mux.HandleFunc("GET /orgs/{id}/meetings/new", s.page(s.meetingNewPage))
	s.mux.HandleFunc("POST /orgs/{id}/meetings", s.page(s.meetingCreateForm))
	s.mux.HandleFunc("GET /orgs/{id}/meetings/plan", s.page(s.meetingPlanPage))
	s.mux.HandleFunc("POST /orgs/{id}/meetings/plan", s.page(s.meetingPlanForm))
	s.mux.HandleFunc("GET /meetings/{id}", s.page(s.meetingPage))
	s.mux.HandleFunc("GET /meetings/{id}/edit", s.page(s.meetingEditPage))
	s.mux.HandleFunc("POST /meetings/{id}/edit", s.page(s.meetingEditForm))
	s.mux.HandleFunc("GET /meetings/{id}/versions", s.page(s.meetingVersionsPage))
	s.mux.HandleFunc("POST /meetings/{id}/{step}", s.page(s.meetingStepForm))
	s.mux.HandleFunc("GET /reports/dual-life", s.page(s.dualLifePage))
	s.api("POST /api/v1/meetings", s.apiMeetingCreate, true)
	s.api("GET /api/v1/meetings", s.apiMeetingList, true)
	s.api("GET /api/v1/meetings/{id}", s.apiMeetingGet, true)
	s.api("POST /api/v1/meetings/{id}/submit", s.apiMeetingStep, true)
	s.api("POST /api/v1/meetings/{id}/lock", s.apiMeetingStep, true)
	s.api("POST /api/v1/meetings/{id}/withdraw", s.apiMeetingStep, true)
	s.api("POST /api/v1/meetings/{id}/correct", s.apiMeetingCorrect, true)
	s.api("GET /api/v1/meetings/{id}/versions", s.apiMeetingVersions, true)
	s.api("GET /api/v1/meeting-plans", s.apiPlanGet, true)
	s.api("PUT /api/v1/meeting-plans", s.apiPlanPut, true)
	s.api("GET /api/v1/reports/dual-life", s.apiDualLife, true)
	s.api("GET /api/v1/reports/dual-life.xlsx", s.apiDualLifeXLSX, true)
}

// withMessages fills the warnings' messages in the reader's language.
func (s *Server) withMessages(r *http.Request, m orglife.Meeting) orglife.Meeting {
	l := langFrom(r.Context())
	for i := range m.Warnings {
		m.Warnings[i].Message = s.I18n.T(l, m.Warnings[i].Key, nil)
	}
	return m
}

func (s *Server) apiMeetingCreate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var in orglife.Input
	if err := readJSON(r, &in); err != nil {
		return err
	}
	m, err := s.Meetings.Create(r.Context(), p, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/meetings/"+strconv.FormatInt(m.ID, 10))
	writeJSON(w, http.StatusCreated, s.withMessages(r, m))
	return nil
}

// monthRange reads YYYY-MM as [first day, first day of the next month).
func monthRange(v string) (time.Time, time.Time, bool) {
	t, err := time.Parse("2006-01", v)
	if err != nil {
		return time.Time{}, time.Time{}, false
	}
	return t, t.AddDate(0, 1, 0), true
}

func queryID(q url.Values, name string, def int64, f errs.Fields) int64 {
	v := q.Get(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		f.Add(name, "form.number")
	}
	return n
}

func (s *Server) apiMeetingList(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	f := errs.Fields{}
	flt := orglife.Filter{OrgID: queryID(q, "org_id", p.OrgID, f), Kind: orglife.Kind(q.Get("kind"))}
	if v := q.Get("month"); v != "" {
		from, to, ok := monthRange(v)
		if !ok {
			f.Add("month", "meetings.month.invalid")
		}
		flt.From, flt.To = from, to
	}
	if flt.Kind != "" && !flt.Kind.Valid() {
		f.Add("kind", "meetings.kind.invalid")
	}
	if err := f.Err(); err != nil {
		return err
	}
	items, err := s.Meetings.List(r.Context(), p, flt)
	if err != nil {
		return err
	}
	for i := range items {
		items[i] = s.withMessages(r, items[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (s *Server) apiMeetingGet(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	m, err := s.Meetings.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.withMessages(r, m))
	return nil
}

// meetingStep takes submit, lock or withdraw (with a reason) on a record.
func (s *Server) meetingStep(r *http.Request, p auth.Principal, id int64, step, reason string) (orglife.Meeting, error) {
	switch step {
	case "submit":
		return s.Meetings.Submit(r.Context(), p, id)
	case "lock":
		return s.Meetings.Lock(r.Context(), p, id)
	case "withdraw":
		return s.Meetings.Withdraw(r.Context(), p, id, reason)
	}
	return orglife.Meeting{}, errNotFound
}

func (s *Server) apiMeetingStep(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var body struct {
		Reason string `json:"reason"`
	}
	// The body is optional (only withdraw takes a reason): an empty one is no body at all.
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		return errBadJSON
	}
	if len(bytes.TrimSpace(raw)) > 0 {
		r.Body = io.NopCloser(bytes.NewReader(raw))
		if err := readJSON(r, &body); err != nil {
			return err
		}
	}
	step := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	m, err := s.meetingStep(r, p, id, step, body.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.withMessages(r, m))
	return nil
}

func (s *Server) apiMeetingCorrect(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var c orglife.Correction
	if err := readJSON(r, &c); err != nil {
		return err
	}
	m, err := s.Meetings.Correct(r.Context(), p, id, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.withMessages(r, m))
	return nil
}

func (s *Server) apiMeetingVersions(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	_, vs, err := s.Meetings.Versions(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": vs})
	return nil
}

// planQuery reads org_id (default the caller's) and year (default this year).
func (s *Server) planQuery(q url.Values, p auth.Principal) (int64, int, error) {
	f := errs.Fields{}
	id := queryID(q, "org_id", p.OrgID, f)
	year := clock.Today(s.Clock).Year()
	if v := q.Get("year"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2000 || n > 2100 {
			f.Add("year", "meetings.plan.year")
		}
		year = n
	}
	return id, year, f.Err()
}

func (s *Server) apiPlanGet(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, year, err := s.planQuery(r.URL.Query(), p)
	if err != nil {
		return err
	}
	pl, err := s.Meetings.Plan(r.Context(), p, id, year)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pl)
	return nil
}

func (s *Server) apiPlanPut(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var body struct {
		OrgID int64              `json:"org_id"`
		Year  int                `json:"year"`
		Items []orglife.PlanItem `json:"items"`
	}
	if err := readJSON(r, &body); err != nil {
		return err
	}
	if body.OrgID == 0 {
		body.OrgID = p.OrgID
	}
	pl, err := s.Meetings.SavePlan(r.Context(), p, body.OrgID, body.Year, body.Items)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pl)
	return nil
}

// ---- pages ----

// meetingsPage lists an organisation's records for a month, newest first, with the way to record one.
func (s *Server) meetingsPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	o, err := s.Orgs.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	today := clock.Today(s.Clock)
	month := r.URL.Query().Get("month")
	from, to, ok := monthRange(month)
	if !ok {
		from = time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
		to = from.AddDate(0, 1, 0)
	}
	items, err := s.Meetings.List(r.Context(), p, orglife.Filter{OrgID: id, From: from, To: to})
	if err != nil {
		return err
	}
	data := map[string]any{"Org": o, "Items": items, "Month": from.Format("2006-01"), "MonthDate": from,
		"Prev": from.AddDate(0, -1, 0).Format("2006-01"), "Next": to.Format("2006-01"), "Year": from.Year(),
		"CanWrite": p.Role.Can(auth.WriteBusiness), "Kinds": kindsFor(o.Kind)}
	s.render(w, r, http.StatusOK, "meetings_list", data)
	return nil
}

// kindsFor lists the kinds an organisation of kind k holds.
func kindsFor(k org.Kind) []orglife.Kind {
	var out []orglife.Kind
	for _, x := range orglife.Kinds {
		if x.HeldBy(k) {
			out = append(out, x)
		}
	}
	return out
}

// meetingForm is what the record form shows and posts back.
type meetingForm struct {
	Org        org.Org
	Action     string
	Kind       orglife.Kind
	HeldOn     string
	Kinds      []orglife.Kind
	Roster     []orglife.Attendance
	Lecturers  []orglife.Attendance
	Present    map[int64]bool
	Reasons    map[int64]string
	Form       map[string]string
	Correction bool
	Meeting    orglife.Meeting
}

func (s *Server) meetingFormData(r *http.Request, p auth.Principal, o org.Org, kind orglife.Kind, heldOn string) (map[string]any, error) {
	today := clock.Today(s.Clock)
	kinds := kindsFor(o.Kind)
	if !kind.HeldBy(o.Kind) && len(kinds) > 0 {
		kind = kinds[0]
	}
	day, err := time.Parse(time.DateOnly, heldOn)
	if err != nil || day.After(today) {
		day, heldOn = today, today.Format(time.DateOnly)
	}
	roster := []orglife.Attendance{}
	if kind != "" {
		if roster, err = s.Meetings.Candidates(r.Context(), p, o.ID, kind, day); err != nil {
			return nil, err
		}
	}
	f := &meetingForm{Org: o, Action: "/orgs/" + strconv.FormatInt(o.ID, 10) + "/meetings", Kind: kind, HeldOn: heldOn,
		Kinds: kinds, Roster: roster, Lecturers: roster, Present: map[int64]bool{}, Reasons: map[int64]string{}, Form: map[string]string{}}
	return map[string]any{"F": f, "Fields": map[string]string{}, "Today": today.Format(time.DateOnly)}, nil
}

func (s *Server) meetingNewPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.Auth.Authorize(r.Context(), p, auth.WriteBusiness, auth.Target{OrgID: id}); err != nil {
		return err
	}
	o, err := s.Orgs.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	data, err := s.meetingFormData(r, p, o, orglife.Kind(q.Get("kind")), q.Get("held_on"))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "meetings_form", data)
	return nil
}

// readMeetingForm reads the posted record form (multipart, with photos) into an input and the uploads.
func readMeetingForm(w http.ResponseWriter, r *http.Request, f *meetingForm) (orglife.Input, []orglife.Upload, error) {
	r.Body = http.MaxBytesReader(w, r.Body, 60<<20)
	if err := r.ParseMultipartForm(4 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return orglife.Input{}, nil, &errs.Error{Code: errs.Unprocessable, Key: "files.too_large", Fields: map[string]string{"attachments": "files.too_large"}}
	}
	if r.MultipartForm == nil {
		_ = r.ParseForm()
	}
	for _, k := range []string{"start_time", "place", "topic", "chair_id", "recorder_id", "lecturer_id", "minutes", "decisions",
		"self_assessment_on", "peer_assessment_on", "rating_on", "reason", "chair_delegated"} {
		f.Form[k] = r.FormValue(k)
	}
	num := func(k string) int64 { n, _ := strconv.ParseInt(r.FormValue(k), 10, 64); return n }
	in := orglife.Input{OrgID: f.Org.ID, Kind: f.Kind, HeldOn: f.HeldOn, StartTime: f.Form["start_time"], Place: f.Form["place"],
		Topic: f.Form["topic"], ChairID: num("chair_id"), ChairDelegated: f.Form["chair_delegated"] != "", RecorderID: num("recorder_id"),
		LecturerID: num("lecturer_id"), Minutes: f.Form["minutes"], Decisions: f.Form["decisions"],
		SelfAssessmentOn: f.Form["self_assessment_on"], PeerAssessmentOn: f.Form["peer_assessment_on"], RatingOn: f.Form["rating_on"],
		AttendeeIDs: []int64{}}
	for _, v := range r.Form["present"] {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			in.AttendeeIDs = append(in.AttendeeIDs, n)
			f.Present[n] = true
		}
	}
	for _, a := range f.Roster {
		reason := strings.TrimSpace(r.FormValue("reason_" + strconv.FormatInt(a.MemberID, 10)))
		f.Reasons[a.MemberID] = reason
		if !f.Present[a.MemberID] && reason != "" {
			in.Absentees = append(in.Absentees, orglife.Absentee{MemberID: a.MemberID, Reason: reason})
		}
	}
	var uploads []orglife.Upload
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["attachments"] {
			if fh.Size == 0 && fh.Filename == "" {
				continue
			}
			file, err := fh.Open()
			if err != nil {
				return in, nil, err
			}
			data, err := readAll(file)
			file.Close()
			if err != nil {
				return in, nil, err
			}
			if len(data) == 0 && fh.Filename == "" {
				continue
			}
			uploads = append(uploads, orglife.Upload{Name: fh.Filename, Data: data})
		}
	}
	return in, uploads, nil
}

func (s *Server) meetingCreateForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	defer cleanupMultipart(r)
	id, err := pathID(r)
	if err != nil {
		return err
	}
	o, err := s.Orgs.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	// kind and held_on travel in the query string (chosen in the form's first step), so the roster can
	// be rebuilt before the body is read.
	data, err := s.meetingFormData(r, p, o, orglife.Kind(r.URL.Query().Get("kind")), r.URL.Query().Get("held_on"))
	if err != nil {
		return err
	}
	f := data["F"].(*meetingForm)
	in, uploads, err := readMeetingForm(w, r, f)
	if err == nil {
		var m orglife.Meeting
		if m, err = s.Meetings.Create(r.Context(), p, in, uploads...); err == nil {
			http.Redirect(w, r, "/meetings/"+strconv.FormatInt(m.ID, 10)+"?saved=1", http.StatusSeeOther)
			return nil
		}
	}
	return s.formError(w, r, err, "meetings_form", data)
}

// meetingData is the record page's data.
func (s *Server) meetingData(r *http.Request, p auth.Principal) (map[string]any, orglife.Meeting, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, orglife.Meeting{}, err
	}
	m, err := s.Meetings.Get(r.Context(), p, id)
	if err != nil {
		return nil, m, err
	}
	m = s.withMessages(r, m)
	data := map[string]any{"M": m, "CanWrite": p.Role.Can(auth.WriteBusiness), "Fields": map[string]string{}, "Form": map[string]string{}}
	switch {
	case r.URL.Query().Get("saved") != "":
		data["Flash"] = "meetings.flash.saved"
	case r.URL.Query().Get("step") != "":
		data["Flash"] = "meetings.flash." + r.URL.Query().Get("step")
	}
	return data, m, nil
}

func (s *Server) meetingPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, _, err := s.meetingData(r, p)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "meetings_record", data)
	return nil
}

func (s *Server) meetingStepForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	step := r.PathValue("step")
	if step != "submit" && step != "lock" && step != "withdraw" {
		return errNotFound
	}
	data, m, err := s.meetingData(r, p)
	if err != nil {
		return err
	}
	if _, err := s.meetingStep(r, p, m.ID, step, r.PostFormValue("reason")); err != nil {
		data["Form"] = map[string]string{"reason": r.PostFormValue("reason")}
		return s.formError(w, r, err, "meetings_record", data)
	}
	http.Redirect(w, r, "/meetings/"+strconv.FormatInt(m.ID, 10)+"?step="+step, http.StatusSeeOther)
	return nil
}

// editData fills the record form with a record for correction.
func (s *Server) editData(r *http.Request, p auth.Principal) (map[string]any, *meetingForm, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.Meetings.Get(r.Context(), p, id)
	if err != nil {
		return nil, nil, err
	}
	if err := s.Auth.Authorize(r.Context(), p, auth.WriteBusiness, auth.Target{OrgID: m.OrgID}); err != nil {
		return nil, nil, err
	}
	o, err := s.Orgs.Get(r.Context(), p, m.OrgID)
	if err != nil {
		return nil, nil, err
	}
	q := r.URL.Query()
	kind, heldOn := m.Kind, m.HeldOn.String()
	if v := q.Get("kind"); v != "" {
		kind = orglife.Kind(v)
	}
	if v := q.Get("held_on"); v != "" {
		heldOn = v
	}
	data, err := s.meetingFormData(r, p, o, kind, heldOn)
	if err != nil {
		return nil, nil, err
	}
	f := data["F"].(*meetingForm)
	f.Action, f.Correction, f.Meeting = "/meetings/"+strconv.FormatInt(m.ID, 10)+"/edit", true, m
	id64 := func(n int64) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	f.Form = map[string]string{"start_time": m.StartTime, "place": m.Place, "topic": m.Topic, "chair_id": id64(m.ChairID),
		"recorder_id": id64(m.RecorderID), "lecturer_id": id64(m.LecturerID), "minutes": m.Minutes, "decisions": m.Decisions,
		"self_assessment_on": m.SelfAssessmentOn.String(), "peer_assessment_on": m.PeerAssessmentOn.String(), "rating_on": m.RatingOn.String()}
	if m.ChairDelegated {
		f.Form["chair_delegated"] = "1"
	}
	for _, a := range m.Attendance {
		f.Present[a.MemberID] = a.Present
		f.Reasons[a.MemberID] = a.Reason
	}
	return data, f, nil
}

func (s *Server) meetingEditPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, _, err := s.editData(r, p)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "meetings_form", data)
	return nil
}

func (s *Server) meetingEditForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	defer cleanupMultipart(r)
	data, f, err := s.editData(r, p)
	if err != nil {
		return err
	}
	f.Present, f.Reasons = map[int64]bool{}, map[int64]string{}
	in, uploads, err := readMeetingForm(w, r, f)
	if err == nil {
		var m orglife.Meeting
		c := orglife.Correction{Input: in, Reason: f.Form["reason"]}
		if m, err = s.Meetings.Correct(r.Context(), p, f.Meeting.ID, c, uploads...); err == nil {
			http.Redirect(w, r, "/meetings/"+strconv.FormatInt(m.ID, 10)+"?saved=1", http.StatusSeeOther)
			return nil
		}
	}
	return s.formError(w, r, err, "meetings_form", data)
}

// versionRow is one version with the fields that changed from the one before.
type versionRow struct {
	orglife.Version
	Changed []string // message keys of the changed fields
}

func (s *Server) meetingVersionsPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	m, vs, err := s.Meetings.Versions(r.Context(), p, id)
	if err != nil {
		return err
	}
	rows := make([]versionRow, len(vs))
	for i, v := range vs {
		rows[i] = versionRow{Version: v}
		if i > 0 {
			rows[i].Changed = changedFields(vs[i-1].Record, v.Record)
		}
	}
	// Newest first: the reader looks for the latest change.
	for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
		rows[i], rows[j] = rows[j], rows[i]
	}
	s.render(w, r, http.StatusOK, "meetings_versions", map[string]any{"M": m, "Rows": rows})
	return nil
}

// changedFields names what differs between two versions (message keys of the record's labels).
func changedFields(a, b orglife.Meeting) []string {
	var out []string
	add := func(changed bool, key string) {
		if changed {
			out = append(out, key)
		}
	}
	add(a.Kind != b.Kind, "meetings.kind")
	add(a.Status != b.Status, "meetings.status")
	add(!a.HeldOn.Equal(b.HeldOn.Time), "meetings.held_on")
	add(a.StartTime != b.StartTime || a.Place != b.Place, "meetings.place")
	add(a.Topic != b.Topic, "meetings.topic")
	add(a.ChairID != b.ChairID || a.ChairDelegated != b.ChairDelegated, "meetings.chair")
	add(a.RecorderID != b.RecorderID, "meetings.recorder")
	add(a.LecturerID != b.LecturerID, "meetings.lecturer")
	add(attendanceKey(a) != attendanceKey(b), "meetings.attendance")
	add(a.Minutes != b.Minutes, "meetings.minutes")
	add(a.Decisions != b.Decisions, "meetings.decisions")
	add(!a.SelfAssessmentOn.Equal(b.SelfAssessmentOn.Time) || !a.PeerAssessmentOn.Equal(b.PeerAssessmentOn.Time) ||
		!a.RatingOn.Equal(b.RatingOn.Time), "meetings.steps")
	add(len(a.Attachments) != len(b.Attachments), "meetings.attachments")
	return out
}

func attendanceKey(m orglife.Meeting) string {
	var b strings.Builder
	for _, a := range m.Attendance {
		b.WriteString(strconv.FormatInt(a.MemberID, 10))
		if a.Present {
			b.WriteByte('+')
		}
		b.WriteString(a.Reason)
		b.WriteByte(';')
	}
	return b.String()
}

// planKinds are the kinds a plan grid offers for a branch.
var planKinds = []orglife.Kind{orglife.GeneralMeeting, orglife.CommitteeMeeting, orglife.PartyLesson, orglife.ThemeDay,
	orglife.OrgLifeMeeting, orglife.MemberAppraisal}

func (s *Server) planData(r *http.Request, p auth.Principal) (map[string]any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	o, err := s.Orgs.Get(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	_, year, err := s.planQuery(r.URL.Query(), p)
	if err != nil {
		year = clock.Today(s.Clock).Year()
	}
	pl, err := s.Meetings.Plan(r.Context(), p, id, year)
	if err != nil {
		return nil, err
	}
	var kinds []orglife.Kind
	for _, k := range planKinds {
		if k.HeldBy(o.Kind) {
			kinds = append(kinds, k)
		}
	}
	planned := map[string]bool{}
	for _, it := range pl.Items {
		planned[string(it.Kind)+"_"+strconv.Itoa(it.Month)] = true
	}
	months := make([]int, 12)
	for i := range months {
		months[i] = i + 1
	}
	return map[string]any{"Org": o, "Plan": pl, "Year": year, "Prev": year - 1, "Next": year + 1, "Kinds": kinds, "Planned": planned,
		"Months": months, "CanWrite": p.Role.Can(auth.WriteBusiness) && len(kinds) > 0, "Fields": map[string]string{}}, nil
}

func (s *Server) meetingPlanPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.planData(r, p)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("saved") != "" {
		data["Flash"] = "meetings.plan.saved"
	}
	s.render(w, r, http.StatusOK, "meetings_plan", data)
	return nil
}

// meetingPlanForm saves the grid: a ticked box is one planned record of that kind in that month. The
// topics of boxes that stay ticked are kept.
func (s *Server) meetingPlanForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.planData(r, p)
	if err != nil {
		return err
	}
	pl := data["Plan"].(orglife.Plan)
	topics := map[string]string{}
	for _, it := range pl.Items {
		topics[string(it.Kind)+"_"+strconv.Itoa(it.Month)] = it.Topic
	}
	_ = r.ParseForm()
	var items []orglife.PlanItem
	for _, k := range data["Kinds"].([]orglife.Kind) {
		for m := 1; m <= 12; m++ {
			key := string(k) + "_" + strconv.Itoa(m)
			if r.PostForm.Get("p_"+key) != "" {
				items = append(items, orglife.PlanItem{Month: m, Kind: k, Topic: topics[key]})
			}
		}
	}
	if _, err := s.Meetings.SavePlan(r.Context(), p, pl.OrgID, pl.Year, items); err != nil {
		return s.formError(w, r, err, "meetings_plan", data)
	}
	http.Redirect(w, r, r.URL.Path+"?year="+strconv.Itoa(pl.Year)+"&saved=1", http.StatusSeeOther)
	return nil
}

// kindLabel is a kind's name in lang (the workbook, the chart).
func (s *Server) kindLabel(lang i18n.Lang, k orglife.Kind) string {
	return s.I18n.T(lang, "meetings.kind."+string(k), nil)
}
