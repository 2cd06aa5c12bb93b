// Package rectify is the rectification ledger (巡察整改, 整改台账): findings from inspection tours,
// special inspections, on-site visits, the annual review, coordination meetings and manual entry, each
// tracked from open to sign-off (销号) with three-level responsibility — seed §4: "市级机关工委加强督促
// 指导，党组（党委）担负主体责任，机关各级党组织落实具体任务".
//
// The state machine is data (rules below) and enforced here, on the server:
//
//	open ──plan (implementing: measures + deadline)──▶ open, plan proposed
//	open ──accept_plan (supervisor)──▶ planned ──report (implementing, with evidence)──▶ in_progress
//	in_progress ──submit (implementing asks for sign-off)──▶ submitted
//	submitted ──close (supervisor, verification note: 销号)──▶ closed
//	submitted ──reject (supervisor, reason)──▶ in_progress
//	closed ──reopen (supervisor, the problem recurs)──▶ in_progress
//
// Who takes a step is decided by where the caller's organisation sits relative to the item
// (docs/decisions/0005-rectify.md): officers whose subtree holds the supervising organisation act as the
// supervisor; otherwise officers whose subtree holds an implementing organisation or the responsible
// organisation act for the implementing side. Overdue is derived — due_on passed and not closed — and
// escalated once per deadline by a scheduled job.
package rectify

import (
	"time"

	"github.com/dangjian/dangjian/internal/notify"
	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/files"
)

// Status is where an item stands.
type Status string

const (
	Open       Status = "open"
	Planned    Status = "planned"
	InProgress Status = "in_progress"
	Submitted  Status = "submitted"
	Closed     Status = "closed"
)

// Statuses lists the statuses in order.
var Statuses = []Status{Open, Planned, InProgress, Submitted, Closed}

// Action is a step taken on an item.
type Action string

const (
	ActPlan       Action = "plan"
	ActAcceptPlan Action = "accept_plan"
	ActReport     Action = "report"
	ActSubmit     Action = "submit"
	ActClose      Action = "close"
	ActReject     Action = "reject"
	ActReopen     Action = "reopen"
	actCreate     Action = "create" // the first line of the history, not a step anyone takes
)

// Actions lists the steps in the order pages show them.
var Actions = []Action{ActPlan, ActAcceptPlan, ActReport, ActSubmit, ActClose, ActReject, ActReopen}

// Source is where a finding came from.
type Source string

const (
	SourceInspectionTour      Source = "inspection_tour"      // 巡视/巡察 feedback
	SourceInspection          Source = "inspection"           // 专项检查 (a frozen inspection's finding)
	SourceSiteVisit           Source = "site_visit"           // 实地查看
	SourceAnnualReview        Source = "annual_review"        // 述职评议考核
	SourceCoordinationMeeting Source = "coordination_meeting" // a decision of 集中会办
	SourceManual              Source = "manual"
)

// Sources lists the sources in the order forms show them.
var Sources = []Source{SourceInspectionTour, SourceInspection, SourceSiteVisit, SourceAnnualReview, SourceCoordinationMeeting, SourceManual}

// Valid reports whether s is a known source.
func (s Source) Valid() bool {
	for _, x := range Sources {
		if s == x {
			return true
		}
	}
	return false
}

// Side is the part an organisation plays in an item.
type Side string

const (
	SideSupervisor   Side = "supervisor"   // the 工委: accepts plans, signs off, rejects, reopens
	SideImplementing Side = "implementing" // implementing orgs and the responsible org: plan, report, submit
)

// rule is one allowed step: who takes it, from which statuses, to which status, what it needs.
type rule struct {
	Side     Side
	From     []Status
	To       Status
	Comment  bool // a comment is required (progress, reason, verification note)
	Evidence bool // the item must carry evidence once the step is taken
	Closes   bool // a long-term item (长期坚持) reports periodically instead of taking this step
}

// rules is the whole state machine, as data.
var rules = map[Action]rule{
	ActPlan:       {Side: SideImplementing, From: []Status{Open}, To: Open},
	ActAcceptPlan: {Side: SideSupervisor, From: []Status{Open}, To: Planned},
	ActReport:     {Side: SideImplementing, From: []Status{Planned, InProgress}, To: InProgress, Comment: true},
	ActSubmit:     {Side: SideImplementing, From: []Status{InProgress}, To: Submitted, Comment: true, Evidence: true, Closes: true},
	ActClose:      {Side: SideSupervisor, From: []Status{Submitted}, To: Closed, Comment: true, Closes: true},
	ActReject:     {Side: SideSupervisor, From: []Status{Submitted}, To: InProgress, Comment: true},
	ActReopen:     {Side: SideSupervisor, From: []Status{Closed}, To: InProgress, Comment: true},
}

// SideOf is the side whose officers take action a ("" for an unknown action).
func SideOf(a Action) Side { return rules[a].Side }

// Service is the rectification ledger.
type Service struct {
	db     *db.DB
	auth   *auth.Service
	trail  *audit.Trail
	clock  clock.Clock
	notify *notify.Service
	files  *files.Store
}

// NewService wires the service.
func NewService(d *db.DB, a *auth.Service, t *audit.Trail, c clock.Clock, n *notify.Service, f *files.Store) *Service {
	return &Service{db: d, auth: a, trail: t, clock: c, notify: n, files: f}
}

// ReportMonths are the periods a long-term item may report on (monthly, quarterly, half-yearly, yearly).
var ReportMonths = []int{1, 3, 6, 12}

// Categories are the usual headings of a 整改台账 (suggestions on the forms; any short text is accepted).
var Categories = []string{"政治建设", "思想建设", "组织建设", "作风建设", "纪律建设", "制度建设", "党风廉政建设", "意识形态工作"}

// addMonths adds calendar months, clamping to the month's end (RULES.md R0.2: 01-31 + 1 month → 02-28/29).
func addMonths(d db.Date, n int) db.Date {
	y, m, day := d.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	if last := first.AddDate(0, 1, -1).Day(); day > last {
		day = last
	}
	return db.DateOf(first.AddDate(0, 0, day-1))
}
