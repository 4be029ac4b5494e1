//! Authentication extractors. A request carries `Authorization: Bearer <token>` where the
//! token is either an access JWT (people) or an API key `rk_…` (integrators). The extractor
//! resolves it to a [`Principal`]: tenant, user, team and grants, loaded fresh from the
//! database so a deactivation or role change applies at once.

use crate::{
    AppState,
    crypto::{self, AUD_OPERATOR, AUD_TENANT},
    error::{ApiError, ApiResult},
};
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use chrono::Utc;
use futures_util::future::LocalBoxFuture;
use relais_domain::{
    Action, Grants, RecordOwner, Resource, Scope, Subject, TeamId, TenantId, UserId,
};
use relais_store::{
    api_keys::ApiKey, operators::Operator, roles::Role, tokens::RefreshToken, users::AuthUser,
};
use uuid::Uuid;

/// How the caller proved who they are.
#[derive(Clone, Debug)]
pub enum Credential {
    /// An access token from a login; `session` is its refresh-token family.
    Session {
        session: Option<Uuid>,
    },
    ApiKey {
        id: Uuid,
    },
}

/// The authenticated caller of a tenant route.
#[derive(Clone, Debug)]
pub struct Principal {
    pub tenant: TenantId,
    pub user: AuthUser,
    pub grants: Grants,
    pub credential: Credential,
}

impl Principal {
    pub fn tenant_uuid(&self) -> Uuid {
        self.tenant.into_uuid()
    }

    pub fn user_id(&self) -> Uuid {
        self.user.id
    }

    pub fn subject(&self) -> Subject {
        Subject {
            user_id: UserId(self.user.id),
            team_id: self.user.team_id.map(TeamId),
        }
    }

    /// The scope granted for `action` on `resource`, or 403.
    pub fn require(&self, resource: Resource, action: Action) -> ApiResult<Scope> {
        self.grants
            .scope(resource, action)
            .ok_or_else(ApiError::forbidden)
    }

    /// 403 unless `action` on this record is within the caller's scope.
    pub fn require_record(
        &self,
        resource: Resource,
        action: Action,
        record: &RecordOwner,
    ) -> ApiResult<()> {
        if self
            .grants
            .authorize(&self.subject(), resource, action, Some(record))
        {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// A tenant caller whose password is in order. Accounts that must change their password get
/// 403 `password_change_required` everywhere except the routes taking [`AuthAny`].
pub struct Auth(pub Principal);

/// A tenant caller, even one who still has to change their password.
pub struct AuthAny(pub Principal);

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let fut = authenticate(req.clone());
        Box::pin(async move {
            let p = fut.await?;
            if p.user.must_change_password {
                return Err(ApiError::Forbidden(
                    "password_change_required",
                    "change your password first (POST /api/v1/auth/password/change)".into(),
                ));
            }
            Ok(Auth(p))
        })
    }
}

impl FromRequest for AuthAny {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let fut = authenticate(req.clone());
        Box::pin(async move { fut.await.map(AuthAny) })
    }
}

pub(crate) fn bearer(req: &HttpRequest) -> ApiResult<String> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthorized("missing Authorization header"))?
        .to_str()
        .map_err(|_| unauthorized("malformed Authorization header"))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| unauthorized("expected `Authorization: Bearer <token>`"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(unauthorized("expected `Authorization: Bearer <token>`"));
    }
    Ok(token.trim().to_owned())
}

fn unauthorized(detail: &str) -> ApiError {
    ApiError::Unauthorized("unauthorized", detail.to_owned())
}

fn invalid_token() -> ApiError {
    ApiError::Unauthorized(
        "invalid_token",
        "the token is invalid, expired or revoked".into(),
    )
}

async fn authenticate(req: HttpRequest) -> ApiResult<Principal> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("app state missing"))?
        .clone();
    let token = bearer(&req)?;
    if token.starts_with("rk_") {
        return authenticate_api_key(&state, &token).await;
    }
    let claims = crypto::verify_jwt(&state.cfg, AUD_TENANT, &token).ok_or_else(invalid_token)?;
    let tenant = claims.tid.ok_or_else(invalid_token)?;
    let tx = state.db.tenant_tx(TenantId(tenant)).await?;
    let user = AuthUser::load(&*tx, tenant, claims.sub)
        .await?
        .ok_or_else(invalid_token)?;
    // The token's session must still be open: logout, a password change or a reset end it.
    if let Some(sid) = claims.sid
        && !RefreshToken::family_active(&*tx, tenant, sid).await?
    {
        return Err(invalid_token());
    }
    tx.commit().await?;
    // A password change or reset signs out tokens issued before it.
    if claims.iat < user.password_changed_at.timestamp() {
        return Err(invalid_token());
    }
    principal(
        user,
        Credential::Session {
            session: claims.sid,
        },
        None,
    )
}

async fn authenticate_api_key(state: &AppState, token: &str) -> ApiResult<Principal> {
    let parts = crypto::parse_api_key(token).ok_or_else(invalid_token)?;
    let ptx = state.db.platform_tx().await?;
    let tenant = ApiKey::tenant_of_prefix(&*ptx, parts.prefix)
        .await?
        .ok_or_else(invalid_token)?;
    ptx.commit().await?;
    let tx = state.db.tenant_tx(TenantId(tenant)).await?;
    let key = ApiKey::find_by_prefix(&*tx, tenant, parts.prefix)
        .await?
        .ok_or_else(invalid_token)?;
    if !crypto::constant_time_eq(&crypto::sha256(parts.secret), &key.secret_hash)
        || !key.is_usable(Utc::now())
    {
        return Err(invalid_token());
    }
    let user = AuthUser::load(&*tx, tenant, key.created_by)
        .await?
        .ok_or_else(invalid_token)?;
    let role = Role::find(&*tx, tenant, key.role_id)
        .await?
        .ok_or_else(invalid_token)?;
    ApiKey::touch(&*tx, tenant, key.id).await?;
    tx.commit().await?;
    let mut user = user;
    // Keys never have to change a password; they act with their own role's grants.
    user.must_change_password = false;
    principal(
        user,
        Credential::ApiKey { id: key.id },
        Some(role.effective_grants()),
    )
}

fn principal(
    user: AuthUser,
    credential: Credential,
    grants: Option<Grants>,
) -> ApiResult<Principal> {
    if !user.active {
        return Err(invalid_token());
    }
    if user.tenant_status != "active" {
        return Err(tenant_suspended());
    }
    let grants = grants.unwrap_or_else(|| Grants::new(user.grant_list()));
    Ok(Principal {
        tenant: TenantId(user.tenant_id),
        grants,
        user,
        credential,
    })
}

/// 403 for a member of a suspended tenant.
pub(crate) fn tenant_suspended() -> ApiError {
    ApiError::Forbidden(
        "tenant_suspended",
        "this firm's account is suspended; contact your administrator".into(),
    )
}

/// A platform operator (token audience `relais-operator`).
pub struct OperatorAuth(pub Operator);

impl FromRequest for OperatorAuth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::internal("app state missing"))?
                .clone();
            let token = bearer(&req)?;
            let claims =
                crypto::verify_jwt(&state.cfg, AUD_OPERATOR, &token).ok_or_else(invalid_token)?;
            let tx = state.db.platform_tx().await?;
            let op = Operator::find(&*tx, claims.sub)
                .await?
                .ok_or_else(invalid_token)?;
            tx.commit().await?;
            Ok(OperatorAuth(op))
        })
    }
}
