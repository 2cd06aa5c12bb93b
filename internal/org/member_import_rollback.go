package org

import (
	"context"
	"strconv"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// Import is a recorded import batch.
type Import struct {
	ID        int64  `json:"id"`
	OrgID     int64  `json:"org_id"`
	FileName  string `json:"file_name"`
	Rows      int    `json:"rows"`
	Imported  int    `json:"imported"`
	Skipped   int    `json:"skipped"`
	Status    string `json:"status"` // imported, rolled_back
	CreatedAt int64  `json:"-"`
}

func conflict(key string) error { return errs.E(errs.Conflict, key) }

// RollbackImport removes the members an import created, restoring the roster as it was before. Only an
// org administrator over the import's scope may, only for the last import into that scope, and only while
// none of its members has changed since: edited, transferred (or with a transfer under way), given a post
// or an account. One member.delete entry per member and one member.import_rollback for the batch.
func (s *Service) RollbackImport(ctx context.Context, p auth.Principal, id int64) (Import, error) {
	var im Import
	err := s.db.QueryRow(ctx, "SELECT id, org_id, file_name, rows_total, imported, skipped, status, created_at FROM imports WHERE id = ?", id).
		Scan(&im.ID, &im.OrgID, &im.FileName, &im.Rows, &im.Imported, &im.Skipped, &im.Status, &im.CreatedAt)
	if errs.Is(err, errs.NotFound) {
		return Import{}, errs.E(errs.NotFound, "error.not_found")
	}
	if err != nil {
		return Import{}, err
	}
	if err := s.auth.Authorize(ctx, p, auth.ManageOrgs, auth.Target{OrgID: im.OrgID}); err != nil {
		return Import{}, err
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		var status string
		if err := tx.QueryRow("SELECT status FROM imports WHERE id = ?", id).Scan(&status); err != nil {
			return err
		}
		if status != "imported" {
			return conflict("member_import.rollback.done")
		}
		var later int
		if err := tx.QueryRow("SELECT COUNT(*) FROM imports WHERE org_id = ? AND id > ? AND status = 'imported'", im.OrgID, id).Scan(&later); err != nil {
			return err
		}
		if later > 0 {
			return conflict("member_import.rollback.not_last")
		}
		ids := []int64{}
		rows, err := tx.Query("SELECT id FROM members WHERE import_id = ? ORDER BY id", id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var mid int64
			if err := rows.Scan(&mid); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, mid)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// Changed since: any write on the member in the trail after its creation (reads — unmask — do not
		// count), an update time moved, a transfer, a post or an account pointing at it.
		for _, q := range []string{
			"SELECT COUNT(*) FROM members WHERE import_id = ? AND (updated_at <> created_at OR terminal_state <> '')",
			"SELECT COUNT(*) FROM transfers t JOIN members m ON m.id = t.member_id WHERE m.import_id = ?",
			"SELECT COUNT(*) FROM posts t JOIN members m ON m.id = t.member_id WHERE m.import_id = ?",
			"SELECT COUNT(*) FROM users t JOIN members m ON m.id = t.member_id WHERE m.import_id = ?",
			`SELECT COUNT(*) FROM audit_log a WHERE a.object_type = 'member' AND a.action NOT IN ('member.create', 'member.unmask')
				AND a.object_id IN (SELECT CAST(id AS TEXT) FROM members WHERE import_id = ?)`,
		} {
			var n int
			if err := tx.QueryRow(q, id).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return conflict("member_import.rollback.changed")
			}
		}
		for _, mid := range ids {
			if err := s.trail.Append(tx, audit.Event{Action: "member.delete", ObjectType: "member", ObjectID: mid,
				Detail: "import " + strconv.FormatInt(id, 10) + " rolled back"}); err != nil {
				return err
			}
		}
		if _, err := tx.Exec("DELETE FROM members WHERE import_id = ?", id); err != nil {
			return err
		}
		now := db.Millis(s.clock.Now())
		if _, err := tx.Exec("UPDATE imports SET status = 'rolled_back', rolled_back_by = ?, rolled_back_at = ? WHERE id = ?", p.UserID, now, id); err != nil {
			return err
		}
		im.Status = "rolled_back"
		return s.trail.Append(tx, audit.Event{Action: "member.import_rollback", ObjectType: "import", ObjectID: id,
			Before: map[string]any{"imported": len(ids)}, After: map[string]any{"status": im.Status},
			Detail: "members=" + strconv.Itoa(len(ids))})
	})
	return im, err
}
