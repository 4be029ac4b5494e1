-- An own scope reads its words from an index keyed by owner (issue 5, SPEC SRCH-3;
-- docs/PERFORMANCE.md, Search).
--
-- The owner-led text indexes (0023: `gin (owner_id, search_vector)`, btree_gin) answer an own
-- scope by intersecting inside the index, but btree_gin matches even an equality as a range:
-- GIN first gathers every entry of the owner (40,000 people for one user of the benchmark)
-- into a bitmap, then intersects it with the word's. The new indexes key every word of a
-- record by its owner instead (`relais_search_owner_vector()`: the owner's key, a dot, the
-- lexeme), so that an owner's word is one entry of the index, as long as that owner's matches.
-- Per look-up, in turns with the owner-led index (one user, medians): people's "Horizon
-- Capital" 5.4 → 2.0 ms, "élodie" 4.4 → 2.0, "Dupont" 2.9 → 1.8; organisations' "Horizon
-- Capital" 6.0 → 2.1, "société générale" 3.8 → 1.6. A team's scope keeps the owner-led and
-- eighth-first look-ups: under ten members' keys a word's entries cost as much as before, and
-- a dense one far more ("directeur" 4.2 → 44.9 ms).
--
-- relais_search_owned_<kind>_ids (organisations and people) run search_owned_sql(): the
-- words through the keyed index, with the tenant, the plain match and the owner as filters
-- only (`IS TRUE`, out of the indexes' reach), and sequential and plain index scans and
-- parallel workers off (a worker's start costs more than the look-up), so that the keyed index
-- is the one read. search_ids() takes them for an own scope without web-search syntax, except
-- for a single dense word, which keeps reading the caller's rows in order (0034).
-- search_plan() shows what they run.
--
-- A small tenant's whole records take the same index (relais_search_tenant_<kind>_ids): its
-- words under every user's key and the tenant's (records without an owner are keyed by the
-- tenant), so that its look-ups no longer read a large tenant's matches. Only for a tenant
-- that does not hold half of the table's rows (0035's copied shares), words no denser than
-- the eighth-first bound and at most 100 users (relais_search_small_tenant()); a dominant
-- tenant's matches are most of the text index's anyway.
--
-- The key is the first 12 hex digits of the md5 of the owner's id: two owners sharing one
-- (one chance in 2^48 per pair) only read each other's entries, which the owner filter drops.

SET LOCAL search_path = public, extensions;

-- pg_trgm loaded, so that the functions made again keep their pg_trgm settings.
SELECT similarity('', '');

CREATE FUNCTION relais_search_owner_key(p_owner uuid) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN left(md5(p_owner::text), 12);

-- A record's words keyed by its owner, without positions or weights (the index's only use).
CREATE FUNCTION relais_search_owner_vector(p_owner uuid, p_vector tsvector) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN p_owner IS NULL OR p_vector IS NULL OR length(p_vector) = 0
                THEN ''::tsvector
                ELSE array_to_tsvector(string_to_array(
                         relais_search_owner_key(p_owner) || '.'
                         || array_to_string(tsvector_to_array(p_vector),
                                            chr(1) || relais_search_owner_key(p_owner) || '.'),
                         chr(1))) END;

-- A query's words under each owner's key, the owners' queries joined by `|`: what the keyed
-- index answers for those owners' records.
CREATE FUNCTION relais_search_owner_query(p_owners uuid[], p_query tsquery) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN (SELECT string_agg('(' || regexp_replace(p_query::text, '''((?:[^'']|'''')*)''',
                                                    '''' || relais_search_owner_key(o) || '.\1''',
                                                    'g') || ')', ' | ')::tsquery
            FROM unnest(p_owners) AS o
            WHERE o IS NOT NULL);

SET LOCAL maintenance_work_mem = '1GB';
CREATE INDEX organisations_search_owner_idx ON organisations
    USING gin (relais_search_owner_vector(coalesce(owner_id, tenant_id), search_vector))
    WHERE deleted_at IS NULL;
CREATE INDEX people_search_owner_idx ON people
    USING gin (relais_search_owner_vector(coalesce(owner_id, tenant_id), search_vector))
    WHERE deleted_at IS NULL;

-- Whether a whole-tenant search reads the keyed index: a tenant that does not hold half of
-- the kind's rows (relais_search_dominant, 0035: a dominant tenant's matches are most of the
-- text index's anyway), words no denser than the eighth-first bound (denser ones read the
-- tenant's rows in order until a page matches), and at most 100 users (one key each in the
-- query).
CREATE FUNCTION relais_search_small_tenant(p_kind text, p_tenant uuid, p_tsq tsquery)
    RETURNS boolean
    LANGUAGE sql STABLE
    -- No SET clause: every name is qualified.
    AS $$
    SELECT p_tenant IS NOT NULL AND p_tsq IS NOT NULL
           AND NOT public.relais_search_dominant(p_kind, p_tenant)
           AND public.relais_search_share(p_kind, p_tsq) <= 0.025
           AND (SELECT count(*) FROM public.users u WHERE u.tenant_id = p_tenant) <= 100
$$;
REVOKE ALL ON FUNCTION relais_search_small_tenant(text, uuid, tsquery) FROM PUBLIC;

-- The candidate statement of an own scope (`p_tenant` false) or of a whole small tenant
-- (`p_tenant`: every user's key and the tenant's, which keys the records without an owner),
-- organisations and people (the arguments of search_sql()).
CREATE FUNCTION search_owned_sql(p_kind text, p_tenant boolean) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path = pg_catalog, public, extensions
    AS $$
DECLARE
    owners constant text := CASE WHEN p_tenant
        THEN 'ARRAY(SELECT u.id FROM users u WHERE u.tenant_id = $11) || $11'
        ELSE 'ARRAY[$4]' END;
    -- %1$s: the table's alias.
    score constant text := '(coalesce(ts_rank(''{0.05, 0.2, 0.5, 1.0}''::real[], %1$s.search_vector, '
        '(SELECT websearch_to_tsquery(''relais_french'', $1))), 0) '
        '+ 0.5 * coalesce(ts_rank(''{0.05, 0.2, 0.5, 1.0}''::real[], %1$s.search_vector, $12), 0)) '
        '+ 0.1 * word_similarity($13, %1$s.search_name)';
    common constant text := $s$(%1$s.tenant_id = $11) IS TRUE AND %1$s.deleted_at IS NULL
                  AND relais_search_owner_vector(coalesce(%1$s.owner_id, %1$s.tenant_id),
                                                 %1$s.search_vector)
                      @@ relais_search_owner_query(%2$s, $12)
                  AND (%1$s.search_vector @@ $12) IS TRUE%3$s
                  AND ($9 IS NULL OR %1$s.created_at >= $9) AND ($10 IS NULL OR %1$s.created_at < $10)$s$;
    own constant text := CASE WHEN p_tenant THEN ''
        ELSE E'\n                  AND (%1$s.owner_id = $4) IS TRUE' END;
BEGIN
    CASE p_kind
    WHEN 'organisation' THEN
        RETURN format($s$
            SELECT o.id, %1$s::float8 AS hit_score FROM organisations o
            WHERE %2$s
              AND ($6 IS NULL OR o.category = ANY ($6))
              AND ($8 IS NULL OR lower(o.city) = lower($8))
            LIMIT $3$s$, format(score, 'o'), format(common, 'o', owners, format(own, 'o')));
    WHEN 'person' THEN
        RETURN format($s$
            SELECT p.id, %1$s::float8 AS hit_score FROM people p
            WHERE %2$s
            LIMIT $3$s$, format(score, 'p'), format(common, 'p', owners, format(own, 'p')));
    ELSE
        RAISE EXCEPTION 'no owner-keyed search for kind %', p_kind
            USING ERRCODE = 'invalid_parameter_value';
    END CASE;
END
$$;
REVOKE ALL ON FUNCTION search_owned_sql(text, boolean) FROM PUBLIC;

SELECT relais_search_make_candidate(
           'relais_search_' || s || '_' || k || '_ids',
           ('relais_search_' || k || '_ids(text, boolean, integer, uuid, uuid, text[], text[], '
            'text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text, '
            'tsquery)')::regprocedure,
           search_owned_sql(k, s = 'tenant'))
FROM unnest(ARRAY['organisation', 'person']) AS k, unnest(ARRAY['owned', 'tenant']) AS s;
DO $do$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
             WHERE p.pronamespace = 'public'::regnamespace
               AND p.proname ~ '^relais_search_(owned|tenant)_(organisation|person)_ids$' LOOP
        EXECUTE format('ALTER FUNCTION %s SET enable_seqscan = off SET enable_indexscan = off '
                       'SET max_parallel_workers_per_gather = 0', f);
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$do$;

-- relais_search_rebuild_candidates(): the owned functions from their own statement.
SELECT relais_search_edit_function(
    'relais_search_rebuild_candidates()',
    $q$
        ELSIF f.proname LIKE 'relais\_search\_head\_%' THEN
$q$, $q$
        ELSIF f.proname LIKE 'relais\_search\_owned\_%' THEN
            body := search_owned_sql(kind, false);
        ELSIF f.proname LIKE 'relais\_search\_tenant\_%' THEN
            body := search_owned_sql(kind, true);
        ELSIF f.proname LIKE 'relais\_search\_head\_%' THEN
$q$, 1);

-- search_ids(): own and team scopes through the keyed index.
SELECT relais_search_edit_function(
    'search_ids(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
    statement text := p_kind
        || CASE WHEN head THEN ' head' WHEN ordered THEN ' ordered' ELSE '' END;
$q$, $q$
    -- An own scope: the owner-keyed index (0036).
    owned boolean := p_kind IN ('organisation', 'person') AND NOT p_web
                     AND p_vis_user IS NOT NULL AND p_vis_team IS NULL AND NOT ordered;
    -- A small tenant's whole records: the same index under every owner's key (0036).
    keyed boolean := p_kind IN ('organisation', 'person') AND NOT p_web AND p_vis_user IS NULL
                     AND relais_search_small_tenant(p_kind, a.tenant, a.tsq);
    statement text := p_kind
        || CASE WHEN ordered THEN ' ordered' WHEN owned THEN ' owned' WHEN keyed THEN ' tenant'
                WHEN head THEN ' head' ELSE '' END;
$q$, 1);
SELECT relais_search_edit_function(
    'search_ids(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
        WHEN 'person ordered' THEN
$q$, $q$
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
$q$, 1);

-- search_plan(): the same choice, shown with the owned statement's settings.
SELECT relais_search_edit_function(
    'search_plan(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
    bitmaps constant text := current_setting('enable_bitmapscan');
BEGIN
    IF ordered THEN
        PERFORM set_config('enable_bitmapscan', 'off', true);
    END IF;
    RETURN QUERY EXECUTE 'EXPLAIN '
        || CASE WHEN head THEN search_head_sql(p_kind) ELSE search_sql(p_kind) END
$q$, $q$
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
$q$, 1);
SELECT relais_search_edit_function(
    'search_plan(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
    PERFORM set_config('enable_bitmapscan', bitmaps, true);
$q$, $q$
    PERFORM set_config('enable_bitmapscan', bitmaps, true);
    PERFORM set_config('enable_seqscan', seqscans, true);
    PERFORM set_config('enable_indexscan', indexscans, true);
    PERFORM set_config('max_parallel_workers_per_gather', workers, true);
$q$, 1);

