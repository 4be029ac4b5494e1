-- Imports and exports (SPEC IMP-1…5, EXP-1): uploaded files waiting to be imported, with their
-- detected settings, the chosen mapping and the last run's report; who started a job and
-- whether its cancellation was asked for.

ALTER TABLE jobs ADD COLUMN created_by uuid;
ALTER TABLE jobs ADD COLUMN cancel_requested_at timestamptz;
ALTER TABLE jobs ADD CONSTRAINT jobs_creator_fkey FOREIGN KEY (tenant_id, created_by)
    REFERENCES users (tenant_id, id) ON DELETE SET NULL (created_by);
CREATE INDEX jobs_creator_idx ON jobs (tenant_id, created_by, created_at);

CREATE TABLE imports (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('organisations', 'people')),
    -- ready: mapping editable; validating: dry run in progress; validated: dry run done;
    -- running, completed, failed, cancelled: the real run.
    status        text NOT NULL DEFAULT 'ready'
                  CHECK (status IN ('ready', 'validating', 'validated', 'running', 'completed',
                                    'failed', 'cancelled')),
    file_name     text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    format        text NOT NULL CHECK (format IN ('csv', 'xlsx', 'xls', 'ods')),
    size_bytes    bigint NOT NULL CHECK (size_bytes >= 0),
    encoding      text CHECK (encoding IN ('utf-8', 'windows-1252')),
    delimiter     text CHECK (delimiter IN (',', ';', E'\t')),
    sheet         text,
    sheets        text[] NOT NULL DEFAULT '{}',
    -- ["Nom", "Ville", …] and the first rows [{"line": 2, "cells": […]}, …]
    headers       jsonb NOT NULL CHECK (jsonb_typeof(headers) = 'array'),
    sample        jsonb NOT NULL CHECK (jsonb_typeof(sample) = 'array'),
    -- One field key (or null) per column.
    mapping       jsonb NOT NULL CHECK (jsonb_typeof(mapping) = 'array'),
    upsert_key    text NOT NULL CHECK (upsert_key IN ('none', 'name', 'email')),
    mode          text NOT NULL DEFAULT 'all_or_nothing'
                  CHECK (mode IN ('all_or_nothing', 'skip_errors')),
    -- People imports: create the organisations named in organisation_nom that do not exist.
    create_missing_organisations boolean NOT NULL DEFAULT true,
    job_id        uuid,
    -- The last run (dry or real): counts, first errors, timings.
    report        jsonb,
    -- Why the last run stopped, when it failed as a whole.
    error         text,
    -- A real run wrote rows: the import cannot run again.
    committed     boolean NOT NULL DEFAULT false,
    created_by    uuid NOT NULL,
    -- Set when an API key uploaded the file: the runs act with its grants.
    api_key_id    uuid,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT imports_creator_fkey FOREIGN KEY (tenant_id, created_by)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT imports_api_key_fkey FOREIGN KEY (tenant_id, api_key_id)
        REFERENCES api_keys (tenant_id, id) ON DELETE SET NULL (api_key_id)
);
CREATE INDEX imports_creator_idx ON imports (tenant_id, created_by, created_at DESC);

-- Upserts by email look organisations up by it (stored lower-cased, like every email).
CREATE INDEX organisations_email_idx ON organisations (tenant_id, email);

-- Imports that upsert find existing records by their key, a batch of keys at a time, and lock
-- them. Through row-level security the planner may not use the lower(name) indexes (lower()
-- is not leakproof); and rows written earlier in the same long import transaction have no
-- statistics yet, so a join or `= ANY` left to the planner scans the whole tenant for every
-- batch. These functions therefore run as the owner, confined to the tenant set on the
-- transaction (never an argument, exactly what the policy allows), and probe the index once
-- per key (LATERAL … ORDER BY the index … LIMIT), a plan that does not depend on statistics.
CREATE FUNCTION import_match_organisations(p_by_email boolean, p_keys text[])
    RETURNS SETOF organisations
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
        SELECT m.* FROM unnest(p_keys) AS k(key),
            LATERAL (SELECT o.* FROM organisations o
                     WHERE o.tenant_id = app_current_tenant() AND lower(o.name) = k.key
                       AND o.deleted_at IS NULL
                     ORDER BY lower(o.name), o.id LIMIT 10 FOR UPDATE) m
        WHERE NOT p_by_email
        UNION ALL
        SELECT m.* FROM unnest(p_keys) AS k(key),
            LATERAL (SELECT o.* FROM organisations o
                     WHERE o.tenant_id = app_current_tenant() AND o.email = k.key
                       AND o.deleted_at IS NULL
                     ORDER BY o.email LIMIT 10 FOR UPDATE) m
        WHERE p_by_email
    $$;

-- People by email, or by last name and first name ('' for none), lower-cased.
CREATE FUNCTION import_match_people(p_by_email boolean, p_keys text[], p_first text[])
    RETURNS SETOF people
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
        SELECT m.* FROM unnest(p_keys) AS k(key),
            LATERAL (SELECT p.* FROM people p
                     WHERE p.tenant_id = app_current_tenant() AND p.email = k.key
                       AND p.deleted_at IS NULL
                     ORDER BY p.email LIMIT 10 FOR UPDATE) m
        WHERE p_by_email
        UNION ALL
        SELECT m.* FROM unnest(p_keys, p_first) AS k(last, first),
            LATERAL (SELECT p.* FROM people p
                     WHERE p.tenant_id = app_current_tenant() AND lower(p.last_name) = k.last
                       AND lower(p.first_name) = k.first AND p.deleted_at IS NULL
                     ORDER BY lower(p.last_name), lower(p.first_name), p.id LIMIT 10 FOR UPDATE) m
        WHERE NOT p_by_email AND k.first <> ''
        UNION ALL
        SELECT m.* FROM unnest(p_keys, p_first) AS k(last, first),
            LATERAL (SELECT p.* FROM people p
                     WHERE p.tenant_id = app_current_tenant() AND lower(p.last_name) = k.last
                       AND p.first_name IS NULL AND p.deleted_at IS NULL
                     ORDER BY lower(p.last_name), lower(p.first_name), p.id LIMIT 10 FOR UPDATE) m
        WHERE NOT p_by_email AND k.first = ''
    $$;

-- The statistics behind those plans, refreshed by a long import as it goes (its own rows,
-- still uncommitted, are counted): the other statements of the import (reading rows back by
-- id, links) are planned from them too.
CREATE FUNCTION import_refresh_statistics() RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
    BEGIN
        ANALYZE public.organisations;
        ANALYZE public.people;
    END
    $$;

REVOKE ALL ON FUNCTION import_refresh_statistics() FROM PUBLIC;
REVOKE ALL ON FUNCTION import_match_organisations(boolean, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION import_match_people(boolean, text[], text[]) FROM PUBLIC;

ALTER TABLE imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE imports FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON imports
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
