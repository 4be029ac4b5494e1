-- Autocomplete's check on the vocabulary keeps its plans (issue 5, SPEC SRCH-3;
-- docs/PERFORMANCE.md, Search).
--
-- relais_search_word_starts() (whether a name can have a later word starting like the text,
-- which decides whether autocomplete's costly word branch runs) was a SQL function whose body
-- PostgreSQL planned anew on every call: 1.0–1.9 ms, for look-ups that take a tenth of that.
-- As PL/pgSQL it parses its look-ups once per session and plans each with its word (a generic
-- plan cannot use the index for a prefix it does not know): 0.2 ms, with the same answers.

SET LOCAL search_path = public, extensions;

-- As in 0016: every word but the last is a vocabulary word, and some vocabulary word starts
-- with the last; numbers pass (they are not vocabulary words). The normalised text holds
-- only letters, digits and single spaces, so the prefix needs no LIKE escaping.
CREATE OR REPLACE FUNCTION relais_search_word_starts(p_norm text) RETURNS boolean
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, public, extensions
    SET plan_cache_mode = force_custom_plan
    AS $$
DECLARE
    words constant text[] := string_to_array(p_norm, ' ');
    n constant integer := cardinality(words);
    tenant constant uuid := app_current_tenant();
BEGIN
    IF n IS NULL OR n = 0 THEN
        RETURN false;
    END IF;
    FOR i IN 1 .. n LOOP
        CONTINUE WHEN NOT relais_search_is_word(words[i]);
        IF i < n THEN
            IF NOT EXISTS (SELECT FROM search_words s
                           WHERE s.tenant_id = tenant AND s.word = words[i]) THEN
                RETURN false;
            END IF;
        ELSIF NOT EXISTS (SELECT FROM search_words s
                          WHERE s.tenant_id = tenant AND s.word LIKE words[i] || '%') THEN
            RETURN false;
        END IF;
    END LOOP;
    RETURN true;
END
$$;
