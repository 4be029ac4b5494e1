-- Back to 0034: every candidate function plans each call; the frequencies lose the tenants.
SET LOCAL search_path = public, extensions;

-- pg_trgm loaded, so that the candidate functions keep their pg_trgm settings when made again.
SELECT similarity('', '');

CREATE OR REPLACE FUNCTION relais_search_make_candidate(p_name text, p_like regprocedure, p_sql text)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'extensions'
AS $function$
BEGIN
    EXECUTE format('CREATE OR REPLACE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plpgsql '
                   'STABLE ROWS 50%s AS %L',
                   p_name, pg_get_function_arguments(p_like), pg_get_function_result(p_like),
                   (SELECT coalesce(string_agg(format(' SET %s = %s', split_part(c, '=', 1),
                                                      substr(c, strpos(c, '=') + 1)), ''), '')
                    FROM pg_proc p CROSS JOIN unnest(p.proconfig) AS c
                    WHERE p.oid = p_like),
                   'BEGIN RETURN QUERY ' || p_sql || '; END');
END
$function$

;
REVOKE ALL ON FUNCTION relais_search_make_candidate(text, regprocedure, text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION relais_search_refresh_frequencies()
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public'
AS $function$
DECLARE
    n integer;
BEGIN
    -- One refresh at a time (two workers at the same hour); readers are not held up.
    LOCK TABLE public.search_word_frequencies IN EXCLUSIVE MODE;
    DELETE FROM public.search_word_frequencies;
    INSERT INTO public.search_word_frequencies (kind, lexeme, freq, table_rows)
    SELECT k.kind, u.lexeme, max(u.freq), max(c.reltuples)
    FROM (VALUES ('organisation', 'organisations', 'organisations', 'search_vector'),
                 ('person', 'people', 'people', 'search_vector'),
                 ('organisation name', 'organisations', 'organisations_name_search_idx',
                  'relais_search_org_name_vector'),
                 ('person name', 'people', 'people_name_search_idx',
                  'relais_search_person_name_vector'),
                 ('mandate', 'mandates', 'mandates', 'search_vector'),
                 ('interaction', 'interactions', 'interactions', 'search_vector'))
        AS k (kind, tbl, stats, col)
    JOIN pg_class c ON c.oid = ('public.' || k.tbl)::regclass
    JOIN pg_stats s ON s.schemaname = 'public' AND s.tablename = k.stats
                   AND s.attname = k.col
    -- The frequencies array ends with three more numbers (minimum, maximum, empty share).
    CROSS JOIN unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs)
        AS u (lexeme, freq)
    WHERE u.lexeme IS NOT NULL
    GROUP BY k.kind, u.lexeme;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$function$

;
REVOKE ALL ON FUNCTION relais_search_refresh_frequencies() FROM PUBLIC;

DO $do$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
             WHERE p.pronamespace = 'public'::regnamespace
               AND p.proname ~ '^relais_search_([a-z]+_)*[a-z]+_ids_generic$' LOOP
        EXECUTE format('DROP FUNCTION %s', f);
    END LOOP;
END
$do$;
SELECT relais_search_rebuild_candidates();
DROP FUNCTION relais_search_generic_sql(text);
DROP FUNCTION relais_search_dominant(text, uuid);
DROP FUNCTION relais_search_share(text, tsquery);
SELECT relais_search_refresh_frequencies();
