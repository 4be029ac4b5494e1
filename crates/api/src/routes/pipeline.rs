//! Pipeline automation (SPEC CRM-7): actions that run when an organisation enters a stage —
//! create a task for its owner, or ask for a notification of the owner or the owner's team
//! (recorded as a `notification.requested` event; delivery is the notifications module's job).
//! Managing actions needs the `settings` grants; they run for whoever moves the record.

use crate::{
    ApiResult, AppState,
    auth::{Auth, Principal},
    error::{ApiError, Validator},
    extract::Json,
    http::{self, check_if_match},
    records::actor,
};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, Utc};
use relais_domain::{Action, Resource, crm::PipelineStage};
use relais_store::{
    events,
    organisations::Organisation,
    pipeline::{self as store, StageAction, StageActionFields},
    tasks::{self, TaskFields},
};
use relais_types::{Problem, StageActionIn, StageActionKind, StageActionOut, StageActionPatch};
use serde_json::json;
use uuid::Uuid;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/pipeline/actions")
            .route(web::get().to(list_stage_actions))
            .route(web::post().to(create_stage_action)),
    );
    cfg.service(
        web::resource("/pipeline/actions/{id}")
            .route(web::get().to(get_stage_action))
            .route(web::patch().to(update_stage_action))
            .route(web::delete().to(delete_stage_action)),
    );
}

const PRIORITIES: &[&str] = &["low", "normal", "high", "urgent"];

fn kind_code(k: StageActionKind) -> &'static str {
    match k {
        StageActionKind::CreateTask => "create_task",
        StageActionKind::NotifyOwner => "notify_owner",
        StageActionKind::NotifyTeam => "notify_team",
    }
}

fn out(a: StageAction) -> StageActionOut {
    StageActionOut {
        id: a.id,
        stage: PipelineStage::from_code(&a.stage).unwrap_or(PipelineStage::Prospect),
        action: match a.action.as_str() {
            "notify_owner" => StageActionKind::NotifyOwner,
            "notify_team" => StageActionKind::NotifyTeam,
            _ => StageActionKind::CreateTask,
        },
        task_title: a.task_title,
        task_due_days: a.task_due_days,
        task_priority: a.task_priority,
        active: a.active,
        created_at: a.created_at,
        updated_at: a.updated_at,
    }
}

fn validate(f: &StageActionFields) -> ApiResult<()> {
    let mut v = Validator::new();
    if f.action == "create_task" {
        match f.task_title.as_deref().map(str::trim) {
            None | Some("") => v.push("task_title", "required", "the title of the task to create"),
            Some(t) if t.chars().count() > 200 => {
                v.push("task_title", "too_long", "at most 200 characters")
            }
            _ => {}
        }
    }
    if f.task_due_days.is_some_and(|d| !(0..=365).contains(&d)) {
        v.push("task_due_days", "out_of_range", "between 0 and 365");
    }
    if f.task_priority
        .as_deref()
        .is_some_and(|p| !PRIORITIES.contains(&p))
    {
        v.push(
            "task_priority",
            "invalid_choice",
            "low, normal, high or urgent",
        );
    }
    v.finish()
}

/// List the stage actions, by stage.
#[utoipa::path(get, path = "/api/v1/pipeline/actions", tag = "pipeline",
    operation_id = "v1.pipeline.action.list", security(("bearer" = [])),
    responses(
        (status = 200, description = "All actions", body = Vec<StageActionOut>),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_stage_actions(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Settings, Action::Read)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let rows = store::list(&*tx, p.tenant_uuid(), None).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(out).collect::<Vec<_>>()))
}

/// Add an action to a stage, e.g. "create a follow-up task in 7 days when a record reaches
/// PROPOSITION".
#[utoipa::path(post, path = "/api/v1/pipeline/actions", tag = "pipeline",
    operation_id = "v1.pipeline.action.create", security(("bearer" = [])),
    request_body = StageActionIn,
    responses(
        (status = 201, description = "Created", body = StageActionOut),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_stage_action(
    state: web::Data<AppState>,
    auth: Auth,
    body: Json<StageActionIn>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Settings, Action::Create)?;
    let i = body.0;
    let f = StageActionFields {
        stage: i.stage.code().into(),
        action: kind_code(i.action).into(),
        task_title: i.task_title.map(|t| t.trim().to_owned()),
        task_due_days: i.task_due_days,
        task_priority: i.task_priority,
        active: i.active.unwrap_or(true),
    };
    validate(&f)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let a = store::insert(&*tx, p.tenant_uuid(), &f).await?;
    tx.commit().await?;
    let etag = http::etag(a.id, a.updated_at);
    let loc = format!("/api/v1/pipeline/actions/{}", a.id);
    Ok(http::created(&out(a), &loc, &etag))
}

/// Read a stage action.
#[utoipa::path(get, path = "/api/v1/pipeline/actions/{id}", tag = "pipeline",
    operation_id = "v1.pipeline.action.get", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Action id")),
    responses(
        (status = 200, description = "The action", body = StageActionOut),
        (status = 404, description = "No such action", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_stage_action(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Settings, Action::Read)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let a = store::find(&*tx, p.tenant_uuid(), *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    let etag = http::etag(a.id, a.updated_at);
    Ok(http::ok_with_etag(&out(a), &etag))
}

/// Change a stage action (requires `If-Match`).
#[utoipa::path(patch, path = "/api/v1/pipeline/actions/{id}", tag = "pipeline",
    operation_id = "v1.pipeline.action.update", security(("bearer" = [])),
    request_body = StageActionPatch,
    params(("id" = Uuid, Path, description = "Action id"),
           ("If-Match" = String, Header, description = "ETag from the last read")),
    responses(
        (status = 200, description = "Updated", body = StageActionOut),
        (status = 404, description = "No such action", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_stage_action(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<StageActionPatch>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Settings, Action::Update)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let cur = store::find(&*tx, tenant, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    check_if_match(&req, &http::etag(cur.id, cur.updated_at))?;
    let patch = body.0;
    let f = StageActionFields {
        stage: patch.stage.map_or(cur.stage.clone(), |s| s.code().into()),
        action: patch
            .action
            .map_or(cur.action.clone(), |k| kind_code(k).into()),
        task_title: patch
            .task_title
            .map_or(cur.task_title.clone(), |t| t.map(|t| t.trim().to_owned())),
        task_due_days: patch.task_due_days.unwrap_or(cur.task_due_days),
        task_priority: patch.task_priority.unwrap_or(cur.task_priority.clone()),
        active: patch.active.unwrap_or(cur.active),
    };
    validate(&f)?;
    let a = store::update(&*tx, tenant, cur.id, &f).await?;
    tx.commit().await?;
    let etag = http::etag(a.id, a.updated_at);
    Ok(http::ok_with_etag(&out(a), &etag))
}

/// Remove a stage action.
#[utoipa::path(delete, path = "/api/v1/pipeline/actions/{id}", tag = "pipeline",
    operation_id = "v1.pipeline.action.delete", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Action id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such action", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_stage_action(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Settings, Action::Delete)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    if !store::delete(&*tx, p.tenant_uuid(), *id).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Run the active actions of the stage `org` just entered, in the caller's transaction.
pub async fn run_stage_actions(
    db: &impl relais_store::ConnectionTrait,
    p: &Principal,
    org: &Organisation,
) -> ApiResult<()> {
    let tenant = p.tenant_uuid();
    for a in store::active_for(db, tenant, &org.pipeline_stage).await? {
        match a.action.as_str() {
            "create_task" => {
                let fields = TaskFields {
                    title: a.task_title.clone().unwrap_or_default(),
                    description: Some(format!("{} — {}", org.name, org.pipeline_stage)),
                    due_at: Some(
                        Utc::now() + Duration::days(i64::from(a.task_due_days.unwrap_or(7))),
                    ),
                    priority: a.task_priority.clone().unwrap_or_else(|| "normal".into()),
                    status: "todo".into(),
                    assignee_id: org.owner_id.or(Some(p.user.id)),
                    record_type: Some("organisation".into()),
                    record_id: Some(org.id),
                };
                let task = tasks::insert(db, tenant, &fields, Some(p.user.id)).await?;
                let record = serde_json::to_value(crate::routes::tasks::out(task.clone()))
                    .map_err(ApiError::internal)?;
                let mut types = vec!["task.created"];
                if task.assignee_id != Some(p.user.id) {
                    types.push("task.assigned");
                }
                for t in types {
                    events::record(
                        db,
                        tenant,
                        t,
                        "task",
                        task.id,
                        actor(p),
                        None,
                        Some(&record),
                    )
                    .await?;
                }
            }
            kind => {
                let data = json!({
                    "kind": "pipeline.stage_changed",
                    "audience": if kind == "notify_team" { "team" } else { "owner" },
                    "organisation_id": org.id,
                    "organisation_name": org.name,
                    "stage": org.pipeline_stage,
                    "owner_id": org.owner_id,
                    "owner_team_id": org.owner_team_id,
                    "stage_action_id": a.id,
                });
                events::record(
                    db,
                    tenant,
                    "notification.requested",
                    "organisation",
                    org.id,
                    actor(p),
                    None,
                    Some(&data),
                )
                .await?;
            }
        }
    }
    Ok(())
}
