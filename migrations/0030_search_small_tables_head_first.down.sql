-- Mandates' and interactions' word look-ups as before: one look-up, their statistics no longer
-- copied, the twins of their text indexes gone.

SET LOCAL search_path = public, extensions;

SELECT similarity('', '');

-- search_ids() and search_plan(): the split statement for organisations and people only.
SELECT relais_search_edit_function(f::regprocedure, $q$
    head boolean := p_kind IN ('organisation', 'person', 'mandate', 'interaction') AND NOT p_web
$q$, $q$
    head boolean := p_kind IN ('organisation', 'person') AND NOT p_web
$q$, 1)
FROM unnest(ARRAY['search_ids(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
                   'search_plan(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)']) AS f;

DO $do$
DECLARE
    k text;
BEGIN
    FOREACH k IN ARRAY ARRAY['interaction', 'mandate'] LOOP
        PERFORM relais_search_edit_function(
            'search_ids(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
            format($q$
    WHEN '%1$s' THEN
        IF head THEN
            RETURN QUERY SELECT * FROM relais_search_head_%1$s_ids(
                p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses,
                p_city, p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email,
                a.email_like, p_limit, a.code, NULL);
            RETURN;
        END IF;
        RETURN QUERY SELECT * FROM relais_search_%1$s_ids(
$q$, k), format($q$
    WHEN '%1$s' THEN
        RETURN QUERY SELECT * FROM relais_search_%1$s_ids(
$q$, k), 1);
    END LOOP;
END
$do$;

DROP FUNCTION relais_search_head_mandate_ids(text, boolean, integer, uuid, uuid, text[], text[],
    text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text, tsquery);
DROP FUNCTION relais_search_head_interaction_ids(text, boolean, integer, uuid, uuid, text[],
    text[], text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text,
    tsquery);

SELECT relais_search_edit_function(
    'search_head_sql(text)',
    $q$
    WHEN 'mandate', 'interaction' THEN
        RETURN relais_search_head_first_sql(
            regexp_replace(search_sql(p_kind), '\s*LIMIT \$3\s*$', '{part}
            LIMIT $3'),
            left(p_kind, 1));
    ELSE
        RAISE EXCEPTION 'unknown search kind %', p_kind USING ERRCODE = 'invalid_parameter_value';
$q$, $q$
    ELSE
        RAISE EXCEPTION 'unknown search kind %', p_kind USING ERRCODE = 'invalid_parameter_value';
$q$, 1);

SELECT relais_search_edit_function(
    'relais_search_head_pays(text, tsquery)',
    $q$
    -- Dense: read in order (organisations and people from the table; mandates and
    -- interactions, which never scan the table (0021), through a tenant-led B-tree, which
    -- reads more rows per match). Too rare for the eighth to fill a page (100 in 800 matches,
    -- with room for other tenants' share): one look-up.
    RETURN share <= CASE WHEN p_kind IN ('mandate', 'interaction') THEN 0.10 ELSE 0.025 END
           AND share * total >= 1000;
$q$, $q$
    -- Dense: read in order. Too rare for the eighth to fill a page (100 in 800 matches, with
    -- room for other tenants' share): one look-up.
    RETURN share <= 0.025 AND share * total >= 1000;
$q$, 1);

SELECT relais_search_edit_function(
    'relais_search_refresh_frequencies()',
    $q$
                 ('person name', 'people', 'people_name_search_idx',
                  'relais_search_person_name_vector'),
                 ('mandate', 'mandates', 'mandates', 'search_vector'),
                 ('interaction', 'interactions', 'interactions', 'search_vector'))
        AS k (kind, tbl, stats, col)
$q$, $q$
                 ('person name', 'people', 'people_name_search_idx',
                  'relais_search_person_name_vector')) AS k (kind, tbl, stats, col)
$q$, 1);

DROP INDEX interactions_search_head_idx;
DROP INDEX mandates_search_head_idx;

SELECT relais_search_refresh_frequencies();
