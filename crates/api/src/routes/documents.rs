//! Documents (SPEC CRM-6): files attached to organisations, people or mandates. Uploads stream
//! to disk under `<data_dir>/<tenant>/documents/` within a size limit; the type is detected
//! from the bytes (the client's claim is ignored) and only document and image formats are
//! kept; downloads carry the original name. Access follows the parent record: whoever cannot
//! read the record cannot see its documents. Deleted documents go to the trash (restore within
//! 30 days, purge erases the row and then the file); those need the manage permission on
//! documents, within its scope by the parent record's owner.

use crate::{
    ApiResult, AppState,
    auth::{Auth, Principal},
    error::ApiError,
    http,
    records::actor,
};
use actix_multipart::Multipart;
use actix_web::{
    HttpResponse,
    http::header::{
        self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
    },
    web,
};
use futures_util::TryStreamExt;
use relais_domain::{Action, RecordOwner, Resource, TeamId, UserId};
use relais_store::{
    TenantTx,
    documents::{self as store, Document, NewDocument},
    events,
};
use relais_types::{DocumentOut, DocumentUpload, Page, Problem};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;
use utoipa::IntoParams;
use uuid::Uuid;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/documents")
            .route(web::get().to(list_documents))
            .route(web::post().to(upload_document)),
    );
    cfg.service(
        web::resource("/documents/{id}")
            .route(web::get().to(get_document))
            .route(web::delete().to(delete_document)),
    );
    cfg.service(web::resource("/documents/{id}/content").route(web::get().to(download_document)));
    cfg.service(web::resource("/documents/{id}/restore").route(web::post().to(restore_document)));
    cfg.service(web::resource("/documents/{id}/purge").route(web::post().to(purge_document)));
    cfg.service(
        web::resource("/organisations/{id}/documents").route(web::get().to(organisation_documents)),
    );
}

fn out(d: Document) -> DocumentOut {
    DocumentOut {
        id: d.id,
        record_type: d.record_type,
        record_id: d.record_id,
        file_name: d.file_name,
        content_type: d.content_type,
        size_bytes: d.size_bytes,
        sha256: hex::encode(d.sha256),
        uploaded_by: d.uploaded_by,
        created_at: d.created_at,
        deleted_at: d.deleted_at,
    }
}

fn parent_resource(record_type: &str) -> Option<Resource> {
    match record_type {
        "organisation" => Some(Resource::Organisations),
        "person" => Some(Resource::People),
        "mandate" => Some(Resource::Mandates),
        _ => None,
    }
}

/// The parent record must exist, be live and be readable by the caller; otherwise 404.
async fn check_parent(
    tx: &TenantTx,
    p: &Principal,
    record_type: &str,
    record_id: Uuid,
) -> ApiResult<RecordOwner> {
    let resource = parent_resource(record_type).ok_or_else(|| {
        ApiError::field(
            "record_type",
            "invalid_choice",
            "organisation, person or mandate",
        )
    })?;
    let parent = store::parent(&**tx, p.tenant_uuid(), record_type, record_id)
        .await?
        .ok_or_else(|| ApiError::field("record_id", "not_found", "no such record"))?;
    let owner = RecordOwner {
        owner_id: parent.owner_id.map(UserId),
        owner_team: parent.owner_team_id.map(TeamId),
    };
    if !p
        .grants
        .authorize(&p.subject(), resource, Action::Read, Some(&owner))
    {
        return Err(ApiError::field("record_id", "not_found", "no such record"));
    }
    Ok(owner)
}

/// Load a live document whose parent the caller can read.
async fn load(tx: &TenantTx, p: &Principal, id: Uuid) -> ApiResult<(Document, RecordOwner)> {
    let d = store::find(&**tx, p.tenant_uuid(), id)
        .await?
        .filter(|d| d.deleted_at.is_none())
        .ok_or(ApiError::NotFound)?;
    let owner = check_parent(tx, p, &d.record_type, d.record_id)
        .await
        .map_err(|_| ApiError::NotFound)?;
    Ok((d, owner))
}

/// Purge the documents of a record being purged, in its transaction. Returns the files to
/// delete with [`remove_files`] once the transaction has committed.
pub async fn purge_attached(
    tx: &TenantTx,
    state: &AppState,
    tenant: Uuid,
    record_type: &str,
    record_id: Uuid,
) -> ApiResult<Vec<PathBuf>> {
    let ids = store::purge_for_record(&**tx, tenant, record_type, record_id).await?;
    Ok(ids
        .into_iter()
        .map(|id| doc_path(state, tenant, id))
        .collect())
}

/// Delete files whose rows are gone; a missing file is not an error.
pub async fn remove_files(paths: Vec<PathBuf>) {
    for path in paths {
        if let Err(e) = tokio::fs::remove_file(&path).await
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %path.display(), error = %e, "could not delete a purged document");
        }
    }
}

fn doc_path(state: &AppState, tenant: Uuid, id: Uuid) -> PathBuf {
    state
        .cfg
        .data_dir
        .join(tenant.to_string())
        .join("documents")
        .join(id.to_string())
}

/// What the bytes are, if we keep such files. Text is accepted when it is valid UTF-8 with no
/// NUL byte; HTML, SVG, scripts and executables are refused.
fn sniff(head: &[u8], file_name: &str) -> Option<&'static str> {
    let lower = file_name.to_ascii_lowercase();
    if let Some(kind) = infer::get(head) {
        let mime = kind.mime_type();
        const ALLOWED: &[&str] = &[
            "application/pdf",
            "image/png",
            "image/jpeg",
            "image/gif",
            "image/webp",
            "image/tiff",
            "application/msword",
            "application/vnd.ms-excel",
            "application/vnd.ms-powerpoint",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "application/vnd.oasis.opendocument.text",
            "application/vnd.oasis.opendocument.spreadsheet",
            "application/vnd.oasis.opendocument.presentation",
            "application/rtf",
        ];
        return ALLOWED.iter().copied().find(|m| *m == mime);
    }
    // No magic number: plain text (CSV, TXT) only.
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        // A multi-byte character cut at the end of the sniffed window is fine.
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
        Err(_) => return None,
    };
    let looks_like_markup = {
        let t = text.trim_start().to_ascii_lowercase();
        t.starts_with('<') || t.contains("<script") || t.contains("<html")
    };
    if text.is_empty() || text.contains('\0') || looks_like_markup {
        return None;
    }
    Some(if lower.ends_with(".csv") {
        "text/csv"
    } else {
        "text/plain"
    })
}

/// Keep a safe display name: no path, no control characters, at most 255 characters.
pub(crate) fn clean_name(raw: &str) -> Option<String> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("").trim();
    let name: String = base.chars().filter(|c| !c.is_control()).take(255).collect();
    (!name.is_empty() && name != "." && name != "..").then_some(name)
}

pub(crate) struct Staged {
    pub(crate) tmp: PathBuf,
    pub(crate) size: u64,
    sha256: Vec<u8>,
    pub(crate) head: Vec<u8>,
    pub(crate) file_name: String,
}

/// Stream the `file` field to a temporary file, hashing and counting as it goes.
pub(crate) async fn stage_file(
    field: &mut actix_multipart::Field,
    dir: &std::path::Path,
    limit: u64,
    file_name: String,
) -> ApiResult<Staged> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(ApiError::internal)?;
    let tmp = dir.join(format!("upload-{}", Uuid::now_v7()));
    let mut f = tokio::fs::File::create(&tmp)
        .await
        .map_err(ApiError::internal)?;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut head = Vec::with_capacity(8192);
    let result: ApiResult<()> = async {
        while let Some(chunk) = field
            .try_next()
            .await
            .map_err(|e| ApiError::BadRequest("invalid_multipart", e.to_string()))?
        {
            size += chunk.len() as u64;
            if size > limit {
                return Err(ApiError::PayloadTooLarge(limit as usize));
            }
            if head.len() < 8192 {
                let take = (8192 - head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..take]);
            }
            hasher.update(&chunk);
            f.write_all(&chunk).await.map_err(ApiError::internal)?;
        }
        f.flush().await.map_err(ApiError::internal)?;
        Ok(())
    }
    .await;
    if let Err(e) = result {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(e);
    }
    Ok(Staged {
        tmp,
        size,
        sha256: hasher.finalize().to_vec(),
        head,
        file_name,
    })
}

/// Upload a file (multipart/form-data: `record_type`, `record_id`, `file`).
///
/// The type is detected from the content: PDF, images, Word/Excel/PowerPoint, OpenDocument,
/// RTF, CSV and plain text are accepted; anything else is 415. Larger than the limit
/// (20 MB by default, `RELAIS_MAX_UPLOAD_BYTES`) is 413.
#[utoipa::path(post, path = "/api/v1/documents", tag = "documents",
    operation_id = "v1.document.create", security(("bearer" = [])),
    request_body(content = DocumentUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored", body = DocumentOut),
        (status = 400, description = "Malformed form", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "File too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "File type not accepted", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing field or unknown record", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn upload_document(
    state: web::Data<AppState>,
    auth: Auth,
    mut form: Multipart,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Documents, Action::Create)?;
    let tenant = p.tenant_uuid();
    let dir = state
        .cfg
        .data_dir
        .join(tenant.to_string())
        .join("documents");
    let mut record_type: Option<String> = None;
    let mut record_id: Option<String> = None;
    let mut staged: Option<Staged> = None;
    let bad = |e: actix_multipart::MultipartError| {
        ApiError::BadRequest("invalid_multipart", e.to_string())
    };
    let outcome: ApiResult<()> = async {
        while let Some(mut field) = form.try_next().await.map_err(bad)? {
            let name = field.name().unwrap_or_default().to_owned();
            match name.as_str() {
                "file" => {
                    if staged.is_some() {
                        return Err(ApiError::field("file", "duplicate", "send one file"));
                    }
                    let file_name = field
                        .content_disposition()
                        .and_then(|cd| cd.get_filename())
                        .and_then(clean_name)
                        .ok_or_else(|| {
                            ApiError::field("file", "required", "the file needs a name")
                        })?;
                    staged = Some(
                        stage_file(&mut field, &dir, state.cfg.max_upload_bytes, file_name).await?,
                    );
                }
                "record_type" | "record_id" => {
                    let mut buf = Vec::new();
                    while let Some(chunk) = field.try_next().await.map_err(bad)? {
                        buf.extend_from_slice(&chunk);
                        if buf.len() > 100 {
                            return Err(ApiError::field(&name, "too_long", "at most 100 bytes"));
                        }
                    }
                    let v = String::from_utf8(buf)
                        .map_err(|_| ApiError::field(&name, "invalid", "not UTF-8 text"))?;
                    if name == "record_type" {
                        record_type = Some(v.trim().to_owned());
                    } else {
                        record_id = Some(v.trim().to_owned());
                    }
                }
                other => {
                    return Err(ApiError::field(
                        other,
                        "unknown_field",
                        "unexpected form field",
                    ));
                }
            }
        }
        Ok(())
    }
    .await;
    let cleanup = |s: &Option<Staged>| {
        if let Some(s) = s {
            let _ = std::fs::remove_file(&s.tmp);
        }
    };
    if let Err(e) = outcome {
        cleanup(&staged);
        return Err(e);
    }
    let result = store_upload(&state, &p, record_type, record_id, staged.as_ref()).await;
    if result.is_err() {
        cleanup(&staged);
    }
    result
}

async fn store_upload(
    state: &AppState,
    p: &Principal,
    record_type: Option<String>,
    record_id: Option<String>,
    staged: Option<&Staged>,
) -> ApiResult<HttpResponse> {
    let mut v = crate::error::Validator::new();
    if record_type.is_none() {
        v.push("record_type", "required", "organisation, person or mandate");
    }
    let rid = match record_id.as_deref().map(str::parse::<Uuid>) {
        None => {
            v.push("record_id", "required", "the record's id");
            None
        }
        Some(Err(_)) => {
            v.push("record_id", "invalid_id", "not an id");
            None
        }
        Some(Ok(id)) => Some(id),
    };
    if staged.is_none() {
        v.push("file", "required", "attach a file");
    }
    v.finish()?;
    let (record_type, rid, staged) = (
        record_type.unwrap_or_default(),
        rid.unwrap_or_default(),
        staged.expect("checked"),
    );
    let content_type = sniff(&staged.head, &staged.file_name).ok_or_else(|| {
        ApiError::UnsupportedFile(
            "accepted: PDF, images, Word/Excel/PowerPoint, OpenDocument, RTF, CSV and plain text"
                .into(),
        )
    })?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let owner = check_parent(&tx, p, &record_type, rid).await?;
    // Attaching a file changes the record: the caller must be allowed to update it.
    let resource = parent_resource(&record_type).expect("checked by check_parent");
    p.require_record(resource, Action::Update, &owner)?;
    let id = Uuid::now_v7();
    let doc = store::insert(
        &*tx,
        tenant,
        &NewDocument {
            id,
            record_type: &record_type,
            record_id: rid,
            file_name: &staged.file_name,
            content_type,
            size_bytes: staged.size as i64,
            sha256: &staged.sha256,
            uploaded_by: p.user.id,
        },
    )
    .await?;
    let body = out(doc.clone());
    let record = serde_json::to_value(&body).map_err(ApiError::internal)?;
    events::record(
        &*tx,
        tenant,
        "document.created",
        "document",
        id,
        actor(p),
        None,
        Some(&record),
    )
    .await?;
    let path = doc_path(state, tenant, id);
    tokio::fs::rename(&staged.tmp, &path)
        .await
        .map_err(ApiError::internal)?;
    if let Err(e) = tx.commit().await {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(e.into());
    }
    let etag = http::etag(doc.id, doc.updated_at);
    Ok(http::created(
        &body,
        &format!("/api/v1/documents/{id}"),
        &etag,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DocumentQuery {
    /// `organisation`, `person` or `mandate`.
    pub record_type: String,
    pub record_id: Uuid,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
    /// `true` lists the record's trash (needs the manage permission on documents).
    pub deleted: Option<bool>,
}

/// Documents of a record, oldest first; `deleted=true` lists those in its trash.
#[utoipa::path(get, path = "/api/v1/documents", tag = "documents",
    operation_id = "v1.document.list", security(("bearer" = [])), params(DocumentQuery),
    responses(
        (status = 200, description = "A page", body = Page<DocumentOut>),
        (status = 422, description = "Unknown record", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_documents(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<DocumentQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    list_for(
        &state,
        &auth.0,
        &q.record_type,
        q.record_id,
        q.deleted.unwrap_or(false),
        q.limit,
        q.cursor.as_deref(),
    )
    .await
}

async fn list_for(
    state: &AppState,
    p: &Principal,
    record_type: &str,
    record_id: Uuid,
    deleted: bool,
    limit: Option<u64>,
    cursor: Option<&str>,
) -> ApiResult<HttpResponse> {
    p.require(
        Resource::Documents,
        if deleted {
            Action::Manage
        } else {
            Action::Read
        },
    )?;
    let limit = http::page_limit(limit)?;
    let after = http::decode_cursor(cursor)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let owner = check_parent(&tx, p, record_type, record_id).await?;
    if deleted {
        p.require_record(Resource::Documents, Action::Manage, &owner)?;
    }
    let rows = store::list_for(
        &*tx,
        p.tenant_uuid(),
        record_type,
        record_id,
        deleted,
        after,
        limit + 1,
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(http::paginate(rows, limit, |d| d.id, out)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// The documents tab of an organisation.
#[utoipa::path(get, path = "/api/v1/organisations/{id}/documents", tag = "documents",
    operation_id = "v1.organisation.documents", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id"), PageQuery),
    responses(
        (status = 200, description = "A page", body = Page<DocumentOut>),
        (status = 422, description = "Unknown organisation", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn organisation_documents(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    list_for(
        &state,
        &auth.0,
        "organisation",
        *id,
        false,
        query.limit,
        query.cursor.as_deref(),
    )
    .await
}

/// A document's metadata.
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents",
    operation_id = "v1.document.get", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "Metadata", body = DocumentOut),
        (status = 404, description = "No such document", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_document(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Documents, Action::Read)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let (d, _) = load(&tx, &p, *id).await?;
    tx.commit().await?;
    let etag = http::etag(d.id, d.updated_at);
    Ok(http::ok_with_etag(&out(d), &etag))
}

/// Download the file, with its original name.
#[utoipa::path(get, path = "/api/v1/documents/{id}/content", tag = "documents",
    operation_id = "v1.document.download", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 404, description = "No such document", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn download_document(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Documents, Action::Read)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let (d, _) = load(&tx, &p, *id).await?;
    tx.commit().await?;
    let bytes = tokio::fs::read(doc_path(&state, p.tenant_uuid(), d.id))
        .await
        .map_err(|e| ApiError::internal(format!("document file missing: {e}")))?;
    let ascii: String = d
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: d.file_name.clone().into_bytes(),
            }),
        ],
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, d.content_type.clone()))
        .insert_header(disposition)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// Move a document to the trash (an administrator can restore it for 30 days); the file stays
/// on disk until the document is purged.
#[utoipa::path(delete, path = "/api/v1/documents/{id}", tag = "documents",
    operation_id = "v1.document.delete", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such document", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_document(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Documents, Action::Delete)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let (d, owner) = load(&tx, &p, *id).await?;
    let resource = parent_resource(&d.record_type).expect("stored types are valid");
    p.require_record(resource, Action::Update, &owner)?;
    store::soft_delete(&*tx, tenant, d.id, p.user.id).await?;
    let record = serde_json::to_value(out(d.clone())).map_err(ApiError::internal)?;
    events::record(
        &*tx,
        tenant,
        "document.deleted",
        "document",
        d.id,
        actor(&p),
        Some(&record),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A document in any state whose parent the caller may read and whose documents they may
/// manage; 404 otherwise. Also says whether the parent is in the trash.
async fn load_for_manage(tx: &TenantTx, p: &Principal, id: Uuid) -> ApiResult<(Document, bool)> {
    let d = store::find(&**tx, p.tenant_uuid(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let resource = parent_resource(&d.record_type).ok_or(ApiError::NotFound)?;
    // A parent erased for good leaves an orphan only an all-records manager can reach.
    let (owner, parent_deleted) =
        match store::parent_any(&**tx, p.tenant_uuid(), &d.record_type, d.record_id).await? {
            Some((parent, deleted)) => (
                RecordOwner {
                    owner_id: parent.owner_id.map(UserId),
                    owner_team: parent.owner_team_id.map(TeamId),
                },
                deleted,
            ),
            None => (
                RecordOwner {
                    owner_id: None,
                    owner_team: None,
                },
                false,
            ),
        };
    let subject = p.subject();
    if !p
        .grants
        .authorize(&subject, resource, Action::Read, Some(&owner))
        || !p
            .grants
            .authorize(&subject, Resource::Documents, Action::Manage, Some(&owner))
    {
        return Err(ApiError::NotFound);
    }
    Ok((d, parent_deleted))
}

/// Take a document out of the trash (within 30 days of its deletion). 409 `parent_deleted`
/// while its record is in the trash: restore the record first.
#[utoipa::path(post, path = "/api/v1/documents/{id}/restore", tag = "documents",
    operation_id = "v1.document.restore", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "Restored", body = DocumentOut, headers(("ETag" = String))),
        (status = 403, description = "Not allowed (needs manage)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not in the trash, or deleted more than 30 days ago", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Its record is in the trash", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn restore_document(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Documents, Action::Manage)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let (d, parent_deleted) = load_for_manage(&tx, &p, *id).await?;
    if d.deleted_at.is_none() {
        return Err(ApiError::NotFound);
    }
    if parent_deleted {
        return Err(ApiError::Conflict(
            "parent_deleted",
            format!("the {} is in the trash: restore it first", d.record_type),
        ));
    }
    if !store::restore(&*tx, tenant, d.id).await? {
        return Err(ApiError::NotFound);
    }
    let after = store::find(&*tx, tenant, d.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let body = out(after.clone());
    let record = serde_json::to_value(&body).map_err(ApiError::internal)?;
    events::record(
        &*tx,
        tenant,
        "document.restored",
        "document",
        after.id,
        actor(&p),
        None,
        Some(&record),
    )
    .await?;
    tx.commit().await?;
    let etag = http::etag(after.id, after.updated_at);
    Ok(http::ok_with_etag(&body, &etag))
}

/// Erase a document for good (live or in the trash): the row, then the file once that is
/// committed. Its history stays.
#[utoipa::path(post, path = "/api/v1/documents/{id}/purge", tag = "documents",
    operation_id = "v1.document.purge", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 204, description = "Erased"),
        (status = 403, description = "Not allowed (needs manage)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn purge_document(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    p.require(Resource::Documents, Action::Manage)?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let (d, _) = load_for_manage(&tx, &p, *id).await?;
    store::purge(&*tx, tenant, d.id).await?;
    let record = serde_json::to_value(out(d.clone())).map_err(ApiError::internal)?;
    events::record(
        &*tx,
        tenant,
        "document.purged",
        "document",
        d.id,
        actor(&p),
        Some(&record),
        None,
    )
    .await?;
    tx.commit().await?;
    // Only now: a rolled-back purge must still find its file. A file left behind by a failed
    // removal is unreachable (no row points at it) and logged.
    let path = doc_path(&state, tenant, d.id);
    if let Err(e) = tokio::fs::remove_file(&path).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(document = %d.id, error = %e, "purged document: file not removed");
    }
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_trusts_bytes_not_names() {
        assert_eq!(sniff(b"%PDF-1.7\n...", "x.txt"), Some("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n....", "x.pdf"), Some("image/png"));
        assert_eq!(
            sniff("nom;ville\nDupont;Paris\n".as_bytes(), "a.csv"),
            Some("text/csv")
        );
        assert_eq!(sniff(b"hello", "notes.txt"), Some("text/plain"));
        assert_eq!(sniff(b"<html><script>alert(1)</script>", "a.txt"), None);
        assert_eq!(sniff(b"<svg onload=alert(1)>", "a.svg"), None);
        assert_eq!(
            sniff(b"MZ\x90\x00\x03\x00\x00\x00", "a.pdf"),
            None,
            "executables"
        );
        assert_eq!(sniff(b"a\0b", "a.txt"), None);
        assert_eq!(sniff(b"", "a.txt"), None);
        // A multi-byte character cut at the end of the window is still text.
        assert_eq!(sniff(&"é".as_bytes()[..1], "a.txt"), None);
        assert_eq!(
            sniff("abcé".as_bytes().split_at(4).0, "a.txt"),
            Some("text/plain")
        );
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(
            clean_name("C:\\Users\\x\\Relevé été.pdf").as_deref(),
            Some("Relevé été.pdf")
        );
        assert_eq!(clean_name(".."), None);
        assert_eq!(clean_name("  "), None);
    }
}
