package org

import (
	"time"

	"github.com/dangjian/dangjian/internal/platform/db"
)

// Ethnicity is one entry of GB/T 3304 (中国各民族名称的罗马字母拼写法和代码): the two-digit code and the
// name stored on the roster. 97 and 98 are the standard's entries for people of an unrecognised
// ethnic group and for naturalised citizens of foreign origin.
type Ethnicity struct {
	Code string
	Name string
}

// Han is the majority group; everyone else counts as an ethnic minority in statistics (§G) — except
// 外国血统, which the bulletins do not count as a minority.
const Han = "汉族"

// Ethnicities is the GB/T 3304 list in code order.
var Ethnicities = []Ethnicity{
	{"01", "汉族"}, {"02", "蒙古族"}, {"03", "回族"}, {"04", "藏族"}, {"05", "维吾尔族"}, {"06", "苗族"},
	{"07", "彝族"}, {"08", "壮族"}, {"09", "布依族"}, {"10", "朝鲜族"}, {"11", "满族"}, {"12", "侗族"},
	{"13", "瑶族"}, {"14", "白族"}, {"15", "土家族"}, {"16", "哈尼族"}, {"17", "哈萨克族"}, {"18", "傣族"},
	{"19", "黎族"}, {"20", "傈僳族"}, {"21", "佤族"}, {"22", "畲族"}, {"23", "高山族"}, {"24", "拉祜族"},
	{"25", "水族"}, {"26", "东乡族"}, {"27", "纳西族"}, {"28", "景颇族"}, {"29", "柯尔克孜族"}, {"30", "土族"},
	{"31", "达斡尔族"}, {"32", "仫佬族"}, {"33", "羌族"}, {"34", "布朗族"}, {"35", "撒拉族"}, {"36", "毛南族"},
	{"37", "仡佬族"}, {"38", "锡伯族"}, {"39", "阿昌族"}, {"40", "普米族"}, {"41", "塔吉克族"}, {"42", "怒族"},
	{"43", "乌孜别克族"}, {"44", "俄罗斯族"}, {"45", "鄂温克族"}, {"46", "德昂族"}, {"47", "保安族"},
	{"48", "裕固族"}, {"49", "京族"}, {"50", "塔塔尔族"}, {"51", "独龙族"}, {"52", "鄂伦春族"}, {"53", "赫哲族"},
	{"54", "门巴族"}, {"55", "珞巴族"}, {"56", "基诺族"}, {"97", "其他"}, {"98", "外国血统"},
}

// ethnicityName resolves a GB/T 3304 code or name ("01", "汉族", and "汉" for short) to the stored name.
func ethnicityName(s string) (string, bool) {
	for _, e := range Ethnicities {
		if s == e.Code || s == e.Name || (len(e.Name) > len("族") && s+"族" == e.Name) {
			return e.Name, true
		}
	}
	return "", false
}

// Education levels (学历), after GB/T 4658 grouped as the party statistics report them. The code is
// stored; the label comes from the catalogue (education.<code>).
var Educations = []string{"doctorate", "master", "bachelor", "college", "secondary_vocational", "high_school", "junior_or_below"}

// CollegeOrAbove reports whether an education level counts as 大专及以上 (§G).
func CollegeOrAbove(code string) bool {
	switch code {
	case "doctorate", "master", "bachelor", "college":
		return true
	}
	return false
}

func validEducation(s string) bool {
	for _, e := range Educations {
		if s == e {
			return true
		}
	}
	return false
}

// Terminal states (F8): a member in one of them has left the roster but the record is kept.
var TerminalStates = []string{"removed", "withdrew", "expelled", "deceased"}

// Statuses lists the member statuses in the order of the recruitment procedure.
var Statuses = []Status{Applicant, Activist, Candidate, Probationary, Full}

func validStatus(s Status) bool {
	for _, x := range Statuses {
		if s == x {
			return true
		}
	}
	return false
}

// AddYears adds calendar years, clamping 02-29 to 02-28 in a common year (R0.2).
func AddYears(d time.Time, n int) time.Time {
	y, m, day := d.Date()
	t := time.Date(y+n, m, 1, 0, 0, 0, 0, time.UTC)
	last := t.AddDate(0, 1, -1).Day()
	if day > last {
		day = last
	}
	return time.Date(y+n, m, day, 0, 0, 0, 0, time.UTC)
}

// StandingStart is the day party standing (党龄) starts counting (C5.4): the day probation ended and the
// member was confirmed — full_on when recorded (an extended probation ends later, and full_on says
// so), else one year after the 支部大会 that admitted them (C5.1). Only full members have standing.
func StandingStart(status Status, joinedOn, fullOn db.Date) (time.Time, bool) {
	if status != Full {
		return time.Time{}, false
	}
	if !fullOn.IsZero() {
		return fullOn.Time, true
	}
	if !joinedOn.IsZero() {
		return AddYears(joinedOn.Time, 1), true
	}
	return time.Time{}, false
}

// Standing is party standing in full years on asOf (C5.4): the number of anniversaries of the start
// that have arrived, an anniversary falling on the day itself counting.
func Standing(status Status, joinedOn, fullOn db.Date, asOf time.Time) (int, bool) {
	start, ok := StandingStart(status, joinedOn, fullOn)
	if !ok {
		return 0, false
	}
	day := db.DateOf(asOf).Time
	if day.Before(start) {
		return 0, true
	}
	n := day.Year() - start.Year()
	if AddYears(start, n).After(day) {
		n--
	}
	return n, true
}
