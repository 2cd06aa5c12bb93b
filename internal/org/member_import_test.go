package org_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/demo"
	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/xuri/excelize/v2"
)

// xlsxOf builds a sheet with the template's headers and rows of cells in the template's column order.
func xlsxOf(t testing.TB, rows ...[]string) []byte {
	t.Helper()
	x := excelize.NewFile()
	defer x.Close()
	head := make([]any, len(org.ImportColumns))
	for i, c := range org.ImportColumns {
		head[i] = c.Header
	}
	if err := x.SetSheetRow("Sheet1", "A1", &head); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		vals := make([]any, len(r))
		for j, v := range r {
			vals[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
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

// importID is a valid demo ID number (male, born 1985-06-15) numbered n.
func importID(n int) string {
	return demo.IDNumber(time.Date(1985, 6, 15, 0, 0, 0, 0, time.UTC), 201+2*n)
}

// row is one valid full member of branch.
func row(name, id, branch string) []string {
	return []string{name, id, "男", "1985-06-15", "汉族", "13800001234", "大学本科", branch, "正式党员", "2010-07-01", "2011-07-01", "否"}
}

func (r *roster) count(t testing.TB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := r.d.QueryRow(r.ctx(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (r *roster) members(t *testing.T) int { return r.count(t, "SELECT COUNT(*) FROM members") }

func fileKey(t *testing.T, err error) string {
	t.Helper()
	if !errs.Is(err, errs.Unprocessable) {
		t.Fatalf("want 422, got %v", err)
	}
	return memberFields(t, err)["file"]
}

// zipOf packs files (name → content) as a zip archive.
func zipOf(t testing.TB, files map[string][]byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, b := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestImportRefusesBadFiles(t *testing.T) {
	// A zip bomb: 210 MB of zeros that deflate to a fraction of a megabyte.
	bomb := zipOf(t, map[string][]byte{"xl/workbook.xml": []byte("<workbook/>"), "xl/worksheets/sheet1.xml": make([]byte, 210<<20)})
	if len(bomb) > 1<<20 {
		t.Fatalf("bomb is %d bytes", len(bomb))
	}
	// One row over the limit, written with the stream writer to stay fast.
	x := excelize.NewFile()
	sw, err := x.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	head := make([]any, len(org.ImportColumns))
	for i, c := range org.ImportColumns {
		head[i] = c.Header
	}
	_ = sw.SetRow("A1", head)
	for i := 2; i <= org.ImportMaxRows+2; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i)
		if err := sw.SetRow(cell, []any{"某某", "110105194912310021"}); err != nil {
			t.Fatal(err)
		}
	}
	_ = sw.Flush()
	var many bytes.Buffer
	_, _ = x.WriteTo(&many)
	x.Close()

	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newRoster(t, d)
		for _, c := range []struct {
			name string
			data []byte
			key  string
		}{
			{"0-byte file", nil, "member_import.file.empty"},
			{"not an xlsx", []byte("姓名,身份证号码\n张三,110105194912310021\n"), "member_import.file.not_xlsx"},
			{"a zip that is no workbook", zipOf(t, map[string][]byte{"a.txt": []byte("x")}), "member_import.file.not_xlsx"},
			{"zip bomb", bomb, "member_import.file.unzipped_too_large"},
			{"too many rows", many.Bytes(), "member_import.file.too_many_rows"},
			{"no header", zipOf(t, nil), "member_import.file.not_xlsx"},
		} {
			_, err := r.o.ImportMembers(r.ctx(), r.admin, c.data, org.ImportOptions{OrgID: r.b1})
			if got := fileKey(t, err); got != c.key {
				t.Errorf("%s: %s, want %s", c.name, got, c.key)
			}
		}
		if n := r.members(t); n != 0 {
			t.Fatalf("%d members after refused files", n)
		}
	})
}

// errorsOf lists row errors as "row:field:key".
func errorsOf(res org.ImportResult) []string {
	var out []string
	for _, e := range res.Errors {
		out = append(out, strings.Join([]string{itoa(e.Row), e.Field, e.Key}, ":"))
	}
	return out
}

func itoa(n int) string { return fmt.Sprintf("%02d", n) }

func has(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestImportPreviewRowErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newRoster(t, d)
		existing, err := r.o.CreateMember(r.ctx(), r.admin, r.valid())
		if err != nil {
			t.Fatal(err)
		}
		_ = existing
		badID := "110105194912310021" // the standard's invalid vector (H1)
		sheet := xlsxOf(t,
			row("李一", importID(1), "第一党支部"),        // 2 ok
			row("李二", badID, "第一党支部"),              // 3 H1 bad check character
			row("李三", importID(3), "第九党支部"),        // 4 unknown branch
			row("李四", importID(1), "第一党支部"),        // 5 duplicate of row 2
			row("李五", r.valid().IDNumber, "第一党支部"), // 6 already on the roster
			row("李六", importID(6), "第二党支部"),        // 7 ok (by name)
			row("李七", importID(7), ""),             // 8 branch empty, scope is not a branch
		)
		before := r.members(t)
		res, err := r.o.ImportMembers(r.ctx(), r.admin, sheet, org.ImportOptions{OrgID: rosterRoot(t, r), DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		got := errorsOf(res)
		for _, want := range []string{
			"03:id_number:validate.id_number.checksum",
			"04:org_id:member_import.org.unknown",
			"05:id_number:member_import.id_number.duplicate_in_file",
			"06:id_number:member.id_number.duplicate",
			"08:org_id:member_import.org.required",
		} {
			if !has(got, want) {
				t.Errorf("missing %s in %v", want, got)
			}
		}
		if res.Rows != 7 || res.Valid != 2 || res.Invalid != 5 || res.Imported != 0 || res.ImportID != 0 {
			t.Errorf("result %+v", res)
		}
		if r.members(t) != before || r.count(t, "SELECT COUNT(*) FROM imports") != 0 {
			t.Fatal("a dry run changed the roster")
		}
		// Scoped to branch 1, a row naming branch 2 is outside the caller's subtree.
		res, err = r.o.ImportMembers(r.ctx(), r.admin, xlsxOf(t, row("王一", importID(9), "第二党支部"), row("王二", importID(10), "")),
			org.ImportOptions{OrgID: r.b1, DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := errorsOf(res); len(got) != 1 || got[0] != "02:org_id:member_import.org.out_of_scope" || res.Valid != 1 {
			t.Errorf("scope: %v %+v", got, res)
		}
	})
}

func rosterRoot(t *testing.T, r *roster) int64 { return r.admin.OrgID }

func TestImportAllOrNothingAndSkipInvalid(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newRoster(t, d)
		sheet := xlsxOf(t,
			row("赵一", importID(1), "第一党支部"),
			row("赵二", "110105194912310021", "第一党支部"),
			row("赵三", importID(3), "第二党支部"),
			row("赵四", importID(1), "第二党支部"),
		)
		creates := r.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'member.create'")
		res, err := r.o.ImportMembers(r.ctx(), r.admin, sheet, org.ImportOptions{OrgID: r.admin.OrgID})
		if err != nil {
			t.Fatal(err)
		}
		if res.Imported != 0 || res.Invalid != 2 || r.members(t) != 0 || r.count(t, "SELECT COUNT(*) FROM imports") != 0 ||
			r.count(t, "SELECT COUNT(*) FROM audit_log WHERE action IN ('member.create', 'member.import')") != creates {
			t.Fatalf("half-imported: %+v, %d members", res, r.members(t))
		}
		res, err = r.o.ImportMembers(r.ctx(), r.admin, sheet, org.ImportOptions{OrgID: r.admin.OrgID, SkipInvalid: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Imported != 2 || res.ImportID == 0 || r.members(t) != 2 {
			t.Fatalf("skip_invalid: %+v, %d members", res, r.members(t))
		}
		if n := r.count(t, "SELECT COUNT(*) FROM members WHERE import_id = ?", res.ImportID); n != 2 {
			t.Errorf("%d members carry the import id", n)
		}
		if r.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'member.create'") != creates+2 ||
			r.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'member.import'") != 1 {
			t.Error("import not audited: one member.create each and one member.import")
		}
		var names []string
		rows, err := d.Query(r.ctx(), "SELECT name FROM members ORDER BY name")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n string
			_ = rows.Scan(&n)
			names = append(names, n)
		}
		rows.Close()
		if strings.Join(names, ",") != "赵一,赵三" {
			t.Errorf("imported %v", names)
		}
	})
}

func TestImportRollback(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newRoster(t, d)
		kept, err := r.o.CreateMember(r.ctx(), r.admin, r.valid())
		if err != nil {
			t.Fatal(err)
		}
		first, err := r.o.ImportMembers(r.ctx(), r.admin, xlsxOf(t, row("钱一", importID(1), "第一党支部")), org.ImportOptions{OrgID: r.b1})
		if err != nil || first.Imported != 1 {
			t.Fatalf("%+v %v", first, err)
		}
		second, err := r.o.ImportMembers(r.ctx(), r.admin, xlsxOf(t, row("钱二", importID(2), "第一党支部"), row("钱三", importID(3), "第一党支部")),
			org.ImportOptions{OrgID: r.b1})
		if err != nil || second.Imported != 2 {
			t.Fatalf("%+v %v", second, err)
		}
		// Only the last import into the scope.
		if _, err := r.o.RollbackImport(r.ctx(), r.admin, first.ImportID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("rolled back an earlier import: %v", err)
		}
		// A branch officer may import but not roll back.
		officer := auth.Principal{UserID: 9, Username: "officer", Role: auth.BranchOfficer, OrgID: r.b1, OrgPath: rosterPath(t, r, r.b1)}
		if _, err := r.o.RollbackImport(r.ctx(), officer, second.ImportID); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("officer rolled back: %v", err)
		}
		im, err := r.o.RollbackImport(r.ctx(), r.admin, second.ImportID)
		if err != nil || im.Status != "rolled_back" {
			t.Fatalf("%+v %v", im, err)
		}
		if n := r.members(t); n != 2 {
			t.Fatalf("%d members after rollback, want 2 (the one added by hand and the first import)", n)
		}
		if _, err := r.o.GetMember(r.ctx(), r.admin, kept.ID, false); err != nil {
			t.Fatal(err)
		}
		if r.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'member.import_rollback'") != 1 ||
			r.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'member.delete'") != 2 {
			t.Error("rollback not audited")
		}
		if _, err := r.o.RollbackImport(r.ctx(), r.admin, second.ImportID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("rolled back twice: %v", err)
		}
		// Now the first import is the last; once one of its members was edited it stays.
		var mid int64
		if err := d.QueryRow(r.ctx(), "SELECT id FROM members WHERE import_id = ?", first.ImportID).Scan(&mid); err != nil {
			t.Fatal(err)
		}
		edit := row("钱一", importID(1), "")
		n := org.NewMember{Name: "钱一一", IDNumber: edit[1], Ethnicity: "汉族", OrgID: r.b1, Status: org.Full, JoinedOn: "2010-07-01", FullOn: "2011-07-01"}
		if _, err := r.o.UpdateMember(r.ctx(), r.admin, mid, n); err != nil {
			t.Fatal(err)
		}
		if _, err := r.o.RollbackImport(r.ctx(), r.admin, first.ImportID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("rolled back an import whose member changed: %v", err)
		}
		if r.members(t) != 2 {
			t.Fatal("refused rollback removed members")
		}
	})
}

// The grep test for imports: after importing known ID and phone numbers (and a dry run of them), neither
// the raw SQLite file nor its WAL contains them.
func TestImportedNumbersNeverStoredInClear(t *testing.T) {
	d := dbtest.SQLite(t)
	r := newRoster(t, d)
	var rows [][]string
	var secrets []string
	for i := 0; i < 30; i++ {
		rw := row("导入"+string(rune('甲'+i)), importID(i), "第一党支部")
		rw[5] = demo.Phone(7000 + i)
		rows = append(rows, rw)
		secrets = append(secrets, rw[1], rw[5])
	}
	sheet := xlsxOf(t, rows...)
	if _, err := r.o.ImportMembers(r.ctx(), r.admin, sheet, org.ImportOptions{OrgID: r.b1, DryRun: true}); err != nil {
		t.Fatal(err)
	}
	res, err := r.o.ImportMembers(r.ctx(), r.admin, sheet, org.ImportOptions{OrgID: r.b1})
	if err != nil || res.Imported != 30 {
		t.Fatalf("%+v %v", res, err)
	}
	files := map[string][]byte{}
	read := func(label, path string) {
		b, err := os.ReadFile(path)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		files[label] = b
	}
	read("database file (open)", d.Path())
	read("WAL (open)", d.Path()+"-wal")
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	read("database file (closed)", d.Path())
	read("WAL (closed)", d.Path()+"-wal")
	for label, b := range files {
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) || bytes.Contains(b, utf16LE(s)) {
				t.Errorf("%s contains %s", label, s)
			}
		}
	}
	if !bytes.Contains(files["database file (closed)"], []byte("导入甲")) {
		t.Fatal("the database file does not contain an imported name: wrong file?")
	}
}
