package web

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/dangjian/dangjian/internal/demo"
	"github.com/dangjian/dangjian/internal/platform/auth"
)

func init() {
	read := map[auth.Role]int{auth.OrgAdmin: 200, auth.BranchOfficer: 200}
	authzMatrix = append(authzMatrix,
		matrixCase{name: "G stats json", method: "GET", scoped: true, want: read,
			path: func(e *env, org int64) string {
				return fmt.Sprintf("/api/v1/stats/members?org_id=%d&as_of=2024-12-31", org)
			}},
		matrixCase{name: "G stats xlsx", method: "GET", scoped: true, want: read,
			path: func(e *env, org int64) string {
				return fmt.Sprintf("/api/v1/stats/members.xlsx?org_id=%d&as_of=2024-12-31", org)
			}},
		matrixCase{name: "G stats page", method: "GET", scoped: true, want: read,
			path: func(e *env, org int64) string { return fmt.Sprintf("/orgs/%d/stats?as_of=2024-12-31", org) }},
	)
}

type statsJSON struct {
	OrgID        int64  `json:"org_id"`
	AsOf         string `json:"as_of"`
	Members      int    `json:"members"`
	Full         int    `json:"full"`
	Probationary int    `json:"probationary"`
	Women        struct {
		Count   int     `json:"count"`
		Percent float64 `json:"percent"`
	} `json:"women"`
	Minorities struct {
		Count int `json:"count"`
	} `json:"minorities"`
	CollegeOrAbove struct {
		Count int `json:"count"`
	} `json:"college_or_above"`
	AgeBands []struct {
		Key   string `json:"key"`
		Count int    `json:"count"`
	} `json:"age_bands"`
	JoinEras []struct {
		Key   string `json:"key"`
		Count int    `json:"count"`
	} `json:"join_eras"`
	Orgs []struct {
		Key   string `json:"key"`
		Count int    `json:"count"`
	} `json:"orgs"`
}

func TestGStatsAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.as(auth.OrgAdmin)
		path := fmt.Sprintf("/api/v1/stats/members?org_id=%d&as_of=2030-12-31", e.branchA)
		var before statsJSON
		c.get(path).json(t, &before)
		if before.AsOf != "2030-12-31" || before.OrgID != e.branchA || before.Members != before.Full+before.Probationary {
			t.Fatalf("stats %+v", before)
		}
		sum := func(cs []struct {
			Key   string `json:"key"`
			Count int    `json:"count"`
		}) int {
			n := 0
			for _, c := range cs {
				n += c.Count
			}
			return n
		}
		if sum(before.AgeBands) != before.Members || sum(before.JoinEras) != before.Members || len(before.AgeBands) != 9 {
			t.Errorf("G: age bands %v and eras %v do not add up to %d", before.AgeBands, before.JoinEras, before.Members)
		}
		earlierPath := fmt.Sprintf("/api/v1/stats/members?org_id=%d&as_of=2026-02-28", e.branchA)
		var earlier, earlierAfter statsJSON
		c.get(earlierPath).json(t, &earlier)
		// A probationary woman of the 回族, 大专, admitted 2026-03-01 adds one to each of her rows.
		body := newMemberBody(e.branchA)
		body["gender"], body["ethnicity"], body["education"], body["status"], body["joined_on"], body["full_on"] = "female", "回族", "college", "probationary", "2026-03-01", ""
		body["id_number"] = nextFemaleIDNumber()
		delete(body, "birth_date")
		if r := c.sendJSON("POST", "/api/v1/members", body); r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var after statsJSON
		c.get(path).json(t, &after)
		if after.Members != before.Members+1 || after.Probationary != before.Probationary+1 || after.Women.Count != before.Women.Count+1 ||
			after.Minorities.Count != before.Minorities.Count+1 || after.CollegeOrAbove.Count != before.CollegeOrAbove.Count+1 {
			t.Errorf("G: before %+v after %+v", before, after)
		}
		// …but not as at the day before she joined.
		c.get(earlierPath).json(t, &earlierAfter)
		if earlierAfter.Members != earlier.Members || earlierAfter.Women != earlier.Women {
			t.Errorf("G: joined after as_of yet counted: %+v vs %+v", earlierAfter, earlier)
		}
		// Default: 12-31 of the current year; org default: the caller's organisation.
		var def statsJSON
		c.get("/api/v1/stats/members").json(t, &def)
		if !strings.HasSuffix(def.AsOf, "-12-31") || def.OrgID == 0 {
			t.Errorf("default %+v", def)
		}
		if r := c.get("/api/v1/stats/members?as_of=2024-13-01"); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `"as_of"`) {
			t.Errorf("bad as_of: %d %s", r.status, r.body)
		}
		if r := e.client().get(path); r.status != http.StatusUnauthorized {
			t.Errorf("anonymous: %d", r.status)
		}
	})
}

// nextFemaleIDNumber is a valid ID number whose 17th digit is even (H1: female).
func nextFemaleIDNumber() string {
	return demo.IDNumber(time.Date(1991, 9, 9, 0, 0, 0, 0, time.UTC), 600+2*int(memberIDSeq.Add(1)%200))
}

func TestGStatsWorkbook(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.as(auth.OrgAdmin)
		r := c.get(fmt.Sprintf("/api/v1/stats/members.xlsx?org_id=%d&as_of=2024-12-31", e.committeeA))
		if r.status != 200 || !strings.Contains(r.header.Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("xlsx: %d %s", r.status, r.header.Get("Content-Type"))
		}
		cd := r.header.Get("Content-Disposition")
		if !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "filename*=UTF-8''") || !strings.Contains(cd, "%E5%85%9A") { // 党
			t.Errorf("Content-Disposition %q", cd)
		}
		f, err := excelize.OpenReader(bytes.NewReader([]byte(r.body)))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sheet := f.GetSheetName(0)
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		text := fmt.Sprint(rows)
		for _, want := range []string{"党员队伍统计表", "截至2024年12月31日", "党员总数", "女党员", "少数民族党员", "大专及以上学历",
			"30岁及以下", "61岁及以上", "党的十八大以来", "新中国成立前", "正式党员", "党支部"} {
			if !strings.Contains(text, want) {
				t.Errorf("workbook lacks %q", want)
			}
		}
		if sheet != "党员统计" || !strings.HasSuffix(rows[0][0], "党员队伍统计表") {
			t.Errorf("sheet %q title %q", sheet, rows[0])
		}
		// The JSON and the workbook agree on the total.
		var st statsJSON
		c.get(fmt.Sprintf("/api/v1/stats/members?org_id=%d&as_of=2024-12-31", e.committeeA)).json(t, &st)
		for _, row := range rows {
			if len(row) > 1 && row[0] == "党员总数" && row[1] != fmt.Sprint(st.Members) {
				t.Errorf("workbook total %s, JSON %d", row[1], st.Members)
			}
		}
	})
}

func TestGStatsPage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.as(auth.OrgAdmin)
		r := c.get(fmt.Sprintf("/orgs/%d/stats?as_of=2024-12-31", e.committeeA))
		if r.status != 200 {
			t.Fatalf("page: %d", r.status)
		}
		for _, want := range []string{"截至2024年12月31日", "<svg", `value="2024-12-31"`, "/api/v1/stats/members.xlsx?as_of=2024-12-31&amp;org_id=", "30岁及以下"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		// CSP: no inline style attributes or script.
		if regexp.MustCompile(`(?i)\sstyle=|<style|<script[^>]*>[^<]`).MatchString(r.body) {
			t.Error("inline style or script on the stats page")
		}
		// A bad date is a field message, and the default date is shown.
		bad := c.get(fmt.Sprintf("/orgs/%d/stats?as_of=2024-02-30", e.committeeA))
		if bad.status != 200 || !strings.Contains(bad.body, `class="field-error"`) || !strings.Contains(bad.body, "-12-31") {
			t.Errorf("bad date: %d", bad.status)
		}
		if r := c.get("/orgs/999999/stats"); r.status != http.StatusNotFound && r.status != http.StatusForbidden {
			t.Errorf("unknown org: %d", r.status)
		}
	})
}
