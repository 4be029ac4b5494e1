-- Back to one autocomplete statement with the near-miss branch (0014, 0024), the typo pass
-- running it whole.

SET LOCAL search_path = public, extensions;

SELECT similarity('', '');

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

-- The near-miss branch back in the first-pass statements.
DO $do$
DECLARE
    k record;
BEGIN
    FOR k IN SELECT * FROM (VALUES
        ('o', 'organisations', 'relais_search_org_name_vector(o.name)'),
        ('p', 'people', 'relais_search_person_name_vector(p.first_name, p.last_name)')) AS v(a, tab, vec)
    LOOP
        PERFORM relais_search_edit_function('autocomplete_sql(text)', format($old$
            WITH emails AS (
                SELECT %1$s.id FROM %2$s %1$s$old$, k.a, k.tab), format($new$
            WITH names AS (
                SELECT %1$s.id FROM %2$s %1$s
                WHERE %1$s.tenant_id = $11 AND %1$s.deleted_at IS NULL
                  AND %3$s @@ $18
                  AND %%1$s
                LIMIT $3),
            emails AS (
                SELECT %1$s.id FROM %2$s %1$s$new$, k.a, k.tab, k.vec), 1);
    END LOOP;
    PERFORM relais_search_edit_function('autocomplete_sql(text)', $old$
            UNION
            (SELECT id FROM emails$old$, $new$
            UNION
            (SELECT id FROM names
             WHERE $2 AND $18 IS NOT NULL
               AND (SELECT count(*) FROM starts)
                   + (SELECT count(*) FROM (SELECT FROM words LIMIT $16) w) < $16)
            UNION
            (SELECT id FROM emails$new$, 2);
END
$do$;
SELECT relais_search_rebuild_candidates();
