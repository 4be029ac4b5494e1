//! Interactions (SPEC CRM-4): calls, meetings, emails and notes linked to an organisation
//! and/or a person. CRUD with ETags, filtered lists, history, the organisation's interactions
//! tab and its timeline (interactions merged with the change history), bulk actions,
//! duplication, and the trash (restore, purge). Every write keeps `last_contact_at` of the
//! linked organisation and person in step, in the same transaction. The author owns an
//! interaction for permission scopes.

use crate::{
    ApiResult, AppState,
    auth::{Auth, Principal},
    error::{ApiError, Validator},
    extract::{Json, JsonBytes},
    http::{self, check_if_match},
    idempotency,
    records::{SortCursor, actor, bulk_ids, event_out, unknown_ids, visibility},
};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use relais_domain::{
    Action, RecordOwner, Resource, TeamId, UserId,
    interactions::{InteractionKind, parse_summary},
    tasks::TaskRecordType,
};
use relais_store::{
    TenantTx, events,
    interactions::{self as store, Interaction, InteractionFields, InteractionFilter, TimelinePos},
    organisations::{self, Organisation},
    tasks::{Linked, linked_record},
    users::User,
};
use relais_types::{
    BulkResult, EventOut, InteractionBulkAction, InteractionIn, InteractionOut, InteractionPatch,
    Page, Problem, TimelineEntryOut,
};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use utoipa::IntoParams;
use uuid::Uuid;

const RES: Resource = Resource::Interactions;
const RECORD: &str = "interaction";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/interactions")
            .route(web::get().to(list_interactions))
            .route(web::post().to(create_interaction)),
    );
    cfg.service(web::resource("/interactions/bulk").route(web::post().to(bulk_interactions)));
    cfg.service(
        web::resource("/interactions/{id}")
            .route(web::get().to(get_interaction))
            .route(web::patch().to(update_interaction))
            .route(web::delete().to(delete_interaction)),
    );
    cfg.service(
        web::resource("/interactions/{id}/duplicate").route(web::post().to(duplicate_interaction)),
    );
    cfg.service(
        web::resource("/interactions/{id}/restore").route(web::post().to(restore_interaction)),
    );
    cfg.service(web::resource("/interactions/{id}/purge").route(web::post().to(purge_interaction)));
    cfg.service(
        web::resource("/interactions/{id}/history").route(web::get().to(interaction_history)),
    );
    cfg.service(
        web::resource("/organisations/{id}/interactions")
            .route(web::get().to(organisation_interactions)),
    );
    cfg.service(
        web::resource("/organisations/{id}/timeline").route(web::get().to(organisation_timeline)),
    );
}

pub fn out(i: Interaction) -> InteractionOut {
    InteractionOut {
        id: i.id,
        kind: InteractionKind::from_code(&i.kind).unwrap_or(InteractionKind::Note),
        occurred_at: i.occurred_at,
        author_id: i.author_id,
        summary: i.summary,
        organisation_id: i.organisation_id,
        person_id: i.person_id,
        created_at: i.created_at,
        updated_at: i.updated_at,
        deleted_at: i.deleted_at,
    }
}

fn record_json(i: &Interaction) -> serde_json::Value {
    serde_json::to_value(out(i.clone())).unwrap_or_default()
}

fn owner_of(i: &Interaction) -> RecordOwner {
    RecordOwner {
        owner_id: Some(UserId(i.author_id)),
        owner_team: i.author_team_id.map(TeamId),
    }
}

/// Load a live interaction the caller may `action`; anything else is 404 (no existence leak).
async fn load(tx: &TenantTx, p: &Principal, id: Uuid, action: Action) -> ApiResult<Interaction> {
    let i = store::find(&**tx, p.tenant_uuid(), id)
        .await?
        .filter(|i| i.deleted_at.is_none())
        .ok_or(ApiError::NotFound)?;
    if !p
        .grants
        .authorize(&p.subject(), RES, Action::Read, Some(&owner_of(&i)))
    {
        return Err(ApiError::NotFound);
    }
    p.require_record(RES, action, &owner_of(&i))?;
    Ok(i)
}

/// A live organisation the caller may read, or 404: the tabs and the timeline hang off it.
pub(crate) async fn load_organisation(
    tx: &TenantTx,
    p: &Principal,
    id: Uuid,
) -> ApiResult<Organisation> {
    let o = organisations::find(&**tx, p.tenant_uuid(), id)
        .await?
        .filter(|o| o.deleted_at.is_none())
        .ok_or(ApiError::NotFound)?;
    let owner = RecordOwner {
        owner_id: o.owner_id.map(UserId),
        owner_team: o.owner_team_id.map(TeamId),
    };
    if !p.grants.authorize(
        &p.subject(),
        Resource::Organisations,
        Action::Read,
        Some(&owner),
    ) {
        return Err(ApiError::NotFound);
    }
    Ok(o)
}

/// The owner given to a record (`field`: author, assignee) must be an active user of the
/// tenant and fall within the caller's scope for `action` on `res`. Problems go to `v`.
pub(crate) async fn check_owner(
    tx: &TenantTx,
    p: &Principal,
    v: &mut Validator,
    res: Resource,
    field: &str,
    owner: Option<Uuid>,
    action: Action,
) -> ApiResult<()> {
    let team = match owner {
        None => None,
        Some(o) => match User::find(&**tx, p.tenant_uuid(), o)
            .await?
            .filter(|u| u.active)
        {
            Some(u) => u.team_id,
            None => {
                v.push(field, "not_found", "no such active user");
                return Ok(());
            }
        },
    };
    let rec = RecordOwner {
        owner_id: owner.map(UserId),
        owner_team: team.map(TeamId),
    };
    if !p.grants.authorize(&p.subject(), res, action, Some(&rec)) {
        v.push(
            field,
            "out_of_scope",
            "you cannot give a record to someone outside your scope",
        );
    }
    Ok(())
}

/// A linked record must be a live record of the tenant that the caller may read; otherwise
/// `field` gets `not_found` (the same answer whether it is absent, in another tenant or out of
/// scope). Mandates are checked once their table exists.
pub(crate) async fn check_link(
    tx: &TenantTx,
    p: &Principal,
    v: &mut Validator,
    field: &str,
    record_type: TaskRecordType,
    id: Uuid,
) -> ApiResult<()> {
    let readable = match linked_record(&**tx, p.tenant_uuid(), record_type.code(), id).await? {
        Linked::Unchecked => true,
        Linked::Missing => false,
        Linked::Found(r) => p.grants.authorize(
            &p.subject(),
            record_type.resource(),
            Action::Read,
            Some(&RecordOwner {
                owner_id: r.owner_id.map(UserId),
                owner_team: r.owner_team_id.map(TeamId),
            }),
        ),
    };
    if !readable {
        v.push(
            field,
            "not_found",
            format!("no such {}", record_type.code()),
        );
    }
    Ok(())
}

/// Comma-separated codes, each checked with `parse`.
pub(crate) fn codes<T>(
    v: &mut Validator,
    field: &str,
    raw: Option<&str>,
    parse: fn(&str) -> Option<T>,
) -> Vec<String> {
    let mut out = Vec::new();
    for c in raw
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        if parse(c).is_some() {
            out.push(c.to_owned());
        } else {
            v.push(field, "invalid_choice", format!("unknown value {c:?}"));
        }
    }
    out
}

/// A user id filter: an id or `me`.
pub(crate) fn user_param(
    v: &mut Validator,
    p: &Principal,
    field: &str,
    raw: Option<&str>,
) -> Option<Uuid> {
    match raw.map(str::trim) {
        None | Some("") => None,
        Some("me") => Some(p.user.id),
        Some(s) => match s.parse() {
            Ok(id) => Some(id),
            Err(_) => {
                v.push(field, "invalid_id", "a user id or `me`");
                None
            }
        },
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InteractionQuery {
    /// Page size, 1–200 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page (only valid with the same `sort`).
    pub cursor: Option<String>,
    /// Comma-separated fields, `-` for descending: occurred_at, created_at, updated_at.
    /// Default `-occurred_at` (newest first).
    pub sort: Option<String>,
    pub organisation_id: Option<Uuid>,
    pub person_id: Option<Uuid>,
    /// Comma-separated kinds (call, meeting, email, note).
    pub kind: Option<String>,
    /// A user id, or `me`.
    pub author_id: Option<String>,
    /// Took place at or after this instant.
    pub occurred_from: Option<DateTime<Utc>>,
    /// Took place before this instant.
    pub occurred_to: Option<DateTime<Utc>>,
    /// Part of the summary (case-insensitive).
    pub q: Option<String>,
    /// `true` lists the trash (needs the manage permission).
    pub deleted: Option<bool>,
    /// `true` adds `total` to the answer.
    pub count: Option<bool>,
}

/// A page of interactions with `total` when `count=true`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InteractionPage {
    pub items: Vec<InteractionOut>,
    pub next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

/// The validated list filters of a query, within one organisation when `org` is given
/// (also what an export of the list uses).
pub(crate) fn list_filter(
    p: &Principal,
    q: &InteractionQuery,
    deleted: bool,
    org: Option<Uuid>,
) -> ApiResult<InteractionFilter> {
    let mut v = Validator::new();
    let filter = InteractionFilter {
        organisation_id: org.or(q.organisation_id),
        person_id: q.person_id,
        kinds: codes(
            &mut v,
            "kind",
            q.kind.as_deref(),
            InteractionKind::from_code,
        ),
        author_id: user_param(&mut v, p, "author_id", q.author_id.as_deref()),
        occurred_from: q.occurred_from,
        occurred_to: q.occurred_to,
        q: q.q.clone().filter(|s| !s.trim().is_empty()),
        deleted,
    };
    v.finish()?;
    Ok(filter)
}

/// The list behind `/interactions` and an organisation's interactions tab (`org`).
async fn list_in(
    state: &AppState,
    p: &Principal,
    q: InteractionQuery,
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
    let sort_text = q.sort.clone().unwrap_or_else(|| "-occurred_at".into());
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
        rows.last().map(|(i, k)| {
            SortCursor {
                s: sort_text.clone(),
                k: k.clone(),
                id: i.id,
            }
            .encode()
        })
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(InteractionPage {
        items: rows.into_iter().map(|(i, _)| out(i)).collect(),
        next_cursor,
        total,
    }))
}

/// List the interactions the caller may read (their own, their team's or all, by role),
/// filtered and sorted, newest first by default; `deleted=true` lists the trash instead.
#[utoipa::path(get, path = "/api/v1/interactions", tag = "interactions",
    operation_id = "v1.interaction.list", security(("bearer" = [])), params(InteractionQuery),
    responses(
        (status = 200, description = "A page", body = InteractionPage),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter, sort or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_interactions(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<InteractionQuery>,
) -> ApiResult<HttpResponse> {
    list_in(&state, &auth.0, query.into_inner(), None).await
}

/// An organisation's interactions tab: the same list, restricted to one organisation the
/// caller may read (404 otherwise).
#[utoipa::path(get, path = "/api/v1/organisations/{id}/interactions", tag = "interactions",
    operation_id = "v1.organisation.interactions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id"), InteractionQuery),
    responses(
        (status = 200, description = "A page", body = InteractionPage),
        (status = 403, description = "Not allowed to read interactions", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter, sort or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn organisation_interactions(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    query: web::Query<InteractionQuery>,
) -> ApiResult<HttpResponse> {
    list_in(&state, &auth.0, query.into_inner(), Some(*id)).await
}

/// Record a call, meeting, email or note with an organisation and/or a person (at least one,
/// each a live record you may read). `occurred_at` defaults to now and `author_id` to you.
/// The linked records' `last_contact_at` moves to their latest interaction. Send
/// `Idempotency-Key` to make retries safe.
#[utoipa::path(post, path = "/api/v1/interactions", tag = "interactions",
    operation_id = "v1.interaction.create", security(("bearer" = [])),
    request_body = InteractionIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses(
        (status = 201, description = "Created", body = InteractionOut, headers(("ETag" = String), ("Location" = String))),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Same Idempotency-Key still in flight", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input, no link, or a linked record that does not exist", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_interaction(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    body: JsonBytes<InteractionIn>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Create)?;
    let input = body.value;
    idempotency::run(&state, &p, &req, &body.raw, || async {
        let mut v = Validator::new();
        let summary = v.check("summary", parse_summary(&input.summary));
        if input.organisation_id.is_none() && input.person_id.is_none() {
            v.push(
                "organisation_id",
                "required",
                "link the interaction to an organisation, a person or both",
            );
        }
        let author = input.author_id.unwrap_or(p.user.id);
        let tx = state.db.tenant_tx(p.tenant).await?;
        check_owner(
            &tx,
            &p,
            &mut v,
            RES,
            "author_id",
            Some(author),
            Action::Create,
        )
        .await?;
        if let Some(o) = input.organisation_id {
            check_link(
                &tx,
                &p,
                &mut v,
                "organisation_id",
                TaskRecordType::Organisation,
                o,
            )
            .await?;
        }
        if let Some(pid) = input.person_id {
            check_link(&tx, &p, &mut v, "person_id", TaskRecordType::Person, pid).await?;
        }
        v.finish()?;
        let fields = InteractionFields {
            kind: input.kind.code().into(),
            occurred_at: input.occurred_at,
            author_id: author,
            summary: summary.unwrap_or_default(),
            organisation_id: input.organisation_id,
            person_id: input.person_id,
        };
        let tenant = p.tenant_uuid();
        let created = store::insert(&*tx, tenant, &fields).await?;
        store::refresh_last_contact(
            &*tx,
            tenant,
            created.organisation_id.as_slice(),
            created.person_id.as_slice(),
        )
        .await?;
        events::record(
            &*tx,
            tenant,
            "interaction.created",
            RECORD,
            created.id,
            actor(&p),
            None,
            Some(&record_json(&created)),
        )
        .await?;
        tx.commit().await?;
        let etag = http::etag(created.id, created.updated_at);
        let loc = format!("/api/v1/interactions/{}", created.id);
        Ok(http::created(&out(created), &loc, &etag))
    })
    .await
}

/// Read an interaction.
#[utoipa::path(get, path = "/api/v1/interactions/{id}", tag = "interactions",
    operation_id = "v1.interaction.get", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Interaction id")),
    responses(
        (status = 200, description = "The interaction", body = InteractionOut, headers(("ETag" = String))),
        (status = 404, description = "No such interaction (or not visible to you)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_interaction(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Read)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let i = load(&tx, &p, *id, Action::Read).await?;
    tx.commit().await?;
    let etag = http::etag(i.id, i.updated_at);
    Ok(http::ok_with_etag(&out(i), &etag))
}

/// Change an interaction. Requires `If-Match`. Moving it (another date, organisation or
/// person) recomputes `last_contact_at` of every record it leaves or joins.
#[utoipa::path(patch, path = "/api/v1/interactions/{id}", tag = "interactions",
    operation_id = "v1.interaction.update", security(("bearer" = [])),
    request_body = InteractionPatch,
    params(("id" = Uuid, Path, description = "Interaction id"),
           ("If-Match" = String, Header, description = "ETag from the last read")),
    responses(
        (status = 200, description = "Updated", body = InteractionOut, headers(("ETag" = String))),
        (status = 404, description = "No such interaction", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_interaction(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<InteractionPatch>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Update)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let current = load(&tx, &p, *id, Action::Update).await?;
    check_if_match(&req, &http::etag(current.id, current.updated_at))?;
    let patch = body.0;
    let mut f = InteractionFields::from(&current);
    let mut v = Validator::new();
    if let Some(k) = patch.kind {
        f.kind = k.code().into();
    }
    if let Some(s) = &patch.summary
        && let Some(s) = v.check("summary", parse_summary(s))
    {
        f.summary = s;
    }
    if let Some(t) = patch.occurred_at {
        f.occurred_at = Some(t);
    }
    if let Some(a) = patch.author_id {
        f.author_id = a;
    }
    if let Some(o) = patch.organisation_id {
        f.organisation_id = o;
    }
    if let Some(x) = patch.person_id {
        f.person_id = x;
    }
    if f.organisation_id.is_none() && f.person_id.is_none() {
        v.push(
            "organisation_id",
            "required",
            "an interaction stays linked to an organisation, a person or both",
        );
    }
    if f.author_id != current.author_id {
        check_owner(
            &tx,
            &p,
            &mut v,
            RES,
            "author_id",
            Some(f.author_id),
            Action::Update,
        )
        .await?;
    }
    if f.organisation_id != current.organisation_id
        && let Some(o) = f.organisation_id
    {
        check_link(
            &tx,
            &p,
            &mut v,
            "organisation_id",
            TaskRecordType::Organisation,
            o,
        )
        .await?;
    }
    if f.person_id != current.person_id
        && let Some(x) = f.person_id
    {
        check_link(&tx, &p, &mut v, "person_id", TaskRecordType::Person, x).await?;
    }
    v.finish()?;
    let tenant = p.tenant_uuid();
    let updated = store::update(&*tx, tenant, current.id, &f).await?;
    let orgs: Vec<Uuid> = [current.organisation_id, updated.organisation_id]
        .into_iter()
        .flatten()
        .collect();
    let people: Vec<Uuid> = [current.person_id, updated.person_id]
        .into_iter()
        .flatten()
        .collect();
    store::refresh_last_contact(&*tx, tenant, &orgs, &people).await?;
    events::record(
        &*tx,
        tenant,
        "interaction.updated",
        RECORD,
        updated.id,
        actor(&p),
        Some(&record_json(&current)),
        Some(&record_json(&updated)),
    )
    .await?;
    tx.commit().await?;
    let etag = http::etag(updated.id, updated.updated_at);
    Ok(http::ok_with_etag(&out(updated), &etag))
}

/// Move an interaction to the trash (an administrator can restore it for 30 days). The
/// linked records' `last_contact_at` falls back to their latest remaining interaction.
#[utoipa::path(delete, path = "/api/v1/interactions/{id}", tag = "interactions",
    operation_id = "v1.interaction.delete", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Interaction id"),
           ("If-Match" = Option<String>, Header, description = "Optional ETag from the last read")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such interaction", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_interaction(
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
    refresh_links(&tx, &p, std::slice::from_ref(&current)).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Move to the trash and record `interaction.deleted`; the caller refreshes the links.
async fn delete_in(tx: &TenantTx, p: &Principal, current: &Interaction) -> ApiResult<()> {
    let tenant = p.tenant_uuid();
    store::soft_delete(&**tx, tenant, current.id, Some(p.user.id)).await?;
    events::record(
        &**tx,
        tenant,
        "interaction.deleted",
        RECORD,
        current.id,
        actor(p),
        Some(&record_json(current)),
        None,
    )
    .await?;
    Ok(())
}

/// Recompute `last_contact_at` of every organisation and person these interactions touch.
async fn refresh_links(tx: &TenantTx, p: &Principal, rows: &[Interaction]) -> ApiResult<()> {
    let orgs: Vec<Uuid> = rows.iter().filter_map(|i| i.organisation_id).collect();
    let people: Vec<Uuid> = rows.iter().filter_map(|i| i.person_id).collect();
    store::refresh_last_contact(&**tx, p.tenant_uuid(), &orgs, &people).await?;
    Ok(())
}

/// Copy an interaction: same kind, date, summary and links, authored by the caller. Each
/// link must still be a live record the caller can read (422 `not_found` otherwise).
#[utoipa::path(post, path = "/api/v1/interactions/{id}/duplicate", tag = "interactions",
    operation_id = "v1.interaction.duplicate", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Interaction id")),
    responses(
        (status = 201, description = "The copy", body = InteractionOut, headers(("ETag" = String), ("Location" = String))),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such interaction", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A linked record is gone", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn duplicate_interaction(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Create)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let src = load(&tx, &p, *id, Action::Read).await?;
    let mut fields = InteractionFields::from(&src);
    fields.author_id = p.user.id;
    let mut v = Validator::new();
    if let Some(o) = fields.organisation_id {
        check_link(
            &tx,
            &p,
            &mut v,
            "organisation_id",
            TaskRecordType::Organisation,
            o,
        )
        .await?;
    }
    if let Some(x) = fields.person_id {
        check_link(&tx, &p, &mut v, "person_id", TaskRecordType::Person, x).await?;
    }
    v.finish()?;
    let copy = store::insert(&*tx, tenant, &fields).await?;
    refresh_links(&tx, &p, std::slice::from_ref(&copy)).await?;
    events::record(
        &*tx,
        tenant,
        "interaction.created",
        RECORD,
        copy.id,
        actor(&p),
        None,
        Some(&record_json(&copy)),
    )
    .await?;
    tx.commit().await?;
    let etag = http::etag(copy.id, copy.updated_at);
    let loc = format!("/api/v1/interactions/{}", copy.id);
    Ok(http::created(&out(copy), &loc, &etag))
}

/// Apply one action to many interactions: all succeed or nothing changes. `assign_owner`
/// makes `author_id` their author (within your scope), `delete` moves them to the trash.
/// Every interaction is checked against your permissions; one refusal or unknown id rejects
/// the batch. `affected` counts the interactions that actually changed.
#[utoipa::path(post, path = "/api/v1/interactions/bulk", tag = "interactions",
    operation_id = "v1.interaction.bulk", security(("bearer" = [])),
    request_body = InteractionBulkAction,
    responses(
        (status = 200, description = "Done", body = BulkResult),
        (status = 403, description = "An interaction is outside your permissions", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid action, author or unknown ids", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn bulk_interactions(
    state: web::Data<AppState>,
    auth: Auth,
    body: Json<InteractionBulkAction>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let action = body.0;
    let (ids, perm) = match &action {
        InteractionBulkAction::Delete { ids } => (ids.clone(), Action::Delete),
        InteractionBulkAction::AssignOwner { ids, .. } => (ids.clone(), Action::Update),
    };
    p.require(RES, perm)?;
    let ids = bulk_ids(ids)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let rows = store::find_many_for_update(&*tx, tenant, &ids).await?;
    let visible: Vec<Interaction> = rows
        .into_iter()
        .filter(|i| {
            p.grants
                .authorize(&p.subject(), RES, Action::Read, Some(&owner_of(i)))
        })
        .collect();
    if visible.len() != ids.len() {
        return Err(unknown_ids(&ids, visible.iter().map(|i| i.id)));
    }
    for i in &visible {
        p.require_record(RES, perm, &owner_of(i))?;
    }
    let mut affected = 0u64;
    match &action {
        InteractionBulkAction::Delete { .. } => {
            for i in &visible {
                delete_in(&tx, &p, i).await?;
                affected += 1;
            }
            refresh_links(&tx, &p, &visible).await?;
        }
        InteractionBulkAction::AssignOwner { author_id, .. } => {
            let mut v = Validator::new();
            check_owner(
                &tx,
                &p,
                &mut v,
                RES,
                "author_id",
                Some(*author_id),
                Action::Update,
            )
            .await?;
            v.finish()?;
            for i in visible.iter().filter(|i| i.author_id != *author_id) {
                let mut f = InteractionFields::from(i);
                f.author_id = *author_id;
                let updated = store::update(&*tx, tenant, i.id, &f).await?;
                events::record(
                    &*tx,
                    tenant,
                    "interaction.updated",
                    RECORD,
                    updated.id,
                    actor(&p),
                    Some(&record_json(i)),
                    Some(&record_json(&updated)),
                )
                .await?;
                affected += 1;
            }
        }
    }
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(BulkResult { affected }))
}

/// Take an interaction out of the trash (within 30 days of its deletion); its records'
/// `last_contact_at` counts it again.
#[utoipa::path(post, path = "/api/v1/interactions/{id}/restore", tag = "interactions",
    operation_id = "v1.interaction.restore", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Interaction id")),
    responses(
        (status = 200, description = "Restored", body = InteractionOut, headers(("ETag" = String))),
        (status = 403, description = "Not allowed (needs manage)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not in the trash, or deleted more than 30 days ago", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn restore_interaction(
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
    refresh_links(&tx, &p, std::slice::from_ref(&after)).await?;
    events::record(
        &*tx,
        tenant,
        "interaction.restored",
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

/// Erase an interaction for good (live or in the trash). Its history stays.
#[utoipa::path(post, path = "/api/v1/interactions/{id}/purge", tag = "interactions",
    operation_id = "v1.interaction.purge", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Interaction id")),
    responses(
        (status = 204, description = "Erased"),
        (status = 403, description = "Not allowed (needs manage)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such interaction", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn purge_interaction(
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
    refresh_links(&tx, &p, std::slice::from_ref(&current)).await?;
    events::record(
        &*tx,
        tenant,
        "interaction.purged",
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Page size, 1–200 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The interaction's history, newest first: every change with who, when, and before/after
/// values.
#[utoipa::path(get, path = "/api/v1/interactions/{id}/history", tag = "interactions",
    operation_id = "v1.interaction.history", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Interaction id"), HistoryQuery),
    responses(
        (status = 200, description = "Events", body = Page<EventOut>),
        (status = 404, description = "No such interaction", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn interaction_history(
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

/// Timeline cursor: the position of the last entry shown.
#[derive(Serialize, Deserialize)]
struct TimelineCursor {
    /// Time in microseconds since the epoch.
    t: i64,
    /// `true` for an event, `false` for an interaction.
    e: bool,
    /// Event `seq` (0 for an interaction).
    s: i64,
    /// Interaction id (nil for an event).
    i: Uuid,
}

fn encode_timeline_cursor(pos: TimelinePos) -> String {
    let c = TimelineCursor {
        t: pos.at.timestamp_micros(),
        e: pos.event,
        s: pos.seq,
        i: pos.id,
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap_or_default())
}

fn decode_timeline_cursor(raw: Option<&str>) -> ApiResult<Option<TimelinePos>> {
    let Some(c) = raw.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| serde_json::from_slice::<TimelineCursor>(&b).ok())
        .and_then(|c| {
            DateTime::from_timestamp_micros(c.t).map(|at| TimelinePos {
                at,
                event: c.e,
                seq: c.s,
                id: c.i,
            })
        })
        .map(Some)
        .ok_or_else(|| ApiError::field("cursor", "invalid_cursor", "not a cursor of this timeline"))
}

/// Timeline order, newest first: later time first; at the same instant events before
/// interactions; then the higher `seq` or id first.
fn newest_first(a: &TimelinePos, b: &TimelinePos) -> Ordering {
    b.at.cmp(&a.at).then(b.event.cmp(&a.event)).then_with(|| {
        if a.event {
            b.seq.cmp(&a.seq)
        } else {
            b.id.cmp(&a.id)
        }
    })
}

/// The organisation's timeline, newest first: its interactions (by when they took place)
/// merged with its change history (its own events and those of the interactions linked to
/// it). Interactions and their events appear only when you may read them.
#[utoipa::path(get, path = "/api/v1/organisations/{id}/timeline", tag = "interactions",
    operation_id = "v1.organisation.timeline", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id"), HistoryQuery),
    responses(
        (status = 200, description = "Entries, newest first", body = Page<TimelineEntryOut>),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn organisation_timeline(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    query: web::Query<HistoryQuery>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Organisations, Action::Read)?;
    let limit = http::page_limit(query.limit)?;
    let after = decode_timeline_cursor(query.cursor.as_deref())?;
    let tenant = p.tenant_uuid();
    let ivis = p.grants.scope(RES, Action::Read).map(|s| visibility(&p, s));
    let tx = state.db.tenant_tx(p.tenant).await?;
    load_organisation(&tx, &p, *id).await?;
    let interactions = match ivis {
        Some(vis) => store::timeline_interactions(&*tx, tenant, *id, vis, after, limit + 1).await?,
        None => Vec::new(),
    };
    let evs = store::timeline_events(&*tx, tenant, *id, ivis, after, limit + 1).await?;
    tx.commit().await?;
    let slug = p.user.tenant_slug.clone();
    let mut entries: Vec<(TimelinePos, TimelineEntryOut)> = interactions
        .into_iter()
        .map(|i| {
            let pos = TimelinePos {
                at: i.occurred_at,
                event: false,
                seq: 0,
                id: i.id,
            };
            let entry = TimelineEntryOut {
                kind: "interaction".into(),
                occurred_at: i.occurred_at,
                interaction: Some(out(i)),
                event: None,
            };
            (pos, entry)
        })
        .chain(evs.into_iter().map(|e| {
            let pos = TimelinePos {
                at: e.occurred_at,
                event: true,
                seq: e.seq,
                id: Uuid::nil(),
            };
            let entry = TimelineEntryOut {
                kind: "event".into(),
                occurred_at: e.occurred_at,
                interaction: None,
                event: Some(event_out(e, &slug)),
            };
            (pos, entry)
        }))
        .collect();
    entries.sort_by(|a, b| newest_first(&a.0, &b.0));
    let more = entries.len() as u64 > limit;
    entries.truncate(limit as usize);
    let next_cursor = if more {
        entries.last().map(|(pos, _)| encode_timeline_cursor(*pos))
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(Page {
        items: entries.into_iter().map(|(_, e)| e).collect(),
        next_cursor,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeline_order_and_cursor() {
        let t0 = DateTime::from_timestamp_micros(1_700_000_000_000_001).unwrap();
        let t1 = DateTime::from_timestamp_micros(1_700_000_000_000_002).unwrap();
        let ev = |at, seq| TimelinePos {
            at,
            event: true,
            seq,
            id: Uuid::nil(),
        };
        let it = |at, id| TimelinePos {
            at,
            event: false,
            seq: 0,
            id,
        };
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let mut v = vec![it(t0, a), ev(t0, 3), it(t1, a), ev(t0, 7), it(t0, b)];
        v.sort_by(newest_first);
        assert_eq!(
            v,
            vec![it(t1, a), ev(t0, 7), ev(t0, 3), it(t0, b), it(t0, a)]
        );
        for pos in v {
            let c = encode_timeline_cursor(pos);
            assert_eq!(decode_timeline_cursor(Some(&c)).unwrap(), Some(pos));
        }
        assert!(decode_timeline_cursor(Some("garbage")).is_err());
        assert_eq!(decode_timeline_cursor(None).unwrap(), None);
    }
}
