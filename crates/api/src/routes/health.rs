//! Liveness and readiness.

use crate::AppState;
use actix_web::{HttpResponse, web};
use relais_types::{Health, HealthCheck};
use std::time::Instant;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(web::get().to(healthz)));
    cfg.service(web::resource("/readyz").route(web::get().to(readyz)));
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", operation_id = "healthz",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
        checks: Vec::new(),
    })
}

/// Readiness: the database answers. 503 with details otherwise.
#[utoipa::path(get, path = "/readyz", tag = "operations", operation_id = "readyz",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "A dependency is down", body = Health),
    ))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let started = Instant::now();
    let db = state.db.ping().await;
    let check = HealthCheck {
        name: "database".into(),
        ok: db.is_ok(),
        detail: db.err().map(|e| e.to_string()),
        latency_ms: started.elapsed().as_secs_f64() * 1000.0,
    };
    let ok = check.ok;
    let body = Health {
        status: if ok { "ok" } else { "unavailable" }.into(),
        checks: vec![check],
    };
    if ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
