//! Background jobs as their owner sees them: status, progress (rows done out of the total)
//! and cancellation. A job is visible only to whoever started it; others get 404.

use crate::{ApiResult, AppState, auth::Auth, auth::Principal, error::ApiError};
use actix_web::{HttpResponse, web};
use relais_store::jobs::{self, ImportPayload, Job, KIND_EXPORT, KIND_IMPORT};
use relais_types::{JobOut, JobProgress, Problem};
use uuid::Uuid;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/jobs/{id}").route(web::get().to(get_job)));
    cfg.service(web::resource("/jobs/{id}/cancel").route(web::post().to(cancel_job)));
}

pub fn job_out(j: Job) -> JobOut {
    let result = match j.kind.as_str() {
        KIND_IMPORT => serde_json::from_value::<ImportPayload>(j.payload.clone())
            .ok()
            .map(|p| format!("/api/v1/imports/{}", p.import_id)),
        // The file, once written (downloadable for `RELAIS_EXPORT_FILE_DAYS` days).
        KIND_EXPORT if j.status == "succeeded" => Some(format!("/api/v1/exports/files/{}", j.id)),
        _ => None,
    };
    JobOut {
        id: j.id,
        progress: j.progress.and_then(|p| {
            Some(JobProgress {
                done: p.get("done")?.as_u64()?,
                total: p.get("total").and_then(serde_json::Value::as_u64),
            })
        }),
        kind: j.kind,
        status: j.status,
        attempts: j.attempts,
        last_error: j.last_error,
        cancel_requested: j.cancel_requested_at.is_some(),
        result,
        created_at: j.created_at,
        updated_at: j.updated_at,
        finished_at: j.finished_at,
    }
}

fn mine(p: &Principal, j: &Job) -> bool {
    j.created_by == Some(p.user.id)
}

/// A job's status and progress.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs",
    operation_id = "v1.job.get", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Job id")),
    responses(
        (status = 200, description = "The job", body = JobOut),
        (status = 404, description = "No such job (or not yours)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_job(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let tx = state.db.tenant_tx(p.tenant).await?;
    let j = jobs::find(&*tx, p.tenant_uuid(), *id)
        .await?
        .filter(|j| mine(&p, j))
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(job_out(j)))
}

/// Ask a job to stop. A queued job is cancelled at once; a running import stops after its
/// current batch (an all-or-nothing or dry run then writes nothing; `skip_errors` keeps the
/// batches already written). Cancelling a finished job changes nothing.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/cancel", tag = "jobs",
    operation_id = "v1.job.cancel", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Job id")),
    responses(
        (status = 202, description = "Cancellation requested (or already finished)", body = JobOut),
        (status = 404, description = "No such job (or not yours)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn cancel_job(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    jobs::find(&*tx, tenant, *id)
        .await?
        .filter(|j| mine(&p, j))
        .ok_or(ApiError::NotFound)?;
    let j = jobs::request_cancel(&*tx, tenant, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    // A queued import that never started goes back to being editable.
    if j.status == "cancelled"
        && j.kind == KIND_IMPORT
        && let Ok(payload) = serde_json::from_value::<ImportPayload>(j.payload.clone())
    {
        relais_store::imports::finish(
            &*tx,
            tenant,
            payload.import_id,
            if payload.dry_run {
                "ready"
            } else {
                "cancelled"
            },
            None,
            None,
            false,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(HttpResponse::Accepted().json(job_out(j)))
}
