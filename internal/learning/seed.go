package learning

import (
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
)

// Seeding in a caller's transaction, for the demo loader (internal/demo) and load tests: the same checks
// and stored forms as the service, without a principal's request around them.

// CreateQuestionTx checks and stores a draft question authored by p (audited).
func (s *Service) CreateQuestionTx(tx *db.Tx, p auth.Principal, n NewQuestion) (int64, error) {
	q, f := n.check()
	if err := f.Err(); err != nil {
		return 0, err
	}
	q.OrgID = n.OrgID
	return s.insertQuestion(tx, p, q)
}

// PublishTx publishes a draft as reviewed by reviewerID, who must not be its author (audited).
func (s *Service) PublishTx(tx *db.Tx, id, reviewerID int64) error {
	now := db.Millis(s.clock.Now())
	if _, err := tx.Exec(`UPDATE questions SET status = 'published', reviewer_id = ?, published_at = ?, updated_at = ?
		WHERE id = ? AND status = 'draft' AND author_id <> ?`, reviewerID, now, now, id, reviewerID); err != nil {
		return err
	}
	return s.trail.Append(tx, audit.Event{Action: "question.publish", ObjectType: "question", ObjectID: id})
}

// ScheduleTx creates an organisation's schedule with a pool and chooses every day from its start up to
// upTo, returning the chosen days.
func (s *Service) ScheduleTx(tx *db.Tx, orgID int64, starts db.Date, pool []int64, upTo db.Date) (int64, []Day, error) {
	now := db.Millis(s.clock.Now())
	id, err := tx.Insert(`INSERT INTO quiz_schedules(org_id, starts_on, skip_weekends, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		orgID, starts, false, now, now)
	if err != nil {
		return 0, nil, err
	}
	for _, q := range pool {
		if _, err := tx.Exec("INSERT INTO quiz_pool(schedule_id, question_id) VALUES (?, ?)", id, q); err != nil {
			return 0, nil, err
		}
	}
	sc := Schedule{ID: id, OrgID: orgID, StartsOn: starts}
	var days []Day
	for d := starts; !d.After(upTo.Time); d = db.DateOf(d.AddDate(0, 0, 1)) {
		x, err := chooseDay(tx, sc, d)
		if err != nil {
			return 0, nil, err
		}
		days = append(days, x)
	}
	tx.AfterCommit(s.forgetSchedules)
	return id, days, s.trail.Append(tx, audit.Event{Action: "quiz.schedule", ObjectType: "quiz_schedule", ObjectID: id})
}

// AnswerTx records a member's on-time answer to a chosen day: right answers the key, wrong the first
// other option (or a wrong text).
func (s *Service) AnswerTx(tx *db.Tx, scheduleID, memberID, orgID int64, d Day, right bool) error {
	var kind, ans, opts string
	if err := tx.QueryRow("SELECT kind, answer, options FROM questions WHERE id = ?", d.QuestionID).Scan(&kind, &ans, &opts); err != nil {
		return err
	}
	stored := ans
	if !right {
		stored = `[0]`
		if ans == `[0]` {
			stored = `[1]`
		}
		if Kind(kind) == Fill {
			stored = `"不知道"`
		}
	} else if Kind(kind) == Fill {
		stored = ans[1 : len(ans)-1] // the first accepted text, as stored for an answer
		if i := indexComma(stored); i > 0 {
			stored = stored[:i]
		}
	}
	at := d.Day.Add(8 * 3600e9) // 08:00 UTC = 16:00 Beijing
	_, err := tx.Exec(`INSERT INTO quiz_answers(member_id, org_id, schedule_id, day, question_id, answer, correct, on_time, answered_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, memberID, orgID, scheduleID, d.Day, d.QuestionID, stored, right, true, db.Millis(at))
	return err
}

func indexComma(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == ',' {
			return i
		}
	}
	return -1
}
