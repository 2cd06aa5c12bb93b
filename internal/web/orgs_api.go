package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/validate"
)

// orgStep runs one lifecycle step by name.
func (s *Server) orgStep(ctx context.Context, p auth.Principal, step string, id int64, c org.Change) (org.Org, error) {
	switch step {
	case "rename":
		return s.Orgs.Rename(ctx, p, id, c)
	case "move":
		return s.Orgs.Move(ctx, p, id, c)
	case "merge":
		return s.Orgs.Merge(ctx, p, id, c)
	case "reorganise":
		return s.Orgs.Reorganise(ctx, p, id, c)
	case "dissolve":
		return s.Orgs.Dissolve(ctx, p, id, c)
	}
	return org.Org{}, errNotFound
}

func (s *Server) apiOrgStep(step string) func(http.ResponseWriter, *http.Request, auth.Principal) error {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		var c org.Change
		if err := readJSON(r, &c); err != nil {
			return err
		}
		o, err := s.orgStep(r.Context(), p, step, id, c)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, o)
		return nil
	}
}

func (s *Server) apiOrgTerm(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var t org.TermChange
	if err := readJSON(r, &t); err != nil {
		return err
	}
	o, err := s.Orgs.SetTerm(r.Context(), p, id, t)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) apiOrgHistory(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	h, err := s.Orgs.History(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": h, "total": len(h)})
	return nil
}

// asOf reads ?as_of=YYYY-MM-DD (default: today).
func (s *Server) asOf(r *http.Request) (time.Time, error) {
	v := r.URL.Query().Get("as_of")
	if v == "" {
		return s.Clock.Now(), nil
	}
	d, err := validate.Date(v)
	if err != nil {
		return time.Time{}, &errs.Error{Code: errs.Unprocessable, Key: "error.validation", Fields: map[string]string{"as_of": keyOfErr(err)}}
	}
	return d, nil
}

func keyOfErr(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Key
	}
	return "error.validation"
}

func (s *Server) apiOrgTree(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	day, err := s.asOf(r)
	if err != nil {
		return err
	}
	nodes, err := s.Orgs.TreeAsOf(r.Context(), p, id, day)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"as_of": day.Format(time.DateOnly), "items": nodes, "total": len(nodes)})
	return nil
}

// checks runs the structure checks and fills each message in the caller's language.
func (s *Server) checks(r *http.Request, p auth.Principal, id int64, day time.Time, subtree bool) ([]org.Check, error) {
	cs, err := s.Orgs.Checks(r.Context(), p, id, day, subtree)
	if err != nil {
		return nil, err
	}
	for i := range cs {
		cs[i].Message = s.I18n.T(langFrom(r.Context()), cs[i].Key, cs[i].Args)
	}
	return cs, nil
}

func (s *Server) apiOrgChecks(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	day, err := s.asOf(r)
	if err != nil {
		return err
	}
	cs, err := s.checks(r, p, id, day, r.URL.Query().Get("subtree") == "true")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"as_of": day.Format(time.DateOnly), "items": cs, "total": len(cs)})
	return nil
}

func (s *Server) apiPostList(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	day, err := s.asOf(r)
	if err != nil {
		return err
	}
	list, err := s.Orgs.Posts(r.Context(), p, id, day, r.URL.Query().Get("all") == "true")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list, "total": len(list)})
	return nil
}

func (s *Server) apiPostCreate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var n org.NewPost
	if err := readJSON(r, &n); err != nil {
		return err
	}
	ps, err := s.Orgs.AssignPost(r.Context(), p, id, n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, ps)
	return nil
}

func (s *Server) apiPostUpdate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	postID, err := strconv.ParseInt(r.PathValue("post_id"), 10, 64)
	if err != nil || postID <= 0 {
		return errNotFound
	}
	var u org.PostUpdate
	if err := readJSON(r, &u); err != nil {
		return err
	}
	ps, err := s.Orgs.UpdatePost(r.Context(), p, id, postID, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ps)
	return nil
}
