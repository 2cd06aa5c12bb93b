package inspection

import (
	"context"
	"time"

	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
)

const (
	hourly = time.Hour
	daily  = 24 * time.Hour
)

// RefreshFacts recomputes the structure facts (committee months, people of the person rules with their
// tallies) of orgID's subtree (0: the whole tree) for last year and this year, and stores them for the
// reads of large subtrees. Tallies stay current between refreshes through MeetingsChanged.
func (s *Service) RefreshFacts(ctx context.Context, orgID int64) error {
	if orgID == 0 {
		var err error
		if orgID, err = s.rootOrg(ctx); err != nil {
			return err
		}
	}
	var path string
	if err := s.db.QueryRow(ctx, "SELECT path FROM orgs WHERE id = ?", orgID).Scan(&path); err != nil {
		return err
	}
	y1 := clock.Today(s.clock).Year()
	y0 := y1 - 1
	q := poolQuerier{ctx, s.db}
	orgs, byID, err := loadOrgs(q, path, y0, y1)
	if err != nil {
		return err
	}
	roles, err := loadLiveFacts(q, path, y0, y1, byID)
	if err != nil {
		return err
	}
	now := db.Millis(s.clock.Now())
	return s.db.Write(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec("DELETE FROM compliance_roles WHERE year BETWEEN ? AND ? AND org_id IN (SELECT id FROM orgs WHERE path LIKE ?)", y0, y1, path+"%"); err != nil {
			return err
		}
		empty := (&counts{}).encode()
		for _, o := range orgs {
			for i, yf := range o.years {
				if _, err := tx.Exec(`INSERT INTO compliance_summaries (org_id, year, packed, refreshed_at, live_months, committee_months,
					lesson_roles, lesson_gaps, talk_roles, talk_gaps) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
					ON CONFLICT (org_id, year) DO UPDATE SET refreshed_at = excluded.refreshed_at, live_months = excluded.live_months,
					committee_months = excluded.committee_months, lesson_roles = excluded.lesson_roles, lesson_gaps = excluded.lesson_gaps,
					talk_roles = excluded.talk_roles, talk_gaps = excluded.talk_gaps`, o.ID, y0+i, empty, now, yf.live, yf.committee,
					yf.lessonRoles, yf.lessonGaps, yf.talkRoles, yf.talkGaps); err != nil {
					return err
				}
			}
		}
		for _, r := range roles {
			if _, err := tx.Exec(`INSERT INTO compliance_roles (org_id, year, member_id, role, n) VALUES (?, ?, ?, ?, ?)`,
				r.org.ID, r.year, r.member, r.kind, r.n); err != nil {
				return err
			}
		}
		return nil
	})
}
