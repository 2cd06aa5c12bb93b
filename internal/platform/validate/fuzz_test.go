package validate

import (
	"strings"
	"testing"
	"time"
)

// checkErr fails unless err is nil or an Unprocessable *errs.Error with a known key.
func checkErr(t *testing.T, err error) { t.Helper(); keyOf(t, err) }

func FuzzIDNumber(f *testing.F) {
	for _, s := range []string{
		"11010519491231002X", "11010519491231002x", "440524188001010014", "110105194912310021",
		"110105491231002", "320102850101041", "32010219850105041X", "110105194902310026",
		"00010519491231002X", "11010519491231002", "11010519491A31002X", "", " ", "x",
		"１１０１０５１９４９１２３１００２X",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		info, err := IDNumber(s)
		checkErr(t, err)
		if err != nil {
			if info != (IDInfo{}) {
				t.Fatalf("IDNumber(%q) returned %+v with error %v", s, info, err)
			}
			return
		}
		n := info.Number
		if len(n) != 18 || !allDigits(n[:17]) || idCheckChar(n) != n[17] {
			t.Fatalf("IDNumber(%q).Number = %q: not 18 characters with a correct check", s, n)
		}
		if info.Birth.Year() < MinBirthYear || info.Birth.Location() != time.UTC ||
			info.Birth.Format("20060102") != n[6:14] {
			t.Fatalf("IDNumber(%q).Birth = %v does not match %q", s, info.Birth, n)
		}
		if want := map[bool]string{true: "male", false: "female"}[(n[16]-'0')%2 == 1]; info.Gender != want {
			t.Fatalf("IDNumber(%q).Gender = %q, want %q", s, info.Gender, want)
		}
		// A valid result re-validates to itself.
		again, err := IDNumber(n)
		if err != nil || again.Number != n || !again.Birth.Equal(info.Birth) || again.Gender != info.Gender || again.Upgraded {
			t.Fatalf("IDNumber(%q) = %+v, %v; want it to re-validate to %+v", n, again, err, info)
		}
		if info.Upgraded != (len(strings.TrimSpace(s)) == 15) {
			t.Fatalf("IDNumber(%q).Upgraded = %v", s, info.Upgraded)
		}
		// MOD 11-2 catches every single-digit substitution: changing one of the first 17 digits makes
		// the number invalid, and the check character it would need differs from the old one.
		for i := 0; i < 17; i++ {
			for delta := byte(1); delta < 10; delta++ {
				b := []byte(n)
				b[i] = '0' + (b[i]-'0'+delta)%10
				if _, err := IDNumber(string(b)); err == nil {
					t.Fatalf("%q (one digit changed from %q) is still valid", b, n)
				}
				if idCheckChar(string(b)) == n[17] {
					t.Fatalf("%q (one digit changed from %q) keeps check %c", b, n, n[17])
				}
			}
		}
		_ = MaskID(s)
	})
}

func FuzzUSCC(f *testing.F) {
	for _, s := range []string{
		"91350100M000100Y43", "91350100m000100y43", "91350100M000100Y44", "91000000000000000K",
		"111101050000000191", "1111010500000006X4", "91350100M000100I43", "91350100M000100Y56",
		"91350100M000100Y4", "", "统一社会信用代码统一社会信用代码一二",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := USCC(s)
		checkErr(t, err)
		if err != nil {
			if got != "" {
				t.Fatalf("USCC(%q) returned %q with error %v", s, got, err)
			}
			return
		}
		if len(got) != 18 || usccCheckChar(got) != got[17] {
			t.Fatalf("USCC(%q) = %q: not 18 characters with a correct check", s, got)
		}
		if c, ok := orgCheckChar(got[8:16]); !ok || c != got[16] {
			t.Fatalf("USCC(%q) = %q: organisation code check fails", s, got)
		}
		if again, err := USCC(got); err != nil || again != got {
			t.Fatalf("USCC(%q) = %q, %v; want it to re-validate to itself", got, again, err)
		}
		// The MOD 31 check catches every single-character substitution within the alphabet.
		for i := 0; i < 17; i++ {
			for _, r := range usccAlphabet {
				if byte(r) == got[i] {
					continue
				}
				b := []byte(got)
				b[i] = byte(r)
				if _, err := USCC(string(b)); err == nil {
					t.Fatalf("%q (one character changed from %q) is still valid", b, got)
				}
			}
		}
	})
}

func FuzzMobile(f *testing.F) {
	for _, s := range []string{
		"13812345678", "138 1234 5678", "+86 138-1234-5678", "8613812345678", "12812345678",
		"+13812345678", "861381234567", "", "+86", "１３８１２３４５６７８",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Mobile(s)
		checkErr(t, err)
		if err != nil {
			if got != "" {
				t.Fatalf("Mobile(%q) returned %q with error %v", s, got, err)
			}
			return
		}
		if len(got) != 11 || !allDigits(got) || got[0] != '1' || got[1] < '3' || got[1] > '9' {
			t.Fatalf("Mobile(%q) = %q: not a mainland mobile number", s, got)
		}
		for _, v := range []string{got, "+86" + got, "86" + got, got[:3] + " " + got[3:7] + "-" + got[7:]} {
			if again, err := Mobile(v); err != nil || again != got {
				t.Fatalf("Mobile(%q) = %q, %v; want %q", v, again, err, got)
			}
		}
		if m := MaskPhone(s); m != got[:3]+"****"+got[7:] {
			t.Fatalf("MaskPhone(%q) = %q", s, m)
		}
	})
}

func FuzzDate(f *testing.F) {
	for _, s := range []string{
		"2024-03-10", "2024-02-29", "2023-02-29", "2024/3/10", "2024年3月10日", "2024-3-10",
		"0000-01-01", "9999-12-31", "2024-03-10T00:00:00Z", "", "年月日", "2024年3月10",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Date(s)
		checkErr(t, err)
		if err != nil {
			if !got.IsZero() {
				t.Fatalf("Date(%q) returned %v with error %v", s, got, err)
			}
			return
		}
		if got.Location() != time.UTC || got.Hour() != 0 || got.Minute() != 0 || got.Second() != 0 || got.Nanosecond() != 0 {
			t.Fatalf("Date(%q) = %v: not UTC midnight", s, got)
		}
		for _, v := range []string{
			got.Format("2006-01-02"), got.Format("2006/1/2"),
			got.Format("2006") + "年" + got.Format("1") + "月" + got.Format("2") + "日",
		} {
			if again, err := Date(v); err != nil || !again.Equal(got) {
				t.Fatalf("Date(%q) = %v, %v; want %v (from %q)", v, again, err, got, s)
			}
		}
		if err := DateRange(got, got); err != nil {
			t.Fatalf("DateRange(d, d) = %v", err)
		}
	})
}
