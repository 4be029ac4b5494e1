-- Search (SPEC SRCH-1…4): French full-text search that ignores accents, typo-tolerant and
-- prefix matching on names, all maintained by the database itself (generated columns and
-- indexes), so a record is findable by the statement after the one that wrote it.
--
-- unaccent and pg_trgm ship with postgresql-contrib and are "trusted" extensions since
-- PostgreSQL 13: the database owner (the migration role, not a superuser) may create them.
-- They go to their own schema, so that `public` holds only Relais's objects (`relais migrate`
-- grants the application role EXECUTE on every function in `public`, which it cannot do for
-- functions owned by the bootstrap superuser). Where a superuser created them beforehand, in
-- `public` or `extensions`, they are used where they are: names below resolve in both, and
-- what functions with a SQL-standard body, text-search configurations and indexes refer to
-- is fixed when they are created.

CREATE SCHEMA IF NOT EXISTS extensions;
GRANT USAGE ON SCHEMA extensions TO PUBLIC;
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA extensions;
SET LOCAL search_path = public, extensions;

-- French stemming after removing accents: "Société Générale" and "societe generale" give the
-- same lexemes. The stock `french` configuration keeps accents, so words with accents
-- (token types word, hword, hword_part) go through unaccent before the stemmer.
CREATE TEXT SEARCH CONFIGURATION relais_french (COPY = pg_catalog.french);
ALTER TEXT SEARCH CONFIGURATION relais_french
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, pg_catalog.french_stem;

-- unaccent() is only STABLE (it looks its dictionary up by name, in its own schema), so it
-- cannot appear in an index or a generated column. This wrapper is IMMUTABLE, which holds as
-- long as nobody edits the unaccent rules file.
--
-- The form names are compared in for trigram (typo) and prefix matching: no accents, lower
-- case, every run of punctuation or spaces made one space ("L'Oréal-Gestion" → "l oreal gestion").
CREATE FUNCTION relais_search_norm(t text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN btrim(regexp_replace(lower(unaccent(t)), '[^[:alnum:]]+', ' ', 'g'));

-- pg_trgm's similarities under names that do not depend on where the extension lives.
CREATE FUNCTION relais_search_similarity(a text, b text) RETURNS real
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN similarity(a, b);
CREATE FUNCTION relais_search_word_similarity(a text, b text) RETURNS real
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN word_similarity(a, b);

-- Tags as text for the search vector (array_to_string is only STABLE in general; for text[]
-- it is immutable).
CREATE FUNCTION relais_search_tags(tags text[]) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN array_to_string(tags, ' ');

-- An email as searchable text: the address itself (one lexeme), its domain and its words,
-- so that "sgg.fr" or "sgg" find "contact@sgg.fr".
CREATE FUNCTION relais_search_email(email text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN email || ' ' || split_part(email, '@', 2) || ' ' || translate(email, '@.', '  ');

-- The query used to find candidates when the text has no web-search syntax (quotes, `or`,
-- a leading `-`): every word must match, either exactly (after stemming and unaccenting) or
-- through a shorter stem it starts with, down to 5 letters and at most 4 letters shorter.
-- French stemming keeps derived words apart ("gestionnaires" → gestionnair, "gestion" →
-- gestion; "parisiens" → parisien, "Paris" → paris); this lets the longer word find the
-- shorter one. Exact matches still rank first (the caller ranks with the exact query too).
-- Lexemes come from to_tsvector and become queries through plainto_tsquery: no query text is
-- ever parsed as tsquery syntax.
CREATE AGGREGATE relais_tsquery_and(tsquery) (SFUNC = tsquery_and, STYPE = tsquery);
CREATE AGGREGATE relais_tsquery_or(tsquery) (SFUNC = tsquery_or, STYPE = tsquery);

CREATE FUNCTION relais_search_loose_query(q text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (
        SELECT relais_tsquery_and(alternatives)
        FROM (
            SELECT (
                SELECT relais_tsquery_or(plainto_tsquery('simple'::regconfig, left(l.lexeme, n)))
                FROM generate_series(
                    CASE WHEN l.lexeme ~ '^[a-z]{6,}$' THEN greatest(5, length(l.lexeme) - 4)
                         ELSE length(l.lexeme) END,
                    length(l.lexeme)) AS n
            ) AS alternatives
            FROM unnest(to_tsvector('relais_french'::regconfig, q)) AS l
        ) AS words
    );

-- Weights: A = names, B = emails and codes, C = notes, descriptions, places, tags.
ALTER TABLE organisations ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('relais_french'::regconfig, name), 'A')
    || setweight(to_tsvector('relais_french'::regconfig,
                             coalesce(relais_search_email(email), '') || ' '
                             || coalesce(website, '')), 'B')
    || setweight(to_tsvector('relais_french'::regconfig,
                             coalesce(city, '') || ' ' || coalesce(address, '') || ' '
                             || coalesce(postcode, '') || ' ' || relais_search_tags(tags) || ' '
                             || coalesce(notes, '')), 'C')
) STORED;

ALTER TABLE people ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('relais_french'::regconfig,
                          coalesce(first_name, '') || ' ' || last_name), 'A')
    || setweight(to_tsvector('relais_french'::regconfig,
                             coalesce(relais_search_email(email), '')), 'B')
    || setweight(to_tsvector('relais_french'::regconfig,
                             coalesce(job_title, '') || ' ' || relais_search_tags(tags) || ' '
                             || coalesce(notes, '')), 'C')
) STORED;

-- Names in the form trigram and prefix matching compare (relais_search_norm), stored so that
-- re-checking an index hit does not redo the normalisation for every candidate row.
ALTER TABLE organisations ADD COLUMN search_name text
    GENERATED ALWAYS AS (relais_search_norm(name)) STORED;
ALTER TABLE people ADD COLUMN search_name text
    GENERATED ALWAYS AS (relais_search_norm(coalesce(first_name, '') || ' ' || last_name)) STORED;

ALTER TABLE mandates ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('relais_french'::regconfig,
                          number || ' ' || translate(number, '-/._', '    ')), 'B')
    || setweight(to_tsvector('relais_french'::regconfig, coalesce(notes, '')), 'C')
) STORED;

ALTER TABLE interactions ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('relais_french'::regconfig, summary), 'C')
) STORED;

-- Full-text indexes. Search never returns records in the trash, so the indexes leave them out.
CREATE INDEX organisations_search_idx ON organisations USING gin (search_vector)
    WHERE deleted_at IS NULL;
CREATE INDEX people_search_idx ON people USING gin (search_vector)
    WHERE deleted_at IS NULL;
CREATE INDEX mandates_search_idx ON mandates USING gin (search_vector)
    WHERE deleted_at IS NULL;
CREATE INDEX interactions_search_idx ON interactions USING gin (search_vector)
    WHERE deleted_at IS NULL;

-- Trigram indexes for typos ("Dupond" finds "Dupont") and word prefixes inside names
-- ("gen" finds "Société Générale"), on the normalised names and on emails.
CREATE INDEX organisations_name_trgm_idx ON organisations USING gin (search_name gin_trgm_ops)
    WHERE deleted_at IS NULL;
CREATE INDEX organisations_email_trgm_idx ON organisations USING gin (lower(email) gin_trgm_ops)
    WHERE deleted_at IS NULL;
CREATE INDEX people_name_trgm_idx ON people USING gin (search_name gin_trgm_ops)
    WHERE deleted_at IS NULL;
CREATE INDEX people_email_trgm_idx ON people USING gin (email gin_trgm_ops)
    WHERE deleted_at IS NULL;

-- "The name starts with …" for autocomplete, including the shortest prefixes (1–2 letters)
-- where trigrams cannot help: B-tree range scans in byte order, already sorted. People are
-- found by "first last" and by their last name alone.
CREATE INDEX organisations_name_prefix_idx ON organisations
    (tenant_id, (search_name COLLATE "C")) WHERE deleted_at IS NULL;
CREATE INDEX people_name_prefix_idx ON people
    (tenant_id, (search_name COLLATE "C")) WHERE deleted_at IS NULL;
CREATE INDEX people_last_name_prefix_idx ON people
    (tenant_id, (relais_search_norm(last_name) COLLATE "C")) WHERE deleted_at IS NULL;
CREATE INDEX mandates_number_prefix_idx ON mandates (tenant_id, (number COLLATE "C"))
    WHERE deleted_at IS NULL;

-- ---------------------------------------------------------------------------------------------
-- Candidate look-ups
--
-- Row-level security lets the planner use an index only for conditions whose operators are
-- LEAKPROOF (so that no row of another tenant can reach a function that might reveal it). The
-- text-search (@@) and trigram (<%, LIKE) operators are not, and only a superuser could mark
-- them so: through the application role every search would read the whole table.
--
-- search_ids() and autocomplete_ids() are therefore SECURITY DEFINER: they run as the owner
-- (BYPASSRLS), take the tenant from the transaction (app_current_tenant(), never from an
-- argument; unset, they find nothing) and return record ids only, at most p_cap per kind of
-- match. The server then reads, scores and highlights those rows through the ordinary
-- row-level-security path, where it applies the caller's scope and the trash rule again.
--
-- Scope arguments mirror relais_store's `Visibility`: p_vis_user NULL = every record;
-- otherwise the records owned by p_vis_user plus, when p_vis_team is not NULL, those owned by
-- that team's members. Filter arguments are NULL when unused.
--
-- ROWS 50 tells the planner of the calling statement to expect a handful of ids (not the
-- default 1000), so it fetches them by primary key rather than hashing the whole table.
--
-- The statements are written once, in search_sql() / autocomplete_sql(); the functions that
-- run them are generated from that text, and search_plan() / autocomplete_plan() show the
-- same statements' plans.
--
-- Each kind of match is capped by a LIMIT inside its statement, and the statements are planned
-- with their actual values (custom plans, see below): a rare word goes through the index, a
-- common one ("paris", "patrimoine") through whatever path reaches p_cap rows first, often
-- reading the table and stopping early, where a bitmap index scan would first collect every
-- match. Typo matches (word similarity ≥ 0.5, about two edits in a six-letter name, on texts of
-- one or two words and 4 characters or more) are the exception: PostgreSQL has no statistics to
-- tell how many names are similar to a text, so that statement is a MATERIALIZED CTE, planned
-- as if every match were needed (the trigram index) and read under the LIMIT. It is also the
-- costliest (every trigram of the text is looked up), so it runs only when fewer records than
-- the page holds ($16) match otherwise, and for autocomplete only when the caller allows it
-- ($2: the server asks again with typos once the other branches of every kind came up short).
--
-- Parameters of the statements: $1 query text, $2 web-search syntax (search) or typo matching
-- allowed (autocomplete), $3 cap, $4 scope user,
-- $5 scope team, $6 categories, $7 statuses, $8 city, $9 created from, $10 created to,
-- $11 tenant, $12 tsquery, $13 normalised text, $14 the text as an email fragment,
-- $15 LIKE pattern for emails, $16 page size, $17 the text as a code (mandates).

-- pg_trgm's parameters are known (and may be set in a function's SET clause by a role that is
-- not a superuser) once its library is loaded in the session.
SELECT similarity('', '');

-- "Owned within the scope", for a table alias and its owner column.
CREATE FUNCTION relais_search_scope_sql(t text, owner_col text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN format('($4 IS NULL OR %1$s.%2$s = $4 OR ($5 IS NOT NULL AND %1$s.%2$s IN (
                       SELECT u.id FROM users u WHERE u.tenant_id = $11 AND u.team_id = $5)))',
                  t, owner_col);

CREATE FUNCTION search_sql(p_kind text) RETURNS text
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
            names AS MATERIALIZED (
                SELECT o.id FROM organisations o
                WHERE o.tenant_id = $11 AND o.deleted_at IS NULL AND o.search_name %%> $13
                  AND %1$s %2$s
                  AND ($6 IS NULL OR o.category = ANY ($6))
                  AND ($8 IS NULL OR lower(o.city) = lower($8)))
            (SELECT id FROM words)
            UNION
            (SELECT id FROM names
             WHERE NOT $2 AND length($13) >= 4 AND array_length(string_to_array($13, ' '), 1) <= 2
               AND (SELECT count(*) FROM (SELECT FROM words LIMIT $16) w) < $16
             LIMIT $3)$s$,
            relais_search_scope_sql('o', 'owner_id'), format(created, 'o'));
    WHEN 'person' THEN
        RETURN format($s$
            WITH words AS (
                SELECT p.id FROM people p
                WHERE p.tenant_id = $11 AND p.deleted_at IS NULL AND p.search_vector @@ $12
                  AND %1$s %2$s
                LIMIT $3),
            names AS MATERIALIZED (
                SELECT p.id FROM people p
                WHERE p.tenant_id = $11 AND p.deleted_at IS NULL AND p.search_name %%> $13
                  AND %1$s %2$s)
            (SELECT id FROM words)
            UNION
            (SELECT id FROM names
             WHERE NOT $2 AND length($13) >= 4 AND array_length(string_to_array($13, ' '), 1) <= 2
               AND (SELECT count(*) FROM (SELECT FROM words LIMIT $16) w) < $16
             LIMIT $3)$s$,
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
-- trigram LIKE); when still fewer, near misses (4 characters or more, trigram similarity); and
-- emails containing the text when it looks like one (has `@` or `.`). Mandates: numbers
-- starting with it. The normalised text ($13) holds only letters, digits and single spaces, so
-- it needs no LIKE escaping.
CREATE FUNCTION autocomplete_sql(p_kind text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path = pg_catalog, public, extensions
    AS $f$
BEGIN
    CASE p_kind
    WHEN 'organisation' THEN
        RETURN format($s$
            WITH names AS MATERIALIZED (
                SELECT o.id FROM organisations o
                WHERE o.tenant_id = $11 AND o.deleted_at IS NULL AND o.search_name %%> $13
                  AND %1$s),
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
             WHERE length($13) >= 2 AND (SELECT count(*) FROM starts) < $16)
            UNION
            (SELECT id FROM names
             WHERE $2 AND length($13) >= 4 AND array_length(string_to_array($13, ' '), 1) <= 2
               AND (SELECT count(*) FROM starts)
                   + (SELECT count(*) FROM (SELECT FROM words LIMIT $16) w) < $16
             LIMIT $3)
            UNION
            (SELECT id FROM emails WHERE length($14) >= 3 AND $14 ~ '[@.]')$s$,
            relais_search_scope_sql('o', 'owner_id'));
    WHEN 'person' THEN
        RETURN format($s$
            WITH names AS MATERIALIZED (
                SELECT p.id FROM people p
                WHERE p.tenant_id = $11 AND p.deleted_at IS NULL AND p.search_name %%> $13
                  AND %1$s),
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
             WHERE length($13) >= 2 AND (SELECT count(*) FROM starts) < $16)
            UNION
            (SELECT id FROM names
             WHERE $2 AND length($13) >= 4 AND array_length(string_to_array($13, ' '), 1) <= 2
               AND (SELECT count(*) FROM starts)
                   + (SELECT count(*) FROM (SELECT FROM words LIMIT $16) w) < $16
             LIMIT $3)
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
-- are the statements' $1…$17. They plan every call with its values (force_custom_plan): the
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
        'p_code text';
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

-- The derived arguments ($11…$17) both runners pass.
CREATE FUNCTION relais_search_args(p_query text, p_web boolean,
    OUT tenant uuid, OUT tsq tsquery, OUT norm text, OUT email text, OUT email_like text,
    OUT code text)
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
               upper(btrim(p_query))
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
    a record := relais_search_args(p_query, p_web);
BEGIN
    CASE p_kind
    WHEN 'organisation' THEN
        RETURN QUERY SELECT * FROM relais_search_organisation_ids(
            p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
            p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
            p_limit, a.code);
    WHEN 'person' THEN
        RETURN QUERY SELECT * FROM relais_search_person_ids(
            p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
            p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
            p_limit, a.code);
    WHEN 'mandate' THEN
        RETURN QUERY SELECT * FROM relais_search_mandate_ids(
            p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
            p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
            p_limit, a.code);
    WHEN 'interaction' THEN
        RETURN QUERY SELECT * FROM relais_search_interaction_ids(
            p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
            p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
            p_limit, a.code);
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
    a record := relais_search_args(p_query, false);
BEGIN
    IF a.norm = '' AND p_kind <> 'mandate' OR a.code = '' THEN
        RETURN;
    END IF;
    CASE p_kind
    WHEN 'organisation' THEN
        RETURN QUERY SELECT * FROM relais_autocomplete_organisation_ids(
            p_query, p_typos, p_cap, p_vis_user, p_vis_team, NULL, NULL, NULL, NULL, NULL,
            a.tenant, a.tsq, a.norm, a.email, a.email_like, p_limit, a.code);
    WHEN 'person' THEN
        RETURN QUERY SELECT * FROM relais_autocomplete_person_ids(
            p_query, p_typos, p_cap, p_vis_user, p_vis_team, NULL, NULL, NULL, NULL, NULL,
            a.tenant, a.tsq, a.norm, a.email, a.email_like, p_limit, a.code);
    WHEN 'mandate' THEN
        RETURN QUERY SELECT * FROM relais_autocomplete_mandate_ids(
            p_query, p_typos, p_cap, p_vis_user, p_vis_team, NULL, NULL, NULL, NULL, NULL,
            a.tenant, a.tsq, a.norm, a.email, a.email_like, p_limit, a.code);
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
    a record := relais_search_args(p_query, p_web);
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN ' || search_sql(p_kind)
        USING p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
              p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
              p_limit, a.code;
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
    a record := relais_search_args(p_query, false);
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN ' || autocomplete_sql(p_kind)
        USING p_query, p_typos, p_cap, p_vis_user, p_vis_team, NULL::text[], NULL::text[],
              NULL::text, NULL::timestamptz, NULL::timestamptz, a.tenant, a.tsq, a.norm,
              a.email, a.email_like, p_limit, a.code;
END
$$;
