package org_test

import (
	"strings"
	"testing"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// officers are branch officers of the roster's branch 1 (the member's) and branch 2 (elsewhere).
func (r *roster) officers(t testing.TB) (own, other auth.Principal) {
	own = auth.Principal{UserID: 3, Username: "o1", Role: auth.BranchOfficer, OrgID: r.b1, OrgPath: rosterPath(t, r, r.b1)}
	other = auth.Principal{UserID: 2, Username: "o2", Role: auth.BranchOfficer, OrgID: r.b2, OrgPath: rosterPath(t, r, r.b2)}
	return own, other
}

// errKey is "code" or "code:field=key" for the first field of an errs.Error, "" for nil.
func errKey(err error) string {
	if err == nil {
		return ""
	}
	e, ok := errs.As(err)
	if !ok {
		return err.Error()
	}
	for f, k := range e.Fields {
		return string(e.Code) + ":" + f + "=" + k
	}
	return string(e.Code) + ":" + e.Key
}

// TestF8_TerminalStates: a terminal state (removed, withdrew, expelled, deceased) needs a date (not in
// the future, not before joining) and a reason; it is irreversible — no second terminal state, no
// edits — except by an org administrator's correction with a reason; officers of the member's branch may
// record it, officers elsewhere may not; every change and refusal is audited. (rosterToday: 2026-03-10;
// the member joined 2010-07-01.)
func TestF8_TerminalStates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newRoster(t, d)
		m, err := r.o.CreateMember(r.ctx(), r.admin, r.valid())
		if err != nil {
			t.Fatal(err)
		}
		own, other := r.officers(t)
		vectors := []struct {
			name string
			who  auth.Principal
			c    org.TerminalChange
			want string
		}{
			{"unknown state", own, org.TerminalChange{State: "stopped", On: "2026-03-01", Reason: "x"}, "unprocessable:state=member.terminal.state"},
			{"no reason", own, org.TerminalChange{State: "removed", On: "2026-03-01"}, "unprocessable:reason=validate.required"},
			{"no date", own, org.TerminalChange{State: "removed", Reason: "x"}, "unprocessable:on=validate.required"},
			{"future date", own, org.TerminalChange{State: "removed", On: "2026-03-11", Reason: "x"}, "unprocessable:on=member.date.future"},
			{"before joining", own, org.TerminalChange{State: "deceased", On: "2009-01-01", Reason: "x"}, "unprocessable:on=member.terminal.before_joined"},
			{"officer elsewhere", other, org.TerminalChange{State: "removed", On: "2026-03-01", Reason: "x"}, "forbidden:error.forbidden"},
			{"own officer records it", own, org.TerminalChange{State: "removed", On: "2026-03-01", Reason: "F6 自行脱党除名"}, ""},
			{"irreversible", r.admin, org.TerminalChange{State: "deceased", On: "2026-03-02", Reason: "x"}, "conflict:member.terminal.already"},
		}
		for _, v := range vectors {
			_, err := r.o.SetTerminalState(r.ctx(), v.who, m.ID, v.c)
			if got := errKey(err); got != v.want {
				t.Errorf("%s: %q, want %q", v.name, got, v.want)
			}
		}
		got, err := r.o.GetMember(r.ctx(), r.admin, m.ID, false)
		if err != nil || got.TerminalState != "removed" || got.TerminalOn.String() != "2026-03-01" ||
			got.TerminalReason != "F6 自行脱党除名" {
			t.Fatalf("recorded: %+v %v", got, err)
		}
		if r.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'member.terminal'") != 1 ||
			r.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'authz.denied'") < 1 {
			t.Error("terminal state or refusal not audited")
		}
		if items, total, _ := r.o.ListMembers(r.ctx(), r.admin, org.MemberFilter{OrgID: r.admin.OrgID}); total != 0 || len(items) != 0 {
			t.Errorf("a removed member is still on the roster: %d", total)
		}
		if _, total, _ := r.o.ListMembers(r.ctx(), r.admin, org.MemberFilter{OrgID: r.admin.OrgID, Status: "removed"}); total != 1 {
			t.Errorf("removed list: %d", total)
		}
		if _, err := r.o.UpdateMember(r.ctx(), r.admin, m.ID, r.valid()); errKey(err) != "conflict:member.terminal.readonly" {
			t.Errorf("edited after a terminal state: %v", err)
		}
		if _, err := r.o.SetFlags(r.ctx(), r.admin, m.ID, org.FlagChange{Mobile: true, MobileSince: "2026-01-01"}); errKey(err) != "conflict:member.terminal.readonly" {
			t.Errorf("flags after a terminal state: %v", err)
		}
		// Correction: an org administrator's act, with a reason.
		if _, err := r.o.CorrectTerminalState(r.ctx(), own, m.ID, "录入错误"); errKey(err) != "forbidden:error.forbidden" {
			t.Errorf("officer corrected: %v", err)
		}
		if _, err := r.o.CorrectTerminalState(r.ctx(), r.admin, m.ID, "  "); errKey(err) != "unprocessable:reason=validate.required" {
			t.Errorf("correction without reason: %v", err)
		}
		back, err := r.o.CorrectTerminalState(r.ctx(), r.admin, m.ID, "录入错误，应为其他人员")
		if err != nil || back.TerminalState != "" || back.PartyStanding == nil {
			t.Fatalf("correction: %+v %v", back, err)
		}
		if r.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'member.terminal.correct'") != 1 {
			t.Error("correction not audited")
		}
		if _, err := r.o.CorrectTerminalState(r.ctx(), r.admin, m.ID, "again"); errKey(err) != "conflict:member.terminal.none" {
			t.Errorf("correction of nothing: %v", err)
		}
	})
}

// TestF7_F3_MemberFlags: the mobile (F7), abroad (F7) and lost-contact (F3) flags are raised with the
// date they apply from (required, not in the future) and lowered without one; only officers over the
// member change them; editing the member's details keeps them.
func TestF7_F3_MemberFlags(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newRoster(t, d)
		m, err := r.o.CreateMember(r.ctx(), r.admin, r.valid())
		if err != nil {
			t.Fatal(err)
		}
		own, other := r.officers(t)
		vectors := []struct {
			name string
			who  auth.Principal
			c    org.FlagChange
			want string
		}{
			{"raised without a date", own, org.FlagChange{Mobile: true}, "unprocessable:mobile_since=validate.required"},
			{"date without the flag", own, org.FlagChange{AbroadSince: "2025-01-01"}, "unprocessable:abroad_since=member.flags.date_without_flag"},
			{"future date", own, org.FlagChange{LostContact: true, LostContactSince: "2026-04-01"}, "unprocessable:lost_contact_since=member.date.future"},
			{"bad date", own, org.FlagChange{Abroad: true, AbroadSince: "2025-02-30"}, "unprocessable:abroad_since=validate.date.invalid"},
			{"officer elsewhere", other, org.FlagChange{Mobile: true, MobileSince: "2025-09-01"}, "forbidden:error.forbidden"},
			{"own officer raises two", own, org.FlagChange{Mobile: true, MobileSince: "2025-09-01", LostContact: true, LostContactSince: "2025-12-01"}, ""},
		}
		for _, v := range vectors {
			_, err := r.o.SetFlags(r.ctx(), v.who, m.ID, v.c)
			if got := errKey(err); got != v.want {
				t.Errorf("%s: %q, want %q", v.name, got, v.want)
			}
		}
		if _, err := r.o.UpdateMember(r.ctx(), r.admin, m.ID, r.valid()); err != nil {
			t.Fatal(err)
		}
		got, _ := r.o.GetMember(r.ctx(), r.admin, m.ID, false)
		if !got.Mobile || got.MobileSince.String() != "2025-09-01" || !got.LostContact || got.LostContactSince.String() != "2025-12-01" || got.Abroad {
			t.Fatalf("flags: %+v", got)
		}
		if _, err := r.o.SetFlags(r.ctx(), r.admin, m.ID, org.FlagChange{Mobile: true, MobileSince: "2025-09-01"}); err != nil {
			t.Fatal(err)
		}
		got, _ = r.o.GetMember(r.ctx(), r.admin, m.ID, false)
		if got.LostContact || !got.LostContactSince.IsZero() || !got.Mobile {
			t.Errorf("lowered flag keeps its date: %+v", got)
		}
		if r.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'member.flags'") != 2 {
			t.Error("flag changes not audited")
		}
	})
}

// TestUnmaskIsItsOwnAction: seeing ID and phone numbers whole is auth.UnmaskPII, granted to org
// administrators only and checked against the member's subtree (an admin of another subtree is refused
// and the refusal audited); each look is audited (member.unmask).
func TestUnmaskIsItsOwnAction(t *testing.T) {
	for _, role := range auth.Roles {
		if got := role.Can(auth.UnmaskPII); got != (role == auth.OrgAdmin) {
			t.Errorf("%s may unmask: %v", role, got)
		}
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newRoster(t, d)
		m, err := r.o.CreateMember(r.ctx(), r.admin, r.valid())
		if err != nil {
			t.Fatal(err)
		}
		elsewhere := auth.Principal{UserID: 9, Username: "b2admin", Role: auth.OrgAdmin, OrgID: r.b2, OrgPath: rosterPath(t, r, r.b2)}
		denied := r.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'authz.denied'")
		if _, err := r.o.GetMember(r.ctx(), elsewhere, m.ID, true); !errs.Is(err, errs.Forbidden) {
			t.Errorf("admin of another subtree unmasked: %v", err)
		}
		var buf strings.Builder
		if err := r.o.ExportMembers(r.ctx(), elsewhere, org.MemberFilter{OrgID: r.b1}, true, &buf); !errs.Is(err, errs.Forbidden) || buf.Len() != 0 {
			t.Errorf("admin of another subtree exported unmasked: %v", err)
		}
		if r.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'authz.denied'") != denied+2 {
			t.Error("refusals not audited")
		}
		if got, err := r.o.GetMember(r.ctx(), r.admin, m.ID, true); err != nil || !got.Unmasked ||
			r.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'member.unmask'") != 1 {
			t.Errorf("admin over the member: %v", err)
		}
	})
}
