package validate

import (
	"strings"
	"time"
)

// Date parses a calendar date and returns it at UTC midnight. Accepted forms, the whole (trimmed)
// string and nothing else: 2024-03-10, 2024/3/10 and 2024年3月10日; the year has 4 digits, month and
// day 1 or 2 (so 2024-3-10 is accepted too). Impossible dates such as 2023-02-29 and the year 0000
// fail. Error: validate.date.invalid.
func Date(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	var y, m, d string
	if rest, ok := strings.CutSuffix(s, "日"); ok && strings.Contains(rest, "年") {
		var mm string
		y, mm, _ = strings.Cut(rest, "年")
		var found bool
		if m, d, found = strings.Cut(mm, "月"); !found {
			return time.Time{}, fail(KeyDateInvalid)
		}
	} else {
		sep := "-"
		if strings.Contains(s, "/") {
			sep = "/"
		}
		parts := strings.Split(s, sep)
		if len(parts) != 3 {
			return time.Time{}, fail(KeyDateInvalid)
		}
		y, m, d = parts[0], parts[1], parts[2]
	}
	if len(y) != 4 || len(m) < 1 || len(m) > 2 || len(d) < 1 || len(d) > 2 {
		return time.Time{}, fail(KeyDateInvalid)
	}
	t, ok := ymd(y, m, d)
	if !ok {
		return time.Time{}, fail(KeyDateInvalid)
	}
	return t, nil
}

// DateRange checks that from is not after to (equal dates are a valid one-day range).
// Error: validate.date.range.
func DateRange(from, to time.Time) error {
	if from.After(to) {
		return fail(KeyDateRange)
	}
	return nil
}

// ymd builds the UTC-midnight date of decimal year, month and day strings, reporting false for
// non-digits, year 0 and dates that do not exist.
func ymd(y, m, d string) (time.Time, bool) {
	if !allDigits(y) || !allDigits(m) || !allDigits(d) || y == "" || m == "" || d == "" {
		return time.Time{}, false
	}
	yi, mi, di := atoi(y), atoi(m), atoi(d)
	if yi < 1 || mi < 1 || mi > 12 || di < 1 || di > 31 {
		return time.Time{}, false
	}
	t := time.Date(yi, time.Month(mi), di, 0, 0, 0, 0, time.UTC)
	if t.Year() != yi || int(t.Month()) != mi || t.Day() != di {
		return time.Time{}, false
	}
	return t, true
}

// atoi converts a short string of ASCII digits.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
