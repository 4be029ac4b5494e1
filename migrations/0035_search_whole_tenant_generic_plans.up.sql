-- A dominant tenant's whole-tenant searches keep one plan per statement (issue 5, SPEC SRCH-3;
-- docs/PERFORMANCE.md, Search).
--
-- The candidate functions plan their statement at every call (force_custom_plan, 0019), so
-- that the planner sees the caller's scope and filters and takes the owner-led indexes (0023,
-- 0032), the tenant's rows in order for dense words (0028, 0034) or, for a small tenant, the
-- intersection with the tenant's B-tree. Planning is a third of a look-up's time (organisations'
-- "Dupont": 1.66–1.86 ms planned each time, 1.23–1.27 ms with one plan). For a tenant that
-- holds most of a table's rows, searching all its records without filters for words no denser
-- than the eighth-first bound (0028), there is nothing to choose: the word (or name) index,
-- then the tenant's rows among its matches, every time. Those calls now run a statement of
-- their own with the generic plan: the tenant condition written so that no index takes it
-- (`(x.tenant_id = $11) IS TRUE`) and sequential and plain index scans off, so that the one
-- plan made without the values cannot be a tenant-led read whatever the tables' statistics
-- (and parallel workers off: their start costs more than the look-up).
-- Every other call plans as before. Autocomplete's functions are unchanged: their statements
-- choose between indexes by the text's shape (a CASE folded only in a custom plan).
--
-- A generic plan evaluates what a custom plan would fold: the web-search query of the text is
-- computed once per statement (a sub-select) rather than once per row.
--
-- The shares come from the planner's statistics, as the word frequencies do (0028): the
-- refresh now also copies each table's most common tenants, as kind '<kind> tenant'.

SET LOCAL search_path = public, extensions;

-- pg_trgm loaded, so that the candidate functions keep their pg_trgm settings when made again.
SELECT similarity('', '');

CREATE OR REPLACE FUNCTION relais_search_refresh_frequencies() RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
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
    -- The most common tenants of each table and their share of its rows (0035).
    INSERT INTO public.search_word_frequencies (kind, lexeme, freq, table_rows)
    SELECT k.kind || ' tenant', u.tenant, u.freq, c.reltuples
    FROM (VALUES ('organisation', 'organisations'), ('person', 'people'),
                 ('mandate', 'mandates'), ('interaction', 'interactions')) AS k (kind, tbl)
    JOIN pg_class c ON c.oid = ('public.' || k.tbl)::regclass
    JOIN pg_stats s ON s.schemaname = 'public' AND s.tablename = k.tbl
                   AND s.attname = 'tenant_id'
    CROSS JOIN unnest(s.most_common_vals::text::text[], s.most_common_freqs) AS u (tenant, freq)
    WHERE u.tenant IS NOT NULL;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION relais_search_refresh_frequencies() FROM PUBLIC;

-- The share of a kind's rows that a loose query matches, by the copied statistics: the
-- product over its words of the sum over each word's forms (a form they do not list is rarer
-- than any they do, and counts 0).
CREATE FUNCTION relais_search_share(p_kind text, p_tsq tsquery) RETURNS float8
    LANGUAGE plpgsql STABLE
    -- No SET clause (as relais_search_head_pays): every name is qualified.
    AS $$
DECLARE
    share float8 := 1;
    word text;
    f float8;
BEGIN
    IF p_tsq IS NULL OR numnode(p_tsq) = 0 THEN
        RETURN 0;
    END IF;
    -- querytree() spells the query `( 'dupon' | 'dupont' ) & 'jean'`.
    FOREACH word IN ARRAY string_to_array(querytree(p_tsq), ' & ') LOOP
        SELECT sum(w.freq) INTO f FROM public.search_word_frequencies w
        WHERE w.kind = p_kind
          AND w.lexeme = ANY (string_to_array(btrim(word, '() '''), ''' | '''));
        share := share * least(coalesce(f, 0), 1);
    END LOOP;
    RETURN share;
END
$$;
REVOKE ALL ON FUNCTION relais_search_share(text, tsquery) FROM PUBLIC;

-- Whether the tenant holds at least half of the kind's rows, by the copied statistics.
CREATE FUNCTION relais_search_dominant(p_kind text, p_tenant uuid) RETURNS boolean
    LANGUAGE sql STABLE
    -- No SET clause: every name is qualified.
    AS $$
    SELECT EXISTS (SELECT FROM public.search_word_frequencies w
                   WHERE w.kind = p_kind || ' tenant' AND w.lexeme = p_tenant::text
                     AND w.freq >= 0.5)
$$;
REVOKE ALL ON FUNCTION relais_search_dominant(text, uuid) FROM PUBLIC;

-- The statement a search candidate function runs with its generic plan: the tenant condition
-- out of the indexes' reach, the text's web-search query computed once.
CREATE FUNCTION relais_search_generic_sql(p_sql text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT
    AS $$
    SELECT regexp_replace(
               replace(p_sql, 'websearch_to_tsquery(''relais_french'', $1)',
                       '(SELECT websearch_to_tsquery(''relais_french'', $1))'),
               '\m([a-z])\.tenant_id = \$11', '(\1.tenant_id = $11) IS TRUE', 'g')
$$;
REVOKE ALL ON FUNCTION relais_search_generic_sql(text) FROM PUBLIC;

-- Candidate functions as before (0028); a search candidate function (not the own scope's
-- ordered one, 0034, nor the owner-keyed ones, 0036) has a companion, `<name>_generic`, running the generic statement with
-- the generic plan (its own SET clauses: settings made inside a function outlast it unless the
-- function sets them too), and calls it first when the call allows it.
CREATE OR REPLACE FUNCTION relais_search_make_candidate(p_name text, p_like regprocedure, p_sql text)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, extensions
    AS $$
DECLARE
    kind constant text := substring(p_name FROM '_([a-z]+)_ids$');
    names constant boolean := p_name LIKE 'relais\_search\_names\_%';
    args constant text := pg_get_function_arguments(p_like);
    result constant text := pg_get_function_result(p_like);
    body text := 'RETURN QUERY ' || p_sql || ';';
BEGIN
    IF p_name LIKE 'relais\_search\_%' AND p_name NOT LIKE 'relais\_search\_ordered\_%'
       AND p_name NOT LIKE 'relais\_search\_owned\_%'
       AND p_name NOT LIKE 'relais\_search\_tenant\_%' THEN
        EXECUTE format('CREATE OR REPLACE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plpgsql '
                       'STABLE ROWS 50%s SET plan_cache_mode = force_generic_plan '
                       'SET enable_seqscan = off SET enable_indexscan = off '
                       'SET max_parallel_workers_per_gather = 0 AS %L',
                       p_name || '_generic', args, result,
                       (SELECT coalesce(string_agg(format(' SET %s = %s', split_part(c, '=', 1),
                                                          substr(c, strpos(c, '=') + 1)), ''), '')
                        FROM pg_proc p CROSS JOIN unnest(p.proconfig) AS c
                        WHERE p.oid = p_like
                          AND split_part(c, '=', 1) NOT IN ('plan_cache_mode', 'enable_seqscan',
                                                            'enable_indexscan',
                                                            'max_parallel_workers_per_gather')),
                       'BEGIN RETURN QUERY ' || relais_search_generic_sql(p_sql) || '; END');
        EXECUTE format('REVOKE ALL ON FUNCTION public.%I(%s) FROM PUBLIC', p_name || '_generic',
                       args);
        body := format(
            'IF $4 IS NULL AND $5 IS NULL AND $6 IS NULL AND $7 IS NULL AND $8 IS NULL '
            'AND $9 IS NULL AND $10 IS NULL AND relais_search_dominant(%L, $11) '
            'AND relais_search_share(%L, %s) <= %s THEN '
            'RETURN QUERY SELECT * FROM public.%I($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '
            '$11, $12, $13, $14, $15, $16, $17, $18); RETURN; END IF; ',
            kind, kind || CASE WHEN names THEN ' name' ELSE '' END,
            CASE WHEN names THEN '$18' ELSE '$12' END,
            CASE WHEN kind IN ('mandate', 'interaction') THEN '0.10' ELSE '0.025' END,
            p_name || '_generic') || body;
    END IF;
    EXECUTE format('CREATE OR REPLACE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plpgsql '
                   'STABLE ROWS 50%s AS %L',
                   p_name, args, result,
                   (SELECT coalesce(string_agg(format(' SET %s = %s', split_part(c, '=', 1),
                                                      substr(c, strpos(c, '=') + 1)), ''), '')
                    FROM pg_proc p CROSS JOIN unnest(p.proconfig) AS c
                    WHERE p.oid = p_like),
                   'BEGIN ' || body || ' END');
END
$$;
REVOKE ALL ON FUNCTION relais_search_make_candidate(text, regprocedure, text) FROM PUBLIC;

SELECT relais_search_rebuild_candidates();
SELECT relais_search_refresh_frequencies();
