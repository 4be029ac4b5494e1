//! Tasks (SPEC CRM-5): to-dos with a due date, a priority, a status and an assignee, optionally
//! about an organisation, a person or a mandate. CRUD with ETags, filtered lists (mine,
//! overdue…), bulk actions, duplication, the trash (restore, purge), history and the
//! organisation's tasks tab. The assignee owns a task for permission scopes. Completing a task stamps `completed_at` and emits `task.completed`;
//! giving it to someone else emits `task.assigned` (notifications consume both).

use crate::{
    ApiResult, AppState,
    auth::{Auth, Principal},
    error::{ApiError, Validator},
    extract::{Json, JsonBytes},
    http::{self, check_if_match},
    idempotency,
    records::{SortCursor, actor, visibility},
    routes::interactions::{
        HistoryQuery, check_link, check_owner, codes, load_organisation, user_param,
    },
};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use relais_domain::{
    Action, RecordOwner, Resource, TeamId, UserId, crm,
    tasks::{
        Completion, DESCRIPTION_MAX_CHARS, TITLE_MAX_CHARS, TaskPriority, TaskRecordType,
        TaskStatus, completion, notifies_assignee, parse_title,
    },
};
use relais_store::{
    TenantTx, events,
    tasks::{self as store, Task, TaskFields, TaskFilter},
};
use relais_types::{
    BulkResult, EventOut, Page, Problem, TaskBulkAction, TaskIn, TaskOut, TaskPatch,
};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use uuid::Uuid;

const RES: Resource = Resource::Tasks;
const RECORD: &str = "task";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/tasks")
            .route(web::get().to(list_tasks))
            .route(web::post().to(create_task)),
    );
    cfg.service(web::resource("/tasks/bulk").route(web::post().to(bulk_tasks)));
    cfg.service(
        web::resource("/tasks/{id}")
            .route(web::get().to(get_task))
            .route(web::patch().to(update_task))
            .route(web::delete().to(delete_task)),
    );
    cfg.service(web::resource("/tasks/{id}/duplicate").route(web::post().to(duplicate_task)));
    cfg.service(web::resource("/tasks/{id}/restore").route(web::post().to(restore_task)));
    cfg.service(web::resource("/tasks/{id}/purge").route(web::post().to(purge_task)));
    cfg.service(web::resource("/tasks/{id}/history").route(web::get().to(task_history)));
    cfg.service(
        web::resource("/organisations/{id}/tasks").route(web::get().to(organisation_tasks)),
    );
}

pub fn out(t: Task) -> TaskOut {
    TaskOut {
        id: t.id,
        title: t.title,
        description: t.description,
        due_at: t.due_at,
        priority: TaskPriority::from_code(&t.priority).unwrap_or(TaskPriority::Normal),
        status: TaskStatus::from_code(&t.status).unwrap_or(TaskStatus::Todo),
        assignee_id: t.assignee_id,
        created_by: t.created_by,
        completed_at: t.completed_at,
        overdue: t.overdue,
        record_type: t.record_type.as_deref().and_then(TaskRecordType::from_code),
        record_id: t.record_id,
        created_at: t.created_at,
        updated_at: t.updated_at,
        deleted_at: t.deleted_at,
    }
}

fn record_json(t: &Task) -> serde_json::Value {
    serde_json::to_value(out(t.clone())).unwrap_or_default()
}

fn owner_of(t: &Task) -> RecordOwner {
    RecordOwner {
        owner_id: t.assignee_id.map(UserId),
        owner_team: t.assignee_team_id.map(TeamId),
    }
}

fn status_of(code: &str) -> TaskStatus {
    TaskStatus::from_code(code).unwrap_or(TaskStatus::Todo)
}

/// Load a live task the caller may `action`; anything else is 404 (no existence leak).
async fn load(tx: &TenantTx, p: &Principal, id: Uuid, action: Action) -> ApiResult<Task> {
    let t = store::find(&**tx, p.tenant_uuid(), id)
        .await?
        .filter(|t| t.deleted_at.is_none())
        .ok_or(ApiError::NotFound)?;
    if !p
        .grants
        .authorize(&p.subject(), RES, Action::Read, Some(&owner_of(&t)))
    {
        return Err(ApiError::NotFound);
    }
    p.require_record(RES, action, &owner_of(&t))?;
    Ok(t)
}

/// `record_type` and `record_id` come together.
fn record_pair(
    v: &mut Validator,
    record_type: Option<TaskRecordType>,
    record_id: Option<Uuid>,
) -> Option<(TaskRecordType, Uuid)> {
    match (record_type, record_id) {
        (Some(t), Some(id)) => Some((t, id)),
        (None, None) => None,
        (Some(_), None) => {
            v.push("record_id", "required", "record_type needs a record_id");
            None
        }
        (None, Some(_)) => {
            v.push("record_type", "required", "record_id needs a record_type");
            None
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    /// Page size, 1–200 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page (only valid with the same `sort`).
    pub cursor: Option<String>,
    /// Comma-separated fields, `-` for descending: due_at (tasks without a due date last),
    /// priority, created_at, updated_at. Default `due_at`.
    pub sort: Option<String>,
    /// Comma-separated statuses (todo, in_progress, done, cancelled).
    pub status: Option<String>,
    /// Comma-separated priorities (low, normal, high, urgent).
    pub priority: Option<String>,
    /// A user id, or `me`.
    pub assignee_id: Option<String>,
    /// `true`: only tasks assigned to me; `false`: only tasks assigned to others or nobody.
    pub mine: Option<bool>,
    /// `true`: open tasks past their due date; `false`: the others.
    pub overdue: Option<bool>,
    /// organisation, person or mandate.
    pub record_type: Option<String>,
    pub record_id: Option<Uuid>,
    /// Due at or after this instant.
    pub due_from: Option<DateTime<Utc>>,
    /// Due before this instant.
    pub due_to: Option<DateTime<Utc>>,
    /// Part of the title (case-insensitive).
    pub q: Option<String>,
    /// `true` lists the trash (needs the manage permission).
    pub deleted: Option<bool>,
    /// `true` adds `total` to the answer.
    pub count: Option<bool>,
}

/// A page of tasks with `total` when `count=true`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TaskPage {
    pub items: Vec<TaskOut>,
    pub next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

/// The validated list filters of a query, within one organisation's tasks when `org` is
/// given (also what an export of the list uses).
pub(crate) fn list_filter(
    p: &Principal,
    q: &TaskQuery,
    deleted: bool,
    org: Option<Uuid>,
) -> ApiResult<TaskFilter> {
    let mut v = Validator::new();
    let record_type = match q.record_type.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => match TaskRecordType::from_code(s) {
            Some(t) => Some(t.code().to_owned()),
            None => {
                v.push(
                    "record_type",
                    "invalid_choice",
                    format!("unknown value {s:?}"),
                );
                None
            }
        },
    };
    let mut filter = TaskFilter {
        statuses: codes(&mut v, "status", q.status.as_deref(), TaskStatus::from_code),
        priorities: codes(
            &mut v,
            "priority",
            q.priority.as_deref(),
            TaskPriority::from_code,
        ),
        assignee_id: user_param(&mut v, p, "assignee_id", q.assignee_id.as_deref()),
        not_assignee_id: None,
        overdue: q.overdue,
        record_type,
        record_id: q.record_id,
        due_from: q.due_from,
        due_to: q.due_to,
        q: q.q.clone().filter(|s| !s.trim().is_empty()),
        deleted,
    };
    match q.mine {
        Some(true) => {
            if filter.assignee_id.is_some_and(|a| a != p.user.id) {
                v.push("mine", "conflict", "mine=true contradicts assignee_id");
            }
            filter.assignee_id = Some(p.user.id);
        }
        Some(false) => filter.not_assignee_id = Some(p.user.id),
        None => {}
    }
    if let Some(org) = org {
        filter.record_type = Some(TaskRecordType::Organisation.code().into());
        filter.record_id = Some(org);
    }
    v.finish()?;
    Ok(filter)
}

/// The list behind `/tasks` and an organisation's tasks tab (`org`).
async fn list_in(
    state: &AppState,
    p: &Principal,
    q: TaskQuery,
    org: Option<Uuid>,
) -> ApiResult<HttpResponse> {
    let deleted = q.deleted.unwrap_or(false);
    let scope = p.require(
        RES,
        if deleted {
            Action::Manage
        } else {
            Action::Read
        },
    )?;
    let limit = http::page_limit(q.limit)?;
    let sort_text = q.sort.clone().unwrap_or_else(|| "due_at".into());
    let sort = store::parse_sort(&sort_text)
        .map_err(|f| ApiError::field("sort", "invalid_sort", format!("cannot sort by {f:?}")))?;
    let filter = list_filter(p, &q, deleted, org)?;
    let after = SortCursor::decode(q.cursor.as_deref(), &sort_text, sort.len())?;
    let vis = visibility(p, scope);
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    if let Some(org) = org {
        load_organisation(&tx, p, org).await?;
    }
    let mut rows = store::list(
        &*tx,
        tenant,
        vis,
        &filter,
        &sort,
        after.as_ref().map(|c| (c.k.as_slice(), c.id)),
        limit + 1,
    )
    .await?;
    let total = if q.count == Some(true) {
        Some(store::count(&*tx, tenant, vis, &filter).await?)
    } else {
        None
    };
    tx.commit().await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|(t, k)| {
            SortCursor {
                s: sort_text.clone(),
                k: k.clone(),
                id: t.id,
            }
            .encode()
        })
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(TaskPage {
        items: rows.into_iter().map(|(t, _)| out(t)).collect(),
        next_cursor,
        total,
    }))
}

/// List the tasks the caller may read (assigned to them, to their team, or all, by role),
/// filtered and sorted; by default the soonest due first, tasks without a due date last.
/// `deleted=true` lists the trash instead.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks",
    operation_id = "v1.task.list", security(("bearer" = [])), params(TaskQuery),
    responses(
        (status = 200, description = "A page", body = TaskPage),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter, sort or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_tasks(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<TaskQuery>,
) -> ApiResult<HttpResponse> {
    list_in(&state, &auth.0, query.into_inner(), None).await
}

/// An organisation's tasks tab: the tasks about one organisation the caller may read (404
/// otherwise), with the same filters and sorts as `/tasks`.
#[utoipa::path(get, path = "/api/v1/organisations/{id}/tasks", tag = "tasks",
    operation_id = "v1.organisation.tasks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id"), TaskQuery),
    responses(
        (status = 200, description = "A page", body = TaskPage),
        (status = 403, description = "Not allowed to read tasks", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter, sort or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn organisation_tasks(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    query: web::Query<TaskQuery>,
) -> ApiResult<HttpResponse> {
    list_in(&state, &auth.0, query.into_inner(), Some(*id)).await
}

/// Write the task and its events: `task.updated`, plus `task.completed` when it became done
/// and `task.assigned` when someone else than the actor received it.
async fn update_in(
    tx: &TenantTx,
    p: &Principal,
    current: &Task,
    fields: &TaskFields,
) -> ApiResult<Task> {
    let tenant = p.tenant_uuid();
    let updated = store::update(&**tx, tenant, current.id, fields).await?;
    let (before, after) = (record_json(current), record_json(&updated));
    let mut types = vec!["task.updated"];
    if completion(Some(status_of(&current.status)), status_of(&updated.status))
        == Completion::Complete
    {
        types.push("task.completed");
    }
    if notifies_assignee(
        current.assignee_id.map(UserId),
        updated.assignee_id.map(UserId),
        UserId(p.user.id),
    ) {
        types.push("task.assigned");
    }
    for t in types {
        events::record(
            &**tx,
            tenant,
            t,
            RECORD,
            updated.id,
            actor(p),
            Some(&before),
            Some(&after),
        )
        .await?;
    }
    Ok(updated)
}

async fn delete_in(tx: &TenantTx, p: &Principal, current: &Task) -> ApiResult<()> {
    let tenant = p.tenant_uuid();
    store::soft_delete(&**tx, tenant, current.id, Some(p.user.id)).await?;
    events::record(
        &**tx,
        tenant,
        "task.deleted",
        RECORD,
        current.id,
        actor(p),
        Some(&record_json(current)),
        None,
    )
    .await?;
    Ok(())
}

/// Create a task. It is assigned to you unless `assignee_id` names someone within your scope;
/// `record_type` + `record_id` link it to a live organisation, person or mandate you may
/// read. Send `Idempotency-Key` to make retries safe.
#[utoipa::path(post, path = "/api/v1/tasks", tag = "tasks",
    operation_id = "v1.task.create", security(("bearer" = [])),
    request_body = TaskIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses(
        (status = 201, description = "Created", body = TaskOut, headers(("ETag" = String), ("Location" = String))),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Same Idempotency-Key still in flight", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input, or a linked record that does not exist", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_task(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    body: JsonBytes<TaskIn>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Create)?;
    let input = body.value;
    idempotency::run(&state, &p, &req, &body.raw, || async {
        let mut v = Validator::new();
        let title = v.check("title", parse_title(&input.title));
        let description = v
            .check(
                "description",
                crm::optional_text(input.description.as_deref(), DESCRIPTION_MAX_CHARS),
            )
            .flatten();
        let record = record_pair(&mut v, input.record_type, input.record_id);
        let assignee = input.assignee_id.unwrap_or(p.user.id);
        let tx = state.db.tenant_tx(p.tenant).await?;
        check_owner(
            &tx,
            &p,
            &mut v,
            RES,
            "assignee_id",
            Some(assignee),
            Action::Create,
        )
        .await?;
        if let Some((rt, rid)) = record {
            check_link(&tx, &p, &mut v, "record_id", rt, rid).await?;
        }
        v.finish()?;
        let status = input.status.unwrap_or(TaskStatus::Todo);
        let fields = TaskFields {
            title: title.unwrap_or_default(),
            description,
            due_at: input.due_at,
            priority: input.priority.unwrap_or(TaskPriority::Normal).code().into(),
            status: status.code().into(),
            assignee_id: Some(assignee),
            record_type: record.map(|(t, _)| t.code().into()),
            record_id: record.map(|(_, id)| id),
        };
        let tenant = p.tenant_uuid();
        let task = store::insert(&*tx, tenant, &fields, Some(p.user.id)).await?;
        let after = record_json(&task);
        let mut types = vec!["task.created"];
        if completion(None, status) == Completion::Complete {
            types.push("task.completed");
        }
        if notifies_assignee(None, Some(UserId(assignee)), UserId(p.user.id)) {
            types.push("task.assigned");
        }
        for t in types {
            events::record(
                &*tx,
                tenant,
                t,
                RECORD,
                task.id,
                actor(&p),
                None,
                Some(&after),
            )
            .await?;
        }
        tx.commit().await?;
        let etag = http::etag(task.id, task.updated_at);
        let loc = format!("/api/v1/tasks/{}", task.id);
        Ok(http::created(&out(task), &loc, &etag))
    })
    .await
}

/// Read a task.
#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "tasks",
    operation_id = "v1.task.get", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Task id")),
    responses(
        (status = 200, description = "The task", body = TaskOut, headers(("ETag" = String))),
        (status = 404, description = "No such task (or not visible to you)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_task(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Read)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let t = load(&tx, &p, *id, Action::Read).await?;
    tx.commit().await?;
    let etag = http::etag(t.id, t.updated_at);
    Ok(http::ok_with_etag(&out(t), &etag))
}

/// Apply a patch onto the current task, validating what changes.
async fn merge(
    tx: &TenantTx,
    p: &Principal,
    current: &Task,
    patch: &TaskPatch,
) -> ApiResult<TaskFields> {
    let mut f = TaskFields::from(current);
    let mut v = Validator::new();
    if let Some(t) = &patch.title
        && let Some(t) = v.check("title", parse_title(t))
    {
        f.title = t;
    }
    if let Some(d) = &patch.description {
        f.description = v
            .check(
                "description",
                crm::optional_text(d.as_deref(), DESCRIPTION_MAX_CHARS),
            )
            .flatten();
    }
    if let Some(d) = patch.due_at {
        f.due_at = d;
    }
    if let Some(pr) = patch.priority {
        f.priority = pr.code().into();
    }
    if let Some(s) = patch.status {
        f.status = s.code().into();
    }
    if let Some(a) = patch.assignee_id {
        f.assignee_id = a;
    }
    let rt = match patch.record_type {
        Some(t) => t,
        None => current
            .record_type
            .as_deref()
            .and_then(TaskRecordType::from_code),
    };
    let rid = patch.record_id.unwrap_or(current.record_id);
    let record = record_pair(&mut v, rt, rid);
    f.record_type = record.map(|(t, _)| t.code().into());
    f.record_id = record.map(|(_, id)| id);
    if f.assignee_id != current.assignee_id {
        check_owner(
            tx,
            p,
            &mut v,
            RES,
            "assignee_id",
            f.assignee_id,
            Action::Update,
        )
        .await?;
    }
    if (f.record_type != current.record_type || f.record_id != current.record_id)
        && let Some((t, id)) = record
    {
        check_link(tx, p, &mut v, "record_id", t, id).await?;
    }
    v.finish()?;
    Ok(f)
}

/// Change a task. Requires `If-Match`. Setting `status` to `done` stamps `completed_at`
/// (leaving `done` clears it); a new assignee must be within your scope.
#[utoipa::path(patch, path = "/api/v1/tasks/{id}", tag = "tasks",
    operation_id = "v1.task.update", security(("bearer" = [])),
    request_body = TaskPatch,
    params(("id" = Uuid, Path, description = "Task id"),
           ("If-Match" = String, Header, description = "ETag from the last read")),
    responses(
        (status = 200, description = "Updated", body = TaskOut, headers(("ETag" = String))),
        (status = 404, description = "No such task", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_task(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<TaskPatch>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Update)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let current = load(&tx, &p, *id, Action::Update).await?;
    check_if_match(&req, &http::etag(current.id, current.updated_at))?;
    let fields = merge(&tx, &p, &current, &body.0).await?;
    let updated = update_in(&tx, &p, &current, &fields).await?;
    tx.commit().await?;
    let etag = http::etag(updated.id, updated.updated_at);
    Ok(http::ok_with_etag(&out(updated), &etag))
}

/// Move a task to the trash (an administrator can restore it for 30 days).
#[utoipa::path(delete, path = "/api/v1/tasks/{id}", tag = "tasks",
    operation_id = "v1.task.delete", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Task id"),
           ("If-Match" = Option<String>, Header, description = "Optional ETag from the last read")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such task", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_task(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Delete)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let current = load(&tx, &p, *id, Action::Delete).await?;
    http::check_if_match_optional(&req, &http::etag(current.id, current.updated_at))?;
    delete_in(&tx, &p, &current).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Apply one action to many tasks: all succeed or nothing changes. `assign_owner` gives them
/// to `assignee_id`, `complete` marks them done, `delete` moves them to the trash. Every task
/// is checked against your permissions; one refusal or unknown id rejects the batch.
/// `affected` counts the tasks that actually changed.
#[utoipa::path(post, path = "/api/v1/tasks/bulk", tag = "tasks",
    operation_id = "v1.task.bulk", security(("bearer" = [])), request_body = TaskBulkAction,
    responses(
        (status = 200, description = "Done", body = BulkResult),
        (status = 403, description = "A task is outside your permissions", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid action, assignee or unknown ids", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn bulk_tasks(
    state: web::Data<AppState>,
    auth: Auth,
    body: Json<TaskBulkAction>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let action = body.0;
    let (ids, perm) = match &action {
        TaskBulkAction::Delete { ids } => (ids.clone(), Action::Delete),
        TaskBulkAction::AssignOwner { ids, .. } | TaskBulkAction::Complete { ids } => {
            (ids.clone(), Action::Update)
        }
    };
    p.require(RES, perm)?;
    let ids = crate::records::bulk_ids(ids)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let rows = store::find_many_for_update(&*tx, tenant, &ids).await?;
    let visible: Vec<&Task> = rows
        .iter()
        .filter(|t| {
            p.grants
                .authorize(&p.subject(), RES, Action::Read, Some(&owner_of(t)))
        })
        .collect();
    if visible.len() != ids.len() {
        return Err(crate::records::unknown_ids(
            &ids,
            visible.iter().map(|t| t.id),
        ));
    }
    for t in &visible {
        p.require_record(RES, perm, &owner_of(t))?;
    }
    if let TaskBulkAction::AssignOwner { assignee_id, .. } = &action {
        let mut v = Validator::new();
        check_owner(
            &tx,
            &p,
            &mut v,
            RES,
            "assignee_id",
            Some(*assignee_id),
            Action::Update,
        )
        .await?;
        v.finish()?;
    }
    let mut affected = 0u64;
    for t in visible {
        let mut f = TaskFields::from(t);
        match &action {
            TaskBulkAction::Delete { .. } => {
                delete_in(&tx, &p, t).await?;
                affected += 1;
                continue;
            }
            TaskBulkAction::Complete { .. } => f.status = TaskStatus::Done.code().into(),
            TaskBulkAction::AssignOwner { assignee_id, .. } => f.assignee_id = Some(*assignee_id),
        }
        if f != TaskFields::from(t) {
            update_in(&tx, &p, t, &f).await?;
            affected += 1;
        }
    }
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(BulkResult { affected }))
}

/// Copy a task: title suffixed " (copie)", same description, due date, priority and linked
/// record (which must still be live and readable, 422 `not_found` otherwise), status `todo`,
/// assigned to the caller.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/duplicate", tag = "tasks",
    operation_id = "v1.task.duplicate", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Task id")),
    responses(
        (status = 201, description = "The copy", body = TaskOut, headers(("ETag" = String), ("Location" = String))),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such task", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The linked record is gone", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn duplicate_task(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Create)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let src = load(&tx, &p, *id, Action::Read).await?;
    let mut fields = TaskFields::from(&src);
    let suffix = " (copie)";
    fields.title = format!(
        "{}{suffix}",
        src.title
            .chars()
            .take(TITLE_MAX_CHARS - suffix.chars().count())
            .collect::<String>()
    );
    fields.status = TaskStatus::Todo.code().into();
    fields.assignee_id = Some(p.user.id);
    let mut v = Validator::new();
    if let (Some(rt), Some(rid)) = (
        src.record_type
            .as_deref()
            .and_then(TaskRecordType::from_code),
        src.record_id,
    ) {
        check_link(&tx, &p, &mut v, "record_id", rt, rid).await?;
    }
    v.finish()?;
    let copy = store::insert(&*tx, tenant, &fields, Some(p.user.id)).await?;
    events::record(
        &*tx,
        tenant,
        "task.created",
        RECORD,
        copy.id,
        actor(&p),
        None,
        Some(&record_json(&copy)),
    )
    .await?;
    tx.commit().await?;
    let etag = http::etag(copy.id, copy.updated_at);
    let loc = format!("/api/v1/tasks/{}", copy.id);
    Ok(http::created(&out(copy), &loc, &etag))
}

/// Take a task out of the trash (within 30 days of its deletion).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/restore", tag = "tasks",
    operation_id = "v1.task.restore", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Task id")),
    responses(
        (status = 200, description = "Restored", body = TaskOut, headers(("ETag" = String))),
        (status = 403, description = "Not allowed (needs manage)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not in the trash, or deleted more than 30 days ago", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn restore_task(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Manage)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let before = store::find(&*tx, tenant, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    p.require_record(RES, Action::Manage, &owner_of(&before))
        .map_err(|_| ApiError::NotFound)?;
    if !store::restore(&*tx, tenant, *id).await? {
        return Err(ApiError::NotFound);
    }
    let after = store::find(&*tx, tenant, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    events::record(
        &*tx,
        tenant,
        "task.restored",
        RECORD,
        after.id,
        actor(&p),
        None,
        Some(&record_json(&after)),
    )
    .await?;
    tx.commit().await?;
    let etag = http::etag(after.id, after.updated_at);
    Ok(http::ok_with_etag(&out(after), &etag))
}

/// Erase a task for good (live or in the trash). Its history stays.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/purge", tag = "tasks",
    operation_id = "v1.task.purge", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Task id")),
    responses(
        (status = 204, description = "Erased"),
        (status = 403, description = "Not allowed (needs manage)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such task", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn purge_task(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Manage)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let current = store::find(&*tx, tenant, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    p.require_record(RES, Action::Manage, &owner_of(&current))
        .map_err(|_| ApiError::NotFound)?;
    store::purge(&*tx, tenant, current.id).await?;
    events::record(
        &*tx,
        tenant,
        "task.purged",
        RECORD,
        current.id,
        actor(&p),
        Some(&record_json(&current)),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The task's history, newest first: every change with who, when, and before/after values.
#[utoipa::path(get, path = "/api/v1/tasks/{id}/history", tag = "tasks",
    operation_id = "v1.task.history", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Task id"), HistoryQuery),
    responses(
        (status = 200, description = "Events", body = Page<EventOut>),
        (status = 404, description = "No such task", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn task_history(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    query: web::Query<HistoryQuery>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Read)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    load(&tx, &p, *id, Action::Read).await?;
    crate::records::history_page(tx, &p, RECORD, *id, query.limit, query.cursor.as_deref()).await
}
