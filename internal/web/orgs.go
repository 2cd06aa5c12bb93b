package web

// orgRoutes: the organisation tree — pages and API.
func (s *Server) orgRoutes() {
	s.mux.HandleFunc("GET /orgs/{id}", s.page(s.orgPage))
	s.api("GET /api/v1/orgs/{id}", s.apiOrgGet, true)
	s.api("GET /api/v1/orgs/{id}/children", s.apiOrgChildren, true)
	s.api("GET /api/v1/orgs/{id}/summary", s.apiOrgSummary, true)
	s.api("POST /api/v1/orgs", s.apiOrgCreate, true)
}
