-- Autocomplete's later-word branch reads a tenant's own names in order (issue 5, SPEC SRCH-3;
-- docs/PERFORMANCE.md, Search).
--
-- A text of one word also suggests organisations with a later word starting with it
-- (`search_name LIKE '% paris%'`). The trigram index answers that with every tenant's
-- matches: "paris" is in 16,698 of the benchmark's 1,040,000 names, an 11 ms bitmap before
-- the first row, and a small tenant's rows, which lie after the big tenant's in the table,
-- come last (36–53 ms when the heap is read in that order). Reading the tenant's names in the
-- order of its prefix B-tree with the LIKE as a filter stops at the 50th match (1,500 names
-- for "paris"): about 1 ms, but only index-only, hence the id in the index (and the owner, for
-- a team's scope; the owner-led index of 0025 serves an own scope), and only when the planner
-- knows how common the word is, hence the finer statistics: with the default target (100)
-- the estimate for '% paris%' was 85 rows in one sample out of three, with 1,000 it is within
-- a few per cent each time (16,729). Measured on the benchmark's data (autocomplete_ids(),
-- organisations, "paris"): 18–27 ms → 2.6–3.6 ms for the big tenant's whole records, 16–17 →
-- 5 ms for a team's, 16–17 → 2.2 ms for one user's; 17–68 ms → 2.1–2.4 ms in the small
-- tenant.
--
-- The price: the id (and owner) in each entry of the two indexes (16–32 bytes), about
-- 0.1–0.2 ms more planning for look-ups that compare the text with the names' statistics,
-- and a sample of 300,000 rows instead of 30,000 for each ANALYZE of organisations (a few
-- seconds at a million rows, in the background).
--
-- The new indexes are built beside the old ones and take their names at the end, after the
-- ANALYZE (which gathers the statistics of their expression): writes to organisations wait
-- for the build and the ANALYZE (seconds at a million rows), reads only for the swap.

ALTER TABLE organisations ALTER COLUMN search_name SET STATISTICS 1000;
CREATE INDEX organisations_name_prefix_idx_0031 ON organisations
    (tenant_id, (search_name COLLATE "C")) INCLUDE (id, owner_id) WHERE deleted_at IS NULL;
CREATE INDEX organisations_owner_name_prefix_idx_0031 ON organisations
    (tenant_id, owner_id, (search_name COLLATE "C")) INCLUDE (id) WHERE deleted_at IS NULL;
ANALYZE organisations;
DROP INDEX organisations_name_prefix_idx, organisations_owner_name_prefix_idx;
ALTER INDEX organisations_name_prefix_idx_0031 RENAME TO organisations_name_prefix_idx;
ALTER INDEX organisations_owner_name_prefix_idx_0031 RENAME TO organisations_owner_name_prefix_idx;
