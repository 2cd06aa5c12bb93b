package web

// orgRoutes: the organisation tree — pages and API (described in openapi/orgs.json).
func (s *Server) orgRoutes() {
	s.mux.HandleFunc("GET /orgs/{id}", s.page(s.orgDetailPage))
	s.mux.HandleFunc("GET /orgs/{id}/checks", s.page(s.orgChecksPage))
	for _, a := range orgActions {
		s.mux.HandleFunc("POST /orgs/{id}/"+a, s.page(s.orgActionForm(a)))
	}
	s.api("GET /api/v1/orgs/{id}", s.apiOrgGet, true)
	s.api("GET /api/v1/orgs/{id}/children", s.apiOrgChildren, true)
	s.api("GET /api/v1/orgs/{id}/summary", s.apiOrgSummary, true)
	s.api("POST /api/v1/orgs", s.apiOrgCreate, true)
	s.api("POST /api/v1/orgs/{id}/rename", s.apiOrgStep("rename"), true)
	s.api("POST /api/v1/orgs/{id}/move", s.apiOrgStep("move"), true)
	s.api("POST /api/v1/orgs/{id}/merge", s.apiOrgStep("merge"), true)
	s.api("POST /api/v1/orgs/{id}/reorganise", s.apiOrgStep("reorganise"), true)
	s.api("POST /api/v1/orgs/{id}/dissolve", s.apiOrgStep("dissolve"), true)
	s.api("POST /api/v1/orgs/{id}/term", s.apiOrgTerm, true)
	s.api("GET /api/v1/orgs/{id}/history", s.apiOrgHistory, true)
	s.api("GET /api/v1/orgs/{id}/tree", s.apiOrgTree, true)
	s.api("GET /api/v1/orgs/{id}/checks", s.apiOrgChecks, true)
	s.api("GET /api/v1/orgs/{id}/posts", s.apiPostList, true)
	s.api("POST /api/v1/orgs/{id}/posts", s.apiPostCreate, true)
	s.api("POST /api/v1/orgs/{id}/posts/{post_id}", s.apiPostUpdate, true)
}
