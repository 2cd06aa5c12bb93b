package web

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/files"
)

// fileRoutes: attachments. Capabilities link the ids returned here (meeting photos, rectification
// evidence); reading a file needs business read access over the organisation it was filed under, or
// being the one who uploaded it.
func (s *Server) fileRoutes() {
	s.mux.HandleFunc("GET /files/{id}", s.page(s.fileServe))
	s.api("POST /api/v1/files", s.apiFileUpload, true)
	s.api("GET /api/v1/files/{id}", s.apiFileGet, true)
	s.api("GET /api/v1/files/{id}/content", s.fileServe, true)
}

// readAttachment reads the multipart field (default "file") within files.MaxBytes.
func readAttachment(w http.ResponseWriter, r *http.Request, field string) ([]byte, string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, files.MaxBytes+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, "", &errs.Error{Code: errs.Unprocessable, Key: "files.too_large", Fields: map[string]string{field: "files.too_large"}}
		}
		return nil, "", &errs.Error{Code: errs.Unprocessable, Key: "files.missing", Fields: map[string]string{field: "files.missing"}}
	}
	f, hdr, err := r.FormFile(field)
	if err != nil {
		return nil, "", &errs.Error{Code: errs.Unprocessable, Key: "files.missing", Fields: map[string]string{field: "files.missing"}}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, files.MaxBytes+1))
	if err != nil {
		return nil, "", err
	}
	return data, hdr.Filename, nil
}

func (s *Server) apiFileUpload(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	defer cleanupMultipart(r)
	data, name, err := readAttachment(w, r, "file")
	if err != nil {
		return err
	}
	orgID := p.OrgID
	if v := r.FormValue("org_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return &errs.Error{Code: errs.Invalid, Key: "form.number", Fields: map[string]string{"org_id": "form.number"}}
		}
		orgID = n
	}
	f, err := s.Attach(r.Context(), p, orgID, name, data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, f)
	return nil
}

func (s *Server) apiFileGet(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := s.readableFile(r, p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

// readableFile returns a file the caller may read; another subtree's file is not found (its existence is
// not confirmed) and the refusal is audited by Authorize.
func (s *Server) readableFile(r *http.Request, p auth.Principal, id int64) (files.File, error) {
	f, err := s.Files.Get(r.Context(), id)
	if err != nil {
		return files.File{}, err
	}
	if f.UploadedBy == p.UserID && p.UserID != 0 {
		return f, nil
	}
	if err := s.Auth.Authorize(r.Context(), p, auth.ReadBusiness, auth.Target{OrgID: f.OrgID}); err != nil {
		return files.File{}, errNotFound
	}
	return f, nil
}

// fileServe sends a file with headers that keep a browser from running it: the sniffed type, nosniff, a
// sandboxing CSP, and a download disposition for anything but pictures.
func (s *Server) fileServe(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.readableFile(r, p, id); err != nil {
		return err
	}
	f, data, err := s.Files.Content(r.Context(), id)
	if err != nil {
		return err
	}
	disp := "attachment"
	if f.Image() {
		disp = "inline"
	}
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
	h.Set("Content-Disposition", disp+`; filename="file"; filename*=UTF-8''`+url.PathEscape(f.Name))
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
	return nil
}
