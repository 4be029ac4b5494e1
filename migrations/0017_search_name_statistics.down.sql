-- Back to migrations 0014 and 0016: no statistics for the name vectors, the text corrected
-- before any look-up.

SET LOCAL search_path = public, extensions;

SELECT similarity('', '');

DROP STATISTICS organisations_name_vector_stats;
DROP STATISTICS people_name_vector_stats;

CREATE OR REPLACE FUNCTION import_refresh_statistics() RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
    BEGIN
        ANALYZE public.organisations (tenant_id, id, name, email, owner_id, deleted_at);
        ANALYZE public.people (tenant_id, id, email, last_name, owner_id, deleted_at);
        ANALYZE public.person_organisations (tenant_id, person_id, organisation_id);
    END
    $$;

CREATE OR REPLACE FUNCTION search_ids(
    p_kind text, p_query text, p_web boolean, p_limit integer, p_cap integer,
    p_vis_user uuid, p_vis_team uuid,
    p_categories text[], p_statuses text[], p_city text,
    p_created_from timestamptz, p_created_to timestamptz)
    RETURNS TABLE (record_id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 50
    SET search_path = pg_catalog, public, extensions
    SET pg_trgm.word_similarity_threshold = 0.5
    AS $$
DECLARE
    a record := relais_search_args(p_query, p_web,
        NOT p_web AND p_kind IN ('organisation', 'person'));
BEGIN
    CASE p_kind
    WHEN 'organisation' THEN
        RETURN QUERY SELECT * FROM relais_search_organisation_ids(
            p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
            p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
            p_limit, a.code, a.names);
    WHEN 'person' THEN
        RETURN QUERY SELECT * FROM relais_search_person_ids(
            p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
            p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
            p_limit, a.code, a.names);
    WHEN 'mandate' THEN
        RETURN QUERY SELECT * FROM relais_search_mandate_ids(
            p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
            p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
            p_limit, a.code, a.names);
    WHEN 'interaction' THEN
        RETURN QUERY SELECT * FROM relais_search_interaction_ids(
            p_query, p_web, p_cap, p_vis_user, p_vis_team, p_categories, p_statuses, p_city,
            p_created_from, p_created_to, a.tenant, a.tsq, a.norm, a.email, a.email_like,
            p_limit, a.code, a.names);
    ELSE
        RAISE EXCEPTION 'unknown search kind %', p_kind USING ERRCODE = 'invalid_parameter_value';
    END CASE;
END
$$;
