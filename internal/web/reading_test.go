package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/reading"
)

// readingFix is a room with plenty of copies of one book in an organisation, and a member it serves, made
// once per environment and organisation for the authorization matrix.
type readingFix struct {
	room, book, member, event int64
}

var (
	readingFixMu sync.Mutex
	readingFixes = map[string]readingFix{}
)

func (e *env) readingFix(org int64) readingFix {
	e.t.Helper()
	readingFixMu.Lock()
	defer readingFixMu.Unlock()
	key := fmt.Sprintf("%p/%d", e, org)
	if f, ok := readingFixes[key]; ok {
		return f
	}
	ctx, root := e.t.Context(), e.rootPrincipal()
	room, err := e.srv.Reading.CreateRoom(ctx, root, reading.RoomInput{OrgID: org, Name: "矩阵书屋", Kind: reading.Room})
	if err != nil {
		e.t.Fatal(err)
	}
	b, err := e.srv.Reading.AddBook(ctx, root, reading.BookInput{ISBN: "9787108009821", Title: "乡土中国", Author: "费孝通", RoomID: room.ID, Copies: 60})
	if err != nil {
		e.t.Fatal(err)
	}
	f := readingFix{room: room.ID, book: b.ID}
	e.t.Cleanup(func() { // an env's address may come back in a later test
		readingFixMu.Lock()
		delete(readingFixes, key)
		readingFixMu.Unlock()
	})
	if err := e.db.QueryRow(ctx, "SELECT id FROM members WHERE org_id = ? AND terminal_state = '' ORDER BY id LIMIT 1", org).Scan(&f.member); err != nil {
		e.t.Fatal(err)
	}
	ev, err := e.srv.Reading.CreateEvent(ctx, root, reading.EventInput{OrgID: org, Kind: reading.Salon, Title: "矩阵沙龙", HeldOn: "2026-03-10", Capacity: 50})
	if err != nil {
		e.t.Fatal(err)
	}
	f.event = ev.ID
	readingFixes[key] = f
	return f
}

func (e *env) demoMemberID() int64 {
	e.t.Helper()
	var id int64
	if err := e.db.QueryRow(e.t.Context(), "SELECT member_id FROM users WHERE username = 'demo_member'").Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

var officers = map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200}

func init() {
	authzMatrix = append(authzMatrix,
		matrixCase{name: "create reading room", method: "POST", path: fixed("/api/v1/reading-rooms"), scoped: true,
			body: func(e *env, org int64, role auth.Role) any {
				return map[string]any{"org_id": org, "name": "书屋" + string(role), "kind": "cabinet"}
			},
			want: map[auth.Role]int{auth.OrgAdmin: 201, auth.BranchOfficer: 201}},
		matrixCase{name: "edit reading room", method: "PUT", scoped: true,
			path: func(e *env, org int64) string { return fmt.Sprintf("/api/v1/reading-rooms/%d", e.readingFix(org).room) },
			body: func(e *env, org int64, role auth.Role) any {
				return map[string]any{"name": "改名书屋", "kind": "room", "honours": []map[string]any{{"title": "职工书屋示范点", "level": "city", "year": 2025}}}
			},
			want: officers},
		matrixCase{name: "add book to room", method: "POST", path: fixed("/api/v1/books"), scoped: true,
			body: func(e *env, org int64, role auth.Role) any {
				return map[string]any{"isbn": "0-8044-2957-X", "title": "示例图书", "room_id": e.readingFix(org).room, "copies": 1}
			},
			want: map[auth.Role]int{auth.OrgAdmin: 201, auth.BranchOfficer: 201}},
		matrixCase{name: "lend from room", method: "POST", path: fixed("/api/v1/loans"), scoped: true,
			body: func(e *env, org int64, role auth.Role) any {
				f := e.readingFix(org)
				return map[string]any{"room_id": f.room, "book_id": f.book, "member_id": f.member}
			},
			want: map[auth.Role]int{auth.OrgAdmin: 201, auth.BranchOfficer: 201}},
		matrixCase{name: "room loans", method: "GET", scoped: true,
			path: func(e *env, org int64) string { return fmt.Sprintf("/api/v1/loans?room_id=%d", e.readingFix(org).room) },
			want: officers},
		matrixCase{name: "room page", method: "GET", scoped: true,
			path: func(e *env, org int64) string { return fmt.Sprintf("/reading/rooms/%d", e.readingFix(org).room) },
			// Members see the rooms of their own branch (and above); the system roles see none.
			want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200, auth.Member: 200}},
		matrixCase{name: "a member's loans", method: "GET",
			path: func(e *env, org int64) string { return fmt.Sprintf("/api/v1/loans?member_id=%d", e.demoMemberID()) },
			want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200, auth.Member: 200}},
		matrixCase{name: "another member's loans", method: "GET",
			path: func(e *env, org int64) string { return fmt.Sprintf("/api/v1/loans?member_id=%d", e.demoMemberID()+1) },
			want: officers},
		matrixCase{name: "activity sign-ups", method: "GET", scoped: true,
			path: func(e *env, org int64) string {
				return fmt.Sprintf("/api/v1/reading-events/%d/signups", e.readingFix(org).event)
			},
			want: officers},
		matrixCase{name: "create reading event", method: "POST", path: fixed("/api/v1/reading-events"), scoped: true,
			body: func(e *env, org int64, role auth.Role) any {
				return map[string]any{"org_id": org, "kind": "lecture", "title": "讲座" + string(role), "held_on": "2026-04-01", "capacity": 30}
			},
			want: map[auth.Role]int{auth.OrgAdmin: 201, auth.BranchOfficer: 201}},
		matrixCase{name: "reading stats", method: "GET", scoped: true,
			path: func(e *env, org int64) string { return fmt.Sprintf("/api/v1/reading-stats?org_id=%d", org) },
			want: officers},
		matrixCase{name: "reading stats page", method: "GET", scoped: true,
			path: func(e *env, org int64) string { return fmt.Sprintf("/reading/stats?org_id=%d", org) },
			want: officers},
	)
}

// Bad input on the reading API is a 422 with field messages in the user's language; nothing is written.
func TestReading_FieldErrors(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.as(auth.BranchOfficer)
		f := e.readingFix(e.branchA)
		before := e.auditCount("book.create") + e.auditCount("reading_room.copies")
		cases := []struct {
			path  string
			body  any
			field string
			msg   string
		}{
			{"/api/v1/books", map[string]any{"isbn": "978-7-02-000220-8", "title": "红楼梦", "room_id": f.room}, "isbn", "ISBN校验位不正确"},
			{"/api/v1/books", map[string]any{"isbn": "12345", "title": "", "room_id": f.room}, "title", "此项为必填项"},
			{"/api/v1/reading-rooms", map[string]any{"org_id": e.branchA, "name": "", "kind": "shelf"}, "kind", "请选择书屋或书橱"},
			{"/api/v1/loans", map[string]any{"room_id": f.room, "book_id": f.book}, "member_id", "此项为必填项"},
			{"/api/v1/reading-events", map[string]any{"org_id": e.branchA, "kind": "salon", "title": "沙龙", "held_on": "2026-02-30", "capacity": 0}, "capacity", "名额应为1至5000"},
		}
		for _, tc := range cases {
			r := c.sendJSON("POST", tc.path, tc.body)
			var body apiError
			r.json(t, &body)
			if r.status != http.StatusUnprocessableEntity || !strings.Contains(body.Error.Fields[tc.field], tc.msg) {
				t.Errorf("POST %s %v: %d %s, want 422 with %s: %s", tc.path, tc.body, r.status, r.body, tc.field, tc.msg)
			}
		}
		if after := e.auditCount("book.create") + e.auditCount("reading_room.copies"); after != before {
			t.Errorf("refused input was written: %d audit entries before, %d after", before, after)
		}
		// The same refusal in English.
		c.lang = "en"
		r := c.sendJSON("POST", "/api/v1/books", map[string]any{"isbn": "978-7-02-000220-8", "title": "红楼梦", "room_id": f.room})
		if !strings.Contains(r.body, "check digit") {
			t.Errorf("English field message: %s", r.body)
		}
	})
}

// A member sees their own loans (by default and by id) and nobody else's; signs up once for an
// activity of the 工委 and is refused a second time.
func TestReading_MemberOwnLoansAndSignup(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		m := e.as(auth.Member)
		me := e.demoMemberID()
		var loans struct {
			Items []struct {
				ID       int64  `json:"id"`
				MemberID int64  `json:"member_id"`
				RoomID   int64  `json:"room_id"`
				Title    string `json:"title"`
			} `json:"items"`
		}
		r := m.get("/api/v1/loans")
		r.json(t, &loans)
		if r.status != 200 || len(loans.Items) == 0 {
			t.Fatalf("own loans: %d %s", r.status, r.body)
		}
		for _, l := range loans.Items {
			if l.MemberID != me {
				t.Errorf("a member sees loan %d of member %d", l.ID, l.MemberID)
			}
		}
		if r := m.get(fmt.Sprintf("/api/v1/loans?room_id=%d", loans.Items[0].RoomID)); r.status != http.StatusForbidden {
			t.Errorf("a member lists a room's loans: %d", r.status)
		}
		// The 工委's World Book Day this year (demo) is open to every member.
		var events struct {
			Items []struct {
				ID   int64             `json:"id"`
				Kind reading.EventKind `json:"kind"`
			} `json:"items"`
		}
		m.get("/api/v1/reading-events?upcoming=true").json(t, &events)
		var wbd int64
		for _, ev := range events.Items {
			if ev.Kind == reading.WorldBookDay {
				wbd = ev.ID
			}
		}
		if wbd == 0 {
			t.Fatalf("no upcoming World Book Day in %+v", events.Items)
		}
		if r := m.sendJSON("POST", fmt.Sprintf("/api/v1/reading-events/%d/signups", wbd), map[string]any{}); r.status != http.StatusCreated {
			t.Fatalf("sign-up: %d %s", r.status, r.body)
		}
		if r := m.sendJSON("POST", fmt.Sprintf("/api/v1/reading-events/%d/signups", wbd), map[string]any{}); r.status != http.StatusConflict {
			t.Errorf("second sign-up: %d, want 409", r.status)
		}
		if r := m.sendJSON("POST", fmt.Sprintf("/api/v1/reading-events/%d/signups", wbd), map[string]any{"member_id": me + 1}); r.status != http.StatusForbidden {
			t.Errorf("sign-up for another member: %d, want 403", r.status)
		}
		page := m.get("/reading/my")
		if page.status != 200 || !strings.Contains(page.body, loans.Items[0].Title) || !strings.Contains(page.body, "已报名") {
			t.Errorf("my reading page: %d", page.status)
		}
	})
}

// Every reading page renders in Chinese and English for an officer and a member (or refuses as it should).
func TestReading_PagesRender(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		f := e.readingFix(e.branchA)
		pages := []struct {
			path            string
			officer, member int
			zhWant, enWant  string
		}{
			{"/reading", 200, 200, "书屋与书橱", "Reading rooms"},
			{"/reading?q=" + url.QueryEscape("乡土"), 200, 200, "乡土中国", "乡土中国"},
			{fmt.Sprintf("/reading/rooms/%d", f.room), 200, 200, "矩阵书屋", "矩阵书屋"},
			{fmt.Sprintf("/reading/rooms/%d/import", f.room), 200, 403, "导入图书目录", "Import a catalogue"},
			{"/reading/rooms/new", 200, 403, "新建书屋或书橱", "New reading room"},
			{"/reading/events", 200, 200, "世界读书日", "World Book Day"},
			{fmt.Sprintf("/reading/events/%d", f.event), 200, 200, "矩阵沙龙", "矩阵沙龙"},
			{"/reading/reviews", 200, 200, "好书推荐", "Recommended books"},
			{"/reading/my", 200, 200, "我的借阅", "My reading"},
			{"/reading/stats", 200, 403, "书香统计", "Reading statistics"},
		}
		for _, role := range []auth.Role{auth.BranchOfficer, auth.Member} {
			for _, lang := range []string{"zh-CN", "en"} {
				c := e.as(role)
				c.lang = lang
				for _, pg := range pages {
					want := pg.officer
					if role == auth.Member {
						want = pg.member
					}
					r := c.get(pg.path)
					text := pg.zhWant
					if lang == "en" {
						text = pg.enWant
					}
					if r.status != want || (want == 200 && !strings.Contains(r.body, text)) {
						t.Errorf("%s %s %s: %d, want %d with %q", role, lang, pg.path, r.status, want, text)
					}
				}
			}
		}
	})
}

// The page forms: an officer lends through the room page; an officer of another branch is refused and
// nothing is lent; a bad ISBN comes back with the field's message.
func TestReading_PageForms(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		f := e.readingFix(e.branchA)
		c := e.as(auth.BranchOfficer)
		form := url.Values{"book_id": {fmt.Sprint(f.book)}, "member_id": {fmt.Sprint(f.member)}}
		r := c.postForm(fmt.Sprintf("/reading/rooms/%d/loans", f.room), form)
		if r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "done=lent") {
			t.Fatalf("lend form: %d %s", r.status, r.header.Get("Location"))
		}
		other := e.readingFix(e.branchB)
		n := e.auditCount("loan.lend")
		r = c.postForm(fmt.Sprintf("/reading/rooms/%d/loans", other.room), url.Values{"book_id": {fmt.Sprint(other.book)}, "member_id": {fmt.Sprint(other.member)}})
		if r.status != http.StatusForbidden || e.auditCount("loan.lend") != n {
			t.Errorf("lending from another branch's room: %d", r.status)
		}
		r = c.postForm(fmt.Sprintf("/reading/rooms/%d/books", f.room), url.Values{"isbn": {"9787020002208"}, "title": {"红楼梦"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "ISBN校验位不正确") {
			t.Errorf("bad ISBN form: %d", r.status)
		}
		r = c.postForm(fmt.Sprintf("/reading/rooms/%d", other.room), url.Values{"name": {"改名"}})
		if r.status != http.StatusForbidden {
			t.Errorf("editing another branch's room: %d", r.status)
		}
	})
}

// Activity photos: uploaded through the page (stored with the record in one transaction) or linked after
// POST /api/v1/files; only pictures, only files of the organiser's subtree, only by the organisers.
func TestReading_EventPhotos(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		f := e.readingFix(e.branchA)
		c := e.as(auth.BranchOfficer)
		// The page form's field is "photo"; reuse the multipart helper with a renamed part.
		var b strings.Builder
		b.WriteString("--X\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"现场.png\"\r\nContent-Type: image/png\r\n\r\n")
		b.Write(pngBytes)
		b.WriteString("\r\n--X--\r\n")
		r := c.do("POST", fmt.Sprintf("/reading/events/%d/photos", f.event), strings.NewReader(b.String()),
			map[string]string{"Content-Type": "multipart/form-data; boundary=X"})
		if r.status != http.StatusSeeOther {
			t.Fatalf("photo form: %d %s", r.status, r.body)
		}
		// Upload first, then link through the API.
		up := c.uploadFile("/api/v1/files", map[string]string{"org_id": fmt.Sprint(e.branchA)}, "合影.png", pngBytes)
		var file struct {
			ID int64 `json:"id"`
		}
		up.json(t, &file)
		r = c.sendJSON("POST", fmt.Sprintf("/api/v1/reading-events/%d/photos", f.event), map[string]any{"file_id": file.ID})
		var ev struct {
			Photos []struct {
				ID int64 `json:"id"`
			} `json:"photos"`
		}
		r.json(t, &ev)
		if r.status != 200 || len(ev.Photos) != 2 {
			t.Fatalf("link photo: %d %s", r.status, r.body)
		}
		// A PDF is not a photo.
		pdf := c.uploadFile("/api/v1/files", map[string]string{"org_id": fmt.Sprint(e.branchA)}, "通知.pdf", []byte("%PDF-1.4\n%âãÏÓ\n"))
		pdf.json(t, &file)
		if r := c.sendJSON("POST", fmt.Sprintf("/api/v1/reading-events/%d/photos", f.event), map[string]any{"file_id": file.ID}); r.status != http.StatusUnprocessableEntity {
			t.Errorf("a PDF as a photo: %d", r.status)
		}
		// Another branch's officer may not add photos, nor link a file of their own branch here.
		other := e.readingFix(e.branchB)
		if r := c.sendJSON("POST", fmt.Sprintf("/api/v1/reading-events/%d/photos", other.event), map[string]any{"file_id": ev.Photos[0].ID}); r.status != http.StatusForbidden {
			t.Errorf("photo on another branch's activity: %d", r.status)
		}
		admin := e.as(auth.OrgAdmin)
		upB := admin.uploadFile("/api/v1/files", map[string]string{"org_id": fmt.Sprint(e.branchB)}, "b.png", pngBytes)
		upB.json(t, &file)
		if r := admin.sendJSON("POST", fmt.Sprintf("/api/v1/reading-events/%d/photos", f.event), map[string]any{"file_id": file.ID}); r.status != http.StatusUnprocessableEntity {
			t.Errorf("linking a file of another branch: %d", r.status)
		}
		page := c.get(fmt.Sprintf("/reading/events/%d", f.event))
		if strings.Count(page.body, "<img src=\"/files/") != 2 {
			t.Errorf("event page shows %d photos", strings.Count(page.body, "<img src=\"/files/"))
		}
	})
}

// Catalogue import over the API: a dry run lists row errors in Chinese, a real run is all or nothing
// (422, nothing written) unless bad rows are skipped (201).
func TestReading_ImportAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		f := e.readingFix(e.branchA)
		c := e.as(auth.BranchOfficer)
		x := excelize.NewFile()
		for i, row := range [][]any{{"ISBN", "书名", "作者", "册数"}, {"9787020002207", "红楼梦", "曹雪芹", 2}, {"978702000220", "短了一位", "", 1}} {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			_ = x.SetSheetRow("Sheet1", cell, &row)
		}
		var buf bytes.Buffer
		if _, err := x.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		room := fmt.Sprint(f.room)
		var res struct {
			Rows, Valid, Invalid, Imported int
			Errors                         []struct {
				Row     int    `json:"row"`
				Column  string `json:"column"`
				Message string `json:"message"`
			} `json:"errors"`
		}
		r := c.uploadFile("/api/v1/books/import", map[string]string{"room_id": room}, "书目.xlsx", buf.Bytes())
		r.json(t, &res)
		if r.status != 200 || res.Valid != 1 || res.Invalid != 1 || len(res.Errors) != 1 || res.Errors[0].Row != 3 ||
			res.Errors[0].Column != "ISBN" || !strings.Contains(res.Errors[0].Message, "ISBN应为13位") {
			t.Fatalf("dry run: %d %s", r.status, r.body)
		}
		n := e.auditCount("reading_room.import")
		r = c.uploadFile("/api/v1/books/import", map[string]string{"room_id": room, "dry_run": "false"}, "书目.xlsx", buf.Bytes())
		if r.status != http.StatusUnprocessableEntity || e.auditCount("reading_room.import") != n {
			t.Fatalf("all or nothing: %d %s", r.status, r.body)
		}
		r = c.uploadFile("/api/v1/books/import", map[string]string{"room_id": room, "dry_run": "false", "skip_invalid": "true"}, "书目.xlsx", buf.Bytes())
		r.json(t, &res)
		if r.status != http.StatusCreated || res.Imported != 1 || e.auditCount("reading_room.import") != n+1 {
			t.Fatalf("skip invalid: %d %s", r.status, r.body)
		}
		other := e.readingFix(e.branchB)
		if r := c.uploadFile("/api/v1/books/import", map[string]string{"room_id": fmt.Sprint(other.room)}, "书目.xlsx", buf.Bytes()); r.status != http.StatusForbidden {
			t.Errorf("import into another branch's room: %d", r.status)
		}
		if r := c.get("/api/v1/books/import-template"); r.status != 200 || r.header.Get("Content-Type") != xlsxType {
			t.Errorf("template: %d %s", r.status, r.header.Get("Content-Type"))
		}
	})
}

// The import page: upload → preview with the row errors → confirm (skipping the bad row) → done.
func TestReading_ImportPage(t *testing.T) {
	e := newEnv(t, sqliteOnly(t))
	f := e.readingFix(e.branchA)
	c := e.as(auth.BranchOfficer)
	x := excelize.NewFile()
	for i, row := range [][]any{{"ISBN", "书名"}, {"9787108009821", "乡土中国"}, {"9787108009822", "坏校验位"}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		_ = x.SetSheetRow("Sheet1", cell, &row)
	}
	var buf bytes.Buffer
	_, _ = x.WriteTo(&buf)
	path := fmt.Sprintf("/reading/rooms/%d/import", f.room)
	r := c.uploadFile(path, nil, "书目.xlsx", buf.Bytes())
	if r.status != 200 || !strings.Contains(r.body, "ISBN校验位不正确") || !strings.Contains(r.body, `name="token"`) {
		t.Fatalf("preview: %d", r.status)
	}
	tok := r.body[strings.Index(r.body, `name="token" value="`)+len(`name="token" value="`):]
	tok = tok[:strings.Index(tok, `"`)]
	r = c.postForm(path, url.Values{"token": {tok}, "skip_invalid": {"1"}})
	if r.status != 200 || !strings.Contains(r.body, "已导入1种1册，跳过1行") {
		t.Fatalf("confirm: %d %s", r.status, r.body[:min(len(r.body), 400)])
	}
	if r := c.postForm(path, url.Values{"token": {tok}}); r.status != http.StatusConflict {
		t.Errorf("a token used twice: %d", r.status)
	}
}
