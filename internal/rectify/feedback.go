package rectify

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// Feedback is a feedback document (巡察反馈意见) with its findings.
type Feedback struct {
	ID               int64   `json:"id"`
	Title            string  `json:"title"`
	Source           Source  `json:"source"`
	Reference        string  `json:"reference"`
	IssuedBy         string  `json:"issued_by"`
	IssuedOn         db.Date `json:"issued_on"`
	ResponsibleOrgID int64   `json:"responsible_org_id"`
	ResponsibleOrg   string  `json:"responsible_org_name"`
	SupervisorOrgID  int64   `json:"supervisor_org_id"`
	Items            []Item  `json:"items"`
}

// FeedbackFinding is one finding of a feedback document.
type FeedbackFinding struct {
	Title             string  `json:"title"`
	Finding           string  `json:"finding"`
	Category          string  `json:"category"`
	ImplementingIDs   []int64 `json:"implementing_org_ids"`
	ResponsiblePerson string  `json:"responsible_person"`
	Measures          string  `json:"measures"`
	DueOn             string  `json:"due_on"`
	LongTerm          bool    `json:"long_term"`
	ReportMonths      int     `json:"report_months"`
}

// NewFeedback is a feedback document to record with its findings at once.
type NewFeedback struct {
	Title            string            `json:"title"`
	Source           Source            `json:"source"` // default inspection_tour
	Reference        string            `json:"reference"`
	IssuedBy         string            `json:"issued_by"`
	IssuedOn         string            `json:"issued_on"` // default today
	ResponsibleOrgID int64             `json:"responsible_org_id"`
	SupervisorOrgID  int64             `json:"supervisor_org_id"`
	Findings         []FeedbackFinding `json:"findings"`
}

const maxFindings = 500

// checkHeader validates the document's own fields.
func (s *Service) checkHeader(n *NewFeedback, f errs.Fields) db.Date {
	n.Title, n.Reference, n.IssuedBy = strings.TrimSpace(n.Title), strings.TrimSpace(n.Reference), strings.TrimSpace(n.IssuedBy)
	lengths(f, span{"title", n.Title, 2, 200, "rectify.title.length"}, span{"reference", n.Reference, 0, 100, "rectify.source_ref.length"},
		span{"issued_by", n.IssuedBy, 0, 100, "rectify.issued_by.length"})
	if n.Source == "" {
		n.Source = SourceInspectionTour
	}
	if !n.Source.Valid() || n.Source == SourceInspection || n.Source == SourceCoordinationMeeting {
		f.Add("source", "rectify.source.invalid")
	}
	today := db.DateOf(clock.Today(s.clock))
	on := today
	if v := strings.TrimSpace(n.IssuedOn); v != "" {
		t, err := validate.Date(v)
		switch {
		case err != nil:
			f.Add("issued_on", keyOf(err))
		case t.After(today.Time):
			f.Add("issued_on", "rectify.date.future")
		default:
			on = db.DateOf(t)
		}
	}
	if n.ResponsibleOrgID <= 0 {
		f.Add("responsible_org_id", validate.KeyRequired)
	}
	if n.SupervisorOrgID <= 0 {
		f.Add("supervisor_org_id", validate.KeyRequired)
	}
	return on
}

// item turns finding k (0-based) of n into a NewItem.
func (n NewFeedback) item(k int) NewItem {
	ff := n.Findings[k]
	ref := fmt.Sprintf("第%d条", k+1)
	if n.Reference != "" {
		ref = n.Reference + " " + ref
	}
	return NewItem{Title: ff.Title, Finding: ff.Finding, Category: ff.Category, Source: n.Source, SourceRef: ref,
		ResponsibleOrgID: n.ResponsibleOrgID, ImplementingIDs: ff.ImplementingIDs, SupervisorOrgID: n.SupervisorOrgID,
		ResponsiblePerson: ff.ResponsiblePerson, Measures: ff.Measures, DueOn: ff.DueOn, LongTerm: ff.LongTerm,
		ReportMonths: ff.ReportMonths}
}

// RecordFeedback records a feedback document and all its findings in one transaction: all or nothing.
// Field problems of finding k are reported as "findings.k.<field>" (k from 1).
func (s *Service) RecordFeedback(ctx context.Context, p auth.Principal, n NewFeedback) (Feedback, error) {
	f := errs.Fields{}
	on := s.checkHeader(&n, f)
	if len(n.Findings) == 0 {
		f.Add("findings", "rectify.findings.required")
	}
	if len(n.Findings) > maxFindings {
		f.Add("findings", "rectify.findings.too_many")
	}
	if n.SupervisorOrgID <= 0 {
		return Feedback{}, f.Err()
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: n.SupervisorOrgID}); err != nil {
		return Feedback{}, err
	}
	var id int64
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		id, err = s.feedbackTx(tx, p, n, on, f)
		return err
	})
	if err != nil {
		return Feedback{}, err
	}
	return s.GetFeedback(ctx, p, id)
}

func (s *Service) insertFeedback(tx *db.Tx, p auth.Principal, n NewFeedback, on db.Date) (int64, error) {
	id, err := tx.Insert(`INSERT INTO rectify_feedbacks(title, source, reference, issued_by, issued_on, responsible_org_id,
		supervisor_org_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.Title, string(n.Source), n.Reference, n.IssuedBy, on, n.ResponsibleOrgID, n.SupervisorOrgID, p.UserID, db.Millis(s.clock.Now()))
	if err != nil {
		return 0, err
	}
	return id, s.trail.Append(tx, audit.Event{Action: "rectify.feedback", ObjectType: "rectification_feedback", ObjectID: id,
		After:  map[string]any{"title": n.Title, "source": n.Source, "responsible_org_id": n.ResponsibleOrgID, "findings": len(n.Findings)},
		Detail: "seed §4 findings=" + strconv.Itoa(len(n.Findings))})
}

// GetFeedback returns a feedback document with the items the caller may see.
func (s *Service) GetFeedback(ctx context.Context, p auth.Principal, id int64) (Feedback, error) {
	var fb Feedback
	err := s.db.QueryRow(ctx, `SELECT f.id, f.title, f.source, f.reference, f.issued_by, f.issued_on, f.responsible_org_id, o.name,
		f.supervisor_org_id FROM rectify_feedbacks f JOIN orgs o ON o.id = f.responsible_org_id WHERE f.id = ?`, id).
		Scan(&fb.ID, &fb.Title, &fb.Source, &fb.Reference, &fb.IssuedBy, &fb.IssuedOn, &fb.ResponsibleOrgID, &fb.ResponsibleOrg, &fb.SupervisorOrgID)
	if errs.Is(err, errs.NotFound) {
		return Feedback{}, errs.E(errs.NotFound, "error.not_found")
	}
	if err != nil {
		return Feedback{}, err
	}
	// Officers below the responsible organisation see the document through the items it gave them.
	fb.Items, _, err = s.List(ctx, p, Filter{OrgID: p.OrgID, FeedbackID: id, Limit: -1})
	if err != nil {
		return Feedback{}, err
	}
	if len(fb.Items) == 0 {
		if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: fb.ResponsibleOrgID}); err != nil {
			return Feedback{}, err
		}
	}
	// The ledger orders by deadline; a document reads in its own order.
	sortByID(fb.Items)
	return fb, nil
}

func sortByID(items []Item) {
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && items[j].ID < items[j-1].ID; j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
}

// FeedbackSummary is a line of the list of feedback documents.
type FeedbackSummary struct {
	ID             int64   `json:"id"`
	Title          string  `json:"title"`
	IssuedOn       db.Date `json:"issued_on"`
	ResponsibleOrg string  `json:"responsible_org_name"`
	Items          int     `json:"items"`
	Closed         int     `json:"closed"`
}

// ListFeedbacks lists the feedback documents whose responsible organisation lies in orgID's subtree.
func (s *Service) ListFeedbacks(ctx context.Context, p auth.Principal, orgID int64) ([]FeedbackSummary, error) {
	if err := s.auth.Authorize(ctx, p, auth.ReadBusiness, auth.Target{OrgID: orgID}); err != nil {
		return nil, err
	}
	path, err := s.auth.OrgPath(ctx, orgID)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT f.id, f.title, f.issued_on, o.name,
		(SELECT COUNT(*) FROM rectify_items i WHERE i.feedback_id = f.id),
		(SELECT COUNT(*) FROM rectify_items i WHERE i.feedback_id = f.id AND i.status = 'closed')
		FROM rectify_feedbacks f JOIN orgs o ON o.id = f.responsible_org_id JOIN orgs so ON so.id = f.supervisor_org_id
		WHERE o.path LIKE ? OR so.path LIKE ? OR EXISTS (SELECT 1 FROM rectify_items i JOIN rectify_item_orgs x ON x.item_id = i.id
			JOIN orgs xo ON xo.id = x.org_id WHERE i.feedback_id = f.id AND xo.path LIKE ?)
		ORDER BY f.issued_on DESC, f.id DESC LIMIT 100`, path+"%", path+"%", path+"%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []FeedbackSummary{}
	for rows.Next() {
		var fs FeedbackSummary
		if err := rows.Scan(&fs.ID, &fs.Title, &fs.IssuedOn, &fs.ResponsibleOrg, &fs.Items, &fs.Closed); err != nil {
			return nil, err
		}
		out = append(out, fs)
	}
	return out, rows.Err()
}

// errRollback ends a transaction whose work must not be kept (dry run, all-or-nothing refusal).
var errRollback = errors.New("rectify: roll back")

// RecordFeedbackTx records a feedback document with its findings inside the caller's transaction (the
// demo loader): the same checks as RecordFeedback, the caller's scope checked by path.
func (s *Service) RecordFeedbackTx(tx *db.Tx, p auth.Principal, n NewFeedback) (int64, error) {
	f := errs.Fields{}
	on := s.checkHeader(&n, f)
	if err := s.authorizeTx(tx, p, n.SupervisorOrgID); err != nil {
		return 0, err
	}
	return s.feedbackTx(tx, p, n, on, f)
}

func (s *Service) feedbackTx(tx *db.Tx, p auth.Principal, n NewFeedback, on db.Date, f errs.Fields) (int64, error) {
	var id int64
	head := NewItem{ResponsibleOrgID: n.ResponsibleOrgID, SupervisorOrgID: n.SupervisorOrgID}
	if err := checkOrgs(tx, &head, f); err != nil {
		return 0, err
	}
	if len(f) == 0 {
		var err error
		if id, err = s.insertFeedback(tx, p, n, on); err != nil {
			return 0, err
		}
	}
	for k := range n.Findings {
		item := n.item(k)
		item.feedbackID, item.on = id, on // a document's findings are recorded as of its date
		sub := errs.Fields{}
		s.check(&item, sub)
		if err := checkOrgs(tx, &item, sub); err != nil {
			return 0, err
		}
		for field, key := range sub {
			if field == "responsible_org_id" || field == "supervisor_org_id" {
				f.Add(field, key)
				continue
			}
			f.Add(fmt.Sprintf("findings.%d.%s", k+1, field), key)
		}
		if len(f) > 0 {
			continue
		}
		if _, err := s.createTx(tx, p, item, errs.Fields{}); err != nil {
			return 0, err
		}
	}
	return id, f.Err()
}
