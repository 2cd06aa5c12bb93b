package rectify

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// querier reads through either the pool or a write transaction.
type querier struct {
	row  func(q string, args ...any) *db.Row
	rows func(q string, args ...any) (*sql.Rows, error)
}

func (s *Service) pool(ctx context.Context) querier {
	return querier{
		row:  func(q string, args ...any) *db.Row { return s.db.QueryRow(ctx, q, args...) },
		rows: func(q string, args ...any) (*sql.Rows, error) { return s.db.Query(ctx, q, args...) },
	}
}

func txq(tx *db.Tx) querier { return querier{row: tx.QueryRow, rows: tx.Query} }

const itemCols = `i.id, i.title, i.finding, i.category, i.source, i.source_ref, COALESCE(i.source_id, 0), i.source_link,
	COALESCE(i.feedback_id, 0), COALESCE(i.meeting_id, 0), i.responsible_org_id, ro.name, ro.path, i.supervisor_org_id,
	so.name, so.path, i.responsible_person, i.measures, i.due_on, i.proposed_due_on, i.plan_proposed, i.long_term,
	i.report_months, i.status, i.created_on, i.last_report_on, i.closed_on`

const itemFrom = ` FROM rectify_items i JOIN orgs ro ON ro.id = i.responsible_org_id JOIN orgs so ON so.id = i.supervisor_org_id`

func (s *Service) scanItem(sc interface{ Scan(...any) error }) (Item, error) {
	var it Item
	var rpath, spath string
	err := sc.Scan(&it.ID, &it.Title, &it.Finding, &it.Category, &it.Source, &it.SourceRef, &it.SourceID, &it.SourceLink,
		&it.FeedbackID, &it.MeetingID, &it.ResponsibleOrgID, &it.ResponsibleOrg, &rpath, &it.SupervisorOrgID,
		&it.SupervisorOrg, &spath, &it.ResponsiblePerson, &it.Measures, &it.DueOn, &it.ProposedDueOn, &it.PlanProposed,
		&it.LongTerm, &it.ReportMonths, &it.Status, &it.CreatedOn, &it.LastReportOn, &it.ClosedOn)
	if err != nil {
		return it, err
	}
	it.orgPaths = []string{spath, rpath}
	s.derive(&it)
	return it, nil
}

// derive sets what is computed, never stored: overdue (due_on passed and not closed; for a long-term
// item due_on is the next periodic report).
func (s *Service) derive(it *Item) {
	today := clock.Today(s.clock)
	if it.Status != Closed && !it.DueOn.IsZero() && it.DueOn.Before(today) {
		it.Overdue = true
		it.OverdueDays = int(today.Sub(it.DueOn.Time).Hours() / 24)
	}
}

// implementing fills the implementing organisations of items (by id).
func implementing(q querier, items []Item) error {
	if len(items) == 0 {
		return nil
	}
	idx := map[int64]int{}
	ph := make([]string, len(items))
	args := make([]any, len(items))
	for i, it := range items {
		idx[it.ID] = i
		ph[i], args[i] = "?", it.ID
		items[i].ImplementingOrgs, items[i].ImplementingIDs = []OrgRef{}, []int64{}
	}
	rows, err := q.rows(`SELECT x.item_id, o.id, o.name, o.path FROM rectify_item_orgs x JOIN orgs o ON o.id = x.org_id
		WHERE x.item_id IN (`+strings.Join(ph, ",")+`) ORDER BY x.item_id, o.path`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var item int64
		var o OrgRef
		var path string
		if err := rows.Scan(&item, &o.ID, &o.Name, &path); err != nil {
			return err
		}
		it := &items[idx[item]]
		it.ImplementingOrgs = append(it.ImplementingOrgs, o)
		it.ImplementingIDs = append(it.ImplementingIDs, o.ID)
		it.orgPaths = append(it.orgPaths, path)
	}
	return rows.Err()
}

func (s *Service) load(q querier, id int64, history bool) (Item, error) {
	it, err := s.scanItem(q.row("SELECT "+itemCols+itemFrom+" WHERE i.id = ?", id))
	if err != nil {
		return Item{}, err
	}
	items := []Item{it}
	if err := implementing(q, items); err != nil {
		return Item{}, err
	}
	it = items[0]
	if !history {
		return it, nil
	}
	rows, err := q.rows(`SELECT id, action, from_status, to_status, comment, measures, due_on, done_on, actor_name
		FROM rectify_steps WHERE item_id = ? ORDER BY id`, id)
	if err != nil {
		return Item{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var st Step
		if err := rows.Scan(&st.ID, &st.Action, &st.FromStatus, &st.ToStatus, &st.Comment, &st.Measures, &st.DueOn, &st.On, &st.ActorName); err != nil {
			return Item{}, err
		}
		it.Steps = append(it.Steps, st)
	}
	if err := rows.Err(); err != nil {
		return Item{}, err
	}
	rows.Close()
	frows, err := q.rows(`SELECT f.id, f.name, x.step_id FROM rectify_files x JOIN files f ON f.id = x.file_id
		WHERE x.item_id = ? ORDER BY x.step_id, f.id`, id)
	if err != nil {
		return Item{}, err
	}
	defer frows.Close()
	for frows.Next() {
		var f FileRef
		if err := frows.Scan(&f.ID, &f.Name, &f.StepID); err != nil {
			return Item{}, err
		}
		it.Evidence = append(it.Evidence, f)
		for i := range it.Steps {
			if it.Steps[i].ID == f.StepID {
				it.Steps[i].Evidence = append(it.Steps[i].Evidence, f)
			}
		}
	}
	return it, frows.Err()
}

func (s *Service) loadTx(tx *db.Tx, id int64) (Item, error) { return s.load(txq(tx), id, true) }

// within reports whether path lies in the caller's subtree.
func within(p auth.Principal, path string) bool {
	return p.OrgPath != "" && strings.HasPrefix(path, p.OrgPath)
}

// SideFor is the side the caller acts for on it: supervisor when the supervising organisation lies in
// the caller's subtree; implementing when an implementing organisation or the responsible organisation
// does (主体责任: the 党组/党委 may plan, report and submit for its organs' branches — decision 0005);
// "" otherwise. Only business writers act at all.
func SideFor(p auth.Principal, it Item) Side {
	if !p.Role.Can(auth.WriteBusiness) || len(it.orgPaths) < 2 {
		return ""
	}
	if within(p, it.orgPaths[0]) {
		return SideSupervisor
	}
	for _, path := range it.orgPaths[1:] {
		if within(p, path) {
			return SideImplementing
		}
	}
	return ""
}

// sees reports whether the caller may read the item: any of its organisations lies in their subtree.
func sees(p auth.Principal, it Item) bool {
	if !p.Role.Can(auth.ReadBusiness) {
		return false
	}
	for _, path := range it.orgPaths {
		if within(p, path) {
			return true
		}
	}
	return false
}

// Can reports whether action a is allowed in the item's state (not who may take it).
func (it Item) Can(a Action) bool {
	r, ok := rules[a]
	if !ok {
		return false
	}
	if r.Closes && it.LongTerm {
		return false
	}
	if a == ActAcceptPlan && !it.PlanProposed {
		return false
	}
	for _, st := range r.From {
		if st == it.Status {
			return true
		}
	}
	return false
}

// allowed lists the steps the caller may take now.
func allowed(p auth.Principal, it Item) []Action {
	side := SideFor(p, it)
	var out []Action
	for _, a := range Actions {
		if rules[a].Side == side && it.Can(a) {
			out = append(out, a)
		}
	}
	return out
}

// Get returns an item with its history and evidence, to officers of any of its organisations.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Item, error) {
	it, err := s.load(s.pool(ctx), id, true)
	if errs.Is(err, errs.NotFound) {
		if !p.Role.Can(auth.ReadBusiness) {
			return Item{}, s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{})
		}
		return Item{}, errs.E(errs.NotFound, "error.not_found")
	}
	if err != nil {
		return Item{}, err
	}
	if !sees(p, it) {
		return Item{}, s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: it.ResponsibleOrgID})
	}
	it.Allowed = allowed(p, it)
	return it, nil
}

// Filter selects items of the ledger.
type Filter struct {
	OrgID      int64  // subtree: items any of whose organisations lies in it
	Source     string // a Source or ""
	Status     string // a Status, "pending" (not closed) or ""
	Overdue    bool   // only overdue items
	Category   string
	FeedbackID int64
	MeetingID  int64
	Limit      int // default 200, at most 1000; -1 for all (export)
}

// where builds the filter's SQL over itemFrom; it checks the values and the caller's scope over OrgID.
func (s *Service) where(ctx context.Context, p auth.Principal, f Filter) (string, []any, error) {
	fields := errs.Fields{}
	if f.Source != "" && !Source(f.Source).Valid() {
		fields.Add("source", "rectify.source.invalid")
	}
	if f.Status != "" && f.Status != "pending" && !validStatus(f.Status) {
		fields.Add("status", "rectify.status.invalid")
	}
	if err := fields.Err(); err != nil {
		return "", nil, err
	}
	if f.OrgID == 0 {
		f.OrgID = p.OrgID
	}
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: f.OrgID}); err != nil {
		return "", nil, err
	}
	path, err := s.auth.OrgPath(ctx, f.OrgID)
	if err != nil {
		return "", nil, err
	}
	like := path + "%"
	where := ` WHERE (ro.path LIKE ? OR so.path LIKE ? OR EXISTS (SELECT 1 FROM rectify_item_orgs x JOIN orgs xo ON xo.id = x.org_id
		WHERE x.item_id = i.id AND xo.path LIKE ?))`
	args := []any{like, like, like}
	if f.Source != "" {
		where += " AND i.source = ?"
		args = append(args, f.Source)
	}
	switch f.Status {
	case "":
	case "pending":
		where += " AND i.status <> 'closed'"
	default:
		where += " AND i.status = ?"
		args = append(args, f.Status)
	}
	if f.Overdue {
		where += " AND i.status <> 'closed' AND i.due_on < ?"
		args = append(args, db.DateOf(clock.Today(s.clock)))
	}
	if c := strings.TrimSpace(f.Category); c != "" {
		where += " AND i.category = ?"
		args = append(args, c)
	}
	if f.FeedbackID > 0 {
		where += " AND i.feedback_id = ?"
		args = append(args, f.FeedbackID)
	}
	if f.MeetingID > 0 {
		where += " AND i.meeting_id = ?"
		args = append(args, f.MeetingID)
	}
	return where, args, nil
}

func validStatus(s string) bool {
	for _, st := range Statuses {
		if string(st) == s {
			return true
		}
	}
	return false
}

// List returns the ledger's items for the filter (oldest deadline first) and how many match.
func (s *Service) List(ctx context.Context, p auth.Principal, f Filter) ([]Item, int, error) {
	where, args, err := s.where(ctx, p, f)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*)"+itemFrom+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := ""
	switch {
	case f.Limit < 0:
	case f.Limit == 0 || f.Limit > 1000:
		limit = " LIMIT 200"
	default:
		limit = " LIMIT " + strconv.Itoa(f.Limit)
	}
	rows, err := s.db.Query(ctx, "SELECT "+itemCols+itemFrom+where+" ORDER BY i.due_on, i.id"+limit, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Item{}
	for rows.Next() {
		it, err := s.scanItem(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	return out, total, implementing(s.pool(ctx), out)
}

// Options are the organisations a form offers the caller: supervisors (the 工委 in their subtree),
// responsible organisations (党组, 党委) and implementing organisations (everything else below).
type Options struct {
	Supervisors  []OrgRef `json:"supervisors"`
	Responsible  []OrgRef `json:"responsible"`
	Implementing []OrgRef `json:"implementing"`
}

// FormOptions lists the live organisations of the caller's subtree by the part they may play.
func (s *Service) FormOptions(ctx context.Context, p auth.Principal) (Options, error) {
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: p.OrgID}); err != nil {
		return Options{}, err
	}
	rows, err := s.db.Query(ctx, "SELECT id, name, kind FROM orgs WHERE path LIKE ? AND dissolved_on IS NULL ORDER BY path LIMIT 2000", p.OrgPath+"%")
	if err != nil {
		return Options{}, err
	}
	defer rows.Close()
	var o Options
	for rows.Next() {
		var r OrgRef
		var kind string
		if err := rows.Scan(&r.ID, &r.Name, &kind); err != nil {
			return Options{}, err
		}
		switch kind {
		case "work_committee":
			o.Supervisors = append(o.Supervisors, r)
			continue
		case "committee", "leading_group":
			o.Responsible = append(o.Responsible, r)
		}
		o.Implementing = append(o.Implementing, r)
	}
	return o, rows.Err()
}

// ItemsForFindings maps findings of special inspections to the ledger items made from them (finding id →
// item id), for the inspection report to link each sent finding. Ids only: the items themselves are read
// with Get, which checks the reader's scope.
func (s *Service) ItemsForFindings(ctx context.Context, findingIDs []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	if len(findingIDs) == 0 {
		return out, nil
	}
	rows, err := s.db.Query(ctx, "SELECT source_id, id FROM rectify_items WHERE source = ? AND source_id > 0", string(SourceInspection))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	want := map[int64]bool{}
	for _, id := range findingIDs {
		want[id] = true
	}
	for rows.Next() {
		var f, item int64
		if err := rows.Scan(&f, &item); err != nil {
			return nil, err
		}
		if want[f] {
			out[f] = item
		}
	}
	return out, rows.Err()
}
