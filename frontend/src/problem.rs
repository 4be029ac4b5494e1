//! What the app does with an API failure: the problem+json document becomes an [`ApiError`]
//! whose message and field errors are shown in the user's language.

use crate::i18n::{Lang, lookup, t, t_args};
use relais_types::{FieldError, Problem};

/// A failed call: the server's problem document, or no answer at all.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// The server answered with an error status.
    Problem(Problem),
    /// No usable answer (offline, server down, unreadable body).
    Network(String),
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Problem(p) => write!(f, "{} ({})", p.title, p.code),
            ApiError::Network(e) => write!(f, "network error: {e}"),
        }
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    /// Builds the error from a status and a body, whatever the body is: a proxy's HTML page
    /// still yields a readable error.
    pub fn from_response(status: u16, body: &str) -> ApiError {
        match serde_json::from_str::<Problem>(body) {
            Ok(p) => ApiError::Problem(p),
            Err(_) => ApiError::Problem(Problem {
                type_: "about:blank".into(),
                title: format!("HTTP {status}"),
                status,
                code: status_code(status).into(),
                detail: None,
                request_id: None,
                errors: Vec::new(),
            }),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            ApiError::Problem(p) => p.status,
            ApiError::Network(_) => 0,
        }
    }

    pub fn code(&self) -> &str {
        match self {
            ApiError::Problem(p) => &p.code,
            ApiError::Network(_) => "network",
        }
    }

    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            ApiError::Problem(p) => &p.errors,
            ApiError::Network(_) => &[],
        }
    }

    /// The message for a person, in `lang`. Known codes have a translation; others fall back
    /// to the server's title. A server error quotes its request id for support.
    pub fn message(&self, lang: Lang) -> String {
        let ApiError::Problem(p) = self else {
            return t(lang, "error.network");
        };
        let base = lookup(lang, &format!("error.code.{}", p.code))
            .map(str::to_owned)
            .unwrap_or_else(|| p.title.clone());
        match (&p.request_id, p.status >= 500) {
            (Some(id), true) => format!(
                "{base} {}",
                t_args(lang, "error.request_id", &[("id", id.as_str())])
            ),
            _ => base,
        }
    }

    /// The message for one field of a form, or `None` when the field is fine.
    pub fn field_message(&self, lang: Lang, field: &str) -> Option<String> {
        let e = self.field_errors().iter().find(|e| e.field == field)?;
        Some(
            lookup(lang, &format!("error.field.{}", e.code))
                .map(str::to_owned)
                .unwrap_or_else(|| e.message.clone()),
        )
    }

    /// Whether a refreshed token could make the call succeed.
    pub fn is_expired_token(&self) -> bool {
        self.status() == 401 && matches!(self.code(), "invalid_token" | "unauthorized")
    }
}

fn status_code(status: u16) -> &'static str {
    match status {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        413 => "payload_too_large",
        422 => "validation_failed",
        429 => "rate_limited",
        s if s >= 500 => "internal_error",
        _ => "http_error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVALID: &str = r#"{"type":"/problems/validation-failed","title":"Invalid request",
        "status":422,"code":"validation_failed","detail":"2 fields are invalid",
        "request_id":"r1","errors":[
          {"field":"name","code":"required","message":"required"},
          {"field":"website","code":"some_new_code","message":"not a web address"}]}"#;

    #[test]
    fn problem_documents_become_translated_messages() {
        let e = ApiError::from_response(422, INVALID);
        assert_eq!(e.status(), 422);
        assert_eq!(e.code(), "validation_failed");
        assert_eq!(
            e.message(Lang::Fr),
            t(Lang::Fr, "error.code.validation_failed")
        );
        assert_eq!(
            e.message(Lang::En),
            t(Lang::En, "error.code.validation_failed")
        );
        assert_ne!(e.message(Lang::Fr), e.message(Lang::En));
    }

    #[test]
    fn field_errors_use_known_codes_and_fall_back_to_the_server_text() {
        let e = ApiError::from_response(422, INVALID);
        assert_eq!(
            e.field_message(Lang::En, "name").as_deref(),
            Some(t(Lang::En, "error.field.required").as_str())
        );
        assert_eq!(
            e.field_message(Lang::Fr, "website").as_deref(),
            Some("not a web address")
        );
        assert_eq!(e.field_message(Lang::Fr, "email"), None);
    }

    #[test]
    fn wrong_password_and_unknown_codes() {
        let body = r#"{"type":"/problems/invalid-credentials","title":"Wrong email or password",
            "status":401,"code":"invalid_credentials"}"#;
        let e = ApiError::from_response(401, body);
        assert_eq!(
            e.message(Lang::En),
            t(Lang::En, "error.code.invalid_credentials")
        );
        assert!(!e.is_expired_token());
        let odd = r#"{"type":"x","title":"Something new","status":409,"code":"brand_new"}"#;
        assert_eq!(
            ApiError::from_response(409, odd).message(Lang::Fr),
            "Something new"
        );
    }

    #[test]
    fn server_errors_quote_the_request_id() {
        let body = r#"{"type":"x","title":"Internal","status":500,"code":"internal_error",
            "request_id":"01JABC"}"#;
        let msg = ApiError::from_response(500, body).message(Lang::Fr);
        assert!(msg.contains("01JABC"), "{msg}");
    }

    #[test]
    fn non_json_bodies_and_network_failures_are_still_readable() {
        let e = ApiError::from_response(502, "<html>Bad gateway</html>");
        assert_eq!(e.code(), "internal_error");
        assert_eq!(
            e.message(Lang::En),
            t(Lang::En, "error.code.internal_error")
        );
        let n = ApiError::Network("fetch failed".into());
        assert_eq!(n.message(Lang::Fr), t(Lang::Fr, "error.network"));
        assert_eq!(n.status(), 0);
    }

    #[test]
    fn expired_tokens_are_recognised() {
        let body = r#"{"type":"x","title":"t","status":401,"code":"invalid_token"}"#;
        assert!(ApiError::from_response(401, body).is_expired_token());
    }
}
