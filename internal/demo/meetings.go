package demo

// A year of organisational life for the demo branches: posts (a secretary for every branch, a committee
// where the branch has seven full members, B1), then the records of the twelve months before this one —
// some branches diligent, some missing meetings, a few drafts never submitted — created and submitted
// through the records service's transaction functions, so its checks and listeners run as for a user.

import (
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/orglife"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/wire"
)

func init() { extras = append(extras, extra{name: "meetings", load: loadMeetings}) }

var (
	themes = []string{"学习贯彻党的二十届三中全会精神", "重温入党誓词", "学习党章党规", "志愿服务进社区", "廉政警示教育",
		"学习习近平新时代中国特色社会主义思想", "参观红色教育基地", "民主议事：支部工作计划", "践行群众路线", "读书分享会"}
	lessons = []string{"坚定理想信念 筑牢思想根基", "以案为鉴 严守纪律规矩", "弘扬伟大建党精神", "全面从严治党永远在路上",
		"机关党建高质量发展"}
	absence = []string{"出差", "病假", "公务外出", "年休假", "参加培训"}
	places  = []string{"党员活动室", "三楼会议室", "五楼小会议室"}
)

// demoBranch is what the loader needs of a branch.
type demoBranch struct {
	id, parent int64
	cells      []int64
	full       []int64 // full members, by id
}

func loadMeetings(tx *db.Tx, p *wire.Platform, res *Result, r *mrand.Rand, today time.Time) error {
	branches, err := demoBranches(tx)
	if err != nil {
		return err
	}
	// The demo officer's branch is left without posts: its officer sets them up (and records there
	// start from a clean slate, as in a newly established branch).
	officerBranch := map[int64]bool{}
	orows, err := tx.Query("SELECT org_id FROM users WHERE role = 'branch_officer'")
	if err != nil {
		return err
	}
	for orows.Next() {
		var id int64
		_ = orows.Scan(&id)
		officerBranch[id] = true
	}
	orows.Close()
	for _, b := range branches {
		if officerBranch[b.id] {
			continue
		}
		if err := demoPosts(tx, p, b, r, today); err != nil {
			return err
		}
	}
	start := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(-1, 0, 0)
	ld := &loader{tx: tx, s: p.Meetings, r: r}
	for i, b := range branches {
		// Diligence: a third of the branches miss little, a third some, a third a lot.
		skip := []int{3, 25, 55}[i%3]
		committee, err := ld.s.ExpectedTx(tx, b.id, orglife.CommitteeMeeting, today)
		if err != nil {
			return err
		}
		var secretary int64
		if err := tx.QueryRow("SELECT COALESCE(MIN(member_id), 0) FROM posts WHERE org_id = ? AND post = 'secretary'", b.id).Scan(&secretary); err != nil {
			return err
		}
		for m := 0; m < 12; m++ {
			month := start.AddDate(0, m, 0)
			day := func(d int) string { return month.AddDate(0, 0, d-1).Format(time.DateOnly) }
			ld.add(skip, orglife.Input{OrgID: b.id, Kind: orglife.ThemeDay, HeldOn: day(5 + r.IntN(3)), Place: places[0],
				Topic: themes[r.IntN(len(themes))], ChairID: secretary})
			if len(committee) > 0 {
				ld.add(skip, orglife.Input{OrgID: b.id, Kind: orglife.CommitteeMeeting, HeldOn: day(10 + r.IntN(5)), Place: places[1],
					Topic: "研究" + month.Format("1") + "月支部工作", ChairID: secretary, Decisions: "1. 落实月度学习安排；2. 研究发展党员工作。"})
			}
			for _, c := range b.cells {
				var leader int64
				if err := tx.QueryRow("SELECT COALESCE(MIN(member_id), 0) FROM posts WHERE org_id = ? AND post = 'cell_leader'", c).Scan(&leader); err != nil {
					return err
				}
				if leader != 0 {
					ld.add(skip, orglife.Input{OrgID: c, Kind: orglife.CellMeeting, HeldOn: day(18 + r.IntN(5)), Topic: "党小组学习：" + themes[r.IntN(len(themes))], ChairID: leader})
				}
			}
			if month.Month()%3 == 0 && secretary != 0 { // the last month of each quarter
				ld.add(skip, orglife.Input{OrgID: b.id, Kind: orglife.GeneralMeeting, HeldOn: day(20 + r.IntN(5)), Place: places[0],
					Topic: month.Format("2006") + "年第" + fmt.Sprint((int(month.Month())+2)/3) + "季度党员大会", ChairID: secretary})
			}
			if month.Month()%3 == 0 {
				lecturer := secretary
				if cadre := ld.cadre(b.id); cadre != 0 && (r.IntN(2) == 0 || lecturer == 0) {
					lecturer = cadre
				}
				if lecturer != 0 {
					ld.add(skip, orglife.Input{OrgID: b.id, Kind: orglife.PartyLesson, HeldOn: day(15 + r.IntN(5)), Place: places[0],
						Topic: lessons[r.IntN(len(lessons))], LecturerID: lecturer})
				}
			}
			switch month.Month() {
			case time.December:
				ld.add(skip, orglife.Input{OrgID: b.id, Kind: orglife.OrgLifeMeeting, HeldOn: day(26), Place: places[0],
					Topic: month.Format("2006") + "年度组织生活会", ChairID: secretary, Minutes: "对照检查，开展批评和自我批评。"})
			case time.January:
				in := orglife.Input{OrgID: b.id, Kind: orglife.MemberAppraisal, HeldOn: day(20), Topic: month.AddDate(-1, 0, 0).Format("2006") + "年度民主评议党员",
					SelfAssessmentOn: day(8), PeerAssessmentOn: day(14)}
				if r.IntN(4) > 0 { // some branches never get to the rating (A2.8: then it does not count)
					in.RatingOn = day(20)
				}
				ld.add(skip, in)
			}
			if len(b.full) > 2 && m%4 == 1 {
				ld.add(skip, orglife.Input{OrgID: b.id, Kind: orglife.HeartTalk, HeldOn: day(12), Topic: "谈心谈话", ChairID: b.full[0],
					AttendeeIDs: []int64{b.full[1+r.IntN(len(b.full)-1)]}})
			}
		}
		if ld.err != nil {
			return ld.err
		}
		// The diligent and average branches enter this year's plan: a theme day each month, a lesson
		// each quarter, the organisational life meeting in December.
		if i%3 < 2 {
			var items []orglife.PlanItem
			for m := 1; m <= 12; m++ {
				items = append(items, orglife.PlanItem{Month: m, Kind: orglife.ThemeDay, Topic: themes[(m+i)%len(themes)]})
				if m%3 == 0 {
					items = append(items, orglife.PlanItem{Month: m, Kind: orglife.PartyLesson, Topic: lessons[(m+i)%len(lessons)]})
				}
			}
			items = append(items, orglife.PlanItem{Month: 12, Kind: orglife.OrgLifeMeeting, Topic: "年度组织生活会"})
			if err := ld.s.SavePlanTx(tx, b.id, today.Year(), items); err != nil {
				return err
			}
		}
	}
	// Each organ holds its all-member meeting (B2 第二十六条) — most of them, once.
	rows, err := tx.Query("SELECT id FROM orgs WHERE kind = 'committee' AND dissolved_on IS NULL ORDER BY id")
	if err != nil {
		return err
	}
	var comms []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		comms = append(comms, id)
	}
	rows.Close()
	for _, c := range comms {
		ld.add(20, orglife.Input{OrgID: c, Kind: orglife.AllMemberMeeting, HeldOn: start.AddDate(0, 10, 14).Format(time.DateOnly),
			Place: "机关大会议室", Topic: "机关党员干部大会：听取年度工作报告"})
	}
	return ld.err
}

// loader creates and submits records, remembering the first error.
type loader struct {
	tx     *db.Tx
	s      *orglife.Service
	r      *mrand.Rand
	err    error
	cadres map[int64]int64
}

// add records in (skipped with probability skip%), with the roster present but for a few absences, and
// submits it — but for a few drafts left behind.
func (l *loader) add(skip int, in orglife.Input) {
	if l.err != nil || l.r.IntN(100) < skip {
		return
	}
	day, _ := time.Parse(time.DateOnly, in.HeldOn)
	if in.AttendeeIDs == nil {
		roster, err := l.s.ExpectedTx(l.tx, in.OrgID, in.Kind, day)
		if err != nil {
			l.err = err
			return
		}
		for i, a := range roster {
			switch {
			// The chair and at least half of those expected always come (A2.2: a committee meeting is
			// valid only with half of its members present).
			case a.MemberID == in.ChairID || 2*i < len(roster) || l.r.IntN(100) < 80:
				in.AttendeeIDs = append(in.AttendeeIDs, a.MemberID)
			default:
				in.Absentees = append(in.Absentees, orglife.Absentee{MemberID: a.MemberID, Reason: absence[l.r.IntN(len(absence))]})
			}
		}
		if len(roster) == 0 {
			return
		}
	}
	m, err := l.s.CreateTx(l.tx, auth.Principal{}, in)
	if err != nil {
		l.err = fmt.Errorf("%s %s: %w", in.Kind, in.HeldOn, err)
		return
	}
	if l.r.IntN(100) < 4 {
		return // a draft nobody submitted
	}
	if _, err := l.s.SubmitTx(l.tx, auth.Principal{}, m.ID); err != nil {
		l.err = err
	}
}

// cadre is a leading cadre of the branch's organ (one lectures at branches now and then, B2 第十八条).
func (l *loader) cadre(branch int64) int64 {
	if l.cadres == nil {
		l.cadres = map[int64]int64{}
	}
	if id, ok := l.cadres[branch]; ok {
		return id
	}
	var path string
	if err := l.tx.QueryRow("SELECT path FROM orgs WHERE id = ?", branch).Scan(&path); err != nil {
		l.err = err
		return 0
	}
	// The organ is the second step of the path: /work committee/organ committee/…
	parts := strings.SplitN(strings.Trim(path, "/"), "/", 3)
	if len(parts) < 2 {
		return 0
	}
	var id int64
	if err := l.tx.QueryRow(`SELECT COALESCE(MIN(m.id), 0) FROM members m JOIN orgs o ON o.id = m.org_id
		WHERE m.is_leading_cadre AND m.status = 'full' AND m.terminal_state = '' AND o.path LIKE ?`, "/"+parts[0]+"/"+parts[1]+"/%").Scan(&id); err != nil {
		l.err = err
	}
	l.cadres[branch] = id
	return id
}

func demoBranches(tx *db.Tx) ([]demoBranch, error) {
	rows, err := tx.Query("SELECT id, parent_id FROM orgs WHERE kind = 'branch' AND dissolved_on IS NULL ORDER BY id")
	if err != nil {
		return nil, err
	}
	var out []demoBranch
	for rows.Next() {
		var b demoBranch
		if err := rows.Scan(&b.id, &b.parent); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, b)
	}
	rows.Close()
	for i := range out {
		b := &out[i]
		cr, err := tx.Query("SELECT id FROM orgs WHERE parent_id = ? AND kind = 'cell' ORDER BY id", b.id)
		if err != nil {
			return nil, err
		}
		for cr.Next() {
			var c int64
			_ = cr.Scan(&c)
			b.cells = append(b.cells, c)
		}
		cr.Close()
		mr, err := tx.Query("SELECT id FROM members WHERE org_id = ? AND status = 'full' AND terminal_state = '' ORDER BY id", b.id)
		if err != nil {
			return nil, err
		}
		for mr.Next() {
			var m int64
			_ = mr.Scan(&m)
			b.full = append(b.full, m)
		}
		mr.Close()
	}
	return out, nil
}

// demoPosts gives a branch without posts a secretary (approved by the higher organisation, A3.2), a
// committee when it has seven full members (B1 第七条), and a leader for each cell.
func demoPosts(tx *db.Tx, p *wire.Platform, b demoBranch, r *mrand.Rand, today time.Time) error {
	var n int
	if err := tx.QueryRow("SELECT COUNT(*) FROM posts WHERE org_id = ?", b.id).Scan(&n); err != nil || n > 0 || len(b.full) == 0 {
		return err
	}
	from := db.DateOf(today.AddDate(-2, 0, -r.IntN(200)))
	add := func(org, member int64, post string) error {
		state, approved, ref := "filed", db.Date{}, ""
		if post == "secretary" || post == "deputy_secretary" {
			state, approved, ref = "approved", from, "示组字〔"+from.Format("2006")+"〕演示号"
		}
		now := db.Millis(today)
		id, err := tx.Insert(`INSERT INTO posts(org_id, member_id, post, from_on, state, elected_on, approved_on, approval_ref, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, org, member, post, from, state, from, approved, ref, now, now)
		if err != nil {
			return err
		}
		return p.Trail.Append(tx, audit.Event{Action: "org.post.assign", ObjectType: "post", ObjectID: id, Detail: "demo " + post})
	}
	if err := add(b.id, b.full[0], "secretary"); err != nil {
		return err
	}
	if len(b.full) >= 7 {
		for i, post := range []string{"deputy_secretary", "organisation_member", "publicity_member", "discipline_member"} {
			if err := add(b.id, b.full[i+1], post); err != nil {
				return err
			}
		}
	}
	for _, c := range b.cells {
		var leader int64
		if err := tx.QueryRow("SELECT COALESCE(MIN(id), 0) FROM members WHERE cell_id = ? AND status = 'full'", c).Scan(&leader); err != nil {
			return err
		}
		if leader != 0 {
			if err := add(c, leader, "cell_leader"); err != nil {
				return err
			}
		}
	}
	return nil
}
