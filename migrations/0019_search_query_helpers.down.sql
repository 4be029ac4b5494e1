-- Back to the SQL helpers of migrations 0007 (loose query) and 0014 (arguments).

SET LOCAL search_path = public, extensions;

CREATE OR REPLACE FUNCTION relais_search_loose_query(q text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (
        SELECT relais_tsquery_and(alternatives)
        FROM (
            SELECT (
                SELECT relais_tsquery_or(plainto_tsquery('simple'::regconfig, left(l.lexeme, n)))
                FROM generate_series(
                    CASE WHEN l.lexeme ~ '^[a-z]{6,}$' THEN greatest(5, length(l.lexeme) - 4)
                         ELSE length(l.lexeme) END,
                    length(l.lexeme)) AS n
            ) AS alternatives
            FROM unnest(to_tsvector('relais_french'::regconfig, q)) AS l
        ) AS words
    );

CREATE OR REPLACE FUNCTION relais_search_args(p_query text, p_web boolean, p_names boolean,
    OUT tenant uuid, OUT tsq tsquery, OUT norm text, OUT email text, OUT email_like text,
    OUT code text, OUT names tsquery)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, public, extensions
    AS $$
        SELECT app_current_tenant(),
               CASE WHEN p_web THEN websearch_to_tsquery('relais_french', p_query)
                    ELSE relais_search_loose_query(p_query) END,
               relais_search_norm(p_query),
               lower(btrim(p_query)),
               '%' || replace(replace(replace(lower(btrim(p_query)), '\', '\\'), '%', '\%'),
                              '_', '\_') || '%',
               upper(btrim(p_query)),
               CASE WHEN p_names THEN relais_search_name_query(relais_search_norm(p_query)) END
    $$;
