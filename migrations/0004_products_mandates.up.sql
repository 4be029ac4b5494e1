-- Products and mandates (SPEC CRM-3): the products a firm distributes, the numbered mandates
-- it signs with organisations, the products each mandate covers, and the per-year counters
-- that number mandates.

-- A product: an ISIN or an internal code, unique per tenant whatever the case among live
-- products (a deleted product frees its code).
CREATE TABLE products (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    code        text NOT NULL CHECK (length(code) BETWEEN 1 AND 40 AND code = upper(code)),
    category    text CHECK (category IN ('opcvm', 'etf', 'scpi', 'sci', 'life_insurance',
                                          'private_equity', 'other')),
    active      boolean NOT NULL DEFAULT true,
    notes       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    deleted_by  uuid,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX products_code_key ON products (tenant_id, lower(code)) WHERE deleted_at IS NULL;
CREATE INDEX products_name_idx ON products (tenant_id, lower(name), id);
CREATE INDEX products_updated_idx ON products (tenant_id, updated_at, id);

-- The last number handed out per tenant and year. Creating a mandate without a number runs
-- `INSERT … ON CONFLICT DO UPDATE SET last = last + 1 RETURNING last` in its transaction: the
-- row lock serialises concurrent creations and a rollback gives the number back.
CREATE TABLE mandate_counters (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    year       integer NOT NULL CHECK (year BETWEEN 1900 AND 9999),
    last       bigint NOT NULL CHECK (last >= 0),
    PRIMARY KEY (tenant_id, year)
);

-- The current year in a tenant's time zone; UTC when the zone is not one PostgreSQL knows
-- (numbering must not fail because of a mistyped setting).
CREATE FUNCTION mandate_year(tz text) RETURNS integer
    LANGUAGE plpgsql STABLE
    AS $$
BEGIN
    RETURN extract(year FROM now() AT TIME ZONE tz)::integer;
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN extract(year FROM now() AT TIME ZONE 'UTC')::integer;
END
$$;

-- A mandate: a numbered agreement between the firm and an organisation. Numbers are unique
-- per tenant, trash included, so a restored mandate never collides. An organisation with
-- mandates cannot be purged (NO ACTION) until its mandates are.
CREATE TABLE mandates (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL,
    number           text NOT NULL CHECK (length(number) BETWEEN 1 AND 40 AND number = upper(number)),
    organisation_id  uuid NOT NULL,
    status           text NOT NULL DEFAULT 'draft'
                     CHECK (status IN ('draft', 'proposed', 'signed', 'active', 'terminated')),
    signed_at        timestamptz,
    start_date       date,
    end_date         date,
    amount           numeric(17, 2) CHECK (amount >= 0),
    owner_id         uuid,
    notes            text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz,
    deleted_by       uuid,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT mandates_number_key UNIQUE (tenant_id, number),
    CONSTRAINT mandates_dates_check CHECK (end_date >= start_date),
    CONSTRAINT mandates_organisation_fkey FOREIGN KEY (tenant_id, organisation_id)
        REFERENCES organisations (tenant_id, id),
    CONSTRAINT mandates_owner_fkey FOREIGN KEY (tenant_id, owner_id)
        REFERENCES users (tenant_id, id)
);
CREATE INDEX mandates_organisation_idx ON mandates (tenant_id, organisation_id, created_at);
CREATE INDEX mandates_owner_idx ON mandates (tenant_id, owner_id);
CREATE INDEX mandates_status_idx ON mandates (tenant_id, status);
CREATE INDEX mandates_updated_idx ON mandates (tenant_id, updated_at, id);
CREATE INDEX mandates_created_idx ON mandates (tenant_id, created_at, id);

-- The products a mandate covers.
CREATE TABLE mandate_products (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    mandate_id  uuid NOT NULL,
    product_id  uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, mandate_id, product_id),
    CONSTRAINT mandate_products_mandate_fkey FOREIGN KEY (tenant_id, mandate_id)
        REFERENCES mandates (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT mandate_products_product_fkey FOREIGN KEY (tenant_id, product_id)
        REFERENCES products (tenant_id, id)
);
CREATE INDEX mandate_products_product_idx ON mandate_products (tenant_id, product_id, mandate_id);

ALTER TABLE products ENABLE ROW LEVEL SECURITY;
ALTER TABLE products FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON products
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());

ALTER TABLE mandate_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE mandate_counters FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON mandate_counters
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());

ALTER TABLE mandates ENABLE ROW LEVEL SECURITY;
ALTER TABLE mandates FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON mandates
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());

ALTER TABLE mandate_products ENABLE ROW LEVEL SECURITY;
ALTER TABLE mandate_products FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON mandate_products
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
