//! Cross-cutting behaviour of every response: a request id (`X-Request-Id`, echoed when the
//! client sent a sane one), one JSON log line, security headers, and the guarantee that
//! every error is problem+json and that a panic becomes a 500 instead of a dropped connection.

use crate::error::{ApiError, REQUEST_ID};
use actix_web::{
    Error, HttpResponse,
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{
        StatusCode,
        header::{self, HeaderName, HeaderValue},
    },
    middleware::Next,
};
use futures_util::FutureExt;
use std::{panic::AssertUnwindSafe, time::Instant};
use uuid::Uuid;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

fn sane_request_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    (!s.is_empty()
        && s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c)))
    .then(|| s.to_owned())
}

pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = req
        .headers()
        .get(X_REQUEST_ID)
        .and_then(sane_request_id)
        .unwrap_or_else(|| Uuid::now_v7().to_string());
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let started = Instant::now();
    // No clone of the request may be held across `next.call`: the router needs it unshared.
    let outcome = REQUEST_ID
        .scope(id.clone(), async {
            match AssertUnwindSafe(next.call(req)).catch_unwind().await {
                Ok(Ok(res)) => Ok(ensure_problem(res.map_into_boxed_body())),
                Ok(Err(err)) => Err(problem_response(err.error_response())),
                Err(_) => {
                    tracing::error!(path = %path, "handler panicked");
                    Err(actix_web::ResponseError::error_response(
                        &ApiError::Internal("panic".into()),
                    ))
                }
            }
        })
        .await;

    let status = match &outcome {
        Ok(res) => res.status(),
        Err(res) => res.status(),
    };
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if status.is_server_error() {
        tracing::error!(request_id = %id, %method, %path, status = status.as_u16(), ms, "request");
    } else {
        tracing::info!(request_id = %id, %method, %path, status = status.as_u16(), ms, "request");
    }
    match outcome {
        Ok(mut res) => {
            add_headers(res.headers_mut(), &id);
            Ok(res)
        }
        Err(mut res) => {
            add_headers(res.headers_mut(), &id);
            Err(actix_web::error::InternalError::from_response("request failed", res).into())
        }
    }
}

fn add_headers(headers: &mut header::HeaderMap, id: &str) {
    if let Ok(v) = HeaderValue::from_str(id) {
        headers.insert(X_REQUEST_ID, v);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
}

/// Replace an error response that is not already problem+json (a 404 from the router, a 405,
/// an error from actix itself) by the matching problem document, with the request id.
fn ensure_problem(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    if !needs_problem(res.response()) {
        return res;
    }
    let (req, res) = res.into_parts();
    ServiceResponse::new(req, problem_response(res))
}

fn needs_problem(res: &HttpResponse) -> bool {
    let status = res.status();
    (status.is_client_error() || status.is_server_error())
        && !res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/problem+json"))
}

fn problem_response(res: HttpResponse) -> HttpResponse {
    if !needs_problem(&res) {
        return res;
    }
    let status = res.status();
    let err = match status {
        StatusCode::NOT_FOUND => ApiError::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(0),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
        s if s.is_server_error() => ApiError::Internal(format!("status {s}")),
        s => ApiError::BadRequest(
            "bad_request",
            s.canonical_reason().unwrap_or("bad request").to_owned(),
        ),
    };
    let mut new = actix_web::ResponseError::error_response(&err);
    *new.status_mut() = status;
    new
}

/// Answer for routes nobody matched.
pub async fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&ApiError::NotFound)
}
