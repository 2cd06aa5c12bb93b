// Package files keeps attachments — meeting photos and minutes, rectification evidence, activity photos —
// in the database, written in the same transaction as the record they belong to. The type is decided by
// the content (JPEG, PNG, WebP, PDF, DOCX, XLSX), never by the name or the type the uploader claimed;
// anything else is refused with a message the user can act on. Files are served with headers that keep a
// browser from running them (see internal/web/files.go).
package files

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/hex"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/gm"
)

// MaxBytes is the largest attachment accepted (a phone photo or a scanned PDF fits easily).
const MaxBytes = 20 << 20

// Content types the platform accepts.
const (
	JPEG = "image/jpeg"
	PNG  = "image/png"
	WebP = "image/webp"
	PDF  = "application/pdf"
	DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// File is an attachment's description (without its content).
type File struct {
	ID          int64     `json:"id"`
	OrgID       int64     `json:"org_id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SM3         string    `json:"sm3"`
	UploadedBy  int64     `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
}

// Image reports whether the file is a picture (shown inline; everything else downloads).
func (f File) Image() bool {
	return f.ContentType == JPEG || f.ContentType == PNG || f.ContentType == WebP
}

// Store writes and reads attachments. Authorization is the caller's: a capability authorizes the record
// the file belongs to; reading a bare file checks the reader's scope over File.OrgID.
type Store struct {
	db    *db.DB
	trail *audit.Trail
	clock clock.Clock
}

// NewStore returns the attachment store.
func NewStore(d *db.DB, t *audit.Trail, c clock.Clock) *Store {
	return &Store{db: d, trail: t, clock: c}
}

// Sniff returns the content type of data, or a Unprocessable error naming field when it is not one the
// platform accepts.
func Sniff(data []byte, field string) (string, error) {
	switch {
	case len(data) == 0:
		return "", fieldErr(field, "files.empty")
	case len(data) > MaxBytes:
		return "", fieldErr(field, "files.too_large")
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return JPEG, nil
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return PNG, nil
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return WebP, nil
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return PDF, nil
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return sniffOOXML(data, field)
	}
	return "", fieldErr(field, "files.type")
}

// sniffOOXML tells a Word document from an Excel workbook by the parts the package holds; any other zip
// (including one with macros, .docm/.xlsm) is refused.
func sniffOOXML(data []byte, field string) (string, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", fieldErr(field, "files.type")
	}
	has := map[string]bool{}
	for _, f := range zr.File {
		has[f.Name] = true
		if strings.HasSuffix(strings.ToLower(f.Name), "vbaproject.bin") {
			return "", fieldErr(field, "files.macros")
		}
	}
	switch {
	case !has["[Content_Types].xml"]:
	case has["word/document.xml"]:
		return DOCX, nil
	case has["xl/workbook.xml"]:
		return XLSX, nil
	}
	return "", fieldErr(field, "files.type")
}

func fieldErr(field, key string) error {
	return &errs.Error{Code: errs.Unprocessable, Key: key, Fields: map[string]string{field: key}}
}

// CleanName keeps a file name safe to show and to offer for download: the base name only, no control
// characters, at most 120 characters; an empty result becomes "file".
func CleanName(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	var b strings.Builder
	for _, r := range name {
		if r == utf8.RuneError || unicode.IsControl(r) || r == '"' || r == '/' {
			continue
		}
		b.WriteRune(r)
	}
	out := strings.TrimSpace(b.String())
	if r := []rune(out); len(r) > 120 {
		out = string(r[len(r)-120:])
	}
	if out == "" || out == "." || out == ".." {
		return "file"
	}
	return out
}

// PutTx stores data as an attachment of orgID inside tx, audited, and returns it. field names the form
// field for error messages.
func (s *Store) PutTx(tx *db.Tx, orgID, userID int64, name string, data []byte, field string) (File, error) {
	ct, err := Sniff(data, field)
	if err != nil {
		return File{}, err
	}
	now := s.clock.Now()
	f := File{OrgID: orgID, Name: CleanName(name), ContentType: ct, Size: int64(len(data)),
		SM3: hex.EncodeToString(gm.Default.Hash(data)), UploadedBy: userID, CreatedAt: time.UnixMilli(now.UnixMilli())}
	f.ID, err = tx.Insert(`INSERT INTO files (org_id, name, content_type, size, sm3, data, uploaded_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, orgID, f.Name, ct, f.Size, f.SM3, data, userID, db.Millis(now))
	if err != nil {
		return File{}, err
	}
	return f, s.trail.Append(tx, audit.Event{Action: "file.upload", ObjectType: "file", ObjectID: f.ID, After: f,
		Detail: ct})
}

// Get returns a file's description.
func (s *Store) Get(ctx context.Context, id int64) (File, error) {
	return s.scan(s.db.QueryRow(ctx, "SELECT "+cols+" FROM files WHERE id = ?", id))
}

// GetTx is Get inside a transaction (a capability checking the attachments a record links to).
func (s *Store) GetTx(tx *db.Tx, id int64) (File, error) {
	return s.scan(tx.QueryRow("SELECT "+cols+" FROM files WHERE id = ?", id))
}

// Content returns a file's description and its bytes.
func (s *Store) Content(ctx context.Context, id int64) (File, []byte, error) {
	var data []byte
	var f File
	var created int64
	err := s.db.QueryRow(ctx, "SELECT "+cols+", data FROM files WHERE id = ?", id).
		Scan(&f.ID, &f.OrgID, &f.Name, &f.ContentType, &f.Size, &f.SM3, &f.UploadedBy, &created, &data)
	if err != nil {
		return File{}, nil, err
	}
	f.CreatedAt = time.UnixMilli(created)
	return f, data, nil
}

const cols = "id, org_id, name, content_type, size, sm3, uploaded_by, created_at"

func (s *Store) scan(r *db.Row) (File, error) {
	var f File
	var created int64
	if err := r.Scan(&f.ID, &f.OrgID, &f.Name, &f.ContentType, &f.Size, &f.SM3, &f.UploadedBy, &created); err != nil {
		return File{}, err
	}
	f.CreatedAt = time.UnixMilli(created)
	return f, nil
}
