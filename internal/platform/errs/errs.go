// Package errs is the one error vocabulary of the platform. Every layer returns these; the web layer maps
// Code to an HTTP status in one table and renders Key (a message-catalogue key) in the user's language.
// The wrapped cause goes to the log only, never to the user.
package errs

import (
	"errors"
	"fmt"
)

// Code classifies an error for callers; one table in the web layer maps it to HTTP.
type Code string

const (
	Invalid       Code = "invalid"       // the input is malformed (400)
	Unprocessable Code = "unprocessable" // the input is well-formed but breaks a rule (422)
	Unauthorized  Code = "unauthorized"  // no valid credentials (401)
	Forbidden     Code = "forbidden"     // credentials valid, permission missing (403)
	NotFound      Code = "not_found"     // 404
	Conflict      Code = "conflict"      // unique key or state conflict (409)
	Internal      Code = "internal"      // anything else (500); never shown in detail
)

// Error carries a code, a catalogue key for the user-facing message, optional per-field keys and the cause.
type Error struct {
	Code   Code
	Key    string            // message key, e.g. "error.not_found"
	Args   map[string]any    // template arguments for Key
	Fields map[string]string // field name → message key
	Err    error             // cause, for the log
}

func (e *Error) Error() string {
	s := string(e.Code) + ": " + e.Key
	if len(e.Fields) > 0 {
		s += fmt.Sprintf(" %v", e.Fields)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an error with a code and a message key.
func E(code Code, key string) *Error { return &Error{Code: code, Key: key} }

// Wrap builds an error with a code, a key and a cause.
func Wrap(code Code, key string, cause error) *Error { return &Error{Code: code, Key: key, Err: cause} }

// CodeOf returns the code of err, Internal for foreign errors and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return CodeOf(err) == code }

// As returns err as *Error when it is one.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Fields collects field-level validation messages; Err returns nil when none were added.
type Fields map[string]string

// Add records the first message key for field.
func (f Fields) Add(field, key string) {
	if _, ok := f[field]; !ok {
		f[field] = key
	}
}

// Err returns an Unprocessable error listing the fields, or nil.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: Unprocessable, Key: "error.validation", Fields: f}
}
