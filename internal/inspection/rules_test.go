package inspection

import (
	"testing"

	"github.com/dangjian/dangjian/internal/orglife"
)

// vector is one RULES.md test vector: facts set up on a fresh tree, the day the calendar is read, and the
// status expected for one rule, organisation and period ("" = the rule does not apply).
type vector struct {
	name   string
	today  string
	setup  func(f *fx) (org int64)
	rule   string
	period string
	want   Status
}

func runVectors(t *testing.T, vs []vector) {
	for _, v := range vs {
		t.Run(v.name, func(t *testing.T) {
			eachEngine(t, v.today, func(t *testing.T, f *fx) {
				org := v.setup(f)
				p, err := ParsePeriod(v.period)
				if err != nil {
					t.Fatal(err)
				}
				got := f.judged(p.Start.String(), p.End().String())[key(org, v.rule, v.period)]
				if got != v.want {
					t.Errorf("%s %s: %q, want %q", v.rule, v.period, got, v.want)
				}
			})
		})
	}
}

// committeeBranch is a branch of 7 full members with a committee of three (A3.1).
func committeeBranch(f *fx) (int64, []int64) {
	b := f.branch("2020-01-01")
	ms := f.members(b, 7, "full", "2015-01-01")
	f.post(b, ms[0], "secretary", "2020-01-01")
	f.post(b, ms[1], "organisation_member", "2020-01-01")
	f.post(b, ms[2], "publicity_member", "2020-01-01")
	return b, ms
}

func TestA2_1_GeneralMeetingQuarterly(t *testing.T) {
	runVectors(t, []vector{
		{"no meeting in Q1 2024: Q1 non-compliant", "2024-05-01", func(f *fx) int64 { return f.branch("2020-01-01") }, "A2.1", "2024-Q1", Missed},
		{"one meeting on 2024-03-31, the quarter's last day: Q1 compliant", "2024-05-01", func(f *fx) int64 {
			b := f.branch("2020-01-01")
			f.held(b, orglife.GeneralMeeting, "2024-03-31")
			return b
		}, "A2.1", "2024-Q1", Met},
		{"a meeting on 2024-04-01 counts in Q2, not Q1 (R0.4)", "2024-05-01", func(f *fx) int64 {
			b := f.branch("2020-01-01")
			f.held(b, orglife.GeneralMeeting, "2024-04-01")
			return b
		}, "A2.1", "2024-Q1", Missed},
		{"Q1 open on 2024-03-25 with no meeting: due soon", "2024-03-25", func(f *fx) int64 { return f.branch("2020-01-01") }, "A2.1", "2024-Q1", DueSoon},
		{"Q1 open on 2024-02-01 with no meeting: open", "2024-02-01", func(f *fx) int64 { return f.branch("2020-01-01") }, "A2.1", "2024-Q1", Open},
		{"a branch set up mid-quarter is not judged for that quarter", "2024-05-01", func(f *fx) int64 { return f.branch("2024-02-10") }, "A2.1", "2024-Q1", NoRule},
	})
}

func TestA2_2_CommitteeMeetingMonthly(t *testing.T) {
	runVectors(t, []vector{
		{"branch with a committee, no 支委会 in March 2024: March flagged", "2024-05-01", func(f *fx) int64 {
			b, _ := committeeBranch(f)
			f.held(b, orglife.CommitteeMeeting, "2024-02-20")
			return b
		}, "A2.2", "2024-03", Missed},
		{"branch with a committee, 支委会 on 2024-03-31: March met", "2024-05-01", func(f *fx) int64 {
			b, _ := committeeBranch(f)
			f.held(b, orglife.CommitteeMeeting, "2024-03-31")
			return b
		}, "A2.2", "2024-03", Met},
		{"branch without a committee: rule not applicable", "2024-05-01", func(f *fx) int64 {
			b := f.branch("2020-01-01")
			f.members(b, 5, "full", "2015-01-01")
			return b
		}, "A2.2", "2024-03", NoRule},
		{"R0.1: exactly 7 full members (以上 includes 7): applies", "2024-05-01", func(f *fx) int64 {
			b := f.branch("2020-01-01")
			f.members(b, 7, "full", "2015-01-01")
			return b
		}, "A2.2", "2024-03", Missed},
	})
}

// R0.3: a branch's committee threshold counts full members only.
func TestR0_3_ThresholdCountsFullMembers(t *testing.T) {
	runVectors(t, []vector{
		{"6 full + 3 probationary: count is 6, no committee required, A2.2 not applicable", "2024-05-01", func(f *fx) int64 {
			b := f.branch("2020-01-01")
			f.members(b, 6, "full", "2015-01-01")
			f.members(b, 3, "probationary", "")
			return b
		}, "A2.2", "2024-03", NoRule},
		{"a full member confirmed after the month began still counted as probationary", "2024-05-01", func(f *fx) int64 {
			b := f.branch("2020-01-01")
			f.members(b, 6, "full", "2015-01-01")
			f.members(b, 1, "full", "2024-03-02")
			return b
		}, "A2.2", "2024-03", NoRule},
	})
}

// The boundary of A2.2 with A3.1: a branch that gains its 7th full member mid-year is judged from the
// first month that begins with seven.
func TestA2_2_SeventhFullMemberMidYear(t *testing.T) {
	eachEngine(t, "2025-01-15", func(t *testing.T, f *fx) {
		b := f.branch("2020-01-01")
		f.members(b, 6, "full", "2015-01-01")
		f.members(b, 1, "full", "2024-06-15") // the 7th, confirmed mid-June
		got := f.judged("2024-01", "2024-12")
		for m := 1; m <= 12; m++ {
			p := Month(2024*12 + m - 1).String()
			want := Missed
			if m <= 6 {
				want = NoRule
			}
			if got[key(b, "A2.2", p)] != want {
				t.Errorf("A2.2 %s: %q, want %q", p, got[key(b, "A2.2", p)], want)
			}
		}
	})
}

func TestA2_3_CellMeetingMonthly(t *testing.T) {
	runVectors(t, []vector{
		{"cell G1 with no meeting in 2024-07: July flagged for G1", "2024-09-01", func(f *fx) int64 {
			b := f.branch("2020-01-01")
			g1 := f.org("cell", b, "2020-01-01")
			f.held(g1, orglife.CellMeeting, "2024-06-12")
			f.held(g1, orglife.CellMeeting, "2024-08-12")
			return g1
		}, "A2.3", "2024-07", Missed},
		{"cell G1 with a meeting in July: met", "2024-09-01", func(f *fx) int64 {
			g1 := f.org("cell", f.branch("2020-01-01"), "2020-01-01")
			f.held(g1, orglife.CellMeeting, "2024-07-01")
			return g1
		}, "A2.3", "2024-07", Met},
		{"a branch's own meetings do not count for its cell", "2024-09-01", func(f *fx) int64 {
			b := f.branch("2020-01-01")
			g1 := f.org("cell", b, "2020-01-01")
			f.held(b, orglife.CellMeeting, "2024-07-01")
			return g1
		}, "A2.3", "2024-07", Missed},
	})
}

func TestA2_5_PartyLessons(t *testing.T) {
	runVectors(t, []vector{
		{"committee secretary with 0 lessons in 2024: non-compliant", "2025-01-10", func(f *fx) int64 {
			sec := f.members(f.organ, 1, "full", "2015-01-01")[0]
			f.post(f.organ, sec, "secretary", "2020-01-01")
			return f.organ
		}, "A2.5.secretary", "2024", Missed},
		{"committee secretary with 1 lesson given at a branch in 2024: compliant", "2025-01-10", func(f *fx) int64 {
			sec := f.members(f.organ, 1, "full", "2015-01-01")[0]
			f.post(f.organ, sec, "secretary", "2020-01-01")
			f.held(f.branch("2020-01-01"), orglife.PartyLesson, "2024-11-05", sec)
			return f.organ
		}, "A2.5.secretary", "2024", Met},
		{"a lesson by someone else does not count for the secretary", "2025-01-10", func(f *fx) int64 {
			ms := f.members(f.organ, 2, "full", "2015-01-01")
			f.post(f.organ, ms[0], "secretary", "2020-01-01")
			f.held(f.branch("2020-01-01"), orglife.PartyLesson, "2024-11-05", ms[1])
			return f.organ
		}, "A2.5.secretary", "2024", Missed},
		{"leading group (党组) secretary with 0 lessons: non-compliant", "2025-01-10", func(f *fx) int64 {
			lg := f.org("leading_group", f.organ, "2000-01-01")
			sec := f.members(f.organ, 1, "full", "2015-01-01")[0]
			f.post(lg, sec, "secretary", "2020-01-01")
			return lg
		}, "A2.5.secretary", "2024", Missed},
		{"branch lesson in Q1 2024 with policy quarterly: pass", "2024-08-01", func(f *fx) int64 {
			b := f.branch("2020-01-01")
			f.held(b, orglife.PartyLesson, "2024-02-01")
			return b
		}, "A2.5", "2024-Q1", Met},
		{"no branch lesson in Q2 2024: Q2 flagged (local rule)", "2024-08-01", func(f *fx) int64 {
			b := f.branch("2020-01-01")
			f.held(b, orglife.PartyLesson, "2024-02-01")
			return b
		}, "A2.5", "2024-Q2", Missed},
	})
	if r, _ := RuleByID("A2.5"); !r.Local || r.Severity != SevWarning {
		t.Error("A2.5 branch lessons must be a local rule with a warning")
	}
}

func TestA2_6_ThemeDayMonthly(t *testing.T) {
	runVectors(t, []vector{
		{"no 主题党日 in 2024-02: February flagged", "2024-04-01", func(f *fx) int64 {
			b := f.branch("2020-01-01")
			f.held(b, orglife.ThemeDay, "2024-01-15")
			f.held(b, orglife.ThemeDay, "2024-03-15")
			return b
		}, "A2.6", "2024-02", Missed},
		{"主题党日 on 2024-02-29: February met", "2024-04-01", func(f *fx) int64 {
			b := f.branch("2020-01-01")
			f.held(b, orglife.ThemeDay, "2024-02-29")
			return b
		}, "A2.6", "2024-02", Met},
	})
}

func TestA2_7_OrgLifeMeetingYearly(t *testing.T) {
	runVectors(t, []vector{
		{"none in 2024: non-compliant", "2025-01-10", func(f *fx) int64 { return f.branch("2020-01-01") }, "A2.7", "2024", Missed},
		{"the only one held in March: compliant", "2025-01-10", func(f *fx) int64 {
			b := f.branch("2020-01-01")
			f.held(b, orglife.OrgLifeMeeting, "2024-03-20")
			return b
		}, "A2.7", "2024", Met},
	})
	// …with an info note "一般安排在第四季度"; none when it was held in Q4.
	eachEngine(t, "2025-01-10", func(t *testing.T, f *fx) {
		march, dec := f.branch("2020-01-01"), f.branch("2020-01-01")
		f.held(march, orglife.OrgLifeMeeting, "2024-03-20")
		f.held(dec, orglife.OrgLifeMeeting, "2024-12-20")
		rep, err := f.svc.Compliance(f.ctx, f.admin(), f.root, mustMonth("2024-01"), mustMonth("2024-12"))
		if err != nil {
			t.Fatal(err)
		}
		notes := map[int64]Finding{}
		for _, x := range rep.Findings {
			if x.RuleID == "A2.7" {
				notes[x.OrgID] = x
			}
		}
		if n := notes[march]; n.Severity != SevInfo || n.Key != "compliance.note.a2_7" {
			t.Errorf("March only: %+v, want an info note", n)
		}
		if n, ok := notes[dec]; ok {
			t.Errorf("held in December: unexpected %+v", n)
		}
	})
}

func TestA2_8_AppraisalYearly(t *testing.T) {
	runVectors(t, []vector{
		// A record counts only once its three steps are done (orglife.MemberAppraisal), so an
		// incomplete appraisal contributes no Held fact and the year stays unmet.
		{"no completed appraisal in 2024: flagged (warning)", "2025-01-10", func(f *fx) int64 { return f.branch("2020-01-01") }, "A2.8", "2024", Missed},
		{"a completed appraisal in 2024: met", "2025-01-10", func(f *fx) int64 {
			b := f.branch("2020-01-01")
			f.held(b, orglife.MemberAppraisal, "2024-12-31")
			return b
		}, "A2.8", "2024", Met},
	})
}

func TestA2_9_HeartTalks(t *testing.T) {
	runVectors(t, []vector{
		{"7-member committee where 委员A and 委员B have no talk in 2024: flagged", "2025-01-10", func(f *fx) int64 {
			b := f.branch("2020-01-01")
			ms := f.members(b, 9, "full", "2015-01-01")
			posts := []string{"secretary", "deputy_secretary", "organisation_member", "publicity_member", "discipline_member", "committee_member", "committee_member"}
			for i, p := range posts {
				f.post(b, ms[i], p, "2020-01-01")
			}
			for _, m := range ms[:5] { // A (ms[5]) and B (ms[6]) have none
				f.held(b, orglife.HeartTalk, "2024-06-01", m)
			}
			return b
		}, "A2.9", "2024", Missed},
		{"every committee member with a talk: met", "2025-01-10", func(f *fx) int64 {
			b, ms := committeeBranch(f)
			for _, m := range ms[:3] {
				f.held(b, orglife.HeartTalk, "2024-06-01", m)
			}
			return b
		}, "A2.9", "2024", Met},
	})
}

func TestB2_AllMemberMeetingYearly(t *testing.T) {
	runVectors(t, []vector{
		{"no 机关党员干部大会 in 2024: flagged", "2025-01-10", func(f *fx) int64 { return f.organ }, "B2", "2024", Missed},
		{"one in 2024: met", "2025-01-10", func(f *fx) int64 {
			f.held(f.organ, orglife.AllMemberMeeting, "2024-01-05")
			return f.organ
		}, "B2", "2024", Met},
	})
	if r, _ := RuleByID("B2"); r.Severity != SevError {
		t.Error("B2 第二十六条（六） says at least once a year: an error")
	}
}

// R0.4: frequency rules are judged per calendar period (Q1 = Jan–Mar) and a meeting counts in the period
// of its date; "一般" rules warn, "应当/至少" rules are errors.
func TestR0_4_CalendarPeriods(t *testing.T) {
	for _, c := range []struct {
		every Every
		month string
		want  string
	}{{Quarterly, "2024-03", "2024-Q1"}, {Quarterly, "2024-04", "2024-Q2"}, {Quarterly, "2024-12", "2024-Q4"},
		{Monthly, "2024-02", "2024-02"}, {HalfYear, "2024-07", "2024-H2"}, {Yearly, "2024-11", "2024"}} {
		p := PeriodOf(c.every, mustMonth(c.month))
		if p.String() != c.want {
			t.Errorf("%s of %s: %s, want %s", c.every, c.month, p, c.want)
		}
		back, err := ParsePeriod(c.want)
		if err != nil || back != p {
			t.Errorf("ParsePeriod(%s) = %v, %v", c.want, back, err)
		}
	}
	if p := PeriodOf(Quarterly, mustMonth("2024-01")); p.LastDay().Format("2006-01-02") != "2024-03-31" {
		t.Errorf("Q1 ends %s", p.LastDay())
	}
	for _, r := range Builtin {
		if r.Severity == "" || r.Article == "" {
			t.Errorf("%s: severity and article are required", r.ID)
		}
	}
	for id, want := range map[string]Severity{"A2.1": SevWarning, "A2.2": SevWarning, "A2.3": SevWarning, "A2.8": SevWarning, "A2.9": SevWarning,
		"A2.6": SevError, "A2.7": SevError, "A2.5.secretary": SevError} {
		if r, _ := RuleByID(id); r.Severity != want {
			t.Errorf("%s: severity %s, want %s (R0.4)", id, r.Severity, want)
		}
	}
}
