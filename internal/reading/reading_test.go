package reading_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/jobs"
	"github.com/dangjian/dangjian/internal/platform/pii"
	"github.com/dangjian/dangjian/internal/reading"
	"github.com/dangjian/dangjian/internal/wire"
)

// fix is a small tree written straight into the tables:
//
//	/1/ root ─ /1/2/ committee A ─ /1/2/3/ branch A1 ─ members
//	                             └ /1/2/4/ branch A2
//	         ─ /1/5/ committee B ─ /1/5/6/ branch B1
type fix struct {
	t        *testing.T
	d        *db.DB
	clk      *clock.Fake
	p        *wire.Platform
	r        *reading.Service
	ctx      context.Context
	officerA auth.Principal // branch A1
	officerB auth.Principal // branch B1
	adminA   auth.Principal // committee A
	root     auth.Principal
	n        int
}

var t0 = time.Date(2026, 3, 10, 9, 0, 0, 0, clock.Shanghai)

func newFix(t *testing.T, d *db.DB) *fix {
	t.Helper()
	key, err := audit.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	dk, err := pii.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(t0)
	p := wire.New(d, key, dk, clk)
	f := &fix{t: t, d: d, clk: clk, p: p, r: p.Reading, ctx: audit.WithActor(context.Background(), audit.Actor{Username: "test"})}
	orgs := []struct {
		id, parent       int64
		kind, name, path string
	}{
		{1, 0, "work_committee", "示例市直机关工委", "/1/"},
		{2, 1, "committee", "甲局机关党委", "/1/2/"},
		{3, 2, "branch", "甲局第一党支部", "/1/2/3/"},
		{4, 2, "branch", "甲局第二党支部", "/1/2/4/"},
		{5, 1, "committee", "乙局机关党委", "/1/5/"},
		{6, 5, "branch", "乙局第一党支部", "/1/5/6/"},
	}
	f.write(func(tx *db.Tx) error {
		for _, o := range orgs {
			var parent any
			if o.parent != 0 {
				parent = o.parent
			}
			if _, err := tx.Exec(`INSERT INTO orgs(id, parent_id, kind, name, path, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, 0)`,
				o.id, parent, o.kind, o.name, o.path); err != nil {
				return err
			}
		}
		return nil
	})
	if d.Engine() == db.Postgres {
		if err := d.Exec(f.ctx, "SELECT setval(pg_get_serial_sequence('orgs', 'id'), 100)"); err != nil {
			t.Fatal(err)
		}
	}
	pr := func(uid int64, role auth.Role, orgID int64, path string) auth.Principal {
		return auth.Principal{UserID: uid, Username: fmt.Sprintf("u%d", uid), Role: role, OrgID: orgID, OrgPath: path}
	}
	f.officerA = pr(11, auth.BranchOfficer, 3, "/1/2/3/")
	f.officerB = pr(12, auth.BranchOfficer, 6, "/1/5/6/")
	f.adminA = pr(13, auth.OrgAdmin, 2, "/1/2/")
	f.root = pr(14, auth.OrgAdmin, 1, "/1/")
	return f
}

func (f *fix) write(fn func(tx *db.Tx) error) {
	f.t.Helper()
	if err := f.d.Write(f.ctx, fn); err != nil {
		f.t.Fatal(err)
	}
}

// member adds a full member to orgID with an account of their own, and returns the member's principal.
func (f *fix) member(orgID int64, path string) auth.Principal {
	f.t.Helper()
	f.n++
	var id, uid int64
	f.write(func(tx *db.Tx) error {
		var err error
		id, err = tx.Insert("INSERT INTO members(org_id, name, status, created_at, updated_at) VALUES (?, ?, 'full', 0, 0)", orgID, fmt.Sprintf("读者%d", f.n))
		if err != nil {
			return err
		}
		uid, err = tx.Insert(`INSERT INTO users(username, password_hash, role, org_id, member_id, password_changed_at, created_at)
			VALUES (?, 'x', 'member', ?, ?, 0, 0)`, fmt.Sprintf("reader%d", f.n), orgID, id)
		return err
	})
	return auth.Principal{UserID: uid, Username: fmt.Sprintf("reader%d", f.n), Role: auth.Member, OrgID: orgID, OrgPath: path, MemberID: id}
}

func (f *fix) count(q string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.d.QueryRow(f.ctx, q, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fix) room(p auth.Principal, orgID int64, maxRenewals int) reading.ReadingRoom {
	f.t.Helper()
	r, err := f.r.CreateRoom(f.ctx, p, reading.RoomInput{OrgID: orgID, Name: "职工书屋", Kind: reading.Room, MaxRenewals: &maxRenewals,
		Honours: []reading.Honour{{Title: "职工书屋示范点", Level: reading.City, Year: 2024}}})
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func (f *fix) book(p auth.Principal, roomID int64, isbn, title, author string, copies int) reading.Book {
	f.t.Helper()
	b, err := f.r.AddBook(f.ctx, p, reading.BookInput{ISBN: isbn, Title: title, Author: author, RoomID: roomID, Copies: copies})
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func wantCode(t *testing.T, err error, code errs.Code, key string) {
	t.Helper()
	e, ok := errs.As(err)
	if !ok || e.Code != code || (key != "" && e.Key != key && !hasField(e, key)) {
		t.Fatalf("error %v, want %s %s", err, code, key)
	}
}

func hasField(e *errs.Error, key string) bool {
	for _, k := range e.Fields {
		if k == key {
			return true
		}
	}
	return false
}

// A copy cannot be lent twice at once: ten officers lending the only copy to ten members at the same
// moment make one loan and nine 409s, and the database itself refuses a second open loan of a copy.
func TestLoan_CopyLentOnceUnderConcurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFix(t, d)
		room := f.room(f.officerA, 3, 2)
		b := f.book(f.officerA, room.ID, "978-7-02-000220-7", "红楼梦", "曹雪芹", 1)
		var members []auth.Principal
		for i := 0; i < 10; i++ {
			members = append(members, f.member(3, "/1/2/3/"))
		}
		var wg sync.WaitGroup
		errsOut := make([]error, len(members))
		for i, m := range members {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errsOut[i] = f.r.Lend(f.ctx, f.officerA, reading.LoanInput{RoomID: room.ID, BookID: b.ID, MemberID: m.MemberID})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errsOut {
			if err == nil {
				ok++
				continue
			}
			wantCode(t, err, errs.Conflict, "reading.loan.none_available")
		}
		if ok != 1 || f.count("SELECT COUNT(*) FROM reading_loans WHERE returned_on IS NULL") != 1 {
			t.Fatalf("%d loans made, want 1", ok)
		}
		// The database refuses a second open loan of the copy, whoever writes it.
		err := d.Write(f.ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(`INSERT INTO reading_loans(copy_id, room_id, member_id, lent_on, due_on, created_at, updated_at)
				SELECT copy_id, room_id, ?, lent_on, due_on, 0, 0 FROM reading_loans`, members[0].MemberID)
			return err
		})
		wantCode(t, err, errs.Conflict, "")
		if f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'loan.lend'") != 1 {
			t.Error("want exactly one audited loan")
		}
	})
}

// Loans: due date from the room's period, renewals up to the room's limit, no renewal once overdue, and a
// return closes the loan once.
func TestLoan_RenewReturn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFix(t, d)
		room := f.room(f.officerA, 3, 1)
		b := f.book(f.officerA, room.ID, "9787108009821", "乡土中国", "费孝通", 2)
		m := f.member(3, "/1/2/3/")
		l, err := f.r.Lend(f.ctx, f.officerA, reading.LoanInput{RoomID: room.ID, ISBN: "978-7-108-00982-1", MemberID: m.MemberID})
		if err != nil {
			t.Fatal(err)
		}
		if l.DueOn.String() != "2026-04-09" || l.CopyNo != 1 {
			t.Fatalf("due %s copy %d, want 2026-04-09 and copy 1", l.DueOn, l.CopyNo)
		}
		// The member renews their own loan once; the room allows one.
		l, err = f.r.Renew(f.ctx, m, l.ID)
		if err != nil || l.DueOn.String() != "2026-05-09" || l.Renewals != 1 {
			t.Fatalf("renew: %+v %v", l, err)
		}
		_, err = f.r.Renew(f.ctx, m, l.ID)
		wantCode(t, err, errs.Conflict, "reading.loan.renew_limit")
		// Another member cannot renew it.
		other := f.member(3, "/1/2/3/")
		_, err = f.r.Renew(f.ctx, other, l.ID)
		wantCode(t, err, errs.Forbidden, "")
		// A member sees their own loans only.
		if _, err := f.r.ListLoans(f.ctx, other, reading.LoanFilter{MemberID: m.MemberID}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("another member's loans: %v, want 403", err)
		}
		own, err := f.r.ListLoans(f.ctx, m, reading.LoanFilter{MemberID: m.MemberID})
		if err != nil || len(own) != 1 {
			t.Fatalf("own loans: %v %v", own, err)
		}
		// Overdue loans are not renewed.
		l2, err := f.r.Lend(f.ctx, f.officerA, reading.LoanInput{RoomID: room.ID, BookID: b.ID, MemberID: other.MemberID, DueOn: "2026-03-12"})
		if err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(72 * time.Hour)
		_, err = f.r.Renew(f.ctx, f.officerA, l2.ID)
		wantCode(t, err, errs.Conflict, "reading.loan.renew_overdue")
		overdue, err := f.r.ListLoans(f.ctx, f.officerA, reading.LoanFilter{Overdue: true})
		if err != nil || len(overdue) != 1 || overdue[0].ID != l2.ID || !overdue[0].Overdue {
			t.Fatalf("overdue list %+v %v", overdue, err)
		}
		if _, err := f.r.Return(f.ctx, f.officerA, l2.ID, reading.ReturnInput{}); err != nil {
			t.Fatal(err)
		}
		_, err = f.r.Return(f.ctx, f.officerA, l2.ID, reading.ReturnInput{})
		wantCode(t, err, errs.Conflict, "reading.loan.already_returned")
		// Bad input: 422 with field errors, nothing written.
		_, err = f.r.Lend(f.ctx, f.officerA, reading.LoanInput{RoomID: room.ID, ISBN: "978-7-108-00982-2", MemberID: m.MemberID})
		wantCode(t, err, errs.Unprocessable, "validate.isbn.checksum")
		// A member of another committee is not served by the room.
		far := f.member(6, "/1/5/6/")
		_, err = f.r.Lend(f.ctx, f.officerA, reading.LoanInput{RoomID: room.ID, BookID: b.ID, MemberID: far.MemberID})
		wantCode(t, err, errs.Unprocessable, "reading.loan.member.not_served")
	})
}

// An overdue loan is reminded once per loan and due date, by the job wire registers, whatever how often it
// runs; a returned loan is not reminded.
func TestLoan_OverdueReminderOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFix(t, d)
		room := f.room(f.officerA, 3, 2)
		b := f.book(f.officerA, room.ID, "9787544253994", "百年孤独", "加西亚·马尔克斯", 2)
		m1, m2 := f.member(3, "/1/2/3/"), f.member(3, "/1/2/3/")
		l1, err := f.r.Lend(f.ctx, f.officerA, reading.LoanInput{RoomID: room.ID, BookID: b.ID, MemberID: m1.MemberID, DueOn: "2026-03-20"})
		if err != nil {
			t.Fatal(err)
		}
		l2, err := f.r.Lend(f.ctx, f.officerA, reading.LoanInput{RoomID: room.ID, BookID: b.ID, MemberID: m2.MemberID, DueOn: "2026-03-20"})
		if err != nil {
			t.Fatal(err)
		}
		s := jobs.New(d, f.clk, jobs.Options{Worker: "test"})
		f.p.RegisterJobs(s)
		notes := func(p auth.Principal) int {
			return f.count("SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'reading.overdue'", p.UserID)
		}
		// Due 20 March: on the 20th (23:59 Beijing) nothing is overdue yet.
		f.clk.Set(time.Date(2026, 3, 20, 23, 59, 0, 0, clock.Shanghai))
		if _, err := s.RunDue(f.ctx); err != nil {
			t.Fatal(err)
		}
		if notes(m1)+notes(m2) != 0 {
			t.Fatal("reminded before the loan was overdue")
		}
		if _, err := f.r.Return(f.ctx, f.officerA, l2.ID, reading.ReturnInput{}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			f.clk.Advance(time.Hour + time.Minute)
			if _, err := s.RunDue(f.ctx); err != nil {
				t.Fatal(err)
			}
		}
		if notes(m1) != 1 || notes(m2) != 0 {
			t.Fatalf("reminders: overdue member %d, returned member %d; want 1 and 0", notes(m1), notes(m2))
		}
		if n, err := f.r.RemindOverdue(f.ctx); err != nil || n != 0 {
			t.Fatalf("a second run sent %d (%v), want 0", n, err)
		}
		_ = l1
	})
}

// No overbooking: twelve members signing up at once for three seats get seats 1–3 and nine places on
// the waiting list.
func TestSignup_NoOverbookingUnderConcurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFix(t, d)
		e, err := f.r.CreateEvent(f.ctx, f.root, reading.EventInput{OrgID: 1, Kind: reading.Salon, Title: "读书沙龙", HeldOn: "2026-04-23", Capacity: 3})
		if err != nil {
			t.Fatal(err)
		}
		var members []auth.Principal
		for i := 0; i < 12; i++ {
			members = append(members, f.member(3+int64(i%2), fmt.Sprintf("/1/2/%d/", 3+i%2)))
		}
		var wg sync.WaitGroup
		for _, m := range members {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := f.r.SignUp(f.ctx, m, e.ID, reading.SignupInput{}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if n := f.count("SELECT COUNT(*) FROM reading_signups WHERE status = 'confirmed'"); n != 3 {
			t.Fatalf("%d confirmed, want 3", n)
		}
		if n := f.count("SELECT COUNT(DISTINCT seat) FROM reading_signups WHERE status = 'confirmed' AND seat BETWEEN 1 AND 3"); n != 3 {
			t.Fatalf("%d distinct seats, want 3", n)
		}
		if n := f.count("SELECT COUNT(*) FROM reading_signups WHERE status = 'waiting' AND seat IS NULL"); n != 9 {
			t.Fatalf("%d waiting, want 9", n)
		}
		_, err = f.r.SignUp(f.ctx, members[0], e.ID, reading.SignupInput{})
		wantCode(t, err, errs.Conflict, "reading.signup.exists")
	})
}

// Waiting list: when a confirmed member cancels, the first on the waiting list takes the seat and is told.
func TestSignup_WaitingListPromotion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFix(t, d)
		e, err := f.r.CreateEvent(f.ctx, f.adminA, reading.EventInput{OrgID: 2, Kind: reading.Lecture, Title: "名家讲座", HeldOn: "2026-04-10", Capacity: 1})
		if err != nil {
			t.Fatal(err)
		}
		a, b, c := f.member(3, "/1/2/3/"), f.member(3, "/1/2/3/"), f.member(4, "/1/2/4/")
		for i, m := range []auth.Principal{a, b, c} {
			g, err := f.r.SignUp(f.ctx, m, e.ID, reading.SignupInput{})
			if err != nil {
				t.Fatal(err)
			}
			want := map[int]reading.SignupStatus{0: reading.Confirmed, 1: reading.Waiting, 2: reading.Waiting}[i]
			if g.Status != want || (i > 0 && g.Position != i) {
				t.Fatalf("sign-up %d: %+v, want %s", i, g, want)
			}
			f.clk.Advance(time.Minute)
		}
		// Members may not cancel for each other.
		_, err = f.r.Cancel(f.ctx, c, e.ID, reading.SignupInput{MemberID: a.MemberID})
		wantCode(t, err, errs.Forbidden, "")
		if _, err := f.r.Cancel(f.ctx, a, e.ID, reading.SignupInput{}); err != nil {
			t.Fatal(err)
		}
		gb, _ := f.r.MySignup(f.ctx, b, e.ID)
		gc, _ := f.r.MySignup(f.ctx, c, e.ID)
		if gb.Status != reading.Confirmed || gb.Seat != 1 || gc.Status != reading.Waiting || gc.Position != 1 {
			t.Fatalf("after cancel: b %+v, c %+v", gb, gc)
		}
		if f.count("SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'reading.promoted'", b.UserID) != 1 {
			t.Error("the promoted member was not told")
		}
		// A member of another committee cannot sign up for committee A's lecture.
		far := f.member(6, "/1/5/6/")
		_, err = f.r.SignUp(f.ctx, far, e.ID, reading.SignupInput{})
		if !errs.Is(err, errs.Forbidden) {
			t.Fatalf("sign-up outside the organiser's subtree: %v, want 403", err)
		}
		// Attendance only for confirmed sign-ups, once the day has come.
		_, err = f.r.SetAttendance(f.ctx, f.adminA, e.ID, reading.AttendanceInput{Attended: []int64{b.MemberID}})
		wantCode(t, err, errs.Conflict, "reading.attendance.before_event")
		f.clk.Set(time.Date(2026, 4, 10, 18, 0, 0, 0, clock.Shanghai))
		_, err = f.r.SetAttendance(f.ctx, f.adminA, e.ID, reading.AttendanceInput{Attended: []int64{c.MemberID}})
		wantCode(t, err, errs.Unprocessable, "reading.attendance.not_confirmed")
		ev, err := f.r.SetAttendance(f.ctx, f.adminA, e.ID, reading.AttendanceInput{Attended: []int64{b.MemberID}})
		if err != nil || ev.Attended != 1 {
			t.Fatalf("attendance: %+v %v", ev, err)
		}
		_, err = f.r.SetAttendance(f.ctx, f.officerB, e.ID, reading.AttendanceInput{})
		wantCode(t, err, errs.Forbidden, "")
	})
}

// World Book Day editions: computed from the organiser's previous edition and the years since, or entered.
func TestEvent_WorldBookDayEdition(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFix(t, d)
		mk := func(on string, edition int) int {
			e, err := f.r.CreateEvent(f.ctx, f.root, reading.EventInput{OrgID: 1, Kind: reading.WorldBookDay, Title: "世界读书日", HeldOn: on, Capacity: 100, Edition: edition})
			if err != nil {
				t.Fatal(err)
			}
			return e.Edition
		}
		if got := mk("2019-04-23", 0); got != 1 {
			t.Fatalf("first edition %d", got)
		}
		if got := mk("2021-04-23", 0); got != 3 {
			t.Fatalf("2021 edition %d, want 3", got)
		}
		if got := mk("2026-04-23", 12); got != 12 {
			t.Fatalf("entered edition %d", got)
		}
		_, err := f.r.CreateEvent(f.ctx, f.root, reading.EventInput{OrgID: 1, Kind: reading.Salon, Title: "沙龙", HeldOn: "2026-05-01", Capacity: 10, Edition: 3})
		wantCode(t, err, errs.Unprocessable, "reading.event.edition.invalid")
	})
}

// Catalogue: rooms outside an officer's subtree are neither edited nor stocked; search finds Chinese
// substrings of titles and authors in the rooms the caller sees.
func TestCatalogue_ScopeAndSearch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFix(t, d)
		roomA := f.room(f.officerA, 3, 2)
		roomB := f.room(f.officerB, 6, 2)
		f.book(f.officerA, roomA.ID, "9787020002207", "红楼梦", "曹雪芹", 3)
		f.book(f.officerB, roomB.ID, "9787530212004", "平凡的世界", "路遥", 1)
		f.book(f.officerA, roomA.ID, "7-5063-8026-9", "活着", "余华", 1) // an ISBN-10, stored as its ISBN-13
		_, err := f.r.UpdateRoom(f.ctx, f.officerA, roomB.ID, reading.RoomInput{Name: "改名"})
		wantCode(t, err, errs.Forbidden, "")
		_, err = f.r.AddBook(f.ctx, f.officerA, reading.BookInput{ISBN: "9787020002207", Title: "红楼梦", RoomID: roomB.ID})
		wantCode(t, err, errs.Forbidden, "")
		_, err = f.r.CreateRoom(f.ctx, f.officerA, reading.RoomInput{OrgID: 6, Name: "别人的书屋"})
		wantCode(t, err, errs.Forbidden, "")
		got, total, err := f.r.Search(f.ctx, f.officerA, reading.SearchFilter{Q: "楼"})
		if err != nil || total != 1 || got[0].Title != "红楼梦" || got[0].Holdings[0].Copies != 3 {
			t.Fatalf("search 楼: %+v %d %v", got, total, err)
		}
		if got, _, _ := f.r.Search(f.ctx, f.officerA, reading.SearchFilter{Q: "路遥"}); len(got) != 0 {
			t.Fatalf("officer A sees branch B's books: %+v", got)
		}
		if got, _, _ := f.r.Search(f.ctx, f.root, reading.SearchFilter{Q: "路遥"}); len(got) != 1 {
			t.Fatalf("the root admin finds 路遥: %+v", got)
		}
		if got, _, _ := f.r.Search(f.ctx, f.officerA, reading.SearchFilter{Q: "9787506380263"}); len(got) != 1 || got[0].ISBN != "9787506380263" {
			t.Fatalf("ISBN-10 stored as ISBN-13: %+v", got)
		}
		// A member of branch A1 sees its room, not branch B1's.
		m := f.member(3, "/1/2/3/")
		rooms, err := f.r.ListRooms(f.ctx, m)
		if err != nil || len(rooms) != 1 || rooms[0].ID != roomA.ID || len(rooms[0].Honours) != 1 {
			t.Fatalf("member's rooms: %+v %v", rooms, err)
		}
		_, err = f.r.GetRoom(f.ctx, m, roomB.ID)
		wantCode(t, err, errs.Forbidden, "")
		// Bad input: field errors.
		_, err = f.r.CreateRoom(f.ctx, f.officerA, reading.RoomInput{OrgID: 3, Name: "", Kind: "shelf", LoanDays: 999})
		e, _ := errs.As(err)
		if e == nil || e.Fields["name"] == "" || e.Fields["kind"] == "" || e.Fields["loan_days"] == "" {
			t.Fatalf("bad room: %v", err)
		}
	})
}

// Reviews are public only once an officer of the member's organisation approves them; a rejection needs
// a reason, and a decided review is not decided again.
func TestReview_Moderation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFix(t, d)
		room := f.room(f.officerA, 3, 2)
		b := f.book(f.officerA, room.ID, "9787108009821", "乡土中国", "费孝通", 1)
		m := f.member(3, "/1/2/3/")
		r, err := f.r.WriteReview(f.ctx, m, reading.ReviewInput{BookID: b.ID, Body: "差序格局一章读来很有启发，值得反复读。"})
		if err != nil || r.Status != reading.ReviewPending {
			t.Fatalf("write: %+v %v", r, err)
		}
		_, err = f.r.WriteReview(f.ctx, f.officerA, reading.ReviewInput{BookID: b.ID, MemberID: m.MemberID, Body: "替别人写的读书心得不可以。"})
		wantCode(t, err, errs.Forbidden, "")
		public := func() int {
			list, err := f.r.ListReviews(f.ctx, f.member(4, "/1/2/4/"), reading.ReviewFilter{Status: reading.ReviewApproved})
			if err != nil {
				t.Fatal(err)
			}
			return len(list)
		}
		if public() != 0 {
			t.Fatal("a pending review is public")
		}
		_, err = f.r.Moderate(f.ctx, f.officerB, r.ID, reading.ModerationInput{Decision: "approve"})
		wantCode(t, err, errs.Forbidden, "")
		_, err = f.r.Moderate(f.ctx, f.officerA, r.ID, reading.ModerationInput{Decision: "reject"})
		wantCode(t, err, errs.Unprocessable, "reading.review.reject_reason")
		if _, err := f.r.Moderate(f.ctx, f.officerA, r.ID, reading.ModerationInput{Decision: "approve"}); err != nil {
			t.Fatal(err)
		}
		_, err = f.r.Moderate(f.ctx, f.adminA, r.ID, reading.ModerationInput{Decision: "reject", Note: "重复"})
		wantCode(t, err, errs.Conflict, "reading.review.already_moderated")
		if public() != 1 {
			t.Fatal("an approved review is not public")
		}
	})
}

func sheet(t *testing.T, rows ...[]any) []byte {
	t.Helper()
	x := excelize.NewFile()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if _, err := x.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Import: row-level errors; all or nothing unless skipping bad rows; the template reads back.
func TestImport_AllOrNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFix(t, d)
		room := f.room(f.officerA, 3, 2)
		data := sheet(t, []any{"ISBN", "书名", "作者", "出版社", "出版年份", "册数"},
			[]any{"9787020002207", "红楼梦", "曹雪芹", "人民文学出版社", 1982, 2},
			[]any{"9787020002208", "坏校验位", "", "", "", ""},
			[]any{"080442957X", "", "某作者", "", "", "3"},
			[]any{"9787020002207", "红楼梦", "", "", "", ""},
			[]any{"9787530212004", "平凡的世界", "路遥", "北京十月文艺出版社", "2012", "1"})
		res, err := f.r.ImportBooks(f.ctx, f.officerA, data, reading.ImportOptions{RoomID: room.ID})
		if err != nil {
			t.Fatal(err)
		}
		if res.Rows != 5 || res.Valid != 2 || res.Invalid != 3 || res.Imported != 0 || f.count("SELECT COUNT(*) FROM books") != 0 {
			t.Fatalf("all or nothing: %+v", res)
		}
		want := map[string]string{"3:isbn": "validate.isbn.checksum", "4:title": "validate.required", "5:isbn": "reading.import.isbn_repeated"}
		for _, e := range res.Errors {
			if want[fmt.Sprintf("%d:%s", e.Row, e.Field)] != e.Key {
				t.Errorf("unexpected row error %+v", e)
			}
		}
		if len(res.Errors) != 3 {
			t.Errorf("row errors %+v", res.Errors)
		}
		res, err = f.r.ImportBooks(f.ctx, f.officerA, data, reading.ImportOptions{RoomID: room.ID, SkipInvalid: true})
		if err != nil || res.Imported != 2 || res.Volumes != 3 || f.count("SELECT COUNT(*) FROM reading_copies") != 3 {
			t.Fatalf("skip invalid: %+v %v", res, err)
		}
		var tpl bytes.Buffer
		if err := reading.ImportTemplate(&tpl); err != nil {
			t.Fatal(err)
		}
		res, err = f.r.ImportBooks(f.ctx, f.officerA, tpl.Bytes(), reading.ImportOptions{RoomID: room.ID, DryRun: true})
		if err != nil || res.Rows != 1 || res.Valid != 1 {
			t.Fatalf("template example row: %+v %v", res, err)
		}
		_, err = f.r.ImportBooks(f.ctx, f.officerB, data, reading.ImportOptions{RoomID: room.ID})
		wantCode(t, err, errs.Forbidden, "")
		_, err = f.r.ImportBooks(f.ctx, f.officerA, []byte("not a workbook"), reading.ImportOptions{RoomID: room.ID})
		wantCode(t, err, errs.Unprocessable, "reading.import.file.not_xlsx")
	})
}

// Statistics count a subtree's rooms, volumes, loans, activities and participants by year and by the
// organisations below it.
func TestStats(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFix(t, d)
		room := f.room(f.officerA, 3, 2)
		b := f.book(f.officerA, room.ID, "9787020002207", "红楼梦", "曹雪芹", 4)
		m := f.member(3, "/1/2/3/")
		if _, err := f.r.Lend(f.ctx, f.officerA, reading.LoanInput{RoomID: room.ID, BookID: b.ID, MemberID: m.MemberID}); err != nil {
			t.Fatal(err)
		}
		e, err := f.r.CreateEvent(f.ctx, f.officerA, reading.EventInput{OrgID: 3, Kind: reading.Recitation, Title: "经典诵读", HeldOn: "2026-03-10", Capacity: 5})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.r.SignUp(f.ctx, m, e.ID, reading.SignupInput{}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.r.SetAttendance(f.ctx, f.officerA, e.ID, reading.AttendanceInput{Attended: []int64{m.MemberID}}); err != nil {
			t.Fatal(err)
		}
		st, err := f.r.Stats(f.ctx, f.root, 1, 2026)
		if err != nil {
			t.Fatal(err)
		}
		want := reading.Counts{Rooms: 1, Volumes: 4, Loans: 1, Activities: 1, Participants: 1, SignUps: 1}
		if st.Totals != want || len(st.ByYear) != 5 || st.ByYear[4].Counts != want || st.ByYear[3].Loans != 0 {
			t.Fatalf("stats %+v", st)
		}
		if len(st.ByOrg) != 1 || st.ByOrg[0].OrgID != 2 || st.ByOrg[0].Counts != want {
			t.Fatalf("by org %+v", st.ByOrg)
		}
		if _, err := f.r.Stats(f.ctx, f.officerB, 3, 2026); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("stats of another branch: %v", err)
		}
	})
}
