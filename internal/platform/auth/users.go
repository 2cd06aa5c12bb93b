package auth

import (
	"context"
	"time"

	"github.com/dangjian/dangjian/internal/platform/db"
)

// UserRow is an account as the administrators' lists show it.
type UserRow struct {
	User
	OrgName string
	Locked  bool
	Until   time.Time
}

// ListUsers lists the accounts in the caller's subtree (system administrator), newest first.
func (s *Service) ListUsers(ctx context.Context, p Principal, limit int) ([]UserRow, error) {
	if err := s.Authorize(ctx, p, ManageUsers, Target{OrgID: p.OrgID}); err != nil {
		return nil, err
	}
	return s.userRows(ctx, `WHERE o.path LIKE ? ORDER BY u.id DESC LIMIT ?`, p.OrgPath+"%", limit)
}

// LockedUsers lists accounts locked now (security administrator).
func (s *Service) LockedUsers(ctx context.Context, p Principal) ([]UserRow, error) {
	if err := s.Authorize(ctx, p, ManageSecurity, Target{}); err != nil {
		return nil, err
	}
	return s.userRows(ctx, `WHERE u.locked_until_at > ? ORDER BY u.username LIMIT 500`, db.Millis(s.clock.Now()))
}

func (s *Service) userRows(ctx context.Context, where string, args ...any) ([]UserRow, error) {
	rows, err := s.db.Query(ctx, `SELECT u.id, u.username, u.role, u.org_id, COALESCE(u.member_id, 0), u.disabled, o.name, u.locked_until_at
		FROM users u JOIN orgs o ON o.id = u.org_id `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	now := db.Millis(s.clock.Now())
	var out []UserRow
	for rows.Next() {
		var u UserRow
		var until int64
		if err := rows.Scan(&u.ID, &u.Username, &u.Role, &u.OrgID, &u.MemberID, &u.Disabled, &u.OrgName, &until); err != nil {
			return nil, err
		}
		u.Locked = until > now
		u.Until = db.FromMillis(until)
		out = append(out, u)
	}
	return out, rows.Err()
}

// CreateUserAs creates an account on behalf of a system administrator, inside their subtree.
func (s *Service) CreateUserAs(ctx context.Context, p Principal, u NewUser) (int64, error) {
	if err := s.Authorize(ctx, p, ManageUsers, Target{OrgID: u.OrgID}); err != nil {
		return 0, err
	}
	return s.CreateUser(ctx, u)
}
