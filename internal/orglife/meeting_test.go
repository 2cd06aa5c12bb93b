package orglife_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/orglife"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// call is one listener call as seen.
type call struct{ removed, added []orglife.Held }

func record(calls *[]call) orglife.Listener {
	return func(tx *db.Tx, removed, added []orglife.Held) error {
		*calls = append(*calls, call{removed, added})
		return nil
	}
}

func heldOf(m orglife.Meeting, kind orglife.Kind, on string) orglife.Held {
	d, _ := db.ParseDate(on)
	return orglife.Held{RecordID: m.ID, OrgID: m.OrgID, Kind: kind, On: d, LecturerID: m.LecturerID, ChairID: m.ChairID}
}

func sameCall(t *testing.T, got call, removed, added []orglife.Held) {
	t.Helper()
	norm := func(hs []orglife.Held) []string {
		var out []string
		for _, h := range hs {
			out = append(out, h.On.String()+"|"+string(h.Kind)+"|"+itoa(h.RecordID)+"|"+itoa(h.OrgID)+"|"+itoa(h.ChairID)+"|"+itoa(h.LecturerID))
		}
		return out
	}
	if !reflect.DeepEqual(norm(got.removed), norm(removed)) || !reflect.DeepEqual(norm(got.added), norm(added)) {
		t.Errorf("listener saw removed=%v added=%v, want removed=%v added=%v", norm(got.removed), norm(got.added), norm(removed), norm(added))
	}
}

// The listener (the compliance calendar's summaries) sees exactly what a write changes: nothing for a
// draft, the Held on submission, the old one removed and the new one added when a correction moves the
// date or changes the kind, nothing when only the minutes change, the Held removed on withdrawal.
func TestHeldListenerSeesEveryChange(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fx := newFixture(t, d)
		var calls []call
		fx.s.OnHeld(record(&calls))
		ms := fx.members(fx.b1, 4)
		fx.post(fx.b1, ms[0], org.Secretary)
		ctx := fx.ctx()
		in := orglife.Input{OrgID: fx.b1, Kind: orglife.GeneralMeeting, HeldOn: "2026-03-05", Topic: "学习党章", ChairID: ms[0],
			AttendeeIDs: ms[:3], Absentees: []orglife.Absentee{{MemberID: ms[3], Reason: "出差"}}}
		m, err := fx.s.Create(ctx, fx.admin, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(calls) != 0 || m.Counted || m.Status != orglife.Draft {
			t.Fatalf("a draft counts: calls=%v %+v", calls, m)
		}
		if m.ExpectedCount != 4 || m.PresentCount != 3 {
			t.Errorf("expected/present = %d/%d, want 4/3", m.ExpectedCount, m.PresentCount)
		}
		if m, err = fx.s.Submit(ctx, fx.admin, m.ID); err != nil {
			t.Fatal(err)
		}
		if len(calls) != 1 {
			t.Fatalf("submit: %d calls", len(calls))
		}
		sameCall(t, calls[0], nil, []orglife.Held{heldOf(m, orglife.GeneralMeeting, "2026-03-05")})

		// Correction of the date (submitted, not locked: no reason needed).
		in.HeldOn = "2026-03-06"
		if m, err = fx.s.Correct(ctx, fx.admin, m.ID, orglife.Correction{Input: in}); err != nil {
			t.Fatal(err)
		}
		if len(calls) != 2 {
			t.Fatalf("date correction: %d calls", len(calls))
		}
		sameCall(t, calls[1], []orglife.Held{heldOf(m, orglife.GeneralMeeting, "2026-03-05")}, []orglife.Held{heldOf(m, orglife.GeneralMeeting, "2026-03-06")})

		// Locked: a correction needs a reason; with one, the kind changes and the listener sees it.
		if m, err = fx.s.Lock(ctx, fx.admin, m.ID); err != nil {
			t.Fatal(err)
		}
		in.Kind = orglife.ThemeDay
		if _, err := fx.s.Correct(ctx, fx.admin, m.ID, orglife.Correction{Input: in}); fieldKey(t, err, "reason") != "meetings.reason.required" {
			t.Fatalf("correction of a locked record without a reason: %v", err)
		}
		if len(calls) != 2 {
			t.Fatalf("a refused correction reached the listener")
		}
		if m, err = fx.s.Correct(ctx, fx.admin, m.ID, orglife.Correction{Input: in, Reason: "会议类型登记错误"}); err != nil {
			t.Fatal(err)
		}
		if m.Status != orglife.Locked || len(calls) != 3 {
			t.Fatalf("kind correction: status %s, %d calls", m.Status, len(calls))
		}
		sameCall(t, calls[2], []orglife.Held{heldOf(m, orglife.GeneralMeeting, "2026-03-06")}, []orglife.Held{heldOf(m, orglife.ThemeDay, "2026-03-06")})

		// Minutes only: what counts did not change, the listener is not bothered.
		in.Minutes = "补充会议记录"
		if m, err = fx.s.Correct(ctx, fx.admin, m.ID, orglife.Correction{Input: in, Reason: "补记录"}); err != nil {
			t.Fatal(err)
		}
		if len(calls) != 3 {
			t.Errorf("minutes correction told the listener: %v", calls[3:])
		}
		// A locked record cannot be withdrawn.
		if _, err := fx.s.Withdraw(ctx, fx.admin, m.ID, "误报"); !errs.Is(err, errs.Conflict) {
			t.Errorf("withdraw after lock: %v", err)
		}
		// Every state is kept (留痕): create, submit, correct, lock, correct, correct.
		_, vs, err := fx.s.Versions(ctx, fx.admin, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, v := range vs {
			actions = append(actions, v.Action)
		}
		if want := []string{"create", "submit", "correct", "lock", "correct", "correct"}; !reflect.DeepEqual(actions, want) {
			t.Errorf("versions = %v, want %v", actions, want)
		}
		if vs[0].Record.HeldOn.String() != "2026-03-05" || vs[0].Record.Kind != orglife.GeneralMeeting || vs[4].Reason != "会议类型登记错误" {
			t.Errorf("earlier versions not kept as they were: %+v / %+v", vs[0].Record, vs[4])
		}

		// Withdrawal of a submitted record removes its Held.
		in2 := in
		in2.Kind, in2.HeldOn, in2.Minutes = orglife.ThemeDay, "2026-03-08", ""
		m2, err := fx.s.Create(ctx, fx.admin, in2)
		if err != nil {
			t.Fatal(err)
		}
		if m2, err = fx.s.Submit(ctx, fx.admin, m2.ID); err != nil {
			t.Fatal(err)
		}
		if m2, err = fx.s.Withdraw(ctx, fx.admin, m2.ID, "重复登记"); err != nil {
			t.Fatal(err)
		}
		if len(calls) != 5 {
			t.Fatalf("submit+withdraw: %d calls", len(calls))
		}
		sameCall(t, calls[4], []orglife.Held{heldOf(m2, orglife.ThemeDay, "2026-03-08")}, nil)
		if m2.Status != orglife.Draft || m2.Counted {
			t.Errorf("withdrawn: %+v", m2)
		}
	})
}

// A listener that fails aborts the write: the record stays a draft, no version or audit entry is kept.
func TestHeldListenerErrorAbortsTheWrite(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fx := newFixture(t, d)
		boom := errors.New("summary out of step")
		fx.s.OnHeld(func(*db.Tx, []orglife.Held, []orglife.Held) error { return boom })
		ms := fx.members(fx.b1, 2)
		ctx := fx.ctx()
		m, err := fx.s.Create(ctx, fx.admin, orglife.Input{OrgID: fx.b1, Kind: orglife.ThemeDay, HeldOn: "2026-03-01", Topic: "主题党日", AttendeeIDs: ms})
		if err != nil {
			t.Fatal(err)
		}
		var audits int
		_ = d.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log").Scan(&audits)
		if _, err := fx.s.Submit(ctx, fx.admin, m.ID); !errors.Is(err, boom) {
			t.Fatalf("submit with a failing listener: %v", err)
		}
		got, err := fx.s.Get(ctx, fx.admin, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, vs, _ := fx.s.Versions(ctx, fx.admin, m.ID)
		var after int
		_ = d.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log").Scan(&after)
		if got.Status != orglife.Draft || got.Version != 1 || len(vs) != 1 || after != audits {
			t.Errorf("half-written: status %s version %d versions %d audit %d→%d", got.Status, got.Version, len(vs), audits, after)
		}
	})
}

// branch adds a branch under the committee.
func (fx *fixture) branch(name string) int64 {
	fx.t.Helper()
	var id int64
	err := fx.d.Write(fx.ctx(), func(tx *db.Tx) error {
		o, err := fx.p.Orgs.CreateTx(tx, org.NewOrg{ParentID: fx.comm, Kind: org.Branch, Name: name, EstablishedOn: "2020-01-01"})
		id = o.ID
		return err
	})
	if err != nil {
		fx.t.Fatal(err)
	}
	return id
}

// TestA2_2_CommitteeQuorum: 半数以上委员到会 — at least half of the committee (R0.1: 以上 includes).
func TestA2_2_CommitteeQuorum(t *testing.T) {
	cases := []struct {
		name             string
		members, present int
		want             string // field key on attendee_ids / kind, "" when valid
	}{
		{"R0.1 4 members 2 present valid", 4, 2, ""},
		{"4 members 1 present invalid", 4, 1, "meetings.quorum.committee"},
		{"5 members 2 present invalid", 5, 2, "meetings.quorum.committee"},
		{"5 members 3 present valid", 5, 3, ""},
		{"7 members 4 present valid", 7, 4, ""},
		{"no committee: not applicable", 0, 0, "meetings.quorum.no_committee"},
		{"A3.1 secretary and deputy are not a committee", 2, 2, "meetings.quorum.no_committee"},
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fx := newFixture(t, d)
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				b := fx.branch("委员会支部" + itoa(int64(i)))
				ms := fx.members(b, 9)
				posts := []org.PostKind{org.Secretary, org.DeputySecretary, org.OrganisationMember, org.PublicityMember, org.DisciplineMember, org.CommitteeMember, org.CommitteeMember}
				for k := 0; k < c.members; k++ {
					fx.post(b, ms[k], posts[k])
				}
				in := orglife.Input{OrgID: b, Kind: orglife.CommitteeMeeting, HeldOn: "2026-03-02", Topic: "研究发展党员工作", ChairID: ms[0], AttendeeIDs: ms[:max(c.present, 1)]}
				if c.present == 0 {
					in.AttendeeIDs = nil
				}
				m, err := fx.s.Create(fx.ctx(), fx.admin, in)
				got := ""
				if err != nil {
					if got = fieldKey(t, err, "kind"); got == "" {
						got = fieldKey(t, err, "attendee_ids")
					}
				}
				if got != c.want {
					t.Fatalf("got %q (%v), want %q", got, err, c.want)
				}
				if c.want == "" && (m.ExpectedCount != c.members || m.PresentCount != c.present) {
					t.Errorf("expected/present = %d/%d, want %d/%d (the committee, not the branch)", m.ExpectedCount, m.PresentCount, c.members, c.present)
				}
			})
		}
	})
}

// TestA2_4_Chair: chair ∈ {书记, 副书记, 委员 with delegation}; a cell meeting is chaired by the cell leader;
// a secretary not yet approved is not in office (A3.2).
func TestA2_4_Chair(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fx := newFixture(t, d)
		sec := fx.member(fx.b1, memberOpts{cell: fx.c1})
		dep := fx.member(fx.b1, memberOpts{})
		com := fx.member(fx.b1, memberOpts{})
		plain := fx.member(fx.b1, memberOpts{cell: fx.c1})
		leader := fx.member(fx.b1, memberOpts{cell: fx.c1})
		fx.post(fx.b1, sec, org.Secretary)
		fx.post(fx.b1, dep, org.DeputySecretary)
		fx.post(fx.b1, com, org.OrganisationMember)
		fx.post(fx.c1, leader, org.CellLeader)
		b2sec := fx.member(fx.b2, memberOpts{})
		if _, err := fx.p.Orgs.AssignPost(fx.ctx(), fx.admin, fx.b2, org.NewPost{MemberID: b2sec, Post: org.Secretary, From: "2025-01-01"}); err != nil {
			t.Fatal(err)
		}
		b2other := fx.member(fx.b2, memberOpts{})
		cases := []struct {
			name      string
			org       int64
			kind      orglife.Kind
			chair     int64
			delegated bool
			want      string
		}{
			{"secretary chairs the general meeting", fx.b1, orglife.GeneralMeeting, sec, false, ""},
			{"deputy secretary chairs", fx.b1, orglife.GeneralMeeting, dep, false, ""},
			{"committee member without delegation", fx.b1, orglife.GeneralMeeting, com, false, "meetings.chair.delegation"},
			{"committee member with delegation", fx.b1, orglife.GeneralMeeting, com, true, ""},
			{"ordinary member", fx.b1, orglife.GeneralMeeting, plain, true, "meetings.chair.post"},
			{"no chair", fx.b1, orglife.GeneralMeeting, 0, false, "meetings.chair.required"},
			{"cell meeting by the cell leader", fx.c1, orglife.CellMeeting, leader, false, ""},
			{"cell meeting by the branch secretary", fx.c1, orglife.CellMeeting, sec, false, "meetings.chair.cell_leader"},
			{"secretary elected, not approved (A3.2)", fx.b2, orglife.GeneralMeeting, b2sec, false, "meetings.chair.post"},
			{"theme day: chair not checked against posts", fx.b2, orglife.ThemeDay, b2other, false, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				exp, err := fx.s.Candidates(fx.ctx(), fx.admin, c.org, c.kind, now0)
				if err != nil {
					t.Fatal(err)
				}
				var att []int64
				for _, a := range exp {
					att = append(att, a.MemberID)
				}
				_, err = fx.s.Create(fx.ctx(), fx.admin, orglife.Input{OrgID: c.org, Kind: c.kind, HeldOn: "2026-03-03", Topic: "专题学习",
					ChairID: c.chair, ChairDelegated: c.delegated, AttendeeIDs: att})
				if got := fieldKey(t, err, "chair_id"); got != c.want {
					t.Errorf("chair: %q (%v), want %q", got, err, c.want)
				}
			})
		}
	})
}

// TestA2_8_AppraisalSteps: 个人自评 → 党员互评 → 民主测评; a record without all three is incomplete and
// does not count; the steps must be in order.
func TestA2_8_AppraisalSteps(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fx := newFixture(t, d)
		var calls []call
		fx.s.OnHeld(record(&calls))
		ms := fx.members(fx.b1, 3)
		ctx := fx.ctx()
		in := orglife.Input{OrgID: fx.b1, Kind: orglife.MemberAppraisal, HeldOn: "2026-01-20", Topic: "2025年度民主评议党员",
			AttendeeIDs: ms, SelfAssessmentOn: "2026-01-10", PeerAssessmentOn: "2026-01-15"}
		m, err := fx.s.Create(ctx, fx.admin, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Warnings) != 1 || m.Warnings[0].RuleID != "A2.8" {
			t.Errorf("incomplete appraisal warnings = %+v", m.Warnings)
		}
		if m, err = fx.s.Submit(ctx, fx.admin, m.ID); err != nil {
			t.Fatal(err)
		}
		if m.Counted || len(calls) != 0 {
			t.Fatalf("an appraisal with two steps counts: %+v %v", m, calls)
		}
		// Out of order: rating before peer assessment.
		bad := in
		bad.RatingOn = "2026-01-12"
		if _, err := fx.s.Correct(ctx, fx.admin, m.ID, orglife.Correction{Input: bad}); fieldKey(t, err, "rating_on") != "meetings.appraisal.order" {
			t.Errorf("rating before peer assessment: %v", err)
		}
		noSelf := in
		noSelf.SelfAssessmentOn, noSelf.RatingOn = "", "2026-01-20"
		if _, err := fx.s.Correct(ctx, fx.admin, m.ID, orglife.Correction{Input: noSelf}); fieldKey(t, err, "peer_assessment_on") != "meetings.appraisal.order" {
			t.Errorf("peer assessment without self-assessment: %v", err)
		}
		// The third step completes it: now it counts.
		in.RatingOn = "2026-01-20"
		if m, err = fx.s.Correct(ctx, fx.admin, m.ID, orglife.Correction{Input: in}); err != nil {
			t.Fatal(err)
		}
		if !m.Counted || len(calls) != 1 {
			t.Fatalf("complete appraisal: counted %v, %d calls", m.Counted, len(calls))
		}
		sameCall(t, calls[0], nil, []orglife.Held{heldOf(m, orglife.MemberAppraisal, "2026-01-20")})
	})
}

// TestR0_3_ExpectedFromTheRosterOnTheDay: the expected attendees are the members of the organisation on
// the day — a member received from b2 after the day still counted with b2; one admitted after the day
// not yet; one removed before the day no longer; probationary members attend.
func TestR0_3_ExpectedFromTheRosterOnTheDay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fx := newFixture(t, d)
		stay := fx.member(fx.b1, memberOpts{})
		prob := fx.member(fx.b1, memberOpts{status: "probationary", joined: "2025-10-01"})
		late := fx.member(fx.b1, memberOpts{status: "probationary", joined: "2026-02-20"})
		gone := fx.member(fx.b1, memberOpts{terminal: "2026-01-15"})
		moved := fx.member(fx.b1, memberOpts{}) // now in b1, received from b2 on 2026-02-10
		left := fx.member(fx.b2, memberOpts{})  // now in b2, received from b1 on 2026-02-10
		err := d.Write(fx.ctx(), func(tx *db.Tx) error {
			for _, tr := range []struct{ m, from, to int64 }{{moved, fx.b2, fx.b1}, {left, fx.b1, fx.b2}} {
				if _, err := tx.Exec(`INSERT INTO transfers(member_id, from_org_id, to_org_id, status, requested_on, received_on, created_at, updated_at)
					VALUES (?, ?, ?, 'received', '2026-02-01', '2026-02-10', 0, 0)`, tr.m, tr.from, tr.to); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			day  string
			want []int64
		}{
			{"2026-01-10", ids(stay, prob, gone, left)},
			{"2026-02-01", ids(stay, prob, left)},
			{"2026-02-10", ids(stay, prob, moved)}, // received on the day: with the receiver from that day
			{"2026-03-01", ids(stay, prob, late, moved)},
		}
		for _, c := range cases {
			t.Run(c.day, func(t *testing.T) {
				day, _ := db.ParseDate(c.day)
				got, err := fx.s.Candidates(fx.ctx(), fx.admin, fx.b1, orglife.GeneralMeeting, day.Time)
				if err != nil {
					t.Fatal(err)
				}
				var gotIDs []int64
				for _, a := range got {
					gotIDs = append(gotIDs, a.MemberID)
				}
				if !reflect.DeepEqual(gotIDs, c.want) {
					t.Errorf("expected on %s = %v, want %v", c.day, gotIDs, c.want)
				}
			})
		}
	})
}

// TestA2_9_HeartTalkBetweenTwo: a talk has exactly two people, both members of the branch.
func TestA2_9_HeartTalkBetweenTwo(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fx := newFixture(t, d)
		ms := fx.members(fx.b1, 3)
		other := fx.member(fx.b2, memberOpts{})
		base := orglife.Input{OrgID: fx.b1, Kind: orglife.HeartTalk, HeldOn: "2026-03-04", Topic: "谈心谈话", ChairID: ms[0]}
		for _, c := range []struct {
			name string
			att  []int64
			want string
		}{
			{"two people", ids(ms[1]), ""},
			{"three people", ids(ms[1], ms[2]), "meetings.talk.two"},
			{"alone", ids(ms[0]), "meetings.talk.two"},
			{"with a member of another branch", ids(other), "meetings.attendee.not_expected"},
		} {
			in := base
			in.AttendeeIDs = c.att
			m, err := fx.s.Create(fx.ctx(), fx.admin, in)
			if got := fieldKey(t, err, "attendee_ids"); got != c.want {
				t.Errorf("%s: %q, want %q", c.name, got, c.want)
			}
			if c.want == "" && (m.ExpectedCount != 2 || m.PresentCount != 2) {
				t.Errorf("%s: expected/present %d/%d", c.name, m.ExpectedCount, m.PresentCount)
			}
		}
	})
}

// A branch officer neither records nor reads another branch's meetings; nothing is written.
func TestOfficerConfinedToOwnBranch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fx := newFixture(t, d)
		ms := fx.members(fx.b1, 2)
		in := orglife.Input{OrgID: fx.b1, Kind: orglife.ThemeDay, HeldOn: "2026-03-01", Topic: "主题党日", AttendeeIDs: ms}
		if _, err := fx.s.Create(fx.ctx(), fx.officer2, in); !errs.Is(err, errs.Forbidden) {
			t.Errorf("record for another branch: %v", err)
		}
		m, err := fx.s.Create(fx.ctx(), fx.admin, in)
		if err != nil {
			t.Fatal(err)
		}
		for name, f := range map[string]func() error{
			"get":    func() error { _, err := fx.s.Get(fx.ctx(), fx.officer2, m.ID); return err },
			"submit": func() error { _, err := fx.s.Submit(fx.ctx(), fx.officer2, m.ID); return err },
			"list":   func() error { _, err := fx.s.List(fx.ctx(), fx.officer2, orglife.Filter{OrgID: fx.b1}); return err },
		} {
			if err := f(); !errs.Is(err, errs.Forbidden) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if got, _ := fx.s.Get(fx.ctx(), fx.admin, m.ID); got.Status != orglife.Draft {
			t.Errorf("changed by a refused call: %s", got.Status)
		}
	})
}

// A record locks on its own LockAfter after submission; the lock holds for corrections.
func TestLockAfterSubmission(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fx := newFixture(t, d)
		ms := fx.members(fx.b1, 2)
		in := orglife.Input{OrgID: fx.b1, Kind: orglife.ThemeDay, HeldOn: "2026-03-01", Topic: "主题党日", AttendeeIDs: ms}
		m, err := fx.s.Create(fx.ctx(), fx.admin, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fx.s.Submit(fx.ctx(), fx.admin, m.ID); err != nil {
			t.Fatal(err)
		}
		fx.clk.Advance(orglife.LockAfter - 1)
		if m, _ = fx.s.Get(fx.ctx(), fx.admin, m.ID); m.Status != orglife.Submitted {
			t.Errorf("just before LockAfter: %s", m.Status)
		}
		fx.clk.Advance(1)
		if m, _ = fx.s.Get(fx.ctx(), fx.admin, m.ID); m.Status != orglife.Locked {
			t.Errorf("at LockAfter: %s", m.Status)
		}
		in.Topic = "主题党日（更正）"
		if _, err := fx.s.Correct(fx.ctx(), fx.admin, m.ID, orglife.Correction{Input: in}); fieldKey(t, err, "reason") != "meetings.reason.required" {
			t.Errorf("correction after the automatic lock without a reason: %v", err)
		}
		if m, err = fx.s.Correct(fx.ctx(), fx.admin, m.ID, orglife.Correction{Input: in, Reason: "题目笔误"}); err != nil || m.Status != orglife.Locked || m.LockedAt == nil {
			t.Errorf("correction after the automatic lock: %+v %v", m, err)
		}
	})
}
