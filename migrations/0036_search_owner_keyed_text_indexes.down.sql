-- Back to 0035: own and team scopes through the owner-led text indexes (0023).
SET LOCAL search_path = public, extensions;

-- pg_trgm loaded, so that the functions made again keep their pg_trgm settings.
SELECT similarity('', '');

SELECT relais_search_edit_function(
    'search_plan(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
    PERFORM set_config('enable_bitmapscan', bitmaps, true);
    PERFORM set_config('enable_seqscan', seqscans, true);
    PERFORM set_config('enable_indexscan', indexscans, true);
    PERFORM set_config('max_parallel_workers_per_gather', workers, true);
$q$, $q$
    PERFORM set_config('enable_bitmapscan', bitmaps, true);
$q$, 1);
SELECT relais_search_edit_function(
    'search_plan(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
    owned boolean := p_kind IN ('organisation', 'person') AND NOT p_web
                     AND p_vis_user IS NOT NULL AND p_vis_team IS NULL AND NOT ordered;
    keyed boolean := p_kind IN ('organisation', 'person') AND NOT p_web AND p_vis_user IS NULL
                     AND has_table_privilege('public.search_word_frequencies', 'SELECT')
                     AND relais_search_small_tenant(p_kind, a.tenant, a.tsq);
    bitmaps constant text := current_setting('enable_bitmapscan');
    seqscans constant text := current_setting('enable_seqscan');
    indexscans constant text := current_setting('enable_indexscan');
    workers constant text := current_setting('max_parallel_workers_per_gather');
BEGIN
    IF ordered THEN
        PERFORM set_config('enable_bitmapscan', 'off', true);
    END IF;
    IF owned OR keyed THEN
        PERFORM set_config('enable_seqscan', 'off', true);
        PERFORM set_config('enable_indexscan', 'off', true);
        PERFORM set_config('max_parallel_workers_per_gather', '0', true);
    END IF;
    RETURN QUERY EXECUTE 'EXPLAIN '
        || CASE WHEN owned THEN search_owned_sql(p_kind, false)
                WHEN keyed THEN search_owned_sql(p_kind, true)
                WHEN head THEN search_head_sql(p_kind) ELSE search_sql(p_kind) END
$q$, $q$
    bitmaps constant text := current_setting('enable_bitmapscan');
BEGIN
    IF ordered THEN
        PERFORM set_config('enable_bitmapscan', 'off', true);
    END IF;
    RETURN QUERY EXECUTE 'EXPLAIN '
        || CASE WHEN head THEN search_head_sql(p_kind) ELSE search_sql(p_kind) END
$q$, 1);
SELECT relais_search_edit_function(
    'search_ids(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
        WHEN 'organisation owned' THEN
            SELECT array_agg(f.record_id), array_agg(f.score) INTO ids, scores
            FROM relais_search_owned_organisation_ids(
                p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
                p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
                p_limit, a.code, a.names) AS f;
        WHEN 'person owned' THEN
            SELECT array_agg(f.record_id), array_agg(f.score) INTO ids, scores
            FROM relais_search_owned_person_ids(
                p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
                p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
                p_limit, a.code, a.names) AS f;
        WHEN 'organisation tenant' THEN
            SELECT array_agg(f.record_id), array_agg(f.score) INTO ids, scores
            FROM relais_search_tenant_organisation_ids(
                p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
                p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
                p_limit, a.code, a.names) AS f;
        WHEN 'person tenant' THEN
            SELECT array_agg(f.record_id), array_agg(f.score) INTO ids, scores
            FROM relais_search_tenant_person_ids(
                p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
                p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
                p_limit, a.code, a.names) AS f;
        WHEN 'person ordered' THEN
$q$, $q$
        WHEN 'person ordered' THEN
$q$, 1);
SELECT relais_search_edit_function(
    'search_ids(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
    -- An own scope: the owner-keyed index (0036).
    owned boolean := p_kind IN ('organisation', 'person') AND NOT p_web
                     AND p_vis_user IS NOT NULL AND p_vis_team IS NULL AND NOT ordered;
    -- A small tenant's whole records: the same index under every owner's key (0036).
    keyed boolean := p_kind IN ('organisation', 'person') AND NOT p_web AND p_vis_user IS NULL
                     AND relais_search_small_tenant(p_kind, a.tenant, a.tsq);
    statement text := p_kind
        || CASE WHEN ordered THEN ' ordered' WHEN owned THEN ' owned' WHEN keyed THEN ' tenant'
                WHEN head THEN ' head' ELSE '' END;
$q$, $q$
    statement text := p_kind
        || CASE WHEN head THEN ' head' WHEN ordered THEN ' ordered' ELSE '' END;
$q$, 1);
SELECT relais_search_edit_function(
    'relais_search_rebuild_candidates()',
    $q$
        ELSIF f.proname LIKE 'relais\_search\_owned\_%' THEN
            body := search_owned_sql(kind, false);
        ELSIF f.proname LIKE 'relais\_search\_tenant\_%' THEN
            body := search_owned_sql(kind, true);
        ELSIF f.proname LIKE 'relais\_search\_head\_%' THEN
$q$, $q$
        ELSIF f.proname LIKE 'relais\_search\_head\_%' THEN
$q$, 1);

DROP FUNCTION relais_search_owned_organisation_ids(text, boolean, integer, uuid, uuid, text[],
    text[], text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text,
    tsquery);
DROP FUNCTION relais_search_owned_person_ids(text, boolean, integer, uuid, uuid, text[], text[],
    text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text, tsquery);
DROP FUNCTION relais_search_tenant_organisation_ids(text, boolean, integer, uuid, uuid, text[],
    text[], text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text,
    tsquery);
DROP FUNCTION relais_search_tenant_person_ids(text, boolean, integer, uuid, uuid, text[], text[],
    text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text, tsquery);
DROP FUNCTION search_owned_sql(text, boolean);
DROP FUNCTION relais_search_small_tenant(text, uuid, tsquery);
DROP INDEX organisations_search_owner_idx;
DROP INDEX people_search_owner_idx;
DROP FUNCTION relais_search_owner_query(uuid[], tsquery);
DROP FUNCTION relais_search_owner_vector(uuid, tsvector);
DROP FUNCTION relais_search_owner_key(uuid);
