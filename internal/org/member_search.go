package org

import (
	"context"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/dangjian/dangjian/internal/platform/db"
)

// minIndexedQuery is the shortest name query the trigram index can serve: a trigram needs three
// characters. Shorter queries (a surname, 王, or two characters, 建国) scan, as before.
const minIndexedQuery = 3

// nameSearch is the name condition of a roster filter: "any part of the name" (members.name LIKE
// '%q%'). Every query keeps that LIKE, so the results are exactly the LIKE's; from three characters on
// a trigram index narrows the candidates first (docs/decisions/0008-member-name-search.md):
//   - SQLite: the FTS5 table members_fts (tokenize='trigram', kept in step by triggers), asked for the
//     query as one phrase, which with trigrams means "contains this substring";
//   - PostgreSQL: the pg_trgm GIN index members_name_trgm serves the LIKE itself. Without pg_trgm (no
//     privilege to create the extension) the same LIKE scans; ensureNameIndex logs that once.
func (s *Service) nameSearch(ctx context.Context, q string) (string, []any) {
	like := "%" + likeEscape(q) + "%"
	n := utf8.RuneCountInString(q)
	if s.db.Engine() == db.Postgres {
		s.ensureNameIndex(ctx)
		if n < minIndexedQuery {
			// A pattern without a whole trigram would let the planner read the entire GIN index;
			// no index serves name || '', so short queries scan the table as the bare LIKE does.
			return ` AND (m.name || '') LIKE ? ESCAPE '\'`, []any{like}
		}
		return ` AND m.name LIKE ? ESCAPE '\'`, []any{like}
	}
	if n < minIndexedQuery {
		return ` AND m.name LIKE ? ESCAPE '\'`, []any{like}
	}
	return ` AND m.id IN (SELECT rowid FROM members_fts WHERE members_fts MATCH ?) AND m.name LIKE ? ESCAPE '\'`,
		[]any{ftsPhrase(q), like}
}

// ftsPhrase quotes q as one FTS5 phrase (a double quote inside is doubled), so nothing in it is read
// as query syntax.
func ftsPhrase(q string) string { return `"` + strings.ReplaceAll(q, `"`, `""`) + `"` }

// ensureNameIndex checks once whether PostgreSQL has the trigram index and logs a notice when it does
// not: search still works, by scanning.
func (s *Service) ensureNameIndex(ctx context.Context) {
	s.nameIndexOnce.Do(func() {
		var ok bool
		err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_indexes
			WHERE schemaname = current_schema() AND indexname = 'members_name_trgm')`).Scan(&ok)
		s.nameIndexed = err == nil && ok
		if !s.nameIndexed {
			slog.Warn("member name search has no trigram index (pg_trgm missing): searches scan the roster; see docs/performance.md",
				"err", err)
		}
	})
}

// NameIndexed reports whether name search of three or more characters is served by a trigram index.
func (s *Service) NameIndexed(ctx context.Context) bool {
	if s.db.Engine() != db.Postgres {
		return true // FTS5 trigram is part of the SQLite build and of the schema
	}
	s.ensureNameIndex(ctx)
	return s.nameIndexed
}
