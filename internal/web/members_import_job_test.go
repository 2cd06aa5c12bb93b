package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/platform/auth"
)

// waitJob follows a job page until it shows a result (the page stops asking to be refreshed).
func waitJob(t *testing.T, c *client, path string) resp {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := c.get(path)
		if r.header.Get("Refresh") == "" || time.Now().After(deadline) {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestImportProgressForLargeFiles: a large file's preview and import run after the request; the page
// answers 303 to a job page that shows progress and refreshes itself (no JavaScript) until the result,
// which is the small file's result page; the import stays all or nothing; only the user who started a
// job sees it.
func TestImportProgressForLargeFiles(t *testing.T) {
	old := importSyncBytes
	importSyncBytes = 1 // every file counts as large
	t.Cleanup(func() { importSyncBytes = old })
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.as(auth.OrgAdmin)
		page := fmt.Sprintf("/orgs/%d/members/import", e.branchA)
		before := e.members()
		r := admin.upload(page, importSheet(t, xrow("钱一", xlsxID(31), e.branchA), xrow("钱二", xlsxID(32), e.branchA),
			xrow("钱三", "11010519491231002", e.branchA)), nil)
		job := r.header.Get("Location")
		if r.status != http.StatusSeeOther || !regexp.MustCompile(`^/orgs/\d+/members/import/jobs/[0-9a-f]{32}$`).MatchString(job) {
			t.Fatalf("large preview: %d %q", r.status, job)
		}
		if r := e.as(auth.BranchOfficer).get(job); r.status != http.StatusNotFound {
			t.Errorf("another user sees the job: %d", r.status)
		}
		r = waitJob(t, admin, job)
		if r.status != 200 || !strings.Contains(r.body, "身份证号码应为18位") || e.members() != before {
			t.Fatalf("preview result: %d %s", r.status, r.body)
		}
		tok := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindStringSubmatch(r.body)
		if tok == nil {
			t.Fatal("no confirm form after the preview")
		}
		r = admin.postForm(page, url.Values{"token": {tok[1]}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("large import: %d", r.status)
		}
		if r := waitJob(t, admin, r.header.Get("Location")); r.status != http.StatusUnprocessableEntity || e.members() != before {
			t.Fatalf("all or nothing: %d, %d members", r.status, e.members()-before)
		}
		r = admin.postForm(page, url.Values{"token": {tok[1]}, "skip_invalid": {"1"}})
		if r = waitJob(t, admin, r.header.Get("Location")); r.status != 200 || !strings.Contains(r.body, "已导入 2 人") || e.members() != before+2 {
			t.Fatalf("import result: %d %s", r.status, r.body)
		}

		// A running job's page: the progress bar, the count, and the refresh that replaces JavaScript.
		running := &importJob{userID: e.userID(t, auth.OrgAdmin), orgID: e.branchA, name: "大文件.xlsx", dryRun: true}
		running.progress(500, 2000)
		importJobs.Store("0123456789abcdef0123456789abcdef", running)
		r = admin.get(page + "/jobs/0123456789abcdef0123456789abcdef")
		if r.status != 200 || r.header.Get("Refresh") != "2" || !strings.Contains(r.body, `<progress max="2000" value="500"`) ||
			!strings.Contains(r.body, "已处理 500 / 2000 行") {
			t.Errorf("progress page: %d %q %s", r.status, r.header.Get("Refresh"), r.body)
		}
		importJobs.Delete("0123456789abcdef0123456789abcdef")
	})
}

// userID is the account id of the demo login of role.
func (e *env) userID(t *testing.T, role auth.Role) int64 {
	t.Helper()
	var id int64
	if err := e.db.QueryRow(t.Context(), "SELECT id FROM users WHERE username = ?", e.logins[role].Username).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}
