//! API keys for integrators: created by an administrator, shown once, revocable.

use crate::{
    ApiResult, AppState,
    auth::Auth,
    convert, crypto,
    error::{ApiError, Validator},
    extract::Json,
    http,
};
use actix_web::{HttpResponse, web};
use chrono::Utc;
use relais_domain::{Action, PersonName, Resource};
use relais_store::{
    api_keys::{ApiKey, NewApiKey},
    roles::Role,
};
use relais_types::{ApiKeyCreatedOut, ApiKeyIn, ApiKeyOut, Problem};
use uuid::Uuid;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api-keys")
            .route(web::get().to(list_api_keys))
            .route(web::post().to(create_api_key)),
    );
    cfg.service(
        web::resource("/api-keys/{id}")
            .route(web::get().to(get_api_key))
            .route(web::delete().to(revoke_api_key)),
    );
}

/// List API keys (never their secrets).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", operation_id = "v1.api_key.list",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "All keys", body = Vec<ApiKeyOut>),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_api_keys(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::ApiKeys, Action::Read)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let keys = ApiKey::list(&*tx, p.tenant_uuid()).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(
        keys.into_iter()
            .map(convert::api_key_out)
            .collect::<Vec<_>>(),
    ))
}

/// Create an API key carrying a role's grants. The full key is in this response only.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys",
    operation_id = "v1.api_key.create", security(("bearer" = [])), request_body = ApiKeyIn,
    responses(
        (status = 201, description = "Created; `key` is shown once", body = ApiKeyCreatedOut),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_api_key(
    state: web::Data<AppState>,
    auth: Auth,
    body: Json<ApiKeyIn>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::ApiKeys, Action::Create)?;
    let input = body.0;
    let mut v = Validator::new();
    let name = v.check("name", PersonName::parse(&input.name));
    if input.expires_at.is_some_and(|e| e <= Utc::now()) {
        v.push(
            "expires_at",
            "in_the_past",
            "the expiry must be in the future",
        );
    }
    v.finish()?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let role = Role::find(&*tx, tenant, input.role_id)
        .await?
        .ok_or_else(|| ApiError::field("role_id", "not_found", "no such role"))?;
    if !role.effective_grants().is_subset_of(&p.grants) {
        return Err(ApiError::field(
            "role_id",
            "exceeds_own_grants",
            "a key cannot carry more rights than you hold",
        ));
    }
    let (key, prefix, digest) = crypto::new_api_key();
    let row = ApiKey::insert(
        &*tx,
        tenant,
        &NewApiKey {
            name: name.unwrap().as_str(),
            prefix: &prefix,
            secret_hash: &digest,
            role_id: role.id,
            created_by: p.user_id(),
            expires_at: input.expires_at,
        },
    )
    .await?;
    tx.commit().await?;
    let loc = format!("/api/v1/api-keys/{}", row.id);
    let etag = http::etag(row.id, row.created_at);
    let out = ApiKeyCreatedOut {
        key,
        api_key: convert::api_key_out(row),
    };
    Ok(http::created(&out, &loc, &etag))
}

/// Read an API key's metadata.
#[utoipa::path(get, path = "/api/v1/api-keys/{id}", tag = "api-keys",
    operation_id = "v1.api_key.get", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Key id")),
    responses(
        (status = 200, description = "The key", body = ApiKeyOut),
        (status = 404, description = "No such key", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_api_key(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::ApiKeys, Action::Read)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let key = ApiKey::find(&*tx, p.tenant_uuid(), *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    let etag = http::etag(key.id, key.revoked_at.unwrap_or(key.created_at));
    Ok(http::ok_with_etag(&convert::api_key_out(key), &etag))
}

/// Revoke an API key: it stops working at once. The record stays for the audit trail.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys",
    operation_id = "v1.api_key.delete", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Key id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such key", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::ApiKeys, Action::Delete)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    if !ApiKey::revoke(&*tx, p.tenant_uuid(), *id).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
