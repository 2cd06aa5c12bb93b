-- +goose Up
-- Name search (organisations issue, Members: "search by any part of a Chinese name"): a pg_trgm GIN
-- index on members.name serves name LIKE '%…%' for three or more characters. CREATE EXTENSION needs the
-- right privilege (pg_trgm is a trusted extension: a database owner may create it since PostgreSQL 13).
-- Without it the migration still succeeds, with a NOTICE, and search keeps working by scanning; the
-- service logs the same notice on start. docs/performance.md says how to add the index afterwards.
-- The extension goes into schema public when there is one (so it outlives a per-schema database), and
-- the operator class is named with the extension's schema, wherever that is.
-- +goose StatementBegin
DO $$
DECLARE
    ext_schema text;
BEGIN
    BEGIN
        IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public') THEN
            CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
        ELSE
            CREATE EXTENSION IF NOT EXISTS pg_trgm;
        END IF;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm is not available (%): member name search will scan without an index', SQLERRM;
    END;
    SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pg_trgm';
    IF ext_schema IS NOT NULL THEN
        EXECUTE format('CREATE INDEX members_name_trgm ON members USING gin (name %I.gin_trgm_ops)', ext_schema);
    END IF;
END $$;
-- +goose StatementEnd

-- Member status forms (§F8, §F3, §F7): a terminal state is recorded with its date and reason; the
-- mobile, abroad and lost-contact flags with the date each was raised.
ALTER TABLE members ADD COLUMN terminal_reason    TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN mobile_since       DATE;
ALTER TABLE members ADD COLUMN abroad_since       DATE;
ALTER TABLE members ADD COLUMN lost_contact_since DATE;

-- +goose Down
ALTER TABLE members DROP COLUMN lost_contact_since;
ALTER TABLE members DROP COLUMN abroad_since;
ALTER TABLE members DROP COLUMN mobile_since;
ALTER TABLE members DROP COLUMN terminal_reason;
DROP INDEX IF EXISTS members_name_trgm;
