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

/// Kind of the job that sends one email.
pub const KIND_EMAIL: &str = "email.send";

/// Payload of an [`KIND_EMAIL`] job.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct EmailPayload {
    pub to: String,
    pub subject: String,
    pub text: String,
}
