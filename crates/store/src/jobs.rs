//! The Postgres-backed job queue. Jobs are tenant-owned rows; workers claim due jobs across
//! tenants through the `jobs_claim` SECURITY DEFINER function (FOR UPDATE SKIP LOCKED), then
//! finish each one inside that tenant's RLS context.

use crate::{error::Result, stmt};
use sea_orm::{ConnectionTrait, FromQueryResult};
use std::time::Duration;
use uuid::Uuid;

/// A job handed to a worker.
#[derive(Clone, Debug, FromQueryResult)]
pub struct ClaimedJob {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempts: i32,
}

/// Enqueue a job in the caller's transaction: it becomes visible to workers only if the
/// transaction commits, so a rolled-back request never sends its email.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    kind: &str,
    payload: &serde_json::Value,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    db.execute_raw(stmt(
        "INSERT INTO jobs (tenant_id, id, kind, payload) VALUES ($1, $2, $3, $4)",
        [
            tenant.into(),
            id.into(),
            kind.into(),
            payload.clone().into(),
        ],
    ))
    .await?;
    db.execute_raw(stmt("SELECT pg_notify('relais_jobs', $1)", [kind.into()]))
        .await?;
    Ok(id)
}

pub async fn claim(
    db: &impl ConnectionTrait,
    worker: &str,
    kinds: &[&str],
    limit: i32,
    stale_after: Duration,
) -> Result<Vec<ClaimedJob>> {
    let kinds: Vec<String> = kinds.iter().map(|k| (*k).to_owned()).collect();
    Ok(ClaimedJob::find_by_statement(stmt(
        "SELECT tenant_id, id, kind, payload, attempts \
         FROM jobs_claim($1, $2, $3, make_interval(secs => $4))",
        [
            worker.into(),
            kinds.into(),
            limit.into(),
            stale_after.as_secs_f64().into(),
        ],
    ))
    .all(db)
    .await?)
}

pub async fn succeed(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<()> {
    db.execute_raw(stmt(
        "UPDATE jobs SET status = 'succeeded', finished_at = now(), updated_at = now(), \
         locked_by = NULL, locked_at = NULL, last_error = NULL WHERE tenant_id = $1 AND id = $2",
        [tenant.into(), id.into()],
    ))
    .await?;
    Ok(())
}

/// Record a failure: retry later with exponential backoff, or give up after `max_attempts`.
pub async fn fail(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
    error: &str,
    retry_in: Duration,
) -> Result<()> {
    db.execute_raw(stmt(
        "UPDATE jobs SET last_error = $3, updated_at = now(), locked_by = NULL, locked_at = NULL, \
         status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END, \
         finished_at = CASE WHEN attempts >= max_attempts THEN now() END, \
         run_at = now() + make_interval(secs => $4) WHERE tenant_id = $1 AND id = $2",
        [
            tenant.into(),
            id.into(),
            error.into(),
            retry_in.as_secs_f64().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Enqueue a job started by a user, attempted at most `max_attempts` times.
pub async fn enqueue_by(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    kind: &str,
    payload: &serde_json::Value,
    created_by: Uuid,
    max_attempts: i32,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    db.execute_raw(stmt(
        "INSERT INTO jobs (tenant_id, id, kind, payload, created_by, max_attempts) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        [
            tenant.into(),
            id.into(),
            kind.into(),
            payload.clone().into(),
            created_by.into(),
            max_attempts.into(),
        ],
    ))
    .await?;
    db.execute_raw(stmt("SELECT pg_notify('relais_jobs', $1)", [kind.into()]))
        .await?;
    Ok(id)
}

/// A job as its owner sees it.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Job {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub kind: String,
    pub payload: serde_json::Value,
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
    pub progress: Option<serde_json::Value>,
    pub created_by: Option<Uuid>,
    pub cancel_requested_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

const JOB_COLUMNS: &str = "tenant_id, id, kind, payload, status, attempts, max_attempts, \
    last_error, progress, created_by, cancel_requested_at, created_at, updated_at, finished_at";

pub async fn find(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<Option<Job>> {
    Ok(Job::find_by_statement(stmt(
        &format!("SELECT {JOB_COLUMNS} FROM jobs WHERE tenant_id = $1 AND id = $2"),
        [tenant.into(), id.into()],
    ))
    .one(db)
    .await?)
}

/// Ask a job to stop: a queued one is cancelled at once, a running one is flagged and stops
/// at its next checkpoint. Returns the job after the change.
pub async fn request_cancel(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
) -> Result<Option<Job>> {
    db.execute_raw(stmt(
        "UPDATE jobs SET cancel_requested_at = coalesce(cancel_requested_at, now()), \
         status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END, \
         finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END, \
         updated_at = now() WHERE tenant_id = $1 AND id = $2 AND status IN ('queued', 'running')",
        [tenant.into(), id.into()],
    ))
    .await?;
    find(db, tenant, id).await
}

/// Record progress (and show the worker is alive: claims of silent jobs look at `locked_at`).
/// Returns whether cancellation was requested.
pub async fn progress(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
    progress: &serde_json::Value,
) -> Result<bool> {
    let row = db
        .query_one_raw(stmt(
            "UPDATE jobs SET progress = $3, locked_at = now(), updated_at = now() \
             WHERE tenant_id = $1 AND id = $2 RETURNING cancel_requested_at IS NOT NULL AS cancel",
            [tenant.into(), id.into(), progress.clone().into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => r.try_get("", "cancel")?,
        None => true,
    })
}

/// End a job with a final status (`succeeded`, `failed` or `cancelled`) and progress.
pub async fn finish(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
    status: &str,
    error: Option<&str>,
    progress: Option<&serde_json::Value>,
) -> Result<()> {
    db.execute_raw(stmt(
        "UPDATE jobs SET status = $3, last_error = $4, progress = coalesce($5, progress), \
         finished_at = now(), updated_at = now(), locked_by = NULL, locked_at = NULL \
         WHERE tenant_id = $1 AND id = $2",
        [
            tenant.into(),
            id.into(),
            status.into(),
            error.map(str::to_owned).into(),
            progress.cloned().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Kind of the job that runs (or dry-runs) an import.
pub const KIND_IMPORT: &str = "import.run";

/// Payload of an [`KIND_IMPORT`] job.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ImportPayload {
    pub import_id: Uuid,
    pub dry_run: bool,
}

/// Kind of the job that sends one email.
pub const KIND_EMAIL: &str = "email.send";

/// Payload of an [`KIND_EMAIL`] job.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct EmailPayload {
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// Kind of the job that writes a large export to a file for later download.
pub const KIND_EXPORT: &str = "export";

/// Payload of an [`KIND_EXPORT`] job: what `GET /api/v1/exports/{kind}` would have been asked,
/// and who asked (the job reads as them, with their permissions and scope).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ExportPayload {
    /// `organisations`, `people`, `mandates`, `tasks` or `interactions`.
    pub kind: String,
    /// The query string: format, delimiter and the list's filters and sort.
    pub query: String,
    pub user_id: Uuid,
    /// Set when an API key started the export: the job then has that key's role.
    pub api_key_id: Option<Uuid>,
}
