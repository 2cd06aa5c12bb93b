package web

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/files"
)

var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")

// uploadFile posts data as the multipart field "file" named name, with extra form fields.
func (c *client) uploadFile(path string, fields map[string]string, name string, data []byte) resp {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	return c.do("POST", path, &b, map[string]string{"Content-Type": mw.FormDataContentType()})
}

// An officer files a photo under their branch; it is served as a picture with safe headers to those who
// may read the branch, and to no one else. A page disguised as a photo, or a file for another branch, is
// refused and nothing is stored.
func TestFilesScopeAndSafeServing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		officer := e.as(auth.BranchOfficer)
		uploads := e.auditCount("file.upload") // the demo city files evidence of its own
		r := officer.uploadFile("/api/v1/files", map[string]string{"org_id": fmt.Sprint(e.branchA)}, "会议照片.png", pngBytes)
		if r.status != http.StatusCreated {
			t.Fatalf("upload: %d %s", r.status, r.body)
		}
		var f files.File
		r.json(t, &f)
		if f.ContentType != files.PNG || f.Name != "会议照片.png" || f.OrgID != e.branchA {
			t.Fatalf("stored %+v", f)
		}
		if n := e.auditCount("file.upload") - uploads; n != 1 {
			t.Fatalf("file.upload audited %d times", n)
		}

		got := officer.get(fmt.Sprintf("/api/v1/files/%d/content", f.ID))
		if got.status != http.StatusOK || got.body != string(pngBytes) {
			t.Fatalf("content: %d", got.status)
		}
		for k, want := range map[string]string{"Content-Type": files.PNG, "X-Content-Type-Options": "nosniff"} {
			if got.header.Get(k) != want {
				t.Errorf("%s = %q, want %q", k, got.header.Get(k), want)
			}
		}
		if !strings.Contains(got.header.Get("Content-Security-Policy"), "sandbox") || !strings.HasPrefix(got.header.Get("Content-Disposition"), "inline") {
			t.Errorf("headers: %v", got.header)
		}
		// The org admin above reads it; a member and another committee's branch do not.
		if r := e.as(auth.OrgAdmin).get(fmt.Sprintf("/files/%d", f.ID)); r.status != http.StatusOK {
			t.Fatalf("org admin reading the branch's file: %d", r.status)
		}
		if r := e.as(auth.Member).get(fmt.Sprintf("/api/v1/files/%d", f.ID)); r.status != http.StatusNotFound && r.status != http.StatusForbidden {
			t.Fatalf("member reading an officer's file: %d", r.status)
		}

		var before int
		_ = e.db.QueryRow(t.Context(), "SELECT COUNT(*) FROM files").Scan(&before)
		bad := []struct {
			name   string
			org    int64
			file   string
			data   []byte
			status int
		}{
			{"page disguised as a photo", e.branchA, "photo.jpg", []byte("<html><script>alert(1)</script></html>"), http.StatusUnprocessableEntity},
			{"another committee's branch", e.branchB, "a.png", pngBytes, http.StatusForbidden},
		}
		for _, c := range bad {
			r := officer.uploadFile("/api/v1/files", map[string]string{"org_id": fmt.Sprint(c.org)}, c.file, c.data)
			if r.status != c.status {
				t.Fatalf("%s: %d %s", c.name, r.status, r.body)
			}
		}
		var after int
		_ = e.db.QueryRow(t.Context(), "SELECT COUNT(*) FROM files").Scan(&after)
		if after != before {
			t.Fatalf("refused uploads stored %d files", after-before)
		}
	})
}
