-- CRM activity (SPEC CRM-4, CRM-5): interactions (calls, meetings, emails, notes) linked to an
-- organisation and/or a person, and tasks optionally linked to one record.

-- The author owns the interaction for scopes. Purging an organisation or a person erases the
-- interactions linked to it (a purge is "for good"); soft deletes leave them in place.
-- `organisations.last_contact_at` and `people.last_contact_at` hold the latest `occurred_at`
-- of the live interactions linked to them; the API maintains them in the same transaction.
CREATE TABLE interactions (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('call', 'meeting', 'email', 'note')),
    occurred_at      timestamptz NOT NULL DEFAULT now(),
    author_id        uuid NOT NULL,
    summary          text NOT NULL CHECK (length(summary) BETWEEN 1 AND 5000),
    organisation_id  uuid,
    person_id        uuid,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz,
    deleted_by       uuid,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT interactions_author_fkey FOREIGN KEY (tenant_id, author_id)
        REFERENCES users (tenant_id, id),
    CONSTRAINT interactions_organisation_fkey FOREIGN KEY (tenant_id, organisation_id)
        REFERENCES organisations (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT interactions_person_fkey FOREIGN KEY (tenant_id, person_id)
        REFERENCES people (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT interactions_subject_check
        CHECK (organisation_id IS NOT NULL OR person_id IS NOT NULL)
);
CREATE INDEX interactions_organisation_idx
    ON interactions (tenant_id, organisation_id, occurred_at, id);
CREATE INDEX interactions_person_idx ON interactions (tenant_id, person_id, occurred_at, id);
CREATE INDEX interactions_author_idx ON interactions (tenant_id, author_id);
CREATE INDEX interactions_occurred_idx ON interactions (tenant_id, occurred_at, id);

-- The assignee owns the task for scopes. `record_type` + `record_id` point at an organisation,
-- a person or a mandate (no foreign key: polymorphic; the API checks the record on write).
-- `completed_at` is set exactly while the task is done.
CREATE TABLE tasks (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description   text CHECK (length(description) <= 20000),
    due_at        timestamptz,
    priority      text NOT NULL DEFAULT 'normal'
                  CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    status        text NOT NULL DEFAULT 'todo'
                  CHECK (status IN ('todo', 'in_progress', 'done', 'cancelled')),
    assignee_id   uuid,
    created_by    uuid,
    completed_at  timestamptz,
    record_type   text CHECK (record_type IN ('organisation', 'person', 'mandate')),
    record_id     uuid,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz,
    deleted_by    uuid,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT tasks_assignee_fkey FOREIGN KEY (tenant_id, assignee_id)
        REFERENCES users (tenant_id, id),
    CONSTRAINT tasks_created_by_fkey FOREIGN KEY (tenant_id, created_by)
        REFERENCES users (tenant_id, id),
    CONSTRAINT tasks_record_check CHECK ((record_type IS NULL) = (record_id IS NULL)),
    CONSTRAINT tasks_completed_check CHECK ((status = 'done') = (completed_at IS NOT NULL))
);
CREATE INDEX tasks_assignee_idx ON tasks (tenant_id, assignee_id, status);
CREATE INDEX tasks_record_idx ON tasks (tenant_id, record_type, record_id);
CREATE INDEX tasks_updated_idx ON tasks (tenant_id, updated_at, id);
-- Open tasks by due date: the overdue filter and the overdue notifications read this.
CREATE INDEX tasks_open_due_idx ON tasks (tenant_id, due_at)
    WHERE deleted_at IS NULL AND status IN ('todo', 'in_progress');

ALTER TABLE interactions ENABLE ROW LEVEL SECURITY;
ALTER TABLE interactions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON interactions
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());

ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE tasks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tasks
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
