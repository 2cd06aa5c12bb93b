package web

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/gm"
	"github.com/dangjian/dangjian/internal/platform/i18n"
)

const (
	sessionCookie = "dj_session"
	langCookie    = "dj_lang"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyPrincipal
	keyLang
	keyInfo
)

// reqInfo is filled in as the request goes through the middleware, for the request log.
type reqInfo struct{ userID int64 }

func requestIDFrom(ctx context.Context) string { s, _ := ctx.Value(keyRequestID).(string); return s }

func principalFrom(ctx context.Context) (auth.Principal, bool) {
	p, ok := ctx.Value(keyPrincipal).(auth.Principal)
	return p, ok
}

func langFrom(ctx context.Context) i18n.Lang {
	if l, ok := ctx.Value(keyLang).(i18n.Lang); ok {
		return l
	}
	return i18n.Default
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// requestID gives every request an id, echoed in X-Request-Id, logged and written to audit entries.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := gm.RandomToken(8)
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), keyRequestID, id)
		ctx = context.WithValue(ctx, keyInfo, &reqInfo{})
		ctx = audit.WithActor(ctx, audit.Actor{ClientIP: clientIP(r), RequestID: id})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int)        { w.status = code; w.ResponseWriter.WriteHeader(code) }
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests writes one structured line per request. Only the path is logged: query strings may carry
// personal data (an ID number typed into a search box).
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: 200}
		next.ServeHTTP(sw, r)
		if r.URL.Path == "/healthz" || strings.HasPrefix(r.URL.Path, "/static/") {
			return
		}
		var user int64
		if info, ok := r.Context().Value(keyInfo).(*reqInfo); ok {
			user = info.userID
		}
		s.Log.Info("request", "id", requestIDFrom(r.Context()), "method", r.Method, "path", r.URL.Path,
			"status", sw.status, "ms", time.Since(start).Milliseconds(), "user", user)
	})
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Log.Error("panic", "id", requestIDFrom(r.Context()), "panic", v)
				s.fail(w, r, errInternal)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// securityHeaders: a CSP without inline script, no framing, no sniffing, no referrer beyond the site.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// locale picks the language: the dj_lang cookie (the user's choice), then Accept-Language. A logged-in
// user's stored choice is applied in authenticate.
func (s *Server) locale(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		choice := ""
		if c, err := r.Cookie(langCookie); err == nil {
			choice = c.Value
		}
		l := i18n.Match(choice, r.Header.Get("Accept-Language"))
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyLang, l)))
	})
}

// authenticate resolves a bearer token or the session cookie to a principal. A bad bearer token is
// refused at once; a dead session cookie is cleared and the request goes on anonymous.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/static/") || r.URL.Path == "/healthz" {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		var p auth.Principal
		var err error
		found := false
		if h := r.Header.Get("Authorization"); h != "" {
			tok, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				s.fail(w, r, auth.ErrBadToken)
				return
			}
			if p, err = s.Auth.Token(ctx, strings.TrimSpace(tok)); err != nil {
				s.fail(w, r, err)
				return
			}
			found = true
		} else if c, cerr := r.Cookie(sessionCookie); cerr == nil && c.Value != "" {
			p, err = s.Auth.Session(ctx, c.Value)
			switch {
			case err == nil:
				found = true
			case err == auth.ErrNoSession:
				s.clearSession(w)
			default:
				s.fail(w, r, err)
				return
			}
		}
		if found {
			a := audit.ActorFrom(ctx)
			ctx = audit.WithActor(ctx, p.Actor(a.ClientIP, a.RequestID))
			ctx = context.WithValue(ctx, keyPrincipal, p)
			if info, ok := ctx.Value(keyInfo).(*reqInfo); ok {
				info.userID = p.UserID
			}
			if _, err := r.Cookie(langCookie); err != nil && p.Locale != "" {
				if l := i18n.Parse(p.Locale); l != "" {
					ctx = context.WithValue(ctx, keyLang, l)
				}
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (s *Server) setSession(w http.ResponseWriter, r *http.Request, secret string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.Secure || r.TLS != nil})
}

func (s *Server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.Secure})
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// safeNext keeps redirects after login on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}
