package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// Member import from and export to .xlsx (organisations issue, Members: Import, Export). The routes are
// registered in memberRoutes (members.go):
//
//	s.api("GET /api/v1/members/import-template", s.apiImportTemplate, true)
//	s.api("POST /api/v1/members/import", s.apiMemberImport, true)
//	s.api("POST /api/v1/members/import/{id}/rollback", s.apiImportRollback, true)
//	s.api("GET /api/v1/members/export", s.apiMemberExport, true)
//	s.mux.HandleFunc("GET /orgs/{id}/members/import", s.page(s.memberImportPage))
//	s.mux.HandleFunc("POST /orgs/{id}/members/import", s.page(s.memberImportForm))
//	s.mux.HandleFunc("POST /orgs/{id}/members/import/{imp}/rollback", s.page(s.memberImportRollbackForm))
//	s.mux.HandleFunc("GET /orgs/{id}/members/import/jobs/{job}", s.page(s.memberImportJobPage))

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func xlsxHeaders(w http.ResponseWriter, name string) {
	w.Header().Set("Content-Type", xlsxType)
	w.Header().Set("Content-Disposition", "attachment; filename=\"members.xlsx\"; filename*=UTF-8''"+url.PathEscape(name))
	w.Header().Set("Cache-Control", "no-store")
}

func (s *Server) apiImportTemplate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	xlsxHeaders(w, "党员信息导入模板.xlsx")
	return org.ImportTemplate(w)
}

// lazyXLSX sets the download headers on the first byte, so an error found before it still answers JSON.
type lazyXLSX struct {
	w    http.ResponseWriter
	name string
	sent bool
}

func (l *lazyXLSX) Write(b []byte) (int, error) {
	if !l.sent {
		l.sent = true
		xlsxHeaders(l.w, l.name)
	}
	return l.w.Write(b)
}

func boolParam(v url.Values, name string, def bool) (bool, error) {
	switch v.Get(name) {
	case "":
		return def, nil
	case "true", "1", "on":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{name: "member_import.bool"}}
}

func (s *Server) apiMemberExport(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	f, err := memberFilter(url.Values{"org_id": {q.Get("org_id")}, "q": {q.Get("q")}, "status": {q.Get("status")}}, p.OrgID)
	if err != nil {
		return err
	}
	unmask, err := boolParam(q, "unmask", false)
	if err != nil {
		return err
	}
	lw := &lazyXLSX{w: w, name: "党员名册.xlsx"}
	err = s.Orgs.ExportMembers(r.Context(), p, f, unmask, lw)
	if err != nil && lw.sent {
		s.Log.Error("export broke off", "id", requestIDFrom(r.Context()), "err", err)
		return nil // the download has started: nothing better to do than stop it
	}
	return err
}

// readUpload reads the multipart field "file" within the import's size limit.
func readUpload(w http.ResponseWriter, r *http.Request) ([]byte, string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, org.ImportMaxFileBytes+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, "", importFileErr("member_import.file.too_large")
		}
		return nil, "", importFileErr("member_import.file.missing")
	}
	return formFile(r)
}

func cleanupMultipart(r *http.Request) {
	if r.MultipartForm != nil {
		_ = r.MultipartForm.RemoveAll()
	}
}

func importFileErr(key string) error {
	return &errs.Error{Code: errs.Unprocessable, Key: key, Fields: map[string]string{"file": key}}
}

// translateImport fills the row errors' messages in the user's language.
func (s *Server) translateImport(r *http.Request, res *org.ImportResult) {
	l := langFrom(r.Context())
	for i := range res.Errors {
		e := &res.Errors[i]
		e.Message = s.I18n.T(l, e.Key, e.Args)
	}
}

func (s *Server) apiMemberImport(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	defer cleanupMultipart(r)
	data, name, err := readUpload(w, r)
	if err != nil {
		return err
	}
	form := r.MultipartForm.Value
	opt := org.ImportOptions{OrgID: p.OrgID, FileName: name}
	if v := first(form["org_id"]); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"org_id": "form.number"}}
		}
		opt.OrgID = n
	}
	vals := url.Values{"dry_run": {first(form["dry_run"])}, "skip_invalid": {first(form["skip_invalid"])}}
	if opt.DryRun, err = boolParam(vals, "dry_run", true); err != nil {
		return err
	}
	if opt.SkipInvalid, err = boolParam(vals, "skip_invalid", false); err != nil {
		return err
	}
	res, err := s.Orgs.ImportMembers(r.Context(), p, data, opt)
	if err != nil {
		return err
	}
	s.translateImport(r, &res)
	// All or nothing and something was wrong (or nothing was valid): nothing was imported.
	s.writeImportResult(w, r, res, res.DryRun, res.Imported, res.Invalid, "member_import.refused")
	return nil
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func (s *Server) apiImportRollback(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	im, err := s.Orgs.RollbackImport(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, im)
	return nil
}

// Pages: upload → preview (a dry run) → confirm. The file of a preview waits on the server under a random
// token for the confirmation, for its uploader only and for a quarter of an hour.

type pendingImport struct {
	data    []byte
	name    string
	userID  int64
	orgID   int64
	expires time.Time
}

var pendingImports sync.Map // token → pendingImport

const pendingImportTTL = 15 * time.Minute

func keepPending(pi pendingImport) string {
	now := time.Now()
	pendingImports.Range(func(k, v any) bool {
		if old := v.(pendingImport); old.userID == pi.userID || now.After(old.expires) {
			pendingImports.Delete(k) // one pending file per user
		}
		return true
	})
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := hex.EncodeToString(b)
	pi.expires = now.Add(pendingImportTTL)
	pendingImports.Store(tok, pi)
	return tok
}

func takePending(tok string, p auth.Principal, orgID int64) (pendingImport, bool) {
	v, ok := pendingImports.Load(tok)
	if !ok {
		return pendingImport{}, false
	}
	pi := v.(pendingImport)
	if pi.userID != p.UserID || pi.orgID != orgID || time.Now().After(pi.expires) {
		return pendingImport{}, false
	}
	return pi, true
}

func (s *Server) importPageData(r *http.Request, p auth.Principal) (map[string]any, org.Org, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, org.Org{}, err
	}
	o, err := s.Orgs.Get(r.Context(), p, id)
	if err != nil {
		return nil, o, err
	}
	if err := s.Auth.Authorize(r.Context(), p, auth.WriteBusiness, auth.Target{OrgID: o.ID}); err != nil {
		return nil, o, err
	}
	return map[string]any{"Org": o, "Fields": map[string]string{}, "Max": org.ImportMaxRows,
		"Columns": org.ImportColumns}, o, nil
}

func (s *Server) memberImportPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, _, err := s.importPageData(r, p)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("rolled_back") != "" {
		data["Flash"] = "member_import.rolled_back"
	}
	s.render(w, r, http.StatusOK, "member_import", data)
	return nil
}

// memberImportForm is both steps: a file → preview (a dry run); a token with confirm → the import.
func (s *Server) memberImportForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	defer cleanupMultipart(r)
	data, o, err := s.importPageData(r, p)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, org.ImportMaxFileBytes+1<<20)
	if err := r.ParseMultipartForm(1 << 20); errors.Is(err, http.ErrNotMultipart) {
		err = r.ParseForm()
	} else if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return s.formError(w, r, importFileErr("member_import.file.too_large"), "member_import", data)
		}
		return s.formError(w, r, importFileErr("member_import.file.missing"), "member_import", data)
	}
	if tok := r.PostFormValue("token"); tok != "" {
		pi, ok := takePending(tok, p, o.ID)
		if !ok {
			return s.formError(w, r, importFileErr("member_import.expired"), "member_import", data)
		}
		skip := r.PostFormValue("skip_invalid") != ""
		if len(pi.data) > importSyncBytes {
			j := &importJob{userID: p.UserID, orgID: o.ID, token: tok, name: pi.name, skipInvalid: skip}
			if err := s.startImportJob(w, r, p, j, pi.data); err != nil {
				return s.formError(w, r, err, "member_import", data)
			}
			return nil
		}
		res, err := s.Orgs.ImportMembers(r.Context(), p, pi.data, org.ImportOptions{OrgID: o.ID, FileName: pi.name, SkipInvalid: skip})
		if err != nil {
			return s.formError(w, r, err, "member_import", data)
		}
		s.translateImport(r, &res)
		data["Result"], data["FileName"] = res, pi.name
		if res.Imported > 0 {
			pendingImports.Delete(tok)
			data["Done"] = true
			data["CanRollback"] = p.Role.Can(auth.ManageOrgs)
			s.render(w, r, http.StatusOK, "member_import", data)
			return nil
		}
		data["Token"] = tok // nothing imported: the preview stays, with its errors
		s.render(w, r, http.StatusUnprocessableEntity, "member_import", data)
		return nil
	}
	upload, name, err := formFile(r)
	if err != nil {
		return s.formError(w, r, err, "member_import", data)
	}
	if len(upload) > importSyncBytes {
		// The token is kept now: the preview's page offers it once the check has passed rows.
		tok := keepPending(pendingImport{data: upload, name: name, userID: p.UserID, orgID: o.ID})
		j := &importJob{userID: p.UserID, orgID: o.ID, token: tok, name: name, dryRun: true}
		if err := s.startImportJob(w, r, p, j, upload); err != nil {
			return s.formError(w, r, err, "member_import", data)
		}
		return nil
	}
	res, err := s.Orgs.ImportMembers(r.Context(), p, upload, org.ImportOptions{OrgID: o.ID, FileName: name, DryRun: true})
	if err != nil {
		return s.formError(w, r, err, "member_import", data)
	}
	s.translateImport(r, &res)
	data["Result"], data["FileName"] = res, name
	if res.Valid > 0 {
		data["Token"] = keepPending(pendingImport{data: upload, name: name, userID: p.UserID, orgID: o.ID})
	}
	s.render(w, r, http.StatusOK, "member_import", data)
	return nil
}

func formFile(r *http.Request) ([]byte, string, error) {
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return nil, "", importFileErr("member_import.file.missing")
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, org.ImportMaxFileBytes+1))
	if err != nil {
		return nil, "", importFileErr("member_import.file.missing")
	}
	return b, hdr.Filename, nil
}

func (s *Server) memberImportRollbackForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, o, err := s.importPageData(r, p)
	if err != nil {
		return err
	}
	imp, err := strconv.ParseInt(r.PathValue("imp"), 10, 64)
	if err != nil || imp <= 0 {
		return errNotFound
	}
	if _, err := s.Orgs.RollbackImport(r.Context(), p, imp); err != nil {
		return s.formError(w, r, err, "member_import", data)
	}
	http.Redirect(w, r, "/orgs/"+strconv.FormatInt(o.ID, 10)+"/members/import?rolled_back=1", http.StatusSeeOther)
	return nil
}
