package org

import (
	"context"
	"strconv"
	"strings"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

const memberCols = `m.id, m.org_id, o.name, COALESCE(m.cell_id, 0), COALESCE(m.leading_group_id, 0), m.name, m.gender,
	m.ethnicity, m.birth_on, m.id_number_enc, m.phone_enc, m.education, m.job_title, m.unit_name, m.status,
	m.mobile, m.abroad, m.lost_contact, m.terminal_state, m.terminal_on, m.joined_on, m.full_on, m.is_leading_cadre,
	m.terminal_reason, m.mobile_since, m.abroad_since, m.lost_contact_since`

const memberFrom = " FROM members m JOIN orgs o ON o.id = m.org_id"

// scanMember reads a row and opens the sealed numbers; unmask decides whether they are shown whole.
func (s *Service) scanMember(sc interface{ Scan(...any) error }, unmask bool) (Member, error) {
	var m Member
	var idEnc, phoneEnc string
	err := sc.Scan(&m.ID, &m.OrgID, &m.OrgName, &m.CellID, &m.LeadingGroupID, &m.Name, &m.Gender, &m.Ethnicity,
		&m.BirthDate, &idEnc, &phoneEnc, &m.Education, &m.JobTitle, &m.UnitName, &m.Status, &m.Mobile, &m.Abroad,
		&m.LostContact, &m.TerminalState, &m.TerminalOn, &m.JoinedOn, &m.FullOn, &m.IsLeadingCadre,
		&m.TerminalReason, &m.MobileSince, &m.AbroadSince, &m.LostContactSince)
	if err != nil {
		return m, err
	}
	key := s.dataKey()
	id, err := key.Open(idEnc, adIDNumber)
	if err != nil {
		return m, errs.Wrap(errs.Internal, "error.internal", err)
	}
	phone, err := key.Open(phoneEnc, adPhone)
	if err != nil {
		return m, errs.Wrap(errs.Internal, "error.internal", err)
	}
	if unmask {
		m.IDNumber, m.Phone, m.Unmasked = id, phone, true
	} else {
		m.IDNumber, m.Phone = "", maskPhone(phone)
		if id != "" {
			m.IDNumber = validate.MaskID(id)
		}
	}
	m.PartyStanding = standingPtr(m, clock.Today(s.clock))
	return m, nil
}

// GetMember returns a member the caller may see, with the ID and phone numbers masked. With unmask the
// numbers are shown whole: only to org administrators over the member's branch, and each time is
// audited (member.unmask), so who looked at whose number can always be answered.
func (s *Service) GetMember(ctx context.Context, p auth.Principal, id int64, unmask bool) (Member, error) {
	var orgID int64
	err := s.db.QueryRow(ctx, "SELECT org_id FROM members WHERE id = ?", id).Scan(&orgID)
	if errs.Is(err, errs.NotFound) {
		return Member{}, errs.E(errs.NotFound, "error.not_found")
	}
	if err != nil {
		return Member{}, err
	}
	if p.MemberID != 0 && p.MemberID == id {
		err = s.auth.Authorize(ctx, p, auth.ReadSelf, auth.Target{MemberID: id})
	} else {
		err = s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: orgID})
	}
	if err != nil {
		return Member{}, err
	}
	if unmask {
		// Unmasking is its own action (auth.UnmaskPII, an org administrator's): officers and members
		// see masked numbers, their own included.
		if err := s.auth.Authorize(ctx, p, auth.UnmaskPII, auth.Target{OrgID: orgID}); err != nil {
			return Member{}, err
		}
	}
	m, err := s.scanMember(s.db.QueryRow(ctx, "SELECT "+memberCols+memberFrom+" WHERE m.id = ?", id), unmask)
	if err != nil || !unmask {
		return m, err
	}
	err = s.trail.Record(ctx, audit.Event{Action: "member.unmask", ObjectType: "member", ObjectID: id,
		Detail: "id_number phone"})
	if err != nil {
		return Member{}, err // no record of the look, no look
	}
	return m, nil
}

// MemberFilter narrows ListMembers.
type MemberFilter struct {
	OrgID  int64  // the subtree to list (required)
	Q      string // any part of the name
	Status string // a Status, a terminal state (F8), or "" for everyone still on the roster
	Limit  int    // default 50, at most 500
	Offset int
}

// ListMembers lists members of the subtree of f.OrgID in pinyin order of their names, masked, with the
// total matching count.
func (s *Service) ListMembers(ctx context.Context, p auth.Principal, f MemberFilter) ([]Member, int, error) {
	if f.OrgID == 0 {
		return nil, 0, fieldErr("org_id", validate.KeyRequired)
	}
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: f.OrgID}); err != nil {
		return nil, 0, err
	}
	where, args, err := s.rosterWhere(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*)"+memberFrom+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	f.Offset = max(f.Offset, 0)
	rows, err := s.db.Query(ctx, "SELECT "+memberCols+memberFrom+where+" ORDER BY m.name_key, m.id LIMIT "+
		strconv.Itoa(f.Limit)+" OFFSET "+strconv.Itoa(f.Offset), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Member{}
	for rows.Next() {
		m, err := s.scanMember(rows, false)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, m)
	}
	return out, total, rows.Err()
}

// rosterWhere is the WHERE clause (over memberFrom) and its arguments for a roster filter: the subtree of
// f.OrgID, the name search and the status. ListMembers and ExportMembers share it, so a list and its
// export hold the same people. The caller has authorised the read of f.OrgID.
func (s *Service) rosterWhere(ctx context.Context, f MemberFilter) (string, []any, error) {
	path, err := s.auth.OrgPath(ctx, f.OrgID)
	if err != nil {
		return "", nil, err
	}
	where := " WHERE o.path LIKE ?"
	args := []any{path + "%"}
	if q := strings.TrimSpace(f.Q); q != "" {
		w, a := s.nameSearch(ctx, q)
		where += w
		args = append(args, a...)
	}
	switch st := f.Status; {
	case st == "":
		where += " AND m.terminal_state = ''"
	case validStatus(Status(st)):
		where += " AND m.status = ? AND m.terminal_state = ''"
		args = append(args, st)
	case isTerminal(st):
		where += " AND m.terminal_state = ?"
		args = append(args, st)
	default:
		return "", nil, fieldErr("status", "org.member.status")
	}
	return where, args, nil
}

func isTerminal(s string) bool {
	for _, t := range TerminalStates {
		if s == t {
			return true
		}
	}
	return false
}

// likeEscape makes s match literally inside a LIKE pattern with ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
