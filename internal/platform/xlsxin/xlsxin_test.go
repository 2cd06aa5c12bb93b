package xlsxin_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/dangjian/dangjian/internal/platform/xlsxin"
)

// sheet writes a workbook whose first sheet holds rows from A1 down (a nil row stays blank).
func sheet(t *testing.T, rows ...[]any) []byte {
	t.Helper()
	x := excelize.NewFile()
	defer x.Close()
	for i, r := range rows {
		if r == nil {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type entry struct {
	name     string
	data     []byte
	declared uint64
}

// rawZip writes a package whose entries DECLARE the given uncompressed sizes while holding only the
// deflated bytes of data: what a zip bomb (or a lying archive) looks like from its central directory.
func rawZip(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		var comp bytes.Buffer
		fw, _ := flate.NewWriter(&comp, flate.BestCompression)
		_, _ = fw.Write(e.data)
		_ = fw.Close()
		w, err := zw.CreateRaw(&zip.FileHeader{Name: e.name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(e.data),
			CompressedSize64: uint64(comp.Len()), UncompressedSize64: e.declared})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(comp.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// header accepts a row naming at least 姓名 (a leading * allowed), as a capability's header function does.
func header(cells []string) map[int]string {
	names := map[string]string{"姓名": "name", "电话": "phone"}
	cols := map[int]string{}
	for i, c := range cells {
		if n, ok := names[strings.TrimLeft(strings.TrimSpace(c), "*")]; ok {
			cols[i] = n
		}
	}
	for _, n := range cols {
		if n == "name" {
			return cols
		}
	}
	return nil
}

func TestRead(t *testing.T) {
	lim := xlsxin.Limits{MaxFileBytes: 1 << 20, MaxUnzipped: 8 << 20, MaxPartUnzipped: 4 << 20, MaxRows: 3}
	good := sheet(t, nil, []any{"*姓名", "备注", "电话"}, []any{" 张三 ", "x", "13800000000"}, nil, []any{"", "  "},
		[]any{"李四"})
	wantGood := []xlsxin.Row{{Line: 3, Values: map[string]string{"name": "张三", "phone": "13800000000"}},
		{Line: 6, Values: map[string]string{"name": "李四"}}}
	workbook := entry{"xl/workbook.xml", []byte("<workbook/>"), 11}
	bomb := rawZip(t, workbook, entry{"xl/worksheets/sheet1.xml", make([]byte, 1<<10), 1 << 40})
	if len(bomb) > 1<<10 {
		t.Fatalf("the bomb is %d bytes, want a small file", len(bomb))
	}
	cases := []struct {
		name string
		data []byte
		lim  xlsxin.Limits
		want []xlsxin.Row
		err  error
	}{
		{"empty file", nil, lim, nil, xlsxin.ErrEmpty},
		{"file over MaxFileBytes", good, xlsxin.Limits{MaxFileBytes: len(good) - 1, MaxUnzipped: 8 << 20, MaxRows: 3}, nil, xlsxin.ErrTooLarge},
		{"not a zip (a CSV renamed .xlsx)", []byte("姓名,电话\n张三,13800000000\n"), lim, nil, xlsxin.ErrNotXLSX},
		{"a zip that is no workbook", rawZip(t, entry{"word/document.xml", []byte("<w/>"), 4}), lim, nil, xlsxin.ErrNotXLSX},
		{"zip bomb: a 1 TB part declared in a small file", bomb, lim, nil, xlsxin.ErrUnzippedTooLarge},
		{"parts adding up over MaxUnzipped", rawZip(t, workbook, entry{"a", []byte("a"), 3 << 20}, entry{"b", []byte("b"), 3 << 20},
			entry{"c", []byte("c"), 3 << 20}), lim, nil, xlsxin.ErrUnzippedTooLarge},
		{"one part over MaxPartUnzipped", rawZip(t, workbook, entry{"a", []byte("a"), 5 << 20}), lim, nil, xlsxin.ErrUnzippedTooLarge},
		{"a part inflating beyond what it declares", rawZip(t, workbook, entry{"xl/worksheets/sheet1.xml", make([]byte, 1<<20), 10}),
			lim, nil, xlsxin.ErrNotXLSX},
		{"no header row: an empty sheet", sheet(t), lim, nil, xlsxin.ErrNoHeader},
		{"no header row: the first non-blank row is data", sheet(t, nil, []any{"张三", "13800000000"}, []any{"姓名"}), lim, nil, xlsxin.ErrNoHeader},
		{"header only", sheet(t, []any{"姓名"}, nil, []any{" "}), lim, nil, xlsxin.ErrNoRows},
		{"too many rows", sheet(t, []any{"姓名"}, []any{"a"}, []any{"b"}, []any{"c"}, []any{"d"}), lim, nil, xlsxin.ErrTooManyRows},
		{"MaxRows rows, blank ones not counted", sheet(t, []any{"姓名"}, []any{"a"}, nil, []any{"b"}, []any{""}, []any{"c"}), lim,
			[]xlsxin.Row{{Line: 2, Values: map[string]string{"name": "a"}}, {Line: 4, Values: map[string]string{"name": "b"}},
				{Line: 6, Values: map[string]string{"name": "c"}}}, nil},
		{"a good sheet: blank rows skipped, cells trimmed, unknown columns left out", good, lim, wantGood, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows, err := xlsxin.Read(c.data, c.lim, header)
			if !errors.Is(err, c.err) {
				t.Fatalf("error %v, want %v", err, c.err)
			}
			if !reflect.DeepEqual(rows, c.want) {
				t.Fatalf("rows %+v, want %+v", rows, c.want)
			}
		})
	}
}
