-- Back to 0014's word branch (trigram LIKE).

SET LOCAL search_path = public, extensions;

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
                  AND o.search_name LIKE '%% ' || $13 || '%%'
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
                  AND p.search_name LIKE '%% ' || $13 || '%%'
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
DROP STATISTICS organisations_name_pairs_stats, people_name_pairs_stats;
DROP INDEX organisations_name_pairs_idx;
DROP INDEX people_name_pairs_idx;
DROP FUNCTION relais_search_name_pairs_query(text);
DROP FUNCTION relais_search_name_pairs(text);
