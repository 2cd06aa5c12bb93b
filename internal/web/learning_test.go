package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/dangjian/dangjian/internal/learning"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/xuri/excelize/v2"
)

func init() {
	authzMatrix = append(authzMatrix,
		matrixCase{name: "question list", method: "GET", scoped: true,
			want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200},
			path: func(e *env, org int64) string { return fmt.Sprintf("/api/v1/questions?org_id=%d", org) }},
		matrixCase{name: "create question", method: "POST", path: fixed("/api/v1/questions"), scoped: true,
			body: func(e *env, org int64, role auth.Role) any {
				return map[string]any{"org_id": org, "kind": "fill", "stem": fmt.Sprintf("矩阵测试题目%s%d", role, org),
					"answer": "答案", "explanation": "矩阵测试"}
			},
			want: map[auth.Role]int{auth.OrgAdmin: 201, auth.BranchOfficer: 201}},
		matrixCase{name: "quiz stats", method: "GET", scoped: true,
			want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200},
			path: func(e *env, org int64) string { return fmt.Sprintf("/api/v1/orgs/%d/quiz-stats", org) }},
		matrixCase{name: "learning org page", method: "GET", scoped: true,
			want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200},
			path: func(e *env, org int64) string { return fmt.Sprintf("/orgs/%d/learning", org) }},
		matrixCase{name: "set quiz schedule", method: "PUT", scoped: true,
			body: func(*env, int64, auth.Role) any { return map[string]any{"pool": []int{}} },
			want: map[auth.Role]int{auth.OrgAdmin: 200},
			path: func(e *env, org int64) string { return fmt.Sprintf("/api/v1/orgs/%d/quiz-schedule", org) }},
		matrixCase{name: "daily question", method: "GET", path: fixed("/api/v1/daily-question"),
			want: map[auth.Role]int{auth.Member: 200}},
		matrixCase{name: "daily question page", method: "GET", path: fixed("/learning"),
			want: map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200, auth.Member: 200}},
		matrixCase{name: "switch rankings", method: "PUT", path: fixed("/api/v1/quiz-rankings"),
			body: func(*env, int64, auth.Role) any { return map[string]any{"enabled": false} },
			want: map[auth.Role]int{auth.OrgAdmin: 200}},
	)
}

// The API contract of the learning issue, end to end through the router: create (201) and publish by
// a second officer; the member's daily question without the answer; answer once (the second is 409);
// the per-account rate limit (429).
func TestLearningAPIContract(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		officer, admin, member := e.as(auth.BranchOfficer), e.as(auth.OrgAdmin), e.as(auth.Member)
		r := officer.sendJSON("POST", "/api/v1/questions", map[string]any{"kind": "single", "stem": "（测试）党支部委员会会议一般多久召开1次？",
			"options": []string{"每周", "每月", "每季度"}, "answer": []int{1}, "explanation": "一般每月召开1次。",
			"source": "《中国共产党支部工作条例（试行）》第十二条", "tags": []string{"三会一课"}})
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var q learning.Question
		r.json(t, &q)
		if q.ID == 0 || q.Status != learning.Draft {
			t.Fatalf("created: %s", r.body)
		}
		if r := officer.do("POST", fmt.Sprintf("/api/v1/questions/%d/publish", q.ID), nil, nil); r.status != http.StatusForbidden || !strings.Contains(r.body, "另一名同志") {
			t.Fatalf("author publishes own: %d %s", r.status, r.body)
		}
		if r := admin.do("POST", fmt.Sprintf("/api/v1/questions/%d/publish", q.ID), nil, nil); r.status != http.StatusOK {
			t.Fatalf("second officer publishes: %d %s", r.status, r.body)
		}
		// Branch A gets its own schedule with only this question.
		if r := admin.sendJSON("PUT", fmt.Sprintf("/api/v1/orgs/%d/quiz-schedule", e.branchA), map[string]any{"pool": []int64{q.ID}}); r.status != 200 {
			t.Fatalf("schedule: %d %s", r.status, r.body)
		}
		r = member.get("/api/v1/daily-question")
		var d struct {
			Date     string                   `json:"date"`
			Question *learning.MemberQuestion `json:"question"`
			Answered bool                     `json:"answered"`
		}
		r.json(t, &d)
		if r.status != 200 || d.Question == nil || d.Question.ID != q.ID || d.Answered || len(d.Question.Options) != 3 ||
			d.Date != "2026-03-10" || strings.Contains(r.body, "explanation") || strings.Contains(r.body, "每月召开1次") {
			t.Fatalf("daily: %d %s", r.status, r.body)
		}
		right := ""
		for _, o := range d.Question.Options {
			if o.Text == "每月" {
				right = o.Key
			}
		}
		// An officer without a member record cannot answer (members answer for themselves only).
		if r := officer.sendJSON("POST", "/api/v1/daily-question/answer", map[string]any{"question_id": q.ID, "answer": []string{right}}); r.status != http.StatusForbidden {
			t.Fatalf("officer answers: %d %s", r.status, r.body)
		}
		r = member.sendJSON("POST", "/api/v1/daily-question/answer", map[string]any{"question_id": q.ID, "answer": []string{right}})
		var res learning.Result
		r.json(t, &res)
		if r.status != 200 || !res.Correct || res.Explanation == "" || !strings.Contains(res.Source, "第十二条") || fmt.Sprint(res.CorrectAnswer) != "["+right+"]" {
			t.Fatalf("answer: %d %s", r.status, r.body)
		}
		r = member.sendJSON("POST", "/api/v1/daily-question/answer", map[string]any{"question_id": q.ID, "answer": []string{"A"}})
		if r.status != http.StatusConflict || !strings.Contains(r.body, "已经答过") {
			t.Fatalf("second answer: %d %s", r.status, r.body)
		}
		if n := e.auditCount("quiz.answer"); n < 1 {
			t.Fatal("answer not audited")
		}
		// Now the day's question carries the result.
		if r := member.get("/api/v1/daily-question"); !strings.Contains(r.body, `"answered":true`) || !strings.Contains(r.body, "explanation") {
			t.Fatalf("after answering: %s", r.body)
		}
		// The answer limit: 5 at once (2 used above), then 429 — before any database work.
		codes := []int{}
		for i := 0; i < 4; i++ {
			codes = append(codes, member.sendJSON("POST", "/api/v1/daily-question/answer", map[string]any{"question_id": q.ID, "answer": []string{"A"}}).status)
		}
		if fmt.Sprint(codes) != "[409 409 409 429]" {
			t.Fatalf("answer limit: %v", codes)
		}
		// The read limit: a burst, then 429 with a plain message and Retry-After.
		var last resp
		for i := 0; i < 40; i++ {
			if last = member.get("/api/v1/daily-question"); last.status == http.StatusTooManyRequests {
				break
			}
		}
		if last.status != http.StatusTooManyRequests || last.header.Get("Retry-After") == "" || !strings.Contains(last.body, "操作过于频繁") {
			t.Fatalf("rate limit: %d %s", last.status, last.body)
		}
		e.clock.Advance(2 * 60e9)
		if r := member.get("/api/v1/daily-question"); r.status != 200 {
			t.Fatalf("after waiting: %d", r.status)
		}
	})
}

func questionSheet(t *testing.T, rows ...[]string) []byte {
	t.Helper()
	x := excelize.NewFile()
	defer x.Close()
	for i, r := range append([][]string{learning.SheetHeaders}, rows...) {
		vals := make([]any, len(r))
		for j, v := range r {
			vals[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow("Sheet1", cell, &vals); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Import is all or nothing unless skip is chosen; row errors are in Chinese with the row and column;
// duplicate stems are found within the sheet and against the bank (spaces and punctuation aside).
func TestQuestionImportRowErrorsAndDuplicates(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		officer := e.as(auth.BranchOfficer)
		count := func() (n int) {
			_ = e.db.QueryRow(t.Context(), "SELECT COUNT(*) FROM questions WHERE org_id = ?", e.branchA).Scan(&n)
			return n
		}
		sheet := questionSheet(t,
			[]string{"单选", "（导入）党员大会一般多久召开1次？", "每月", "每季度", "每年", "", "", "", "B", "一般每季度召开1次。", "第十一条", "三会一课", "易"},
			[]string{"多选", "", "甲", "乙", "", "", "", "", "AB", "解析", "", "", "中"},
			[]string{"判断", "（导入）党员大会 一般多久召开1次", "", "", "", "", "", "", "正确", "重复的题干", "", "", ""},
			[]string{"填空", "（导入）党小组会一般每____召开1次。", "", "", "", "", "", "", "月", "一般每月召开1次。", "第十三条", "", "难"},
		)
		before := count()
		r := officer.upload("/api/v1/questions/import", sheet, nil)
		var res learning.ImportResult
		r.json(t, &res)
		if r.status != http.StatusUnprocessableEntity || res.Imported != 0 || count() != before {
			t.Fatalf("all or nothing: %d %s", r.status, r.body)
		}
		msgs := fmt.Sprint(res.Errors)
		if !strings.Contains(msgs, "第3行 题干：题干应为 4 至 500 字") || !strings.Contains(msgs, "第4行 题干：与第2行题干重复") {
			t.Fatalf("row errors: %s", msgs)
		}
		r = officer.upload("/api/v1/questions/import", sheet, map[string]string{"skip_invalid": "1"})
		r.json(t, &res)
		if r.status != 200 || res.Imported != 2 || count() != before+2 {
			t.Fatalf("skip invalid: %d %s", r.status, r.body)
		}
		// Again: both are now in the bank.
		r = officer.upload("/api/v1/questions/import", sheet, map[string]string{"skip_invalid": "1"})
		r.json(t, &res)
		if res.Imported != 0 || !strings.Contains(fmt.Sprint(res.Errors), "题库中已有相同题干") {
			t.Fatalf("duplicates against the bank: %s", r.body)
		}
		if r := officer.get("/api/v1/questions/template"); r.status != 200 || r.header.Get("Content-Type") != xlsxType {
			t.Fatalf("template: %d", r.status)
		}
		r = officer.get(fmt.Sprintf("/api/v1/questions/export?org_id=%d", e.branchA))
		x, err := excelize.OpenReader(strings.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows(x.GetSheetList()[0])
		if len(rows) != before+3 || rows[0][1] != "题干" {
			t.Fatalf("export: %d rows", len(rows))
		}
		if e.auditCount("question.export") != 1 || e.auditCount("question.import") != 2 {
			t.Fatal("import/export not audited")
		}
	})
}

// The pages: the member answers on the phone page without JavaScript and sees the explanation at once;
// a second post shows the result again, not a second answer; the officer's page has the chart.
func TestLearningPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		member := e.as(auth.Member)
		r := member.get("/learning")
		if r.status != 200 || !strings.Contains(r.body, `name="question_id"`) {
			t.Fatalf("today: %d", r.status)
		}
		qid := between(r.body, `name="question_id" value="`, `"`)
		r = member.postForm("/learning/answer", map[string][]string{"question_id": {qid}, "key": {"A"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("answer: %d %s", r.status, r.body)
		}
		r = member.get("/learning")
		if !strings.Contains(r.body, `data-testid="explanation"`) || strings.Contains(r.body, `name="question_id"`) {
			t.Fatalf("result page: %s", r.body)
		}
		r = member.postForm("/learning/answer", map[string][]string{"question_id": {qid}, "key": {"B"}})
		if r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "again=1") {
			t.Fatalf("second post: %d %s", r.status, r.header.Get("Location"))
		}
		var n int
		_ = e.db.QueryRow(t.Context(), "SELECT COUNT(*) FROM quiz_answers WHERE day = '2026-03-10'").Scan(&n)
		if n != 1 {
			t.Fatalf("answers today: %d", n)
		}
		if r := member.get("/learning/mine"); r.status != 200 {
			t.Fatalf("mine: %d", r.status)
		}
		officer := e.as(auth.BranchOfficer)
		if r := officer.get(fmt.Sprintf("/orgs/%d/learning", e.branchA)); r.status != 200 || !strings.Contains(r.body, `data-testid="participation-chart"`) {
			t.Fatalf("officer page: %d", r.status)
		}
		if r := officer.get("/learning/questions"); r.status != 200 {
			t.Fatalf("bank page: %d", r.status)
		}
	})
}

func between(s, a, b string) string {
	i := strings.Index(s, a)
	if i < 0 {
		return ""
	}
	s = s[i+len(a):]
	if j := strings.Index(s, b); j >= 0 {
		return s[:j]
	}
	return s
}
