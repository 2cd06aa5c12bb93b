package inspection

import (
	"fmt"

	"github.com/xuri/excelize/v2"
)

// Workbook writes a campaign's report: a title, the scope and span, then one row per frozen finding
// (stable id first, for the rectification ledger). Cells are strings or numbers, never formulas.
// t translates message keys (the report is in Chinese).
func Workbook(c Campaign, t func(key string, args map[string]any) string) (*excelize.File, error) {
	f := excelize.NewFile()
	sheet := t("inspection.sheet", nil)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	var err error
	set := func(cell string, v any) {
		if err == nil {
			err = f.SetCellValue(sheet, cell, v)
		}
	}
	set("A1", c.Name)
	set("A2", t("inspection.scope_line", map[string]any{"Org": c.OrgName, "From": c.From, "To": c.To, "Run": c.RunOn.String()}))
	heads := []string{"inspection.col.id", "inspection.col.org", "inspection.col.rule", "inspection.col.period", "inspection.col.severity",
		"inspection.col.message", "inspection.col.article", "inspection.col.source", "inspection.col.evidence"}
	for i, h := range heads {
		set(fmt.Sprintf("%c4", 'A'+i), t(h, nil))
	}
	for i, x := range c.Findings {
		row := 5 + i
		vals := []any{x.ID, x.OrgName, x.RuleID, x.Period, t("compliance.severity."+string(x.Severity), nil), x.Message, x.Article,
			t("inspection.source."+x.Source, nil), x.Evidence}
		for j, v := range vals {
			set(fmt.Sprintf("%c%d", 'A'+j, row), v)
		}
	}
	if err != nil {
		return nil, err
	}
	if err := f.SetColWidth(sheet, "B", "B", 24); err != nil {
		return nil, err
	}
	if err := f.SetColWidth(sheet, "F", "G", 40); err != nil {
		return nil, err
	}
	return f, nil
}
