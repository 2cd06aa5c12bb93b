package validate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/dangjian/dangjian/internal/platform/errs"
)

// keyOf returns the message key of err ("" for nil) and fails the test when err is not an
// Unprocessable *errs.Error carrying one of Keys().
func keyOf(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	e, ok := errs.As(err)
	if !ok {
		t.Fatalf("error %v is %T, want *errs.Error", err, err)
	}
	if e.Code != errs.Unprocessable {
		t.Errorf("error %v has code %q, want %q", err, e.Code, errs.Unprocessable)
	}
	known := false
	for _, k := range Keys() {
		known = known || k == e.Key
	}
	if !known {
		t.Errorf("error key %q is not listed in Keys()", e.Key)
	}
	return e.Key
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestH1_ResidentIDNumber(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		key    string // "" = valid
		number string
		birth  time.Time
		gender string
		up     bool
	}{
		{"standard example 1, check X", "11010519491231002X", "", "11010519491231002X", day(1949, 12, 31), "female", false},
		{"lower-case x normalised", "11010519491231002x", "", "11010519491231002X", day(1949, 12, 31), "female", false},
		{"surrounding spaces trimmed", "  11010519491231002x \t", "", "11010519491231002X", day(1949, 12, 31), "female", false},
		{"wrong check char (expected X)", "110105194912310021", KeyIDNumberChecksum, "", time.Time{}, "", false},
		{"standard example 2, born 1880", "440524188001010014", "", "440524188001010014", day(1880, 1, 1), "male", false},
		{"born before MinBirthYear", "440524179901010015", KeyIDNumberBirthDate, "", time.Time{}, "", false},
		{"valid male, check 8", "320102198501010418", "", "320102198501010418", day(1985, 1, 1), "male", false},
		{"valid, check X, male", "32010219850105041X", "", "32010219850105041X", day(1985, 1, 5), "male", false},
		{"15-digit upgrade of example 1", "110105491231002", "", "11010519491231002X", day(1949, 12, 31), "female", true},
		{"15-digit upgrade, computed check 8", "320102850101041", "", "320102198501010418", day(1985, 1, 1), "male", true},
		{"15-digit upgrade, computed check 3", "440524800101001", "", "440524198001010013", day(1980, 1, 1), "male", true},
		{"impossible date 19490231", "110105194902310026", KeyIDNumberBirthDate, "", time.Time{}, "", false},
		{"month 13", "110105194913010026", KeyIDNumberBirthDate, "", time.Time{}, "", false},
		{"15-digit impossible date", "110105490231002", KeyIDNumberBirthDate, "", time.Time{}, "", false},
		{"29 Feb in a leap year", "110105200002290021", "", "", day(2000, 2, 29), "female", false},
		{"29 Feb in a common year", "110105190002290021", KeyIDNumberBirthDate, "", time.Time{}, "", false},
		{"bad region 00", "00010519491231002X", KeyIDNumberRegion, "", time.Time{}, "", false},
		{"bad region 99", "990105194912310021", KeyIDNumberRegion, "", time.Time{}, "", false},
		{"bad region 16", "160105491231002", KeyIDNumberRegion, "", time.Time{}, "", false},
		{"17 characters", "11010519491231002", KeyIDNumberLength, "", time.Time{}, "", false},
		{"19 characters", "11010519491231002X1", KeyIDNumberLength, "", time.Time{}, "", false},
		{"16 characters", "1101054912310021", KeyIDNumberLength, "", time.Time{}, "", false},
		{"empty", "", KeyIDNumberLength, "", time.Time{}, "", false},
		{"letter in body", "11010519491A31002X", KeyIDNumberChars, "", time.Time{}, "", false},
		{"X in the middle", "1101051949X231002X", KeyIDNumberChars, "", time.Time{}, "", false},
		{"other trailing letter", "11010519491231002Y", KeyIDNumberChars, "", time.Time{}, "", false},
		{"X on a 15-digit number", "11010549123100X", KeyIDNumberChars, "", time.Time{}, "", false},
		{"full-width digits", "１１０１０５１９４９１２３１００２X", KeyIDNumberChars, "", time.Time{}, "", false},
		{"inner space", "110105 19491231002X", KeyIDNumberLength, "", time.Time{}, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, err := IDNumber(tc.in)
			if got := keyOf(t, err); got != tc.key {
				t.Fatalf("IDNumber(%q) error key = %q, want %q (err %v)", tc.in, got, tc.key, err)
			}
			if tc.key != "" {
				if info != (IDInfo{}) {
					t.Errorf("IDNumber(%q) returned %+v with an error", tc.in, info)
				}
				return
			}
			if tc.number != "" && info.Number != tc.number {
				t.Errorf("Number = %q, want %q", info.Number, tc.number)
			}
			if !info.Birth.Equal(tc.birth) || info.Birth.Location() != time.UTC {
				t.Errorf("Birth = %v, want %v", info.Birth, tc.birth)
			}
			if info.Gender != tc.gender {
				t.Errorf("Gender = %q, want %q", info.Gender, tc.gender)
			}
			if info.Upgraded != tc.up {
				t.Errorf("Upgraded = %v, want %v", info.Upgraded, tc.up)
			}
		})
	}
}

// TestH1_StandardExample2Checksum: GB 11643's second example is checksum-valid (RULES.md H1) even
// though this platform rejects its 1880 birth date.
func TestH1_StandardExample2Checksum(t *testing.T) {
	if c := idCheckChar("44052418800101001"); c != '4' {
		t.Fatalf("check char = %c, want 4", c)
	}
	if c := idCheckChar("11010519491231002"); c != 'X' {
		t.Fatalf("check char = %c, want X", c)
	}
}

func TestH1_Regions(t *testing.T) {
	valid := map[string]bool{}
	for _, r := range [][2]int{{11, 15}, {21, 23}, {31, 37}, {41, 46}, {50, 54}, {61, 65}, {71, 71}, {81, 83}, {91, 91}} {
		for p := r[0]; p <= r[1]; p++ {
			valid[string(rune('0'+p/10))+string(rune('0'+p%10))] = true
		}
	}
	for p := 0; p < 100; p++ {
		code := string(rune('0'+p/10)) + string(rune('0'+p%10))
		body := code + "010519491231002"
		n := body + string(idCheckChar(body))
		_, err := IDNumber(n)
		if valid[code] && err != nil {
			t.Errorf("province %s: %v, want valid", code, err)
		}
		if !valid[code] && keyOf(t, err) != KeyIDNumberRegion {
			t.Errorf("province %s: %v, want %s", code, err, KeyIDNumberRegion)
		}
	}
}

func TestH1_MaskID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"32010219850105041X", "320102********041X"},
		{" 11010519491231002X ", "110105********002X"},
		{"110105491231002", "110105*****1002"},
		{"12345678901", "123456*8901"},
		{"1234567890", "**********"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := MaskID(tc.in); got != tc.want {
			t.Errorf("MaskID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestH2_UnifiedSocialCreditCode(t *testing.T) {
	tests := []struct {
		name, in, key, want string
	}{
		{"widely circulated sample", "91350100M000100Y43", "", "91350100M000100Y43"},
		{"sample lower-case and spaces", " 91350100m000100y43 ", "", "91350100M000100Y43"},
		{"sample with wrong check (expected 3)", "91350100M000100Y44", KeyUSCCChecksum, ""},
		{"fictitious region 000000, checksum-valid", "91000000000000000K", "", "91000000000000000K"},
		{"fictitious organ (11) fixture", "111101050000000191", "", "111101050000000191"},
		{"letter I", "91350100M000100I43", KeyUSCCChars, ""},
		{"letter O", "91350100O000100Y43", KeyUSCCChars, ""},
		{"letter S", "S1350100M000100Y43", KeyUSCCChars, ""},
		{"letter V", "91350100M000100V43", KeyUSCCChars, ""},
		{"letter Z", "91350100M000100Y4Z", KeyUSCCChars, ""},
		{"punctuation", "91350100-000100Y43", KeyUSCCChars, ""},
		{"17 characters", "91350100M000100Y4", KeyUSCCLength, ""},
		{"19 characters", "91350100M000100Y433", KeyUSCCLength, ""},
		{"empty", "", KeyUSCCLength, ""},
		{"Chinese characters", "统一社会信用代码统一社会信用代码一二", KeyUSCCChars, ""},
		// Positions 9–17 "M000100Y5" fail GB 11714 (expected 4); the final check is recomputed (6) so
		// only the organisation code is wrong.
		{"organisation code check wrong", "91350100M000100Y56", KeyUSCCOrgCode, ""},
		{"organisation code check wrong, organ", "11110105000000028Y", KeyUSCCOrgCode, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := USCC(tc.in)
			if k := keyOf(t, err); k != tc.key {
				t.Fatalf("USCC(%q) error key = %q, want %q (err %v)", tc.in, k, tc.key, err)
			}
			if got != tc.want {
				t.Errorf("USCC(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestH2_OrgCodeVectors checks the GB 11714 check on its own, including the 10 → X and 11 → 0 cases
// and the letter scale (A = 10 … Z = 35, not the index in the USCC alphabet).
func TestH2_OrgCodeVectors(t *testing.T) {
	tests := []struct{ body, want string }{
		{"M000100Y", "4"}, // the circulated sample's subject ID M000100Y4
		{"00000001", "9"}, // the organ fixture's subject ID 000000019
		{"00000000", "0"}, // S = 0 → C9 = 11 → 0
		{"00000005", "1"}, // S = 10 → C9 = 1
		{"00010001", "X"}, // S = 10 + 2 = 12 → C9 = 10 → X
		{"0000000A", "2"}, // A = 10: S = 20 → C9 = 2
		{"0000000J", "6"}, // J = 19 (its USCC index would be 18, giving 8): S = 38 → C9 = 6
	}
	for _, tc := range tests {
		c, ok := orgCheckChar(tc.body)
		if !ok || string(c) != tc.want {
			t.Errorf("orgCheckChar(%q) = %q, %v; want %q", tc.body, c, ok, tc.want)
		}
	}
	if _, ok := orgCheckChar("0000000a"); ok {
		t.Errorf("orgCheckChar accepted a lower-case letter")
	}
	// A full code whose organisation-code check character is X.
	if got, err := USCC("1111010500000006X4"); err != nil || got != "1111010500000006X4" {
		t.Errorf("USCC(1111010500000006X4) = %q, %v; want valid", got, err)
	}
}

func TestMobile(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13812345678", "13812345678"},
		{"138 1234 5678", "13812345678"},
		{"138-1234-5678", "13812345678"},
		{"+86 138 1234 5678", "13812345678"},
		{"+8613812345678", "13812345678"},
		{"8613812345678", "13812345678"},
		{"86-138-1234-5678", "13812345678"},
		{" 19912345678 ", "19912345678"},
		{"12812345678", ""},     // second digit 2
		{"10012345678", ""},     // second digit 0
		{"23812345678", ""},     // not starting with 1
		{"1381234567", ""},      // 10 digits
		{"138123456789", ""},    // 12 digits
		{"+13812345678", ""},    // + without 86
		{"+85213812345678", ""}, // other country code
		{"861381234567", ""},    // 86 + 10 digits
		{"1381234567a", ""},     // letter
		{"１３８１２３４５６７８", ""},     // full-width digits
		{"", ""},
	}
	for _, tc := range tests {
		got, err := Mobile(tc.in)
		k := keyOf(t, err)
		if tc.want == "" && k != KeyMobileInvalid {
			t.Errorf("Mobile(%q) = %q, %v; want %s", tc.in, got, err, KeyMobileInvalid)
		}
		if tc.want != "" && (err != nil || got != tc.want) {
			t.Errorf("Mobile(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13812345678", "138****5678"},
		{"+86 138-1234-5678", "138****5678"},
		{"010-12345678", "010*****5678"},
		{"1234567", "*******"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := MaskPhone(tc.in); got != tc.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDate(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time // zero = invalid
	}{
		{"2024-03-10", day(2024, 3, 10)},
		{" 2024-03-10 ", day(2024, 3, 10)},
		{"2024-02-29", day(2024, 2, 29)},
		{"2000-02-29", day(2000, 2, 29)},
		{"2024/3/10", day(2024, 3, 10)},
		{"2024/03/10", day(2024, 3, 10)},
		{"2024年3月10日", day(2024, 3, 10)},
		{"2024年03月10日", day(2024, 3, 10)},
		{"2024-3-10", day(2024, 3, 10)},
		{"2023-02-29", time.Time{}},
		{"1900-02-29", time.Time{}},
		{"2023年2月29日", time.Time{}},
		{"2024/2/30", time.Time{}},
		{"2024-04-31", time.Time{}},
		{"2024-13-01", time.Time{}},
		{"2024-00-10", time.Time{}},
		{"2024-01-00", time.Time{}},
		{"0000-01-01", time.Time{}},
		{"24-03-10", time.Time{}},
		{"2024-03-100", time.Time{}},
		{"2024-003-10", time.Time{}},
		{"2024-03-10T00:00:00Z", time.Time{}},
		{"2024-03-10 12:00", time.Time{}},
		{"2024/03-10", time.Time{}},
		{"2024年3月10", time.Time{}},
		{"2024年3-10日", time.Time{}},
		{"2024年3月10日x", time.Time{}},
		{"+024-03-10", time.Time{}},
		{"2024-+3-10", time.Time{}},
		{"10/03/2024", time.Time{}},
		{"", time.Time{}},
	}
	for _, tc := range tests {
		got, err := Date(tc.in)
		k := keyOf(t, err)
		if tc.want.IsZero() {
			if k != KeyDateInvalid {
				t.Errorf("Date(%q) = %v, %v; want %s", tc.in, got, err, KeyDateInvalid)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("Date(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestDateRange(t *testing.T) {
	a, b := day(2024, 3, 10), day(2024, 4, 10)
	if err := DateRange(a, b); err != nil {
		t.Errorf("DateRange(a, b) = %v", err)
	}
	if err := DateRange(a, a); err != nil {
		t.Errorf("DateRange(a, a) = %v", err)
	}
	if k := keyOf(t, DateRange(b, a)); k != KeyDateRange {
		t.Errorf("DateRange(b, a) key = %q, want %s", k, KeyDateRange)
	}
}

func TestLength(t *testing.T) {
	tests := []struct {
		in       string
		min, max int
		ok       bool
	}{
		{"中共某某部机关委员会", 2, 10, true}, // 10 Chinese characters count 10
		{"中共某某部机关委员会第一", 2, 10, false},
		{"党", 2, 10, false},
		{"党建", 2, 10, true},
		{"  党建  ", 2, 2, true},
		{"   ", 1, 5, false},
		{"", 0, 5, true},
		{"abc", 3, 3, true},
		{"abcd", 3, 3, false},
	}
	for _, tc := range tests {
		err := Length(tc.in, tc.min, tc.max)
		if (err == nil) != tc.ok {
			t.Errorf("Length(%q, %d, %d) = %v, want ok=%v", tc.in, tc.min, tc.max, err, tc.ok)
			continue
		}
		if err != nil {
			if k := keyOf(t, err); k != KeyLength {
				t.Errorf("key = %q, want %s", k, KeyLength)
			}
			e, _ := errs.As(err)
			if e.Args["Min"] != tc.min || e.Args["Max"] != tc.max {
				t.Errorf("Args = %v, want Min %d Max %d", e.Args, tc.min, tc.max)
			}
		}
	}
}

func TestRequired(t *testing.T) {
	for _, s := range []string{"", " ", "\t\n", "\u3000"} {
		if k := keyOf(t, Required(s)); k != KeyRequired {
			t.Errorf("Required(%q) key = %q, want %s", s, k, KeyRequired)
		}
	}
	for _, s := range []string{"a", " 党 "} {
		if err := Required(s); err != nil {
			t.Errorf("Required(%q) = %v", s, err)
		}
	}
}

// TestCatalogues: every key this package can return exists, non-empty, in each language's
// validate.json, the files hold no other keys, and the templates parse and use the Args given.
func TestCatalogues(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "i18n", "locales")
	args := map[string]map[string]any{KeyLength: {"Min": 2, "Max": 100}}
	for _, lang := range []string{"zh-Hans", "zh-Hant", "en"} {
		raw, err := os.ReadFile(filepath.Join(dir, lang, "validate.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		want := map[string]bool{}
		for _, k := range Keys() {
			want[k] = true
			text, ok := m[k]
			if !ok || strings.TrimSpace(text) == "" {
				t.Errorf("%s/validate.json: key %q missing or empty", lang, k)
				continue
			}
			tmpl, err := template.New(k).Option("missingkey=error").Parse(text)
			if err != nil {
				t.Errorf("%s %s: %v", lang, k, err)
				continue
			}
			var b strings.Builder
			if err := tmpl.Execute(&b, args[k]); err != nil {
				t.Errorf("%s %s: %v", lang, k, err)
			}
			if k == KeyLength && (!strings.Contains(b.String(), "2") || !strings.Contains(b.String(), "100")) {
				t.Errorf("%s %s: %q does not show Min and Max", lang, k, b.String())
			}
		}
		for k := range m {
			if !want[k] {
				t.Errorf("%s/validate.json: key %q is never returned by package validate", lang, k)
			}
		}
	}
}
