package auth

import (
	"context"
	"strconv"
	"strings"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// Target is what an action is taken on: an organisation (and so its subtree), and, for a member's own
// records, the member.
type Target struct {
	OrgID    int64 // 0: not tied to an organisation (system-wide)
	MemberID int64 // for ReadSelf/WriteSelf: whose record
}

// ErrForbidden is the answer to a request the caller may not make.
var ErrForbidden = errs.E(errs.Forbidden, "error.forbidden")

// Authorize is the one function that decides every request. It checks the role's grant for the
// action, then the scope: business actions only inside the caller's org subtree; self actions only on
// the caller's own member record (or, for officers, on members inside their subtree). A refusal is
// audited and returned as ErrForbidden.
func (s *Service) Authorize(ctx context.Context, p Principal, a Action, t Target) error {
	if err := s.decide(ctx, p, a, t); err != nil {
		if errs.Is(err, errs.Forbidden) {
			_ = s.trail.Record(ctx, audit.Event{Action: "authz.denied", ObjectType: "action", ObjectID: string(a),
				Result: "denied", Detail: targetDetail(t)})
		}
		return err
	}
	return nil
}

func targetDetail(t Target) string {
	var b strings.Builder
	if t.OrgID != 0 {
		b.WriteString("org=")
		b.WriteString(itoa(t.OrgID))
	}
	if t.MemberID != 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("member=")
		b.WriteString(itoa(t.MemberID))
	}
	return b.String()
}

func (s *Service) decide(ctx context.Context, p Principal, a Action, t Target) error {
	if p.UserID == 0 {
		return errs.E(errs.Unauthorized, "auth.session.expired")
	}
	if !p.Role.Can(a) {
		return ErrForbidden
	}
	switch a {
	case ReadSelf, WriteSelf:
		if t.MemberID != 0 && t.MemberID == p.MemberID {
			return nil
		}
		if p.Role == Member {
			return ErrForbidden
		}
		// Officers may act on members' records inside their subtree.
		if t.MemberID != 0 {
			orgID, err := s.memberOrg(ctx, t.MemberID)
			if err != nil {
				return err
			}
			return s.within(ctx, p, orgID)
		}
		return s.within(ctx, p, t.OrgID)
	case ReadBusiness, WriteBusiness, ManageOrgs, ManageUsers, UnmaskPII:
		return s.within(ctx, p, t.OrgID)
	}
	// Security and audit actions are deployment-wide: the grant is the whole check.
	return nil
}

func (s *Service) memberOrg(ctx context.Context, memberID int64) (int64, error) {
	var orgID int64
	err := s.db.QueryRow(ctx, "SELECT org_id FROM members WHERE id = ?", memberID).Scan(&orgID)
	if errs.Is(err, errs.NotFound) {
		return 0, errs.E(errs.NotFound, "error.not_found")
	}
	return orgID, err
}

// within reports (as nil or ErrForbidden) whether orgID lies in the subtree of the caller's organisation.
func (s *Service) within(ctx context.Context, p Principal, orgID int64) error {
	if orgID == 0 {
		return ErrForbidden
	}
	path, err := s.OrgPath(ctx, orgID)
	if errs.Is(err, errs.NotFound) {
		return errs.E(errs.NotFound, "error.not_found")
	}
	if err != nil {
		return err
	}
	if p.OrgPath == "" || !strings.HasPrefix(path, p.OrgPath) {
		return ErrForbidden
	}
	return nil
}

// OrgPath returns the materialised path of an organisation ("/1/7/42/").
func (s *Service) OrgPath(ctx context.Context, orgID int64) (string, error) {
	var path string
	err := s.db.QueryRow(ctx, "SELECT path FROM orgs WHERE id = ?", orgID).Scan(&path)
	return path, err
}

// Within reports whether orgID is in p's subtree, without auditing (for filtering lists).
func (s *Service) Within(ctx context.Context, p Principal, orgID int64) bool {
	return s.within(ctx, p, orgID) == nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
