-- Back to text indexes on the vector alone (btree_gin stays: another database object may use it).

SET LOCAL search_path = public, extensions;

DROP INDEX organisations_search_idx;
CREATE INDEX organisations_search_idx ON organisations USING gin (search_vector)
    WHERE deleted_at IS NULL;
DROP INDEX people_search_idx;
CREATE INDEX people_search_idx ON people USING gin (search_vector)
    WHERE deleted_at IS NULL;
