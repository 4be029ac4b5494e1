//! Mandates (SPEC CRM-3): numbered agreements with an organisation, their status flow and the
//! products they cover.

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::mandates::MandateStatus;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MandateOut {
    pub id: Uuid,
    /// Unique in the firm, e.g. `M-2026-001`.
    pub number: String,
    pub organisation_id: Uuid,
    pub status: MandateStatus,
    /// When the mandate entered `signed` (kept afterwards).
    pub signed_at: Option<DateTime<Utc>>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// Amount in euros.
    pub amount: Option<f64>,
    pub owner_id: Option<Uuid>,
    pub notes: Option<String>,
    /// The products the mandate covers, by id.
    pub product_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set while the record is in the trash (restorable for 30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Create a mandate. Without `number` the next one of the current year is generated
/// (`M-2026-001`, `M-2026-002`…). `owner_id` defaults to the caller, `status` to `draft`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MandateIn {
    #[serde(default)]
    pub number: Option<String>,
    pub organisation_id: Uuid,
    #[serde(default)]
    pub status: Option<MandateStatus>,
    /// Only for a mandate created signed, active or terminated; defaults to now for those.
    #[serde(default)]
    pub signed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    #[serde(default)]
    pub amount: Option<f64>,
    #[serde(default)]
    pub owner_id: Option<Uuid>,
    #[serde(default)]
    pub notes: Option<String>,
    /// Products the mandate covers.
    #[serde(default)]
    pub product_ids: Vec<Uuid>,
}

/// Change a mandate: absent fields stay, `null` clears an optional field. A `status` change
/// must follow the flow (draft → proposed → signed → active → terminated, draft → signed,
/// proposed → draft, anything but terminated → terminated); otherwise 422
/// `invalid_transition`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MandatePatch {
    pub number: Option<String>,
    pub organisation_id: Option<Uuid>,
    pub status: Option<MandateStatus>,
    #[serde(default, with = "crate::iam::double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub signed_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, with = "crate::iam::double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub start_date: Option<Option<NaiveDate>>,
    #[serde(default, with = "crate::iam::double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub end_date: Option<Option<NaiveDate>>,
    #[serde(default, with = "crate::iam::double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub amount: Option<Option<f64>>,
    #[serde(default, with = "crate::iam::double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub owner_id: Option<Option<Uuid>>,
    #[serde(default, with = "crate::iam::double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub notes: Option<Option<String>>,
}

/// The full set of products a mandate covers (replaces the previous set).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MandateProductsIn {
    pub product_ids: Vec<Uuid>,
}
