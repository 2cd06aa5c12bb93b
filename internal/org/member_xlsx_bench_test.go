package org_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/demo"
	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/xuri/excelize/v2"
)

// importSheet is an import file of n valid, distinct members in the template's columns, half in each of
// the roster's two branches, written with a StreamWriter.
func importSheet(b *testing.B, n int) []byte {
	b.Helper()
	x := excelize.NewFile()
	defer x.Close()
	sw, err := x.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	head := make([]any, len(org.ImportColumns))
	for i, c := range org.ImportColumns {
		head[i] = c.Header
	}
	if err := sw.SetRow("A1", head); err != nil {
		b.Fatal(err)
	}
	start := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		born := start.AddDate(0, 0, i/500)
		branch := "第一党支部"
		if i%2 == 1 {
			branch = "第二党支部"
		}
		vals := []string{benchName(nil, i), demo.IDNumber(born, 1+2*(i%500)), "男", born.Format("2006-01-02"), "汉族",
			fmt.Sprintf("139%08d", i), "大学本科", branch, "正式党员", "2010-07-01", "2011-07-01", "否"}
		row := make([]any, len(vals))
		for j, v := range vals {
			row[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// bareRead is the baseline of an import: excelize opens the file and iterates every row's cells, as the
// import's reader does, and nothing else.
func bareRead(b *testing.B, data []byte) int {
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	it, err := x.Rows(x.GetSheetList()[0])
	if err != nil {
		b.Fatal(err)
	}
	defer it.Close()
	n := 0
	for it.Next() {
		cells, err := it.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			b.Fatal(err)
		}
		n += len(cells)
	}
	return n
}

// bareWrite is the baseline of an export: a StreamWriter writes rows of the export's 16 text columns,
// prepared in memory beforehand, to a discarded file.
func bareWrite(b *testing.B, rows [][]any) {
	x := excelize.NewFile()
	defer x.Close()
	sw, err := x.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, r); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	if _, err := x.WriteTo(io.Discard); err != nil {
		b.Fatal(err)
	}
}

// peakRSS runs fn and returns the process's peak resident set during it, in MB: the kernel's high-water
// mark (VmHWM) is reset first through /proc/self/clear_refs. 0 when the platform cannot tell.
func peakRSS(fn func()) float64 {
	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		fn()
		return 0
	}
	fn()
	st, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(st), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkMemberImportExport: import of benchSize(100,000) members from .xlsx (all or nothing, each
// member validated, sealed and audited, in one transaction) beside a bare excelize read of the same
// file; export of the same members beside a bare StreamWriter write of the same rows; each with the
// process's peak RSS. Targets (issue 3): import ≤ 1.5× bare read, export ≤ 1.2× bare write, ≤ 256 MB.
func BenchmarkMemberImportExport(b *testing.B) {
	n := benchSize(100_000)
	sheet := importSheet(b, n)
	b.Logf("import file: %d rows, %.1f MB", n, float64(len(sheet))/1e6)
	benchEngines(b, func(b *testing.B, d *db.DB) {
		b.Run("bare_read", func(b *testing.B) {
			var mb float64
			for i := 0; i < b.N; i++ {
				mb = max(mb, peakRSS(func() { bareRead(b, sheet) }))
			}
			b.ReportMetric(mb, "peakRSS_MB")
		})
		var r *roster
		b.Run("import", func(b *testing.B) {
			var mb float64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				r = newRoster(b, d)
				if i > 0 || r.count(b, "SELECT COUNT(*) FROM members") > 0 {
					b.Fatal("the import benchmark runs once per database: use -benchtime 1x")
				}
				b.StartTimer()
				mb = max(mb, peakRSS(func() {
					res, err := r.o.ImportMembers(r.ctx(), r.admin, sheet, org.ImportOptions{OrgID: r.admin.OrgID})
					if err != nil || res.Imported != n {
						b.Fatalf("import: %v %+v", err, res.Errors[:min(3, len(res.Errors))])
					}
				}))
			}
			b.ReportMetric(mb, "peakRSS_MB")
		})
		rows := make([][]any, 0, n+1)
		b.Run("bare_write", func(b *testing.B) {
			if len(rows) == 0 {
				items, _, err := r.o.ListMembers(r.ctx(), r.admin, org.MemberFilter{OrgID: r.admin.OrgID, Limit: 1})
				if err != nil || len(items) == 0 {
					b.Fatal(err)
				}
				m := items[0]
				for range n + 1 {
					rows = append(rows, []any{m.Name, m.IDNumber, "男", m.BirthDate.String(), m.Ethnicity, m.Phone, "大学本科",
						m.OrgName, "正式党员", m.JoinedOn.String(), m.FullOn.String(), "否", "", "", "14", ""})
				}
			}
			var mb float64
			for i := 0; i < b.N; i++ {
				mb = max(mb, peakRSS(func() { bareWrite(b, rows) }))
			}
			b.ReportMetric(mb, "peakRSS_MB")
		})
		b.Run("export", func(b *testing.B) {
			var mb float64
			for i := 0; i < b.N; i++ {
				mb = max(mb, peakRSS(func() {
					if err := r.o.ExportMembers(r.ctx(), r.admin, org.MemberFilter{OrgID: r.admin.OrgID}, false, io.Discard); err != nil {
						b.Fatal(err)
					}
				}))
			}
			b.ReportMetric(mb, "peakRSS_MB")
		})
	})
}
