package learning

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/gm"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// Option is one option as a member sees it: a key (A, B, …) in the member's own shuffled order.
type Option struct {
	Key  string `json:"key"`
	Text string `json:"text"`
}

// MemberQuestion is a question as sent to a member before answering: no answer, no explanation.
type MemberQuestion struct {
	ID      int64    `json:"id"`
	Kind    Kind     `json:"kind"`
	Stem    string   `json:"stem"`
	Options []Option `json:"options"`
}

// Result is what a member learns once they answered: right or wrong, the answer, explanation, source.
type Result struct {
	Correct       bool   `json:"correct"`
	CorrectAnswer any    `json:"correct_answer"` // option keys in the member's order, or the text for fill-in
	YourAnswer    any    `json:"your_answer"`
	Explanation   string `json:"explanation"`
	Source        string `json:"source"`
	OnTime        bool   `json:"on_time"` // false: a missed day answered later, for learning
}

// DailyQuestion is one day's question for one member.
type DailyQuestion struct {
	Date     db.Date         `json:"date"`
	Question *MemberQuestion `json:"question"` // nil: no question that day (holiday, weekend, empty pool)
	Answered bool            `json:"answered"`
	Result   *Result         `json:"result,omitempty"` // only once answered
	Today    bool            `json:"today"`
}

// AnswerInput is a member's answer: option keys of their shuffled list, or the text for fill-in.
type AnswerInput struct {
	QuestionID int64           `json:"question_id"`
	Answer     json.RawMessage `json:"answer"`
	Day        string          `json:"day,omitempty"` // default today; an earlier day is answered for learning
}

// member is the caller as a member: their record, organisation and schedule.
type member struct {
	id, orgID int64
	path      string
	sched     Schedule
	has       bool
}

func (s *Service) memberOf(ctx context.Context, p auth.Principal, a auth.Action) (member, error) {
	if p.MemberID == 0 {
		return member{}, errs.E(errs.Forbidden, "learning.not_member")
	}
	// A member answers and reads for themselves only (ReadSelf/WriteSelf on their own record).
	if err := s.auth.Authorize(ctx, p, a, auth.Target{MemberID: p.MemberID}); err != nil {
		return member{}, err
	}
	m := member{id: p.MemberID}
	err := s.db.QueryRow(ctx, "SELECT m.org_id, o.path FROM members m JOIN orgs o ON o.id = m.org_id WHERE m.id = ?", p.MemberID).Scan(&m.orgID, &m.path)
	if err != nil {
		return m, err
	}
	m.sched, m.has, err = s.scheduleFor(ctx, m.path)
	return m, err
}

// today is the civil date in Asia/Shanghai: the day changes at 00:00 Beijing time.
func (s *Service) today() db.Date { return db.DateOf(clock.Today(s.clock)) }

// dayParam reads an optional date that may not lie in the future.
func (s *Service) dayParam(v string) (db.Date, error) {
	today := s.today()
	if strings.TrimSpace(v) == "" {
		return today, nil
	}
	t, err := validate.Date(v)
	if err != nil || db.DateOf(t).After(today.Time) {
		return today, &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"day": "learning.date.invalid"}}
	}
	return db.DateOf(t), nil
}

// Daily returns a day's question for the calling member (today when day is ""), with the options in
// the member's order, and — only if they answered — the result.
func (s *Service) Daily(ctx context.Context, p auth.Principal, day string) (DailyQuestion, error) {
	d, err := s.dayParam(day)
	if err != nil {
		return DailyQuestion{}, err
	}
	m, err := s.memberOf(ctx, p, auth.ReadSelf)
	if err != nil {
		return DailyQuestion{}, err
	}
	out := DailyQuestion{Date: d, Today: d.Equal(s.today().Time)}
	if !m.has {
		return out, nil
	}
	dq, err := s.dayOf(ctx, m.sched, d)
	if err != nil || dq.QuestionID == 0 {
		return out, err
	}
	q, err := s.cachedQuestion(ctx, dq.QuestionID)
	if err != nil {
		return out, err
	}
	mq, _ := s.forMember(q, m.id, d)
	out.Question = &mq
	var ans string
	var correct, onTime bool
	err = s.db.QueryRow(ctx, "SELECT answer, correct, on_time FROM quiz_answers WHERE member_id = ? AND day = ?", m.id, d).Scan(&ans, &correct, &onTime)
	switch {
	case errs.Is(err, errs.NotFound):
		return out, nil
	case err != nil:
		return out, err
	}
	out.Answered = true
	r := s.result(q, m.id, d, correct, onTime)
	r.YourAnswer = s.storedAnswerView(q, m.id, d, ans)
	out.Result = &r
	return out, nil
}

// permutation is the member's order of q's options on day d: perm[k] is the original index shown at
// position k. Seeded by HMAC-SM3 of member, date and question, so it is stable for the member all day,
// differs between members, and cannot be undone without the key. True/false keeps its order.
func (s *Service) permutation(q Question, memberID int64, d db.Date) []int {
	n := len(q.Options)
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	if q.Kind == TrueFalse || n < 2 {
		return perm
	}
	mac := gm.Default.NewMAC(s.shuf)
	mac.Write([]byte(strconv.FormatInt(memberID, 10) + "|" + d.String() + "|" + strconv.FormatInt(q.ID, 10)))
	sum := mac.Sum(nil)
	for i := n - 1; i > 0; i-- {
		off := (i * 2) % (len(sum) - 1)
		j := int(binary.BigEndian.Uint16(sum[off:off+2])) % (i + 1)
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm
}

func key(i int) string { return string(rune('A' + i)) }

func (s *Service) forMember(q Question, memberID int64, d db.Date) (MemberQuestion, []int) {
	perm := s.permutation(q, memberID, d)
	mq := MemberQuestion{ID: q.ID, Kind: q.Kind, Stem: q.Stem, Options: []Option{}}
	for k, i := range perm {
		mq.Options = append(mq.Options, Option{Key: key(k), Text: q.Options[i]})
	}
	return mq, perm
}

// keysOf turns original option indexes into the member's keys, in key order.
func keysOf(perm []int, idx []int) []string {
	pos := map[int]int{}
	for k, i := range perm {
		pos[i] = k
	}
	var ks []int
	for _, i := range idx {
		ks = append(ks, pos[i])
	}
	out := []string{}
	for _, k := range sortedInts(ks) {
		out = append(out, key(k))
	}
	return out
}

func (s *Service) result(q Question, memberID int64, d db.Date, correct, onTime bool) Result {
	r := Result{Correct: correct, Explanation: q.Explanation, Source: q.Source, OnTime: onTime}
	if q.Kind == Fill {
		r.CorrectAnswer = strings.Join(q.AnswerText, " / ")
	} else {
		r.CorrectAnswer = keysOf(s.permutation(q, memberID, d), q.Answer)
	}
	return r
}

func (s *Service) storedAnswerView(q Question, memberID int64, d db.Date, stored string) any {
	if q.Kind == Fill {
		var t string
		_ = json.Unmarshal([]byte(stored), &t)
		return t
	}
	var idx []int
	_ = json.Unmarshal([]byte(stored), &idx)
	return keysOf(s.permutation(q, memberID, d), idx)
}

func answerErr(key string) error {
	return &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"answer": key}}
}

// grade reads a member's answer (keys or text) and returns it in stored form (original indexes or the
// text) with whether it is right.
func (s *Service) grade(q Question, perm []int, raw json.RawMessage) (string, bool, error) {
	if q.Kind == Fill {
		var t string
		if err := json.Unmarshal(raw, &t); err != nil || strings.TrimSpace(t) == "" || runes(t) > 200 {
			return "", false, answerErr("learning.answer.text")
		}
		t = strings.TrimSpace(t)
		ok := false
		for _, a := range q.AnswerText {
			if normAnswer(a) == normAnswer(t) {
				ok = true
			}
		}
		b, _ := json.Marshal(t)
		return string(b), ok, nil
	}
	var keys []string
	if err := json.Unmarshal(raw, &keys); err != nil {
		var one string // a single key is accepted as such
		if json.Unmarshal(raw, &one) != nil {
			return "", false, answerErr("learning.answer.keys")
		}
		keys = []string{one}
	}
	seen := map[int]bool{}
	var idx []int
	for _, k := range keys {
		k = strings.ToUpper(strings.TrimSpace(k))
		if len(k) != 1 || k[0] < 'A' || int(k[0]-'A') >= len(perm) || seen[int(k[0]-'A')] {
			return "", false, answerErr("learning.answer.keys")
		}
		seen[int(k[0]-'A')] = true
		idx = append(idx, perm[k[0]-'A'])
	}
	if len(idx) == 0 || (q.Kind != Multiple && len(idx) != 1) {
		return "", false, answerErr("learning.answer.keys")
	}
	idx = sortedInts(idx)
	b, _ := json.Marshal(idx)
	ok := len(idx) == len(q.Answer)
	for i := range idx {
		if ok && idx[i] != q.Answer[i] {
			ok = false
		}
	}
	return string(b), ok, nil
}

// Answer records the calling member's answer to a day's question (today unless in.Day names an earlier
// day — answered for learning, recorded as not on time) and returns the result at once. A member
// answers a day once: a second attempt, even at the same instant, is a 409 (unique member and day).
func (s *Service) Answer(ctx context.Context, p auth.Principal, in AnswerInput) (Result, error) {
	d, err := s.dayParam(in.Day)
	if err != nil {
		return Result{}, err
	}
	m, err := s.memberOf(ctx, p, auth.WriteSelf)
	if err != nil {
		return Result{}, err
	}
	if !m.has {
		return Result{}, errs.E(errs.NotFound, "learning.none_today")
	}
	dq, err := s.dayOf(ctx, m.sched, d)
	if err != nil {
		return Result{}, err
	}
	if dq.QuestionID == 0 {
		return Result{}, errs.E(errs.NotFound, "learning.none_today")
	}
	if in.QuestionID != dq.QuestionID {
		return Result{}, &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"question_id": "learning.answer.stale"}}
	}
	q, err := s.cachedQuestion(ctx, dq.QuestionID)
	if err != nil {
		return Result{}, err
	}
	perm := s.permutation(q, m.id, d)
	stored, correct, err := s.grade(q, perm, in.Answer)
	if err != nil {
		return Result{}, err
	}
	onTime := d.Equal(s.today().Time)
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		// One statement: the unique key (member, day) decides, also between two instances at once.
		var id int64
		err := tx.QueryRow(`INSERT INTO quiz_answers(member_id, org_id, schedule_id, day, question_id, answer, correct, on_time, answered_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (member_id, day) DO NOTHING RETURNING id`,
			m.id, m.orgID, m.sched.ID, d, q.ID, stored, correct, onTime, db.Millis(s.clock.Now())).Scan(&id)
		if errs.Is(err, errs.NotFound) || errs.Is(err, errs.Conflict) {
			return errs.E(errs.Conflict, "learning.answer.already")
		}
		if err != nil {
			return err
		}
		return s.trail.Append(tx, audit.Event{Action: "quiz.answer", ObjectType: "quiz_answer", ObjectID: id,
			After:  map[string]any{"member_id": m.id, "day": d, "question_id": q.ID, "correct": correct, "on_time": onTime},
			Detail: "day=" + d.String() + " on_time=" + strconv.FormatBool(onTime)})
	})
	if err != nil {
		return Result{}, err
	}
	r := s.result(q, m.id, d, correct, onTime)
	r.YourAnswer = s.storedAnswerView(q, m.id, d, stored)
	return r, nil
}

// PastDay is one line of the learning column: a past day's question and whether the member answered.
type PastDay struct {
	Day      db.Date `json:"day"`
	Stem     string  `json:"stem"`
	Answered bool    `json:"answered"`
	Correct  bool    `json:"correct"`
	OnTime   bool    `json:"on_time"`
}

// Past lists the calling member's schedule's chosen days before today (the learning column), newest
// first. Answers and explanations are not in it: a day is opened (and answered, for learning) first.
func (s *Service) Past(ctx context.Context, p auth.Principal, limit int) ([]PastDay, error) {
	m, err := s.memberOf(ctx, p, auth.ReadSelf)
	if err != nil || !m.has {
		return nil, err
	}
	if limit <= 0 || limit > 90 {
		limit = 30
	}
	// Choose every day up to today first, so days nobody opened are in the column too.
	if _, err := s.dayOf(ctx, m.sched, s.today()); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT d.day, q.stem, a.id IS NOT NULL, COALESCE(a.correct, FALSE), COALESCE(a.on_time, FALSE)
		FROM quiz_days d JOIN questions q ON q.id = d.question_id
		LEFT JOIN quiz_answers a ON a.member_id = ? AND a.day = d.day
		WHERE d.schedule_id = ? AND d.day < ? ORDER BY d.day DESC LIMIT `+strconv.Itoa(limit), m.id, m.sched.ID, s.today())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PastDay
	for rows.Next() {
		var x PastDay
		if err := rows.Scan(&x.Day, &x.Stem, &x.Answered, &x.Correct, &x.OnTime); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// Record is a member's own engagement: visible to the member only, never to officers (learning issue:
// personal history and streaks stay private; no online time is measured).
type Record struct {
	Answered int `json:"answered"` // days answered on time
	Correct  int `json:"correct"`  // of those, right
	Late     int `json:"late"`     // missed days answered later, for learning
	Streak   int `json:"streak"`   // consecutive question days answered on time, up to today
	Days     int `json:"days"`     // question days since the schedule began (at most the last 62)
	Accuracy int `json:"accuracy"` // percent of on-time answers that were right
}

// MyRecord returns the calling member's own record.
func (s *Service) MyRecord(ctx context.Context, p auth.Principal) (Record, error) {
	var r Record
	m, err := s.memberOf(ctx, p, auth.ReadSelf)
	if err != nil || !m.has {
		return r, err
	}
	err = s.db.QueryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN on_time THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN on_time AND correct THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN on_time THEN 0 ELSE 1 END), 0)
		FROM quiz_answers WHERE member_id = ?`, m.id).Scan(&r.Answered, &r.Correct, &r.Late)
	if err != nil {
		return r, err
	}
	if r.Answered > 0 {
		r.Accuracy = r.Correct * 100 / r.Answered
	}
	today := s.today()
	rows, err := s.db.Query(ctx, `SELECT d.day, COALESCE(a.on_time, FALSE) FROM quiz_days d
		LEFT JOIN quiz_answers a ON a.member_id = ? AND a.day = d.day
		WHERE d.schedule_id = ? AND d.question_id <> 0 AND d.day <= ? ORDER BY d.day DESC`, m.id, m.sched.ID, today)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	counting := true
	for rows.Next() {
		var d db.Date
		var on bool
		if err := rows.Scan(&d, &on); err != nil {
			return r, err
		}
		r.Days++
		switch {
		case !counting:
		case on:
			r.Streak++
		case d.Equal(today.Time): // today is not over: not answering yet does not break the streak
		default:
			counting = false
		}
	}
	return r, rows.Err()
}
