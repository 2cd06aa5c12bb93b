package inspection

import (
	"context"
	"fmt"

	"github.com/dangjian/dangjian/internal/notify"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/jobs"
)

// JobRemind is the scheduled job that reminds branch officers of obligations due soon.
const JobRemind = "compliance.remind"

// JobRefresh is the nightly job that refreshes the structure facts large subtrees read.
const JobRefresh = "compliance.refresh"

// RegisterJobs registers the reminder (hourly; each reminder goes out once by its dedupe key) and the
// nightly refresh of structure facts.
func (s *Service) RegisterJobs(sc *jobs.Scheduler, n *notify.Service) {
	sc.Every(JobRemind, hourly, func(ctx context.Context, _ jobs.Job) error { _, err := s.Remind(ctx, n); return err })
	sc.Every(JobRefresh, daily, func(ctx context.Context, _ jobs.Job) error { return s.RefreshFacts(ctx, 0) })
}

// Remind sends, to the officers of each organisation with an obligation due soon (yellow: the period
// ends within the configured lead time and is not yet met), one in-app notification per rule and period.
// It returns how many accounts were notified for the first time.
func (s *Service) Remind(ctx context.Context, n *notify.Service) (int, error) {
	root, err := s.rootOrg(ctx)
	if err != nil {
		return 0, err
	}
	now := MonthOf(clock.Today(s.clock))
	st, err := s.load(ctx, poolQuerier{ctx, s.db}, root, Month(now.Year()*12), now, nil)
	if err != nil {
		return 0, err
	}
	type due struct {
		o *orgFacts
		j Judgement
	}
	var list []due
	st.walk(func(o *orgFacts, j Judgement) {
		if j.Status == DueSoon {
			list = append(list, due{o, j})
		}
	})
	sent := 0
	if len(list) == 0 {
		return 0, nil
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		sent = 0
		for _, d := range list {
			k, err := n.ToOrg(tx, d.o.ID, notify.Note{Kind: "compliance.due", Message: "compliance.remind." + d.j.Rule.Key(),
				Params: map[string]any{"Org": d.o.Name, "Period": d.j.Period.String(), "Due": db.DateOf(d.j.Period.LastDay()).String()},
				Link:   fmt.Sprintf("/orgs/%d/compliance/%s/%s", d.o.ID, d.j.Rule.ID, d.j.Period),
				Key:    fmt.Sprintf("compliance:%s:%d:%s", d.j.Rule.ID, d.o.ID, d.j.Period)})
			if err != nil {
				return err
			}
			sent += k
		}
		return nil
	})
	return sent, err
}
