-- Back to 0014's word branch (trigram LIKE).

SET LOCAL search_path = public, extensions;

DO $do$
DECLARE
    a text;
BEGIN
    FOREACH a IN ARRAY ARRAY['o', 'p'] LOOP
        PERFORM relais_search_edit_function('autocomplete_sql(text)', replace($new$
                  AND CASE WHEN strpos($13, ' ') > 0
                      THEN relais_search_name_pairs({a}.search_name)
                               @@ relais_search_name_pairs_query($13)
                           AND strpos({a}.search_name, ' ' || $13) > 0
                      ELSE {a}.search_name LIKE '%% ' || $13 || '%%' END
$new$, '{a}', a), replace($old$
                  AND {a}.search_name LIKE '%% ' || $13 || '%%'
$old$, '{a}', a), 1);
    END LOOP;
END
$do$;
SELECT relais_search_rebuild_candidates();
DROP FUNCTION relais_search_rebuild_candidates();
DROP FUNCTION relais_search_make_candidate(text, regprocedure, text);
DROP FUNCTION relais_search_edit_function(regprocedure, text, text, integer);

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
