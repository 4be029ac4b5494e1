//! Sign-in, token refresh and rotation, sign-out, password reset and change.

use crate::{
    ApiResult, AppState,
    auth::{AuthAny, Credential},
    convert, crypto,
    error::{ApiError, Validator},
    extract::Json,
    http::client_ip,
    password::Verified,
};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use relais_domain::{EmailAddress, Password, TenantId};
use relais_store::{
    TenantTx,
    jobs::{self, EmailPayload, KIND_EMAIL},
    tokens::{RefreshToken, ResetToken},
    users::{AuthUser, User},
};
use relais_types::{
    ChangePasswordIn, ForgotPasswordIn, LoginIn, Problem, RefreshIn, ResetPasswordIn, TokenOut,
};
use uuid::Uuid;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/auth/login").route(web::post().to(login)));
    cfg.service(web::resource("/auth/refresh").route(web::post().to(refresh)));
    cfg.service(web::resource("/auth/logout").route(web::post().to(logout)));
    cfg.service(web::resource("/auth/password/forgot").route(web::post().to(forgot_password)));
    cfg.service(web::resource("/auth/password/reset").route(web::post().to(reset_password)));
    cfg.service(web::resource("/auth/password/change").route(web::post().to(change_password)));
}

fn bad_credentials() -> ApiError {
    ApiError::Unauthorized(
        "invalid_credentials",
        "wrong email or password, or the account is temporarily locked".into(),
    )
}

/// Sign in with email and password.
///
/// Answers the same way whether the email is unknown, the password wrong, or the account
/// locked (5 failures lock it for 15 minutes). Limited to 5 attempts per minute per client IP.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", operation_id = "v1.auth.login",
    request_body = LoginIn,
    responses(
        (status = 200, description = "Signed in", body = TokenOut),
        (status = 401, description = "Wrong credentials", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<LoginIn>,
) -> ApiResult<HttpResponse> {
    state.login_limiter.check("login", client_ip(&req))?;
    let input = body.0;
    let Ok(email) = EmailAddress::parse(&input.email) else {
        return Err(ApiError::field(
            "email",
            "invalid_email",
            "not an email address",
        ));
    };
    let tenant_slug = input
        .tenant
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let ptx = state.db.platform_tx().await?;
    let candidates = User::login_candidates(&*ptx, email.as_str(), tenant_slug).await?;
    ptx.commit().await?;
    if candidates.is_empty() {
        state.hasher.verify(&input.password, None).await?;
        return Err(bad_credentials());
    }
    let cfg = &state.cfg;
    // Failures are recorded only once no account took the password: signing into one firm
    // without naming it is not a failed login of the same email's account in another firm.
    let mut failed = Vec::new();
    for (tenant, user_id) in candidates {
        let tx = state.db.tenant_tx(TenantId(tenant)).await?;
        let Some(user) = User::find(&*tx, tenant, user_id).await? else {
            continue;
        };
        let locked = user.locked_until.is_some_and(|t| t > Utc::now());
        let verified = state
            .hasher
            .verify(&input.password, Some(&user.password_hash))
            .await?;
        let ok = !locked && user.active && verified != Verified::No;
        if !ok {
            if !locked {
                failed.push((tenant, user.id));
            }
            continue;
        }
        if let Verified::YesRehash(new_hash) = verified {
            User::rehash_password(&*tx, tenant, user.id, &new_hash).await?;
        }
        User::record_login(&*tx, tenant, user.id, true, 0, 0).await?;
        let out = issue_tokens(&state, &tx, user.id, Uuid::now_v7()).await?;
        tx.commit().await?;
        tracing::info!(tenant = %tenant, user = %user.id, "login");
        return Ok(HttpResponse::Ok().json(out));
    }
    for (tenant, user_id) in failed {
        let tx = state.db.tenant_tx(TenantId(tenant)).await?;
        User::record_login(
            &*tx,
            tenant,
            user_id,
            false,
            cfg.lockout_threshold,
            cfg.lockout_duration.as_secs() as i64,
        )
        .await?;
        tx.commit().await?;
    }
    Err(bad_credentials())
}

/// A new access token and refresh token in `family`, inside the caller's transaction.
async fn issue_tokens(
    state: &AppState,
    tx: &TenantTx,
    user_id: Uuid,
    family: Uuid,
) -> ApiResult<TokenOut> {
    let tenant = tx.tenant().into_uuid();
    let refresh = format!("rt_{}", crypto::random_token(32));
    let expires = Utc::now()
        + chrono::Duration::from_std(state.cfg.refresh_ttl).map_err(ApiError::internal)?;
    RefreshToken::insert(
        &**tx,
        tenant,
        user_id,
        family,
        &crypto::sha256(&refresh),
        expires,
    )
    .await?;
    let access = crypto::issue_jwt(
        &state.cfg,
        crypto::AUD_TENANT,
        user_id,
        Some(tenant),
        Some(family),
    )
    .map_err(ApiError::internal)?;
    let me = AuthUser::load(&**tx, tenant, user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(TokenOut {
        access_token: access,
        refresh_token: refresh,
        token_type: "Bearer".into(),
        expires_in: state.cfg.access_ttl.as_secs(),
        user: convert::me_out(&me),
    })
}

fn invalid_refresh() -> ApiError {
    ApiError::Unauthorized(
        "invalid_refresh_token",
        "the refresh token is invalid, expired or revoked; sign in again".into(),
    )
}

/// Exchange a refresh token for a new pair.
///
/// Refresh tokens are single use. Presenting one that was already exchanged is treated as
/// theft: every token of that sign-in session is revoked.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", operation_id = "v1.auth.refresh",
    request_body = RefreshIn,
    responses(
        (status = 200, description = "New tokens", body = TokenOut),
        (status = 401, description = "Invalid, expired, revoked or reused token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The firm's account is suspended", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn refresh(state: web::Data<AppState>, body: Json<RefreshIn>) -> ApiResult<HttpResponse> {
    let hash = crypto::sha256(&body.0.refresh_token);
    let ptx = state.db.platform_tx().await?;
    let tenant = RefreshToken::tenant_of(&*ptx, &hash)
        .await?
        .ok_or_else(invalid_refresh)?;
    ptx.commit().await?;
    let tx = state.db.tenant_tx(TenantId(tenant)).await?;
    let token = RefreshToken::find_for_update(&*tx, tenant, &hash)
        .await?
        .ok_or_else(invalid_refresh)?;
    if token.revoked_at.is_some() || token.expires_at <= Utc::now() {
        return Err(invalid_refresh());
    }
    if token.rotated_at.is_some() {
        let n = RefreshToken::revoke_family(&*tx, tenant, token.family_id).await?;
        tx.commit().await?;
        tracing::warn!(tenant = %tenant, user = %token.user_id, revoked = n,
            "refresh token reused: session revoked");
        return Err(ApiError::Unauthorized(
            "refresh_token_reused",
            "this refresh token was already used; the session has been signed out".into(),
        ));
    }
    let user = AuthUser::load(&*tx, tenant, token.user_id)
        .await?
        .ok_or_else(invalid_refresh)?;
    if !user.active {
        return Err(invalid_refresh());
    }
    if user.tenant_status != "active" {
        return Err(crate::auth::tenant_suspended());
    }
    RefreshToken::mark_rotated(&*tx, tenant, token.id).await?;
    let out = issue_tokens(&state, &tx, user.id, token.family_id).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Sign out: revoke the refresh token's session. Always 204.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", operation_id = "v1.auth.logout",
    request_body = RefreshIn,
    responses((status = 204, description = "Signed out")))]
pub async fn logout(state: web::Data<AppState>, body: Json<RefreshIn>) -> ApiResult<HttpResponse> {
    let hash = crypto::sha256(&body.0.refresh_token);
    let ptx = state.db.platform_tx().await?;
    let tenant = RefreshToken::tenant_of(&*ptx, &hash).await?;
    ptx.commit().await?;
    if let Some(tenant) = tenant {
        let tx = state.db.tenant_tx(TenantId(tenant)).await?;
        if let Some(t) = RefreshToken::find_for_update(&*tx, tenant, &hash).await? {
            RefreshToken::revoke_family(&*tx, tenant, t.family_id).await?;
        }
        tx.commit().await?;
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Ask for a password-reset email. Always 202, whether or not the email is known.
///
/// The email holds a single-use link valid 24 hours.
#[utoipa::path(post, path = "/api/v1/auth/password/forgot", tag = "auth",
    operation_id = "v1.auth.password_forgot", request_body = ForgotPasswordIn,
    responses(
        (status = 202, description = "If the account exists, an email is on its way"),
        (status = 429, description = "Too many requests", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn forgot_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<ForgotPasswordIn>,
) -> ApiResult<HttpResponse> {
    state.login_limiter.check("forgot", client_ip(&req))?;
    let accepted = HttpResponse::Accepted().finish();
    let Ok(email) = EmailAddress::parse(&body.0.email) else {
        return Ok(accepted);
    };
    let slug = body
        .0
        .tenant
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let ptx = state.db.platform_tx().await?;
    let candidates = User::login_candidates(&*ptx, email.as_str(), slug).await?;
    ptx.commit().await?;
    for (tenant, user_id) in candidates {
        let tx = state.db.tenant_tx(TenantId(tenant)).await?;
        let Some(user) = AuthUser::load(&*tx, tenant, user_id).await? else {
            continue;
        };
        if !user.active {
            continue;
        }
        let token = format!("rp_{}", crypto::random_token(32));
        let expires = Utc::now()
            + chrono::Duration::from_std(state.cfg.reset_ttl).map_err(ApiError::internal)?;
        ResetToken::insert(&*tx, tenant, user.id, &crypto::sha256(&token), expires).await?;
        let link = format!(
            "{}/reset-password?token={}",
            state.cfg.public_url.trim_end_matches('/'),
            token
        );
        let payload = reset_email(&user, &link, &token);
        jobs::enqueue(
            &*tx,
            tenant,
            KIND_EMAIL,
            &serde_json::to_value(payload).map_err(ApiError::internal)?,
        )
        .await?;
        tx.commit().await?;
    }
    Ok(accepted)
}

fn reset_email(user: &AuthUser, link: &str, token: &str) -> EmailPayload {
    let (subject, text) = if user.locale == "en" {
        (
            format!("Reset your Relais password ({})", user.tenant_name),
            format!(
                "Hello {name},\n\nSomeone (hopefully you) asked to reset the password of your \
                 Relais account at {firm}.\n\nOpen this link within 24 hours to choose a new \
                 password:\n{link}\n\nOr paste this code in the reset form: {token}\n\nIf you \
                 did not ask for it, ignore this email: your password stays the same.\n",
                name = user.full_name,
                firm = user.tenant_name
            ),
        )
    } else {
        (
            format!(
                "Réinitialisation de votre mot de passe Relais ({})",
                user.tenant_name
            ),
            format!(
                "Bonjour {name},\n\nUne demande de réinitialisation du mot de passe de votre \
                 compte Relais chez {firm} a été faite.\n\nOuvrez ce lien dans les 24 heures \
                 pour choisir un nouveau mot de passe :\n{link}\n\nOu collez ce code dans le \
                 formulaire : {token}\n\nSi vous n'êtes pas à l'origine de cette demande, \
                 ignorez ce message : votre mot de passe reste inchangé.\n",
                name = user.full_name,
                firm = user.tenant_name
            ),
        )
    };
    EmailPayload {
        to: user.email.clone(),
        subject,
        text,
    }
}

/// Set a new password with the token from the reset email. The token works once; every
/// session of the account is signed out.
#[utoipa::path(post, path = "/api/v1/auth/password/reset", tag = "auth",
    operation_id = "v1.auth.password_reset", request_body = ResetPasswordIn,
    responses(
        (status = 204, description = "Password changed"),
        (status = 400, description = "Invalid, used or expired token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Password refused by the policy", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn reset_password(
    state: web::Data<AppState>,
    body: Json<ResetPasswordIn>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let password = Password::parse(&input.new_password)
        .map_err(|e| ApiError::field("new_password", e.code, e.message))?;
    let invalid = || {
        ApiError::BadRequest(
            "invalid_reset_token",
            "this reset link is invalid, already used or expired; ask for a new one".into(),
        )
    };
    let hash = crypto::sha256(input.token.trim());
    let ptx = state.db.platform_tx().await?;
    let tenant = ResetToken::tenant_of(&*ptx, &hash)
        .await?
        .ok_or_else(invalid)?;
    ptx.commit().await?;
    let new_hash = state.hasher.hash(password.expose()).await?;
    let tx = state.db.tenant_tx(TenantId(tenant)).await?;
    let token = ResetToken::consume(&*tx, tenant, &hash)
        .await?
        .ok_or_else(invalid)?;
    User::set_password(&*tx, tenant, token.user_id, &new_hash, false).await?;
    RefreshToken::revoke_user(&*tx, tenant, token.user_id).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Change your own password (also how a user clears a forced change at first login).
/// Other sessions of the account are signed out; this one stays.
#[utoipa::path(post, path = "/api/v1/auth/password/change", tag = "auth",
    operation_id = "v1.auth.password_change", request_body = ChangePasswordIn,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Password changed"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong current password or refused new one", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn change_password(
    state: web::Data<AppState>,
    auth: AuthAny,
    body: Json<ChangePasswordIn>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let Credential::Session { session } = p.credential else {
        return Err(ApiError::Forbidden(
            "not_a_person",
            "API keys have no password".into(),
        ));
    };
    let input = body.0;
    let mut v = Validator::new();
    let new = v.check("new_password", Password::parse(&input.new_password));
    if input.new_password == input.current_password {
        v.push(
            "new_password",
            "unchanged",
            "choose a password different from the current one",
        );
    }
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let user = User::find(&*tx, tenant, p.user_id())
        .await?
        .ok_or(ApiError::NotFound)?;
    let verified = state
        .hasher
        .verify(&input.current_password, Some(&user.password_hash))
        .await?;
    if verified == Verified::No {
        v.push(
            "current_password",
            "incorrect",
            "the current password is wrong",
        );
    }
    v.finish()?;
    let new = new.expect("validated");
    let new_hash = state.hasher.hash(new.expose()).await?;
    User::set_password(&*tx, tenant, user.id, &new_hash, false).await?;
    RefreshToken::revoke_user_except(&*tx, tenant, user.id, session).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
