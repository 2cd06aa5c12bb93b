// Package learning is the 每日一题 learning column (书香机关, learning issue): a question bank reviewed by a
// second officer, a schedule per organisation that picks one question a day without repeats, answers
// recorded once per member and day, and engagement figures that are policy-safe by default (no
// rankings, no points, no online time, no forced check-in — see docs/decisions/0006-daily-question.md).
package learning

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/pii"
)

// Kind is a question's form.
type Kind string

const (
	Single    Kind = "single"    // 单选题
	Multiple  Kind = "multiple"  // 多选题
	TrueFalse Kind = "truefalse" // 判断题
	Fill      Kind = "fill"      // 填空题
)

// Kinds lists the kinds in the order pages show them.
var Kinds = []Kind{Single, Multiple, TrueFalse, Fill}

func (k Kind) valid() bool {
	for _, x := range Kinds {
		if k == x {
			return true
		}
	}
	return false
}

// Choice reports whether the kind is answered by picking options.
func (k Kind) Choice() bool { return k != Fill }

// Status is where a question stands.
type Status string

const (
	Draft     Status = "draft"
	Published Status = "published"
	Retired   Status = "retired"
)

// Statuses lists the statuses in order.
var Statuses = []Status{Draft, Published, Retired}

// TrueFalseOptions are the two options of every true/false question.
var TrueFalseOptions = []string{"正确", "错误"}

// Question is a question of the bank, as officers see it (the answer included).
type Question struct {
	ID          int64    `json:"id"`
	OrgID       int64    `json:"org_id"`
	Kind        Kind     `json:"kind"`
	Stem        string   `json:"stem"`
	Options     []string `json:"options"`
	Answer      []int    `json:"answer,omitempty"`      // option indexes (0-based) for choice kinds
	AnswerText  []string `json:"answer_text,omitempty"` // accepted texts for fill-in
	Explanation string   `json:"explanation"`
	Source      string   `json:"source"`
	Tags        []string `json:"tags"`
	Difficulty  int      `json:"difficulty"`
	Status      Status   `json:"status"`
	AuthorID    int64    `json:"author_id"`
	AuthorName  string   `json:"author"`
	ReviewerID  int64    `json:"reviewer_id,omitempty"`

	orgPath string
}

// NewQuestion is what CreateQuestion needs. Answer is a JSON list of option indexes (0-based) for the
// choice kinds, or the text for fill-in (alternatives separated by "|").
type NewQuestion struct {
	OrgID       int64           `json:"org_id"` // default: the caller's organisation
	Kind        Kind            `json:"kind"`
	Stem        string          `json:"stem"`
	Options     []string        `json:"options"`
	Answer      json.RawMessage `json:"answer"`
	Explanation string          `json:"explanation"`
	Source      string          `json:"source"`
	Tags        []string        `json:"tags"`
	Difficulty  int             `json:"difficulty"`
}

// Service is the learning capability.
type Service struct {
	db    *db.DB
	auth  *auth.Service
	trail *audit.Trail
	clock clock.Clock
	shuf  []byte // key of the per-member option shuffle

	// AnswerLimit and ReadLimit are the per-account rate limits of the answer and question endpoints.
	AnswerLimit, ReadLimit *Limiter

	cache cache
}

// NewService wires the service.
func NewService(d *db.DB, a *auth.Service, t *audit.Trail, c clock.Clock) *Service {
	return &Service{db: d, auth: a, trail: t, clock: c, shuf: []byte("dangjian.learning.shuffle.v1"),
		AnswerLimit: NewLimiter(c, 5, 12*time.Second), ReadLimit: NewLimiter(c, 30, 2*time.Second)}
}

// UseShuffleKey derives the key of the per-member option order from the deployment's data key, so the
// order is stable across restarts and cannot be computed by someone who read the source.
func (s *Service) UseShuffleKey(k pii.Key) {
	if k.Valid() {
		s.shuf = []byte(k.Lookup("learning.shuffle.v1"))
	}
}

// StemKey is a stem reduced for duplicate detection: letters and digits only, full-width folded to
// half-width, lower case — "党支部 是党的基础组织。" and "党支部是党的基础组织" are the same stem.
func StemKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		r = foldWidth(r)
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// foldWidth maps full-width ASCII forms (Ａ１，) to their half-width characters.
func foldWidth(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		return r - 0xFEE0
	}
	if r == 0x3000 {
		return ' '
	}
	return r
}

// normAnswer is a fill-in text as compared: no whitespace or punctuation, folded.
func normAnswer(s string) string { return StemKey(s) }

func runes(s string) int { return utf8.RuneCountInString(s) }

// check validates a new question and returns it normalised, with the answer decoded.
func (n NewQuestion) check() (Question, errs.Fields) {
	f := errs.Fields{}
	q := Question{Kind: n.Kind, Stem: strings.TrimSpace(n.Stem), Explanation: strings.TrimSpace(n.Explanation),
		Source: strings.TrimSpace(n.Source), Difficulty: n.Difficulty}
	if !n.Kind.valid() {
		f.Add("kind", "learning.kind.invalid")
	}
	if l := runes(q.Stem); l < 4 || l > 500 {
		f.Add("stem", "learning.stem.length")
	}
	if l := runes(q.Explanation); l < 2 || l > 2000 {
		f.Add("explanation", "learning.explanation.length")
	}
	if runes(q.Source) > 200 {
		f.Add("source", "learning.source.length")
	}
	if q.Difficulty == 0 {
		q.Difficulty = 2
	}
	if q.Difficulty < 1 || q.Difficulty > 3 {
		f.Add("difficulty", "learning.difficulty.invalid")
	}
	for _, t := range n.Tags {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if runes(t) > 20 || strings.Contains(t, ",") {
			f.Add("tags", "learning.tags.invalid")
			break
		}
		q.Tags = append(q.Tags, t)
	}
	if len(q.Tags) > 10 {
		f.Add("tags", "learning.tags.invalid")
	}
	switch n.Kind {
	case Single, Multiple:
		seen := map[string]bool{}
		for _, o := range n.Options {
			o = strings.TrimSpace(o)
			if o == "" || runes(o) > 200 || seen[StemKey(o)] {
				f.Add("options", "learning.options.invalid")
				break
			}
			seen[StemKey(o)] = true
			q.Options = append(q.Options, o)
		}
		if len(q.Options) < 2 || len(q.Options) > 6 {
			f.Add("options", "learning.options.count")
		}
	case TrueFalse:
		q.Options = append([]string(nil), TrueFalseOptions...)
	}
	switch n.Kind {
	case Fill:
		var text string
		if err := json.Unmarshal(n.Answer, &text); err != nil || strings.TrimSpace(text) == "" {
			f.Add("answer", "learning.answer.fill")
			break
		}
		for _, a := range strings.FieldsFunc(text, func(r rune) bool { return r == '|' || r == '｜' }) {
			if a = strings.TrimSpace(a); a != "" {
				q.AnswerText = append(q.AnswerText, a)
			}
		}
		if len(q.AnswerText) == 0 || runes(text) > 200 {
			f.Add("answer", "learning.answer.fill")
		}
	case Single, Multiple, TrueFalse:
		var idx []int
		if err := json.Unmarshal(n.Answer, &idx); err != nil {
			f.Add("answer", "learning.answer.indexes")
			break
		}
		seen := map[int]bool{}
		for _, i := range idx {
			if i < 0 || (len(q.Options) > 0 && i >= len(q.Options)) || seen[i] {
				f.Add("answer", "learning.answer.indexes")
				break
			}
			seen[i] = true
		}
		switch {
		case n.Kind != Multiple && len(idx) != 1:
			f.Add("answer", "learning.answer.one")
		case n.Kind == Multiple && len(idx) < 2:
			f.Add("answer", "learning.answer.several")
		}
		q.Answer = sortedInts(idx)
	}
	return q, f
}

func sortedInts(in []int) []int {
	out := append([]int(nil), in...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// answerJSON is the stored form of a question's answer.
func (q Question) answerJSON() string {
	var b []byte
	if q.Kind == Fill {
		b, _ = json.Marshal(q.AnswerText)
	} else {
		b, _ = json.Marshal(q.Answer)
	}
	return string(b)
}

// CreateQuestion adds a draft question to the bank of an organisation in the caller's scope.
func (s *Service) CreateQuestion(ctx context.Context, p auth.Principal, n NewQuestion) (Question, error) {
	if n.OrgID == 0 {
		n.OrgID = p.OrgID
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: n.OrgID}); err != nil {
		return Question{}, err
	}
	q, f := n.check()
	if err := f.Err(); err != nil {
		return Question{}, err
	}
	q.OrgID = n.OrgID
	var id int64
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		id, err = s.insertQuestion(tx, p, q)
		return err
	})
	if err != nil {
		return Question{}, err
	}
	return s.GetQuestion(ctx, p, id)
}

func duplicateStem() error {
	return &errs.Error{Code: errs.Conflict, Key: "learning.stem.duplicate", Fields: map[string]string{"stem": "learning.stem.duplicate"}}
}

// insertQuestion stores a checked question as a draft and audits it; a stem already in the organisation's
// bank (after normalising) is a conflict.
func (s *Service) insertQuestion(tx *db.Tx, p auth.Principal, q Question) (int64, error) {
	key := StemKey(q.Stem)
	var n int
	if err := tx.QueryRow("SELECT COUNT(*) FROM questions WHERE org_id = ? AND stem_key = ?", q.OrgID, key).Scan(&n); err != nil {
		return 0, err
	}
	if n > 0 {
		return 0, duplicateStem()
	}
	opts, _ := json.Marshal(nonNil(q.Options))
	now := db.Millis(s.clock.Now())
	id, err := tx.Insert(`INSERT INTO questions(org_id, kind, stem, stem_key, options, answer, explanation, source, tags,
		difficulty, status, author_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		q.OrgID, string(q.Kind), q.Stem, key, string(opts), q.answerJSON(), q.Explanation, q.Source,
		strings.Join(q.Tags, ","), q.Difficulty, string(Draft), p.UserID, now, now)
	if errs.Is(err, errs.Conflict) {
		return 0, duplicateStem()
	}
	if err != nil {
		return 0, err
	}
	return id, s.trail.Append(tx, audit.Event{Action: "question.create", ObjectType: "question", ObjectID: id,
		After: map[string]any{"org_id": q.OrgID, "kind": q.Kind, "stem": q.Stem, "status": Draft}})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

const questionCols = `q.id, q.org_id, o.path, q.kind, q.stem, q.options, q.answer, q.explanation, q.source, q.tags,
	q.difficulty, q.status, q.author_id, COALESCE(u.username, ''), q.reviewer_id`

const questionFrom = ` FROM questions q JOIN orgs o ON o.id = q.org_id LEFT JOIN users u ON u.id = q.author_id`

func scanQuestion(sc interface{ Scan(...any) error }) (Question, error) {
	var q Question
	var opts, ans, tags string
	err := sc.Scan(&q.ID, &q.OrgID, &q.orgPath, &q.Kind, &q.Stem, &opts, &ans, &q.Explanation, &q.Source, &tags,
		&q.Difficulty, &q.Status, &q.AuthorID, &q.AuthorName, &q.ReviewerID)
	if err != nil {
		return q, err
	}
	_ = json.Unmarshal([]byte(opts), &q.Options)
	if q.Kind == Fill {
		_ = json.Unmarshal([]byte(ans), &q.AnswerText)
	} else {
		_ = json.Unmarshal([]byte(ans), &q.Answer)
	}
	q.Tags = []string{}
	if tags != "" {
		q.Tags = strings.Split(tags, ",")
	}
	return q, nil
}

func (s *Service) loadQuestion(ctx context.Context, id int64) (Question, error) {
	q, err := scanQuestion(s.db.QueryRow(ctx, "SELECT "+questionCols+questionFrom+" WHERE q.id = ?", id))
	if errs.Is(err, errs.NotFound) {
		return q, errs.E(errs.NotFound, "error.not_found")
	}
	return q, err
}

// GetQuestion returns a question of the caller's scope, answer included (officers only).
func (s *Service) GetQuestion(ctx context.Context, p auth.Principal, id int64) (Question, error) {
	q, err := s.loadQuestion(ctx, id)
	if err != nil {
		return q, err
	}
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: q.OrgID}); err != nil {
		return Question{}, err
	}
	return q, nil
}

// QuestionFilter selects questions of a bank.
type QuestionFilter struct {
	OrgID  int64  // the subtree; default the caller's organisation
	Status Status // "" for all
	Limit  int
}

// ListQuestions lists the questions owned by organisations in the subtree of f.OrgID, newest first.
func (s *Service) ListQuestions(ctx context.Context, p auth.Principal, f QuestionFilter) ([]Question, error) {
	if f.OrgID == 0 {
		f.OrgID = p.OrgID
	}
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: f.OrgID}); err != nil {
		return nil, err
	}
	path, err := s.auth.OrgPath(ctx, f.OrgID)
	if err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 2000 {
		f.Limit = 500
	}
	q := "SELECT " + questionCols + questionFrom + " WHERE o.path LIKE ?"
	args := []any{path + "%"}
	if f.Status != "" {
		q += " AND q.status = ?"
		args = append(args, string(f.Status))
	}
	q += " ORDER BY q.id DESC LIMIT " + strconv.Itoa(f.Limit)
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Question
	for rows.Next() {
		x, err := scanQuestion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// PublishQuestion publishes a draft after review. The reviewer must be a second officer: the author
// cannot publish their own question (四眼原则, learning issue).
func (s *Service) PublishQuestion(ctx context.Context, p auth.Principal, id int64) (Question, error) {
	return s.setStatus(ctx, p, id, Draft, Published)
}

// RetireQuestion takes a published question out of use; days already chosen keep it.
func (s *Service) RetireQuestion(ctx context.Context, p auth.Principal, id int64) (Question, error) {
	return s.setStatus(ctx, p, id, Published, Retired)
}

func (s *Service) setStatus(ctx context.Context, p auth.Principal, id int64, from, to Status) (Question, error) {
	q, err := s.GetQuestion(ctx, p, id)
	if err != nil {
		return q, err
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: q.OrgID}); err != nil {
		return Question{}, err
	}
	if to == Published && q.AuthorID == p.UserID {
		return Question{}, errs.E(errs.Forbidden, "learning.publish.own")
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		now := db.Millis(s.clock.Now())
		var n int64
		var err error
		if to == Published {
			n, err = tx.ExecN("UPDATE questions SET status = ?, reviewer_id = ?, published_at = ?, updated_at = ? WHERE id = ? AND status = ?",
				string(to), p.UserID, now, now, id, string(from))
		} else {
			n, err = tx.ExecN("UPDATE questions SET status = ?, updated_at = ? WHERE id = ? AND status = ?", string(to), now, id, string(from))
		}
		if err != nil {
			return err
		}
		if n != 1 {
			return errs.E(errs.Conflict, "learning.state."+string(to))
		}
		return s.trail.Append(tx, audit.Event{Action: "question." + map[Status]string{Published: "publish", Retired: "retire"}[to],
			ObjectType: "question", ObjectID: id, Before: map[string]any{"status": from}, After: map[string]any{"status": to}})
	})
	if err != nil {
		return Question{}, err
	}
	return s.loadQuestion(ctx, id)
}
