-- CRM core, first slice: the event outbox (history, webhooks, notifications all read it),
-- organisations with their pipeline history, and idempotency records for POST retries.

-- Domain events, written in the same transaction as the change they describe.
-- `seq` orders events; consumers keep a cursor on it.
CREATE TABLE events (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq          bigint GENERATED ALWAYS AS IDENTITY,
    id           uuid NOT NULL,
    type         text NOT NULL,
    record_type  text NOT NULL,
    record_id    uuid NOT NULL,
    actor_type   text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'system')),
    actor_id     uuid,
    data         jsonb NOT NULL,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, seq),
    CONSTRAINT events_id_key UNIQUE (tenant_id, id)
);
CREATE INDEX events_record_idx ON events (tenant_id, record_type, record_id, seq);

CREATE TABLE organisations (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    type             text NOT NULL CHECK (type IN ('investor', 'supplier', 'distributor', 'issuer')),
    category         text CHECK (category IN ('opcvm', 'etf', 'scpi', 'sci', 'life_insurance',
                                               'private_equity', 'other')),
    pipeline_stage   text NOT NULL DEFAULT 'prospect'
                     CHECK (pipeline_stage IN ('prospect', 'qualification', 'proposition',
                                               'signed', 'lost')),
    stage_changed_at timestamptz NOT NULL DEFAULT now(),
    email            text,
    phone            text,
    website          text,
    address          text,
    city             text,
    postcode         text,
    country          text CHECK (country ~ '^[A-Z]{2}$'),
    notes            text,
    owner_id         uuid,
    active           boolean NOT NULL DEFAULT true,
    expected_amount  numeric(17, 2) CHECK (expected_amount >= 0),
    tags             text[] NOT NULL DEFAULT '{}',
    last_contact_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz,
    deleted_by       uuid,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT organisations_owner_fkey FOREIGN KEY (tenant_id, owner_id)
        REFERENCES users (tenant_id, id)
);
CREATE INDEX organisations_name_idx ON organisations (tenant_id, lower(name), id);
CREATE INDEX organisations_updated_idx ON organisations (tenant_id, updated_at, id);
CREATE INDEX organisations_owner_idx ON organisations (tenant_id, owner_id);
CREATE INDEX organisations_stage_idx ON organisations (tenant_id, pipeline_stage, stage_changed_at);
CREATE INDEX organisations_tags_idx ON organisations USING gin (tags);

-- Every pipeline move, with who and when: stage durations and conversion rates come from here.
CREATE TABLE organisation_stage_changes (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              uuid NOT NULL,
    organisation_id uuid NOT NULL,
    from_stage      text,
    to_stage        text NOT NULL,
    changed_at      timestamptz NOT NULL DEFAULT now(),
    changed_by      uuid,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT organisation_stage_changes_org_fkey FOREIGN KEY (tenant_id, organisation_id)
        REFERENCES organisations (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX organisation_stage_changes_org_idx
    ON organisation_stage_changes (tenant_id, organisation_id, changed_at);

-- Idempotency-Key records: same key and body → same answer; kept 24 hours.
CREATE TABLE idempotency_keys (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    credential_id   uuid NOT NULL,
    key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash    bytea NOT NULL,
    response_status integer,
    response_body   bytea,
    response_headers jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, credential_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON events
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());

ALTER TABLE organisations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organisations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organisations
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());

ALTER TABLE organisation_stage_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE organisation_stage_changes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organisation_stage_changes
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON idempotency_keys
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
