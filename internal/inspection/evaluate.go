package inspection

import (
	"time"

	"github.com/dangjian/dangjian/internal/org"
)

// Status is how an obligation stands for one organisation and period.
type Status string

const (
	Met     Status = "met"      // green
	Missed  Status = "missed"   // red: the period is over and the obligation was not met
	DueSoon Status = "due_soon" // yellow: the period is open, not yet met, and ends within the lead time
	Open    Status = "open"     // the period is open, not yet met, with time left
	NoRule  Status = ""         // nothing judged
)

// worse orders statuses for a heatmap cell: red over yellow over open over green.
func (s Status) rank() int {
	switch s {
	case Missed:
		return 4
	case DueSoon:
		return 3
	case Open:
		return 2
	case Met:
		return 1
	}
	return 0
}

// planItem is one period of one rule to judge, with the version in force on its first day. The plan
// depends only on the rules, their tuning and the span asked for, so it is built once per request.
type planItem struct {
	rule    Rule
	version Version
	period  Period
	last    Month // last month that has begun (the period's end, or this month while it is open)
	kind    int   // the rule's packed column
	ruleIdx int   // the rule's position in Builtin
}

// buildPlan lists the periods of rules overlapping [from, to] that have begun by today.
func buildPlan(rules []Rule, rs ruleset, from, to Month, today time.Time) []planItem {
	var plan []planItem
	now := MonthOf(today)
	for _, r := range rules {
		for m := Month(from.Year() * 12); m <= to; m++ {
			v := rs.at(r, m)
			if !v.Enabled {
				continue
			}
			p := PeriodOf(v.Every, m)
			if p.Start != m || p.End() < from {
				continue
			}
			if p.FirstDay().After(today) {
				break
			}
			plan = append(plan, planItem{rule: r, version: v, period: p, last: min(p.End(), now), kind: kindIndex(r.Kind), ruleIdx: ruleIndex(r.ID)})
		}
	}
	return plan
}

// Judgement is one rule judged for one organisation and period.
type Judgement struct {
	Rule    Rule
	Version Version
	Period  Period
	Status  Status
	Count   int // records held in the period (person rules: people who met it)
	Need    int // records needed (person rules: people looked at)
	Note    bool
	ruleIdx int
}

// judge applies one plan item to an organisation; ok is false when the rule does not apply to it.
func judge(o *orgFacts, it *planItem, today time.Time, soonDays int) (Judgement, bool) {
	r := &it.rule
	if !kindIn(o.Kind, r.Scope) {
		return Judgement{}, false
	}
	p := it.period
	yf := o.year(p.Start.Year())
	if yf == nil {
		return Judgement{}, false
	}
	// The organisation must have existed throughout the period so far.
	if yf.live != 0xFFF {
		for m := p.Start; m <= it.last; m++ {
			if yf.live&(1<<(m.Index()-1)) == 0 {
				return Judgement{}, false
			}
		}
	}
	j := Judgement{Rule: *r, Version: it.version, Period: p, ruleIdx: it.ruleIdx}
	switch r.Scope {
	case ScopeCommitteeBranch:
		if yf.committee&(1<<(p.Start.Index()-1)) == 0 {
			return Judgement{}, false
		}
	case ScopeSecretary, ScopeCommitteeMembers:
		roles, gaps := yf.lessonRoles, yf.lessonGaps
		if r.Scope == ScopeCommitteeMembers {
			roles, gaps = yf.talkRoles, yf.talkGaps
		}
		if roles == 0 {
			return Judgement{}, false
		}
		j.Count, j.Need = roles-gaps, roles
		j.Status = status(gaps == 0, p, today, soonDays)
		return j, true
	}
	packed := yf.counts[it.kind]
	for m := p.Start; m <= p.End(); m++ {
		j.Count += nibble(packed, m.Index())
	}
	j.Need = it.version.Min
	j.Status = status(j.Count >= j.Need, p, today, soonDays)
	// A2.7: met, but never in the months the rule prefers (一般安排在第四季度) — an info note once the year is over.
	if r.Prefer != 0 && j.Status == Met && p.LastDay().Before(today) {
		inPrefer := 0
		for m := 1; m <= 12; m++ {
			if r.Prefer&(1<<(m-1)) != 0 {
				inPrefer += nibble(packed, m)
			}
		}
		j.Note = inPrefer == 0
	}
	return j, true
}

func kindIn(k org.Kind, s Scope) bool {
	switch s {
	case ScopeCell:
		return k == org.Cell
	case ScopeSecretary:
		return k == org.Committee || k == org.LeadingGroup
	case ScopeOrgan:
		return k == org.Committee
	}
	return k == org.Branch
}

// status is the colour of a period: met is green at any time; unmet is red once the period is over,
// yellow in its last soonDays days, and open before that.
func status(met bool, p Period, today time.Time, soonDays int) Status {
	switch {
	case met:
		return Met
	case p.LastDay().Before(today):
		return Missed
	case !p.LastDay().After(today.AddDate(0, 0, soonDays-1)):
		return DueSoon
	}
	return Open
}

func ruleIndex(id string) int {
	for i, r := range Builtin {
		if r.ID == id {
			return i
		}
	}
	return 0
}
