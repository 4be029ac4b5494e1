-- Foundation: tenants, identity, access control, job queue.
--
-- Tenancy rules (see docs/ARCHITECTURE.md):
--   * every tenant-owned table has tenant_id, primary key (tenant_id, id) and foreign keys that
--     include tenant_id, so a row can never point into another tenant;
--   * row-level security is ENABLED and FORCED on each of them with the policy
--     tenant_id = app_current_tenant();
--   * the server connects as a role that owns nothing and has NOBYPASSRLS, and sets
--     app.tenant_id with set_config(..., true) at the start of each request transaction.
--     Unset, app_current_tenant() is NULL and every policy sees zero rows (fail closed).
--   * the few look-ups that must cross tenants before a tenant is known (login by email, token
--     look-ups, job claiming) are SECURITY DEFINER functions below that return ids only.

-- The tenant of the current transaction, or NULL. Inlined by the planner into policies.
CREATE FUNCTION app_current_tenant() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;

-- ---------------------------------------------------------------------------------------------
-- Platform tables (no tenant data)

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    locale      text NOT NULL DEFAULT 'fr' CHECK (locale IN ('fr', 'en')),
    time_zone   text NOT NULL DEFAULT 'Europe/Paris',
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tenants_slug_key UNIQUE (slug),
    CONSTRAINT tenants_slug_format CHECK (slug ~ '^[a-z0-9][a-z0-9_-]{1,62}$')
);

CREATE TABLE operators (
    id               uuid PRIMARY KEY,
    email            text NOT NULL,
    password_hash    text NOT NULL,
    failed_logins    integer NOT NULL DEFAULT 0,
    locked_until     timestamptz,
    last_login_at    timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT operators_email_key UNIQUE (email)
);

-- ---------------------------------------------------------------------------------------------
-- Tenant-owned tables

CREATE TABLE teams (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX teams_name_key ON teams (tenant_id, lower(name));

CREATE TABLE roles (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    key         text NOT NULL CHECK (key ~ '^[a-z0-9][a-z0-9_-]{1,62}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '',
    builtin     boolean NOT NULL DEFAULT false,
    -- [{"resource": "organisations", "action": "read", "scope": "team"}, ...]
    grants      jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(grants) = 'array'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT roles_key_key UNIQUE (tenant_id, key)
);

CREATE TABLE users (
    tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                   uuid NOT NULL,
    email                text NOT NULL CHECK (email = lower(email)),
    full_name            text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
    password_hash        text NOT NULL,
    role_id              uuid NOT NULL,
    team_id              uuid,
    locale               text NOT NULL DEFAULT 'fr' CHECK (locale IN ('fr', 'en')),
    theme                text NOT NULL DEFAULT 'system' CHECK (theme IN ('light', 'dark', 'system')),
    active               boolean NOT NULL DEFAULT true,
    must_change_password boolean NOT NULL DEFAULT false,
    failed_logins        integer NOT NULL DEFAULT 0,
    locked_until         timestamptz,
    last_login_at        timestamptz,
    password_changed_at  timestamptz NOT NULL DEFAULT now(),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT users_email_key UNIQUE (tenant_id, email),
    CONSTRAINT users_role_fkey FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id),
    CONSTRAINT users_team_fkey FOREIGN KEY (tenant_id, team_id) REFERENCES teams (tenant_id, id)
        ON DELETE SET NULL (team_id)
);
CREATE INDEX users_email_idx ON users (email);
CREATE INDEX users_team_idx ON users (tenant_id, team_id);

-- Refresh tokens: opaque, stored as SHA-256, rotated on every use. A token presented after it
-- was rotated revokes its whole family (all tokens descended from the same login).
CREATE TABLE refresh_tokens (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    user_id     uuid NOT NULL,
    family_id   uuid NOT NULL,
    token_hash  bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    rotated_at  timestamptz,
    revoked_at  timestamptz,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT refresh_tokens_hash_key UNIQUE (token_hash),
    CONSTRAINT refresh_tokens_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (tenant_id, family_id);

CREATE TABLE password_reset_tokens (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    user_id     uuid NOT NULL,
    token_hash  bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT password_reset_tokens_hash_key UNIQUE (token_hash),
    CONSTRAINT password_reset_tokens_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- API keys: rk_<prefix>_<secret>. The prefix finds the row; the secret is stored as SHA-256.
CREATE TABLE api_keys (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    prefix       text NOT NULL,
    secret_hash  bytea NOT NULL,
    role_id      uuid NOT NULL,
    created_by   uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT api_keys_prefix_key UNIQUE (prefix),
    CONSTRAINT api_keys_role_fkey FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id),
    CONSTRAINT api_keys_creator_fkey FOREIGN KEY (tenant_id, created_by)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- Background jobs (email, imports, exports, backups). Claimed with FOR UPDATE SKIP LOCKED.
CREATE TABLE jobs (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    kind         text NOT NULL,
    payload      jsonb NOT NULL DEFAULT '{}',
    status       text NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    run_at       timestamptz NOT NULL DEFAULT now(),
    attempts     integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 5,
    last_error   text,
    progress     jsonb,
    locked_by    text,
    locked_at    timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX jobs_due_idx ON jobs (run_at) WHERE status = 'queued';

-- ---------------------------------------------------------------------------------------------
-- Row-level security on every tenant-owned table

ALTER TABLE teams ENABLE ROW LEVEL SECURITY;
ALTER TABLE teams FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON teams
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());

ALTER TABLE roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE roles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON roles
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());

ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE refresh_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON refresh_tokens
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());

ALTER TABLE password_reset_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE password_reset_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON password_reset_tokens
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());

ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON jobs
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());

-- ---------------------------------------------------------------------------------------------
-- Narrow cross-tenant look-ups. They run as the owner (which bypasses RLS), take a secret or an
-- email, and return ids only; everything after them happens under the tenant's RLS context.

-- Accounts matching an email, optionally within one tenant (by slug). Suspended tenants are
-- left out. At most 5 rows: the caller verifies the password against each.
CREATE FUNCTION auth_login_candidates(p_email text, p_tenant_slug text)
    RETURNS TABLE (tenant_id uuid, user_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
        SELECT u.tenant_id, u.id
        FROM users u JOIN tenants t ON t.id = u.tenant_id
        WHERE u.email = lower(p_email)
          AND t.status = 'active'
          AND (p_tenant_slug IS NULL OR t.slug = p_tenant_slug)
        ORDER BY u.created_at
        LIMIT 5
    $$;

CREATE FUNCTION auth_refresh_token_tenant(p_hash bytea) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$ SELECT tenant_id FROM refresh_tokens WHERE token_hash = p_hash $$;

CREATE FUNCTION auth_reset_token_tenant(p_hash bytea) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$ SELECT tenant_id FROM password_reset_tokens WHERE token_hash = p_hash $$;

CREATE FUNCTION auth_api_key_tenant(p_prefix text) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$ SELECT tenant_id FROM api_keys WHERE prefix = p_prefix $$;

-- Claim up to p_limit due jobs of the given kinds for worker p_worker. Jobs whose lock is older
-- than p_stale_after are considered abandoned (worker crashed) and claimed again.
CREATE FUNCTION jobs_claim(p_worker text, p_kinds text[], p_limit integer, p_stale_after interval)
    RETURNS TABLE (tenant_id uuid, id uuid, kind text, payload jsonb, attempts integer)
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
        WITH due AS (
            SELECT j.tenant_id, j.id FROM jobs j
            WHERE j.kind = ANY (p_kinds)
              AND ((j.status = 'queued' AND j.run_at <= now())
                   OR (j.status = 'running' AND j.locked_at < now() - p_stale_after))
            ORDER BY j.run_at
            LIMIT p_limit
            FOR UPDATE SKIP LOCKED
        )
        UPDATE jobs j
        SET status = 'running', locked_by = p_worker, locked_at = now(),
            attempts = j.attempts + 1, updated_at = now()
        FROM due
        WHERE j.tenant_id = due.tenant_id AND j.id = due.id
        RETURNING j.tenant_id, j.id, j.kind, j.payload, j.attempts
    $$;

REVOKE ALL ON FUNCTION auth_login_candidates(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth_refresh_token_tenant(bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth_reset_token_tenant(bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth_api_key_tenant(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION jobs_claim(text, text[], integer, interval) FROM PUBLIC;
