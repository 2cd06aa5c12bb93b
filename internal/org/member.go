package org

import (
	"context"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// Status is a member's standing in the party (GLOSSARY.md).
type Status string

const (
	Applicant    Status = "applicant"
	Activist     Status = "activist"
	Candidate    Status = "candidate"
	Probationary Status = "probationary"
	Full         Status = "full"
)

// Member is one person on the roster as shown: IDNumber and Phone are masked unless Unmasked.
type Member struct {
	ID             int64   `json:"id"`
	OrgID          int64   `json:"org_id"`
	OrgName        string  `json:"org_name"`
	CellID         int64   `json:"cell_id,omitempty"`
	LeadingGroupID int64   `json:"leading_group_id,omitempty"`
	Name           string  `json:"name"`
	Gender         string  `json:"gender"`
	Ethnicity      string  `json:"ethnicity"`
	BirthDate      db.Date `json:"birth_date"`
	IDNumber       string  `json:"id_number"`
	Phone          string  `json:"phone"`
	Unmasked       bool    `json:"unmasked"`
	Education      string  `json:"education"`
	JobTitle       string  `json:"job_title"`
	UnitName       string  `json:"unit_name"`
	Status         Status  `json:"status"`
	Mobile         bool    `json:"mobile"`
	Abroad         bool    `json:"abroad"`
	LostContact    bool    `json:"lost_contact"`
	TerminalState  string  `json:"terminal_state,omitempty"`
	TerminalOn     db.Date `json:"terminal_on,omitempty"`
	TerminalReason string  `json:"terminal_reason,omitempty"`
	// The dates the flags were raised (§F3, §F7); zero while a flag is down.
	MobileSince      db.Date `json:"mobile_since,omitempty"`
	AbroadSince      db.Date `json:"abroad_since,omitempty"`
	LostContactSince db.Date `json:"lost_contact_since,omitempty"`
	JoinedOn         db.Date `json:"joined_on"`
	FullOn           db.Date `json:"full_on"`
	// PartyStanding is 党龄 in full years today (C5.4); nil for anyone not a full member.
	PartyStanding  *int `json:"party_standing"`
	IsLeadingCadre bool `json:"is_leading_cadre"`
}

// NewMember is what CreateMember takes: the API's fields as sent (dates YYYY-MM-DD), validated here so
// every problem comes back as a field message.
type NewMember struct {
	Name           string `json:"name"`
	IDNumber       string `json:"id_number"`
	Gender         string `json:"gender"`     // male, female; optional, cross-checked with the ID number
	BirthDate      string `json:"birth_date"` // optional, cross-checked with the ID number
	Ethnicity      string `json:"ethnicity"`  // GB/T 3304 name or code
	Phone          string `json:"phone"`
	Education      string `json:"education"`
	JobTitle       string `json:"job_title"`
	UnitName       string `json:"unit_name"`
	OrgID          int64  `json:"org_id"`
	CellID         int64  `json:"cell_id"`
	Status         Status `json:"status"`
	JoinedOn       string `json:"joined_on"`
	FullOn         string `json:"full_on"`
	IsLeadingCadre bool   `json:"is_leading_cadre"`
	LeadingGroupID int64  `json:"leading_group_id"`
	Mobile         bool   `json:"mobile"`
	Abroad         bool   `json:"abroad"`
	LostContact    bool   `json:"lost_contact"`
}

// member is a validated NewMember with the clear ID and phone, before sealing.
type member struct {
	Member
	idNumber, phone string
}

// CreateMember adds a member to a branch in the caller's subtree.
func (s *Service) CreateMember(ctx context.Context, p auth.Principal, n NewMember) (Member, error) {
	if n.OrgID == 0 {
		return Member{}, fieldErr("org_id", validate.KeyRequired)
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: n.OrgID}); err != nil {
		return Member{}, err
	}
	var m Member
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		m, err = s.createMemberTx(tx, n, 0)
		return err
	})
	return m, err
}

// CreateMemberTx validates and inserts a member inside tx with its audit entry; the caller authorizes
// (CreateMember does; the demo loader runs as the system).
func (s *Service) CreateMemberTx(tx *db.Tx, n NewMember) (int64, error) {
	m, err := s.createMemberTx(tx, n, 0)
	return m.ID, err
}

func fieldErr(field, key string) error {
	return &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{field: key}}
}

// createMemberTx validates and inserts n; importID (0: none) is the import batch that creates it.
func (s *Service) createMemberTx(tx *db.Tx, n NewMember, importID int64) (Member, error) {
	m, err := s.checkMember(tx, n)
	if err != nil {
		return Member{}, err
	}
	key := s.dataKey()
	idEnc, err := key.Seal(m.idNumber, adIDNumber)
	if err != nil {
		return Member{}, err
	}
	phoneEnc, err := key.Seal(m.phone, adPhone)
	if err != nil {
		return Member{}, err
	}
	lookup := key.Lookup(m.idNumber)
	var dup int64
	switch err := tx.QueryRow("SELECT id FROM members WHERE id_number_lookup = ?", lookup).Scan(&dup); {
	case err == nil:
		return Member{}, duplicateID()
	case !errs.Is(err, errs.NotFound):
		return Member{}, err
	}
	now := db.Millis(s.clock.Now())
	m.ID, err = tx.Insert(`INSERT INTO members(org_id, cell_id, leading_group_id, name, name_key, gender, ethnicity, birth_on,
		id_number_enc, id_number_lookup, phone_enc, phone_lookup, education, job_title, unit_name, status,
		mobile, abroad, lost_contact, joined_on, full_on, is_leading_cadre, import_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.OrgID, nullID(m.CellID), nullID(m.LeadingGroupID), m.Name, NameKey(m.Name), m.Gender, m.Ethnicity, m.BirthDate,
		idEnc, lookup, phoneEnc, key.Lookup(m.phone), m.Education, m.JobTitle, m.UnitName, string(m.Status),
		m.Mobile, m.Abroad, m.LostContact, m.JoinedOn, m.FullOn, m.IsLeadingCadre, nullID(importID), now, now)
	if errs.Is(err, errs.Conflict) {
		return Member{}, duplicateID() // a concurrent insert of the same number (PostgreSQL)
	}
	if err != nil {
		return Member{}, err
	}
	out := m.Member
	out.IDNumber, out.Phone = validate.MaskID(m.idNumber), maskPhone(m.phone)
	out.PartyStanding = standingPtr(out, clock.Today(s.clock))
	// The trail keeps digests only, but a digest of a record holding a clear ID number could be found by
	// trying every number: the masked view goes in.
	return out, s.trail.Append(tx, audit.Event{Action: "member.create", ObjectType: "member", ObjectID: m.ID, After: out})
}

func duplicateID() error {
	return &errs.Error{Code: errs.Conflict, Key: "member.id_number.duplicate",
		Fields: map[string]string{"id_number": "member.id_number.duplicate"}}
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func maskPhone(p string) string {
	if p == "" {
		return ""
	}
	return validate.MaskPhone(p)
}

func standingPtr(m Member, now time.Time) *int {
	if n, ok := Standing(m.Status, m.JoinedOn, m.FullOn, now); ok {
		return &n
	}
	return nil
}

// checkMember validates every field of n (all problems at once) and the references it makes.
func (s *Service) checkMember(tx *db.Tx, n NewMember) (member, error) {
	f := errs.Fields{}
	today := clock.Today(s.clock)
	m := member{Member: Member{OrgID: n.OrgID, CellID: n.CellID, LeadingGroupID: n.LeadingGroupID,
		Name: strings.TrimSpace(n.Name), JobTitle: strings.TrimSpace(n.JobTitle), UnitName: strings.TrimSpace(n.UnitName),
		Status: n.Status, Mobile: n.Mobile, Abroad: n.Abroad, LostContact: n.LostContact, IsLeadingCadre: n.IsLeadingCadre,
		Education: strings.TrimSpace(n.Education)}}

	if err := validate.Length(m.Name, 2, 50); err != nil {
		f.Add("name", keyOf(err))
	}
	for field, v := range map[string]string{"job_title": m.JobTitle, "unit_name": m.UnitName} {
		if err := validate.Length(v, 0, 100); err != nil {
			f.Add(field, keyOf(err))
		}
	}

	// H1: the ID number, and the gender and birth date it encodes.
	var info validate.IDInfo
	idOK := false
	if strings.TrimSpace(n.IDNumber) == "" {
		f.Add("id_number", validate.KeyRequired)
	} else if i, err := validate.IDNumber(n.IDNumber); err != nil {
		f.Add("id_number", keyOf(err))
	} else if i.Birth.After(today) {
		f.Add("id_number", "member.birth_date.future")
	} else {
		info, idOK = i, true
		m.idNumber = i.Number
	}
	switch n.Gender {
	case "", "male", "female":
		if idOK && n.Gender != "" && n.Gender != info.Gender {
			f.Add("gender", "member.gender.mismatch")
		}
	default:
		f.Add("gender", "member.gender.invalid")
	}
	m.Gender = n.Gender
	if idOK {
		m.Gender = info.Gender
		m.BirthDate = db.DateOf(info.Birth)
	}
	if n.BirthDate != "" {
		if d, err := validate.Date(n.BirthDate); err != nil {
			f.Add("birth_date", keyOf(err))
		} else if idOK && !d.Equal(info.Birth) {
			f.Add("birth_date", "member.birth_date.mismatch")
		} else if !idOK {
			m.BirthDate = db.DateOf(d)
		}
	}

	if strings.TrimSpace(n.Ethnicity) == "" {
		f.Add("ethnicity", validate.KeyRequired)
	} else if e, ok := ethnicityName(strings.TrimSpace(n.Ethnicity)); ok {
		m.Ethnicity = e
	} else {
		f.Add("ethnicity", "member.ethnicity.unknown")
	}
	if strings.TrimSpace(n.Phone) != "" {
		if p, err := validate.Mobile(n.Phone); err != nil {
			f.Add("phone", keyOf(err))
		} else {
			m.phone = p
		}
	}
	if m.Education != "" && !validEducation(m.Education) {
		f.Add("education", "member.education.unknown")
	}

	// Dates of the procedure: only members (probationary, full) have joined; only full members are
	// confirmed, no earlier than the end of the one-year probation (C5.1).
	if !validStatus(m.Status) {
		f.Add("status", "org.member.status")
	}
	isMember := m.Status == Probationary || m.Status == Full
	if n.JoinedOn != "" {
		d, err := validate.Date(n.JoinedOn)
		switch {
		case err != nil:
			f.Add("joined_on", keyOf(err))
		case !isMember && validStatus(m.Status):
			f.Add("joined_on", "member.joined_on.not_member")
		case d.After(today):
			f.Add("joined_on", "member.date.future")
		case !m.BirthDate.IsZero() && d.Before(AddYears(m.BirthDate.Time, 18)):
			f.Add("joined_on", "member.joined_on.age")
		default:
			m.JoinedOn = db.DateOf(d)
		}
	} else if isMember {
		f.Add("joined_on", validate.KeyRequired)
	}
	if n.FullOn != "" {
		d, err := validate.Date(n.FullOn)
		switch {
		case err != nil:
			f.Add("full_on", keyOf(err))
		case m.Status != Full && validStatus(m.Status):
			f.Add("full_on", "member.full_on.not_full")
		case d.After(today):
			f.Add("full_on", "member.date.future")
		case !m.JoinedOn.IsZero() && d.Before(AddYears(m.JoinedOn.Time, 1)):
			f.Add("full_on", "member.full_on.probation")
		default:
			m.FullOn = db.DateOf(d)
		}
	}
	if m.LeadingGroupID != 0 && !m.IsLeadingCadre {
		f.Add("leading_group_id", "member.leading_group.not_cadre")
	}
	if err := f.Err(); err != nil {
		return m, err
	}

	// References: the home branch, its cell, the leading group.
	var kind, name string
	err := tx.QueryRow("SELECT kind, name FROM orgs WHERE id = ? AND dissolved_on IS NULL", m.OrgID).Scan(&kind, &name)
	if errs.Is(err, errs.NotFound) || (err == nil && Kind(kind) != Branch) {
		f.Add("org_id", "member.org.not_branch")
	} else if err != nil {
		return m, err
	}
	m.OrgName = name
	if m.CellID != 0 {
		var parent int64
		err := tx.QueryRow("SELECT COALESCE(parent_id, 0) FROM orgs WHERE id = ? AND kind = 'cell' AND dissolved_on IS NULL", m.CellID).Scan(&parent)
		if errs.Is(err, errs.NotFound) || (err == nil && parent != m.OrgID) {
			f.Add("cell_id", "member.cell.not_in_branch")
		} else if err != nil {
			return m, err
		}
	}
	if m.LeadingGroupID != 0 {
		var n int
		if err := tx.QueryRow("SELECT COUNT(*) FROM orgs WHERE id = ? AND kind = 'leading_group' AND dissolved_on IS NULL", m.LeadingGroupID).Scan(&n); err != nil {
			return m, err
		}
		if n == 0 {
			f.Add("leading_group_id", "member.leading_group.invalid")
		}
	}
	return m, f.Err()
}
