package validate

import (
	"strings"
	"testing"
)

// ISBN vectors (issue 6: valid, bad checksum, ISBN-10 with X). The checks were recomputed by hand and by
// script: ISBN-10 MOD 11 with weights 10…2, ISBN-13 MOD 10 with weights 1, 3.
func TestISBN(t *testing.T) {
	tests := []struct {
		name, in, key, want string
	}{
		{"ISBN-13, the ISO 2108 example", "978-0-306-40615-7", "", "9780306406157"},
		{"ISBN-13 without hyphens", "9780306406157", "", "9780306406157"},
		{"ISBN-13 of a Chinese publisher (人民文学出版社)", "978-7-02-000220-7", "", "9787020002207"},
		{"ISBN-13 with spaces", " 978 7 108 00982 1 ", "", "9787108009821"},
		{"979 prefix", "979-10-90636-07-1", "", "9791090636071"},
		{"ISBN-13, bad checksum", "978-0-306-40615-8", KeyISBNChecksum, ""},
		{"ISBN-13, two digits swapped", "9780306406517", KeyISBNChecksum, ""},
		{"ISBN-10 converted", "0-306-40615-2", "", "9780306406157"},
		{"ISBN-10 with check X", "0-8044-2957-X", "", "9780804429573"},
		{"ISBN-10 with lower-case x", "080442957x", "", "9780804429573"},
		{"ISBN-10 with X, another", "097522980X", "", "9780975229804"},
		{"ISBN-10, bad checksum", "0-306-40615-3", KeyISBNChecksum, ""},
		{"ISBN-10, X where 2 belongs", "030640615X", KeyISBNChecksum, ""},
		{"X inside an ISBN-10", "03064X6152", KeyISBNChars, ""},
		{"X on an ISBN-13", "978030640615X", KeyISBNChars, ""},
		{"checksum-valid 13 digits, not a book prefix", "4006381333931", KeyISBNPrefix, ""},
		{"12 digits", "978030640615", KeyISBNLength, ""},
		{"11 digits", "03064061521", KeyISBNLength, ""},
		{"empty", "", KeyISBNLength, ""},
		{"letters", "ISBN97803064", KeyISBNLength, ""},
		{"letter inside", "97803064A6157", KeyISBNChars, ""},
		{"full-width digits", "９７８０３０６４０６１５７", KeyISBNChars, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ISBN(tc.in)
			if k := keyOf(t, err); k != tc.key {
				t.Fatalf("ISBN(%q) error %q, want %q", tc.in, k, tc.key)
			}
			if got != tc.want {
				t.Fatalf("ISBN(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func FuzzISBN(f *testing.F) {
	for _, s := range []string{
		"978-0-306-40615-7", "9780306406158", "0-306-40615-2", "080442957X", "080442957x", "030640615X",
		"4006381333931", "979-10-90636-07-1", "", "X", "９７８０３０６４０６１５７", "978 7 02 000220 7",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ISBN(s)
		checkErr(t, err)
		if err != nil {
			if got != "" {
				t.Fatalf("ISBN(%q) returned %q with error %v", s, got, err)
			}
			return
		}
		if len(got) != 13 || !allDigits(got) || isbn13Check(got[:12]) != got[12] ||
			!(strings.HasPrefix(got, "978") || strings.HasPrefix(got, "979")) {
			t.Fatalf("ISBN(%q) = %q: not a valid ISBN-13", s, got)
		}
		if again, err := ISBN(got); err != nil || again != got {
			t.Fatalf("ISBN(%q) = %q, %v; want it to re-validate to itself", got, again, err)
		}
		// MOD 10 with weights 1, 3 catches every single-digit substitution.
		for i := 0; i < 12; i++ {
			for delta := byte(1); delta < 10; delta++ {
				b := []byte(got)
				b[i] = '0' + (b[i]-'0'+delta)%10
				if _, err := ISBN(string(b)); err == nil {
					t.Fatalf("%q (one digit changed from %q) is still valid", b, got)
				}
			}
		}
	})
}
