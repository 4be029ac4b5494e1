-- The name indexes of 0014, without the owner (built beside the others and swapped at the
-- end, as in the up migration).

SET LOCAL search_path = public, extensions;

CREATE INDEX organisations_name_search_idx_0032 ON organisations
    USING gin (relais_search_org_name_vector(name)) WHERE deleted_at IS NULL;
CREATE INDEX people_name_search_idx_0032 ON people
    USING gin (relais_search_person_name_vector(first_name, last_name)) WHERE deleted_at IS NULL;
ANALYZE organisations, people;
DROP INDEX organisations_name_search_idx, people_name_search_idx;
ALTER INDEX organisations_name_search_idx_0032 RENAME TO organisations_name_search_idx;
ALTER INDEX people_name_search_idx_0032 RENAME TO people_name_search_idx;
