package org

import (
	"context"
	"strings"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// TerminalChange ends a member's membership (§F8 terminal states): removed (除名), withdrew (退党),
// expelled (开除党籍) or deceased (去世), on a date, for a reason.
type TerminalChange struct {
	State  string `json:"state"`
	On     string `json:"on"` // YYYY-MM-DD, not after today
	Reason string `json:"reason"`
}

// FlagChange sets the mobile (流动党员, §F7), abroad (出国（境）党员, §F7) and lost-contact (失联党员, §F3)
// flags. A raised flag needs the date it applies from; a lowered flag has none.
type FlagChange struct {
	Mobile           bool   `json:"mobile"`
	MobileSince      string `json:"mobile_since"`
	Abroad           bool   `json:"abroad"`
	AbroadSince      string `json:"abroad_since"`
	LostContact      bool   `json:"lost_contact"`
	LostContactSince string `json:"lost_contact_since"`
}

// maxReason is the longest reason a status change may carry (characters).
const maxReason = 500

// memberForChange reads a member inside tx (numbers masked: the trail never sees them whole).
func (s *Service) memberForChange(tx *db.Tx, id int64) (Member, error) {
	m, err := s.scanMember(tx.QueryRow("SELECT "+memberCols+memberFrom+" WHERE m.id = ?", id), false)
	if errs.Is(err, errs.NotFound) {
		return m, errs.E(errs.NotFound, "error.not_found")
	}
	return m, err
}

// changeMember runs change on the member id in one write transaction and appends the audit entry
// (action, with the member before and after, and detail) in the same transaction.
func (s *Service) changeMember(ctx context.Context, id int64, action, detail string, change func(tx *db.Tx, before Member) (Member, error)) (Member, error) {
	var out Member
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		before, err := s.memberForChange(tx, id)
		if err != nil {
			return err
		}
		if out, err = change(tx, before); err != nil {
			return err
		}
		return s.trail.Append(tx, audit.Event{Action: action, ObjectType: "member", ObjectID: id, Before: before, After: out,
			Detail: detail})
	})
	if err != nil {
		return Member{}, err
	}
	return out, nil
}

// authorizeMember checks action over the member's home organisation: an officer of the member's
// branch subtree (or an org admin above it). A member outside the caller's subtree is refused
// (audited by Authorize) and nothing is read for the caller.
func (s *Service) authorizeMember(ctx context.Context, p auth.Principal, action auth.Action, id int64) error {
	var orgID int64
	err := s.db.QueryRow(ctx, "SELECT org_id FROM members WHERE id = ?", id).Scan(&orgID)
	if errs.Is(err, errs.NotFound) {
		return errs.E(errs.NotFound, "error.not_found")
	}
	if err != nil {
		return err
	}
	return s.auth.Authorize(ctx, p, action, auth.Target{OrgID: orgID})
}

// checkPastDate validates a YYYY-MM-DD date that must not lie after today, into f under field.
func (s *Service) checkPastDate(f errs.Fields, field, v string) db.Date {
	if strings.TrimSpace(v) == "" {
		f.Add(field, validate.KeyRequired)
		return db.Date{}
	}
	d, err := validate.Date(v)
	if err != nil {
		f.Add(field, keyOf(err))
		return db.Date{}
	}
	if d.After(clock.Today(s.clock)) {
		f.Add(field, "member.date.future")
		return db.Date{}
	}
	return db.DateOf(d)
}

// SetTerminalState records a terminal state (§F8). It is irreversible: a member already in a terminal
// state cannot be moved to another one, and only CorrectTerminalState (with a reason) undoes a mistake.
// The date may not precede the member's joining (入党) nor lie in the future; the reason is required.
// Allowed to officers of the member's branch subtree (WriteBusiness); audited as member.terminal.
func (s *Service) SetTerminalState(ctx context.Context, p auth.Principal, id int64, c TerminalChange) (Member, error) {
	if err := s.authorizeMember(ctx, p, auth.WriteBusiness, id); err != nil {
		return Member{}, err
	}
	f := errs.Fields{}
	if !isTerminal(c.State) {
		f.Add("state", "member.terminal.state")
	}
	on := s.checkPastDate(f, "on", c.On)
	reason := strings.TrimSpace(c.Reason)
	if reason == "" {
		f.Add("reason", validate.KeyRequired)
	} else if err := validate.Length(reason, 1, maxReason); err != nil {
		f.Add("reason", keyOf(err))
	}
	return s.changeMember(ctx, id, "member.terminal", c.State, func(tx *db.Tx, before Member) (Member, error) {
		if before.TerminalState != "" {
			return Member{}, errs.E(errs.Conflict, "member.terminal.already")
		}
		if !on.IsZero() && !before.JoinedOn.IsZero() && on.Before(before.JoinedOn.Time) {
			f.Add("on", "member.terminal.before_joined")
		}
		if err := f.Err(); err != nil {
			return Member{}, err
		}
		if _, err := tx.Exec(`UPDATE members SET terminal_state = ?, terminal_on = ?, terminal_reason = ?, updated_at = ?
			WHERE id = ? AND terminal_state = ''`, c.State, on, reason, db.Millis(s.clock.Now()), id); err != nil {
			return Member{}, err
		}
		out := before
		out.TerminalState, out.TerminalOn, out.TerminalReason = c.State, on, reason
		return out, nil
	})
}

// CorrectTerminalState undoes a terminal state recorded by mistake (§F8: irreversible except by a
// correction). The reason is required and kept in the trail (member.terminal.correct) with the state,
// date and reason it removes. A correction is an org administrator's act (ManageOrgs over the member).
func (s *Service) CorrectTerminalState(ctx context.Context, p auth.Principal, id int64, reason string) (Member, error) {
	if err := s.authorizeMember(ctx, p, auth.ManageOrgs, id); err != nil {
		return Member{}, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Member{}, fieldErr("reason", validate.KeyRequired)
	}
	if err := validate.Length(reason, 1, maxReason); err != nil {
		return Member{}, fieldErr("reason", keyOf(err))
	}
	return s.changeMember(ctx, id, "member.terminal.correct", truncate(reason, 200), func(tx *db.Tx, before Member) (Member, error) {
		if before.TerminalState == "" {
			return Member{}, errs.E(errs.Conflict, "member.terminal.none")
		}
		if _, err := tx.Exec(`UPDATE members SET terminal_state = '', terminal_on = NULL, terminal_reason = '', updated_at = ?
			WHERE id = ?`, db.Millis(s.clock.Now()), id); err != nil {
			return Member{}, err
		}
		out := before
		out.TerminalState, out.TerminalOn, out.TerminalReason = "", db.Date{}, ""
		out.PartyStanding = standingPtr(out, clock.Today(s.clock))
		return out, nil
	})
}

// SetFlags sets the mobile, abroad and lost-contact flags with their dates (§F3, §F7). Allowed to
// officers of the member's branch subtree; not for a member in a terminal state; audited as
// member.flags.
func (s *Service) SetFlags(ctx context.Context, p auth.Principal, id int64, c FlagChange) (Member, error) {
	if err := s.authorizeMember(ctx, p, auth.WriteBusiness, id); err != nil {
		return Member{}, err
	}
	f := errs.Fields{}
	since := func(on bool, field, v string) db.Date {
		if !on {
			if strings.TrimSpace(v) != "" {
				f.Add(field, "member.flags.date_without_flag")
			}
			return db.Date{}
		}
		return s.checkPastDate(f, field, v)
	}
	mobile := since(c.Mobile, "mobile_since", c.MobileSince)
	abroad := since(c.Abroad, "abroad_since", c.AbroadSince)
	lost := since(c.LostContact, "lost_contact_since", c.LostContactSince)
	if err := f.Err(); err != nil {
		return Member{}, err
	}
	return s.changeMember(ctx, id, "member.flags", "", func(tx *db.Tx, before Member) (Member, error) {
		if before.TerminalState != "" {
			return Member{}, errs.E(errs.Conflict, "member.terminal.readonly")
		}
		if _, err := tx.Exec(`UPDATE members SET mobile = ?, mobile_since = ?, abroad = ?, abroad_since = ?, lost_contact = ?,
			lost_contact_since = ?, updated_at = ? WHERE id = ?`, c.Mobile, mobile, c.Abroad, abroad, c.LostContact, lost,
			db.Millis(s.clock.Now()), id); err != nil {
			return Member{}, err
		}
		out := before
		out.Mobile, out.MobileSince, out.Abroad, out.AbroadSince = c.Mobile, mobile, c.Abroad, abroad
		out.LostContact, out.LostContactSince = c.LostContact, lost
		return out, nil
	})
}
