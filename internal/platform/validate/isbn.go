package validate

import (
	"strings"
)

// ISBN validates an International Standard Book Number (ISO 2108) and returns it as the 13 digits of an
// ISBN-13, the one form the catalogue stores. Hyphens and spaces are ignored and a lower-case x is read as
// X. An ISBN-10 (nine digits and a MOD 11 check character, X for 10) is checked and converted: "978", its
// first nine digits, and a new MOD 10 check digit. An ISBN-13 must start 978 or 979 and carry a correct
// check digit (weights 1, 3, 1, 3 …).
//
// Errors, checked in this order: validate.isbn.length, .chars, .checksum, .prefix.
func ISBN(s string) (string, error) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r == '-' || r == ' ' || r == '\u2010' || r == '\u2013':
		case r == 'x':
			b.WriteByte('X')
		case r < 0x80:
			b.WriteRune(r)
		default:
			return "", fail(KeyISBNChars)
		}
	}
	n := b.String()
	switch len(n) {
	case 10:
		if !allDigits(n[:9]) || !(isDigit(n[9]) || n[9] == 'X') {
			return "", fail(KeyISBNChars)
		}
		if isbn10Check(n[:9]) != n[9] {
			return "", fail(KeyISBNChecksum)
		}
		body := "978" + n[:9]
		return body + string(isbn13Check(body)), nil
	case 13:
		if !allDigits(n) {
			return "", fail(KeyISBNChars)
		}
		if isbn13Check(n[:12]) != n[12] {
			return "", fail(KeyISBNChecksum)
		}
		if !strings.HasPrefix(n, "978") && !strings.HasPrefix(n, "979") {
			return "", fail(KeyISBNPrefix)
		}
		return n, nil
	}
	return "", fail(KeyISBNLength)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isbn10Check is the ISBN-10 check character of nine digits: weights 10 … 2, and the character that
// makes the sum a multiple of 11 (X for 10).
func isbn10Check(body string) byte {
	s := 0
	for i := 0; i < 9; i++ {
		s += int(body[i]-'0') * (10 - i)
	}
	c := (11 - s%11) % 11
	if c == 10 {
		return 'X'
	}
	return byte('0' + c)
}

// isbn13Check is the ISBN-13 (EAN-13) check digit of twelve digits: weights 1 and 3 alternately, and the
// digit that makes the sum a multiple of 10.
func isbn13Check(body string) byte {
	s := 0
	for i := 0; i < 12; i++ {
		d := int(body[i] - '0')
		if i%2 == 1 {
			d *= 3
		}
		s += d
	}
	return byte('0' + (10-s%10)%10)
}
