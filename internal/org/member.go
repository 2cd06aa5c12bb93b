package org

import (
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
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

// Member is one person on the roster (the foundation's cut; the organisations issue adds the rest).
type Member struct {
	ID             int64   `json:"id"`
	OrgID          int64   `json:"org_id"`
	Name           string  `json:"name"`
	Gender         string  `json:"gender"`
	BirthOn        db.Date `json:"birth_on"`
	Status         Status  `json:"status"`
	JoinedOn       db.Date `json:"joined_on"`
	FullOn         db.Date `json:"full_on"`
	IsLeadingCadre bool    `json:"is_leading_cadre"`
}

// CreateMemberTx inserts a member inside tx with its audit entry; the caller authorizes.
func (s *Service) CreateMemberTx(tx *db.Tx, m Member) (int64, error) {
	f := errs.Fields{}
	if m.Name == "" {
		f.Add("name", "validate.required")
	}
	switch m.Status {
	case Applicant, Activist, Candidate, Probationary, Full:
	default:
		f.Add("status", "org.member.status")
	}
	if err := f.Err(); err != nil {
		return 0, err
	}
	now := db.Millis(s.clock.Now())
	id, err := tx.Insert(`INSERT INTO members(org_id, name, gender, birth_on, status, joined_on, full_on, is_leading_cadre, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.OrgID, m.Name, m.Gender, m.BirthOn, string(m.Status), m.JoinedOn, m.FullOn, m.IsLeadingCadre, now, now)
	if err != nil {
		return 0, err
	}
	m.ID = id
	return id, s.trail.Append(tx, audit.Event{Action: "member.create", ObjectType: "member", ObjectID: id, After: m})
}
