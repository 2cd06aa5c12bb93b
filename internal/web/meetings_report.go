package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/orglife"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/i18n"
)

// The leading cadres' dual-life report (RULES.md §B2 第二十六条 (一)): JSON, a page with a chart drawn as
// inline SVG, and a workbook.

// dualLife reads org_id and year and builds the report with the findings' messages in lang.
func (s *Server) dualLife(r *http.Request, p auth.Principal, lang i18n.Lang) (orglife.DualLifeReport, error) {
	id, year, err := s.planQuery(r.URL.Query(), p)
	if err != nil {
		return orglife.DualLifeReport{}, err
	}
	rep, err := s.Meetings.DualLife(r.Context(), p, id, year)
	if err != nil {
		return rep, err
	}
	for i := range rep.Items {
		for j := range rep.Items[i].Findings {
			f := &rep.Items[i].Findings[j]
			f.Message = s.I18n.T(lang, f.Key, f.Args)
		}
	}
	return rep, nil
}

func (s *Server) apiDualLife(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	rep, err := s.dualLife(r, p, langFrom(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// dualLifeBar is one cadre's bars in the chart (lengths 0–100 relative to the widest).
type dualLifeBar struct {
	Item                       orglife.DualLifeItem
	Expected, Attended, Lesson int
	Low                        bool
}

func (s *Server) dualLifePage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	rep, err := s.dualLife(r, p, langFrom(r.Context()))
	if err != nil {
		return err
	}
	top := 1
	for _, it := range rep.Items {
		top = max(top, it.Expected, it.LessonsGiven)
	}
	bars := make([]dualLifeBar, len(rep.Items))
	for i, it := range rep.Items {
		bars[i] = dualLifeBar{Item: it, Expected: it.Expected * 100 / top, Attended: it.Attended * 100 / top,
			Lesson: it.LessonsGiven * 100 / top, Low: len(it.Findings) > 0 && it.Findings[0].Severity == "error"}
	}
	q := "org_id=" + strconv.FormatInt(rep.OrgID, 10) + "&year=" + strconv.Itoa(rep.Year)
	s.render(w, r, http.StatusOK, "meetings_dual_life", map[string]any{"Report": rep, "Bars": bars,
		"Prev": rep.Year - 1, "Next": rep.Year + 1, "XLSX": "/api/v1/reports/dual-life.xlsx?" + q})
	return nil
}

func (s *Server) apiDualLifeXLSX(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	rep, err := s.dualLife(r, p, i18n.ZhHans)
	if err != nil {
		return err
	}
	f, err := s.dualLifeWorkbook(rep)
	if err != nil {
		return err
	}
	defer f.Close()
	name := s.I18n.T(i18n.ZhHans, "dual_life.file", map[string]any{"Org": rep.OrgName, "Year": rep.Year}) + ".xlsx"
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="dual-life-%d.xlsx"; filename*=UTF-8''%s`, rep.Year, rfc5987(name)))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if _, err := f.WriteTo(w); err != nil {
		s.Log.Error("dual-life xlsx", "err", err, "id", requestIDFrom(r.Context()))
	}
	return nil
}

// dualLifeWorkbook writes the report in Chinese: a title, one row per leading cadre with the counts and
// findings, then a sheet listing every record attended and every lesson given. Cells are strings or
// numbers, never formulas.
func (s *Server) dualLifeWorkbook(rep orglife.DualLifeReport) (*excelize.File, error) {
	zh := func(key string, args map[string]any) string { return s.I18n.T(i18n.ZhHans, key, args) }
	f := excelize.NewFile()
	sheet, detail := zh("dual_life.sheet", nil), zh("dual_life.sheet_detail", nil)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	if _, err := f.NewSheet(detail); err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	set := func(sh, cell string, v any) {
		if str, ok := v.(string); ok {
			v = org.SafeCell(str) // a name or topic such as "=HYPERLINK(…)" stays text in any spreadsheet
		}
		if err == nil {
			err = f.SetCellValue(sh, cell, v)
		}
	}
	set(sheet, "A1", zh("dual_life.xlsx_title", map[string]any{"Org": rep.OrgName, "Year": rep.Year}))
	set(sheet, "A2", zh("dual_life.xlsx_basis", nil))
	heads := []string{"dual_life.name", "dual_life.home", "dual_life.expected", "dual_life.attended", "dual_life.lessons", "dual_life.findings"}
	for i, h := range heads {
		set(sheet, dlCell(i, 4), zh(h, nil))
	}
	if err == nil {
		err = f.SetCellStyle(sheet, "A4", dlCell(len(heads)-1, 4), bold)
	}
	row := 5
	for _, it := range rep.Items {
		var fs string
		for i, fd := range it.Findings {
			if i > 0 {
				fs += "；"
			}
			fs += fd.RuleID + " " + fd.Message
		}
		if fs == "" {
			fs = zh("dual_life.ok", nil)
		}
		for i, v := range []any{it.Name, it.HomeOrgName, it.Expected, it.Attended, it.LessonsGiven, fs} {
			set(sheet, dlCell(i, row), v)
		}
		row++
	}
	dheads := []string{"dual_life.name", "dual_life.entry", "meetings.held_on", "meetings.kind", "meetings.org", "meetings.topic"}
	for i, h := range dheads {
		set(detail, dlCell(i, 1), zh(h, nil))
	}
	row = 2
	for _, it := range rep.Items {
		for _, list := range []struct {
			key     string
			entries []orglife.LifeEntry
		}{{"dual_life.attended", it.Attendance}, {"dual_life.lessons", it.Lessons}} {
			for _, e := range list.entries {
				for i, v := range []any{it.Name, zh(list.key, nil), e.HeldOn.String(), s.kindLabel(i18n.ZhHans, e.Kind), e.OrgName, e.Topic} {
					set(detail, dlCell(i, row), v)
				}
				row++
			}
		}
	}
	if err != nil {
		return nil, err
	}
	for sh, widths := range map[string][]float64{sheet: {14, 30, 10, 10, 10, 60}, detail: {14, 12, 12, 14, 30, 40}} {
		for i, wd := range widths {
			col := string(rune('A' + i))
			if err := f.SetColWidth(sh, col, col, wd); err != nil {
				return nil, err
			}
		}
	}
	return f, nil
}

// dlCell is the A1 name of column col (0-based) and row.
func dlCell(col, row int) string { return string(rune('A'+col)) + strconv.Itoa(row) }
