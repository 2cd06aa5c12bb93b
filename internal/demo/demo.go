// Package demo generates an obviously fictitious city for trying the platform out: one organs' work
// committee, 36 organ party committees, about 260 branches and 2,000 members, plus one login per role
// with passwords generated at load time. Every name carries "示例" or is a random pairing of common
// characters; nothing is real. The generator is deterministic for a seed, so tests can count on it.
package demo

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"time"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/wire"
)

// Size says how big a city to make.
type Size struct {
	Committees int // organ party committees (机关党委)
	Branches   int // branches in all
	Members    int // members in all
}

// Full is the seed's scale.
var Full = Size{Committees: 36, Branches: 260, Members: 2000}

// Login is one generated account, printed once.
type Login struct {
	Role     auth.Role
	Username string
	Password string
	Scope    string
}

// Result tells what was made.
type Result struct {
	RootID     int64
	Committees int
	Branches   int
	Cells      int
	Members    int
	Logins     []Login
}

var organs = []string{"发展改革委", "教育局", "科技局", "工业和信息化局", "民政局", "司法局", "财政局", "人力资源社会保障局",
	"自然资源局", "生态环境局", "住房城乡建设局", "交通运输局", "水务局", "农业农村局", "商务局", "文化广电旅游局",
	"卫生健康委", "退役军人事务局", "应急管理局", "审计局", "市场监管局", "统计局", "医疗保障局", "机关事务管理局",
	"信访局", "城市管理局", "体育局", "林业局", "粮食和储备局", "地方金融监管局", "行政审批局", "档案馆",
	"政策研究室", "人民防空办公室", "数据资源局", "投资促进局", "外事办公室", "科协机关", "总工会机关", "团市委机关"}

var offices = []string{"办公室", "综合处", "法规处", "财务处", "人事处", "规划处", "监督处", "宣传处", "服务中心", "信息中心",
	"执法支队", "研究室", "机关服务处", "审批处"}

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
var given = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬飞鹏辉建国志宏晓雪梅琳晨阳宇欣怡子涵浩然思远嘉文佳琪俊杰雨婷")

// Load makes the demo city in one transaction on an empty database and returns the logins. It refuses
// when the database already has organisations.
func Load(ctx context.Context, p *wire.Platform, size Size, seed uint64, today time.Time) (Result, error) {
	d, a, o := p.DB, p.Auth, p.Orgs
	if ok, err := a.IsSetUp(ctx); err != nil {
		return Result{}, err
	} else if ok {
		return Result{}, errs.E(errs.Conflict, "setup.already_done")
	}
	r := mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var res Result
	err := d.Write(ctx, func(tx *db.Tx) error {
		var err error
		res, err = build(tx, a, o, size, r, today)
		if err != nil {
			return err
		}
		for _, x := range extras {
			if err := x.load(tx, p, &res, r, today); err != nil {
				return fmt.Errorf("demo %s: %w", x.name, err)
			}
		}
		return nil
	})
	return res, err
}

// extra is one capability's demo data, loaded after the tree, roster and logins, in the same transaction.
// Each capability registers its own from a file of this package (init), in file-name order.
type extra struct {
	name string
	load func(tx *db.Tx, p *wire.Platform, res *Result, r *mrand.Rand, today time.Time) error
}

var extras []extra

func build(tx *db.Tx, a *auth.Service, o *org.Service, size Size, r *mrand.Rand, today time.Time) (Result, error) {
	var res Result
	root, err := a.SetupTx(tx, "示例市直机关工委（演示）")
	if err != nil {
		return res, err
	}
	res.RootID = root
	// Spread branches over committees: each gets at least 3, the rest at random.
	per := make([]int, size.Committees)
	for i := range per {
		per[i] = 3
	}
	for left := size.Branches - 3*size.Committees; left > 0; left-- {
		per[r.IntN(size.Committees)]++
	}
	var branches []int64
	for i := 0; i < size.Committees; i++ {
		name := organs[i%len(organs)]
		c, err := o.CreateTx(tx, org.NewOrg{ParentID: root, Kind: org.Committee, Name: "示例市" + name + "机关党委",
			UnitName: "示例市" + name, EstablishedOn: recent(r, today, 24, 12)})
		if err != nil {
			return res, err
		}
		res.Committees++
		// B1: every organ party committee has its discipline committee, set up with it.
		if _, err := o.CreateTx(tx, org.NewOrg{ParentID: c.ID, Kind: org.DisciplineCommittee, Name: "示例市" + name + "机关纪委",
			EstablishedOn: c.EstablishedOn.String()}); err != nil {
			return res, err
		}
		parent := c.ID
		// Larger organs group some branches under a general branch.
		if per[i] >= 9 {
			g, err := o.CreateTx(tx, org.NewOrg{ParentID: c.ID, Kind: org.GeneralBranch, Name: "示例市" + name + "机关第一党总支",
				EstablishedOn: recent(r, today, 12, 6)})
			if err != nil {
				return res, err
			}
			parent = g.ID
		}
		for j := 0; j < per[i]; j++ {
			p := c.ID
			if j%2 == 1 {
				p = parent
			}
			b, err := o.CreateTx(tx, org.NewOrg{ParentID: p, Kind: org.Branch, EstablishedOn: recent(r, today, 12, 6),
				Name: fmt.Sprintf("示例市%s%s党支部", name, offices[j%len(offices)]+suffix(j, len(offices)))})
			if err != nil {
				return res, err
			}
			branches = append(branches, b.ID)
			res.Branches++
		}
	}
	// Members, and a cell in every branch that has many.
	counts := make([]int, len(branches))
	for i := 0; i < size.Members; i++ {
		counts[r.IntN(len(branches))]++
	}
	var firstBranch, firstMember int64
	ids := newIDMaker()
	for bi, b := range branches {
		if counts[bi] >= 12 {
			if _, err := o.CreateTx(tx, org.NewOrg{ParentID: b, Kind: org.Cell, Name: "第一党小组"}); err != nil {
				return res, err
			}
			res.Cells++
		}
		for k := 0; k < counts[bi]; k++ {
			m := person(r, b, today, ids, res.Members)
			m.IsLeadingCadre = k == 0 && bi%3 == 0
			id, err := o.CreateMemberTx(tx, m)
			if err != nil {
				return res, err
			}
			if firstBranch == 0 && m.Status == org.Full {
				firstBranch, firstMember = b, id
			}
			res.Members++
		}
	}
	logins := []struct {
		role   auth.Role
		user   string
		org    int64
		member int64
		scope  string
	}{
		{auth.OrgAdmin, "demo_admin", root, 0, "示例市直机关工委（演示）"},
		{auth.BranchOfficer, "demo_officer", firstBranch, 0, "first branch"},
		{auth.Member, "demo_member", firstBranch, firstMember, "a member of that branch"},
		{auth.SystemAdmin, "demo_sysadmin", root, 0, "accounts"},
		{auth.SecurityAdmin, "demo_secadmin", root, 0, "security policy"},
		{auth.AuditAdmin, "demo_auditor", root, 0, "audit trail"},
	}
	for _, l := range logins {
		pw := Password()
		if _, err := a.CreateUserTx(tx, auth.NewUser{Username: l.user, Password: pw, Role: l.role, OrgID: l.org, MemberID: l.member}); err != nil {
			return res, err
		}
		res.Logins = append(res.Logins, Login{Role: l.role, Username: l.user, Password: pw, Scope: l.scope})
	}
	return res, nil
}

// recent is a date between back and back-span months ago: the demo organs were reorganised in the
// recent 机构改革, so their party organisations and terms are current (terms from §A3.3 / §B1).
func recent(r *mrand.Rand, today time.Time, back, span int) string {
	d := today.AddDate(0, -back+r.IntN(span), -r.IntN(28))
	return d.Format(time.DateOnly)
}

func suffix(j, n int) string {
	if j < n {
		return ""
	}
	return fmt.Sprintf("第%d", j/n+1)
}

// Region is the address code of every demo ID number: province 11 (so the validator's province check
// passes) with a prefecture and county part, 9999, that GB/T 2260 never assigns — no demo number can
// be a real person's.
const Region = "119999"

// IDNumber makes the demo ID number of someone born on birth with sequence seq (odd for men, even for
// women, GB 11643): Region, the birth date, seq and the ISO 7064 MOD 11-2 check character (RULES.md H1).
func IDNumber(birth time.Time, seq int) string {
	body := Region + birth.Format("20060102") + fmt.Sprintf("%03d", seq%1000)
	w := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(body[i]-'0') * w[i]
	}
	return body + string("10X98765432"[sum%11])
}

// idMaker hands out distinct demo ID numbers: sequences per birth date, with the gender's parity.
type idMaker map[string]int

func newIDMaker() idMaker { return idMaker{} }

func (m idMaker) next(birth time.Time, gender string) string {
	k := birth.Format("20060102") + gender
	n := m[k]
	m[k] = n + 1
	seq := 100 + 2*n
	if gender == "male" {
		seq++
	}
	return IDNumber(birth, seq)
}

// Phone is the i-th demo phone number: 1380000 and four digits, a block no carrier hands out to people.
func Phone(i int) string { return fmt.Sprintf("1380000%04d", i%10000) }

var minorities = []string{"回族", "满族", "蒙古族", "壮族", "朝鲜族", "土家族", "苗族", "藏族"}

func person(r *mrand.Rand, orgID int64, today time.Time, ids idMaker, i int) org.NewMember {
	name := string(surnames[r.IntN(len(surnames))]) + string(given[r.IntN(len(given))])
	if r.IntN(2) == 0 {
		name += string(given[r.IntN(len(given))])
	}
	gender := "male"
	if r.IntN(100) < 42 {
		gender = "female"
	}
	age := 23 + r.IntN(37)
	birth := db.DateOf(today.AddDate(-age, -r.IntN(12), -r.IntN(28))).Time
	ethnicity := "汉族"
	if r.IntN(100) < 8 {
		ethnicity = minorities[r.IntN(len(minorities))]
	}
	education := "bachelor"
	switch x := r.IntN(100); {
	case x < 3:
		education = "doctorate"
	case x < 25:
		education = "master"
	case x < 78:
		education = "bachelor"
	case x < 92:
		education = "college"
	case x < 97:
		education = "secondary_vocational"
	default:
		education = "high_school"
	}
	m := org.NewMember{OrgID: orgID, Name: name, Gender: gender, BirthDate: birth.Format(time.DateOnly),
		IDNumber: ids.next(birth, gender), Phone: Phone(i), Ethnicity: ethnicity, Education: education}
	switch x := r.IntN(100); {
	case x < 86:
		m.Status = org.Full
	case x < 92:
		m.Status = org.Probationary
	case x < 96:
		m.Status = org.Activist
	default:
		m.Status = org.Applicant
	}
	if m.Status == org.Full {
		joinAge := 20 + r.IntN(max(1, age-21))
		joined := birth.AddDate(joinAge, r.IntN(12), 0)
		// Confirmed one year after joining (C5.1), and that must already have happened.
		if latest := today.AddDate(-1, 0, -1); joined.After(latest) {
			joined = latest
		}
		m.JoinedOn = joined.Format(time.DateOnly)
		m.FullOn = org.AddYears(joined, 1).Format(time.DateOnly)
	} else if m.Status == org.Probationary {
		m.JoinedOn = today.AddDate(0, -r.IntN(11)-1, 0).Format(time.DateOnly)
	}
	return m
}

// Password makes a random password that meets the 等保 policy (4 classes, 14 characters).
func Password() string {
	const (
		lower = "abcdefghijkmnpqrstuvwxyz"
		upper = "ABCDEFGHJKLMNPQRSTUVWXYZ"
		digit = "23456789"
		sym   = "-_.!@#%+"
	)
	sets := []string{lower, upper, digit, sym, lower, upper, digit, lower, upper, digit, lower, upper, digit, lower}
	b := make([]byte, len(sets))
	for i, s := range sets {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(s))))
		b[i] = s[n.Int64()]
	}
	// Shuffle so the classes are not in a fixed order.
	for i := len(b) - 1; i > 0; i-- {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		j := n.Int64()
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}
