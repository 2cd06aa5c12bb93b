package learning_test

import (
	"archive/zip"
	"bytes"
	"testing"

	"github.com/dangjian/dangjian/internal/platform/errs"
)

// A refused question-bank file says why in learning's own words, and a zip bomb (a few hundred bytes
// declaring a 1 TB part) is refused before excelize inflates anything: before the shared reader
// (platform/xlsxin) this import lacked the check.
func TestQuestionImportRefusesBadFiles(t *testing.T) {
	var bomb bytes.Buffer
	zw := zip.NewWriter(&bomb)
	if _, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", UncompressedSize64: 1 << 40}); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	each(t, func(t *testing.T, f *fixture) {
		for _, c := range []struct {
			name string
			data []byte
			key  string
		}{
			{"empty", nil, "learning.import.empty"},
			{"not a workbook", []byte("题型,题干\n单选,x\n"), "learning.import.not_xlsx"},
			{"zip bomb", bomb.Bytes(), "learning.import.too_large"},
		} {
			res, err := f.l.Import(f.ctx, f.off, 0, c.data, false)
			e, ok := errs.As(err)
			if !ok || e.Code != errs.Unprocessable || e.Key != c.key || e.Fields["file"] != c.key || res.Imported != 0 {
				t.Errorf("%s: %+v %v, want %s", c.name, res, err, c.key)
			}
		}
	})
}
