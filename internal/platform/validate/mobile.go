package validate

import "strings"

// Mobile validates a mainland China mobile number and returns its 11 digits. Spaces and hyphens are
// removed and an optional +86 or 86 country prefix is dropped; what remains must be 11 digits starting
// with 1 and a second digit from 3 to 9. Error: validate.mobile.invalid.
func Mobile(s string) (string, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\u3000' || r == '\t' {
			return -1
		}
		return r
	}, s)
	switch {
	case strings.HasPrefix(s, "+86"):
		s = s[3:]
	case len(s) == 13 && strings.HasPrefix(s, "86"):
		s = s[2:]
	}
	if len(s) != 11 || !allDigits(s) || s[0] != '1' || s[1] < '3' || s[1] > '9' {
		return "", fail(KeyMobileInvalid)
	}
	return s, nil
}
