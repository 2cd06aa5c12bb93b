package org_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/pii"
	"github.com/dangjian/dangjian/internal/wire"
)

// tree is a small organ tree for the structure tests: root → committee (with 机关纪委) → branches b1, b2
// (b1 with a cell), all established 2020-01-01; the clock stands at 2026-03-10.
type tree struct {
	t                            *testing.T
	d                            *db.DB
	clk                          *clock.Fake
	o                            *org.Service
	admin                        auth.Principal
	root, comm, disc, b1, b2, c1 int64
}

func newTree(t *testing.T, d *db.DB) *tree {
	t.Helper()
	key, err := audit.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	dk, err := pii.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 3, 10, 9, 0, 0, 0, clock.Shanghai))
	p := wire.New(d, key, dk, clk)
	tr := &tree{t: t, d: d, clk: clk, o: p.Orgs}
	err = d.Write(tr.ctx(), func(tx *db.Tx) error {
		root, err := p.Auth.SetupTx(tx, "示例市直机关工委")
		if err != nil {
			return err
		}
		mk := func(parent int64, k org.Kind, name string) int64 {
			if err != nil {
				return 0
			}
			var o org.Org
			o, err = p.Orgs.CreateTx(tx, org.NewOrg{ParentID: parent, Kind: k, Name: name, EstablishedOn: "2020-01-01"})
			return o.ID
		}
		tr.root = root
		tr.comm = mk(root, org.Committee, "示例局机关党委")
		tr.disc = mk(tr.comm, org.DisciplineCommittee, "示例局机关纪委")
		tr.b1 = mk(tr.comm, org.Branch, "第一党支部")
		tr.b2 = mk(tr.comm, org.Branch, "第二党支部")
		tr.c1 = mk(tr.b1, org.Cell, "第一党小组")
		tr.admin = auth.Principal{UserID: 1, Username: "admin", Role: auth.OrgAdmin, OrgID: root, OrgPath: "/" + strconv.FormatInt(root, 10) + "/"}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func (tr *tree) ctx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{UserID: 1, Username: "admin"})
}

// member adds a member straight into the table (the roster's own rules are not under test here).
func (tr *tree) member(orgID, cellID int64, status string) int64 {
	tr.t.Helper()
	var id int64
	err := tr.d.Write(context.Background(), func(tx *db.Tx) error {
		var cell any
		if cellID != 0 {
			cell = cellID
		}
		var err error
		id, err = tx.Insert(`INSERT INTO members(org_id, cell_id, name, status, joined_on, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, 0)`,
			orgID, cell, "党员"+strconv.Itoa(int(orgID)), status, db.DateOf(time.Date(2010, 7, 1, 0, 0, 0, 0, time.UTC)))
		return err
	})
	if err != nil {
		tr.t.Fatal(err)
	}
	return id
}

func (tr *tree) get(id int64) org.Org {
	tr.t.Helper()
	o, err := tr.o.Get(tr.ctx(), tr.admin, id)
	if err != nil {
		tr.t.Fatal(err)
	}
	return o
}

func ch(on string) org.Change {
	return org.Change{On: on, Reason: "机构改革调整", ApprovalRef: "示组〔2024〕12号"}
}

func fieldKey(t *testing.T, err error, field string) string {
	t.Helper()
	e, ok := errs.As(err)
	if !ok {
		t.Fatalf("want a field error on %s, got %v", field, err)
	}
	return e.Fields[field]
}

func day(s string) time.Time {
	d, _ := time.Parse(time.DateOnly, s)
	return d
}

func TestEstablishWritesEventAndDefaultTerm(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		tr := newTree(t, d)
		b := tr.get(tr.b1)
		// A3.3 / B1 第七条: a branch's term is 3 years; 第五条: a 机关党委's 5 years.
		if b.TermYears != 3 || b.TermEndOn.String() != "2023-01-01" {
			t.Errorf("branch term = %d years to %s", b.TermYears, b.TermEndOn)
		}
		if c := tr.get(tr.comm); c.TermYears != 5 || c.TermEndOn.String() != "2025-01-01" {
			t.Errorf("committee term = %d years to %s", c.TermYears, c.TermEndOn)
		}
		h, err := tr.o.History(tr.ctx(), tr.admin, tr.b1)
		if err != nil || len(h) != 1 || h[0].Kind != org.EventEstablish || h[0].On.String() != "2020-01-01" || h[0].After.Name != "第一党支部" {
			t.Fatalf("history = %+v, %v", h, err)
		}
	})
}

func TestRenameMoveReorganiseKeepHistory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		tr := newTree(t, d)
		ctx := tr.ctx()
		c := ch("2024-07-01")
		c.Name = "综合处党支部"
		if _, err := tr.o.Rename(ctx, tr.admin, tr.b1, c); err != nil {
			t.Fatal(err)
		}
		// Move b1 (with its cell) under a new general branch.
		gb, err := tr.o.Create(ctx, tr.admin, org.NewOrg{ParentID: tr.comm, Kind: org.GeneralBranch, Name: "机关党总支", EstablishedOn: "2024-07-01"})
		if err != nil {
			t.Fatal(err)
		}
		mv := ch("2024-08-01")
		mv.ParentID = gb.ID
		moved, err := tr.o.Move(ctx, tr.admin, tr.b1, mv)
		if err != nil {
			t.Fatal(err)
		}
		if want := gb.Path + strconv.FormatInt(tr.b1, 10) + "/"; moved.Path != want {
			t.Errorf("path = %s, want %s", moved.Path, want)
		}
		if cell := tr.get(tr.c1); cell.Path != moved.Path+strconv.FormatInt(tr.c1, 10)+"/" {
			t.Errorf("cell not re-pathed: %s", cell.Path)
		}
		// Cycle: the committee cannot move under its own branch; a branch cannot go under a cell.
		cy := ch("2024-08-01")
		cy.ParentID = tr.b2
		if _, err := tr.o.Move(ctx, tr.admin, tr.comm, cy); fieldKey(t, err, "parent_id") != "org.move.cycle" {
			t.Errorf("cycle: %v", err)
		}
		cy.ParentID = tr.c1
		if _, err := tr.o.Move(ctx, tr.admin, tr.b2, cy); fieldKey(t, err, "parent_id") != "org.kind.parent" {
			t.Errorf("kind: %v", err)
		}
		// Reorganise the branch into a general branch: refused while it has a cell (cells sit under branches).
		re := ch("2024-09-01")
		re.Kind = org.GeneralBranch
		if _, err := tr.o.Reorganise(ctx, tr.admin, tr.b2, re); err != nil {
			t.Fatal(err)
		}
		if _, err := tr.o.Reorganise(ctx, tr.admin, tr.b1, re); err == nil {
			t.Error("reorganise over a cell accepted")
		}
		h, _ := tr.o.History(ctx, tr.admin, tr.b1)
		if len(h) != 3 || h[1].Kind != org.EventRename || h[1].Before.Name != "第一党支部" || h[2].Kind != org.EventMove || h[2].Before.ParentID != tr.comm {
			t.Fatalf("history = %+v", h)
		}
		// Dates go forward only, and need a reason and an approval reference.
		back := org.Change{On: "2024-01-01", Name: "又一个名字"}
		_, err = tr.o.Rename(ctx, tr.admin, tr.b1, back)
		if e, _ := errs.As(err); e == nil || e.Fields["on"] != "org.on.before_last" || e.Fields["reason"] == "" || e.Fields["approval_ref"] == "" {
			t.Errorf("backdated rename: %v", err)
		}
		// The tree as it was on 2024-06-30 and as it is now.
		old, err := tr.o.TreeAsOf(ctx, tr.admin, tr.comm, day("2024-06-30"))
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]int{}
		for _, n := range old {
			names[n.Name] = n.Depth
		}
		if names["第一党支部"] != 1 || names["第一党小组"] != 2 || len(old) != 5 {
			t.Errorf("tree on 2024-06-30 = %+v", old)
		}
		now, _ := tr.o.TreeAsOf(ctx, tr.admin, tr.comm, day("2026-03-10"))
		names = map[string]int{}
		for _, n := range now {
			names[n.Name] = n.Depth
		}
		if names["综合处党支部"] != 2 || names["第一党小组"] != 3 || names["机关党总支"] != 1 {
			t.Errorf("tree now = %+v", now)
		}
		if before, _ := tr.o.TreeAsOf(ctx, tr.admin, tr.comm, day("2019-12-31")); len(before) != 0 {
			t.Errorf("tree before establishment = %+v", before)
		}
	})
}

func TestDissolveRefusedWithMembersOrChildren(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		tr := newTree(t, d)
		ctx := tr.ctx()
		m := tr.member(tr.b2, 0, "full")
		_, err := tr.o.Dissolve(ctx, tr.admin, tr.b2, ch("2025-01-01"))
		if e, _ := errs.As(err); e == nil || e.Key != "org.dissolve.has_members" {
			t.Fatalf("dissolve with a member: %v", err)
		}
		if _, err := tr.o.Dissolve(ctx, tr.admin, tr.b1, ch("2025-01-01")); errs.CodeOf(err) != errs.Unprocessable {
			t.Fatalf("dissolve with a cell: %v", err)
		}
		// Move the member out, then it goes; the org stays, marked dissolved, with a dissolve event.
		if _, err := d.SQL().Exec(db.Rebind(d.Engine(), "UPDATE members SET org_id = ? WHERE id = ?"), tr.b1, m); err != nil {
			t.Fatal(err)
		}
		o, err := tr.o.Dissolve(ctx, tr.admin, tr.b2, ch("2025-01-01"))
		if err != nil || o.DissolvedOn.String() != "2025-01-01" {
			t.Fatalf("dissolve: %+v %v", o, err)
		}
		kids, _ := tr.o.Children(ctx, tr.admin, tr.comm)
		for _, k := range kids {
			if k.ID == tr.b2 {
				t.Error("dissolved branch still listed")
			}
		}
		if h, _ := tr.o.History(ctx, tr.admin, tr.b2); h[len(h)-1].Kind != org.EventDissolve || !h[len(h)-1].After.Dissolved {
			t.Errorf("history = %+v", h)
		}
		if _, err := tr.o.Rename(ctx, tr.admin, tr.b2, org.Change{On: "2025-02-01", Reason: "改名", ApprovalRef: "x", Name: "新名"}); fieldKey(t, err, "id") != "org.dissolved" {
			t.Errorf("rename of a dissolved org: %v", err)
		}
		// An org admin cannot dissolve their own organisation.
		own := auth.Principal{UserID: 2, Username: "ca", Role: auth.OrgAdmin, OrgID: tr.comm, OrgPath: tr.get(tr.comm).Path}
		if _, err := tr.o.Dissolve(ctx, own, tr.comm, ch("2025-01-01")); err == nil {
			t.Error("own org dissolved")
		}
		// Out of scope: a branch's admin cannot dissolve another branch.
		b1p := auth.Principal{UserID: 3, Username: "b1", Role: auth.OrgAdmin, OrgID: tr.b1, OrgPath: tr.get(tr.b1).Path}
		if _, err := tr.o.Dissolve(ctx, b1p, tr.disc, ch("2025-01-01")); !errs.Is(err, errs.Forbidden) {
			t.Errorf("out of scope: %v", err)
		}
	})
}

func TestMergeMovesMembersAndChildren(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		tr := newTree(t, d)
		ctx := tr.ctx()
		m := tr.member(tr.b1, tr.c1, "full")
		mg := ch("2025-06-01")
		mg.TargetID = tr.b2
		src, err := tr.o.Merge(ctx, tr.admin, tr.b1, mg)
		if err != nil || src.DissolvedOn.IsZero() {
			t.Fatalf("merge: %+v %v", src, err)
		}
		var orgID, cellID int64
		if err := d.QueryRow(ctx, "SELECT org_id, cell_id FROM members WHERE id = ?", m).Scan(&orgID, &cellID); err != nil || orgID != tr.b2 || cellID != tr.c1 {
			t.Errorf("member now in %d/%d, %v", orgID, cellID, err)
		}
		if c := tr.get(tr.c1); c.ParentID != tr.b2 {
			t.Errorf("cell parent = %d", c.ParentID)
		}
		mg.TargetID = tr.comm
		if _, err := tr.o.Merge(ctx, tr.admin, tr.b2, mg); fieldKey(t, err, "target_id") != "org.merge.kind" {
			t.Errorf("merge into another kind: %v", err)
		}
		if h, _ := tr.o.History(ctx, tr.admin, tr.b1); h[len(h)-1].Kind != org.EventMerge || h[len(h)-1].After.MergedID != tr.b2 {
			t.Errorf("history = %+v", h)
		}
	})
}

// An organisation recorded without its establishment date counts as existing before any step of its
// history: the tree before its rename shows the old name.
func TestTreeAsOfUndatedOrganisation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		tr := newTree(t, d)
		ctx := tr.ctx()
		u, err := tr.o.Create(ctx, tr.admin, org.NewOrg{ParentID: tr.comm, Kind: org.Branch, Name: "老党支部"})
		if err != nil {
			t.Fatal(err)
		}
		c := ch("2024-09-01")
		c.Name = "新党支部"
		if _, err := tr.o.Rename(ctx, tr.admin, u.ID, c); err != nil {
			t.Fatal(err)
		}
		name := func(on string) string {
			nodes, err := tr.o.TreeAsOf(ctx, tr.admin, tr.comm, day(on))
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range nodes {
				if n.ID == u.ID {
					return n.Name
				}
			}
			return ""
		}
		if got := name("2024-06-30"); got != "老党支部" {
			t.Errorf("2024-06-30: %q", got)
		}
		if got := name("2024-09-01"); got != "新党支部" {
			t.Errorf("2024-09-01: %q", got)
		}
		if h, _ := tr.o.History(ctx, tr.admin, u.ID); h[0].Kind != org.EventEstablish {
			t.Errorf("history starts with %s", h[0].Kind)
		}
	})
}
