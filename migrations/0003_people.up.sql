-- CRM people (contacts) and their links to organisations (SPEC CRM-2).

CREATE TABLE people (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL,
    first_name       text CHECK (length(first_name) BETWEEN 1 AND 100),
    last_name        text NOT NULL CHECK (length(last_name) BETWEEN 1 AND 100),
    email            text CHECK (email = lower(email)),
    phone            text,
    job_title        text,
    notes            text,
    owner_id         uuid,
    tags             text[] NOT NULL DEFAULT '{}',
    active           boolean NOT NULL DEFAULT true,
    last_contact_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz,
    deleted_by       uuid,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT people_owner_fkey FOREIGN KEY (tenant_id, owner_id)
        REFERENCES users (tenant_id, id)
);
CREATE INDEX people_name_idx ON people (tenant_id, lower(last_name), lower(first_name), id);
CREATE INDEX people_email_idx ON people (tenant_id, email);
CREATE INDEX people_updated_idx ON people (tenant_id, updated_at, id);
CREATE INDEX people_owner_idx ON people (tenant_id, owner_id);
CREATE INDEX people_tags_idx ON people USING gin (tags);

-- A person works with zero or more organisations; at most one of them is the primary one.
CREATE TABLE person_organisations (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    person_id        uuid NOT NULL,
    organisation_id  uuid NOT NULL,
    role             text CHECK (length(role) BETWEEN 1 AND 200),
    is_primary       boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, person_id, organisation_id),
    CONSTRAINT person_organisations_person_fkey FOREIGN KEY (tenant_id, person_id)
        REFERENCES people (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT person_organisations_org_fkey FOREIGN KEY (tenant_id, organisation_id)
        REFERENCES organisations (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX person_organisations_primary_idx
    ON person_organisations (tenant_id, person_id) WHERE is_primary;
CREATE INDEX person_organisations_org_idx
    ON person_organisations (tenant_id, organisation_id, person_id);

ALTER TABLE people ENABLE ROW LEVEL SECURITY;
ALTER TABLE people FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON people
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());

ALTER TABLE person_organisations ENABLE ROW LEVEL SECURITY;
ALTER TABLE person_organisations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON person_organisations
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
