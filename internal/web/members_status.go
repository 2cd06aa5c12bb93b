package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/auth"
)

// memberStatusRoutes: the member status forms — terminal states (§F8) with their correction, and the
// mobile, abroad and lost-contact flags (§F7, §F3) with their dates. Pages and API.
func (s *Server) memberStatusRoutes() {
	s.mux.HandleFunc("GET /members/{id}/status", s.page(s.memberStatusPage))
	s.mux.HandleFunc("POST /members/{id}/flags", s.page(s.memberFlagsForm))
	s.mux.HandleFunc("POST /members/{id}/terminal", s.page(s.memberTerminalForm))
	s.mux.HandleFunc("POST /members/{id}/terminal/correct", s.page(s.memberCorrectForm))
	s.api("POST /api/v1/members/{id}/flags", memberChange(s.Orgs.SetFlags), true)
	s.api("POST /api/v1/members/{id}/terminal", memberChange(s.Orgs.SetTerminalState), true)
	s.api("POST /api/v1/members/{id}/terminal/correct", memberChange(func(ctx context.Context, p auth.Principal, id int64, c correction) (org.Member, error) {
		return s.Orgs.CorrectTerminalState(ctx, p, id, c.Reason)
	}), true)
}

// memberStatusData reads the member (masked) and checks that the caller may change it, so the page is
// shown only to officers over the member.
func (s *Server) memberStatusData(r *http.Request, p auth.Principal) (map[string]any, org.Member, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, org.Member{}, err
	}
	m, err := s.Orgs.GetMember(r.Context(), p, id, false)
	if err != nil {
		return nil, m, err
	}
	if err := s.Auth.Authorize(r.Context(), p, auth.WriteBusiness, auth.Target{OrgID: m.OrgID}); err != nil {
		return nil, m, err
	}
	flags := map[string]string{"mobile_since": m.MobileSince.String(), "abroad_since": m.AbroadSince.String(),
		"lost_contact_since": m.LostContactSince.String()}
	for k, on := range map[string]bool{"mobile": m.Mobile, "abroad": m.Abroad, "lost_contact": m.LostContact} {
		if on {
			flags[k] = "1"
		}
	}
	return map[string]any{"M": m, "Flags": flags, "Terminal": map[string]string{}, "Fields": map[string]string{},
		"States": org.TerminalStates, "FlagNames": []string{"mobile", "abroad", "lost_contact"}, "CanCorrect": p.Role.Can(auth.ManageOrgs)}, m, nil
}

func (s *Server) memberStatusPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, _, err := s.memberStatusData(r, p)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "member_status", data)
	return nil
}

func flagsFromForm(r *http.Request) (org.FlagChange, map[string]string) {
	form := map[string]string{}
	for _, k := range []string{"mobile", "mobile_since", "abroad", "abroad_since", "lost_contact", "lost_contact_since"} {
		form[k] = r.PostFormValue(k)
	}
	return org.FlagChange{Mobile: form["mobile"] != "", MobileSince: form["mobile_since"], Abroad: form["abroad"] != "",
		AbroadSince: form["abroad_since"], LostContact: form["lost_contact"] != "", LostContactSince: form["lost_contact_since"]}, form
}

func (s *Server) memberFlagsForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, m, err := s.memberStatusData(r, p)
	if err != nil {
		return err
	}
	c, form := flagsFromForm(r)
	data["Flags"] = form
	if _, err := s.Orgs.SetFlags(r.Context(), p, m.ID, c); err != nil {
		return s.formError(w, r, err, "member_status", data)
	}
	http.Redirect(w, r, "/members/"+strconv.FormatInt(m.ID, 10)+"?updated=1", http.StatusSeeOther)
	return nil
}

func (s *Server) memberTerminalForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, m, err := s.memberStatusData(r, p)
	if err != nil {
		return err
	}
	c := org.TerminalChange{State: r.PostFormValue("state"), On: r.PostFormValue("on"), Reason: r.PostFormValue("reason")}
	data["Terminal"] = map[string]string{"state": c.State, "on": c.On, "reason": c.Reason}
	if _, err := s.Orgs.SetTerminalState(r.Context(), p, m.ID, c); err != nil {
		return s.formError(w, r, err, "member_status", data)
	}
	http.Redirect(w, r, "/members/"+strconv.FormatInt(m.ID, 10)+"?updated=1", http.StatusSeeOther)
	return nil
}

func (s *Server) memberCorrectForm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, m, err := s.memberStatusData(r, p)
	if err != nil {
		return err
	}
	reason := r.PostFormValue("correct_reason")
	data["Terminal"] = map[string]string{"correct_reason": reason}
	if _, err := s.Orgs.CorrectTerminalState(r.Context(), p, m.ID, reason); err != nil {
		return s.formError(w, r, err, "member_status", data)
	}
	http.Redirect(w, r, "/members/"+strconv.FormatInt(m.ID, 10)+"?updated=1", http.StatusSeeOther)
	return nil
}

// memberChange is an API handler that reads a JSON body into T and applies it to the member {id}
// with change, answering the member as it is afterwards.
func memberChange[T any](change func(context.Context, auth.Principal, int64, T) (org.Member, error)) func(http.ResponseWriter, *http.Request, auth.Principal) error {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		var in T
		if err := readJSON(r, &in); err != nil {
			return err
		}
		m, err := change(r.Context(), p, id, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, m)
		return nil
	}
}

// correction is the body of a terminal state's correction.
type correction struct {
	Reason string `json:"reason"`
}
