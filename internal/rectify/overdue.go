package rectify

import (
	"context"
	"fmt"
	"time"

	"github.com/dangjian/dangjian/internal/notify"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
)

// EscalateJob is the scheduled job's kind; EscalateEvery how often it looks.
const (
	EscalateJob   = "rectify.escalate_overdue"
	EscalateEvery = time.Hour
)

// EscalateOverdue notifies the officers of the responsible and the supervising organisations of every
// item past its deadline and not closed. Each item escalates once per deadline: the dedupe key carries
// the item and its due date, so however often the job runs the note arrives once, and a new deadline (a
// reopened item, a long-term item's next report) escalates again when it too passes. It returns how many
// notifications were delivered for the first time.
func (s *Service) EscalateOverdue(ctx context.Context) (int, error) {
	today := db.DateOf(clock.Today(s.clock))
	type due struct {
		id, responsible, supervisor int64
		title                       string
		dueOn                       db.Date
	}
	rows, err := s.db.Query(ctx, `SELECT id, responsible_org_id, supervisor_org_id, title, due_on FROM rectify_items
		WHERE status <> 'closed' AND due_on < ? ORDER BY id`, today)
	if err != nil {
		return 0, err
	}
	var items []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.responsible, &d.supervisor, &d.title, &d.dueOn); err != nil {
			rows.Close()
			return 0, err
		}
		items = append(items, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	sent := 0
	// One short transaction per item keeps the writer free for users between escalations.
	for _, d := range items {
		n := notify.Note{Kind: "rectification.overdue", Message: "rectify.note.overdue",
			Params: map[string]any{"Title": d.title, "Due": d.dueOn.String()},
			Link:   fmt.Sprintf("/rectifications/%d", d.id),
			Key:    fmt.Sprintf("rectify.overdue:%d:%s", d.id, d.dueOn.String())}
		err := s.db.Write(ctx, func(tx *db.Tx) error {
			for _, org := range []int64{d.responsible, d.supervisor} {
				k, err := s.notify.ToOrg(tx, org, n)
				if err != nil {
					return err
				}
				sent += k
			}
			return nil
		})
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}
