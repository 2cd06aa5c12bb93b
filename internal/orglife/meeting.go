package orglife

// Records of organisational life (三会一课 and the rest, RULES.md §A2, §B2): the record, its life cycle
// and what it contributes once it counts.
//
// draft → submitted → locked. A draft counts for nothing; from submission the record contributes one
// Held to every listener (the compliance calendar), inside the same transaction. A submitted record may
// be withdrawn to a draft (its Held is removed) until it is locked. It is locked by an officer, or on
// its own LockAfter after submission (docs/decisions/0003-meeting-records.md). Every save — creation,
// correction, submission, withdrawal, locking — keeps the whole record as a numbered version; after
// the lock a correction needs a reason. Nothing is overwritten without a visible earlier version (留痕).

import (
	"encoding/json"
	"time"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/files"
)

// Status is where a record stands.
type Status string

const (
	Draft     Status = "draft"
	Submitted Status = "submitted"
	Locked    Status = "locked"
)

// LockAfter is how long after submission a record locks on its own (an officer may lock it sooner).
const LockAfter = 30 * 24 * time.Hour

// Service keeps the records of organisational life.
type Service struct {
	db        *db.DB
	auth      *auth.Service
	trail     *audit.Trail
	clock     clock.Clock
	files     *files.Store
	listeners []Listener
	// LockAfter overrides the package default (0: LockAfter).
	LockAfter time.Duration
}

// NewService returns the records service.
func NewService(d *db.DB, a *auth.Service, t *audit.Trail, c clock.Clock, f *files.Store) *Service {
	return &Service{db: d, auth: a, trail: t, clock: c, files: f}
}

// OnHeld registers a listener told, inside every write transaction that changes what records count,
// which Held facts were removed and added. Register listeners at wiring time, before serving.
func (s *Service) OnHeld(l Listener) { s.listeners = append(s.listeners, l) }

func (s *Service) lockAfter() time.Duration {
	if s.LockAfter > 0 {
		return s.LockAfter
	}
	return LockAfter
}

// Absentee is a member expected who did not attend, with the reason given (请假事由).
type Absentee struct {
	MemberID int64  `json:"member_id"`
	Reason   string `json:"reason"`
}

// Input is what a record is created or corrected from.
type Input struct {
	OrgID          int64      `json:"org_id"`
	Kind           Kind       `json:"kind"`
	HeldOn         string     `json:"held_on"`              // YYYY-MM-DD
	StartTime      string     `json:"start_time,omitempty"` // HH:MM
	Place          string     `json:"place,omitempty"`
	Topic          string     `json:"topic"`
	ChairID        int64      `json:"chair_id,omitempty"`
	ChairDelegated bool       `json:"chair_delegated,omitempty"` // A2.4: a 委员 chairs on the secretary's delegation
	RecorderID     int64      `json:"recorder_id,omitempty"`
	LecturerID     int64      `json:"lecturer_id,omitempty"`
	AttendeeIDs    []int64    `json:"attendee_ids"`
	Absentees      []Absentee `json:"absentees,omitempty"`
	Minutes        string     `json:"minutes,omitempty"`
	Decisions      string     `json:"decisions,omitempty"`
	// The three steps of a democratic appraisal (A2.8), in order.
	SelfAssessmentOn string  `json:"self_assessment_on,omitempty"`
	PeerAssessmentOn string  `json:"peer_assessment_on,omitempty"`
	RatingOn         string  `json:"rating_on,omitempty"`
	AttachmentIDs    []int64 `json:"attachment_ids,omitempty"`
}

// Correction is an Input with the reason for the change (required once the record is locked).
type Correction struct {
	Input
	Reason string `json:"reason"`
}

// Attendance is one expected person and whether they came.
type Attendance struct {
	MemberID     int64  `json:"member_id"`
	Name         string `json:"name"`
	Present      bool   `json:"present"`
	Reason       string `json:"reason,omitempty"`
	LeadingCadre bool   `json:"leading_cadre"`
}

// Warning is a rule that a record does not meet but that does not block it (RULES.md R0.4: "一般").
type Warning struct {
	RuleID  string `json:"rule_id"`
	Field   string `json:"field"`
	Key     string `json:"key"`
	Message string `json:"message,omitempty"` // Key in the reader's language (filled by the web layer)
}

// Meeting is a record of organisational life.
type Meeting struct {
	ID               int64        `json:"id"`
	OrgID            int64        `json:"org_id"`
	OrgName          string       `json:"org_name"`
	Kind             Kind         `json:"kind"`
	Status           Status       `json:"status"`
	HeldOn           db.Date      `json:"held_on"`
	StartTime        string       `json:"start_time"`
	Place            string       `json:"place"`
	Topic            string       `json:"topic"`
	ChairID          int64        `json:"chair_id"`
	ChairName        string       `json:"chair_name"`
	ChairDelegated   bool         `json:"chair_delegated"`
	RecorderID       int64        `json:"recorder_id"`
	RecorderName     string       `json:"recorder_name"`
	LecturerID       int64        `json:"lecturer_id"`
	LecturerName     string       `json:"lecturer_name"`
	ExpectedCount    int          `json:"expected_count"`
	PresentCount     int          `json:"present_count"`
	Minutes          string       `json:"minutes"`
	Decisions        string       `json:"decisions"`
	SelfAssessmentOn db.Date      `json:"self_assessment_on"`
	PeerAssessmentOn db.Date      `json:"peer_assessment_on"`
	RatingOn         db.Date      `json:"rating_on"`
	Warnings         []Warning    `json:"warnings"`
	Version          int          `json:"version"`
	Counted          bool         `json:"counted"` // contributes to obligations now
	SubmittedAt      *time.Time   `json:"submitted_at,omitempty"`
	LockedAt         *time.Time   `json:"locked_at,omitempty"`
	Attendance       []Attendance `json:"attendance"`
	LeadingCadres    []string     `json:"leading_cadres_present"`
	Attachments      []files.File `json:"attachments"`

	orgPath string
	stored  Status // the status as stored (Status is the effective one: LockAfter)
}

// StepsDone reports whether the three steps of a democratic appraisal are recorded (A2.8).
func (m Meeting) StepsDone() bool {
	return !m.SelfAssessmentOn.IsZero() && !m.PeerAssessmentOn.IsZero() && !m.RatingOn.IsZero()
}

// counts reports whether a record in this state contributes a Held: submitted (or locked) and, for an
// appraisal, with its three steps recorded (A2.8).
func (m Meeting) counts() bool {
	if m.Status == Draft {
		return false
	}
	return m.Kind != MemberAppraisal || m.StepsDone()
}

// held is the record's contribution, or nil when it does not count.
func (m Meeting) held() *Held {
	if !m.counts() {
		return nil
	}
	return &Held{RecordID: m.ID, OrgID: m.OrgID, Kind: m.Kind, On: m.HeldOn, LecturerID: m.LecturerID, ChairID: m.ChairID}
}

// Absent lists the expected members who did not attend.
func (m Meeting) Absent() []Attendance {
	var out []Attendance
	for _, a := range m.Attendance {
		if !a.Present {
			out = append(out, a)
		}
	}
	return out
}

// Present lists the members who attended.
func (m Meeting) Present() []Attendance {
	var out []Attendance
	for _, a := range m.Attendance {
		if a.Present {
			out = append(out, a)
		}
	}
	return out
}

// Version is one saved state of a record.
type Version struct {
	Version   int       `json:"version"`
	Action    string    `json:"action"`
	Reason    string    `json:"reason"`
	ActorName string    `json:"actor"`
	At        time.Time `json:"at"`
	Record    Meeting   `json:"record"`
}

func snapshot(m Meeting) string {
	b, _ := json.Marshal(m)
	return string(b)
}
