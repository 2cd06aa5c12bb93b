package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/clock"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// transferRoutes: membership transfers (组织关系转接, RULES.md §F4) — pages and API (organisations issue).
func (s *Server) transferRoutes() {
	s.mux.HandleFunc("GET /orgs/{id}/transfers", s.page(s.transfersPage))
	s.mux.HandleFunc("POST /orgs/{id}/transfers", s.page(s.transferRequestForm))
	s.mux.HandleFunc("POST /orgs/{id}/transfers/{tid}/steps", s.page(s.transferStepForm))
	s.api("GET /api/v1/transfers", s.apiTransferList, true)
	s.api("POST /api/v1/transfers", s.apiTransferCreate, true)
	s.api("GET /api/v1/transfers/{id}", s.apiTransferGet, true)
	s.api("POST /api/v1/transfers/{id}/steps", s.apiTransferStep, true)
}

func (s *Server) apiTransferList(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	f := org.TransferFilter{OrgID: p.OrgID, Direction: q.Get("direction"), Status: q.Get("status")}
	if v := q.Get("org_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"org_id": "form.number"}}
		}
		f.OrgID = n
	}
	items, total, err := s.Orgs.ListTransfers(r.Context(), p, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "total": total})
	return nil
}

func (s *Server) apiTransferCreate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var n org.NewTransfer
	if err := readJSON(r, &n); err != nil {
		return err
	}
	t, err := s.Orgs.RequestTransfer(r.Context(), p, n)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/transfers/"+strconv.FormatInt(t.ID, 10))
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) apiTransferGet(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := s.Orgs.GetTransfer(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) apiTransferStep(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in org.TransferStepInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	t, err := s.Orgs.TransferStepTake(r.Context(), p, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// transfersData is the page of one organisation: transfers out of and into its subtree, and — for
// officers of a branch — the request form.
func (s *Server) transfersData(r *http.Request, p auth.Principal) (map[string]any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	o, err := s.Orgs.Get(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	out, _, err := s.Orgs.ListTransfers(r.Context(), p, org.TransferFilter{OrgID: id, Direction: "out", WithSteps: true})
	if err != nil {
		return nil, err
	}
	in, _, err := s.Orgs.ListTransfers(r.Context(), p, org.TransferFilter{OrgID: id, Direction: "in", WithSteps: true})
	if err != nil {
		return nil, err
	}
	canWrite := p.Role.Can(auth.WriteBusiness)
	lists := []transferList{{Title: "transfer.out", Side: "from", Items: out}, {Title: "transfer.in", Side: "to", Items: in}}
	data := map[string]any{"Org": o, "Lists": lists, "CanWrite": canWrite, "Form": map[string]string{},
		"Fields": map[string]string{}, "StepFor": int64(0), "Today": clock.Today(s.Clock).Format("2006-01-02")}
	if canWrite && o.Kind == org.Branch {
		cands, err := s.Orgs.TransferCandidates(r.Context(), p, id)
		if err != nil {
			return nil, err
		}
		targets, err := s.Orgs.TransferTargets(r.Context(), p, id)
		if err != nil {
			return nil, err
		}
		data["Candidates"], data["Targets"], data["CanRequest"] = cands, targets, true
	}
	switch {
	case r.URL.Query().Get("requested") != "":
		data["Flash"] = "transfer.requested"
	case r.URL.Query().Get("step") != "":
		data["Flash"] = "transfer.step_done"
	}
	return data, nil
}

// transferList is one of the page's two lists; Side is the side whose steps its rows offer.
type transferList struct {
	Title, Side string
	Items       []org.Transfer
}

func (s *Server) transfersPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.transfersData(r, p)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "transfers", data)
	return nil
}

func (s *Server) transferRequestForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.transfersData(r, p)
	if err != nil {
		return err
	}
	form := map[string]string{}
	for _, k := range []string{"member_id", "to_org_id", "reason", "letter_no", "on"} {
		form[k] = r.PostFormValue(k)
	}
	data["Form"] = form
	memberID, _ := strconv.ParseInt(form["member_id"], 10, 64)
	toOrg, _ := strconv.ParseInt(form["to_org_id"], 10, 64)
	_, err = s.Orgs.RequestTransfer(r.Context(), p, org.NewTransfer{MemberID: memberID, ToOrgID: toOrg,
		Reason: form["reason"], LetterNo: form["letter_no"], On: form["on"]})
	if err != nil {
		return s.formError(w, r, err, "transfers", data)
	}
	http.Redirect(w, r, r.URL.Path+"?requested=1", http.StatusSeeOther)
	return nil
}

func (s *Server) transferStepForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, err := s.transfersData(r, p)
	if err != nil {
		return err
	}
	tid, err := strconv.ParseInt(r.PathValue("tid"), 10, 64)
	if err != nil || tid <= 0 {
		return errs.E(errs.NotFound, "error.not_found")
	}
	in := org.TransferStepInput{Action: org.TransferAction(r.PostFormValue("action")), On: r.PostFormValue("on"),
		LetterNo: r.PostFormValue("letter_no"), Note: r.PostFormValue("note")}
	if _, err := s.Orgs.TransferStepTake(r.Context(), p, tid, in); err != nil {
		if !errs.Is(err, errs.Forbidden) {
			data["StepFor"] = tid
			data["StepForm"] = map[string]string{"on": in.On, "letter_no": in.LetterNo, "note": in.Note}
		}
		if e := s.formError(w, r, err, "transfers", data); e != nil {
			return e
		}
		return nil
	}
	back := "/orgs/" + r.PathValue("id") + "/transfers?" + url.Values{"step": {string(in.Action)}}.Encode()
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}
