-- +goose Up
-- Reading (书香机关, issue 6): reading rooms and book cabinets (书屋/书橱) with their honours, the book
-- catalogue (one row per ISBN-13) and the copies each room holds, loans of copies to members, book
-- recommendations (好书推荐) and members' reviews (读书心得, moderated), and reading activities (World Book
-- Day series, guest lectures, salons, recitations) with sign-ups, a waiting list, attendance and photos.
-- Decision note: docs/decisions/0007-reading.md.
CREATE TABLE reading_rooms (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES orgs(id),   -- owning organisation: its officers manage the room
    name          TEXT    NOT NULL,
    kind          TEXT    NOT NULL,                       -- room (书屋), cabinet (书橱)
    location      TEXT    NOT NULL DEFAULT '',
    opening_hours TEXT    NOT NULL DEFAULT '',
    loan_days     INTEGER NOT NULL DEFAULT 30,            -- loan period, and the length of one renewal
    max_renewals  INTEGER NOT NULL DEFAULT 2,             -- renewals allowed per loan
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX reading_rooms_org ON reading_rooms(org_id);

CREATE TABLE reading_room_honours (
    id      INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES reading_rooms(id),
    title   TEXT    NOT NULL,                             -- e.g. 职工书屋示范点
    level   TEXT    NOT NULL,                             -- city (市级), provincial (省级), national (全国)
    year    INTEGER NOT NULL
);
CREATE INDEX reading_room_honours_room ON reading_room_honours(room_id);

CREATE TABLE books (
    id             INTEGER PRIMARY KEY,
    isbn           TEXT    NOT NULL UNIQUE,               -- ISBN-13, digits only (ISBN-10 converted)
    title          TEXT    NOT NULL,
    author         TEXT    NOT NULL DEFAULT '',
    publisher      TEXT    NOT NULL DEFAULT '',
    published_year INTEGER NOT NULL DEFAULT 0,            -- 0: unknown
    created_at     INTEGER NOT NULL
);

-- One row per physical copy: a loan is of a copy, so a copy lent twice at once is a unique violation.
CREATE TABLE reading_copies (
    id         INTEGER PRIMARY KEY,
    room_id    INTEGER NOT NULL REFERENCES reading_rooms(id),
    book_id    INTEGER NOT NULL REFERENCES books(id),
    copy_no    INTEGER NOT NULL,                          -- 1, 2, … within the room and book
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX reading_copies_no ON reading_copies(room_id, book_id, copy_no);
CREATE INDEX reading_copies_book ON reading_copies(book_id);

CREATE TABLE reading_loans (
    id          INTEGER PRIMARY KEY,
    copy_id     INTEGER NOT NULL REFERENCES reading_copies(id),
    room_id     INTEGER NOT NULL REFERENCES reading_rooms(id),
    member_id   INTEGER NOT NULL REFERENCES members(id),
    lent_on     TEXT    NOT NULL,
    due_on      TEXT    NOT NULL,
    returned_on TEXT,
    renewals    INTEGER NOT NULL DEFAULT 0,
    lent_by     INTEGER NOT NULL DEFAULT 0,               -- users.id
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
-- A copy is out to one member at a time.
CREATE UNIQUE INDEX reading_loans_open ON reading_loans(copy_id) WHERE returned_on IS NULL;
CREATE INDEX reading_loans_member ON reading_loans(member_id);
CREATE INDEX reading_loans_room ON reading_loans(room_id, lent_on);

CREATE TABLE reading_recommendations (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES orgs(id),  -- who recommends, for whom
    book_id        INTEGER NOT NULL REFERENCES books(id),
    reason         TEXT    NOT NULL,
    recommended_on TEXT    NOT NULL,
    created_by     INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);
CREATE INDEX reading_recommendations_org ON reading_recommendations(org_id);

CREATE TABLE reading_reviews (
    id           INTEGER PRIMARY KEY,
    book_id      INTEGER NOT NULL REFERENCES books(id),
    member_id    INTEGER NOT NULL REFERENCES members(id),
    org_id       INTEGER NOT NULL REFERENCES orgs(id),    -- the member's organisation when written: its officers moderate
    body         TEXT    NOT NULL,
    status       TEXT    NOT NULL,                        -- pending, approved, rejected
    moderated_by INTEGER NOT NULL DEFAULT 0,
    moderated_at INTEGER NOT NULL DEFAULT 0,
    note         TEXT    NOT NULL DEFAULT '',             -- the moderator's reason for a rejection
    created_at   INTEGER NOT NULL
);
CREATE INDEX reading_reviews_book ON reading_reviews(book_id, status);
CREATE INDEX reading_reviews_org ON reading_reviews(org_id, status);

CREATE TABLE reading_events (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),     -- the organiser
    kind        TEXT    NOT NULL,                         -- world_book_day, lecture, salon, recitation, other
    title       TEXT    NOT NULL,
    edition     INTEGER NOT NULL DEFAULT 0,               -- 第N届 of the organiser's World Book Day series
    held_on     TEXT    NOT NULL,
    place       TEXT    NOT NULL DEFAULT '',
    speaker     TEXT    NOT NULL DEFAULT '',
    capacity    INTEGER NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    created_by  INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX reading_events_org ON reading_events(org_id, held_on);

-- A sign-up holds a seat (1 … capacity) or waits; seats are unique per event, so no two confirmed
-- sign-ups share one and an event is never overbooked.
CREATE TABLE reading_signups (
    id         INTEGER PRIMARY KEY,
    event_id   INTEGER NOT NULL REFERENCES reading_events(id),
    member_id  INTEGER NOT NULL REFERENCES members(id),
    status     TEXT    NOT NULL,                          -- confirmed, waiting, cancelled
    seat       INTEGER,                                   -- set while confirmed
    attended   BOOLEAN NOT NULL DEFAULT FALSE,
    signed_at  INTEGER NOT NULL,                          -- the waiting list's order
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX reading_signups_member ON reading_signups(event_id, member_id);
CREATE UNIQUE INDEX reading_signups_seat ON reading_signups(event_id, seat) WHERE seat IS NOT NULL;
CREATE INDEX reading_signups_member_id ON reading_signups(member_id);

CREATE TABLE reading_event_files (
    event_id INTEGER NOT NULL REFERENCES reading_events(id),
    file_id  INTEGER NOT NULL REFERENCES files(id),
    PRIMARY KEY (event_id, file_id)
);

-- +goose Down
DROP TABLE reading_event_files;
DROP TABLE reading_signups;
DROP TABLE reading_events;
DROP TABLE reading_reviews;
DROP TABLE reading_recommendations;
DROP TABLE reading_loans;
DROP TABLE reading_copies;
DROP TABLE books;
DROP TABLE reading_room_honours;
DROP TABLE reading_rooms;
