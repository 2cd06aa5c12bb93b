package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/dangjian/dangjian/internal/notify"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
)

// A reminder sent to a branch reaches that branch's officers once however often it is raised, shows as a
// badge and in the list, opens the page it is about, and is nobody else's to read.
func TestNotificationsReachOfficersOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := audit.WithActor(context.Background(), audit.Actor{Username: "system", Role: "system"})
		note := notify.Note{Kind: "test.due", Message: "notification.title", Link: fmt.Sprintf("/orgs/%d", e.branchA),
			Key: fmt.Sprintf("test:%d:2026-Q1", e.branchA)}
		for i, want := range []int{1, 0} { // the second run of the same reminder sends nothing
			var sent int
			if err := e.db.Write(ctx, func(tx *db.Tx) error {
				var err error
				sent, err = e.srv.Notify.ToOrg(tx, e.branchA, note)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if sent != want {
				t.Fatalf("run %d: sent to %d accounts, want %d", i, sent, want)
			}
		}
		if n := e.auditCount("notification.send"); n != 1 {
			t.Fatalf("notification.send audited %d times, want 1", n)
		}

		officer := e.as(auth.BranchOfficer)
		home := officer.get("/")
		if !strings.Contains(home.body, `data-testid="unread">1<`) {
			t.Fatalf("no unread badge on the officer's page")
		}
		var pg notify.Page
		officer.get("/api/v1/notifications?unread=true").json(t, &pg)
		if pg.Unread != 1 || len(pg.Items) != 1 || pg.Items[0].Link != note.Link {
			t.Fatalf("officer's notifications: %+v", pg)
		}
		id := pg.Items[0].ID

		// Others neither see it nor can dismiss it.
		for _, role := range []auth.Role{auth.Member, auth.OrgAdmin} {
			c := e.as(role)
			var other notify.Page
			c.get("/api/v1/notifications").json(t, &other)
			if other.Total != 0 {
				t.Fatalf("%s sees %d notifications, want 0", role, other.Total)
			}
			if r := c.sendJSON("POST", fmt.Sprintf("/api/v1/notifications/%d/read", id), nil); r.status != http.StatusNotFound {
				t.Fatalf("%s marking another's notification: %d", role, r.status)
			}
		}

		// Opening it marks it read and goes to its page.
		r := officer.postForm(fmt.Sprintf("/notifications/%d/read", id), nil)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != note.Link {
			t.Fatalf("open: %d → %q", r.status, r.header.Get("Location"))
		}
		officer.get("/api/v1/notifications?unread=true").json(t, &pg)
		if pg.Unread != 0 || pg.Total != 0 {
			t.Fatalf("after reading: %+v", pg)
		}
		if n := e.auditCount("notification.read"); n != 1 {
			t.Fatalf("notification.read audited %d times, want 1", n)
		}
		if page := officer.get("/notifications"); page.status != http.StatusOK || !strings.Contains(page.body, "消息提醒") {
			t.Fatalf("notifications page: %d", page.status)
		}
	})
}
