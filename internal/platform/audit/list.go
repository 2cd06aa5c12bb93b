package audit

import (
	"context"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/platform/db"
)

// Entry is one audit log entry as shown to the 审计管理员.
type Entry struct {
	Seq                                       int64
	At                                        time.Time
	ActorID                                   int64
	ActorName, ActorRole, ClientIP, RequestID string
	Action, ObjectType, ObjectID              string
	BeforeDigest, AfterDigest, Result, Detail string
}

// Filter narrows List. Empty fields match everything. Action matches as a prefix ("auth." gives every
// auth event); ObjectType, ObjectID and Actor (the actor's user name) match exactly. Limit defaults to
// 50 and is capped at 1000.
type Filter struct {
	Action, ObjectType, ObjectID, Actor string
	Limit, Offset                       int
}

// List pages through entries, newest first, and also returns how many entries match the filter.
func (t *Trail) List(ctx context.Context, f Filter) ([]Entry, int, error) {
	var (
		where []string
		args  []any
	)
	if f.Action != "" {
		where = append(where, `action LIKE ? ESCAPE '!'`)
		args = append(args, likePrefix(f.Action))
	}
	if f.ObjectType != "" {
		where = append(where, "object_type = ?")
		args = append(args, f.ObjectType)
	}
	if f.ObjectID != "" {
		where = append(where, "object_id = ?")
		args = append(args, f.ObjectID)
	}
	if f.Actor != "" {
		where = append(where, "actor_name = ?")
		args = append(args, f.Actor)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := t.d.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log"+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 1000)
	offset := max(f.Offset, 0)
	rows, err := t.d.Query(ctx, `SELECT seq, at, actor_id, actor_name, actor_role, client_ip, request_id, action,
		object_type, object_id, before_digest, after_digest, result, detail FROM audit_log`+cond+
		" ORDER BY seq DESC LIMIT ? OFFSET ?", append(args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := make([]Entry, 0, min(limit, max(total-offset, 0)))
	for rows.Next() {
		var (
			e  Entry
			at int64
		)
		if err := rows.Scan(&e.Seq, &at, &e.ActorID, &e.ActorName, &e.ActorRole, &e.ClientIP, &e.RequestID,
			&e.Action, &e.ObjectType, &e.ObjectID, &e.BeforeDigest, &e.AfterDigest, &e.Result, &e.Detail); err != nil {
			return nil, 0, err
		}
		e.At = db.FromMillis(at)
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// likePrefix escapes LIKE's wildcards (with '!') and appends '%'.
func likePrefix(s string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return r.Replace(s) + "%"
}
