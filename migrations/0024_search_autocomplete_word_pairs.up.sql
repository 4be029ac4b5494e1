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

-- 0014's statements, the word branch (`words`) rewritten as above.
CREATE OR REPLACE FUNCTION autocomplete_sql(p_kind text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path = pg_catalog, public, extensions
    AS $f$
BEGIN
    CASE p_kind
    WHEN 'organisation' THEN
        RETURN format($s$
            WITH names AS (
                SELECT o.id FROM organisations o
                WHERE o.tenant_id = $11 AND o.deleted_at IS NULL
                  AND relais_search_org_name_vector(o.name) @@ $18
                  AND %1$s
                LIMIT $3),
            emails AS (
                SELECT o.id FROM organisations o
                WHERE o.tenant_id = $11 AND o.deleted_at IS NULL AND lower(o.email) LIKE $15
                  AND %1$s
                LIMIT $16),
            starts AS MATERIALIZED (
                SELECT o.id FROM organisations o
                WHERE o.tenant_id = $11 AND o.deleted_at IS NULL
                  AND (o.search_name COLLATE "C") >= $13
                  AND (o.search_name COLLATE "C") < $13 || chr(1114111)
                  AND %1$s
                ORDER BY (o.search_name COLLATE "C") LIMIT $16),
            words AS (
                SELECT o.id FROM organisations o
                WHERE o.tenant_id = $11 AND o.deleted_at IS NULL
                  AND CASE WHEN strpos($13, ' ') > 0
                      THEN relais_search_name_pairs(o.search_name)
                               @@ relais_search_name_pairs_query($13)
                           AND strpos(o.search_name, ' ' || $13) > 0
                      ELSE o.search_name LIKE '%% ' || $13 || '%%' END
                  AND %1$s
                LIMIT $3)
            (SELECT id FROM starts)
            UNION
            (SELECT id FROM words
             WHERE length($13) >= 2 AND (SELECT count(*) FROM starts) < $16
               AND (SELECT relais_search_word_starts($13)))
            UNION
            (SELECT id FROM names
             WHERE $2 AND $18 IS NOT NULL
               AND (SELECT count(*) FROM starts)
                   + (SELECT count(*) FROM (SELECT FROM words LIMIT $16) w) < $16)
            UNION
            (SELECT id FROM emails WHERE length($14) >= 3 AND $14 ~ '[@.]')$s$,
            relais_search_scope_sql('o', 'owner_id'));
    WHEN 'person' THEN
        RETURN format($s$
            WITH names AS (
                SELECT p.id FROM people p
                WHERE p.tenant_id = $11 AND p.deleted_at IS NULL
                  AND relais_search_person_name_vector(p.first_name, p.last_name) @@ $18
                  AND %1$s
                LIMIT $3),
            emails AS (
                SELECT p.id FROM people p
                WHERE p.tenant_id = $11 AND p.deleted_at IS NULL AND p.email LIKE $15
                  AND %1$s
                LIMIT $16),
            starts AS MATERIALIZED (
                (SELECT p.id FROM people p
                 WHERE p.tenant_id = $11 AND p.deleted_at IS NULL
                   AND (p.search_name COLLATE "C") >= $13
                   AND (p.search_name COLLATE "C") < $13 || chr(1114111)
                   AND %1$s
                 ORDER BY (p.search_name COLLATE "C") LIMIT $16)
                UNION
                (SELECT p.id FROM people p
                 WHERE p.tenant_id = $11 AND p.deleted_at IS NULL
                   AND (relais_search_norm(p.last_name) COLLATE "C") >= $13
                   AND (relais_search_norm(p.last_name) COLLATE "C") < $13 || chr(1114111)
                   AND %1$s
                 ORDER BY (relais_search_norm(p.last_name) COLLATE "C") LIMIT $16)),
            words AS (
                SELECT p.id FROM people p
                WHERE p.tenant_id = $11 AND p.deleted_at IS NULL
                  AND CASE WHEN strpos($13, ' ') > 0
                      THEN relais_search_name_pairs(p.search_name)
                               @@ relais_search_name_pairs_query($13)
                           AND strpos(p.search_name, ' ' || $13) > 0
                      ELSE p.search_name LIKE '%% ' || $13 || '%%' END
                  AND %1$s
                LIMIT $3)
            (SELECT id FROM starts)
            UNION
            (SELECT id FROM words
             WHERE length($13) >= 2 AND (SELECT count(*) FROM starts) < $16
               AND (SELECT relais_search_word_starts($13)))
            UNION
            (SELECT id FROM names
             WHERE $2 AND $18 IS NOT NULL
               AND (SELECT count(*) FROM starts)
                   + (SELECT count(*) FROM (SELECT FROM words LIMIT $16) w) < $16)
            UNION
            (SELECT id FROM emails WHERE length($14) >= 3 AND $14 ~ '[@.]')$s$,
            relais_search_scope_sql('p', 'owner_id'));
    WHEN 'mandate' THEN
        RETURN format($s$
            SELECT m.id FROM mandates m
            WHERE m.tenant_id = $11 AND m.deleted_at IS NULL
              AND (m.number COLLATE "C") >= $17
              AND (m.number COLLATE "C") < $17 || chr(1114111)
              AND %1$s
            ORDER BY (m.number COLLATE "C") LIMIT $16$s$,
            relais_search_scope_sql('m', 'owner_id'));
    ELSE
        RAISE EXCEPTION 'unknown autocomplete kind %', p_kind
            USING ERRCODE = 'invalid_parameter_value';
    END CASE;
END
$f$;

-- The functions that run the statements, made again from the new text (same parameters and
-- settings as 0014 and 0022).
DO $do$
DECLARE
    k text;
    params constant text := 'p_query text, p_web boolean, p_cap integer, p_vis_user uuid, '
        'p_vis_team uuid, p_categories text[], p_statuses text[], p_city text, '
        'p_created_from timestamptz, p_created_to timestamptz, p_tenant uuid, '
        'p_tsquery tsquery, p_norm text, p_email text, p_email_like text, p_limit integer, '
        'p_code text, p_names tsquery';
    create_fn constant text := $f$
        CREATE OR REPLACE FUNCTION %I(%s) RETURNS TABLE (record_id uuid)
            LANGUAGE plpgsql STABLE ROWS 50
            SET search_path = pg_catalog, public, extensions
            SET plan_cache_mode = force_custom_plan
            SET jit = off
            SET random_page_cost = 1.1
            AS %L$f$;
BEGIN
    FOREACH k IN ARRAY ARRAY['organisation', 'person'] LOOP
        EXECUTE format(create_fn, 'relais_autocomplete_' || k || '_ids', params,
                       'BEGIN RETURN QUERY ' || autocomplete_sql(k) || '; END');
    END LOOP;
END
$do$;
