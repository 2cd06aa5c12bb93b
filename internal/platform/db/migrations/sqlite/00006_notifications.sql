-- +goose Up
-- In-app notifications (站内提醒): reminders and escalations that capabilities send to accounts, from a
-- write transaction or a scheduled job. dedupe_key makes a reminder arrive once per account however often
-- the job that raises it runs (e.g. 'compliance:A2.1:42:2025-Q1').
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    kind       TEXT    NOT NULL,              -- capability.event, e.g. compliance.due
    message    TEXT    NOT NULL,              -- message key in the catalogues
    params     TEXT    NOT NULL DEFAULT '{}', -- JSON object of the message's placeholders
    link       TEXT    NOT NULL DEFAULT '',   -- site-relative page the notification is about
    dedupe_key TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    read_at    INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX notifications_dedupe ON notifications(user_id, dedupe_key);
CREATE INDEX notifications_user ON notifications(user_id, read_at, id);

-- +goose Down
DROP TABLE notifications;
