-- The mandates' and interactions' candidate look-ups always go through the text index (issue
-- 5, SPEC SRCH-3; docs/PERFORMANCE.md, Search).
--
-- A word absent from the column's statistics (a typo, a rare word) is estimated at 0.5 % of
-- the rows. For a table whose statistics hold few frequent words, that makes a sequential scan
-- that stops at the first matches look cheaper than the index, and the scan then reads the
-- whole table for a word that is not there: 120–137 ms on 200,000 interactions with a limit of
-- 50 candidates, against 1 ms through the index. For these tables a bitmap of every match is
-- cheap even for a common word (1.9 ms for a word in a quarter of 200,000 interactions), so
-- their look-ups no longer consider a sequential scan while another path exists. Organisations
-- and people keep the choice: there a common word is far cheaper read from the table until the
-- first 100 match (3 ms against 70 ms for its bitmap), and their statistics tell common words
-- from rare ones.

SET LOCAL search_path = public, extensions;

ALTER FUNCTION relais_search_mandate_ids(text, boolean, integer, uuid, uuid, text[], text[],
    text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text, tsquery)
    SET enable_seqscan = off;
ALTER FUNCTION relais_search_interaction_ids(text, boolean, integer, uuid, uuid, text[], text[],
    text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text, tsquery)
    SET enable_seqscan = off;
