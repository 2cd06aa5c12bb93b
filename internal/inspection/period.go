package inspection

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Every is how often a frequency rule is due (R0.4: calendar periods).
type Every string

const (
	Monthly   Every = "month"
	Quarterly Every = "quarter"
	HalfYear  Every = "half"
	Yearly    Every = "year"
)

// Everies lists the frequencies the work committee may choose, shortest first.
var Everies = []Every{Monthly, Quarterly, HalfYear, Yearly}

// Valid reports whether e is a known frequency.
func (e Every) Valid() bool {
	for _, x := range Everies {
		if e == x {
			return true
		}
	}
	return false
}

// months is the length of one period in months.
func (e Every) months() int {
	switch e {
	case Monthly:
		return 1
	case Quarterly:
		return 3
	case HalfYear:
		return 6
	}
	return 12
}

// Month is a calendar month as a count of months since year 0 (y*12 + m-1), so ranges are integer ranges.
type Month int

// MonthOf is the month containing t.
func MonthOf(t time.Time) Month { return Month(t.Year()*12 + int(t.Month()) - 1) }

// Year of the month.
func (m Month) Year() int { return int(m) / 12 }

// Index is the month of the year, 1–12.
func (m Month) Index() int { return int(m)%12 + 1 }

// First is the first day of the month.
func (m Month) First() time.Time {
	return time.Date(m.Year(), time.Month(m.Index()), 1, 0, 0, 0, 0, time.UTC)
}

// String is YYYY-MM.
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year(), m.Index()) }

// ParseMonth reads YYYY-MM.
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", strings.TrimSpace(s))
	if err != nil || t.Year() < 1949 || t.Year() > 2200 {
		return 0, fmt.Errorf("inspection: bad month %q", s)
	}
	return MonthOf(t), nil
}

// Period is one calendar period of a frequency rule: [Start, End] in months, inclusive (R0.4: Q1 =
// Jan–Mar; a meeting counts in the period of its meeting date).
type Period struct {
	Every Every
	Start Month
}

// PeriodOf is the period of frequency e that contains month m.
func PeriodOf(e Every, m Month) Period {
	n := e.months()
	y, i := m.Year(), m.Index()-1
	return Period{Every: e, Start: Month(y*12 + i/n*n)}
}

// End is the last month of the period.
func (p Period) End() Month { return p.Start + Month(p.Every.months()) - 1 }

// FirstDay and LastDay bound the period in days.
func (p Period) FirstDay() time.Time { return p.Start.First() }
func (p Period) LastDay() time.Time  { return (p.End() + 1).First().AddDate(0, 0, -1) }

// String names the period as the API does: 2025-03, 2025-Q1, 2025-H1 or 2025.
func (p Period) String() string {
	y := p.Start.Year()
	switch p.Every {
	case Monthly:
		return p.Start.String()
	case Quarterly:
		return fmt.Sprintf("%04d-Q%d", y, (p.Start.Index()-1)/3+1)
	case HalfYear:
		return fmt.Sprintf("%04d-H%d", y, (p.Start.Index()-1)/6+1)
	}
	return strconv.Itoa(y)
}

// ParsePeriod reads what String writes.
func ParsePeriod(s string) (Period, error) {
	bad := fmt.Errorf("inspection: bad period %q", s)
	if len(s) == 4 {
		y, err := strconv.Atoi(s)
		if err != nil {
			return Period{}, bad
		}
		return Period{Every: Yearly, Start: Month(y * 12)}, nil
	}
	if len(s) != 7 || s[4] != '-' {
		return Period{}, bad
	}
	y, err := strconv.Atoi(s[:4])
	if err != nil {
		return Period{}, bad
	}
	switch s[5] {
	case 'Q', 'H':
		n, err := strconv.Atoi(s[6:])
		e, size, top := Quarterly, 3, 4
		if s[5] == 'H' {
			e, size, top = HalfYear, 6, 2
		}
		if err != nil || n < 1 || n > top {
			return Period{}, bad
		}
		return Period{Every: e, Start: Month(y*12 + (n-1)*size)}, nil
	}
	m, err := ParseMonth(s)
	if err != nil {
		return Period{}, bad
	}
	return Period{Every: Monthly, Start: m}, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
