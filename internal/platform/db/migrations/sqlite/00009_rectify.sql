-- +goose Up
-- Rectification ledger (巡察整改, 整改台账): findings from inspection tours, special inspections, on-site
-- visits, the annual review, coordination meetings and manual entry, each tracked from open to 销号 with
-- three-level responsibility: the supervising organisation (工委) accepts plans and signs off, the
-- responsible organisation (党组/党委, 主体责任) and the implementing organisations do the work.
-- Overdue is derived (due_on passed and not closed), never stored. See docs/decisions/0005-rectify.md.

-- A feedback document (巡察反馈意见) recorded with its many findings at once.
CREATE TABLE rectify_feedbacks (
    id                 INTEGER PRIMARY KEY,
    title              TEXT    NOT NULL,
    source             TEXT    NOT NULL,              -- inspection_tour, site_visit, annual_review, …
    reference          TEXT    NOT NULL DEFAULT '',   -- 文号
    issued_by          TEXT    NOT NULL DEFAULT '',   -- e.g. 市委第三巡察组
    issued_on          TEXT    NOT NULL,
    responsible_org_id INTEGER NOT NULL REFERENCES orgs(id),
    supervisor_org_id  INTEGER NOT NULL REFERENCES orgs(id),
    created_by         INTEGER NOT NULL DEFAULT 0,    -- users.id
    created_at         INTEGER NOT NULL
);

-- A coordination meeting (集中会办 / 现场办公): the difficulties discussed; each decision is an item.
CREATE TABLE rectify_meetings (
    id           INTEGER PRIMARY KEY,
    title        TEXT    NOT NULL,
    held_on      TEXT    NOT NULL,
    location     TEXT    NOT NULL DEFAULT '',
    org_id       INTEGER NOT NULL REFERENCES orgs(id), -- the convening (supervising) organisation
    difficulties TEXT    NOT NULL DEFAULT '',          -- one per line (纪检组织建设, 党务干部选配, …)
    summary      TEXT    NOT NULL DEFAULT '',
    created_by   INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
);

CREATE TABLE rectify_items (
    id                 INTEGER PRIMARY KEY,
    title              TEXT    NOT NULL,
    finding            TEXT    NOT NULL,
    category           TEXT    NOT NULL DEFAULT '',
    source             TEXT    NOT NULL,              -- inspection_tour, inspection, site_visit, annual_review, coordination_meeting, manual
    source_ref         TEXT    NOT NULL DEFAULT '',   -- human reference (文号, finding number)
    source_id          INTEGER,                       -- the source record's id (an inspection finding); NULL for none
    source_link        TEXT    NOT NULL DEFAULT '',   -- site-relative link back to the source
    feedback_id        INTEGER REFERENCES rectify_feedbacks(id),
    meeting_id         INTEGER REFERENCES rectify_meetings(id),
    responsible_org_id INTEGER NOT NULL REFERENCES orgs(id),
    supervisor_org_id  INTEGER NOT NULL REFERENCES orgs(id),
    responsible_person TEXT    NOT NULL DEFAULT '',
    measures           TEXT    NOT NULL DEFAULT '',
    due_on             TEXT    NOT NULL,
    proposed_due_on    TEXT,                          -- deadline in a plan not yet accepted
    plan_proposed      BOOLEAN NOT NULL DEFAULT FALSE,
    long_term          BOOLEAN NOT NULL DEFAULT FALSE, -- 长期坚持: periodic reports instead of a close
    report_months      INTEGER NOT NULL DEFAULT 0,     -- long-term items: months between reports
    status             TEXT    NOT NULL,              -- open, planned, in_progress, submitted, closed
    created_on         TEXT    NOT NULL,
    last_report_on     TEXT,
    closed_on          TEXT,
    created_by         INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
-- A finding turns into one item however often it is sent (NULLs are distinct: manual items repeat freely).
CREATE UNIQUE INDEX rectify_items_source ON rectify_items(source, source_id);
CREATE INDEX rectify_items_responsible ON rectify_items(responsible_org_id, status);
CREATE INDEX rectify_items_supervisor ON rectify_items(supervisor_org_id, status);
CREATE INDEX rectify_items_due ON rectify_items(status, due_on);
CREATE INDEX rectify_items_feedback ON rectify_items(feedback_id);
CREATE INDEX rectify_items_meeting ON rectify_items(meeting_id);

-- The implementing organisations (机关各级党组织落实具体任务).
CREATE TABLE rectify_item_orgs (
    item_id INTEGER NOT NULL REFERENCES rectify_items(id),
    org_id  INTEGER NOT NULL REFERENCES orgs(id),
    PRIMARY KEY (item_id, org_id)
);
CREATE INDEX rectify_item_orgs_org ON rectify_item_orgs(org_id);

-- Every step taken on an item: the history shown on its page.
CREATE TABLE rectify_steps (
    id          INTEGER PRIMARY KEY,
    item_id     INTEGER NOT NULL REFERENCES rectify_items(id),
    action      TEXT    NOT NULL,              -- create, plan, accept_plan, report, submit, close, reject, reopen
    from_status TEXT    NOT NULL DEFAULT '',
    to_status   TEXT    NOT NULL,
    comment     TEXT    NOT NULL DEFAULT '',
    measures    TEXT    NOT NULL DEFAULT '',
    due_on      TEXT,
    done_on     TEXT    NOT NULL,
    actor_id    INTEGER NOT NULL DEFAULT 0,
    actor_name  TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE INDEX rectify_steps_item ON rectify_steps(item_id, id);

-- Evidence (佐证材料) attached with a step.
CREATE TABLE rectify_files (
    step_id INTEGER NOT NULL REFERENCES rectify_steps(id),
    item_id INTEGER NOT NULL REFERENCES rectify_items(id),
    file_id INTEGER NOT NULL REFERENCES files(id),
    PRIMARY KEY (step_id, file_id)
);
CREATE INDEX rectify_files_item ON rectify_files(item_id);

-- +goose Down
DROP TABLE rectify_files;
DROP TABLE rectify_steps;
DROP TABLE rectify_item_orgs;
DROP TABLE rectify_items;
DROP TABLE rectify_meetings;
DROP TABLE rectify_feedbacks;
