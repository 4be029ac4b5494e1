//! Extractors that turn bad input into problem+json: a JSON body reader with field paths,
//! and the handlers for path and query errors.

use crate::error::ApiError;
use actix_web::{FromRequest, HttpRequest, dev::Payload, error::PayloadError, http::header, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

/// A JSON body and its raw bytes (for request hashing, e.g. Idempotency-Key).
pub struct JsonBytes<T> {
    pub value: T,
    pub raw: web::Bytes,
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBytes<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let fut = read_json_body(req, payload);
        Box::pin(async move {
            let raw = fut.await?;
            let value = parse_json(&raw)?;
            Ok(JsonBytes { value, raw })
        })
    }
}

/// A JSON body. Syntax errors are 400 `malformed_json`; type errors, unknown and missing
/// fields are 422 with the JSON path of the field; bodies over the limit are 413.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let fut = read_json_body(req, payload);
        Box::pin(async move { parse_json(&fut.await?).map(Json) })
    }
}

/// Check the content type and read the body within the size limit.
fn read_json_body(
    req: &HttpRequest,
    payload: &mut Payload,
) -> LocalBoxFuture<'static, Result<web::Bytes, ApiError>> {
    {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || m.ends_with("+json")
            })
            .unwrap_or(false);
        let limit = req
            .app_data::<web::Data<crate::AppState>>()
            .map_or(1024 * 1024, |s| s.cfg.max_json_bytes);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType);
            }
            let bytes = body.await.map_err(|e| match e.as_error::<PayloadError>() {
                Some(PayloadError::Overflow) => ApiError::PayloadTooLarge(limit),
                _ => {
                    if e.as_response_error().status_code() == 413 {
                        ApiError::PayloadTooLarge(limit)
                    } else {
                        ApiError::BadRequest("unreadable_body", e.to_string())
                    }
                }
            })?;
            if bytes.len() > limit {
                return Err(ApiError::PayloadTooLarge(limit));
            }
            Ok(bytes)
        })
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut *de) {
        Ok(v) => {
            // Only whitespace may follow the value: `{"a": 1} junk` is not JSON.
            de.end().map_err(|e| {
                ApiError::BadRequest("malformed_json", format!("the body is not valid JSON: {e}"))
            })?;
            // PostgreSQL cannot store U+0000 in text: refuse it here, with the field, rather
            // than fail in the database.
            if let Some(field) = nul_character_field(bytes) {
                return Err(ApiError::field(
                    &field,
                    "invalid_characters",
                    "the NUL character (\\u0000) is not allowed",
                ));
            }
            Ok(v)
        }
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            // serde_json reports some type errors as syntax errors (a number where an enum
            // code is expected: "expected value"): the body is malformed only if it is not JSON.
            let mistyped = (inner.is_syntax() || inner.is_eof())
                && serde_json::from_slice::<serde_json::Value>(bytes).is_ok();
            if (inner.is_syntax() || inner.is_eof()) && !mistyped {
                return Err(ApiError::BadRequest(
                    "malformed_json",
                    format!("the body is not valid JSON: {inner}"),
                ));
            }
            let msg = if mistyped {
                "invalid type: not a value this field accepts".to_owned()
            } else {
                inner.to_string()
            };
            let code = if msg.starts_with("unknown field") {
                "unknown_field"
            } else if msg.starts_with("missing field") {
                "required"
            } else if msg.starts_with("invalid type") {
                "invalid_type"
            } else {
                "invalid"
            };
            let field = match (code, path.as_str()) {
                // serde reports a missing field at its parent; name the field itself.
                ("required", p) => {
                    let name = msg.split('`').nth(1).unwrap_or("");
                    if p == "." || p.is_empty() {
                        name.to_owned()
                    } else {
                        format!("{p}.{name}")
                    }
                }
                ("unknown_field", p) => {
                    let name = msg.split('`').nth(1).unwrap_or("");
                    match p.rsplit_once('.') {
                        Some((parent, _)) if !parent.is_empty() => format!("{parent}.{name}"),
                        _ => name.to_owned(),
                    }
                }
                (_, ".") => String::new(),
                (_, p) => p.to_owned(),
            };
            let message = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
            Err(ApiError::field(&field, code, message))
        }
    }
}

/// The path of the first string (or key) holding U+0000, if any. JSON can only carry it as
/// the escape `\u0000`, so bodies without that sequence are not parsed twice.
fn nul_character_field(bytes: &[u8]) -> Option<String> {
    fn walk(v: &serde_json::Value, path: &str) -> Option<String> {
        match v {
            serde_json::Value::String(s) => s.contains('\0').then(|| path.to_owned()),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, x)| walk(x, &format!("{path}[{i}]"))),
            serde_json::Value::Object(map) => map.iter().find_map(|(k, x)| {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if k.contains('\0') {
                    Some(p)
                } else {
                    walk(x, &p)
                }
            }),
            _ => None,
        }
    }
    if !bytes.windows(6).any(|w| w == br"\u0000") {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    walk(&value, "")
}

pub fn path_error(err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest("invalid_id", format!("malformed path parameter: {err}")).into()
}

pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    ApiError::BadRequest("invalid_query", format!("invalid query string: {err}")).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use relais_types::LoginIn;

    fn field_code<T>(r: Result<T, ApiError>) -> (String, String) {
        match r {
            Err(ApiError::Validation(e)) => (e[0].field.clone(), e[0].code.clone()),
            other => panic!("expected a validation error, got {:?}", other.err()),
        }
    }

    #[test]
    fn json_errors_name_the_field() {
        assert!(matches!(
            parse_json::<LoginIn>(b"{not json"),
            Err(ApiError::BadRequest("malformed_json", _))
        ));
        assert_eq!(
            field_code(parse_json::<LoginIn>(br#"{"email": 3, "password": "x"}"#)),
            ("email".into(), "invalid_type".into())
        );
        assert_eq!(
            field_code(parse_json::<LoginIn>(br#"{"email": "a@b.fr"}"#)),
            ("password".into(), "required".into())
        );
        assert_eq!(
            field_code(parse_json::<LoginIn>(
                br#"{"email": "a@b.fr", "password": "x", "pwd": 1}"#
            )),
            ("pwd".into(), "unknown_field".into())
        );
        assert!(parse_json::<LoginIn>(br#"{"email": "a@b.fr", "password": "x"}"#).is_ok());
        assert!(matches!(
            parse_json::<LoginIn>(br#"{"email": "a@b.fr", "password": "x"} junk"#),
            Err(ApiError::BadRequest("malformed_json", _))
        ));
        assert_eq!(
            field_code(parse_json::<LoginIn>(
                br#"{"email": "a@b.fr", "password": "x\u0000"}"#
            )),
            ("password".into(), "invalid_characters".into())
        );
        // Valid JSON of the wrong type where an enum is expected is a field error.
        assert_eq!(
            field_code(parse_json::<relais_types::RoleIn>(
                br#"{"key": "k", "name": "K", "grants": [{"resource": 3, "action": "read", "scope": "all"}]}"#
            )),
            ("grants[0].resource".into(), "invalid_type".into())
        );
        // An escaped backslash followed by "u0000" is plain text.
        assert!(parse_json::<LoginIn>(br#"{"email": "a@b.fr", "password": "x\\u0000"}"#).is_ok());
    }
}
