//! Platform administration (operators).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    Active,
    Suspended,
}

impl TenantStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
        }
    }

    pub fn from_code(s: &str) -> Self {
        if s == "suspended" {
            Self::Suspended
        } else {
            Self::Active
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantOut {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub locale: crate::Locale,
    pub time_zone: String,
    pub status: TenantStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Create a tenant with its first administrator.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TenantIn {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub locale: Option<crate::Locale>,
    #[serde(default)]
    pub time_zone: Option<String>,
    pub admin_email: String,
    pub admin_full_name: Option<String>,
    /// Temporary password: the administrator must change it at first login.
    pub admin_password: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TenantPatch {
    pub name: Option<String>,
    pub status: Option<TenantStatus>,
    pub locale: Option<crate::Locale>,
    pub time_zone: Option<String>,
}
