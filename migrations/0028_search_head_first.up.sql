-- Word look-ups of common words read an eighth of the tenant first (issue 5, SPEC SRCH-3;
-- docs/PERFORMANCE.md, Search).
--
-- A search keeps the first 100 matches of its words per kind of record (the candidate cap) and
-- ranks those. A GIN index answers only with a bitmap of every match, built whole before the
-- first row is read: "Dupont" among 2 million people is 6,600 matches decoded, added to the
-- bitmap and sorted by page (2 ms) to read 100 of them. The text indexes of organisations and
-- people now have a partial twin over the records of one eighth of the ids (the last byte of the id, random in every UUID
-- version). The split statements (search_head_sql) read that eighth first and the rest only
-- when the eighth holds fewer than 100 matches, in the same statement (an Append under the
-- LIMIT, whose second branch never starts when the first fills the page): "Dupont" reads an
-- eighth of its matches (0.4 ms instead of 2). Which matches make the 100 was already
-- arbitrary (the first found); it is now the first found in the eighth.
--
-- The split pays for words of middling frequency only, so search_ids() chooses it per
-- statement from the planner's own statistics of the text columns (the most common lexemes
-- and their frequencies, copied by relais_search_refresh_frequencies() into
-- search_word_frequencies, which the job worker refreshes every hour):
-- - a word PostgreSQL does not count among the common ones, or words whose matches together
--   are fewer than 1,000 rows, have too few for the eighth to fill a page: the bitmap of all of
--   them is cheap, and planning and reading a second branch would cost more than it saves;
-- - a word in more than 2.5 % of the rows (organisations' "paris", "gestion") is found by
--   reading the table in order until 100 match, which the eighth would make 8 times longer;
-- - an own scope is narrowed by the owner-led index (0023) and keeps one look-up; so do
--   mandates and interactions, whose tables are small.
-- Measured (docs/PERFORMANCE.md): organisations' and people's look-ups of such words 2–4 times
-- faster ("capital" among people 11.2 → 3.3 ms, "Horizon Capital" among organisations 13.4 →
-- 3.9 ms); the others pay the frequency look-up (tens of microseconds).
--
-- This migration also brings the helpers by which it, and later migrations, edit a statement in
-- place and make the candidate functions again from it (0024–0027, as released, copy or edit
-- them their own way).
--
-- The twins cost an eighth of the text indexes' size (about 55 MB at 1 million organisations
-- and 2 million people) and one more GIN entry set per write for an eighth of the records.

SET LOCAL search_path = public, extensions;

SELECT similarity('', '');

-- Helpers for this migration and the later ones, so that a change to one statement does not
-- copy every statement, nor every function made from them (0024–0027 still do).
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
-- relais_search_head_<kind>_ids, relais_autocomplete_<kind>_ids,
-- relais_autocomplete_near_<kind>_ids) again from the current text of its statement.
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
        IF f.proname LIKE 'relais\_search\_head\_%' THEN
            body := search_head_sql(kind);
        ELSIF f.proname LIKE 'relais\_search\_%' THEN
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

-- Whether a record is in the eighth read first: the id's last byte (random in UUID versions 4
-- and 7). Inlined, so the partial indexes' predicate and the statements' condition are the
-- same expression.
CREATE FUNCTION relais_search_head(id uuid) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN get_byte(uuid_send(id), 15) < 32;

CREATE INDEX organisations_search_head_idx ON organisations USING gin (search_vector)
    WHERE deleted_at IS NULL AND relais_search_head(id);
CREATE INDEX people_search_head_idx ON people USING gin (search_vector)
    WHERE deleted_at IS NULL AND relais_search_head(id);

-- A word look-up `stmt` (one SELECT ending in `LIMIT $3`, `{part}` where a condition may be
-- added) as the eighth first, then the rest. $4 is the caller's user and $5 their team (as in
-- relais_search_scope_sql): an own scope ($4 without $5) keeps one look-up, the condition of
-- the first branch false and that of the second true once the custom plan knows them.
CREATE FUNCTION relais_search_head_first_sql(stmt text, t text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN '(' || replace(stmt, '{part}',
                          format(' AND ($4 IS NULL OR $5 IS NOT NULL) AND relais_search_head(%s.id)', t))
        || ') UNION ALL (' || replace(stmt, '{part}',
                          format(' AND ($4 IS NOT NULL AND $5 IS NULL OR NOT relais_search_head(%s.id))', t))
        || ') LIMIT $3';

-- search_sql() of 0020 and 0027 for organisations and people, their word look-up split so.
CREATE FUNCTION search_head_sql(p_kind text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path = pg_catalog, public, extensions
    AS $f$
DECLARE
    created text := ' AND ($9 IS NULL OR %1$s.created_at >= $9) AND ($10 IS NULL OR %1$s.created_at < $10)';
    -- %1$s: the table's alias.
    score text := '(coalesce(ts_rank(''{0.05, 0.2, 0.5, 1.0}''::real[], %1$s.search_vector, '
        'websearch_to_tsquery(''relais_french'', $1)), 0) '
        '+ 0.5 * coalesce(ts_rank(''{0.05, 0.2, 0.5, 1.0}''::real[], %1$s.search_vector, $12), 0))';
    name_score text := ' + 0.1 * word_similarity($13, %1$s.search_name)';
BEGIN
    CASE p_kind
    WHEN 'organisation' THEN
        RETURN format($s$
            WITH words AS (%4$s),
            names AS (
                SELECT o.id, %3$s::float8 AS hit_score FROM organisations o
                WHERE o.tenant_id = $11 AND o.deleted_at IS NULL
                  AND relais_search_org_name_vector(o.name) @@ $18
                  AND %1$s %2$s
                  AND ($6 IS NULL OR o.category = ANY ($6))
                  AND ($8 IS NULL OR lower(o.city) = lower($8))
                LIMIT $3)
            (SELECT id, hit_score FROM words)
            UNION
            (SELECT id, hit_score FROM names
             WHERE $18 IS NOT NULL
               AND (SELECT count(*) FROM (SELECT FROM words LIMIT $16) w) < $16)$s$,
            relais_search_scope_sql('o', 'owner_id'), format(created, 'o'),
            format(score || name_score, 'o'),
            relais_search_head_first_sql(format($s$
                SELECT o.id, %3$s::float8 AS hit_score FROM organisations o
                WHERE o.tenant_id = $11 AND o.deleted_at IS NULL AND o.search_vector @@ $12
                  AND %1$s %2$s
                  AND ($6 IS NULL OR o.category = ANY ($6))
                  AND ($8 IS NULL OR lower(o.city) = lower($8)){part}
                LIMIT $3$s$,
                relais_search_scope_sql('o', 'owner_id'), format(created, 'o'),
                format(score || name_score, 'o')), 'o'));
    WHEN 'person' THEN
        RETURN format($s$
            WITH words AS (%4$s),
            names AS (
                SELECT p.id, %3$s::float8 AS hit_score FROM people p
                WHERE p.tenant_id = $11 AND p.deleted_at IS NULL
                  AND relais_search_person_name_vector(p.first_name, p.last_name) @@ $18
                  AND %1$s %2$s
                LIMIT $3)
            (SELECT id, hit_score FROM words)
            UNION
            (SELECT id, hit_score FROM names
             WHERE $18 IS NOT NULL
               AND (SELECT count(*) FROM (SELECT FROM words LIMIT $16) w) < $16)$s$,
            relais_search_scope_sql('p', 'owner_id'), format(created, 'p'),
            format(score || name_score, 'p'),
            relais_search_head_first_sql(format($s$
                SELECT p.id, %3$s::float8 AS hit_score FROM people p
                WHERE p.tenant_id = $11 AND p.deleted_at IS NULL AND p.search_vector @@ $12
                  AND %1$s %2$s{part}
                LIMIT $3$s$,
                relais_search_scope_sql('p', 'owner_id'), format(created, 'p'),
                format(score || name_score, 'p')), 'p'));
    ELSE
        RAISE EXCEPTION 'unknown search kind %', p_kind USING ERRCODE = 'invalid_parameter_value';
    END CASE;
END
$f$;


-- The candidate functions of the split statements, with the settings of the plain ones.
SELECT relais_search_make_candidate(
           'relais_search_head_' || k || '_ids',
           ('relais_search_' || k || '_ids(text, boolean, integer, uuid, uuid, text[], text[], '
            'text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text, '
            'tsquery)')::regprocedure,
           search_head_sql(k))
FROM unnest(ARRAY['organisation', 'person']) AS k;


-- The planner's most common lexemes of each kind's text column and their frequencies (share of
-- the rows, all tenants together, as ANALYZE last sampled them): what pg_stats shows the
-- tables' owner, kept where a look-up costs a few microseconds. Read by the search functions
-- only; the application role is refused it (relais_store::migrate).
CREATE TABLE search_word_frequencies (
    kind text NOT NULL,
    lexeme text NOT NULL,
    -- Share of the kind's rows whose text has the lexeme.
    freq real NOT NULL,
    -- The kind's rows (all tenants) when the statistics were taken.
    table_rows real NOT NULL,
    PRIMARY KEY (kind, lexeme)
);
REVOKE ALL ON TABLE search_word_frequencies FROM PUBLIC;
-- Not a tenant's table (no tenant column: statistics of all tenants together), so no tenant
-- policy: only the owner role (the search functions, SECURITY DEFINER) reads or writes it, even
-- where another role is granted the table.
ALTER TABLE search_word_frequencies ENABLE ROW LEVEL SECURITY;
ALTER TABLE search_word_frequencies FORCE ROW LEVEL SECURITY;
DO $do$
BEGIN
    EXECUTE format('CREATE POLICY owner_only ON search_word_frequencies TO %I '
                   'USING (true) WITH CHECK (true)', current_user);
END
$do$;

-- Copies the statistics again; returns the number of lexemes. Run by the job worker every hour
-- and by this migration; an empty table means one look-up per kind, as before.
CREATE FUNCTION relais_search_refresh_frequencies() RETURNS integer
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
    FROM (VALUES ('organisation', 'organisations'), ('person', 'people')) AS k (kind, tbl)
    JOIN pg_class c ON c.oid = ('public.' || k.tbl)::regclass
    JOIN pg_stats s ON s.schemaname = 'public' AND s.tablename = k.tbl
                   AND s.attname = 'search_vector'
    -- The frequencies array ends with three more numbers (minimum, maximum, empty share).
    CROSS JOIN unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs)
        AS u (lexeme, freq)
    WHERE u.lexeme IS NOT NULL
    GROUP BY k.kind, u.lexeme;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION relais_search_refresh_frequencies() FROM PUBLIC;

-- Whether the split statement pays for this loose query (an AND of ORs of lexemes, as
-- relais_search_loose_query builds it) on this kind: its estimated share of the rows (the
-- product over words of the sum over a word's forms, the words taken as independent) is known
-- (every word common), at most 2.5 %, and at least 1,000 rows.
CREATE FUNCTION relais_search_head_pays(p_kind text, p_tsq tsquery) RETURNS boolean
    LANGUAGE plpgsql STABLE
    -- No SET clause (each costs a save and a restore per call): every name is qualified.
    AS $$
DECLARE
    share float8 := 1;
    word text;
    forms text[];
    f float8;
    total float8;
BEGIN
    IF p_tsq IS NULL OR numnode(p_tsq) = 0 THEN
        RETURN false;
    END IF;
    -- querytree() spells the query `( 'dupon' | 'dupont' ) & 'jean'`.
    FOREACH word IN ARRAY string_to_array(querytree(p_tsq), ' & ') LOOP
        forms := string_to_array(btrim(word, '() '''), ''' | ''');
        SELECT sum(w.freq), max(w.table_rows) INTO f, total FROM public.search_word_frequencies w
        WHERE w.kind = p_kind AND w.lexeme = ANY (forms);
        IF f IS NULL THEN
            RETURN false;
        END IF;
        share := share * least(f, 1);
    END LOOP;
    -- Dense: read in order. Too rare for the eighth to fill a page (100 in 800 matches, with
    -- room for other tenants' share): one look-up.
    RETURN share <= 0.025 AND share * total >= 1000;
END
$$;
REVOKE ALL ON FUNCTION relais_search_head_pays(text, tsquery) FROM PUBLIC;

-- search_ids() of 0020: the same passes (the words as typed; the corrected names when they
-- match fewer than a page, organisations and people), through the split statements when they
-- pay (organisations and people, the whole tenant or a team).
CREATE OR REPLACE FUNCTION search_ids(
    p_kind text, p_query text, p_web boolean, p_limit integer, p_cap integer,
    p_vis_user uuid, p_vis_team uuid,
    p_categories text[], p_statuses text[], p_city text,
    p_created_from timestamptz, p_created_to timestamptz)
    RETURNS TABLE (record_id uuid, score float8)
    LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 50
    SET search_path = pg_catalog, public, extensions
    SET pg_trgm.word_similarity_threshold = 0.5
    AS $$
DECLARE
    a record := relais_search_args(p_query, p_web, false);
    head boolean := p_kind IN ('organisation', 'person') AND NOT p_web
                    AND (p_vis_user IS NULL OR p_vis_team IS NOT NULL)
                    AND relais_search_head_pays(p_kind, a.tsq);
    statement text := p_kind || CASE WHEN head THEN ' head' ELSE '' END;
    pass integer;
    ids uuid[];
    scores float8[];
BEGIN
    CASE p_kind
    WHEN 'mandate' THEN
        RETURN QUERY SELECT * FROM relais_search_mandate_ids(
            p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
            p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
            p_limit, a.code, NULL);
        RETURN;
    WHEN 'interaction' THEN
        RETURN QUERY SELECT * FROM relais_search_interaction_ids(
            p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
            p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
            p_limit, a.code, NULL);
        RETURN;
    WHEN 'organisation', 'person' THEN
        NULL;
    ELSE
        RAISE EXCEPTION 'unknown search kind %', p_kind USING ERRCODE = 'invalid_parameter_value';
    END CASE;
    -- Pass 1: the words; pass 2, when they match fewer than a page: with the corrected names.
    FOR pass IN 1..2 LOOP
        IF pass = 2 THEN
            IF coalesce(cardinality(ids), 0) >= p_limit OR p_web THEN
                EXIT;
            END IF;
            a.names := relais_search_name_query(a.norm);
            IF a.names IS NULL THEN
                EXIT;
            END IF;
        END IF;
        CASE statement
        WHEN 'organisation' THEN
            SELECT array_agg(f.record_id), array_agg(f.score) INTO ids, scores
            FROM relais_search_organisation_ids(
                p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
                p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
                p_limit, a.code, a.names) AS f;
        WHEN 'organisation head' THEN
            SELECT array_agg(f.record_id), array_agg(f.score) INTO ids, scores
            FROM relais_search_head_organisation_ids(
                p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
                p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
                p_limit, a.code, a.names) AS f;
        WHEN 'person' THEN
            SELECT array_agg(f.record_id), array_agg(f.score) INTO ids, scores
            FROM relais_search_person_ids(
                p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
                p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
                p_limit, a.code, a.names) AS f;
        ELSE
            SELECT array_agg(f.record_id), array_agg(f.score) INTO ids, scores
            FROM relais_search_head_person_ids(
                p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
                p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
                p_limit, a.code, a.names) AS f;
        END CASE;
    END LOOP;
    RETURN QUERY SELECT * FROM unnest(ids, scores);
END
$$;

-- search_plan() (0014): the statement search_ids() would choose.
SELECT relais_search_edit_function(
    'search_plan(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
    a record := relais_search_args(p_query, p_web,
        NOT p_web AND p_kind IN ('organisation', 'person'));
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN ' || search_sql(p_kind)
$q$, $q$
    a record := relais_search_args(p_query, p_web,
        NOT p_web AND p_kind IN ('organisation', 'person'));
    -- (Run by a role that may not read the frequencies, the plain statement.)
    head boolean := p_kind IN ('organisation', 'person') AND NOT p_web
                    AND (p_vis_user IS NULL OR p_vis_team IS NOT NULL)
                    AND has_table_privilege('public.search_word_frequencies', 'SELECT')
                    AND relais_search_head_pays(p_kind, a.tsq);
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN '
        || CASE WHEN head THEN search_head_sql(p_kind) ELSE search_sql(p_kind) END
$q$, 1);

SELECT relais_search_refresh_frequencies();
