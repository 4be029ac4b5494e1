//! `Idempotency-Key` on creating requests: the same key with the same body answers the same
//! status and body without running the request twice; another body is 422; a request still in
//! flight is 409. Keys are scoped to the tenant and the credential (user or API key) and kept
//! 24 hours.

use crate::{
    AppState,
    auth::{Credential, Principal},
    crypto,
    error::{ApiError, ApiResult},
};
use actix_web::{
    HttpRequest, HttpResponse,
    body::to_bytes,
    http::{StatusCode, header},
};
use relais_store::idempotency::{self, Claim};
use serde_json::json;

pub const HEADER: &str = "idempotency-key";

fn credential_id(p: &Principal) -> uuid::Uuid {
    match p.credential {
        Credential::Session { .. } => p.user.id,
        Credential::ApiKey { id } => id,
    }
}

/// Run `op` at most once per Idempotency-Key (when the header is present).
pub async fn run<F, Fut>(
    state: &AppState,
    p: &Principal,
    req: &HttpRequest,
    body: &[u8],
    op: F,
) -> ApiResult<HttpResponse>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ApiResult<HttpResponse>>,
{
    let Some(key) = req.headers().get(HEADER) else {
        return op().await;
    };
    let key = key
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.chars().all(|c| c.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::BadRequest(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1–255 visible ASCII characters".into(),
            )
        })?
        .to_owned();
    let hash = crypto::sha256(&format!(
        "{} {}\n{}",
        req.method(),
        req.path(),
        String::from_utf8_lossy(body)
    ));
    let tenant = p.tenant_uuid();
    let cred = credential_id(p);
    let tx = state.db.tenant_tx(p.tenant).await?;
    let claim = idempotency::claim(&*tx, tenant, cred, &key, &hash).await?;
    tx.commit().await?;
    match claim {
        Claim::Seen(stored) => {
            if stored.request_hash != hash {
                return Err(ApiError::Validation(vec![relais_types::FieldError {
                    field: "Idempotency-Key".into(),
                    code: "idempotency_key_reused".into(),
                    message: "this key was used for a different request".into(),
                }]));
            }
            let Some(status) = stored.response_status else {
                return Err(ApiError::Conflict(
                    "idempotency_in_flight",
                    "a request with this Idempotency-Key is still being processed".into(),
                ));
            };
            let mut res =
                HttpResponse::build(StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK));
            if let Some(serde_json::Value::Object(h)) = stored.response_headers {
                for (k, v) in h {
                    if let Some(v) = v.as_str() {
                        res.insert_header((k.as_str(), v));
                    }
                }
            }
            res.insert_header(("idempotent-replayed", "true"));
            Ok(res.body(stored.response_body.unwrap_or_default()))
        }
        Claim::Fresh => {
            let outcome = op().await;
            let response = match outcome {
                Ok(r) => r,
                Err(e) if e.to_problem().status >= 500 => {
                    if let Ok(tx) = state.db.tenant_tx(p.tenant).await {
                        let _ = idempotency::release(&*tx, tenant, cred, &key).await;
                        let _ = tx.commit().await;
                    }
                    return Err(e);
                }
                Err(e) => actix_web::ResponseError::error_response(&e),
            };
            let status = response.status();
            let mut kept = serde_json::Map::new();
            for name in [header::LOCATION, header::ETAG, header::CONTENT_TYPE] {
                if let Some(v) = response.headers().get(&name).and_then(|v| v.to_str().ok()) {
                    kept.insert(name.as_str().to_owned(), json!(v));
                }
            }
            let (head, body) = response.into_parts();
            let bytes = to_bytes(body)
                .await
                .map_err(|_| ApiError::internal("response body unreadable"))?;
            let tx = state.db.tenant_tx(p.tenant).await?;
            idempotency::complete(
                &*tx,
                tenant,
                cred,
                &key,
                status.as_u16(),
                &bytes,
                &serde_json::Value::Object(kept),
            )
            .await?;
            tx.commit().await?;
            Ok(head.set_body(bytes).map_into_boxed_body())
        }
    }
}
