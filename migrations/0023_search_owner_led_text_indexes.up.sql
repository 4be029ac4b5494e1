-- Organisations' and people's text indexes start with the owner (issue 5, SPEC SRCH-3;
-- docs/PERFORMANCE.md, Search).
--
-- A user who sees only the records they own (scope "own") searched the whole tenant's
-- matches, then checked each row's owner, or intersected the text's bitmap with a bitmap of
-- every row they own: for a user owning 40,000 of 2 million people, "Dupont" read 6,600
-- matches to keep about 130 (6.5 ms). With the owner as the index's first column (btree_gin),
-- the index itself intersects the owner's entries with the words' while reading them (1.5 ms).
-- Searches without an owner condition use the same index as before: the owner adds one entry
-- per row (+11 MB on people's 239 MB text index at 2 million rows) and leaves their plans
-- and timings unchanged. The typo-tolerant name vectors and the trigram indexes keep their
-- single column: measured with the owner first, an administrator's corrections were 7 %
-- slower and an owner's trigram look-up of a common word four times slower.
--
-- Rebuilding the two indexes locks writes to organisations and people while it runs (28 s
-- for 1 million organisations and 2 million people here with maintenance_work_mem = 2GB;
-- longer with the default 64 MB).

CREATE EXTENSION IF NOT EXISTS btree_gin SCHEMA extensions;
SET LOCAL search_path = public, extensions;

DROP INDEX organisations_search_idx;
CREATE INDEX organisations_search_idx ON organisations USING gin (owner_id, search_vector)
    WHERE deleted_at IS NULL;
DROP INDEX people_search_idx;
CREATE INDEX people_search_idx ON people USING gin (owner_id, search_vector)
    WHERE deleted_at IS NULL;
ANALYZE organisations, people;
