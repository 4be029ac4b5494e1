//! Products (SPEC CRM-3): what the firm distributes, known by an ISIN or an internal code.
//! Products have no owner: the caller's grant on `products` decides and its scope is ignored
//! (by default everyone reads, administrators write). CRUD with ETags, a filtered and sorted
//! list with keyset cursors, bulk actions, duplication (with a suffixed code), soft delete with
//! restore and purge, and the per-record history.

use crate::{
    ApiResult, AppState,
    auth::{Auth, Principal},
    error::{ApiError, Validator},
    extract::{Json, JsonBytes},
    http::{self, check_if_match},
    idempotency,
    records::{SortCursor, actor, bulk_ids, unknown_ids},
};
use actix_web::{HttpRequest, HttpResponse, web};
use relais_domain::{
    Action, PersonName, Resource,
    crm::{self, Category},
    products::{ProductCode, copy_code},
};
use relais_store::{
    StoreError, TenantTx, events,
    products::{self as store, Product, ProductFields, ProductFilter},
};
use relais_types::{
    BulkResult, EventOut, Page, Problem, ProductBulkAction, ProductIn, ProductOut, ProductPatch,
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

const RES: Resource = Resource::Products;
const RECORD: &str = "product";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/products")
            .route(web::get().to(list_products))
            .route(web::post().to(create_product)),
    );
    cfg.service(web::resource("/products/bulk").route(web::post().to(bulk_products)));
    cfg.service(
        web::resource("/products/{id}")
            .route(web::get().to(get_product))
            .route(web::patch().to(update_product))
            .route(web::delete().to(delete_product)),
    );
    cfg.service(web::resource("/products/{id}/duplicate").route(web::post().to(duplicate_product)));
    cfg.service(web::resource("/products/{id}/restore").route(web::post().to(restore_product)));
    cfg.service(web::resource("/products/{id}/purge").route(web::post().to(purge_product)));
    cfg.service(web::resource("/products/{id}/history").route(web::get().to(product_history)));
}

pub fn out(p: Product) -> ProductOut {
    ProductOut {
        id: p.id,
        is_isin: ProductCode::parse(&p.code).is_ok_and(|c| c.is_isin()),
        name: p.name,
        code: p.code,
        category: p.category.as_deref().and_then(Category::from_code),
        active: p.active,
        notes: p.notes,
        created_at: p.created_at,
        updated_at: p.updated_at,
        deleted_at: p.deleted_at,
    }
}

pub fn record_json(p: &Product) -> serde_json::Value {
    serde_json::to_value(out(p.clone())).unwrap_or_default()
}

/// Unique-code violations as a field error; everything else as usual.
fn store_error(e: StoreError) -> ApiError {
    match &e {
        StoreError::Conflict(c) if c == "products_code_key" => {
            ApiError::field("code", "taken", "another product has this code")
        }
        _ => e.into(),
    }
}

/// Restore and purge have no body: their conflicts are 409s that say what to do.
fn trash_error(e: StoreError) -> ApiError {
    match &e {
        StoreError::Conflict(c) if c == "products_code_key" => ApiError::Conflict(
            "code_taken",
            "a live product now has this code; change its code before restoring this one".into(),
        ),
        StoreError::ForeignKey(c) if c == "mandate_products_product_fkey" => ApiError::Conflict(
            "has_dependents",
            "mandates (trash included) still cover this product; remove it from them first".into(),
        ),
        _ => e.into(),
    }
}

/// A live product of the tenant, or 404.
async fn load(tx: &TenantTx, p: &Principal, id: Uuid) -> ApiResult<Product> {
    store::find(&**tx, p.tenant_uuid(), id)
        .await?
        .filter(|x| x.deleted_at.is_none())
        .ok_or(ApiError::NotFound)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    /// Page size, 1–200 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page (only valid with the same `sort`).
    pub cursor: Option<String>,
    /// Comma-separated fields, `-` for descending: name, code, created_at, updated_at.
    /// Default `name`.
    pub sort: Option<String>,
    /// Part of the name or the code.
    pub q: Option<String>,
    /// Comma-separated categories.
    pub category: Option<String>,
    pub active: Option<bool>,
    /// `true` lists the trash (needs the manage permission).
    pub deleted: Option<bool>,
    /// `true` adds `total` to the answer.
    pub count: Option<bool>,
}

/// A page of products with `total` when `count=true`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ProductPage {
    pub items: Vec<ProductOut>,
    pub next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

/// List products, filtered and sorted, in pages; `deleted=true` lists the trash instead.
#[utoipa::path(get, path = "/api/v1/products", tag = "products",
    operation_id = "v1.product.list", security(("bearer" = [])), params(ProductQuery),
    responses(
        (status = 200, description = "A page", body = ProductPage),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter, sort or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_products(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<ProductQuery>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let q = query.into_inner();
    let deleted = q.deleted.unwrap_or(false);
    p.require(
        RES,
        if deleted {
            Action::Manage
        } else {
            Action::Read
        },
    )?;
    let limit = http::page_limit(q.limit)?;
    let sort_text = q.sort.clone().unwrap_or_else(|| "name".into());
    let sort = store::parse_sort(&sort_text)
        .map_err(|f| ApiError::field("sort", "invalid_sort", format!("cannot sort by {f:?}")))?;
    let mut v = Validator::new();
    let mut categories = Vec::new();
    for c in q
        .category
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        match Category::from_code(c) {
            Some(c) => categories.push(c.code().to_owned()),
            None => v.push("category", "invalid_choice", format!("unknown value {c:?}")),
        }
    }
    v.finish()?;
    let filter = ProductFilter {
        q: q.q.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
        categories,
        active: q.active,
        deleted,
    };
    let after = SortCursor::decode(q.cursor.as_deref(), &sort_text, sort.len())?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let mut rows = store::list(
        &*tx,
        tenant,
        &filter,
        &sort,
        after.as_ref().map(|c| (c.k.as_slice(), c.id)),
        limit + 1,
    )
    .await?;
    let total = if q.count == Some(true) {
        Some(store::count(&*tx, tenant, &filter).await?)
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
    Ok(HttpResponse::Ok().json(ProductPage {
        items: rows.into_iter().map(|(x, _)| out(x)).collect(),
        next_cursor,
        total,
    }))
}

/// Create a product. The code is an ISIN (check digit verified) or an internal code, unique
/// in the firm whatever the case. Send `Idempotency-Key` to make retries safe.
#[utoipa::path(post, path = "/api/v1/products", tag = "products",
    operation_id = "v1.product.create", security(("bearer" = [])),
    request_body = ProductIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses(
        (status = 201, description = "Created", body = ProductOut, headers(("ETag" = String), ("Location" = String))),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Same Idempotency-Key still in flight", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input (`invalid_isin`, `invalid_code`, `taken`…)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_product(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    body: JsonBytes<ProductIn>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Create)?;
    let input = body.value;
    idempotency::run(&state, &p, &req, &body.raw, || async {
        let mut v = Validator::new();
        let name = v.check("name", PersonName::parse(&input.name));
        let code = v.check("code", ProductCode::parse(&input.code));
        let notes = v
            .check("notes", crm::optional_text(input.notes.as_deref(), 20_000))
            .flatten();
        v.finish()?;
        let fields = ProductFields {
            name: name.map(String::from).unwrap_or_default(),
            code: code.map(|c| c.as_str().to_owned()).unwrap_or_default(),
            category: input.category.map(|c| c.code().into()),
            active: input.active.unwrap_or(true),
            notes,
        };
        let tenant = p.tenant_uuid();
        let tx = state.db.tenant_tx(p.tenant).await?;
        let product = store::insert(&*tx, tenant, &fields)
            .await
            .map_err(store_error)?;
        events::record(
            &*tx,
            tenant,
            "product.created",
            RECORD,
            product.id,
            actor(&p),
            None,
            Some(&record_json(&product)),
        )
        .await?;
        tx.commit().await?;
        let etag = http::etag(product.id, product.updated_at);
        let loc = format!("/api/v1/products/{}", product.id);
        Ok(http::created(&out(product), &loc, &etag))
    })
    .await
}

/// Read a product.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "products",
    operation_id = "v1.product.get", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 200, description = "The product", body = ProductOut, headers(("ETag" = String))),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_product(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Read)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let x = load(&tx, &p, *id).await?;
    tx.commit().await?;
    let etag = http::etag(x.id, x.updated_at);
    Ok(http::ok_with_etag(&out(x), &etag))
}

/// Apply a patch onto the current record, validating what changes.
fn merge(current: &Product, patch: &ProductPatch) -> ApiResult<ProductFields> {
    let mut f = ProductFields::from(current);
    let mut v = Validator::new();
    if let Some(n) = &patch.name
        && let Some(n) = v.check("name", PersonName::parse(n))
    {
        f.name = n.into();
    }
    if let Some(c) = &patch.code
        && let Some(c) = v.check("code", ProductCode::parse(c))
    {
        f.code = c.as_str().to_owned();
    }
    if let Some(c) = patch.category {
        f.category = c.map(|c| c.code().into());
    }
    if let Some(a) = patch.active {
        f.active = a;
    }
    if let Some(n) = &patch.notes {
        f.notes = v
            .check("notes", crm::optional_text(n.as_deref(), 20_000))
            .flatten();
    }
    v.finish()?;
    Ok(f)
}

/// Change a product. Requires `If-Match`.
#[utoipa::path(patch, path = "/api/v1/products/{id}", tag = "products",
    operation_id = "v1.product.update", security(("bearer" = [])),
    request_body = ProductPatch,
    params(("id" = Uuid, Path, description = "Product id"),
           ("If-Match" = String, Header, description = "ETag from the last read")),
    responses(
        (status = 200, description = "Updated", body = ProductOut, headers(("ETag" = String))),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_product(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<ProductPatch>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Update)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let current = load(&tx, &p, *id).await?;
    check_if_match(&req, &http::etag(current.id, current.updated_at))?;
    let fields = merge(&current, &body.0)?;
    let updated = update_in(&tx, &p, &current, &fields).await?;
    tx.commit().await?;
    let etag = http::etag(updated.id, updated.updated_at);
    Ok(http::ok_with_etag(&out(updated), &etag))
}

/// Move a product to the trash: it disappears from lists and frees its code; mandates that
/// cover it keep it in their product list. An administrator can restore it for 30 days.
#[utoipa::path(delete, path = "/api/v1/products/{id}", tag = "products",
    operation_id = "v1.product.delete", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_product(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Delete)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let current = load(&tx, &p, *id).await?;
    http::check_if_match_optional(&req, &http::etag(current.id, current.updated_at))?;
    delete_in(&tx, &p, &current).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn delete_in(tx: &TenantTx, p: &Principal, current: &Product) -> ApiResult<()> {
    let tenant = p.tenant_uuid();
    store::soft_delete(&**tx, tenant, current.id, Some(p.user.id)).await?;
    events::record(
        &**tx,
        tenant,
        "product.deleted",
        RECORD,
        current.id,
        actor(p),
        Some(&record_json(current)),
        None,
    )
    .await?;
    Ok(())
}

/// Write `fields` over `current` and record `product.updated`.
async fn update_in(
    tx: &TenantTx,
    p: &Principal,
    current: &Product,
    fields: &ProductFields,
) -> ApiResult<Product> {
    let tenant = p.tenant_uuid();
    let updated = store::update(&**tx, tenant, current.id, fields)
        .await
        .map_err(store_error)?;
    events::record(
        &**tx,
        tenant,
        "product.updated",
        RECORD,
        updated.id,
        actor(p),
        Some(&record_json(current)),
        Some(&record_json(&updated)),
    )
    .await?;
    Ok(updated)
}

/// Copy a product: the name gets " (copie)" and, since codes are unique, the code gets the
/// suffix `-COPY` (`-COPY2`, `-COPY3`… when that is taken too), cut to fit 40 characters. The
/// copy of an ISIN is therefore an internal code: set the real code with a PATCH.
#[utoipa::path(post, path = "/api/v1/products/{id}/duplicate", tag = "products",
    operation_id = "v1.product.duplicate", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 201, description = "The copy", body = ProductOut, headers(("ETag" = String), ("Location" = String))),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn duplicate_product(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Create)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let src = load(&tx, &p, *id).await?;
    let mut fields = ProductFields::from(&src);
    let suffix = " (copie)";
    fields.name = format!(
        "{}{suffix}",
        src.name
            .chars()
            .take(PersonName::MAX_CHARS - suffix.chars().count())
            .collect::<String>()
    );
    let mut attempt = 1;
    fields.code = loop {
        let code = copy_code(&src.code, attempt);
        if !store::code_taken(&*tx, tenant, &code).await? {
            break code;
        }
        attempt += 1;
        if attempt > 1000 {
            return Err(ApiError::Conflict(
                "code_taken",
                "too many copies of this product already exist".into(),
            ));
        }
    };
    let copy = store::insert(&*tx, tenant, &fields)
        .await
        .map_err(store_error)?;
    events::record(
        &*tx,
        tenant,
        "product.created",
        RECORD,
        copy.id,
        actor(&p),
        None,
        Some(&record_json(&copy)),
    )
    .await?;
    tx.commit().await?;
    let etag = http::etag(copy.id, copy.updated_at);
    let loc = format!("/api/v1/products/{}", copy.id);
    Ok(http::created(&out(copy), &loc, &etag))
}

/// Apply one action to many products: all succeed or nothing changes. `set_active` activates
/// or deactivates them, `delete` moves them to the trash. One unknown id rejects the batch;
/// `affected` counts the products that actually changed.
#[utoipa::path(post, path = "/api/v1/products/bulk", tag = "products",
    operation_id = "v1.product.bulk", security(("bearer" = [])), request_body = ProductBulkAction,
    responses(
        (status = 200, description = "Done", body = BulkResult),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid action, or unknown ids", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn bulk_products(
    state: web::Data<AppState>,
    auth: Auth,
    body: Json<ProductBulkAction>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let action = body.0;
    let (ids, perm) = match &action {
        ProductBulkAction::Delete { ids } => (ids.clone(), Action::Delete),
        ProductBulkAction::SetActive { ids, .. } => (ids.clone(), Action::Update),
    };
    p.require(RES, perm)?;
    let ids = bulk_ids(ids)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let rows = store::find_many_for_update(&*tx, tenant, &ids).await?;
    if rows.len() != ids.len() {
        return Err(unknown_ids(&ids, rows.iter().map(|r| r.id)));
    }
    let mut affected = 0u64;
    for x in &rows {
        match &action {
            ProductBulkAction::Delete { .. } => delete_in(&tx, &p, x).await?,
            ProductBulkAction::SetActive { active, .. } => {
                if x.active == *active {
                    continue;
                }
                let mut f = ProductFields::from(x);
                f.active = *active;
                update_in(&tx, &p, x, &f).await?;
            }
        }
        affected += 1;
    }
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(BulkResult { affected }))
}

/// Take a product out of the trash (within 30 days of its deletion). 409 `code_taken` when a
/// live product has been given its code meanwhile.
#[utoipa::path(post, path = "/api/v1/products/{id}/restore", tag = "products",
    operation_id = "v1.product.restore", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 200, description = "Restored", body = ProductOut, headers(("ETag" = String))),
        (status = 403, description = "Not allowed (needs manage)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not in the trash, or deleted more than 30 days ago", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Its code is used by a live product", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn restore_product(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Manage)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    if !store::restore(&*tx, tenant, *id)
        .await
        .map_err(trash_error)?
    {
        return Err(ApiError::NotFound);
    }
    let after = store::find(&*tx, tenant, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    events::record(
        &*tx,
        tenant,
        "product.restored",
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

/// Erase a product for good (live or in the trash). Refused with 409 `has_dependents` while a
/// mandate, even one in the trash, covers it. Its history stays.
#[utoipa::path(post, path = "/api/v1/products/{id}/purge", tag = "products",
    operation_id = "v1.product.purge", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 204, description = "Erased"),
        (status = 403, description = "Not allowed (needs manage)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Mandates still cover it", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn purge_product(
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
    store::purge(&*tx, tenant, current.id)
        .await
        .map_err(trash_error)?;
    events::record(
        &*tx,
        tenant,
        "product.purged",
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
pub struct ProductHistoryQuery {
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// The product's history, newest first: every change with who, when, and before/after values.
#[utoipa::path(get, path = "/api/v1/products/{id}/history", tag = "products",
    operation_id = "v1.product.history", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id"), ProductHistoryQuery),
    responses(
        (status = 200, description = "Events", body = Page<EventOut>),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn product_history(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    query: web::Query<ProductHistoryQuery>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(RES, Action::Read)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    load(&tx, &p, *id).await?;
    crate::records::history_page(tx, &p, RECORD, *id, query.limit, query.cursor.as_deref()).await
}
