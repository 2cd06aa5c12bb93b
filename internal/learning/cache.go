package learning

import (
	"context"
	"sync"
	"time"

	"github.com/dangjian/dangjian/internal/platform/db"
)

// What the member's pages read on every request and what never changes once written is kept in memory:
// a question's content (there is no editing: a wrong question is retired and replaced) and the stored
// choice of a day (a chosen day never changes). The list of schedules changes rarely; it is re-read
// after scheduleTTL, and at once in the instance that changed it. Nothing here decides a permission.

const scheduleTTL = 10 * time.Second

type cache struct {
	questions sync.Map // int64 → Question
	days      sync.Map // dayKey → Day

	mu        sync.Mutex
	schedules []Schedule
	readAt    time.Time
}

type dayKey struct {
	schedule int64
	day      string
}

func (s *Service) cachedQuestion(ctx context.Context, id int64) (Question, error) {
	if q, ok := s.cache.questions.Load(id); ok {
		return q.(Question), nil
	}
	q, err := s.loadQuestion(ctx, id)
	if err == nil {
		s.cache.questions.Store(id, q)
	}
	return q, err
}

func (s *Service) cachedDay(sc Schedule, d db.Date) (Day, bool) {
	x, ok := s.cache.days.Load(dayKey{sc.ID, d.String()})
	if !ok {
		return Day{}, false
	}
	return x.(Day), true
}

func (s *Service) rememberDay(sc Schedule, d Day) {
	s.cache.days.Store(dayKey{sc.ID, d.Day.String()}, d)
}

// allSchedules returns every schedule with its organisation's path.
func (s *Service) allSchedules(ctx context.Context) ([]Schedule, error) {
	now := s.clock.Now()
	s.cache.mu.Lock()
	if s.cache.schedules != nil && now.Sub(s.cache.readAt) < scheduleTTL && !now.Before(s.cache.readAt) {
		out := s.cache.schedules
		s.cache.mu.Unlock()
		return out, nil
	}
	s.cache.mu.Unlock()
	rows, err := s.db.Query(ctx, `SELECT s.id, s.org_id, s.starts_on, s.skip_weekends, o.path FROM quiz_schedules s
		JOIN orgs o ON o.id = s.org_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Schedule{}
	for rows.Next() {
		var sc Schedule
		if err := rows.Scan(&sc.ID, &sc.OrgID, &sc.StartsOn, &sc.SkipWeekends, &sc.path); err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	s.cache.mu.Lock()
	s.cache.schedules, s.cache.readAt = out, now
	s.cache.mu.Unlock()
	return out, nil
}

// forgetSchedules makes the next request re-read the schedules (after a change in this instance).
func (s *Service) forgetSchedules() {
	s.cache.mu.Lock()
	s.cache.schedules = nil
	s.cache.mu.Unlock()
}
