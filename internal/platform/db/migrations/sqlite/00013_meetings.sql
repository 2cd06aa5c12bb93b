-- +goose Up
-- Records of organisational life (三会一课 and the rest; RULES.md §A2, §B2), their versions (留痕: every
-- save keeps a full snapshot, nothing is overwritten unseen), attendance as recorded, attachments and
-- the branches' annual plans. A record counts towards obligations from submission (internal/orglife).
CREATE TABLE meetings (
    id                 INTEGER PRIMARY KEY,
    org_id             INTEGER NOT NULL REFERENCES orgs(id),
    kind               TEXT    NOT NULL,                 -- orglife.Kind
    status             TEXT    NOT NULL,                 -- draft, submitted, locked
    held_on            TEXT    NOT NULL,
    start_time         TEXT    NOT NULL DEFAULT '',      -- HH:MM, Beijing time
    place              TEXT    NOT NULL DEFAULT '',
    topic              TEXT    NOT NULL,
    chair_id           INTEGER REFERENCES members(id),
    chair_delegated    BOOLEAN NOT NULL DEFAULT FALSE,   -- A2.4: a 委员 chairing on the secretary's delegation
    recorder_id        INTEGER REFERENCES members(id),
    lecturer_id        INTEGER REFERENCES members(id),   -- party lessons (A2.5, B2 第十八条)
    expected_count     INTEGER NOT NULL DEFAULT 0,       -- 应到, from the roster on held_on
    present_count      INTEGER NOT NULL DEFAULT 0,       -- 实到
    minutes            TEXT    NOT NULL DEFAULT '',
    decisions          TEXT    NOT NULL DEFAULT '',
    self_assessment_on TEXT,                             -- A2.8 step 1 个人自评
    peer_assessment_on TEXT,                             -- A2.8 step 2 党员互评
    rating_on          TEXT,                             -- A2.8 step 3 民主测评
    warnings           TEXT    NOT NULL DEFAULT '',      -- JSON list of rule warnings at the last save
    version            INTEGER NOT NULL DEFAULT 1,
    counted            BOOLEAN NOT NULL DEFAULT FALSE,   -- contributes an orglife.Held now
    submitted_at       INTEGER NOT NULL DEFAULT 0,
    locked_at          INTEGER NOT NULL DEFAULT 0,
    created_by         INTEGER NOT NULL DEFAULT 0,       -- users.id
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX meetings_org_held ON meetings(org_id, held_on);
CREATE INDEX meetings_lecturer ON meetings(lecturer_id, held_on);

CREATE TABLE meeting_attendance (
    meeting_id    INTEGER NOT NULL REFERENCES meetings(id),
    member_id     INTEGER NOT NULL REFERENCES members(id),
    present       BOOLEAN NOT NULL,
    reason        TEXT    NOT NULL DEFAULT '',           -- why absent (请假事由)
    leading_cadre BOOLEAN NOT NULL DEFAULT FALSE,        -- is_leading_cadre when recorded
    PRIMARY KEY (meeting_id, member_id)
);
CREATE INDEX meeting_attendance_member ON meeting_attendance(member_id, present);

CREATE TABLE meeting_versions (
    id          INTEGER PRIMARY KEY,
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id),
    version     INTEGER NOT NULL,
    action      TEXT    NOT NULL,                        -- create, correct, submit, withdraw, lock
    reason      TEXT    NOT NULL DEFAULT '',
    snapshot    TEXT    NOT NULL,                        -- the whole record as JSON after the action
    actor_id    INTEGER NOT NULL DEFAULT 0,
    actor_name  TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX meeting_versions_number ON meeting_versions(meeting_id, version);

CREATE TABLE meeting_files (
    meeting_id INTEGER NOT NULL REFERENCES meetings(id),
    file_id    INTEGER NOT NULL REFERENCES files(id),
    PRIMARY KEY (meeting_id, file_id)
);

CREATE TABLE meeting_plans (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES orgs(id),
    year       INTEGER NOT NULL,
    month      INTEGER NOT NULL,                         -- 1–12
    kind       TEXT    NOT NULL,
    topic      TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX meeting_plans_org ON meeting_plans(org_id, year);

-- +goose Down
DROP TABLE meeting_plans;
DROP TABLE meeting_files;
DROP TABLE meeting_versions;
DROP TABLE meeting_attendance;
DROP TABLE meetings;
