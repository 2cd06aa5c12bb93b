-- +goose Up
-- Attachments (photos, PDF, Word and Excel files) kept by capabilities as evidence: meeting photos and
-- minutes, rectification evidence, activity photos. Stored in the database, outside any web root, so a
-- backup holds them and a record and its files are written in one transaction. The type is decided by the
-- content, never by the name the uploader gave.
CREATE TABLE files (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),  -- whose subtree may read it
    name         TEXT    NOT NULL,                      -- the uploader's file name, cleaned, for download
    content_type TEXT    NOT NULL,                      -- sniffed from the content
    size         INTEGER NOT NULL,
    sm3          TEXT    NOT NULL,                      -- hex SM3 of the content (integrity, duplicates)
    data         BLOB    NOT NULL,
    uploaded_by  INTEGER NOT NULL DEFAULT 0,            -- users.id
    created_at   INTEGER NOT NULL
);
CREATE INDEX files_org ON files(org_id);

-- +goose Down
DROP TABLE files;
