package org

import (
	"context"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// UpdateMember replaces a member's details with n, validated as CreateMember validates them. The
// home branch does not change here: moving a member is a transfer (§F4). An id_number or phone sent
// back exactly as masked (as an officer who may not unmask sees them) keeps the stored number.
func (s *Service) UpdateMember(ctx context.Context, p auth.Principal, id int64, n NewMember) (Member, error) {
	var orgID int64
	err := s.db.QueryRow(ctx, "SELECT org_id FROM members WHERE id = ?", id).Scan(&orgID)
	if errs.Is(err, errs.NotFound) {
		return Member{}, errs.E(errs.NotFound, "error.not_found")
	}
	if err != nil {
		return Member{}, err
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: orgID}); err != nil {
		return Member{}, err
	}
	if n.OrgID == 0 {
		n.OrgID = orgID
	}
	if n.OrgID != orgID {
		return Member{}, fieldErr("org_id", "member.org.use_transfer")
	}
	var out Member
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		before, err := s.scanMember(tx.QueryRow("SELECT "+memberCols+memberFrom+" WHERE m.id = ?", id), true)
		if err != nil {
			return err
		}
		if before.TerminalState != "" {
			return errs.E(errs.Conflict, "member.terminal.readonly")
		}
		// The flags change only with their dates, through SetFlags (member_status.go).
		n.Mobile, n.Abroad, n.LostContact = before.Mobile, before.Abroad, before.LostContact
		if n.IDNumber == validate.MaskID(before.IDNumber) {
			n.IDNumber = before.IDNumber
		}
		if before.Phone != "" && n.Phone == maskPhone(before.Phone) {
			n.Phone = before.Phone
		}
		m, err := s.checkMember(tx, n)
		if err != nil {
			return err
		}
		key := s.dataKey()
		idEnc, err := key.Seal(m.idNumber, adIDNumber)
		if err != nil {
			return err
		}
		phoneEnc, err := key.Seal(m.phone, adPhone)
		if err != nil {
			return err
		}
		lookup := key.Lookup(m.idNumber)
		var other int64
		switch err := tx.QueryRow("SELECT id FROM members WHERE id_number_lookup = ? AND id <> ?", lookup, id).Scan(&other); {
		case err == nil:
			return duplicateID()
		case !errs.Is(err, errs.NotFound):
			return err
		}
		_, err = tx.Exec(`UPDATE members SET cell_id = ?, leading_group_id = ?, name = ?, name_key = ?, gender = ?, ethnicity = ?,
			birth_on = ?, id_number_enc = ?, id_number_lookup = ?, phone_enc = ?, phone_lookup = ?, education = ?, job_title = ?,
			unit_name = ?, status = ?, mobile = ?, abroad = ?, lost_contact = ?, joined_on = ?, full_on = ?, is_leading_cadre = ?,
			updated_at = ? WHERE id = ?`,
			nullID(m.CellID), nullID(m.LeadingGroupID), m.Name, NameKey(m.Name), m.Gender, m.Ethnicity, m.BirthDate,
			idEnc, lookup, phoneEnc, key.Lookup(m.phone), m.Education, m.JobTitle, m.UnitName, string(m.Status),
			m.Mobile, m.Abroad, m.LostContact, m.JoinedOn, m.FullOn, m.IsLeadingCadre, db.Millis(s.clock.Now()), id)
		if errs.Is(err, errs.Conflict) {
			return duplicateID()
		}
		if err != nil {
			return err
		}
		out = m.Member
		out.ID = id
		out.IDNumber, out.Phone = validate.MaskID(m.idNumber), maskPhone(m.phone)
		out.PartyStanding = standingPtr(out, clock.Today(s.clock))
		before.IDNumber, before.Phone, before.Unmasked = validate.MaskID(before.IDNumber), maskPhone(before.Phone), false
		// Masked views only: a digest over a clear number could be matched by trying every number.
		return s.trail.Append(tx, audit.Event{Action: "member.update", ObjectType: "member", ObjectID: id, Before: before, After: out})
	})
	return out, err
}
