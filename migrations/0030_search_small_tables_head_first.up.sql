-- Mandates' and interactions' word look-ups read an eighth first too (issue 5, SPEC SRCH-3;
-- docs/PERFORMANCE.md, Search).
--
-- Their look-ups never take a sequential scan (0021), so a word the planner thinks common is
-- read through a tenant-led B-tree in the table's order until 100 rows match: "patrimoine", in
-- 7 % of 200,000 interactions, reads about 1,500 rows from the heap (2.8 ms) for its 100, where
-- the eighth's text index (below, as 0028's for organisations and people) gives 1,800 matches
-- whose first 100 fill the page (0.9 ms). For a word in a quarter of the rows or more ("gestion"
-- among interactions) the read in order stops after some 400 rows and stays the cheaper, and a
-- word with fewer than 1,000 matches has too few for the eighth to fill a page: both keep the
-- one look-up. So search_ids() chooses the split statement for these two kinds from their
-- columns' statistics (now copied with the others) when the words' share is at least 1,000
-- rows and at most 10 % (2.5 % for organisations and people, whose dense words are read from
-- the table in order: 0028).
--
-- The twins cost an eighth of the two text indexes' size (about 2 MB at 52,000 mandates and
-- 210,000 interactions) and one more GIN entry set per write for an eighth of the records.

SET LOCAL search_path = public, extensions;

SELECT similarity('', '');

CREATE INDEX mandates_search_head_idx ON mandates USING gin (search_vector)
    WHERE deleted_at IS NULL AND relais_search_head(id);
CREATE INDEX interactions_search_head_idx ON interactions USING gin (search_vector)
    WHERE deleted_at IS NULL AND relais_search_head(id);

-- The statistics of the two text columns, copied with the others.
SELECT relais_search_edit_function(
    'relais_search_refresh_frequencies()',
    $q$
                 ('person name', 'people', 'people_name_search_idx',
                  'relais_search_person_name_vector')) AS k (kind, tbl, stats, col)
$q$, $q$
                 ('person name', 'people', 'people_name_search_idx',
                  'relais_search_person_name_vector'),
                 ('mandate', 'mandates', 'mandates', 'search_vector'),
                 ('interaction', 'interactions', 'interactions', 'search_vector'))
        AS k (kind, tbl, stats, col)
$q$, 1);

-- Their dense words stop at 10 %.
SELECT relais_search_edit_function(
    'relais_search_head_pays(text, tsquery)',
    $q$
    -- Dense: read in order. Too rare for the eighth to fill a page (100 in 800 matches, with
    -- room for other tenants' share): one look-up.
    RETURN share <= 0.025 AND share * total >= 1000;
$q$, $q$
    -- Dense: read in order (organisations and people from the table; mandates and
    -- interactions, which never scan the table (0021), through a tenant-led B-tree, which
    -- reads more rows per match). Too rare for the eighth to fill a page (100 in 800 matches,
    -- with room for other tenants' share): one look-up.
    RETURN share <= CASE WHEN p_kind IN ('mandate', 'interaction') THEN 0.10 ELSE 0.025 END
           AND share * total >= 1000;
$q$, 1);

-- The split statements of the two kinds: their one look-up (search_sql(), a single SELECT
-- ending in `LIMIT $3`) in two branches, as relais_search_head_first_sql() makes them.
SELECT relais_search_edit_function(
    'search_head_sql(text)',
    $q$
    ELSE
        RAISE EXCEPTION 'unknown search kind %', p_kind USING ERRCODE = 'invalid_parameter_value';
$q$, $q$
    WHEN 'mandate', 'interaction' THEN
        RETURN relais_search_head_first_sql(
            regexp_replace(search_sql(p_kind), '\s*LIMIT \$3\s*$', '{part}
            LIMIT $3'),
            left(p_kind, 1));
    ELSE
        RAISE EXCEPTION 'unknown search kind %', p_kind USING ERRCODE = 'invalid_parameter_value';
$q$, 1);

SELECT relais_search_make_candidate(
           'relais_search_head_' || k || '_ids',
           ('relais_search_' || k || '_ids(text, boolean, integer, uuid, uuid, text[], text[], '
            'text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text, '
            'tsquery)')::regprocedure,
           search_head_sql(k))
FROM unnest(ARRAY['mandate', 'interaction']) AS k;

-- search_ids() and search_plan() choose them as they choose the other kinds' (the whole
-- tenant or a team; not web syntax).
SELECT relais_search_edit_function(f::regprocedure, $q$
    head boolean := p_kind IN ('organisation', 'person') AND NOT p_web
$q$, $q$
    head boolean := p_kind IN ('organisation', 'person', 'mandate', 'interaction') AND NOT p_web
$q$, 1)
FROM unnest(ARRAY['search_ids(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
                   'search_plan(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)']) AS f;

DO $do$
DECLARE
    k text;
BEGIN
    FOREACH k IN ARRAY ARRAY['mandate', 'interaction'] LOOP
        PERFORM relais_search_edit_function(
            'search_ids(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
            format($q$
    WHEN '%1$s' THEN
        RETURN QUERY SELECT * FROM relais_search_%1$s_ids(
$q$, k), format($q$
    WHEN '%1$s' THEN
        IF head THEN
            RETURN QUERY SELECT * FROM relais_search_head_%1$s_ids(
                p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses,
                p_city, p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email,
                a.email_like, p_limit, a.code, NULL);
            RETURN;
        END IF;
        RETURN QUERY SELECT * FROM relais_search_%1$s_ids(
$q$, k), 1);
    END LOOP;
END
$do$;

SELECT relais_search_refresh_frequencies();
