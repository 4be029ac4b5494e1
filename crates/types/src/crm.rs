//! CRM records: organisations, their history and bulk actions.

use chrono::{DateTime, Utc};
use relais_domain::crm::{Category, OrganisationType, PipelineStage};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"id": "0194b8a2-3c41-7d5e-8f60-1a2b3c4d5e01", "name": "Banque Lumière Gestion", "type": "investor", "category": "opcvm", "pipeline_stage": "qualification", "stage_changed_at": "2026-01-30T16:42:20Z", "email": "contact@lumiere-gestion.fr", "phone": "+33 1 42 68 53 00", "website": "https://www.lumiere-gestion.fr", "address": "12 rue de la Paix", "city": "Paris", "postcode": "75002", "country": "FR", "notes": "Rencontrée au salon Patrimonia 2025.", "owner_id": "0194b8a0-1f2e-7a3b-8c4d-5e6f70819201", "active": true, "expected_amount": 2500000.0, "tags": ["institutionnel", "Paris"], "last_contact_at": "2026-02-03T10:00:00Z", "created_at": "2026-01-12T09:15:00Z", "updated_at": "2026-01-30T16:42:20Z"}))))]
pub struct OrganisationOut {
    pub id: Uuid,
    pub name: String,
    #[serde(rename = "type")]
    pub type_: OrganisationType,
    pub category: Option<Category>,
    pub pipeline_stage: PipelineStage,
    /// When the record entered its current stage.
    pub stage_changed_at: DateTime<Utc>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub postcode: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub notes: Option<String>,
    pub owner_id: Option<Uuid>,
    pub active: bool,
    /// Expected amount in euros.
    pub expected_amount: Option<f64>,
    pub tags: Vec<String>,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set while the record is in the trash (restorable for 30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Create an organisation. `owner_id` defaults to the caller.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"name": "Banque Lumière Gestion", "type": "investor", "category": "opcvm", "pipeline_stage": "prospect", "email": "contact@lumiere-gestion.fr", "phone": "+33 1 42 68 53 00", "website": "https://www.lumiere-gestion.fr", "address": "12 rue de la Paix", "city": "Paris", "postcode": "75002", "country": "FR", "notes": "Rencontrée au salon Patrimonia 2025.", "expected_amount": 2500000.0, "tags": ["institutionnel", "Paris"]}))))]
#[serde(deny_unknown_fields)]
pub struct OrganisationIn {
    pub name: String,
    #[serde(rename = "type")]
    pub type_: OrganisationType,
    #[serde(default)]
    pub category: Option<Category>,
    #[serde(default)]
    pub pipeline_stage: Option<PipelineStage>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub postcode: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub owner_id: Option<Uuid>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub expected_amount: Option<f64>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Change an organisation: absent fields stay, `null` clears an optional field.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"pipeline_stage": "qualification", "expected_amount": 3000000.0, "notes": null}))))]
#[serde(deny_unknown_fields)]
pub struct OrganisationPatch {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub type_: Option<OrganisationType>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Category>))]
    pub category: Option<Option<Category>>,
    pub pipeline_stage: Option<PipelineStage>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub email: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub phone: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub website: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub address: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub city: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub postcode: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub country: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub notes: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub owner_id: Option<Option<Uuid>>,
    pub active: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub expected_amount: Option<Option<f64>>,
    pub tags: Option<Vec<String>>,
}

/// Who made a change.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Actor {
    /// `user`, `api_key` or `system`.
    #[serde(rename = "type")]
    pub type_: String,
    pub id: Option<Uuid>,
}

/// A domain event: an entry of a record's history, and the body of a webhook delivery.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventOut {
    /// `evt_…`, stable across deliveries.
    pub id: String,
    /// E.g. `organisation.created`, `organisation.updated`, `organisation.stage_changed`.
    #[serde(rename = "type")]
    pub type_: String,
    pub occurred_at: DateTime<Utc>,
    /// Tenant slug.
    pub tenant: String,
    pub actor: Actor,
    /// `{id, before, after, record}`: changed fields before and after, and the full record.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
}

/// An action applied to many records at once, all or nothing.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"action": "change_stage", "stage": "proposition", "ids": ["0194b8a2-3c41-7d5e-8f60-1a2b3c4d5e01", "0194b8a2-3c41-7d5e-8f60-1a2b3c4d5e02"]}))))]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum BulkAction {
    ChangeStage {
        ids: Vec<Uuid>,
        stage: PipelineStage,
    },
    AssignOwner {
        ids: Vec<Uuid>,
        owner_id: Uuid,
    },
    AddTag {
        ids: Vec<Uuid>,
        tag: String,
    },
    RemoveTag {
        ids: Vec<Uuid>,
        tag: String,
    },
    Delete {
        ids: Vec<Uuid>,
    },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkResult {
    /// How many records were changed.
    pub affected: u64,
}

/// What happens when an organisation enters a stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StageActionKind {
    /// Create a task for the record's owner (`task_title`, `task_due_days`, `task_priority`).
    CreateTask,
    /// Ask for a notification to the record's owner.
    NotifyOwner,
    /// Ask for a notification to the owner's team.
    NotifyTeam,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"id": "0194b8a9-1a2b-7c3d-8e4f-5a6b7c8d9e71", "stage": "proposition", "action": "create_task", "task_title": "Préparer la proposition commerciale", "task_due_days": 7, "task_priority": "high", "active": true, "created_at": "2026-01-05T08:00:00Z", "updated_at": "2026-01-05T08:00:00Z"}))))]
pub struct StageActionOut {
    pub id: Uuid,
    pub stage: PipelineStage,
    pub action: StageActionKind,
    pub task_title: Option<String>,
    pub task_due_days: Option<i32>,
    pub task_priority: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"stage": "proposition", "action": "create_task", "task_title": "Préparer la proposition commerciale", "task_due_days": 7, "task_priority": "high"}))))]
#[serde(deny_unknown_fields)]
pub struct StageActionIn {
    pub stage: PipelineStage,
    pub action: StageActionKind,
    #[serde(default)]
    pub task_title: Option<String>,
    /// Due date of the created task, in days after the stage change (default 7).
    #[serde(default)]
    pub task_due_days: Option<i32>,
    /// low, normal (default), high or urgent.
    #[serde(default)]
    pub task_priority: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"task_due_days": 10, "active": false}))))]
#[serde(deny_unknown_fields)]
pub struct StageActionPatch {
    pub stage: Option<PipelineStage>,
    pub action: Option<StageActionKind>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub task_title: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i32>))]
    pub task_due_days: Option<Option<i32>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub task_priority: Option<Option<String>>,
    pub active: Option<bool>,
}
