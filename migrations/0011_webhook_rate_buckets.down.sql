ALTER TABLE webhook_endpoints
    DROP COLUMN IF EXISTS rate_checked_at,
    DROP COLUMN IF EXISTS rate_tokens;
