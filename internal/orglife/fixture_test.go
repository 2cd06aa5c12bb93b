package orglife_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/orglife"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/pii"
	"github.com/dangjian/dangjian/internal/wire"
)

// fixture: a committee with two branches (b1 with a cell), members added straight into the roster, and
// posts assigned through the organisations service.
type fixture struct {
	t        testing.TB
	d        *db.DB
	clk      *clock.Fake
	p        *wire.Platform
	s        *orglife.Service
	admin    auth.Principal
	officer2 auth.Principal // an officer of b2
	root     int64
	comm     int64
	b1, b2   int64
	c1       int64
	n        int
}

var now0 = time.Date(2026, 3, 10, 9, 0, 0, 0, clock.Shanghai)

func newFixture(t testing.TB, d *db.DB) *fixture {
	t.Helper()
	key, err := audit.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	dk, err := pii.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(now0)
	p := wire.New(d, key, dk, clk)
	fx := &fixture{t: t, d: d, clk: clk, p: p, s: p.Meetings}
	err = d.Write(fx.ctx(), func(tx *db.Tx) error {
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
		fx.root = root
		fx.comm = mk(root, org.Committee, "示例局机关党委")
		fx.b1 = mk(fx.comm, org.Branch, "第一党支部")
		fx.b2 = mk(fx.comm, org.Branch, "第二党支部")
		fx.c1 = mk(fx.b1, org.Cell, "第一党小组")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	fx.admin = auth.Principal{UserID: 1, Username: "admin", Role: auth.OrgAdmin, OrgID: fx.root, OrgPath: fx.path(fx.root)}
	fx.officer2 = auth.Principal{UserID: 2, Username: "officer2", Role: auth.BranchOfficer, OrgID: fx.b2, OrgPath: fx.path(fx.b2)}
	return fx
}

func (fx *fixture) ctx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{UserID: 1, Username: "admin"})
}

func (fx *fixture) path(id int64) string {
	p, err := fx.p.Auth.OrgPath(context.Background(), id)
	if err != nil {
		fx.t.Fatal(err)
	}
	return p
}

// memberOpts describes a roster entry.
type memberOpts struct {
	cell     int64
	status   string // default full
	joined   string // default 2010-07-01
	cadre    bool
	terminal string // terminal_on; sets terminal_state removed
}

func (fx *fixture) member(orgID int64, o memberOpts) int64 {
	fx.t.Helper()
	fx.n++
	if o.status == "" {
		o.status = "full"
	}
	if o.joined == "" {
		o.joined = "2010-07-01"
	}
	var id int64
	err := fx.d.Write(context.Background(), func(tx *db.Tx) error {
		var cell, term any
		state := ""
		if o.cell != 0 {
			cell = o.cell
		}
		if o.terminal != "" {
			term, state = o.terminal, "removed"
		}
		var err error
		id, err = tx.Insert(`INSERT INTO members(org_id, cell_id, name, status, joined_on, is_leading_cadre, terminal_state, terminal_on, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0)`, orgID, cell, fmt.Sprintf("党员%02d", fx.n), o.status, o.joined, o.cadre, state, term)
		return err
	})
	if err != nil {
		fx.t.Fatal(err)
	}
	return id
}

func (fx *fixture) members(orgID int64, n int) []int64 {
	var out []int64
	for i := 0; i < n; i++ {
		out = append(out, fx.member(orgID, memberOpts{}))
	}
	return out
}

// post gives a member a post in office from 2025-01-01 (a secretary or deputy approved at once).
func (fx *fixture) post(orgID, memberID int64, k org.PostKind) {
	fx.t.Helper()
	n := org.NewPost{MemberID: memberID, Post: k, From: "2025-01-01", State: org.Filed}
	if k.NeedsApproval() {
		n.State, n.ApprovedOn, n.ApprovalRef = org.Approved, "2025-01-01", "示组字〔2025〕1号"
	}
	if _, err := fx.p.Orgs.AssignPost(fx.ctx(), fx.admin, orgID, n); err != nil {
		fx.t.Fatalf("post %s: %v", k, err)
	}
}

// fieldKey is the message key a 422 gives for field, or "" (failing on other errors).
func fieldKey(t *testing.T, err error, field string) string {
	t.Helper()
	if err == nil {
		return ""
	}
	e, ok := errs.As(err)
	if !ok || e.Code != errs.Unprocessable {
		t.Fatalf("want a 422, got %v", err)
	}
	return e.Fields[field]
}

func ids(xs ...int64) []int64 { return xs }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
