-- +goose Up
-- Organisation structure (organisations issue): term (RULES.md A3.3/A3.4, B1), activity room, the
-- lifecycle history (establish/rename/move/merge/reorganise/dissolve — never deletion) and posts (A3.2).
ALTER TABLE orgs ADD COLUMN term_years     INTEGER NOT NULL DEFAULT 0;   -- 0: none (cells, leading groups)
ALTER TABLE orgs ADD COLUMN term_start_on  TEXT;
ALTER TABLE orgs ADD COLUMN term_end_on    TEXT;
ALTER TABLE orgs ADD COLUMN extended_to_on TEXT;                         -- approved postponement (A3.4)
ALTER TABLE orgs ADD COLUMN activity_room  TEXT    NOT NULL DEFAULT '';  -- independent, shared

CREATE TABLE org_events (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    kind         TEXT    NOT NULL,   -- establish, rename, move, merge, reorganise, dissolve
    effective_on   TEXT    NOT NULL,
    reason       TEXT    NOT NULL DEFAULT '',
    approval_ref TEXT    NOT NULL DEFAULT '',
    before_json  TEXT    NOT NULL DEFAULT '',   -- {"name","parent_id","kind"} before the event
    after_json   TEXT    NOT NULL DEFAULT '',
    actor        TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
CREATE INDEX org_events_org ON org_events(org_id, effective_on);

CREATE TABLE posts (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    member_id    INTEGER NOT NULL REFERENCES members(id),
    post         TEXT    NOT NULL,   -- secretary, deputy_secretary, committee_member, organisation_member, publicity_member, discipline_member, cell_leader
    from_on      TEXT    NOT NULL,
    to_on        TEXT,
    state        TEXT    NOT NULL,   -- elected, approved, filed
    elected_on   TEXT,
    approved_on  TEXT,
    approval_ref TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX posts_org ON posts(org_id);
CREATE INDEX posts_member ON posts(member_id);

-- +goose Down
DROP INDEX posts_member;
DROP INDEX posts_org;
DROP TABLE posts;
DROP INDEX org_events_org;
DROP TABLE org_events;
ALTER TABLE orgs DROP COLUMN activity_room;
ALTER TABLE orgs DROP COLUMN extended_to_on;
ALTER TABLE orgs DROP COLUMN term_end_on;
ALTER TABLE orgs DROP COLUMN term_start_on;
ALTER TABLE orgs DROP COLUMN term_years;
