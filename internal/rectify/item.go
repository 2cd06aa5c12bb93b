package rectify

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// OrgRef is an organisation named on an item.
type OrgRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Item is one finding under rectification.
type Item struct {
	ID                int64     `json:"id"`
	Title             string    `json:"title"`
	Finding           string    `json:"finding"`
	Category          string    `json:"category"`
	Source            Source    `json:"source"`
	SourceRef         string    `json:"source_ref"`
	SourceID          int64     `json:"source_id,omitempty"`
	SourceLink        string    `json:"source_link,omitempty"`
	FeedbackID        int64     `json:"feedback_id,omitempty"`
	MeetingID         int64     `json:"meeting_id,omitempty"`
	ResponsibleOrgID  int64     `json:"responsible_org_id"`
	ResponsibleOrg    string    `json:"responsible_org_name"`
	ImplementingOrgs  []OrgRef  `json:"implementing_orgs"`
	ImplementingIDs   []int64   `json:"implementing_org_ids"`
	SupervisorOrgID   int64     `json:"supervisor_org_id"`
	SupervisorOrg     string    `json:"supervisor_org_name"`
	ResponsiblePerson string    `json:"responsible_person"`
	Measures          string    `json:"measures"`
	DueOn             db.Date   `json:"due_on"`
	ProposedDueOn     db.Date   `json:"proposed_due_on"`
	PlanProposed      bool      `json:"plan_proposed"`
	LongTerm          bool      `json:"long_term"`
	ReportMonths      int       `json:"report_months,omitempty"`
	Status            Status    `json:"status"`
	Overdue           bool      `json:"overdue"`
	OverdueDays       int       `json:"overdue_days,omitempty"`
	CreatedOn         db.Date   `json:"created_on"`
	LastReportOn      db.Date   `json:"last_report_on"`
	ClosedOn          db.Date   `json:"closed_on"`
	Steps             []Step    `json:"steps,omitempty"`
	Evidence          []FileRef `json:"evidence,omitempty"`
	// Allowed are the steps the caller may take now (filled for one caller by Get).
	Allowed []Action `json:"allowed_actions,omitempty"`

	orgPaths []string // responsible, supervisor and implementing orgs' paths (scope checks)
}

// Step is one line of an item's history.
type Step struct {
	ID         int64     `json:"id"`
	Action     Action    `json:"action"`
	FromStatus Status    `json:"from_status,omitempty"`
	ToStatus   Status    `json:"to_status"`
	Comment    string    `json:"comment,omitempty"`
	Measures   string    `json:"measures,omitempty"`
	DueOn      db.Date   `json:"due_on"`
	On         db.Date   `json:"on"`
	ActorName  string    `json:"actor"`
	Evidence   []FileRef `json:"evidence,omitempty"`
}

// FileRef is an evidence file linked to a step.
type FileRef struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	StepID int64  `json:"step_id"`
}

// NewItem is what Create needs. API contract: {title, finding, source, responsible_org_id,
// implementing_org_ids, supervisor_org_id, due_on}; the rest is optional.
type NewItem struct {
	Title             string  `json:"title"`
	Finding           string  `json:"finding"`
	Category          string  `json:"category"`
	Source            Source  `json:"source"`
	SourceRef         string  `json:"source_ref"`
	ResponsibleOrgID  int64   `json:"responsible_org_id"`
	ImplementingIDs   []int64 `json:"implementing_org_ids"`
	SupervisorOrgID   int64   `json:"supervisor_org_id"`
	ResponsiblePerson string  `json:"responsible_person"`
	Measures          string  `json:"measures"`
	DueOn             string  `json:"due_on"`
	LongTerm          bool    `json:"long_term"`
	ReportMonths      int     `json:"report_months"`

	// Set by the capability, never by the client.
	sourceID   int64
	sourceLink string
	feedbackID int64
	meetingID  int64
	on         db.Date // recorded on (default today; the demo back-dates)
}

// FindingRef is a finding of a frozen special inspection (专项检查), as the inspection capability hands
// it over: the item links back to it and is made once per finding (unique (source, source_id)).
type FindingRef struct {
	ID           int64  // the finding's id: the item's source_id
	InspectionID int64  // its inspection
	Reference    string // human reference, e.g. "2026年第1次专项检查 第3项"
	Text         string // the finding as recorded
	Link         string // site-relative page of the finding, e.g. "/inspections/4#finding-12"
	OrgID        int64  // the inspected organisation
	Frozen       bool   // only a frozen (finalised) inspection's findings become items
}

const maxImplementing = 20

func keyOf(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Key
	}
	return "error.invalid"
}

func fieldErr(field, key string) error {
	return &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{field: key}}
}

// span is a text field's length rule: between min and max characters, else key.
type span struct {
	field, value string
	min, max     int
	key          string
}

// lengths checks each span (field-level messages; the first problem of a field wins).
func lengths(f errs.Fields, spans ...span) {
	for _, sp := range spans {
		if !runes(sp.value, sp.min, sp.max) {
			f.Add(sp.field, sp.key)
		}
	}
}

func runes(s string, min, max int) bool {
	n := utf8.RuneCountInString(s)
	return n >= min && n <= max
}

// check validates n's own fields (not the organisations, which need the database).
func (s *Service) check(n *NewItem, f errs.Fields) {
	n.Title, n.Finding, n.Category = strings.TrimSpace(n.Title), strings.TrimSpace(n.Finding), strings.TrimSpace(n.Category)
	n.SourceRef, n.ResponsiblePerson, n.Measures = strings.TrimSpace(n.SourceRef), strings.TrimSpace(n.ResponsiblePerson), strings.TrimSpace(n.Measures)
	if n.Title == "" && n.Finding != "" {
		n.Title = firstRunes(n.Finding, 60)
	}
	lengths(f, span{"title", n.Title, 2, 200, "rectify.title.length"}, span{"finding", n.Finding, 2, 4000, "rectify.finding.length"},
		span{"category", n.Category, 0, 50, "rectify.category.length"}, span{"source_ref", n.SourceRef, 0, 200, "rectify.source_ref.length"},
		span{"responsible_person", n.ResponsiblePerson, 0, 50, "rectify.person.length"},
		span{"measures", n.Measures, 0, 4000, "rectify.measures.length"})
	if n.Source == "" {
		n.Source = SourceManual
	}
	if !n.Source.Valid() {
		f.Add("source", "rectify.source.invalid")
	}
	if n.ResponsibleOrgID <= 0 {
		f.Add("responsible_org_id", validate.KeyRequired)
	}
	if n.SupervisorOrgID <= 0 {
		f.Add("supervisor_org_id", validate.KeyRequired)
	}
	if len(n.ImplementingIDs) == 0 {
		f.Add("implementing_org_ids", "rectify.implementing.required")
	} else if len(n.ImplementingIDs) > maxImplementing {
		f.Add("implementing_org_ids", "rectify.implementing.too_many")
	}
	if n.on.IsZero() {
		n.on = db.DateOf(clock.Today(s.clock))
	}
	if strings.TrimSpace(n.DueOn) == "" {
		f.Add("due_on", validate.KeyRequired)
	} else if t, err := validate.Date(n.DueOn); err != nil {
		f.Add("due_on", keyOf(err))
	} else if t.Before(n.on.Time) {
		f.Add("due_on", "rectify.due_on.past")
	}
	if n.LongTerm {
		ok := false
		for _, m := range ReportMonths {
			ok = ok || m == n.ReportMonths
		}
		if !ok {
			f.Add("report_months", "rectify.report_months.invalid")
		}
	} else {
		n.ReportMonths = 0
	}
}

func firstRunes(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

type orgRow struct {
	id               int64
	kind, path, name string
	dissolved        db.Date
}

func loadOrg(tx *db.Tx, id int64) (orgRow, error) {
	o := orgRow{id: id}
	err := tx.QueryRow("SELECT kind, path, name, dissolved_on FROM orgs WHERE id = ?", id).Scan(&o.kind, &o.path, &o.name, &o.dissolved)
	return o, err
}

// checkOrgs enforces the three levels: the responsible org is a 党组 or 党委 (leading_group, committee);
// the supervisor is the 工委 (work_committee) above it; every implementing org lies under the supervisor
// (below it, never the supervisor itself), so no one signs off their own work.
func checkOrgs(tx *db.Tx, n *NewItem, f errs.Fields) error {
	var sup orgRow
	supOK := false
	if n.SupervisorOrgID > 0 {
		o, err := loadOrg(tx, n.SupervisorOrgID)
		switch {
		case errs.Is(err, errs.NotFound):
			f.Add("supervisor_org_id", "rectify.org.unknown")
		case err != nil:
			return err
		case !o.dissolved.IsZero():
			f.Add("supervisor_org_id", "rectify.org.dissolved")
		case o.kind != "work_committee":
			f.Add("supervisor_org_id", "rectify.supervisor.kind")
		default:
			sup, supOK = o, true
		}
	}
	below := func(field string, o orgRow) {
		if supOK && (o.id == sup.id || !strings.HasPrefix(o.path, sup.path)) {
			f.Add(field, "rectify.org.not_below_supervisor")
		}
	}
	if n.ResponsibleOrgID > 0 {
		o, err := loadOrg(tx, n.ResponsibleOrgID)
		switch {
		case errs.Is(err, errs.NotFound):
			f.Add("responsible_org_id", "rectify.org.unknown")
		case err != nil:
			return err
		case !o.dissolved.IsZero():
			f.Add("responsible_org_id", "rectify.org.dissolved")
		case o.kind != "leading_group" && o.kind != "committee":
			f.Add("responsible_org_id", "rectify.responsible.kind")
		default:
			below("responsible_org_id", o)
		}
	}
	seen := map[int64]bool{}
	var ids []int64
	for _, id := range n.ImplementingIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
		o, err := loadOrg(tx, id)
		switch {
		case errs.Is(err, errs.NotFound) || id <= 0:
			f.Add("implementing_org_ids", "rectify.org.unknown")
		case err != nil:
			return err
		case !o.dissolved.IsZero():
			f.Add("implementing_org_ids", "rectify.org.dissolved")
		default:
			below("implementing_org_ids", o)
		}
	}
	n.ImplementingIDs = ids
	return nil
}

// Create records a finding as an item (status open). Only officers of the supervising organisation
// record findings: the 工委 assigns the work (seed §4 "督促指导").
func (s *Service) Create(ctx context.Context, p auth.Principal, n NewItem) (Item, error) {
	f := errs.Fields{}
	s.check(&n, f)
	if n.Source == SourceInspection || n.Source == SourceCoordinationMeeting {
		// These come with their record: CreateFromFindingTx and meetings.
		f.Add("source", "rectify.source.not_manual")
	}
	if n.SupervisorOrgID > 0 {
		if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: n.SupervisorOrgID}); err != nil {
			return Item{}, err
		}
	} else if err := f.Err(); err != nil {
		return Item{}, err
	}
	var id int64
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		id, err = s.createTx(tx, p, n, f)
		return err
	})
	if err != nil {
		return Item{}, err
	}
	return s.Get(ctx, p, id)
}

// createTx validates the organisations and inserts the item with its first history line and audit entry.
// f carries the field problems found so far; the write fails with them after the organisation checks.
func (s *Service) createTx(tx *db.Tx, p auth.Principal, n NewItem, f errs.Fields) (int64, error) {
	if err := checkOrgs(tx, &n, f); err != nil {
		return 0, err
	}
	if err := f.Err(); err != nil {
		return 0, err
	}
	due, _ := db.ParseDate(mustDate(n.DueOn))
	var srcID, fb, mt any
	if n.sourceID != 0 {
		srcID = n.sourceID
	}
	if n.feedbackID != 0 {
		fb = n.feedbackID
	}
	if n.meetingID != 0 {
		mt = n.meetingID
	}
	now := db.Millis(s.clock.Now())
	id, err := tx.Insert(`INSERT INTO rectify_items(title, finding, category, source, source_ref, source_id, source_link,
		feedback_id, meeting_id, responsible_org_id, supervisor_org_id, responsible_person, measures, due_on, long_term,
		report_months, status, created_on, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.Title, n.Finding, n.Category, string(n.Source), n.SourceRef, srcID, n.sourceLink, fb, mt,
		n.ResponsibleOrgID, n.SupervisorOrgID, n.ResponsiblePerson, n.Measures, due, n.LongTerm, n.ReportMonths,
		string(Open), n.on, p.UserID, now, now)
	if err != nil {
		return 0, err
	}
	for _, o := range n.ImplementingIDs {
		if _, err := tx.Exec("INSERT INTO rectify_item_orgs(item_id, org_id) VALUES (?, ?)", id, o); err != nil {
			return 0, err
		}
	}
	if _, err := s.addStep(tx, p, id, actCreate, "", Open, n.SourceRef, "", db.Date{}, n.on); err != nil {
		return 0, err
	}
	return id, s.trail.Append(tx, audit.Event{Action: "rectify.create", ObjectType: "rectification", ObjectID: id,
		After: map[string]any{"source": n.Source, "source_id": n.sourceID, "responsible_org_id": n.ResponsibleOrgID,
			"implementing_org_ids": n.ImplementingIDs, "supervisor_org_id": n.SupervisorOrgID, "due_on": n.DueOn, "status": Open},
		Detail: "seed §4 source=" + string(n.Source)})
}

func mustDate(s string) string {
	t, err := validate.Date(s)
	if err != nil {
		return ""
	}
	return t.Format("2006-01-02")
}

func (s *Service) addStep(tx *db.Tx, p auth.Principal, id int64, a Action, from, to Status, comment, measures string, due, on db.Date) (int64, error) {
	return tx.Insert(`INSERT INTO rectify_steps(item_id, action, from_status, to_status, comment, measures, due_on, done_on,
		actor_id, actor_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, string(a), string(from), string(to), comment, measures, due, on, p.UserID, p.Username, db.Millis(s.clock.Now()))
}

// CreateFromFindingTx turns a finding of a frozen special inspection into an item, inside the caller's
// transaction (the inspection capability sends it in the same write that marks the finding sent). It is
// idempotent per finding: a second send returns the item already made (unique (source, source_id)). The
// caller must be an officer of the supervising organisation; the item links back to the finding.
func (s *Service) CreateFromFindingTx(tx *db.Tx, p auth.Principal, f FindingRef, item NewItem) (Item, error) {
	if f.ID <= 0 {
		return Item{}, fieldErr("source_id", validate.KeyRequired)
	}
	if !f.Frozen {
		return Item{}, errs.E(errs.Conflict, "rectify.finding.not_frozen")
	}
	if err := s.authorizeTx(tx, p, item.SupervisorOrgID); err != nil {
		return Item{}, err
	}
	if id, err := s.itemBySource(tx, SourceInspection, f.ID); err != nil || id != 0 {
		if err != nil {
			return Item{}, err
		}
		return s.loadTx(tx, id)
	}
	item.Source, item.sourceID, item.sourceLink = SourceInspection, f.ID, f.Link
	if strings.TrimSpace(item.SourceRef) == "" {
		item.SourceRef = f.Reference
	}
	if strings.TrimSpace(item.Finding) == "" {
		item.Finding = f.Text
	}
	if len(item.ImplementingIDs) == 0 && f.OrgID != 0 {
		item.ImplementingIDs = []int64{f.OrgID}
	}
	fields := errs.Fields{}
	s.check(&item, fields)
	id, err := s.createTx(tx, p, item, fields)
	if err != nil {
		return Item{}, err
	}
	if err := s.trail.Append(tx, audit.Event{Action: "rectify.from_finding", ObjectType: "rectification", ObjectID: id,
		Detail: "finding=" + strconv.FormatInt(f.ID, 10) + " inspection=" + strconv.FormatInt(f.InspectionID, 10)}); err != nil {
		return Item{}, err
	}
	return s.loadTx(tx, id)
}

func (s *Service) itemBySource(tx *db.Tx, src Source, id int64) (int64, error) {
	var item int64
	err := tx.QueryRow("SELECT id FROM rectify_items WHERE source = ? AND source_id = ?", string(src), id).Scan(&item)
	if errs.Is(err, errs.NotFound) {
		return 0, nil
	}
	return item, err
}

// authorizeTx is Authorize for callers already inside a write transaction (Authorize reads through the
// pool, which on SQLite waits for the one writer): the grant, then the subtree by path. A refusal here
// cannot be recorded in its own transaction; the inspection capability calls Authorize on the
// supervising organisation before its write, so refusals are audited there and this is the backstop.
func (s *Service) authorizeTx(tx *db.Tx, p auth.Principal, orgID int64) error {
	if !p.Role.Can(auth.WriteBusiness) || orgID <= 0 {
		return auth.ErrForbidden
	}
	var path string
	if err := tx.QueryRow("SELECT path FROM orgs WHERE id = ?", orgID).Scan(&path); err != nil {
		if errs.Is(err, errs.NotFound) {
			return fieldErr("supervisor_org_id", "rectify.org.unknown")
		}
		return err
	}
	if p.OrgPath == "" || !strings.HasPrefix(path, p.OrgPath) {
		return auth.ErrForbidden
	}
	return nil
}

// denied records a refusal the way Authorize does and returns 403 with the side's message.
func (s *Service) denied(ctx context.Context, p auth.Principal, what string, orgID int64) error {
	_ = s.trail.Record(ctx, audit.Event{Action: "authz.denied", ObjectType: "action", ObjectID: what,
		Result: "denied", Detail: "org=" + strconv.FormatInt(orgID, 10)})
	return auth.ErrForbidden
}
