//! Mandates (SPEC CRM-3): numbered agreements between the firm and an organisation. CRUD with
//! ETags; numbers generated per year (`M-2026-001`) unless given; a status flow checked by
//! `relais_domain::mandates`; the products a mandate covers; filtered and sorted lists with
//! keyset cursors (also as an organisation's "mandates" tab); bulk actions (owner, status,
//! delete) and duplication; soft delete with restore and purge; the per-record history. Scopes follow the mandate's own owner, like organisations;
//! the organisation must be readable by the caller.

use crate::{
    ApiResult, AppState,
    auth::{Auth, Principal},
    error::{ApiError, Validator},
    extract::{Json, JsonBytes},
    http::{self, check_if_match},
    idempotency,
    records::{SortCursor, actor, bulk_ids, unknown_ids, visibility},
    routes::products::out as product_out,
};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use relais_domain::{
    Action, RecordOwner, Resource, TeamId, UserId, crm,
    mandates::{MandateStatus, parse_mandate_number},
};
use relais_store::{
    StoreError, TenantTx, events,
    mandates::{self as store, Mandate, MandateFields, MandateFilter},
    organisations::{self as orgs, Visibility},
    products,
    users::User,
};
use relais_types::{
    BulkResult, EventOut, MandateBulkAction, MandateIn, MandateOut, MandatePatch,
    MandateProductsIn, Page, Problem, ProductOut,
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

const RES: Resource = Resource::Mandates;
const RECORD: &str = "mandate";
/// At most this many products per mandate.
const MAX_PRODUCTS: usize = 200;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/mandates")
            .route(web::get().to(list_mandates))
            .route(web::post().to(create_mandate)),
    );
    cfg.service(web::resource("/mandates/bulk").route(web::post().to(bulk_mandates)));
    cfg.service(
        web::resource("/mandates/{id}")
            .route(web::get().to(get_mandate))
            .route(web::patch().to(update_mandate))
            .route(web::delete().to(delete_mandate)),
    );
    cfg.service(web::resource("/mandates/{id}/duplicate").route(web::post().to(duplicate_mandate)));
    cfg.service(web::resource("/mandates/{id}/restore").route(web::post().to(restore_mandate)));
    cfg.service(web::resource("/mandates/{id}/purge").route(web::post().to(purge_mandate)));
    cfg.service(web::resource("/mandates/{id}/history").route(web::get().to(mandate_history)));
    cfg.service(
        web::resource("/mandates/{id}/products")
            .route(web::get().to(list_mandate_products))
            .route(web::put().to(set_mandate_products)),
    );
    cfg.service(
        web::resource("/organisations/{id}/mandates")
            .route(web::get().to(list_organisation_mandates)),
    );
}

pub fn out(m: Mandate) -> MandateOut {
    MandateOut {
        id: m.id,
        status: MandateStatus::from_code(&m.status).unwrap_or(MandateStatus::Draft),
        number: m.number,
        organisation_id: m.organisation_id,
        signed_at: m.signed_at,
        start_date: m.start_date,
        end_date: m.end_date,
        amount: m.amount,
        owner_id: m.owner_id,
        notes: m.notes,
        product_ids: m.product_ids,
        created_at: m.created_at,
        updated_at: m.updated_at,
        deleted_at: m.deleted_at,
    }
}

fn record_json(m: &Mandate) -> serde_json::Value {
    serde_json::to_value(out(m.clone())).unwrap_or_default()
}

fn owner_of(m: &Mandate) -> RecordOwner {
    RecordOwner {
        owner_id: m.owner_id.map(UserId),
        owner_team: m.owner_team_id.map(TeamId),
    }
}

fn status_of(m: &Mandate) -> MandateStatus {
    MandateStatus::from_code(&m.status).unwrap_or(MandateStatus::Draft)
}

/// Constraint violations that a concurrent request can still cause after our checks, as
/// field errors.
fn store_error(e: StoreError) -> ApiError {
    let field = match &e {
        StoreError::Conflict(c) if c == "mandates_number_key" => {
            return ApiError::field("number", "taken", "another mandate has this number");
        }
        StoreError::ForeignKey(c) => match c.as_str() {
            "mandates_organisation_fkey" => "organisation_id",
            "mandates_owner_fkey" => "owner_id",
            "mandate_products_product_fkey" => "product_ids",
            _ => return e.into(),
        },
        _ => return e.into(),
    };
    ApiError::field(field, "not_found", "no such record")
}

/// Load a live mandate the caller may `action`; anything they cannot read is 404 (no
/// existence leak). `lock` holds the row until the transaction ends (writes).
async fn load(
    tx: &TenantTx,
    p: &Principal,
    id: Uuid,
    action: Action,
    lock: bool,
) -> ApiResult<Mandate> {
    let found = if lock {
        store::find_for_update(&**tx, p.tenant_uuid(), id).await?
    } else {
        store::find(&**tx, p.tenant_uuid(), id).await?
    };
    let m = found
        .filter(|m| m.deleted_at.is_none())
        .ok_or(ApiError::NotFound)?;
    if !p
        .grants
        .authorize(&p.subject(), RES, Action::Read, Some(&owner_of(&m)))
    {
        return Err(ApiError::NotFound);
    }
    p.require_record(RES, action, &owner_of(&m))?;
    Ok(m)
}

/// The live organisation `id` if the caller may read it.
async fn readable_organisation(
    tx: &TenantTx,
    p: &Principal,
    id: Uuid,
) -> ApiResult<Option<orgs::Organisation>> {
    let Some(o) = orgs::find(&**tx, p.tenant_uuid(), id)
        .await?
        .filter(|o| o.deleted_at.is_none())
    else {
        return Ok(None);
    };
    let owner = RecordOwner {
        owner_id: o.owner_id.map(UserId),
        owner_team: o.owner_team_id.map(TeamId),
    };
    Ok(p.grants
        .authorize(
            &p.subject(),
            Resource::Organisations,
            Action::Read,
            Some(&owner),
        )
        .then_some(o))
}

/// The mandate's organisation must exist and be readable by the caller.
async fn check_organisation(tx: &TenantTx, p: &Principal, id: Uuid) -> ApiResult<()> {
    match readable_organisation(tx, p, id).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::field(
            "organisation_id",
            "not_found",
            "no such organisation",
        )),
    }
}

/// Sorted, de-duplicated product ids that all name live products of the tenant.
async fn check_products(tx: &TenantTx, p: &Principal, ids: &[Uuid]) -> ApiResult<Vec<Uuid>> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    if ids.len() > MAX_PRODUCTS {
        return Err(ApiError::field(
            "product_ids",
            "too_many",
            format!("at most {MAX_PRODUCTS} products"),
        ));
    }
    if ids.is_empty() {
        return Ok(ids);
    }
    let found = products::find_live(&**tx, p.tenant_uuid(), &ids).await?;
    let missing: Vec<String> = ids
        .iter()
        .filter(|id| !found.iter().any(|f| f.id == **id))
        .map(Uuid::to_string)
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::field(
            "product_ids",
            "not_found",
            format!("unknown products: {}", missing.join(", ")),
        ));
    }
    Ok(ids)
}

/// The new owner must exist in the tenant and fall within the caller's scope for `action`.
async fn check_owner(
    tx: &TenantTx,
    p: &Principal,
    owner: Option<Uuid>,
    action: Action,
) -> ApiResult<()> {
    let team = match owner {
        None => None,
        Some(o) => {
            let u = User::find(&**tx, p.tenant_uuid(), o)
                .await?
                .filter(|u| u.active)
                .ok_or_else(|| ApiError::field("owner_id", "not_found", "no such active user"))?;
            u.team_id
        }
    };
    let rec = RecordOwner {
        owner_id: owner.map(UserId),
        owner_team: team.map(TeamId),
    };
    if !p.grants.authorize(&p.subject(), RES, action, Some(&rec)) {
        return Err(ApiError::field(
            "owner_id",
            "out_of_scope",
            "you cannot give a record to someone outside your scope",
        ));
    }
    Ok(())
}

/// The number must not be used by another mandate of the tenant (trash included).
async fn check_number_free(tx: &TenantTx, p: &Principal, number: &str) -> ApiResult<()> {
    if store::number_taken(&**tx, p.tenant_uuid(), number).await? {
        return Err(ApiError::field(
            "number",
            "taken",
            "another mandate has this number",
        ));
    }
    Ok(())
}

/// Cross-field rules, checked on the record as it will be written.
fn check_consistency(v: &mut Validator, status: MandateStatus, f: &MandateFields) {
    if let (Some(s), Some(e)) = (f.start_date, f.end_date)
        && e < s
    {
        v.push(
            "end_date",
            "before_start",
            "the end date is before the start date",
        );
    }
    match status {
        MandateStatus::Draft | MandateStatus::Proposed if f.signed_at.is_some() => v.push(
            "signed_at",
            "not_signed",
            "a draft or proposed mandate has no signature date",
        ),
        MandateStatus::Signed | MandateStatus::Active if f.signed_at.is_none() => v.push(
            "signed_at",
            "required",
            "a signed or active mandate has a signature date",
        ),
        _ => {}
    }
}

/// Create a mandate with an organisation the caller can read. Without `number`, the next
/// number of the current year is generated (`M-2026-001`), atomically; a given number must be
/// free (`taken` otherwise). A mandate created `signed` gets `signed_at` (now unless given) and
/// a `mandate.signed` event. Send `Idempotency-Key` to make retries safe.
#[utoipa::path(post, path = "/api/v1/mandates", tag = "mandates",
    operation_id = "v1.mandate.create", security(("bearer" = [])),
    request_body = MandateIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses(
        (status = 201, description = "Created", body = MandateOut, headers(("ETag" = String), ("Location" = String))),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Same Idempotency-Key still in flight", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input: unknown organisation or products, number taken…", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_mandate(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    body: JsonBytes<MandateIn>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Create)?;
    let input = body.value;
    idempotency::run(&state, &p, &req, &body.raw, || async {
        let mut v = Validator::new();
        let number = input
            .number
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .and_then(|n| v.check("number", parse_mandate_number(n)));
        let status = input.status.unwrap_or(MandateStatus::Draft);
        let amount = input
            .amount
            .and_then(|a| v.check("amount", crm::check_amount(a)));
        let notes = v
            .check("notes", crm::optional_text(input.notes.as_deref(), 20_000))
            .flatten();
        let signed_at = match status {
            MandateStatus::Signed | MandateStatus::Active => {
                Some(input.signed_at.unwrap_or_else(Utc::now))
            }
            _ => input.signed_at,
        };
        let owner = Some(input.owner_id.unwrap_or(p.user.id));
        let mut fields = MandateFields {
            number: number.clone().unwrap_or_default(),
            organisation_id: input.organisation_id,
            status: status.code().into(),
            signed_at,
            start_date: input.start_date,
            end_date: input.end_date,
            amount,
            owner_id: owner,
            notes,
        };
        check_consistency(&mut v, status, &fields);
        v.finish()?;
        let tenant = p.tenant_uuid();
        let tx = state.db.tenant_tx(p.tenant).await?;
        check_organisation(&tx, &p, input.organisation_id).await?;
        check_owner(&tx, &p, owner, Action::Create).await?;
        let product_ids = check_products(&tx, &p, &input.product_ids).await?;
        match &number {
            Some(n) => check_number_free(&tx, &p, n).await?,
            None => fields.number = store::next_number(&*tx, tenant).await?,
        }
        let mut m = store::insert(&*tx, tenant, &fields)
            .await
            .map_err(store_error)?;
        if !product_ids.is_empty() {
            m = store::set_products(&*tx, tenant, m.id, &product_ids)
                .await
                .map_err(store_error)?;
        }
        let after = record_json(&m);
        events::record(
            &*tx,
            tenant,
            "mandate.created",
            RECORD,
            m.id,
            actor(&p),
            None,
            Some(&after),
        )
        .await?;
        if status == MandateStatus::Signed {
            events::record(
                &*tx,
                tenant,
                "mandate.signed",
                RECORD,
                m.id,
                actor(&p),
                None,
                Some(&after),
            )
            .await?;
        }
        tx.commit().await?;
        let etag = http::etag(m.id, m.updated_at);
        let loc = format!("/api/v1/mandates/{}", m.id);
        Ok(http::created(&out(m), &loc, &etag))
    })
    .await
}

/// Read a mandate.
#[utoipa::path(get, path = "/api/v1/mandates/{id}", tag = "mandates",
    operation_id = "v1.mandate.get", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Mandate id")),
    responses(
        (status = 200, description = "The mandate", body = MandateOut, headers(("ETag" = String))),
        (status = 404, description = "No such mandate (or not visible to you)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_mandate(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Read)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let m = load(&tx, &p, *id, Action::Read, false).await?;
    tx.commit().await?;
    let etag = http::etag(m.id, m.updated_at);
    Ok(http::ok_with_etag(&out(m), &etag))
}

/// Apply a patch onto the current record: the status move must follow the flow; entering
/// `signed` stamps `signed_at` (now unless given).
fn merge(current: &Mandate, patch: &MandatePatch) -> ApiResult<(MandateFields, MandateStatus)> {
    let mut f = MandateFields::from(current);
    let mut v = Validator::new();
    let from = status_of(current);
    if let Some(n) = &patch.number
        && let Some(n) = v.check("number", parse_mandate_number(n))
    {
        f.number = n;
    }
    if let Some(o) = patch.organisation_id {
        f.organisation_id = o;
    }
    let to = patch.status.unwrap_or(from);
    if let Err(e) = from.check_transition(to) {
        v.push("status", "invalid_transition", e.to_string());
    }
    f.status = to.code().into();
    if let Some(s) = patch.signed_at {
        f.signed_at = s;
    }
    if to == MandateStatus::Signed && from != MandateStatus::Signed {
        f.signed_at = patch.signed_at.flatten().or_else(|| Some(Utc::now()));
    }
    if let Some(d) = patch.start_date {
        f.start_date = d;
    }
    if let Some(d) = patch.end_date {
        f.end_date = d;
    }
    if let Some(a) = patch.amount {
        f.amount = a.and_then(|a| v.check("amount", crm::check_amount(a)));
    }
    if let Some(o) = patch.owner_id {
        f.owner_id = o;
    }
    if let Some(n) = &patch.notes {
        f.notes = v
            .check("notes", crm::optional_text(n.as_deref(), 20_000))
            .flatten();
    }
    check_consistency(&mut v, to, &f);
    v.finish()?;
    Ok((f, to))
}

/// Change a mandate. Requires `If-Match`. A `status` change must follow the flow: draft →
/// proposed → signed → active → terminated, draft → signed, proposed → draft, and anything
/// but terminated → terminated; other moves are 422 with field error `invalid_transition`.
/// Entering `signed` sets `signed_at` and records `mandate.signed` besides `mandate.updated`.
#[utoipa::path(patch, path = "/api/v1/mandates/{id}", tag = "mandates",
    operation_id = "v1.mandate.update", security(("bearer" = [])),
    request_body = MandatePatch,
    params(("id" = Uuid, Path, description = "Mandate id"),
           ("If-Match" = String, Header, description = "ETag from the last read")),
    responses(
        (status = 200, description = "Updated", body = MandateOut, headers(("ETag" = String))),
        (status = 404, description = "No such mandate", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input or status move", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_mandate(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<MandatePatch>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Update)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let current = load(&tx, &p, *id, Action::Update, true).await?;
    check_if_match(&req, &http::etag(current.id, current.updated_at))?;
    let (fields, to) = merge(&current, &body.0)?;
    if fields.number != current.number {
        check_number_free(&tx, &p, &fields.number).await?;
    }
    if fields.organisation_id != current.organisation_id {
        check_organisation(&tx, &p, fields.organisation_id).await?;
    }
    if fields.owner_id != current.owner_id {
        check_owner(&tx, &p, fields.owner_id, Action::Update).await?;
    }
    let updated = update_in(&tx, &p, &current, &fields, to).await?;
    tx.commit().await?;
    let etag = http::etag(updated.id, updated.updated_at);
    Ok(http::ok_with_etag(&out(updated), &etag))
}

/// Write `fields` (whose status is `to`) over `current` and record `mandate.updated`, plus
/// `mandate.signed` when the mandate enters `signed`.
async fn update_in(
    tx: &TenantTx,
    p: &Principal,
    current: &Mandate,
    fields: &MandateFields,
    to: MandateStatus,
) -> ApiResult<Mandate> {
    let tenant = p.tenant_uuid();
    let updated = store::update(&**tx, tenant, current.id, fields)
        .await
        .map_err(store_error)?;
    let (before, after) = (record_json(current), record_json(&updated));
    events::record(
        &**tx,
        tenant,
        "mandate.updated",
        RECORD,
        updated.id,
        actor(p),
        Some(&before),
        Some(&after),
    )
    .await?;
    if to == MandateStatus::Signed && status_of(current) != MandateStatus::Signed {
        events::record(
            &**tx,
            tenant,
            "mandate.signed",
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

/// Move a mandate to the trash. An administrator can restore it for 30 days.
#[utoipa::path(delete, path = "/api/v1/mandates/{id}", tag = "mandates",
    operation_id = "v1.mandate.delete", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Mandate id")),
    responses(
        (status = 204, description = "In the trash"),
        (status = 404, description = "No such mandate", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_mandate(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Delete)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let current = load(&tx, &p, *id, Action::Delete, true).await?;
    http::check_if_match_optional(&req, &http::etag(current.id, current.updated_at))?;
    delete_in(&tx, &p, &current).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn delete_in(tx: &TenantTx, p: &Principal, current: &Mandate) -> ApiResult<()> {
    let tenant = p.tenant_uuid();
    store::soft_delete(&**tx, tenant, current.id, Some(p.user.id)).await?;
    events::record(
        &**tx,
        tenant,
        "mandate.deleted",
        RECORD,
        current.id,
        actor(p),
        Some(&record_json(current)),
        None,
    )
    .await?;
    Ok(())
}

/// Copy a mandate as a new draft: the next generated number of the year, the same
/// organisation (which must still be live and readable, 422 otherwise), dates, amount, notes
/// and covered products (those still live), no signature date, owned by the caller.
#[utoipa::path(post, path = "/api/v1/mandates/{id}/duplicate", tag = "mandates",
    operation_id = "v1.mandate.duplicate", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Mandate id")),
    responses(
        (status = 201, description = "The copy", body = MandateOut, headers(("ETag" = String), ("Location" = String))),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such mandate", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The organisation is gone", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn duplicate_mandate(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Create)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let src = load(&tx, &p, *id, Action::Read, false).await?;
    check_organisation(&tx, &p, src.organisation_id).await?;
    let mut fields = MandateFields::from(&src);
    fields.number = store::next_number(&*tx, tenant).await?;
    fields.status = MandateStatus::Draft.code().into();
    fields.signed_at = None;
    fields.owner_id = Some(p.user.id);
    let products: Vec<Uuid> = products::find_live(&*tx, tenant, &src.product_ids)
        .await?
        .into_iter()
        .map(|x| x.id)
        .collect();
    let mut copy = store::insert(&*tx, tenant, &fields)
        .await
        .map_err(store_error)?;
    if !products.is_empty() {
        let mut ids = products;
        ids.sort();
        copy = store::set_products(&*tx, tenant, copy.id, &ids)
            .await
            .map_err(store_error)?;
    }
    events::record(
        &*tx,
        tenant,
        "mandate.created",
        RECORD,
        copy.id,
        actor(&p),
        None,
        Some(&record_json(&copy)),
    )
    .await?;
    tx.commit().await?;
    let etag = http::etag(copy.id, copy.updated_at);
    let loc = format!("/api/v1/mandates/{}", copy.id);
    Ok(http::created(&out(copy), &loc, &etag))
}

/// Apply one action to many mandates: all succeed or nothing changes. `assign_owner` gives
/// them to `owner_id` (within your scope); `change_status` moves each one to `status`, which
/// must be allowed by the flow for every mandate (otherwise 422 with one `invalid_transition`
/// error per refused mandate, and nothing changes; entering `signed` stamps `signed_at` and
/// records `mandate.signed`); `delete` moves them to the trash. Every mandate is checked
/// against your permissions; one refusal or unknown id rejects the batch. `affected` counts
/// the mandates that actually changed.
#[utoipa::path(post, path = "/api/v1/mandates/bulk", tag = "mandates",
    operation_id = "v1.mandate.bulk", security(("bearer" = [])), request_body = MandateBulkAction,
    responses(
        (status = 200, description = "Done", body = BulkResult),
        (status = 403, description = "A mandate is outside your permissions", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid action, owner, status move, or unknown ids", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn bulk_mandates(
    state: web::Data<AppState>,
    auth: Auth,
    body: Json<MandateBulkAction>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let action = body.0;
    let (ids, perm) = match &action {
        MandateBulkAction::Delete { ids } => (ids.clone(), Action::Delete),
        MandateBulkAction::AssignOwner { ids, .. }
        | MandateBulkAction::ChangeStatus { ids, .. } => (ids.clone(), Action::Update),
    };
    p.require(RES, perm)?;
    let ids = bulk_ids(ids)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let rows = store::find_many_for_update(&*tx, tenant, &ids).await?;
    let visible: Vec<Mandate> = rows
        .into_iter()
        .filter(|m| {
            p.grants
                .authorize(&p.subject(), RES, Action::Read, Some(&owner_of(m)))
        })
        .collect();
    if visible.len() != ids.len() {
        return Err(unknown_ids(&ids, visible.iter().map(|m| m.id)));
    }
    for m in &visible {
        p.require_record(RES, perm, &owner_of(m))?;
    }
    // Work out every change first, so one refused record leaves all of them untouched.
    let mut changes: Vec<(&Mandate, MandateFields, MandateStatus)> = Vec::new();
    match &action {
        MandateBulkAction::Delete { .. } => {}
        MandateBulkAction::AssignOwner { owner_id, .. } => {
            check_owner(&tx, &p, Some(*owner_id), Action::Update).await?;
            for m in visible.iter().filter(|m| m.owner_id != Some(*owner_id)) {
                let mut f = MandateFields::from(m);
                f.owner_id = Some(*owner_id);
                changes.push((m, f, status_of(m)));
            }
        }
        MandateBulkAction::ChangeStatus { status: to, .. } => {
            let mut v = Validator::new();
            for m in visible.iter().filter(|m| status_of(m) != *to) {
                let from = status_of(m);
                if let Err(e) = from.check_transition(*to) {
                    v.push("status", "invalid_transition", format!("{}: {e}", m.number));
                    continue;
                }
                let mut f = MandateFields::from(m);
                f.status = to.code().into();
                if *to == MandateStatus::Signed {
                    f.signed_at = Some(Utc::now());
                }
                let mut one = Validator::new();
                check_consistency(&mut one, *to, &f);
                if let Err(ApiError::Validation(errors)) = one.finish() {
                    for e in errors {
                        v.push(&e.field, &e.code, format!("{}: {}", m.number, e.message));
                    }
                    continue;
                }
                changes.push((m, f, *to));
            }
            v.finish()?;
        }
    }
    let affected = if let MandateBulkAction::Delete { .. } = &action {
        for m in &visible {
            delete_in(&tx, &p, m).await?;
        }
        visible.len() as u64
    } else {
        for (m, f, to) in &changes {
            update_in(&tx, &p, m, f, *to).await?;
        }
        changes.len() as u64
    };
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(BulkResult { affected }))
}

/// Take a mandate out of the trash (within 30 days of its deletion).
#[utoipa::path(post, path = "/api/v1/mandates/{id}/restore", tag = "mandates",
    operation_id = "v1.mandate.restore", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Mandate id")),
    responses(
        (status = 200, description = "Restored", body = MandateOut),
        (status = 403, description = "Not allowed (needs manage)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not in the trash, or deleted more than 30 days ago", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn restore_mandate(
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
        "mandate.restored",
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

/// Erase a mandate for good (live or in the trash), with its list of covered products. Its
/// history stays.
#[utoipa::path(post, path = "/api/v1/mandates/{id}/purge", tag = "mandates",
    operation_id = "v1.mandate.purge", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Mandate id")),
    responses(
        (status = 204, description = "Erased"),
        (status = 403, description = "Not allowed (needs manage)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such mandate", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn purge_mandate(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Manage)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let current = store::find_for_update(&*tx, tenant, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    p.require_record(RES, Action::Manage, &owner_of(&current))
        .map_err(|_| ApiError::NotFound)?;
    let files =
        crate::routes::documents::purge_attached(&tx, &state, tenant, "mandate", *id).await?;
    store::purge(&*tx, tenant, *id).await?;
    events::record(
        &*tx,
        tenant,
        "mandate.purged",
        RECORD,
        current.id,
        actor(&p),
        Some(&record_json(&current)),
        None,
    )
    .await?;
    tx.commit().await?;
    crate::routes::documents::remove_files(files).await;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MandateHistoryQuery {
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// The mandate's history, newest first: every change (including `mandate.signed` and changes
/// of the covered products) with who, when, and before/after values.
#[utoipa::path(get, path = "/api/v1/mandates/{id}/history", tag = "mandates",
    operation_id = "v1.mandate.history", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Mandate id"), MandateHistoryQuery),
    responses(
        (status = 200, description = "Events", body = Page<EventOut>),
        (status = 404, description = "No such mandate", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn mandate_history(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    query: web::Query<MandateHistoryQuery>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Read)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    load(&tx, &p, *id, Action::Read, false).await?;
    crate::records::history_page(tx, &p, RECORD, *id, query.limit, query.cursor.as_deref()).await
}

/// The products a mandate covers.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct MandateProducts {
    /// Sorted by name; a product deleted since it was attached shows its `deleted_at`.
    pub items: Vec<ProductOut>,
}

/// The products a mandate covers.
#[utoipa::path(get, path = "/api/v1/mandates/{id}/products", tag = "mandates",
    operation_id = "v1.mandate.products.list", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Mandate id")),
    responses(
        (status = 200, description = "The covered products", body = MandateProducts, headers(("ETag" = String))),
        (status = 403, description = "Not allowed to read products", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such mandate", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_mandate_products(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Read)?;
    p.require(Resource::Products, Action::Read)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let m = load(&tx, &p, *id, Action::Read, false).await?;
    let items = store::products_of(&*tx, tenant, m.id).await?;
    tx.commit().await?;
    let etag = http::etag(m.id, m.updated_at);
    Ok(http::ok_with_etag(
        &MandateProducts {
            items: items.into_iter().map(product_out).collect(),
        },
        &etag,
    ))
}

/// Replace the set of products a mandate covers. Every id must name a live product of the
/// firm (422 `not_found` on `product_ids` otherwise, and nothing changes). `If-Match` with
/// the mandate's ETag is checked when sent. Recorded as `mandate.updated` (field
/// `product_ids`).
#[utoipa::path(put, path = "/api/v1/mandates/{id}/products", tag = "mandates",
    operation_id = "v1.mandate.products.set", security(("bearer" = [])),
    request_body = MandateProductsIn,
    params(("id" = Uuid, Path, description = "Mandate id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the mandate from the last read")),
    responses(
        (status = 200, description = "The covered products now", body = MandateProducts, headers(("ETag" = String))),
        (status = 404, description = "No such mandate", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The mandate changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown products", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_mandate_products(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<MandateProductsIn>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Update)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let current = load(&tx, &p, *id, Action::Update, true).await?;
    http::check_if_match_optional(&req, &http::etag(current.id, current.updated_at))?;
    let ids = check_products(&tx, &p, &body.0.product_ids).await?;
    let updated = if ids == current.product_ids {
        current
    } else {
        let updated = store::set_products(&*tx, tenant, current.id, &ids)
            .await
            .map_err(store_error)?;
        events::record(
            &*tx,
            tenant,
            "mandate.updated",
            RECORD,
            updated.id,
            actor(&p),
            Some(&record_json(&current)),
            Some(&record_json(&updated)),
        )
        .await?;
        updated
    };
    let items = store::products_of(&*tx, tenant, updated.id).await?;
    tx.commit().await?;
    let etag = http::etag(updated.id, updated.updated_at);
    Ok(http::ok_with_etag(
        &MandateProducts {
            items: items.into_iter().map(product_out).collect(),
        },
        &etag,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MandateQuery {
    /// Page size, 1–200 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page (only valid with the same `sort`).
    pub cursor: Option<String>,
    /// Comma-separated fields, `-` for descending: number, created_at, updated_at, amount,
    /// start_date. Default `-created_at` (newest first).
    pub sort: Option<String>,
    /// Comma-separated statuses (draft, proposed, signed, active, terminated).
    pub status: Option<String>,
    pub organisation_id: Option<Uuid>,
    /// A user id, or `me`.
    pub owner_id: Option<String>,
    /// Mandates covering this product.
    pub product_id: Option<Uuid>,
    pub signed_from: Option<DateTime<Utc>>,
    pub signed_to: Option<DateTime<Utc>>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    /// Part of the number.
    pub q: Option<String>,
    /// `true` lists the trash (needs the manage permission).
    pub deleted: Option<bool>,
    /// `true` adds `total` to the answer.
    pub count: Option<bool>,
}

/// A page of mandates with `total` when `count=true`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct MandatePage {
    pub items: Vec<MandateOut>,
    pub next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

fn statuses(v: &mut Validator, raw: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    for c in raw
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        match MandateStatus::from_code(c) {
            Some(s) => out.push(s.code().to_owned()),
            None => v.push("status", "invalid_choice", format!("unknown value {c:?}")),
        }
    }
    out
}

/// How a list is cut into pages.
struct Paging<'a> {
    sort: String,
    cursor: Option<&'a str>,
    limit: u64,
    count: bool,
}

/// Run a mandate list query: sort, cursor, scope, and `limit + 1` rows to know if there is more.
async fn run_list(
    state: &AppState,
    p: &Principal,
    vis: Visibility,
    filter: &MandateFilter,
    paging: Paging<'_>,
) -> ApiResult<MandatePage> {
    let Paging {
        sort: sort_text,
        cursor,
        limit,
        count,
    } = paging;
    let sort = store::parse_sort(&sort_text)
        .map_err(|f| ApiError::field("sort", "invalid_sort", format!("cannot sort by {f:?}")))?;
    let after = SortCursor::decode(cursor, &sort_text, sort.len())?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let mut rows = store::list(
        &*tx,
        tenant,
        vis,
        filter,
        &sort,
        after.as_ref().map(|c| (c.k.as_slice(), c.id)),
        limit + 1,
    )
    .await?;
    let total = if count {
        Some(store::count(&*tx, tenant, vis, filter).await?)
    } else {
        None
    };
    tx.commit().await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|(m, k)| {
            SortCursor {
                s: sort_text.clone(),
                k: k.clone(),
                id: m.id,
            }
            .encode()
        })
    } else {
        None
    };
    Ok(MandatePage {
        items: rows.into_iter().map(|(m, _)| out(m)).collect(),
        next_cursor,
        total,
    })
}

/// The validated list filters of a query (also what an export of the list uses).
pub(crate) fn list_filter(
    p: &Principal,
    q: &MandateQuery,
    deleted: bool,
) -> ApiResult<MandateFilter> {
    let mut v = Validator::new();
    let owner_id = match q.owner_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("me") => Some(p.user.id),
        Some(s) => match s.parse() {
            Ok(id) => Some(id),
            Err(_) => {
                v.push("owner_id", "invalid_id", "a user id or `me`");
                None
            }
        },
    };
    let filter = MandateFilter {
        statuses: statuses(&mut v, q.status.as_deref()),
        organisation_id: q.organisation_id,
        owner_id,
        product_id: q.product_id,
        signed_from: q.signed_from,
        signed_to: q.signed_to,
        created_from: q.created_from,
        created_to: q.created_to,
        q: q.q
            .as_deref()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
        deleted,
    };
    v.finish()?;
    Ok(filter)
}

/// List mandates the caller may read, filtered and sorted, in pages.
#[utoipa::path(get, path = "/api/v1/mandates", tag = "mandates",
    operation_id = "v1.mandate.list", security(("bearer" = [])), params(MandateQuery),
    responses(
        (status = 200, description = "A page", body = MandatePage),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter, sort or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_mandates(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<MandateQuery>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let q = query.into_inner();
    let deleted = q.deleted.unwrap_or(false);
    let scope = if deleted {
        p.require(RES, Action::Manage)?
    } else {
        p.require(RES, Action::Read)?
    };
    let limit = http::page_limit(q.limit)?;
    let filter = list_filter(&p, &q, deleted)?;
    let page = run_list(
        &state,
        &p,
        visibility(&p, scope),
        &filter,
        Paging {
            sort: q.sort.unwrap_or_else(|| "-created_at".into()),
            cursor: q.cursor.as_deref(),
            limit,
            count: q.count == Some(true),
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganisationMandatesQuery {
    /// Page size, 1–200 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page (only valid with the same `sort`).
    pub cursor: Option<String>,
    /// As for `/mandates`. Default `-created_at`.
    pub sort: Option<String>,
    /// Comma-separated statuses.
    pub status: Option<String>,
}

/// The mandates of an organisation (its "mandates" tab) that the caller may read.
#[utoipa::path(get, path = "/api/v1/organisations/{id}/mandates", tag = "mandates",
    operation_id = "v1.organisation.mandates", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id"), OrganisationMandatesQuery),
    responses(
        (status = 200, description = "A page", body = MandatePage),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation (or not visible to you)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter, sort or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_organisation_mandates(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    query: web::Query<OrganisationMandatesQuery>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let scope = p.require(RES, Action::Read)?;
    p.require(Resource::Organisations, Action::Read)?;
    let q = query.into_inner();
    let limit = http::page_limit(q.limit)?;
    let mut v = Validator::new();
    let filter = MandateFilter {
        statuses: statuses(&mut v, q.status.as_deref()),
        organisation_id: Some(*id),
        ..MandateFilter::default()
    };
    v.finish()?;
    {
        let tx = state.db.tenant_tx(p.tenant).await?;
        let org = readable_organisation(&tx, &p, *id).await?;
        tx.commit().await?;
        org.ok_or(ApiError::NotFound)?;
    }
    let page = run_list(
        &state,
        &p,
        visibility(&p, scope),
        &filter,
        Paging {
            sort: q.sort.unwrap_or_else(|| "-created_at".into()),
            cursor: q.cursor.as_deref(),
            limit,
            count: false,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn fields() -> MandateFields {
        MandateFields {
            number: "M-2026-001".into(),
            organisation_id: Uuid::now_v7(),
            status: "draft".into(),
            signed_at: None,
            start_date: NaiveDate::from_ymd_opt(2026, 1, 1),
            end_date: NaiveDate::from_ymd_opt(2026, 12, 31),
            amount: None,
            owner_id: None,
            notes: None,
        }
    }

    #[test]
    fn consistency_rules() {
        let mut v = Validator::new();
        check_consistency(&mut v, MandateStatus::Draft, &fields());
        assert!(v.finish().is_ok());
        let mut f = fields();
        f.end_date = NaiveDate::from_ymd_opt(2025, 12, 31);
        f.signed_at = Some(Utc::now());
        let mut v = Validator::new();
        check_consistency(&mut v, MandateStatus::Proposed, &f);
        let Err(ApiError::Validation(errors)) = v.finish() else {
            panic!("expected errors")
        };
        let codes: Vec<_> = errors.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, ["before_start", "not_signed"]);
        let mut v = Validator::new();
        check_consistency(&mut v, MandateStatus::Active, &fields());
        assert!(v.finish().is_err(), "an active mandate needs signed_at");
    }
}
