//! Imports: an uploaded file waiting to be imported, its detected settings, the mapping and
//! options chosen, and the report of its last run. The file itself lives under the data
//! directory; this row is what the API and the import worker share.

use crate::{error::Result, stmt};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct Import {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub kind: String,
    pub status: String,
    pub file_name: String,
    pub format: String,
    pub size_bytes: i64,
    pub encoding: Option<String>,
    pub delimiter: Option<String>,
    pub sheet: Option<String>,
    pub sheets: Vec<String>,
    pub headers: serde_json::Value,
    pub sample: serde_json::Value,
    pub mapping: serde_json::Value,
    pub upsert_key: String,
    pub mode: String,
    pub create_missing_organisations: bool,
    pub job_id: Option<Uuid>,
    pub report: Option<serde_json::Value>,
    pub error: Option<String>,
    pub committed: bool,
    pub created_by: Uuid,
    pub api_key_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "tenant_id, id, kind, status, file_name, format, size_bytes, encoding, \
    delimiter, sheet, sheets, headers, sample, mapping, upsert_key, mode, \
    create_missing_organisations, job_id, report, error, committed, created_by, api_key_id, \
    created_at, updated_at, finished_at";

/// What a probe of the file found (also what changes when the reading settings change).
#[derive(Clone, Debug)]
pub struct Detected {
    pub format: String,
    pub encoding: Option<String>,
    pub delimiter: Option<String>,
    pub sheet: Option<String>,
    pub sheets: Vec<String>,
    pub headers: serde_json::Value,
    pub sample: serde_json::Value,
    pub mapping: serde_json::Value,
}

#[derive(Clone, Debug)]
pub struct NewImport<'a> {
    pub id: Uuid,
    pub kind: &'a str,
    pub file_name: &'a str,
    pub size_bytes: i64,
    pub detected: &'a Detected,
    pub upsert_key: &'a str,
    pub created_by: Uuid,
    pub api_key_id: Option<Uuid>,
}

pub async fn insert(db: &impl ConnectionTrait, tenant: Uuid, n: &NewImport<'_>) -> Result<Import> {
    let d = n.detected;
    db.execute_raw(stmt(
        "INSERT INTO imports (tenant_id, id, kind, file_name, format, size_bytes, encoding, \
         delimiter, sheet, sheets, headers, sample, mapping, upsert_key, created_by, api_key_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        [
            tenant.into(),
            n.id.into(),
            n.kind.into(),
            n.file_name.into(),
            d.format.clone().into(),
            n.size_bytes.into(),
            d.encoding.clone().into(),
            d.delimiter.clone().into(),
            d.sheet.clone().into(),
            d.sheets.clone().into(),
            d.headers.clone().into(),
            d.sample.clone().into(),
            d.mapping.clone().into(),
            n.upsert_key.into(),
            n.created_by.into(),
            n.api_key_id.into(),
        ],
    ))
    .await?;
    Ok(find(db, tenant, n.id).await?.expect("just inserted"))
}

pub async fn find(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<Option<Import>> {
    Ok(Import::find_by_statement(stmt(
        &format!("SELECT {COLUMNS} FROM imports WHERE tenant_id = $1 AND id = $2"),
        [tenant.into(), id.into()],
    ))
    .one(db)
    .await?)
}

/// Lock the row for a state change.
pub async fn find_for_update(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
) -> Result<Option<Import>> {
    Ok(Import::find_by_statement(stmt(
        &format!("SELECT {COLUMNS} FROM imports WHERE tenant_id = $1 AND id = $2 FOR UPDATE"),
        [tenant.into(), id.into()],
    ))
    .one(db)
    .await?)
}

/// The imports of one user (or everyone's when `user` is `None`), newest first, in keyset
/// pages on the id (UUIDv7, so creation order).
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    user: Option<Uuid>,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Import>> {
    Ok(Import::find_by_statement(stmt(
        &format!(
            "SELECT {COLUMNS} FROM imports WHERE tenant_id = $1 \
             AND ($2::uuid IS NULL OR created_by = $2) AND ($3::uuid IS NULL OR id < $3) \
             ORDER BY id DESC LIMIT $4"
        ),
        [
            tenant.into(),
            user.into(),
            before.into(),
            (limit as i64).into(),
        ],
    ))
    .all(db)
    .await?)
}

/// Replace what detection found (after a change of encoding, delimiter or sheet).
pub async fn set_detected(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
    d: &Detected,
) -> Result<()> {
    db.execute_raw(stmt(
        "UPDATE imports SET format = $3, encoding = $4, delimiter = $5, sheet = $6, sheets = $7, \
         headers = $8, sample = $9, mapping = $10, updated_at = now() \
         WHERE tenant_id = $1 AND id = $2",
        [
            tenant.into(),
            id.into(),
            d.format.clone().into(),
            d.encoding.clone().into(),
            d.delimiter.clone().into(),
            d.sheet.clone().into(),
            d.sheets.clone().into(),
            d.headers.clone().into(),
            d.sample.clone().into(),
            d.mapping.clone().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// The options a person chose. Any change makes a previous dry run stale (status `ready`).
pub async fn set_options(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
    mapping: &serde_json::Value,
    upsert_key: &str,
    mode: &str,
    create_missing_organisations: bool,
) -> Result<()> {
    db.execute_raw(stmt(
        "UPDATE imports SET mapping = $3, upsert_key = $4, mode = $5, \
         create_missing_organisations = $6, status = 'ready', report = NULL, error = NULL, \
         updated_at = now() WHERE tenant_id = $1 AND id = $2",
        [
            tenant.into(),
            id.into(),
            mapping.clone().into(),
            upsert_key.into(),
            mode.into(),
            create_missing_organisations.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Hand the import to a job (status `validating` for a dry run, `running` otherwise).
pub async fn start(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
    status: &str,
    job: Uuid,
) -> Result<()> {
    db.execute_raw(stmt(
        "UPDATE imports SET status = $3, job_id = $4, report = NULL, error = NULL, \
         finished_at = NULL, updated_at = now() WHERE tenant_id = $1 AND id = $2",
        [tenant.into(), id.into(), status.into(), job.into()],
    ))
    .await?;
    Ok(())
}

/// Record how a run ended.
#[allow(clippy::too_many_arguments)]
pub async fn finish(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
    status: &str,
    report: Option<&serde_json::Value>,
    error: Option<&str>,
    committed: bool,
) -> Result<()> {
    db.execute_raw(stmt(
        "UPDATE imports SET status = $3, report = $4, error = $5, \
         committed = committed OR $6, finished_at = now(), updated_at = now() \
         WHERE tenant_id = $1 AND id = $2",
        [
            tenant.into(),
            id.into(),
            status.into(),
            report.cloned().into(),
            error.map(str::to_owned).into(),
            committed.into(),
        ],
    ))
    .await?;
    Ok(())
}

pub async fn delete(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<bool> {
    let res = db
        .execute_raw(stmt(
            "DELETE FROM imports WHERE tenant_id = $1 AND id = $2",
            [tenant.into(), id.into()],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}
