-- Back to migration 0016's relais_search_word_starts().

SET LOCAL search_path = public, extensions;

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
