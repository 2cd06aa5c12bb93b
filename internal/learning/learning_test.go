package learning_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/demo"
	"github.com/dangjian/dangjian/internal/learning"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/pii"
	"github.com/dangjian/dangjian/internal/wire"
)

// fixture is the demo city (2 committees, 6 branches, 30 members) on a real database with a fake clock,
// and the principals of the demo logins.
type fixture struct {
	t      *testing.T
	ctx    context.Context
	db     *db.DB
	clock  *clock.Fake
	p      *wire.Platform
	l      *learning.Service
	admin  auth.Principal // the 工委's org admin (root)
	off    auth.Principal // branch officer of branch A
	member auth.Principal // a member of branch A
	branch int64
}

var t0 = time.Date(2026, 3, 10, 9, 0, 0, 0, clock.Shanghai)

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	key, _ := audit.GenerateKey()
	dk, _ := pii.GenerateKey()
	clk := clock.NewFake(t0)
	p := wire.New(d, key, dk, clk)
	ctx := audit.WithActor(context.Background(), audit.Actor{Username: "test"})
	res, err := demo.Load(ctx, p, demo.Size{Committees: 2, Branches: 6, Members: 30}, 7, clock.Today(clk))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: ctx, db: d, clock: clk, p: p, l: p.Learning}
	for _, lg := range res.Logins {
		_, pr, err := p.Auth.Login(ctx, lg.Username, lg.Password)
		if err != nil {
			t.Fatal(err)
		}
		switch lg.Role {
		case auth.OrgAdmin:
			f.admin = pr
		case auth.BranchOfficer:
			f.off = pr
		case auth.Member:
			f.member = pr
		}
	}
	f.branch = f.off.OrgID
	return f
}

// question adds and publishes (by the other officer) a single-choice question in org, returning its id.
func (f *fixture) question(org int64, stem string, right int) int64 {
	f.t.Helper()
	q, err := f.l.CreateQuestion(f.ctx, f.admin, learning.NewQuestion{OrgID: org, Kind: learning.Single, Stem: stem,
		Options: []string{"甲", "乙", "丙", "丁"}, Answer: json.RawMessage(fmt.Sprintf("[%d]", right)), Explanation: "解析" + stem,
		Source: "《中国共产党支部工作条例（试行）》第十一条"})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.l.PublishQuestion(f.ctx, f.off, q.ID); err != nil {
		f.t.Fatal(err)
	}
	return q.ID
}

// branchSchedule gives branch A its own schedule (nearer than the demo's one at the 工委) with n questions.
func (f *fixture) branchSchedule(n int, skipWeekends bool) []int64 {
	f.t.Helper()
	var pool []int64
	for i := 0; i < n; i++ {
		pool = append(pool, f.question(f.branch, fmt.Sprintf("测试题目第%d题：党员大会多久开一次？", i+1), i%4))
	}
	if _, err := f.l.SetSchedule(f.ctx, f.admin, f.branch, learning.ScheduleInput{StartsOn: clock.Today(f.clock).Format(time.DateOnly),
		SkipWeekends: skipWeekends, Pool: pool}); err != nil {
		f.t.Fatal(err)
	}
	return pool
}

func each(t *testing.T, fn func(t *testing.T, f *fixture)) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) { fn(t, newFixture(t, d)) })
}

func keyFor(q *learning.MemberQuestion, text string) string {
	for _, o := range q.Options {
		if o.Text == text {
			return o.Key
		}
	}
	return ""
}

// The day changes at midnight Beijing time: 23:59:59 is still the old day's question (and answer),
// 00:00:00 is a new day with a new question and nothing answered.
func TestDailyQuestionDayBoundaryShanghai(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		f.branchSchedule(3, false)
		f.clock.Set(time.Date(2026, 3, 10, 23, 59, 59, 0, clock.Shanghai))
		before, err := f.l.Daily(f.ctx, f.member, "")
		if err != nil {
			t.Fatal(err)
		}
		if before.Date.String() != "2026-03-10" || before.Question == nil || before.Answered {
			t.Fatalf("23:59:59: %+v", before)
		}
		ans, _ := json.Marshal([]string{"A"})
		if _, err := f.l.Answer(f.ctx, f.member, learning.AnswerInput{QuestionID: before.Question.ID, Answer: ans}); err != nil {
			t.Fatal(err)
		}
		f.clock.Set(time.Date(2026, 3, 11, 0, 0, 0, 0, clock.Shanghai)) // = 2026-03-10 16:00 UTC
		after, err := f.l.Daily(f.ctx, f.member, "")
		if err != nil {
			t.Fatal(err)
		}
		if after.Date.String() != "2026-03-11" || after.Answered || after.Question == nil || after.Question.ID == before.Question.ID {
			t.Fatalf("00:00:00: %+v (before %d)", after, before.Question.ID)
		}
		// An answer sent for the old question after midnight is refused as stale, not recorded as today's.
		_, err = f.l.Answer(f.ctx, f.member, learning.AnswerInput{QuestionID: before.Question.ID, Answer: ans})
		if !errs.Is(err, errs.Unprocessable) {
			t.Fatalf("stale answer after midnight: %v", err)
		}
		// Yesterday stays answered, on time.
		y, err := f.l.Daily(f.ctx, f.member, "2026-03-10")
		if err != nil || !y.Answered || !y.Result.OnTime {
			t.Fatalf("yesterday: %+v %v", y, err)
		}
	})
}

// No question repeats until the pool is used up; a pinned date gets its pin; weekends off when asked;
// the choice is stored, so another service instance (a restart) sees the same days.
func TestDailyQuestionNoRepeatsUntilPoolExhausted(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		pool := f.branchSchedule(5, false)
		pin := f.question(f.branch, "测试题目：钉在第十三天的题目？", 0)
		pinDay := clock.Today(f.clock).AddDate(0, 0, 12).Format(time.DateOnly)
		if _, err := f.l.SetCalendarDay(f.ctx, f.admin, f.branch, pinDay, learning.CalendarInput{Kind: "pin", QuestionID: pin}); err != nil {
			t.Fatal(err)
		}
		holiday := clock.Today(f.clock).AddDate(0, 0, 13).Format(time.DateOnly)
		if _, err := f.l.SetCalendarDay(f.ctx, f.admin, f.branch, holiday, learning.CalendarInput{Kind: "holiday"}); err != nil {
			t.Fatal(err)
		}
		var seq []int64
		for i := 0; i < 16; i++ {
			d, err := f.l.Daily(f.ctx, f.member, "")
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case d.Date.String() == pinDay:
				if d.Question == nil || d.Question.ID != pin {
					t.Fatalf("pinned day %s: %+v", pinDay, d.Question)
				}
			case d.Date.String() == holiday:
				if d.Question != nil {
					t.Fatalf("holiday %s has a question", holiday)
				}
			default:
				if d.Question == nil {
					t.Fatalf("day %d has no question", i)
				}
				seq = append(seq, d.Question.ID)
			}
			f.clock.Advance(24 * time.Hour)
		}
		// Every run of len(pool) consecutive drawn days uses each pool question exactly once.
		for start := 0; start+len(pool) <= len(seq); start += len(pool) {
			seen := map[int64]int{}
			for _, id := range seq[start : start+len(pool)] {
				seen[id]++
			}
			for _, id := range pool {
				if seen[id] != 1 {
					t.Fatalf("pass starting at %d: %v (pool %v, sequence %v)", start, seen, pool, seq)
				}
			}
		}
		// A restarted service (a new instance on the same database) sees the same stored days.
		key, _ := audit.GenerateKey()
		dk, _ := pii.GenerateKey()
		again := wire.New(f.db, key, dk, f.clock).Learning
		for i := 0; i < 16; i++ {
			day := clock.Today(f.clock).AddDate(0, 0, -16+i).Format(time.DateOnly)
			a, _ := f.l.Daily(f.ctx, f.member, day)
			b, err := again.Daily(f.ctx, f.member, day)
			if err != nil || (a.Question == nil) != (b.Question == nil) || (a.Question != nil && a.Question.ID != b.Question.ID) {
				t.Fatalf("day %s differs after restart: %+v vs %+v (%v)", day, a.Question, b.Question, err)
			}
		}
	})
}

// Weekends off: Saturday and Sunday have no question when the schedule says so.
func TestDailyQuestionSkipWeekends(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		f.branchSchedule(3, true)
		f.clock.Set(time.Date(2026, 3, 14, 10, 0, 0, 0, clock.Shanghai)) // a Saturday
		d, err := f.l.Daily(f.ctx, f.member, "")
		if err != nil || d.Question != nil {
			t.Fatalf("Saturday: %+v %v", d, err)
		}
		f.clock.Set(time.Date(2026, 3, 16, 10, 0, 0, 0, clock.Shanghai)) // Monday
		if d, err := f.l.Daily(f.ctx, f.member, ""); err != nil || d.Question == nil {
			t.Fatalf("Monday: %+v %v", d, err)
		}
	})
}

// The options are shuffled per member and day: the same member sees the same order all day, members
// see different orders, and grading follows each member's own keys.
func TestOptionShuffleStablePerMemberPerDay(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		f.branchSchedule(1, false)
		first, err := f.l.Daily(f.ctx, f.member, "")
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			f.clock.Advance(time.Hour)
			again, _ := f.l.Daily(f.ctx, f.member, "")
			if fmt.Sprint(again.Question.Options) != fmt.Sprint(first.Question.Options) {
				t.Fatalf("order changed within the day: %v vs %v", first.Question.Options, again.Question.Options)
			}
		}
		// Other members of the branch (accounts made for them): at least one order differs.
		rows, err := f.db.Query(f.ctx, "SELECT id FROM members WHERE org_id = ? AND id <> ? ORDER BY id", f.branch, f.member.MemberID)
		if err != nil {
			t.Fatal(err)
		}
		var others []int64
		for rows.Next() {
			var id int64
			_ = rows.Scan(&id)
			others = append(others, id)
		}
		rows.Close()
		if len(others) == 0 {
			t.Skip("branch A has a single member in this demo seed")
		}
		differs := false
		q, _ := f.l.GetQuestion(f.ctx, f.admin, first.Question.ID)
		for i, id := range others {
			name := fmt.Sprintf("shuffle_m%d", i)
			if _, err := f.p.Auth.CreateUser(f.ctx, auth.NewUser{Username: name, Password: "Shuffle-member-2026", Role: auth.Member, OrgID: f.branch, MemberID: id}); err != nil {
				t.Fatal(err)
			}
			_, pm, err := f.p.Auth.Login(f.ctx, name, "Shuffle-member-2026")
			if err != nil {
				t.Fatal(err)
			}
			d, err := f.l.Daily(f.ctx, pm, "")
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(d.Question.Options) != fmt.Sprint(first.Question.Options) {
				differs = true
			}
			// Grading uses the member's own keys: the key of the right text is right.
			k := keyFor(d.Question, q.Options[q.Answer[0]])
			ans, _ := json.Marshal([]string{k})
			res, err := f.l.Answer(f.ctx, pm, learning.AnswerInput{QuestionID: d.Question.ID, Answer: ans})
			if err != nil || !res.Correct || fmt.Sprint(res.CorrectAnswer) != fmt.Sprint([]string{k}) {
				t.Fatalf("member %d answered %s: %+v %v", id, k, res, err)
			}
		}
		if !differs && len(others) >= 3 {
			t.Fatalf("every member sees the same order %v", first.Question.Options)
		}
	})
}

// A double submit — many at the same instant — records exactly one answer; the rest are 409.
func TestDoubleSubmitUnderConcurrencyRecordsOneAnswer(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		f.branchSchedule(2, false)
		d, err := f.l.Daily(f.ctx, f.member, "")
		if err != nil {
			t.Fatal(err)
		}
		ans, _ := json.Marshal([]string{"B"})
		const n = 16
		var wg sync.WaitGroup
		results := make(chan error, n)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := f.l.Answer(f.ctx, f.member, learning.AnswerInput{QuestionID: d.Question.ID, Answer: ans})
				results <- err
			}()
		}
		close(start)
		wg.Wait()
		close(results)
		ok, conflict := 0, 0
		for err := range results {
			switch {
			case err == nil:
				ok++
			case errs.Is(err, errs.Conflict):
				conflict++
			default:
				t.Errorf("unexpected: %v", err)
			}
		}
		var rows int
		if err := f.db.QueryRow(f.ctx, "SELECT COUNT(*) FROM quiz_answers WHERE member_id = ? AND day = ?", f.member.MemberID, db.DateOf(clock.Today(f.clock))).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if ok != 1 || conflict != n-1 || rows != 1 {
			t.Fatalf("ok=%d conflict=%d rows=%d", ok, conflict, rows)
		}
	})
}

// Answers and explanations are only sent after answering; a missed day may be answered later, for
// learning, recorded as not on time and not counted in the branch figures.
func TestAnswerRevealsOnlyAfterAnsweringAndLateAnswers(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		f.branchSchedule(3, false)
		d, _ := f.l.Daily(f.ctx, f.member, "")
		if d.Result != nil {
			t.Fatal("result sent before answering")
		}
		raw, _ := json.Marshal(d)
		q, _ := f.l.GetQuestion(f.ctx, f.admin, d.Question.ID)
		if strings.Contains(string(raw), q.Explanation) {
			t.Fatal("explanation in the unanswered question")
		}
		f.clock.Advance(48 * time.Hour)
		past, err := f.l.Past(f.ctx, f.member, 10)
		if err != nil || len(past) != 2 {
			t.Fatalf("past: %+v %v", past, err)
		}
		day := past[1].Day.String()
		old, _ := f.l.Daily(f.ctx, f.member, day)
		answers := func() int {
			st, err := f.l.BranchStats(f.ctx, f.off, f.branch, "", "")
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range st.Branches {
				if b.OrgID == f.branch {
					return b.Answers
				}
			}
			return -1
		}
		before := answers()
		ans, _ := json.Marshal([]string{"A"})
		res, err := f.l.Answer(f.ctx, f.member, learning.AnswerInput{QuestionID: old.Question.ID, Answer: ans, Day: day})
		if err != nil || res.OnTime || res.Explanation == "" {
			t.Fatalf("late answer: %+v %v", res, err)
		}
		if after := answers(); after != before {
			t.Fatalf("late answer counted: %d → %d", before, after)
		}
		rec, err := f.l.MyRecord(f.ctx, f.member)
		if err != nil || rec.Late != 1 {
			t.Fatalf("record: %+v %v", rec, err)
		}
	})
}

// Review by a second officer: the author cannot publish their own question; a duplicate stem (spaces
// and punctuation aside) is refused; a branch officer manages questions of their own branch only.
func TestQuestionReviewDuplicatesAndScope(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		q, err := f.l.CreateQuestion(f.ctx, f.off, learning.NewQuestion{Kind: learning.TrueFalse, Stem: "党小组会一般每月召开1次。",
			Answer: json.RawMessage("[0]"), Explanation: "支部工作条例第十三条。"})
		if err != nil {
			t.Fatal(err)
		}
		if q.OrgID != f.branch || q.Status != learning.Draft {
			t.Fatalf("created: %+v", q)
		}
		if _, err := f.l.PublishQuestion(f.ctx, f.off, q.ID); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("author published own question: %v", err)
		}
		if _, err := f.l.PublishQuestion(f.ctx, f.admin, q.ID); err != nil {
			t.Fatalf("second officer: %v", err)
		}
		if _, err := f.l.PublishQuestion(f.ctx, f.admin, q.ID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("publish twice: %v", err)
		}
		_, err = f.l.CreateQuestion(f.ctx, f.off, learning.NewQuestion{Kind: learning.TrueFalse, Stem: " 党小组会 一般每月召开1次 ！",
			Answer: json.RawMessage("[1]"), Explanation: "重复"})
		if !errs.Is(err, errs.Conflict) {
			t.Fatalf("duplicate stem: %v", err)
		}
		// The officer of branch A cannot write into the 工委's bank or read a question outside the branch.
		if _, err := f.l.CreateQuestion(f.ctx, f.off, learning.NewQuestion{OrgID: f.admin.OrgID, Kind: learning.Fill, Stem: "越权录入的题目",
			Answer: json.RawMessage(`"x"`), Explanation: "越权"}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("officer wrote the 工委's bank: %v", err)
		}
		root, _ := f.l.ListQuestions(f.ctx, f.admin, learning.QuestionFilter{Status: learning.Draft})
		for _, x := range root {
			if x.OrgID == f.admin.OrgID {
				if _, err := f.l.GetQuestion(f.ctx, f.off, x.ID); !errs.Is(err, errs.Forbidden) {
					t.Fatalf("officer read the 工委's question: %v", err)
				}
				if _, err := f.l.PublishQuestion(f.ctx, f.off, x.ID); !errs.Is(err, errs.Forbidden) {
					t.Fatalf("officer published the 工委's question: %v", err)
				}
			}
		}
		// Members neither author nor set schedules; officers without ManageOrgs set no schedule.
		if _, err := f.l.CreateQuestion(f.ctx, f.member, learning.NewQuestion{Kind: learning.Fill, Stem: "党员录入的题目", Answer: json.RawMessage(`"x"`), Explanation: "不行"}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("member authored: %v", err)
		}
		if _, err := f.l.SetSchedule(f.ctx, f.off, f.branch, learning.ScheduleInput{}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("branch officer set a schedule: %v", err)
		}
		// Validation is per field.
		_, err = f.l.CreateQuestion(f.ctx, f.off, learning.NewQuestion{Kind: learning.Multiple, Stem: "多选", Options: []string{"甲", "甲"}, Answer: json.RawMessage("[0]")})
		e, _ := errs.As(err)
		if e == nil || e.Fields["stem"] == "" || e.Fields["options"] == "" || e.Fields["answer"] == "" || e.Fields["explanation"] == "" {
			t.Fatalf("validation: %v", err)
		}
	})
}

// Rankings are off by default; only the 工委 switches them on, with a note; members' records are theirs.
func TestRankingsOffByDefaultAndSwitchedByWorkCommitteeOnly(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		rk, err := f.l.Rankings(f.ctx)
		if err != nil || rk.Enabled {
			t.Fatalf("default: %+v %v", rk, err)
		}
		st, _ := f.l.BranchStats(f.ctx, f.admin, f.admin.OrgID, "", "")
		if st.Ranking != nil {
			t.Fatal("ranking shown while off")
		}
		if _, err := f.l.SetRankings(f.ctx, f.off, learning.RankingSetting{Enabled: true, Note: "支部书记想看排名，已报批"}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("branch officer switched rankings: %v", err)
		}
		if _, err := f.l.SetRankings(f.ctx, f.admin, learning.RankingSetting{Enabled: true}); !errs.Is(err, errs.Unprocessable) {
			t.Fatalf("switched on without a note: %v", err)
		}
		if _, err := f.l.SetRankings(f.ctx, f.admin, learning.RankingSetting{Enabled: true, Note: "经工委会议研究，本季度知识竞赛期间开启。"}); err != nil {
			t.Fatal(err)
		}
		st, _ = f.l.BranchStats(f.ctx, f.admin, f.admin.OrgID, "2026-02-20", "2026-03-10")
		if len(st.Ranking) == 0 {
			t.Fatal("no ranking while on (the demo has answers)")
		}
		// An officer has no member record of their own: MyRecord refuses.
		if _, err := f.l.MyRecord(f.ctx, f.off); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("officer without member record: %v", err)
		}
	})
}
