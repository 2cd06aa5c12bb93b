package web

// memberRoutes: the member roster — pages and API (organisations issue).
func (s *Server) memberRoutes() {}
