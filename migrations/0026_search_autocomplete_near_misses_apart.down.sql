-- Back to one autocomplete statement with the near-miss branch (0024), the typo pass running
-- it whole.

SET LOCAL search_path = public, extensions;

-- pg_trgm's parameters are known (and may be set in a function's SET clause by a role that is
-- not a superuser) once its library is loaded in the session (as in 0014).
SELECT similarity('', '');

CREATE OR REPLACE FUNCTION autocomplete_sql(p_kind text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path = pg_catalog, public, extensions
    AS $f$
BEGIN
    CASE p_kind
    WHEN 'organisation' THEN
        RETURN format($s$
            WITH names AS (
                SELECT o.id FROM organisations o
                WHERE o.tenant_id = $11 AND o.deleted_at IS NULL
                  AND relais_search_org_name_vector(o.name) @@ $18
                  AND %1$s
                LIMIT $3),
            emails AS (
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
            (SELECT id FROM names
             WHERE $2 AND $18 IS NOT NULL
               AND (SELECT count(*) FROM starts)
                   + (SELECT count(*) FROM (SELECT FROM words LIMIT $16) w) < $16)
            UNION
            (SELECT id FROM emails WHERE length($14) >= 3 AND $14 ~ '[@.]')$s$,
            relais_search_scope_sql('o', 'owner_id'));
    WHEN 'person' THEN
        RETURN format($s$
            WITH names AS (
                SELECT p.id FROM people p
                WHERE p.tenant_id = $11 AND p.deleted_at IS NULL
                  AND relais_search_person_name_vector(p.first_name, p.last_name) @@ $18
                  AND %1$s
                LIMIT $3),
            emails AS (
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
            (SELECT id FROM names
             WHERE $2 AND $18 IS NOT NULL
               AND (SELECT count(*) FROM starts)
                   + (SELECT count(*) FROM (SELECT FROM words LIMIT $16) w) < $16)
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

-- The functions that run the statements, made again from the new text (same parameters and
-- settings as 0014 and 0022).
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
    END LOOP;
END
$do$;

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
    CASE p_kind
    WHEN 'organisation' THEN
        RETURN QUERY SELECT * FROM relais_autocomplete_organisation_ids(
            p_query, p_typos, p_cap, p_vis_user, p_vis_team, NULL, NULL, NULL, NULL, NULL,
            a.tenant, a.tsq, a.norm, a.email, a.email_like, p_limit, a.code, a.names);
    WHEN 'person' THEN
        RETURN QUERY SELECT * FROM relais_autocomplete_person_ids(
            p_query, p_typos, p_cap, p_vis_user, p_vis_team, NULL, NULL, NULL, NULL, NULL,
            a.tenant, a.tsq, a.norm, a.email, a.email_like, p_limit, a.code, a.names);
    WHEN 'mandate' THEN
        RETURN QUERY SELECT * FROM relais_autocomplete_mandate_ids(
            p_query, p_typos, p_cap, p_vis_user, p_vis_team, NULL, NULL, NULL, NULL, NULL,
            a.tenant, a.tsq, a.norm, a.email, a.email_like, p_limit, a.code, a.names);
    ELSE
        RAISE EXCEPTION 'unknown autocomplete kind %', p_kind
            USING ERRCODE = 'invalid_parameter_value';
    END CASE;
END
$$;

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
    a record := relais_search_args(p_query, false,
        p_typos AND p_kind IN ('organisation', 'person'));
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN ' || autocomplete_sql(p_kind)
        USING p_query, p_typos, p_cap, p_vis_user, p_vis_team, NULL::text[], NULL::text[],
              NULL::text, NULL::timestamptz, NULL::timestamptz, a.tenant, a.tsq, a.norm,
              a.email, a.email_like, p_limit, a.code, a.names;
    -- The vocabulary look-up of the first word the typo branch would correct.
    IF a.names IS NOT NULL THEN
        RETURN QUERY EXECUTE 'EXPLAIN ' || relais_search_words_sql()
            USING a.tenant, (SELECT w FROM unnest(string_to_array(a.norm, ' ')) AS w
                             WHERE length(w) >= 4 LIMIT 1);
    END IF;
END
$$;

DROP FUNCTION relais_autocomplete_near_organisation_ids(text, boolean, integer, uuid, uuid,
    text[], text[], text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer,
    text, tsquery);
DROP FUNCTION relais_autocomplete_near_person_ids(text, boolean, integer, uuid, uuid,
    text[], text[], text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer,
    text, tsquery);
DROP FUNCTION autocomplete_near_sql(text);
