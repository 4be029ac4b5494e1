//! Organisations (SPEC CRM-1, CRM-7…10): CRUD with ETags, filtered and sorted lists with
//! keyset cursors, pipeline moves with history, bulk actions, duplication, soft delete with
//! restore and purge, and the per-record event history.

use crate::{
    ApiResult, AppState,
    auth::{Auth, Principal},
    error::{ApiError, Validator},
    extract::{Json, JsonBytes},
    http::{self, check_if_match},
    idempotency,
    records::{SortCursor, actor, visibility},
};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use relais_domain::{
    Action, EmailAddress, PersonName, RecordOwner, Resource, TeamId, UserId,
    crm::{self, Category, OrganisationType, PipelineStage},
};
use relais_store::{
    TenantTx, events,
    organisations::{self as store, OrgFields, OrgFilter, Organisation},
    users::User,
};
use relais_types::{
    BulkAction, BulkResult, EventOut, OrganisationIn, OrganisationOut, OrganisationPatch, Page,
    Problem,
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

const RES: Resource = Resource::Organisations;
const RECORD: &str = "organisation";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/organisations")
            .route(web::get().to(list_organisations))
            .route(web::post().to(create_organisation)),
    );
    cfg.service(web::resource("/organisations/bulk").route(web::post().to(bulk_organisations)));
    cfg.service(
        web::resource("/organisations/{id}")
            .route(web::get().to(get_organisation))
            .route(web::patch().to(update_organisation))
            .route(web::delete().to(delete_organisation)),
    );
    cfg.service(
        web::resource("/organisations/{id}/duplicate")
            .route(web::post().to(duplicate_organisation)),
    );
    cfg.service(
        web::resource("/organisations/{id}/restore").route(web::post().to(restore_organisation)),
    );
    cfg.service(
        web::resource("/organisations/{id}/purge").route(web::post().to(purge_organisation)),
    );
    cfg.service(
        web::resource("/organisations/{id}/history").route(web::get().to(organisation_history)),
    );
}

pub fn out(o: Organisation) -> OrganisationOut {
    OrganisationOut {
        id: o.id,
        type_: OrganisationType::from_code(&o.org_type).unwrap_or(OrganisationType::Investor),
        category: o.category.as_deref().and_then(Category::from_code),
        pipeline_stage: PipelineStage::from_code(&o.pipeline_stage)
            .unwrap_or(PipelineStage::Prospect),
        name: o.name,
        stage_changed_at: o.stage_changed_at,
        email: o.email,
        phone: o.phone,
        website: o.website,
        address: o.address,
        city: o.city,
        postcode: o.postcode,
        country: o.country,
        notes: o.notes,
        owner_id: o.owner_id,
        active: o.active,
        expected_amount: o.expected_amount,
        tags: o.tags,
        last_contact_at: o.last_contact_at,
        created_at: o.created_at,
        updated_at: o.updated_at,
        deleted_at: o.deleted_at,
    }
}

fn record_json(o: &Organisation) -> serde_json::Value {
    serde_json::to_value(out(o.clone())).unwrap_or_default()
}

fn owner_of(o: &Organisation) -> RecordOwner {
    RecordOwner {
        owner_id: o.owner_id.map(UserId),
        owner_team: o.owner_team_id.map(TeamId),
    }
}

/// Load a live record the caller may `action`; anything else is 404 (no existence leak).
async fn load(tx: &TenantTx, p: &Principal, id: Uuid, action: Action) -> ApiResult<Organisation> {
    let o = store::find(&**tx, p.tenant_uuid(), id)
        .await?
        .filter(|o| o.deleted_at.is_none())
        .ok_or(ApiError::NotFound)?;
    if !p
        .grants
        .authorize(&p.subject(), RES, Action::Read, Some(&owner_of(&o)))
    {
        return Err(ApiError::NotFound);
    }
    p.require_record(RES, action, &owner_of(&o))?;
    Ok(o)
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

/// Validated text fields shared by create and update.
struct Contact {
    email: Option<String>,
    phone: Option<String>,
    website: Option<String>,
    address: Option<String>,
    city: Option<String>,
    postcode: Option<String>,
    country: Option<String>,
    notes: Option<String>,
}

fn opt<T>(
    v: &mut Validator,
    field: &str,
    r: Result<Option<T>, relais_domain::ValueError>,
) -> Option<T> {
    v.check(field, r).flatten()
}

fn nonempty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

fn contact(v: &mut Validator, raw: [Option<&str>; 8]) -> Contact {
    let [
        email,
        phone,
        website,
        address,
        city,
        postcode,
        country,
        notes,
    ] = raw;
    Contact {
        email: opt(
            v,
            "email",
            nonempty(email)
                .map(|e| EmailAddress::parse(e).map(String::from))
                .transpose(),
        ),
        phone: opt(
            v,
            "phone",
            nonempty(phone).map(crm::parse_phone).transpose(),
        ),
        website: opt(
            v,
            "website",
            nonempty(website).map(crm::parse_website).transpose(),
        ),
        address: opt(v, "address", crm::optional_text(address, 500)),
        city: opt(v, "city", crm::optional_text(city, 120)),
        postcode: opt(v, "postcode", crm::optional_text(postcode, 20)),
        country: opt(
            v,
            "country",
            nonempty(country).map(crm::parse_country).transpose(),
        ),
        notes: opt(v, "notes", crm::optional_text(notes, 20_000)),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgQuery {
    /// Page size, 1–200 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page (only valid with the same `sort`).
    pub cursor: Option<String>,
    /// Comma-separated fields, `-` for descending: name, created_at, updated_at,
    /// expected_amount, city, pipeline_stage, stage_changed_at. Default `name`.
    pub sort: Option<String>,
    /// Comma-separated types (investor, supplier, distributor, issuer).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub type_: Option<String>,
    /// Comma-separated categories.
    pub category: Option<String>,
    /// Comma-separated pipeline stages.
    pub stage: Option<String>,
    pub city: Option<String>,
    /// A user id, or `me`.
    pub owner_id: Option<String>,
    pub tag: Option<String>,
    pub active: Option<bool>,
    /// No interaction for more than N days (or never).
    pub no_contact_days: Option<i32>,
    /// In an open stage for more than N days (pipeline alert).
    pub stuck_days: Option<i32>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub updated_from: Option<DateTime<Utc>>,
    pub updated_to: Option<DateTime<Utc>>,
    /// Part of the name.
    pub q: Option<String>,
    /// `true` lists the trash (needs the manage permission).
    pub deleted: Option<bool>,
    /// `true` adds `total` to the answer.
    pub count: Option<bool>,
}

fn codes<T>(
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

/// A page of organisations with `total` when `count=true`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct OrganisationPage {
    pub items: Vec<OrganisationOut>,
    pub next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

/// The validated list filters of a query (also what an export of the list uses).
pub(crate) fn list_filter(p: &Principal, q: &OrgQuery, deleted: bool) -> ApiResult<OrgFilter> {
    let mut v = Validator::new();
    let owner_id = match q.owner_id.as_deref() {
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
    for (field, n) in [
        ("no_contact_days", q.no_contact_days),
        ("stuck_days", q.stuck_days),
    ] {
        if n.is_some_and(|n| !(0..=36_500).contains(&n)) {
            v.push(field, "out_of_range", "between 0 and 36500");
        }
    }
    let filter = OrgFilter {
        types: codes(
            &mut v,
            "type",
            q.type_.as_deref(),
            OrganisationType::from_code,
        ),
        categories: codes(
            &mut v,
            "category",
            q.category.as_deref(),
            Category::from_code,
        ),
        stages: codes(
            &mut v,
            "stage",
            q.stage.as_deref(),
            PipelineStage::from_code,
        ),
        city: q.city.clone().filter(|c| !c.trim().is_empty()),
        owner_id,
        tag: q.tag.clone().filter(|t| !t.trim().is_empty()),
        active: q.active,
        no_contact_days: q.no_contact_days,
        created_from: q.created_from,
        created_to: q.created_to,
        updated_from: q.updated_from,
        updated_to: q.updated_to,
        q: q.q.clone().filter(|s| !s.trim().is_empty()),
        stuck_days: q.stuck_days,
        deleted,
    };
    v.finish()?;
    Ok(filter)
}

/// List organisations the caller may read, filtered and sorted, in pages.
#[utoipa::path(get, path = "/api/v1/organisations", tag = "organisations",
    operation_id = "v1.organisation.list", security(("bearer" = [])), params(OrgQuery),
    responses(
        (status = 200, description = "A page", body = OrganisationPage),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter, sort or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_organisations(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<OrgQuery>,
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
    let sort_text = q.sort.clone().unwrap_or_else(|| "name".into());
    let sort = store::parse_sort(&sort_text)
        .map_err(|f| ApiError::field("sort", "invalid_sort", format!("cannot sort by {f:?}")))?;
    let filter = list_filter(&p, &q, deleted)?;
    let after = SortCursor::decode(q.cursor.as_deref(), &sort_text, sort.len())?;
    let vis = visibility(&p, scope);
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
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
        rows.last().map(|(o, k)| {
            SortCursor {
                s: sort_text.clone(),
                k: k.clone(),
                id: o.id,
            }
            .encode()
        })
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(OrganisationPage {
        items: rows.into_iter().map(|(o, _)| out(o)).collect(),
        next_cursor,
        total,
    }))
}

/// Create an organisation. Send `Idempotency-Key` to make retries safe.
#[utoipa::path(post, path = "/api/v1/organisations", tag = "organisations",
    operation_id = "v1.organisation.create", security(("bearer" = [])),
    request_body = OrganisationIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses(
        (status = 201, description = "Created", body = OrganisationOut, headers(("ETag" = String), ("Location" = String))),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Same Idempotency-Key still in flight", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_organisation(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    body: JsonBytes<OrganisationIn>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Create)?;
    let input = body.value;
    idempotency::run(&state, &p, &req, &body.raw, || async {
        let mut v = Validator::new();
        let name = v.check("name", PersonName::parse(&input.name));
        let c = contact(
            &mut v,
            [
                input.email.as_deref(),
                input.phone.as_deref(),
                input.website.as_deref(),
                input.address.as_deref(),
                input.city.as_deref(),
                input.postcode.as_deref(),
                input.country.as_deref(),
                input.notes.as_deref(),
            ],
        );
        let amount = opt(
            &mut v,
            "expected_amount",
            input.expected_amount.map(crm::check_amount).transpose(),
        );
        let tags = v
            .check("tags", crm::parse_tags(&input.tags))
            .unwrap_or_default();
        v.finish()?;
        let owner = Some(input.owner_id.unwrap_or(p.user.id));
        let fields = OrgFields {
            name: name.map(String::from).unwrap_or_default(),
            org_type: input.type_.code().into(),
            category: input.category.map(|c| c.code().into()),
            pipeline_stage: input
                .pipeline_stage
                .unwrap_or(PipelineStage::Prospect)
                .code()
                .into(),
            email: c.email,
            phone: c.phone,
            website: c.website,
            address: c.address,
            city: c.city,
            postcode: c.postcode,
            country: c.country,
            notes: c.notes,
            owner_id: owner,
            active: input.active.unwrap_or(true),
            expected_amount: amount,
            tags,
        };
        let tx = state.db.tenant_tx(p.tenant).await?;
        check_owner(&tx, &p, owner, Action::Create).await?;
        let org = create_in(&tx, &p, &fields, "organisation.created").await?;
        tx.commit().await?;
        let etag = http::etag(org.id, org.updated_at);
        let loc = format!("/api/v1/organisations/{}", org.id);
        Ok(http::created(&out(org), &loc, &etag))
    })
    .await
}

async fn create_in(
    tx: &TenantTx,
    p: &Principal,
    fields: &OrgFields,
    event: &str,
) -> ApiResult<Organisation> {
    let tenant = p.tenant_uuid();
    let org = store::insert(&**tx, tenant, fields, Some(p.user.id)).await?;
    events::record(
        &**tx,
        tenant,
        event,
        RECORD,
        org.id,
        actor(p),
        None,
        Some(&record_json(&org)),
    )
    .await?;
    Ok(org)
}

/// Read an organisation.
#[utoipa::path(get, path = "/api/v1/organisations/{id}", tag = "organisations",
    operation_id = "v1.organisation.get", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id")),
    responses(
        (status = 200, description = "The organisation", body = OrganisationOut, headers(("ETag" = String))),
        (status = 404, description = "No such organisation (or not visible to you)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_organisation(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Read)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let o = load(&tx, &p, *id, Action::Read).await?;
    tx.commit().await?;
    let etag = http::etag(o.id, o.updated_at);
    Ok(http::ok_with_etag(&out(o), &etag))
}

/// Apply a patch onto the current record, validating what changes.
fn merge(current: &Organisation, patch: &OrganisationPatch) -> ApiResult<OrgFields> {
    let mut f = OrgFields::from(current);
    let mut v = Validator::new();
    if let Some(n) = &patch.name
        && let Some(n) = v.check("name", PersonName::parse(n))
    {
        f.name = n.into();
    }
    if let Some(t) = patch.type_ {
        f.org_type = t.code().into();
    }
    if let Some(c) = patch.category {
        f.category = c.map(|c| c.code().into());
    }
    if let Some(s) = patch.pipeline_stage {
        f.pipeline_stage = s.code().into();
    }
    let pick = |field: &Option<Option<String>>, cur: &Option<String>| -> Option<String> {
        match field {
            None => cur.clone(),
            Some(x) => x.clone(),
        }
    };
    let c = contact(
        &mut v,
        [
            pick(&patch.email, &f.email).as_deref(),
            pick(&patch.phone, &f.phone).as_deref(),
            pick(&patch.website, &f.website).as_deref(),
            pick(&patch.address, &f.address).as_deref(),
            pick(&patch.city, &f.city).as_deref(),
            pick(&patch.postcode, &f.postcode).as_deref(),
            pick(&patch.country, &f.country).as_deref(),
            pick(&patch.notes, &f.notes).as_deref(),
        ],
    );
    (
        f.email, f.phone, f.website, f.address, f.city, f.postcode, f.country, f.notes,
    ) = (
        c.email, c.phone, c.website, c.address, c.city, c.postcode, c.country, c.notes,
    );
    if let Some(o) = patch.owner_id {
        f.owner_id = o;
    }
    if let Some(a) = patch.active {
        f.active = a;
    }
    if let Some(a) = patch.expected_amount {
        f.expected_amount = opt(
            &mut v,
            "expected_amount",
            a.map(crm::check_amount).transpose(),
        );
    }
    if let Some(t) = &patch.tags
        && let Some(t) = v.check("tags", crm::parse_tags(t))
    {
        f.tags = t;
    }
    v.finish()?;
    Ok(f)
}

/// Write `fields` over `current` and record the events (updated, and stage_changed when the
/// stage moved).
async fn update_in(
    tx: &TenantTx,
    p: &Principal,
    current: &Organisation,
    fields: &OrgFields,
) -> ApiResult<Organisation> {
    let tenant = p.tenant_uuid();
    let updated = store::update(&**tx, tenant, current, fields, Some(p.user.id)).await?;
    let (before, after) = (record_json(current), record_json(&updated));
    events::record(
        &**tx,
        tenant,
        "organisation.updated",
        RECORD,
        updated.id,
        actor(p),
        Some(&before),
        Some(&after),
    )
    .await?;
    if current.pipeline_stage != updated.pipeline_stage {
        events::record(
            &**tx,
            tenant,
            "organisation.stage_changed",
            RECORD,
            updated.id,
            actor(p),
            Some(&before),
            Some(&after),
        )
        .await?;
        crate::routes::pipeline::run_stage_actions(&**tx, p, &updated).await?;
    }
    Ok(updated)
}

/// Change an organisation. Requires `If-Match`. Moving `pipeline_stage` (forwards or back) is
/// recorded with its time and author.
#[utoipa::path(patch, path = "/api/v1/organisations/{id}", tag = "organisations",
    operation_id = "v1.organisation.update", security(("bearer" = [])),
    request_body = OrganisationPatch,
    params(("id" = Uuid, Path, description = "Organisation id"),
           ("If-Match" = String, Header, description = "ETag from the last read")),
    responses(
        (status = 200, description = "Updated", body = OrganisationOut, headers(("ETag" = String))),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_organisation(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<OrganisationPatch>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Update)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let current = load(&tx, &p, *id, Action::Update).await?;
    check_if_match(&req, &http::etag(current.id, current.updated_at))?;
    let fields = merge(&current, &body.0)?;
    if fields.owner_id != current.owner_id {
        check_owner(&tx, &p, fields.owner_id, Action::Update).await?;
    }
    let updated = update_in(&tx, &p, &current, &fields).await?;
    tx.commit().await?;
    let etag = http::etag(updated.id, updated.updated_at);
    Ok(http::ok_with_etag(&out(updated), &etag))
}

/// Move an organisation to the trash. An administrator can restore it for 30 days.
#[utoipa::path(delete, path = "/api/v1/organisations/{id}", tag = "organisations",
    operation_id = "v1.organisation.delete", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id")),
    responses(
        (status = 204, description = "In the trash"),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_organisation(
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

async fn delete_in(tx: &TenantTx, p: &Principal, current: &Organisation) -> ApiResult<()> {
    let tenant = p.tenant_uuid();
    store::soft_delete(&**tx, tenant, current.id, Some(p.user.id)).await?;
    events::record(
        &**tx,
        tenant,
        "organisation.deleted",
        RECORD,
        current.id,
        actor(p),
        Some(&record_json(current)),
        None,
    )
    .await?;
    Ok(())
}

/// Copy an organisation (name suffixed " (copie)", owned by the caller, back to PROSPECT).
#[utoipa::path(post, path = "/api/v1/organisations/{id}/duplicate", tag = "organisations",
    operation_id = "v1.organisation.duplicate", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id")),
    responses(
        (status = 201, description = "The copy", body = OrganisationOut),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn duplicate_organisation(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Create)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let src = load(&tx, &p, *id, Action::Read).await?;
    let mut fields = OrgFields::from(&src);
    let suffix = " (copie)";
    fields.name = format!(
        "{}{suffix}",
        src.name
            .chars()
            .take(PersonName::MAX_CHARS - suffix.chars().count())
            .collect::<String>()
    );
    fields.owner_id = Some(p.user.id);
    fields.pipeline_stage = PipelineStage::Prospect.code().into();
    let copy = create_in(&tx, &p, &fields, "organisation.created").await?;
    tx.commit().await?;
    let etag = http::etag(copy.id, copy.updated_at);
    let loc = format!("/api/v1/organisations/{}", copy.id);
    Ok(http::created(&out(copy), &loc, &etag))
}

/// Apply one action to many organisations: all succeed or nothing changes. Every record is
/// checked against the caller's permissions; one refusal or unknown id rejects the batch.
#[utoipa::path(post, path = "/api/v1/organisations/bulk", tag = "organisations",
    operation_id = "v1.organisation.bulk", security(("bearer" = [])), request_body = BulkAction,
    responses(
        (status = 200, description = "Done", body = BulkResult),
        (status = 403, description = "A record is outside your permissions", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid action, or unknown ids", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn bulk_organisations(
    state: web::Data<AppState>,
    auth: Auth,
    body: Json<BulkAction>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let action = body.0;
    let (ids, perm) = match &action {
        BulkAction::Delete { ids } => (ids.clone(), Action::Delete),
        BulkAction::ChangeStage { ids, .. }
        | BulkAction::AssignOwner { ids, .. }
        | BulkAction::AddTag { ids, .. }
        | BulkAction::RemoveTag { ids, .. } => (ids.clone(), Action::Update),
    };
    p.require(RES, perm)?;
    let ids = crate::records::bulk_ids(ids)?;
    let tag = match &action {
        BulkAction::AddTag { tag, .. } | BulkAction::RemoveTag { tag, .. } => Some(
            crm::parse_tags(std::slice::from_ref(tag))
                .map_err(|e| ApiError::field("tag", e.code, e.message))?
                .remove(0),
        ),
        _ => None,
    };
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let rows = store::find_many_for_update(&*tx, tenant, &ids).await?;
    let visible: Vec<&Organisation> = rows
        .iter()
        .filter(|o| {
            p.grants
                .authorize(&p.subject(), RES, Action::Read, Some(&owner_of(o)))
        })
        .collect();
    if visible.len() != ids.len() {
        return Err(crate::records::unknown_ids(
            &ids,
            visible.iter().map(|o| o.id),
        ));
    }
    for o in &visible {
        p.require_record(RES, perm, &owner_of(o))?;
    }
    if let BulkAction::AssignOwner { owner_id, .. } = &action {
        check_owner(&tx, &p, Some(*owner_id), Action::Update).await?;
    }
    for o in visible {
        let mut f = OrgFields::from(o);
        match &action {
            BulkAction::Delete { .. } => {
                delete_in(&tx, &p, o).await?;
                continue;
            }
            BulkAction::ChangeStage { stage, .. } => f.pipeline_stage = stage.code().into(),
            BulkAction::AssignOwner { owner_id, .. } => f.owner_id = Some(*owner_id),
            BulkAction::AddTag { .. } => {
                let t = tag.clone().unwrap_or_default();
                if !f.tags.iter().any(|x| x.eq_ignore_ascii_case(&t)) {
                    f.tags.push(t);
                }
                if f.tags.len() > 20 {
                    return Err(ApiError::field(
                        "tag",
                        "too_many_tags",
                        "a record has at most 20 tags",
                    ));
                }
            }
            BulkAction::RemoveTag { .. } => {
                let t = tag.clone().unwrap_or_default();
                f.tags.retain(|x| !x.eq_ignore_ascii_case(&t));
            }
        }
        update_in(&tx, &p, o, &f).await?;
    }
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(BulkResult {
        affected: ids.len() as u64,
    }))
}

/// Take an organisation out of the trash (within 30 days of its deletion).
#[utoipa::path(post, path = "/api/v1/organisations/{id}/restore", tag = "organisations",
    operation_id = "v1.organisation.restore", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id")),
    responses(
        (status = 200, description = "Restored", body = OrganisationOut),
        (status = 403, description = "Not allowed (needs manage)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not in the trash, or deleted more than 30 days ago", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn restore_organisation(
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
        "organisation.restored",
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

/// Erase an organisation for good (live or in the trash). Its history stays.
#[utoipa::path(post, path = "/api/v1/organisations/{id}/purge", tag = "organisations",
    operation_id = "v1.organisation.purge", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id")),
    responses(
        (status = 204, description = "Erased"),
        (status = 403, description = "Not allowed (needs manage)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn purge_organisation(
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
    let files =
        crate::routes::documents::purge_attached(&tx, &state, tenant, "organisation", *id).await?;
    store::purge(&*tx, tenant, *id).await?;
    events::record(
        &*tx,
        tenant,
        "organisation.purged",
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
pub struct HistoryQuery {
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// The record's history, newest first: every change with who, when, and before/after values.
#[utoipa::path(get, path = "/api/v1/organisations/{id}/history", tag = "organisations",
    operation_id = "v1.organisation.history", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id"), HistoryQuery),
    responses(
        (status = 200, description = "Events", body = Page<EventOut>),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn organisation_history(
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
