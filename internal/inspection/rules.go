// Package inspection is the compliance calendar and special inspections (专项检查): the obligations of
// organisational life as rules-as-data citing RULES.md (§A2, §B2, §R0), summaries of the records kept
// current in the records' own write transaction (orglife.Listener), the red/yellow/green judgement of
// every organisation and period, reminders before a period ends, and inspection campaigns whose
// findings are frozen when run. See docs/decisions/0004-compliance-summaries.md.
package inspection

import (
	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/orglife"
)

// Severity of a finding. R0.4: "一般" (as a rule) gives a warning; "应当"/"至少" an error.
type Severity string

const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
	SevInfo    Severity = "info"
)

// Severities lists the severities the work committee may choose.
var Severities = []Severity{SevError, SevWarning, SevInfo}

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool { return s == SevError || s == SevWarning || s == SevInfo }

// Scope says which organisations (or which people of an organisation) a rule looks at on a date.
type Scope string

const (
	// ScopeBranch: every live branch (支部).
	ScopeBranch Scope = "branch"
	// ScopeCommitteeBranch: branches that had a committee on the period's first day — ≥7 full members
	// (A3.1; R0.3 counts 正式党员 only; R0.1 "以上" includes 7) or committee posts held.
	ScopeCommitteeBranch Scope = "committee_branch"
	// ScopeCell: every live party cell (党小组).
	ScopeCell Scope = "cell"
	// ScopeSecretary: the secretaries of committees (党委) and leading groups (党组) in office during the
	// year, each of whom gives at least one party lesson (A2.5; B2 第十八条).
	ScopeSecretary Scope = "secretary"
	// ScopeCommitteeMembers: the committee members of a branch in office during the year, each with at
	// least one recorded heart-to-heart talk (A2.9).
	ScopeCommitteeMembers Scope = "committee_members"
	// ScopeOrgan: the organ's committee (机关党委), for the all-member meeting (B2 第二十六条（六）).
	ScopeOrgan Scope = "organ"
)

// person reports whether the scope counts people rather than an organisation's records.
func (s Scope) person() bool { return s == ScopeSecretary || s == ScopeCommitteeMembers }

// Rule is one obligation of organisational life, as data: its RULES.md id, the article it cites, which
// kind of record satisfies it, how often, for whom, and how grave a miss is. Every, Min and Severity are
// the defaults; the work committee may tune them (Version).
type Rule struct {
	ID       string
	Article  string // citation, in Chinese as the regulation names it
	Kind     orglife.Kind
	Scope    Scope
	Every    Every
	Min      int // records needed per period
	Severity Severity
	Local    bool // a local rule, not a national one (RULES.md §I.1): shown as such
	// Prefer are months (bit m-1) in which the rule says the record is "as a rule" held; a year met only
	// outside them gets an info note (A2.7: 一般安排在第四季度).
	Prefer uint16
}

// Key is the rule's id as a message-key segment (A2.5.secretary → a2_5_secretary).
func (r Rule) Key() string {
	b := []byte(r.ID)
	for i, c := range b {
		switch {
		case c == '.' || c == '-':
			b[i] = '_'
		case c >= 'A' && c <= 'Z':
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Tunable reports whether the work committee may change the rule's frequency (person rules are yearly).
func (r Rule) Tunable() bool { return !r.Scope.person() }

// Builtin is the rule set: RULES.md §A2, §B2 (支部工作条例; 党员教育管理工作条例; 机关基层组织工作条例).
var Builtin = []Rule{
	{ID: "A2.1", Article: "《中国共产党支部工作条例（试行）》第十一条", Kind: orglife.GeneralMeeting, Scope: ScopeBranch,
		Every: Quarterly, Min: 1, Severity: SevWarning}, // 一般每季度召开1次
	{ID: "A2.2", Article: "《中国共产党支部工作条例（试行）》第十二条", Kind: orglife.CommitteeMeeting, Scope: ScopeCommitteeBranch,
		Every: Monthly, Min: 1, Severity: SevWarning}, // 一般每月召开1次
	{ID: "A2.3", Article: "《中国共产党支部工作条例（试行）》第十三条", Kind: orglife.CellMeeting, Scope: ScopeCell,
		Every: Monthly, Min: 1, Severity: SevWarning}, // 党小组会一般每月召开1次
	{ID: "A2.5", Article: "《中国共产党支部工作条例（试行）》第十六条（地方规定）", Kind: orglife.PartyLesson, Scope: ScopeBranch,
		Every: Quarterly, Min: 1, Severity: SevWarning, Local: true}, // no national frequency (§I.1)
	{ID: "A2.5.secretary", Article: "《中国共产党支部工作条例（试行）》第十六条；《中国共产党党和国家机关基层组织工作条例》第十八条",
		Kind: orglife.PartyLesson, Scope: ScopeSecretary, Every: Yearly, Min: 1, Severity: SevError}, // 每年至少讲1次
	{ID: "A2.6", Article: "《中国共产党支部工作条例（试行）》第十六条；《中国共产党党员教育管理工作条例》第十六条",
		Kind: orglife.ThemeDay, Scope: ScopeBranch, Every: Monthly, Min: 1, Severity: SevError}, // 应当每月开展1次
	{ID: "A2.7", Article: "《中国共产党支部工作条例（试行）》第十七条", Kind: orglife.OrgLifeMeeting, Scope: ScopeBranch,
		Every: Yearly, Min: 1, Severity: SevError, Prefer: 0b111 << 9}, // 每年至少1次，一般安排在第四季度
	{ID: "A2.8", Article: "《中国共产党支部工作条例（试行）》第十八条", Kind: orglife.MemberAppraisal, Scope: ScopeBranch,
		Every: Yearly, Min: 1, Severity: SevWarning}, // 一般每年开展1次
	{ID: "A2.9", Article: "《中国共产党支部工作条例（试行）》第十九条", Kind: orglife.HeartTalk, Scope: ScopeCommitteeMembers,
		Every: Yearly, Min: 1, Severity: SevWarning}, // 每年谈心谈话一般不少于1次
	{ID: "B2", Article: "《中国共产党党和国家机关基层组织工作条例》第二十六条（六）", Kind: orglife.AllMemberMeeting, Scope: ScopeOrgan,
		Every: Yearly, Min: 1, Severity: SevError}, // 每年至少召开1次机关党员干部大会
}

// RuleByID finds a built-in rule.
func RuleByID(id string) (Rule, bool) {
	for _, r := range Builtin {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// kindIndex is the position of a kind's packed column in compliance_summaries.
func kindIndex(k orglife.Kind) int {
	for i, x := range orglife.Kinds {
		if x == k {
			return i
		}
	}
	return -1
}

// BranchCommitteeFrom is the number of full members from which a branch has a committee (A3.1; R0.1
// "以上" includes it; R0.3 counts 正式党员 only).
var BranchCommitteeFrom = org.DefaultRules.BranchCommitteeFrom
