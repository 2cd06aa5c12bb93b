package auth

import (
	"context"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/gm"
)

// ErrBadLogin is the one answer to a wrong username or password, so neither can be probed.
var ErrBadLogin = errs.E(errs.Unauthorized, "auth.login.failed")

// ErrLocked is returned while an account is locked after repeated failures.
var ErrLocked = errs.E(errs.Unauthorized, "auth.login.locked")

// Login checks a password and, when it is right, starts a new session and returns its secret (for the
// cookie). Every outcome is audited. The caller's old session, if any, should be ended by the caller
// (session ids are rotated at login: a new one is always issued).
func (s *Service) Login(ctx context.Context, username, password string) (string, Principal, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	var (
		id       int64
		hash     string
		failed   int
		since    int64
		lockedTo int64
		disabled bool
	)
	err := s.db.QueryRow(ctx, `SELECT id, password_hash, failed_count, failed_since_at, locked_until_at, disabled
		FROM users WHERE username = ?`, username).Scan(&id, &hash, &failed, &since, &lockedTo, &disabled)
	if errs.Is(err, errs.NotFound) {
		checkPassword(password, dummyHash()) // same time as a real check
		_ = s.trail.Record(withName(ctx, username), audit.Event{Action: "auth.login_failed", ObjectType: "user",
			ObjectID: username, Result: "failed", Detail: "unknown username"})
		return "", Principal{}, ErrBadLogin
	}
	if err != nil {
		return "", Principal{}, err
	}
	now := s.clock.Now()
	actx := withName(ctx, username)
	if lockedTo > db.Millis(now) {
		_ = s.trail.Record(actx, audit.Event{Action: "auth.login_refused", ObjectType: "user", ObjectID: id,
			Result: "denied", Detail: "account locked"})
		return "", Principal{}, ErrLocked
	}
	if disabled || !checkPassword(password, hash) {
		return "", Principal{}, s.recordFailure(actx, id, failed, since, now, disabled)
	}
	secret := gm.RandomToken(32)
	var p Principal
	err = s.db.Write(actx, func(tx *db.Tx) error {
		if _, err := tx.Exec("UPDATE users SET failed_count = 0, failed_since_at = 0, locked_until_at = 0 WHERE id = ?", id); err != nil {
			return err
		}
		ms := db.Millis(now)
		if _, err := tx.Exec("INSERT INTO sessions(id_hash, user_id, created_at, last_seen_at, client_ip) VALUES (?, ?, ?, ?, ?)",
			gm.HashHex(secret), id, ms, ms, audit.ActorFrom(ctx).ClientIP); err != nil {
			return err
		}
		var err error
		p, err = scanPrincipal(tx.QueryRow(principalSelect+" WHERE u.id = ?", id))
		if err != nil {
			return err
		}
		return s.trail.Append(tx, audit.Event{Action: "auth.login", ObjectType: "user", ObjectID: id})
	})
	if err != nil {
		return "", Principal{}, err
	}
	p.SessionHash = gm.HashHex(secret)
	if p.PasswordExpired, err = s.passwordExpired(ctx, p, now); err != nil {
		return "", Principal{}, err
	}
	return secret, p, nil
}

func withName(ctx context.Context, username string) context.Context {
	a := audit.ActorFrom(ctx)
	a.Username = username
	return audit.WithActor(ctx, a)
}

func (s *Service) recordFailure(ctx context.Context, id int64, failed int, since int64, now time.Time, disabled bool) error {
	ms := db.Millis(now)
	if since == 0 || now.Sub(db.FromMillis(since)) > s.limits.FailureWindow {
		failed, since = 0, ms
	}
	failed++
	locked := failed >= s.limits.MaxFailures
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		until := int64(0)
		if locked {
			until = db.Millis(now.Add(s.limits.LockFor))
		}
		if _, err := tx.Exec("UPDATE users SET failed_count = ?, failed_since_at = ?, locked_until_at = ? WHERE id = ?",
			failed, since, until, id); err != nil {
			return err
		}
		detail := "wrong password"
		if disabled {
			detail = "account disabled"
		}
		if err := s.trail.Append(tx, audit.Event{Action: "auth.login_failed", ObjectType: "user", ObjectID: id,
			Result: "failed", Detail: detail}); err != nil {
			return err
		}
		if locked {
			return s.trail.Append(tx, audit.Event{Action: "auth.lockout", ObjectType: "user", ObjectID: id,
				Result: "ok", Detail: s.limits.LockFor.String()})
		}
		return nil
	})
	if err != nil {
		return err
	}
	if locked {
		return ErrLocked
	}
	return ErrBadLogin
}

// Unlock ends a lockout (security administrator).
func (s *Service) Unlock(ctx context.Context, username string) error {
	return s.db.Write(ctx, func(tx *db.Tx) error {
		n, err := tx.ExecN("UPDATE users SET failed_count = 0, failed_since_at = 0, locked_until_at = 0 WHERE username = ?",
			strings.ToLower(username))
		if err != nil {
			return err
		}
		if n == 0 {
			return errs.E(errs.NotFound, "error.not_found")
		}
		return s.trail.Append(tx, audit.Event{Action: "security.unlock", ObjectType: "user", ObjectID: username})
	})
}

// ErrNoSession means the cookie names no live session.
var ErrNoSession = errs.E(errs.Unauthorized, "auth.session.expired")

// Session resolves a session secret to its principal, ending sessions past their idle or absolute
// timeout. It refreshes last_seen at most once per TouchEvery.
func (s *Service) Session(ctx context.Context, secret string) (Principal, error) {
	if secret == "" {
		return Principal{}, ErrNoSession
	}
	h := gm.HashHex(secret)
	var created, seen int64
	var userID int64
	err := s.db.QueryRow(ctx, "SELECT user_id, created_at, last_seen_at FROM sessions WHERE id_hash = ?", h).Scan(&userID, &created, &seen)
	if errs.Is(err, errs.NotFound) {
		return Principal{}, ErrNoSession
	}
	if err != nil {
		return Principal{}, err
	}
	now := s.clock.Now()
	if now.Sub(db.FromMillis(seen)) > s.limits.IdleTimeout || now.Sub(db.FromMillis(created)) > s.limits.AbsoluteTimeout {
		_ = s.db.Write(ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec("DELETE FROM sessions WHERE id_hash = ?", h); err != nil {
				return err
			}
			return s.trail.Append(tx, audit.Event{Action: "auth.session_expired", ObjectType: "user", ObjectID: userID})
		})
		return Principal{}, ErrNoSession
	}
	p, err := scanPrincipal(s.db.QueryRow(ctx, principalSelect+" WHERE u.id = ? AND u.disabled = ?", userID, false))
	if errs.Is(err, errs.NotFound) {
		return Principal{}, ErrNoSession
	}
	if err != nil {
		return Principal{}, err
	}
	p.SessionHash = h
	if p.PasswordExpired, err = s.passwordExpired(ctx, p, now); err != nil {
		return Principal{}, err
	}
	if now.Sub(db.FromMillis(seen)) >= s.limits.TouchEvery {
		// Bookkeeping, not a change of anyone's data: not audited.
		_ = s.db.Write(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", db.Millis(now), h)
			return err
		})
	}
	return p, nil
}

// Logout ends the session; the same cookie is refused afterwards.
func (s *Service) Logout(ctx context.Context, p Principal) error {
	return s.db.Write(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec("DELETE FROM sessions WHERE id_hash = ?", p.SessionHash); err != nil {
			return err
		}
		return s.trail.Append(tx, audit.Event{Action: "auth.logout", ObjectType: "user", ObjectID: p.UserID})
	})
}

// EndSession removes a session by its secret without auditing a logout (used to rotate an old
// session out at login).
func (s *Service) EndSession(ctx context.Context, secret string) error {
	return s.db.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec("DELETE FROM sessions WHERE id_hash = ?", gm.HashHex(secret))
		return err
	})
}

// TokenPrefix starts every personal access token, so leaked tokens are easy to find in a scan.
const TokenPrefix = "djp_"

// CreateToken issues a personal access token for username, valid for ttl. Only its hash is stored.
func (s *Service) CreateToken(ctx context.Context, username string, ttl time.Duration) (string, error) {
	if ttl <= 0 || ttl > 366*24*time.Hour {
		return "", &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"expires": "auth.token.ttl"}}
	}
	u, err := s.UserByName(ctx, username)
	if err != nil {
		return "", err
	}
	secret := TokenPrefix + gm.RandomToken(20)
	now := s.clock.Now()
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		id, err := tx.Insert("INSERT INTO tokens(user_id, hash, created_at, expires_at) VALUES (?, ?, ?, ?)",
			u.ID, gm.HashHex(secret), db.Millis(now), db.Millis(now.Add(ttl)))
		if err != nil {
			return err
		}
		return s.trail.Append(tx, audit.Event{Action: "auth.token_create", ObjectType: "token", ObjectID: id,
			After: map[string]any{"user_id": u.ID, "expires_at": now.Add(ttl).UTC().Format(time.RFC3339)}})
	})
	return secret, err
}

// ErrBadToken is the answer to a missing, expired, revoked or unknown token.
var ErrBadToken = errs.E(errs.Unauthorized, "auth.token.invalid")

// Token resolves a bearer token to its principal.
func (s *Service) Token(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return Principal{}, ErrBadToken
	}
	// One query: a live token of an enabled account (every API request comes through here).
	p, err := scanPrincipal(s.db.QueryRow(ctx, principalSelect+` JOIN tokens t ON t.user_id = u.id
		WHERE t.hash = ? AND t.revoked_at = 0 AND t.expires_at > ? AND u.disabled = ?`,
		gm.HashHex(secret), db.Millis(s.clock.Now()), false))
	if errs.Is(err, errs.NotFound) {
		return Principal{}, ErrBadToken
	}
	return p, err
}

// PurgeSessions deletes sessions past their idle or absolute timeout (housekeeping job; sessions are
// checked on every request anyway).
func (s *Service) PurgeSessions(ctx context.Context) error {
	now := s.clock.Now()
	return s.db.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec("DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?",
			db.Millis(now.Add(-s.limits.IdleTimeout)), db.Millis(now.Add(-s.limits.AbsoluteTimeout)))
		return err
	})
}

func (s *Service) passwordExpired(ctx context.Context, p Principal, now time.Time) (bool, error) {
	pol, err := LoadPolicy(ctx, s.db)
	if err != nil || pol.MaxAgeDays == 0 {
		return false, err
	}
	return now.Sub(db.FromMillis(p.passwordChangedAt)) > time.Duration(pol.MaxAgeDays)*24*time.Hour, nil
}

// ErrWrongPassword is the answer to a wrong current password when changing it.
var ErrWrongPassword = &errs.Error{Code: errs.Unprocessable, Key: "error.validation",
	Fields: map[string]string{"current_password": "auth.password.current_wrong"}}

// ChangePassword replaces the caller's password after checking the current one. The new password
// must meet the policy and differ from the old. Other sessions of the account are ended.
func (s *Service) ChangePassword(ctx context.Context, p Principal, current, next string) error {
	var hash string
	if err := s.db.QueryRow(ctx, "SELECT password_hash FROM users WHERE id = ?", p.UserID).Scan(&hash); err != nil {
		return err
	}
	if !checkPassword(current, hash) {
		return ErrWrongPassword
	}
	if current == next {
		return &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"password": "auth.password.same"}}
	}
	pol, err := LoadPolicy(ctx, s.db)
	if err != nil {
		return err
	}
	if err := pol.Check(p.Username, next); err != nil {
		return err
	}
	newHash, err := HashPassword(next)
	if err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec("UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?",
			newHash, db.Millis(s.clock.Now()), p.UserID); err != nil {
			return err
		}
		if _, err := tx.Exec("DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?", p.UserID, p.SessionHash); err != nil {
			return err
		}
		return s.trail.Append(tx, audit.Event{Action: "auth.password_change", ObjectType: "user", ObjectID: p.UserID})
	})
}
