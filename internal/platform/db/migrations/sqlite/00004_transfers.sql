-- +goose Up
-- Membership transfers (组织关系转接) inside the deployment (organisations issue; RULES.md §F4).
-- A transfer moves through requested → sent (the sending side issued the letter, 转接介绍信) →
-- received (the member's org_id changes in the same transaction), or ends rejected or cancelled.
-- Until it is received the member stays with the sender (F4: "the original organisation keeps
-- responsibility"). RULES.md §F4 sets no deadline for receipt, so there is no due date column.
CREATE TABLE transfers (
    id           INTEGER PRIMARY KEY,
    member_id    INTEGER NOT NULL REFERENCES members(id),
    from_org_id  INTEGER NOT NULL REFERENCES orgs(id),
    to_org_id    INTEGER NOT NULL REFERENCES orgs(id),
    letter_no    TEXT    NOT NULL DEFAULT '',   -- 转接介绍信编号
    reason       TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL,              -- requested, sent, received, rejected, cancelled
    requested_on TEXT    NOT NULL,
    sent_on      TEXT,
    received_on  TEXT,
    closed_on    TEXT,                          -- rejected or cancelled on
    requested_by INTEGER NOT NULL DEFAULT 0,    -- users.id
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX transfers_member ON transfers(member_id);
CREATE INDEX transfers_from ON transfers(from_org_id, status);
CREATE INDEX transfers_to ON transfers(to_org_id, status);
-- At most one pending transfer per member.
CREATE UNIQUE INDEX transfers_pending ON transfers(member_id) WHERE status IN ('requested', 'sent');

CREATE TABLE transfer_steps (
    id          INTEGER PRIMARY KEY,
    transfer_id INTEGER NOT NULL REFERENCES transfers(id),
    action      TEXT    NOT NULL,              -- request, send, receive, reject, cancel
    done_on     TEXT    NOT NULL,
    actor_id    INTEGER NOT NULL DEFAULT 0,    -- users.id
    actor_name  TEXT    NOT NULL DEFAULT '',
    note        TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE INDEX transfer_steps_transfer ON transfer_steps(transfer_id);

-- +goose Down
DROP TABLE transfer_steps;
DROP TABLE transfers;
