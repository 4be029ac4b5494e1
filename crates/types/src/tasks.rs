//! Tasks: to-dos with a due date, a priority, a status and an assignee, optionally about a
//! record.

use chrono::{DateTime, Utc};
use relais_domain::tasks::{TaskPriority, TaskRecordType, TaskStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"id": "0194b8a7-6c7d-7e8f-9a01-b2c3d4e5f651", "title": "Relancer Claire Martin", "description": "Envoyer le DICI et la plaquette commerciale.", "due_at": "2026-02-10T09:00:00Z", "priority": "high", "status": "todo", "assignee_id": "0194b8a0-1f2e-7a3b-8c4d-5e6f70819201", "created_by": "0194b8a0-1f2e-7a3b-8c4d-5e6f70819201", "completed_at": null, "overdue": false, "record_type": "organisation", "record_id": "0194b8a2-3c41-7d5e-8f60-1a2b3c4d5e01", "created_at": "2026-02-03T11:10:00Z", "updated_at": "2026-02-03T11:10:00Z"}))))]
pub struct TaskOut {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub priority: TaskPriority,
    pub status: TaskStatus,
    /// Owns the task for permission scopes.
    pub assignee_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    /// Set while the task is done.
    pub completed_at: Option<DateTime<Utc>>,
    /// Open and past its due date.
    pub overdue: bool,
    pub record_type: Option<TaskRecordType>,
    pub record_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Create a task. `assignee_id` defaults to the caller, `priority` to `normal`, `status` to
/// `todo`. `record_type` and `record_id` go together.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"title": "Relancer Claire Martin", "description": "Envoyer le DICI et la plaquette commerciale.", "due_at": "2026-02-10T09:00:00Z", "priority": "high", "assignee_id": "0194b8a0-1f2e-7a3b-8c4d-5e6f70819201", "record_type": "organisation", "record_id": "0194b8a2-3c41-7d5e-8f60-1a2b3c4d5e01"}))))]
#[serde(deny_unknown_fields)]
pub struct TaskIn {
    /// 1–200 characters.
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub priority: Option<TaskPriority>,
    #[serde(default)]
    pub status: Option<TaskStatus>,
    #[serde(default)]
    pub assignee_id: Option<Uuid>,
    #[serde(default)]
    pub record_type: Option<TaskRecordType>,
    #[serde(default)]
    pub record_id: Option<Uuid>,
}

/// Change a task: absent fields stay, `null` clears an optional field.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"status": "done"}))))]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    pub title: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub description: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<DateTime<Utc>>))]
    pub due_at: Option<Option<DateTime<Utc>>>,
    pub priority: Option<TaskPriority>,
    pub status: Option<TaskStatus>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub assignee_id: Option<Option<Uuid>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<TaskRecordType>))]
    pub record_type: Option<Option<TaskRecordType>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub record_id: Option<Option<Uuid>>,
}

/// An action applied to many tasks at once, all or nothing.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"action": "complete", "ids": ["0194b8a7-6c7d-7e8f-9a01-b2c3d4e5f651", "0194b8a7-6c7d-7e8f-9a01-b2c3d4e5f652"]}))))]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum TaskBulkAction {
    /// Give the tasks to `assignee_id` (also accepted as `owner_id`).
    AssignOwner {
        ids: Vec<Uuid>,
        #[serde(alias = "owner_id")]
        assignee_id: Uuid,
    },
    /// Mark the tasks done.
    Complete { ids: Vec<Uuid> },
    /// Move the tasks to the trash.
    Delete { ids: Vec<Uuid> },
}
