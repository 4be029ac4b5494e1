//! Mandates (SPEC CRM-3): numbered agreements with an organisation, their status flow and the
//! products they cover.

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::mandates::MandateStatus;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"id": "0194b8a5-2a3b-7c4d-8e5f-60718293a421", "number": "M-2026-001", "organisation_id": "0194b8a2-3c41-7d5e-8f60-1a2b3c4d5e01", "status": "signed", "signed_at": "2026-02-10T15:30:00Z", "start_date": "2026-03-01", "end_date": "2027-02-28", "amount": 1500000.0, "owner_id": "0194b8a0-1f2e-7a3b-8c4d-5e6f70819201", "notes": "Mandat de distribution exclusif pour l'Île-de-France.", "product_ids": ["0194b8a4-9d8c-7b6a-8594-a3b2c1d0e131", "0194b8a4-9d8c-7b6a-8594-a3b2c1d0e132"], "created_at": "2026-01-20T11:00:00Z", "updated_at": "2026-02-10T15:30:00Z"}))))]
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
#[cfg_attr(feature = "openapi", schema(examples(json!({"organisation_id": "0194b8a2-3c41-7d5e-8f60-1a2b3c4d5e01", "status": "draft", "start_date": "2026-03-01", "end_date": "2027-02-28", "amount": 1500000.0, "notes": "Mandat de distribution exclusif pour l'Île-de-France.", "product_ids": ["0194b8a4-9d8c-7b6a-8594-a3b2c1d0e131", "0194b8a4-9d8c-7b6a-8594-a3b2c1d0e132"]}))))]
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
#[cfg_attr(feature = "openapi", schema(examples(json!({"status": "signed", "signed_at": "2026-02-10T15:30:00Z", "amount": 1750000.0}))))]
#[serde(deny_unknown_fields)]
pub struct MandatePatch {
    pub number: Option<String>,
    pub organisation_id: Option<Uuid>,
    pub status: Option<MandateStatus>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub signed_at: Option<Option<DateTime<Utc>>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub start_date: Option<Option<NaiveDate>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub end_date: Option<Option<NaiveDate>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub amount: Option<Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub owner_id: Option<Option<Uuid>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub notes: Option<Option<String>>,
}

/// The full set of products a mandate covers (replaces the previous set).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"product_ids": ["0194b8a4-9d8c-7b6a-8594-a3b2c1d0e131", "0194b8a4-9d8c-7b6a-8594-a3b2c1d0e132"]}))))]
#[serde(deny_unknown_fields)]
pub struct MandateProductsIn {
    pub product_ids: Vec<Uuid>,
}

/// An action applied to many mandates at once, all or nothing.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"action": "change_status", "status": "active", "ids": ["0194b8a5-2a3b-7c4d-8e5f-60718293a421", "0194b8a5-2a3b-7c4d-8e5f-60718293a422"]}))))]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum MandateBulkAction {
    /// Give the mandates to `owner_id`.
    AssignOwner { ids: Vec<Uuid>, owner_id: Uuid },
    /// Move every mandate to `status`; each move must follow the status flow, otherwise the
    /// whole batch is refused (422 `invalid_transition`, one error per mandate).
    ChangeStatus {
        ids: Vec<Uuid>,
        status: MandateStatus,
    },
    /// Move the mandates to the trash.
    Delete { ids: Vec<Uuid> },
}
