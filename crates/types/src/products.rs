//! Products (SPEC CRM-3): what the firm distributes, known by an ISIN or an internal code.

use chrono::{DateTime, Utc};
use relais_domain::crm::Category;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductOut {
    pub id: Uuid,
    pub name: String,
    /// An ISIN (`FR0000120271`) or an internal code, upper-case; unique in the firm.
    pub code: String,
    /// Whether `code` is an ISIN.
    pub is_isin: bool,
    pub category: Option<Category>,
    pub active: bool,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Create a product. A `code` that looks like an ISIN (12 letters or digits starting with
/// two letters) must have a valid check digit; otherwise it is an internal code of 1–40
/// characters among `A–Z 0–9 - _ .` (lower case is upper-cased).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProductIn {
    pub name: String,
    pub code: String,
    #[serde(default)]
    pub category: Option<Category>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// Change a product: absent fields stay, `null` clears an optional field.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    pub name: Option<String>,
    pub code: Option<String>,
    #[serde(default, with = "crate::iam::double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Category>))]
    pub category: Option<Option<Category>>,
    pub active: Option<bool>,
    #[serde(default, with = "crate::iam::double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub notes: Option<Option<String>>,
}
