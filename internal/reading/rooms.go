package reading

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// RoomKind is a reading room (书屋) or a book cabinet (书橱).
type RoomKind string

const (
	Room    RoomKind = "room"
	Cabinet RoomKind = "cabinet"
)

// RoomKinds lists the kinds in the order forms show them.
var RoomKinds = []RoomKind{Room, Cabinet}

// HonourLevel is the level of the body that awarded an honour.
type HonourLevel string

const (
	City       HonourLevel = "city"       // 市级
	Provincial HonourLevel = "provincial" // 省级
	National   HonourLevel = "national"   // 全国
)

// HonourLevels lists the levels, lowest first.
var HonourLevels = []HonourLevel{City, Provincial, National}

// Limits of a room's loan rules.
const (
	DefaultLoanDays    = 30
	DefaultMaxRenewals = 2
	MaxLoanDays        = 180
	MaxRenewalsLimit   = 10
)

// Honour is one title a room holds, e.g. 全国"职工书屋"示范点 (2023).
type Honour struct {
	Title string      `json:"title"`
	Level HonourLevel `json:"level"`
	Year  int         `json:"year"`
}

// ReadingRoom is a room or cabinet with its counts.
type ReadingRoom struct {
	ID           int64    `json:"id"`
	OrgID        int64    `json:"org_id"`
	OrgName      string   `json:"org_name"`
	Name         string   `json:"name"`
	Kind         RoomKind `json:"kind"`
	Location     string   `json:"location"`
	OpeningHours string   `json:"opening_hours"`
	LoanDays     int      `json:"loan_days"`
	MaxRenewals  int      `json:"max_renewals"`
	Honours      []Honour `json:"honours"`
	Titles       int      `json:"titles"`
	Volumes      int      `json:"volumes"`
	OnLoan       int      `json:"on_loan"`

	orgPath string
}

// RoomInput creates or edits a room. LoanDays and MaxRenewals default to 30 days and 2 renewals.
type RoomInput struct {
	OrgID        int64    `json:"org_id"`
	Name         string   `json:"name"`
	Kind         RoomKind `json:"kind"`
	Location     string   `json:"location"`
	OpeningHours string   `json:"opening_hours"`
	LoanDays     int      `json:"loan_days"`
	MaxRenewals  *int     `json:"max_renewals"`
	Honours      []Honour `json:"honours"`
}

func (s *Service) checkRoom(in *RoomInput) errs.Fields {
	f := errs.Fields{}
	if in.OrgID <= 0 {
		f.Add("org_id", validate.KeyRequired)
	}
	text(f, "name", &in.Name, 2, 100)
	text(f, "location", &in.Location, 0, 200)
	text(f, "opening_hours", &in.OpeningHours, 0, 100)
	if in.Kind == "" {
		in.Kind = Room
	}
	if in.Kind != Room && in.Kind != Cabinet {
		f.Add("kind", "reading.room.kind.invalid")
	}
	if in.LoanDays == 0 {
		in.LoanDays = DefaultLoanDays
	}
	if in.LoanDays < 1 || in.LoanDays > MaxLoanDays {
		f.Add("loan_days", "reading.room.loan_days.range")
	}
	if in.MaxRenewals == nil {
		n := DefaultMaxRenewals
		in.MaxRenewals = &n
	}
	if *in.MaxRenewals < 0 || *in.MaxRenewals > MaxRenewalsLimit {
		f.Add("max_renewals", "reading.room.max_renewals.range")
	}
	year := s.clock.Now().Year()
	for i := range in.Honours {
		h := &in.Honours[i]
		text(f, "honours", &h.Title, 2, 100)
		if h.Level != City && h.Level != Provincial && h.Level != National {
			f.Add("honours", "reading.honour.level.invalid")
		}
		if h.Year < 1990 || h.Year > year {
			f.Add("honours", "reading.honour.year.range")
		}
	}
	if len(in.Honours) > 20 {
		f.Add("honours", "reading.honour.too_many")
	}
	return f
}

// CreateRoom sets up a reading room or cabinet of an organisation in the caller's subtree.
func (s *Service) CreateRoom(ctx context.Context, p auth.Principal, in RoomInput) (ReadingRoom, error) {
	f := s.checkRoom(&in)
	if err := f.Err(); err != nil {
		return ReadingRoom{}, err
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: in.OrgID}); err != nil {
		return ReadingRoom{}, err
	}
	var id int64
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		id, err = s.CreateRoomTx(tx, p.UserID, in)
		return err
	})
	if err != nil {
		return ReadingRoom{}, err
	}
	return s.GetRoom(ctx, p, id)
}

// CreateRoomTx inserts a checked room inside tx, audited (the demo loader uses it directly).
func (s *Service) CreateRoomTx(tx *db.Tx, userID int64, in RoomInput) (int64, error) {
	if in.MaxRenewals == nil {
		n := DefaultMaxRenewals
		in.MaxRenewals = &n
	}
	if in.LoanDays == 0 {
		in.LoanDays = DefaultLoanDays
	}
	now := s.now()
	id, err := tx.Insert(`INSERT INTO reading_rooms(org_id, name, kind, location, opening_hours, loan_days, max_renewals, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, in.OrgID, in.Name, string(in.Kind), in.Location, in.OpeningHours, in.LoanDays, *in.MaxRenewals, now, now)
	if err != nil {
		return 0, err
	}
	if err := s.putHonours(tx, id, in.Honours); err != nil {
		return 0, err
	}
	return id, s.trail.Append(tx, audit.Event{Action: "reading_room.create", ObjectType: "reading_room", ObjectID: id,
		After: in, Detail: "org=" + strconv.FormatInt(in.OrgID, 10)})
}

func (s *Service) putHonours(tx *db.Tx, roomID int64, hs []Honour) error {
	if _, err := tx.Exec("DELETE FROM reading_room_honours WHERE room_id = ?", roomID); err != nil {
		return err
	}
	for _, h := range hs {
		if _, err := tx.Exec("INSERT INTO reading_room_honours(room_id, title, level, year) VALUES (?, ?, ?, ?)",
			roomID, h.Title, string(h.Level), h.Year); err != nil {
			return err
		}
	}
	return nil
}

// UpdateRoom edits a room. The room's organisation and the new one must both lie in the caller's subtree.
func (s *Service) UpdateRoom(ctx context.Context, p auth.Principal, id int64, in RoomInput) (ReadingRoom, error) {
	old, err := s.loadRoom(ctx, id)
	if err != nil {
		return ReadingRoom{}, err
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: old.OrgID}); err != nil {
		return ReadingRoom{}, err
	}
	if in.OrgID == 0 {
		in.OrgID = old.OrgID
	}
	f := s.checkRoom(&in)
	if err := f.Err(); err != nil {
		return ReadingRoom{}, err
	}
	if in.OrgID != old.OrgID {
		if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: in.OrgID}); err != nil {
			return ReadingRoom{}, err
		}
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(`UPDATE reading_rooms SET org_id = ?, name = ?, kind = ?, location = ?, opening_hours = ?, loan_days = ?,
			max_renewals = ?, updated_at = ? WHERE id = ?`, in.OrgID, in.Name, string(in.Kind), in.Location, in.OpeningHours,
			in.LoanDays, *in.MaxRenewals, s.now(), id); err != nil {
			return err
		}
		if err := s.putHonours(tx, id, in.Honours); err != nil {
			return err
		}
		return s.trail.Append(tx, audit.Event{Action: "reading_room.update", ObjectType: "reading_room", ObjectID: id,
			Before: old, After: in})
	})
	if err != nil {
		return ReadingRoom{}, err
	}
	return s.GetRoom(ctx, p, id)
}

const roomCols = `r.id, r.org_id, o.name, o.path, r.name, r.kind, r.location, r.opening_hours, r.loan_days, r.max_renewals,
	(SELECT COUNT(DISTINCT c.book_id) FROM reading_copies c WHERE c.room_id = r.id),
	(SELECT COUNT(*) FROM reading_copies c WHERE c.room_id = r.id),
	(SELECT COUNT(*) FROM reading_loans l WHERE l.room_id = r.id AND l.returned_on IS NULL)`

const roomFrom = " FROM reading_rooms r JOIN orgs o ON o.id = r.org_id"

func scanRoom(sc interface{ Scan(...any) error }) (ReadingRoom, error) {
	var r ReadingRoom
	err := sc.Scan(&r.ID, &r.OrgID, &r.OrgName, &r.orgPath, &r.Name, &r.Kind, &r.Location, &r.OpeningHours, &r.LoanDays,
		&r.MaxRenewals, &r.Titles, &r.Volumes, &r.OnLoan)
	r.Honours = []Honour{}
	return r, err
}

func (s *Service) loadRoom(ctx context.Context, id int64) (ReadingRoom, error) {
	r, err := scanRoom(s.db.QueryRow(ctx, "SELECT "+roomCols+roomFrom+" WHERE r.id = ?", id))
	if errs.Is(err, errs.NotFound) {
		return r, notFound()
	}
	if err != nil {
		return r, err
	}
	rows, err := s.db.Query(ctx, "SELECT title, level, year FROM reading_room_honours WHERE room_id = ? ORDER BY year DESC, id", id)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	for rows.Next() {
		var h Honour
		if err := rows.Scan(&h.Title, &h.Level, &h.Year); err != nil {
			return r, err
		}
		r.Honours = append(r.Honours, h)
	}
	return r, rows.Err()
}

// GetRoom returns a room the caller may see.
func (s *Service) GetRoom(ctx context.Context, p auth.Principal, id int64) (ReadingRoom, error) {
	r, err := s.loadRoom(ctx, id)
	if err != nil {
		return r, err
	}
	if err := s.canSee(ctx, p, r.OrgID, r.orgPath); err != nil {
		return ReadingRoom{}, err
	}
	return r, nil
}

// CanManage reports whether p may lend from and edit the room (for pages; the services check again).
func (s *Service) CanManage(ctx context.Context, p auth.Principal, r ReadingRoom) bool {
	return p.Role.Can(auth.WriteBusiness) && s.auth.Within(ctx, p, r.OrgID)
}

// ListRooms lists the rooms the caller may see, by organisation.
func (s *Service) ListRooms(ctx context.Context, p auth.Principal) ([]ReadingRoom, error) {
	where, args := visibleSQL(p)
	rows, err := s.db.Query(ctx, "SELECT "+roomCols+roomFrom+" WHERE "+where+" ORDER BY o.path, r.id LIMIT 500", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ReadingRoom{}
	for rows.Next() {
		r, err := scanRoom(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	honours, err := s.honoursOf(ctx)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if h, ok := honours[out[i].ID]; ok {
			out[i].Honours = h
		}
	}
	return out, nil
}

func (s *Service) honoursOf(ctx context.Context) (map[int64][]Honour, error) {
	rows, err := s.db.Query(ctx, "SELECT room_id, title, level, year FROM reading_room_honours ORDER BY year DESC, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]Honour{}
	for rows.Next() {
		var id int64
		var h Honour
		if err := rows.Scan(&id, &h.Title, &h.Level, &h.Year); err != nil {
			return nil, err
		}
		out[id] = append(out[id], h)
	}
	return out, rows.Err()
}

// Book is a catalogue entry; Holdings are the copies in the rooms the caller may see.
type Book struct {
	ID        int64     `json:"id"`
	ISBN      string    `json:"isbn"`
	Title     string    `json:"title"`
	Author    string    `json:"author"`
	Publisher string    `json:"publisher"`
	Year      int       `json:"year"`
	Holdings  []Holding `json:"holdings,omitempty"`
}

// Holding is how many copies of a book one room holds and how many are on the shelf.
type Holding struct {
	RoomID    int64  `json:"room_id"`
	RoomName  string `json:"room_name"`
	Copies    int    `json:"copies"`
	Available int    `json:"available"`
}

// BookInput adds a title to the catalogue (or finds it by ISBN) and copies of it to a room.
type BookInput struct {
	ISBN      string `json:"isbn"`
	Title     string `json:"title"`
	Author    string `json:"author"`
	Publisher string `json:"publisher"`
	Year      int    `json:"year"`
	RoomID    int64  `json:"room_id"`
	Copies    int    `json:"copies"`
}

// MaxCopies is the most copies added in one go.
const MaxCopies = 500

func (s *Service) checkBook(in *BookInput) errs.Fields {
	f := errs.Fields{}
	if isbn, err := validate.ISBN(in.ISBN); err != nil {
		f.Add("isbn", keyOf(err))
	} else {
		in.ISBN = isbn
	}
	text(f, "title", &in.Title, 1, 200)
	text(f, "author", &in.Author, 0, 100)
	text(f, "publisher", &in.Publisher, 0, 100)
	if in.Year != 0 && (in.Year < 1450 || in.Year > s.clock.Now().Year()+1) {
		f.Add("year", "reading.book.year.range")
	}
	if in.RoomID <= 0 {
		f.Add("room_id", validate.KeyRequired)
	}
	if in.Copies == 0 {
		in.Copies = 1
	}
	if in.Copies < 1 || in.Copies > MaxCopies {
		f.Add("copies", "reading.book.copies.range")
	}
	return f
}

// AddBook catalogues a book and adds copies to a room whose organisation lies in the caller's subtree. A
// book already catalogued under the ISBN keeps its record; only copies are added.
func (s *Service) AddBook(ctx context.Context, p auth.Principal, in BookInput) (Book, error) {
	f := s.checkBook(&in)
	if err := f.Err(); err != nil {
		return Book{}, err
	}
	room, err := s.loadRoom(ctx, in.RoomID)
	if errs.Is(err, errs.NotFound) {
		return Book{}, fieldErr("room_id", "reading.room.unknown")
	}
	if err != nil {
		return Book{}, err
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: room.OrgID}); err != nil {
		return Book{}, err
	}
	var id int64
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		id, err = s.AddBookTx(tx, in)
		return err
	})
	if err != nil {
		return Book{}, err
	}
	return s.GetBook(ctx, p, id)
}

// AddBookTx adds a checked book and its copies inside tx, audited.
func (s *Service) AddBookTx(tx *db.Tx, in BookInput) (int64, error) {
	now := s.now()
	var id int64
	err := tx.QueryRow("SELECT id FROM books WHERE isbn = ?", in.ISBN).Scan(&id)
	switch {
	case errs.Is(err, errs.NotFound):
		id, err = tx.Insert(`INSERT INTO books(isbn, title, author, publisher, published_year, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			in.ISBN, in.Title, in.Author, in.Publisher, in.Year, now)
		if err != nil {
			return 0, err
		}
		if err := s.trail.Append(tx, audit.Event{Action: "book.create", ObjectType: "book", ObjectID: id,
			After: map[string]any{"isbn": in.ISBN, "title": in.Title, "author": in.Author}}); err != nil {
			return 0, err
		}
	case err != nil:
		return 0, err
	}
	var last int
	if err := tx.QueryRow("SELECT COALESCE(MAX(copy_no), 0) FROM reading_copies WHERE room_id = ? AND book_id = ?", in.RoomID, id).Scan(&last); err != nil {
		return 0, err
	}
	for i := 1; i <= in.Copies; i++ {
		if _, err := tx.Exec("INSERT INTO reading_copies(room_id, book_id, copy_no, created_at) VALUES (?, ?, ?, ?)",
			in.RoomID, id, last+i, now); err != nil {
			return 0, err
		}
	}
	return id, s.trail.Append(tx, audit.Event{Action: "reading_room.copies", ObjectType: "reading_room", ObjectID: in.RoomID,
		After: map[string]any{"book_id": id, "isbn": in.ISBN, "copies": in.Copies}, Detail: fmt.Sprintf("book=%d copies=%d", id, in.Copies)})
}

// GetBook returns a catalogue entry with its holdings in the rooms the caller may see.
func (s *Service) GetBook(ctx context.Context, p auth.Principal, id int64) (Book, error) {
	var b Book
	err := s.db.QueryRow(ctx, "SELECT id, isbn, title, author, publisher, published_year FROM books WHERE id = ?", id).
		Scan(&b.ID, &b.ISBN, &b.Title, &b.Author, &b.Publisher, &b.Year)
	if errs.Is(err, errs.NotFound) {
		return b, notFound()
	}
	if err != nil {
		return b, err
	}
	hs, err := s.holdings(ctx, p, []int64{id}, 0)
	if err != nil {
		return b, err
	}
	b.Holdings = hs[id]
	if len(b.Holdings) == 0 && !p.Role.Can(auth.ReadBusiness) && !p.Role.Can(auth.ReadSelf) {
		return Book{}, s.auth.Authorize(ctx, p, auth.ReadSelf, auth.Target{})
	}
	return b, nil
}

// holdings returns, per book, the copies in the visible rooms (only roomID when it is set).
func (s *Service) holdings(ctx context.Context, p auth.Principal, bookIDs []int64, roomID int64) (map[int64][]Holding, error) {
	out := map[int64][]Holding{}
	if len(bookIDs) == 0 {
		return out, nil
	}
	where, args := visibleSQL(p)
	ph := strings.TrimSuffix(strings.Repeat("?,", len(bookIDs)), ",")
	for _, id := range bookIDs {
		args = append(args, id)
	}
	q := `SELECT c.book_id, r.id, r.name, COUNT(*),
		SUM(CASE WHEN EXISTS (SELECT 1 FROM reading_loans l WHERE l.copy_id = c.id AND l.returned_on IS NULL) THEN 0 ELSE 1 END)
		FROM reading_copies c JOIN reading_rooms r ON r.id = c.room_id JOIN orgs o ON o.id = r.org_id
		WHERE ` + where + ` AND c.book_id IN (` + ph + `)`
	if roomID != 0 {
		q += " AND r.id = ?"
		args = append(args, roomID)
	}
	rows, err := s.db.Query(ctx, q+" GROUP BY c.book_id, r.id, r.name ORDER BY r.id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var book int64
		var h Holding
		if err := rows.Scan(&book, &h.RoomID, &h.RoomName, &h.Copies, &h.Available); err != nil {
			return nil, err
		}
		out[book] = append(out[book], h)
	}
	return out, rows.Err()
}

// SearchFilter selects books: a title or author substring (Chinese or Latin, case-insensitive for Latin
// letters), and optionally one room.
type SearchFilter struct {
	Q      string
	RoomID int64
	Limit  int
}

// Search finds books held in the rooms the caller may see, by title or author substring.
func (s *Service) Search(ctx context.Context, p auth.Principal, f SearchFilter) ([]Book, int, error) {
	f.Q = strings.TrimSpace(f.Q)
	if err := validate.Length(f.Q, 0, 50); err != nil {
		return nil, 0, fieldErr("q", keyOf(err))
	}
	if f.RoomID != 0 {
		if _, err := s.GetRoom(ctx, p, f.RoomID); err != nil {
			return nil, 0, err
		}
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	where, args := visibleSQL(p)
	q := ` FROM books b WHERE EXISTS (SELECT 1 FROM reading_copies c JOIN reading_rooms r ON r.id = c.room_id
		JOIN orgs o ON o.id = r.org_id WHERE c.book_id = b.id AND ` + where
	if f.RoomID != 0 {
		q += " AND r.id = ?"
		args = append(args, f.RoomID)
	}
	q += ")"
	if f.Q != "" {
		q += ` AND (LOWER(b.title) LIKE ? ESCAPE '\' OR LOWER(b.author) LIKE ? ESCAPE '\' OR b.isbn = ?)`
		isbn, _ := validate.ISBN(f.Q)
		args = append(args, likeArg(f.Q), likeArg(f.Q), isbn)
	}
	var total int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*)"+q, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.Query(ctx, "SELECT b.id, b.isbn, b.title, b.author, b.publisher, b.published_year"+q+
		" ORDER BY b.title, b.id LIMIT "+strconv.Itoa(f.Limit), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Book{}
	var ids []int64
	for rows.Next() {
		var b Book
		if err := rows.Scan(&b.ID, &b.ISBN, &b.Title, &b.Author, &b.Publisher, &b.Year); err != nil {
			return nil, 0, err
		}
		out = append(out, b)
		ids = append(ids, b.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	hs, err := s.holdings(ctx, p, ids, f.RoomID)
	if err != nil {
		return nil, 0, err
	}
	for i := range out {
		out[i].Holdings = hs[out[i].ID]
	}
	return out, total, nil
}
