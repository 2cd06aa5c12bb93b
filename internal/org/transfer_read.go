package org

import (
	"context"
	"strconv"

	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// The read side of membership transfers (F4): one transfer, lists per subtree, and what the request
// form offers.

// authorizeSeen lets the caller see a transfer when either side is in their subtree; otherwise the
// refusal is checked (and audited) against the sending organisation.
func (s *Service) authorizeSeen(ctx context.Context, p auth.Principal, t Transfer) error {
	if p.Role.Can(auth.ReadBusiness) && (s.auth.Within(ctx, p, t.FromOrgID) || s.auth.Within(ctx, p, t.ToOrgID)) {
		return nil
	}
	return s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: t.FromOrgID})
}

// GetTransfer returns a transfer with its steps, to officers of either side.
func (s *Service) GetTransfer(ctx context.Context, p auth.Principal, id int64) (Transfer, error) {
	t, err := s.loadTransfer(ctx, id, true)
	if errs.Is(err, errs.NotFound) {
		if !p.Role.Can(auth.ReadBusiness) {
			return Transfer{}, s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{})
		}
		return Transfer{}, errs.E(errs.NotFound, "error.not_found")
	}
	if err != nil {
		return Transfer{}, err
	}
	if err := s.authorizeSeen(ctx, p, t); err != nil {
		return Transfer{}, err
	}
	return t, nil
}

func (s *Service) loadTransfer(ctx context.Context, id int64, steps bool) (Transfer, error) {
	t, err := scanTransfer(s.db.QueryRow(ctx, "SELECT "+transferCols+transferFrom+" WHERE t.id = ?", id))
	if err != nil || !steps {
		return t, err
	}
	rows, err := s.db.Query(ctx, "SELECT action, done_on, actor_name, note FROM transfer_steps WHERE transfer_id = ? ORDER BY id", id)
	if err != nil {
		return t, err
	}
	defer rows.Close()
	for rows.Next() {
		var st TransferStep
		if err := rows.Scan(&st.Action, &st.On, &st.ActorName, &st.Note); err != nil {
			return t, err
		}
		t.Steps = append(t.Steps, st)
	}
	return t, rows.Err()
}

// TransferFilter selects transfers touching an organisation's subtree.
type TransferFilter struct {
	OrgID     int64
	Direction string // "in", "out" or "" for both
	Status    string // a TransferStatus, "pending" (requested or sent) or "" for all
	Limit     int
	WithSteps bool // load each transfer's history (for pages)
}

// ListTransfers lists transfers whose sending (out) or receiving (in) organisation lies in the
// subtree of OrgID, newest first.
func (s *Service) ListTransfers(ctx context.Context, p auth.Principal, f TransferFilter) ([]Transfer, int, error) {
	fields := errs.Fields{}
	if f.Direction != "" && f.Direction != "in" && f.Direction != "out" {
		fields.Add("direction", "transfer.direction.invalid")
	}
	if f.Status != "" && f.Status != "pending" && !validTransferStatus(f.Status) {
		fields.Add("status", "transfer.status.invalid")
	}
	if err := fields.Err(); err != nil {
		return nil, 0, err
	}
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: f.OrgID}); err != nil {
		return nil, 0, err
	}
	path, err := s.auth.OrgPath(ctx, f.OrgID)
	if err != nil {
		return nil, 0, err
	}
	where := " WHERE (fo.path LIKE ? OR tg.path LIKE ?)"
	args := []any{path + "%", path + "%"}
	switch f.Direction {
	case "out":
		where, args = " WHERE fo.path LIKE ?", []any{path + "%"}
	case "in":
		where, args = " WHERE tg.path LIKE ?", []any{path + "%"}
	}
	switch f.Status {
	case "":
	case "pending":
		where += " AND t.status IN ('requested', 'sent')"
	default:
		where += " AND t.status = ?"
		args = append(args, f.Status)
	}
	var total int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*)"+transferFrom+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 200
	}
	rows, err := s.db.Query(ctx, "SELECT "+transferCols+transferFrom+where+" ORDER BY t.id DESC LIMIT "+strconv.Itoa(f.Limit), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Transfer{}
	for rows.Next() {
		t, err := scanTransfer(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil || !f.WithSteps {
		return out, total, err
	}
	rows.Close()
	for i := range out {
		t, err := s.loadTransfer(ctx, out[i].ID, true)
		if err != nil {
			return nil, 0, err
		}
		out[i].Steps = t.Steps
	}
	return out, total, nil
}

func validTransferStatus(s string) bool {
	for _, st := range TransferStatuses {
		if string(st) == s {
			return true
		}
	}
	return false
}

// TransferTargets lists the live branches a member may be transferred to (the whole deployment, F4),
// for the request form.
func (s *Service) TransferTargets(ctx context.Context, p auth.Principal, fromOrgID int64) ([]Org, error) {
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: fromOrgID}); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, "SELECT id, name FROM orgs WHERE kind = 'branch' AND dissolved_on IS NULL AND id <> ? ORDER BY path", fromOrgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Org
	for rows.Next() {
		var o Org
		if err := rows.Scan(&o.ID, &o.Name); err != nil {
			return nil, err
		}
		o.Kind = Branch
		out = append(out, o)
	}
	return out, rows.Err()
}

// TransferCandidate is a member who may be transferred out.
type TransferCandidate struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// TransferCandidates lists members of an organisation (itself, not its subtree) who may be transferred
// out: full or probationary, with no pending transfer.
func (s *Service) TransferCandidates(ctx context.Context, p auth.Principal, orgID int64) ([]TransferCandidate, error) {
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: orgID}); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT m.id, m.name FROM members m WHERE m.org_id = ? AND m.status IN ('full', 'probationary') AND m.terminal_state = ''
		AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.member_id = m.id AND t.status IN ('requested', 'sent'))
		ORDER BY m.id LIMIT 1000`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TransferCandidate
	for rows.Next() {
		var m TransferCandidate
		if err := rows.Scan(&m.ID, &m.Name); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
