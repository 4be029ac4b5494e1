//! Webhooks (SPEC HOOK-1…5): endpoint administration, signing secrets (encrypted at rest,
//! revealed on request, rotated with a 24-hour overlap), the event catalogue, and the delivery
//! log with retry, replay and test messages.
//!
//! Nothing here sends HTTP: requests only write rows (deliveries, events) and NOTIFY; the
//! webhook worker (relais-jobs) does the sending. Endpoint changes are recorded as
//! `webhook.*` events (audit trail), which are never delivered themselves.
//!
//! Creating an endpoint takes no Idempotency-Key: the stored answer would hold the secret in
//! clear for a day.

use crate::{
    ApiResult, AppState,
    auth::{Auth, Principal},
    error::{ApiError, Validator},
    extract::Json,
    http::{self, check_if_match},
    records::actor,
};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration as ChronoDuration, Utc};
use relais_domain::{
    Action, Resource, ValueError,
    webhooks::{
        self as rules, DeliveryStatus, DisabledReason, EVENT_TYPES, EventFilter, TEST_EVENT,
    },
};
use relais_store::{
    TenantTx, events,
    webhooks::{self as store, Delivery, DeliveryFilter, Endpoint, EndpointFields, NewDelivery},
};
use relais_types::{
    Actor, AttemptOut, DeliveryDetailOut, DeliveryOut, EventOut, EventTypeOut, Page, Problem,
    ReplayIn, ReplayOut, WebhookCreatedOut, WebhookIn, WebhookOut, WebhookPatch, WebhookSecretOut,
};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;
use uuid::Uuid;

const RES: Resource = Resource::Webhooks;
const RECORD: &str = "webhook_endpoint";
/// How long the secret before a rotation keeps signing deliveries.
pub const ROTATION_OVERLAP_HOURS: i64 = 24;
/// How far back a replay may reach.
pub const REPLAY_MAX_DAYS: i64 = 14;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/event-types").route(web::get().to(list_event_types)));
    cfg.service(
        web::resource("/webhooks")
            .route(web::get().to(list_webhooks))
            .route(web::post().to(create_webhook)),
    );
    cfg.service(
        web::resource("/webhooks/{id}")
            .route(web::get().to(get_webhook))
            .route(web::patch().to(update_webhook))
            .route(web::delete().to(delete_webhook)),
    );
    cfg.service(
        web::resource("/webhooks/{id}/secret/reveal").route(web::post().to(reveal_webhook_secret)),
    );
    cfg.service(
        web::resource("/webhooks/{id}/secret/rotate").route(web::post().to(rotate_webhook_secret)),
    );
    cfg.service(web::resource("/webhooks/{id}/enable").route(web::post().to(enable_webhook)));
    cfg.service(web::resource("/webhooks/{id}/test").route(web::post().to(test_webhook)));
    cfg.service(web::resource("/webhooks/{id}/replay").route(web::post().to(replay_webhook)));
    cfg.service(
        web::resource("/webhooks/{id}/deliveries").route(web::get().to(list_webhook_deliveries)),
    );
    cfg.service(
        web::resource("/webhooks/{id}/deliveries/{delivery_id}")
            .route(web::get().to(get_webhook_delivery)),
    );
    cfg.service(
        web::resource("/webhooks/{id}/deliveries/{delivery_id}/retry")
            .route(web::post().to(retry_webhook_delivery)),
    );
    cfg.service(
        web::resource("/events/{event_id}/deliveries").route(web::get().to(list_event_deliveries)),
    );
}

// ---- Helpers ---------------------------------------------------------------------------------

fn delivery_out(d: Delivery, last_latency_ms: Option<i32>) -> DeliveryOut {
    DeliveryOut {
        id: d.id,
        endpoint_id: d.endpoint_id,
        event_id: store::event_wire_id(d.event_id),
        event_type: d.event_type,
        status: DeliveryStatus::from_code(&d.status).unwrap_or(DeliveryStatus::Pending),
        attempts: d.attempts,
        next_attempt_at: d.next_attempt_at,
        last_attempt_at: d.last_attempt_at,
        last_status_code: d.last_status_code,
        last_latency_ms,
        last_error: d.last_error,
        created_at: d.created_at,
        finished_at: d.finished_at,
    }
}

fn record_json(e: &Endpoint) -> Value {
    serde_json::to_value(e.wire()).unwrap_or_default()
}

/// The endpoint of this tenant, or 404.
async fn load(tx: &TenantTx, p: &Principal, id: Uuid) -> ApiResult<Endpoint> {
    Endpoint::find(&**tx, p.tenant_uuid(), id)
        .await?
        .ok_or(ApiError::NotFound)
}

async fn load_for_update(tx: &TenantTx, p: &Principal, id: Uuid) -> ApiResult<Endpoint> {
    Endpoint::find_for_update(&**tx, p.tenant_uuid(), id)
        .await?
        .ok_or(ApiError::NotFound)
}

async fn audit(
    tx: &TenantTx,
    p: &Principal,
    type_: &str,
    id: Uuid,
    before: Option<&Value>,
    after: Option<&Value>,
) -> ApiResult<()> {
    events::record(
        &**tx,
        p.tenant_uuid(),
        type_,
        RECORD,
        id,
        actor(p),
        before,
        after,
    )
    .await?;
    Ok(())
}

fn check_url(state: &AppState, v: &mut Validator, raw: &str) -> Option<String> {
    v.check(
        "url",
        rules::parse_endpoint_url(raw, &state.cfg.webhook_policy).map(|u| u.to_string()),
    )
}

fn check_description(v: &mut Validator, raw: Option<&str>) -> String {
    let d = raw.unwrap_or("").trim().to_owned();
    if d.chars().count() > 1000 {
        v.push("description", "too_long", "at most 1000 characters");
    }
    d
}

fn check_event_types(v: &mut Validator, raw: &[String]) -> Vec<String> {
    if raw.is_empty() || raw.len() > 100 {
        v.push(
            "event_types",
            "out_of_range",
            "between 1 and 100 event types; `*` subscribes to everything",
        );
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for (i, t) in raw.iter().enumerate() {
        if let Some(f) = v.check(&format!("event_types[{i}]"), EventFilter::parse(t))
            && !out.iter().any(|o| o == f.as_str())
        {
            out.push(f.as_str().to_owned());
        }
    }
    out
}

fn check_rate_limit(v: &mut Validator, raw: Option<u32>) -> Option<i32> {
    match raw {
        None => None,
        Some(n) if (1..=10_000).contains(&n) => Some(n as i32),
        Some(_) => {
            v.push(
                "rate_limit",
                "out_of_range",
                "between 1 and 10000 deliveries per second",
            );
            None
        }
    }
}

fn decrypt(state: &AppState, ep: &Endpoint, data: &[u8]) -> ApiResult<String> {
    state
        .cfg
        .secrets_cipher
        .decrypt(data, &store::secret_aad(ep.tenant_id, ep.id))
        .map_err(ApiError::internal)
}

fn endpoint_disabled() -> ApiError {
    ApiError::Conflict(
        "endpoint_disabled",
        "the endpoint is disabled; enable it first (POST /api/v1/webhooks/{id}/enable)".into(),
    )
}

// ---- Catalogue -------------------------------------------------------------------------------

/// A plausible record of each family, for the examples.
fn sample_record(family: &str, id: Uuid) -> Value {
    let owner = "01960c5e-0000-7000-8000-000000000001";
    let org = "01960c5e-0000-7000-8000-0000000000aa";
    let at = "2026-01-30T16:42:20Z";
    match family {
        "organisation" => json!({
            "id": id, "name": "Banque Exemple", "type": "investor", "category": "opcvm",
            "pipeline_stage": "qualification", "stage_changed_at": at, "email": "contact@exemple.fr",
            "phone": "+33 1 23 45 67 89", "website": "https://exemple.fr", "address": "1 rue de la Paix",
            "city": "Paris", "postcode": "75002", "country": "FR", "notes": null, "owner_id": owner,
            "active": true, "expected_amount": 250000.0, "tags": ["priority"], "last_contact_at": null,
            "created_at": at, "updated_at": at}),
        "person" => json!({
            "id": id, "first_name": "Camille", "last_name": "Martin", "email": "camille.martin@exemple.fr",
            "phone": null, "job_title": "Directrice des investissements", "notes": null,
            "owner_id": owner, "created_at": at, "updated_at": at}),
        "mandate" => json!({
            "id": id, "number": "M-2026-001", "organisation_id": org, "status": "signed",
            "signed_on": "2026-01-30", "start_date": "2026-02-01", "end_date": null,
            "amount": 1000000.0, "owner_id": owner, "created_at": at, "updated_at": at}),
        "task" => json!({
            "id": id, "title": "Relancer Banque Exemple", "description": null, "due_date": "2026-02-06",
            "priority": "high", "status": "done", "assignee_id": owner,
            "organisation_id": org, "created_at": at, "updated_at": at}),
        "interaction" => json!({
            "id": id, "kind": "meeting", "occurred_at": at, "summary": "Présentation de la gamme",
            "organisation_id": org, "person_id": null, "author_id": owner,
            "created_at": at, "updated_at": at}),
        "product" => json!({
            "id": id, "name": "Exemple Actions Europe", "code": "FR0000000001", "category": "opcvm",
            "active": true, "created_at": at, "updated_at": at}),
        "document" => json!({
            "id": id, "file_name": "mandat.pdf", "content_type": "application/pdf", "size": 48213,
            "organisation_id": org, "created_at": at}),
        _ => json!({"id": id}),
    }
}

/// An example delivery body of `name`.
fn example(name: &str) -> EventOut {
    let id = Uuid::parse_str("01960c5e-0000-7000-8000-0000000000bb").unwrap_or_default();
    let (family, action) = name.split_once('.').unwrap_or((name, ""));
    let record = sample_record(family, id);
    let (before, after) = match (family, action) {
        ("webhook", "test") => (json!({}), json!({"message": "Test message from Relais"})),
        (_, "created" | "restored" | "organisation_linked") => (json!({}), record.clone()),
        (_, "deleted" | "purged" | "organisation_unlinked") => (record.clone(), json!({})),
        (_, "stage_changed") => (
            json!({"pipeline_stage": "prospect"}),
            json!({"pipeline_stage": "qualification"}),
        ),
        ("organisation", "stuck") => {
            let stuck = json!({"id": id, "name": "Banque Exemple", "pipeline_stage": "qualification",
                "stage_changed_at": "2025-12-01T09:00:00Z",
                "owner_id": "01960c5e-0000-7000-8000-000000000001", "days": 30});
            return event_example(name, id, json!({}), stuck.clone(), stuck);
        }
        (_, "signed") => (json!({"status": "proposed"}), json!({"status": "signed"})),
        (_, "completed") => (json!({"status": "open"}), json!({"status": "done"})),
        (_, "assigned") => (
            json!({"assignee_id": null}),
            json!({"assignee_id": "01960c5e-0000-7000-8000-000000000001"}),
        ),
        (_, "organisation_updated") => (json!({"is_primary": false}), json!({"is_primary": true})),
        _ => (
            json!({"notes": null}),
            json!({"notes": "Rendez-vous le 6 février"}),
        ),
    };
    let record = if name == TEST_EVENT {
        after.clone()
    } else {
        record
    };
    event_example(name, id, before, after, record)
}

fn event_example(name: &str, id: Uuid, before: Value, after: Value, record: Value) -> EventOut {
    let system = name == "organisation.stuck";
    EventOut {
        id: "evt_01960c5e00007000800000000000cc01".into(),
        type_: name.to_owned(),
        occurred_at: chrono::DateTime::parse_from_rfc3339("2026-01-30T16:42:20Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default(),
        tenant: "acme".into(),
        actor: Actor {
            type_: if system { "system" } else { "user" }.into(),
            id: (!system).then(|| {
                Uuid::parse_str("01960c5e-0000-7000-8000-000000000001").unwrap_or_default()
            }),
        },
        data: json!({"id": id, "before": before, "after": after, "record": record}),
    }
}

/// Every event type webhooks can subscribe to, with a description and an example body.
/// Subscribe with exact names, families (`organisation.*`) or `*`.
#[utoipa::path(get, path = "/api/v1/event-types", tag = "webhooks",
    operation_id = "v1.event_type.list", security(("bearer" = [])),
    responses(
        (status = 200, description = "The catalogue", body = Vec<EventTypeOut>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_event_types(auth: Auth) -> ApiResult<HttpResponse> {
    let _ = auth;
    let items: Vec<EventTypeOut> = EVENT_TYPES
        .iter()
        .map(|t| EventTypeOut {
            name: t.name.to_owned(),
            family: t.name.split('.').next().unwrap_or("").to_owned(),
            description: t.description.to_owned(),
            example: example(t.name),
        })
        .collect();
    Ok(HttpResponse::Ok().json(items))
}

// ---- Endpoints -------------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WebhookQuery {
    /// Page size, 1–200 (default 50).
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// List the tenant's webhook endpoints, oldest first (secrets are never listed).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    operation_id = "v1.webhook.list", security(("bearer" = [])), params(WebhookQuery),
    responses(
        (status = 200, description = "A page of endpoints", body = Page<WebhookOut>),
        (status = 403, description = "Not allowed (webhooks are for administrators)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<WebhookQuery>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Read)?;
    let limit = http::page_limit(query.limit)?;
    let after = http::decode_cursor(query.cursor.as_deref())?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let rows = Endpoint::list(&*tx, p.tenant_uuid(), after, limit + 1).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(http::paginate(rows, limit, |e| e.id, |e| e.wire())))
}

/// Register an endpoint. The answer carries the signing secret (`whsec_…`); it can be shown
/// again later with the reveal operation. The URL must be http(s) and may not point at a
/// private, loopback, link-local or metadata address.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks",
    operation_id = "v1.webhook.create", security(("bearer" = [])), request_body = WebhookIn,
    responses(
        (status = 201, description = "Created, with its secret", body = WebhookCreatedOut, headers(("ETag" = String), ("Location" = String))),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid URL (or refused address), event type or rate limit", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_webhook(
    state: web::Data<AppState>,
    auth: Auth,
    body: Json<WebhookIn>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Create)?;
    let input = body.0;
    let mut v = Validator::new();
    let url = check_url(&state, &mut v, &input.url);
    let description = check_description(&mut v, input.description.as_deref());
    let event_types = check_event_types(&mut v, &input.event_types);
    let rate_limit = check_rate_limit(&mut v, input.rate_limit);
    v.finish()?;
    let active = input.active.unwrap_or(true);
    let fields = EndpointFields {
        url: url.unwrap_or_default(),
        description,
        event_types,
        active,
        disabled_reason: (!active).then(|| DisabledReason::Manual.code().to_owned()),
        rate_limit,
    };
    let tenant = p.tenant_uuid();
    let id = Uuid::now_v7();
    let secret = store::new_secret();
    let enc = state
        .cfg
        .secrets_cipher
        .encrypt(&secret, &store::secret_aad(tenant, id));
    let tx = state.db.tenant_tx(p.tenant).await?;
    let ep = Endpoint::insert(&*tx, tenant, id, &fields, enc, Some(p.user_id())).await?;
    audit(
        &tx,
        &p,
        "webhook.endpoint_created",
        ep.id,
        None,
        Some(&record_json(&ep)),
    )
    .await?;
    tx.commit().await?;
    let etag = http::etag(ep.id, ep.updated_at);
    let loc = format!("/api/v1/webhooks/{}", ep.id);
    Ok(http::created(
        &WebhookCreatedOut {
            secret,
            webhook: ep.wire(),
        },
        &loc,
        &etag,
    ))
}

/// Read an endpoint (without its secret).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    operation_id = "v1.webhook.get", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The endpoint", body = WebhookOut, headers(("ETag" = String))),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_webhook(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Read)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let ep = load(&tx, &p, *id).await?;
    tx.commit().await?;
    let etag = http::etag(ep.id, ep.updated_at);
    Ok(http::ok_with_etag(&ep.wire(), &etag))
}

/// Change an endpoint (URL, description, event types, active flag, rate limit). Requires
/// `If-Match`. `active: true` re-enables an endpoint that was switched off; `active: false`
/// switches it off and gives up its pending deliveries.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    operation_id = "v1.webhook.update", security(("bearer" = [])), request_body = WebhookPatch,
    params(("id" = Uuid, Path, description = "Endpoint id"),
           ("If-Match" = String, Header, description = "ETag from the last read")),
    responses(
        (status = 200, description = "Updated", body = WebhookOut, headers(("ETag" = String))),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_webhook(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<WebhookPatch>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Update)?;
    let patch = body.0;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let current = load_for_update(&tx, &p, *id).await?;
    check_if_match(&req, &http::etag(current.id, current.updated_at))?;
    let mut f = EndpointFields::from(&current);
    let mut v = Validator::new();
    if let Some(u) = &patch.url
        && let Some(u) = check_url(&state, &mut v, u)
    {
        f.url = u;
    }
    if let Some(d) = &patch.description {
        f.description = check_description(&mut v, Some(d));
    }
    if let Some(t) = &patch.event_types {
        f.event_types = check_event_types(&mut v, t);
    }
    if let Some(r) = patch.rate_limit {
        f.rate_limit = check_rate_limit(&mut v, r);
    }
    v.finish()?;
    if let Some(a) = patch.active
        && a != current.active
    {
        f.active = a;
        f.disabled_reason = (!a).then(|| DisabledReason::Manual.code().to_owned());
    }
    let updated = update_in(&tx, &p, &current, &f).await?;
    tx.commit().await?;
    let etag = http::etag(updated.id, updated.updated_at);
    Ok(http::ok_with_etag(&updated.wire(), &etag))
}

async fn update_in(
    tx: &TenantTx,
    p: &Principal,
    current: &Endpoint,
    f: &EndpointFields,
) -> ApiResult<Endpoint> {
    let tenant = p.tenant_uuid();
    let updated = Endpoint::update(&**tx, tenant, current.id, f).await?;
    if current.active && !updated.active {
        Delivery::fail_pending(&**tx, tenant, current.id, "endpoint disabled", Utc::now()).await?;
    }
    let type_ = match (current.active, updated.active) {
        (false, true) => "webhook.endpoint_enabled",
        (true, false) => "webhook.endpoint_disabled",
        _ => "webhook.endpoint_updated",
    };
    audit(
        tx,
        p,
        type_,
        updated.id,
        Some(&record_json(current)),
        Some(&record_json(&updated)),
    )
    .await?;
    Ok(updated)
}

/// Re-enable an endpoint that was switched off (by an administrator, after a 410, or after
/// failing for days). New events reach it again; replay what was missed with
/// `POST /api/v1/webhooks/{id}/replay`.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/enable", tag = "webhooks",
    operation_id = "v1.webhook.enable", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "Active again", body = WebhookOut, headers(("ETag" = String))),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn enable_webhook(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Update)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let current = load_for_update(&tx, &p, *id).await?;
    let ep = if current.active {
        current
    } else {
        let mut f = EndpointFields::from(&current);
        f.active = true;
        f.disabled_reason = None;
        update_in(&tx, &p, &current, &f).await?
    };
    tx.commit().await?;
    let etag = http::etag(ep.id, ep.updated_at);
    Ok(http::ok_with_etag(&ep.wire(), &etag))
}

/// Delete an endpoint with its delivery log. Deliveries not yet made are dropped.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    operation_id = "v1.webhook.delete", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Delete)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let current = load_for_update(&tx, &p, *id).await?;
    http::check_if_match_optional(&req, &http::etag(current.id, current.updated_at))?;
    Endpoint::delete(&*tx, p.tenant_uuid(), current.id).await?;
    audit(
        &tx,
        &p,
        "webhook.endpoint_deleted",
        current.id,
        Some(&record_json(&current)),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---- Secrets ---------------------------------------------------------------------------------

/// Show the endpoint's signing secret (and, during a rotation, until when the previous one
/// still signs). Needs the manage permission.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/secret/reveal", tag = "webhooks",
    operation_id = "v1.webhook.secret_reveal", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The secret", body = WebhookSecretOut),
        (status = 403, description = "Not allowed (needs manage)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn reveal_webhook_secret(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Manage)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let ep = load(&tx, &p, *id).await?;
    tx.commit().await?;
    let secret = decrypt(&state, &ep, &ep.secret_enc)?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(WebhookSecretOut {
            secret,
            previous_secret_expires_at: ep.previous_secret_expires_at.filter(|t| *t > Utc::now()),
        }))
}

/// Replace the signing secret. For 24 hours deliveries carry two signatures (new and
/// previous, space-separated in `webhook-signature`), so receivers can switch without losing
/// messages. Needs the manage permission.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/secret/rotate", tag = "webhooks",
    operation_id = "v1.webhook.secret_rotate", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The new secret", body = WebhookSecretOut),
        (status = 403, description = "Not allowed (needs manage)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn rotate_webhook_secret(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Manage)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let current = load_for_update(&tx, &p, *id).await?;
    // The secret being replaced must still decrypt (a changed RELAIS_SECRETS_KEY cannot).
    let old_ok = decrypt(&state, &current, &current.secret_enc).is_ok();
    let secret = store::new_secret();
    let aad = store::secret_aad(tenant, current.id);
    let enc = state.cfg.secrets_cipher.encrypt(&secret, &aad);
    let until = Utc::now() + ChronoDuration::hours(ROTATION_OVERLAP_HOURS);
    let (prev, until) = if old_ok {
        (current.secret_enc.clone(), until)
    } else {
        (enc.clone(), Utc::now())
    };
    let updated = Endpoint::rotate_secret(&*tx, tenant, current.id, enc, prev, until).await?;
    audit(
        &tx,
        &p,
        "webhook.secret_rotated",
        current.id,
        Some(&record_json(&current)),
        Some(&record_json(&updated)),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(WebhookSecretOut {
            secret,
            previous_secret_expires_at: updated.previous_secret_expires_at.filter(|_| old_ok),
        }))
}

// ---- Operations ------------------------------------------------------------------------------

/// Send a `webhook.test` event to this endpoint only. The answer is the delivery, which the
/// worker attempts at once; follow it in the delivery log.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks",
    operation_id = "v1.webhook.test", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 202, description = "Queued", body = DeliveryOut),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The endpoint is disabled", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn test_webhook(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Update)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let ep = load(&tx, &p, *id).await?;
    if !ep.active {
        return Err(endpoint_disabled());
    }
    let body = json!({
        "message": "Test message from Relais",
        "endpoint_id": ep.id,
        "url": ep.url,
    });
    let event_id = events::record(
        &*tx,
        tenant,
        TEST_EVENT,
        RECORD,
        ep.id,
        actor(&p),
        None,
        Some(&body),
    )
    .await?;
    let d = Delivery::insert_one(
        &*tx,
        tenant,
        &NewDelivery {
            endpoint_id: ep.id,
            event_id,
            event_type: TEST_EVENT.into(),
        },
        Utc::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Accepted().json(delivery_out(d, None)))
}

/// Send again every failed delivery of this endpoint created since `since` (at most 14 days
/// ago), each with a fresh set of attempts. Same `webhook-id`s as before.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/replay", tag = "webhooks",
    operation_id = "v1.webhook.replay", security(("bearer" = [])), request_body = ReplayIn,
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 202, description = "Scheduled", body = ReplayOut),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The endpoint is disabled", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`since` more than 14 days ago or in the future", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn replay_webhook(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: Json<ReplayIn>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Update)?;
    let now = Utc::now();
    let since = body.0.since;
    if since < now - ChronoDuration::days(REPLAY_MAX_DAYS) || since > now {
        return Err(ApiError::field(
            "since",
            "out_of_range",
            format!("a date within the last {REPLAY_MAX_DAYS} days"),
        ));
    }
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let ep = load(&tx, &p, *id).await?;
    if !ep.active {
        return Err(endpoint_disabled());
    }
    let n = Delivery::replay_failed(&*tx, tenant, ep.id, since, now).await?;
    tx.commit().await?;
    Ok(HttpResponse::Accepted().json(ReplayOut { replayed: n }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// pending, succeeded or failed.
    pub status: Option<String>,
    /// Only deliveries of this event (`evt_…`).
    pub event_id: Option<String>,
    /// Only deliveries of this event type (`mandate.signed`) or family (`organisation.*`).
    pub event_type: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// A log filter: one event type or a family (`organisation.*`); `*` would filter nothing.
fn event_type_filter(s: &str) -> Result<&str, ValueError> {
    let s = s.trim();
    match EventFilter::parse(s) {
        Ok(_) if s != "*" => Ok(s),
        _ => Err(ValueError::new(
            "unknown_event_type",
            format!("{s:?} is not an event type or a family such as `organisation.*`"),
        )),
    }
}

fn delivery_filter(q: &DeliveryQuery, endpoint: Option<Uuid>) -> ApiResult<DeliveryFilter> {
    let mut v = Validator::new();
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => v
            .check(
                "status",
                DeliveryStatus::from_code(s).ok_or_else(|| {
                    ValueError::new("invalid_choice", "pending, succeeded or failed")
                }),
            )
            .map(|s| s.code().to_owned()),
    };
    let event_id = match q.event_id.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => v.check(
            "event_id",
            store::parse_event_wire_id(s)
                .ok_or_else(|| ValueError::new("invalid_id", "an event id `evt_…`")),
        ),
    };
    let event_type = match q.event_type.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => v
            .check("event_type", event_type_filter(s))
            .map(str::to_owned),
    };
    v.finish()?;
    Ok(DeliveryFilter {
        endpoint_id: endpoint,
        event_id,
        status,
        event_type,
    })
}

async fn list_deliveries(
    state: &AppState,
    p: &Principal,
    filter: DeliveryFilter,
    q: &DeliveryQuery,
    endpoint: Option<Uuid>,
) -> ApiResult<HttpResponse> {
    let limit = http::page_limit(q.limit)?;
    let before = http::decode_cursor(q.cursor.as_deref())?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    if let Some(e) = endpoint {
        load(&tx, p, e).await?;
    }
    let rows = Delivery::list(&*tx, p.tenant_uuid(), &filter, before, limit + 1).await?;
    let ids: Vec<Uuid> = rows.iter().map(|d| d.id).collect();
    let latencies = Delivery::last_latencies(&*tx, p.tenant_uuid(), &ids).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(http::paginate(
        rows,
        limit,
        |d| d.id,
        |d| {
            let latency = latencies.get(&d.id).copied();
            delivery_out(d, latency)
        },
    )))
}

/// The endpoint's delivery log, newest first: status, attempts made, last status code and
/// error, latency of the last attempt, next attempt. Filter by `status`, `event_type` (a type
/// or a family such as `organisation.*`) or `event_id`.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    operation_id = "v1.webhook.delivery_list", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id"), DeliveryQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = Page<DeliveryOut>),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_webhook_deliveries(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    query: web::Query<DeliveryQuery>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Read)?;
    let filter = delivery_filter(&query, Some(*id))?;
    list_deliveries(&state, &p, filter, &query, Some(*id)).await
}

/// Every delivery of one event (to every endpoint that subscribed to it), newest first.
#[utoipa::path(get, path = "/api/v1/events/{event_id}/deliveries", tag = "webhooks",
    operation_id = "v1.event.delivery_list", security(("bearer" = [])),
    params(("event_id" = String, Path, description = "Event id `evt_…`"), DeliveryQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = Page<DeliveryOut>),
        (status = 404, description = "Not an event id", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_event_deliveries(
    state: web::Data<AppState>,
    auth: Auth,
    event_id: web::Path<String>,
    query: web::Query<DeliveryQuery>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Read)?;
    let event = store::parse_event_wire_id(&event_id).ok_or(ApiError::NotFound)?;
    let mut filter = delivery_filter(&query, None)?;
    filter.event_id = Some(event);
    list_deliveries(&state, &p, filter, &query, None).await
}

/// One delivery with every attempt (number, time, status code, latency, error, the first
/// 4 KiB of the answer) and the body that is sent.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}", tag = "webhooks",
    operation_id = "v1.webhook.delivery_get", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id"),
           ("delivery_id" = Uuid, Path, description = "Delivery id")),
    responses(
        (status = 200, description = "The delivery and its attempts", body = DeliveryDetailOut),
        (status = 404, description = "No such delivery for this endpoint", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_webhook_delivery(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Read)?;
    let (endpoint, delivery) = path.into_inner();
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let d = Delivery::find(&*tx, tenant, delivery)
        .await?
        .filter(|d| d.endpoint_id == endpoint)
        .ok_or(ApiError::NotFound)?;
    let attempts = Delivery::attempts(&*tx, tenant, d.id).await?;
    let event = store::event_by_id(&*tx, tenant, d.event_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(DeliveryDetailOut {
        payload: store::event_wire(&event, &p.user.tenant_slug),
        delivery: delivery_out(d, attempts.last().map(|a| a.duration_ms)),
        attempts_log: attempts
            .into_iter()
            .map(|a| AttemptOut {
                id: a.id,
                attempt: a.attempt,
                started_at: a.started_at,
                latency_ms: a.duration_ms,
                status_code: a.status_code,
                error: a.error,
                response_body: a.response_body,
                succeeded: a.succeeded,
            })
            .collect(),
    }))
}

/// Attempt one delivery again now, whatever its status (same `webhook-id`). If it fails, it is
/// retried automatically only while it has attempts left.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/retry", tag = "webhooks",
    operation_id = "v1.webhook.delivery_retry", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id"),
           ("delivery_id" = Uuid, Path, description = "Delivery id")),
    responses(
        (status = 202, description = "Scheduled", body = DeliveryOut),
        (status = 404, description = "No such delivery for this endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The endpoint is disabled", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn retry_webhook_delivery(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Update)?;
    let (endpoint, delivery) = path.into_inner();
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let ep = load(&tx, &p, endpoint).await?;
    let d = Delivery::find(&*tx, tenant, delivery)
        .await?
        .filter(|d| d.endpoint_id == ep.id)
        .ok_or(ApiError::NotFound)?;
    if !ep.active {
        return Err(endpoint_disabled());
    }
    let d = Delivery::retry_now(&*tx, tenant, d.id, Utc::now())
        .await?
        .ok_or(ApiError::NotFound)?;
    let latency = Delivery::last_latencies(&*tx, tenant, &[d.id]).await?;
    tx.commit().await?;
    let latency = latency.get(&d.id).copied();
    Ok(HttpResponse::Accepted().json(delivery_out(d, latency)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event type the code records for a business record is in the catalogue (so
    /// partners can subscribe to it by name and `GET /event-types` tells the truth).
    #[test]
    fn catalogue_lists_every_recorded_event_type() {
        let families: Vec<&str> = EVENT_TYPES
            .iter()
            .filter_map(|t| t.name.split_once('.').map(|(f, _)| f))
            .filter(|f| *f != "webhook")
            .collect();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut missing = Vec::new();
        for dir in ["api/src/routes", "server/src", "jobs/src"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            for entry in entries.flatten() {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                for lit in text.split('"').skip(1).step_by(2) {
                    let Some((f, a)) = lit.split_once('.') else {
                        continue;
                    };
                    let well_formed =
                        !a.is_empty() && a.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                    if well_formed && families.contains(&f) && !rules::is_event_type(lit) {
                        missing.push(format!("{lit} ({})", entry.path().display()));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "add to relais_domain::webhooks::EVENT_TYPES: {missing:?}"
        );
    }

    #[test]
    fn every_event_type_has_an_example_of_the_history_shape() {
        for t in EVENT_TYPES {
            let e = example(t.name);
            assert_eq!(e.type_, t.name);
            for k in ["id", "before", "after", "record"] {
                assert!(e.data.get(k).is_some(), "{}: {k}", t.name);
            }
        }
    }
}
