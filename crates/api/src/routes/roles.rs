//! Roles: the four built-in ones (read-only) and custom ones per tenant.

use crate::{
    ApiResult, AppState,
    auth::Auth,
    convert,
    error::{ApiError, Validator},
    extract::Json,
    http::{self, check_if_match},
};
use actix_web::{HttpRequest, HttpResponse, web};
use relais_domain::{Action, Grants, PersonName, Resource, Slug};
use relais_store::roles::Role;
use relais_types::{Problem, RoleIn, RoleOut, RolePatch};
use uuid::Uuid;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/roles")
            .route(web::get().to(list_roles))
            .route(web::post().to(create_role)),
    );
    cfg.service(
        web::resource("/roles/{id}")
            .route(web::get().to(get_role))
            .route(web::patch().to(update_role))
            .route(web::delete().to(delete_role)),
    );
}

fn not_wider(p: &crate::auth::Principal, grants: &[relais_domain::Grant]) -> ApiResult<()> {
    if Grants::new(grants.iter().copied()).is_subset_of(&p.grants) {
        Ok(())
    } else {
        Err(ApiError::field(
            "grants",
            "exceeds_own_grants",
            "a role cannot grant more than you hold",
        ))
    }
}

/// List roles (built-in first).
#[utoipa::path(get, path = "/api/v1/roles", tag = "roles", operation_id = "v1.role.list",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "All roles of the firm", body = Vec<RoleOut>),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_roles(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Roles, Action::Read)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let roles = Role::list(&*tx, p.tenant_uuid()).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(roles.into_iter().map(convert::role_out).collect::<Vec<_>>()))
}

/// Create a custom role, e.g. `direction` or `comptable`.
#[utoipa::path(post, path = "/api/v1/roles", tag = "roles", operation_id = "v1.role.create",
    security(("bearer" = [])), request_body = RoleIn,
    responses(
        (status = 201, description = "Created", body = RoleOut),
        (status = 422, description = "Invalid input or key taken", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_role(
    state: web::Data<AppState>,
    auth: Auth,
    body: Json<RoleIn>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Roles, Action::Create)?;
    let input = body.0;
    let mut v = Validator::new();
    let key = v.check("key", Slug::parse(&input.key));
    let name = v.check("name", PersonName::parse(&input.name));
    if input.description.chars().count() > 2000 {
        v.push("description", "too_long", "at most 2000 characters");
    }
    v.finish()?;
    not_wider(&p, &input.grants)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let role = Role::insert(
        &*tx,
        p.tenant_uuid(),
        key.unwrap().as_str(),
        name.unwrap().as_str(),
        &input.description,
        false,
        &input.grants,
    )
    .await?;
    tx.commit().await?;
    let etag = http::etag(role.id, role.updated_at);
    let loc = format!("/api/v1/roles/{}", role.id);
    Ok(http::created(&convert::role_out(role), &loc, &etag))
}

/// Read a role.
#[utoipa::path(get, path = "/api/v1/roles/{id}", tag = "roles", operation_id = "v1.role.get",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "Role id")),
    responses(
        (status = 200, description = "The role", body = RoleOut, headers(("ETag" = String))),
        (status = 404, description = "No such role", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_role(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Roles, Action::Read)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let role = Role::find(&*tx, p.tenant_uuid(), *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    let etag = http::etag(role.id, role.updated_at);
    Ok(http::ok_with_etag(&convert::role_out(role), &etag))
}

/// Edit a custom role's name, description or grants. Built-in roles answer 409.
#[utoipa::path(patch, path = "/api/v1/roles/{id}", tag = "roles", operation_id = "v1.role.update",
    security(("bearer" = [])), request_body = RolePatch,
    params(("id" = Uuid, Path, description = "Role id"),
           ("If-Match" = String, Header, description = "ETag from the last read")),
    responses(
        (status = 200, description = "Updated", body = RoleOut),
        (status = 404, description = "No such role", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Built-in role", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_role(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<RolePatch>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Roles, Action::Update)?;
    let input = body.0;
    let mut v = Validator::new();
    let name = input
        .name
        .as_deref()
        .and_then(|n| v.check("name", PersonName::parse(n)));
    if input
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 2000)
    {
        v.push("description", "too_long", "at most 2000 characters");
    }
    v.finish()?;
    if let Some(g) = &input.grants {
        not_wider(&p, g)?;
    }
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let role = Role::find(&*tx, tenant, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    check_if_match(&req, &http::etag(role.id, role.updated_at))?;
    if role.builtin {
        return Err(builtin());
    }
    let updated = Role::update(
        &*tx,
        tenant,
        role.id,
        name.as_ref().map(|n| n.as_str()),
        input.description.as_deref(),
        input.grants.as_deref(),
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    let etag = http::etag(updated.id, updated.updated_at);
    Ok(http::ok_with_etag(&convert::role_out(updated), &etag))
}

fn builtin() -> ApiError {
    ApiError::Conflict(
        "builtin_role",
        "built-in roles cannot be changed or deleted; create a custom role instead".into(),
    )
}

/// Delete a custom role no user or API key uses.
#[utoipa::path(delete, path = "/api/v1/roles/{id}", tag = "roles", operation_id = "v1.role.delete",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "Role id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such role", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Built-in or still in use", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_role(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Roles, Action::Delete)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let role = Role::find(&*tx, tenant, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    http::check_if_match_optional(&req, &http::etag(role.id, role.updated_at))?;
    if role.builtin {
        return Err(builtin());
    }
    match Role::delete(&*tx, tenant, role.id).await {
        Ok(_) => {}
        Err(relais_store::StoreError::ForeignKey(_)) => {
            return Err(ApiError::Conflict(
                "role_in_use",
                "users or API keys still have this role; give them another one first".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
