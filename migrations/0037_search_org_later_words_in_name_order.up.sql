-- Autocomplete's later word among organisations is read in the names' order (issue 5, SPEC
-- SRCH-3; docs/PERFORMANCE.md, Search).
--
-- 0031 reads a tenant's names in the order of a prefix B-tree, index-only, until 50 have a
-- later word starting with the text. Two B-trees qualify: `(tenant_id, search_name)` and the
-- owner-led `(tenant_id, owner_id, search_name)`; the statement asked for no order, so for a
-- team's scope (or the whole tenant) the planner took whichever was smaller by a few pages.
-- After some bloat that was the owner-led one, which reads owner after owner: every name of
-- the owners outside the team before the team's matches (a team's "gestion" read 202,275
-- names, 46 ms, against 2.5 ms once the index was rebuilt). The later-word branch now asks for
-- the names' order when the text is one word (the CASE folds in the custom plan, so texts of
-- several words keep their pair index unsorted): the tenant's B-tree gives it as it reads, for
-- an own scope the owner-led one does (one owner's names are in order), and the other would
-- need a sort of every match, so neither tie nor bloat can pick it.

SET LOCAL search_path = public, extensions;

-- pg_trgm loaded, so that the functions made again keep their pg_trgm settings.
SELECT similarity('', '');

SELECT relais_search_edit_function(
    'autocomplete_sql(text)',
    $q$
                      ELSE o.search_name LIKE '%% ' || $13 || '%%' END
                  AND %1$s
                LIMIT $3)
$q$, $q$
                      ELSE o.search_name LIKE '%% ' || $13 || '%%' END
                  AND %1$s
                ORDER BY CASE WHEN strpos($13, ' ') > 0 THEN NULL
                              ELSE (o.search_name COLLATE "C") END
                LIMIT $3)
$q$, 1);

SELECT relais_search_rebuild_candidates();
