package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/i18n"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// statsRoutes: party statistics (§G) — pages and API (organisations issue).
func (s *Server) statsRoutes() {
	s.mux.HandleFunc("GET /orgs/{id}/stats", s.page(s.statsPage))
	s.api("GET /api/v1/stats/members", s.apiStats, true)
	s.api("GET /api/v1/stats/members.xlsx", s.apiStatsXLSX, true)
}

// statsQuery reads org_id (default the caller's organisation) and as_of (default 12-31 of this year,
// §G; the service fills it in).
func statsQuery(q url.Values, p auth.Principal) (int64, db.Date, error) {
	f := errs.Fields{}
	id := p.OrgID
	if v := q.Get("org_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			f.Add("org_id", "form.number")
		}
		id = n
	}
	day, err := asOfDate(q.Get("as_of"))
	if err != nil {
		f.Add("as_of", keyOfErr(err))
	}
	return id, day, f.Err()
}

// asOfDate reads an optional YYYY-MM-DD (zero when empty).
func asOfDate(v string) (db.Date, error) {
	if v == "" {
		return db.Date{}, nil
	}
	d, err := validate.Date(v)
	if err != nil {
		return db.Date{}, err
	}
	return db.DateOf(d), nil
}

func (s *Server) apiStats(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, day, err := statsQuery(r.URL.Query(), p)
	if err != nil {
		return err
	}
	st, err := s.Orgs.Stats(r.Context(), p, id, day)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// statTable is one dimension as shown on the page and in the workbook.
type statTable struct {
	Key   string // message key of the title
	Rows  []statLine
	Share bool // whether the rows carry a share of the party members
}

type statLine struct {
	Label   string
	Count   int
	Percent float64
	Bar     int // bar length, 0–100, relative to the largest row of the table
}

// statTables lays out the §G dimensions with their labels in lang.
func (s *Server) statTables(lang i18n.Lang, st org.Stats) []statTable {
	t := func(key string) string { return s.I18n.T(lang, key, nil) }
	pct := func(n int) float64 {
		if st.Members == 0 {
			return 0
		}
		return float64(n*1000/st.Members+boolInt(n*1000%st.Members*2 >= st.Members)) / 10
	}
	lines := func(cs []org.Count, prefix string, skipZeroUnknown bool) []statLine {
		var out []statLine
		for _, c := range cs {
			if skipZeroUnknown && c.Key == "unknown" && c.Count == 0 {
				continue
			}
			out = append(out, statLine{Label: t(prefix + c.Key), Count: c.Count, Percent: pct(c.Count)})
		}
		return out
	}
	tables := []statTable{
		{Key: "stats.overview", Share: true, Rows: []statLine{
			{Label: t("stats.members"), Count: st.Members, Percent: pct(st.Members)},
			{Label: t("member.status.full"), Count: st.Full, Percent: pct(st.Full)},
			{Label: t("member.status.probationary"), Count: st.Probationary, Percent: pct(st.Probationary)},
			{Label: t("stats.women"), Count: st.Women.Count, Percent: st.Women.Percent},
			{Label: t("stats.minorities"), Count: st.Minorities.Count, Percent: st.Minorities.Percent},
			{Label: t("stats.college"), Count: st.CollegeOrAbove.Count, Percent: st.CollegeOrAbove.Percent},
		}},
		{Key: "stats.ages", Share: true, Rows: lines(st.AgeBands, "stats.age.", true)},
		{Key: "stats.eras", Share: true, Rows: lines(st.JoinEras, "stats.era.", true)},
		{Key: "stats.statuses", Rows: lines(st.Statuses, "member.status.", false)},
		{Key: "stats.orgs", Rows: lines(st.Orgs, "kind.", false)},
	}
	for i := range tables {
		top := 0
		for _, l := range tables[i].Rows {
			top = max(top, l.Count)
		}
		for j := range tables[i].Rows {
			if top > 0 {
				tables[i].Rows[j].Bar = tables[i].Rows[j].Count * 100 / top
			}
		}
	}
	return tables
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// apiStatsXLSX writes the statistics as a workbook in Chinese: a title row, the as-at date
// (2024年12月31日), then one table per dimension.
func (s *Server) apiStatsXLSX(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, day, err := statsQuery(r.URL.Query(), p)
	if err != nil {
		return err
	}
	st, err := s.Orgs.Stats(r.Context(), p, id, day)
	if err != nil {
		return err
	}
	f, err := s.statsWorkbook(st)
	if err != nil {
		return err
	}
	defer f.Close()
	name := s.I18n.T(i18n.ZhHans, "stats.file", map[string]any{"Org": st.OrgName, "Date": st.AsOf.String()}) + ".xlsx"
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="party-stats-%s.xlsx"; filename*=UTF-8''%s`,
		st.AsOf.String(), rfc5987(name)))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err = f.WriteTo(w)
	if err != nil {
		s.Log.Error("stats xlsx", "err", err, "id", requestIDFrom(r.Context()))
	}
	return nil
}

// statsWorkbook builds the workbook. Every cell is written as a string or a number, never a formula,
// so an organisation name such as "=HYPERLINK(…)" stays text.
func (s *Server) statsWorkbook(st org.Stats) (*excelize.File, error) {
	zh := func(key string, args map[string]any) string { return s.I18n.T(i18n.ZhHans, key, args) }
	f := excelize.NewFile()
	sheet := zh("stats.sheet", nil)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14},
		Alignment: &excelize.Alignment{Horizontal: "center"}})
	if err != nil {
		return nil, err
	}
	set := func(cell string, v any) {
		if err == nil {
			err = f.SetCellValue(sheet, cell, v)
		}
	}
	set("A1", zh("stats.xlsx_title", map[string]any{"Org": st.OrgName}))
	set("A2", zh("stats.as_at", map[string]any{"Date": i18n.Date(i18n.ZhHans, st.AsOf.Time)}))
	if err != nil {
		return nil, err
	}
	if err := f.MergeCell(sheet, "A1", "C1"); err != nil {
		return nil, err
	}
	if err := f.SetCellStyle(sheet, "A1", "C1", title); err != nil {
		return nil, err
	}
	row := 4
	for _, t := range s.statTables(i18n.ZhHans, st) {
		set(fmt.Sprintf("A%d", row), zh(t.Key, nil))
		_ = f.SetCellStyle(sheet, fmt.Sprintf("A%d", row), fmt.Sprintf("A%d", row), bold)
		row++
		set(fmt.Sprintf("A%d", row), zh("stats.item", nil))
		set(fmt.Sprintf("B%d", row), zh("stats.count", nil))
		if t.Share {
			set(fmt.Sprintf("C%d", row), zh("stats.share_pct", nil))
		}
		_ = f.SetCellStyle(sheet, fmt.Sprintf("A%d", row), fmt.Sprintf("C%d", row), bold)
		row++
		for _, l := range t.Rows {
			set(fmt.Sprintf("A%d", row), l.Label)
			set(fmt.Sprintf("B%d", row), l.Count)
			if t.Share {
				set(fmt.Sprintf("C%d", row), l.Percent)
			}
			row++
		}
		row++
	}
	set(fmt.Sprintf("A%d", row), zh("stats.note_roster", nil))
	if err != nil {
		return nil, err
	}
	if err := f.SetColWidth(sheet, "A", "A", 40); err != nil {
		return nil, err
	}
	if err := f.SetColWidth(sheet, "B", "C", 12); err != nil {
		return nil, err
	}
	return f, nil
}

// rfc5987 percent-encodes a filename for filename*=UTF-8”… (RFC 5987 attr-char kept as is).
func rfc5987(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// statsPage shows the statistics of an organisation's subtree as at a date, with bar charts drawn as
// inline SVG (no script, no style attributes) and a link to the workbook.
func (s *Server) statsPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	fields := map[string]string{}
	input := r.URL.Query().Get("as_of")
	day, err := asOfDate(input)
	if err != nil {
		fields["as_of"] = keyOfErr(err)
		day = db.Date{}
	}
	st, err := s.Orgs.Stats(r.Context(), p, id, day)
	if err != nil {
		return err
	}
	if input == "" || len(fields) > 0 {
		input = st.AsOf.String()
	}
	xlsx := "/api/v1/stats/members.xlsx?" + url.Values{"org_id": {strconv.FormatInt(id, 10)}, "as_of": {st.AsOf.String()}}.Encode()
	s.render(w, r, http.StatusOK, "stats", map[string]any{"Stats": st, "AsOf": input, "Fields": fields,
		"Tables": s.statTables(langFrom(r.Context()), st), "XLSX": xlsx})
	return nil
}
