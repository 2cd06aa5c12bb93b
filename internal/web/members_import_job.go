package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// Progress for large imports (organisations issue: "Progress shown for large files"). A file over
// importSyncBytes is checked (preview) or imported after the request that sent it: the request answers
// 303 to a job page, which shows a progress bar and refreshes itself every two seconds (an HTTP Refresh
// header: no JavaScript needed) until the result, rendered exactly as a small file's, replaces it. The
// import itself is unchanged — one transaction, all or nothing — so a job lost with its process (a
// restart, a crash) has imported nothing. Jobs live in this process's memory: with several instances
// behind one address, route a user's requests to one instance (sticky sessions).

// importSyncBytes: files up to this size (≈ 3,000 rows) are handled within the request, as before.
var importSyncBytes = 256 << 10 // a var so that tests can send "large" files of a few rows

// importJobsMax is how many large previews or imports may run at once in this process.
const importJobsMax = 2

// importJobTTL is how long a finished job's result can be fetched.
const importJobTTL = 15 * time.Minute

type importJob struct {
	userID, orgID int64
	token         string // the pending file (confirm step), or "" for a preview
	name          string
	dryRun        bool
	skipInvalid   bool

	mu          sync.Mutex
	done, total int
	finished    time.Time
	res         org.ImportResult
	err         error
}

var (
	importJobs    sync.Map // id → *importJob
	importJobSlot = make(chan struct{}, importJobsMax)
)

func (j *importJob) progress(done, total int) {
	j.mu.Lock()
	j.done, j.total = done, total
	j.mu.Unlock()
}

// startImportJob runs ImportMembers for a large file after the request, under the caller's principal
// and the request's values (actor, request id) but not its cancellation, and answers 303 to its page.
func (s *Server) startImportJob(w http.ResponseWriter, r *http.Request, p auth.Principal, j *importJob, data []byte) error {
	select {
	case importJobSlot <- struct{}{}:
	default:
		return errs.E(errs.Conflict, "member_import.busy")
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	now := time.Now()
	importJobs.Range(func(k, v any) bool { // forget finished jobs nobody came back for
		if old := v.(*importJob); !old.finishedAt().IsZero() && now.Sub(old.finishedAt()) > importJobTTL {
			importJobs.Delete(k)
		}
		return true
	})
	importJobs.Store(id, j)
	ctx := context.WithoutCancel(r.Context())
	go func() {
		defer func() { <-importJobSlot }()
		res, err := s.Orgs.ImportMembers(ctx, p, data, org.ImportOptions{OrgID: j.orgID, FileName: j.name,
			DryRun: j.dryRun, SkipInvalid: j.skipInvalid, Progress: j.progress})
		j.mu.Lock()
		j.res, j.err, j.finished = res, err, time.Now()
		j.mu.Unlock()
	}()
	http.Redirect(w, r, fmt.Sprintf("/orgs/%d/members/import/jobs/%s", j.orgID, id), http.StatusSeeOther)
	return nil
}

func (j *importJob) finishedAt() time.Time {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.finished
}

// memberImportJobPage shows a job's progress, or its result once finished (only to the user who
// started it: anyone else gets 404).
func (s *Server) memberImportJobPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, o, err := s.importPageData(r, p)
	if err != nil {
		return err
	}
	v, ok := importJobs.Load(r.PathValue("job"))
	if !ok || v.(*importJob).userID != p.UserID || v.(*importJob).orgID != o.ID {
		return errs.E(errs.NotFound, "error.not_found")
	}
	j := v.(*importJob)
	j.mu.Lock()
	finished, done, total, res, jerr := !j.finished.IsZero(), j.done, j.total, j.res, j.err
	j.mu.Unlock()
	if !finished {
		w.Header().Set("Refresh", "2")
		w.Header().Set("Cache-Control", "no-store")
		data["Job"] = map[string]any{"Done": done, "Total": total, "Name": j.name, "DryRun": j.dryRun}
		s.render(w, r, http.StatusOK, "member_import_progress", data)
		return nil
	}
	if jerr != nil {
		return s.formError(w, r, jerr, "member_import", data)
	}
	s.translateImport(r, &res)
	data["Result"], data["FileName"] = res, j.name
	if j.dryRun {
		if res.Valid > 0 {
			data["Token"] = j.token
		}
		s.render(w, r, http.StatusOK, "member_import", data)
		return nil
	}
	if res.Imported > 0 {
		pendingImports.Delete(j.token)
		data["Done"] = true
		data["CanRollback"] = p.Role.Can(auth.ManageOrgs)
		s.render(w, r, http.StatusOK, "member_import", data)
		return nil
	}
	data["Token"] = j.token
	s.render(w, r, http.StatusUnprocessableEntity, "member_import", data)
	return nil
}
