// Package orglife is the small contract between the records of organisational life (internal/meeting)
// and what judges them (internal/compliance): the kinds of record and the facts a record contributes
// once it counts. Neither side imports the other; cmd/dangjian's wiring (internal/wire) connects them.
//
// The package also keeps the records themselves (meeting.go, write.go, read.go): 三会一课 and the other
// kinds, checked against the roster and the posts on the day they were held (RULES.md §A2, R0.3),
// draft → submitted → locked with every version kept (docs/decisions/0003-meeting-records.md); the
// branches' annual plans (plan.go) and the leading cadres' dual-life report (duallife.go, §B2). Every
// write that changes what a record contributes calls the registered Listeners in its transaction.
package orglife

import "github.com/dangjian/dangjian/internal/platform/db"

// Kind is a kind of organisational-life record (GLOSSARY.md; RULES.md §A2, §B2).
type Kind string

const (
	GeneralMeeting        Kind = "general_meeting"         // 支部党员大会 (A2.1)
	CommitteeMeeting      Kind = "committee_meeting"       // 支部委员会会议 (A2.2)
	CellMeeting           Kind = "cell_meeting"            // 党小组会 (A2.3)
	PartyLesson           Kind = "party_lesson"            // 党课 (A2.5)
	ThemeDay              Kind = "theme_day"               // 主题党日 (A2.6)
	OrgLifeMeeting        Kind = "org_life_meeting"        // 组织生活会 (A2.7)
	MemberAppraisal       Kind = "member_appraisal"        // 民主评议党员 (A2.8), counts once its three steps are done
	HeartTalk             Kind = "heart_talk"              // 谈心谈话 (A2.9), between two people
	DemocraticLifeMeeting Kind = "democratic_life_meeting" // 民主生活会 of a leadership team
	AllMemberMeeting      Kind = "all_member_meeting"      // the organ's annual 全体党员大会 (B2 第二十六条)
)

// Kinds lists every kind in the order forms show them.
var Kinds = []Kind{GeneralMeeting, CommitteeMeeting, CellMeeting, PartyLesson, ThemeDay, OrgLifeMeeting,
	MemberAppraisal, HeartTalk, DemocraticLifeMeeting, AllMemberMeeting}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, x := range Kinds {
		if k == x {
			return true
		}
	}
	return false
}

// Held is what one record contributes to obligations while it counts: a record counts from when it
// is submitted (and stays counted when locked or corrected); a draft does not count.
type Held struct {
	RecordID   int64   // the record (meetings.id)
	OrgID      int64   // the branch or cell it was held by
	Kind       Kind    //
	On         db.Date // the day it was held
	LecturerID int64   // party lessons: members.id of the lecturer (the secretary's yearly lesson, A2.5)
	ChairID    int64   // members.id of the chair
}

// Listener is told, inside the write transaction that changes records, which contributions the change
// removed and which it added (a correction that moves a date removes the old Held and adds the new one).
// An error aborts the write, so summaries kept by a listener are never out of step with the records.
type Listener func(tx *db.Tx, removed, added []Held) error
