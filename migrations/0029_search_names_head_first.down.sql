-- The name look-ups as before: in search's second pass with the words again, without the
-- eighth first; autocomplete's first pass run for every text; the names' statistics no longer
-- copied; the twins of the names' indexes gone.

SET LOCAL search_path = public, extensions;

SELECT similarity('', '');



SELECT relais_search_edit_function(
    'autocomplete_plan(text, text, boolean, integer, integer, uuid, uuid)',
    $q$
    a record := relais_search_args(p_query, false, near);
    near_head constant boolean := near AND (p_vis_user IS NULL OR p_vis_team IS NOT NULL)
                    AND has_table_privilege('public.search_word_frequencies', 'SELECT')
                    AND relais_search_head_pays(p_kind || ' name', a.names);
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN '
            || CASE WHEN near_head THEN autocomplete_near_head_sql(p_kind)
                    WHEN near THEN autocomplete_near_sql(p_kind) ELSE autocomplete_sql(p_kind) END
$q$, $q$
    a record := relais_search_args(p_query, false, near);
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN '
            || CASE WHEN near THEN autocomplete_near_sql(p_kind) ELSE autocomplete_sql(p_kind) END
$q$, 1);

SELECT relais_search_edit_function(
    'search_plan(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
              p_limit, a.code, NULL::tsquery;
    -- The corrected names' look-up (the second pass, when the words match fewer than a page)
    -- and the vocabulary look-up of the first word it corrects.
    IF a.names IS NOT NULL THEN
        RETURN QUERY EXECUTE 'EXPLAIN ' || search_names_sql(p_kind, head_names)
            USING p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses,
                  p_city, p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email,
                  a.email_like, p_limit, a.code, a.names;
$q$, $q$
              p_limit, a.code, a.names;
    -- The vocabulary look-up of the first word the typo branch would correct.
    IF a.names IS NOT NULL THEN
$q$, 1);

SELECT relais_search_edit_function(
    'search_plan(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
                    AND relais_search_head_pays(p_kind, a.tsq);
    head_names boolean := p_kind IN ('organisation', 'person') AND a.names IS NOT NULL
                    AND (p_vis_user IS NULL OR p_vis_team IS NOT NULL)
                    AND has_table_privilege('public.search_word_frequencies', 'SELECT')
                    AND relais_search_head_pays(p_kind || ' name', a.names);
BEGIN
$q$, $q$
                    AND relais_search_head_pays(p_kind, a.tsq);
BEGIN
$q$, 1);

SELECT relais_search_edit_function(
    'autocomplete_ids(text, text, boolean, integer, integer, uuid, uuid)',
    $q$
    IF p_kind IN ('organisation', 'person') AND length(a.norm) >= 3
       AND NOT (length(a.email) >= 3 AND a.email ~ '[@.]')
       AND NOT relais_search_word_starts(a.norm) THEN
        RETURN;
    END IF;
    CASE p_kind
    WHEN 'organisation' THEN
$q$, $q$
    CASE p_kind
    WHEN 'organisation' THEN
$q$, 1);

SELECT relais_search_edit_function(
    'autocomplete_ids(text, text, boolean, integer, integer, uuid, uuid)',
    $q$
        ELSIF p_kind = 'person' AND (p_vis_user IS NULL OR p_vis_team IS NOT NULL)
           AND relais_search_head_pays('person name', a.names) THEN
            RETURN QUERY SELECT * FROM relais_autocomplete_near_head_person_ids(
                p_query, true, p_cap, p_vis_user, p_vis_team, NULL, NULL, NULL, NULL, NULL,
                a.tenant, a.tsq, a.norm, a.email, a.email_like, p_limit, a.code, a.names);
        ELSIF p_kind = 'person' THEN
            RETURN QUERY SELECT * FROM relais_autocomplete_near_person_ids(
$q$, $q$
        ELSIF p_kind = 'person' THEN
            RETURN QUERY SELECT * FROM relais_autocomplete_near_person_ids(
$q$, 1);

SELECT relais_search_edit_function(
    'autocomplete_ids(text, text, boolean, integer, integer, uuid, uuid)',
    $q$
        IF p_kind = 'organisation' AND (p_vis_user IS NULL OR p_vis_team IS NOT NULL)
           AND relais_search_head_pays('organisation name', a.names) THEN
            RETURN QUERY SELECT * FROM relais_autocomplete_near_head_organisation_ids(
                p_query, true, p_cap, p_vis_user, p_vis_team, NULL, NULL, NULL, NULL, NULL,
                a.tenant, a.tsq, a.norm, a.email, a.email_like, p_limit, a.code, a.names);
        ELSIF p_kind = 'organisation' THEN
            RETURN QUERY SELECT * FROM relais_autocomplete_near_organisation_ids(
$q$, $q$
        IF p_kind = 'organisation' THEN
            RETURN QUERY SELECT * FROM relais_autocomplete_near_organisation_ids(
$q$, 1);

SELECT relais_search_edit_function(
    'search_ids(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
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
$q$, $q$
        ELSE
            SELECT array_agg(f.record_id), array_agg(f.score) INTO ids, scores
            FROM relais_search_head_person_ids(
$q$, 1);

SELECT relais_search_edit_function(
    'search_ids(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
            IF a.names IS NULL THEN
                EXIT;
            END IF;
            statement := p_kind || ' names'
                || CASE WHEN (p_vis_user IS NULL OR p_vis_team IS NOT NULL)
                             AND relais_search_head_pays(p_kind || ' name', a.names)
                        THEN ' head' ELSE '' END;
        END IF;
$q$, $q$
            IF a.names IS NULL THEN
                EXIT;
            END IF;
        END IF;
$q$, 1);

SELECT relais_search_edit_function(
    'relais_search_refresh_frequencies()',
    $q$
    FROM (VALUES ('organisation', 'organisations', 'organisations', 'search_vector'),
                 ('person', 'people', 'people', 'search_vector'),
                 ('organisation name', 'organisations', 'organisations_name_search_idx',
                  'relais_search_org_name_vector'),
                 ('person name', 'people', 'people_name_search_idx',
                  'relais_search_person_name_vector')) AS k (kind, tbl, stats, col)
    JOIN pg_class c ON c.oid = ('public.' || k.tbl)::regclass
    JOIN pg_stats s ON s.schemaname = 'public' AND s.tablename = k.stats
                   AND s.attname = k.col
$q$, $q$
    FROM (VALUES ('organisation', 'organisations'), ('person', 'people')) AS k (kind, tbl)
    JOIN pg_class c ON c.oid = ('public.' || k.tbl)::regclass
    JOIN pg_stats s ON s.schemaname = 'public' AND s.tablename = k.tbl
                   AND s.attname = 'search_vector'
$q$, 1);

SELECT relais_search_edit_function(
    'relais_search_rebuild_candidates()',
    $q$
        IF f.proname LIKE 'relais\_search\_names\_head\_%' THEN
            body := search_names_sql(kind, true);
        ELSIF f.proname LIKE 'relais\_search\_names\_%' THEN
            body := search_names_sql(kind, false);
        ELSIF f.proname LIKE 'relais\_autocomplete\_near\_head\_%' THEN
            body := autocomplete_near_head_sql(kind);
        ELSIF f.proname LIKE 'relais\_search\_head\_%' THEN
$q$, $q$
        IF f.proname LIKE 'relais\_search\_head\_%' THEN
$q$, 1);

SELECT relais_search_edit_function(
    'relais_search_rebuild_candidates()',
    $q$'^relais_(search|autocomplete)_([a-z]+_)*[a-z]+_ids$'$q$, $q$'^relais_(search|autocomplete)_([a-z]+_)?[a-z]+_ids$'$q$, 1);

DROP FUNCTION relais_search_names_organisation_ids(text, boolean, integer, uuid, uuid, text[],
    text[], text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text, tsquery);
DROP FUNCTION relais_search_names_head_organisation_ids(text, boolean, integer, uuid, uuid,
    text[], text[], text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text,
    tsquery);
DROP FUNCTION relais_search_names_person_ids(text, boolean, integer, uuid, uuid, text[], text[],
    text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text, tsquery);
DROP FUNCTION relais_search_names_head_person_ids(text, boolean, integer, uuid, uuid, text[],
    text[], text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text, tsquery);
DROP FUNCTION relais_autocomplete_near_head_organisation_ids(text, boolean, integer, uuid, uuid,
    text[], text[], text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text,
    tsquery);
DROP FUNCTION relais_autocomplete_near_head_person_ids(text, boolean, integer, uuid, uuid,
    text[], text[], text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text,
    tsquery);
DROP FUNCTION autocomplete_near_head_sql(text);
DROP FUNCTION search_names_sql(text, boolean);

DROP INDEX people_name_head_idx;
DROP INDEX organisations_name_head_idx;

SELECT relais_search_refresh_frequencies();
