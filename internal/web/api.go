package web

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"

	"github.com/dangjian/dangjian/internal/org"
	"github.com/dangjian/dangjian/internal/platform/auth"
)

//go:embed openapi
var openapiFS embed.FS

// openapiDoc is the API description, assembled at start from one fragment per capability
// (openapi/<area>.json, each with "paths" and "components.schemas"); core.json carries the rest.
var openapiDoc = mustMergeOpenAPI()

func mustMergeOpenAPI() []byte {
	core, err := openapiFS.ReadFile("openapi/core.json")
	if err != nil {
		panic(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(core, &doc); err != nil {
		panic("web: openapi/core.json: " + err.Error())
	}
	paths := doc["paths"].(map[string]any)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	entries, _ := fs.ReadDir(openapiFS, "openapi")
	for _, e := range entries {
		if e.Name() == "core.json" {
			continue
		}
		raw, _ := openapiFS.ReadFile("openapi/" + e.Name())
		var frag struct {
			Paths      map[string]map[string]any `json:"paths"`
			Components struct {
				Schemas map[string]any `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(raw, &frag); err != nil {
			panic("web: openapi/" + e.Name() + ": " + err.Error())
		}
		for p, ops := range frag.Paths {
			merged, _ := paths[p].(map[string]any)
			if merged == nil {
				merged = map[string]any{}
			}
			for m, op := range ops {
				if _, dup := merged[m]; dup {
					panic("web: openapi: " + m + " " + p + " described twice")
				}
				merged[m] = op
			}
			paths[p] = merged
		}
		for n, sch := range frag.Components.Schemas {
			if _, dup := schemas[n]; dup {
				panic("web: openapi: schema " + n + " described twice")
			}
			schemas[n] = sch
		}
	}
	out, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		panic(err)
	}
	return out
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(openapiDoc)
	return nil
}

type meResponse struct {
	Username string   `json:"username"`
	Roles    []string `json:"roles"`
	OrgID    int64    `json:"org_id"`
	OrgName  string   `json:"org_name"`
	MemberID *int64   `json:"member_id"`
	Locale   string   `json:"locale"`
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	me := meResponse{Username: p.Username, Roles: []string{string(p.Role)}, OrgID: p.OrgID, OrgName: p.OrgName,
		Locale: string(langFrom(r.Context()))}
	if p.MemberID != 0 {
		me.MemberID = &p.MemberID
	}
	writeJSON(w, http.StatusOK, me)
	return nil
}

func (s *Server) apiOrgGet(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	o, err := s.Orgs.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) apiOrgChildren(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	list, err := s.Orgs.Children(r.Context(), p, id)
	if err != nil {
		return err
	}
	if list == nil {
		list = []org.Org{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list, "total": len(list)})
	return nil
}

func (s *Server) apiOrgSummary(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sum, err := s.Orgs.Summarise(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sum)
	return nil
}

func (s *Server) apiOrgCreate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var n org.NewOrg
	if err := readJSON(r, &n); err != nil {
		return err
	}
	o, err := s.Orgs.Create(r.Context(), p, n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, o)
	return nil
}

type newUserRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Role     string `json:"role"`
	OrgID    int64  `json:"org_id"`
	MemberID int64  `json:"member_id"`
}

func (s *Server) apiUserCreate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req newUserRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	id, err := s.Auth.CreateUserAs(r.Context(), p, auth.NewUser{Username: req.Username, Password: req.Password,
		Role: auth.Role(req.Role), OrgID: req.OrgID, MemberID: req.MemberID})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": id, "username": req.Username})
	return nil
}

func (s *Server) apiGetPolicy(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := s.Auth.Authorize(r.Context(), p, auth.ManageSecurity, auth.Target{}); err != nil {
		return err
	}
	pol, err := auth.LoadPolicy(r.Context(), s.DB)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pol)
	return nil
}

func (s *Server) apiSetPolicy(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := s.Auth.Authorize(r.Context(), p, auth.ManageSecurity, auth.Target{}); err != nil {
		return err
	}
	var pol auth.Policy
	if err := readJSON(r, &pol); err != nil {
		return err
	}
	if err := s.Auth.SetPolicy(r.Context(), pol); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pol)
	return nil
}

func (s *Server) apiUnlock(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := s.Auth.Authorize(r.Context(), p, auth.ManageSecurity, auth.Target{}); err != nil {
		return err
	}
	var req struct {
		Username string `json:"username"`
	}
	if err := readJSON(r, &req); err != nil {
		return err
	}
	if err := s.Auth.Unlock(r.Context(), req.Username); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"username": req.Username, "locked": false})
	return nil
}

func (s *Server) apiAuditEntries(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := s.Auth.Authorize(r.Context(), p, auth.ReadAudit, auth.Target{}); err != nil {
		return err
	}
	entries, total, err := s.Trail.List(r.Context(), auditFilter(r.URL.Query()))
	if err != nil {
		return err
	}
	type item struct {
		Seq          int64  `json:"seq"`
		At           string `json:"at"`
		ActorID      int64  `json:"actor_id"`
		ActorName    string `json:"actor_name"`
		ActorRole    string `json:"actor_role"`
		ClientIP     string `json:"client_ip"`
		RequestID    string `json:"request_id"`
		Action       string `json:"action"`
		ObjectType   string `json:"object_type"`
		ObjectID     string `json:"object_id"`
		BeforeDigest string `json:"before_digest"`
		AfterDigest  string `json:"after_digest"`
		Result       string `json:"result"`
		Detail       string `json:"detail"`
	}
	items := make([]item, 0, len(entries))
	for _, e := range entries {
		items = append(items, item{e.Seq, e.At.UTC().Format("2006-01-02T15:04:05.000Z"), e.ActorID, e.ActorName, e.ActorRole,
			e.ClientIP, e.RequestID, e.Action, e.ObjectType, e.ObjectID, e.BeforeDigest, e.AfterDigest, e.Result, e.Detail})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "total": total})
	return nil
}

func (s *Server) apiAuditVerify(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := s.Auth.Authorize(r.Context(), p, auth.ReadAudit, auth.Target{}); err != nil {
		return err
	}
	rep, err := s.Trail.Verify(r.Context())
	if err != nil {
		return err
	}
	out := map[string]any{"intact": rep.Problem == nil, "entries": rep.Entries, "checkpoints": rep.Checkpoints, "head": rep.Head}
	if rep.Problem != nil {
		out["first_bad_seq"] = rep.Problem.Seq
		out["reason"] = rep.Problem.Reason
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
