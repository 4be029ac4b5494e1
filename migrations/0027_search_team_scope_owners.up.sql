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

-- The caller's scope as an array of owners for a team ($4 the user, $5 the team), the rest as
-- in relais_search_scope_sql().
CREATE FUNCTION relais_search_owners_scope_sql(t text, owner_col text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN format('($4 IS NULL OR ($5 IS NULL AND %1$s.%2$s = $4) OR ($5 IS NOT NULL AND %1$s.%2$s = ANY (
                       ARRAY(SELECT u.id FROM users u WHERE u.tenant_id = $11 AND u.team_id = $5)
                       || $4)))',
                  t, owner_col);

-- search_sql() (0020) with the interactions' scope so, and the functions made again from it.
SELECT relais_search_edit_function('search_sql(text)',
                                   $q$relais_search_scope_sql('i', 'author_id')$q$,
                                   $q$relais_search_owners_scope_sql('i', 'author_id')$q$, 1);
SELECT relais_search_rebuild_candidates();
