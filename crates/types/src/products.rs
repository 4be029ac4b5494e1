//! Products (SPEC CRM-3): what the firm distributes, known by an ISIN or an internal code.

use chrono::{DateTime, Utc};
use relais_domain::crm::Category;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"id": "0194b8a4-9d8c-7b6a-8594-a3b2c1d0e131", "name": "Carmignac Patrimoine A EUR Acc", "code": "FR0010135103", "is_isin": true, "category": "opcvm", "active": true, "notes": "Fonds diversifié, part A capitalisation.", "created_at": "2026-01-08T14:00:00Z", "updated_at": "2026-01-08T14:00:00Z"}))))]
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
#[cfg_attr(feature = "openapi", schema(examples(json!({"name": "Carmignac Patrimoine A EUR Acc", "code": "FR0010135103", "category": "opcvm", "active": true, "notes": "Fonds diversifié, part A capitalisation."}))))]
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
#[cfg_attr(feature = "openapi", schema(examples(json!({"name": "Carmignac Patrimoine A EUR Acc (part A)", "active": false}))))]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    pub name: Option<String>,
    pub code: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Category>))]
    pub category: Option<Option<Category>>,
    pub active: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub notes: Option<Option<String>>,
}

/// An action applied to many products at once, all or nothing.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"action": "set_active", "active": false, "ids": ["0194b8a4-9d8c-7b6a-8594-a3b2c1d0e131", "0194b8a4-9d8c-7b6a-8594-a3b2c1d0e132"]}))))]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ProductBulkAction {
    /// Activate (`true`) or deactivate (`false`) the products.
    SetActive { ids: Vec<Uuid>, active: bool },
    /// Move the products to the trash.
    Delete { ids: Vec<Uuid> },
}
