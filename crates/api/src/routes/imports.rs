//! Imports (SPEC IMP-1…5): upload a CSV or spreadsheet, see what was detected (encoding,
//! delimiter, headers, a mapping onto fields guessed from French or English headers) and the
//! first rows as they will be imported, adjust the mapping, the upsert key and the mode, then
//! dry-run and run as background jobs (`/api/v1/jobs/{id}` for progress). The report lists
//! every bad row with its line; the XLSX error report holds the bad rows with their errors.
//! Templates give the expected headers with example rows.
//!
//! An import belongs to whoever uploaded it (plus anyone whose `import` scope on that kind of
//! record is `all`, who may read it). Files live under `<data_dir>/<tenant>/imports/<id>/`.

use crate::{
    ApiResult, AppState,
    auth::{Auth, Credential, Principal},
    error::{ApiError, Validator},
    extract::Json,
    files, http,
    routes::documents::{Staged, clean_name, stage_file},
};
use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use futures_util::TryStreamExt;
use relais_domain::{
    Action, Resource, Scope,
    imports::{self as rules, ImportKind, ImportMode, UpsertKey},
};
use relais_sheets::{self as sheets, Format, SheetError};
use relais_store::{
    TenantTx,
    imports::{self as store, Detected, Import, NewImport},
    jobs::{self, ImportPayload, KIND_IMPORT},
};
use relais_types::{
    ImportFieldOut, ImportOut, ImportPatch, ImportPreviewRow, ImportReport, ImportRowError,
    ImportUpload, Page, Problem,
};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use utoipa::IntoParams;
use uuid::Uuid;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/imports")
            .route(web::get().to(list_imports))
            .route(web::post().to(create_import)),
    );
    cfg.service(web::resource("/imports/templates/{type}").route(web::get().to(import_template)));
    cfg.service(
        web::resource("/imports/{id}")
            .route(web::get().to(get_import))
            .route(web::patch().to(update_import))
            .route(web::delete().to(delete_import)),
    );
    cfg.service(web::resource("/imports/{id}/dry-run").route(web::post().to(dry_run_import)));
    cfg.service(web::resource("/imports/{id}/run").route(web::post().to(run_import)));
    cfg.service(
        web::resource("/imports/{id}/errors.xlsx").route(web::get().to(import_error_report)),
    );
}

/// The resource an import kind writes.
pub fn resource(kind: ImportKind) -> Resource {
    match kind {
        ImportKind::Organisations => Resource::Organisations,
        ImportKind::People => Resource::People,
        ImportKind::Products => Resource::Products,
    }
}

pub fn kind_of(i: &Import) -> ImportKind {
    ImportKind::from_code(&i.kind).unwrap_or(ImportKind::Organisations)
}

/// `<data_dir>/<tenant>/imports/<id>/`.
pub fn import_dir(state: &AppState, tenant: Uuid, id: Uuid) -> PathBuf {
    state
        .cfg
        .data_dir
        .join(tenant.to_string())
        .join("imports")
        .join(id.to_string())
}

pub fn source_path(dir: &Path) -> PathBuf {
    dir.join("source")
}

pub fn error_report_path(dir: &Path) -> PathBuf {
    dir.join("errors.xlsx")
}

pub fn limits(state: &AppState) -> sheets::Limits {
    sheets::Limits {
        max_columns: state.cfg.imports.max_columns,
        max_cell_chars: 32_767,
        max_expanded_bytes: state.cfg.imports.max_expanded_bytes,
    }
}

/// How to read an import's file, as stored.
pub fn read_options(i: &Import) -> sheets::Options {
    sheets::Options {
        encoding: i.encoding.as_deref().and_then(sheets::Encoding::from_code),
        delimiter: i.delimiter.as_deref().and_then(|d| d.bytes().next()),
        sheet: i.sheet.clone(),
    }
}

fn parse_delimiter(raw: &str) -> Option<u8> {
    match raw {
        "," | "comma" => Some(b','),
        ";" | "semicolon" => Some(b';'),
        "\t" | "tab" => Some(b'\t'),
        _ => None,
    }
}

/// A whole-file problem as problem+json: unsupported formats are 415, the rest 422 on `file`.
pub fn sheet_error(e: SheetError) -> ApiError {
    match e.code {
        "unsupported_format" => ApiError::UnsupportedFile(e.message),
        "io" => ApiError::internal(e.message),
        "sheet_not_found" => ApiError::field("sheet", e.code, e.message),
        code => ApiError::field("file", code, e.message),
    }
}

/// The stored mapping as field keys (unknown entries dropped).
pub fn stored_mapping(kind: ImportKind, i: &Import) -> Vec<Option<&'static str>> {
    mapping_strings(i)
        .iter()
        .map(|m| m.as_deref().and_then(|k| kind.field(k)).map(|f| f.key))
        .collect()
}

fn mapping_strings(i: &Import) -> Vec<Option<String>> {
    serde_json::from_value(i.mapping.clone()).unwrap_or_default()
}

fn headers_of(i: &Import) -> Vec<String> {
    serde_json::from_value(i.headers.clone()).unwrap_or_default()
}

/// The header of column `i`, for messages.
pub fn column_name(headers: &[String], i: usize) -> String {
    headers
        .get(i)
        .cloned()
        .unwrap_or_else(|| format!("Colonne {}", i + 1))
}

#[derive(Deserialize)]
struct SampleRow {
    line: u64,
    cells: Vec<String>,
}

/// The wire form of an import, with the preview computed from the stored first rows.
pub fn import_out(i: &Import) -> ImportOut {
    let kind = kind_of(i);
    let headers = headers_of(i);
    let mapping = stored_mapping(kind, i);
    let sample: Vec<SampleRow> = serde_json::from_value(i.sample.clone()).unwrap_or_default();
    let preview = sample
        .into_iter()
        .map(|row| {
            let (values, errors) = match rules::parse_row(kind, &mapping, &row.cells) {
                Ok(v) => (v.pairs(), Vec::new()),
                // A bad row still shows its cells, as they are in the file.
                Err(errs) => (
                    mapping
                        .iter()
                        .enumerate()
                        .filter_map(|(i, m)| {
                            let cell = row.cells.get(i).map(|c| c.trim()).unwrap_or("");
                            m.filter(|_| !cell.is_empty()).map(|k| (k, cell.to_owned()))
                        })
                        .collect(),
                    errs,
                ),
            };
            ImportPreviewRow {
                line: row.line,
                values: values.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
                errors: errors
                    .into_iter()
                    .map(|e| ImportRowError {
                        line: row.line,
                        column: e.column.map(|c| column_name(&headers, c)),
                        field: Some(e.field.to_owned()),
                        code: e.code.to_owned(),
                        message: e.message,
                    })
                    .collect(),
            }
        })
        .collect();
    ImportOut {
        id: i.id,
        type_: kind,
        status: i.status.clone(),
        file_name: i.file_name.clone(),
        format: i.format.clone(),
        size_bytes: i.size_bytes,
        encoding: i.encoding.clone(),
        delimiter: i.delimiter.clone(),
        sheet: i.sheet.clone(),
        sheets: i.sheets.clone(),
        headers,
        mapping: mapping_strings(i),
        fields: kind
            .fields()
            .iter()
            .map(|f| ImportFieldOut {
                key: f.key.into(),
                header: f.fr.into(),
                label: f.en.into(),
                required: f.required,
            })
            .collect(),
        upsert_key: UpsertKey::from_code(&i.upsert_key).unwrap_or(UpsertKey::None),
        upsert_keys: kind.upsert_keys().to_vec(),
        mode: ImportMode::from_code(&i.mode).unwrap_or(ImportMode::AllOrNothing),
        create_missing_organisations: i.create_missing_organisations,
        preview,
        job_id: i.job_id,
        report: i
            .report
            .clone()
            .and_then(|r| serde_json::from_value::<ImportReport>(r).ok()),
        error: i.error.clone(),
        committed: i.committed,
        created_by: i.created_by,
        created_at: i.created_at,
        updated_at: i.updated_at,
        finished_at: i.finished_at,
    }
}

/// Read the file's first rows and guess the mapping (on the blocking pool: parsing a
/// workbook is CPU work).
async fn detect(
    state: &AppState,
    path: PathBuf,
    format: Format,
    opts: sheets::Options,
    kind: ImportKind,
) -> ApiResult<Detected> {
    let limits = limits(state);
    let preview = state.cfg.imports.preview_rows;
    let probe = web::block(move || sheets::probe(&path, format, &opts, &limits, preview))
        .await
        .map_err(ApiError::internal)?
        .map_err(sheet_error)?;
    if probe.sample.is_empty() && probe.sample_issues.is_empty() {
        return Err(ApiError::field(
            "file",
            "no_rows",
            "the file has a header row but no data rows",
        ));
    }
    let mut headers = probe.headers.clone();
    for (i, h) in headers.iter_mut().enumerate() {
        if h.is_empty() {
            *h = format!("Colonne {}", i + 1);
        }
    }
    let mapping = rules::detect_mapping(kind, &headers);
    let sample: Vec<serde_json::Value> = probe
        .sample
        .iter()
        .map(|r| serde_json::json!({"line": r.line, "cells": r.cells}))
        .collect();
    Ok(Detected {
        format: format.code().into(),
        encoding: probe.encoding.map(|e| e.code().to_owned()),
        delimiter: probe.delimiter.map(|d| (d as char).to_string()),
        sheet: probe.sheet,
        sheets: probe.sheets,
        headers: serde_json::json!(headers),
        sample: serde_json::Value::Array(sample),
        mapping: serde_json::json!(mapping),
    })
}

/// Text form fields are short.
async fn small_field(field: &mut actix_multipart::Field, name: &str) -> ApiResult<String> {
    let mut buf = Vec::new();
    while let Some(chunk) = field
        .try_next()
        .await
        .map_err(|e| ApiError::BadRequest("invalid_multipart", e.to_string()))?
    {
        buf.extend_from_slice(&chunk);
        if buf.len() > 200 {
            return Err(ApiError::field(name, "too_long", "at most 200 bytes"));
        }
    }
    String::from_utf8(buf)
        .map(|s| s.trim().to_owned())
        .map_err(|_| ApiError::field(name, "invalid", "not UTF-8 text"))
}

fn may_import(p: &Principal, kind: ImportKind) -> ApiResult<Scope> {
    p.require(resource(kind), Action::Import)
}

/// Upload a file to import (multipart/form-data: `type`, `file`, and optionally `encoding`,
/// `delimiter`, `sheet`).
///
/// Answers with what was detected: format (from the bytes), encoding and delimiter (CSV),
/// sheets (workbooks), headers, a mapping of columns onto fields guessed from French or
/// English headers, and the first rows as they would be imported. Nothing is imported yet.
/// Larger than the limit (100 MiB by default, `RELAIS_IMPORT_MAX_BYTES`) is 413, checked
/// against `Content-Length` before anything is read; an unreadable file is 415 or 422 with
/// a code on `file` (`empty_file`, `no_header`, `no_rows`, `corrupt_file`, `file_too_large`).
#[utoipa::path(post, path = "/api/v1/imports", tag = "imports",
    operation_id = "v1.import.create", security(("bearer" = [])),
    request_body(content = ImportUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Uploaded and analysed", body = ImportOut, headers(("Location" = String))),
        (status = 400, description = "Malformed form", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "No import permission", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "File too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not a CSV or spreadsheet", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty, truncated or unreadable file; missing field", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_import(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    mut form: Multipart,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    if ImportKind::ALL.iter().all(|k| may_import(&p, *k).is_err()) {
        return Err(ApiError::forbidden());
    }
    let limit = state.cfg.imports.max_bytes;
    // Refuse a body that announces itself too large before reading a byte of it.
    let claimed = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if claimed.is_some_and(|n| n > limit.saturating_add(64 * 1024)) {
        return Err(ApiError::PayloadTooLarge(limit as usize));
    }
    let tenant = p.tenant_uuid();
    let staging = state.cfg.data_dir.join(tenant.to_string()).join("imports");
    let mut kind: Option<String> = None;
    let mut encoding: Option<String> = None;
    let mut delimiter: Option<String> = None;
    let mut sheet: Option<String> = None;
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
                    staged = Some(stage_file(&mut field, &staging, limit, file_name).await?);
                }
                "type" => kind = Some(small_field(&mut field, &name).await?),
                "encoding" => encoding = Some(small_field(&mut field, &name).await?),
                "delimiter" => delimiter = Some(small_field(&mut field, &name).await?),
                "sheet" => sheet = Some(small_field(&mut field, &name).await?),
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
    let result = match outcome {
        Ok(()) => {
            store_upload(
                &state,
                &p,
                kind,
                encoding,
                delimiter,
                sheet,
                staged.as_ref(),
            )
            .await
        }
        Err(e) => Err(e),
    };
    if let Some(s) = &staged {
        // Moved into place on success; removed otherwise.
        let _ = tokio::fs::remove_file(&s.tmp).await;
    }
    result
}

async fn store_upload(
    state: &AppState,
    p: &Principal,
    kind: Option<String>,
    encoding: Option<String>,
    delimiter: Option<String>,
    sheet: Option<String>,
    staged: Option<&Staged>,
) -> ApiResult<HttpResponse> {
    let mut v = Validator::new();
    let kind = match kind.as_deref() {
        None | Some("") => {
            v.push("type", "required", "organisations, people or products");
            None
        }
        Some(k) => {
            let k = ImportKind::from_code(k);
            if k.is_none() {
                v.push(
                    "type",
                    "invalid_choice",
                    "organisations, people or products",
                );
            }
            k
        }
    };
    let encoding = match encoding.as_deref().filter(|e| !e.is_empty()) {
        None => None,
        Some(e) => {
            let parsed = sheets::Encoding::from_code(e);
            if parsed.is_none() {
                v.push("encoding", "invalid_choice", "utf-8 or windows-1252");
            }
            parsed
        }
    };
    let delimiter = match delimiter.as_deref().filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => {
            let parsed = parse_delimiter(d);
            if parsed.is_none() {
                v.push("delimiter", "invalid_choice", "`,`, `;` or `tab`");
            }
            parsed
        }
    };
    if staged.is_none() {
        v.push("file", "required", "attach a file");
    }
    v.finish()?;
    let (kind, staged) = (kind.expect("checked"), staged.expect("checked"));
    may_import(p, kind)?;
    let format = sheets::sniff(&staged.head).map_err(sheet_error)?;
    let opts = sheets::Options {
        encoding,
        delimiter,
        sheet: sheet.filter(|s| !s.is_empty()),
    };
    let detected = detect(state, staged.tmp.clone(), format, opts, kind).await?;
    let tenant = p.tenant_uuid();
    let id = Uuid::now_v7();
    let dir = import_dir(state, tenant, id);
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(ApiError::internal)?;
    tokio::fs::rename(&staged.tmp, source_path(&dir))
        .await
        .map_err(ApiError::internal)?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let inserted = store::insert(
        &*tx,
        tenant,
        &NewImport {
            id,
            kind: kind.code(),
            file_name: &staged.file_name,
            size_bytes: staged.size as i64,
            detected: &detected,
            upsert_key: default_key(kind, &detected).code(),
            created_by: p.user.id,
            api_key_id: match p.credential {
                Credential::ApiKey { id } => Some(id),
                Credential::Session { .. } => None,
            },
        },
    )
    .await;
    let outcome = match inserted {
        Ok(i) => tx.commit().await.map(|()| i).map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    match outcome {
        Ok(i) => Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/api/v1/imports/{id}")))
            .json(import_out(&i))),
        Err(e) => {
            let _ = tokio::fs::remove_dir_all(&dir).await;
            Err(e)
        }
    }
}

/// The kind's usual key when its column was found, else the name, else none.
fn default_key(kind: ImportKind, d: &Detected) -> UpsertKey {
    let mapping: Vec<Option<String>> =
        serde_json::from_value(d.mapping.clone()).unwrap_or_default();
    let mapping: Vec<Option<&'static str>> = mapping
        .iter()
        .map(|m| m.as_deref().and_then(|k| kind.field(k)).map(|f| f.key))
        .collect();
    [kind.default_key(), UpsertKey::Name]
        .into_iter()
        .filter(|k| kind.upsert_keys().contains(k))
        .find(|k| check_key(kind, *k, &mapping).is_ok())
        .unwrap_or(UpsertKey::None)
}

/// The caller may see this import: theirs, or any of its kind with an `all` import scope.
fn visible(p: &Principal, i: &Import) -> bool {
    i.created_by == p.user.id
        || p.grants.scope(resource(kind_of(i)), Action::Import) == Some(Scope::All)
}

async fn load(tx: &TenantTx, p: &Principal, id: Uuid, lock: bool) -> ApiResult<Import> {
    let found = if lock {
        store::find_for_update(&**tx, p.tenant_uuid(), id).await?
    } else {
        store::find(&**tx, p.tenant_uuid(), id).await?
    };
    found.filter(|i| visible(p, i)).ok_or(ApiError::NotFound)
}

/// Only the uploader changes or runs an import, while it can still change.
fn check_editable(p: &Principal, i: &Import) -> ApiResult<()> {
    if i.created_by != p.user.id {
        return Err(ApiError::forbidden());
    }
    may_import(p, kind_of(i))?;
    if i.committed
        || !matches!(
            i.status.as_str(),
            "ready" | "validated" | "failed" | "cancelled"
        )
    {
        return Err(ApiError::Conflict(
            "import_locked",
            if i.committed {
                "this import has already written records; upload the file again to import it again"
                    .into()
            } else {
                format!(
                    "the import is {}; wait for it to finish or cancel it",
                    i.status
                )
            },
        ));
    }
    Ok(())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportListQuery {
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// The caller's imports, newest first (everyone's for those with an `all` import scope).
#[utoipa::path(get, path = "/api/v1/imports", tag = "imports",
    operation_id = "v1.import.list", security(("bearer" = [])), params(ImportListQuery),
    responses(
        (status = 200, description = "A page", body = Page<ImportOut>),
        (status = 403, description = "No import permission", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_imports(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<ImportListQuery>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let scopes: Vec<Option<Scope>> = ImportKind::ALL
        .iter()
        .map(|k| may_import(&p, *k).ok())
        .collect();
    if scopes.iter().all(Option::is_none) {
        return Err(ApiError::forbidden());
    }
    // Others' imports are read when every kind the caller imports is `all`; each import is
    // then filtered by its own kind.
    let all = scopes.iter().flatten().all(|s| *s == Scope::All);
    let limit = http::page_limit(query.limit)?;
    let before = http::decode_cursor(query.cursor.as_deref())?;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let rows = store::list(
        &*tx,
        p.tenant_uuid(),
        (!all).then_some(p.user.id),
        before,
        limit + 1,
    )
    .await?;
    tx.commit().await?;
    let rows: Vec<Import> = rows.into_iter().filter(|i| visible(&p, i)).collect();
    Ok(HttpResponse::Ok().json(http::paginate(rows, limit, |i| i.id, |i| import_out(&i))))
}

/// An import: settings, preview and the report of its last run.
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "imports",
    operation_id = "v1.import.get", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Import id")),
    responses(
        (status = 200, description = "The import", body = ImportOut),
        (status = 404, description = "No such import (or not yours)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_import(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let i = load(&tx, &p, *id, false).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(import_out(&i)))
}

/// The checked mapping, or 422 with one error per bad column (`mapping[2]`).
fn checked_mapping(
    kind: ImportKind,
    headers: usize,
    mapping: &[Option<String>],
) -> ApiResult<Vec<Option<&'static str>>> {
    if mapping.len() != headers {
        return Err(ApiError::field(
            "mapping",
            "invalid_length",
            format!("one entry per column: {headers} expected"),
        ));
    }
    rules::check_mapping(kind, mapping).map_err(|errs| {
        let mut v = Validator::new();
        for (i, e) in errs {
            let field = i.map_or_else(|| "mapping".to_owned(), |i| format!("mapping[{i}]"));
            v.push(&field, e.code, e.message);
        }
        v.finish().expect_err("errors were found")
    })
}

/// The upsert key is one of the kind's, and its column is mapped.
fn check_key(kind: ImportKind, key: UpsertKey, mapping: &[Option<&'static str>]) -> ApiResult<()> {
    if !kind.upsert_keys().contains(&key) {
        return Err(key_not_offered(kind));
    }
    let needed = match (kind, key) {
        (_, UpsertKey::None) => return Ok(()),
        (ImportKind::Products, UpsertKey::Code) => "code",
        (ImportKind::Organisations | ImportKind::People, UpsertKey::Email) => "email",
        (ImportKind::Organisations, UpsertKey::Name) => "name",
        (ImportKind::People, UpsertKey::Name) => "last_name",
        _ => return Err(key_not_offered(kind)),
    };
    if mapping.contains(&Some(needed)) {
        Ok(())
    } else {
        Err(ApiError::field(
            "upsert_key",
            "unmapped",
            format!(
                "map a column to {needed:?} to match records by {}",
                key.code()
            ),
        ))
    }
}

/// 422 on `upsert_key`: the keys `kind` offers, in words.
fn key_not_offered(kind: ImportKind) -> ApiError {
    let keys: Vec<&str> = kind.upsert_keys().iter().map(|k| k.code()).collect();
    ApiError::field(
        "upsert_key",
        "invalid_choice",
        format!(
            "an import of {} matches records by {}",
            kind.code(),
            keys.join(" or ")
        ),
    )
}

/// Change the mapping, the upsert key, the mode, or how the file is read. Any change makes a
/// dry run stale. Changing `encoding`, `delimiter` or `sheet` reads the file again and
/// detects the mapping again (unless `mapping` is sent too).
#[utoipa::path(patch, path = "/api/v1/imports/{id}", tag = "imports",
    operation_id = "v1.import.update", security(("bearer" = [])),
    request_body = ImportPatch,
    params(("id" = Uuid, Path, description = "Import id")),
    responses(
        (status = 200, description = "Updated, with a new preview", body = ImportOut),
        (status = 404, description = "No such import", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Running, or already imported", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid mapping or settings", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_import(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: Json<ImportPatch>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let patch = body.0;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let mut current = load(&tx, &p, *id, true).await?;
    check_editable(&p, &current)?;
    let kind = kind_of(&current);
    let mut v = Validator::new();
    let mut opts = read_options(&current);
    let mut reread = false;
    if let Some(e) = patch.encoding.as_deref() {
        match sheets::Encoding::from_code(e) {
            Some(e) => opts.encoding = Some(e),
            None => v.push("encoding", "invalid_choice", "utf-8 or windows-1252"),
        }
        reread = true;
    }
    if let Some(d) = patch.delimiter.as_deref() {
        match parse_delimiter(d) {
            Some(d) => opts.delimiter = Some(d),
            None => v.push("delimiter", "invalid_choice", "`,`, `;` or `tab`"),
        }
        reread = true;
    }
    if let Some(s) = &patch.sheet {
        opts.sheet = Some(s.clone());
        reread = true;
    }
    v.finish()?;
    let format = Format::from_code(&current.format).unwrap_or(Format::Csv);
    if reread && format != Format::Csv && (patch.encoding.is_some() || patch.delimiter.is_some()) {
        return Err(ApiError::field(
            "encoding",
            "not_applicable",
            "encoding and delimiter apply to CSV files only",
        ));
    }
    if reread {
        let dir = import_dir(&state, tenant, current.id);
        let detected = detect(&state, source_path(&dir), format, opts, kind).await?;
        store::set_detected(&*tx, tenant, current.id, &detected).await?;
        current = store::find(&*tx, tenant, current.id)
            .await?
            .ok_or(ApiError::NotFound)?;
    }
    let headers = headers_of(&current).len();
    let mapping_text = match &patch.mapping {
        Some(m) => {
            checked_mapping(kind, headers, m)?;
            m.clone()
        }
        None => mapping_strings(&current),
    };
    let mapping: Vec<Option<&'static str>> = mapping_text
        .iter()
        .map(|m| m.as_deref().and_then(|k| kind.field(k)).map(|f| f.key))
        .collect();
    let key = patch
        .upsert_key
        .unwrap_or_else(|| UpsertKey::from_code(&current.upsert_key).unwrap_or(UpsertKey::None));
    if !kind.upsert_keys().contains(&key) {
        return Err(key_not_offered(kind));
    }
    if patch.upsert_key.is_some() || patch.mapping.is_some() {
        check_key(kind, key, &mapping)?;
    }
    let mode = patch.mode.unwrap_or_else(|| {
        ImportMode::from_code(&current.mode).unwrap_or(ImportMode::AllOrNothing)
    });
    store::set_options(
        &*tx,
        tenant,
        current.id,
        &serde_json::json!(mapping),
        key.code(),
        mode.code(),
        patch
            .create_missing_organisations
            .unwrap_or(current.create_missing_organisations),
    )
    .await?;
    let updated = store::find(&*tx, tenant, current.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(import_out(&updated)))
}

async fn start(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    dry_run: bool,
) -> ApiResult<HttpResponse> {
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let current = load(&tx, p, id, true).await?;
    check_editable(p, &current)?;
    let kind = kind_of(&current);
    let mapping = checked_mapping(kind, headers_of(&current).len(), &mapping_strings(&current))?;
    let key = UpsertKey::from_code(&current.upsert_key).unwrap_or(UpsertKey::None);
    check_key(kind, key, &mapping)?;
    let job = jobs::enqueue_by(
        &*tx,
        tenant,
        KIND_IMPORT,
        &serde_json::to_value(ImportPayload {
            import_id: id,
            dry_run,
        })
        .map_err(ApiError::internal)?,
        p.user.id,
        1,
    )
    .await?;
    store::start(
        &*tx,
        tenant,
        id,
        if dry_run { "validating" } else { "running" },
        job,
    )
    .await?;
    let updated = store::find(&*tx, tenant, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/jobs/{job}")))
        .json(import_out(&updated)))
}

/// Validate every row without writing anything, as a background job: the report says what
/// would be created, updated and skipped, and which rows are wrong.
#[utoipa::path(post, path = "/api/v1/imports/{id}/dry-run", tag = "imports",
    operation_id = "v1.import.dry_run", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Import id")),
    responses(
        (status = 202, description = "Started; follow `job_id` at /api/v1/jobs/{id}", body = ImportOut, headers(("Location" = String))),
        (status = 404, description = "No such import", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Running, or already imported", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The mapping is incomplete", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn dry_run_import(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    start(&state, &auth.0, *id, true).await
}

/// Import the file, as a background job: all or nothing, or skipping bad rows (the `mode`),
/// creating records or updating those matching the `upsert_key`.
#[utoipa::path(post, path = "/api/v1/imports/{id}/run", tag = "imports",
    operation_id = "v1.import.run", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Import id")),
    responses(
        (status = 202, description = "Started; follow `job_id` at /api/v1/jobs/{id}", body = ImportOut, headers(("Location" = String))),
        (status = 404, description = "No such import", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Running, or already imported", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The mapping is incomplete", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn run_import(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    start(&state, &auth.0, *id, false).await
}

/// Delete an import and its files (not while it runs). Imported records stay.
#[utoipa::path(delete, path = "/api/v1/imports/{id}", tag = "imports",
    operation_id = "v1.import.delete", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Import id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such import", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Running", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_import(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let current = load(&tx, &p, *id, true).await?;
    if current.created_by != p.user.id {
        return Err(ApiError::forbidden());
    }
    if matches!(current.status.as_str(), "validating" | "running") {
        return Err(ApiError::Conflict(
            "import_running",
            "cancel the running job first".into(),
        ));
    }
    store::delete(&*tx, tenant, current.id).await?;
    tx.commit().await?;
    let dir = import_dir(&state, tenant, current.id);
    if let Err(e) = tokio::fs::remove_dir_all(&dir).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %dir.display(), error = %e, "could not delete an import's files");
    }
    Ok(HttpResponse::NoContent().finish())
}

/// The bad rows of the last run as a workbook: the original columns, the line, and the
/// errors of each row.
#[utoipa::path(get, path = "/api/v1/imports/{id}/errors.xlsx", tag = "imports",
    operation_id = "v1.import.error_report", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Import id")),
    responses(
        (status = 200, description = "The error report", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 404, description = "No such import, or no error in its last run", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn import_error_report(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let i = load(&tx, &p, *id, false).await?;
    tx.commit().await?;
    let has = i
        .report
        .as_ref()
        .and_then(|r| r.get("has_error_report"))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    let path = error_report_path(&import_dir(&state, p.tenant_uuid(), i.id));
    if !has || !tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Err(ApiError::NotFound);
    }
    let stem = i
        .file_name
        .rsplit_once('.')
        .map_or(i.file_name.as_str(), |(s, _)| s);
    files::download(path, files::XLSX, &format!("erreurs-{stem}.xlsx"), false).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    /// `csv` (UTF-8 with BOM, `;`) or `xlsx` (default).
    pub format: Option<String>,
}

/// A template to fill in: the French headers the mapping recognises and two example rows.
#[utoipa::path(get, path = "/api/v1/imports/templates/{type}", tag = "imports",
    operation_id = "v1.import.template", security(("bearer" = [])),
    params(("type" = ImportKind, Path, description = "organisations, people or products"), TemplateQuery),
    responses(
        (status = 200, description = "The template", content_type = "text/csv"),
        (status = 404, description = "Unknown type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown format", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn import_template(
    state: web::Data<AppState>,
    auth: Auth,
    kind: web::Path<String>,
    query: web::Query<TemplateQuery>,
) -> ApiResult<HttpResponse> {
    let _ = auth.0;
    let kind = ImportKind::from_code(kind.trim_end_matches(".csv").trim_end_matches(".xlsx"))
        .ok_or(ApiError::NotFound)?;
    let fields = kind.fields();
    let headers: Vec<String> = fields.iter().map(|f| f.fr.to_owned()).collect();
    let rows: Vec<Vec<String>> = (0..2)
        .map(|r| fields.iter().map(|f| f.examples[r].to_owned()).collect())
        .collect();
    let name = format!("modele-{}", kind.code());
    match query.format.as_deref().unwrap_or("xlsx") {
        "csv" => {
            let mut out = sheets::CsvOut::new(Vec::new(), b';', true).map_err(sheet_error)?;
            out.text_row(headers.iter().map(String::as_str))
                .map_err(sheet_error)?;
            for r in &rows {
                out.text_row(r.iter().map(String::as_str))
                    .map_err(sheet_error)?;
            }
            let bytes = out.into_inner().map_err(sheet_error)?;
            Ok(HttpResponse::Ok()
                .insert_header((header::CONTENT_TYPE, files::CSV))
                .insert_header(files::attachment(&format!("{name}.csv")))
                .body(bytes))
        }
        "xlsx" => {
            let tmp = state.cfg.data_dir.join("tmp");
            let bytes = web::block(move || -> Result<Vec<u8>, SheetError> {
                std::fs::create_dir_all(&tmp).map_err(|e| SheetError::new("io", e.to_string()))?;
                let path = tmp.join(format!("template-{}.xlsx", Uuid::now_v7()));
                let widths: Vec<f64> = headers.iter().map(|_| 24.0).collect();
                let mut t = sheets::TableXlsx::new(kind.code(), &headers, &widths, false, &tmp)?;
                for r in &rows {
                    t.push(r)?;
                }
                t.finish(&path)?;
                let bytes = std::fs::read(&path).map_err(|e| SheetError::new("io", e.to_string()));
                let _ = std::fs::remove_file(&path);
                bytes
            })
            .await
            .map_err(ApiError::internal)?
            .map_err(sheet_error)?;
            Ok(HttpResponse::Ok()
                .insert_header((header::CONTENT_TYPE, files::XLSX))
                .insert_header(files::attachment(&format!("{name}.xlsx")))
                .body(bytes))
        }
        _ => Err(ApiError::field("format", "invalid_choice", "csv or xlsx")),
    }
}
