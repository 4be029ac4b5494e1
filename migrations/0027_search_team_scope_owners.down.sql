-- Interactions' team scope back to the OR of 0007.

SET LOCAL search_path = public, extensions;

SELECT similarity('', '');

DO $do$
DECLARE
    def constant text := pg_get_functiondef('search_sql(text)'::regprocedure);
BEGIN
    EXECUTE replace(def, $q$relais_search_owners_scope_sql('i', 'author_id')$q$,
                    $q$relais_search_scope_sql('i', 'author_id')$q$);
END
$do$;

-- The candidate functions made again from their statements, with their settings.
DO $do$
DECLARE
    params constant text := 'p_query text, p_web boolean, p_cap integer, p_vis_user uuid, '
        'p_vis_team uuid, p_categories text[], p_statuses text[], p_city text, '
        'p_created_from timestamptz, p_created_to timestamptz, p_tenant uuid, '
        'p_tsquery tsquery, p_norm text, p_email text, p_email_like text, p_limit integer, '
        'p_code text, p_names tsquery';
    f record;
BEGIN
    FOR f IN
        SELECT p.proname,
               CASE WHEN p.proname LIKE 'relais\_search\_%' THEN 'TABLE (record_id uuid, score float8)'
                    ELSE 'TABLE (record_id uuid)' END AS returns,
               CASE WHEN p.proname LIKE 'relais\_search\_%'
                        THEN search_sql(substring(p.proname FROM '^relais_search_([a-z]+)_ids$'))
                    WHEN p.proname LIKE 'relais\_autocomplete\_near\_%'
                        THEN autocomplete_near_sql(
                            substring(p.proname FROM '^relais_autocomplete_near_([a-z]+)_ids$'))
                    ELSE autocomplete_sql(substring(p.proname FROM '^relais_autocomplete_([a-z]+)_ids$'))
               END AS body,
               (SELECT string_agg(format(' SET %s = %s', split_part(c, '=', 1),
                                         substr(c, strpos(c, '=') + 1)), '')
                FROM unnest(p.proconfig) AS c) AS settings
        FROM pg_proc p
        WHERE p.pronamespace = 'public'::regnamespace
          AND p.proname ~ '^relais_(search|autocomplete)_([a-z]+_)?[a-z]+_ids$'
    LOOP
        EXECUTE format('CREATE OR REPLACE FUNCTION %I(%s) RETURNS %s LANGUAGE plpgsql STABLE ROWS 50%s AS %L',
                       f.proname, params, f.returns, coalesce(f.settings, ''),
                       'BEGIN RETURN QUERY ' || f.body || '; END');
    END LOOP;
END
$do$;

DROP FUNCTION relais_search_owners_scope_sql(text, text);
