-- +goose Up
-- Member imports from .xlsx (organisations issue, Members: import). Each committed import is one batch;
-- the members it created carry its id so the last import can be rolled back while none of them has
-- changed since. import_id has no REFERENCES clause so that the Down migration can drop it on SQLite.
CREATE TABLE imports (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES orgs(id),  -- the scope the import was made into
    file_name      TEXT    NOT NULL DEFAULT '',
    rows_total     INTEGER NOT NULL DEFAULT 0,            -- data rows in the sheet
    imported       INTEGER NOT NULL DEFAULT 0,
    skipped        INTEGER NOT NULL DEFAULT 0,            -- invalid rows left out (skip_invalid)
    status         TEXT    NOT NULL,                      -- imported, rolled_back
    created_by     INTEGER NOT NULL DEFAULT 0,            -- users.id
    created_at     INTEGER NOT NULL,
    rolled_back_by INTEGER NOT NULL DEFAULT 0,
    rolled_back_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX imports_org ON imports(org_id, status);
ALTER TABLE members ADD COLUMN import_id INTEGER;         -- imports.id of the batch that created the member
CREATE INDEX members_import ON members(import_id);

-- +goose Down
DROP INDEX members_import;
ALTER TABLE members DROP COLUMN import_id;
DROP TABLE imports;
