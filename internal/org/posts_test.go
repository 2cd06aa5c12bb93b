package org_test

import (
	"testing"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

func TestA3_2_SecretaryInOfficeOnlyWhenApproved(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		tr := newTree(t, d)
		ctx := tr.ctx()
		sec, mem, other := tr.member(tr.b1, 0, "full"), tr.member(tr.b1, tr.c1, "full"), tr.member(tr.b2, 0, "full")
		p, err := tr.o.AssignPost(ctx, tr.admin, tr.b1, org.NewPost{MemberID: sec, Post: org.Secretary, From: "2025-01-01"})
		if err != nil {
			t.Fatal(err)
		}
		// New 书记 "elected" with no approval → pending, not in office.
		if p.State != org.Elected || p.InOffice {
			t.Errorf("elected secretary = %+v", p)
		}
		// "filed" is not enough for a 书记; it is for a 委员.
		if _, err := tr.o.AssignPost(ctx, tr.admin, tr.b1, org.NewPost{MemberID: mem, Post: org.DeputySecretary, From: "2025-01-01", State: org.Filed}); fieldKey(t, err, "state") != "org.post.state.needs_approval" {
			t.Errorf("filed deputy: %v", err)
		}
		w, err := tr.o.AssignPost(ctx, tr.admin, tr.b1, org.NewPost{MemberID: mem, Post: org.OrganisationMember, From: "2025-01-01", State: org.Filed})
		if err != nil || !w.InOffice {
			t.Errorf("filed committee member: %+v %v", w, err)
		}
		// Approval puts the secretary in office.
		p, err = tr.o.UpdatePost(ctx, tr.admin, tr.b1, p.ID, org.PostUpdate{State: org.Approved, ApprovedOn: "2025-01-20", ApprovalRef: "示组字〔2025〕3号"})
		if err != nil || !p.InOffice {
			t.Fatalf("approved: %+v %v", p, err)
		}
		if p.InOfficeOn(day("2025-01-19")) {
			t.Error("in office before approval")
		}
		// One secretary at a time.
		if _, err := tr.o.AssignPost(ctx, tr.admin, tr.b1, org.NewPost{MemberID: mem, Post: org.Secretary, From: "2025-02-01"}); !errs.Is(err, errs.Conflict) {
			t.Errorf("second secretary: %v", err)
		}
		// The member must belong to the organisation; a cell leader to the cell.
		if _, err := tr.o.AssignPost(ctx, tr.admin, tr.b1, org.NewPost{MemberID: other, Post: org.PublicityMember, From: "2025-01-01", State: org.Filed}); fieldKey(t, err, "member_id") != "org.post.member.elsewhere" {
			t.Errorf("member of another branch: %v", err)
		}
		if _, err := tr.o.AssignPost(ctx, tr.admin, tr.c1, org.NewPost{MemberID: sec, Post: org.CellLeader, From: "2025-01-01", State: org.Filed}); fieldKey(t, err, "member_id") != "org.post.member.elsewhere" {
			t.Errorf("cell leader from outside the cell: %v", err)
		}
		if _, err := tr.o.AssignPost(ctx, tr.admin, tr.c1, org.NewPost{MemberID: mem, Post: org.CellLeader, From: "2025-01-01", State: org.Filed}); err != nil {
			t.Errorf("cell leader: %v", err)
		}
		// Not yet a member on the date (joined 2010-07-01).
		if _, err := tr.o.AssignPost(ctx, tr.admin, tr.b1, org.NewPost{MemberID: mem, Post: org.PublicityMember, From: "2009-01-01", State: org.Filed}); fieldKey(t, err, "member_id") != "org.post.member.not_member" {
			t.Errorf("before joining: %v", err)
		}
		// Ending a post.
		p, err = tr.o.UpdatePost(ctx, tr.admin, tr.b1, p.ID, org.PostUpdate{To: "2025-12-31"})
		if err != nil || p.InOfficeOn(day("2025-12-31")) || !p.InOfficeOn(day("2025-12-30")) {
			t.Errorf("ended: %+v %v", p, err)
		}
		list, _ := tr.o.Posts(ctx, tr.admin, tr.b1, day("2026-03-10"), false)
		if len(list) != 1 || list[0].Post != org.OrganisationMember {
			t.Errorf("posts now = %+v", list)
		}
	})
}
