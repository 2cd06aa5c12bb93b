package reading

import (
	"context"
	"strconv"
	"time"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// Recommendation is a book an organisation recommends (好书推荐) to the members below it.
type Recommendation struct {
	ID            int64   `json:"id"`
	OrgID         int64   `json:"org_id"`
	OrgName       string  `json:"org_name"`
	BookID        int64   `json:"book_id"`
	ISBN          string  `json:"isbn"`
	Title         string  `json:"title"`
	Author        string  `json:"author"`
	Reason        string  `json:"reason"`
	RecommendedOn db.Date `json:"recommended_on"`
}

// RecommendationInput recommends a catalogued book for an organisation in the caller's subtree.
type RecommendationInput struct {
	OrgID  int64  `json:"org_id"`
	BookID int64  `json:"book_id"`
	Reason string `json:"reason"`
	On     string `json:"on"` // default today
}

// Recommend records a recommendation.
func (s *Service) Recommend(ctx context.Context, p auth.Principal, in RecommendationInput) (Recommendation, error) {
	f := errs.Fields{}
	if in.OrgID == 0 {
		in.OrgID = p.OrgID
	}
	if in.BookID <= 0 {
		f.Add("book_id", validate.KeyRequired)
	}
	text(f, "reason", &in.Reason, 5, 500)
	on := optDate(f, "on", in.On, s.today())
	if err := f.Err(); err != nil {
		return Recommendation{}, err
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: in.OrgID}); err != nil {
		return Recommendation{}, err
	}
	var id int64
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRow("SELECT COUNT(*) FROM books WHERE id = ?", in.BookID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fieldErr("book_id", "reading.book.unknown")
		}
		var err error
		id, err = tx.Insert(`INSERT INTO reading_recommendations(org_id, book_id, reason, recommended_on, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, in.OrgID, in.BookID, in.Reason, on, p.UserID, s.now())
		if err != nil {
			return err
		}
		return s.trail.Append(tx, audit.Event{Action: "recommendation.create", ObjectType: "reading_recommendation", ObjectID: id,
			After: map[string]any{"org_id": in.OrgID, "book_id": in.BookID}})
	})
	if err != nil {
		return Recommendation{}, err
	}
	list, err := s.recommendations(ctx, p, " AND x.id = ?", id)
	if err != nil || len(list) == 0 {
		return Recommendation{}, err
	}
	return list[0], nil
}

// Recommendations lists the recommendations the caller may see, newest first.
func (s *Service) Recommendations(ctx context.Context, p auth.Principal) ([]Recommendation, error) {
	return s.recommendations(ctx, p, "")
}

func (s *Service) recommendations(ctx context.Context, p auth.Principal, extra string, args ...any) ([]Recommendation, error) {
	where, wargs := visibleSQL(p)
	rows, err := s.db.Query(ctx, `SELECT x.id, x.org_id, o.name, b.id, b.isbn, b.title, b.author, x.reason, x.recommended_on
		FROM reading_recommendations x JOIN orgs o ON o.id = x.org_id JOIN books b ON b.id = x.book_id
		WHERE `+where+extra+` ORDER BY x.recommended_on DESC, x.id DESC LIMIT 100`, append(wargs, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Recommendation{}
	for rows.Next() {
		var r Recommendation
		if err := rows.Scan(&r.ID, &r.OrgID, &r.OrgName, &r.BookID, &r.ISBN, &r.Title, &r.Author, &r.Reason, &r.RecommendedOn); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReviewStatus is where a review stands in moderation.
type ReviewStatus string

const (
	ReviewPending  ReviewStatus = "pending"
	ReviewApproved ReviewStatus = "approved"
	ReviewRejected ReviewStatus = "rejected"
)

// Review is a member's short review of a book (读书心得). Only approved reviews are public; the author sees
// their own in every status.
type Review struct {
	ID         int64        `json:"id"`
	BookID     int64        `json:"book_id"`
	Title      string       `json:"title"`
	Author     string       `json:"author"`
	MemberID   int64        `json:"member_id"`
	MemberName string       `json:"member_name"`
	OrgID      int64        `json:"org_id"`
	OrgName    string       `json:"org_name"`
	Body       string       `json:"body"`
	Status     ReviewStatus `json:"status"`
	Note       string       `json:"note,omitempty"`
	CreatedAt  time.Time    `json:"created_at"`
}

// ReviewInput is a member's review; MemberID defaults to the caller's own member record.
type ReviewInput struct {
	BookID   int64  `json:"book_id"`
	MemberID int64  `json:"member_id"`
	Body     string `json:"body"`
}

// WriteReview records a review as pending. Members write their own; nobody writes for another member.
func (s *Service) WriteReview(ctx context.Context, p auth.Principal, in ReviewInput) (Review, error) {
	if in.MemberID == 0 {
		in.MemberID = p.MemberID
	}
	f := errs.Fields{}
	if in.BookID <= 0 {
		f.Add("book_id", validate.KeyRequired)
	}
	if in.MemberID == 0 {
		f.Add("member_id", "reading.review.no_member")
	}
	text(f, "body", &in.Body, 10, 1000)
	if err := f.Err(); err != nil {
		return Review{}, err
	}
	if in.MemberID != p.MemberID {
		// A review is the member's own words: not even an officer of their branch writes one for them.
		_ = s.trail.Record(ctx, audit.Event{Action: "authz.denied", ObjectType: "action", ObjectID: string(auth.WriteSelf),
			Result: "denied", Detail: "review for member=" + strconv.FormatInt(in.MemberID, 10)})
		return Review{}, auth.ErrForbidden
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteSelf, auth.Target{MemberID: in.MemberID}); err != nil {
		return Review{}, err
	}
	var id int64
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRow("SELECT COUNT(*) FROM books WHERE id = ?", in.BookID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fieldErr("book_id", "reading.book.unknown")
		}
		var orgID int64
		if err := tx.QueryRow("SELECT org_id FROM members WHERE id = ?", in.MemberID).Scan(&orgID); err != nil {
			return err
		}
		var err error
		id, err = tx.Insert(`INSERT INTO reading_reviews(book_id, member_id, org_id, body, status, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			in.BookID, in.MemberID, orgID, in.Body, string(ReviewPending), s.now())
		if err != nil {
			return err
		}
		return s.trail.Append(tx, audit.Event{Action: "review.write", ObjectType: "reading_review", ObjectID: id,
			After: map[string]any{"book_id": in.BookID, "member_id": in.MemberID, "status": ReviewPending}})
	})
	if err != nil {
		return Review{}, err
	}
	return s.loadReview(ctx, id)
}

const reviewCols = `v.id, b.id, b.title, b.author, v.member_id, m.name, v.org_id, o.name, v.body, v.status, v.note, v.created_at`

const reviewFrom = ` FROM reading_reviews v JOIN books b ON b.id = v.book_id JOIN members m ON m.id = v.member_id
	JOIN orgs o ON o.id = v.org_id`

func scanReview(sc interface{ Scan(...any) error }) (Review, error) {
	var r Review
	var at int64
	err := sc.Scan(&r.ID, &r.BookID, &r.Title, &r.Author, &r.MemberID, &r.MemberName, &r.OrgID, &r.OrgName, &r.Body, &r.Status, &r.Note, &at)
	r.CreatedAt = db.FromMillis(at)
	return r, err
}

func (s *Service) loadReview(ctx context.Context, id int64) (Review, error) {
	r, err := scanReview(s.db.QueryRow(ctx, "SELECT "+reviewCols+reviewFrom+" WHERE v.id = ?", id))
	if errs.Is(err, errs.NotFound) {
		return r, notFound()
	}
	return r, err
}

// ModerationInput approves or rejects a pending review; a rejection gives the member a reason.
type ModerationInput struct {
	Decision string `json:"decision"` // approve, reject
	Note     string `json:"note"`
}

// Moderate decides a pending review, by an officer of the member's organisation (or above it). A review
// already decided is a 409.
func (s *Service) Moderate(ctx context.Context, p auth.Principal, id int64, in ModerationInput) (Review, error) {
	r, err := s.loadReview(ctx, id)
	if err != nil {
		return r, err
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: r.OrgID}); err != nil {
		return Review{}, err
	}
	f := errs.Fields{}
	var to ReviewStatus
	switch in.Decision {
	case "approve":
		to = ReviewApproved
	case "reject":
		to = ReviewRejected
	default:
		f.Add("decision", "reading.review.decision.invalid")
	}
	text(f, "note", &in.Note, 0, 200)
	if to == ReviewRejected && in.Note == "" {
		f.Add("note", "reading.review.reject_reason")
	}
	if err := f.Err(); err != nil {
		return Review{}, err
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		n, err := tx.ExecN(`UPDATE reading_reviews SET status = ?, note = ?, moderated_by = ?, moderated_at = ? WHERE id = ? AND status = 'pending'`,
			string(to), in.Note, p.UserID, s.now(), id)
		if err != nil {
			return err
		}
		if n != 1 {
			return conflict("reading.review.already_moderated")
		}
		return s.trail.Append(tx, audit.Event{Action: "review." + in.Decision, ObjectType: "reading_review", ObjectID: id,
			Before: map[string]any{"status": ReviewPending}, After: map[string]any{"status": to, "note": in.Note}})
	})
	if err != nil {
		return Review{}, err
	}
	return s.loadReview(ctx, id)
}

// ReviewFilter selects reviews: Status "approved" (public, in the caller's view), "pending" (the
// moderation queue of the caller's subtree), or MemberID for a member's own.
type ReviewFilter struct {
	Status   ReviewStatus
	MemberID int64
	BookID   int64
}

// ListReviews lists reviews, newest first.
func (s *Service) ListReviews(ctx context.Context, p auth.Principal, f ReviewFilter) ([]Review, error) {
	where := " WHERE 1 = 1"
	var args []any
	switch {
	case f.MemberID != 0:
		if err := s.auth.Authorize(ctx, p, auth.ReadSelf, auth.Target{MemberID: f.MemberID}); err != nil {
			return nil, err
		}
		where += " AND v.member_id = ?"
		args = append(args, f.MemberID)
		if f.Status != "" {
			where += " AND v.status = ?"
			args = append(args, string(f.Status))
		}
	case f.Status == ReviewApproved || f.Status == "":
		if !p.Role.Can(auth.ReadSelf) {
			return nil, s.auth.Authorize(ctx, p, auth.ReadSelf, auth.Target{})
		}
		where += " AND v.status = 'approved'"
	case f.Status == ReviewPending || f.Status == ReviewRejected:
		if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: p.OrgID}); err != nil {
			return nil, err
		}
		where += " AND v.status = ? AND o.path LIKE ?"
		args = append(args, string(f.Status), p.OrgPath+"%")
	default:
		return nil, fieldErr("status", "reading.review.status.invalid")
	}
	if f.BookID != 0 {
		where += " AND v.book_id = ?"
		args = append(args, f.BookID)
	}
	rows, err := s.db.Query(ctx, "SELECT "+reviewCols+reviewFrom+where+" ORDER BY v.id DESC LIMIT 200", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Review{}
	for rows.Next() {
		r, err := scanReview(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
