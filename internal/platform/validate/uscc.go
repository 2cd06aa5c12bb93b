package validate

import (
	"strings"
	"unicode/utf8"
)

// usccAlphabet is the GB 32100-2015 character set: digits and upper-case letters without I, O, S, V, Z.
// A character's index is its value.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var (
	usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	orgWeights  = [8]int{3, 7, 9, 10, 5, 8, 4, 2}
)

// usccCheckChar computes the GB 32100 check character of the first 17 characters, which must all be
// in usccAlphabet.
func usccCheckChar(body string) byte {
	s := 0
	for i := 0; i < 17; i++ {
		s += strings.IndexByte(usccAlphabet, body[i]) * usccWeights[i]
	}
	return usccAlphabet[(31-s%31)%31]
}

// orgCheckChar computes the GB 11714-1997 check character of an 8-character organisation-code body.
// Letters count A = 10 … Z = 35 (their own scale, not their index in usccAlphabet). ok is false when
// a character is neither a digit nor an upper-case letter.
func orgCheckChar(body string) (c byte, ok bool) {
	s := 0
	for i := 0; i < 8; i++ {
		var v int
		switch ch := body[i]; {
		case ch >= '0' && ch <= '9':
			v = int(ch - '0')
		case ch >= 'A' && ch <= 'Z':
			v = int(ch-'A') + 10
		default:
			return 0, false
		}
		s += v * orgWeights[i]
	}
	switch c9 := 11 - s%11; c9 {
	case 10:
		return 'X', true
	case 11:
		return '0', true
	default:
		return byte('0' + c9), true
	}
}

// USCC validates a unified social credit code (统一社会信用代码, GB 32100-2015, RULES.md H2) and returns
// it trimmed and upper-cased. Besides the code's own check character (position 18) it checks the
// embedded GB 11714 organisation code (positions 9–17, whose last character is its own check).
// The registration-authority, type and region codes are not looked up.
//
// Errors, checked in this order: validate.uscc.length, .chars, .checksum, .org_code.
func USCC(s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if utf8.RuneCountInString(s) != 18 {
		return "", fail(KeyUSCCLength)
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(usccAlphabet, s[i]) < 0 {
			return "", fail(KeyUSCCChars)
		}
	}
	if usccCheckChar(s) != s[17] {
		return "", fail(KeyUSCCChecksum)
	}
	if c, ok := orgCheckChar(s[8:16]); !ok || c != s[16] {
		return "", fail(KeyUSCCOrgCode)
	}
	return s, nil
}
