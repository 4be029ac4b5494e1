-- Per-endpoint rate limits (SPEC HOOK-1) shared by every worker process: the token bucket of
-- each limited endpoint lives on its row, drawn from under the row lock.
ALTER TABLE webhook_endpoints
    ADD COLUMN rate_tokens     double precision,
    ADD COLUMN rate_checked_at timestamptz;
