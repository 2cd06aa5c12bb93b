package org

import (
	"context"
	"time"

	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
)

// Severity of a structure finding: an error breaks a "应当" rule, a warning a "一般" rule (R0.4), info
// points out an option.
type Severity string

const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
	SevInfo    Severity = "info"
)

// Check is one finding of the structure checks, citing its RULES.md id. Key is a message key
// (org.check.*) whose text explains the finding in plain Chinese; Args fill it.
type Check struct {
	Rule     string         `json:"rule"`
	Severity Severity       `json:"severity"`
	Key      string         `json:"key"`
	Args     map[string]any `json:"args,omitempty"`
	OrgID    int64          `json:"org_id"`
	OrgName  string         `json:"org_name"`
	Message  string         `json:"message,omitempty"` // filled by the web layer in the caller's language
}

// Facts are what the structure rules look at for one organisation on a date.
type Facts struct {
	Kind    Kind
	Full    int // 正式党员 on the organisation's books (a branch's own members, cells included)
	Members int // 党员 (full + probationary) in the organisation's whole subtree (R0.3)
	// The committee (支委会 / 总支委员会 / 党委) as posts held on the date.
	CommitteeSize       int  // distinct members holding a committee post (secretary and deputies included)
	HasCommittee        bool // some 委员 post (组织/宣传/纪检/委员) is held
	HasDisciplineMember bool // a 纪检委员 is held
	PendingSecretary    bool // a 书记/副书记 is elected but not approved (A3.2)
	// For a 机关党委 (B1 第九条).
	HasDisciplineCommittee      bool
	DisciplineSecretaryIsDeputy *bool // nil: the 机关纪委 has no secretary in office
	// Term (A3.3, A3.4).
	TermEndOn, ExtendedToOn db.Date
	// Secretaries are the 书记 posts held on the date, with what A3.5 needs of their holders.
	Secretaries []SecretaryFacts
}

// SecretaryFacts is a 书记 and their party record as the A3.5 check reads it.
type SecretaryFacts struct {
	MemberID  int64
	Name      string
	Status    Status
	JoinedOn  db.Date
	FullOn    db.Date
	ElectedOn db.Date // the election (or, when not recorded, the first day of the post)
}

// rule is one structure rule as data: its RULES.md id, the kinds it applies to and its test.
type rule struct {
	ID    string
	Kinds []Kind
	Test  func(r StructureRules, f Facts, day time.Time) []Check
}

func one(id string, sev Severity, key string, args map[string]any) []Check {
	return []Check{{Rule: id, Severity: sev, Key: key, Args: args}}
}

// structureRules are the checks, in display order.
var structureRules = []rule{
	{ID: "A1.1", Kinds: []Kind{Branch}, Test: func(r StructureRules, f Facts, _ time.Time) []Check {
		if f.Members > r.BranchMaxMembers {
			return one("A1.1", SevWarning, "org.check.a1_1.too_many", map[string]any{"n": f.Members, "max": r.BranchMaxMembers})
		}
		if f.Full < 3 {
			return one("A1.1", SevWarning, "org.check.a1_1.too_few", map[string]any{"n": f.Full})
		}
		return nil
	}},
	{ID: "A1.5", Kinds: []Kind{GeneralBranch, Committee}, Test: func(r StructureRules, f Facts, _ time.Time) []Check {
		switch {
		case f.Kind == Committee && f.Members < r.CommitteeFrom:
			return one("A1.5", SevWarning, "org.check.a1_5.committee_below", map[string]any{"n": f.Members, "min": r.CommitteeFrom})
		case f.Kind == GeneralBranch && f.Members < r.GeneralBranchFrom:
			return one("A1.5", SevWarning, "org.check.a1_5.general_branch_below", map[string]any{"n": f.Members, "min": r.GeneralBranchFrom})
		case f.Kind == GeneralBranch && f.Members >= r.CommitteeFrom:
			return one("A1.5", SevInfo, "org.check.a1_5.committee_eligible", map[string]any{"n": f.Members, "min": r.CommitteeFrom})
		}
		return nil
	}},
	{ID: "A3.1", Kinds: []Kind{Branch}, Test: func(r StructureRules, f Facts, _ time.Time) []Check {
		switch {
		case f.Full >= r.BranchCommitteeFrom && !f.HasCommittee:
			return one("A3.1", SevError, "org.check.a3_1.committee_required", map[string]any{"n": f.Full, "min": r.BranchCommitteeFrom})
		case f.HasCommittee && f.CommitteeSize < r.CommitteeSizeMin:
			return one("A3.1", SevWarning, "org.check.a3_1.size_small", map[string]any{"n": f.CommitteeSize, "min": r.CommitteeSizeMin, "usual": r.CommitteeSizeUsual})
		case f.HasCommittee && f.CommitteeSize > r.CommitteeSizeMax:
			return one("A3.1", SevWarning, "org.check.a3_1.size_large", map[string]any{"n": f.CommitteeSize, "max": r.CommitteeSizeMax})
		}
		return nil
	}},
	{ID: "A3.2", Kinds: []Kind{Committee, GeneralBranch, Branch, DisciplineCommittee}, Test: func(_ StructureRules, f Facts, _ time.Time) []Check {
		if f.PendingSecretary {
			return one("A3.2", SevWarning, "org.check.a3_2.pending_approval", nil)
		}
		return nil
	}},
	{ID: "B1", Kinds: []Kind{Committee, GeneralBranch, Branch}, Test: func(_ StructureRules, f Facts, _ time.Time) []Check {
		if f.Kind == Committee {
			if !f.HasDisciplineCommittee {
				return one("B1", SevError, "org.check.b1.no_discipline_committee", nil)
			}
			if f.DisciplineSecretaryIsDeputy != nil && !*f.DisciplineSecretaryIsDeputy {
				return one("B1", SevError, "org.check.b1.discipline_secretary", nil)
			}
			return nil
		}
		if f.HasCommittee && !f.HasDisciplineMember {
			return one("B1", SevError, "org.check.b1.no_discipline_member", nil)
		}
		return nil
	}},
	{ID: "A3.5", Kinds: []Kind{Committee, GeneralBranch, Branch}, Test: func(r StructureRules, f Facts, _ time.Time) []Check {
		var out []Check
		for _, sec := range f.Secretaries {
			n, ok := Standing(sec.Status, sec.JoinedOn, sec.FullOn, sec.ElectedOn.Time)
			if ok && n >= r.SecretaryMinStandingYears {
				continue
			}
			out = append(out, one("A3.5", SevWarning, "org.check.a3_5.secretary_standing", map[string]any{"name": sec.Name,
				"elected": sec.ElectedOn.String(), "years": r.SecretaryMinStandingYears})...)
		}
		return out
	}},
	{ID: "A3.4", Kinds: []Kind{Committee, GeneralBranch, Branch, DisciplineCommittee}, Test: func(r StructureRules, f Facts, day time.Time) []Check {
		if f.TermEndOn.IsZero() {
			return nil
		}
		var out []Check
		end := f.TermEndOn
		if !f.ExtendedToOn.IsZero() {
			if f.ExtendedToOn.After(addYears(f.TermEndOn.Time, r.MaxExtensionYears)) {
				out = append(out, one("A3.4", SevWarning, "org.check.a3_4.extension_long", map[string]any{"to": f.ExtendedToOn.String(), "years": r.MaxExtensionYears})...)
			}
			if f.ExtendedToOn.After(end.Time) {
				end = f.ExtendedToOn
			}
		}
		if db.DateOf(day).After(end.Time) {
			out = append(out, one("A3.4", SevError, "org.check.a3_4.overdue", map[string]any{"end": end.String()})...)
		}
		return out
	}},
}

// Evaluate runs the structure rules over one organisation's facts on day.
func Evaluate(r StructureRules, f Facts, day time.Time) []Check {
	out := []Check{}
	for _, ru := range structureRules {
		for _, k := range ru.Kinds {
			if k == f.Kind {
				out = append(out, ru.Test(r, f, day)...)
				break
			}
		}
	}
	return out
}

// Checks runs the structure checks on asOf for an organisation, or with subtree=true for every live
// organisation of its subtree (in tree order).
func (s *Service) Checks(ctx context.Context, p auth.Principal, orgID int64, asOf time.Time, subtree bool) ([]Check, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: orgID}); err != nil {
		return nil, err
	}
	var orgs []Org
	if subtree {
		path, err := s.auth.OrgPath(ctx, orgID)
		if err != nil {
			return nil, err
		}
		if orgs, err = scanOrgs(s.db.Query(ctx, "SELECT "+orgCols+" FROM orgs WHERE path LIKE ? AND dissolved_on IS NULL ORDER BY path", path+"%")); err != nil {
			return nil, err
		}
	} else {
		o, err := scanOrg(s.db.QueryRow(ctx, "SELECT "+orgCols+" FROM orgs WHERE id = ?", orgID))
		if err != nil {
			return nil, err
		}
		if o.Live() {
			orgs = append(orgs, o)
		}
	}
	out := []Check{}
	for _, o := range orgs {
		f, err := s.facts(ctx, o, asOf)
		if err != nil {
			return nil, err
		}
		for _, c := range Evaluate(s.rules(), f, asOf) {
			c.OrgID, c.OrgName = o.ID, o.Name
			out = append(out, c)
		}
	}
	return out, nil
}

// facts gathers what the rules need about o on asOf.
func (s *Service) facts(ctx context.Context, o Org, asOf time.Time) (Facts, error) {
	f := Facts{Kind: o.Kind, TermEndOn: o.TermEndOn, ExtendedToOn: o.ExtendedToOn}
	// R0.3: a branch's thresholds count its full members; 总支/党委 thresholds count all members.
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM members WHERE org_id = ? AND status = 'full' AND terminal_state = ''`, o.ID).Scan(&f.Full); err != nil {
		return f, err
	}
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM members m JOIN orgs o ON o.id = m.org_id
		WHERE o.path LIKE ? AND m.status IN ('probationary', 'full') AND m.terminal_state = ''`, o.Path+"%").Scan(&f.Members); err != nil {
		return f, err
	}
	posts, err := s.postsOf(ctx, o.ID, asOf, false)
	if err != nil {
		return f, err
	}
	holders := map[int64]bool{}
	for _, ps := range posts {
		if !ps.Post.committeeMember() {
			continue
		}
		holders[ps.MemberID] = true
		switch ps.Post {
		case OrganisationMember, PublicityMember, DisciplineMember, CommitteeMember:
			f.HasCommittee = true
		}
		if ps.Post == DisciplineMember {
			f.HasDisciplineMember = true
		}
		if ps.Post.NeedsApproval() && !ps.InOffice {
			f.PendingSecretary = true
		}
		if ps.Post == Secretary {
			sec := SecretaryFacts{MemberID: ps.MemberID, Name: ps.MemberName, ElectedOn: ps.ElectedOn}
			if sec.ElectedOn.IsZero() {
				sec.ElectedOn = ps.FromOn
			}
			if err := s.db.QueryRow(ctx, "SELECT status, joined_on, full_on FROM members WHERE id = ?", ps.MemberID).
				Scan(&sec.Status, &sec.JoinedOn, &sec.FullOn); err != nil {
				return f, err
			}
			f.Secretaries = append(f.Secretaries, sec)
		}
	}
	f.CommitteeSize = len(holders)
	if o.Kind == Committee {
		var dc int64
		err := s.db.QueryRow(ctx, "SELECT COALESCE(MIN(id), 0) FROM orgs WHERE parent_id = ? AND kind = ? AND dissolved_on IS NULL", o.ID, string(DisciplineCommittee)).Scan(&dc)
		if err != nil {
			return f, err
		}
		f.HasDisciplineCommittee = dc != 0
		if dc != 0 {
			dposts, err := s.postsOf(ctx, dc, asOf, false)
			if err != nil {
				return f, err
			}
			deputies := map[int64]bool{}
			for _, ps := range posts {
				if ps.Post == DeputySecretary {
					deputies[ps.MemberID] = true
				}
			}
			for _, ps := range dposts {
				if ps.Post == Secretary {
					ok := deputies[ps.MemberID]
					f.DisciplineSecretaryIsDeputy = &ok
				}
			}
		}
	}
	return f, nil
}

// TermChange records an election (a new term from StartOn, A3.3) or an approved postponement of the
// renewal (ExtendedTo, A3.4), each with its approval reference.
type TermChange struct {
	StartOn     string `json:"term_start_on,omitempty"`
	ExtendedTo  string `json:"extended_to_on,omitempty"`
	ApprovalRef string `json:"approval_ref"`
}
