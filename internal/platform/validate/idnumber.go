package validate

import (
	"strings"
	"time"
	"unicode/utf8"
)

// IDInfo is what a valid resident ID number tells.
type IDInfo struct {
	Number   string    // normalised: 18 characters, check character upper-case
	Birth    time.Time // birth date, UTC midnight
	Gender   string    // "male" or "female", from the 17th digit (odd = male)
	Upgraded bool      // the input was a 15-digit legacy number, upgraded to 18
}

// MinBirthYear is the earliest birth year IDNumber accepts. It is a plausibility bound of this
// platform, not part of GB 11643: it catches typos such as 1890 for 1990. Note that the standard's
// own second example, 440524188001010014 (born 1880), has a correct check character but fails it.
const MinBirthYear = 1800

var (
	idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	idChecks  = "10X98765432"
)

// idCheckChar computes the ISO 7064 MOD 11-2 check character of 17 digits.
func idCheckChar(body string) byte {
	s := 0
	for i := 0; i < 17; i++ {
		s += int(body[i]-'0') * idWeights[i]
	}
	return idChecks[s%11]
}

// idProvinces are the GB/T 2260 province-level codes (first two digits of the address code), plus 71
// (Taiwan), 81 (Hong Kong), 82 (Macao), 83 (residence permits of Taiwan residents) and 91 (permanent
// residence ID cards of foreigners). Only the province is checked: the full GB/T 2260 county list
// (about 3,000 codes that change every year, and old numbers keep withdrawn codes) is not embedded.
var idProvinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true, "83": true, "91": true,
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// IDNumber validates a resident ID number (居民身份号码, GB 11643-1999, RULES.md H1). Surrounding white
// space is trimmed and a trailing x upper-cased. 18-character numbers must carry the right ISO 7064
// MOD 11-2 check character; 15-digit legacy numbers are upgraded by inserting "19" before the birth
// year and computing the check character. The birth date must be a real date from MinBirthYear on
// (it is not compared with today; callers that care compare Birth with their clock), and the first two
// digits must be a province-level GB/T 2260 code.
//
// Errors, checked in this order: validate.id_number.length, .chars, .region, .birth_date, .checksum.
func IDNumber(s string) (IDInfo, error) {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "x") {
		s = s[:len(s)-1] + "X"
	}
	var info IDInfo
	switch utf8.RuneCountInString(s) {
	case 18:
		if !allDigits(s[:17]) || !(allDigits(s[17:]) || s[17] == 'X') {
			return IDInfo{}, fail(KeyIDNumberChars)
		}
	case 15:
		if !allDigits(s) {
			return IDInfo{}, fail(KeyIDNumberChars)
		}
		info.Upgraded = true
		s = s[:6] + "19" + s[6:]
		s += string(idCheckChar(s))
	default:
		return IDInfo{}, fail(KeyIDNumberLength)
	}
	if !idProvinces[s[:2]] {
		return IDInfo{}, fail(KeyIDNumberRegion)
	}
	birth, ok := ymd(s[6:10], s[10:12], s[12:14])
	if !ok || birth.Year() < MinBirthYear {
		return IDInfo{}, fail(KeyIDNumberBirthDate)
	}
	if idCheckChar(s) != s[17] {
		return IDInfo{}, fail(KeyIDNumberChecksum)
	}
	info.Number = s
	info.Birth = birth
	info.Gender = "female"
	if (s[16]-'0')%2 == 1 {
		info.Gender = "male"
	}
	return info, nil
}

// MaskID hides the middle of an ID number for display: the first 6 and last 4 characters stay, each
// one between becomes *, e.g. 320102********041X. Input of 10 characters or fewer is masked entirely.
func MaskID(n string) string {
	return mask(strings.TrimSpace(n), 6, 4)
}

// MaskPhone hides the middle of a phone number: 138****5678. A valid mobile number is normalised first
// (so +86 138-1234-5678 masks the same); anything else keeps its first 3 and last 4 characters.
func MaskPhone(p string) string {
	if m, err := Mobile(p); err == nil {
		p = m
	}
	return mask(strings.TrimSpace(p), 3, 4)
}

// mask keeps head and tail runes of s and replaces the rest with *; too short a string is all stars.
func mask(s string, head, tail int) string {
	r := []rune(s)
	if len(r) <= head+tail {
		return strings.Repeat("*", len(r))
	}
	return string(r[:head]) + strings.Repeat("*", len(r)-head-tail) + string(r[len(r)-tail:])
}
