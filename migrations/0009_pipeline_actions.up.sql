-- Pipeline automation (SPEC CRM-7): actions run when an organisation enters a stage, and the
-- marker that keeps the "stuck in a stage" alert to one per stay.
CREATE TABLE pipeline_stage_actions (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    stage         text NOT NULL CHECK (stage IN ('prospect', 'qualification', 'proposition',
                                                 'signed', 'lost')),
    action        text NOT NULL CHECK (action IN ('create_task', 'notify_owner', 'notify_team')),
    task_title    text CHECK (length(task_title) BETWEEN 1 AND 200),
    task_due_days integer CHECK (task_due_days BETWEEN 0 AND 365),
    task_priority text CHECK (task_priority IN ('low', 'normal', 'high', 'urgent')),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT pipeline_stage_actions_task_check
        CHECK (action <> 'create_task' OR task_title IS NOT NULL)
);
CREATE INDEX pipeline_stage_actions_stage_idx ON pipeline_stage_actions (tenant_id, stage) WHERE active;

ALTER TABLE pipeline_stage_actions ENABLE ROW LEVEL SECURITY;
ALTER TABLE pipeline_stage_actions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON pipeline_stage_actions
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());

ALTER TABLE organisations ADD COLUMN stuck_alerted_at timestamptz;
