package web

import (
	"net/http"
	"strings"

	"github.com/dangjian/dangjian/internal/platform/auth"
)

// notificationRoutes: every account's in-app notifications (reminders and escalations the capabilities
// send through internal/notify).
func (s *Server) notificationRoutes() {
	s.mux.HandleFunc("GET /notifications", s.page(s.notificationsPage))
	s.mux.HandleFunc("POST /notifications/{id}/read", s.page(s.notificationOpen))
	s.mux.HandleFunc("POST /notifications/read-all", s.page(s.notificationsReadAll))
	s.api("GET /api/v1/notifications", s.apiNotifications, true)
	s.api("POST /api/v1/notifications/{id}/read", s.apiNotificationRead, true)
	s.api("POST /api/v1/notifications/read-all", s.apiNotificationsReadAll, true)
}

func (s *Server) notificationsPage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	unread := r.URL.Query().Get("unread") == "1"
	pg, err := s.Notify.List(r.Context(), p, unread, 100)
	if err != nil {
		return err
	}
	data := map[string]any{"Page": pg, "UnreadOnly": unread}
	if r.URL.Query().Get("done") == "1" {
		data["Flash"] = "notification.all_read"
	}
	s.render(w, r, http.StatusOK, "notifications", data)
	return nil
}

// notificationOpen marks a notification read and goes to the page it is about.
func (s *Server) notificationOpen(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n, err := s.Notify.MarkRead(r.Context(), p, id)
	if err != nil {
		return err
	}
	to := "/notifications"
	if strings.HasPrefix(n.Link, "/") && !strings.HasPrefix(n.Link, "//") {
		to = n.Link // site-relative only: never an open redirect
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func (s *Server) notificationsReadAll(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if _, err := s.Notify.MarkAllRead(r.Context(), p); err != nil {
		return err
	}
	http.Redirect(w, r, "/notifications?done=1", http.StatusSeeOther)
	return nil
}

func (s *Server) apiNotifications(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	pg, err := s.Notify.List(r.Context(), p, r.URL.Query().Get("unread") == "true", 100)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pg)
	return nil
}

func (s *Server) apiNotificationRead(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n, err := s.Notify.MarkRead(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, n)
	return nil
}

func (s *Server) apiNotificationsReadAll(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	n, err := s.Notify.MarkAllRead(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"marked": n})
	return nil
}
