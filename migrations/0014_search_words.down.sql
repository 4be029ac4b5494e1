-- Back to migration 0007's typo matching (trigram similarity over the names): the candidate
-- functions as 0007 made them, without the vocabulary.
SET LOCAL search_path = public, extensions;

DROP FUNCTION IF EXISTS autocomplete_plan(text, text, boolean, integer, integer, uuid, uuid);
DROP FUNCTION IF EXISTS search_plan(text, text, boolean, integer, integer, uuid, uuid, text[],
    text[], text, timestamptz, timestamptz);
DROP FUNCTION IF EXISTS autocomplete_ids(text, text, boolean, integer, integer, uuid, uuid);
DROP FUNCTION IF EXISTS search_ids(text, text, boolean, integer, integer, uuid, uuid, text[],
    text[], text, timestamptz, timestamptz);
DROP FUNCTION IF EXISTS relais_search_args(text, boolean, boolean);
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
DROP FUNCTION IF EXISTS relais_search_name_query(text);
DROP FUNCTION IF EXISTS relais_search_word_starts(text);
DROP INDEX IF EXISTS organisations_name_search_idx, people_name_search_idx;
DROP FUNCTION IF EXISTS relais_search_org_name_vector(text);
DROP FUNCTION IF EXISTS relais_search_person_name_vector(text, text);
DROP FUNCTION IF EXISTS relais_search_similar_words(uuid, text);
DROP FUNCTION IF EXISTS relais_search_words_sql();
DROP TRIGGER IF EXISTS people_search_words_update ON people;
DROP TRIGGER IF EXISTS people_search_words_insert ON people;
DROP TRIGGER IF EXISTS organisations_search_words_update ON organisations;
DROP TRIGGER IF EXISTS organisations_search_words_insert ON organisations;
DROP FUNCTION IF EXISTS relais_search_words_add();
DROP TABLE IF EXISTS search_words;

SELECT similarity('', '');

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
CREATE OR REPLACE FUNCTION autocomplete_sql(p_kind text) RETURNS text
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
