package orglife

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/files"
)

// reader is a transaction or the database (reads outside a write).
type reader interface {
	QueryRow(q string, args ...any) *db.Row
	Query(q string, args ...any) (*sql.Rows, error)
}

type dbReader struct {
	ctx context.Context
	d   *db.DB
}

func (r dbReader) QueryRow(q string, args ...any) *db.Row { return r.d.QueryRow(r.ctx, q, args...) }
func (r dbReader) Query(q string, args ...any) (*sql.Rows, error) {
	return r.d.Query(r.ctx, q, args...)
}

func (s *Service) reader(ctx context.Context, r any) reader {
	if tx, ok := r.(*db.Tx); ok {
		return tx
	}
	return dbReader{ctx, s.db}
}

func warningsJSON(w []Warning) string {
	if len(w) == 0 {
		return ""
	}
	b, _ := json.Marshal(w)
	return string(b)
}

const meetingCols = `mt.id, mt.org_id, o.name, o.path, mt.kind, mt.status, mt.held_on, mt.start_time, mt.place, mt.topic,
	COALESCE(mt.chair_id, 0), COALESCE(c.name, ''), mt.chair_delegated, COALESCE(mt.recorder_id, 0), COALESCE(r.name, ''),
	COALESCE(mt.lecturer_id, 0), COALESCE(l.name, ''), mt.expected_count, mt.present_count, mt.minutes, mt.decisions,
	mt.self_assessment_on, mt.peer_assessment_on, mt.rating_on, mt.warnings, mt.version, mt.counted, mt.submitted_at, mt.locked_at`

const meetingFrom = ` FROM meetings mt JOIN orgs o ON o.id = mt.org_id LEFT JOIN members c ON c.id = mt.chair_id
	LEFT JOIN members r ON r.id = mt.recorder_id LEFT JOIN members l ON l.id = mt.lecturer_id`

// scan reads one row of meetingCols; the status is the effective one (LockAfter).
func (s *Service) scan(sc interface{ Scan(...any) error }) (Meeting, error) {
	var m Meeting
	var warnings string
	var submitted, locked int64
	err := sc.Scan(&m.ID, &m.OrgID, &m.OrgName, &m.orgPath, &m.Kind, &m.Status, &m.HeldOn, &m.StartTime, &m.Place, &m.Topic,
		&m.ChairID, &m.ChairName, &m.ChairDelegated, &m.RecorderID, &m.RecorderName, &m.LecturerID, &m.LecturerName,
		&m.ExpectedCount, &m.PresentCount, &m.Minutes, &m.Decisions, &m.SelfAssessmentOn, &m.PeerAssessmentOn, &m.RatingOn,
		&warnings, &m.Version, &m.Counted, &submitted, &locked)
	if err != nil {
		return m, err
	}
	m.stored = m.Status
	if warnings != "" {
		_ = json.Unmarshal([]byte(warnings), &m.Warnings)
	}
	if submitted > 0 {
		t := db.FromMillis(submitted)
		m.SubmittedAt = &t
		if m.Status == Submitted && !s.clock.Now().Before(t.Add(s.lockAfter())) {
			m.Status = Locked
		}
	}
	if locked > 0 {
		t := db.FromMillis(locked)
		m.LockedAt = &t
	}
	return m, nil
}

// load reads a record with its attendance and attachments (r: a *db.Tx or nil for the database).
func (s *Service) load(ctx context.Context, r any, id int64) (Meeting, error) {
	q := s.reader(ctx, r)
	m, err := s.scan(q.QueryRow("SELECT "+meetingCols+meetingFrom+" WHERE mt.id = ?", id))
	if errs.Is(err, errs.NotFound) {
		return Meeting{}, errs.E(errs.NotFound, "error.not_found")
	}
	if err != nil {
		return Meeting{}, err
	}
	rows, err := q.Query(`SELECT a.member_id, m.name, a.present, a.reason, a.leading_cadre FROM meeting_attendance a
		JOIN members m ON m.id = a.member_id WHERE a.meeting_id = ? ORDER BY a.member_id`, id)
	if err != nil {
		return Meeting{}, err
	}
	for rows.Next() {
		var a Attendance
		if err := rows.Scan(&a.MemberID, &a.Name, &a.Present, &a.Reason, &a.LeadingCadre); err != nil {
			rows.Close()
			return Meeting{}, err
		}
		if a.Present && a.LeadingCadre {
			m.LeadingCadres = append(m.LeadingCadres, a.Name)
		}
		m.Attendance = append(m.Attendance, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Meeting{}, err
	}
	frows, err := q.Query(`SELECT f.id, f.org_id, f.name, f.content_type, f.size, f.sm3, f.uploaded_by, f.created_at
		FROM meeting_files mf JOIN files f ON f.id = mf.file_id WHERE mf.meeting_id = ? ORDER BY f.id`, id)
	if err != nil {
		return Meeting{}, err
	}
	defer frows.Close()
	for frows.Next() {
		var f files.File
		var created int64
		if err := frows.Scan(&f.ID, &f.OrgID, &f.Name, &f.ContentType, &f.Size, &f.SM3, &f.UploadedBy, &created); err != nil {
			return Meeting{}, err
		}
		f.CreatedAt = time.UnixMilli(created)
		m.Attachments = append(m.Attachments, f)
	}
	return m, frows.Err()
}

// Get returns a record to those who may read its organisation.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Meeting, error) {
	m, err := s.load(ctx, nil, id)
	if err != nil {
		return Meeting{}, err
	}
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: m.OrgID}); err != nil {
		return Meeting{}, err
	}
	return m, nil
}

// Filter selects records for a list.
type Filter struct {
	OrgID int64     // subtree root
	From  time.Time // held on or after (inclusive)
	To    time.Time // held before (exclusive)
	Kind  Kind      // "" for all
}

// List returns the records held in the subtree of f.OrgID within [From, To), newest first, without
// attendance and attachments.
func (s *Service) List(ctx context.Context, p auth.Principal, f Filter) ([]Meeting, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: f.OrgID}); err != nil {
		return nil, err
	}
	path, err := s.auth.OrgPath(ctx, f.OrgID)
	if err != nil {
		return nil, err
	}
	q := "SELECT " + meetingCols + meetingFrom + " WHERE o.path LIKE ?"
	args := []any{path + "%"}
	if !f.From.IsZero() {
		q += " AND mt.held_on >= ?"
		args = append(args, db.DateOf(f.From))
	}
	if !f.To.IsZero() {
		q += " AND mt.held_on < ?"
		args = append(args, db.DateOf(f.To))
	}
	if f.Kind != "" {
		q += " AND mt.kind = ?"
		args = append(args, string(f.Kind))
	}
	rows, err := s.db.Query(ctx, q+" ORDER BY mt.held_on DESC, mt.id DESC LIMIT 2000", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Meeting{}
	for rows.Next() {
		m, err := s.scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Versions returns every saved state of a record, oldest first.
func (s *Service) Versions(ctx context.Context, p auth.Principal, id int64) (Meeting, []Version, error) {
	m, err := s.Get(ctx, p, id)
	if err != nil {
		return Meeting{}, nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT version, action, reason, snapshot, actor_name, created_at FROM meeting_versions
		WHERE meeting_id = ? ORDER BY version`, id)
	if err != nil {
		return Meeting{}, nil, err
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		var v Version
		var snap string
		var at int64
		if err := rows.Scan(&v.Version, &v.Action, &v.Reason, &snap, &v.ActorName, &at); err != nil {
			return Meeting{}, nil, err
		}
		v.At = db.FromMillis(at)
		if err := json.NewDecoder(strings.NewReader(snap)).Decode(&v.Record); err != nil {
			return Meeting{}, nil, err
		}
		out = append(out, v)
	}
	return m, out, rows.Err()
}

// Candidates lists the members expected at a record of kind held by orgID on day (for the form), by name
// order of the roster (id order; the page sorts by name).
func (s *Service) Candidates(ctx context.Context, p auth.Principal, orgID int64, kind Kind, day time.Time) ([]Attendance, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: orgID}); err != nil {
		return nil, err
	}
	if !kind.Valid() {
		kind = GeneralMeeting
	}
	return expected(dbReader{ctx, s.db}, orgID, kind, day)
}

func expected(q reader, orgID int64, kind Kind, day time.Time) ([]Attendance, error) {
	o, err := loadOrg(q, orgID)
	if err != nil {
		return nil, err
	}
	exp, err := expectedOn(q, o, kind, day)
	if err != nil {
		return nil, err
	}
	out := []Attendance{}
	for _, id := range sortedIDs(exp) {
		out = append(out, Attendance{MemberID: id, Name: exp[id].Name, LeadingCadre: exp[id].LeadingCadre})
	}
	return out, nil
}

// ExpectedTx is Candidates inside a write transaction, without authorization (the demo loader).
func (s *Service) ExpectedTx(tx *db.Tx, orgID int64, kind Kind, day time.Time) ([]Attendance, error) {
	return expected(tx, orgID, kind, day)
}
