//! Platform operators: sign-in and tenant management. Operators are not tenant members and
//! nothing here reads business records.

use crate::{
    ApiResult, AppState,
    auth::OperatorAuth,
    convert, crypto,
    error::{ApiError, Validator},
    extract::Json,
    http::{self, check_if_match, client_ip},
    password::Verified,
    provision,
};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use relais_domain::{EmailAddress, PersonName};
use relais_store::{operators::Operator, tenants::Tenant};
use relais_types::{
    OperatorLoginIn, OperatorTokenOut, Page, Problem, TenantIn, TenantOut, TenantPatch,
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin/auth/login").route(web::post().to(operator_login)));
    cfg.service(
        web::resource("/admin/tenants")
            .route(web::get().to(list_tenants))
            .route(web::post().to(create_tenant)),
    );
    cfg.service(
        web::resource("/admin/tenants/{id}")
            .route(web::get().to(get_tenant))
            .route(web::patch().to(update_tenant)),
    );
}

/// Operator sign-in. The token only works on `/api/v1/admin/*`.
#[utoipa::path(post, path = "/api/v1/admin/auth/login", tag = "admin",
    operation_id = "v1.admin.login", request_body = OperatorLoginIn,
    responses(
        (status = 200, description = "Signed in", body = OperatorTokenOut),
        (status = 401, description = "Wrong credentials", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn operator_login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<OperatorLoginIn>,
) -> ApiResult<HttpResponse> {
    state
        .login_limiter
        .check("operator-login", client_ip(&req))?;
    let input = body.0;
    let bad = || {
        ApiError::Unauthorized(
            "invalid_credentials",
            "wrong email or password, or the account is temporarily locked".into(),
        )
    };
    let Ok(email) = EmailAddress::parse(&input.email) else {
        return Err(ApiError::field(
            "email",
            "invalid_email",
            "not an email address",
        ));
    };
    let tx = state.db.platform_tx().await?;
    let op = Operator::find_by_email(&*tx, email.as_str()).await?;
    let verified = state
        .hasher
        .verify(
            &input.password,
            op.as_ref().map(|o| o.password_hash.as_str()),
        )
        .await?;
    let Some(op) = op else {
        return Err(bad());
    };
    let locked = op.locked_until.is_some_and(|t| t > Utc::now());
    let cfg = &state.cfg;
    if locked || verified == Verified::No {
        if !locked {
            Operator::record_login(
                &*tx,
                op.id,
                false,
                cfg.lockout_threshold,
                cfg.lockout_duration.as_secs() as i64,
            )
            .await?;
        }
        tx.commit().await?;
        return Err(bad());
    }
    Operator::record_login(&*tx, op.id, true, 0, 0).await?;
    tx.commit().await?;
    let token = crypto::issue_jwt(cfg, crypto::AUD_OPERATOR, op.id, None, None)
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(OperatorTokenOut {
        access_token: token,
        token_type: "Bearer".into(),
        expires_in: cfg.access_ttl.as_secs(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TenantQuery {
    /// Page size, 1–200 (default 50).
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// List tenants.
#[utoipa::path(get, path = "/api/v1/admin/tenants", tag = "admin",
    operation_id = "v1.admin.tenant.list", security(("operator" = [])), params(TenantQuery),
    responses(
        (status = 200, description = "A page of tenants", body = Page<TenantOut>),
        (status = 401, description = "Not an operator", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_tenants(
    state: web::Data<AppState>,
    _op: OperatorAuth,
    query: web::Query<TenantQuery>,
) -> ApiResult<HttpResponse> {
    let limit = http::page_limit(query.limit)?;
    let after = http::decode_cursor(query.cursor.as_deref())?;
    let tx = state.db.platform_tx().await?;
    let rows = Tenant::list(&*tx, after, limit + 1).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(http::paginate(rows, limit, |t| t.id, convert::tenant_out)))
}

/// Create a tenant with its built-in roles and first administrator (who must change the
/// password at first sign-in).
#[utoipa::path(post, path = "/api/v1/admin/tenants", tag = "admin",
    operation_id = "v1.admin.tenant.create", security(("operator" = [])), request_body = TenantIn,
    responses(
        (status = 201, description = "Created", body = TenantOut),
        (status = 422, description = "Invalid input or slug taken", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_tenant(
    state: web::Data<AppState>,
    op: OperatorAuth,
    body: Json<TenantIn>,
) -> ApiResult<HttpResponse> {
    let (tenant, admin) = provision::create_tenant(&state.db, &state.hasher, &body.0, true).await?;
    tracing::info!(operator = %op.0.id, tenant = %tenant.id, slug = %tenant.slug, admin = %admin.id, "tenant created");
    let loc = format!("/api/v1/admin/tenants/{}", tenant.id);
    let etag = http::etag(tenant.id, tenant.updated_at);
    Ok(http::created(&convert::tenant_out(tenant), &loc, &etag))
}

/// Read a tenant.
#[utoipa::path(get, path = "/api/v1/admin/tenants/{id}", tag = "admin",
    operation_id = "v1.admin.tenant.get", security(("operator" = [])),
    params(("id" = Uuid, Path, description = "Tenant id")),
    responses(
        (status = 200, description = "The tenant", body = TenantOut),
        (status = 404, description = "No such tenant", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_tenant(
    state: web::Data<AppState>,
    _op: OperatorAuth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let tx = state.db.platform_tx().await?;
    let t = Tenant::find(&*tx, *id).await?.ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    let etag = http::etag(t.id, t.updated_at);
    Ok(http::ok_with_etag(&convert::tenant_out(t), &etag))
}

/// Rename, suspend or reactivate a tenant. A suspended tenant's users cannot sign in and
/// their tokens stop working. Requires `If-Match`.
#[utoipa::path(patch, path = "/api/v1/admin/tenants/{id}", tag = "admin",
    operation_id = "v1.admin.tenant.update", security(("operator" = [])), request_body = TenantPatch,
    params(("id" = Uuid, Path, description = "Tenant id"),
           ("If-Match" = String, Header, description = "ETag from the last read")),
    responses(
        (status = 200, description = "Updated", body = TenantOut),
        (status = 404, description = "No such tenant", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_tenant(
    state: web::Data<AppState>,
    op: OperatorAuth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<TenantPatch>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let mut v = Validator::new();
    let name = input
        .name
        .as_deref()
        .and_then(|n| v.check("name", PersonName::parse(n)));
    v.finish()?;
    let tx = state.db.platform_tx().await?;
    let t = Tenant::find(&*tx, *id).await?.ok_or(ApiError::NotFound)?;
    check_if_match(&req, &http::etag(t.id, t.updated_at))?;
    let updated = Tenant::update(
        &*tx,
        t.id,
        name.as_ref().map(|n| n.as_str()),
        input.status.map(|s| s.code()),
        input.locale.map(|l| l.code()),
        input.time_zone.as_deref(),
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    tracing::info!(operator = %op.0.id, tenant = %t.id, status = %updated.status, "tenant updated");
    let etag = http::etag(updated.id, updated.updated_at);
    Ok(http::ok_with_etag(&convert::tenant_out(updated), &etag))
}
