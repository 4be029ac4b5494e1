-- Back to the tenant-only prefix indexes of 0007.

DROP INDEX organisations_owner_name_prefix_idx;
DROP INDEX people_owner_name_prefix_idx;
DROP INDEX people_owner_last_name_prefix_idx;
