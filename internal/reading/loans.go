package reading

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/dangjian/dangjian/internal/notify"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// Loan is a copy lent to a member.
type Loan struct {
	ID          int64   `json:"id"`
	CopyID      int64   `json:"copy_id"`
	CopyNo      int     `json:"copy_no"`
	RoomID      int64   `json:"room_id"`
	RoomName    string  `json:"room_name"`
	BookID      int64   `json:"book_id"`
	ISBN        string  `json:"isbn"`
	Title       string  `json:"title"`
	Author      string  `json:"author"`
	MemberID    int64   `json:"member_id"`
	MemberName  string  `json:"member_name"`
	LentOn      db.Date `json:"lent_on"`
	DueOn       db.Date `json:"due_on"`
	ReturnedOn  db.Date `json:"returned_on"`
	Renewals    int     `json:"renewals"`
	MaxRenewals int     `json:"max_renewals"`
	Overdue     bool    `json:"overdue"`

	roomOrg  int64
	loanDays int
}

// Open reports whether the copy is still out.
func (l Loan) Open() bool { return l.ReturnedOn.IsZero() }

// CanRenew reports whether the loan may still be renewed (open, not overdue, under the room's limit).
func (l Loan) CanRenew() bool { return l.Open() && !l.Overdue && l.Renewals < l.MaxRenewals }

// LoanInput lends a copy of a book in a room to a member. DueOn defaults to today plus the room's loan
// period.
type LoanInput struct {
	RoomID   int64  `json:"room_id"`
	BookID   int64  `json:"book_id"`
	ISBN     string `json:"isbn"` // instead of book_id
	MemberID int64  `json:"member_id"`
	DueOn    string `json:"due_on"`
}

const loanCols = `l.id, l.copy_id, c.copy_no, l.room_id, r.name, b.id, b.isbn, b.title, b.author, l.member_id, m.name,
	l.lent_on, l.due_on, l.returned_on, l.renewals, r.max_renewals, r.org_id, r.loan_days`

const loanFrom = ` FROM reading_loans l JOIN reading_copies c ON c.id = l.copy_id JOIN books b ON b.id = c.book_id
	JOIN reading_rooms r ON r.id = l.room_id JOIN members m ON m.id = l.member_id JOIN orgs o ON o.id = r.org_id`

func (s *Service) scanLoan(sc interface{ Scan(...any) error }) (Loan, error) {
	var l Loan
	err := sc.Scan(&l.ID, &l.CopyID, &l.CopyNo, &l.RoomID, &l.RoomName, &l.BookID, &l.ISBN, &l.Title, &l.Author, &l.MemberID,
		&l.MemberName, &l.LentOn, &l.DueOn, &l.ReturnedOn, &l.Renewals, &l.MaxRenewals, &l.roomOrg, &l.loanDays)
	l.Overdue = l.Open() && l.DueOn.Before(s.today().Time)
	return l, err
}

func (s *Service) loadLoan(ctx context.Context, id int64) (Loan, error) {
	l, err := s.scanLoan(s.db.QueryRow(ctx, "SELECT "+loanCols+loanFrom+" WHERE l.id = ?", id))
	if errs.Is(err, errs.NotFound) {
		return l, notFound()
	}
	return l, err
}

// Lend lends the lowest-numbered copy on the shelf. The copy is chosen and the loan inserted in one write
// transaction, and the database refuses a second open loan of a copy (reading_loans_open), so two officers
// lending the last copy at once get one loan and a 409.
func (s *Service) Lend(ctx context.Context, p auth.Principal, in LoanInput) (Loan, error) {
	f := errs.Fields{}
	if in.RoomID <= 0 {
		f.Add("room_id", validate.KeyRequired)
	}
	if in.MemberID <= 0 {
		f.Add("member_id", validate.KeyRequired)
	}
	if in.BookID <= 0 {
		if strings.TrimSpace(in.ISBN) == "" {
			f.Add("book_id", validate.KeyRequired)
		} else if isbn, err := validate.ISBN(in.ISBN); err != nil {
			f.Add("isbn", keyOf(err))
		} else {
			in.ISBN = isbn
		}
	}
	if err := f.Err(); err != nil {
		return Loan{}, err
	}
	room, err := s.loadRoom(ctx, in.RoomID)
	if errs.Is(err, errs.NotFound) {
		return Loan{}, fieldErr("room_id", "reading.room.unknown")
	}
	if err != nil {
		return Loan{}, err
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: room.OrgID}); err != nil {
		return Loan{}, err
	}
	today := s.today()
	due := optDate(f, "due_on", in.DueOn, db.DateOf(today.AddDate(0, 0, room.LoanDays)))
	if !due.After(today.Time) {
		f.Add("due_on", "reading.loan.due_on.past")
	}
	if err := f.Err(); err != nil {
		return Loan{}, err
	}
	var id int64
	err = retryRace(func() error {
		return s.db.Write(ctx, func(tx *db.Tx) error {
			if in.BookID <= 0 {
				if err := tx.QueryRow("SELECT id FROM books WHERE isbn = ?", in.ISBN).Scan(&in.BookID); errs.Is(err, errs.NotFound) {
					return fieldErr("isbn", "reading.book.not_held")
				} else if err != nil {
					return err
				}
			}
			// The member must be served by the room: a member of the room's organisation or below it.
			var memberPath, terminal string
			err := tx.QueryRow(`SELECT o.path, m.terminal_state FROM members m JOIN orgs o ON o.id = m.org_id WHERE m.id = ?`, in.MemberID).
				Scan(&memberPath, &terminal)
			if errs.Is(err, errs.NotFound) {
				return fieldErr("member_id", "reading.loan.member.unknown")
			}
			if err != nil {
				return err
			}
			if !strings.HasPrefix(memberPath, room.orgPath) || terminal != "" {
				return fieldErr("member_id", "reading.loan.member.not_served")
			}
			var held int
			if err := tx.QueryRow("SELECT COUNT(*) FROM reading_copies WHERE room_id = ? AND book_id = ?", in.RoomID, in.BookID).Scan(&held); err != nil {
				return err
			}
			if held == 0 {
				return fieldErr("book_id", "reading.book.not_held")
			}
			var copyID int64
			err = tx.QueryRow(`SELECT c.id FROM reading_copies c WHERE c.room_id = ? AND c.book_id = ?
			AND NOT EXISTS (SELECT 1 FROM reading_loans l WHERE l.copy_id = c.id AND l.returned_on IS NULL)
			ORDER BY c.copy_no LIMIT 1`, in.RoomID, in.BookID).Scan(&copyID)
			if errs.Is(err, errs.NotFound) {
				return conflict("reading.loan.none_available")
			}
			if err != nil {
				return err
			}
			now := s.now()
			id, err = tx.Insert(`INSERT INTO reading_loans(copy_id, room_id, member_id, lent_on, due_on, lent_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, copyID, in.RoomID, in.MemberID, today, due, p.UserID, now, now)
			if errs.Is(err, errs.Conflict) {
				return errRace // another instance lent the copy first: look for another one
			}
			if err != nil {
				return err
			}
			return s.trail.Append(tx, audit.Event{Action: "loan.lend", ObjectType: "reading_loan", ObjectID: id,
				After:  map[string]any{"copy_id": copyID, "member_id": in.MemberID, "due_on": due.String()},
				Detail: fmt.Sprintf("room=%d book=%d member=%d", in.RoomID, in.BookID, in.MemberID)})
		})
	}, conflict("reading.loan.none_available"))
	if err != nil {
		return Loan{}, err
	}
	return s.loadLoan(ctx, id)
}

// ReturnInput records a return; On defaults to today.
type ReturnInput struct {
	On string `json:"on"`
}

// Return records that a copy came back. A loan already returned is a 409.
func (s *Service) Return(ctx context.Context, p auth.Principal, id int64, in ReturnInput) (Loan, error) {
	l, err := s.loadLoan(ctx, id)
	if err != nil {
		return l, err
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: l.roomOrg}); err != nil {
		return Loan{}, err
	}
	f := errs.Fields{}
	today := s.today()
	on := optDate(f, "on", in.On, today)
	if on.After(today.Time) {
		f.Add("on", "reading.date.future")
	} else if on.Before(l.LentOn.Time) {
		f.Add("on", "reading.loan.returned_before_lent")
	}
	if err := f.Err(); err != nil {
		return Loan{}, err
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		n, err := tx.ExecN("UPDATE reading_loans SET returned_on = ?, updated_at = ? WHERE id = ? AND returned_on IS NULL", on, s.now(), id)
		if err != nil {
			return err
		}
		if n != 1 {
			return conflict("reading.loan.already_returned")
		}
		return s.trail.Append(tx, audit.Event{Action: "loan.return", ObjectType: "reading_loan", ObjectID: id,
			After: map[string]any{"returned_on": on.String()}})
	})
	if err != nil {
		return Loan{}, err
	}
	return s.loadLoan(ctx, id)
}

// Renew extends an open loan by the room's loan period from its due date. The member may renew their
// own loan; officers renew loans of their rooms. An overdue loan is not renewed (it is returned first), and
// a room's renewal limit holds.
func (s *Service) Renew(ctx context.Context, p auth.Principal, id int64) (Loan, error) {
	l, err := s.loadLoan(ctx, id)
	if err != nil {
		return l, err
	}
	if p.MemberID == 0 || p.MemberID != l.MemberID {
		if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: l.roomOrg}); err != nil {
			return Loan{}, err
		}
	} else if err := s.auth.Authorize(ctx, p, auth.WriteSelf, auth.Target{MemberID: l.MemberID}); err != nil {
		return Loan{}, err
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		var renewals, max, days int
		var due, returned db.Date
		if err := tx.QueryRow(`SELECT l.renewals, r.max_renewals, r.loan_days, l.due_on, l.returned_on FROM reading_loans l
			JOIN reading_rooms r ON r.id = l.room_id WHERE l.id = ?`, id).Scan(&renewals, &max, &days, &due, &returned); err != nil {
			return err
		}
		switch {
		case !returned.IsZero():
			return conflict("reading.loan.already_returned")
		case due.Before(s.today().Time):
			return conflict("reading.loan.renew_overdue")
		case renewals >= max:
			return &errs.Error{Code: errs.Conflict, Key: "reading.loan.renew_limit", Args: map[string]any{"Max": max}}
		}
		newDue := db.DateOf(due.AddDate(0, 0, days))
		n, err := tx.ExecN("UPDATE reading_loans SET due_on = ?, renewals = renewals + 1, updated_at = ? WHERE id = ? AND renewals = ?",
			newDue, s.now(), id, renewals)
		if err != nil {
			return err
		}
		if n != 1 {
			return conflict("reading.loan.renew_limit")
		}
		return s.trail.Append(tx, audit.Event{Action: "loan.renew", ObjectType: "reading_loan", ObjectID: id,
			Before: map[string]any{"due_on": due.String(), "renewals": renewals},
			After:  map[string]any{"due_on": newDue.String(), "renewals": renewals + 1}})
	})
	if err != nil {
		return Loan{}, err
	}
	return s.loadLoan(ctx, id)
}

// LoanFilter selects loans. With MemberID, a member's own loans (members see only theirs); otherwise the
// loans of the rooms of OrgID's subtree (default the caller's organisation), or of one room.
type LoanFilter struct {
	MemberID int64
	OrgID    int64
	RoomID   int64
	Open     bool // only copies still out
	Overdue  bool // only open loans past their due date
	Limit    int
}

// ListLoans lists loans, newest first.
func (s *Service) ListLoans(ctx context.Context, p auth.Principal, f LoanFilter) ([]Loan, error) {
	where := " WHERE 1 = 1"
	var args []any
	switch {
	case f.MemberID != 0:
		if err := s.auth.Authorize(ctx, p, auth.ReadSelf, auth.Target{MemberID: f.MemberID}); err != nil {
			return nil, err
		}
		where += " AND l.member_id = ?"
		args = append(args, f.MemberID)
	case f.RoomID != 0:
		room, err := s.loadRoom(ctx, f.RoomID)
		if err != nil {
			return nil, err
		}
		if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: room.OrgID}); err != nil {
			return nil, err
		}
		where += " AND l.room_id = ?"
		args = append(args, f.RoomID)
	default:
		if f.OrgID == 0 {
			f.OrgID = p.OrgID
		}
		if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: f.OrgID}); err != nil {
			return nil, err
		}
		path, err := s.auth.OrgPath(ctx, f.OrgID)
		if err != nil {
			return nil, err
		}
		where += " AND o.path LIKE ?"
		args = append(args, path+"%")
	}
	if f.Open || f.Overdue {
		where += " AND l.returned_on IS NULL"
	}
	if f.Overdue {
		where += " AND l.due_on < ?"
		args = append(args, s.today())
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 200
	}
	order := " ORDER BY l.id DESC"
	if f.Overdue {
		order = " ORDER BY l.due_on, l.id"
	}
	rows, err := s.db.Query(ctx, "SELECT "+loanCols+loanFrom+where+order+" LIMIT "+strconv.Itoa(f.Limit), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Loan{}
	for rows.Next() {
		l, err := s.scanLoan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// OverdueJob is the kind of the scheduled overdue reminder.
const OverdueJob = "reading.overdue"

// RemindOverdue sends each member with an overdue loan one reminder per loan and due date (the dedupe key
// carries both, so a renewed-then-overdue loan is reminded again, and a job run twice reminds once). It
// returns how many accounts were reminded for the first time.
func (s *Service) RemindOverdue(ctx context.Context) (int, error) {
	sent := 0
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		sent = 0
		rows, err := tx.Query(`SELECT l.id, l.member_id, l.due_on, b.title, r.name FROM reading_loans l
			JOIN reading_copies c ON c.id = l.copy_id JOIN books b ON b.id = c.book_id JOIN reading_rooms r ON r.id = l.room_id
			WHERE l.returned_on IS NULL AND l.due_on < ? ORDER BY l.id LIMIT 5000`, s.today())
		if err != nil {
			return err
		}
		type due struct {
			id, member  int64
			on          db.Date
			title, room string
		}
		var list []due
		for rows.Next() {
			var d due
			if err := rows.Scan(&d.id, &d.member, &d.on, &d.title, &d.room); err != nil {
				rows.Close()
				return err
			}
			list = append(list, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, d := range list {
			n, err := s.notify.ToMember(tx, d.member, notify.Note{Kind: "reading.overdue", Message: "reading.notify.overdue",
				Params: map[string]any{"Title": d.title, "Room": d.room, "Due": d.on.String()}, Link: "/reading/my",
				Key: fmt.Sprintf("reading.overdue:%d:%s", d.id, d.on.String())})
			if err != nil {
				return err
			}
			sent += n
		}
		return nil
	})
	return sent, err
}

// Borrower is a member a room may lend to.
type Borrower struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Borrowers lists the members a room serves (its organisation's subtree) for the lending form.
func (s *Service) Borrowers(ctx context.Context, p auth.Principal, roomID int64) ([]Borrower, error) {
	room, err := s.loadRoom(ctx, roomID)
	if err != nil {
		return nil, err
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: room.OrgID}); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT m.id, m.name FROM members m JOIN orgs o ON o.id = m.org_id
		WHERE o.path LIKE ? AND m.terminal_state = '' ORDER BY m.name_key, m.id LIMIT 2000`, room.orgPath+"%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Borrower{}
	for rows.Next() {
		var b Borrower
		if err := rows.Scan(&b.ID, &b.Name); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}
