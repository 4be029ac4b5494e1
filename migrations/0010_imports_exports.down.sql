DROP FUNCTION IF EXISTS import_refresh_statistics();
DROP FUNCTION IF EXISTS import_match_people(boolean, text[], text[]);
DROP FUNCTION IF EXISTS import_match_organisations(boolean, text[]);
DROP TABLE IF EXISTS imports;
DROP INDEX IF EXISTS organisations_email_idx;
DROP INDEX IF EXISTS jobs_creator_idx;
ALTER TABLE jobs DROP CONSTRAINT IF EXISTS jobs_creator_fkey;
ALTER TABLE jobs DROP COLUMN IF EXISTS cancel_requested_at;
ALTER TABLE jobs DROP COLUMN IF EXISTS created_by;
