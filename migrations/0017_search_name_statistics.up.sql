-- Search answers sooner (issue 5, SPEC SRCH-3; docs/PERFORMANCE.md, Search).
--
-- 1. Statistics for the name vectors. The typo branch looks corrected words up in the
--    full-text indexes on the names alone (migration 0014), but PostgreSQL keeps no statistics
--    for the expression of a partial index, so it took every word for a rare one (half a
--    percent of the rows) and gathered every match in a bitmap before the first: "gest",
--    corrected to "gestion", which is in 17 % of the names, collected 173,000 entries to keep
--    100 (150 ms on a million organisations). Expression statistics give the planner the
--    frequency of each word; a common one is now read from the table until the first 100
--    match (4 ms), a rare one still through the index. ANALYZE and autovacuum keep them, and
--    the statistics refresh during an import analyses the names' columns for them.
-- 2. search_ids() used to correct the text against the tenant's vocabulary
--    (relais_search_name_query()) before it looked anything up, although the corrected words
--    are only read when the words as typed match fewer names than a page holds: a typo, or a
--    rare word. That look-up (one trigram query per word of the text) was a third of the
--    candidate search of organisations and of people for every text, "Dupont" and "gestion"
--    included. The words as typed are now looked up first; the text is corrected, and the
--    look-up repeated with the corrections, only when they come up short.

SET LOCAL search_path = public, extensions;

-- pg_trgm's parameters are known (and may be set in a function's SET clause) once its
-- library is loaded in the session.
SELECT similarity('', '');

CREATE STATISTICS organisations_name_vector_stats
    ON (relais_search_org_name_vector(name)) FROM organisations;
CREATE STATISTICS people_name_vector_stats
    ON (relais_search_person_name_vector(first_name, last_name)) FROM people;
ANALYZE organisations (name);
ANALYZE people (first_name, last_name);

-- The import's refresh (migration 0016), with the columns the statistics above are built on
-- (ANALYZE warns about statistics whose columns it was not given).
CREATE OR REPLACE FUNCTION import_refresh_statistics() RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
    BEGIN
        ANALYZE public.organisations (tenant_id, id, name, email, owner_id, deleted_at);
        ANALYZE public.people (tenant_id, id, email, first_name, last_name, owner_id,
                               deleted_at);
        ANALYZE public.person_organisations (tenant_id, person_id, organisation_id);
    END
    $$;

CREATE OR REPLACE FUNCTION search_ids(
    p_kind text, p_query text, p_web boolean, p_limit integer, p_cap integer,
    p_vis_user uuid, p_vis_team uuid,
    p_categories text[], p_statuses text[], p_city text,
    p_created_from timestamptz, p_created_to timestamptz)
    RETURNS TABLE (record_id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 50
    SET search_path = pg_catalog, public, extensions
    SET pg_trgm.word_similarity_threshold = 0.5
    AS $$
DECLARE
    a record := relais_search_args(p_query, p_web, false);
    found uuid[];
BEGIN
    CASE p_kind
    WHEN 'organisation' THEN
        found := ARRAY(SELECT f.record_id FROM relais_search_organisation_ids(
            p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
            p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
            p_limit, a.code, NULL) AS f);
        IF cardinality(found) < p_limit AND NOT p_web THEN
            a.names := relais_search_name_query(a.norm);
            IF a.names IS NOT NULL THEN
                RETURN QUERY SELECT * FROM relais_search_organisation_ids(
                    p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses,
                    p_city, p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email,
                    a.email_like, p_limit, a.code, a.names);
                RETURN;
            END IF;
        END IF;
    WHEN 'person' THEN
        found := ARRAY(SELECT f.record_id FROM relais_search_person_ids(
            p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
            p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
            p_limit, a.code, NULL) AS f);
        IF cardinality(found) < p_limit AND NOT p_web THEN
            a.names := relais_search_name_query(a.norm);
            IF a.names IS NOT NULL THEN
                RETURN QUERY SELECT * FROM relais_search_person_ids(
                    p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses,
                    p_city, p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email,
                    a.email_like, p_limit, a.code, a.names);
                RETURN;
            END IF;
        END IF;
    WHEN 'mandate' THEN
        RETURN QUERY SELECT * FROM relais_search_mandate_ids(
            p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
            p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
            p_limit, a.code, NULL);
        RETURN;
    WHEN 'interaction' THEN
        RETURN QUERY SELECT * FROM relais_search_interaction_ids(
            p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
            p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
            p_limit, a.code, NULL);
        RETURN;
    ELSE
        RAISE EXCEPTION 'unknown search kind %', p_kind USING ERRCODE = 'invalid_parameter_value';
    END CASE;
    RETURN QUERY SELECT unnest(found);
END
$$;
