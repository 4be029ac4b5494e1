-- search_ids() and search_plan() without the ordered statement; its functions dropped.

SET LOCAL search_path = public, extensions;

-- pg_trgm loaded, so that search_ids() keeps its pg_trgm setting when made again.
SELECT similarity('', '');

SELECT relais_search_edit_function(
    'search_plan(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
                    AND relais_search_head_pays(p_kind || ' name', a.names);
    ordered boolean := p_kind IN ('organisation', 'person') AND NOT p_web
                       AND p_vis_user IS NOT NULL AND p_vis_team IS NULL
                       AND p_categories IS NULL AND p_city IS NULL
                       AND p_created_from IS NULL AND p_created_to IS NULL
                       AND has_table_privilege('public.search_word_frequencies', 'SELECT')
                       AND relais_search_dense(p_kind, a.tsq);
    bitmaps constant text := current_setting('enable_bitmapscan');
BEGIN
    IF ordered THEN
        PERFORM set_config('enable_bitmapscan', 'off', true);
    END IF;
    RETURN QUERY EXECUTE 'EXPLAIN '
        || CASE WHEN head THEN search_head_sql(p_kind) ELSE search_sql(p_kind) END
        USING p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
              p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
              p_limit, a.code, NULL::tsquery;
    PERFORM set_config('enable_bitmapscan', bitmaps, true);
$q$, $q$
                    AND relais_search_head_pays(p_kind || ' name', a.names);
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN '
        || CASE WHEN head THEN search_head_sql(p_kind) ELSE search_sql(p_kind) END
        USING p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
              p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
              p_limit, a.code, NULL::tsquery;
$q$, 1);
SELECT relais_search_edit_function(
    'search_ids(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
        WHEN 'organisation ordered' THEN
            SELECT array_agg(f.record_id), array_agg(f.score) INTO ids, scores
            FROM relais_search_ordered_organisation_ids(
                p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
                p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
                p_limit, a.code, a.names) AS f;
        WHEN 'person ordered' THEN
            SELECT array_agg(f.record_id), array_agg(f.score) INTO ids, scores
            FROM relais_search_ordered_person_ids(
                p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
                p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
                p_limit, a.code, a.names) AS f;
        WHEN 'person' THEN
$q$, $q$
        WHEN 'person' THEN
$q$, 1);
SELECT relais_search_edit_function(
    'search_ids(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
    -- One user's records and one common word: their rows in order (0034).
    ordered boolean := p_kind IN ('organisation', 'person') AND NOT p_web
                       AND p_vis_user IS NOT NULL AND p_vis_team IS NULL
                       AND p_categories IS NULL AND p_city IS NULL
                       AND p_created_from IS NULL AND p_created_to IS NULL
                       AND relais_search_dense(p_kind, a.tsq);
    statement text := p_kind
        || CASE WHEN head THEN ' head' WHEN ordered THEN ' ordered' ELSE '' END;
$q$, $q$
    statement text := p_kind || CASE WHEN head THEN ' head' ELSE '' END;
$q$, 1);
DROP FUNCTION relais_search_dense(text, tsquery);
DROP FUNCTION relais_search_ordered_organisation_ids(text, boolean, integer, uuid, uuid, text[],
    text[], text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text,
    tsquery);
DROP FUNCTION relais_search_ordered_person_ids(text, boolean, integer, uuid, uuid, text[],
    text[], text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text,
    tsquery);
