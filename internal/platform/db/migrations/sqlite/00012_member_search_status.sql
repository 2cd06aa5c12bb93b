-- +goose Up
-- Name search (organisations issue, Members: "search by any part of a Chinese name"). A trigram index
-- over members.name: an external-content FTS5 table kept in step by triggers, so every write path
-- (forms, import, rollback, demo) updates it in the same transaction. Queries of three or more characters
-- find candidates through it and confirm them with the same LIKE as before, so results are identical.
-- The FTS5 tables exist on SQLite only (PostgreSQL uses a pg_trgm index on members.name instead).
CREATE VIRTUAL TABLE members_fts USING fts5(name, content='members', content_rowid='id', tokenize='trigram');
INSERT INTO members_fts(members_fts) VALUES ('rebuild');

-- +goose StatementBegin
CREATE TRIGGER members_fts_insert AFTER INSERT ON members BEGIN
    INSERT INTO members_fts(rowid, name) VALUES (new.id, new.name);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER members_fts_delete AFTER DELETE ON members BEGIN
    INSERT INTO members_fts(members_fts, rowid, name) VALUES ('delete', old.id, old.name);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER members_fts_update AFTER UPDATE OF name ON members BEGIN
    INSERT INTO members_fts(members_fts, rowid, name) VALUES ('delete', old.id, old.name);
    INSERT INTO members_fts(rowid, name) VALUES (new.id, new.name);
END;
-- +goose StatementEnd

-- Member status forms (§F8, §F3, §F7): a terminal state is recorded with its date and reason; the
-- mobile, abroad and lost-contact flags with the date each was raised.
ALTER TABLE members ADD COLUMN terminal_reason    TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN mobile_since       TEXT;
ALTER TABLE members ADD COLUMN abroad_since       TEXT;
ALTER TABLE members ADD COLUMN lost_contact_since TEXT;

-- +goose Down
ALTER TABLE members DROP COLUMN lost_contact_since;
ALTER TABLE members DROP COLUMN abroad_since;
ALTER TABLE members DROP COLUMN mobile_since;
ALTER TABLE members DROP COLUMN terminal_reason;
DROP TRIGGER members_fts_update;
DROP TRIGGER members_fts_delete;
DROP TRIGGER members_fts_insert;
DROP TABLE members_fts;
