-- +goose Up
-- 每日一题 and its question bank (learning issue, question half). A question belongs to the organisation
-- whose officers manage it; it is published only after a second officer reviewed it (reviewer_id ≠
-- author_id). A schedule (one per organisation: the 工委, or an organ committee for its subtree) holds a
-- pool and a calendar (pins and holidays); the question of each day is chosen once and stored in
-- quiz_days, so every member of the scope sees the same question and restarts change nothing. An answer
-- is recorded once per member and day (quiz_answers_once): a second attempt, even at the same instant,
-- is a unique-key conflict.
CREATE TABLE questions (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    kind         TEXT    NOT NULL,              -- single, multiple, truefalse, fill
    stem         TEXT    NOT NULL,
    stem_key     TEXT    NOT NULL,              -- stem without whitespace and punctuation, for duplicates
    options      TEXT    NOT NULL DEFAULT '[]', -- JSON list of option texts
    answer       TEXT    NOT NULL,              -- JSON: option indexes, or accepted texts for fill
    explanation  TEXT    NOT NULL DEFAULT '',
    source       TEXT    NOT NULL DEFAULT '',   -- regulation and article
    tags         TEXT    NOT NULL DEFAULT '',   -- comma separated
    difficulty   INTEGER NOT NULL DEFAULT 2,    -- 1 easy, 2 medium, 3 hard
    status       TEXT    NOT NULL,              -- draft, published, retired
    author_id    INTEGER NOT NULL,              -- users.id
    reviewer_id  INTEGER NOT NULL DEFAULT 0,    -- users.id of the second officer who published it
    published_at INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX questions_stem ON questions(org_id, stem_key);
CREATE INDEX questions_status ON questions(org_id, status);

CREATE TABLE quiz_schedules (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL UNIQUE REFERENCES orgs(id),
    starts_on     TEXT    NOT NULL,
    skip_weekends BOOLEAN NOT NULL DEFAULT FALSE,
    updated_by    INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE quiz_pool (
    schedule_id INTEGER NOT NULL REFERENCES quiz_schedules(id),
    question_id INTEGER NOT NULL REFERENCES questions(id),
    PRIMARY KEY (schedule_id, question_id)
);

-- Pins (a question fixed for a date) and holidays (no question that day).
CREATE TABLE quiz_calendar (
    schedule_id INTEGER NOT NULL REFERENCES quiz_schedules(id),
    day         TEXT    NOT NULL,
    kind        TEXT    NOT NULL,              -- pin, holiday
    question_id INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (schedule_id, day)
);

-- The question of each day, chosen once (question_id 0: a holiday).
CREATE TABLE quiz_days (
    schedule_id INTEGER NOT NULL REFERENCES quiz_schedules(id),
    day         TEXT    NOT NULL,
    question_id INTEGER NOT NULL DEFAULT 0,
    cycle       INTEGER NOT NULL DEFAULT 0,    -- the pass through the pool this choice belongs to
    pinned      BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (schedule_id, day)
);

CREATE TABLE quiz_answers (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members(id),
    org_id      INTEGER NOT NULL,              -- the member's organisation when answering (aggregates)
    schedule_id INTEGER NOT NULL,
    day         TEXT    NOT NULL,              -- the day whose question this answers
    question_id INTEGER NOT NULL REFERENCES questions(id),
    answer      TEXT    NOT NULL,              -- JSON, in the question's own option order
    correct     BOOLEAN NOT NULL,
    on_time     BOOLEAN NOT NULL,              -- 0: a missed day answered later, for learning
    answered_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX quiz_answers_once ON quiz_answers(member_id, day);
CREATE INDEX quiz_answers_org ON quiz_answers(org_id, day);

-- +goose Down
DROP TABLE quiz_answers;
DROP TABLE quiz_days;
DROP TABLE quiz_calendar;
DROP TABLE quiz_pool;
DROP TABLE quiz_schedules;
DROP TABLE questions;
