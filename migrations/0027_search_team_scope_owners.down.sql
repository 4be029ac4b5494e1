-- Interactions' team scope back to the OR of 0007.

SET LOCAL search_path = public, extensions;

SELECT relais_search_edit_function('search_sql(text)',
                                   $q$relais_search_owners_scope_sql('i', 'author_id')$q$,
                                   $q$relais_search_scope_sql('i', 'author_id')$q$, 1);
SELECT relais_search_rebuild_candidates();
DROP FUNCTION relais_search_owners_scope_sql(text, text);
