-- Autocomplete's near misses on their own (issue 5, SPEC SRCH-2…3; docs/PERFORMANCE.md,
-- Search).
--
-- The second pass of autocomplete (typos: names whose words are close to the text's, asked
-- only when the first pass found fewer suggestions than a page) ran the whole statement again,
-- names starting with the text and later words included, only to count them before it looked
-- for near misses; the caller then threw the first pass away. For a user who owns 1 record in
-- 50, "Lefebre" in people spent 6 ms of its 14 ms on that repetition (the later words' trigram
-- look-up ran to be counted even when the vocabulary showed it could not match). The passes
-- are now apart: autocomplete_ids(…, p_typos => false) runs names starting with the text,
-- later words and emails; autocomplete_ids(…, p_typos => true) returns the near misses alone
-- (organisations and people; nothing for other kinds), which the caller adds to the first
-- pass's suggestions. The first statement no longer carries the near-miss branch, so it also
-- plans faster. The suggestions are the same.

SET LOCAL search_path = public, extensions;

-- pg_trgm's parameters are known (and may be set in a function's SET clause by a role that is
-- not a superuser) once its library is loaded in the session (as in 0014).
SELECT similarity('', '');

-- 0024's first-pass statements without the near-miss branch (`names`).
CREATE OR REPLACE FUNCTION autocomplete_sql(p_kind text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path = pg_catalog, public, extensions
    AS $f$
BEGIN
    CASE p_kind
    WHEN 'organisation' THEN
        RETURN format($s$
            WITH emails AS (
                SELECT o.id FROM organisations o
                WHERE o.tenant_id = $11 AND o.deleted_at IS NULL AND lower(o.email) LIKE $15
                  AND %1$s
                LIMIT $16),
            starts AS MATERIALIZED (
                SELECT o.id FROM organisations o
                WHERE o.tenant_id = $11 AND o.deleted_at IS NULL
                  AND (o.search_name COLLATE "C") >= $13
                  AND (o.search_name COLLATE "C") < $13 || chr(1114111)
                  AND %1$s
                ORDER BY (o.search_name COLLATE "C") LIMIT $16),
            words AS (
                SELECT o.id FROM organisations o
                WHERE o.tenant_id = $11 AND o.deleted_at IS NULL
                  AND CASE WHEN strpos($13, ' ') > 0
                      THEN relais_search_name_pairs(o.search_name)
                               @@ relais_search_name_pairs_query($13)
                           AND strpos(o.search_name, ' ' || $13) > 0
                      ELSE o.search_name LIKE '%% ' || $13 || '%%' END
                  AND %1$s
                LIMIT $3)
            (SELECT id FROM starts)
            UNION
            (SELECT id FROM words
             WHERE length($13) >= 2 AND (SELECT count(*) FROM starts) < $16
               AND (SELECT relais_search_word_starts($13)))
            UNION
            (SELECT id FROM emails WHERE length($14) >= 3 AND $14 ~ '[@.]')$s$,
            relais_search_scope_sql('o', 'owner_id'));
    WHEN 'person' THEN
        RETURN format($s$
            WITH emails AS (
                SELECT p.id FROM people p
                WHERE p.tenant_id = $11 AND p.deleted_at IS NULL AND p.email LIKE $15
                  AND %1$s
                LIMIT $16),
            starts AS MATERIALIZED (
                (SELECT p.id FROM people p
                 WHERE p.tenant_id = $11 AND p.deleted_at IS NULL
                   AND (p.search_name COLLATE "C") >= $13
                   AND (p.search_name COLLATE "C") < $13 || chr(1114111)
                   AND %1$s
                 ORDER BY (p.search_name COLLATE "C") LIMIT $16)
                UNION
                (SELECT p.id FROM people p
                 WHERE p.tenant_id = $11 AND p.deleted_at IS NULL
                   AND (relais_search_norm(p.last_name) COLLATE "C") >= $13
                   AND (relais_search_norm(p.last_name) COLLATE "C") < $13 || chr(1114111)
                   AND %1$s
                 ORDER BY (relais_search_norm(p.last_name) COLLATE "C") LIMIT $16)),
            words AS (
                SELECT p.id FROM people p
                WHERE p.tenant_id = $11 AND p.deleted_at IS NULL
                  AND CASE WHEN strpos($13, ' ') > 0
                      THEN relais_search_name_pairs(p.search_name)
                               @@ relais_search_name_pairs_query($13)
                           AND strpos(p.search_name, ' ' || $13) > 0
                      ELSE p.search_name LIKE '%% ' || $13 || '%%' END
                  AND %1$s
                LIMIT $3)
            (SELECT id FROM starts)
            UNION
            (SELECT id FROM words
             WHERE length($13) >= 2 AND (SELECT count(*) FROM starts) < $16
               AND (SELECT relais_search_word_starts($13)))
            UNION
            (SELECT id FROM emails WHERE length($14) >= 3 AND $14 ~ '[@.]')$s$,
            relais_search_scope_sql('p', 'owner_id'));
    WHEN 'mandate' THEN
        RETURN format($s$
            SELECT m.id FROM mandates m
            WHERE m.tenant_id = $11 AND m.deleted_at IS NULL
              AND (m.number COLLATE "C") >= $17
              AND (m.number COLLATE "C") < $17 || chr(1114111)
              AND %1$s
            ORDER BY (m.number COLLATE "C") LIMIT $16$s$,
            relais_search_scope_sql('m', 'owner_id'));
    ELSE
        RAISE EXCEPTION 'unknown autocomplete kind %', p_kind
            USING ERRCODE = 'invalid_parameter_value';
    END CASE;
END
$f$;

-- The near misses: names whose words match the corrected query ($18, relais_search_name_query()),
-- through the names' full-text indexes, within the caller's scope; the same parameters.
CREATE FUNCTION autocomplete_near_sql(p_kind text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path = pg_catalog, public, extensions
    AS $f$
BEGIN
    CASE p_kind
    WHEN 'organisation' THEN
        RETURN format($s$
            SELECT o.id FROM organisations o
            WHERE o.tenant_id = $11 AND o.deleted_at IS NULL
              AND relais_search_org_name_vector(o.name) @@ $18
              AND %1$s
            LIMIT $3$s$,
            relais_search_scope_sql('o', 'owner_id'));
    WHEN 'person' THEN
        RETURN format($s$
            SELECT p.id FROM people p
            WHERE p.tenant_id = $11 AND p.deleted_at IS NULL
              AND relais_search_person_name_vector(p.first_name, p.last_name) @@ $18
              AND %1$s
            LIMIT $3$s$,
            relais_search_scope_sql('p', 'owner_id'));
    ELSE
        RAISE EXCEPTION 'no near misses for kind %', p_kind
            USING ERRCODE = 'invalid_parameter_value';
    END CASE;
END
$f$;

-- The functions that run them (parameters and settings as in 0014, 0022 and 0024).
DO $do$
DECLARE
    k text;
    params constant text := 'p_query text, p_web boolean, p_cap integer, p_vis_user uuid, '
        'p_vis_team uuid, p_categories text[], p_statuses text[], p_city text, '
        'p_created_from timestamptz, p_created_to timestamptz, p_tenant uuid, '
        'p_tsquery tsquery, p_norm text, p_email text, p_email_like text, p_limit integer, '
        'p_code text, p_names tsquery';
    create_fn constant text := $f$
        CREATE OR REPLACE FUNCTION %I(%s) RETURNS TABLE (record_id uuid)
            LANGUAGE plpgsql STABLE ROWS 50
            SET search_path = pg_catalog, public, extensions
            SET plan_cache_mode = force_custom_plan
            SET jit = off
            SET random_page_cost = 1.1
            AS %L$f$;
BEGIN
    FOREACH k IN ARRAY ARRAY['organisation', 'person'] LOOP
        EXECUTE format(create_fn, 'relais_autocomplete_' || k || '_ids', params,
                       'BEGIN RETURN QUERY ' || autocomplete_sql(k) || '; END');
        EXECUTE format(create_fn, 'relais_autocomplete_near_' || k || '_ids', params,
                       'BEGIN RETURN QUERY ' || autocomplete_near_sql(k) || '; END');
    END LOOP;
END
$do$;

-- As in 0014, the typo pass returning the near misses alone.
CREATE OR REPLACE FUNCTION autocomplete_ids(
    p_kind text, p_query text, p_typos boolean, p_limit integer, p_cap integer,
    p_vis_user uuid, p_vis_team uuid)
    RETURNS TABLE (record_id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 50
    SET search_path = pg_catalog, public, extensions
    SET pg_trgm.word_similarity_threshold = 0.5
    AS $$
DECLARE
    a record := relais_search_args(p_query, false,
        p_typos AND p_kind IN ('organisation', 'person'));
BEGIN
    IF a.norm = '' AND p_kind <> 'mandate' OR a.code = '' THEN
        RETURN;
    END IF;
    IF p_typos AND p_kind IN ('organisation', 'person', 'mandate') THEN
        IF a.names IS NULL THEN
            RETURN;
        END IF;
        IF p_kind = 'organisation' THEN
            RETURN QUERY SELECT * FROM relais_autocomplete_near_organisation_ids(
                p_query, true, p_cap, p_vis_user, p_vis_team, NULL, NULL, NULL, NULL, NULL,
                a.tenant, a.tsq, a.norm, a.email, a.email_like, p_limit, a.code, a.names);
        ELSIF p_kind = 'person' THEN
            RETURN QUERY SELECT * FROM relais_autocomplete_near_person_ids(
                p_query, true, p_cap, p_vis_user, p_vis_team, NULL, NULL, NULL, NULL, NULL,
                a.tenant, a.tsq, a.norm, a.email, a.email_like, p_limit, a.code, a.names);
        END IF;
        RETURN;
    END IF;
    CASE p_kind
    WHEN 'organisation' THEN
        RETURN QUERY SELECT * FROM relais_autocomplete_organisation_ids(
            p_query, false, p_cap, p_vis_user, p_vis_team, NULL, NULL, NULL, NULL, NULL,
            a.tenant, a.tsq, a.norm, a.email, a.email_like, p_limit, a.code, NULL);
    WHEN 'person' THEN
        RETURN QUERY SELECT * FROM relais_autocomplete_person_ids(
            p_query, false, p_cap, p_vis_user, p_vis_team, NULL, NULL, NULL, NULL, NULL,
            a.tenant, a.tsq, a.norm, a.email, a.email_like, p_limit, a.code, NULL);
    WHEN 'mandate' THEN
        RETURN QUERY SELECT * FROM relais_autocomplete_mandate_ids(
            p_query, false, p_cap, p_vis_user, p_vis_team, NULL, NULL, NULL, NULL, NULL,
            a.tenant, a.tsq, a.norm, a.email, a.email_like, p_limit, a.code, NULL);
    ELSE
        RAISE EXCEPTION 'unknown autocomplete kind %', p_kind
            USING ERRCODE = 'invalid_parameter_value';
    END CASE;
END
$$;

-- As in 0014: EXPLAIN of what autocomplete_ids() runs for the same arguments.
CREATE OR REPLACE FUNCTION autocomplete_plan(
    p_kind text, p_query text, p_typos boolean, p_limit integer, p_cap integer,
    p_vis_user uuid, p_vis_team uuid)
    RETURNS SETOF text
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, extensions
    SET pg_trgm.word_similarity_threshold = 0.5
    SET random_page_cost = 1.1
    AS $$
DECLARE
    near constant boolean := p_typos AND p_kind IN ('organisation', 'person');
    a record := relais_search_args(p_query, false, near);
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN '
            || CASE WHEN near THEN autocomplete_near_sql(p_kind) ELSE autocomplete_sql(p_kind) END
        USING p_query, near, p_cap, p_vis_user, p_vis_team, NULL::text[], NULL::text[],
              NULL::text, NULL::timestamptz, NULL::timestamptz, a.tenant, a.tsq, a.norm,
              a.email, a.email_like, p_limit, a.code, a.names;
    -- The vocabulary look-up of the first word the near misses correct.
    IF a.names IS NOT NULL THEN
        RETURN QUERY EXECUTE 'EXPLAIN ' || relais_search_words_sql()
            USING a.tenant, (SELECT w FROM unnest(string_to_array(a.norm, ' ')) AS w
                             WHERE length(w) >= 4 LIMIT 1);
    END IF;
END
$$;
