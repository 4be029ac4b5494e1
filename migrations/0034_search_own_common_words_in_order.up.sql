-- One user's records and one common word: the user's rows are read in order until a page
-- matches (issue 5, SPEC SRCH-3; docs/PERFORMANCE.md, Search).
--
-- An own scope's word look-up goes through the owner-led text index (0023), which intersects
-- the owner's entries with the word's. For a word in a tenth of the rows ("directeur" among
-- people: 'direc' | 'direct' | … | 'directeur', hundreds of thousands of entries) that
-- intersection costs 9–16 ms for a user owning 40,000 of 2 million people, and the planner,
-- which underestimates it, keeps it. Reading the user's rows through the owner's B-tree until
-- 100 match reads about 1,000 of them: 1.6–3.3 ms (organisations 1.8–3.0 ms against 1.8–7.4).
-- For rarer words it is far worse (40–58 ms: every row of the user is read), so search_ids()
-- takes it only for a text of one word that the planner's statistics (0028) put in at least
-- 5 % of the rows, without filters; several words stay on the index, their share being a
-- guess, and so do filtered searches (a rare city with a common word would read every row of
-- the user).
--
-- relais_search_ordered_<kind>_ids are the candidate functions of search_sql() with bitmap
-- scans off (relais_search_rebuild_candidates() makes them again with their settings, as it
-- does the others); search_plan() shows what they run.

SET LOCAL search_path = public, extensions;

-- pg_trgm loaded, so that search_ids() keeps its pg_trgm setting when made again.
SELECT similarity('', '');

SELECT relais_search_make_candidate(
           'relais_search_ordered_' || k || '_ids',
           ('relais_search_' || k || '_ids(text, boolean, integer, uuid, uuid, text[], text[], '
            'text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text, '
            'tsquery)')::regprocedure,
           search_sql(k))
FROM unnest(ARRAY['organisation', 'person']) AS k;
ALTER FUNCTION relais_search_ordered_organisation_ids(text, boolean, integer, uuid, uuid, text[],
    text[], text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text,
    tsquery) SET enable_bitmapscan = off;
ALTER FUNCTION relais_search_ordered_person_ids(text, boolean, integer, uuid, uuid, text[],
    text[], text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text,
    tsquery) SET enable_bitmapscan = off;

-- Whether a loose query (relais_search_loose_query) is one word whose forms are together in
-- at least 5 % of the kind's rows, by the copied statistics (an unknown form counts 0).
CREATE FUNCTION relais_search_dense(p_kind text, p_tsq tsquery) RETURNS boolean
    LANGUAGE plpgsql STABLE
    -- No SET clause (as relais_search_head_pays): every name is qualified.
    AS $$
DECLARE
    tree text;
    share float8;
BEGIN
    IF p_tsq IS NULL OR numnode(p_tsq) = 0 THEN
        RETURN false;
    END IF;
    tree := querytree(p_tsq);
    IF strpos(tree, ' & ') > 0 THEN
        RETURN false;
    END IF;
    SELECT sum(w.freq) INTO share FROM public.search_word_frequencies w
    WHERE w.kind = p_kind AND w.lexeme = ANY (string_to_array(btrim(tree, '() '''), ''' | '''));
    RETURN coalesce(share, 0) >= 0.05;
END
$$;
REVOKE ALL ON FUNCTION relais_search_dense(text, tsquery) FROM PUBLIC;

-- search_ids(): the ordered statement for an own scope's common word.
SELECT relais_search_edit_function(
    'search_ids(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
    statement text := p_kind || CASE WHEN head THEN ' head' ELSE '' END;
$q$, $q$
    -- One user's records and one common word: their rows in order (0034).
    ordered boolean := p_kind IN ('organisation', 'person') AND NOT p_web
                       AND p_vis_user IS NOT NULL AND p_vis_team IS NULL
                       AND p_categories IS NULL AND p_city IS NULL
                       AND p_created_from IS NULL AND p_created_to IS NULL
                       AND relais_search_dense(p_kind, a.tsq);
    statement text := p_kind
        || CASE WHEN head THEN ' head' WHEN ordered THEN ' ordered' ELSE '' END;
$q$, 1);
SELECT relais_search_edit_function(
    'search_ids(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
        WHEN 'person' THEN
            SELECT array_agg(f.record_id), array_agg(f.score) INTO ids, scores
$q$, $q$
        WHEN 'organisation ordered' THEN
            SELECT array_agg(f.record_id), array_agg(f.score) INTO ids, scores
            FROM relais_search_ordered_organisation_ids(
                p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
                p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
                p_limit, a.code, a.names) AS f;
        WHEN 'person ordered' THEN
            SELECT array_agg(f.record_id), array_agg(f.score) INTO ids, scores
            FROM relais_search_ordered_person_ids(
                p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
                p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
                p_limit, a.code, a.names) AS f;
        WHEN 'person' THEN
            SELECT array_agg(f.record_id), array_agg(f.score) INTO ids, scores
$q$, 1);

-- search_plan(): the same choice, shown with bitmap scans off for its statement only.
SELECT relais_search_edit_function(
    'search_plan(text, text, boolean, integer, integer, uuid, uuid, text[], text[], text, timestamptz, timestamptz)',
    $q$
                    AND relais_search_head_pays(p_kind || ' name', a.names);
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN '
        || CASE WHEN head THEN search_head_sql(p_kind) ELSE search_sql(p_kind) END
        USING p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
              p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
              p_limit, a.code, NULL::tsquery;
$q$, $q$
                    AND relais_search_head_pays(p_kind || ' name', a.names);
    ordered boolean := p_kind IN ('organisation', 'person') AND NOT p_web
                       AND p_vis_user IS NOT NULL AND p_vis_team IS NULL
                       AND p_categories IS NULL AND p_city IS NULL
                       AND p_created_from IS NULL AND p_created_to IS NULL
                       AND has_table_privilege('public.search_word_frequencies', 'SELECT')
                       AND relais_search_dense(p_kind, a.tsq);
    bitmaps constant text := current_setting('enable_bitmapscan');
BEGIN
    IF ordered THEN
        PERFORM set_config('enable_bitmapscan', 'off', true);
    END IF;
    RETURN QUERY EXECUTE 'EXPLAIN '
        || CASE WHEN head THEN search_head_sql(p_kind) ELSE search_sql(p_kind) END
        USING p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
              p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
              p_limit, a.code, NULL::tsquery;
    PERFORM set_config('enable_bitmapscan', bitmaps, true);
$q$, 1);
