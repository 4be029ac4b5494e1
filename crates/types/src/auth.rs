use crate::iam::{Locale, Theme};
use chrono::{DateTime, Utc};
use relais_domain::Grant;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginIn {
    pub email: String,
    pub password: String,
    /// Tenant slug. Needed only when the same email exists in several firms.
    #[serde(default)]
    pub tenant: Option<String>,
}

/// Tokens issued by login and refresh.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenOut {
    /// JWT to send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Opaque; single use. Exchange it at `/api/v1/auth/refresh` for a new pair.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Lifetime of the access token in seconds.
    pub expires_in: u64,
    pub user: MeOut,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshIn {
    pub refresh_token: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ForgotPasswordIn {
    pub email: String,
    #[serde(default)]
    pub tenant: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordIn {
    /// The token from the reset email.
    pub token: String,
    pub new_password: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordIn {
    pub current_password: String,
    pub new_password: String,
}

/// The signed-in user, with what they may do.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeOut {
    pub id: Uuid,
    pub tenant: TenantRef,
    pub email: String,
    pub full_name: String,
    pub role: RoleRef,
    pub team_id: Option<Uuid>,
    pub locale: Locale,
    pub theme: Theme,
    /// When true, every call except password change answers 403 `password_change_required`.
    pub must_change_password: bool,
    pub grants: Vec<Grant>,
    pub last_login_at: Option<DateTime<Utc>>,
}

/// Fields a user may change on their own profile.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    pub full_name: Option<String>,
    pub locale: Option<Locale>,
    pub theme: Option<Theme>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantRef {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleRef {
    pub id: Uuid,
    pub key: String,
    pub name: String,
}

/// Operator (platform) login.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OperatorLoginIn {
    pub email: String,
    pub password: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperatorTokenOut {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
}
