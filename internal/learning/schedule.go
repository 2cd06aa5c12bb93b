package learning

import (
	"context"
	"encoding/binary"
	"strconv"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/gm"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// Schedule is the 每日一题 plan of one organisation's subtree: a pool of published questions and a
// calendar of pins and holidays. The nearest schedule above a member's organisation is theirs.
type Schedule struct {
	ID           int64         `json:"id"`
	OrgID        int64         `json:"org_id"`
	StartsOn     db.Date       `json:"starts_on"`
	SkipWeekends bool          `json:"skip_weekends"`
	Pool         []int64       `json:"pool"`
	Calendar     []CalendarDay `json:"calendar"`

	path string
}

// CalendarDay is a pin (a question fixed for the date) or a holiday (no question that day).
type CalendarDay struct {
	Day        db.Date `json:"day"`
	Kind       string  `json:"kind"` // pin, holiday
	QuestionID int64   `json:"question_id,omitempty"`
}

// ScheduleInput sets a schedule: when it starts, whether weekends are off, and the whole pool.
type ScheduleInput struct {
	StartsOn     string  `json:"starts_on"` // default today
	SkipWeekends bool    `json:"skip_weekends"`
	Pool         []int64 `json:"pool"`
}

// Day is the chosen question of one date of a schedule (QuestionID 0: no question that day).
type Day struct {
	Day        db.Date `json:"day"`
	QuestionID int64   `json:"question_id"`
	Pinned     bool    `json:"pinned"`
	Cycle      int     `json:"cycle"`
}

// catchUp bounds how many past days one materialisation fills in (a schedule left alone for longer
// starts again from recent days).
const catchUp = 62

// SetSchedule creates or replaces an organisation's schedule (the 工委, or an org admin for their
// subtree: ManageOrgs). Every pool question must be published and belong to the organisation, an
// organisation above it, or one inside it. Days already chosen stay as they were.
func (s *Service) SetSchedule(ctx context.Context, p auth.Principal, orgID int64, in ScheduleInput) (Schedule, error) {
	if err := s.auth.Authorize(ctx, p, auth.ManageOrgs, auth.Target{OrgID: orgID}); err != nil {
		return Schedule{}, err
	}
	path, err := s.auth.OrgPath(ctx, orgID)
	if err != nil {
		return Schedule{}, err
	}
	f := errs.Fields{}
	starts := db.DateOf(clock.Today(s.clock))
	if strings.TrimSpace(in.StartsOn) != "" {
		t, err := validate.Date(in.StartsOn)
		if err != nil {
			f.Add("starts_on", "learning.date.invalid")
		} else {
			starts = db.DateOf(t)
		}
	}
	pool := map[int64]bool{}
	for _, id := range in.Pool {
		pool[id] = true
	}
	if len(pool) > 5000 {
		f.Add("pool", "learning.pool.too_large")
	}
	if err := f.Err(); err != nil {
		return Schedule{}, err
	}
	var id int64
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		for qid := range pool {
			if err := poolable(tx, qid, path); err != nil {
				return err
			}
		}
		now := db.Millis(s.clock.Now())
		err := tx.QueryRow("SELECT id FROM quiz_schedules WHERE org_id = ?", orgID).Scan(&id)
		switch {
		case errs.Is(err, errs.NotFound):
			id, err = tx.Insert(`INSERT INTO quiz_schedules(org_id, starts_on, skip_weekends, updated_by, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?)`, orgID, starts, in.SkipWeekends, p.UserID, now, now)
		case err == nil:
			_, err = tx.Exec("UPDATE quiz_schedules SET starts_on = ?, skip_weekends = ?, updated_by = ?, updated_at = ? WHERE id = ?",
				starts, in.SkipWeekends, p.UserID, now, id)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec("DELETE FROM quiz_pool WHERE schedule_id = ?", id); err != nil {
			return err
		}
		for qid := range pool {
			if _, err := tx.Exec("INSERT INTO quiz_pool(schedule_id, question_id) VALUES (?, ?)", id, qid); err != nil {
				return err
			}
		}
		return s.trail.Append(tx, audit.Event{Action: "quiz.schedule", ObjectType: "quiz_schedule", ObjectID: id,
			After: map[string]any{"org_id": orgID, "starts_on": starts, "skip_weekends": in.SkipWeekends, "pool": len(pool)}})
	})
	s.forgetSchedules()
	if err != nil {
		return Schedule{}, err
	}
	return s.GetSchedule(ctx, p, orgID)
}

// poolable checks that a question may enter the pool of the schedule at path.
func poolable(tx *db.Tx, qid int64, path string) error {
	var st, qpath string
	err := tx.QueryRow("SELECT q.status, o.path FROM questions q JOIN orgs o ON o.id = q.org_id WHERE q.id = ?", qid).Scan(&st, &qpath)
	if errs.Is(err, errs.NotFound) {
		return &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"pool": "learning.pool.unknown"}}
	}
	if err != nil {
		return err
	}
	if Status(st) != Published {
		return &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"pool": "learning.pool.unpublished"}}
	}
	if !strings.HasPrefix(qpath, path) && !strings.HasPrefix(path, qpath) {
		return &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"pool": "learning.pool.scope"}}
	}
	return nil
}

// GetSchedule returns an organisation's own schedule with its pool and calendar (404 when it has none).
func (s *Service) GetSchedule(ctx context.Context, p auth.Principal, orgID int64) (Schedule, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: orgID}); err != nil {
		return Schedule{}, err
	}
	sc := Schedule{OrgID: orgID, Pool: []int64{}, Calendar: []CalendarDay{}}
	err := s.db.QueryRow(ctx, "SELECT id, starts_on, skip_weekends FROM quiz_schedules WHERE org_id = ?", orgID).Scan(&sc.ID, &sc.StartsOn, &sc.SkipWeekends)
	if errs.Is(err, errs.NotFound) {
		return sc, errs.E(errs.NotFound, "learning.schedule.none")
	}
	if err != nil {
		return sc, err
	}
	rows, err := s.db.Query(ctx, "SELECT question_id FROM quiz_pool WHERE schedule_id = ? ORDER BY question_id", sc.ID)
	if err != nil {
		return sc, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return sc, err
		}
		sc.Pool = append(sc.Pool, id)
	}
	rows.Close()
	rows, err = s.db.Query(ctx, "SELECT day, kind, question_id FROM quiz_calendar WHERE schedule_id = ? ORDER BY day", sc.ID)
	if err != nil {
		return sc, err
	}
	defer rows.Close()
	for rows.Next() {
		var c CalendarDay
		if err := rows.Scan(&c.Day, &c.Kind, &c.QuestionID); err != nil {
			return sc, err
		}
		sc.Calendar = append(sc.Calendar, c)
	}
	return sc, rows.Err()
}

// CalendarInput pins a question to a date, marks it a holiday, or (kind "") clears the date.
type CalendarInput struct {
	Kind       string `json:"kind"` // pin, holiday, or "" to clear
	QuestionID int64  `json:"question_id"`
}

// SetCalendarDay changes one date of an organisation's calendar. A date whose question was already
// chosen (today or before, once someone looked) cannot change: members may have answered it.
func (s *Service) SetCalendarDay(ctx context.Context, p auth.Principal, orgID int64, day string, in CalendarInput) (Schedule, error) {
	if err := s.auth.Authorize(ctx, p, auth.ManageOrgs, auth.Target{OrgID: orgID}); err != nil {
		return Schedule{}, err
	}
	t, err := validate.Date(day)
	if err != nil {
		return Schedule{}, &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"day": "learning.date.invalid"}}
	}
	d := db.DateOf(t)
	if in.Kind != "pin" && in.Kind != "holiday" && in.Kind != "" {
		return Schedule{}, &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"kind": "learning.calendar.kind"}}
	}
	path, err := s.auth.OrgPath(ctx, orgID)
	if err != nil {
		return Schedule{}, err
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		var sid int64
		if err := tx.QueryRow("SELECT id FROM quiz_schedules WHERE org_id = ?", orgID).Scan(&sid); err != nil {
			if errs.Is(err, errs.NotFound) {
				return errs.E(errs.NotFound, "learning.schedule.none")
			}
			return err
		}
		var n int
		if err := tx.QueryRow("SELECT COUNT(*) FROM quiz_days WHERE schedule_id = ? AND day = ?", sid, d).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return errs.E(errs.Conflict, "learning.calendar.chosen")
		}
		if in.Kind == "pin" {
			if err := poolable(tx, in.QuestionID, path); err != nil {
				return err
			}
		} else {
			in.QuestionID = 0
		}
		if _, err := tx.Exec("DELETE FROM quiz_calendar WHERE schedule_id = ? AND day = ?", sid, d); err != nil {
			return err
		}
		if in.Kind != "" {
			if _, err := tx.Exec("INSERT INTO quiz_calendar(schedule_id, day, kind, question_id) VALUES (?, ?, ?, ?)", sid, d, in.Kind, in.QuestionID); err != nil {
				return err
			}
		}
		return s.trail.Append(tx, audit.Event{Action: "quiz.calendar", ObjectType: "quiz_schedule", ObjectID: sid,
			After: map[string]any{"day": d, "kind": in.Kind, "question_id": in.QuestionID}})
	})
	if err != nil {
		return Schedule{}, err
	}
	return s.GetSchedule(ctx, p, orgID)
}

// scheduleFor finds the schedule that covers an organisation path: the nearest one at or above it.
func (s *Service) scheduleFor(ctx context.Context, orgPath string) (Schedule, bool, error) {
	all, err := s.allSchedules(ctx)
	if err != nil {
		return Schedule{}, false, err
	}
	var best Schedule
	found := false
	for _, sc := range all {
		if strings.HasPrefix(orgPath, sc.path) && len(sc.path) > len(best.path) {
			best, found = sc, true
		}
	}
	return best, found, nil
}

// dayOf returns the chosen question of a date, choosing it (and every unchosen day since the last
// choice) when nobody has asked yet. The choice is stored, so it is made once and survives restarts.
func (s *Service) dayOf(ctx context.Context, sc Schedule, day db.Date) (Day, error) {
	if d, ok := s.cachedDay(sc, day); ok {
		return d, nil
	}
	d := Day{Day: day}
	err := s.db.QueryRow(ctx, "SELECT question_id, pinned, cycle FROM quiz_days WHERE schedule_id = ? AND day = ?", sc.ID, day).Scan(&d.QuestionID, &d.Pinned, &d.Cycle)
	if err == nil {
		s.rememberDay(sc, d)
	}
	if err == nil || !errs.Is(err, errs.NotFound) {
		return d, err
	}
	if day.Before(sc.StartsOn.Time) {
		return Day{Day: day}, nil
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		d, err = materialise(tx, sc, day)
		return err
	})
	if err == nil {
		s.rememberDay(sc, d)
	}
	return d, err
}

// materialise chooses every day from the last chosen one (or the start) up to day, in date order, so the
// sequence does not depend on when members look.
func materialise(tx *db.Tx, sc Schedule, day db.Date) (Day, error) {
	var last db.Date
	if err := tx.QueryRow("SELECT MAX(day) FROM quiz_days WHERE schedule_id = ?", sc.ID).Scan(&last); err != nil {
		return Day{}, err
	}
	from := sc.StartsOn
	if !last.IsZero() {
		from = db.DateOf(last.AddDate(0, 0, 1))
	}
	if lim := db.DateOf(day.AddDate(0, 0, -catchUp)); from.Before(lim.Time) {
		from = lim
	}
	var out Day
	for d := from; !d.After(day.Time); d = db.DateOf(d.AddDate(0, 0, 1)) {
		x, err := chooseDay(tx, sc, d)
		if err != nil {
			return Day{}, err
		}
		out = x
	}
	if out.Day.IsZero() { // day lies before the last chosen one: it was chosen (or skipped) already
		err := tx.QueryRow("SELECT question_id, pinned, cycle FROM quiz_days WHERE schedule_id = ? AND day = ?", sc.ID, day).Scan(&out.QuestionID, &out.Pinned, &out.Cycle)
		out.Day = day
		if errs.Is(err, errs.NotFound) {
			return out, nil
		}
		return out, err
	}
	return out, nil
}

// chooseDay decides one date: a weekend off or a holiday has no question; a pin wins; otherwise the
// question is drawn from the pool questions not yet used in the current pass, with a draw seeded by the
// schedule and the date (deterministic). When the pass is used up, a new pass begins.
func chooseDay(tx *db.Tx, sc Schedule, d db.Date) (Day, error) {
	out := Day{Day: d}
	var kind string
	var pinned int64
	err := tx.QueryRow("SELECT kind, question_id FROM quiz_calendar WHERE schedule_id = ? AND day = ?", sc.ID, d).Scan(&kind, &pinned)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return out, err
	}
	var cycle *int
	if err := tx.QueryRow("SELECT MAX(cycle) FROM quiz_days WHERE schedule_id = ?", sc.ID).Scan(&cycle); err != nil {
		return out, err
	}
	if cycle != nil {
		out.Cycle = *cycle
	}
	wd := d.Weekday()
	switch {
	case kind == "holiday" || (sc.SkipWeekends && (wd == time.Saturday || wd == time.Sunday)):
		// no question
	case kind == "pin":
		out.QuestionID, out.Pinned = pinned, true
	default:
		pool, err := ids(tx, `SELECT p.question_id FROM quiz_pool p JOIN questions q ON q.id = p.question_id
			WHERE p.schedule_id = ? AND q.status = 'published' ORDER BY p.question_id`, sc.ID)
		if err != nil {
			return out, err
		}
		used, err := ids(tx, "SELECT question_id FROM quiz_days WHERE schedule_id = ? AND cycle = ? AND question_id <> 0", sc.ID, out.Cycle)
		if err != nil {
			return out, err
		}
		left := minus(pool, used)
		if len(left) == 0 && len(pool) > 0 {
			out.Cycle++
			left = pool
		}
		if len(left) > 0 {
			out.QuestionID = left[draw(sc.ID, d, len(left))]
		}
	}
	_, err = tx.Exec(`INSERT INTO quiz_days(schedule_id, day, question_id, cycle, pinned) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (schedule_id, day) DO NOTHING`, sc.ID, d, out.QuestionID, out.Cycle, out.Pinned)
	if err != nil {
		return out, err
	}
	// Another instance may have chosen the day at the same moment: the stored row is the answer.
	err = tx.QueryRow("SELECT question_id, pinned, cycle FROM quiz_days WHERE schedule_id = ? AND day = ?", sc.ID, d).Scan(&out.QuestionID, &out.Pinned, &out.Cycle)
	return out, err
}

// draw picks an index below n from the schedule and the date: SM3 of both, first 8 bytes.
func draw(scheduleID int64, d db.Date, n int) int {
	h := gm.Default.Hash([]byte("quiz-day:" + strconv.FormatInt(scheduleID, 10) + ":" + d.String()))
	return int(binary.BigEndian.Uint64(h[:8]) % uint64(n))
}

func ids(tx *db.Tx, q string, args ...any) ([]int64, error) {
	rows, err := tx.Query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func minus(all, used []int64) []int64 {
	u := map[int64]bool{}
	for _, x := range used {
		u[x] = true
	}
	var out []int64
	for _, x := range all {
		if !u[x] {
			out = append(out, x)
		}
	}
	return out
}

// Today is the current civil date in Asia/Shanghai.
func (s *Service) Today() db.Date { return s.today() }

// Poolable lists the published questions an organisation's schedule may draw from: its own bank, the
// banks above it (the 工委's) and those inside its subtree.
func (s *Service) Poolable(ctx context.Context, p auth.Principal, orgID int64) ([]Question, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: orgID}); err != nil {
		return nil, err
	}
	path, err := s.auth.OrgPath(ctx, orgID)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, "SELECT "+questionCols+questionFrom+` WHERE q.status = 'published'
		AND (o.path LIKE ? OR ? LIKE o.path || '%') ORDER BY q.id LIMIT 2000`, path+"%", path)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Question
	for rows.Next() {
		q, err := scanQuestion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
}
