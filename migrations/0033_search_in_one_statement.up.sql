-- A search or autocomplete look-up of one kind of record is one statement (issue 5, SPEC
-- SRCH-2/3; docs/PERFORMANCE.md, Search).
--
-- Each kind was read in a transaction of its own: BEGIN, set the tenant, the statement, COMMIT,
-- four round trips where the statement alone is one. On a 2-core virtual machine whose idle
-- processors wake slowly, each round trip costs about 0.12 ms and the three around the
-- statement 0.3–0.4 ms (measured with pgbench, one client: organisations' "Dupont" 1.79 ms in a
-- transaction, 1.45 ms in one statement), four times per search (the kinds are asked at the
-- same time) and up to six times per autocomplete.
--
-- relais_search_hits() and relais_autocomplete_hits() are the statements relais_store::search
-- sent, made functions: the first thing they do is confine their own statement to the tenant
-- given (set_config(…, true), local to the transaction, which for a statement sent on its own
-- ends with it), then they read through row-level security as the caller (SECURITY INVOKER:
-- nothing is read that the application role could not read in a tenant transaction). The
-- candidates still come from search_ids() / autocomplete_ids(), which take the tenant from
-- the setting. A statement sent outside a transaction that is not one of these sees no
-- tenant's rows (the policies fail closed).
--
-- Both plan their statement once per session (force_generic_plan): what they read is the
-- candidates' few rows by primary key, whatever the values, and the plan cache otherwise kept
-- planning them for every call's values (0.3–0.5 ms each, measured: the statement sent by
-- relais_store before took a generic plan after five calls). The setting holds for what they
-- call: the look-ups whose plan depends on the values set their own (force_custom_plan: the
-- candidate functions, relais_search_word_starts()); the others read by primary key or
-- compute.
--
-- The candidates and what every kind shares (the text as a query, the best p_limit in order,
-- their count) are taken first, then the kind's statement reads and highlights those rows.
--
-- The scope is the candidates' ($user, $team): the whole tenant (NULL, NULL), one user's records
-- (user, NULL) or those of the user and their team (user, team), as relais_search_scope_sql().

CREATE FUNCTION relais_search_hits(
    p_tenant uuid, p_kind text, p_query text, p_web boolean, p_limit integer, p_cap integer,
    p_user uuid, p_team uuid, p_categories text[], p_statuses text[], p_city text,
    p_created_from timestamptz, p_created_to timestamptz, p_headline text)
    RETURNS TABLE (id uuid, title text, subtitle text, score float8, total bigint,
                   matched_field text, snippet text)
    LANGUAGE plpgsql VOLATILE
    SET plan_cache_mode = force_generic_plan
    AS $$
#variable_conflict use_column
DECLARE
    q_loose constant tsquery := CASE WHEN p_web
                                     THEN websearch_to_tsquery('relais_french', p_query)
                                     ELSE relais_search_loose_query(p_query) END;
    ids uuid[];
    scores float8[];
    q_total bigint;
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    -- The candidates, best first (their score was computed with the row in hand, 0020).
    SELECT array_agg(s.record_id ORDER BY s.score DESC, s.record_id),
           array_agg(s.score ORDER BY s.score DESC, s.record_id), count(*)
    INTO ids, scores, q_total
    FROM search_ids(p_kind, p_query, p_web, p_limit, p_cap, p_user, p_team, p_categories,
                    p_statuses, p_city, p_created_from, p_created_to) s;
    IF q_total = 0 THEN
        RETURN;
    END IF;
    -- The first field that matches, in weight order (CASE stops at the first), and its
    -- highlight; the rows through row-level security, the scope and the trash rule again.
    CASE p_kind
    WHEN 'organisation' THEN
        RETURN QUERY
        SELECT h.hid, o.name, NULLIF(concat_ws(' · ', o.city, o.email), ''), h.hscore, q_total,
               (ARRAY['name', 'email', 'website', 'city', 'address', 'postcode', 'tags',
                      'notes'])[f.ord],
               CASE WHEN f.body IS NOT NULL
                    THEN ts_headline('relais_french', f.body, q_loose, p_headline) END
        FROM unnest(ids[1:p_limit], scores[1:p_limit]) AS h (hid, hscore)
        JOIN organisations o ON o.tenant_id = p_tenant AND o.id = h.hid
        CROSS JOIN LATERAL (
            SELECT fo.ord, CASE fo.ord WHEN 1 THEN o.name
                                       WHEN 2 THEN o.email
                                       WHEN 3 THEN o.website
                                       WHEN 4 THEN o.city
                                       WHEN 5 THEN o.address
                                       WHEN 6 THEN o.postcode
                                       WHEN 7 THEN relais_search_tags(o.tags)
                                       WHEN 8 THEN o.notes END AS body
            FROM (SELECT CASE
                    WHEN to_tsvector('relais_french', o.name) @@ q_loose THEN 1
                    WHEN to_tsvector('relais_french', relais_search_email(o.email)) @@ q_loose THEN 2
                    WHEN to_tsvector('relais_french', o.website) @@ q_loose THEN 3
                    WHEN to_tsvector('relais_french', o.city) @@ q_loose THEN 4
                    WHEN to_tsvector('relais_french', o.address) @@ q_loose THEN 5
                    WHEN to_tsvector('relais_french', o.postcode) @@ q_loose THEN 6
                    WHEN to_tsvector('relais_french', relais_search_tags(o.tags)) @@ q_loose THEN 7
                    WHEN to_tsvector('relais_french', o.notes) @@ q_loose THEN 8
                  END AS ord) fo) f
        WHERE o.deleted_at IS NULL
          AND (p_user IS NULL OR o.owner_id = p_user
               OR (p_team IS NOT NULL AND o.owner_id IN (
                   SELECT u.id FROM users u WHERE u.tenant_id = o.tenant_id AND u.team_id = p_team)))
        ORDER BY h.hscore DESC, h.hid;
    WHEN 'person' THEN
        RETURN QUERY
        SELECT h.hid, concat_ws(' ', p.first_name, p.last_name),
               NULLIF(concat_ws(' · ', p.job_title, p.email), ''), h.hscore, q_total,
               (ARRAY['name', 'email', 'job_title', 'tags', 'notes'])[f.ord],
               CASE WHEN f.body IS NOT NULL
                    THEN ts_headline('relais_french', f.body, q_loose, p_headline) END
        FROM unnest(ids[1:p_limit], scores[1:p_limit]) AS h (hid, hscore)
        JOIN people p ON p.tenant_id = p_tenant AND p.id = h.hid
        CROSS JOIN LATERAL (
            SELECT fo.ord, CASE fo.ord WHEN 1 THEN concat_ws(' ', p.first_name, p.last_name)
                                       WHEN 2 THEN p.email
                                       WHEN 3 THEN p.job_title
                                       WHEN 4 THEN relais_search_tags(p.tags)
                                       WHEN 5 THEN p.notes END AS body
            FROM (SELECT CASE
                    WHEN to_tsvector('relais_french', concat_ws(' ', p.first_name, p.last_name))
                         @@ q_loose THEN 1
                    WHEN to_tsvector('relais_french', relais_search_email(p.email)) @@ q_loose THEN 2
                    WHEN to_tsvector('relais_french', p.job_title) @@ q_loose THEN 3
                    WHEN to_tsvector('relais_french', relais_search_tags(p.tags)) @@ q_loose THEN 4
                    WHEN to_tsvector('relais_french', p.notes) @@ q_loose THEN 5
                  END AS ord) fo) f
        WHERE p.deleted_at IS NULL
          AND (p_user IS NULL OR p.owner_id = p_user
               OR (p_team IS NOT NULL AND p.owner_id IN (
                   SELECT u.id FROM users u WHERE u.tenant_id = p.tenant_id AND u.team_id = p_team)))
        ORDER BY h.hscore DESC, h.hid;
    WHEN 'mandate' THEN
        RETURN QUERY
        SELECT h.hid, m.number, m.status, h.hscore, q_total,
               (ARRAY['number', 'notes'])[f.ord],
               CASE WHEN f.body IS NOT NULL
                    THEN ts_headline('relais_french', f.body, q_loose, p_headline) END
        FROM unnest(ids[1:p_limit], scores[1:p_limit]) AS h (hid, hscore)
        JOIN mandates m ON m.tenant_id = p_tenant AND m.id = h.hid
        CROSS JOIN LATERAL (
            SELECT fo.ord, CASE fo.ord WHEN 1 THEN m.number
                                       WHEN 2 THEN m.notes END AS body
            FROM (SELECT CASE
                    WHEN to_tsvector('relais_french',
                                     m.number || ' ' || translate(m.number, '-/._', '    '))
                         @@ q_loose THEN 1
                    WHEN to_tsvector('relais_french', m.notes) @@ q_loose THEN 2
                  END AS ord) fo) f
        WHERE m.deleted_at IS NULL
          AND (p_user IS NULL OR m.owner_id = p_user
               OR (p_team IS NOT NULL AND m.owner_id IN (
                   SELECT u.id FROM users u WHERE u.tenant_id = m.tenant_id AND u.team_id = p_team)))
        ORDER BY h.hscore DESC, h.hid;
    WHEN 'interaction' THEN
        RETURN QUERY
        SELECT h.hid,
               CASE WHEN length(i.summary) > 80 THEN left(i.summary, 79) || '…'
                    ELSE i.summary END,
               i.kind || ' · ' || to_char(i.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
               h.hscore, q_total,
               (ARRAY['summary'])[f.ord],
               CASE WHEN f.body IS NOT NULL
                    THEN ts_headline('relais_french', f.body, q_loose, p_headline) END
        FROM unnest(ids[1:p_limit], scores[1:p_limit]) AS h (hid, hscore)
        JOIN interactions i ON i.tenant_id = p_tenant AND i.id = h.hid
        CROSS JOIN LATERAL (
            SELECT fo.ord, CASE fo.ord WHEN 1 THEN i.summary END AS body
            FROM (SELECT CASE
                    WHEN to_tsvector('relais_french', i.summary) @@ q_loose THEN 1
                  END AS ord) fo) f
        WHERE i.deleted_at IS NULL
          AND (p_user IS NULL OR i.author_id = p_user
               OR (p_team IS NOT NULL AND i.author_id IN (
                   SELECT u.id FROM users u WHERE u.tenant_id = i.tenant_id AND u.team_id = p_team)))
        ORDER BY h.hscore DESC, h.hid;
    ELSE
        RAISE EXCEPTION 'unknown search kind %', p_kind USING ERRCODE = 'invalid_parameter_value';
    END CASE;
END
$$;

-- Up to p_limit suggestions of one kind, best first: names (or numbers) starting with the
-- text, a later word starting with it, e-mails; or, with p_typos, the near misses on names.
-- Interactions have no name and are not suggested (relais_store::search asks for none).
CREATE FUNCTION relais_autocomplete_hits(
    p_tenant uuid, p_kind text, p_text text, p_typos boolean, p_limit integer, p_cap integer,
    p_user uuid, p_team uuid)
    RETURNS TABLE (id uuid, label text, detail text, score float8)
    LANGUAGE plpgsql VOLATILE
    SET plan_cache_mode = force_generic_plan
    AS $$
#variable_conflict use_column
DECLARE
    q_norm constant text := relais_search_norm(p_text);
    q_email constant text := lower(btrim(p_text));
    q_is_email constant boolean := q_email ~ '[@.]';
    ids uuid[];
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    SELECT array_agg(a.record_id) INTO ids
    FROM autocomplete_ids(p_kind, p_text, p_typos, p_limit, p_cap, p_user, p_team) a;
    IF ids IS NULL THEN
        RETURN;
    END IF;
    CASE p_kind
    WHEN 'organisation' THEN
        RETURN QUERY
        SELECT o.id, o.name, NULLIF(concat_ws(' · ', o.city, o.email), ''),
               (CASE WHEN starts_with(o.search_name, q_norm)
                          THEN 2 + relais_search_similarity(q_norm, o.search_name)
                     WHEN strpos(' ' || o.search_name, ' ' || q_norm) > 0
                          THEN 1 + relais_search_similarity(q_norm, o.search_name)
                     WHEN q_is_email AND strpos(lower(o.email), q_email) > 0 THEN 1.5
                     ELSE relais_search_word_similarity(q_norm, o.search_name) END)::float8
        FROM unnest(ids) AS c (record_id)
        JOIN organisations o ON o.tenant_id = p_tenant AND o.id = c.record_id
        WHERE o.deleted_at IS NULL
          AND (p_user IS NULL OR o.owner_id = p_user
               OR (p_team IS NOT NULL AND o.owner_id IN (
                   SELECT u.id FROM users u WHERE u.tenant_id = o.tenant_id AND u.team_id = p_team)))
        ORDER BY 4 DESC, 2, 1 LIMIT p_limit;
    WHEN 'person' THEN
        RETURN QUERY
        SELECT p.id, concat_ws(' ', p.first_name, p.last_name),
               NULLIF(concat_ws(' · ', p.job_title, p.email), ''),
               (CASE WHEN starts_with(p.search_name, q_norm)
                          OR starts_with(relais_search_norm(p.last_name), q_norm)
                          THEN 2 + relais_search_similarity(q_norm, p.search_name)
                     WHEN strpos(' ' || p.search_name, ' ' || q_norm) > 0
                          THEN 1 + relais_search_similarity(q_norm, p.search_name)
                     WHEN q_is_email AND strpos(p.email, q_email) > 0 THEN 1.5
                     ELSE relais_search_word_similarity(q_norm, p.search_name) END)::float8
        FROM unnest(ids) AS c (record_id)
        JOIN people p ON p.tenant_id = p_tenant AND p.id = c.record_id
        WHERE p.deleted_at IS NULL
          AND (p_user IS NULL OR p.owner_id = p_user
               OR (p_team IS NOT NULL AND p.owner_id IN (
                   SELECT u.id FROM users u WHERE u.tenant_id = p.tenant_id AND u.team_id = p_team)))
        ORDER BY 4 DESC, 2, 1 LIMIT p_limit;
    WHEN 'mandate' THEN
        RETURN QUERY
        SELECT m.id, m.number, m.status,
               (2 + relais_search_similarity(upper(q_email), m.number))::float8
        FROM unnest(ids) AS c (record_id)
        JOIN mandates m ON m.tenant_id = p_tenant AND m.id = c.record_id
        WHERE m.deleted_at IS NULL
          AND (p_user IS NULL OR m.owner_id = p_user
               OR (p_team IS NOT NULL AND m.owner_id IN (
                   SELECT u.id FROM users u WHERE u.tenant_id = m.tenant_id AND u.team_id = p_team)))
        ORDER BY 4 DESC, 2, 1 LIMIT p_limit;
    ELSE
        RAISE EXCEPTION 'unknown autocomplete kind %', p_kind
            USING ERRCODE = 'invalid_parameter_value';
    END CASE;
END
$$;
