package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/i18n"
)

//go:embed templates
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// assetHashes maps a static file name to a short content hash, for cache-busting URLs.
var assetHashes = func() map[string]string {
	m := map[string]string{}
	_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := staticFS.ReadFile(p)
		sum := sha256.Sum256(b)
		m[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:])[:12]
		return nil
	})
	return m
}()

// assetPath is the URL of a static file with its content hash, so it can be cached for a year.
func assetPath(name string) string {
	h, ok := assetHashes[name]
	if !ok {
		panic("web: unknown asset " + name) // caught by the render tests
	}
	return "/static/" + name + "?v=" + h
}

func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("v") != "" {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}

type pageSet struct{ pages map[string]*template.Template }

var funcs = template.FuncMap{
	"asset": assetPath,
	"join":  strings.Join,
	// indent sets an option of a tree apart by its depth (full-width spaces; selects take no styling).
	"indent": func(depth int) string { return strings.Repeat("　", min(max(depth, 0), 12)) },
}

// loadPages parses every page with the layout, once, at start: a broken template stops the server
// from starting rather than failing a user later.
func loadPages() (*pageSet, error) {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	ps := &pageSet{pages: map[string]*template.Template{}}
	for _, n := range names {
		t, err := layout.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(templateFS, n); err != nil {
			return nil, fmt.Errorf("web: %s: %w", n, err)
		}
		ps.pages[strings.TrimSuffix(strings.TrimPrefix(n, "templates/pages/"), ".html")] = t
	}
	return ps, nil
}

// View is what every template sees: the page data plus the layout's needs.
type View struct {
	Lang      i18n.Lang
	Langs     []i18n.Lang
	User      *auth.Principal
	Nav       []navSection
	Path      string
	Data      map[string]any
	Flash     string
	RequestID string
	Unread    int // the account's unread notifications, for the badge in the menu
	cat       *i18n.Catalogue
	loc       *time.Location
}

// T translates a key; extra arguments are name/value pairs for the message's placeholders.
func (v View) T(key string, kv ...any) string {
	var args map[string]any
	if len(kv) > 1 {
		args = map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			args[fmt.Sprint(kv[i])] = kv[i+1]
		}
	}
	return v.cat.T(v.Lang, key, args)
}

// Msg translates a key with a map of placeholders (a stored notification's message and parameters).
func (v View) Msg(key string, params map[string]any) string { return v.cat.T(v.Lang, key, params) }

// Date writes a date the reader's way (2024年3月10日).
func (v View) Date(t time.Time) string { return i18n.Date(v.Lang, t.In(v.loc)) }

// D writes a stored calendar date (db.Date) the reader's way, or "" when it is unset.
func (v View) D(d db.Date) string {
	if d.IsZero() {
		return ""
	}
	return i18n.Date(v.Lang, d.Time)
}

// DateTime writes an instant in Beijing time.
func (v View) DateTime(t time.Time) string { return i18n.DateTime(v.Lang, t, v.loc) }

// LangName is the language switch's label for l (always in that language).
func (v View) LangName(l i18n.Lang) string { return v.cat.T(l, "lang.self", nil) }

// HTMLLang is the lang attribute for <html>.
func (v View) HTMLLang() string {
	switch v.Lang {
	case i18n.ZhHans:
		return "zh-CN"
	case i18n.ZhHant:
		return "zh-TW"
	}
	return "en"
}

func (s *Server) view(r *http.Request, data map[string]any) View {
	v := View{Lang: langFrom(r.Context()), Langs: i18n.Langs, Path: r.URL.Path, Data: data, cat: s.I18n,
		loc: clock.Shanghai, RequestID: requestIDFrom(r.Context())}
	if p, ok := principalFrom(r.Context()); ok {
		v.User = &p
		v.Nav = navFor(p, r.URL.Path)
		if s.Notify != nil {
			v.Unread, _ = s.Notify.Unread(r.Context(), p) // a badge is not worth failing a page for
		}
	}
	if data != nil {
		if f, ok := data["Flash"].(string); ok {
			v.Flash = f
		}
	}
	return v
}

// render executes a page into a buffer first, so a template error becomes a clean error page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, data map[string]any) {
	t, ok := s.pages.pages[page]
	if !ok {
		panic("web: no page " + page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", s.view(r, data)); err != nil {
		s.Log.Error("render", "page", page, "err", err, "id", requestIDFrom(r.Context()))
		if page != "error" {
			s.render(w, r, http.StatusInternalServerError, "error", map[string]any{"Status": 500,
				"Message": s.I18n.T(langFrom(r.Context()), "error.internal", nil), "RequestID": requestIDFrom(r.Context())})
			return
		}
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}
