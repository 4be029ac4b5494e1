-- Autocomplete's word branch through the names' word pairs (issue 5, SPEC SRCH-1…3;
-- docs/PERFORMANCE.md, Search).
--
-- "Names with a word, not the first, starting with the text" (`search_name LIKE '% text%'`)
-- went through the names' trigram indexes. For a text of several words ("garnier gestion
-- privee", "jean martin") GIN must intersect the posting lists of a dozen trigrams or more,
-- common ones among them ("ges", "ion", "tin"), then read every row that has them all to
-- check the LIKE: 4–25 ms per kind over a million names. Such a text now goes through an index
-- of the names' pairs of consecutive words after the first word, each pair kept with the first
-- letter and the first three letters of its second word ("cabinet garnier gestion privee" →
-- 'garnier g', 'garnier ges', 'gestion p', 'gestion pri'), and is looked up as its own pairs
-- cut the same way ('garnier ges' & 'gestion pri'; "jean ma" → 'jean m'). Every key of the
-- look-up is an exact one, so GIN reads one posting list per pair of the text: a pair of
-- words is rare where each of its words may not be (the single word "epargne" left 5,200
-- rows to read for no match; its pair, none), and no prefix expands into thousands of keys
-- (measured: 'gestion p':* over whole pairs collected 86,000 entries in 34 ms). The LIKE's
-- condition, as `strpos`, still decides on the rows the index gives (the pairs must follow
-- each other, and the words may be longer than the keys): the results are those of
-- before. A text of one word keeps the trigram LIKE (one word may start a fifth of the names;
-- the planner then reads the table until a page is found).
--
-- The pairs are built from the normalised names (relais_search_norm: letters, digits, single
-- spaces), split on spaces, stored as they are (no stemming, no stop words); quoting each pair
-- of the text makes the query without parsing any of it as tsquery syntax.
--
-- The keys cost a write of a name 7–13 µs for a five-word name (one and three letters only:
-- all four lengths cost twice as much for the same look-up times). Building the two indexes
-- locks writes to organisations and people while it runs (about 10 s each for 1 million
-- organisations and 2 million people here, maintenance_work_mem = 2GB).

SET LOCAL search_path = public, extensions;

-- PL/pgSQL rather than SQL: a SQL function with a query cannot be inlined and starts an
-- executor per call (8.5 µs a name against 2 µs here), which every write of a name pays.
CREATE FUNCTION relais_search_name_pairs(p_name text) RETURNS tsvector
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
DECLARE
    w constant text[] := string_to_array(p_name, ' ');
    keys text[] := '{}';
BEGIN
    FOR i IN 2 .. cardinality(w) - 1 LOOP
        keys := keys || (w[i] || ' ' || left(w[i + 1], 1));
        IF length(w[i + 1]) >= 3 THEN
            keys := keys || (w[i] || ' ' || left(w[i + 1], 3));
        END IF;
    END LOOP;
    RETURN array_to_tsvector(keys);
END
$$;

-- The normalised text's pairs of consecutive words, cut like the names' (three letters of the
-- second word when it has them, else one); NULL for one word.
CREATE FUNCTION relais_search_name_pairs_query(p_norm text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
        SELECT string_agg(quote_literal(a.w[i] || ' ' || left(a.w[i + 1],
                              CASE WHEN length(a.w[i + 1]) >= 3 THEN 3 ELSE 1 END)), ' & '
                          ORDER BY i)::tsquery
        FROM (SELECT string_to_array(p_norm, ' ') AS w) a,
             generate_series(1, cardinality(a.w) - 1) AS i
    $$;

CREATE INDEX organisations_name_pairs_idx ON organisations
    USING gin (relais_search_name_pairs(search_name)) WHERE deleted_at IS NULL;
CREATE INDEX people_name_pairs_idx ON people
    USING gin (relais_search_name_pairs(search_name)) WHERE deleted_at IS NULL;

-- The index expressions' statistics (how common each pair is), which PostgreSQL does not keep
-- for a partial index's expressions (as for the name vectors in 0017); the import's refresh
-- analyses the normalised names they are built on.
CREATE STATISTICS organisations_name_pairs_stats
    ON (relais_search_name_pairs(search_name)) FROM organisations;
CREATE STATISTICS people_name_pairs_stats
    ON (relais_search_name_pairs(search_name)) FROM people;
ANALYZE organisations, people;

CREATE OR REPLACE FUNCTION import_refresh_statistics() RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
    BEGIN
        ANALYZE public.organisations (tenant_id, id, name, search_name, email, owner_id,
                                      deleted_at);
        ANALYZE public.people (tenant_id, id, email, first_name, last_name, search_name,
                               owner_id, deleted_at);
        ANALYZE public.person_organisations (tenant_id, person_id, organisation_id);
    END
    $$;

-- Helpers for this migration and the later ones, so that a change to one statement does not
-- copy every statement, nor every function made from them.
--
-- relais_search_edit_function(f, old, new, n): makes function f again with `old` replaced by
-- `new` in its definition (pg_get_functiondef), after checking that `old` occurs exactly n times:
-- a statement text (autocomplete_sql(), search_sql()) changes in place, and an edit that no
-- longer fits the text it was written for fails instead of doing nothing.
CREATE FUNCTION relais_search_edit_function(p_fn regprocedure, p_old text, p_new text,
                                            p_count integer)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, extensions
    AS $$
DECLARE
    def constant text := pg_get_functiondef(p_fn);
    found constant integer := cardinality(string_to_array(def, p_old)) - 1;
BEGIN
    IF found <> p_count THEN
        RAISE EXCEPTION '% holds % % time(s), not %', p_fn, quote_literal(p_old), found, p_count;
    END IF;
    EXECUTE replace(def, p_old, p_new);
END
$$;

-- relais_search_make_candidate(name, like, statement): makes candidate function `name` run
-- `statement`, with the arguments, result and settings (SET clauses: 0014, 0021, 0022) of the
-- candidate function `like`: the function itself when it is made again, a sibling when new.
CREATE FUNCTION relais_search_make_candidate(p_name text, p_like regprocedure, p_sql text)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, extensions
    AS $$
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
$$;

-- relais_search_rebuild_candidates(): makes every candidate function (relais_search_<kind>_ids,
-- relais_autocomplete_<kind>_ids, relais_autocomplete_near_<kind>_ids) again from the current
-- text of its statement.
CREATE FUNCTION relais_search_rebuild_candidates() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, extensions
    AS $$
DECLARE
    f record;
    kind text;
    body text;
BEGIN
    FOR f IN SELECT p.oid, p.proname FROM pg_proc p
             WHERE p.pronamespace = 'public'::regnamespace
               AND p.proname ~ '^relais_(search|autocomplete)_([a-z]+_)?[a-z]+_ids$' LOOP
        kind := substring(f.proname FROM '_([a-z]+)_ids$');
        -- One statement per branch: each is parsed when it first runs, so a statement text
        -- that a later migration adds (autocomplete_near_sql, 0026) is named here already.
        IF f.proname LIKE 'relais\_search\_%' THEN
            body := search_sql(kind);
        ELSIF f.proname LIKE 'relais\_autocomplete\_near\_%' THEN
            body := autocomplete_near_sql(kind);
        ELSE
            body := autocomplete_sql(kind);
        END IF;
        PERFORM relais_search_make_candidate(f.proname, f.oid, body);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION relais_search_edit_function(regprocedure, text, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION relais_search_make_candidate(text, regprocedure, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION relais_search_rebuild_candidates() FROM PUBLIC;

-- 0014's autocomplete statements, their word branch (`words`) as above, for organisations (o)
-- and people (p).
DO $do$
DECLARE
    a text;
BEGIN
    FOREACH a IN ARRAY ARRAY['o', 'p'] LOOP
        PERFORM relais_search_edit_function('autocomplete_sql(text)', replace($old$
                  AND {a}.search_name LIKE '%% ' || $13 || '%%'
$old$, '{a}', a), replace($new$
                  AND CASE WHEN strpos($13, ' ') > 0
                      THEN relais_search_name_pairs({a}.search_name)
                               @@ relais_search_name_pairs_query($13)
                           AND strpos({a}.search_name, ' ' || $13) > 0
                      ELSE {a}.search_name LIKE '%% ' || $13 || '%%' END
$new$, '{a}', a), 1);
    END LOOP;
END
$do$;
SELECT relais_search_rebuild_candidates();
