package org_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/demo"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
)

func date(s string) db.Date {
	d, err := db.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func bptr(b bool) *bool { return &b }

// findings renders checks as "RULE:severity:key" for comparison.
func findings(cs []org.Check) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s:%s:%s", c.Rule, c.Severity, c.Key))
	}
	return out
}

type vector struct {
	name string
	f    org.Facts
	on   string
	want []string
}

func runVectors(t *testing.T, vs []vector) {
	t.Helper()
	for _, v := range vs {
		t.Run(v.name, func(t *testing.T) {
			on := v.on
			if on == "" {
				on = "2026-03-10"
			}
			got := findings(org.Evaluate(org.DefaultRules, v.f, day(on)))
			if fmt.Sprint(got) != fmt.Sprint(append([]string{}, v.want...)) {
				t.Errorf("got %v, want %v", got, v.want)
			}
		})
	}
}

// A branch with a committee that satisfies B1 (has a 纪检委员), so only the rule under test fires.
func branch(full, members int) org.Facts {
	return org.Facts{Kind: org.Branch, Full: full, Members: members}
}

func TestA1_1_BranchSize(t *testing.T) {
	runVectors(t, []vector{
		{"formal=2 cannot have its own branch", branch(2, 2), "", []string{"A1.1:warning:org.check.a1_1.too_few"}},
		{"formal=3 branch", branch(3, 3), "", []string{}},
		{"members=50 ok", branch(5, 50), "", []string{}},
		{"members=51 warning", branch(5, 51), "", []string{"A1.1:warning:org.check.a1_1.too_many"}},
	})
}

func TestA3_1_Committee(t *testing.T) {
	withCommittee := func(full, size int) org.Facts {
		f := branch(full, full)
		f.HasCommittee, f.HasDisciplineMember, f.CommitteeSize = true, true, size
		return f
	}
	runVectors(t, []vector{
		{"formal=7 committee=null → error", branch(7, 7), "", []string{"A3.1:error:org.check.a3_1.committee_required"}},
		{"formal=6 no committee required", branch(6, 6), "", []string{}},
		// R0.3: 6 full + 3 probationary counts 6, not 9.
		{"R0.3 6 full + 3 probationary", branch(6, 9), "", []string{}},
		{"size=8 warning", withCommittee(9, 8), "", []string{"A3.1:warning:org.check.a3_1.size_large"}},
		{"size=7 ok", withCommittee(9, 7), "", []string{}},
		{"size=3 ok", withCommittee(9, 3), "", []string{}},
		{"size=2 warning", withCommittee(9, 2), "", []string{"A3.1:warning:org.check.a3_1.size_small"}},
	})
}

func TestA1_5_Thresholds(t *testing.T) {
	runVectors(t, []vector{
		{"committee with 100 members ok (overlap at 100)", org.Facts{Kind: org.Committee, Members: 100, HasDisciplineCommittee: true}, "", []string{}},
		{"committee with 99 needs approval", org.Facts{Kind: org.Committee, Members: 99, HasDisciplineCommittee: true}, "", []string{"A1.5:warning:org.check.a1_5.committee_below"}},
		{"general branch with 50 ok", org.Facts{Kind: org.GeneralBranch, Members: 50}, "", []string{}},
		{"general branch with 49 needs approval", org.Facts{Kind: org.GeneralBranch, Members: 49}, "", []string{"A1.5:warning:org.check.a1_5.general_branch_below"}},
		{"general branch with 100 may become a committee", org.Facts{Kind: org.GeneralBranch, Members: 100}, "", []string{"A1.5:info:org.check.a1_5.committee_eligible"}},
	})
}

func TestB1_DisciplineBodies(t *testing.T) {
	runVectors(t, []vector{
		{"organ committee with no 机关纪委 → error", org.Facts{Kind: org.Committee, Members: 120}, "", []string{"B1:error:org.check.b1.no_discipline_committee"}},
		{"机关纪委书记 not a 副书记 → error", org.Facts{Kind: org.Committee, Members: 120, HasDisciplineCommittee: true, DisciplineSecretaryIsDeputy: bptr(false)}, "", []string{"B1:error:org.check.b1.discipline_secretary"}},
		{"机关纪委书记 is a 副书记 ok", org.Facts{Kind: org.Committee, Members: 120, HasDisciplineCommittee: true, DisciplineSecretaryIsDeputy: bptr(true)}, "", []string{}},
		{"branch committee without 纪检委员 → error", org.Facts{Kind: org.Branch, Full: 8, Members: 8, HasCommittee: true, CommitteeSize: 3}, "", []string{"B1:error:org.check.b1.no_discipline_member"}},
		{"branch without committee needs none", branch(5, 5), "", []string{}},
	})
}

func TestA3_4_Renewal(t *testing.T) {
	term := func(end, ext string) org.Facts {
		f := branch(5, 5)
		f.TermEndOn = date(end)
		if ext != "" {
			f.ExtendedToOn = date(ext)
		}
		return f
	}
	runVectors(t, []vector{
		{"term ends 2024-06-15, on that day ok", term("2024-06-15", ""), "2024-06-15", []string{}},
		{"2024-06-16 no election → overdue", term("2024-06-15", ""), "2024-06-16", []string{"A3.4:error:org.check.a3_4.overdue"}},
		{"extension to 2025-03-31 ok until then", term("2024-06-15", "2025-03-31"), "2025-03-31", []string{}},
		{"extension to 2025-03-31, 2025-04-01 overdue", term("2024-06-15", "2025-03-31"), "2025-04-01", []string{"A3.4:error:org.check.a3_4.overdue"}},
		{"extension to 2025-07-01 exceeds 1 year", term("2024-06-15", "2025-07-01"), "2024-07-01", []string{"A3.4:warning:org.check.a3_4.extension_long"}},
	})
}

func TestA3_3_TermDefaults(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		tr := newTree(t, d)
		ctx := tr.ctx()
		for _, v := range []struct {
			kind    org.Kind
			elected string
			want    string
		}{
			{org.Branch, "2021-06-15", "2024-06-15"},    // A3.4 vector: organ branch
			{org.Committee, "2020-12-01", "2025-12-01"}, // A3.4 vector: 基层党委
			{org.GeneralBranch, "2024-02-29", "2027-02-28"},
		} {
			parent := tr.comm
			if v.kind == org.Committee {
				parent = tr.root
			}
			o, err := tr.o.Create(ctx, tr.admin, org.NewOrg{ParentID: parent, Kind: v.kind, Name: "换届测试" + string(v.kind), EstablishedOn: "2019-01-01"})
			if err != nil {
				t.Fatal(err)
			}
			o, err = tr.o.SetTerm(ctx, tr.admin, o.ID, org.TermChange{StartOn: v.elected, ApprovalRef: "选举结果备案"})
			if err != nil || o.TermEndOn.String() != v.want {
				t.Errorf("%s elected %s: term ends %s (%v), want %s", v.kind, v.elected, o.TermEndOn, err, v.want)
			}
		}
		// A3.4: postponing by more than a year is refused.
		o, _ := tr.o.SetTerm(ctx, tr.admin, tr.b1, org.TermChange{StartOn: "2021-06-15", ApprovalRef: "x"})
		if _, err := tr.o.SetTerm(ctx, tr.admin, o.ID, org.TermChange{ExtendedTo: "2025-07-01", ApprovalRef: "x"}); fieldKey(t, err, "extended_to_on") != "org.term.extension_too_long" {
			t.Errorf("long extension: %v", err)
		}
		if o, err := tr.o.SetTerm(ctx, tr.admin, o.ID, org.TermChange{ExtendedTo: "2025-03-31", ApprovalRef: "x"}); err != nil || o.ExtendedToOn.String() != "2025-03-31" {
			t.Errorf("extension: %+v %v", o, err)
		}
	})
}

// The same rules through the database: facts gathered from members and posts, on both engines.
func TestA3_1_B1_ChecksFromDatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		tr := newTree(t, d)
		ctx := tr.ctx()
		var ms []int64
		for range 7 {
			ms = append(ms, tr.member(tr.b1, 0, "full"))
		}
		for range 3 {
			tr.member(tr.b2, 0, "probationary")
		}
		for range 6 {
			tr.member(tr.b2, 0, "full")
		}
		now := day("2022-06-01")
		got := func(id int64, subtree bool) []string {
			cs, err := tr.o.Checks(ctx, tr.admin, id, now, subtree)
			if err != nil {
				t.Fatal(err)
			}
			return findings(cs)
		}
		// b1: 7 full, no committee (A3.1); b2: 6 full + 3 probationary (R0.3): nothing.
		if g := fmt.Sprint(got(tr.b1, false)); g != "[A3.1:error:org.check.a3_1.committee_required]" {
			t.Errorf("b1 = %s", g)
		}
		if g := fmt.Sprint(got(tr.b2, false)); g != "[]" {
			t.Errorf("b2 = %s", g)
		}
		// Elect a committee of 3 without a 纪检委员: B1.
		for i, p := range []org.PostKind{org.Secretary, org.OrganisationMember, org.PublicityMember} {
			if _, err := tr.o.AssignPost(ctx, tr.admin, tr.b1, org.NewPost{MemberID: ms[i], Post: p, From: "2021-01-01", State: stateFor(p)}); err != nil {
				t.Fatal(err)
			}
		}
		if g := fmt.Sprint(got(tr.b1, false)); g != "[A3.2:warning:org.check.a3_2.pending_approval B1:error:org.check.b1.no_discipline_member]" {
			t.Errorf("b1 with committee = %s", g)
		}
		// Committee: 机关纪委 exists; its secretary is not a deputy secretary of the 机关党委 → B1.
		if _, err := tr.o.AssignPost(ctx, tr.admin, tr.disc, org.NewPost{MemberID: ms[3], Post: org.Secretary, From: "2021-01-01",
			State: org.Approved, ApprovedOn: "2021-01-10", ApprovalRef: "批复"}); err != nil {
			t.Fatal(err)
		}
		all := fmt.Sprint(got(tr.comm, true))
		for _, want := range []string{"A1.5:warning:org.check.a1_5.committee_below", "B1:error:org.check.b1.discipline_secretary", "B1:error:org.check.b1.no_discipline_member"} {
			if !contains(all, want) {
				t.Errorf("subtree checks %s lack %s", all, want)
			}
		}
		if _, err := tr.o.AssignPost(ctx, tr.admin, tr.comm, org.NewPost{MemberID: ms[3], Post: org.DeputySecretary, From: "2021-01-01",
			State: org.Approved, ApprovedOn: "2021-01-10", ApprovalRef: "批复"}); err != nil {
			t.Fatal(err)
		}
		if contains(fmt.Sprint(got(tr.comm, false)), "B1:") {
			t.Error("B1 still fires with the 纪委书记 as deputy secretary")
		}
		// A3.4 from the stored term: the branch was established 2020-01-01, term 3 years.
		now = day("2026-03-10")
		if g := fmt.Sprint(got(tr.b2, false)); !contains(g, "A3.4:error:org.check.a3_4.overdue") {
			t.Errorf("b2 in 2026 = %s", g)
		}
	})
}

func stateFor(p org.PostKind) org.PostState {
	if p.NeedsApproval() {
		return org.Elected
	}
	return org.Filed
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && (s[:len(sub)] == sub || contains(s[1:], sub)))
}

// A3.5: a 书记 has as a rule ≥ 1 year of 党龄 when elected, counted from 转正 (C5.4).
func TestA3_5_SecretaryStanding(t *testing.T) {
	sec := func(status org.Status, joined, full, elected string) org.Facts {
		f := branch(5, 5)
		s := org.SecretaryFacts{Name: "张三", Status: status, ElectedOn: date(elected)}
		if joined != "" {
			s.JoinedOn = date(joined)
		}
		if full != "" {
			s.FullOn = date(full)
		}
		f.Secretaries = []org.SecretaryFacts{s}
		return f
	}
	const short = "A3.5:warning:org.check.a3_5.secretary_standing"
	runVectors(t, []vector{
		{name: "RULES vector: confirmed 2023-09-01, elected 2024-06-01", f: sec(org.Full, "2022-09-01", "2023-09-01", "2024-06-01"), want: []string{short}},
		{name: "exactly one year on the election day", f: sec(org.Full, "2022-06-01", "2023-06-01", "2024-06-01")},
		{name: "one day short", f: sec(org.Full, "2022-06-02", "2023-06-02", "2024-06-01"), want: []string{short}},
		{name: "counted from 转正, not from joining", f: sec(org.Full, "2020-01-01", "2023-12-01", "2024-06-01"), want: []string{short}},
		{name: "no 转正 date: a year after joining", f: sec(org.Full, "2022-01-10", "", "2024-06-01")},
		{name: "probationary: no standing at all", f: sec(org.Probationary, "2024-01-10", "", "2024-06-01"), want: []string{short}},
		{name: "no secretary", f: branch(5, 5)},
	})
}

// A3.5 through the database: the secretary's 转正 date and the post's election date.
func TestA3_5_SecretaryStandingFromDatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		tr := newTree(t, d)
		ctx := tr.ctx()
		var recent int64
		err := d.Write(ctx, func(tx *db.Tx) error {
			var err error
			recent, err = tr.o.CreateMemberTx(tx, org.NewMember{Name: "新书记", IDNumber: demo.IDNumber(time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), 311), Ethnicity: "汉族",
				OrgID: tr.b1, Status: org.Full, JoinedOn: "2022-09-01", FullOn: "2023-09-01"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.o.AssignPost(ctx, tr.admin, tr.b1, org.NewPost{MemberID: recent, Post: org.Secretary, From: "2024-06-01",
			State: org.Approved, ElectedOn: "2024-06-01", ApprovedOn: "2024-06-10", ApprovalRef: "批复"}); err != nil {
			t.Fatal(err)
		}
		cs, err := tr.o.Checks(ctx, tr.admin, tr.b1, day("2024-07-01"), false)
		if err != nil {
			t.Fatal(err)
		}
		if g := fmt.Sprint(findings(cs)); !contains(g, "A3.5:warning:org.check.a3_5.secretary_standing") {
			t.Errorf("A3.5 not found: %s", g)
		}
	})
}
