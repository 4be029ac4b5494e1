DROP FUNCTION IF EXISTS autocomplete_plan(text, text, boolean, integer, integer, uuid, uuid);
DROP FUNCTION IF EXISTS search_plan(text, text, boolean, integer, integer, uuid, uuid, text[], text[],
    text, timestamptz, timestamptz);
DROP FUNCTION IF EXISTS autocomplete_ids(text, text, boolean, integer, integer, uuid, uuid);
DROP FUNCTION IF EXISTS search_ids(text, text, boolean, integer, integer, uuid, uuid, text[], text[],
    text, timestamptz, timestamptz);
DROP FUNCTION IF EXISTS relais_search_args(text, boolean);
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT oid::regprocedure FROM pg_proc
             WHERE proname ~ '^relais_(search|autocomplete)_[a-z]+_ids$'
               AND pronamespace = 'public'::regnamespace LOOP
        EXECUTE format('DROP FUNCTION %s', f);
    END LOOP;
END
$$;
DROP FUNCTION IF EXISTS autocomplete_sql(text);
DROP FUNCTION IF EXISTS search_sql(text);
DROP FUNCTION IF EXISTS relais_search_scope_sql(text, text);
DROP INDEX IF EXISTS mandates_number_prefix_idx, people_last_name_prefix_idx,
    people_name_prefix_idx, organisations_name_prefix_idx, people_email_trgm_idx,
    people_name_trgm_idx, organisations_email_trgm_idx, organisations_name_trgm_idx,
    interactions_search_idx, mandates_search_idx, people_search_idx, organisations_search_idx;
ALTER TABLE interactions DROP COLUMN IF EXISTS search_vector;
ALTER TABLE mandates DROP COLUMN IF EXISTS search_vector;
ALTER TABLE people DROP COLUMN IF EXISTS search_vector, DROP COLUMN IF EXISTS search_name;
ALTER TABLE organisations DROP COLUMN IF EXISTS search_vector, DROP COLUMN IF EXISTS search_name;
DROP FUNCTION IF EXISTS relais_search_loose_query(text);
DROP AGGREGATE IF EXISTS relais_tsquery_or(tsquery);
DROP AGGREGATE IF EXISTS relais_tsquery_and(tsquery);
DROP FUNCTION IF EXISTS relais_search_email(text);
DROP FUNCTION IF EXISTS relais_search_tags(text[]);
DROP FUNCTION IF EXISTS relais_search_word_similarity(text, text);
DROP FUNCTION IF EXISTS relais_search_similarity(text, text);
DROP FUNCTION IF EXISTS relais_search_norm(text);
DROP TEXT SEARCH CONFIGURATION IF EXISTS relais_french;
DROP EXTENSION IF EXISTS pg_trgm;
DROP EXTENSION IF EXISTS unaccent;
DROP SCHEMA IF EXISTS extensions;
