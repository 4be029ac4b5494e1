//! Webhook endpoints, their deliveries and attempts, and the event catalogue.

use crate::crm::EventOut;
use chrono::{DateTime, Utc};
use relais_domain::webhooks::{DeliveryStatus, DisabledReason};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Register an endpoint. The signing secret is generated and returned once in the answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookIn {
    /// `https://…` (or `http://…`) receiving POSTs; private and loopback addresses are refused.
    pub url: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Exact types (`mandate.signed`), families (`organisation.*`) or `*`; see
    /// `GET /api/v1/event-types`.
    pub event_types: Vec<String>,
    /// Default true.
    #[serde(default)]
    pub active: Option<bool>,
    /// At most this many deliveries per second, across every worker process; absent = unlimited.
    #[serde(default)]
    pub rate_limit: Option<u32>,
}

/// Change an endpoint: absent fields stay, `rate_limit: null` removes the limit. Setting
/// `active` to true re-enables an endpoint that was switched off.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub event_types: Option<Vec<String>>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u32>))]
    pub rate_limit: Option<Option<u32>>,
}

/// An endpoint (never its secret).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookOut {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub active: bool,
    /// Why an inactive endpoint stopped.
    pub disabled_reason: Option<DisabledReason>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub rate_limit: Option<u32>,
    /// Start of the current run of failed attempts (the endpoint is switched off after 5 days).
    pub failing_since: Option<DateTime<Utc>>,
    /// Until when the secret before the last rotation still signs deliveries (alongside the new
    /// one).
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Returned on creation: `secret` is also available later through the reveal operation.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookCreatedOut {
    /// `whsec_…`: the base64 part, decoded, is the HMAC-SHA256 key.
    pub secret: String,
    #[serde(flatten)]
    pub webhook: WebhookOut,
}

/// An endpoint's signing secret.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookSecretOut {
    /// `whsec_…`.
    pub secret: String,
    /// After a rotation: until when the previous secret also signs deliveries.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
}

/// One event type of the catalogue, with an example delivery body.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventTypeOut {
    /// E.g. `organisation.stage_changed`.
    pub name: String,
    /// The record family (`organisation`), usable as a filter `organisation.*`.
    pub family: String,
    pub description: String,
    /// What a delivery of this type looks like.
    pub example: EventOut,
}

/// One event sent (or to be sent) to one endpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryOut {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    /// `evt_…`: the `webhook-id` header, the same on every attempt.
    pub event_id: String,
    pub event_type: String,
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: i32,
    /// When the next attempt is due (pending deliveries).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    /// How long the last attempt took, in milliseconds (until the answer or the failure).
    pub last_latency_ms: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// One HTTP attempt of a delivery.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttemptOut {
    pub id: Uuid,
    /// 1 for the first attempt.
    pub attempt: i32,
    pub started_at: DateTime<Utc>,
    /// Time until the answer (or the failure), in milliseconds.
    pub latency_ms: i32,
    /// The receiver's status code; absent when no answer came (timeout, refused address …).
    pub status_code: Option<i32>,
    pub error: Option<String>,
    /// The first 4 KiB of the answer.
    pub response_body: Option<String>,
    pub succeeded: bool,
}

/// A delivery with every attempt and the body sent.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryDetailOut {
    #[serde(flatten)]
    pub delivery: DeliveryOut,
    pub attempts_log: Vec<AttemptOut>,
    pub payload: EventOut,
}

/// Send again every failed delivery of an endpoint created since a date (at most 14 days
/// ago).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReplayIn {
    pub since: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplayOut {
    /// Deliveries scheduled again.
    pub replayed: u64,
}
