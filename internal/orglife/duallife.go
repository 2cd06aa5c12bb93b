package orglife

// The leading cadres' report (RULES.md §B2 第二十六条 (一): "report to the higher organisation on leading
// cadres' 双重组织生活"): for each leading cadre in a subtree and year, their attendance at their home
// branch's organisational life and the party lessons they gave, flagged where below the rule.

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
)

// ordinaryLife are the kinds in which a leading cadre takes part as an ordinary member (A2.10, B2 第十九条).
var ordinaryLife = []Kind{GeneralMeeting, CellMeeting, PartyLesson, ThemeDay, OrgLifeMeeting, MemberAppraisal}

// Finding is one flag on a leading cadre, citing its rule.
type Finding struct {
	RuleID   string         `json:"rule_id"`
	Severity string         `json:"severity"` // error, warning
	Article  string         `json:"article"`
	Key      string         `json:"key"` // message key
	Args     map[string]any `json:"args,omitempty"`
	Message  string         `json:"message,omitempty"` // Key in the reader's language (filled by the web layer)
	Local    bool           `json:"local,omitempty"`   // a local rule, not a national one
}

// LifeEntry is one record in a cadre's lists.
type LifeEntry struct {
	MeetingID int64   `json:"meeting_id"`
	Kind      Kind    `json:"kind"`
	HeldOn    db.Date `json:"held_on"`
	OrgID     int64   `json:"org_id"`
	OrgName   string  `json:"org_name"`
	Topic     string  `json:"topic"`
	Present   bool    `json:"present"`
}

// DualLifeItem is one leading cadre's line.
type DualLifeItem struct {
	MemberID     int64       `json:"member_id"`
	Name         string      `json:"name"`
	HomeOrgID    int64       `json:"home_org_id"`
	HomeOrgName  string      `json:"home_org_name"`
	Secretary    bool        `json:"secretary"` // 党委（党组）书记 in the year (A2.5: ≥1 lesson a year)
	Expected     int         `json:"expected"`  // records of the home branch where they were expected
	Attended     int         `json:"attended"`
	Attendance   []LifeEntry `json:"attendance"`
	LessonsGiven int         `json:"lessons_given"`
	Lessons      []LifeEntry `json:"lessons"`
	Findings     []Finding   `json:"findings"`
}

// DualLifeReport is the report for a subtree and year.
type DualLifeReport struct {
	OrgID   int64          `json:"org_id"`
	OrgName string         `json:"org_name"`
	Year    int            `json:"year"`
	Items   []DualLifeItem `json:"items"`
}

// DualLifeMinShare is the share of their home branch's records a leading cadre should attend. The
// national texts say only "应当参加双重组织生活" (B2 第十九条); the number is a local rule.
var DualLifeMinShare = 0.5

// DualLife builds the report for the subtree of orgID and year.
func (s *Service) DualLife(ctx context.Context, p auth.Principal, orgID int64, year int) (DualLifeReport, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: orgID}); err != nil {
		return DualLifeReport{}, err
	}
	r := dbReader{ctx, s.db}
	root, err := loadOrg(r, orgID)
	if err != nil {
		return DualLifeReport{}, err
	}
	rep := DualLifeReport{OrgID: root.ID, OrgName: root.Name, Year: year, Items: []DualLifeItem{}}
	from := db.DateOf(time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC))
	to := db.DateOf(time.Date(year+1, 1, 1, 0, 0, 0, 0, time.UTC))
	rows, err := s.db.Query(ctx, `SELECT m.id, m.name, m.org_id, o.name, o.path FROM members m JOIN orgs o ON o.id = m.org_id
		WHERE m.is_leading_cadre AND o.path LIKE ? AND m.status IN ('full', 'probationary')
		AND (m.terminal_state = '' OR m.terminal_on >= ?) AND (m.joined_on IS NULL OR m.joined_on < ?)
		ORDER BY m.name_key, m.id`, root.Path+"%", from, to)
	if err != nil {
		return rep, err
	}
	type cadre struct {
		item DualLifeItem
		path string
	}
	var cadres []*cadre
	byID := map[int64]*cadre{}
	for rows.Next() {
		c := &cadre{item: DualLifeItem{Attendance: []LifeEntry{}, Lessons: []LifeEntry{}, Findings: []Finding{}}}
		if err := rows.Scan(&c.item.MemberID, &c.item.Name, &c.item.HomeOrgID, &c.item.HomeOrgName, &c.path); err != nil {
			rows.Close()
			return rep, err
		}
		cadres = append(cadres, c)
		byID[c.item.MemberID] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, err
	}
	if len(cadres) == 0 {
		return rep, nil
	}
	kinds := make([]string, len(ordinaryLife))
	for i, k := range ordinaryLife {
		kinds[i] = "'" + string(k) + "'"
	}
	// Attendance rows of the cadres at counted records of the year (any organisation; filtered to the
	// home branch's subtree below).
	arows, err := s.db.Query(ctx, `SELECT a.member_id, a.present, mt.id, mt.kind, mt.held_on, mt.org_id, o.name, o.path, mt.topic
		FROM meeting_attendance a JOIN meetings mt ON mt.id = a.meeting_id JOIN members m ON m.id = a.member_id
		JOIN orgs o ON o.id = mt.org_id JOIN orgs mo ON mo.id = m.org_id
		WHERE m.is_leading_cadre AND mo.path LIKE ? AND mt.counted AND mt.held_on >= ? AND mt.held_on < ?
		AND mt.kind IN (`+strings.Join(kinds, ", ")+`) ORDER BY mt.held_on, mt.id`, root.Path+"%", from, to)
	if err != nil {
		return rep, err
	}
	for arows.Next() {
		var id int64
		var e LifeEntry
		var path string
		if err := arows.Scan(&id, &e.Present, &e.MeetingID, &e.Kind, &e.HeldOn, &e.OrgID, &e.OrgName, &path, &e.Topic); err != nil {
			arows.Close()
			return rep, err
		}
		c := byID[id]
		if c == nil || !strings.HasPrefix(path, c.path) {
			continue
		}
		c.item.Expected++
		if e.Present {
			c.item.Attended++
			c.item.Attendance = append(c.item.Attendance, e)
		}
	}
	arows.Close()
	if err := arows.Err(); err != nil {
		return rep, err
	}
	// Lessons given anywhere in the deployment (a cadre lectures at branches, B2 第十八条).
	lrows, err := s.db.Query(ctx, `SELECT mt.lecturer_id, mt.id, mt.kind, mt.held_on, mt.org_id, o.name, mt.topic
		FROM meetings mt JOIN orgs o ON o.id = mt.org_id JOIN members m ON m.id = mt.lecturer_id JOIN orgs mo ON mo.id = m.org_id
		WHERE mt.kind = 'party_lesson' AND mt.counted AND mt.held_on >= ? AND mt.held_on < ? AND m.is_leading_cadre AND mo.path LIKE ?
		ORDER BY mt.held_on, mt.id`, from, to, root.Path+"%")
	if err != nil {
		return rep, err
	}
	for lrows.Next() {
		var id int64
		e := LifeEntry{Present: true}
		if err := lrows.Scan(&id, &e.MeetingID, &e.Kind, &e.HeldOn, &e.OrgID, &e.OrgName, &e.Topic); err != nil {
			lrows.Close()
			return rep, err
		}
		if c := byID[id]; c != nil {
			c.item.LessonsGiven++
			c.item.Lessons = append(c.item.Lessons, e)
		}
	}
	lrows.Close()
	if err := lrows.Err(); err != nil {
		return rep, err
	}
	// Secretaries of a committee or leading group in office at some time in the year (A2.5).
	srows, err := s.db.Query(ctx, `SELECT DISTINCT ps.member_id FROM posts ps JOIN orgs o ON o.id = ps.org_id
		WHERE ps.post = 'secretary' AND o.kind IN ('work_committee', 'committee', 'leading_group')
		AND ps.from_on < ? AND (ps.to_on IS NULL OR ps.to_on > ?)`, to, from)
	if err != nil {
		return rep, err
	}
	for srows.Next() {
		var id int64
		if err := srows.Scan(&id); err != nil {
			srows.Close()
			return rep, err
		}
		if c := byID[id]; c != nil {
			c.item.Secretary = true
		}
	}
	srows.Close()
	if err := srows.Err(); err != nil {
		return rep, err
	}
	for _, c := range cadres {
		c.item.Findings = dualLifeFindings(c.item)
		rep.Items = append(rep.Items, c.item)
	}
	return rep, nil
}

// dualLifeFindings applies the rules to one cadre's line (a pure function: the table tests call it
// through the report).
func dualLifeFindings(it DualLifeItem) []Finding {
	out := []Finding{}
	switch {
	case it.Expected > 0 && it.Attended == 0:
		out = append(out, Finding{RuleID: "B2.19", Severity: "error", Article: "机关基层组织工作条例 第十九条",
			Key: "dual_life.finding.none", Args: map[string]any{"Expected": it.Expected}})
	case it.Expected > 0 && float64(it.Attended) < DualLifeMinShare*float64(it.Expected):
		out = append(out, Finding{RuleID: "B2.19", Severity: "warning", Article: "机关基层组织工作条例 第十九条", Local: true,
			Key: "dual_life.finding.low", Args: map[string]any{"Attended": it.Attended, "Expected": it.Expected}})
	}
	orgLife := false
	for _, e := range it.Attendance {
		if e.Kind == OrgLifeMeeting {
			orgLife = true
		}
	}
	if !orgLife {
		out = append(out, Finding{RuleID: "A2.7", Severity: "warning", Article: "支部工作条例 第十七条", Key: "dual_life.finding.org_life"})
	}
	switch {
	case it.Secretary && it.LessonsGiven < 1:
		out = append(out, Finding{RuleID: "A2.5", Severity: "error", Article: "支部工作条例 第十六条", Key: "dual_life.finding.secretary_lesson"})
	case it.LessonsGiven == 0:
		out = append(out, Finding{RuleID: "B2.18", Severity: "warning", Article: "机关基层组织工作条例 第十八条", Key: "dual_life.finding.no_lesson"})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Severity == "error" && out[j].Severity != "error" })
	return out
}

// OrdinaryLife lists the kinds the report counts, for pages that explain it.
func OrdinaryLife() []Kind { return append([]Kind(nil), ordinaryLife...) }
