//! Users administration: create, list, read, edit (role, team, active), reset password.

use crate::{
    ApiResult, AppState,
    auth::Auth,
    convert,
    error::{ApiError, Validator},
    extract::Json,
    http::{self, check_if_match},
};
use actix_web::{HttpRequest, HttpResponse, web};
use relais_domain::{
    Action, EmailAddress, Password, PersonName, RecordOwner, Resource, Scope, TeamId, UserId,
};
use relais_store::{
    roles::Role,
    tokens::RefreshToken,
    users::{NewUser, User, UserChanges, UserFilter},
};
use relais_types::{AdminPasswordResetIn, Page, Problem, UserIn, UserOut, UserPatch};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/users")
            .route(web::get().to(list_users))
            .route(web::post().to(create_user)),
    );
    cfg.service(
        web::resource("/users/{id}")
            .route(web::get().to(get_user))
            .route(web::patch().to(update_user))
            .route(web::delete().to(deactivate_user)),
    );
    cfg.service(web::resource("/users/{id}/password").route(web::post().to(reset_user_password)));
}

fn location(id: Uuid) -> String {
    format!("/api/v1/users/{id}")
}

fn owner(u: &User) -> RecordOwner {
    // A user record "belongs" to the user themself; team scope reaches team-mates.
    RecordOwner {
        owner_id: Some(UserId(u.id)),
        owner_team: u.team_id.map(TeamId),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Page size, 1–200 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    pub team_id: Option<Uuid>,
    pub role_id: Option<Uuid>,
    pub active: Option<bool>,
    /// Substring of the name or email.
    pub q: Option<String>,
}

/// List users.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", operation_id = "v1.user.list",
    security(("bearer" = [])), params(UserQuery),
    responses(
        (status = 200, description = "A page of users", body = Page<UserOut>),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_users(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<UserQuery>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let scope = p.require(Resource::Users, Action::Read)?;
    let limit = http::page_limit(query.limit)?;
    let after = http::decode_cursor(query.cursor.as_deref())?;
    let mut filter = UserFilter {
        team_id: query.team_id,
        role_id: query.role_id,
        active: query.active,
        q: query.q.clone().filter(|q| !q.trim().is_empty()),
        id: None,
    };
    let tx = state.db.tenant_tx(p.tenant).await?;
    let rows = match scope {
        Scope::All => User::list(&*tx, p.tenant_uuid(), &filter, after, limit + 1).await?,
        Scope::Team if p.user.team_id.is_some() => {
            if filter.team_id.is_some_and(|t| Some(t) != p.user.team_id) {
                Vec::new()
            } else {
                filter.team_id = p.user.team_id;
                User::list(&*tx, p.tenant_uuid(), &filter, after, limit + 1).await?
            }
        }
        // Own scope (or team scope without a team): the caller alone, if the filters match.
        Scope::Team | Scope::Own => {
            filter.id = Some(p.user_id());
            User::list(&*tx, p.tenant_uuid(), &filter, after, limit + 1).await?
        }
    };
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(http::paginate(rows, limit, |u| u.id, convert::user_out)))
}

/// Create a user with a temporary password; they must change it at first sign-in.
///
/// The role given cannot grant more than the caller holds.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", operation_id = "v1.user.create",
    security(("bearer" = [])), request_body = UserIn,
    responses(
        (status = 201, description = "Created", body = UserOut),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input or email taken", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_user(
    state: web::Data<AppState>,
    auth: Auth,
    body: Json<UserIn>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Users, Action::Create)?;
    let input = body.0;
    let mut v = Validator::new();
    let email = v.check("email", EmailAddress::parse(&input.email));
    let name = v.check("full_name", PersonName::parse(&input.full_name));
    let password = v.check("password", Password::parse(&input.password));
    v.finish()?;
    let (email, name, password) = (email.unwrap(), name.unwrap(), password.unwrap());
    let hash = state.hasher.hash(password.expose()).await?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let role = Role::find(&*tx, tenant, input.role_id)
        .await?
        .ok_or_else(|| ApiError::field("role_id", "not_found", "no such role"))?;
    if !role.effective_grants().is_subset_of(&p.grants) {
        return Err(ApiError::field(
            "role_id",
            "exceeds_own_grants",
            "you cannot give a role with more rights than your own",
        ));
    }
    let user = User::insert(
        &*tx,
        tenant,
        &NewUser {
            email: email.as_str(),
            full_name: name.as_str(),
            password_hash: &hash,
            role_id: role.id,
            team_id: input.team_id,
            locale: input.locale.unwrap_or_default().code(),
            must_change_password: true,
        },
    )
    .await?;
    tx.commit().await?;
    let etag = http::etag(user.id, user.updated_at);
    Ok(http::created(
        &convert::user_out(user.clone()),
        &location(user.id),
        &etag,
    ))
}

/// Read a user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", operation_id = "v1.user.get",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = UserOut, headers(("ETag" = String))),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_user(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Users, Action::Read)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let user = User::find(&*tx, p.tenant_uuid(), *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    if p.require_record(Resource::Users, Action::Read, &owner(&user))
        .is_err()
    {
        return Err(ApiError::NotFound);
    }
    let etag = http::etag(user.id, user.updated_at);
    Ok(http::ok_with_etag(&convert::user_out(user), &etag))
}

/// Edit a user: email, name, role, team, language, active flag. Requires `If-Match`.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", operation_id = "v1.user.update",
    security(("bearer" = [])), request_body = UserPatch,
    params(("id" = Uuid, Path, description = "User id"),
           ("If-Match" = String, Header, description = "ETag from the last read")),
    responses(
        (status = 200, description = "Updated", body = UserOut, headers(("ETag" = String))),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Would leave the tenant without an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_user(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<UserPatch>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Users, Action::Update)?;
    let input = body.0;
    let mut v = Validator::new();
    let email = input
        .email
        .as_deref()
        .and_then(|e| v.check("email", EmailAddress::parse(e)));
    let name = input
        .full_name
        .as_deref()
        .and_then(|n| v.check("full_name", PersonName::parse(n)));
    v.finish()?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let user = User::find(&*tx, tenant, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    p.require_record(Resource::Users, Action::Update, &owner(&user))
        .map_err(|_| ApiError::NotFound)?;
    check_if_match(&req, &http::etag(user.id, user.updated_at))?;
    ensure_not_more_privileged(&tx, &p, &user).await?;
    if let Some(role_id) = input.role_id {
        let role = Role::find(&*tx, tenant, role_id)
            .await?
            .ok_or_else(|| ApiError::field("role_id", "not_found", "no such role"))?;
        if !role.effective_grants().is_subset_of(&p.grants) {
            return Err(ApiError::field(
                "role_id",
                "exceeds_own_grants",
                "you cannot give a role with more rights than your own",
            ));
        }
    }
    if input.active == Some(false) && user.id == p.user_id() {
        return Err(ApiError::Conflict(
            "cannot_deactivate_self",
            "you cannot deactivate your own account".into(),
        ));
    }
    let changes = UserChanges {
        email: email.map(String::from),
        full_name: name.map(String::from),
        role_id: input.role_id,
        team_id: input.team_id,
        locale: input.locale.map(|l| l.code().to_owned()),
        theme: None,
        active: input.active,
    };
    let updated = User::update(&*tx, tenant, user.id, &changes)
        .await?
        .ok_or(ApiError::NotFound)?;
    ensure_an_admin_remains(&tx, tenant).await?;
    if !updated.active && user.active {
        RefreshToken::revoke_user(&*tx, tenant, user.id).await?;
    }
    tx.commit().await?;
    let etag = http::etag(updated.id, updated.updated_at);
    Ok(http::ok_with_etag(&convert::user_out(updated), &etag))
}

async fn ensure_an_admin_remains(tx: &relais_store::TenantTx, tenant: Uuid) -> ApiResult<()> {
    User::lock_admins(&**tx, tenant).await?;
    if User::count_active_admins(&**tx, tenant).await? == 0 {
        return Err(ApiError::Conflict(
            "last_admin",
            "the firm must keep at least one active administrator".into(),
        ));
    }
    Ok(())
}

/// One may only manage an account whose role grants nothing beyond one's own grants: otherwise
/// whoever may edit users could reset an administrator's password or email and sign in as them.
async fn ensure_not_more_privileged(
    tx: &relais_store::TenantTx,
    p: &crate::auth::Principal,
    user: &User,
) -> ApiResult<()> {
    let role = Role::find(&**tx, p.tenant_uuid(), user.role_id)
        .await?
        .ok_or_else(|| ApiError::internal("user without a role"))?;
    if role.effective_grants().is_subset_of(&p.grants) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "forbidden",
            "this account holds rights that you do not have; only someone holding them can \
             change it"
                .into(),
        ))
    }
}

/// Deactivate a user (users are never erased: they own records and history). Their sessions
/// end at once.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", operation_id = "v1.user.delete",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 204, description = "Deactivated"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Own account or last administrator", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn deactivate_user(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Users, Action::Delete)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let user = User::find(&*tx, tenant, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    p.require_record(Resource::Users, Action::Delete, &owner(&user))
        .map_err(|_| ApiError::NotFound)?;
    http::check_if_match_optional(&req, &http::etag(user.id, user.updated_at))?;
    ensure_not_more_privileged(&tx, &p, &user).await?;
    if user.id == p.user_id() {
        return Err(ApiError::Conflict(
            "cannot_deactivate_self",
            "you cannot deactivate your own account".into(),
        ));
    }
    let changes = UserChanges {
        active: Some(false),
        ..Default::default()
    };
    User::update(&*tx, tenant, user.id, &changes).await?;
    ensure_an_admin_remains(&tx, tenant).await?;
    RefreshToken::revoke_user(&*tx, tenant, user.id).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Set a temporary password for a user (they must change it at next sign-in). Clears a
/// lockout and ends their sessions.
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users",
    operation_id = "v1.user.reset_password", security(("bearer" = [])),
    request_body = AdminPasswordResetIn, params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 204, description = "Password set"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Password refused by the policy", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn reset_user_password(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: Json<AdminPasswordResetIn>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Users, Action::Update)?;
    let password = Password::parse(&body.0.new_password)
        .map_err(|e| ApiError::field("new_password", e.code, e.message))?;
    let tenant = p.tenant_uuid();
    let hash = state.hasher.hash(password.expose()).await?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let user = User::find(&*tx, tenant, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    p.require_record(Resource::Users, Action::Update, &owner(&user))
        .map_err(|_| ApiError::NotFound)?;
    ensure_not_more_privileged(&tx, &p, &user).await?;
    User::set_password(&*tx, tenant, user.id, &hash, true).await?;
    RefreshToken::revoke_user(&*tx, tenant, user.id).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
