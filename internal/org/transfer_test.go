package org_test

import (
	"context"
	"fmt"
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

// xfer is a small tree for transfers, written straight into the tables so it depends on nothing but
// members(id, org_id, status, name) and orgs(id, path, kind, name):
//
//	/1/ root ─ /1/2/ committee A ─ /1/2/3/ branch A1 (sender) ─ /1/2/3/7/ cell
//	                             ├ /1/2/4/ branch A2 (a third branch)
//	                             └ /1/2/8/ branch A3 (dissolved)
//	         ─ /1/5/ committee B ─ /1/5/6/ branch B1 (receiver)
type xfer struct {
	t                        *testing.T
	d                        *db.DB
	clk                      *clock.Fake
	o                        *org.Service
	ctx                      context.Context
	from, to, third, adminA  auth.Principal
	root                     auth.Principal
	a1, a2, a3, b1, cell, cA int64
	n                        int
}

func newXfer(t *testing.T, d *db.DB) *xfer {
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
	x := &xfer{t: t, d: d, clk: clk, o: p.Orgs, ctx: audit.WithActor(context.Background(), audit.Actor{Username: "test"}),
		a1: 3, a2: 4, a3: 8, b1: 6, cell: 7, cA: 2}
	orgs := []struct {
		id, parent int64
		kind, name string
		path       string
		dissolved  any
	}{
		{1, 0, "work_committee", "示例市直机关工委", "/1/", nil},
		{2, 1, "committee", "甲局机关党委", "/1/2/", nil},
		{3, 2, "branch", "甲局第一党支部", "/1/2/3/", nil},
		{4, 2, "branch", "甲局第二党支部", "/1/2/4/", nil},
		{5, 1, "committee", "乙局机关党委", "/1/5/", nil},
		{6, 5, "branch", "乙局第一党支部", "/1/5/6/", nil},
		{7, 3, "cell", "第一党小组", "/1/2/3/7/", nil},
		{8, 2, "branch", "甲局原第三党支部", "/1/2/8/", "2025-12-31"},
	}
	err = d.Write(x.ctx, func(tx *db.Tx) error {
		for _, o := range orgs {
			var parent any
			if o.parent != 0 {
				parent = o.parent
			}
			if _, err := tx.Exec(`INSERT INTO orgs(id, parent_id, kind, name, path, dissolved_on, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, 0)`,
				o.id, parent, o.kind, o.name, o.path, o.dissolved); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if d.Engine() == db.Postgres {
		// Explicit ids leave the identity behind; move it past them.
		if err := d.Exec(x.ctx, "SELECT setval(pg_get_serial_sequence('orgs', 'id'), 100)"); err != nil {
			t.Fatal(err)
		}
	}
	pr := func(uid int64, name string, role auth.Role, orgID int64, path string) auth.Principal {
		return auth.Principal{UserID: uid, Username: name, Role: role, OrgID: orgID, OrgPath: path}
	}
	x.from = pr(11, "officer_a1", auth.BranchOfficer, 3, "/1/2/3/")
	x.to = pr(12, "officer_b1", auth.BranchOfficer, 6, "/1/5/6/")
	x.third = pr(13, "officer_a2", auth.BranchOfficer, 4, "/1/2/4/")
	x.adminA = pr(14, "admin_a", auth.OrgAdmin, 2, "/1/2/")
	x.root = pr(15, "admin", auth.OrgAdmin, 1, "/1/")
	return x
}

// member adds a member to org with status and returns its id.
func (x *xfer) member(orgID int64, status string) int64 {
	x.t.Helper()
	x.n++
	var id int64
	err := x.d.Write(x.ctx, func(tx *db.Tx) error {
		var err error
		id, err = tx.Insert("INSERT INTO members(org_id, name, status, created_at, updated_at) VALUES (?, ?, ?, 0, 0)",
			orgID, fmt.Sprintf("测试党员%d", x.n), status)
		return err
	})
	if err != nil {
		x.t.Fatal(err)
	}
	return id
}

func (x *xfer) memberOrg(id int64) int64 {
	x.t.Helper()
	var o int64
	if err := x.d.QueryRow(x.ctx, "SELECT org_id FROM members WHERE id = ?", id).Scan(&o); err != nil {
		x.t.Fatal(err)
	}
	return o
}

func (x *xfer) count(q string, args ...any) int {
	x.t.Helper()
	var n int
	if err := x.d.QueryRow(x.ctx, q, args...).Scan(&n); err != nil {
		x.t.Fatal(err)
	}
	return n
}

func (x *xfer) audits(action string) int {
	return x.count("SELECT COUNT(*) FROM audit_log WHERE action = ?", action)
}

// request opens a transfer of a new full member of A1 into B1.
func (x *xfer) request() org.Transfer {
	x.t.Helper()
	m := x.member(x.a1, "full")
	tr, err := x.o.RequestTransfer(x.ctx, x.from, org.NewTransfer{MemberID: m, ToOrgID: x.b1, Reason: "工作调动"})
	if err != nil {
		x.t.Fatal(err)
	}
	return tr
}

func (x *xfer) step(p auth.Principal, id int64, a org.TransferAction) (org.Transfer, error) {
	in := org.TransferStepInput{Action: a, Note: "经支委会研究"}
	if a == org.ActSend {
		in.LetterNo = "甲组转字〔2026〕1号"
	}
	return x.o.TransferStepTake(x.ctx, p, id, in)
}

// inState builds a transfer in status st through the service.
func (x *xfer) inState(st org.TransferStatus) org.Transfer {
	x.t.Helper()
	tr := x.request()
	var path []struct {
		p auth.Principal
		a org.TransferAction
	}
	add := func(p auth.Principal, a org.TransferAction) {
		path = append(path, struct {
			p auth.Principal
			a org.TransferAction
		}{p, a})
	}
	switch st {
	case org.TransferSent:
		add(x.from, org.ActSend)
	case org.TransferReceived:
		add(x.from, org.ActSend)
		add(x.to, org.ActReceive)
	case org.TransferRejected:
		add(x.from, org.ActSend)
		add(x.to, org.ActReject)
	case org.TransferCancelled:
		add(x.from, org.ActCancel)
	}
	for _, s := range path {
		var err error
		if tr, err = x.step(s.p, tr.ID, s.a); err != nil {
			x.t.Fatalf("%s: %v", s.a, err)
		}
	}
	if tr.Status != st {
		x.t.Fatalf("built %s, want %s", tr.Status, st)
	}
	return tr
}

// TestF4_TransferTransitions: every status × action × side. The side is checked before the status, so
// a wrong side is 403 whatever the status; a right side in a wrong status is 409; a refusal changes
// nothing — status, steps, the member's organisation.
func TestF4_TransferTransitions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		x := newXfer(t, d)
		allowed := map[org.TransferStatus]map[org.TransferAction]org.TransferStatus{
			org.TransferRequested: {org.ActSend: org.TransferSent, org.ActCancel: org.TransferCancelled},
			org.TransferSent:      {org.ActReceive: org.TransferReceived, org.ActReject: org.TransferRejected, org.ActCancel: org.TransferCancelled},
		}
		sideOf := map[org.TransferAction]string{org.ActSend: "from", org.ActCancel: "from", org.ActReceive: "to", org.ActReject: "to"}
		sides := map[string]auth.Principal{"from": x.from, "to": x.to, "third": x.third}
		for _, st := range org.TransferStatuses {
			for _, a := range org.TransferActions {
				for _, side := range []string{"from", "to", "third"} {
					name := fmt.Sprintf("%s/%s/%s", st, a, side)
					tr := x.inState(st)
					steps, memberOrg := len(tr.Steps), x.memberOrg(tr.MemberID)
					got, err := x.step(sides[side], tr.ID, a)
					next, ok := allowed[st][a]
					switch {
					case side != sideOf[a]:
						if !errs.Is(err, errs.Forbidden) {
							t.Errorf("%s: %v, want forbidden", name, err)
						}
					case !ok:
						if !errs.Is(err, errs.Conflict) {
							t.Errorf("%s: %v, want conflict", name, err)
						}
					default:
						if err != nil {
							t.Errorf("%s: %v", name, err)
						} else if got.Status != next || len(got.Steps) != steps+1 {
							t.Errorf("%s: status %s with %d steps, want %s with %d", name, got.Status, len(got.Steps), next, steps+1)
						}
						continue
					}
					after, err := x.o.GetTransfer(x.ctx, x.root, tr.ID)
					if err != nil {
						t.Fatal(err)
					}
					if after.Status != st || len(after.Steps) != steps || x.memberOrg(tr.MemberID) != memberOrg {
						t.Errorf("%s: refused step changed the transfer (%s, %d steps)", name, after.Status, len(after.Steps))
					}
				}
			}
		}
		// An administrator over both sides may take both sides' steps.
		tr := x.request()
		if _, err := x.step(x.root, tr.ID, org.ActSend); err != nil {
			t.Fatal(err)
		}
		if tr, err := x.step(x.root, tr.ID, org.ActReceive); err != nil || tr.Status != org.TransferReceived {
			t.Fatalf("root admin receive: %v %s", err, tr.Status)
		}
	})
}

// TestF4_PendingTransferKeepsMemberWithSender: the F4 vector — a transfer pending receipt for 40 days
// leaves the original branch the manager of record; the move happens on receipt, not before.
func TestF4_PendingTransferKeepsMemberWithSender(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		x := newXfer(t, d)
		tr := x.request()
		if _, err := x.step(x.from, tr.ID, org.ActSend); err != nil {
			t.Fatal(err)
		}
		x.clk.Advance(40 * 24 * time.Hour)
		if got := x.memberOrg(tr.MemberID); got != x.a1 {
			t.Fatalf("pending 40 days: member in org %d, want the sender %d", got, x.a1)
		}
		in := x.count("SELECT COUNT(*) FROM members WHERE org_id = ? AND status IN ('full', 'probationary')", x.b1)
		if in != 0 {
			t.Fatalf("receiver already counts %d members", in)
		}
		got, err := x.o.TransferStepTake(x.ctx, x.to, tr.ID, org.TransferStepInput{Action: org.ActReceive, On: "2026-04-18"})
		if err != nil {
			t.Fatal(err)
		}
		if x.memberOrg(tr.MemberID) != x.b1 || got.ReceivedOn.String() != "2026-04-18" || got.LetterNo != "甲组转字〔2026〕1号" {
			t.Fatalf("after receipt: org %d, %+v", x.memberOrg(tr.MemberID), got)
		}
		// History: request, send, receive, with actors.
		if len(got.Steps) != 3 || got.Steps[0].Action != org.ActRequest || got.Steps[2].ActorName != "officer_b1" {
			t.Fatalf("steps: %+v", got.Steps)
		}
	})
}

// TestF4_ReceiveIsAtomicWithItsAudit: the move, the step and the two audit entries commit together; when
// the step cannot be written, the member has not moved and nothing was audited.
func TestF4_ReceiveIsAtomicWithItsAudit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		x := newXfer(t, d)
		tr := x.inState(org.TransferSent)
		// Make the receive step's row fail inside the transaction, after the member was updated.
		if d.Engine() == db.Postgres {
			for _, q := range []string{
				`CREATE FUNCTION no_receive() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no receive'; END $$`,
				`CREATE TRIGGER no_receive BEFORE INSERT ON transfer_steps FOR EACH ROW WHEN (NEW.action = 'receive') EXECUTE FUNCTION no_receive()`,
			} {
				if err := d.Exec(x.ctx, q); err != nil {
					t.Fatal(err)
				}
			}
		} else if err := d.Exec(x.ctx, `CREATE TRIGGER no_receive BEFORE INSERT ON transfer_steps WHEN NEW.action = 'receive'
			BEGIN SELECT RAISE(ABORT, 'no receive'); END`); err != nil {
			t.Fatal(err)
		}
		before := x.count("SELECT COUNT(*) FROM audit_log")
		if _, err := x.step(x.to, tr.ID, org.ActReceive); err == nil {
			t.Fatal("receive succeeded with the step table refusing")
		}
		if x.memberOrg(tr.MemberID) != x.a1 || x.audits("member.transfer") != 0 || x.audits("transfer.receive") != 0 {
			t.Fatalf("half a receive: member in %d, audits %d/%d", x.memberOrg(tr.MemberID), x.audits("member.transfer"), x.audits("transfer.receive"))
		}
		if n := x.count("SELECT COUNT(*) FROM audit_log"); n != before {
			t.Fatalf("audit grew from %d to %d on a failed receive", before, n)
		}
		if err := d.Exec(x.ctx, "DROP TRIGGER no_receive"+map[bool]string{true: " ON transfer_steps", false: ""}[d.Engine() == db.Postgres]); err != nil {
			t.Fatal(err)
		}
		if _, err := x.step(x.to, tr.ID, org.ActReceive); err != nil {
			t.Fatal(err)
		}
		if x.memberOrg(tr.MemberID) != x.b1 || x.audits("member.transfer") != 1 || x.audits("transfer.receive") != 1 {
			t.Fatal("receive not recorded with its audit entries")
		}
		// Every step so far is audited: one request, one send, one receive.
		if x.audits("transfer.request") != 1 || x.audits("transfer.send") != 1 {
			t.Fatal("steps not audited")
		}
	})
}

// TestF4_TransferRequestChecks: who may request, for whom, to where.
func TestF4_TransferRequestChecks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		x := newXfer(t, d)
		full, prob, applicant := x.member(x.a1, "full"), x.member(x.a1, "probationary"), x.member(x.a1, "applicant")
		ok := func(p auth.Principal, n org.NewTransfer) (org.Transfer, error) {
			if n.Reason == "" {
				n.Reason = "工作调动"
			}
			return x.o.RequestTransfer(x.ctx, p, n)
		}
		cases := []struct {
			name  string
			p     auth.Principal
			n     org.NewTransfer
			code  errs.Code
			field string
		}{
			{"receiver cannot request", x.to, org.NewTransfer{MemberID: full, ToOrgID: x.b1}, errs.Forbidden, ""},
			{"third branch cannot request", x.third, org.NewTransfer{MemberID: full, ToOrgID: x.b1}, errs.Forbidden, ""},
			{"unknown member", x.from, org.NewTransfer{MemberID: 99999, ToOrgID: x.b1}, errs.NotFound, ""},
			{"applicant is not transferred", x.from, org.NewTransfer{MemberID: applicant, ToOrgID: x.b1}, errs.Unprocessable, "member_id"},
			{"same organisation", x.from, org.NewTransfer{MemberID: full, ToOrgID: x.a1}, errs.Unprocessable, "to_org_id"},
			{"target is a cell", x.from, org.NewTransfer{MemberID: full, ToOrgID: x.cell}, errs.Unprocessable, "to_org_id"},
			{"target is a committee", x.from, org.NewTransfer{MemberID: full, ToOrgID: x.cA}, errs.Unprocessable, "to_org_id"},
			{"target dissolved", x.from, org.NewTransfer{MemberID: full, ToOrgID: x.a3}, errs.Unprocessable, "to_org_id"},
			{"target unknown", x.from, org.NewTransfer{MemberID: full, ToOrgID: 99999}, errs.Unprocessable, "to_org_id"},
			{"future date", x.from, org.NewTransfer{MemberID: full, ToOrgID: x.b1, On: "2026-04-01"}, errs.Unprocessable, "on"},
			{"reason required", x.from, org.NewTransfer{MemberID: full, ToOrgID: x.b1, Reason: " "}, errs.Unprocessable, "reason"},
		}
		for _, c := range cases {
			_, err := ok(c.p, c.n)
			e, _ := errs.As(err)
			if errs.CodeOf(err) != c.code || (c.field != "" && (e == nil || e.Fields[c.field] == "")) {
				t.Errorf("%s: %v, want %s on %q", c.name, err, c.code, c.field)
			}
		}
		if n := x.count("SELECT COUNT(*) FROM transfers"); n != 0 {
			t.Fatalf("refused requests left %d transfers", n)
		}
		if _, err := ok(x.from, org.NewTransfer{MemberID: prob, ToOrgID: x.a2}); err != nil {
			t.Fatalf("probationary member: %v", err)
		}
		if _, err := ok(x.from, org.NewTransfer{MemberID: full, ToOrgID: x.b1, LetterNo: "甲组转字〔2026〕2号"}); err != nil {
			t.Fatal(err)
		}
		if _, err := ok(x.from, org.NewTransfer{MemberID: full, ToOrgID: x.a2}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("second pending transfer: %v, want conflict", err)
		}
		// Sending needs a letter number unless the request had one; rejecting needs a reason (F4: no
		// refusal without reason).
		list, _, err := x.o.ListTransfers(x.ctx, x.from, org.TransferFilter{OrgID: x.a1, Direction: "out"})
		if err != nil || len(list) != 2 {
			t.Fatalf("out list: %v %d", err, len(list))
		}
		toA2, toB1 := list[1], list[0]
		if _, err := x.o.TransferStepTake(x.ctx, x.from, toA2.ID, org.TransferStepInput{Action: org.ActSend}); !hasField(err, "letter_no") {
			t.Fatalf("send without letter: %v", err)
		}
		if _, err := x.o.TransferStepTake(x.ctx, x.from, toB1.ID, org.TransferStepInput{Action: org.ActSend}); err != nil {
			t.Fatalf("send with the request's letter: %v", err)
		}
		if _, err := x.o.TransferStepTake(x.ctx, x.to, toB1.ID, org.TransferStepInput{Action: org.ActReject}); !hasField(err, "note") {
			t.Fatalf("reject without reason: %v", err)
		}
		if _, err := x.o.TransferStepTake(x.ctx, x.to, toB1.ID, org.TransferStepInput{Action: org.ActReceive, On: "2026-03-01"}); !hasField(err, "on") {
			t.Fatalf("receive before the request: %v", err)
		}
		if _, err := x.o.TransferStepTake(x.ctx, x.to, toB1.ID, org.TransferStepInput{Action: "approve"}); !hasField(err, "action") {
			t.Fatalf("unknown action: %v", err)
		}
		// After rejection the member may be transferred again.
		if _, err := x.o.TransferStepTake(x.ctx, x.to, toB1.ID, org.TransferStepInput{Action: org.ActReject, Note: "接收单位信息有误"}); err != nil {
			t.Fatal(err)
		}
		if _, err := ok(x.from, org.NewTransfer{MemberID: full, ToOrgID: x.a2}); err != nil {
			t.Fatalf("after rejection: %v", err)
		}
	})
}

func hasField(err error, field string) bool {
	e, ok := errs.As(err)
	return ok && e.Code == errs.Unprocessable && e.Fields[field] != ""
}

// TestF4_TransferVisibility: each side sees the transfer in its lists; a third branch sees nothing and
// is refused (and audited) when it asks by id or for another branch's list.
func TestF4_TransferVisibility(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		x := newXfer(t, d)
		tr := x.inState(org.TransferSent)
		x.inState(org.TransferReceived)
		list := func(p auth.Principal, f org.TransferFilter) int {
			t.Helper()
			items, total, err := x.o.ListTransfers(x.ctx, p, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != total {
				t.Fatalf("%d items, total %d", len(items), total)
			}
			return total
		}
		for _, c := range []struct {
			name string
			p    auth.Principal
			f    org.TransferFilter
			want int
		}{
			{"sender out", x.from, org.TransferFilter{OrgID: x.a1, Direction: "out"}, 2},
			{"sender out pending", x.from, org.TransferFilter{OrgID: x.a1, Direction: "out", Status: "pending"}, 1},
			{"sender in", x.from, org.TransferFilter{OrgID: x.a1, Direction: "in"}, 0},
			{"receiver in", x.to, org.TransferFilter{OrgID: x.b1, Direction: "in"}, 2},
			{"receiver in received", x.to, org.TransferFilter{OrgID: x.b1, Direction: "in", Status: "received"}, 1},
			{"third branch", x.third, org.TransferFilter{OrgID: x.a2}, 0},
			{"committee A both ways", x.adminA, org.TransferFilter{OrgID: x.cA}, 2},
			{"root", x.root, org.TransferFilter{OrgID: 1}, 2},
		} {
			if got := list(c.p, c.f); got != c.want {
				t.Errorf("%s: %d, want %d", c.name, got, c.want)
			}
		}
		denied := x.audits("authz.denied")
		if _, err := x.o.GetTransfer(x.ctx, x.third, tr.ID); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("third branch reads the transfer: %v", err)
		}
		if _, _, err := x.o.ListTransfers(x.ctx, x.third, org.TransferFilter{OrgID: x.a1}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("third branch lists the sender: %v", err)
		}
		if x.audits("authz.denied") != denied+2 {
			t.Fatal("refusals not audited")
		}
		for _, p := range []auth.Principal{x.from, x.to, x.adminA} {
			if _, err := x.o.GetTransfer(x.ctx, p, tr.ID); err != nil {
				t.Errorf("%s: %v", p.Username, err)
			}
		}
		if _, err := x.o.GetTransfer(x.ctx, x.from, 99999); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unknown id: %v", err)
		}
		if _, _, err := x.o.ListTransfers(x.ctx, x.from, org.TransferFilter{OrgID: x.a1, Direction: "sideways"}); !hasField(err, "direction") {
			t.Fatalf("bad direction: %v", err)
		}
	})
}

// TestF4_ReceiveIntoDissolvedOrg: a branch dissolved after the letter was sent cannot receive; the
// member stays with the sender, who cancels and transfers elsewhere.
func TestF4_ReceiveIntoDissolvedOrg(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		x := newXfer(t, d)
		tr := x.inState(org.TransferSent)
		if err := d.Write(x.ctx, func(tx *db.Tx) error {
			_, err := tx.Exec("UPDATE orgs SET dissolved_on = ? WHERE id = ?", "2026-03-09", x.b1)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := x.step(x.to, tr.ID, org.ActReceive); !errs.Is(err, errs.Conflict) {
			t.Fatalf("receive into a dissolved branch: %v", err)
		}
		if x.memberOrg(tr.MemberID) != x.a1 {
			t.Fatal("member moved into a dissolved branch")
		}
		if _, err := x.step(x.from, tr.ID, org.ActCancel); err != nil {
			t.Fatal(err)
		}
	})
}
