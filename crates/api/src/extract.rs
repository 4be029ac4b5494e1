//! Extractors that turn bad input into problem+json: a JSON body reader with field paths,
//! and the handlers for path and query errors.

use crate::error::ApiError;
use actix_web::{FromRequest, HttpRequest, dev::Payload, error::PayloadError, http::header, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

/// A JSON body. Syntax errors are 400 `malformed_json`; type errors, unknown and missing
/// fields are 422 with the JSON path of the field; bodies over the limit are 413.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
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
            parse_json(&bytes).map(Json)
        })
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                return Err(ApiError::BadRequest(
                    "malformed_json",
                    format!("the body is not valid JSON: {inner}"),
                ));
            }
            let msg = inner.to_string();
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

    fn field_code(r: Result<LoginIn, ApiError>) -> (String, String) {
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
            field_code(parse_json(br#"{"email": 3, "password": "x"}"#)),
            ("email".into(), "invalid_type".into())
        );
        assert_eq!(
            field_code(parse_json(br#"{"email": "a@b.fr"}"#)),
            ("password".into(), "required".into())
        );
        assert_eq!(
            field_code(parse_json(
                br#"{"email": "a@b.fr", "password": "x", "pwd": 1}"#
            )),
            ("pwd".into(), "unknown_field".into())
        );
        assert!(parse_json::<LoginIn>(br#"{"email": "a@b.fr", "password": "x"}"#).is_ok());
    }
}
