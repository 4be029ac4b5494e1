DROP FUNCTION IF EXISTS jobs_claim(text, text[], integer, interval);
DROP FUNCTION IF EXISTS auth_api_key_tenant(text);
DROP FUNCTION IF EXISTS auth_reset_token_tenant(bytea);
DROP FUNCTION IF EXISTS auth_refresh_token_tenant(bytea);
DROP FUNCTION IF EXISTS auth_login_candidates(text, text);
DROP TABLE IF EXISTS jobs, api_keys, password_reset_tokens, refresh_tokens, users, roles, teams,
    operators, tenants;
DROP FUNCTION IF EXISTS app_current_tenant();
