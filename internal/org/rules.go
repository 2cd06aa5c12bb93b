package org

import "time"

// Rules-as-data for the organisation structure. Every number cites its RULES.md id; a deployment may
// replace StructureRules (e.g. for a village or community organisation, A3.3: 5 years everywhere).

// StructureRules holds the numbers the structure checks and the default terms use.
type StructureRules struct {
	// TermYears is the default term by kind (A3.3; B1 第五条–第七条): 机关 基层党委 5 years, 总支 and
	// 支部 3 years. Kinds not listed have no term of their own.
	TermYears map[Kind]int
	// BranchCommitteeFrom: 正式党员 ≥ 7 → a 支部委员会 must be set up (A3.1; R0.3 counts full members).
	BranchCommitteeFrom int
	// CommitteeSizeMin/Usual/Max: the committee has 3–5 members, as a rule ≤ 7 (A3.1).
	CommitteeSizeMin, CommitteeSizeUsual, CommitteeSizeMax int
	// BranchMaxMembers: a branch has as a rule ≤ 50 党员 (A1.1).
	BranchMaxMembers int
	// GeneralBranchFrom / CommitteeFrom: 党员 50–100 → 总支, ≥ 100 → 基层党委 (A1.5; B1 第五条, 第六条;
	// R0.3 counts all members, probationary included; 100 is eligible for both).
	GeneralBranchFrom, CommitteeFrom int
	// MaxExtensionYears: a renewal may be postponed by ≤ 1 year with approval (A3.4).
	MaxExtensionYears int
	// SecretaryMinStandingYears: a 书记 has as a rule ≥ 1 year of party standing (党龄, counted from
	// 转正, C5.4) when elected (A3.5).
	SecretaryMinStandingYears int
}

// DefaultRules are the rules for organs' party organisations (机关, RULES.md §A, §B).
var DefaultRules = StructureRules{
	TermYears:           map[Kind]int{Committee: 5, GeneralBranch: 3, Branch: 3, DisciplineCommittee: 5},
	BranchCommitteeFrom: 7,
	CommitteeSizeMin:    3, CommitteeSizeUsual: 5, CommitteeSizeMax: 7,
	BranchMaxMembers:  50,
	GeneralBranchFrom: 50, CommitteeFrom: 100,
	MaxExtensionYears:         1,
	SecretaryMinStandingYears: 1,
}

// addYears adds calendar years, clamping 02-29 to 02-28 in a common year (R0.2).
func addYears(d time.Time, n int) time.Time {
	y, m, day := d.Date()
	t := time.Date(y+n, m, day, 0, 0, 0, 0, d.Location())
	if t.Month() != m {
		t = time.Date(y+n, m+1, 0, 0, 0, 0, 0, d.Location())
	}
	return t
}
