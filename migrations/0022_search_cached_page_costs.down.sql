-- Back to the server's random_page_cost for the candidate look-ups and the EXPLAIN helpers.

SET LOCAL search_path = public, extensions;

DO $do$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT oid::regprocedure FROM pg_proc
             WHERE (proname ~ '^relais_(search|autocomplete)_[a-z]+_ids$'
                    OR proname IN ('search_plan', 'autocomplete_plan'))
               AND pronamespace = 'public'::regnamespace LOOP
        EXECUTE format('ALTER FUNCTION %s RESET random_page_cost', f);
    END LOOP;
END
$do$;
