//! Teams. Members are set on the user (`team_id`).

use crate::{
    ApiResult, AppState,
    auth::Auth,
    convert,
    error::{ApiError, Validator},
    extract::Json,
    http::{self, check_if_match},
};
use actix_web::{HttpRequest, HttpResponse, web};
use relais_domain::{Action, PersonName, Resource};
use relais_store::teams::Team;
use relais_types::{Problem, TeamIn, TeamOut, TeamPatch};
use uuid::Uuid;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/teams")
            .route(web::get().to(list_teams))
            .route(web::post().to(create_team)),
    );
    cfg.service(
        web::resource("/teams/{id}")
            .route(web::get().to(get_team))
            .route(web::patch().to(update_team))
            .route(web::delete().to(delete_team)),
    );
}

fn check_description(v: &mut Validator, d: Option<&str>) {
    if d.is_some_and(|d| d.chars().count() > 2000) {
        v.push("description", "too_long", "at most 2000 characters");
    }
}

/// List teams with their member counts.
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams", operation_id = "v1.team.list",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "All teams", body = Vec<TeamOut>),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_teams(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Teams, Action::Read)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let teams = Team::list(&*tx, p.tenant_uuid()).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(teams.into_iter().map(convert::team_out).collect::<Vec<_>>()))
}

/// Create a team.
#[utoipa::path(post, path = "/api/v1/teams", tag = "teams", operation_id = "v1.team.create",
    security(("bearer" = [])), request_body = TeamIn,
    responses(
        (status = 201, description = "Created", body = TeamOut),
        (status = 422, description = "Invalid input or name taken", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_team(
    state: web::Data<AppState>,
    auth: Auth,
    body: Json<TeamIn>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Teams, Action::Create)?;
    let input = body.0;
    let mut v = Validator::new();
    let name = v.check("name", PersonName::parse(&input.name));
    check_description(&mut v, Some(&input.description));
    v.finish()?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let team = Team::insert(
        &*tx,
        p.tenant_uuid(),
        name.unwrap().as_str(),
        &input.description,
    )
    .await?;
    tx.commit().await?;
    let etag = http::etag(team.id, team.updated_at);
    let loc = format!("/api/v1/teams/{}", team.id);
    Ok(http::created(&convert::team_out(team), &loc, &etag))
}

/// Read a team.
#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "teams", operation_id = "v1.team.get",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "Team id")),
    responses(
        (status = 200, description = "The team", body = TeamOut, headers(("ETag" = String))),
        (status = 404, description = "No such team", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_team(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Teams, Action::Read)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let team = Team::find(&*tx, p.tenant_uuid(), *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    let etag = http::etag(team.id, team.updated_at);
    Ok(http::ok_with_etag(&convert::team_out(team), &etag))
}

/// Rename a team or change its description. Requires `If-Match`.
#[utoipa::path(patch, path = "/api/v1/teams/{id}", tag = "teams", operation_id = "v1.team.update",
    security(("bearer" = [])), request_body = TeamPatch,
    params(("id" = Uuid, Path, description = "Team id"),
           ("If-Match" = String, Header, description = "ETag from the last read")),
    responses(
        (status = 200, description = "Updated", body = TeamOut),
        (status = 404, description = "No such team", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_team(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<TeamPatch>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Teams, Action::Update)?;
    let input = body.0;
    let mut v = Validator::new();
    let name = input
        .name
        .as_deref()
        .and_then(|n| v.check("name", PersonName::parse(n)));
    check_description(&mut v, input.description.as_deref());
    v.finish()?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let team = Team::find(&*tx, tenant, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    check_if_match(&req, &http::etag(team.id, team.updated_at))?;
    let updated = Team::update(
        &*tx,
        tenant,
        team.id,
        name.as_ref().map(|n| n.as_str()),
        input.description.as_deref(),
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    let etag = http::etag(updated.id, updated.updated_at);
    Ok(http::ok_with_etag(&convert::team_out(updated), &etag))
}

/// Delete a team; its members stay, without a team.
#[utoipa::path(delete, path = "/api/v1/teams/{id}", tag = "teams", operation_id = "v1.team.delete",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "Team id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such team", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_team(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Teams, Action::Delete)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let team = Team::find(&*tx, tenant, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    http::check_if_match_optional(&req, &http::etag(team.id, team.updated_at))?;
    Team::delete(&*tx, tenant, team.id).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
