package orglife

import (
	"context"
	"strconv"
	"strings"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// Upload is a file sent with a page form, stored in the record's transaction.
type Upload struct {
	Name string
	Data []byte
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func conflict(key string) error { return errs.E(errs.Conflict, key) }

// Create records a draft. Only officers whose subtree holds the organisation may.
func (s *Service) Create(ctx context.Context, p auth.Principal, in Input, uploads ...Upload) (Meeting, error) {
	if in.OrgID <= 0 {
		return Meeting{}, invalid("org_id", validate.KeyRequired)
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: in.OrgID}); err != nil {
		return Meeting{}, err
	}
	var m Meeting
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		m, err = s.CreateTx(tx, p, in, uploads...)
		return err
	})
	return m, err
}

// CreateTx records a draft inside tx. The caller has authorized p over in.OrgID (the demo loader calls
// it directly, so its records go through the same checks).
func (s *Service) CreateTx(tx *db.Tx, p auth.Principal, in Input, uploads ...Upload) (Meeting, error) {
	c, err := s.check(tx, in, clock.Today(s.clock))
	if err != nil {
		return Meeting{}, err
	}
	m := c.m
	m.Status, m.Version, m.Warnings = Draft, 1, c.warnings
	now := db.Millis(s.clock.Now())
	m.ID, err = tx.Insert(`INSERT INTO meetings(org_id, kind, status, held_on, start_time, place, topic, chair_id, chair_delegated,
		recorder_id, lecturer_id, expected_count, present_count, minutes, decisions, self_assessment_on, peer_assessment_on,
		rating_on, warnings, version, counted, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.OrgID, string(m.Kind), string(m.Status), m.HeldOn, m.StartTime, m.Place, m.Topic, nullID(m.ChairID), m.ChairDelegated,
		nullID(m.RecorderID), nullID(m.LecturerID), m.ExpectedCount, m.PresentCount, m.Minutes, m.Decisions,
		m.SelfAssessmentOn, m.PeerAssessmentOn, m.RatingOn, warningsJSON(m.Warnings), m.Version, false, p.UserID, now, now)
	if err != nil {
		return Meeting{}, err
	}
	if err := s.writeDetails(tx, p, &m, in.AttachmentIDs, uploads, false); err != nil {
		return Meeting{}, err
	}
	if err := s.version(tx, p, m, "create", ""); err != nil {
		return Meeting{}, err
	}
	return m, s.trail.Append(tx, audit.Event{Action: "meeting.create", ObjectType: "meeting", ObjectID: m.ID, After: m,
		Detail: m.Kind.Rule() + " org=" + strconv.FormatInt(m.OrgID, 10)})
}

// writeDetails stores the attendance and the attachments of m (replacing earlier ones when replace).
func (s *Service) writeDetails(tx *db.Tx, p auth.Principal, m *Meeting, attachIDs []int64, uploads []Upload, replace bool) error {
	if replace {
		if _, err := tx.Exec("DELETE FROM meeting_attendance WHERE meeting_id = ?", m.ID); err != nil {
			return err
		}
	}
	for _, a := range m.Attendance {
		if _, err := tx.Exec("INSERT INTO meeting_attendance(meeting_id, member_id, present, reason, leading_cadre) VALUES (?, ?, ?, ?, ?)",
			m.ID, a.MemberID, a.Present, a.Reason, a.LeadingCadre); err != nil {
			return err
		}
	}
	if replace && attachIDs != nil {
		if _, err := tx.Exec("DELETE FROM meeting_files WHERE meeting_id = ?", m.ID); err != nil {
			return err
		}
		m.Attachments = nil
	}
	linked := map[int64]bool{}
	for _, f := range m.Attachments {
		linked[f.ID] = true
	}
	for _, id := range attachIDs {
		if linked[id] {
			continue
		}
		f, err := s.files.GetTx(tx, id)
		if errs.Is(err, errs.NotFound) {
			return invalid("attachment_ids", "meetings.attachment.unknown")
		}
		if err != nil {
			return err
		}
		// The file must belong to the record's subtree: no borrowing another branch's evidence.
		var path string
		if err := tx.QueryRow("SELECT path FROM orgs WHERE id = ?", f.OrgID).Scan(&path); err != nil {
			return err
		}
		if !strings.HasPrefix(path, m.orgPath) {
			return invalid("attachment_ids", "meetings.attachment.scope")
		}
		if _, err := tx.Exec("INSERT INTO meeting_files(meeting_id, file_id) VALUES (?, ?)", m.ID, id); err != nil {
			return err
		}
		linked[id] = true
		m.Attachments = append(m.Attachments, f)
	}
	for _, u := range uploads {
		f, err := s.files.PutTx(tx, m.OrgID, p.UserID, u.Name, u.Data, "attachments")
		if err != nil {
			return err
		}
		if _, err := tx.Exec("INSERT INTO meeting_files(meeting_id, file_id) VALUES (?, ?)", m.ID, f.ID); err != nil {
			return err
		}
		m.Attachments = append(m.Attachments, f)
	}
	return nil
}

// version keeps the record as it stands after action.
func (s *Service) version(tx *db.Tx, p auth.Principal, m Meeting, action, reason string) error {
	_, err := tx.Exec(`INSERT INTO meeting_versions(meeting_id, version, action, reason, snapshot, actor_id, actor_name, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, m.ID, m.Version, action, reason, snapshot(m), p.UserID, p.Username, db.Millis(s.clock.Now()))
	return err
}

// tell passes a change of contribution to the listeners: nothing when it did not change.
func (s *Service) tell(tx *db.Tx, before, after *Held) error {
	if before != nil && after != nil && sameHeld(*before, *after) {
		return nil
	}
	var removed, added []Held
	if before != nil {
		removed = []Held{*before}
	}
	if after != nil {
		added = []Held{*after}
	}
	if removed == nil && added == nil {
		return nil
	}
	for _, l := range s.listeners {
		if err := l(tx, removed, added); err != nil {
			return err
		}
	}
	return nil
}

func sameHeld(a, b Held) bool {
	return a.RecordID == b.RecordID && a.OrgID == b.OrgID && a.Kind == b.Kind && a.On.Equal(b.On.Time) &&
		a.LecturerID == b.LecturerID && a.ChairID == b.ChairID
}

// forWrite loads a record for a step and authorizes p to write it.
func (s *Service) forWrite(ctx context.Context, p auth.Principal, id int64) (Meeting, error) {
	m, err := s.load(ctx, s.db, id)
	if err != nil {
		return Meeting{}, err
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: m.OrgID}); err != nil {
		return Meeting{}, err
	}
	return m, nil
}

// step runs fn on the record as it stands inside the write transaction.
func (s *Service) step(ctx context.Context, p auth.Principal, id int64, fn func(tx *db.Tx) (Meeting, error)) (Meeting, error) {
	if _, err := s.forWrite(ctx, p, id); err != nil {
		return Meeting{}, err
	}
	var m Meeting
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		m, err = fn(tx)
		return err
	})
	return m, err
}

// Submit hands a draft in: from now on it counts (its Held goes to the listeners).
func (s *Service) Submit(ctx context.Context, p auth.Principal, id int64) (Meeting, error) {
	return s.step(ctx, p, id, func(tx *db.Tx) (Meeting, error) { return s.SubmitTx(tx, p, id) })
}

// SubmitTx is Submit inside tx, for callers that have authorized p (the demo loader).
func (s *Service) SubmitTx(tx *db.Tx, p auth.Principal, id int64) (Meeting, error) {
	m, err := s.load(tx.Context(), tx, id)
	if err != nil {
		return Meeting{}, err
	}
	if m.Status != Draft {
		return Meeting{}, conflict("meetings.state.submit")
	}
	before := m
	m.Status, m.Version, m.Counted = Submitted, m.Version+1, before.Kind != MemberAppraisal || before.StepsDone()
	now := s.clock.Now()
	m.SubmittedAt = &now
	n, err := tx.ExecN("UPDATE meetings SET status = ?, submitted_at = ?, counted = ?, version = ?, updated_at = ? WHERE id = ? AND status = ?",
		string(m.Status), db.Millis(now), m.Counted, m.Version, db.Millis(now), id, string(Draft))
	if err != nil {
		return Meeting{}, err
	}
	if n != 1 {
		return Meeting{}, conflict("meetings.state.submit")
	}
	return m, s.finish(tx, p, before, m, "submit", "")
}

// finish keeps the version, audits the step and tells the listeners, all in tx.
func (s *Service) finish(tx *db.Tx, p auth.Principal, before, after Meeting, action, reason string) error {
	if err := s.version(tx, p, after, action, reason); err != nil {
		return err
	}
	if err := s.trail.Append(tx, audit.Event{Action: "meeting." + action, ObjectType: "meeting", ObjectID: after.ID,
		Before: before, After: after, Detail: strings.TrimSpace(after.Kind.Rule() + " " + reason)}); err != nil {
		return err
	}
	return s.tell(tx, before.held(), after.held())
}

// Lock closes a submitted record to plain edits: from now on a correction needs a reason.
func (s *Service) Lock(ctx context.Context, p auth.Principal, id int64) (Meeting, error) {
	return s.step(ctx, p, id, func(tx *db.Tx) (Meeting, error) {
		m, err := s.load(tx.Context(), tx, id)
		if err != nil {
			return Meeting{}, err
		}
		if m.Status == Draft {
			return Meeting{}, conflict("meetings.state.lock")
		}
		if m.stored == Locked {
			return Meeting{}, conflict("meetings.state.locked")
		}
		before := m
		now := s.clock.Now()
		m.Status, m.Version, m.LockedAt, m.stored = Locked, m.Version+1, &now, Locked
		if _, err := tx.Exec("UPDATE meetings SET status = ?, locked_at = ?, version = ?, updated_at = ? WHERE id = ?",
			string(Locked), db.Millis(now), m.Version, db.Millis(now), id); err != nil {
			return Meeting{}, err
		}
		return m, s.finish(tx, p, before, m, "lock", "")
	})
}

// Withdraw takes a submitted record back to a draft (it stops counting) until it is locked; the reason
// is kept with the version.
func (s *Service) Withdraw(ctx context.Context, p auth.Principal, id int64, reason string) (Meeting, error) {
	reason = strings.TrimSpace(reason)
	if err := validate.Length(reason, 2, 500); err != nil {
		return Meeting{}, invalid("reason", "meetings.reason.required")
	}
	return s.step(ctx, p, id, func(tx *db.Tx) (Meeting, error) {
		m, err := s.load(tx.Context(), tx, id)
		if err != nil {
			return Meeting{}, err
		}
		switch m.Status {
		case Draft:
			return Meeting{}, conflict("meetings.state.withdraw")
		case Locked:
			return Meeting{}, conflict("meetings.state.locked")
		}
		before := m
		m.Status, m.Version, m.Counted, m.SubmittedAt = Draft, m.Version+1, false, nil
		if _, err := tx.Exec("UPDATE meetings SET status = ?, submitted_at = 0, counted = ?, version = ?, updated_at = ? WHERE id = ?",
			string(Draft), false, m.Version, db.Millis(s.clock.Now()), id); err != nil {
			return Meeting{}, err
		}
		return m, s.finish(tx, p, before, m, "withdraw", reason)
	})
}

// Correct changes a record. A draft is simply edited; a submitted record is corrected; a locked one only
// with a reason. Every correction keeps the earlier version, and the listeners see the old contribution
// removed and the new one added (a moved date, a changed kind).
func (s *Service) Correct(ctx context.Context, p auth.Principal, id int64, c Correction, uploads ...Upload) (Meeting, error) {
	cur, err := s.forWrite(ctx, p, id)
	if err != nil {
		return Meeting{}, err
	}
	if c.OrgID == 0 {
		c.OrgID = cur.OrgID
	}
	if c.OrgID != cur.OrgID {
		return Meeting{}, invalid("org_id", "meetings.org.fixed")
	}
	var m Meeting
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		m, err = s.CorrectTx(tx, p, id, c, uploads...)
		return err
	})
	return m, err
}

// CorrectTx is Correct inside tx, for callers that have authorized p.
func (s *Service) CorrectTx(tx *db.Tx, p auth.Principal, id int64, c Correction, uploads ...Upload) (Meeting, error) {
	before, err := s.load(tx.Context(), tx, id)
	if err != nil {
		return Meeting{}, err
	}
	c.OrgID = before.OrgID
	c.Reason = strings.TrimSpace(c.Reason)
	if before.Status == Locked && c.Reason == "" {
		return Meeting{}, invalid("reason", "meetings.reason.required")
	}
	if err := validate.Length(c.Reason, 0, 500); err != nil {
		return Meeting{}, invalid("reason", keyOf(err))
	}
	chk, err := s.check(tx, c.Input, clock.Today(s.clock))
	if err != nil {
		return Meeting{}, err
	}
	m := chk.m
	m.ID, m.Status, m.stored, m.Version, m.Warnings = id, before.Status, before.Status, before.Version+1, chk.warnings
	m.SubmittedAt, m.LockedAt, m.Attachments = before.SubmittedAt, before.LockedAt, before.Attachments
	if before.Status == Locked && before.LockedAt == nil {
		// Locked by time (LockAfter): the lock is written down with this first correction.
		t := before.SubmittedAt.Add(s.lockAfter())
		m.LockedAt = &t
	}
	m.Counted = m.counts()
	var lockedAt int64
	if m.LockedAt != nil {
		lockedAt = db.Millis(*m.LockedAt)
	}
	if _, err := tx.Exec(`UPDATE meetings SET kind = ?, status = ?, held_on = ?, start_time = ?, place = ?, topic = ?, chair_id = ?,
		chair_delegated = ?, recorder_id = ?, lecturer_id = ?, expected_count = ?, present_count = ?, minutes = ?, decisions = ?,
		self_assessment_on = ?, peer_assessment_on = ?, rating_on = ?, warnings = ?, version = ?, counted = ?, locked_at = ?,
		updated_at = ? WHERE id = ?`,
		string(m.Kind), string(m.Status), m.HeldOn, m.StartTime, m.Place, m.Topic, nullID(m.ChairID), m.ChairDelegated,
		nullID(m.RecorderID), nullID(m.LecturerID), m.ExpectedCount, m.PresentCount, m.Minutes, m.Decisions,
		m.SelfAssessmentOn, m.PeerAssessmentOn, m.RatingOn, warningsJSON(m.Warnings), m.Version, m.Counted, lockedAt,
		db.Millis(s.clock.Now()), id); err != nil {
		return Meeting{}, err
	}
	if err := s.writeDetails(tx, p, &m, c.AttachmentIDs, uploads, true); err != nil {
		return Meeting{}, err
	}
	action := "correct"
	if before.Status == Draft {
		action = "edit"
	}
	return m, s.finish(tx, p, before, m, action, c.Reason)
}
