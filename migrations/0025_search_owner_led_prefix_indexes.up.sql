-- Autocomplete's "names starting with the text" within the caller's own records (issue 5,
-- SPEC SRCH-2…3; docs/PERFORMANCE.md, Search).
--
-- The prefix indexes of 0007 are `(tenant_id, name)`: a user who sees only the records they own
-- (scope "own") walked the tenant's names in order and read each row to check its owner until
-- 10 of theirs turned up; for a user owning 1 record in 50, "du" read some 500 rows per kind
-- (1.2–3.1 ms). With the owner after the tenant, the range scan reads only the caller's names,
-- still in order, and stops at the page (0.7–0.9 ms). Administrators' look-ups keep the indexes
-- of 0007 (the names of every owner, in order). Team scopes (owners from a subquery) are not
-- helped.
--
-- The three indexes take 45 MB (1 million organisations), 110 and 38 MB (2 million people):
-- unlike the tenant-only ones, their entries differ by owner, so B-tree deduplication saves
-- less. Building them locks writes to organisations and people for about 10 s here.

CREATE INDEX organisations_owner_name_prefix_idx ON organisations
    (tenant_id, owner_id, (search_name COLLATE "C")) WHERE deleted_at IS NULL;
CREATE INDEX people_owner_name_prefix_idx ON people
    (tenant_id, owner_id, (search_name COLLATE "C")) WHERE deleted_at IS NULL;
CREATE INDEX people_owner_last_name_prefix_idx ON people
    (tenant_id, owner_id, (relais_search_norm(last_name) COLLATE "C")) WHERE deleted_at IS NULL;
