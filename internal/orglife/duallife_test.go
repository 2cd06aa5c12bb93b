package orglife_test

import (
	"reflect"
	"testing"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/orglife"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
)

// TestB2_26_DualLifeReport: for each leading cadre of the subtree and year, attendance at the home
// branch's counted organisational life and the lessons given anywhere, flagged by rule: B2.19 (none
// attended: error; under the local share: warning), A2.7 (no 组织生活会), A2.5 (a committee secretary
// with no lesson: error), B2.18 (a cadre with no lesson: warning). Drafts and other years do not count.
func TestB2_26_DualLifeReport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fx := newFixture(t, d)
		a := fx.member(fx.b1, memberOpts{cadre: true})
		b := fx.member(fx.b1, memberOpts{cadre: true})
		c := fx.member(fx.b1, memberOpts{cadre: true})
		sec := fx.member(fx.b1, memberOpts{cadre: true})
		plain := fx.member(fx.b1, memberOpts{})
		e := fx.member(fx.b2, memberOpts{cadre: true})
		b2m := fx.member(fx.b2, memberOpts{})
		fx.post(fx.comm, sec, org.Secretary)
		ctx := fx.ctx()
		mk := func(in orglife.Input, submit bool) {
			t.Helper()
			m, err := fx.s.Create(ctx, fx.admin, in)
			if err != nil {
				t.Fatal(err)
			}
			if submit {
				if _, err := fx.s.Submit(ctx, fx.admin, m.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		all := ids(a, b, c, sec, plain)
		mk(orglife.Input{OrgID: fx.b1, Kind: orglife.ThemeDay, HeldOn: "2025-03-05", Topic: "主题党日一", AttendeeIDs: ids(a, b, sec, plain)}, true)
		mk(orglife.Input{OrgID: fx.b1, Kind: orglife.ThemeDay, HeldOn: "2025-06-05", Topic: "主题党日二", AttendeeIDs: ids(a, sec, plain)}, true)
		mk(orglife.Input{OrgID: fx.b1, Kind: orglife.ThemeDay, HeldOn: "2025-09-05", Topic: "主题党日三", AttendeeIDs: ids(sec, plain)}, true)
		mk(orglife.Input{OrgID: fx.b1, Kind: orglife.OrgLifeMeeting, HeldOn: "2025-12-10", Topic: "年度组织生活会", AttendeeIDs: ids(a, sec, plain)}, true)
		mk(orglife.Input{OrgID: fx.b1, Kind: orglife.ThemeDay, HeldOn: "2025-11-05", Topic: "未提交", AttendeeIDs: all}, false) // a draft
		mk(orglife.Input{OrgID: fx.b1, Kind: orglife.ThemeDay, HeldOn: "2026-01-05", Topic: "次年", AttendeeIDs: all}, true)   // another year
		mk(orglife.Input{OrgID: fx.b2, Kind: orglife.PartyLesson, HeldOn: "2025-05-20", Topic: "领导干部讲党课", LecturerID: a, AttendeeIDs: ids(e, b2m)}, true)

		rep, err := fx.s.DualLife(ctx, fx.admin, fx.comm, 2025)
		if err != nil {
			t.Fatal(err)
		}
		type line struct {
			home                        int64
			expected, attended, lessons int
			rules                       []string
		}
		want := map[int64]line{
			a:   {fx.b1, 4, 3, 1, nil},
			b:   {fx.b1, 4, 1, 0, []string{"B2.19:warning", "A2.7:warning", "B2.18:warning"}},
			c:   {fx.b1, 4, 0, 0, []string{"B2.19:error", "A2.7:warning", "B2.18:warning"}},
			sec: {fx.b1, 4, 4, 0, []string{"A2.5:error"}},
			e:   {fx.b2, 1, 1, 0, []string{"A2.7:warning", "B2.18:warning"}},
		}
		if len(rep.Items) != len(want) {
			t.Fatalf("%d items, want %d (leading cadres only): %+v", len(rep.Items), len(want), rep.Items)
		}
		for _, it := range rep.Items {
			w, ok := want[it.MemberID]
			if !ok {
				t.Errorf("member %d is not a leading cadre", it.MemberID)
				continue
			}
			var rules []string
			for _, f := range it.Findings {
				rules = append(rules, f.RuleID+":"+f.Severity)
			}
			got := line{it.HomeOrgID, it.Expected, it.Attended, it.LessonsGiven, rules}
			if !reflect.DeepEqual(got, w) {
				t.Errorf("member %d: %+v, want %+v", it.MemberID, got, w)
			}
			if len(it.Attendance) != it.Attended || len(it.Lessons) != it.LessonsGiven {
				t.Errorf("member %d: lists do not match the counts", it.MemberID)
			}
		}
		// A branch's report holds only its own cadres; a branch officer elsewhere cannot read it.
		rep, err = fx.s.DualLife(ctx, fx.admin, fx.b2, 2025)
		if err != nil || len(rep.Items) != 1 || rep.Items[0].MemberID != e {
			t.Errorf("b2 report: %+v %v", rep.Items, err)
		}
		if _, err := fx.s.DualLife(ctx, fx.officer2, fx.b1, 2025); err == nil {
			t.Error("an officer of b2 read b1's report")
		}
	})
}

// Plans: planned against held, by kind and month; held counts submitted records only.
func TestAnnualPlanAgainstHeld(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fx := newFixture(t, d)
		ms := fx.members(fx.b1, 3)
		ctx := fx.ctx()
		pl, err := fx.s.SavePlan(ctx, fx.admin, fx.b1, 2026, []orglife.PlanItem{
			{Month: 1, Kind: orglife.ThemeDay, Topic: "学习全会精神"}, {Month: 2, Kind: orglife.ThemeDay}, {Month: 3, Kind: orglife.PartyLesson, Topic: "党课"}})
		if err != nil {
			t.Fatal(err)
		}
		m, err := fx.s.Create(ctx, fx.admin, orglife.Input{OrgID: fx.b1, Kind: orglife.ThemeDay, HeldOn: "2026-01-15", Topic: "学习全会精神", AttendeeIDs: ms})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fx.s.Submit(ctx, fx.admin, m.ID); err != nil {
			t.Fatal(err)
		}
		if pl, err = fx.s.Plan(ctx, fx.admin, fx.b1, 2026); err != nil {
			t.Fatal(err)
		}
		if len(pl.Rows) != 2 || pl.Rows[0].Kind != orglife.PartyLesson || pl.Rows[1].Kind != orglife.ThemeDay {
			t.Fatalf("rows = %+v", pl.Rows)
		}
		td := pl.Rows[1].Months
		if td[0].Planned != 1 || td[0].Held != 1 || td[0].Short() || td[1].Planned != 1 || !td[1].Short() {
			t.Errorf("theme days = %+v", td[:3])
		}
		if _, err := fx.s.SavePlan(ctx, fx.admin, fx.b1, 2026, []orglife.PlanItem{{Month: 13, Kind: orglife.ThemeDay}}); fieldKey(t, err, "items") != "meetings.plan.month" {
			t.Errorf("month 13: %v", err)
		}
		if _, err := fx.s.SavePlan(ctx, fx.officer2, fx.b1, 2026, nil); err == nil {
			t.Error("an officer of b2 replaced b1's plan")
		}
	})
}
