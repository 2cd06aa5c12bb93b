package demo

import (
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/rectify"
	"github.com/dangjian/dangjian/internal/wire"
)

// The rectification ledger's demo: one feedback document of an inspection tour on the demo officer's
// organ, its findings in every state (one overdue, one long-term), and one coordination meeting whose
// decisions became items. The 工委's administrator supervises; the demo officer's branch implements.
func init() { extras = append(extras, extra{name: "rectify", load: loadRectify}) }

// demoPNG is a 1×1 picture standing in for a scanned evidence document.
var demoPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")

func principalOf(tx *db.Tx, username string) (auth.Principal, error) {
	p := auth.Principal{Username: username}
	err := tx.QueryRow(`SELECT u.id, u.role, u.org_id, o.path, o.name FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.username = ?`,
		username).Scan(&p.UserID, &p.Role, &p.OrgID, &p.OrgPath, &p.OrgName)
	return p, err
}

func loadRectify(tx *db.Tx, p *wire.Platform, res *Result, _ *mrand.Rand, today time.Time) error {
	admin, err := principalOf(tx, "demo_admin")
	if err != nil {
		return err
	}
	officer, err := principalOf(tx, "demo_officer")
	if err != nil {
		return err
	}
	parts := strings.Split(strings.Trim(officer.OrgPath, "/"), "/")
	if len(parts) < 2 {
		return fmt.Errorf("demo officer's branch is not under a committee")
	}
	committee, _ := strconv.ParseInt(parts[1], 10, 64)
	var committeeName string
	if err := tx.QueryRow("SELECT name FROM orgs WHERE id = ?", committee).Scan(&committeeName); err != nil {
		return err
	}
	day := func(d int) string { return today.AddDate(0, 0, d).Format(time.DateOnly) }
	branch := []int64{officer.OrgID}
	fb := rectify.NewFeedback{Title: "市委第一巡察组关于对" + strings.TrimSuffix(committeeName, "机关党委") + "党组巡察情况的反馈意见（示例）",
		Source: rectify.SourceInspectionTour, Reference: "示巡反〔2026〕1号", IssuedBy: "市委第一巡察组（示例）", IssuedOn: day(-120),
		ResponsibleOrgID: committee, SupervisorOrgID: res.RootID,
		Findings: []rectify.FeedbackFinding{
			{Title: "“三会一课”记录不完整", Finding: "部分支部“三会一课”记录不完整，党小组会议记录缺失。", Category: "组织建设",
				ImplementingIDs: branch, ResponsiblePerson: "示例支部书记", DueOn: day(30)},
			{Title: "发展党员程序不规范", Finding: "个别发展对象政治审查材料归档不及时。", Category: "组织建设",
				ImplementingIDs: branch, ResponsiblePerson: "示例组织委员", DueOn: day(45)},
			{Title: "党费收缴不及时", Finding: "部分党员党费未按月交纳，存在集中补交情况。", Category: "纪律建设",
				ImplementingIDs: branch, ResponsiblePerson: "示例支部书记", DueOn: day(60)},
			{Title: "意识形态工作责任制落实不到位", Finding: "意识形态工作专题研究次数不足。", Category: "意识形态工作",
				ImplementingIDs: branch, ResponsiblePerson: "示例宣传委员", DueOn: day(90)},
			{Title: "支部换届未按期进行", Finding: "一个支部任期届满未按期换届。", Category: "组织建设",
				ImplementingIDs: branch, ResponsiblePerson: "示例支部书记", DueOn: day(-20)},
			{Title: "理论学习常态化", Finding: "理论学习中心组学习缺乏长效机制。", Category: "思想建设",
				ImplementingIDs: branch, ResponsiblePerson: "示例支部书记", DueOn: day(15), LongTerm: true, ReportMonths: 3},
		}}
	fid, err := p.Rectify.RecordFeedbackTx(tx, admin, fb)
	if err != nil {
		return err
	}
	var ids []int64
	rows, err := tx.Query("SELECT id FROM rectify_items WHERE feedback_id = ? ORDER BY id", fid)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	evidence, err := p.Files.PutTx(tx, officer.OrgID, officer.UserID, "整改佐证材料（示例）.png", demoPNG, "evidence_ids")
	if err != nil {
		return err
	}
	type step struct {
		who auth.Principal
		in  rectify.StepInput
	}
	plan := func(m string, due int) step {
		return step{officer, rectify.StepInput{Action: rectify.ActPlan, Measures: m, DueOn: day(due)}}
	}
	accept := step{admin, rectify.StepInput{Action: rectify.ActAcceptPlan, Comment: "同意整改方案"}}
	report := func(c string) step { return step{officer, rectify.StepInput{Action: rectify.ActReport, Comment: c}} }
	submit := step{officer, rectify.StepInput{Action: rectify.ActSubmit, Comment: "已完成整改，附佐证材料", EvidenceIDs: []int64{evidence.ID}}}
	// Each finding goes as far as its place in the demo: closed, submitted, in progress, planned, overdue
	// and untouched, long-term with a periodic report.
	flows := [][]step{
		{plan("逐月检查各支部会议记录，建立“三会一课”台账", 30), accept, report("已完成全部支部记录检查"), submit,
			{admin, rectify.StepInput{Action: rectify.ActClose, Comment: "经实地核查，记录完整，同意销号"}}},
		{plan("补齐政治审查材料并按时归档", 45), accept, report("已补齐材料"), submit},
		{plan("建立党费按月交纳提醒机制", 60), accept, report("已对近三个月党费交纳情况进行核对")},
		{plan("每季度专题研究意识形态工作", 90), accept},
		{},
		{plan("建立中心组学习季度计划和督学机制", 15), accept, report("第一季度学习计划已落实")},
	}
	for k, flow := range flows {
		for _, st := range flow {
			if err := p.Rectify.ActTx(tx, st.who, ids[k], st.in); err != nil {
				return fmt.Errorf("finding %d %s: %w", k+1, st.in.Action, err)
			}
		}
	}
	_, err = p.Rectify.RecordMeetingTx(tx, admin, rectify.NewMeeting{Title: "2026年第一季度机关党建集中会办（示例）",
		Location: "示例市直机关工委第一会议室", OrgID: res.RootID, Difficulties: []string{"纪检组织建设", "党务干部选配", "活动经费保障"},
		Summary: "以现场办公形式集中研究基层党组织建设中的难点问题，明确责任单位和完成时限。",
		Decisions: []rectify.Decision{
			{Decision: "机关纪委委员配备不齐的，一季度内完成增补", Difficulty: "纪检组织建设", ResponsibleOrgID: committee,
				ImplementingIDs: []int64{committee}, Owner: "示例专职副书记", DueOn: day(20)},
			{Decision: "专职党务干部按机关编制1%–2%配备到位", Difficulty: "党务干部选配", ResponsibleOrgID: committee,
				ImplementingIDs: []int64{committee}, Owner: "示例组织人事处负责人", DueOn: day(80)},
			{Decision: "党组织活动经费纳入年度预算", Difficulty: "活动经费保障", ResponsibleOrgID: committee,
				ImplementingIDs: branch, Owner: "示例财务处负责人", DueOn: day(50)},
		}}, db.DateOf(today.AddDate(0, 0, -7)))
	return err
}
