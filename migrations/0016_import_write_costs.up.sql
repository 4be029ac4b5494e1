-- What an import pays per row, measured (issue 6, SPEC IMP-4; docs/PERFORMANCE.md):
--
-- 1. Numbers are no longer words of the typo vocabulary (migration 0014). Correcting "2024"
--    to "2023", or "12" to "13", is never what a user meant, and names that carry a number
--    (a fund's vintage, a street number, "Martin Gestion 4512") made almost every imported
--    row add a word of its own to the trigram-indexed vocabulary: a quarter of the cost of
--    writing an organisation. Numbers are now taken as typed by the typo branch, like words
--    of three letters or fewer; the word-prefix branch of autocomplete, which relies on the
--    vocabulary holding every word of every name, lets them through as it must.
-- 2. The statistics an import refreshes as its rows double are those of the columns its own
--    statements are planned on; a whole-table ANALYZE also rebuilt the statistics of every
--    expression index (full-text vectors, trigrams), four times the cost for nothing the
--    import reads. Autovacuum analyses the whole table after the import commits.

SET LOCAL search_path = public, extensions;

-- pg_trgm's parameters are known (and may be set in a function's SET clause) once its
-- library is loaded in the session.
SELECT similarity('', '');

-- A word of a name is a vocabulary word unless it is only digits.
CREATE FUNCTION relais_search_is_word(p_word text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN p_word <> '' AND p_word !~ '^[0-9]+$';

CREATE OR REPLACE FUNCTION relais_search_words_add() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO search_words (tenant_id, word)
        SELECT DISTINCT n.tenant_id, w.word
        FROM new_rows n CROSS JOIN LATERAL unnest(string_to_array(n.search_name, ' ')) AS w(word)
        WHERE relais_search_is_word(w.word)
        ORDER BY 1, 2
        ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO search_words (tenant_id, word)
        SELECT DISTINCT n.tenant_id, w.word
        FROM new_rows n
        JOIN old_rows o ON o.tenant_id = n.tenant_id AND o.id = n.id
        CROSS JOIN LATERAL unnest(string_to_array(n.search_name, ' ')) AS w(word)
        WHERE n.search_name IS DISTINCT FROM o.search_name AND relais_search_is_word(w.word)
        ORDER BY 1, 2
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

-- As in 0014, but a number is taken as typed (never corrected, and never a reason for the
-- text to have no typo reading).
CREATE OR REPLACE FUNCTION relais_search_name_query(p_norm text) RETURNS tsquery
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, public, extensions
    SET pg_trgm.word_similarity_threshold = 0.5
    AS $$
        WITH words AS (
            SELECT q.word, length(q.word) >= 4 AND relais_search_is_word(q.word) AS corrected
            FROM unnest(string_to_array(p_norm, ' ')) AS q(word)
            WHERE q.word <> ''),
        alternatives AS (
            SELECT w.word, w.corrected,
                   CASE WHEN w.corrected THEN (
                       SELECT relais_tsquery_or(plainto_tsquery('simple'::regconfig, l.lexeme))
                       FROM relais_search_similar_words(app_current_tenant(), w.word) AS v(word)
                       CROSS JOIN LATERAL unnest(to_tsvector('relais_french'::regconfig, v.word)) AS l)
                   ELSE (
                       SELECT relais_tsquery_and(plainto_tsquery('simple'::regconfig, l.lexeme))
                       FROM unnest(to_tsvector('relais_french'::regconfig, w.word)) AS l)
                   END AS alternatives
            FROM words w)
        SELECT CASE WHEN count(*) BETWEEN 1 AND 3 AND sum(length(word)) >= 4
                         AND bool_or(corrected) AND bool_and(alternatives IS NOT NULL OR NOT corrected)
                    THEN relais_tsquery_and(alternatives) END
        FROM alternatives
    $$;

-- As in 0014; a number is not in the vocabulary, so it cannot rule a name out.
CREATE OR REPLACE FUNCTION relais_search_word_starts(p_norm text) RETURNS boolean
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, public, extensions
    AS $$
        SELECT coalesce(bool_and(CASE
            WHEN NOT relais_search_is_word(u.word) THEN true
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

-- The numbers already in the vocabulary (the migration role bypasses row-level security).
DELETE FROM search_words WHERE NOT relais_search_is_word(word);

CREATE OR REPLACE FUNCTION import_refresh_statistics() RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
    BEGIN
        ANALYZE public.organisations (tenant_id, id, name, email, owner_id, deleted_at);
        ANALYZE public.people (tenant_id, id, email, last_name, owner_id, deleted_at);
        ANALYZE public.person_organisations (tenant_id, person_id, organisation_id);
    END
    $$;
