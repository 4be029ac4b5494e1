-- Typos through a vocabulary of name words (issue 5, SPEC SRCH-2). Finding "Dupont" from
-- "Dupomt" used to compare the text with every name of the tenant by trigram similarity
-- (`search_name %> text` over one or two million names): the trigram index must then walk the
-- posting lists of every trigram of the text, common ones included, and typos were the slowest
-- searches (20–60 ms per kind). Now each word of the text is first corrected against the
-- tenant's vocabulary of name words (a few thousand rows, trigram-indexed), and names are then
-- found through the full-text index on the corrected words, on the name (weight A) only.
--
-- The vocabulary is maintained by the database, like everything search uses: statement-level
-- triggers on organisations and people add the words of new or renamed names (normalised with
-- relais_search_norm, as search_name) in the statement that writes them.
--
-- Words are only ever added, never counted, updated or removed:
-- - INSERT … ON CONFLICT DO NOTHING never writes or locks a word that is already there, so
--   writers do not contend on the common words. (Only two transactions adding the very same
--   new word at the same moment wait for each other, the second until the first ends.)
-- - A word left over by a rename, a deletion or a trashed record is harmless: the vocabulary
--   only proposes spellings; what is found comes from the records themselves, through the
--   full-text index, row-level security, the caller's scope and the trash rule. A stale word
--   matches no live record and so finds nothing. Words of records in the trash stay on
--   purpose: restoring a record does not rename it.
-- - Nothing in the vocabulary is ever returned to a client.
-- The vocabulary holds one row per distinct word of a tenant's names (about 8,000 for a
-- million organisations and two million people in the benchmark), so it stays small; it can be
-- rebuilt from the tables with the backfill statement below if it ever needs pruning.

SET LOCAL search_path = public, extensions;

CREATE TABLE search_words (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    word      text NOT NULL CHECK (word <> ''),
    PRIMARY KEY (tenant_id, word)
);

ALTER TABLE search_words ENABLE ROW LEVEL SECURITY;
ALTER TABLE search_words FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON search_words
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());


-- The words of the rows a statement inserted, or of those whose normalised name it changed.
-- Not SECURITY DEFINER: the words go in as the writer, under row-level security, with the
-- tenant of the rows written (which row-level security already confined to the writer's).
-- Sorted, so that one statement takes its words in a fixed order.
CREATE FUNCTION relais_search_words_add() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO search_words (tenant_id, word)
        SELECT DISTINCT n.tenant_id, w.word
        FROM new_rows n CROSS JOIN LATERAL unnest(string_to_array(n.search_name, ' ')) AS w(word)
        WHERE w.word <> ''
        ORDER BY 1, 2
        ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO search_words (tenant_id, word)
        SELECT DISTINCT n.tenant_id, w.word
        FROM new_rows n
        JOIN old_rows o ON o.tenant_id = n.tenant_id AND o.id = n.id
        CROSS JOIN LATERAL unnest(string_to_array(n.search_name, ' ')) AS w(word)
        WHERE n.search_name IS DISTINCT FROM o.search_name AND w.word <> ''
        ORDER BY 1, 2
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER organisations_search_words_insert AFTER INSERT ON organisations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_search_words_add();
CREATE TRIGGER organisations_search_words_update AFTER UPDATE ON organisations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_search_words_add();
CREATE TRIGGER people_search_words_insert AFTER INSERT ON people
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_search_words_add();
CREATE TRIGGER people_search_words_update AFTER UPDATE ON people
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_search_words_add();

-- The words of every existing name, trash included.
INSERT INTO search_words (tenant_id, word)
SELECT DISTINCT tenant_id, word
FROM (SELECT tenant_id, unnest(string_to_array(search_name, ' ')) AS word FROM organisations
      UNION ALL
      SELECT tenant_id, unnest(string_to_array(search_name, ' ')) FROM people) w
WHERE word <> ''
ON CONFLICT DO NOTHING;

-- Similar words of every tenant come from the trigram index, the tenant's among them are kept:
-- a look-up reads a handful of entries. Built after the backfill; without the pending list
-- (fastupdate), which look-ups would have to scan until the next vacuum: new words are rare,
-- so writing them straight into the index costs little.
CREATE INDEX search_words_trgm_idx ON search_words USING gin (word gin_trgm_ops)
    WITH (fastupdate = off);

-- The names alone as text-search vectors (the weight A part of search_vector), with their own
-- indexes: the typo branch looks for corrected words in names only, and a word common
-- elsewhere ("gestion" in people's job titles and notes) would otherwise make the planner read
-- the table in search of names that are not there. ANALYZE gives the planner the statistics of
-- the new index expressions (how common each word is in names).
CREATE FUNCTION relais_search_org_name_vector(name text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_tsvector('relais_french'::regconfig, name);
CREATE FUNCTION relais_search_person_name_vector(first_name text, last_name text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_tsvector('relais_french'::regconfig, coalesce(first_name, '') || ' ' || last_name);
CREATE INDEX organisations_name_search_idx ON organisations
    USING gin (relais_search_org_name_vector(name)) WHERE deleted_at IS NULL;
CREATE INDEX people_name_search_idx ON people
    USING gin (relais_search_person_name_vector(first_name, last_name)) WHERE deleted_at IS NULL;
ANALYZE organisations, people;

-- The vocabulary words closest to one word of a text ($1 tenant, $2 word): word similarity
-- ≥ 0.5 (the caller's pg_trgm.word_similarity_threshold), the 5 most similar. Written once,
-- run by relais_search_similar_words() and shown by search_plan() / autocomplete_plan().
CREATE FUNCTION relais_search_words_sql() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN 'SELECT s.word FROM search_words s
            WHERE s.tenant_id = $1 AND s.word %> $2
            ORDER BY similarity($2, s.word) DESC, s.word
            LIMIT 5';

DO $do$
BEGIN
    EXECUTE format($f$
        CREATE FUNCTION relais_search_similar_words(p_tenant uuid, p_word text)
            RETURNS SETOF text
            LANGUAGE sql STABLE STRICT PARALLEL SAFE ROWS 5
            SET search_path = pg_catalog, public, extensions
            AS %L$f$, relais_search_words_sql());
END
$do$;

-- The names a text with typos may stand for, as a full-text query: each word of the
-- normalised text (relais_search_norm) is replaced by the closest words of the tenant's
-- vocabulary (word similarity ≥ 0.5, about two edits in a six-letter word; the 5 most similar),
-- any of which may match; words of 3 characters or fewer are taken as typed. All the words
-- must match, as lexemes of relais_french (stemmed, like the names' vectors), built with
-- plainto_tsquery('simple') from to_tsvector's lexemes: no text is parsed as tsquery syntax.
-- NULL when there is nothing to correct (1–3 words, 4 characters or more in all) or when a
-- word has no close word in the vocabulary: no name can then match every word.
--
-- Reads the vocabulary of the transaction's tenant (app_current_tenant(), never an argument).
-- Not SECURITY DEFINER: called by the candidate functions, it runs as their owner; called by
-- the application role, row-level security confines it to the tenant anyway.
CREATE FUNCTION relais_search_name_query(p_norm text) RETURNS tsquery
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, public, extensions
    SET pg_trgm.word_similarity_threshold = 0.5
    AS $$
        WITH words AS (
            SELECT q.word, length(q.word) >= 4 AS corrected,
                   CASE WHEN length(q.word) >= 4 THEN (
                       SELECT relais_tsquery_or(plainto_tsquery('simple'::regconfig, l.lexeme))
                       FROM relais_search_similar_words(app_current_tenant(), q.word) AS v(word)
                       CROSS JOIN LATERAL unnest(to_tsvector('relais_french'::regconfig, v.word)) AS l)
                   ELSE (
                       SELECT relais_tsquery_and(plainto_tsquery('simple'::regconfig, l.lexeme))
                       FROM unnest(to_tsvector('relais_french'::regconfig, q.word)) AS l)
                   END AS alternatives
            FROM unnest(string_to_array(p_norm, ' ')) AS q(word)
            WHERE q.word <> '')
        SELECT CASE WHEN count(*) BETWEEN 1 AND 3 AND sum(length(word)) >= 4
                         AND bool_or(corrected) AND bool_and(alternatives IS NOT NULL OR NOT corrected)
                    THEN relais_tsquery_and(alternatives) END
        FROM words
    $$;

-- Whether some name of the tenant may have a word, not its first, starting with the normalised
-- text (what autocomplete's word branch looks for, `search_name LIKE '% text%'`, through the
-- trigram index on the names, a costly look-up for a long text): only if every word of the
-- text but the last is in the vocabulary, and some word of the vocabulary starts with the last.
-- The vocabulary holds every word of every name, so a false answer is certain; a true one only
-- lets the look-up run. Evaluated last in that branch's condition (an InitPlan, run only
-- when the names starting with the text are fewer than the page). (The text has only letters,
-- digits and spaces: no LIKE escaping.)
CREATE FUNCTION relais_search_word_starts(p_norm text) RETURNS boolean
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, public, extensions
    AS $$
        SELECT coalesce(bool_and(CASE
            WHEN u.n < u.total THEN EXISTS (
                SELECT FROM search_words s
                WHERE s.tenant_id = app_current_tenant() AND s.word = u.word)
            ELSE EXISTS (
                SELECT FROM search_words s
                WHERE s.tenant_id = app_current_tenant() AND s.word LIKE u.word || '%')
            END), false)
        FROM (SELECT w.word, w.n, count(*) OVER () AS total
              FROM unnest(string_to_array(p_norm, ' ')) WITH ORDINALITY AS w(word, n)) u
    $$;

-- pg_trgm's parameters are known (and may be set in a function's SET clause by a role that is
-- not a superuser) once its library is loaded in the session.
SELECT similarity('', '');

-- The candidate statements of migration 0007, with the typo branches rewritten: names whose
-- words match the corrected query $18 (NULL: no typo branch), found through the name-only
-- full-text indexes above and planned with the query's actual lexemes (custom plans, like the
-- other branches; no longer a MATERIALIZED CTE), instead of trigram similarity with the whole
-- text over every name. They still run only when the other branches came up short. The
-- functions that take the statements' parameters gain $18, so they are dropped and made
-- again. (0007's comments on the typo branch describe what this replaces.)
DROP FUNCTION autocomplete_plan(text, text, boolean, integer, integer, uuid, uuid);
DROP FUNCTION search_plan(text, text, boolean, integer, integer, uuid, uuid, text[], text[],
    text, timestamptz, timestamptz);
DROP FUNCTION autocomplete_ids(text, text, boolean, integer, integer, uuid, uuid);
DROP FUNCTION search_ids(text, text, boolean, integer, integer, uuid, uuid, text[], text[],
    text, timestamptz, timestamptz);
DROP FUNCTION relais_search_args(text, boolean);
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT oid::regprocedure FROM pg_proc
             WHERE proname ~ '^relais_(search|autocomplete)_[a-z]+_ids$'
               AND pronamespace = 'public'::regnamespace LOOP
        EXECUTE format('DROP FUNCTION %s', f);
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION search_sql(p_kind text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path = pg_catalog, public, extensions
    AS $f$
DECLARE
    created text := ' AND ($9 IS NULL OR %1$s.created_at >= $9) AND ($10 IS NULL OR %1$s.created_at < $10)';
BEGIN
    CASE p_kind
    WHEN 'organisation' THEN
        RETURN format($s$
            WITH words AS (
                SELECT o.id FROM organisations o
                WHERE o.tenant_id = $11 AND o.deleted_at IS NULL AND o.search_vector @@ $12
                  AND %1$s %2$s
                  AND ($6 IS NULL OR o.category = ANY ($6))
                  AND ($8 IS NULL OR lower(o.city) = lower($8))
                LIMIT $3),
            names AS (
                SELECT o.id FROM organisations o
                WHERE o.tenant_id = $11 AND o.deleted_at IS NULL
                  AND relais_search_org_name_vector(o.name) @@ $18
                  AND %1$s %2$s
                  AND ($6 IS NULL OR o.category = ANY ($6))
                  AND ($8 IS NULL OR lower(o.city) = lower($8))
                LIMIT $3)
            (SELECT id FROM words)
            UNION
            (SELECT id FROM names
             WHERE $18 IS NOT NULL
               AND (SELECT count(*) FROM (SELECT FROM words LIMIT $16) w) < $16)$s$,
            relais_search_scope_sql('o', 'owner_id'), format(created, 'o'));
    WHEN 'person' THEN
        RETURN format($s$
            WITH words AS (
                SELECT p.id FROM people p
                WHERE p.tenant_id = $11 AND p.deleted_at IS NULL AND p.search_vector @@ $12
                  AND %1$s %2$s
                LIMIT $3),
            names AS (
                SELECT p.id FROM people p
                WHERE p.tenant_id = $11 AND p.deleted_at IS NULL
                  AND relais_search_person_name_vector(p.first_name, p.last_name) @@ $18
                  AND %1$s %2$s
                LIMIT $3)
            (SELECT id FROM words)
            UNION
            (SELECT id FROM names
             WHERE $18 IS NOT NULL
               AND (SELECT count(*) FROM (SELECT FROM words LIMIT $16) w) < $16)$s$,
            relais_search_scope_sql('p', 'owner_id'), format(created, 'p'));
    WHEN 'mandate' THEN
        RETURN format($s$
            SELECT m.id FROM mandates m
            WHERE m.tenant_id = $11 AND m.deleted_at IS NULL AND m.search_vector @@ $12
              AND %1$s %2$s
              AND ($7 IS NULL OR m.status = ANY ($7))
            LIMIT $3$s$,
            relais_search_scope_sql('m', 'owner_id'), format(created, 'm'));
    WHEN 'interaction' THEN
        RETURN format($s$
            SELECT i.id FROM interactions i
            WHERE i.tenant_id = $11 AND i.deleted_at IS NULL AND i.search_vector @@ $12
              AND %1$s %2$s
            LIMIT $3$s$,
            relais_search_scope_sql('i', 'author_id'), format(created, 'i'));
    ELSE
        RAISE EXCEPTION 'unknown search kind %', p_kind USING ERRCODE = 'invalid_parameter_value';
    END CASE;
END
$f$;

-- Autocomplete: names that start with the text (any length; B-tree, alphabetical); when those
-- are fewer than the page, names with another word starting with it (2 characters or more,
-- trigram LIKE, skipped when the vocabulary shows it cannot match); when still fewer, near
-- misses (the words corrected against the vocabulary, relais_search_name_query()); and
-- emails containing the text when it looks like one (has `@` or `.`). Mandates: numbers
-- starting with it. The normalised text ($13) holds only letters, digits and single spaces, so
-- it needs no LIKE escaping.
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
                  AND o.search_name LIKE '%% ' || $13 || '%%'
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
                  AND p.search_name LIKE '%% ' || $13 || '%%'
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

-- One PL/pgSQL function per statement, generated from the text above (PL/pgSQL parses a
-- static statement once per session; EXECUTE would parse it on every call). Their parameters
-- are the statements' $1…$18. They plan every call with its values (force_custom_plan): the
-- best path depends on how common the words are, which a generic plan cannot know. JIT is off:
-- the typo branch's estimated cost can pass jit_above_cost, and compiling costs far more than
-- these short statements take to run. Not
-- SECURITY DEFINER themselves: called directly by the application role they would run under
-- row-level security.
DO $do$
DECLARE
    k text;
    params constant text := 'p_query text, p_web boolean, p_cap integer, p_vis_user uuid, '
        'p_vis_team uuid, p_categories text[], p_statuses text[], p_city text, '
        'p_created_from timestamptz, p_created_to timestamptz, p_tenant uuid, '
        'p_tsquery tsquery, p_norm text, p_email text, p_email_like text, p_limit integer, '
        'p_code text, p_names tsquery';
    create_fn constant text := $f$
        CREATE FUNCTION %I(%s) RETURNS TABLE (record_id uuid)
            LANGUAGE plpgsql STABLE ROWS 50
            SET search_path = pg_catalog, public, extensions
            SET plan_cache_mode = force_custom_plan
            SET jit = off
            AS %L$f$;
BEGIN
    FOREACH k IN ARRAY ARRAY['organisation', 'person', 'mandate', 'interaction'] LOOP
        EXECUTE format(create_fn, 'relais_search_' || k || '_ids', params,
                       'BEGIN RETURN QUERY ' || search_sql(k) || '; END');
    END LOOP;
    FOREACH k IN ARRAY ARRAY['organisation', 'person', 'mandate'] LOOP
        EXECUTE format(create_fn, 'relais_autocomplete_' || k || '_ids', params,
                       'BEGIN RETURN QUERY ' || autocomplete_sql(k) || '; END');
    END LOOP;
END
$do$;

-- The derived arguments ($11…$18) both runners pass; the corrected names ($18) only when
-- p_names (the costliest to derive: a look-up in the vocabulary per word).
CREATE FUNCTION relais_search_args(p_query text, p_web boolean, p_names boolean,
    OUT tenant uuid, OUT tsq tsquery, OUT norm text, OUT email text, OUT email_like text,
    OUT code text, OUT names tsquery)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, public, extensions
    AS $$
        SELECT app_current_tenant(),
               CASE WHEN p_web THEN websearch_to_tsquery('relais_french', p_query)
                    ELSE relais_search_loose_query(p_query) END,
               relais_search_norm(p_query),
               lower(btrim(p_query)),
               '%' || replace(replace(replace(lower(btrim(p_query)), '\', '\\'), '%', '\%'),
                              '_', '\_') || '%',
               upper(btrim(p_query)),
               CASE WHEN p_names THEN relais_search_name_query(relais_search_norm(p_query)) END
    $$;

CREATE FUNCTION search_ids(
    p_kind text, p_query text, p_web boolean, p_limit integer, p_cap integer,
    p_vis_user uuid, p_vis_team uuid,
    p_categories text[], p_statuses text[], p_city text,
    p_created_from timestamptz, p_created_to timestamptz)
    RETURNS TABLE (record_id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 50
    SET search_path = pg_catalog, public, extensions
    SET pg_trgm.word_similarity_threshold = 0.5
    AS $$
DECLARE
    a record := relais_search_args(p_query, p_web,
        NOT p_web AND p_kind IN ('organisation', 'person'));
BEGIN
    CASE p_kind
    WHEN 'organisation' THEN
        RETURN QUERY SELECT * FROM relais_search_organisation_ids(
            p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
            p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
            p_limit, a.code, a.names);
    WHEN 'person' THEN
        RETURN QUERY SELECT * FROM relais_search_person_ids(
            p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
            p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
            p_limit, a.code, a.names);
    WHEN 'mandate' THEN
        RETURN QUERY SELECT * FROM relais_search_mandate_ids(
            p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
            p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
            p_limit, a.code, a.names);
    WHEN 'interaction' THEN
        RETURN QUERY SELECT * FROM relais_search_interaction_ids(
            p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
            p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
            p_limit, a.code, a.names);
    ELSE
        RAISE EXCEPTION 'unknown search kind %', p_kind USING ERRCODE = 'invalid_parameter_value';
    END CASE;
END
$$;

CREATE FUNCTION autocomplete_ids(
    p_kind text, p_query text, p_typos boolean, p_limit integer, p_cap integer,
    p_vis_user uuid, p_vis_team uuid)
    RETURNS TABLE (record_id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 50
    SET search_path = pg_catalog, public, extensions
    SET pg_trgm.word_similarity_threshold = 0.5
    AS $$
DECLARE
    a record := relais_search_args(p_query, false,
        p_typos AND p_kind IN ('organisation', 'person'));
BEGIN
    IF a.norm = '' AND p_kind <> 'mandate' OR a.code = '' THEN
        RETURN;
    END IF;
    CASE p_kind
    WHEN 'organisation' THEN
        RETURN QUERY SELECT * FROM relais_autocomplete_organisation_ids(
            p_query, p_typos, p_cap, p_vis_user, p_vis_team, NULL, NULL, NULL, NULL, NULL,
            a.tenant, a.tsq, a.norm, a.email, a.email_like, p_limit, a.code, a.names);
    WHEN 'person' THEN
        RETURN QUERY SELECT * FROM relais_autocomplete_person_ids(
            p_query, p_typos, p_cap, p_vis_user, p_vis_team, NULL, NULL, NULL, NULL, NULL,
            a.tenant, a.tsq, a.norm, a.email, a.email_like, p_limit, a.code, a.names);
    WHEN 'mandate' THEN
        RETURN QUERY SELECT * FROM relais_autocomplete_mandate_ids(
            p_query, p_typos, p_cap, p_vis_user, p_vis_team, NULL, NULL, NULL, NULL, NULL,
            a.tenant, a.tsq, a.norm, a.email, a.email_like, p_limit, a.code, a.names);
    ELSE
        RAISE EXCEPTION 'unknown autocomplete kind %', p_kind
            USING ERRCODE = 'invalid_parameter_value';
    END CASE;
END
$$;

-- EXPLAIN of the statements above, for tests and diagnostics (VOLATILE: PostgreSQL runs
-- EXPLAIN only there). Not SECURITY DEFINER: called
-- by the application role it shows the plan row-level security forces (sequential scans);
-- called by the owner, the plan search_ids() and autocomplete_ids() actually run.
CREATE FUNCTION search_plan(
    p_kind text, p_query text, p_web boolean, p_limit integer, p_cap integer,
    p_vis_user uuid, p_vis_team uuid,
    p_categories text[], p_statuses text[], p_city text,
    p_created_from timestamptz, p_created_to timestamptz)
    RETURNS SETOF text
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, extensions
    SET pg_trgm.word_similarity_threshold = 0.5
    AS $$
DECLARE
    a record := relais_search_args(p_query, p_web,
        NOT p_web AND p_kind IN ('organisation', 'person'));
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN ' || search_sql(p_kind)
        USING p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
              p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
              p_limit, a.code, a.names;
    -- The vocabulary look-up of the first word the typo branch would correct.
    IF a.names IS NOT NULL THEN
        RETURN QUERY EXECUTE 'EXPLAIN ' || relais_search_words_sql()
            USING a.tenant, (SELECT w FROM unnest(string_to_array(a.norm, ' ')) AS w
                             WHERE length(w) >= 4 LIMIT 1);
    END IF;
END
$$;

CREATE FUNCTION autocomplete_plan(
    p_kind text, p_query text, p_typos boolean, p_limit integer, p_cap integer,
    p_vis_user uuid, p_vis_team uuid)
    RETURNS SETOF text
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, extensions
    SET pg_trgm.word_similarity_threshold = 0.5
    AS $$
DECLARE
    a record := relais_search_args(p_query, false,
        p_typos AND p_kind IN ('organisation', 'person'));
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN ' || autocomplete_sql(p_kind)
        USING p_query, p_typos, p_cap, p_vis_user, p_vis_team, NULL::text[], NULL::text[],
              NULL::text, NULL::timestamptz, NULL::timestamptz, a.tenant, a.tsq, a.norm,
              a.email, a.email_like, p_limit, a.code, a.names;
    -- The vocabulary look-up of the first word the typo branch would correct.
    IF a.names IS NOT NULL THEN
        RETURN QUERY EXECUTE 'EXPLAIN ' || relais_search_words_sql()
            USING a.tenant, (SELECT w FROM unnest(string_to_array(a.norm, ' ')) AS w
                             WHERE length(w) >= 4 LIMIT 1);
    END IF;
END
$$;
