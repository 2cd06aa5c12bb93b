package web

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/files"
	"github.com/dangjian/dangjian/internal/reading"
)

// readingRoutes: 书香机关 — reading rooms, catalogue, loans, reviews, activities and their statistics
// (issue 6), pages and API.
func (s *Server) readingRoutes() {
	s.mux.HandleFunc("GET /reading", s.page(s.readingHome))
	s.mux.HandleFunc("GET /reading/rooms/new", s.page(s.readingRoomNew))
	s.mux.HandleFunc("POST /reading/rooms", s.page(s.readingRoomCreateForm))
	s.mux.HandleFunc("GET /reading/rooms/{id}", s.page(s.readingRoomPage))
	s.mux.HandleFunc("POST /reading/rooms/{id}", s.page(s.readingRoomEditForm))
	s.mux.HandleFunc("POST /reading/rooms/{id}/books", s.page(s.readingBookForm))
	s.mux.HandleFunc("POST /reading/rooms/{id}/loans", s.page(s.readingLendForm))
	s.mux.HandleFunc("GET /reading/rooms/{id}/import", s.page(s.readingImportPage))
	s.mux.HandleFunc("POST /reading/rooms/{id}/import", s.page(s.readingImportForm))
	s.mux.HandleFunc("POST /reading/loans/{id}/return", s.page(s.readingLoanStepForm))
	s.mux.HandleFunc("POST /reading/loans/{id}/renew", s.page(s.readingLoanStepForm))
	s.mux.HandleFunc("GET /reading/my", s.page(s.readingMyPage))
	s.mux.HandleFunc("GET /reading/reviews", s.page(s.readingReviewsPage))
	s.mux.HandleFunc("POST /reading/reviews", s.page(s.readingReviewForm))
	s.mux.HandleFunc("POST /reading/reviews/{id}/moderation", s.page(s.readingModerateForm))
	s.mux.HandleFunc("POST /reading/recommendations", s.page(s.readingRecommendForm))
	s.mux.HandleFunc("GET /reading/events", s.page(s.readingEventsPage))
	s.mux.HandleFunc("POST /reading/events", s.page(s.readingEventCreateForm))
	s.mux.HandleFunc("GET /reading/events/{id}", s.page(s.readingEventPage))
	s.mux.HandleFunc("POST /reading/events/{id}/signup", s.page(s.readingSignupForm))
	s.mux.HandleFunc("POST /reading/events/{id}/cancel", s.page(s.readingSignupForm))
	s.mux.HandleFunc("POST /reading/events/{id}/attendance", s.page(s.readingAttendanceForm))
	s.mux.HandleFunc("POST /reading/events/{id}/photos", s.page(s.readingPhotoForm))
	s.mux.HandleFunc("GET /reading/stats", s.page(s.readingStatsPage))

	s.api("GET /api/v1/reading-rooms", s.apiRoomList, true)
	s.api("POST /api/v1/reading-rooms", s.apiRoomCreate, true)
	s.api("GET /api/v1/reading-rooms/{id}", s.apiRoomGet, true)
	s.api("PUT /api/v1/reading-rooms/{id}", s.apiRoomUpdate, true)
	s.api("GET /api/v1/books", s.apiBookSearch, true)
	s.api("POST /api/v1/books", s.apiBookCreate, true)
	s.api("GET /api/v1/books/import-template", s.apiBookTemplate, true)
	s.api("POST /api/v1/books/import", s.apiBookImport, true)
	s.api("GET /api/v1/loans", s.apiLoanList, true)
	s.api("POST /api/v1/loans", s.apiLoanCreate, true)
	s.api("POST /api/v1/loans/{id}/return", s.apiLoanReturn, true)
	s.api("POST /api/v1/loans/{id}/renew", s.apiLoanRenew, true)
	s.api("GET /api/v1/book-recommendations", s.apiRecommendationList, true)
	s.api("POST /api/v1/book-recommendations", s.apiRecommendationCreate, true)
	s.api("GET /api/v1/book-reviews", s.apiReviewList, true)
	s.api("POST /api/v1/book-reviews", s.apiReviewCreate, true)
	s.api("POST /api/v1/book-reviews/{id}/moderation", s.apiReviewModerate, true)
	s.api("GET /api/v1/reading-events", s.apiEventList, true)
	s.api("POST /api/v1/reading-events", s.apiEventCreate, true)
	s.api("GET /api/v1/reading-events/{id}", s.apiEventGet, true)
	s.api("GET /api/v1/reading-events/{id}/signups", s.apiSignupList, true)
	s.api("POST /api/v1/reading-events/{id}/signups", s.apiSignupCreate, true)
	s.api("POST /api/v1/reading-events/{id}/signups/cancel", s.apiSignupCancel, true)
	s.api("PUT /api/v1/reading-events/{id}/attendance", s.apiAttendance, true)
	s.api("POST /api/v1/reading-events/{id}/photos", s.apiEventPhoto, true)
	s.api("GET /api/v1/reading-stats", s.apiReadingStats, true)
}

// ---- JSON API

func queryInt(q url.Values, name string) (int64, error) {
	v := q.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{name: "form.number"}}
	}
	return n, nil
}

func items[T any](w http.ResponseWriter, list []T) {
	writeJSON(w, http.StatusOK, map[string]any{"items": list, "total": len(list)})
}

func (s *Server) apiRoomList(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	list, err := s.Reading.ListRooms(r.Context(), p)
	if err != nil {
		return err
	}
	items(w, list)
	return nil
}

func (s *Server) apiRoomCreate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var in reading.RoomInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	room, err := s.Reading.CreateRoom(r.Context(), p, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/reading-rooms/"+strconv.FormatInt(room.ID, 10))
	writeJSON(w, http.StatusCreated, room)
	return nil
}

func (s *Server) apiRoomGet(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	room, err := s.Reading.GetRoom(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, room)
	return nil
}

func (s *Server) apiRoomUpdate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in reading.RoomInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	room, err := s.Reading.UpdateRoom(r.Context(), p, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, room)
	return nil
}

func (s *Server) apiBookSearch(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	room, err := queryInt(q, "room_id")
	if err != nil {
		return err
	}
	list, total, err := s.Reading.Search(r.Context(), p, reading.SearchFilter{Q: q.Get("q"), RoomID: room})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list, "total": total})
	return nil
}

func (s *Server) apiBookCreate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var in reading.BookInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	b, err := s.Reading.AddBook(r.Context(), p, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, b)
	return nil
}

func (s *Server) apiBookTemplate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	w.Header().Set("Content-Type", xlsxType)
	w.Header().Set("Content-Disposition", "attachment; filename=\"books.xlsx\"; filename*=UTF-8''"+url.PathEscape("图书目录导入模板.xlsx"))
	w.Header().Set("Cache-Control", "no-store")
	return reading.ImportTemplate(w)
}

// readBookUpload reads the multipart field "file" within the catalogue import's size limit.
func readBookUpload(w http.ResponseWriter, r *http.Request) ([]byte, string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, reading.ImportMaxFileBytes+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, "", importFileErr("reading.import.file.too_large")
		}
		return nil, "", importFileErr("reading.import.file.missing")
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return nil, "", importFileErr("reading.import.file.missing")
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, reading.ImportMaxFileBytes+1))
	if err != nil {
		return nil, "", importFileErr("reading.import.file.missing")
	}
	return b, hdr.Filename, nil
}

func (s *Server) translateBookImport(r *http.Request, res *reading.ImportResult) {
	l := langFrom(r.Context())
	for i := range res.Errors {
		res.Errors[i].Message = s.I18n.T(l, res.Errors[i].Key, res.Errors[i].Args)
	}
}

// bookImportOptions reads room_id, dry_run (default true) and skip_invalid from the multipart form.
func bookImportOptions(r *http.Request, defDry bool) (reading.ImportOptions, error) {
	form := r.MultipartForm.Value
	var opt reading.ImportOptions
	n, err := strconv.ParseInt(first(form["room_id"]), 10, 64)
	if err != nil || n <= 0 {
		return opt, &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"room_id": "validate.required"}}
	}
	opt.RoomID = n
	vals := url.Values{"dry_run": {first(form["dry_run"])}, "skip_invalid": {first(form["skip_invalid"])}}
	if opt.DryRun, err = boolParam(vals, "dry_run", defDry); err != nil {
		return opt, err
	}
	opt.SkipInvalid, err = boolParam(vals, "skip_invalid", false)
	return opt, err
}

func (s *Server) apiBookImport(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	defer cleanupMultipart(r)
	data, _, err := readBookUpload(w, r)
	if err != nil {
		return err
	}
	opt, err := bookImportOptions(r, true)
	if err != nil {
		return err
	}
	res, err := s.Reading.ImportBooks(r.Context(), p, data, opt)
	if err != nil {
		return err
	}
	s.translateBookImport(r, &res)
	// All or nothing and something was wrong (or nothing was valid): nothing was imported.
	s.writeImportResult(w, r, res, res.DryRun, res.Imported, res.Invalid, "reading.import.refused")
	return nil
}

func (s *Server) apiLoanList(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	var f reading.LoanFilter
	var err error
	if f.MemberID, err = queryInt(q, "member_id"); err != nil {
		return err
	}
	if f.OrgID, err = queryInt(q, "org_id"); err != nil {
		return err
	}
	if f.RoomID, err = queryInt(q, "room_id"); err != nil {
		return err
	}
	if f.Open, err = boolParam(q, "open", false); err != nil {
		return err
	}
	if f.Overdue, err = boolParam(q, "overdue", false); err != nil {
		return err
	}
	if f.MemberID == 0 && f.OrgID == 0 && f.RoomID == 0 && p.Role == auth.Member {
		f.MemberID = p.MemberID // a member asking for "loans" means their own
		if f.MemberID == 0 {
			items(w, []reading.Loan{})
			return nil
		}
	}
	list, err := s.Reading.ListLoans(r.Context(), p, f)
	if err != nil {
		return err
	}
	items(w, list)
	return nil
}

func (s *Server) apiLoanCreate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var in reading.LoanInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	l, err := s.Reading.Lend(r.Context(), p, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, l)
	return nil
}

func (s *Server) apiLoanReturn(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in reading.ReturnInput
	if r.ContentLength != 0 {
		if err := readJSON(r, &in); err != nil {
			return err
		}
	}
	l, err := s.Reading.Return(r.Context(), p, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *Server) apiLoanRenew(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	l, err := s.Reading.Renew(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *Server) apiRecommendationList(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	list, err := s.Reading.Recommendations(r.Context(), p)
	if err != nil {
		return err
	}
	items(w, list)
	return nil
}

func (s *Server) apiRecommendationCreate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var in reading.RecommendationInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	rec, err := s.Reading.Recommend(r.Context(), p, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rec)
	return nil
}

func (s *Server) apiReviewList(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	f := reading.ReviewFilter{Status: reading.ReviewStatus(q.Get("status"))}
	var err error
	if f.MemberID, err = queryInt(q, "member_id"); err != nil {
		return err
	}
	if f.BookID, err = queryInt(q, "book_id"); err != nil {
		return err
	}
	list, err := s.Reading.ListReviews(r.Context(), p, f)
	if err != nil {
		return err
	}
	items(w, list)
	return nil
}

func (s *Server) apiReviewCreate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var in reading.ReviewInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	rv, err := s.Reading.WriteReview(r.Context(), p, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rv)
	return nil
}

func (s *Server) apiReviewModerate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in reading.ModerationInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	rv, err := s.Reading.Moderate(r.Context(), p, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rv)
	return nil
}

func (s *Server) apiEventList(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	year, err := queryInt(q, "year")
	if err != nil {
		return err
	}
	upcoming, err := boolParam(q, "upcoming", false)
	if err != nil {
		return err
	}
	list, err := s.Reading.ListEvents(r.Context(), p, int(year), upcoming)
	if err != nil {
		return err
	}
	items(w, list)
	return nil
}

func (s *Server) apiEventCreate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var in reading.EventInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	e, err := s.Reading.CreateEvent(r.Context(), p, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func (s *Server) apiEventGet(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	e, err := s.Reading.GetEvent(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) apiSignupList(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	list, err := s.Reading.Signups(r.Context(), p, id)
	if err != nil {
		return err
	}
	items(w, list)
	return nil
}

func (s *Server) signupJSON(w http.ResponseWriter, r *http.Request, p auth.Principal, cancel bool) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in reading.SignupInput
	if r.ContentLength != 0 {
		if err := readJSON(r, &in); err != nil {
			return err
		}
	}
	var g reading.Signup
	if cancel {
		g, err = s.Reading.Cancel(r.Context(), p, id, in)
	} else {
		g, err = s.Reading.SignUp(r.Context(), p, id, in)
	}
	if err != nil {
		return err
	}
	status := http.StatusOK
	if !cancel {
		status = http.StatusCreated
	}
	writeJSON(w, status, g)
	return nil
}

func (s *Server) apiSignupCreate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	return s.signupJSON(w, r, p, false)
}

func (s *Server) apiSignupCancel(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	return s.signupJSON(w, r, p, true)
}

func (s *Server) apiAttendance(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in reading.AttendanceInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	e, err := s.Reading.SetAttendance(r.Context(), p, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) apiEventPhoto(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		FileID int64 `json:"file_id"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	e, err := s.Reading.LinkPhoto(r.Context(), p, id, in.FileID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) apiReadingStats(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	orgID, year, err := readingStatsQuery(r.URL.Query(), p)
	if err != nil {
		return err
	}
	st, err := s.Reading.Stats(r.Context(), p, orgID, year)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func readingStatsQuery(q url.Values, p auth.Principal) (int64, int, error) {
	orgID, err := queryInt(q, "org_id")
	if err != nil {
		return 0, 0, err
	}
	if orgID == 0 {
		orgID = p.OrgID
	}
	year, err := queryInt(q, "year")
	return orgID, int(year), err
}

// ---- pages

// readingData is what every reading page carries: the caller's capabilities, empty form state and the
// section tabs.
func (s *Server) readingData(r *http.Request, p auth.Principal, tab string) map[string]any {
	return map[string]any{"Tab": tab, "CanWrite": p.Role.Can(auth.WriteBusiness), "IsMember": p.MemberID != 0,
		"V": url.Values{}, "F": map[string]map[string]string{}, "Today": clock.Today(s.Clock).Format("2006-01-02"),
		"RoomKinds": reading.RoomKinds, "Levels": reading.HonourLevels, "EventKinds": reading.EventKinds, "Which": "",
		"HonourRows": honourRows(nil, nil)}
}

// honourRow is one of the room form's three honour rows.
type honourRow struct{ Idx, Title, Level, Year string }

// honourRows fills the honour rows from a submitted form, or else from a room's honours.
func honourRows(hs []reading.Honour, v url.Values) []honourRow {
	rows := make([]honourRow, 3)
	for i := range rows {
		k := strconv.Itoa(i)
		rows[i] = honourRow{Idx: k, Title: v.Get("honour_title_" + k), Level: v.Get("honour_level_" + k), Year: v.Get("honour_year_" + k)}
		if v == nil && i < len(hs) {
			rows[i].Title, rows[i].Level, rows[i].Year = hs[i].Title, string(hs[i].Level), strconv.Itoa(hs[i].Year)
		}
	}
	return rows
}

// readingFail re-renders page with the messages of err for the form named which; other errors go up.
func (s *Server) readingFail(w http.ResponseWriter, r *http.Request, err error, page, which string, data map[string]any) error {
	code := errs.CodeOf(err)
	if code != errs.Unprocessable && code != errs.Conflict && code != errs.Invalid {
		return err
	}
	msg, fields := s.fieldMessages(r, err)
	data["Error"], data["F"], data["V"], data["Which"] = msg, map[string]map[string]string{which: fields}, r.PostForm, which
	if which == "room" {
		data["HonourRows"] = honourRows(nil, r.PostForm)
	}
	s.render(w, r, statusOf[code], page, data)
	return nil
}

func (s *Server) orgOptions(r *http.Request, p auth.Principal) ([]org.Org, error) {
	if !p.Role.Can(auth.WriteBusiness) {
		return nil, nil
	}
	list, err := s.Orgs.InScope(r.Context(), p)
	if err != nil {
		return nil, err
	}
	out := list[:0]
	for _, o := range list {
		if o.Kind != org.Cell {
			out = append(out, o)
		}
	}
	return out, nil
}

func (s *Server) readingHomeData(r *http.Request, p auth.Principal) (map[string]any, error) {
	ctx := r.Context()
	data := s.readingData(r, p, "rooms")
	rooms, err := s.Reading.ListRooms(ctx, p)
	if err != nil {
		return nil, err
	}
	data["Rooms"] = rooms
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	data["Q"] = q
	if q != "" {
		books, total, err := s.Reading.Search(ctx, p, reading.SearchFilter{Q: q})
		if err != nil && !errs.Is(err, errs.Unprocessable) {
			return nil, err
		}
		data["Books"], data["BookTotal"], data["Searched"] = books, total, true
	}
	if data["Orgs"], err = s.orgOptions(r, p); err != nil {
		return nil, err
	}
	if p.Role.Can(auth.ReadBusiness) {
		overdue, err := s.Reading.ListLoans(ctx, p, reading.LoanFilter{Overdue: true, Limit: 50})
		if err != nil {
			return nil, err
		}
		data["Overdue"] = overdue
	}
	return data, nil
}

func (s *Server) readingHome(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.readingHomeData(r, p)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "reading_home", data)
	return nil
}

func formInt(r *http.Request, name string) int {
	n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue(name)))
	if err != nil {
		return 0
	}
	return n
}

func formID(r *http.Request, name string) int64 { return int64(formInt(r, name)) }

// roomInput reads the room form; honours come as up to three rows of title, level and year.
func roomInput(r *http.Request) reading.RoomInput {
	in := reading.RoomInput{OrgID: formID(r, "org_id"), Name: r.PostFormValue("name"), Kind: reading.RoomKind(r.PostFormValue("kind")),
		Location: r.PostFormValue("location"), OpeningHours: r.PostFormValue("opening_hours"), LoanDays: formInt(r, "loan_days")}
	if v := strings.TrimSpace(r.PostFormValue("max_renewals")); v != "" {
		n := formInt(r, "max_renewals")
		if n == 0 && v != "0" {
			n = -1
		}
		in.MaxRenewals = &n
	}
	for i := 0; i < 3; i++ {
		k := strconv.Itoa(i)
		title := strings.TrimSpace(r.PostFormValue("honour_title_" + k))
		if title == "" {
			continue
		}
		in.Honours = append(in.Honours, reading.Honour{Title: title, Level: reading.HonourLevel(r.PostFormValue("honour_level_" + k)),
			Year: formInt(r, "honour_year_"+k)})
	}
	return in
}

// readingNewRoomData is the create form's page: the organisations the caller may give a room to.
func (s *Server) readingNewRoomData(r *http.Request, p auth.Principal) (map[string]any, error) {
	if err := s.Auth.Authorize(r.Context(), p, auth.WriteBusiness, auth.Target{OrgID: p.OrgID}); err != nil {
		return nil, err
	}
	data := s.readingData(r, p, "rooms")
	var err error
	data["Orgs"], err = s.orgOptions(r, p)
	return data, err
}

func (s *Server) readingRoomNew(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.readingNewRoomData(r, p)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "reading_room", data)
	return nil
}

func (s *Server) readingRoomCreateForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.readingNewRoomData(r, p)
	if err != nil {
		return err
	}
	room, err := s.Reading.CreateRoom(r.Context(), p, roomInput(r))
	if err != nil {
		return s.readingFail(w, r, err, "reading_room", "room", data)
	}
	http.Redirect(w, r, "/reading/rooms/"+strconv.FormatInt(room.ID, 10)+"?done=created", http.StatusSeeOther)
	return nil
}

func (s *Server) readingRoomData(r *http.Request, p auth.Principal) (map[string]any, reading.ReadingRoom, error) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		return nil, reading.ReadingRoom{}, err
	}
	room, err := s.Reading.GetRoom(ctx, p, id)
	if err != nil {
		return nil, room, err
	}
	data := s.readingData(r, p, "rooms")
	data["Room"], data["HonourRows"] = room, honourRows(room.Honours, nil)
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	books, total, err := s.Reading.Search(ctx, p, reading.SearchFilter{Q: q, RoomID: id, Limit: 200})
	if err != nil && !errs.Is(err, errs.Unprocessable) {
		return nil, room, err
	}
	data["Books"], data["BookTotal"], data["Q"] = books, total, q
	manage := s.Reading.CanManage(ctx, p, room)
	data["Manage"] = manage
	if manage {
		if data["Loans"], err = s.Reading.ListLoans(ctx, p, reading.LoanFilter{RoomID: id, Open: true}); err != nil {
			return nil, room, err
		}
		if data["Borrowers"], err = s.Reading.Borrowers(ctx, p, id); err != nil {
			return nil, room, err
		}
		if data["Orgs"], err = s.orgOptions(r, p); err != nil {
			return nil, room, err
		}
	}
	if d := r.URL.Query().Get("done"); d != "" {
		data["Flash"] = "reading.flash." + d
	}
	data["ErrorKey"] = loanErrorKey(r)
	return data, room, nil
}

func (s *Server) readingRoomPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, _, err := s.readingRoomData(r, p)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "reading_room", data)
	return nil
}

func roomBack(id int64, done string) string {
	return "/reading/rooms/" + strconv.FormatInt(id, 10) + "?done=" + done
}

func (s *Server) readingRoomEditForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, room, err := s.readingRoomData(r, p)
	if err != nil {
		return err
	}
	if _, err := s.Reading.UpdateRoom(r.Context(), p, room.ID, roomInput(r)); err != nil {
		return s.readingFail(w, r, err, "reading_room", "room", data)
	}
	http.Redirect(w, r, roomBack(room.ID, "updated"), http.StatusSeeOther)
	return nil
}

func (s *Server) readingBookForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, room, err := s.readingRoomData(r, p)
	if err != nil {
		return err
	}
	in := reading.BookInput{ISBN: r.PostFormValue("isbn"), Title: r.PostFormValue("title"), Author: r.PostFormValue("author"),
		Publisher: r.PostFormValue("publisher"), Year: formInt(r, "year"), RoomID: room.ID, Copies: formInt(r, "copies")}
	if strings.TrimSpace(r.PostFormValue("copies")) != "" && in.Copies == 0 {
		in.Copies = -1
	}
	if _, err := s.Reading.AddBook(r.Context(), p, in); err != nil {
		return s.readingFail(w, r, err, "reading_room", "book", data)
	}
	http.Redirect(w, r, roomBack(room.ID, "book_added"), http.StatusSeeOther)
	return nil
}

func (s *Server) readingLendForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, room, err := s.readingRoomData(r, p)
	if err != nil {
		return err
	}
	in := reading.LoanInput{RoomID: room.ID, BookID: formID(r, "book_id"), ISBN: r.PostFormValue("isbn"), MemberID: formID(r, "member_id"),
		DueOn: r.PostFormValue("due_on")}
	if _, err := s.Reading.Lend(r.Context(), p, in); err != nil {
		return s.readingFail(w, r, err, "reading_room", "lend", data)
	}
	http.Redirect(w, r, roomBack(room.ID, "lent"), http.StatusSeeOther)
	return nil
}

// readingLoanStepForm returns or renews a loan and goes back where the form came from (the room, or the
// member's own page).
func (s *Server) readingLoanStepForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	renew := strings.HasSuffix(r.URL.Path, "/renew")
	if renew {
		_, err = s.Reading.Renew(r.Context(), p, id)
	} else {
		_, err = s.Reading.Return(r.Context(), p, id, reading.ReturnInput{On: r.PostFormValue("on")})
	}
	done := map[bool]string{true: "renewed", false: "returned"}[renew]
	back := "/reading/my"
	if room := formID(r, "room_id"); room > 0 {
		back = "/reading/rooms/" + strconv.FormatInt(room, 10)
	}
	if err != nil {
		// A refused step (already returned, renewal limit) goes back with the reason; the rest is an error page.
		code := errs.CodeOf(err)
		if code != errs.Conflict && code != errs.Unprocessable {
			return err
		}
		e, _ := errs.As(err)
		http.Redirect(w, r, back+"?"+url.Values{"error": {e.Key}}.Encode(), http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, back+"?done="+done, http.StatusSeeOther)
	return nil
}

// loanErrorKey is the refusal a loan step redirected with: only a reading message key is shown, so the
// query string cannot put text of its own on the page.
func loanErrorKey(r *http.Request) string {
	if k := r.URL.Query().Get("error"); strings.HasPrefix(k, "reading.loan.") || strings.HasPrefix(k, "validate.") {
		return k
	}
	return ""
}

func (s *Server) readingImportPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, room, err := s.readingRoomData(r, p)
	if err != nil {
		return err
	}
	if !data["Manage"].(bool) {
		return s.Auth.Authorize(r.Context(), p, auth.WriteBusiness, auth.Target{OrgID: room.OrgID})
	}
	data["Max"] = reading.ImportMaxRows
	s.render(w, r, http.StatusOK, "reading_import", data)
	return nil
}

// readingImportForm is both steps: a file → preview (a dry run) kept under a token; the token with
// confirm → the import.
func (s *Server) readingImportForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	defer cleanupMultipart(r)
	r.Body = http.MaxBytesReader(w, r.Body, reading.ImportMaxFileBytes+1<<20) // before anything parses the form
	data, room, err := s.readingRoomData(r, p)
	if err != nil {
		return err
	}
	data["Max"] = reading.ImportMaxRows
	opt := reading.ImportOptions{RoomID: room.ID}
	var payload []byte
	var name string
	if tok := r.PostFormValue("token"); tok != "" {
		pi, ok := takePending(tok, p, room.ID)
		if !ok {
			data["Error"] = "reading.import.expired"
			s.render(w, r, http.StatusConflict, "reading_import", data)
			return nil
		}
		payload, name = pi.data, pi.name
		opt.SkipInvalid = r.PostFormValue("skip_invalid") != ""
		pendingImports.Delete(tok)
	} else {
		payload, name, err = readBookUpload(w, r)
		if err == nil {
			opt.DryRun = true
		}
	}
	if err != nil {
		return s.readingFail(w, r, err, "reading_import", "import", data)
	}
	res, err := s.Reading.ImportBooks(r.Context(), p, payload, opt)
	if err != nil {
		return s.readingFail(w, r, err, "reading_import", "import", data)
	}
	s.translateBookImport(r, &res)
	data["Result"], data["FileName"] = res, name
	if res.DryRun && res.Valid > 0 {
		// The member import's pending store, keyed here by the room (its orgID field holds the room's id).
		data["Token"] = keepPending(pendingImport{data: payload, name: name, userID: p.UserID, orgID: room.ID})
	}
	data["Done"] = !res.DryRun && res.Imported > 0
	s.render(w, r, http.StatusOK, "reading_import", data)
	return nil
}

func (s *Server) readingMyData(r *http.Request, p auth.Principal) (map[string]any, error) {
	ctx := r.Context()
	data := s.readingData(r, p, "my")
	data["Loans"], data["Reviews"], data["Events"], data["Mine"] = []reading.Loan{}, []reading.Review{}, []reading.Event{}, map[int64]reading.Signup{}
	if p.MemberID != 0 {
		loans, err := s.Reading.ListLoans(ctx, p, reading.LoanFilter{MemberID: p.MemberID})
		if err != nil {
			return nil, err
		}
		reviews, err := s.Reading.ListReviews(ctx, p, reading.ReviewFilter{MemberID: p.MemberID})
		if err != nil {
			return nil, err
		}
		events, mine, err := s.Reading.MySignups(ctx, p)
		if err != nil {
			return nil, err
		}
		data["Loans"], data["Reviews"], data["Events"], data["Mine"] = loans, reviews, events, mine
		// Books the member may review: what they borrowed and what is recommended to them.
		seen := map[int64]bool{}
		var choices []reading.Book
		for _, l := range loans {
			if !seen[l.BookID] {
				seen[l.BookID] = true
				choices = append(choices, reading.Book{ID: l.BookID, Title: l.Title, Author: l.Author})
			}
		}
		recs, err := s.Reading.Recommendations(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, rc := range recs {
			if !seen[rc.BookID] {
				seen[rc.BookID] = true
				choices = append(choices, reading.Book{ID: rc.BookID, Title: rc.Title, Author: rc.Author})
			}
		}
		data["Choices"] = choices
	}
	q := r.URL.Query()
	if d := q.Get("done"); d != "" {
		data["Flash"] = "reading.flash." + d
	}
	data["ErrorKey"] = loanErrorKey(r)
	return data, nil
}

func (s *Server) readingMyPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.readingMyData(r, p)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "reading_my", data)
	return nil
}

func (s *Server) readingReviewForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.readingMyData(r, p)
	if err != nil {
		return err
	}
	if _, err := s.Reading.WriteReview(r.Context(), p, reading.ReviewInput{BookID: formID(r, "book_id"), Body: r.PostFormValue("body")}); err != nil {
		return s.readingFail(w, r, err, "reading_my", "review", data)
	}
	http.Redirect(w, r, "/reading/my?done=review_sent", http.StatusSeeOther)
	return nil
}

func (s *Server) readingReviewsData(r *http.Request, p auth.Principal) (map[string]any, error) {
	ctx := r.Context()
	data := s.readingData(r, p, "reviews")
	recs, err := s.Reading.Recommendations(ctx, p)
	if err != nil {
		return nil, err
	}
	approved, err := s.Reading.ListReviews(ctx, p, reading.ReviewFilter{Status: reading.ReviewApproved})
	if err != nil {
		return nil, err
	}
	data["Recommendations"], data["Approved"] = recs, approved
	if p.Role.Can(auth.WriteBusiness) {
		pending, err := s.Reading.ListReviews(ctx, p, reading.ReviewFilter{Status: reading.ReviewPending})
		if err != nil {
			return nil, err
		}
		books, _, err := s.Reading.Search(ctx, p, reading.SearchFilter{Limit: 200})
		if err != nil {
			return nil, err
		}
		data["Pending"], data["Books"] = pending, books
		if data["Orgs"], err = s.orgOptions(r, p); err != nil {
			return nil, err
		}
	}
	if d := r.URL.Query().Get("done"); d != "" {
		data["Flash"] = "reading.flash." + d
	}
	return data, nil
}

func (s *Server) readingReviewsPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.readingReviewsData(r, p)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "reading_reviews", data)
	return nil
}

func (s *Server) readingModerateForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	data, err := s.readingReviewsData(r, p)
	if err != nil {
		return err
	}
	if _, err := s.Reading.Moderate(r.Context(), p, id, reading.ModerationInput{Decision: r.PostFormValue("decision"), Note: r.PostFormValue("note")}); err != nil {
		data["ModerateFor"] = id
		return s.readingFail(w, r, err, "reading_reviews", "moderate", data)
	}
	http.Redirect(w, r, "/reading/reviews?done=moderated", http.StatusSeeOther)
	return nil
}

func (s *Server) readingRecommendForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.readingReviewsData(r, p)
	if err != nil {
		return err
	}
	in := reading.RecommendationInput{OrgID: formID(r, "org_id"), BookID: formID(r, "book_id"), Reason: r.PostFormValue("reason")}
	if _, err := s.Reading.Recommend(r.Context(), p, in); err != nil {
		return s.readingFail(w, r, err, "reading_reviews", "recommend", data)
	}
	http.Redirect(w, r, "/reading/reviews?done=recommended", http.StatusSeeOther)
	return nil
}

// eventYear is one year's activities on the events page.
type eventYear struct {
	Year   int
	Events []reading.Event
}

func (s *Server) readingEventsData(r *http.Request, p auth.Principal) (map[string]any, error) {
	data := s.readingData(r, p, "events")
	list, err := s.Reading.ListEvents(r.Context(), p, 0, false)
	if err != nil {
		return nil, err
	}
	var years []eventYear
	for _, e := range list {
		y := e.HeldOn.Year()
		if n := len(years); n == 0 || years[n-1].Year != y {
			years = append(years, eventYear{Year: y})
		}
		years[len(years)-1].Events = append(years[len(years)-1].Events, e)
	}
	data["Years"] = years
	if data["Orgs"], err = s.orgOptions(r, p); err != nil {
		return nil, err
	}
	return data, nil
}

func (s *Server) readingEventsPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.readingEventsData(r, p)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "reading_events", data)
	return nil
}

func (s *Server) readingEventCreateForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.readingEventsData(r, p)
	if err != nil {
		return err
	}
	in := reading.EventInput{OrgID: formID(r, "org_id"), Kind: reading.EventKind(r.PostFormValue("kind")), Title: r.PostFormValue("title"),
		Edition: formInt(r, "edition"), HeldOn: r.PostFormValue("held_on"), Place: r.PostFormValue("place"), Speaker: r.PostFormValue("speaker"),
		Capacity: formInt(r, "capacity"), Description: r.PostFormValue("description")}
	e, err := s.Reading.CreateEvent(r.Context(), p, in)
	if err != nil {
		return s.readingFail(w, r, err, "reading_events", "event", data)
	}
	http.Redirect(w, r, "/reading/events/"+strconv.FormatInt(e.ID, 10)+"?done=event_created", http.StatusSeeOther)
	return nil
}

func (s *Server) readingEventData(r *http.Request, p auth.Principal) (map[string]any, reading.Event, error) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		return nil, reading.Event{}, err
	}
	e, err := s.Reading.GetEvent(ctx, p, id)
	if err != nil {
		return nil, e, err
	}
	data := s.readingData(r, p, "events")
	data["Event"] = e
	data["Past"] = e.HeldOn.Format("2006-01-02") < data["Today"].(string)
	if g, ok := s.Reading.MySignup(ctx, p, id); ok {
		data["My"] = g
	}
	manage := s.Reading.CanManageEvent(ctx, p, e)
	data["Manage"] = manage
	if manage {
		if data["Signups"], err = s.Reading.Signups(ctx, p, id); err != nil {
			return nil, e, err
		}
	}
	if d := r.URL.Query().Get("done"); d != "" {
		data["Flash"] = "reading.flash." + d
	}
	return data, e, nil
}

func (s *Server) readingEventPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, _, err := s.readingEventData(r, p)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "reading_event", data)
	return nil
}

func eventBack(id int64, done string) string {
	return "/reading/events/" + strconv.FormatInt(id, 10) + "?done=" + done
}

func (s *Server) readingSignupForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, e, err := s.readingEventData(r, p)
	if err != nil {
		return err
	}
	in := reading.SignupInput{MemberID: formID(r, "member_id")}
	done := "signed_up"
	if strings.HasSuffix(r.URL.Path, "/cancel") {
		done = "cancelled"
		_, err = s.Reading.Cancel(r.Context(), p, e.ID, in)
	} else {
		_, err = s.Reading.SignUp(r.Context(), p, e.ID, in)
	}
	if err != nil {
		return s.readingFail(w, r, err, "reading_event", "signup", data)
	}
	http.Redirect(w, r, eventBack(e.ID, done), http.StatusSeeOther)
	return nil
}

func (s *Server) readingAttendanceForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, e, err := s.readingEventData(r, p)
	if err != nil {
		return err
	}
	var in reading.AttendanceInput
	for _, v := range r.PostForm["attended"] {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			in.Attended = append(in.Attended, n)
		}
	}
	if _, err := s.Reading.SetAttendance(r.Context(), p, e.ID, in); err != nil {
		return s.readingFail(w, r, err, "reading_event", "attendance", data)
	}
	http.Redirect(w, r, eventBack(e.ID, "attendance"), http.StatusSeeOther)
	return nil
}

func (s *Server) readingPhotoForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	defer cleanupMultipart(r)
	r.Body = http.MaxBytesReader(w, r.Body, files.MaxBytes+1<<20)
	perr := r.ParseMultipartForm(1 << 20)
	data, e, err := s.readingEventData(r, p)
	if err != nil {
		return err
	}
	var photo []byte
	var name string
	if perr == nil {
		if f, hdr, ferr := r.FormFile("photo"); ferr == nil {
			photo, _ = io.ReadAll(io.LimitReader(f, files.MaxBytes+1))
			name = hdr.Filename
			f.Close()
		}
	}
	if _, err := s.Reading.AddPhoto(r.Context(), p, e.ID, name, photo); err != nil {
		return s.readingFail(w, r, err, "reading_event", "photo", data)
	}
	http.Redirect(w, r, eventBack(e.ID, "photo"), http.StatusSeeOther)
	return nil
}

// statBar is one bar of a statistics chart.
type statBar struct {
	Label string
	Value int
	Bar   int // 0–100, relative to the chart's largest value
}

// statChart is one server-side SVG bar chart.
type statChart struct {
	Key  string
	Bars []statBar
}

func chart(key string, bars []statBar) statChart {
	top := 0
	for _, b := range bars {
		top = max(top, b.Value)
	}
	for i := range bars {
		if top > 0 {
			bars[i].Bar = bars[i].Value * 100 / top
		}
	}
	return statChart{Key: key, Bars: bars}
}

func (s *Server) readingStatsPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	orgID, year, err := readingStatsQuery(r.URL.Query(), p)
	data := s.readingData(r, p, "stats")
	if err != nil {
		data["Fields"] = map[string]string{"year": s.I18n.T(langFrom(r.Context()), "reading.stats.year.range", nil)}
		orgID, year = p.OrgID, 0
	}
	st, err := s.Reading.Stats(r.Context(), p, orgID, year)
	if errs.Is(err, errs.Unprocessable) {
		data["Fields"] = map[string]string{"year": s.I18n.T(langFrom(r.Context()), "reading.stats.year.range", nil)}
		st, err = s.Reading.Stats(r.Context(), p, orgID, 0)
	}
	if err != nil {
		return err
	}
	l := langFrom(r.Context())
	var loans, acts, people, orgLoans, orgVolumes []statBar
	for _, y := range st.ByYear {
		label := s.I18n.T(l, "reading.stats.year_label", map[string]any{"Year": y.Year})
		loans = append(loans, statBar{Label: label, Value: y.Loans})
		acts = append(acts, statBar{Label: label, Value: y.Activities})
		people = append(people, statBar{Label: label, Value: y.Participants})
	}
	for _, o := range st.ByOrg {
		name := o.Name
		if o.Own {
			name = s.I18n.T(l, "reading.stats.own_level", map[string]any{"Org": o.Name})
		}
		orgLoans = append(orgLoans, statBar{Label: name, Value: o.Loans})
		orgVolumes = append(orgVolumes, statBar{Label: name, Value: o.Volumes})
	}
	data["Stats"] = st
	data["Charts"] = []statChart{chart("reading.stats.chart.loans", loans), chart("reading.stats.chart.activities", acts),
		chart("reading.stats.chart.participants", people), chart("reading.stats.chart.org_volumes", orgVolumes),
		chart("reading.stats.chart.org_loans", orgLoans)}
	if data["Orgs"], err = s.orgOptions(r, p); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "reading_stats", data)
	return nil
}
