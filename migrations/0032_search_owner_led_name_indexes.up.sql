-- Organisations' and people's name indexes start with the owner (issue 5, SPEC SRCH-3;
-- docs/PERFORMANCE.md, Search).
--
-- A typo ("Rousseaux") is corrected against the tenant's vocabulary and the names are looked
-- up by the corrections ("rousseau | roussel"): autocomplete's near misses and search's second
-- pass. For a user who sees only their own records, the name index's bitmap of every match
-- (13,168 of 2 million people) was intersected with a bitmap of every row the user owns
-- (40,052): 11–15 ms for people, 3–6 ms for organisations, against 1.3–1.7 and 1.1–1.4 ms for
-- the whole tenant (whose look-ups read an eighth first since 0029). With the owner as the
-- index's first column (btree_gin, as 0023 did for the text indexes), the index intersects
-- the owner's entries with the names' while reading them: 3.5 ms for people, 1.3 ms for
-- organisations (autocomplete_ids(), medians of 9 calls). Look-ups without an owner
-- condition read the same entries as before (the planner took the owner-led index for them
-- when both existed); the indexes grow by the owner's entry of each row (16 → 20 MB for 2
-- million people, 9 → 12 MB for 1 million organisations). 0023 measured this form when the
-- whole tenant's corrections still read every match and left it: the eighth-first twins of
-- 0029 keep serving the whole tenant and teams.
--
-- The indexes keep their names (relais_search_refresh_frequencies() reads the statistics of
-- their expression under those names): the new ones are built beside the old ones and take
-- their names after the ANALYZE, so writes wait for the build (seconds per million rows) and
-- reads only for the swap.

SET LOCAL search_path = public, extensions;

CREATE INDEX organisations_name_search_idx_0032 ON organisations
    USING gin (owner_id, relais_search_org_name_vector(name)) WHERE deleted_at IS NULL;
CREATE INDEX people_name_search_idx_0032 ON people
    USING gin (owner_id, relais_search_person_name_vector(first_name, last_name))
    WHERE deleted_at IS NULL;
ANALYZE organisations, people;
DROP INDEX organisations_name_search_idx, people_name_search_idx;
ALTER INDEX organisations_name_search_idx_0032 RENAME TO organisations_name_search_idx;
ALTER INDEX people_name_search_idx_0032 RENAME TO people_name_search_idx;
