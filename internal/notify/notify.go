// Package notify is the platform's in-app notifications (站内提醒): capabilities send reminders and
// escalations to accounts — from the write transaction that raises them or from a scheduled job — and
// each account reads and dismisses its own. A notification carries a message key and its parameters, so
// it reads in the reader's language; its dedupe key makes a reminder arrive once per account however
// often the job that raises it runs.
package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// Note is what a capability sends.
type Note struct {
	Kind    string         // capability.event, e.g. "compliance.due", "rectification.overdue"
	Message string         // message key in the catalogues
	Params  map[string]any // the message's placeholders
	Link    string         // site-relative page the note is about, e.g. "/orgs/42/calendar"
	Key     string         // dedupe key: the same key reaches an account once
}

// Notification is a note as one account received it.
type Notification struct {
	ID        int64          `json:"id"`
	Kind      string         `json:"kind"`
	Message   string         `json:"message"`
	Params    map[string]any `json:"params"`
	Link      string         `json:"link,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
	Read      bool           `json:"read"`
}

// Service sends and reads notifications.
type Service struct {
	db    *db.DB
	trail *audit.Trail
	clock clock.Clock
}

// NewService returns the notification service.
func NewService(d *db.DB, t *audit.Trail, c clock.Clock) *Service {
	return &Service{db: d, trail: t, clock: c}
}

// officerRoles are the accounts that act for an organisation.
var officerRoles = []auth.Role{auth.OrgAdmin, auth.BranchOfficer}

// ToOrg sends n inside tx to the officers of an organisation: the enabled org admins and branch officers
// whose account is set on that organisation (not on its parents — escalate to a parent by sending to it).
// It returns how many accounts received it for the first time.
func (s *Service) ToOrg(tx *db.Tx, orgID int64, n Note) (int, error) {
	ph := strings.TrimSuffix(strings.Repeat("?,", len(officerRoles)), ",")
	args := []any{orgID}
	for _, r := range officerRoles {
		args = append(args, string(r))
	}
	ids, err := userIDs(tx, "SELECT id FROM users WHERE org_id = ? AND disabled = FALSE AND role IN ("+ph+") ORDER BY id", args...)
	if err != nil {
		return 0, err
	}
	return s.send(tx, ids, n, fmt.Sprintf("org:%d", orgID))
}

// ToMember sends n inside tx to the accounts linked to a member of the roster.
func (s *Service) ToMember(tx *db.Tx, memberID int64, n Note) (int, error) {
	ids, err := userIDs(tx, "SELECT id FROM users WHERE member_id = ? AND disabled = FALSE ORDER BY id", memberID)
	if err != nil {
		return 0, err
	}
	return s.send(tx, ids, n, fmt.Sprintf("member:%d", memberID))
}

// ToUsers sends n inside tx to the given accounts.
func (s *Service) ToUsers(tx *db.Tx, userIDs []int64, n Note) (int, error) {
	return s.send(tx, userIDs, n, "users")
}

func userIDs(tx *db.Tx, q string, args ...any) ([]int64, error) {
	rows, err := tx.Query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func (s *Service) send(tx *db.Tx, users []int64, n Note, to string) (int, error) {
	if n.Kind == "" || n.Message == "" || n.Key == "" {
		return 0, fmt.Errorf("notify: kind, message and key are required")
	}
	params := []byte("{}")
	if len(n.Params) > 0 {
		b, err := json.Marshal(n.Params)
		if err != nil {
			return 0, err
		}
		params = b
	}
	now := db.Millis(s.clock.Now())
	sent := 0
	for _, u := range users {
		k, err := tx.ExecN(`INSERT INTO notifications (user_id, kind, message, params, link, dedupe_key, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, dedupe_key) DO NOTHING`,
			u, n.Kind, n.Message, string(params), n.Link, n.Key, now)
		if err != nil {
			return 0, err
		}
		sent += int(k)
	}
	if sent == 0 {
		return 0, nil
	}
	return sent, s.trail.Append(tx, audit.Event{Action: "notification.send", ObjectType: "notification",
		ObjectID: n.Key, Detail: fmt.Sprintf("%s to %s: %d account(s)", n.Kind, to, sent)})
}

// Page is one account's notifications.
type Page struct {
	Items  []Notification `json:"items"`
	Total  int            `json:"total"`
	Unread int            `json:"unread"`
}

// List returns the caller's notifications, newest first (only unread ones when unreadOnly).
func (s *Service) List(ctx context.Context, p auth.Principal, unreadOnly bool, limit int) (Page, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	where := "user_id = ?"
	if unreadOnly {
		where += " AND read_at = 0"
	}
	pg := Page{Items: []Notification{}}
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM notifications WHERE "+where, p.UserID).Scan(&pg.Total); err != nil {
		return Page{}, err
	}
	u, err := s.Unread(ctx, p)
	if err != nil {
		return Page{}, err
	}
	pg.Unread = u
	rows, err := s.db.Query(ctx, "SELECT id, kind, message, params, link, created_at, read_at FROM notifications WHERE "+
		where+" ORDER BY id DESC LIMIT ?", p.UserID, limit)
	if err != nil {
		return Page{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var n Notification
		var params string
		var created, read int64
		if err := rows.Scan(&n.ID, &n.Kind, &n.Message, &params, &n.Link, &created, &read); err != nil {
			return Page{}, err
		}
		_ = json.Unmarshal([]byte(params), &n.Params)
		n.CreatedAt, n.Read = time.UnixMilli(created), read != 0
		pg.Items = append(pg.Items, n)
	}
	return pg, rows.Err()
}

// Unread counts the caller's unread notifications (the badge in the menu).
func (s *Service) Unread(ctx context.Context, p auth.Principal) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at = 0", p.UserID).Scan(&n)
	return n, err
}

// MarkRead dismisses one of the caller's notifications and returns it (for its link). Another account's
// notification is not found.
func (s *Service) MarkRead(ctx context.Context, p auth.Principal, id int64) (Notification, error) {
	var n Notification
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var read int64
		if err := tx.QueryRow("SELECT id, kind, message, link, read_at FROM notifications WHERE id = ? AND user_id = ?", id, p.UserID).
			Scan(&n.ID, &n.Kind, &n.Message, &n.Link, &read); err != nil {
			return err
		}
		n.Read = true
		if read != 0 {
			return nil
		}
		if _, err := tx.Exec("UPDATE notifications SET read_at = ? WHERE id = ?", db.Millis(s.clock.Now()), id); err != nil {
			return err
		}
		return s.trail.Append(tx, audit.Event{Action: "notification.read", ObjectType: "notification", ObjectID: id})
	})
	if errs.Is(err, errs.NotFound) {
		return Notification{}, errs.E(errs.NotFound, "notification.not_found")
	}
	return n, err
}

// MarkAllRead dismisses all of the caller's notifications and returns how many were unread.
func (s *Service) MarkAllRead(ctx context.Context, p auth.Principal) (int, error) {
	var n int64
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		n, err = tx.ExecN("UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at = 0", db.Millis(s.clock.Now()), p.UserID)
		if err != nil || n == 0 {
			return err
		}
		return s.trail.Append(tx, audit.Event{Action: "notification.read_all", ObjectType: "user", ObjectID: p.UserID,
			Detail: fmt.Sprintf("%d notification(s)", n)})
	})
	return int(n), err
}
