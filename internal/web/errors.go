package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/dangjian/dangjian/internal/platform/errs"
)

var (
	errNotFound        = errs.E(errs.NotFound, "error.not_found")
	errUnauthenticated = errs.E(errs.Unauthorized, "error.unauthenticated")
	errCSRF            = errs.E(errs.Forbidden, "error.csrf")
	errInternal        = errs.E(errs.Internal, "error.internal")
	errBadJSON         = errs.E(errs.Invalid, "error.bad_json")
	errPasswordExpired = errs.E(errs.Forbidden, "account.password_expired")
)

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[errs.Code]int{
	errs.Invalid:       http.StatusBadRequest,
	errs.Unauthorized:  http.StatusUnauthorized,
	errs.Forbidden:     http.StatusForbidden,
	errs.NotFound:      http.StatusNotFound,
	errs.Conflict:      http.StatusConflict,
	errs.Unprocessable: http.StatusUnprocessableEntity,
	errs.Internal:      http.StatusInternalServerError,
}

// apiError is the one error shape of the JSON API.
type apiError struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields,omitempty"`
	} `json:"error"`
}

// writeImportResult answers an import (members, books): 200 for a dry run, 201 when rows were imported,
// and 422 with the one error shape beside the row-by-row result when nothing was (all or nothing, or no
// valid row). res must marshal to a JSON object.
func (s *Server) writeImportResult(w http.ResponseWriter, r *http.Request, res any, dryRun bool, imported, invalid int, refusedKey string) {
	switch {
	case dryRun:
		writeJSON(w, http.StatusOK, res)
	case imported == 0:
		b, err := json.Marshal(res)
		body := map[string]any{}
		if err == nil {
			err = json.Unmarshal(b, &body)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var e apiError
		e.Error.Code = string(errs.Unprocessable)
		e.Error.Message = s.I18n.T(langFrom(r.Context()), refusedKey, map[string]any{"Invalid": invalid})
		body["error"] = e.Error
		writeJSON(w, http.StatusUnprocessableEntity, body)
	default:
		writeJSON(w, http.StatusCreated, res)
	}
}

// fail answers with err in the user's language: JSON for the API, a friendly page otherwise. Internal
// errors are logged with the request id and shown only as "something went wrong".
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		// The client went away; nobody is left to answer and nothing went wrong on our side.
		s.Log.Debug("client gone", "id", requestIDFrom(r.Context()), "path", r.URL.Path, "err", err)
		return
	}
	e, ok := errs.As(err)
	if !ok || e.Code == errs.Internal {
		s.Log.Error("internal error", "id", requestIDFrom(r.Context()), "path", r.URL.Path, "err", err)
		e = errInternal
	} else if e.Err != nil && !errors.Is(e.Err, errNotFound) {
		s.Log.Debug("request refused", "id", requestIDFrom(r.Context()), "code", e.Code, "err", err)
	}
	status := statusOf[e.Code]
	l := langFrom(r.Context())
	msg := s.I18n.T(l, e.Key, e.Args)
	if isAPI(r) || wantsJSON(r) {
		var body apiError
		body.Error.Code = string(e.Code)
		body.Error.Message = msg
		if len(e.Fields) > 0 {
			body.Error.Fields = map[string]string{}
			for f, k := range e.Fields {
				body.Error.Fields[f] = s.I18n.T(l, k, e.Args)
			}
		}
		writeJSON(w, status, body)
		return
	}
	if status == http.StatusUnauthorized {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.render(w, r, status, "error", map[string]any{"Status": status, "Message": msg, "RequestID": requestIDFrom(r.Context())})
}

func wantsJSON(r *http.Request) bool {
	return r.Header.Get("Accept") == "application/json"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// readJSON decodes a request body strictly: unknown fields and trailing data are a 400.
func readJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errs.Wrap(errs.Invalid, "error.bad_json", err)
	}
	if dec.More() {
		return errBadJSON
	}
	return nil
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) { s.fail(w, r, errNotFound) }
