package rectify

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
)

// StatLine is one organisation's or category's figures in the ledger's statistics.
type StatLine struct {
	Key         string  `json:"key"` // organisation name or category
	Total       int     `json:"total"`
	Closed      int     `json:"closed"`
	ClosureRate float64 `json:"closure_rate"`      // percent, one decimal
	AvgDays     float64 `json:"avg_days_to_close"` // created → closed, one decimal; 0 with nothing closed
	Overdue     int     `json:"overdue"`
}

// Stats are the ledger's statistics for a filter: by responsible organisation and by category.
type Stats struct {
	All        StatLine   `json:"all"`
	ByOrg      []StatLine `json:"by_org"`
	ByCategory []StatLine `json:"by_category"`
}

type acc struct {
	line StatLine
	days int
}

func (a *acc) add(it Item) {
	a.line.Total++
	if it.Status == Closed {
		a.line.Closed++
		a.days += int(it.ClosedOn.Sub(it.CreatedOn.Time).Hours() / 24)
	}
	if it.Overdue {
		a.line.Overdue++
	}
}

func (a *acc) done() StatLine {
	l := a.line
	if l.Total > 0 {
		l.ClosureRate = math.Round(float64(l.Closed)*1000/float64(l.Total)) / 10
	}
	if l.Closed > 0 {
		l.AvgDays = math.Round(float64(a.days)*10/float64(l.Closed)) / 10
	}
	return l
}

func bucket(m map[string]*acc, k string) *acc {
	if m[k] == nil {
		m[k] = &acc{line: StatLine{Key: k}}
	}
	return m[k]
}

// Statistics counts the filtered items by responsible organisation and by category: totals, closure
// rate, average days from record to sign-off, and how many are overdue.
func (s *Service) Statistics(ctx context.Context, p auth.Principal, f Filter) (Stats, error) {
	f.Limit = -1
	items, _, err := s.List(ctx, p, f)
	if err != nil {
		return Stats{}, err
	}
	var all acc
	byOrg, byCat := map[string]*acc{}, map[string]*acc{}
	for _, it := range items {
		all.add(it)
		bucket(byOrg, it.ResponsibleOrg).add(it)
		bucket(byCat, it.Category).add(it)
	}
	lines := func(m map[string]*acc) []StatLine {
		out := []StatLine{}
		for _, a := range m {
			out = append(out, a.done())
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].Total != out[j].Total {
				return out[i].Total > out[j].Total
			}
			return out[i].Key < out[j].Key
		})
		return out
	}
	all.line.Key = "all"
	return Stats{All: all.done(), ByOrg: lines(byOrg), ByCategory: lines(byCat)}, nil
}

// LedgerHeaders are the export's columns, in the usual 整改台账 layout.
var LedgerHeaders = []string{"序号", "问题来源", "来源文号", "问题类别", "问题", "整改措施", "责任单位", "落实单位", "督导单位",
	"责任人", "整改时限", "整改进展", "完成情况", "销号日期"}

var sourceLabel = map[Source]string{SourceInspectionTour: "巡视巡察", SourceInspection: "专项检查", SourceSiteVisit: "实地查看",
	SourceAnnualReview: "述职评议考核", SourceCoordinationMeeting: "集中会办", SourceManual: "其他"}

var statusLabel = map[Status]string{Open: "未启动", Planned: "已制定整改方案", InProgress: "整改中", Submitted: "已提交待销号", Closed: "已销号"}

// completion is the 完成情况 column: the status in words, 长期坚持, and how long overdue.
func completion(it Item) string {
	s := statusLabel[it.Status]
	if it.LongTerm && it.Status != Closed {
		s = "长期坚持（" + s + "）"
	}
	if it.Overdue {
		s += fmt.Sprintf("，逾期%d天", it.OverdueDays)
	}
	return s
}

// LedgerRows are the export's rows for the filtered items (exported for the golden-file test).
func (s *Service) LedgerRows(ctx context.Context, p auth.Principal, f Filter) ([][]string, error) {
	f.Limit = -1
	items, _, err := s.List(ctx, p, f)
	if err != nil {
		return nil, err
	}
	progress, err := s.latestProgress(ctx)
	if err != nil {
		return nil, err
	}
	out := make([][]string, 0, len(items))
	for k, it := range items {
		var impl []string
		for _, o := range it.ImplementingOrgs {
			impl = append(impl, o.Name)
		}
		out = append(out, []string{fmt.Sprint(k + 1), sourceLabel[it.Source], it.SourceRef, it.Category, it.Finding, it.Measures,
			it.ResponsibleOrg, strings.Join(impl, "、"), it.SupervisorOrg, it.ResponsiblePerson, it.DueOn.String(),
			progress[it.ID], completion(it), it.ClosedOn.String()})
	}
	return out, nil
}

// latestProgress is each item's latest progress report (report or submit comment).
func (s *Service) latestProgress(ctx context.Context) (map[int64]string, error) {
	rows, err := s.db.Query(ctx, "SELECT item_id, comment FROM rectify_steps WHERE action IN ('report', 'submit') ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var c string
		if err := rows.Scan(&id, &c); err != nil {
			return nil, err
		}
		out[id] = c
	}
	return out, rows.Err()
}

// ExportLedger writes the filtered ledger as .xlsx. Every cell is text made formula-safe (CWE-1236); the
// export is audited before a byte is written.
func (s *Service) ExportLedger(ctx context.Context, p auth.Principal, f Filter, w io.Writer) error {
	rows, err := s.LedgerRows(ctx, p, f)
	if err != nil {
		return err
	}
	if err := s.trail.Record(ctx, audit.Event{Action: "rectify.ledger_export", ObjectType: "org", ObjectID: f.OrgID,
		Detail: fmt.Sprintf("rows=%d source=%q status=%q overdue=%t", len(rows), f.Source, f.Status, f.Overdue)}); err != nil {
		return err
	}
	x := excelize.NewFile()
	defer x.Close()
	const sheet = "整改台账"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	_ = sw.SetColWidth(1, 1, 6)
	_ = sw.SetColWidth(2, len(LedgerHeaders), 16)
	_ = sw.SetColWidth(5, 6, 40)
	head := make([]any, len(LedgerHeaders))
	for i, h := range LedgerHeaders {
		head[i] = h
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	for k, r := range rows {
		row := make([]any, len(r))
		for i, v := range r {
			row[i] = org.SafeCell(v)
		}
		cell, _ := excelize.CoordinatesToCellName(1, k+2)
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = x.WriteTo(w)
	return err
}
