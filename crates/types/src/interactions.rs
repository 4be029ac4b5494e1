//! Interactions (calls, meetings, emails, notes) and the organisation timeline.

use crate::EventOut;
use chrono::{DateTime, Utc};
use relais_domain::interactions::InteractionKind;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[serde(deny_unknown_fields)]
pub struct InteractionPatch {
    pub kind: Option<InteractionKind>,
    pub summary: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub author_id: Option<Uuid>,
    #[serde(default, with = "crate::iam::double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub organisation_id: Option<Option<Uuid>>,
    #[serde(default, with = "crate::iam::double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub person_id: Option<Option<Uuid>>,
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
