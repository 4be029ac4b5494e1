//! People (SPEC CRM-2, CRM-8…10): CRUD with ETags, filtered and sorted lists with keyset
//! cursors, bulk actions, duplication, soft delete with restore and purge, the per-record event
//! history, and the links between people and organisations (seen from either side).
//!
//! Links obey both sides' permissions: changing a person's links needs `update` on the person
//! and `read` on the organisation; a list of links shows only the organisations (or people)
//! the caller may read.

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
    Action, EmailAddress, RecordOwner, Resource, TeamId, UserId,
    crm::{self, OrganisationType},
    people as rules,
};
use relais_store::{
    StoreError, TenantTx, events,
    organisations::{self as orgs, Organisation},
    people::{self as store, Link, Person, PersonFields, PersonFilter},
    users::User,
};
use relais_types::{
    BulkAction, BulkResult, EventOut, OrganisationPersonOut, Page, PersonIn, PersonOrganisationIn,
    PersonOrganisationOut, PersonOrganisationPatch, PersonOut, PersonPatch, Problem,
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

const RES: Resource = Resource::People;
const ORGS: Resource = Resource::Organisations;
const RECORD: &str = "person";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/people")
            .route(web::get().to(list_people))
            .route(web::post().to(create_person)),
    );
    cfg.service(web::resource("/people/bulk").route(web::post().to(bulk_people)));
    cfg.service(
        web::resource("/people/{id}")
            .route(web::get().to(get_person))
            .route(web::patch().to(update_person))
            .route(web::delete().to(delete_person)),
    );
    cfg.service(web::resource("/people/{id}/duplicate").route(web::post().to(duplicate_person)));
    cfg.service(web::resource("/people/{id}/restore").route(web::post().to(restore_person)));
    cfg.service(web::resource("/people/{id}/purge").route(web::post().to(purge_person)));
    cfg.service(web::resource("/people/{id}/history").route(web::get().to(person_history)));
    cfg.service(
        web::resource("/people/{id}/organisations")
            .route(web::get().to(list_person_organisations))
            .route(web::post().to(link_person_organisation)),
    );
    cfg.service(
        web::resource("/people/{id}/organisations/{organisation_id}")
            .route(web::get().to(get_person_organisation))
            .route(web::patch().to(update_person_organisation))
            .route(web::delete().to(unlink_person_organisation)),
    );
    cfg.service(
        web::resource("/organisations/{id}/people").route(web::get().to(list_organisation_people)),
    );
}

pub fn out(p: Person) -> PersonOut {
    PersonOut {
        id: p.id,
        full_name: rules::full_name(p.first_name.as_deref(), &p.last_name),
        first_name: p.first_name,
        last_name: p.last_name,
        email: p.email,
        phone: p.phone,
        job_title: p.job_title,
        notes: p.notes,
        owner_id: p.owner_id,
        tags: p.tags,
        active: p.active,
        last_contact_at: p.last_contact_at,
        created_at: p.created_at,
        updated_at: p.updated_at,
        deleted_at: p.deleted_at,
    }
}

pub(crate) fn link_out(l: Link) -> PersonOrganisationOut {
    PersonOrganisationOut {
        person_id: l.person_id,
        organisation_id: l.organisation_id,
        type_: OrganisationType::from_code(&l.organisation_type)
            .unwrap_or(OrganisationType::Investor),
        name: l.organisation_name,
        role: l.role,
        is_primary: l.is_primary,
        created_at: l.created_at,
    }
}

fn record_json(p: &Person) -> serde_json::Value {
    serde_json::to_value(out(p.clone())).unwrap_or_default()
}

fn link_json(l: &Link) -> serde_json::Value {
    serde_json::to_value(link_out(l.clone())).unwrap_or_default()
}

fn owner_of(p: &Person) -> RecordOwner {
    RecordOwner {
        owner_id: p.owner_id.map(UserId),
        owner_team: p.owner_team_id.map(TeamId),
    }
}

fn org_owner(o: &Organisation) -> RecordOwner {
    RecordOwner {
        owner_id: o.owner_id.map(UserId),
        owner_team: o.owner_team_id.map(TeamId),
    }
}

/// Load a live person the caller may `action`, locked for the rest of the transaction when
/// `lock`; anything else is 404 (no existence leak) or 403 (visible but not writable).
async fn load_with(
    tx: &TenantTx,
    p: &Principal,
    id: Uuid,
    action: Action,
    lock: bool,
) -> ApiResult<Person> {
    let tenant = p.tenant_uuid();
    let found = if lock {
        store::find_many_for_update(&**tx, tenant, &[id])
            .await?
            .into_iter()
            .next()
    } else {
        store::find(&**tx, tenant, id).await?
    };
    let person = found
        .filter(|x| x.deleted_at.is_none())
        .ok_or(ApiError::NotFound)?;
    if !p
        .grants
        .authorize(&p.subject(), RES, Action::Read, Some(&owner_of(&person)))
    {
        return Err(ApiError::NotFound);
    }
    p.require_record(RES, action, &owner_of(&person))?;
    Ok(person)
}

async fn load(tx: &TenantTx, p: &Principal, id: Uuid, action: Action) -> ApiResult<Person> {
    load_with(tx, p, id, action, false).await
}

/// A live organisation of the tenant that the caller may read.
async fn readable_org(tx: &TenantTx, p: &Principal, id: Uuid) -> ApiResult<Option<Organisation>> {
    Ok(orgs::find(&**tx, p.tenant_uuid(), id)
        .await?
        .filter(|o| o.deleted_at.is_none())
        .filter(|o| {
            p.grants
                .authorize(&p.subject(), ORGS, Action::Read, Some(&org_owner(o)))
        }))
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

/// Validated optional fields shared by create and update.
struct Details {
    first_name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    job_title: Option<String>,
    notes: Option<String>,
}

fn details(v: &mut Validator, raw: [Option<&str>; 5]) -> Details {
    let [first_name, email, phone, job_title, notes] = raw;
    Details {
        first_name: opt(v, "first_name", rules::parse_first_name(first_name)),
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
        job_title: opt(
            v,
            "job_title",
            crm::optional_text(job_title, rules::TITLE_MAX_CHARS),
        ),
        notes: opt(v, "notes", crm::optional_text(notes, 20_000)),
    }
}

/// A link's role: trimmed, `None` when empty, at most 200 characters.
fn link_role(v: &mut Validator, field: &str, raw: Option<&str>) -> Option<String> {
    opt(v, field, crm::optional_text(raw, rules::TITLE_MAX_CHARS))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PersonQuery {
    /// Page size, 1–200 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page (only valid with the same `sort`).
    pub cursor: Option<String>,
    /// Comma-separated fields, `-` for descending: last_name (then first name), first_name,
    /// created_at, updated_at. Default `last_name`.
    pub sort: Option<String>,
    /// Part of the first name, last name (either order, e.g. `anne dupont` or
    /// `dupont anne`) or email.
    pub q: Option<String>,
    /// Only people linked to this organisation.
    pub organisation_id: Option<String>,
    /// A user id, or `me`.
    pub owner_id: Option<String>,
    pub tag: Option<String>,
    pub active: Option<bool>,
    /// No interaction for more than N days (or never).
    pub no_contact_days: Option<i32>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub updated_from: Option<DateTime<Utc>>,
    pub updated_to: Option<DateTime<Utc>>,
    /// `true` lists the trash (needs the manage permission).
    pub deleted: Option<bool>,
    /// `true` adds `total` to the answer.
    pub count: Option<bool>,
}

/// A page of people with `total` when `count=true`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PersonPage {
    pub items: Vec<PersonOut>,
    pub next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

/// The validated list filters of a query (also what an export of the list uses).
pub(crate) fn list_filter(
    p: &Principal,
    q: &PersonQuery,
    deleted: bool,
) -> ApiResult<PersonFilter> {
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
    let organisation_id = match q.organisation_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => match s.parse() {
            Ok(id) => Some(id),
            Err(_) => {
                v.push("organisation_id", "invalid_id", "an organisation id");
                None
            }
        },
    };
    if q.no_contact_days
        .is_some_and(|n| !(0..=36_500).contains(&n))
    {
        v.push("no_contact_days", "out_of_range", "between 0 and 36500");
    }
    let filter = PersonFilter {
        q: q.q.clone().filter(|s| !s.trim().is_empty()),
        organisation_id,
        owner_id,
        tag: q.tag.clone().filter(|t| !t.trim().is_empty()),
        active: q.active,
        no_contact_days: q.no_contact_days,
        created_from: q.created_from,
        created_to: q.created_to,
        updated_from: q.updated_from,
        updated_to: q.updated_to,
        deleted,
    };
    v.finish()?;
    Ok(filter)
}

/// List people the caller may read, filtered and sorted, in pages.
#[utoipa::path(get, path = "/api/v1/people", tag = "people",
    operation_id = "v1.person.list", security(("bearer" = [])), params(PersonQuery),
    responses(
        (status = 200, description = "A page", body = PersonPage),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter, sort or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_people(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<PersonQuery>,
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
    let sort_text = q.sort.clone().unwrap_or_else(|| "last_name".into());
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
        rows.last().map(|(x, k)| {
            SortCursor {
                s: sort_text.clone(),
                k: k.clone(),
                id: x.id,
            }
            .encode()
        })
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(PersonPage {
        items: rows.into_iter().map(|(x, _)| out(x)).collect(),
        next_cursor,
        total,
    }))
}

/// Check the links of a new person: each organisation readable by the caller, none twice, at
/// most one primary. Returns the validated (organisation, role, primary) triples.
async fn check_new_links(
    tx: &TenantTx,
    p: &Principal,
    links: &[PersonOrganisationIn],
) -> ApiResult<Vec<(Uuid, Option<String>, bool)>> {
    let mut v = Validator::new();
    let mut out = Vec::with_capacity(links.len());
    for (i, l) in links.iter().enumerate() {
        let role = link_role(
            &mut v,
            &format!("organisations[{i}].role"),
            l.role.as_deref(),
        );
        if readable_org(tx, p, l.organisation_id).await?.is_none() {
            v.push(
                &format!("organisations[{i}].organisation_id"),
                "not_found",
                "no such organisation",
            );
        }
        out.push((l.organisation_id, role, l.is_primary));
    }
    let pairs: Vec<(Uuid, bool)> = links
        .iter()
        .map(|l| (l.organisation_id, l.is_primary))
        .collect();
    for (i, field, e) in rules::check_links(&pairs) {
        v.push(&format!("organisations[{i}].{field}"), e.code, e.message);
    }
    v.finish()?;
    Ok(out)
}

/// Create a person, optionally linked to organisations. Send `Idempotency-Key` to make
/// retries safe.
#[utoipa::path(post, path = "/api/v1/people", tag = "people",
    operation_id = "v1.person.create", security(("bearer" = [])),
    request_body = PersonIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses(
        (status = 201, description = "Created", body = PersonOut, headers(("ETag" = String), ("Location" = String))),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Same Idempotency-Key still in flight", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input (including organisations you cannot read)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_person(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    body: JsonBytes<PersonIn>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Create)?;
    let input = body.value;
    idempotency::run(&state, &p, &req, &body.raw, || async {
        let mut v = Validator::new();
        let last_name = v.check("last_name", rules::parse_last_name(&input.last_name));
        let d = details(
            &mut v,
            [
                input.first_name.as_deref(),
                input.email.as_deref(),
                input.phone.as_deref(),
                input.job_title.as_deref(),
                input.notes.as_deref(),
            ],
        );
        let tags = v
            .check("tags", crm::parse_tags(&input.tags))
            .unwrap_or_default();
        v.finish()?;
        let owner = Some(input.owner_id.unwrap_or(p.user.id));
        let fields = PersonFields {
            first_name: d.first_name,
            last_name: last_name.unwrap_or_default(),
            email: d.email,
            phone: d.phone,
            job_title: d.job_title,
            notes: d.notes,
            owner_id: owner,
            active: input.active.unwrap_or(true),
            tags,
        };
        let tx = state.db.tenant_tx(p.tenant).await?;
        check_owner(&tx, &p, owner, Action::Create).await?;
        let links = check_new_links(&tx, &p, &input.organisations).await?;
        let person = create_in(&tx, &p, &fields).await?;
        for (org, role, primary) in &links {
            link_in(&tx, &p, person.id, *org, role.as_deref(), *primary).await?;
        }
        tx.commit().await?;
        let etag = http::etag(person.id, person.updated_at);
        let loc = format!("/api/v1/people/{}", person.id);
        Ok(http::created(&out(person), &loc, &etag))
    })
    .await
}

async fn create_in(tx: &TenantTx, p: &Principal, fields: &PersonFields) -> ApiResult<Person> {
    let tenant = p.tenant_uuid();
    let person = store::insert(&**tx, tenant, fields).await?;
    events::record(
        &**tx,
        tenant,
        "person.created",
        RECORD,
        person.id,
        actor(p),
        None,
        Some(&record_json(&person)),
    )
    .await?;
    Ok(person)
}

/// Read a person.
#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "people",
    operation_id = "v1.person.get", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id")),
    responses(
        (status = 200, description = "The person", body = PersonOut, headers(("ETag" = String))),
        (status = 404, description = "No such person (or not visible to you)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_person(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Read)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let x = load(&tx, &p, *id, Action::Read).await?;
    tx.commit().await?;
    let etag = http::etag(x.id, x.updated_at);
    Ok(http::ok_with_etag(&out(x), &etag))
}

/// Apply a patch onto the current record, validating what changes.
fn merge(current: &Person, patch: &PersonPatch) -> ApiResult<PersonFields> {
    let mut f = PersonFields::from(current);
    let mut v = Validator::new();
    if let Some(n) = &patch.last_name
        && let Some(n) = v.check("last_name", rules::parse_last_name(n))
    {
        f.last_name = n;
    }
    let pick = |field: &Option<Option<String>>, cur: &Option<String>| -> Option<String> {
        match field {
            None => cur.clone(),
            Some(x) => x.clone(),
        }
    };
    let d = details(
        &mut v,
        [
            pick(&patch.first_name, &f.first_name).as_deref(),
            pick(&patch.email, &f.email).as_deref(),
            pick(&patch.phone, &f.phone).as_deref(),
            pick(&patch.job_title, &f.job_title).as_deref(),
            pick(&patch.notes, &f.notes).as_deref(),
        ],
    );
    (f.first_name, f.email, f.phone, f.job_title, f.notes) =
        (d.first_name, d.email, d.phone, d.job_title, d.notes);
    if let Some(o) = patch.owner_id {
        f.owner_id = o;
    }
    if let Some(a) = patch.active {
        f.active = a;
    }
    if let Some(t) = &patch.tags
        && let Some(t) = v.check("tags", crm::parse_tags(t))
    {
        f.tags = t;
    }
    v.finish()?;
    Ok(f)
}

/// Write `fields` over `current` and record `person.updated`.
async fn update_in(
    tx: &TenantTx,
    p: &Principal,
    current: &Person,
    fields: &PersonFields,
) -> ApiResult<Person> {
    let tenant = p.tenant_uuid();
    let updated = store::update(&**tx, tenant, current.id, fields).await?;
    events::record(
        &**tx,
        tenant,
        "person.updated",
        RECORD,
        updated.id,
        actor(p),
        Some(&record_json(current)),
        Some(&record_json(&updated)),
    )
    .await?;
    Ok(updated)
}

/// Change a person. Requires `If-Match`.
#[utoipa::path(patch, path = "/api/v1/people/{id}", tag = "people",
    operation_id = "v1.person.update", security(("bearer" = [])),
    request_body = PersonPatch,
    params(("id" = Uuid, Path, description = "Person id"),
           ("If-Match" = String, Header, description = "ETag from the last read")),
    responses(
        (status = 200, description = "Updated", body = PersonOut, headers(("ETag" = String))),
        (status = 403, description = "Visible but not yours to change", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_person(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<PersonPatch>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Update)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let current = load_with(&tx, &p, *id, Action::Update, true).await?;
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

/// Move a person to the trash. An administrator can restore them for 30 days.
#[utoipa::path(delete, path = "/api/v1/people/{id}", tag = "people",
    operation_id = "v1.person.delete", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id")),
    responses(
        (status = 204, description = "In the trash"),
        (status = 403, description = "Visible but not yours to delete", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_person(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Delete)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let current = load_with(&tx, &p, *id, Action::Delete, true).await?;
    http::check_if_match_optional(&req, &http::etag(current.id, current.updated_at))?;
    delete_in(&tx, &p, &current).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn delete_in(tx: &TenantTx, p: &Principal, current: &Person) -> ApiResult<()> {
    let tenant = p.tenant_uuid();
    store::soft_delete(&**tx, tenant, current.id, Some(p.user.id)).await?;
    events::record(
        &**tx,
        tenant,
        "person.deleted",
        RECORD,
        current.id,
        actor(p),
        Some(&record_json(current)),
        None,
    )
    .await?;
    Ok(())
}

/// Copy a person (last name suffixed " (copie)", owned by the caller) with their links to the
/// organisations the caller can read.
#[utoipa::path(post, path = "/api/v1/people/{id}/duplicate", tag = "people",
    operation_id = "v1.person.duplicate", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id")),
    responses(
        (status = 201, description = "The copy", body = PersonOut, headers(("ETag" = String), ("Location" = String))),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn duplicate_person(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Create)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let src = load(&tx, &p, *id, Action::Read).await?;
    let mut fields = PersonFields::from(&src);
    let suffix = " (copie)";
    fields.last_name = format!(
        "{}{suffix}",
        src.last_name
            .chars()
            .take(rules::NAME_MAX_CHARS - suffix.chars().count())
            .collect::<String>()
    );
    fields.owner_id = Some(p.user.id);
    let links = match p.grants.scope(ORGS, Action::Read) {
        Some(scope) => store::links_of(&*tx, tenant, src.id, visibility(&p, scope)).await?,
        None => Vec::new(),
    };
    let copy = create_in(&tx, &p, &fields).await?;
    for l in &links {
        link_in(
            &tx,
            &p,
            copy.id,
            l.organisation_id,
            l.role.as_deref(),
            l.is_primary,
        )
        .await?;
    }
    tx.commit().await?;
    let etag = http::etag(copy.id, copy.updated_at);
    let loc = format!("/api/v1/people/{}", copy.id);
    Ok(http::created(&out(copy), &loc, &etag))
}

/// Apply one action to many people: all succeed or nothing changes. Every record is checked
/// against the caller's permissions; one refusal or unknown id rejects the batch. People have
/// no pipeline, so `change_stage` is refused with 422.
#[utoipa::path(post, path = "/api/v1/people/bulk", tag = "people",
    operation_id = "v1.person.bulk", security(("bearer" = [])), request_body = BulkAction,
    responses(
        (status = 200, description = "Done", body = BulkResult),
        (status = 403, description = "A record is outside your permissions", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unsupported action, or unknown ids", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn bulk_people(
    state: web::Data<AppState>,
    auth: Auth,
    body: Json<BulkAction>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let action = body.0;
    let (ids, perm) = match &action {
        BulkAction::ChangeStage { .. } => return Err(no_stage()),
        BulkAction::Delete { ids } => (ids.clone(), Action::Delete),
        BulkAction::AssignOwner { ids, .. }
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
    let visible: Vec<&Person> = rows
        .iter()
        .filter(|x| {
            p.grants
                .authorize(&p.subject(), RES, Action::Read, Some(&owner_of(x)))
        })
        .collect();
    if visible.len() != ids.len() {
        return Err(crate::records::unknown_ids(
            &ids,
            visible.iter().map(|x| x.id),
        ));
    }
    for x in &visible {
        p.require_record(RES, perm, &owner_of(x))?;
    }
    if let BulkAction::AssignOwner { owner_id, .. } = &action {
        check_owner(&tx, &p, Some(*owner_id), Action::Update).await?;
    }
    for x in visible {
        let mut f = PersonFields::from(x);
        match &action {
            BulkAction::Delete { .. } => {
                delete_in(&tx, &p, x).await?;
                continue;
            }
            BulkAction::ChangeStage { .. } => return Err(no_stage()),
            BulkAction::AssignOwner { owner_id, .. } => f.owner_id = Some(*owner_id),
            BulkAction::AddTag { .. } => {
                let t = tag.clone().unwrap_or_default();
                if !f.tags.iter().any(|o| o.eq_ignore_ascii_case(&t)) {
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
                f.tags.retain(|o| !o.eq_ignore_ascii_case(&t));
            }
        }
        update_in(&tx, &p, x, &f).await?;
    }
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(BulkResult {
        affected: ids.len() as u64,
    }))
}

fn no_stage() -> ApiError {
    ApiError::field(
        "action",
        "unsupported_action",
        "people have no pipeline stage",
    )
}

/// Take a person out of the trash (within 30 days of their deletion).
#[utoipa::path(post, path = "/api/v1/people/{id}/restore", tag = "people",
    operation_id = "v1.person.restore", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id")),
    responses(
        (status = 200, description = "Restored", body = PersonOut, headers(("ETag" = String))),
        (status = 403, description = "Not allowed (needs manage)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not in the trash, or deleted more than 30 days ago", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn restore_person(
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
        "person.restored",
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

/// Erase a person for good (live or in the trash), with their links. Their history stays.
#[utoipa::path(post, path = "/api/v1/people/{id}/purge", tag = "people",
    operation_id = "v1.person.purge", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id")),
    responses(
        (status = 204, description = "Erased"),
        (status = 403, description = "Not allowed (needs manage)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn purge_person(
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
        crate::routes::documents::purge_attached(&tx, &state, tenant, "person", *id).await?;
    store::purge(&*tx, tenant, *id).await?;
    events::record(
        &*tx,
        tenant,
        "person.purged",
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
    /// Page size, 1–200 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The person's history, newest first: every change with who, when and before/after values,
/// including links made, changed and removed (`person.organisation_linked`,
/// `person.organisation_updated`, `person.organisation_unlinked`, with the link as data).
#[utoipa::path(get, path = "/api/v1/people/{id}/history", tag = "people",
    operation_id = "v1.person.history", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id"), HistoryQuery),
    responses(
        (status = 200, description = "Events", body = Page<EventOut>),
        (status = 404, description = "No such person", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn person_history(
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

// ---- Links between people and organisations -------------------------------------------

/// Record a link change on the person's history: `before`/`after` are the link.
async fn link_event(
    tx: &TenantTx,
    p: &Principal,
    type_: &str,
    person: Uuid,
    before: Option<&Link>,
    after: Option<&Link>,
) -> ApiResult<()> {
    events::record(
        &**tx,
        p.tenant_uuid(),
        type_,
        RECORD,
        person,
        actor(p),
        before.map(link_json).as_ref(),
        after.map(link_json).as_ref(),
    )
    .await?;
    Ok(())
}

/// Make the person's current primary link (other than with `keep`) non-primary.
async fn clear_other_primary(
    tx: &TenantTx,
    p: &Principal,
    person: Uuid,
    keep: Uuid,
) -> ApiResult<()> {
    let tenant = p.tenant_uuid();
    if let Some(old) = store::primary_link(&**tx, tenant, person).await?
        && old.organisation_id != keep
    {
        let after = store::update_link(
            &**tx,
            tenant,
            person,
            old.organisation_id,
            old.role.as_deref(),
            false,
        )
        .await?;
        link_event(
            tx,
            p,
            "person.organisation_updated",
            person,
            Some(&old),
            Some(&after),
        )
        .await?;
    }
    Ok(())
}

/// Create a link (clearing another primary first) and record `person.organisation_linked`.
async fn link_in(
    tx: &TenantTx,
    p: &Principal,
    person: Uuid,
    org: Uuid,
    role: Option<&str>,
    primary: bool,
) -> ApiResult<Link> {
    if primary {
        clear_other_primary(tx, p, person, org).await?;
    }
    let link = store::insert_link(&**tx, p.tenant_uuid(), person, org, role, primary)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(c) if c == "person_organisations_pkey" => already_linked(),
            other => other.into(),
        })?;
    link_event(
        tx,
        p,
        "person.organisation_linked",
        person,
        None,
        Some(&link),
    )
    .await?;
    Ok(link)
}

fn already_linked() -> ApiError {
    ApiError::Conflict(
        "already_linked",
        "this person is already linked to this organisation".into(),
    )
}

/// The organisations a person is linked to (those you may read), primary first.
#[utoipa::path(get, path = "/api/v1/people/{id}/organisations", tag = "people",
    operation_id = "v1.person.organisations.list", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id")),
    responses(
        (status = 200, description = "Every link (never more than one page)", body = Page<PersonOrganisationOut>),
        (status = 403, description = "Not allowed to read people or organisations", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_person_organisations(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Read)?;
    let org_scope = p.require(ORGS, Action::Read)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let person = load(&tx, &p, *id, Action::Read).await?;
    let links =
        store::links_of(&*tx, p.tenant_uuid(), person.id, visibility(&p, org_scope)).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(Page {
        items: links.into_iter().map(link_out).collect(),
        next_cursor: None,
    }))
}

/// Link a person to an organisation, with an optional role there. `is_primary: true` makes
/// this the person's primary organisation (the previous primary link stays, non-primary).
#[utoipa::path(post, path = "/api/v1/people/{id}/organisations", tag = "people",
    operation_id = "v1.person.organisations.link", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id")),
    request_body = PersonOrganisationIn,
    responses(
        (status = 201, description = "Linked", body = PersonOrganisationOut, headers(("Location" = String))),
        (status = 403, description = "Not allowed to change this person", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already linked (`already_linked`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input, or an organisation you cannot read", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn link_person_organisation(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: Json<PersonOrganisationIn>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Update)?;
    let input = body.0;
    let mut v = Validator::new();
    let role = link_role(&mut v, "role", input.role.as_deref());
    v.finish()?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let person = load_with(&tx, &p, *id, Action::Update, true).await?;
    if readable_org(&tx, &p, input.organisation_id)
        .await?
        .is_none()
    {
        return Err(ApiError::field(
            "organisation_id",
            "not_found",
            "no such organisation",
        ));
    }
    if store::find_link(&*tx, tenant, person.id, input.organisation_id)
        .await?
        .is_some()
    {
        return Err(already_linked());
    }
    if store::count_links(&*tx, tenant, person.id).await? >= rules::MAX_LINKS as i64 {
        return Err(ApiError::field(
            "organisation_id",
            "too_many_links",
            format!("at most {} organisations per person", rules::MAX_LINKS),
        ));
    }
    let link = link_in(
        &tx,
        &p,
        person.id,
        input.organisation_id,
        role.as_deref(),
        input.is_primary,
    )
    .await?;
    tx.commit().await?;
    let loc = format!(
        "/api/v1/people/{}/organisations/{}",
        link.person_id, link.organisation_id
    );
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::LOCATION, loc))
        .json(link_out(link)))
}

/// A live link whose organisation the caller may read; anything else is 404.
async fn load_link(tx: &TenantTx, p: &Principal, person: Uuid, org: Uuid) -> ApiResult<Link> {
    if readable_org(tx, p, org).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    store::find_link(&**tx, p.tenant_uuid(), person, org)
        .await?
        .ok_or(ApiError::NotFound)
}

/// One link of a person.
#[utoipa::path(get, path = "/api/v1/people/{id}/organisations/{organisation_id}", tag = "people",
    operation_id = "v1.person.organisations.get", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id"),
           ("organisation_id" = Uuid, Path, description = "Organisation id")),
    responses(
        (status = 200, description = "The link", body = PersonOrganisationOut),
        (status = 404, description = "No such link (or not visible to you)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_person_organisation(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Read)?;
    let (id, org) = path.into_inner();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let person = load(&tx, &p, id, Action::Read).await?;
    let link = load_link(&tx, &p, person.id, org).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(link_out(link)))
}

/// Change a link's role or make it the primary one (the previous primary link stays,
/// non-primary). `is_primary: false` leaves the person without a primary organisation.
#[utoipa::path(patch, path = "/api/v1/people/{id}/organisations/{organisation_id}", tag = "people",
    operation_id = "v1.person.organisations.update", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id"),
           ("organisation_id" = Uuid, Path, description = "Organisation id")),
    request_body = PersonOrganisationPatch,
    responses(
        (status = 200, description = "The link", body = PersonOrganisationOut),
        (status = 403, description = "Not allowed to change this person", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such link (or not visible to you)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_person_organisation(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<PersonOrganisationPatch>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Update)?;
    let (id, org) = path.into_inner();
    let patch = body.0;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let person = load_with(&tx, &p, id, Action::Update, true).await?;
    let current = load_link(&tx, &p, person.id, org).await?;
    let mut v = Validator::new();
    let role = match &patch.role {
        None => current.role.clone(),
        Some(r) => link_role(&mut v, "role", r.as_deref()),
    };
    v.finish()?;
    let primary = patch.is_primary.unwrap_or(current.is_primary);
    if primary == current.is_primary && role == current.role {
        tx.commit().await?;
        return Ok(HttpResponse::Ok().json(link_out(current)));
    }
    if primary {
        clear_other_primary(&tx, &p, person.id, org).await?;
    }
    let updated =
        store::update_link(&*tx, tenant, person.id, org, role.as_deref(), primary).await?;
    link_event(
        &tx,
        &p,
        "person.organisation_updated",
        person.id,
        Some(&current),
        Some(&updated),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(link_out(updated)))
}

/// Remove a link between a person and an organisation (neither record is deleted).
#[utoipa::path(delete, path = "/api/v1/people/{id}/organisations/{organisation_id}", tag = "people",
    operation_id = "v1.person.organisations.unlink", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id"),
           ("organisation_id" = Uuid, Path, description = "Organisation id")),
    responses(
        (status = 204, description = "Unlinked"),
        (status = 403, description = "Not allowed to change this person", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such link (or not visible to you)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn unlink_person_organisation(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Update)?;
    let (id, org) = path.into_inner();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let person = load_with(&tx, &p, id, Action::Update, true).await?;
    let current = load_link(&tx, &p, person.id, org).await?;
    if !store::delete_link(&*tx, p.tenant_uuid(), person.id, org).await? {
        return Err(ApiError::NotFound);
    }
    link_event(
        &tx,
        &p,
        "person.organisation_unlinked",
        person.id,
        Some(&current),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactsQuery {
    /// Page size, 1–200 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

const CONTACTS_SORT: &str = "contacts";

/// An organisation's contacts: the people linked to it that you may read, by last then first
/// name, with their role there and whether it is their primary organisation.
#[utoipa::path(get, path = "/api/v1/organisations/{id}/people", tag = "people",
    operation_id = "v1.organisation.people", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id"), ContactsQuery),
    responses(
        (status = 200, description = "A page", body = Page<OrganisationPersonOut>),
        (status = 403, description = "Not allowed to read organisations or people", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation (or not visible to you)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_organisation_people(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    query: web::Query<ContactsQuery>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(ORGS, Action::Read)?;
    let people_scope = p.require(RES, Action::Read)?;
    let limit = http::page_limit(query.limit)?;
    let after = SortCursor::decode(
        query.cursor.as_deref(),
        CONTACTS_SORT,
        store::contacts_sort_len(),
    )?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let org = readable_org(&tx, &p, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut rows = store::contacts_of(
        &*tx,
        p.tenant_uuid(),
        org.id,
        visibility(&p, people_scope),
        after.as_ref().map(|c| (c.k.as_slice(), c.id)),
        limit + 1,
    )
    .await?;
    tx.commit().await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|(c, k)| {
            SortCursor {
                s: CONTACTS_SORT.into(),
                k: k.clone(),
                id: c.id,
            }
            .encode()
        })
    } else {
        None
    };
    let items = rows
        .into_iter()
        .map(|(c, _)| OrganisationPersonOut {
            person_id: c.id,
            organisation_id: org.id,
            full_name: rules::full_name(c.first_name.as_deref(), &c.last_name),
            first_name: c.first_name,
            last_name: c.last_name,
            email: c.email,
            phone: c.phone,
            job_title: c.job_title,
            active: c.active,
            role: c.role,
            is_primary: c.is_primary,
            created_at: c.linked_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
}
