package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// orgActions are the forms on the organisation page (each POST /orgs/{id}/<action>).
var orgActions = []string{"establish", "rename", "move", "merge", "reorganise", "dissolve", "term", "posts", "post-approve", "post-end"}

// orgPageData gathers the organisation page: details, term, posts, structure checks, history and, for
// those allowed, the lifecycle forms.
func (s *Server) orgPageData(r *http.Request, p auth.Principal) (map[string]any, org.Org, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, org.Org{}, err
	}
	ctx := r.Context()
	o, err := s.Orgs.Get(ctx, p, id)
	if err != nil {
		return nil, o, err
	}
	children, err := s.Orgs.Children(ctx, p, id)
	if err != nil {
		return nil, o, err
	}
	sum, err := s.Orgs.Summarise(ctx, p, id)
	if err != nil {
		return nil, o, err
	}
	now := s.Clock.Now()
	posts, err := s.Orgs.Posts(ctx, p, id, now, false)
	if err != nil {
		return nil, o, err
	}
	checks, err := s.checks(r, p, id, now, false)
	if err != nil {
		return nil, o, err
	}
	history, err := s.Orgs.History(ctx, p, id)
	if err != nil {
		return nil, o, err
	}
	// Breadcrumbs from the caller's own organisation down to this one.
	var trail []org.Org
	inScope := false
	ids := strings.Split(strings.Trim(o.Path, "/"), "/")
	for _, sid := range ids[:len(ids)-1] {
		aid, _ := strconv.ParseInt(sid, 10, 64)
		if aid == p.OrgID {
			inScope = true
		}
		if !inScope {
			continue
		}
		if a, err := s.Orgs.Get(ctx, p, aid); err == nil {
			trail = append(trail, a)
		}
	}
	data := map[string]any{"Org": o, "Children": children, "Summary": sum, "Trail": trail, "Posts": posts,
		"Checks": checks, "History": history, "Today": now.Format(time.DateOnly), "Fields": map[string]string{},
		"Form": map[string]string{}, "Kinds": org.Kinds, "PostKinds": org.PostKinds,
		"PostStates": []string{"elected", "filed", "approved"}, "Action": "", "Rooms": org.ActivityRooms}
	live := o.Live()
	manage := live && p.Role.Can(auth.ManageOrgs)
	data["CanManage"] = manage
	data["CanClose"] = manage && o.ID != p.OrgID && o.ParentID != 0
	data["CanPosts"] = live && p.Role.Can(auth.WriteBusiness)
	if manage {
		targets, err := s.Orgs.InScope(ctx, p)
		if err != nil {
			return nil, o, err
		}
		var parents, merges []org.Org
		for _, t := range targets {
			if !strings.HasPrefix(t.Path, o.Path) && t.ID != o.ParentID {
				parents = append(parents, t)
				if t.Kind == o.Kind {
					merges = append(merges, t)
				}
			}
		}
		data["Parents"], data["MergeTargets"] = parents, merges
	}
	if live && p.Role.Can(auth.WriteBusiness) {
		cands, err := s.Orgs.PostCandidates(ctx, p, id)
		if err != nil {
			return nil, o, err
		}
		data["Candidates"] = cands
	}
	if v := r.URL.Query().Get("as_of"); v != "" {
		data["AsOf"] = v
		if day, err := s.asOf(r); err == nil {
			tree, err := s.Orgs.TreeAsOf(ctx, p, id, day)
			if err != nil {
				return nil, o, err
			}
			data["TreeAsOf"] = tree
		}
	}
	if done := r.URL.Query().Get("done"); done != "" {
		data["Flash"] = s.I18n.T(langFrom(ctx), "orgs.done", nil)
	}
	return data, o, nil
}

func (s *Server) orgDetailPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	data, _, err := s.orgPageData(r, p)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "org", data)
	return nil
}

// orgActionForm handles one lifecycle or post form and returns to the organisation page.
func (s *Server) orgActionForm(action string) func(http.ResponseWriter, *http.Request, auth.Principal) error {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		ctx := r.Context()
		if err := r.ParseForm(); err != nil {
			return errs.E(errs.Invalid, "error.validation")
		}
		v := r.PostFormValue
		num := func(k string) int64 { n, _ := strconv.ParseInt(v(k), 10, 64); return n }
		c := org.Change{On: v("on"), Reason: v("reason"), ApprovalRef: v("approval_ref"), Name: v("name"),
			ParentID: num("parent_id"), TargetID: num("target_id"), Kind: org.Kind(v("kind"))}
		switch action {
		case "establish":
			var child org.Org
			child, err = s.Orgs.Create(ctx, p, org.NewOrg{ParentID: id, Kind: org.Kind(v("kind")), Name: v("name"), UnitName: v("unit_name"),
				USCC: v("unit_credit_code"), EstablishedOn: v("established_on"), ActivityRoom: v("activity_room"),
				Reason: v("reason"), ApprovalRef: v("approval_ref")})
			if err == nil {
				http.Redirect(w, r, "/orgs/"+strconv.FormatInt(child.ID, 10)+"?done=establish", http.StatusSeeOther)
				return nil
			}
		case "term":
			_, err = s.Orgs.SetTerm(ctx, p, id, org.TermChange{StartOn: v("term_start_on"), ExtendedTo: v("extended_to_on"), ApprovalRef: v("approval_ref")})
		case "posts":
			_, err = s.Orgs.AssignPost(ctx, p, id, org.NewPost{MemberID: num("member_id"), Post: org.PostKind(v("post")), From: v("from"),
				State: org.PostState(v("state")), ElectedOn: v("elected_on"), ApprovedOn: v("approved_on"), ApprovalRef: v("approval_ref")})
		case "post-approve":
			st := org.Filed
			if v("approved_on") != "" {
				st = org.Approved
			}
			_, err = s.Orgs.UpdatePost(ctx, p, id, num("post_id"), org.PostUpdate{State: st, ApprovedOn: v("approved_on"), ApprovalRef: v("approval_ref")})
		case "post-end":
			_, err = s.Orgs.UpdatePost(ctx, p, id, num("post_id"), org.PostUpdate{To: v("to")})
		default:
			_, err = s.orgStep(ctx, p, action, id, c)
		}
		if err != nil {
			data, _, derr := s.orgPageData(r, p)
			if derr != nil {
				return err
			}
			form := map[string]string{}
			for k := range r.PostForm {
				form[k] = r.PostFormValue(k)
			}
			data["Form"], data["Action"] = form, action
			if e, ok := errs.As(err); ok {
				data["ErrorText"] = s.I18n.T(langFrom(ctx), e.Key, e.Args)
			}
			return s.formError(w, r, err, "org", data)
		}
		http.Redirect(w, r, "/orgs/"+strconv.FormatInt(id, 10)+"?done="+action, http.StatusSeeOther)
		return nil
	}
}

// orgChecksPage lists the structure checks of a whole subtree.
func (s *Server) orgChecksPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	o, err := s.Orgs.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	day, err := s.asOf(r)
	if err != nil {
		return err
	}
	cs, err := s.checks(r, p, id, day, true)
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for _, c := range cs {
		counts[string(c.Severity)]++
	}
	s.render(w, r, http.StatusOK, "org_checks", map[string]any{"Org": o, "Checks": cs, "AsOf": day.Format(time.DateOnly), "Counts": counts})
	return nil
}

// orgStepView is what the shared date/reason/approval fields of a lifecycle form need: the view and
// the form's action name.
type orgStepView struct {
	V View
	P string
}

// OrgStep hands a lifecycle form's action name to the "stepfields" template of org.html.
func (v View) OrgStep(action string) orgStepView { return orgStepView{V: v, P: action} }
