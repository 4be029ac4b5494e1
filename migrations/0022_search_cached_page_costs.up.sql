-- The candidate look-ups are planned for data held in memory (issue 5, SPEC SRCH-3;
-- docs/PERFORMANCE.md, Search).
--
-- With PostgreSQL's default random_page_cost (4, a disk seek), reading a few hundred rows
-- through a text or trigram index looks dearer than first building a bitmap of every row the
-- caller owns and intersecting it with the text's: for a user who owns 40,000 of 2 million
-- people, "Dupont" then builds a 40,000-entry bitmap to skip reading 6,000 rows, and
-- autocomplete's "finance" intersects it with 86,000 trigram matches (22 ms) where reading the
-- owner's rows until 50 match takes 2 ms. The searched tables and indexes are meant to stay in
-- memory (docs/ADMIN.md, "Database memory"), where a random read costs about what a sequential
-- one does: the look-ups plan with 1.1, the usual setting for data in memory or on SSD. The
-- EXPLAIN helpers get the same setting, so that what they show is what runs. Plans of an
-- administrator's searches (no owner condition) do not change.

SET LOCAL search_path = public, extensions;

DO $do$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT oid::regprocedure FROM pg_proc
             WHERE (proname ~ '^relais_(search|autocomplete)_[a-z]+_ids$'
                    OR proname IN ('search_plan', 'autocomplete_plan'))
               AND pronamespace = 'public'::regnamespace LOOP
        EXECUTE format('ALTER FUNCTION %s SET random_page_cost = 1.1', f);
    END LOOP;
END
$do$;
