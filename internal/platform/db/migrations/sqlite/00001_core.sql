-- +goose Up
-- Conventions (docs/decisions/0002-database.md): instants are INTEGER Unix milliseconds UTC in *_at
-- columns; calendar dates are TEXT 'YYYY-MM-DD' in *_on columns; flags are BOOLEAN.

CREATE TABLE orgs (
    id             INTEGER PRIMARY KEY,
    parent_id      INTEGER REFERENCES orgs(id),
    kind           TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    path           TEXT    NOT NULL DEFAULT '',   -- materialised path '/1/7/42/' for subtree checks
    unit_name      TEXT    NOT NULL DEFAULT '',
    uscc           TEXT    NOT NULL DEFAULT '',
    established_on TEXT,
    dissolved_on   TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX orgs_parent ON orgs(parent_id);
CREATE INDEX orgs_path ON orgs(path);

CREATE TABLE members (
    id               INTEGER PRIMARY KEY,
    org_id           INTEGER NOT NULL REFERENCES orgs(id),
    name             TEXT    NOT NULL,
    gender           TEXT    NOT NULL DEFAULT '',
    birth_on         TEXT,
    status           TEXT    NOT NULL,
    joined_on        TEXT,
    full_on          TEXT,
    is_leading_cadre BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX members_org ON members(org_id);

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    username            TEXT    NOT NULL UNIQUE,
    password_hash       TEXT    NOT NULL,
    role                TEXT    NOT NULL,
    org_id              INTEGER NOT NULL REFERENCES orgs(id),
    member_id           INTEGER REFERENCES members(id),
    locale              TEXT    NOT NULL DEFAULT '',
    failed_count        INTEGER NOT NULL DEFAULT 0,
    failed_since_at     INTEGER NOT NULL DEFAULT 0,
    locked_until_at     INTEGER NOT NULL DEFAULT 0,
    password_changed_at INTEGER NOT NULL,
    disabled            BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          INTEGER NOT NULL
);

CREATE TABLE sessions (
    id_hash      TEXT    PRIMARY KEY,  -- SM3 of the cookie value; the value itself is never stored
    user_id      INTEGER NOT NULL REFERENCES users(id),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    client_ip    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    hash         TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL DEFAULT 0,
    revoked_at   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tokens_user ON tokens(user_id);

CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY,   -- contiguous from 1, assigned inside the writing transaction
    at            INTEGER NOT NULL,
    actor_id      INTEGER NOT NULL DEFAULT 0,
    actor_name    TEXT    NOT NULL DEFAULT '',
    actor_role    TEXT    NOT NULL DEFAULT '',
    client_ip     TEXT    NOT NULL DEFAULT '',
    request_id    TEXT    NOT NULL DEFAULT '',
    action        TEXT    NOT NULL,
    object_type   TEXT    NOT NULL DEFAULT '',
    object_id     TEXT    NOT NULL DEFAULT '',
    before_digest TEXT    NOT NULL DEFAULT '',
    after_digest  TEXT    NOT NULL DEFAULT '',
    result        TEXT    NOT NULL,
    detail        TEXT    NOT NULL DEFAULT '',
    entry_hash    TEXT    NOT NULL,
    chain         TEXT    NOT NULL
);
CREATE INDEX audit_log_object ON audit_log(object_type, object_id);

-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
-- +goose StatementEnd

CREATE TABLE audit_checkpoints (
    id         INTEGER PRIMARY KEY,
    size       INTEGER NOT NULL,
    chain_head TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    note       TEXT    NOT NULL      -- the signed checkpoint text, as copied off the server
);

CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL DEFAULT '',
    dedupe_key      TEXT    UNIQUE,
    status          TEXT    NOT NULL DEFAULT 'pending',
    run_at          INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL DEFAULT 5,
    locked_by       TEXT    NOT NULL DEFAULT '',
    locked_until_at INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    done_at         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_due ON jobs(status, run_at);

CREATE TABLE settings (
    key        TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE settings;
DROP TABLE jobs;
DROP TABLE audit_checkpoints;
DROP TABLE audit_log;
DROP TABLE tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE members;
DROP TABLE orgs;
