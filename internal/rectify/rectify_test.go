package rectify_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/demo"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/jobs"
	"github.com/dangjian/dangjian/internal/platform/pii"
	"github.com/dangjian/dangjian/internal/rectify"
	"github.com/dangjian/dangjian/internal/wire"
)

var t0 = time.Date(2026, 3, 10, 9, 0, 0, 0, clock.Shanghai)

type fixture struct {
	p                 *wire.Platform
	clk               *clock.Fake
	ctx               context.Context
	root, committee   int64
	branch            int64
	admin, officer    auth.Principal
	committeeAdmin    auth.Principal
	otherBranchOfficr auth.Principal
}

func principal(t *testing.T, f *fixture, username string) auth.Principal {
	t.Helper()
	p := auth.Principal{Username: username}
	err := f.p.DB.QueryRow(f.ctx, `SELECT u.id, u.role, u.org_id, o.path FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.username = ?`,
		username).Scan(&p.UserID, &p.Role, &p.OrgID, &p.OrgPath)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newFixture is the small demo city on d, with a committee admin for the officer's committee (the
// responsible organisation of the demo's feedback document) and an officer of a branch elsewhere.
func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	key, _ := audit.GenerateKey()
	dataKey, _ := pii.GenerateKey()
	clk := clock.NewFake(t0)
	p := wire.New(d, key, dataKey, clk)
	ctx := audit.WithActor(context.Background(), audit.Actor{Username: "test"})
	res, err := demo.Load(ctx, p, demo.Size{Committees: 2, Branches: 6, Members: 30}, 7, clock.Today(clk))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{p: p, clk: clk, ctx: ctx, root: res.RootID}
	f.admin, f.officer = principal(t, f, "demo_admin"), principal(t, f, "demo_officer")
	f.branch = f.officer.OrgID
	if err := d.QueryRow(ctx, "SELECT responsible_org_id FROM rectify_feedbacks ORDER BY id LIMIT 1").Scan(&f.committee); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Auth.CreateUser(ctx, auth.NewUser{Username: "committee_admin", Password: "Committee-a-2026", Role: auth.OrgAdmin, OrgID: f.committee}); err != nil {
		t.Fatal(err)
	}
	f.committeeAdmin = principal(t, f, "committee_admin")
	var other int64
	if err := d.QueryRow(ctx, "SELECT id FROM orgs WHERE kind = 'branch' AND path NOT LIKE ? ORDER BY id LIMIT 1", "/"+fmt.Sprint(res.RootID)+"/"+fmt.Sprint(f.committee)+"/%").Scan(&other); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Auth.CreateUser(ctx, auth.NewUser{Username: "other_officer", Password: "Other-officer-2026", Role: auth.BranchOfficer, OrgID: other}); err != nil {
		t.Fatal(err)
	}
	f.otherBranchOfficr = principal(t, f, "other_officer")
	return f
}

func (f *fixture) notes(t *testing.T, p auth.Principal, kind string) int {
	t.Helper()
	var n int
	if err := f.p.DB.QueryRow(f.ctx, "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = ?", p.UserID, kind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Overdue is derived from the fake clock (due_on passed and not closed), and the escalation job —
// registered in wire.RegisterJobs and run by the real scheduler — notifies the responsible and the
// supervising organisations once per item and deadline, not on every tick.
func TestOverdueEscalatesOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		rs := f.p.Rectify
		due := clock.Today(f.clk).AddDate(0, 0, 5).Format(time.DateOnly)
		it, err := rs.Create(f.ctx, f.admin, rectify.NewItem{Title: "活动室台账缺失", Finding: "党员活动室使用台账缺失。",
			Source: rectify.SourceSiteVisit, ResponsibleOrgID: f.committee, ImplementingIDs: []int64{f.branch}, SupervisorOrgID: f.root, DueOn: due})
		if err != nil {
			t.Fatal(err)
		}
		if it.Overdue || it.Status != rectify.Open {
			t.Fatalf("new item: overdue=%v status=%s", it.Overdue, it.Status)
		}
		s := jobs.New(d, f.clk, jobs.Options{Worker: "test"})
		f.p.RegisterJobs(s)
		tick := func() {
			t.Helper()
			if _, err := s.RunDue(f.ctx); err != nil {
				t.Fatal(err)
			}
		}
		// The demo's feedback document has one item 20 days overdue: the first tick escalates it.
		tick()
		demoOverdue := f.notes(t, f.admin, "rectification.overdue")
		if demoOverdue != 1 || f.notes(t, f.committeeAdmin, "rectification.overdue") != 1 {
			t.Fatalf("first tick: supervisor %d, responsible %d notes; want 1 each", demoOverdue, f.notes(t, f.committeeAdmin, "rectification.overdue"))
		}
		if f.notes(t, f.officer, "rectification.overdue") != 0 {
			t.Fatal("the escalation goes to the responsible and supervising organisations, not the branch")
		}
		// Ticks every hour until the new item's deadline passes: nothing new, nothing repeated.
		for h := 0; h < 24*5; h++ {
			f.clk.Advance(time.Hour)
			tick()
		}
		if got, _ := rs.Get(f.ctx, f.admin, it.ID); got.Overdue {
			t.Fatal("overdue on its deadline day (the deadline day itself is within time, R0.2)")
		}
		if n := f.notes(t, f.admin, "rectification.overdue"); n != 1 {
			t.Fatalf("after 120 hourly ticks: %d notes, want still 1", n)
		}
		// The day after the deadline: overdue, shown as such, escalated once however many ticks follow.
		for h := 0; h < 48; h++ {
			f.clk.Advance(time.Hour)
			tick()
		}
		got, err := rs.Get(f.ctx, f.admin, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Overdue || got.OverdueDays != 2 {
			t.Fatalf("two days after the deadline: overdue=%v days=%d", got.Overdue, got.OverdueDays)
		}
		if a, c := f.notes(t, f.admin, "rectification.overdue"), f.notes(t, f.committeeAdmin, "rectification.overdue"); a != 2 || c != 2 {
			t.Fatalf("after the deadline: supervisor %d, responsible %d notes; want 2 each (one per overdue item)", a, c)
		}
		list, total, err := rs.List(f.ctx, f.admin, rectify.Filter{OrgID: f.root, Overdue: true})
		if err != nil || total != 2 || len(list) != 2 {
			t.Fatalf("overdue filter: %d items, total %d, %v", len(list), total, err)
		}
	})
}

// A finding of a frozen special inspection turns into an item that links back to it, once: a second
// send returns the same item (unique (source, source_id)). An unfrozen inspection's finding is refused,
// and so is a caller who does not supervise.
func TestFindingRefBecomesItemOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		rs := f.p.Rectify
		ref := rectify.FindingRef{ID: 4711, InspectionID: 12, Reference: "2026年第1次专项检查 第3项",
			Text: "支部委员会未按月召开（A2.2）。", Link: "/inspections/12#finding-4711", OrgID: f.branch, Frozen: true}
		due := clock.Today(f.clk).AddDate(0, 2, 0).Format(time.DateOnly)
		send := func(p auth.Principal, r rectify.FindingRef) (rectify.Item, error) {
			var it rectify.Item
			err := d.Write(f.ctx, func(tx *db.Tx) error {
				var err error
				it, err = rs.CreateFromFindingTx(tx, p, r, rectify.NewItem{Category: "组织建设", ResponsibleOrgID: f.committee,
					SupervisorOrgID: f.root, DueOn: due})
				return err
			})
			return it, err
		}
		first, err := send(f.admin, ref)
		if err != nil {
			t.Fatal(err)
		}
		if first.Source != rectify.SourceInspection || first.SourceID != 4711 || first.SourceLink != ref.Link ||
			first.SourceRef != ref.Reference || first.Finding != ref.Text || first.Status != rectify.Open {
			t.Fatalf("item from finding: %+v", first)
		}
		if len(first.ImplementingIDs) != 1 || first.ImplementingIDs[0] != f.branch {
			t.Fatalf("implementing orgs %v, want the inspected branch", first.ImplementingIDs)
		}
		again, err := send(f.admin, ref)
		if err != nil || again.ID != first.ID {
			t.Fatalf("second send: id %d (first %d), %v", again.ID, first.ID, err)
		}
		var n int
		if err := d.QueryRow(f.ctx, "SELECT COUNT(*) FROM rectify_items WHERE source = 'inspection' AND source_id = 4711").Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d items for the finding, %v", n, err)
		}
		// The implementing officer sees it, with its link back.
		seen, err := rs.Get(f.ctx, f.officer, first.ID)
		if err != nil || seen.SourceLink != ref.Link {
			t.Fatalf("officer's view: %+v %v", seen, err)
		}
		draft := ref
		draft.ID, draft.Frozen = 4712, false
		if _, err := send(f.admin, draft); !errs.Is(err, errs.Conflict) {
			t.Fatalf("unfrozen finding: %v, want conflict", err)
		}
		other := ref
		other.ID = 4713
		if _, err := send(f.officer, other); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("branch officer sending a finding: %v, want forbidden", err)
		}
	})
}

// A long-term item (长期坚持) reports periodically: each report moves its deadline to the next period
// (R0.2 month arithmetic), and it is never submitted or closed.
func TestLongTermReportsPeriodically(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		rs := f.p.Rectify
		it, err := rs.Create(f.ctx, f.admin, rectify.NewItem{Title: "理论学习", Finding: "理论学习长效机制。", ResponsibleOrgID: f.committee,
			ImplementingIDs: []int64{f.branch}, SupervisorOrgID: f.root, DueOn: "2026-03-31", LongTerm: true, ReportMonths: 3})
		if err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			p  auth.Principal
			in rectify.StepInput
		}{
			{f.officer, rectify.StepInput{Action: rectify.ActPlan, Measures: "按季度制定学习计划", DueOn: "2026-03-31"}},
			{f.admin, rectify.StepInput{Action: rectify.ActAcceptPlan}},
			{f.officer, rectify.StepInput{Action: rectify.ActReport, Comment: "第一季度学习已完成"}},
		}
		for _, s := range steps {
			if it, err = rs.Act(f.ctx, s.p, it.ID, s.in); err != nil {
				t.Fatalf("%s: %v", s.in.Action, err)
			}
		}
		if it.DueOn.String() != "2026-06-10" || it.Status != rectify.InProgress {
			t.Fatalf("after a report on 2026-03-10: due %s status %s, want 2026-06-10 in_progress", it.DueOn, it.Status)
		}
		if _, err := rs.Act(f.ctx, f.officer, it.ID, rectify.StepInput{Action: rectify.ActSubmit, Comment: "完成"}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("submitting a long-term item: %v, want conflict", err)
		}
	})
}
