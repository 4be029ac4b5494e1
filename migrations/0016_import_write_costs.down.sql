-- Back to the vocabulary and statistics of migrations 0014 and 0010.

SET LOCAL search_path = public, extensions;

-- pg_trgm's parameters are known (and may be set in a function's SET clause) once its
-- library is loaded in the session.
SELECT similarity('', '');

CREATE OR REPLACE FUNCTION relais_search_words_add() RETURNS trigger
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

CREATE OR REPLACE FUNCTION relais_search_name_query(p_norm text) RETURNS tsquery
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

CREATE OR REPLACE FUNCTION relais_search_word_starts(p_norm text) RETURNS boolean
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

DROP FUNCTION relais_search_is_word(text);

CREATE OR REPLACE FUNCTION import_refresh_statistics() RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
    BEGIN
        ANALYZE public.organisations;
        ANALYZE public.people;
    END
    $$;
