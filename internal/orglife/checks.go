package orglife

// The checks a record must pass (blocking, 422 with the rule cited) or should pass (warnings), as data
// where the rule is data: which organisations hold which kinds, and which kinds have a chair rule, a
// quorum or steps.

import (
	"regexp"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// kindRule says which organisations hold a kind and what its record must show.
type kindRule struct {
	Orgs     []org.Kind // organisations that hold it
	Rule     string     // RULES.md id of the obligation
	Chair    bool       // the chair is checked against the posts (A2.4)
	Lecturer bool       // a lecturer is required (A2.5)
}

// KindRules is the table of kinds (RULES.md §A2, §B2).
var KindRules = map[Kind]kindRule{
	GeneralMeeting:        {Orgs: []org.Kind{org.Branch, org.GeneralBranch}, Rule: "A2.1", Chair: true},
	CommitteeMeeting:      {Orgs: []org.Kind{org.Branch, org.GeneralBranch}, Rule: "A2.2", Chair: true},
	CellMeeting:           {Orgs: []org.Kind{org.Cell}, Rule: "A2.3", Chair: true},
	PartyLesson:           {Orgs: []org.Kind{org.Branch, org.GeneralBranch, org.Committee}, Rule: "A2.5", Lecturer: true},
	ThemeDay:              {Orgs: []org.Kind{org.Branch}, Rule: "A2.6"},
	OrgLifeMeeting:        {Orgs: []org.Kind{org.Branch, org.Cell}, Rule: "A2.7"},
	MemberAppraisal:       {Orgs: []org.Kind{org.Branch}, Rule: "A2.8"},
	HeartTalk:             {Orgs: []org.Kind{org.Branch}, Rule: "A2.9"},
	DemocraticLifeMeeting: {Orgs: []org.Kind{org.LeadingGroup, org.Committee}, Rule: "B2"},
	AllMemberMeeting:      {Orgs: []org.Kind{org.Committee}, Rule: "B2"},
}

// Rule is the RULES.md id of the obligation a kind serves.
func (k Kind) Rule() string { return KindRules[k].Rule }

// HeldBy reports whether an organisation of kind ok holds records of kind k.
func (k Kind) HeldBy(ok org.Kind) bool {
	for _, x := range KindRules[k].Orgs {
		if x == ok {
			return true
		}
	}
	return false
}

// checked is what validation produced: the record to store and the warnings to show.
type checked struct {
	m        Meeting
	warnings []Warning
}

var timeRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

func keyOf(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Key
	}
	return "error.validation"
}

// date reads a required or optional YYYY-MM-DD, never after today.
func date(f errs.Fields, field, v string, required bool, today time.Time) db.Date {
	v = strings.TrimSpace(v)
	if v == "" {
		if required {
			f.Add(field, validate.KeyRequired)
		}
		return db.Date{}
	}
	t, err := validate.Date(v)
	if err != nil {
		f.Add(field, keyOf(err))
		return db.Date{}
	}
	if t.After(today) {
		f.Add(field, "meetings.date.future")
	}
	return db.DateOf(t)
}

// check validates in against the organisation, the roster and the posts on the day, inside tx. It
// returns the record to store (attendance computed from the roster) or a 422 naming the fields, each
// message citing its rule.
func (s *Service) check(tx *db.Tx, in Input, today time.Time) (checked, error) {
	f := errs.Fields{}
	var out checked
	m := Meeting{OrgID: in.OrgID, Kind: in.Kind, StartTime: strings.TrimSpace(in.StartTime), Place: strings.TrimSpace(in.Place),
		Topic: strings.TrimSpace(in.Topic), ChairID: in.ChairID, ChairDelegated: in.ChairDelegated, RecorderID: in.RecorderID,
		LecturerID: in.LecturerID, Minutes: strings.TrimSpace(in.Minutes), Decisions: strings.TrimSpace(in.Decisions)}
	if !in.Kind.Valid() {
		f.Add("kind", "meetings.kind.invalid")
	}
	m.HeldOn = date(f, "held_on", in.HeldOn, true, today)
	if m.StartTime != "" && !timeRE.MatchString(m.StartTime) {
		f.Add("start_time", "meetings.start_time.invalid")
	}
	for _, c := range []struct {
		field, v string
		min, max int
	}{{"topic", m.Topic, 2, 200}, {"place", m.Place, 0, 100}, {"minutes", m.Minutes, 0, 20000}, {"decisions", m.Decisions, 0, 5000}} {
		if err := validate.Length(c.v, c.min, c.max); err != nil {
			f.Add(c.field, keyOf(err))
		}
	}
	if in.OrgID <= 0 {
		f.Add("org_id", validate.KeyRequired)
	}
	if len(in.AttachmentIDs) > 20 {
		f.Add("attachment_ids", "meetings.attachments.too_many")
	}
	if in.Kind == MemberAppraisal {
		m.SelfAssessmentOn = date(f, "self_assessment_on", in.SelfAssessmentOn, false, today)
		m.PeerAssessmentOn = date(f, "peer_assessment_on", in.PeerAssessmentOn, false, today)
		m.RatingOn = date(f, "rating_on", in.RatingOn, false, today)
		// A2.8: 个人自评 → 党员互评 → 民主测评, in this order; a later step needs the earlier ones.
		steps := []struct {
			field string
			d     db.Date
		}{{"self_assessment_on", m.SelfAssessmentOn}, {"peer_assessment_on", m.PeerAssessmentOn}, {"rating_on", m.RatingOn}}
		for i := 1; i < len(steps); i++ {
			prev, cur := steps[i-1], steps[i]
			if !cur.d.IsZero() && (prev.d.IsZero() || cur.d.Before(prev.d.Time)) {
				f.Add(cur.field, "meetings.appraisal.order")
			}
		}
		if !m.StepsDone() {
			out.warnings = append(out.warnings, Warning{RuleID: "A2.8", Field: "rating_on", Key: "meetings.appraisal.incomplete"})
		}
	} else if in.SelfAssessmentOn != "" || in.PeerAssessmentOn != "" || in.RatingOn != "" {
		f.Add("rating_on", "meetings.appraisal.only")
	}
	if err := f.Err(); err != nil || in.OrgID <= 0 {
		return out, err
	}
	o, err := loadOrg(tx, in.OrgID)
	if errs.Is(err, errs.NotFound) {
		return out, invalid("org_id", "meetings.org.unknown")
	}
	if err != nil {
		return out, err
	}
	m.OrgName, m.orgPath = o.Name, o.Path
	if !o.Live {
		f.Add("org_id", "meetings.org.dissolved")
	}
	if !in.Kind.HeldBy(o.Kind) {
		f.Add("kind", "meetings.kind.org")
	}
	if err := f.Err(); err != nil {
		return out, err
	}
	day := m.HeldOn.Time
	expected, err := expectedOn(tx, o, in.Kind, day)
	if err != nil {
		return out, err
	}
	rule := KindRules[in.Kind]

	// Heart-to-heart talks are between two people (A2.9): the chair and one other member.
	if in.Kind == HeartTalk {
		switch {
		case in.ChairID == 0:
			f.Add("chair_id", "meetings.talk.two")
		case len(in.AttendeeIDs) != 1 || in.AttendeeIDs[0] == in.ChairID:
			f.Add("attendee_ids", "meetings.talk.two")
		default:
			for _, id := range []int64{in.ChairID, in.AttendeeIDs[0]} {
				if _, ok := expected[id]; !ok {
					f.Add("attendee_ids", "meetings.attendee.not_expected")
				}
			}
		}
		if err := f.Err(); err != nil {
			return out, err
		}
		both := map[int64]person{in.ChairID: expected[in.ChairID], in.AttendeeIDs[0]: expected[in.AttendeeIDs[0]]}
		expected = both
		in.AttendeeIDs = []int64{in.ChairID, in.AttendeeIDs[0]}
		in.Absentees = nil
	}

	// Attendance: present and absent members must be expected ones, once each.
	present := map[int64]bool{}
	for _, id := range in.AttendeeIDs {
		if _, ok := expected[id]; !ok {
			f.Add("attendee_ids", "meetings.attendee.not_expected")
			continue
		}
		if present[id] {
			f.Add("attendee_ids", "meetings.attendee.duplicate")
		}
		present[id] = true
	}
	reasons := map[int64]string{}
	for _, a := range in.Absentees {
		a.Reason = strings.TrimSpace(a.Reason)
		_, ok := expected[a.MemberID]
		switch {
		case !ok:
			f.Add("absentees", "meetings.attendee.not_expected")
		case present[a.MemberID]:
			f.Add("absentees", "meetings.absentee.present")
		case a.Reason == "":
			f.Add("absentees", "meetings.absentee.reason")
		case validate.Length(a.Reason, 1, 200) != nil:
			f.Add("absentees", "meetings.absentee.reason_long")
		}
		reasons[a.MemberID] = a.Reason
	}
	if len(present) == 0 && len(expected) > 0 {
		f.Add("attendee_ids", "meetings.attendee.none")
	}
	unexplained := 0
	fullExpected, fullPresent := 0, 0
	for _, id := range sortedIDs(expected) {
		p := expected[id]
		a := Attendance{MemberID: id, Name: p.Name, Present: present[id], Reason: reasons[id], LeadingCadre: p.LeadingCadre}
		if !a.Present && a.Reason == "" {
			unexplained++
		}
		if p.Full {
			fullExpected++
			if a.Present {
				fullPresent++
			}
		}
		if a.Present {
			m.PresentCount++
			if p.LeadingCadre {
				m.LeadingCadres = append(m.LeadingCadres, p.Name)
			}
		}
		m.Attendance = append(m.Attendance, a)
	}
	m.ExpectedCount = len(expected)
	if unexplained > 0 {
		out.warnings = append(out.warnings, Warning{RuleID: "A2.5", Field: "absentees", Key: "meetings.absentee.unexplained"})
	}

	// The chair (A2.4).
	if rule.Chair {
		if in.ChairID == 0 {
			f.Add("chair_id", "meetings.chair.required")
		} else if key, err := s.chairCheck(tx, o, in, day); err != nil {
			return out, err
		} else if key != "" {
			f.Add("chair_id", key)
		}
	}
	if in.ChairID != 0 && in.Kind != HeartTalk {
		if _, ok := expected[in.ChairID]; !ok && in.Kind != PartyLesson && in.Kind != AllMemberMeeting {
			f.Add("chair_id", "meetings.chair.not_member")
		}
	}
	if in.RecorderID != 0 {
		if _, ok := expected[in.RecorderID]; !ok {
			f.Add("recorder_id", "meetings.recorder.not_member")
		}
	}

	// The lecturer of a party lesson (A2.5): a party member on the day; a leading cadre may lecture at a
	// branch other than their own (B2 第十八条).
	switch {
	case rule.Lecturer && in.LecturerID == 0:
		f.Add("lecturer_id", "meetings.lecturer.required")
	case !rule.Lecturer && in.LecturerID != 0:
		f.Add("lecturer_id", "meetings.lecturer.only_lessons")
	case rule.Lecturer:
		var status, terminal string
		var name string
		err := tx.QueryRow("SELECT name, status, terminal_state FROM members WHERE id = ?", in.LecturerID).Scan(&name, &status, &terminal)
		switch {
		case errs.Is(err, errs.NotFound):
			f.Add("lecturer_id", "meetings.lecturer.unknown")
		case err != nil:
			return out, err
		case terminal != "" || (status != string(org.Full) && status != string(org.Probationary)):
			f.Add("lecturer_id", "meetings.lecturer.unknown")
		}
	}

	// Quorum.
	switch in.Kind {
	case CommitteeMeeting:
		// A2.2: 半数以上委员到会 — "以上" includes the number (R0.1): at least half of the committee.
		if len(expected) == 0 {
			f.Add("kind", "meetings.quorum.no_committee")
		} else if 2*len(present) < len(expected) {
			return out, &errs.Error{Code: errs.Unprocessable, Key: "error.validation",
				Fields: map[string]string{"attendee_ids": "meetings.quorum.committee"},
				Args:   map[string]any{"Present": len(present), "Members": len(expected)}}
		}
	case GeneralMeeting:
		// C4.3: a vote of the general meeting needs more than half ("超过", exclusive, R0.1) of the full
		// members entitled to attend. A meeting without a vote may still be held: a warning.
		if fullExpected > 0 && 2*fullPresent <= fullExpected {
			out.warnings = append(out.warnings, Warning{RuleID: "C4.3", Field: "attendee_ids", Key: "meetings.quorum.general"})
		}
	case OrgLifeMeeting:
		if m.HeldOn.Month() < time.October {
			out.warnings = append(out.warnings, Warning{RuleID: "A2.7", Field: "held_on", Key: "meetings.org_life.q4"})
		}
	}
	if err := f.Err(); err != nil {
		return out, err
	}
	out.m = m
	return out, nil
}

// chairCheck applies A2.4 as RULES.md words its validation: chair ∈ {书记, 副书记, 委员 with the
// delegation flag} for a general or committee meeting; the cell leader for a cell meeting. It
// returns the message key of the failure, or "".
func (s *Service) chairCheck(tx *db.Tx, o orgRow, in Input, day time.Time) (string, error) {
	ps, err := postsOn(tx, o.ID, day)
	if err != nil {
		return "", err
	}
	if o.Kind == org.Cell {
		for _, p := range ps {
			if p.Post == org.CellLeader && p.MemberID == in.ChairID {
				return "", nil
			}
		}
		return "meetings.chair.cell_leader", nil
	}
	best := org.PostKind("")
	for _, p := range ps {
		if p.MemberID == in.ChairID && p.Post != org.CellLeader && (best == "" || rank(p.Post) < rank(best)) {
			best = p.Post
		}
	}
	switch {
	case best == org.Secretary || best == org.DeputySecretary:
		return "", nil
	case best == "":
		return "meetings.chair.post", nil
	case !in.ChairDelegated:
		return "meetings.chair.delegation", nil
	}
	return "", nil
}

func invalid(field, key string) error {
	return &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{field: key}}
}
