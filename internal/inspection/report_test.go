package inspection

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/dangjian/dangjian/internal/platform/i18n"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The campaign workbook, compared cell by cell with testdata/inspection_report.golden (go test -update
// rewrites it). A name that looks like a formula stays text.
func TestInspectionWorkbookGolden(t *testing.T) {
	c := Campaign{ID: 3, Name: "2024年上半年三会一课专项检查", OrgName: "=HYPERLINK(\"x\")", From: "2024-01", To: "2024-06", RunOn: day("2024-07-10"),
		Findings: []FrozenResult{
			{ID: 11, OrgName: "第一党支部", RuleID: "A2.1", Period: "2024-Q2", Severity: SevWarning, Article: "《中国共产党支部工作条例（试行）》第十一条",
				Key: "compliance.missed.a2_1", Params: map[string]any{"Period": "2024-Q2"}, Evidence: "/orgs/5/compliance/A2.1/2024-Q2", Source: "rule"},
			{ID: 12, OrgName: "第一党支部", RuleID: "A2.6", Period: "2024-03", Severity: SevError, Article: "《中国共产党党员教育管理工作条例》第十六条",
				Key: "compliance.missed.a2_6", Params: map[string]any{"Period": "2024-03"}, Evidence: "/orgs/5/compliance/A2.6/2024-03", Source: "rule"},
			{ID: 13, OrgName: "第二党支部", Period: "2024-05", Severity: SevWarning, Key: "inspection.manual", Params: map[string]any{"Note": "会议记录缺少签到表"},
				Evidence: "/meetings/77", Source: "manual"},
		}}
	cat := i18n.Std()
	tr := func(key string, args map[string]any) string { return cat.T(i18n.ZhHans, key, args) }
	for i := range c.Findings {
		c.Findings[i].Message = tr(c.Findings[i].Key, c.Findings[i].Params)
	}
	f, err := Workbook(c, tr)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	sheet := back.GetSheetName(0)
	rows, err := back.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	got.WriteString("sheet\t" + sheet + "\n")
	for _, r := range rows {
		got.WriteString(strings.Join(r, "\t") + "\n")
	}
	if formula, _ := back.GetCellFormula(sheet, "A2"); formula != "" {
		t.Errorf("a cell became a formula: %q", formula)
	}
	golden := filepath.Join("testdata", "inspection_report.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Errorf("workbook differs from %s:\n%s", golden, got.String())
	}
}
