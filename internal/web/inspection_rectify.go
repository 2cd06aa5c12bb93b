package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/dangjian/dangjian/internal/inspection"
	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/rectify"
)

// inspectionRectifyRoutes: a finding of a run (frozen) special inspection becomes a tracked item of the
// rectification ledger in one step (issue 4 → issue 5). The two capabilities do not know each other; this
// file joins them: the campaign is read through inspection (its scope check), the item made through
// rectify.CreateFromFindingTx (once per finding), supervised by the work committee at the tree's root.
func (s *Server) inspectionRectifyRoutes() {
	s.mux.HandleFunc("POST /inspections/{id}/findings/{fid}/rectify", s.page(s.findingRectifyForm))
	s.api("POST /api/v1/inspections/{id}/findings/{fid}/rectification", s.apiFindingRectify, true)
}

// findingToLedger is the request: only the deadline is needed; the rest defaults from the finding.
type findingToLedger struct {
	DueOn            string `json:"due_on"`
	ResponsibleOrgID int64  `json:"responsible_org_id"` // default: the 党委/党组 above the inspected organisation
	Title            string `json:"title"`              // default: rule and period
	Category         string `json:"category"`
}

func (s *Server) findingToItem(ctx context.Context, p auth.Principal, campaignID, findingID int64, in findingToLedger) (rectify.Item, error) {
	c, err := s.Compliance.Campaign(ctx, p, campaignID)
	if err != nil {
		return rectify.Item{}, err
	}
	var f *inspection.FrozenResult
	for i := range c.Findings {
		if c.Findings[i].ID == findingID {
			f = &c.Findings[i]
		}
	}
	if f == nil {
		return rectify.Item{}, errNotFound
	}
	path, err := s.Auth.OrgPath(ctx, f.OrgID)
	if err != nil {
		return rectify.Item{}, err
	}
	ids := strings.Split(strings.Trim(path, "/"), "/")
	root, _ := strconv.ParseInt(ids[0], 10, 64)
	// Refusals are audited here, before the write (inside it they could not be recorded).
	if err := s.Auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: root}); err != nil {
		return rectify.Item{}, err
	}
	if in.ResponsibleOrgID == 0 {
		for i := len(ids) - 1; i >= 0 && in.ResponsibleOrgID == 0; i-- {
			id, _ := strconv.ParseInt(ids[i], 10, 64)
			if o, err := s.Orgs.Get(ctx, p, id); err == nil && (o.Kind == org.Committee || o.Kind == org.LeadingGroup) && o.DissolvedOn.IsZero() {
				in.ResponsibleOrgID = id
			}
		}
	}
	lang := langFrom(ctx)
	s.localise(lang, &c)
	for i := range c.Findings {
		if c.Findings[i].ID == findingID {
			f = &c.Findings[i]
		}
	}
	title := strings.TrimSpace(in.Title)
	if title == "" {
		title = fmt.Sprintf("%s %s %s", f.OrgName, f.RuleID, f.Period)
	}
	ref := rectify.FindingRef{ID: f.ID, InspectionID: c.ID, OrgID: f.OrgID, Frozen: c.Status == inspection.CampaignRun,
		Reference: fmt.Sprintf("%s #%d", c.Name, f.ID), Text: strings.TrimSpace(f.Message + " " + f.Article + " " + f.Note),
		Link: fmt.Sprintf("/inspections/%d#finding-%d", c.ID, f.ID)}
	item := rectify.NewItem{Title: title, Category: in.Category, ResponsibleOrgID: in.ResponsibleOrgID, SupervisorOrgID: root, DueOn: in.DueOn}
	var out rectify.Item
	err = s.DB.Write(ctx, func(tx *db.Tx) error {
		var err error
		out, err = s.Rectify.CreateFromFindingTx(tx, p, ref, item)
		return err
	})
	return out, err
}

func (s *Server) apiFindingRectify(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, fid, err := campaignAndFinding(r)
	if err != nil {
		return err
	}
	var in findingToLedger
	if err := readJSON(r, &in); err != nil {
		return err
	}
	before, err := s.Rectify.ItemsForFindings(r.Context(), []int64{fid})
	if err != nil {
		return err
	}
	it, err := s.findingToItem(r.Context(), p, id, fid, in)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if before[fid] != 0 {
		status = http.StatusOK // sent before: the same item, nothing new
	}
	writeJSON(w, status, it)
	return nil
}

func (s *Server) findingRectifyForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, fid, err := campaignAndFinding(r)
	if err != nil {
		return err
	}
	in := findingToLedger{DueOn: r.PostFormValue("due_on"), Category: r.PostFormValue("category")}
	it, err := s.findingToItem(r.Context(), p, id, fid, in)
	if e, ok := errs.As(err); ok && (e.Code == errs.Unprocessable || e.Code == errs.Invalid) {
		http.Redirect(w, r, fmt.Sprintf("/inspections/%d?rectify_error=%d#finding-%d", id, fid, fid), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/rectifications/%d", it.ID), http.StatusSeeOther)
	return nil
}

func campaignAndFinding(r *http.Request) (int64, int64, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, 0, err
	}
	fid, err := strconv.ParseInt(r.PathValue("fid"), 10, 64)
	if err != nil || fid <= 0 {
		return 0, 0, errNotFound
	}
	return id, fid, nil
}
