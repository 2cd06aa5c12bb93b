package demo

import (
	"encoding/json"
	mrand "math/rand/v2"
	"time"

	"github.com/dangjian/dangjian/internal/learning"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/wire"
)

// The 每日一题 demo: a small bank on the 支部工作条例 (each question marked 示例, with its article), written
// by a 工委 officer and published after review by the demo administrator; a schedule at the work
// committee that began two weeks ago; and answers of some members on past days (not today's, and none
// by demo_member today, so the question of the day is still open to try).
func init() { extras = append(extras, extra{name: "learning", load: loadLearning}) }

type demoQuestion struct {
	kind    learning.Kind
	stem    string
	options []string
	answer  any
	expl    string
	article string
	tags    []string
}

const regulation = "《中国共产党支部工作条例（试行）》"

var demoQuestions = []demoQuestion{
	{learning.Single, "（示例）有正式党员多少人以上的单位，应当成立党支部？", []string{"2人", "3人", "5人", "7人"}, []int{1},
		"有正式党员3人以上的单位应当成立党支部；党支部党员人数一般不超过50人。", "第四条", []string{"组织设置"}},
	{learning.TrueFalse, "（示例）党支部党员人数一般不超过50人。", nil, []int{0},
		"条例规定党支部党员人数一般不超过50人，超过的可按规定成立党总支或基层党委。", "第四条", []string{"组织设置"}},
	{learning.Single, "（示例）联合党支部覆盖单位一般不超过几个？", []string{"3个", "5个", "8个", "10个"}, []int{1},
		"正式党员不足3人的单位可与邻近单位成立联合党支部，覆盖单位一般不超过5个。", "第五条", []string{"组织设置"}},
	{learning.Single, "（示例）党支部党员大会一般多长时间召开1次？", []string{"每月", "每季度", "每半年", "每年"}, []int{1},
		"党支部党员大会一般每季度召开1次。", "第十一条", []string{"三会一课"}},
	{learning.Single, "（示例）党支部委员会会议一般多长时间召开1次？", []string{"每周", "每月", "每季度", "每年"}, []int{1},
		"党支部委员会会议一般每月召开1次，根据需要可以随时召开。", "第十二条", []string{"三会一课"}},
	{learning.TrueFalse, "（示例）党支部委员会会议须有半数以上委员到会方可召开。", nil, []int{0},
		"支委会须有半数以上委员到会方可召开；重要事项一般应当先经支委会讨论再提交党员大会。", "第十二条", []string{"三会一课"}},
	{learning.Fill, "（示例）党小组会一般每____召开1次。", nil, "月|每月",
		"党员人数较多或党员工作地、居住地比较分散的党支部应当划分党小组；党小组会一般每月召开1次。", "第十三条", []string{"三会一课"}},
	{learning.Multiple, "（示例）主题党日可以开展哪些活动？", []string{"集中学习", "过组织生活", "民主议事", "志愿服务"}, []int{0, 1, 2, 3},
		"党支部每月相对固定1天开展主题党日，组织党员集中学习、过组织生活、进行民主议事和志愿服务等。", "第十六条", []string{"组织生活"}},
	{learning.Single, "（示例）组织生活会一般安排在什么时候召开？", []string{"第一季度", "第二季度", "第三季度", "第四季度"}, []int{3},
		"组织生活会一般每年召开1次，一般安排在第四季度，也可以根据需要随时召开。", "第十七条", []string{"组织生活"}},
	{learning.Multiple, "（示例）民主评议党员一般包括哪些步骤？", []string{"个人自评", "党员互评", "民主测评", "上级打分"}, []int{0, 1, 2},
		"民主评议党员一般每年开展1次，通过个人自评、党员互评、民主测评，由支委会或党员大会提出评议意见。", "第十八条", []string{"组织生活"}},
	{learning.TrueFalse, "（示例）党支部委员之间、委员和党员之间、党员和党员之间，每年谈心谈话一般不少于1次。", nil, []int{0},
		"条例要求每年谈心谈话一般不少于1次，谈心谈话应当坦诚相见、交流思想。", "第十九条", []string{"组织生活"}},
	{learning.Fill, "（示例）党委（党组）书记每年至少讲____次党课。", nil, "1|一",
		"党员领导干部应当定期为基层党员讲党课，党委（党组）书记每年至少讲1次党课。", "第十六条", []string{"三会一课"}},
}

func loadLearning(tx *db.Tx, p *wire.Platform, res *Result, r *mrand.Rand, today time.Time) error {
	// The bank is written by a party-affairs officer of the 工委 (an account whose password is never
	// shown: it only authors) and reviewed by demo_admin, so demo_admin can review the last draft too.
	author, err := p.Auth.CreateUserTx(tx, auth.NewUser{Username: "demo_editor", Password: Password(), Role: auth.BranchOfficer, OrgID: res.RootID})
	if err != nil {
		return err
	}
	var reviewer int64
	if err := tx.QueryRow("SELECT id FROM users WHERE username = 'demo_admin'").Scan(&reviewer); err != nil {
		return err
	}
	by := auth.Principal{UserID: author, Username: "demo_editor", Role: auth.BranchOfficer, OrgID: res.RootID}
	var pool []int64
	for i, q := range demoQuestions {
		ans, _ := json.Marshal(q.answer)
		id, err := p.Learning.CreateQuestionTx(tx, by, learning.NewQuestion{OrgID: res.RootID, Kind: q.kind, Stem: q.stem,
			Options: q.options, Answer: ans, Explanation: q.expl, Source: regulation + q.article, Tags: q.tags, Difficulty: 1 + i%3})
		if err != nil {
			return err
		}
		if i < len(demoQuestions)-1 { // the last one stays a draft, waiting for review
			if err := p.Learning.PublishTx(tx, id, reviewer); err != nil {
				return err
			}
			pool = append(pool, id)
		}
	}
	day := db.DateOf(today)
	sid, days, err := p.Learning.ScheduleTx(tx, res.RootID, db.DateOf(today.AddDate(0, 0, -14)), pool, day)
	if err != nil {
		return err
	}
	// Past answers: the first 600 members (the first branches, demo_member's among them) answered on
	// some days, mostly right.
	rows, err := tx.Query(`SELECT id, org_id FROM members WHERE status IN ('full', 'probationary') ORDER BY id LIMIT 600`)
	if err != nil {
		return err
	}
	type mem struct{ id, org int64 }
	var ms []mem
	for rows.Next() {
		var m mem
		if err := rows.Scan(&m.id, &m.org); err != nil {
			rows.Close()
			return err
		}
		ms = append(ms, m)
	}
	rows.Close()
	for k, m := range ms {
		keen := 30 + (k*37)%65 // each member's own habit, 30–94 % of days
		for _, d := range days[:len(days)-1] {
			if d.QuestionID == 0 || r.IntN(100) >= keen {
				continue
			}
			if err := p.Learning.AnswerTx(tx, sid, m.id, m.org, d, r.IntN(100) < 80); err != nil {
				return err
			}
		}
	}
	return nil
}
