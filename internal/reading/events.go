package reading

import (
	"context"
	"fmt"
	"strconv"

	"github.com/dangjian/dangjian/internal/notify"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/files"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// EventKind is a kind of reading activity.
type EventKind string

const (
	WorldBookDay EventKind = "world_book_day" // 世界读书日（4·23）series, numbered 第N届
	Lecture      EventKind = "lecture"        // 名家讲座
	Salon        EventKind = "salon"          // 读书沙龙
	Recitation   EventKind = "recitation"     // 诵读
	OtherEvent   EventKind = "other"
)

// EventKinds lists the kinds in the order forms show them.
var EventKinds = []EventKind{WorldBookDay, Lecture, Salon, Recitation, OtherEvent}

// MaxCapacity bounds an activity's seats.
const MaxCapacity = 5000

// Event is a reading activity with its sign-up counts.
type Event struct {
	ID          int64        `json:"id"`
	OrgID       int64        `json:"org_id"`
	OrgName     string       `json:"org_name"`
	Kind        EventKind    `json:"kind"`
	Title       string       `json:"title"`
	Edition     int          `json:"edition,omitempty"` // 第N届 (World Book Day series)
	HeldOn      db.Date      `json:"held_on"`
	Place       string       `json:"place"`
	Speaker     string       `json:"speaker"`
	Capacity    int          `json:"capacity"`
	Description string       `json:"description"`
	Confirmed   int          `json:"confirmed"`
	Waiting     int          `json:"waiting"`
	Attended    int          `json:"attended"`
	Photos      []files.File `json:"photos,omitempty"`

	orgPath string
}

// Full reports whether every seat is taken.
func (e Event) Full() bool { return e.Confirmed >= e.Capacity }

// EventInput creates an activity. Edition 0 on a World Book Day activity is computed: the organiser's
// previous edition plus the years since, or 1 for the first.
type EventInput struct {
	OrgID       int64     `json:"org_id"`
	Kind        EventKind `json:"kind"`
	Title       string    `json:"title"`
	Edition     int       `json:"edition"`
	HeldOn      string    `json:"held_on"`
	Place       string    `json:"place"`
	Speaker     string    `json:"speaker"`
	Capacity    int       `json:"capacity"`
	Description string    `json:"description"`
}

// CreateEvent records an activity organised by an organisation in the caller's subtree.
func (s *Service) CreateEvent(ctx context.Context, p auth.Principal, in EventInput) (Event, error) {
	f := errs.Fields{}
	if in.OrgID == 0 {
		in.OrgID = p.OrgID
	}
	valid := false
	for _, k := range EventKinds {
		valid = valid || k == in.Kind
	}
	if !valid {
		f.Add("kind", "reading.event.kind.invalid")
	}
	text(f, "title", &in.Title, 2, 100)
	text(f, "place", &in.Place, 0, 100)
	text(f, "speaker", &in.Speaker, 0, 100)
	text(f, "description", &in.Description, 0, 2000)
	if in.HeldOn == "" {
		f.Add("held_on", validate.KeyRequired)
	}
	held := optDate(f, "held_on", in.HeldOn, db.Date{})
	if in.Capacity < 1 || in.Capacity > MaxCapacity {
		f.Add("capacity", "reading.event.capacity.range")
	}
	if in.Edition < 0 || in.Edition > 200 || (in.Edition != 0 && in.Kind != WorldBookDay) {
		f.Add("edition", "reading.event.edition.invalid")
	}
	if err := f.Err(); err != nil {
		return Event{}, err
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: in.OrgID}); err != nil {
		return Event{}, err
	}
	var id int64
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		id, err = s.CreateEventTx(tx, p.UserID, in, held)
		return err
	})
	if err != nil {
		return Event{}, err
	}
	return s.GetEvent(ctx, p, id)
}

// CreateEventTx inserts a checked activity inside tx, numbering a World Book Day edition when none is given.
func (s *Service) CreateEventTx(tx *db.Tx, userID int64, in EventInput, held db.Date) (int64, error) {
	if in.Kind == WorldBookDay && in.Edition == 0 {
		var prevEd int
		var prevOn db.Date
		err := tx.QueryRow(`SELECT edition, held_on FROM reading_events WHERE org_id = ? AND kind = 'world_book_day' AND edition > 0
			AND held_on < ? ORDER BY held_on DESC LIMIT 1`, in.OrgID, dateIn(held.Year(), 1, 1)).Scan(&prevEd, &prevOn)
		switch {
		case errs.Is(err, errs.NotFound):
			in.Edition = 1
		case err != nil:
			return 0, err
		default:
			in.Edition = prevEd + held.Year() - prevOn.Year()
		}
	}
	now := s.now()
	id, err := tx.Insert(`INSERT INTO reading_events(org_id, kind, title, edition, held_on, place, speaker, capacity, description,
		created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		in.OrgID, string(in.Kind), in.Title, in.Edition, held, in.Place, in.Speaker, in.Capacity, in.Description, userID, now, now)
	if err != nil {
		return 0, err
	}
	return id, s.trail.Append(tx, audit.Event{Action: "reading_event.create", ObjectType: "reading_event", ObjectID: id,
		After: in, Detail: "org=" + strconv.FormatInt(in.OrgID, 10)})
}

const eventCols = `e.id, e.org_id, o.name, o.path, e.kind, e.title, e.edition, e.held_on, e.place, e.speaker, e.capacity, e.description,
	(SELECT COUNT(*) FROM reading_signups g WHERE g.event_id = e.id AND g.status = 'confirmed'),
	(SELECT COUNT(*) FROM reading_signups g WHERE g.event_id = e.id AND g.status = 'waiting'),
	(SELECT COUNT(*) FROM reading_signups g WHERE g.event_id = e.id AND g.attended = TRUE)`

const eventFrom = " FROM reading_events e JOIN orgs o ON o.id = e.org_id"

func scanEvent(sc interface{ Scan(...any) error }) (Event, error) {
	var e Event
	err := sc.Scan(&e.ID, &e.OrgID, &e.OrgName, &e.orgPath, &e.Kind, &e.Title, &e.Edition, &e.HeldOn, &e.Place, &e.Speaker,
		&e.Capacity, &e.Description, &e.Confirmed, &e.Waiting, &e.Attended)
	return e, err
}

// GetEvent returns an activity the caller may see, with its photos.
func (s *Service) GetEvent(ctx context.Context, p auth.Principal, id int64) (Event, error) {
	e, err := s.loadEvent(ctx, id)
	if err != nil {
		return e, err
	}
	if err := s.canSee(ctx, p, e.OrgID, e.orgPath); err != nil {
		return Event{}, err
	}
	rows, err := s.db.Query(ctx, "SELECT file_id FROM reading_event_files WHERE event_id = ? ORDER BY file_id", id)
	if err != nil {
		return e, err
	}
	var ids []int64
	for rows.Next() {
		var fid int64
		if err := rows.Scan(&fid); err != nil {
			rows.Close()
			return e, err
		}
		ids = append(ids, fid)
	}
	rows.Close()
	for _, fid := range ids {
		f, err := s.files.Get(ctx, fid)
		if err != nil {
			return e, err
		}
		e.Photos = append(e.Photos, f)
	}
	return e, nil
}

func (s *Service) loadEvent(ctx context.Context, id int64) (Event, error) {
	e, err := scanEvent(s.db.QueryRow(ctx, "SELECT "+eventCols+eventFrom+" WHERE e.id = ?", id))
	if errs.Is(err, errs.NotFound) {
		return e, notFound()
	}
	return e, err
}

// CanManage reports whether p organises the activity (attendance, photos).
func (s *Service) CanManageEvent(ctx context.Context, p auth.Principal, e Event) bool {
	return p.Role.Can(auth.WriteBusiness) && s.auth.Within(ctx, p, e.OrgID)
}

// ListEvents lists the activities the caller may see: Year 0 for all, Upcoming for those from today on.
func (s *Service) ListEvents(ctx context.Context, p auth.Principal, year int, upcoming bool) ([]Event, error) {
	where, args := visibleSQL(p)
	order := " ORDER BY e.held_on DESC, e.id DESC"
	if year != 0 {
		where += " AND e.held_on >= ? AND e.held_on < ?"
		args = append(args, dateIn(year, 1, 1), dateIn(year+1, 1, 1))
	}
	if upcoming {
		where += " AND e.held_on >= ?"
		args = append(args, s.today())
		order = " ORDER BY e.held_on, e.id"
	}
	rows, err := s.db.Query(ctx, "SELECT "+eventCols+eventFrom+" WHERE "+where+order+" LIMIT 200", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// SignupStatus is where a sign-up stands.
type SignupStatus string

const (
	Confirmed SignupStatus = "confirmed"
	Waiting   SignupStatus = "waiting"
	Cancelled SignupStatus = "cancelled"
)

// Signup is one member's sign-up for an activity.
type Signup struct {
	EventID    int64        `json:"event_id"`
	MemberID   int64        `json:"member_id"`
	MemberName string       `json:"member_name"`
	Status     SignupStatus `json:"status"`
	Seat       int          `json:"seat,omitempty"`
	Position   int          `json:"position,omitempty"` // place on the waiting list, from 1
	Attended   bool         `json:"attended"`
}

// SignupInput names whose sign-up: MemberID defaults to the caller's own member record; an officer may
// sign up (or cancel for) a member of their subtree.
type SignupInput struct {
	MemberID int64 `json:"member_id"`
}

// signupTarget checks p may sign memberID up for e: the member themselves or an officer over them, and the
// activity offered to the member's organisation (its organiser is the member's organisation or above it).
func (s *Service) signupTarget(ctx context.Context, p auth.Principal, e Event, memberID int64) error {
	if memberID == 0 {
		return fieldErr("member_id", "reading.signup.no_member")
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteSelf, auth.Target{MemberID: memberID}); err != nil {
		return err
	}
	var path string
	if err := s.db.QueryRow(ctx, "SELECT o.path FROM members m JOIN orgs o ON o.id = m.org_id WHERE m.id = ?", memberID).Scan(&path); err != nil {
		return err
	}
	if len(path) < len(e.orgPath) || path[:len(e.orgPath)] != e.orgPath {
		return fieldErr("member_id", "reading.signup.not_offered")
	}
	return nil
}

// SignUp gives the member the lowest free seat, or a place on the waiting list when every seat is taken.
// Seats are unique per event in the database (reading_signups_seat) and handed out in one write
// transaction, so concurrent sign-ups never overbook. Signing up twice is a 409.
func (s *Service) SignUp(ctx context.Context, p auth.Principal, eventID int64, in SignupInput) (Signup, error) {
	e, err := s.GetEvent(ctx, p, eventID)
	if err != nil {
		return Signup{}, err
	}
	if in.MemberID == 0 {
		in.MemberID = p.MemberID
	}
	if err := s.signupTarget(ctx, p, e, in.MemberID); err != nil {
		return Signup{}, err
	}
	if e.HeldOn.Before(s.today().Time) {
		return Signup{}, conflict("reading.signup.past")
	}
	err = retryRace(func() error {
		return s.db.Write(ctx, func(tx *db.Tx) error {
			var status string
			err := tx.QueryRow("SELECT status FROM reading_signups WHERE event_id = ? AND member_id = ?", eventID, in.MemberID).Scan(&status)
			exists := err == nil
			switch {
			case err != nil && !errs.Is(err, errs.NotFound):
				return err
			case exists && status != string(Cancelled):
				return conflict("reading.signup.exists")
			}
			seat, err := freeSeat(tx, eventID)
			if err != nil {
				return err
			}
			st, seatArg := Waiting, any(nil)
			if seat > 0 {
				st, seatArg = Confirmed, seat
			}
			now := s.now()
			if exists {
				_, err = tx.Exec("UPDATE reading_signups SET status = ?, seat = ?, attended = FALSE, signed_at = ?, updated_at = ? WHERE event_id = ? AND member_id = ?",
					string(st), seatArg, now, now, eventID, in.MemberID)
			} else {
				_, err = tx.Exec(`INSERT INTO reading_signups(event_id, member_id, status, seat, signed_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
					eventID, in.MemberID, string(st), seatArg, now, now)
			}
			if errs.Is(err, errs.Conflict) {
				return errRace // another instance took the seat, or signed the member up, first
			}
			if err != nil {
				return err
			}
			return s.trail.Append(tx, audit.Event{Action: "reading_event.signup", ObjectType: "reading_event", ObjectID: eventID,
				After: map[string]any{"member_id": in.MemberID, "status": st, "seat": seat}})
		})
	}, conflict("reading.signup.busy"))
	if err != nil {
		return Signup{}, err
	}
	return s.signup(ctx, eventID, in.MemberID)
}

// freeSeat is the lowest seat of the event no confirmed sign-up holds, or 0 when all are taken.
func freeSeat(tx *db.Tx, eventID int64) (int, error) {
	var capacity int
	if err := tx.QueryRow("SELECT capacity FROM reading_events WHERE id = ?", eventID).Scan(&capacity); err != nil {
		return 0, err
	}
	rows, err := tx.Query("SELECT seat FROM reading_signups WHERE event_id = ? AND seat IS NOT NULL ORDER BY seat", eventID)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	next := 1
	for rows.Next() {
		var seat int
		if err := rows.Scan(&seat); err != nil {
			return 0, err
		}
		if seat != next {
			break
		}
		next++
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if next > capacity {
		return 0, nil
	}
	return next, nil
}

// Cancel withdraws a sign-up. A freed seat goes at once to the first on the waiting list, who is told so.
func (s *Service) Cancel(ctx context.Context, p auth.Principal, eventID int64, in SignupInput) (Signup, error) {
	e, err := s.GetEvent(ctx, p, eventID)
	if err != nil {
		return Signup{}, err
	}
	if in.MemberID == 0 {
		in.MemberID = p.MemberID
	}
	if in.MemberID == 0 {
		return Signup{}, fieldErr("member_id", "reading.signup.no_member")
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteSelf, auth.Target{MemberID: in.MemberID}); err != nil {
		return Signup{}, err
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		var status string
		var seat *int64
		err := tx.QueryRow("SELECT status, seat FROM reading_signups WHERE event_id = ? AND member_id = ?", eventID, in.MemberID).Scan(&status, &seat)
		if errs.Is(err, errs.NotFound) || (err == nil && status == string(Cancelled)) {
			return conflict("reading.signup.none")
		}
		if err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.Exec("UPDATE reading_signups SET status = 'cancelled', seat = NULL, updated_at = ? WHERE event_id = ? AND member_id = ?",
			now, eventID, in.MemberID); err != nil {
			return err
		}
		if err := s.trail.Append(tx, audit.Event{Action: "reading_event.cancel", ObjectType: "reading_event", ObjectID: eventID,
			Before: map[string]any{"member_id": in.MemberID, "status": status}}); err != nil {
			return err
		}
		if seat == nil {
			return nil
		}
		return s.promote(tx, e, int(*seat))
	})
	if err != nil {
		return Signup{}, err
	}
	return s.signup(ctx, eventID, in.MemberID)
}

// promote gives a freed seat to the first member on the waiting list (in the order they signed up).
func (s *Service) promote(tx *db.Tx, e Event, seat int) error {
	var member int64
	err := tx.QueryRow(`SELECT member_id FROM reading_signups WHERE event_id = ? AND status = 'waiting' ORDER BY signed_at, member_id LIMIT 1`, e.ID).Scan(&member)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := tx.Exec("UPDATE reading_signups SET status = 'confirmed', seat = ?, updated_at = ? WHERE event_id = ? AND member_id = ?",
		seat, s.now(), e.ID, member); err != nil {
		return err
	}
	if err := s.trail.Append(tx, audit.Event{Action: "reading_event.promote", ObjectType: "reading_event", ObjectID: e.ID,
		Before: map[string]any{"member_id": member, "status": Waiting}, After: map[string]any{"status": Confirmed, "seat": seat}}); err != nil {
		return err
	}
	_, err = s.notify.ToMember(tx, member, notify.Note{Kind: "reading.promoted", Message: "reading.notify.promoted",
		Params: map[string]any{"Title": e.Title, "Date": e.HeldOn.String()}, Link: fmt.Sprintf("/reading/events/%d", e.ID),
		Key: fmt.Sprintf("reading.promoted:%d:%d:%d", e.ID, member, s.now())})
	return err
}

func (s *Service) signup(ctx context.Context, eventID, memberID int64) (Signup, error) {
	var g Signup
	var seat *int64
	var signed int64
	err := s.db.QueryRow(ctx, `SELECT g.event_id, g.member_id, m.name, g.status, g.seat, g.attended, g.signed_at FROM reading_signups g
		JOIN members m ON m.id = g.member_id WHERE g.event_id = ? AND g.member_id = ?`, eventID, memberID).
		Scan(&g.EventID, &g.MemberID, &g.MemberName, &g.Status, &seat, &g.Attended, &signed)
	if err != nil {
		return g, err
	}
	if seat != nil {
		g.Seat = int(*seat)
	}
	if g.Status == Waiting {
		if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM reading_signups WHERE event_id = ? AND status = 'waiting'
			AND (signed_at < ? OR (signed_at = ? AND member_id <= ?))`, eventID, signed, signed, memberID).Scan(&g.Position); err != nil {
			return g, err
		}
	}
	return g, nil
}

// MySignup returns the caller's own sign-up for an activity, if any.
func (s *Service) MySignup(ctx context.Context, p auth.Principal, eventID int64) (Signup, bool) {
	if p.MemberID == 0 {
		return Signup{}, false
	}
	g, err := s.signup(ctx, eventID, p.MemberID)
	if err != nil || g.Status == Cancelled {
		return Signup{}, false
	}
	return g, true
}

// Signups lists an activity's sign-ups for its organisers: confirmed by seat, then the waiting list.
func (s *Service) Signups(ctx context.Context, p auth.Principal, eventID int64) ([]Signup, error) {
	e, err := s.loadEvent(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: e.OrgID}); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT g.event_id, g.member_id, m.name, g.status, COALESCE(g.seat, 0), g.attended FROM reading_signups g
		JOIN members m ON m.id = g.member_id WHERE g.event_id = ? AND g.status <> 'cancelled'
		ORDER BY CASE g.status WHEN 'confirmed' THEN 0 ELSE 1 END, g.seat, g.signed_at, g.member_id`, eventID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Signup{}
	pos := 0
	for rows.Next() {
		var g Signup
		if err := rows.Scan(&g.EventID, &g.MemberID, &g.MemberName, &g.Status, &g.Seat, &g.Attended); err != nil {
			return nil, err
		}
		if g.Status == Waiting {
			pos++
			g.Position = pos
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// MySignups lists the caller's own current sign-ups with their activities.
func (s *Service) MySignups(ctx context.Context, p auth.Principal) ([]Event, map[int64]Signup, error) {
	out, mine := []Event{}, map[int64]Signup{}
	if p.MemberID == 0 {
		return out, mine, nil
	}
	if err := s.auth.Authorize(ctx, p, auth.ReadSelf, auth.Target{MemberID: p.MemberID}); err != nil {
		return nil, nil, err
	}
	rows, err := s.db.Query(ctx, "SELECT "+eventCols+eventFrom+` JOIN reading_signups s2 ON s2.event_id = e.id
		WHERE s2.member_id = ? AND s2.status <> 'cancelled' ORDER BY e.held_on DESC LIMIT 100`, p.MemberID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows.Close()
	for _, e := range out {
		if g, ok := s.MySignup(ctx, p, e.ID); ok {
			mine[e.ID] = g
		}
	}
	return out, mine, nil
}

// AttendanceInput marks who came: the members listed attended, every other confirmed sign-up did not.
type AttendanceInput struct {
	Attended []int64 `json:"attended"`
}

// SetAttendance records attendance, by the organisers, on or after the day. Only confirmed sign-ups can
// have attended.
func (s *Service) SetAttendance(ctx context.Context, p auth.Principal, eventID int64, in AttendanceInput) (Event, error) {
	e, err := s.loadEvent(ctx, eventID)
	if err != nil {
		return e, err
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: e.OrgID}); err != nil {
		return Event{}, err
	}
	if e.HeldOn.After(s.today().Time) {
		return Event{}, conflict("reading.attendance.before_event")
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		confirmed := map[int64]bool{}
		rows, err := tx.Query("SELECT member_id FROM reading_signups WHERE event_id = ? AND status = 'confirmed'", eventID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var m int64
			if err := rows.Scan(&m); err != nil {
				rows.Close()
				return err
			}
			confirmed[m] = true
		}
		rows.Close()
		for _, m := range in.Attended {
			if !confirmed[m] {
				return fieldErr("attended", "reading.attendance.not_confirmed")
			}
		}
		if _, err := tx.Exec("UPDATE reading_signups SET attended = FALSE, updated_at = ? WHERE event_id = ?", s.now(), eventID); err != nil {
			return err
		}
		for _, m := range in.Attended {
			if _, err := tx.Exec("UPDATE reading_signups SET attended = TRUE WHERE event_id = ? AND member_id = ?", eventID, m); err != nil {
				return err
			}
		}
		return s.trail.Append(tx, audit.Event{Action: "reading_event.attendance", ObjectType: "reading_event", ObjectID: eventID,
			After: map[string]any{"attended": in.Attended}, Detail: fmt.Sprintf("%d attended", len(in.Attended))})
	})
	if err != nil {
		return Event{}, err
	}
	return s.GetEvent(ctx, p, eventID)
}

// AddPhoto stores a photo of the activity (JPEG, PNG or WebP) and links it, in one transaction.
func (s *Service) AddPhoto(ctx context.Context, p auth.Principal, eventID int64, name string, data []byte) (Event, error) {
	e, err := s.loadEvent(ctx, eventID)
	if err != nil {
		return e, err
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: e.OrgID}); err != nil {
		return Event{}, err
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		f, err := s.files.PutTx(tx, e.OrgID, p.UserID, name, data, "photo")
		if err != nil {
			return err
		}
		return s.linkPhoto(tx, e, f)
	})
	if err != nil {
		return Event{}, err
	}
	return s.GetEvent(ctx, p, eventID)
}

// LinkPhoto links a file uploaded beforehand (POST /api/v1/files). It must be a picture of an organisation
// inside the activity's organiser's subtree.
func (s *Service) LinkPhoto(ctx context.Context, p auth.Principal, eventID, fileID int64) (Event, error) {
	e, err := s.loadEvent(ctx, eventID)
	if err != nil {
		return e, err
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: e.OrgID}); err != nil {
		return Event{}, err
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		f, err := s.files.GetTx(tx, fileID)
		if errs.Is(err, errs.NotFound) {
			return fieldErr("file_id", "reading.photo.unknown")
		}
		if err != nil {
			return err
		}
		var path string
		if err := tx.QueryRow("SELECT path FROM orgs WHERE id = ?", f.OrgID).Scan(&path); err != nil {
			return err
		}
		if len(path) < len(e.orgPath) || path[:len(e.orgPath)] != e.orgPath {
			return fieldErr("file_id", "reading.photo.out_of_scope")
		}
		return s.linkPhoto(tx, e, f)
	})
	if err != nil {
		return Event{}, err
	}
	return s.GetEvent(ctx, p, eventID)
}

func (s *Service) linkPhoto(tx *db.Tx, e Event, f files.File) error {
	if !f.Image() {
		return fieldErr("photo", "reading.photo.not_image")
	}
	if _, err := tx.Exec("INSERT INTO reading_event_files(event_id, file_id) VALUES (?, ?) ON CONFLICT DO NOTHING", e.ID, f.ID); err != nil {
		return err
	}
	return s.trail.Append(tx, audit.Event{Action: "reading_event.photo", ObjectType: "reading_event", ObjectID: e.ID,
		After: map[string]any{"file_id": f.ID}})
}
