package web

// statsRoutes: party statistics (§G) — pages and API (organisations issue).
func (s *Server) statsRoutes() {}
