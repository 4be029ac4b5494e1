-- Webhooks (SPEC §7): endpoints, deliveries fanned out from the event outbox, every attempt,
-- and the per-tenant cursor of the dispatcher.
--
-- Reading the outbox safely. `events.seq` is an identity: values are taken when a row is
-- inserted, but transactions commit in another order, so a reader can see seq 11 committed
-- while seq 10 is still in flight; a cursor moved past 11 would lose 10 for good. Each event
-- therefore also records the id of the transaction that wrote it (`txid`), and the dispatcher
-- only reads events whose transaction is older than the oldest transaction still running
-- (`txid < pg_snapshot_xmin(pg_current_snapshot())`). Every such transaction has finished, so
-- no event can appear later below that horizon, and the cursor moves along (txid, seq), an
-- order in which nothing is ever inserted behind it. The price: a long write transaction
-- anywhere delays deliveries until it ends; it never loses one.

ALTER TABLE events ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX events_txid_idx ON events (tenant_id, txid, seq);

CREATE TABLE webhook_endpoints (
    tenant_id                  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                         uuid NOT NULL,
    url                        text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    description                text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    -- Exact types (`mandate.signed`), families (`organisation.*`) or `*`.
    event_types                text[] NOT NULL CHECK (cardinality(event_types) BETWEEN 1 AND 100),
    active                     boolean NOT NULL DEFAULT true,
    -- Why an inactive endpoint stopped: an admin (`manual`), the receiver answered 410
    -- (`gone`), or it kept failing for days (`failing`).
    disabled_reason            text CHECK (disabled_reason IN ('manual', 'gone', 'failing')),
    disabled_at                timestamptz,
    -- Deliveries per second, per worker process; NULL = unlimited.
    rate_limit                 integer CHECK (rate_limit BETWEEN 1 AND 10000),
    -- AES-256-GCM (nonce ‖ ciphertext) of the signing secret `whsec_…`.
    secret_enc                 bytea NOT NULL,
    -- The secret before the last rotation, still used to sign until it expires.
    previous_secret_enc        bytea,
    previous_secret_expires_at timestamptz,
    -- Start of the current run of failed attempts; NULL after a success.
    failing_since              timestamptz,
    created_by                 uuid,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX webhook_endpoints_created_idx ON webhook_endpoints (tenant_id, created_at, id);

-- One event to one endpoint. `event_id` is the Standard Webhooks `webhook-id`, the same on
-- every attempt.
CREATE TABLE webhook_deliveries (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL,
    endpoint_id      uuid NOT NULL,
    event_id         uuid NOT NULL,
    event_type       text NOT NULL,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'succeeded', 'failed')),
    -- Attempts started (a claim counts one, so a worker that dies mid-attempt uses one up).
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    -- Lease of the worker sending it; a lapsed lease makes the delivery due again.
    locked_until     timestamptz,
    lock_token       uuid,
    last_attempt_at  timestamptz,
    last_status_code integer,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT webhook_deliveries_event_key UNIQUE (tenant_id, endpoint_id, event_id),
    CONSTRAINT webhook_deliveries_endpoint_fkey FOREIGN KEY (tenant_id, endpoint_id)
        REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT webhook_deliveries_event_fkey FOREIGN KEY (tenant_id, event_id)
        REFERENCES events (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (tenant_id, endpoint_id, id);
CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (tenant_id, event_id);

CREATE TABLE webhook_attempts (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    delivery_id   uuid NOT NULL,
    endpoint_id   uuid NOT NULL,
    attempt       integer NOT NULL,
    started_at    timestamptz NOT NULL,
    duration_ms   integer NOT NULL,
    status_code   integer,
    error         text,
    -- The first 4 KiB of the receiver's answer.
    response_body text,
    succeeded     boolean NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT webhook_attempts_delivery_fkey FOREIGN KEY (tenant_id, delivery_id)
        REFERENCES webhook_deliveries (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (tenant_id, delivery_id, attempt);

-- How far the dispatcher has read each tenant's outbox, in (txid, seq) order. Created with the
-- tenant's first endpoint.
CREATE TABLE webhook_cursors (
    tenant_id  uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    last_txid  xid8 NOT NULL,
    last_seq   bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_endpoints
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());

ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_deliveries
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());

ALTER TABLE webhook_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_attempts
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());

ALTER TABLE webhook_cursors ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_cursors FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_cursors
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());

-- Wake the webhook workers when a tenant that has (had) endpoints records events. The
-- notification is sent at commit; identical payloads within a transaction fold into one.
CREATE FUNCTION webhooks_notify_events() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM webhook_cursors c
                   WHERE c.tenant_id IN (SELECT n.tenant_id FROM new_events n)) THEN
            PERFORM pg_notify('relais_webhooks', '');
        END IF;
        RETURN NULL;
    END
    $$;
CREATE TRIGGER events_notify_webhooks AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION webhooks_notify_events();

-- Cross-tenant look-ups of the webhook workers (ids only; the work itself happens in each
-- tenant's RLS context).

-- Active tenants whose outbox holds events past their cursor that are safe to read (see the
-- top of this file), least recently dispatched first.
CREATE FUNCTION webhooks_dispatch_candidates(p_limit integer)
    RETURNS TABLE (tenant_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
        SELECT c.tenant_id
        FROM webhook_cursors c JOIN tenants t ON t.id = c.tenant_id
        WHERE t.status = 'active'
          AND EXISTS (SELECT 1 FROM events e
                      WHERE e.tenant_id = c.tenant_id
                        AND (e.txid, e.seq) > (c.last_txid, c.last_seq)
                        AND e.txid < pg_snapshot_xmin(pg_current_snapshot()))
        ORDER BY c.updated_at
        LIMIT p_limit
    $$;

-- Claim up to p_limit deliveries due at p_now (FOR UPDATE SKIP LOCKED: workers never share
-- one), lease them for p_lease and count the attempt. A worker that dies lets its lease lapse
-- and the delivery is claimed again: at-least-once.
CREATE FUNCTION webhooks_claim_deliveries(p_now timestamptz, p_limit integer, p_lease interval)
    RETURNS TABLE (tenant_id uuid, id uuid, lock_token uuid, attempts integer)
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
        WITH due AS (
            SELECT d.tenant_id, d.id
            FROM webhook_deliveries d JOIN tenants t ON t.id = d.tenant_id
            WHERE d.status = 'pending' AND d.next_attempt_at <= p_now
              AND (d.locked_until IS NULL OR d.locked_until <= p_now)
              AND t.status = 'active'
            ORDER BY d.next_attempt_at
            LIMIT p_limit
            FOR UPDATE OF d SKIP LOCKED
        )
        UPDATE webhook_deliveries d
        SET locked_until = p_now + p_lease, lock_token = gen_random_uuid(),
            attempts = d.attempts + 1, updated_at = now()
        FROM due
        WHERE d.tenant_id = due.tenant_id AND d.id = due.id
        RETURNING d.tenant_id, d.id, d.lock_token, d.attempts
    $$;

REVOKE ALL ON FUNCTION webhooks_dispatch_candidates(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION webhooks_claim_deliveries(timestamptz, integer, interval) FROM PUBLIC;
