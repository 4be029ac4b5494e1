//! Interactions (calls, meetings, emails, notes) and the organisation timeline.

use crate::EventOut;
use chrono::{DateTime, Utc};
use relais_domain::interactions::InteractionKind;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"id": "0194b8a6-4b5c-7d6e-8f70-8192a3b4c541", "kind": "meeting", "occurred_at": "2026-02-03T10:00:00Z", "author_id": "0194b8a0-1f2e-7a3b-8c4d-5e6f70819201", "summary": "Rendez-vous avec Claire Martin : présentation de Carmignac Patrimoine, intérêt pour 2 M€.", "organisation_id": "0194b8a2-3c41-7d5e-8f60-1a2b3c4d5e01", "person_id": "0194b8a3-7e12-7f3a-9b4c-5d6e7f809a11", "created_at": "2026-02-03T11:05:00Z", "updated_at": "2026-02-03T11:05:00Z"}))))]
pub struct InteractionOut {
    pub id: Uuid,
    pub kind: InteractionKind,
    pub occurred_at: DateTime<Utc>,
    /// The user who had the contact; owns the record for permission scopes.
    pub author_id: Uuid,
    pub summary: String,
    pub organisation_id: Option<Uuid>,
    pub person_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Record an interaction with an organisation and/or a person (at least one of the two).
/// `occurred_at` defaults to now, `author_id` to the caller.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"kind": "meeting", "occurred_at": "2026-02-03T10:00:00Z", "summary": "Rendez-vous avec Claire Martin : présentation de Carmignac Patrimoine, intérêt pour 2 M€.", "organisation_id": "0194b8a2-3c41-7d5e-8f60-1a2b3c4d5e01", "person_id": "0194b8a3-7e12-7f3a-9b4c-5d6e7f809a11"}))))]
#[serde(deny_unknown_fields)]
pub struct InteractionIn {
    pub kind: InteractionKind,
    /// 1–5000 characters.
    pub summary: String,
    #[serde(default)]
    pub occurred_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub author_id: Option<Uuid>,
    #[serde(default)]
    pub organisation_id: Option<Uuid>,
    #[serde(default)]
    pub person_id: Option<Uuid>,
}

/// Change an interaction: absent fields stay, `null` unlinks (one link must remain).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"kind": "call", "summary": "Appel de suivi : documentation envoyée par courriel."}))))]
#[serde(deny_unknown_fields)]
pub struct InteractionPatch {
    pub kind: Option<InteractionKind>,
    pub summary: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub author_id: Option<Uuid>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub organisation_id: Option<Option<Uuid>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub person_id: Option<Option<Uuid>>,
}

/// An action applied to many interactions at once, all or nothing.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"action": "assign_owner", "author_id": "0194b8a0-1f2e-7a3b-8c4d-5e6f70819202", "ids": ["0194b8a6-4b5c-7d6e-8f70-8192a3b4c541", "0194b8a6-4b5c-7d6e-8f70-8192a3b4c542"]}))))]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum InteractionBulkAction {
    /// Make `author_id` (also accepted as `owner_id`) the author of the interactions.
    AssignOwner {
        ids: Vec<Uuid>,
        #[serde(alias = "owner_id")]
        author_id: Uuid,
    },
    /// Move the interactions to the trash.
    Delete { ids: Vec<Uuid> },
}

/// One entry of a record's timeline: an interaction, or an event of its change history.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEntryOut {
    /// `interaction` or `event`.
    pub kind: String,
    /// When the interaction took place, or when the change happened.
    pub occurred_at: DateTime<Utc>,
    /// Set when `kind` is `interaction`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction: Option<InteractionOut>,
    /// Set when `kind` is `event`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventOut>,
}
