package web

// transferRoutes: membership transfers (组织关系转接) — pages and API (organisations issue).
func (s *Server) transferRoutes() {}
