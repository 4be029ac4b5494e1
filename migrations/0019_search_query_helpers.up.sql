-- The query helpers every search and autocomplete call runs first keep their plans (issue 5,
-- SPEC SRCH-3; docs/PERFORMANCE.md, Search).
--
-- relais_search_loose_query() and relais_search_args() were SQL functions that PostgreSQL
-- cannot inline (a subquery; a SET clause), so each call planned its body anew: 0.14 ms for
-- the loose query and 0.23 ms for the arguments, which every kind of record of every request
-- derives (up to seven calls per request). As PL/pgSQL they parse once per session and run
-- their loops and assignments as cached plans and simple expressions: 0.02 ms and 0.05 ms,
-- with the same results.

SET LOCAL search_path = public, extensions;

-- As in 0007: every word must match, exactly or through a shorter stem it starts with (down
-- to 5 letters, at most 4 letters shorter); the lexemes go through plainto_tsquery, so no
-- text is parsed as tsquery syntax. The lexemes come sorted, as unnest() returns them.
CREATE OR REPLACE FUNCTION relais_search_loose_query(q text) RETURNS tsquery
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
DECLARE
    lexeme text;
    alternatives tsquery;
    result tsquery;
BEGIN
    FOR lexeme IN SELECT l.lexeme FROM unnest(to_tsvector('relais_french'::regconfig, q)) AS l
    LOOP
        alternatives := NULL;
        FOR n IN CASE WHEN lexeme ~ '^[a-z]{6,}$' THEN greatest(5, length(lexeme) - 4)
                      ELSE length(lexeme) END .. length(lexeme) LOOP
            alternatives := CASE
                WHEN alternatives IS NULL THEN plainto_tsquery('simple'::regconfig, left(lexeme, n))
                ELSE alternatives || plainto_tsquery('simple'::regconfig, left(lexeme, n)) END;
        END LOOP;
        result := CASE WHEN result IS NULL THEN alternatives ELSE result && alternatives END;
    END LOOP;
    RETURN result;
END
$$;

-- As in 0014: the derived arguments ($11…$18) both runners pass; the corrected names ($18)
-- only when p_names (a look-up in the vocabulary per word).
CREATE OR REPLACE FUNCTION relais_search_args(p_query text, p_web boolean, p_names boolean,
    OUT tenant uuid, OUT tsq tsquery, OUT norm text, OUT email text, OUT email_like text,
    OUT code text, OUT names tsquery)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, public, extensions
    AS $$
BEGIN
    tenant := app_current_tenant();
    tsq := CASE WHEN p_web THEN websearch_to_tsquery('relais_french', p_query)
                ELSE relais_search_loose_query(p_query) END;
    norm := relais_search_norm(p_query);
    email := lower(btrim(p_query));
    email_like := '%' || replace(replace(replace(email, '\', '\\'), '%', '\%'), '_', '\_') || '%';
    code := upper(btrim(p_query));
    IF p_names THEN
        names := relais_search_name_query(norm);
    END IF;
END
$$;
