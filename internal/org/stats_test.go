package org_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/dbtest"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

func ymd(s string) time.Time { return date(s).Time }

// §G "Age as of 2023-12-31" vectors, and the band edges (R0.1: 以下/以上 include the number).
func TestG_AgeBands(t *testing.T) {
	for _, v := range []struct {
		birth, on string
		age       int
		band      string
	}{
		{"1993-12-31", "2023-12-31", 30, "30_under"},
		{"1993-12-30", "2023-12-31", 30, "30_under"},
		{"1992-12-31", "2023-12-31", 31, "31_35"},
		{"1988-12-31", "2023-12-31", 35, "31_35"},
		{"1988-01-01", "2023-12-31", 35, "31_35"},
		{"1987-12-31", "2023-12-31", 36, "36_40"},
		{"1963-01-01", "2023-12-31", 60, "56_60"},
		{"1962-12-31", "2023-12-31", 61, "61_over"},
		{"2000-02-29", "2023-02-28", 23, "30_under"}, // R0.2: 02-29 + 23 years clamps to 02-28
		{"2000-02-29", "2023-02-27", 22, "30_under"},
	} {
		t.Run(fmt.Sprintf("G age DOB %s on %s", v.birth, v.on), func(t *testing.T) {
			age := org.Age(ymd(v.birth), ymd(v.on))
			if age != v.age || org.AgeBandOf(age) != v.band {
				t.Errorf("age %d band %s, want %d %s", age, org.AgeBandOf(age), v.age, v.band)
			}
		})
	}
}

// §G join eras: 新中国成立前, 成立后至十一届三中全会前, 三中全会后至十八大前, 十八大以来.
func TestG_JoinEras(t *testing.T) {
	for on, want := range map[string]string{
		"1949-09-30": "before_1949", "1949-10-01": "1949_1978", "1978-12-17": "1949_1978",
		"1978-12-18": "1978_2012", "2012-11-07": "1978_2012", "2012-11-08": "since_2012", "2024-07-01": "since_2012",
	} {
		if got := org.JoinEraOf(ymd(on)); got != want {
			t.Errorf("G join era of %s = %s, want %s", on, got, want)
		}
	}
}

func TestG_DefaultAsOf(t *testing.T) {
	// 2026-12-31 23:30 UTC is already 2027 in Shanghai.
	if got := org.DefaultAsOf(time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC)).String(); got != "2027-12-31" {
		t.Errorf("default as-of %s", got)
	}
	if got := org.DefaultAsOf(rosterToday).String(); got != "2026-03-10"[:4]+"-12-31" {
		t.Errorf("default as-of %s", got)
	}
}

type statMember struct {
	org                                       string // b1, b2
	gender, ethnicity, education, status      string
	birth, joined, full, terminal, terminalOn string
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// counts renders a table as "key=n" for the non-zero rows.
func counts(cs []org.Count) string {
	out := ""
	for _, c := range cs {
		if c.Count != 0 {
			out += fmt.Sprintf("%s=%d ", c.Key, c.Count)
		}
	}
	return out
}

// §G statistics as at a date over a subtree, with every expectation computed by hand (see each row).
func TestG_StatsAsOf(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newRoster(t, d)
		ms := []statMember{
			// 1: woman, 30 on 2023-12-31 (G vector), 大专+, joined since the 18th Congress.
			{"b1", "female", "汉族", "bachelor", "full", "1993-12-31", "2015-06-01", "2016-06-01", "", ""},
			// 2: minority, 31 (G vector), joined on the opening day of the 18th Congress.
			{"b1", "male", "回族", "master", "full", "1992-12-31", "2012-11-08", "2013-11-08", "", ""},
			// 3: 外国血统 is not a minority; 63; joined the day before the Third Plenum.
			{"b1", "female", "外国血统", "high_school", "full", "1960-01-01", "1978-12-17", "1979-12-17", "", ""},
			// 4: 93; joined before 1949-10-01.
			{"b1", "male", "汉族", "junior_or_below", "full", "1930-05-05", "1949-09-30", "1950-09-30", "", ""},
			// 5: probationary minority woman, 25, doctorate.
			{"b1", "female", "藏族", "doctorate", "probationary", "1998-01-01", "2023-06-01", "", "", ""},
			// 6: full today but confirmed 2024-03-01, so probationary on 2023-12-31; 35.
			{"b2", "male", "汉族", "bachelor", "full", "1988-12-31", "2023-03-01", "2024-03-01", "", ""},
			// 7: admitted 2024-01-02 — not yet a member on 2023-12-31.
			{"b2", "male", "汉族", "bachelor", "probationary", "1990-01-01", "2024-01-02", "", "", ""},
			// 8: died 2023-06-30 — off the roster on 2023-12-31.
			{"b2", "male", "汉族", "bachelor", "full", "1950-01-01", "1975-01-01", "1976-01-01", "deceased", "2023-06-30"},
			// 9: withdrew on 2023-12-31 itself — still counted that day; no birth date; joined on the Plenum's day.
			{"b2", "male", "汉族", "", "full", "", "1978-12-18", "1979-12-18", "withdrew", "2023-12-31"},
			// 7b: admitted on the day itself — counted; 23, 大专.
			{"b2", "female", "汉族", "college", "probationary", "2000-06-15", "2023-12-31", "", "", ""},
			// 10: an applicant counts in the status table only.
			{"b2", "male", "汉族", "", "applicant", "1999-01-01", "", "", "", ""},
			// 11: an activist who left (no date) counts nowhere.
			{"b2", "male", "汉族", "", "activist", "1999-01-01", "", "", "removed", ""},
		}
		var b3 int64
		err := d.Write(r.ctx(), func(tx *db.Tx) error {
			for i, m := range ms {
				orgID := map[string]int64{"b1": r.b1, "b2": r.b2}[m.org]
				if _, err := tx.Exec(`INSERT INTO members (org_id, name, gender, birth_on, status, joined_on, full_on,
					ethnicity, education, terminal_state, terminal_on, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,0,0)`,
					orgID, fmt.Sprintf("党员%d", i), m.gender, nullable(m.birth), m.status, nullable(m.joined), nullable(m.full),
					m.ethnicity, m.education, m.terminal, nullable(m.terminalOn)); err != nil {
					return err
				}
			}
			var parent int64
			if err := tx.QueryRow("SELECT parent_id FROM orgs WHERE id = ?", r.b1).Scan(&parent); err != nil {
				return err
			}
			// A branch established in 2024 is not in the 2023 organisation count.
			o, err := r.o.CreateTx(tx, org.NewOrg{ParentID: parent, Kind: org.Branch, Name: "第三党支部", EstablishedOn: "2024-05-01"})
			b3 = o.ID
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		_ = b3
		root := r.admin.OrgID
		type want struct {
			members, full, prob     int
			women, minorities, coll string
			ages, eras, statuses    string
			orgs                    string
		}
		for _, v := range []struct {
			name  string
			orgID int64
			asOf  string
			want  want
		}{
			{"G whole tree as at 2023-12-31", root, "2023-12-31", want{8, 5, 3,
				"4 50", "2 25", "5 62.5",
				"30_under=3 31_35=2 61_over=2 unknown=1 ", "before_1949=1 1949_1978=1 1978_2012=1 since_2012=5 ",
				"applicant=1 probationary=3 full=5 ",
				"work_committee=1 committee=1 branch=2 cell=1 "}},
			// 2024-12-31: 6 is full, 7 has joined, 9 has left; the third branch exists.
			// Ages a year on: 1→31, 2→32, 3→64, 4→94, 5→26, 6→36, 7→34, 7b→24.
			{"G whole tree as at 2024-12-31", root, "2024-12-31", want{8, 5, 3,
				"4 50", "2 25", "6 75",
				"30_under=2 31_35=3 36_40=1 61_over=2 ", "before_1949=1 1949_1978=1 since_2012=6 ",
				"applicant=1 probationary=3 full=5 ",
				"work_committee=1 committee=1 branch=3 cell=1 "}},
			{"G branch subtree as at 2023-12-31", r.b1, "2023-12-31", want{5, 4, 1,
				"3 60", "2 40", "3 60",
				"30_under=2 31_35=1 61_over=2 ", "before_1949=1 1949_1978=1 since_2012=3 ",
				"probationary=1 full=4 ",
				"branch=1 cell=1 "}},
			{"G before anyone joined", root, "1940-12-31", want{0, 0, 0,
				"0 0", "0 0", "0 0", "", "", "applicant=1 ", "work_committee=1 committee=1 branch=2 cell=1 "}},
		} {
			t.Run(v.name, func(t *testing.T) {
				s, err := r.o.Stats(r.ctx(), r.admin, v.orgID, date(v.asOf))
				if err != nil {
					t.Fatal(err)
				}
				got := want{s.Members, s.Full, s.Probationary,
					fmt.Sprint(s.Women.Count, " ", s.Women.Percent), fmt.Sprint(s.Minorities.Count, " ", s.Minorities.Percent),
					fmt.Sprint(s.CollegeOrAbove.Count, " ", s.CollegeOrAbove.Percent),
					counts(s.AgeBands), counts(s.JoinEras), counts(s.Statuses), counts(s.Orgs)}
				if got != v.want {
					t.Errorf("got  %+v\nwant %+v", got, v.want)
				}
				if s.AsOf.String() != v.asOf || len(s.AgeBands) != 9 || len(s.JoinEras) != 5 {
					t.Errorf("as_of %s, %d bands, %d eras", s.AsOf, len(s.AgeBands), len(s.JoinEras))
				}
			})
		}
		t.Run("G default as-of is 12-31 of this year", func(t *testing.T) {
			s, err := r.o.Stats(r.ctx(), r.admin, root, db.Date{})
			if err != nil {
				t.Fatal(err)
			}
			if s.AsOf.String() != "2026-12-31" {
				t.Errorf("as_of %s", s.AsOf)
			}
		})
		t.Run("officer of another branch is refused", func(t *testing.T) {
			officer := auth.Principal{UserID: 2, Username: "o2", Role: auth.BranchOfficer, OrgID: r.b2, OrgPath: rosterPath(t, r, r.b2)}
			if _, err := r.o.Stats(r.ctx(), officer, r.b1, date("2023-12-31")); !errs.Is(err, errs.Forbidden) {
				t.Errorf("err %v, want forbidden", err)
			}
		})
	})
}
