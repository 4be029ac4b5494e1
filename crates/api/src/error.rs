//! One error type for the whole API, rendered as RFC 9457 problem+json.
//!
//! Policy: libraries (this crate, store, domain) use thiserror; anyhow with `.context()` is for
//! binaries, workers and CLI code only. Internal causes are logged with the request id and
//! never sent to the client: a 500 says "internal error" and the id to quote.

use actix_web::{
    HttpResponse, ResponseError,
    http::{StatusCode, header},
};
use relais_domain::ValueError;
use relais_store::StoreError;
use relais_types::{FieldError, Problem};

tokio::task_local! {
    /// The id of the request being served, set by the request-id middleware.
    pub static REQUEST_ID: String;
}

pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("bad request: {1}")]
    BadRequest(&'static str, String),
    #[error("unauthorized: {1}")]
    Unauthorized(&'static str, String),
    #[error("forbidden: {1}")]
    Forbidden(&'static str, String),
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("conflict: {1}")]
    Conflict(&'static str, String),
    #[error("precondition failed")]
    PreconditionFailed,
    #[error("precondition required")]
    PreconditionRequired,
    #[error("payload too large")]
    PayloadTooLarge(usize),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("unsupported file type")]
    UnsupportedFile(String),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A single invalid field.
    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        }])
    }

    pub fn forbidden() -> Self {
        Self::Forbidden("forbidden", "you do not have permission to do this".into())
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        Self::Internal(err.to_string())
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str, Option<String>) {
        use ApiError::*;
        match self {
            Validation(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "Invalid request",
                Some(match errors.len() {
                    1 => "1 field is invalid".to_owned(),
                    n => format!("{n} fields are invalid"),
                }),
            ),
            BadRequest(code, d) => (
                StatusCode::BAD_REQUEST,
                code,
                "Bad request",
                Some(d.clone()),
            ),
            Unauthorized(code, d) => (
                StatusCode::UNAUTHORIZED,
                code,
                "Authentication required",
                Some(d.clone()),
            ),
            Forbidden(code, d) => (StatusCode::FORBIDDEN, code, "Forbidden", Some(d.clone())),
            NotFound => (StatusCode::NOT_FOUND, "not_found", "Not found", None),
            MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "Method not allowed",
                None,
            ),
            Conflict(code, d) => (StatusCode::CONFLICT, code, "Conflict", Some(d.clone())),
            PreconditionFailed => (
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                "Precondition failed",
                Some("the record changed since you read it (ETag mismatch); reload it".into()),
            ),
            PreconditionRequired => (
                StatusCode::PRECONDITION_REQUIRED,
                "precondition_required",
                "Precondition required",
                Some("send If-Match with the ETag from your last read".into()),
            ),
            PayloadTooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "Payload too large",
                Some(if *limit > 0 {
                    format!("the body exceeds {limit} bytes")
                } else {
                    "the body is too large".to_owned()
                }),
            ),
            UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Unsupported media type",
                Some("send Content-Type: application/json".into()),
            ),
            UnsupportedFile(d) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_file_type",
                "Unsupported file type",
                Some(d.clone()),
            ),
            TooManyRequests { retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many requests",
                Some(format!("retry in {retry_after_secs} s")),
            ),
            Unavailable(d) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                Some(d.clone()),
            ),
            Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "Internal error",
                Some("an unexpected error occurred; quote the request id when reporting it".into()),
            ),
        }
    }

    pub fn to_problem(&self) -> Problem {
        let (status, code, title, detail) = self.parts();
        Problem {
            type_: format!("/problems/{}", code.replace('_', "-")),
            title: title.to_owned(),
            status: status.as_u16(),
            code: code.to_owned(),
            detail,
            request_id: current_request_id(),
            errors: match self {
                ApiError::Validation(e) => e.clone(),
                _ => Vec::new(),
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        let problem = self.to_problem();
        match self {
            ApiError::Internal(cause) => {
                tracing::error!(request_id = ?problem.request_id, %cause, "internal error");
            }
            ApiError::Unavailable(cause) => {
                tracing::warn!(request_id = ?problem.request_id, %cause, "unavailable");
            }
            _ => {}
        }
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if let ApiError::TooManyRequests { retry_after_secs } = self {
            res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        res.body(serde_json::to_string(&problem).unwrap_or_default())
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(c) => constraint_error(&c),
            StoreError::ForeignKey(c) => constraint_error(&c),
            StoreError::Check(c) => ApiError::Validation(vec![FieldError {
                field: c.clone(),
                code: "invalid".into(),
                message: format!("violates {c}"),
            }]),
            // Text that PostgreSQL cannot store (U+0000) that reached a query: the client's
            // input, not a server fault. JSON bodies are checked earlier, with the field.
            other if matches!(other.sqlstate().as_deref(), Some("22021" | "22P05")) => {
                ApiError::BadRequest(
                    "invalid_characters",
                    "the request contains a character that cannot be stored (NUL)".into(),
                )
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// Unique and foreign-key violations, by constraint name, as field errors.
fn constraint_error(constraint: &str) -> ApiError {
    let (field, code, message) = match constraint {
        "users_email_key" => ("email", "taken", "a user with this email already exists"),
        "users_role_fkey" => ("role_id", "not_found", "no such role"),
        "users_team_fkey" => ("team_id", "not_found", "no such team"),
        "roles_key_key" => ("key", "taken", "a role with this key already exists"),
        "teams_name_key" => ("name", "taken", "a team with this name already exists"),
        "tenants_slug_key" => ("slug", "taken", "this slug is taken"),
        "api_keys_role_fkey" => ("role_id", "not_found", "no such role"),
        // Deleting something others still point at (purging an organisation with mandates…).
        c if c.ends_with("_fkey")
            && (c.starts_with("mandates_")
                || c.starts_with("interactions_")
                || c.starts_with("person_organisations_")) =>
        {
            return ApiError::Conflict(
                "has_dependents",
                "other records still refer to this one; delete or move them first".into(),
            );
        }
        _ => {
            return ApiError::Conflict("conflict", format!("constraint {constraint} violated"));
        }
    };
    ApiError::field(field, code, message)
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        StoreError::from(err).into()
    }
}

/// Collects field errors while validating an input, then fails once with all of them.
#[derive(Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keep the parsed value, or record the error under `field`.
    pub fn check<T>(&mut self, field: &str, r: Result<T, ValueError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(field, e.code, e.message);
                None
            }
        }
    }

    pub fn push(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        });
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
