-- The organisations' prefix indexes without the id and owner, their names' statistics at the
-- default target.

DROP INDEX organisations_name_prefix_idx;
CREATE INDEX organisations_name_prefix_idx ON organisations
    (tenant_id, (search_name COLLATE "C")) WHERE deleted_at IS NULL;
DROP INDEX organisations_owner_name_prefix_idx;
CREATE INDEX organisations_owner_name_prefix_idx ON organisations
    (tenant_id, owner_id, (search_name COLLATE "C")) WHERE deleted_at IS NULL;
ALTER TABLE organisations ALTER COLUMN search_name SET STATISTICS -1;
ANALYZE organisations (search_name);
