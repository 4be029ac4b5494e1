-- The organisations' prefix index without the id, their names' statistics at the default
-- target.

DROP INDEX organisations_name_prefix_idx;
CREATE INDEX organisations_name_prefix_idx ON organisations
    (tenant_id, (search_name COLLATE "C")) WHERE deleted_at IS NULL;
ALTER TABLE organisations ALTER COLUMN search_name SET STATISTICS -1;
ANALYZE organisations (search_name);
