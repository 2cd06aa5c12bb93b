-- +goose Up
-- The compliance calendar and special inspections (issue 4; RULES.md §A2, §B2, §R0; docs/decisions/
-- 0004-compliance-summaries.md). Meetings live in the records' own tables; this side keeps:
--   compliance_held    a copy of each counting record's facts (orglife.Held), for drill-down and rebuilds;
--   compliance_summaries per organisation and year: every kind's 12 four-bit month counts (saturating at
--                      15) packed in one value, kept current in the records' write transaction, and the
--                      facts that decide which rules apply (live and committee months, refreshed nightly)
--                      with the person-rule gaps (A2.5 secretary's lesson, A2.9 talks, kept current too) —
--                      so a city-wide calendar reads one short row per organisation instead of grouping
--                      850,000 records;
--   compliance_roles   who the person rules look at per organisation and year, with their tally.
CREATE TABLE compliance_held (
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    kind        TEXT    NOT NULL,
    held_on     TEXT    NOT NULL,
    record_id   INTEGER NOT NULL,              -- the record (meetings.id), not a foreign key: another capability's table
    lecturer_id INTEGER NOT NULL DEFAULT 0,
    chair_id    INTEGER NOT NULL DEFAULT 0,
    -- One B-tree on SQLite (clustered by organisation, kind and day): the write adds one entry, and
    -- counting a month or listing its records is one range.
    PRIMARY KEY (org_id, kind, held_on, record_id)
) WITHOUT ROWID;
-- Person tallies (A2.5 lessons by lecturer, A2.9 talks by chair): partial, so other records do not pay for them.
CREATE INDEX compliance_held_lecturer ON compliance_held(lecturer_id, held_on) WHERE kind = 'party_lesson';
CREATE INDEX compliance_held_chair ON compliance_held(chair_id, held_on) WHERE kind = 'heart_talk';

CREATE TABLE compliance_summaries (
    org_id           INTEGER NOT NULL REFERENCES orgs(id),
    year             INTEGER NOT NULL,
    packed           BLOB  NOT NULL,              -- 10 kinds (orglife.Kinds order) × 8 bytes little-endian: 12 four-bit month counts
    refreshed_at     INTEGER NOT NULL DEFAULT 0,    -- when the facts below were last computed (0: not yet)
    live_months      INTEGER NOT NULL DEFAULT 0,    -- bit m-1: live for the whole of month m
    committee_months INTEGER NOT NULL DEFAULT 0,    -- bit m-1: had a committee on the 1st of month m (A2.2, R0.3)
    lesson_roles     INTEGER NOT NULL DEFAULT 0,    -- secretaries in office in the year (A2.5)
    lesson_gaps      INTEGER NOT NULL DEFAULT 0,    -- … who gave no lesson
    talk_roles       INTEGER NOT NULL DEFAULT 0,    -- committee members in office in the year (A2.9)
    talk_gaps        INTEGER NOT NULL DEFAULT 0,    -- … with no talk
    PRIMARY KEY (org_id, year)
) WITHOUT ROWID;

CREATE TABLE compliance_roles (
    org_id    INTEGER NOT NULL REFERENCES orgs(id),
    year      INTEGER NOT NULL,
    member_id INTEGER NOT NULL REFERENCES members(id),
    role      TEXT    NOT NULL,                -- secretary (A2.5), committee (A2.9)
    n         INTEGER NOT NULL DEFAULT 0,      -- lessons given / talks held in the year
    PRIMARY KEY (org_id, year, member_id, role)
);
CREATE INDEX compliance_roles_member ON compliance_roles(member_id, year);

-- Tuning by the work committee: each row is a version of one rule from effective_on; a period is judged
-- by the version in force on its first day. Rows are never changed.
CREATE TABLE compliance_rule_versions (
    id           INTEGER PRIMARY KEY,
    rule_id      TEXT    NOT NULL,
    effective_on TEXT    NOT NULL,
    enabled      BOOLEAN NOT NULL,
    every        TEXT    NOT NULL,             -- month, quarter, half, year
    min_count    INTEGER NOT NULL,
    severity     TEXT    NOT NULL,             -- error, warning, info
    reason       TEXT    NOT NULL DEFAULT '',
    changed_by   TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX compliance_rule_versions_rule ON compliance_rule_versions(rule_id, effective_on);

-- 专项检查: a campaign over a subtree and a span of months with the rules it checks.
CREATE TABLE inspections (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    from_month  TEXT    NOT NULL,              -- YYYY-MM
    to_month    TEXT    NOT NULL,
    rules       TEXT    NOT NULL,              -- comma-separated rule ids
    status      TEXT    NOT NULL,              -- draft, run
    created_by  INTEGER NOT NULL DEFAULT 0,    -- users.id
    created_at  INTEGER NOT NULL,
    run_at      INTEGER NOT NULL DEFAULT 0,
    run_on      TEXT                           -- the day the findings were frozen
);
CREATE INDEX inspections_org ON inspections(org_id);

CREATE TABLE inspection_inspectors (
    inspection_id INTEGER NOT NULL REFERENCES inspections(id),
    user_id       INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (inspection_id, user_id)
);

-- Frozen at run time (source rule) or added by an inspector (source manual); never recomputed, so the
-- report stays what it was when records are corrected later. id is the stable finding id the
-- rectification ledger links to.
CREATE TABLE inspection_findings (
    id            INTEGER PRIMARY KEY,
    inspection_id INTEGER NOT NULL REFERENCES inspections(id),
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    org_name      TEXT    NOT NULL,
    rule_id       TEXT    NOT NULL,
    period        TEXT    NOT NULL,            -- 2025-03, 2025-Q1, 2025-H1, 2025
    severity      TEXT    NOT NULL,
    article       TEXT    NOT NULL DEFAULT '',
    message       TEXT    NOT NULL,            -- message key
    params        TEXT    NOT NULL DEFAULT '{}',
    evidence      TEXT    NOT NULL DEFAULT '', -- site-relative link (a record, or the calendar of the period)
    source        TEXT    NOT NULL,            -- rule, manual
    note          TEXT    NOT NULL DEFAULT '',
    created_by    TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL
);
CREATE INDEX inspection_findings_inspection ON inspection_findings(inspection_id, org_id);

CREATE TABLE inspection_notes (
    id            INTEGER PRIMARY KEY,
    inspection_id INTEGER NOT NULL REFERENCES inspections(id),
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    record_id     INTEGER NOT NULL DEFAULT 0,  -- the record spot-checked, if any
    body          TEXT    NOT NULL,
    author        TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL
);
CREATE INDEX inspection_notes_inspection ON inspection_notes(inspection_id);

-- +goose Down
DROP TABLE inspection_notes;
DROP TABLE inspection_findings;
DROP TABLE inspection_inspectors;
DROP TABLE inspections;
DROP TABLE compliance_rule_versions;
DROP TABLE compliance_roles;
DROP TABLE compliance_summaries;
DROP TABLE compliance_held;
