-- Back to 0036: the later-word branch in no particular order.
SET LOCAL search_path = public, extensions;

-- pg_trgm loaded, so that the functions made again keep their pg_trgm settings.
SELECT similarity('', '');

SELECT relais_search_edit_function(
    'autocomplete_sql(text)',
    $q$
                      ELSE o.search_name LIKE '%% ' || $13 || '%%' END
                  AND %1$s
                ORDER BY CASE WHEN strpos($13, ' ') > 0 THEN NULL
                              ELSE (o.search_name COLLATE "C") END
                LIMIT $3)
$q$, $q$
                      ELSE o.search_name LIKE '%% ' || $13 || '%%' END
                  AND %1$s
                LIMIT $3)
$q$, 1);

SELECT relais_search_rebuild_candidates();
