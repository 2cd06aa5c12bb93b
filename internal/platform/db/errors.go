package db

import (
	"database/sql"
	"errors"

	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// SQLite extended result codes we translate (sqlite3.h).
const (
	sqliteConstraintForeignKey = 787
	sqliteConstraintNotNull    = 1299
	sqliteConstraintPrimaryKey = 1555
	sqliteConstraintUnique     = 2067
	sqliteConstraintCheck      = 275
	sqliteConstraintTrigger    = 1811
)

// mapErr translates driver errors into the platform's error codes at the database boundary, so no layer
// above needs to know which engine it runs on.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errs.As(err); ok {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return errs.Wrap(errs.NotFound, "error.not_found", err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqliteConstraintUnique, sqliteConstraintPrimaryKey:
			return errs.Wrap(errs.Conflict, "error.conflict", err)
		case sqliteConstraintForeignKey, sqliteConstraintNotNull, sqliteConstraintCheck:
			return errs.Wrap(errs.Unprocessable, "error.constraint", err)
		case sqliteConstraintTrigger:
			return errs.Wrap(errs.Forbidden, "error.forbidden", err)
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return errs.Wrap(errs.Conflict, "error.conflict", err)
		case "23503", "23502", "23514":
			return errs.Wrap(errs.Unprocessable, "error.constraint", err)
		case "P0001": // RAISE EXCEPTION from a guard trigger
			return errs.Wrap(errs.Forbidden, "error.forbidden", err)
		}
	}
	return err
}
