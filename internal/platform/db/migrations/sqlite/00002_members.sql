-- +goose Up
-- The member roster (organisations issue, Members). Personal data protection: the resident ID number
-- and the phone are stored only sealed (SM4-GCM, *_enc, base64) with a keyed HMAC-SM3 (*_lookup) for
-- exact search and uniqueness; the clear values never reach this file (internal/platform/pii).
ALTER TABLE members ADD COLUMN ethnicity        TEXT    NOT NULL DEFAULT '';  -- GB/T 3304 name
ALTER TABLE members ADD COLUMN id_number_enc    TEXT    NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN id_number_lookup TEXT;                         -- NULL for legacy rows
ALTER TABLE members ADD COLUMN phone_enc        TEXT    NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN phone_lookup     TEXT    NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN education        TEXT    NOT NULL DEFAULT '';  -- GB/T 4658 level code
ALTER TABLE members ADD COLUMN job_title        TEXT    NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN unit_name        TEXT    NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN cell_id          INTEGER REFERENCES orgs(id);
ALTER TABLE members ADD COLUMN leading_group_id INTEGER REFERENCES orgs(id);
ALTER TABLE members ADD COLUMN mobile           BOOLEAN NOT NULL DEFAULT FALSE; -- 流动党员 (F8 flag)
ALTER TABLE members ADD COLUMN abroad           BOOLEAN NOT NULL DEFAULT FALSE; -- 出国（境）党员
ALTER TABLE members ADD COLUMN lost_contact     BOOLEAN NOT NULL DEFAULT FALSE; -- 失联党员
ALTER TABLE members ADD COLUMN terminal_state   TEXT    NOT NULL DEFAULT '';  -- removed, withdrew, expelled, deceased (F8)
ALTER TABLE members ADD COLUMN terminal_on      TEXT;
ALTER TABLE members ADD COLUMN name_key         TEXT    NOT NULL DEFAULT '';  -- hex pinyin collation key (x/text/collate)

CREATE UNIQUE INDEX members_id_number_lookup ON members(id_number_lookup);
CREATE INDEX members_phone_lookup ON members(phone_lookup);
CREATE INDEX members_name_key ON members(name_key);
CREATE INDEX members_status ON members(status);

-- +goose Down
DROP INDEX members_status;
DROP INDEX members_name_key;
DROP INDEX members_phone_lookup;
DROP INDEX members_id_number_lookup;
ALTER TABLE members DROP COLUMN name_key;
ALTER TABLE members DROP COLUMN terminal_on;
ALTER TABLE members DROP COLUMN terminal_state;
ALTER TABLE members DROP COLUMN lost_contact;
ALTER TABLE members DROP COLUMN abroad;
ALTER TABLE members DROP COLUMN mobile;
ALTER TABLE members DROP COLUMN leading_group_id;
ALTER TABLE members DROP COLUMN cell_id;
ALTER TABLE members DROP COLUMN unit_name;
ALTER TABLE members DROP COLUMN job_title;
ALTER TABLE members DROP COLUMN education;
ALTER TABLE members DROP COLUMN phone_lookup;
ALTER TABLE members DROP COLUMN phone_enc;
ALTER TABLE members DROP COLUMN id_number_lookup;
ALTER TABLE members DROP COLUMN id_number_enc;
ALTER TABLE members DROP COLUMN ethnicity;
