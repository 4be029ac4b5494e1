-- The organisations' prefix indexes without the id and owner, their names' statistics at the
-- default target (built beside the others and swapped at the end, as in the up migration).

ALTER TABLE organisations ALTER COLUMN search_name SET STATISTICS -1;
CREATE INDEX organisations_name_prefix_idx_0031 ON organisations
    (tenant_id, (search_name COLLATE "C")) WHERE deleted_at IS NULL;
CREATE INDEX organisations_owner_name_prefix_idx_0031 ON organisations
    (tenant_id, owner_id, (search_name COLLATE "C")) WHERE deleted_at IS NULL;
ANALYZE organisations;
DROP INDEX organisations_name_prefix_idx, organisations_owner_name_prefix_idx;
ALTER INDEX organisations_name_prefix_idx_0031 RENAME TO organisations_name_prefix_idx;
ALTER INDEX organisations_owner_name_prefix_idx_0031 RENAME TO organisations_owner_name_prefix_idx;
