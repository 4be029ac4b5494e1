-- Candidates come ranked (issue 5, SPEC SRCH-3; docs/PERFORMANCE.md, Search).
--
-- search_ids() returned the ids of up to 100 candidates per kind; the statement of
-- relais_store::search then read each of them again through the primary key to rank them, and
-- kept the best 10. The candidate look-up has the row in hand when it matches it, so it now
-- ranks it there and returns (id, score): the caller reads only the rows it shows (10 primary
-- key look-ups instead of 100, about a fifth of an organisation's or a person's statement).
-- The caller still reads those rows through row-level security and applies the caller's scope
-- and the trash rule again; `total` is the number of candidates, which the look-up confines
-- to the same tenant, scope, trash rule and filters.
--
-- The score is unchanged: ts_rank of the text as typed (websearch syntax, weights D, C, B, A =
-- 0.05, 0.2, 0.5, 1.0: a name match outweighs any number of notes matches), half the rank of
-- the looser query the candidates were found with, and for organisations and people a tenth
-- of the name's word similarity to the normalised text.

SET LOCAL search_path = public, extensions;

-- pg_trgm's parameters are known (and may be set in a function's SET clause) once its
-- library is loaded in the session (as in 0017).
SELECT similarity('', '');

CREATE OR REPLACE FUNCTION search_sql(p_kind text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path = pg_catalog, public, extensions
    AS $f$
DECLARE
    created text := ' AND ($9 IS NULL OR %1$s.created_at >= $9) AND ($10 IS NULL OR %1$s.created_at < $10)';
    -- %1$s: the table's alias.
    score text := '(coalesce(ts_rank(''{0.05, 0.2, 0.5, 1.0}''::real[], %1$s.search_vector, '
        'websearch_to_tsquery(''relais_french'', $1)), 0) '
        '+ 0.5 * coalesce(ts_rank(''{0.05, 0.2, 0.5, 1.0}''::real[], %1$s.search_vector, $12), 0))';
    name_score text := ' + 0.1 * word_similarity($13, %1$s.search_name)';
BEGIN
    CASE p_kind
    WHEN 'organisation' THEN
        RETURN format($s$
            WITH words AS (
                SELECT o.id, %3$s::float8 AS hit_score FROM organisations o
                WHERE o.tenant_id = $11 AND o.deleted_at IS NULL AND o.search_vector @@ $12
                  AND %1$s %2$s
                  AND ($6 IS NULL OR o.category = ANY ($6))
                  AND ($8 IS NULL OR lower(o.city) = lower($8))
                LIMIT $3),
            names AS (
                SELECT o.id, %3$s::float8 AS hit_score FROM organisations o
                WHERE o.tenant_id = $11 AND o.deleted_at IS NULL
                  AND relais_search_org_name_vector(o.name) @@ $18
                  AND %1$s %2$s
                  AND ($6 IS NULL OR o.category = ANY ($6))
                  AND ($8 IS NULL OR lower(o.city) = lower($8))
                LIMIT $3)
            (SELECT id, hit_score FROM words)
            UNION
            (SELECT id, hit_score FROM names
             WHERE $18 IS NOT NULL
               AND (SELECT count(*) FROM (SELECT FROM words LIMIT $16) w) < $16)$s$,
            relais_search_scope_sql('o', 'owner_id'), format(created, 'o'),
            format(score || name_score, 'o'));
    WHEN 'person' THEN
        RETURN format($s$
            WITH words AS (
                SELECT p.id, %3$s::float8 AS hit_score FROM people p
                WHERE p.tenant_id = $11 AND p.deleted_at IS NULL AND p.search_vector @@ $12
                  AND %1$s %2$s
                LIMIT $3),
            names AS (
                SELECT p.id, %3$s::float8 AS hit_score FROM people p
                WHERE p.tenant_id = $11 AND p.deleted_at IS NULL
                  AND relais_search_person_name_vector(p.first_name, p.last_name) @@ $18
                  AND %1$s %2$s
                LIMIT $3)
            (SELECT id, hit_score FROM words)
            UNION
            (SELECT id, hit_score FROM names
             WHERE $18 IS NOT NULL
               AND (SELECT count(*) FROM (SELECT FROM words LIMIT $16) w) < $16)$s$,
            relais_search_scope_sql('p', 'owner_id'), format(created, 'p'),
            format(score || name_score, 'p'));
    WHEN 'mandate' THEN
        RETURN format($s$
            SELECT m.id, %3$s::float8 AS hit_score FROM mandates m
            WHERE m.tenant_id = $11 AND m.deleted_at IS NULL AND m.search_vector @@ $12
              AND %1$s %2$s
              AND ($7 IS NULL OR m.status = ANY ($7))
            LIMIT $3$s$,
            relais_search_scope_sql('m', 'owner_id'), format(created, 'm'), format(score, 'm'));
    WHEN 'interaction' THEN
        RETURN format($s$
            SELECT i.id, %3$s::float8 AS hit_score FROM interactions i
            WHERE i.tenant_id = $11 AND i.deleted_at IS NULL AND i.search_vector @@ $12
              AND %1$s %2$s
            LIMIT $3$s$,
            relais_search_scope_sql('i', 'author_id'), format(created, 'i'), format(score, 'i'));
    ELSE
        RAISE EXCEPTION 'unknown search kind %', p_kind USING ERRCODE = 'invalid_parameter_value';
    END CASE;
END
$f$;

-- The per-kind runners of migration 0014, now returning the score too.
DROP FUNCTION search_ids(text, text, boolean, integer, integer, uuid, uuid, text[], text[],
                         text, timestamptz, timestamptz);
DO $do$
DECLARE
    k text;
    params constant text := 'p_query text, p_web boolean, p_cap integer, p_vis_user uuid, '
        'p_vis_team uuid, p_categories text[], p_statuses text[], p_city text, '
        'p_created_from timestamptz, p_created_to timestamptz, p_tenant uuid, '
        'p_tsquery tsquery, p_norm text, p_email text, p_email_like text, p_limit integer, '
        'p_code text, p_names tsquery';
    create_fn constant text := $f$
        CREATE FUNCTION %I(%s) RETURNS TABLE (record_id uuid, score float8)
            LANGUAGE plpgsql STABLE ROWS 50
            SET search_path = pg_catalog, public, extensions
            SET plan_cache_mode = force_custom_plan
            SET jit = off
            AS %L$f$;
BEGIN
    FOREACH k IN ARRAY ARRAY['organisation', 'person', 'mandate', 'interaction'] LOOP
        EXECUTE format('DROP FUNCTION %I(%s)', 'relais_search_' || k || '_ids', params);
        EXECUTE format(create_fn, 'relais_search_' || k || '_ids', params,
                       'BEGIN RETURN QUERY ' || search_sql(k) || '; END');
    END LOOP;
END
$do$;

-- As in 0017 (the words as typed first; corrected only when they match fewer than a page),
-- with the scores.
CREATE FUNCTION search_ids(
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
