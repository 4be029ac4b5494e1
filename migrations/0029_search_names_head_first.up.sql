-- Near misses of common names read an eighth of the tenant first (issue 5, SPEC SRCH-2…3;
-- docs/PERFORMANCE.md, Search).
--
-- A text with a typo ("Dupomt") matches no word; its words are then corrected against the
-- tenant's vocabulary (0014) and the names are looked up by the corrected words ("dupond |
-- dupont") through the names' text indexes: search's second pass, autocomplete's near misses.
-- Corrected words are names, and common ones: "dupont | dupond" is 13,000 of 2 million people,
-- a bitmap built and sorted whole (4 ms) for the 50 or 100 rows kept. 0028 split the word
-- look-ups so; this does the same for the name look-ups:
-- - partial twins of the names' indexes over the same eighth of the ids
--   (organisations_name_head_idx, people_name_head_idx: 2 and 4 MB at 1 million organisations
--   and 2 million people);
-- - the name look-up as a statement of its own, plain or eighth first (search_names_sql,
--   autocomplete_near_head_sql), with candidate functions made like the others;
-- - the same choice as 0028's, from the planner's statistics of the names' index expressions
--   (the most common words of names and the share of rows each is in), which
--   relais_search_refresh_frequencies() now copies too, as kinds 'organisation name' and
--   'person name': common enough to fill a page from the eighth (1,000 rows or more), not so
--   common that reading in order is better (2.5 % or less), and the whole tenant or a team;
-- - search_ids()' second pass runs the name look-up alone and adds its matches to the first
--   pass's (before, it ran the words again with the names: the same rows, in one statement).
-- Autocomplete's first pass also returns at once for a text the vocabulary says no name can
-- start with (a typo, mostly), before its near misses.
-- Measured (docs/PERFORMANCE.md): "Dupomt" among people 4.8 → 1.1 ms for the look-up.

SET LOCAL search_path = public, extensions;

SELECT similarity('', '');

CREATE INDEX organisations_name_head_idx ON organisations
    USING gin (relais_search_org_name_vector(name))
    WHERE deleted_at IS NULL AND relais_search_head(id);
CREATE INDEX people_name_head_idx ON people
    USING gin (relais_search_person_name_vector(first_name, last_name))
    WHERE deleted_at IS NULL AND relais_search_head(id);

-- The corrected names' look-up of search alone, eighth first when p_head: the `names` part of
-- search_sql() (0020, 0027), taken from its text, so that its score stays the words' score
-- exactly (search_ids() merges the two passes' rows) and a later edit of the statement applies
-- to both. Same parameters as the other candidate statements.
CREATE FUNCTION search_names_sql(p_kind text, p_head boolean) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path = pg_catalog, public, extensions
    AS $f$
DECLARE
    part constant text[] := regexp_match(search_sql(p_kind), 'names AS \((.*?)(\s+LIMIT \$3)\)');
BEGIN
    IF part IS NULL THEN
        RAISE EXCEPTION 'no names to search for kind %', p_kind
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN CASE WHEN p_head
                THEN relais_search_head_first_sql(part[1] || '{part}' || part[2], left(p_kind, 1))
                ELSE part[1] || part[2] END;
END
$f$;

-- Autocomplete's near misses (autocomplete_near_sql(), 0026), eighth first.
CREATE FUNCTION autocomplete_near_head_sql(p_kind text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path = pg_catalog, public, extensions
    AS $f$
DECLARE
    stmt constant text := autocomplete_near_sql(p_kind);
BEGIN
    IF stmt !~ '\s+LIMIT \$3$' THEN
        RAISE EXCEPTION 'the near misses of % no longer end with their limit', p_kind;
    END IF;
    RETURN relais_search_head_first_sql(regexp_replace(stmt, '(\s+LIMIT \$3)$', '{part}\1'),
                                        left(p_kind, 1));
END
$f$;

-- The candidate functions, with the settings of their plain siblings.
SELECT relais_search_make_candidate(
           'relais_search_names_' || k || '_ids', f, search_names_sql(k, false)),
       relais_search_make_candidate(
           'relais_search_names_head_' || k || '_ids', f, search_names_sql(k, true))
FROM unnest(ARRAY['organisation', 'person']) AS k,
     LATERAL (SELECT ('relais_search_' || k || '_ids(text, boolean, integer, uuid, uuid, '
                      'text[], text[], text, timestamptz, timestamptz, uuid, tsquery, text, '
                      'text, text, integer, text, tsquery)')::regprocedure AS f) l;
SELECT relais_search_make_candidate(
           'relais_autocomplete_near_head_' || k || '_ids',
           ('relais_autocomplete_near_' || k || '_ids(text, boolean, integer, uuid, uuid, '
            'text[], text[], text, timestamptz, timestamptz, uuid, tsquery, text, text, text, '
            'integer, text, tsquery)')::regprocedure,
           autocomplete_near_head_sql(k))
FROM unnest(ARRAY['organisation', 'person']) AS k;

-- The rebuild knows the new families (names of three words before the kind).
SELECT relais_search_edit_function(
    'relais_search_rebuild_candidates()',
    $q$'^relais_(search|autocomplete)_([a-z]+_)?[a-z]+_ids$'$q$, $q$'^relais_(search|autocomplete)_([a-z]+_)*[a-z]+_ids$'$q$, 1);
SELECT relais_search_edit_function(
    'relais_search_rebuild_candidates()',
    $q$
        IF f.proname LIKE 'relais\_search\_head\_%' THEN
$q$, $q$
        IF f.proname LIKE 'relais\_search\_names\_head\_%' THEN
            body := search_names_sql(kind, true);
        ELSIF f.proname LIKE 'relais\_search\_names\_%' THEN
            body := search_names_sql(kind, false);
        ELSIF f.proname LIKE 'relais\_autocomplete\_near\_head\_%' THEN
            body := autocomplete_near_head_sql(kind);
        ELSIF f.proname LIKE 'relais\_search\_head\_%' THEN
$q$, 1);

-- The statistics of the names' index expressions too (ANALYZE keeps them under the index's
-- name); their shares are of the live rows, the rows counted those of the table.
SELECT relais_search_edit_function(
    'relais_search_refresh_frequencies()',
    $q$
    FROM (VALUES ('organisation', 'organisations'), ('person', 'people')) AS k (kind, tbl)
    JOIN pg_class c ON c.oid = ('public.' || k.tbl)::regclass
    JOIN pg_stats s ON s.schemaname = 'public' AND s.tablename = k.tbl
                   AND s.attname = 'search_vector'
$q$, $q$
    FROM (VALUES ('organisation', 'organisations', 'organisations', 'search_vector'),
                 ('person', 'people', 'people', 'search_vector'),
                 ('organisation name', 'organisations', 'organisations_name_search_idx',
                  'relais_search_org_name_vector'),
                 ('person name', 'people', 'people_name_search_idx',
                  'relais_search_person_name_vector')) AS k (kind, tbl, stats, col)
    JOIN pg_class c ON c.oid = ('public.' || k.tbl)::regclass
    JOIN pg_stats s ON s.schemaname = 'public' AND s.tablename = k.stats
                   AND s.attname = k.col
$q$, 1);

-- search_ids(): the second pass runs the name look-up alone, eighth first when it pays, and
-- adds its matches to the first pass's.
SELECT relais_search_edit_function(
    'search_ids(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
            IF a.names IS NULL THEN
                EXIT;
            END IF;
        END IF;
$q$, $q$
            IF a.names IS NULL THEN
                EXIT;
            END IF;
            statement := p_kind || ' names'
                || CASE WHEN (p_vis_user IS NULL OR p_vis_team IS NOT NULL)
                             AND relais_search_head_pays(p_kind || ' name', a.names)
                        THEN ' head' ELSE '' END;
        END IF;
$q$, 1);
SELECT relais_search_edit_function(
    'search_ids(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
        ELSE
            SELECT array_agg(f.record_id), array_agg(f.score) INTO ids, scores
            FROM relais_search_head_person_ids(
$q$, $q$
        WHEN 'organisation names' THEN
            SELECT array_agg(u.record_id), array_agg(u.score) INTO ids, scores
            FROM (SELECT * FROM unnest(ids, scores) AS w (record_id, score)
                  UNION
                  SELECT * FROM relais_search_names_organisation_ids(
                      p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses,
                      p_city, p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email,
                      a.email_like, p_limit, a.code, a.names)) AS u;
        WHEN 'organisation names head' THEN
            SELECT array_agg(u.record_id), array_agg(u.score) INTO ids, scores
            FROM (SELECT * FROM unnest(ids, scores) AS w (record_id, score)
                  UNION
                  SELECT * FROM relais_search_names_head_organisation_ids(
                      p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses,
                      p_city, p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email,
                      a.email_like, p_limit, a.code, a.names)) AS u;
        WHEN 'person names' THEN
            SELECT array_agg(u.record_id), array_agg(u.score) INTO ids, scores
            FROM (SELECT * FROM unnest(ids, scores) AS w (record_id, score)
                  UNION
                  SELECT * FROM relais_search_names_person_ids(
                      p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses,
                      p_city, p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email,
                      a.email_like, p_limit, a.code, a.names)) AS u;
        WHEN 'person names head' THEN
            SELECT array_agg(u.record_id), array_agg(u.score) INTO ids, scores
            FROM (SELECT * FROM unnest(ids, scores) AS w (record_id, score)
                  UNION
                  SELECT * FROM relais_search_names_head_person_ids(
                      p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses,
                      p_city, p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email,
                      a.email_like, p_limit, a.code, a.names)) AS u;
        ELSE
            SELECT array_agg(f.record_id), array_agg(f.score) INTO ids, scores
            FROM relais_search_head_person_ids(
$q$, 1);

-- autocomplete_ids(): the near misses eighth first when they pay.
SELECT relais_search_edit_function(
    'autocomplete_ids(text, text, boolean, integer, integer, uuid, uuid)',
    $q$
        IF p_kind = 'organisation' THEN
            RETURN QUERY SELECT * FROM relais_autocomplete_near_organisation_ids(
$q$, $q$
        IF p_kind = 'organisation' AND (p_vis_user IS NULL OR p_vis_team IS NOT NULL)
           AND relais_search_head_pays('organisation name', a.names) THEN
            RETURN QUERY SELECT * FROM relais_autocomplete_near_head_organisation_ids(
                p_query, true, p_cap, p_vis_user, p_vis_team, NULL, NULL, NULL, NULL, NULL,
                a.tenant, a.tsq, a.norm, a.email, a.email_like, p_limit, a.code, a.names);
        ELSIF p_kind = 'organisation' THEN
            RETURN QUERY SELECT * FROM relais_autocomplete_near_organisation_ids(
$q$, 1);
SELECT relais_search_edit_function(
    'autocomplete_ids(text, text, boolean, integer, integer, uuid, uuid)',
    $q$
        ELSIF p_kind = 'person' THEN
            RETURN QUERY SELECT * FROM relais_autocomplete_near_person_ids(
$q$, $q$
        ELSIF p_kind = 'person' AND (p_vis_user IS NULL OR p_vis_team IS NOT NULL)
           AND relais_search_head_pays('person name', a.names) THEN
            RETURN QUERY SELECT * FROM relais_autocomplete_near_head_person_ids(
                p_query, true, p_cap, p_vis_user, p_vis_team, NULL, NULL, NULL, NULL, NULL,
                a.tenant, a.tsq, a.norm, a.email, a.email_like, p_limit, a.code, a.names);
        ELSIF p_kind = 'person' THEN
            RETURN QUERY SELECT * FROM relais_autocomplete_near_person_ids(
$q$, 1);

-- autocomplete_ids(): the first pass of a text that no name can start with, nor have a later
-- word starting with (the vocabulary holds every word of every name, 0014: a word missing from
-- it is certain), and that is no e-mail, returns at once instead of planning its statement
-- (about 1 ms for nothing: typos, whose near misses come next). Texts of 1–2 characters keep
-- the statement, whose prefix look-up is cheaper than the vocabulary's for them.
SELECT relais_search_edit_function(
    'autocomplete_ids(text, text, boolean, integer, integer, uuid, uuid)',
    $q$
    CASE p_kind
    WHEN 'organisation' THEN
$q$, $q$
    IF p_kind IN ('organisation', 'person') AND length(a.norm) >= 3
       AND NOT (length(a.email) >= 3 AND a.email ~ '[@.]')
       AND NOT relais_search_word_starts(a.norm) THEN
        RETURN;
    END IF;
    CASE p_kind
    WHEN 'organisation' THEN
$q$, 1);

-- search_plan() and autocomplete_plan(): the name look-up they would choose (read by a role
-- that may not read the frequencies: the plain one), search's apart from the words'.
SELECT relais_search_edit_function(
    'search_plan(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
                    AND relais_search_head_pays(p_kind, a.tsq);
BEGIN
$q$, $q$
                    AND relais_search_head_pays(p_kind, a.tsq);
    head_names boolean := p_kind IN ('organisation', 'person') AND a.names IS NOT NULL
                    AND (p_vis_user IS NULL OR p_vis_team IS NOT NULL)
                    AND has_table_privilege('public.search_word_frequencies', 'SELECT')
                    AND relais_search_head_pays(p_kind || ' name', a.names);
BEGIN
$q$, 1);
SELECT relais_search_edit_function(
    'search_plan(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
              p_limit, a.code, a.names;
    -- The vocabulary look-up of the first word the typo branch would correct.
    IF a.names IS NOT NULL THEN
$q$, $q$
              p_limit, a.code, NULL::tsquery;
    -- The corrected names' look-up (the second pass, when the words match fewer than a page)
    -- and the vocabulary look-up of the first word it corrects.
    IF a.names IS NOT NULL THEN
        RETURN QUERY EXECUTE 'EXPLAIN ' || search_names_sql(p_kind, head_names)
            USING p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses,
                  p_city, p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email,
                  a.email_like, p_limit, a.code, a.names;
$q$, 1);
SELECT relais_search_edit_function(
    'autocomplete_plan(text, text, boolean, integer, integer, uuid, uuid)',
    $q$
    a record := relais_search_args(p_query, false, near);
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN '
            || CASE WHEN near THEN autocomplete_near_sql(p_kind) ELSE autocomplete_sql(p_kind) END
$q$, $q$
    a record := relais_search_args(p_query, false, near);
    near_head constant boolean := near AND (p_vis_user IS NULL OR p_vis_team IS NOT NULL)
                    AND has_table_privilege('public.search_word_frequencies', 'SELECT')
                    AND relais_search_head_pays(p_kind || ' name', a.names);
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN '
            || CASE WHEN near_head THEN autocomplete_near_head_sql(p_kind)
                    WHEN near THEN autocomplete_near_sql(p_kind) ELSE autocomplete_sql(p_kind) END
$q$, 1);

ANALYZE organisations, people;
SELECT relais_search_refresh_frequencies();
