-- One word look-up per kind again: search_ids() of 0020; search_plan() edited back; the
-- helpers gone.

SET LOCAL search_path = public, extensions;

SELECT similarity('', '');

CREATE OR REPLACE FUNCTION search_ids(
    p_kind text, p_query text, p_web boolean, p_limit integer, p_cap integer,
    p_vis_user uuid, p_vis_team uuid,
    p_categories text[], p_statuses text[], p_city text,
    p_created_from timestamptz, p_created_to timestamptz)
    RETURNS TABLE (record_id uuid, score float8)
    LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 50
    SET search_path = pg_catalog, public, extensions
    SET pg_trgm.word_similarity_threshold = 0.5
    AS $$
DECLARE
    a record := relais_search_args(p_query, p_web, false);
    ids uuid[];
    scores float8[];
BEGIN
    CASE p_kind
    WHEN 'organisation' THEN
        SELECT array_agg(f.record_id), array_agg(f.score) INTO ids, scores
        FROM relais_search_organisation_ids(
            p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
            p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
            p_limit, a.code, NULL) AS f;
        IF coalesce(cardinality(ids), 0) < p_limit AND NOT p_web THEN
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
        SELECT array_agg(f.record_id), array_agg(f.score) INTO ids, scores
        FROM relais_search_person_ids(
            p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
            p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
            p_limit, a.code, NULL) AS f;
        IF coalesce(cardinality(ids), 0) < p_limit AND NOT p_web THEN
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
    RETURN QUERY SELECT * FROM unnest(ids, scores);
END
$$;

SELECT relais_search_edit_function(
    'search_plan(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
    a record := relais_search_args(p_query, p_web,
        NOT p_web AND p_kind IN ('organisation', 'person'));
    -- (Run by a role that may not read the frequencies, the plain statement.)
    head boolean := p_kind IN ('organisation', 'person') AND NOT p_web
                    AND (p_vis_user IS NULL OR p_vis_team IS NOT NULL)
                    AND has_table_privilege('public.search_word_frequencies', 'SELECT')
                    AND relais_search_head_pays(p_kind, a.tsq);
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN '
        || CASE WHEN head THEN search_head_sql(p_kind) ELSE search_sql(p_kind) END
$q$, $q$
    a record := relais_search_args(p_query, p_web,
        NOT p_web AND p_kind IN ('organisation', 'person'));
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN ' || search_sql(p_kind)
$q$, 1);


DROP FUNCTION relais_search_head_pays(text, tsquery);
DROP FUNCTION relais_search_refresh_frequencies();
DROP TABLE search_word_frequencies;
DO $do$
DECLARE
    k text;
BEGIN
    FOREACH k IN ARRAY ARRAY['organisation', 'person'] LOOP
        EXECUTE format('DROP FUNCTION %I(text, boolean, integer, uuid, uuid, text[], text[], '
                       'text, timestamptz, timestamptz, uuid, tsquery, text, text, text, '
                       'integer, text, tsquery)', 'relais_search_head_' || k || '_ids');
    END LOOP;
END
$do$;
DROP FUNCTION search_head_sql(text);
DROP FUNCTION relais_search_head_first_sql(text, text);
DROP INDEX organisations_search_head_idx, people_search_head_idx;
DROP FUNCTION relais_search_head(uuid);
DROP FUNCTION relais_search_rebuild_candidates();
DROP FUNCTION relais_search_make_candidate(text, regprocedure, text);
DROP FUNCTION relais_search_edit_function(regprocedure, text, text, integer);
