package learning

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/xlsxin"
	"github.com/xuri/excelize/v2"
)

// Limits of a question import: a bank of 5,000 questions is already years of 每日一题.
const (
	ImportMaxRows  = 5000
	ImportMaxBytes = 10 << 20
	importUnzipped = 100 << 20
)

// SheetHeaders are the columns of the template, export and import, in order.
var SheetHeaders = []string{"题型", "题干", "选项A", "选项B", "选项C", "选项D", "选项E", "选项F", "答案", "解析", "出处", "标签", "难度"}

var kindLabel = map[Kind]string{Single: "单选", Multiple: "多选", TrueFalse: "判断", Fill: "填空"}
var difficultyLabel = map[int]string{1: "易", 2: "中", 3: "难"}

// RowError is one problem of one row of an import sheet (Row 1 is the header). Key is a message key the
// web layer renders in the user's language with Row and Column.
type RowError struct {
	Row     int            `json:"row"`
	Column  string         `json:"column"`
	Key     string         `json:"-"`
	Args    map[string]any `json:"-"`
	Message string         `json:"message"`
}

// ImportResult is what an import found and did.
type ImportResult struct {
	Rows     int        `json:"rows"`
	Imported int        `json:"imported"`
	Errors   []RowError `json:"errors"`
}

var errRollback = errors.New("learning import: roll back")

func sheetErr(key string) error {
	return &errs.Error{Code: errs.Unprocessable, Key: key, Fields: map[string]string{"file": key}}
}

// SafeCell keeps a text cell from being read as a formula (CWE-1236).
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Template writes the import template: the header row and two example rows.
func Template(w io.Writer) error {
	rows := [][]string{
		{"单选", "（示例）党支部党员大会一般每季度召开几次？", "1次", "2次", "3次", "", "", "", "A", "党员大会一般每季度召开1次。",
			"《中国共产党支部工作条例（试行）》第十五条", "组织生活,支部工作条例", "易"},
		{"判断", "（示例）党小组会一般每月召开1次。", "", "", "", "", "", "", "正确", "党小组会一般每月召开1次。",
			"《中国共产党支部工作条例（试行）》第十五条", "组织生活", "中"},
	}
	return writeSheet(w, "题库导入模板", rows)
}

func writeSheet(w io.Writer, name string, rows [][]string) error {
	x := excelize.NewFile()
	defer x.Close()
	_ = x.SetSheetName("Sheet1", name)
	sw, err := x.NewStreamWriter(name)
	if err != nil {
		return err
	}
	all := append([][]string{SheetHeaders}, rows...)
	for i, r := range all {
		cells := make([]any, len(r))
		for j, c := range r {
			cells[j] = SafeCell(c)
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return x.Write(w)
}

// Export writes the questions of an organisation's subtree as a sheet in the template's columns (so an
// export can be edited and imported elsewhere). Audited.
func (s *Service) Export(ctx context.Context, p auth.Principal, orgID int64, w io.Writer) error {
	qs, err := s.ListQuestions(ctx, p, QuestionFilter{OrgID: orgID, Limit: 2000})
	if err != nil {
		return err
	}
	if err := s.db.Write(ctx, func(tx *db.Tx) error {
		return s.trail.Append(tx, audit.Event{Action: "question.export", ObjectType: "org", ObjectID: orgID, Detail: "rows=" + strconv.Itoa(len(qs))})
	}); err != nil {
		return err
	}
	var rows [][]string
	for _, q := range qs {
		r := make([]string, len(SheetHeaders))
		r[0], r[1] = kindLabel[q.Kind], q.Stem
		if q.Kind == Single || q.Kind == Multiple {
			for i, o := range q.Options {
				r[2+i] = o
			}
		}
		switch q.Kind {
		case Fill:
			r[8] = strings.Join(q.AnswerText, "|")
		case TrueFalse:
			r[8] = TrueFalseOptions[q.Answer[0]]
		default:
			for _, i := range q.Answer {
				r[8] += key(i)
			}
		}
		r[9], r[10], r[11], r[12] = q.Explanation, q.Source, strings.Join(q.Tags, ","), difficultyLabel[q.Difficulty]
		rows = append(rows, r)
	}
	return writeSheet(w, "题库", rows)
}

// Import reads a sheet in the template's columns and adds its questions as drafts to the bank of orgID,
// in one transaction: all or nothing, unless skip, which keeps the valid rows. Duplicate stems (after
// normalising) are row errors, against the bank and within the sheet.
func (s *Service) Import(ctx context.Context, p auth.Principal, orgID int64, data []byte, skip bool) (ImportResult, error) {
	var res ImportResult
	if orgID == 0 {
		orgID = p.OrgID
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: orgID}); err != nil {
		return res, err
	}
	rows, err := readSheet(data)
	if err != nil {
		return res, err
	}
	res.Rows = len(rows)
	type parsed struct {
		line int
		q    Question
	}
	var good []parsed
	seen := map[string]int{}
	for _, r := range rows {
		q, rerrs := parseRow(r)
		if len(rerrs) == 0 {
			k := StemKey(q.Stem)
			if first, ok := seen[k]; ok {
				rerrs = append(rerrs, RowError{Row: r.Line, Column: "题干", Key: "learning.import.dup_in_file", Args: map[string]any{"First": first}})
			} else {
				seen[k] = r.Line
			}
		}
		res.Errors = append(res.Errors, rerrs...)
		if len(rerrs) == 0 {
			q.OrgID = orgID
			good = append(good, parsed{r.Line, q})
		}
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		imported := 0
		for _, g := range good {
			if _, err := s.insertQuestion(tx, p, g.q); err != nil {
				if e, ok := errs.As(err); ok && e.Key == "learning.stem.duplicate" {
					res.Errors = append(res.Errors, RowError{Row: g.line, Column: "题干", Key: "learning.import.dup_in_bank"})
					continue
				}
				return err
			}
			imported++
		}
		if len(res.Errors) > 0 && !skip {
			return errRollback
		}
		res.Imported = imported
		return s.trail.Append(tx, audit.Event{Action: "question.import", ObjectType: "org", ObjectID: orgID,
			Detail: "rows=" + strconv.Itoa(res.Rows) + " imported=" + strconv.Itoa(imported)})
	})
	if errors.Is(err, errRollback) {
		err = nil
	}
	sortRowErrors(res.Errors)
	return res, err
}

func sortRowErrors(e []RowError) {
	for i := 1; i < len(e); i++ {
		for j := i; j > 0 && e[j].Row < e[j-1].Row; j-- {
			e[j], e[j-1] = e[j-1], e[j]
		}
	}
}

type sheetRow = xlsxin.Row

// sheetKeys are this import's messages for a refused file.
var sheetKeys = map[error]string{xlsxin.ErrEmpty: "learning.import.empty", xlsxin.ErrTooLarge: "learning.import.too_large",
	xlsxin.ErrUnzippedTooLarge: "learning.import.too_large", xlsxin.ErrNotXLSX: "learning.import.not_xlsx",
	xlsxin.ErrNoHeader: "learning.import.no_header", xlsxin.ErrTooManyRows: "learning.import.too_many_rows",
	xlsxin.ErrNoRows: "learning.import.no_rows"}

// readSheet reads the first sheet safely (xlsxin, which also refuses a zip bomb): the header row, then at
// most ImportMaxRows rows, their cells by header.
func readSheet(data []byte) ([]sheetRow, error) {
	rows, err := xlsxin.Read(data, xlsxin.Limits{MaxFileBytes: ImportMaxBytes, MaxUnzipped: importUnzipped, MaxRows: ImportMaxRows}, sheetHeader)
	if key, ok := sheetKeys[err]; ok {
		return nil, sheetErr(key)
	}
	return rows, err
}

// sheetHeader maps the header row to the template's headers (a leading * is allowed); nil unless at least
// four of them are there.
func sheetHeader(cells []string) map[int]string {
	cols := map[int]string{}
	for i, c := range cells {
		h := strings.TrimLeft(strings.TrimSpace(c), "*＊")
		for _, want := range SheetHeaders {
			if h == want {
				cols[i] = want
			}
		}
	}
	if len(cols) < 4 {
		return nil
	}
	return cols
}

// columnOf maps a field of NewQuestion to the sheet's column.
var columnOf = map[string]string{"kind": "题型", "stem": "题干", "options": "选项A", "answer": "答案",
	"explanation": "解析", "source": "出处", "tags": "标签", "difficulty": "难度"}

// parseRow turns one row into a checked question, or the row's errors (message keys of the same
// validation as the API, so the sheet and the form say the same thing).
func parseRow(r sheetRow) (Question, []RowError) {
	c := r.Values
	n := NewQuestion{Stem: c["题干"], Explanation: c["解析"], Source: c["出处"]}
	var out []RowError
	for k, label := range kindLabel {
		if c["题型"] == label || c["题型"] == label+"题" || c["题型"] == string(k) {
			n.Kind = k
		}
	}
	for _, col := range []string{"选项A", "选项B", "选项C", "选项D", "选项E", "选项F"} {
		if v := c[col]; v != "" {
			n.Options = append(n.Options, v)
		}
	}
	ans := strings.TrimSpace(c["答案"])
	switch n.Kind {
	case Fill:
		n.Answer, _ = json.Marshal(ans)
	case TrueFalse:
		switch ans {
		case "正确", "对", "√", "是", "A", "a", "true":
			n.Answer = json.RawMessage("[0]")
		case "错误", "错", "×", "否", "B", "b", "false":
			n.Answer = json.RawMessage("[1]")
		default:
			n.Answer = json.RawMessage("null")
		}
	default:
		var idx []int
		for _, ch := range strings.ToUpper(ans) {
			switch {
			case ch >= 'A' && ch <= 'F':
				idx = append(idx, int(ch-'A'))
			case strings.ContainsRune(" ,，、;；", ch):
			default:
				idx = append(idx, -1)
			}
		}
		n.Answer, _ = json.Marshal(idx)
	}
	for _, t := range strings.FieldsFunc(c["标签"], func(r rune) bool { return strings.ContainsRune(",，、;；", r) }) {
		n.Tags = append(n.Tags, strings.TrimSpace(t))
	}
	switch d := c["难度"]; d {
	case "", "中", "2":
		n.Difficulty = 2
	case "易", "1":
		n.Difficulty = 1
	case "难", "3":
		n.Difficulty = 3
	default:
		n.Difficulty = -1
	}
	q, f := n.check()
	for field, k := range f {
		out = append(out, RowError{Row: r.Line, Column: columnOf[field], Key: k})
	}
	// Stable order of a row's errors: by column position.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && colPos(out[j].Column) < colPos(out[j-1].Column); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return q, out
}

func colPos(h string) int {
	for i, x := range SheetHeaders {
		if x == h {
			return i
		}
	}
	return len(SheetHeaders)
}
