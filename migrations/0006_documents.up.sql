-- Documents attached to organisations, people or mandates. The bytes live on disk under
-- RELAIS_DATA_DIR/<tenant>/documents/<id>; this table holds what is needed to find, check and
-- serve them.
CREATE TABLE documents (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    record_type  text NOT NULL CHECK (record_type IN ('organisation', 'person', 'mandate')),
    record_id    uuid NOT NULL,
    file_name    text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    content_type text NOT NULL,
    size_bytes   bigint NOT NULL CHECK (size_bytes >= 0),
    sha256       bytea NOT NULL,
    uploaded_by  uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz,
    deleted_by   uuid,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT documents_uploader_fkey FOREIGN KEY (tenant_id, uploaded_by)
        REFERENCES users (tenant_id, id)
);
CREATE INDEX documents_record_idx ON documents (tenant_id, record_type, record_id, id);

ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON documents
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
