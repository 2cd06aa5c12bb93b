package files

import (
	"archive/zip"
	"bytes"
	"testing"

	"github.com/dangjian/dangjian/internal/platform/errs"
)

func ooxml(t *testing.T, parts ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, p := range parts {
		w, err := zw.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte("<x/>"))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The type comes from the content: a renamed HTML page or a macro workbook is refused whatever its name.
func TestSniff(t *testing.T) {
	big := make([]byte, MaxBytes+1)
	copy(big, "%PDF-1.7")
	cases := []struct {
		name string
		data []byte
		want string // content type, or the error key
	}{
		{"jpeg", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'}, JPEG},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), PNG},
		{"webp", []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), WebP},
		{"pdf", []byte("%PDF-1.4\n%âãÏÓ\n"), PDF},
		{"docx", ooxml(t, "[Content_Types].xml", "word/document.xml"), DOCX},
		{"xlsx", ooxml(t, "[Content_Types].xml", "xl/workbook.xml"), XLSX},
		{"docm with macros", ooxml(t, "[Content_Types].xml", "word/document.xml", "word/vbaProject.bin"), "files.macros"},
		{"plain zip", ooxml(t, "a.txt"), "files.type"},
		{"html named .jpg", []byte("<html><script>alert(1)</script>"), "files.type"},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>`), "files.type"},
		{"empty", nil, "files.empty"},
		{"over the limit", big, "files.too_large"},
		{"truncated zip", []byte("PK\x03\x04garbage"), "files.type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Sniff(c.data, "file")
			if err != nil {
				e, _ := errs.As(err)
				if e == nil || e.Fields["file"] != c.want || e.Code != errs.Unprocessable {
					t.Fatalf("error %v, want %s", err, c.want)
				}
				return
			}
			if got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{
		"会议照片.jpg":           "会议照片.jpg",
		"../../etc/passwd":   "passwd",
		`C:\Users\x\纪要.docx`: "纪要.docx",
		"a\x00b\"c.pdf":      "abc.pdf",
		"":                   "file",
		"..":                 "file",
	} {
		if got := CleanName(in); got != want {
			t.Errorf("CleanName(%q) = %q, want %q", in, got, want)
		}
	}
}
