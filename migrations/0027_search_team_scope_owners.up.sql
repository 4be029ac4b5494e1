-- Interactions in a team scope are read through their authors (issue 5, SPEC SRCH-3;
-- docs/PERFORMANCE.md, Search).
--
-- A user whose scope is "team" sees their own records and those of their team's members. The
-- candidate statements say so as `owner = user OR owner IN (SELECT the team's users)`, an OR
-- with a subquery that PostgreSQL checks row by row. For interactions and a common word, the
-- planner then walks the tenant's interactions in the order of the authors' index, expecting the
-- team's to turn up evenly; they come grouped by author, and "gestion" read 40,000 rows before
-- 100 of the team's matched (50 ms). For interactions the team's authors are now one array,
-- computed once per statement (`author = ANY (ARRAY(SELECT the team's users) || user)`), which
-- the authors' index takes as its condition: the same look-up reads the team's rows only
-- (2 ms). Organisations, people and mandates keep the OR: measured with the array, their typo
-- look-ups intersected the names' bitmap with a bitmap of the team's 400,000 records (search
-- typos 8.7 → 17.6 ms at p50, autocomplete typos 10 → 34 ms), where a filter on the rows is
-- cheaper. An own scope (no team) is `author = user` as before; the rows each scope sees are
-- unchanged.

SET LOCAL search_path = public, extensions;

-- pg_trgm's parameters are known (and may be set in a function's SET clause by a role that is
-- not a superuser) once its library is loaded in the session (as in 0014).
SELECT similarity('', '');

-- The caller's scope as an array of owners for a team ($4 the user, $5 the team), the rest as
-- in relais_search_scope_sql().
CREATE FUNCTION relais_search_owners_scope_sql(t text, owner_col text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN format('($4 IS NULL OR ($5 IS NULL AND %1$s.%2$s = $4) OR ($5 IS NOT NULL AND %1$s.%2$s = ANY (
                       ARRAY(SELECT u.id FROM users u WHERE u.tenant_id = $11 AND u.team_id = $5)
                       || $4)))',
                  t, owner_col);

-- search_sql() as it is (0020), its interactions' scope replaced.
DO $do$
DECLARE
    def constant text := pg_get_functiondef('search_sql(text)'::regprocedure);
    old constant text := $q$relais_search_scope_sql('i', 'author_id')$q$;
BEGIN
    IF array_length(string_to_array(def, old), 1) <> 2 THEN
        RAISE EXCEPTION 'search_sql() does not hold the interactions'' scope once';
    END IF;
    EXECUTE replace(def, old, $q$relais_search_owners_scope_sql('i', 'author_id')$q$);
END
$do$;

-- Every candidate function made again from its statement, with the settings it has now
-- (0014, 0020–0022, 0024, 0026).
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
