package web

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/dangjian/dangjian/internal/learning"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// learningRoutes: 每日一题 and its question bank (learning issue, question half) — pages and API.
func (s *Server) learningRoutes() {
	s.mux.HandleFunc("GET /learning", s.page(s.limited(false, s.learningToday)))
	s.mux.HandleFunc("POST /learning/answer", s.page(s.limited(true, s.learningAnswerForm)))
	s.mux.HandleFunc("GET /learning/days/{day}", s.page(s.limited(false, s.learningDay)))
	s.mux.HandleFunc("GET /learning/mine", s.page(s.learningMine))
	s.mux.HandleFunc("GET /learning/questions", s.page(s.questionsPage))
	s.mux.HandleFunc("POST /learning/questions", s.page(s.questionCreateForm))
	s.mux.HandleFunc("POST /learning/questions/{id}/{action}", s.page(s.questionStatusForm))
	s.mux.HandleFunc("POST /learning/import", s.page(s.questionImportForm))
	s.mux.HandleFunc("GET /learning/template.xlsx", s.page(s.apiQuestionTemplate))
	s.mux.HandleFunc("GET /learning/export.xlsx", s.page(s.apiQuestionExport))
	s.mux.HandleFunc("GET /orgs/{id}/learning", s.page(s.learningOrgPage))
	s.mux.HandleFunc("POST /orgs/{id}/learning/schedule", s.page(s.scheduleForm))
	s.mux.HandleFunc("POST /orgs/{id}/learning/calendar", s.page(s.calendarForm))
	s.mux.HandleFunc("POST /orgs/{id}/learning/rankings", s.page(s.rankingsForm))

	s.api("POST /api/v1/questions", s.apiQuestionCreate, true)
	s.api("GET /api/v1/questions", s.apiQuestionList, true)
	s.api("GET /api/v1/questions/template", s.apiQuestionTemplate, true)
	s.api("GET /api/v1/questions/export", s.apiQuestionExport, true)
	s.api("POST /api/v1/questions/import", s.apiQuestionImport, true)
	s.api("GET /api/v1/questions/{id}", s.apiQuestionGet, true)
	s.api("POST /api/v1/questions/{id}/publish", s.apiQuestionStatus(s.Learning.PublishQuestion), true)
	s.api("POST /api/v1/questions/{id}/retire", s.apiQuestionStatus(s.Learning.RetireQuestion), true)
	s.api("GET /api/v1/daily-question", s.limited(false, s.apiDaily), true)
	s.api("POST /api/v1/daily-question/answer", s.limited(true, s.apiAnswer), true)
	s.api("GET /api/v1/daily-question/past", s.limited(false, s.apiPast), true)
	s.api("GET /api/v1/daily-question/record", s.apiRecord, true)
	s.api("GET /api/v1/orgs/{id}/quiz-schedule", s.apiScheduleGet, true)
	s.api("PUT /api/v1/orgs/{id}/quiz-schedule", s.apiScheduleSet, true)
	s.api("PUT /api/v1/orgs/{id}/quiz-calendar/{day}", s.apiCalendarSet, true)
	s.api("GET /api/v1/orgs/{id}/quiz-stats", s.apiQuizStats, true)
	s.api("GET /api/v1/quiz-rankings", s.apiRankingsGet, true)
	s.api("PUT /api/v1/quiz-rankings", s.apiRankingsSet, true)
}

type handler = func(http.ResponseWriter, *http.Request, auth.Principal) error

// limited applies the per-account rate limit of the question (read) or answer endpoints: beyond it, a
// 429 with a plain message and Retry-After (anti-scraping, learning issue).
func (s *Server) limited(answer bool, h handler) handler {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
		l := s.Learning.ReadLimit
		if answer {
			l = s.Learning.AnswerLimit
		}
		if ok, wait := l.Allow(p.UserID); !ok {
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			msg := s.I18n.T(langFrom(r.Context()), "learning.rate_limited", map[string]any{"Seconds": secs})
			if isAPI(r) || wantsJSON(r) {
				var body apiError
				body.Error.Code, body.Error.Message = "rate_limited", msg
				writeJSON(w, http.StatusTooManyRequests, body)
				return nil
			}
			s.render(w, r, http.StatusTooManyRequests, "error", map[string]any{"Status": http.StatusTooManyRequests, "Message": msg,
				"RequestID": requestIDFrom(r.Context())})
			return nil
		}
		return h(w, r, p)
	}
}

// ---- API: question bank

func (s *Server) apiQuestionCreate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var n learning.NewQuestion
	if err := readJSON(r, &n); err != nil {
		return err
	}
	q, err := s.Learning.CreateQuestion(r.Context(), p, n)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/questions/"+strconv.FormatInt(q.ID, 10))
	writeJSON(w, http.StatusCreated, q)
	return nil
}

func orgParam(r *http.Request, p auth.Principal) (int64, error) {
	v := r.URL.Query().Get("org_id")
	if v == "" {
		return p.OrgID, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"org_id": "form.number"}}
	}
	return n, nil
}

func (s *Server) apiQuestionList(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	orgID, err := orgParam(r, p)
	if err != nil {
		return err
	}
	items, err := s.Learning.ListQuestions(r.Context(), p, learning.QuestionFilter{OrgID: orgID, Status: learning.Status(r.URL.Query().Get("status"))})
	if err != nil {
		return err
	}
	if items == nil {
		items = []learning.Question{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "total": len(items)})
	return nil
}

func (s *Server) apiQuestionGet(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	q, err := s.Learning.GetQuestion(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

func (s *Server) apiQuestionStatus(f func(context.Context, auth.Principal, int64) (learning.Question, error)) handler {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		q, err := f(r.Context(), p, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, q)
		return nil
	}
}

func (s *Server) apiQuestionTemplate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if !p.Role.Can(auth.WriteBusiness) {
		return auth.ErrForbidden
	}
	xlsxHeaders(w, "每日一题题库导入模板.xlsx")
	return learning.Template(w)
}

func (s *Server) apiQuestionExport(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	orgID, err := orgParam(r, p)
	if err != nil {
		return err
	}
	lw := &lazyXLSX{w: w, name: "每日一题题库.xlsx"}
	if err := s.Learning.Export(r.Context(), p, orgID, lw); err != nil && !lw.sent {
		return err
	}
	return nil
}

// translateRows fills the row errors' messages in the user's language ("第3行 题干：…").
func (s *Server) translateRows(r *http.Request, res *learning.ImportResult) {
	l := langFrom(r.Context())
	for i := range res.Errors {
		e := &res.Errors[i]
		args := map[string]any{"Row": e.Row, "Column": e.Column}
		for k, v := range e.Args {
			args[k] = v
		}
		e.Message = s.I18n.T(l, "learning.import.row", args) + s.I18n.T(l, e.Key, args)
	}
}

func (s *Server) importUpload(w http.ResponseWriter, r *http.Request, p auth.Principal) (learning.ImportResult, error) {
	data, _, err := readUpload(w, r)
	defer cleanupMultipart(r)
	if err != nil {
		return learning.ImportResult{}, err
	}
	orgID := p.OrgID
	if v := r.FormValue("org_id"); v != "" {
		orgID, _ = strconv.ParseInt(v, 10, 64)
	}
	skip := r.FormValue("skip_invalid") == "1" || r.FormValue("skip_invalid") == "true"
	res, err := s.Learning.Import(r.Context(), p, orgID, data, skip)
	if err != nil {
		return res, err
	}
	s.translateRows(r, &res)
	if res.Errors == nil {
		res.Errors = []learning.RowError{}
	}
	return res, nil
}

func (s *Server) apiQuestionImport(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	res, err := s.importUpload(w, r, p)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if len(res.Errors) > 0 && res.Imported == 0 {
		status = http.StatusUnprocessableEntity
	}
	writeJSON(w, status, res)
	return nil
}

// ---- API: the member's daily question

func (s *Server) apiDaily(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	d, err := s.Learning.Daily(r.Context(), p, r.URL.Query().Get("day"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) apiAnswer(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var in learning.AnswerInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	res, err := s.Learning.Answer(r.Context(), p, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) apiPast(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	items, err := s.Learning.Past(r.Context(), p, 60)
	if err != nil {
		return err
	}
	if items == nil {
		items = []learning.PastDay{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (s *Server) apiRecord(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	rec, err := s.Learning.MyRecord(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rec)
	return nil
}

// ---- API: schedule, statistics, rankings switch

func (s *Server) apiScheduleGet(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sc, err := s.Learning.GetSchedule(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sc)
	return nil
}

func (s *Server) apiScheduleSet(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in learning.ScheduleInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	sc, err := s.Learning.SetSchedule(r.Context(), p, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sc)
	return nil
}

func (s *Server) apiCalendarSet(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in learning.CalendarInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	sc, err := s.Learning.SetCalendarDay(r.Context(), p, id, r.PathValue("day"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sc)
	return nil
}

func (s *Server) apiQuizStats(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	st, err := s.Learning.BranchStats(r.Context(), p, id, r.URL.Query().Get("from"), r.URL.Query().Get("to"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) apiRankingsGet(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if !p.Role.Can(auth.ReadBusiness) {
		return auth.ErrForbidden
	}
	rk, err := s.Learning.Rankings(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rk)
	return nil
}

func (s *Server) apiRankingsSet(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var in learning.RankingSetting
	if err := readJSON(r, &in); err != nil {
		return err
	}
	rk, err := s.Learning.SetRankings(r.Context(), p, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rk)
	return nil
}

// ---- Pages: the member's column (phone first)

func (s *Server) learningToday(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	return s.learningDayPage(w, r, p, "", nil)
}

func (s *Server) learningDay(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	return s.learningDayPage(w, r, p, r.PathValue("day"), nil)
}

// learningDayPage shows a day's question (or its result once answered) and the column of past days.
func (s *Server) learningDayPage(w http.ResponseWriter, r *http.Request, p auth.Principal, day string, formErr error) error {
	if !p.Role.Can(auth.ReadSelf) {
		return auth.ErrForbidden
	}
	data := map[string]any{"IsMember": p.MemberID != 0, "CanManage": p.Role.Can(auth.WriteBusiness), "OrgID": p.OrgID,
		"Fields": map[string]string{}}
	status := http.StatusOK
	if p.MemberID != 0 {
		d, err := s.Learning.Daily(r.Context(), p, day)
		if err != nil {
			return err
		}
		past, err := s.Learning.Past(r.Context(), p, 30)
		if err != nil {
			return err
		}
		data["Day"], data["Past"] = d, past
		if d.Result != nil {
			data["YourKeys"] = keySet(d.Result.YourAnswer)
			data["RightKeys"] = keySet(d.Result.CorrectAnswer)
		}
	}
	if formErr != nil {
		e, _ := errs.As(formErr)
		data["Error"], data["Fields"] = s.fieldMessages(r, formErr)
		status = statusOf[e.Code]
	}
	s.render(w, r, status, "learning_today", data)
	return nil
}

// keySet is the set of option keys in an answer, for ticking them on the result.
func keySet(v any) map[string]bool {
	out := map[string]bool{}
	if ks, ok := v.([]string); ok {
		for _, k := range ks {
			out[k] = true
		}
	}
	return out
}

func (s *Server) learningAnswerForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := r.ParseForm(); err != nil {
		return errBadJSON
	}
	qid, _ := strconv.ParseInt(r.PostFormValue("question_id"), 10, 64)
	day := r.PostFormValue("day")
	var raw []byte
	if t := r.PostFormValue("text"); r.PostForm.Has("text") {
		raw, _ = json.Marshal(t)
	} else {
		keys := r.PostForm["key"]
		if keys == nil {
			keys = []string{}
		}
		raw, _ = json.Marshal(keys)
	}
	_, err := s.Learning.Answer(r.Context(), p, learning.AnswerInput{QuestionID: qid, Answer: raw, Day: day})
	switch c := errs.CodeOf(err); {
	case err == nil, c == errs.Conflict:
		// Answered now, or already before: either way the page shows the result (no second attempt).
	case c == errs.Unprocessable:
		return s.learningDayPage(w, r, p, day, err)
	default:
		return err
	}
	back := "/learning"
	if day != "" && day != s.Learning.Today().String() {
		back = "/learning/days/" + url.PathEscape(day)
	}
	if errs.CodeOf(err) == errs.Conflict {
		back += "?again=1"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

func (s *Server) learningMine(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	rec, err := s.Learning.MyRecord(r.Context(), p)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "learning_mine", map[string]any{"Record": rec})
	return nil
}

// ---- Pages: the officers' bank

func (s *Server) questionsData(r *http.Request, p auth.Principal) (map[string]any, error) {
	st := learning.Status(r.URL.Query().Get("status"))
	qs, err := s.Learning.ListQuestions(r.Context(), p, learning.QuestionFilter{OrgID: p.OrgID, Status: st})
	if err != nil {
		return nil, err
	}
	return map[string]any{"Questions": qs, "Kinds": learning.Kinds, "Statuses": learning.Statuses, "Status": string(st),
		"Form": map[string]string{"kind": "single", "difficulty": "2"}, "Fields": map[string]string{}, "UserID": p.UserID}, nil
}

func (s *Server) questionsPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.questionsData(r, p)
	if err != nil {
		return err
	}
	switch {
	case r.URL.Query().Get("created") != "":
		data["Flash"] = "learning.flash.created"
	case r.URL.Query().Get("done") != "":
		data["Flash"] = "learning.flash.status"
	}
	s.render(w, r, http.StatusOK, "learning_questions", data)
	return nil
}

func (s *Server) questionCreateForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.questionsData(r, p)
	if err != nil {
		return err
	}
	form := map[string]string{}
	for _, k := range []string{"kind", "stem", "options", "answer", "explanation", "source", "tags", "difficulty"} {
		form[k] = r.PostFormValue(k)
	}
	data["Form"] = form
	n := learning.NewQuestion{Kind: learning.Kind(form["kind"]), Stem: form["stem"], Explanation: form["explanation"],
		Source: form["source"]}
	n.Difficulty, _ = strconv.Atoi(form["difficulty"])
	for _, line := range strings.Split(form["options"], "\n") {
		if line = strings.TrimSpace(line); line != "" {
			n.Options = append(n.Options, line)
		}
	}
	for _, t := range strings.FieldsFunc(form["tags"], func(r rune) bool { return strings.ContainsRune(",，、 ", r) }) {
		n.Tags = append(n.Tags, t)
	}
	n.Answer = formAnswer(n.Kind, form["answer"])
	if _, err := s.Learning.CreateQuestion(r.Context(), p, n); err != nil {
		return s.formError(w, r, err, "learning_questions", data)
	}
	http.Redirect(w, r, "/learning/questions?created=1", http.StatusSeeOther)
	return nil
}

// formAnswer reads the form's answer: letters (A, AC) for choice kinds, 正确/错误 for true/false, text
// for fill-in.
func formAnswer(k learning.Kind, v string) json.RawMessage {
	v = strings.TrimSpace(v)
	if k == learning.Fill {
		b, _ := json.Marshal(v)
		return b
	}
	if k == learning.TrueFalse {
		switch v {
		case "正确", "对", "A", "a", "true":
			return json.RawMessage("[0]")
		case "错误", "错", "B", "b", "false":
			return json.RawMessage("[1]")
		}
		return json.RawMessage("null")
	}
	idx := []int{}
	for _, c := range strings.ToUpper(v) {
		switch {
		case c >= 'A' && c <= 'F':
			idx = append(idx, int(c-'A'))
		case strings.ContainsRune(" ,，、", c):
		default:
			idx = append(idx, -1)
		}
	}
	b, _ := json.Marshal(idx)
	return b
}

func (s *Server) questionStatusForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := s.Learning.PublishQuestion
	switch r.PathValue("action") {
	case "publish":
	case "retire":
		f = s.Learning.RetireQuestion
	default:
		return errNotFound
	}
	if _, err := f(r.Context(), p, id); err != nil {
		data, derr := s.questionsData(r, p)
		if derr != nil {
			return derr
		}
		if errs.Is(err, errs.Forbidden) || errs.Is(err, errs.Conflict) {
			e, _ := errs.As(err)
			data["Error"] = e.Key
			s.render(w, r, statusOf[e.Code], "learning_questions", data)
			return nil
		}
		return err
	}
	http.Redirect(w, r, "/learning/questions?done=1", http.StatusSeeOther)
	return nil
}

func (s *Server) questionImportForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	res, err := s.importUpload(w, r, p)
	data, derr := s.questionsData(r, p)
	if derr != nil {
		return derr
	}
	if err != nil {
		return s.formError(w, r, err, "learning_questions", data)
	}
	data["Import"] = res
	s.render(w, r, http.StatusOK, "learning_questions", data)
	return nil
}

// ---- Pages: an organisation's 每日一题 (schedule, participation chart, rankings switch)

func (s *Server) learningOrgData(r *http.Request, p auth.Principal) (map[string]any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	o, err := s.Orgs.Get(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	st, err := s.Learning.BranchStats(r.Context(), p, id, r.URL.Query().Get("from"), r.URL.Query().Get("to"))
	if err != nil {
		return nil, err
	}
	rk, err := s.Learning.Rankings(r.Context())
	if err != nil {
		return nil, err
	}
	data := map[string]any{"Org": o, "Stats": st, "Rankings": rk, "CanSchedule": p.Role.Can(auth.ManageOrgs),
		"IsRoot": p.Role.Can(auth.ManageOrgs) && o.ParentID == 0 && p.OrgID == o.ID, "Fields": map[string]string{},
		"Today": s.Learning.Today().String()}
	if sc, err := s.Learning.GetSchedule(r.Context(), p, id); err == nil {
		data["Schedule"] = sc
		inPool := map[int64]bool{}
		for _, q := range sc.Pool {
			inPool[q] = true
		}
		data["InPool"] = inPool
	} else if !errs.Is(err, errs.NotFound) {
		return nil, err
	}
	if p.Role.Can(auth.ManageOrgs) {
		qs, err := s.Learning.Poolable(r.Context(), p, id)
		if err != nil {
			return nil, err
		}
		data["Published"] = qs
	}
	if r.URL.Query().Get("saved") != "" {
		data["Flash"] = "learning.flash.saved"
	}
	return data, nil
}

func (s *Server) learningOrgPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.learningOrgData(r, p)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "learning_org", data)
	return nil
}

func (s *Server) orgFormDone(w http.ResponseWriter, r *http.Request, p auth.Principal, err error) error {
	if err != nil {
		data, derr := s.learningOrgData(r, p)
		if derr != nil {
			return derr
		}
		return s.formError(w, r, err, "learning_org", data)
	}
	http.Redirect(w, r, "/orgs/"+r.PathValue("id")+"/learning?saved=1", http.StatusSeeOther)
	return nil
}

func (s *Server) scheduleForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errBadJSON
	}
	in := learning.ScheduleInput{StartsOn: r.PostFormValue("starts_on"), SkipWeekends: r.PostFormValue("skip_weekends") == "1"}
	for _, v := range r.PostForm["pool"] {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			in.Pool = append(in.Pool, n)
		}
	}
	_, err = s.Learning.SetSchedule(r.Context(), p, id, in)
	return s.orgFormDone(w, r, p, err)
}

func (s *Server) calendarForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	qid, _ := strconv.ParseInt(r.PostFormValue("question_id"), 10, 64)
	_, err = s.Learning.SetCalendarDay(r.Context(), p, id, r.PostFormValue("day"), learning.CalendarInput{Kind: r.PostFormValue("kind"), QuestionID: qid})
	return s.orgFormDone(w, r, p, err)
}

func (s *Server) rankingsForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	_, err := s.Learning.SetRankings(r.Context(), p, learning.RankingSetting{Enabled: r.PostFormValue("enabled") == "1", Note: r.PostFormValue("note")})
	return s.orgFormDone(w, r, p, err)
}
