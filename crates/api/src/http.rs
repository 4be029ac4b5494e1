//! Small HTTP conventions shared by the resource modules: ETags, If-Match, cursors, client IP.

use crate::error::{ApiError, ApiResult};
use actix_web::{HttpRequest, HttpResponse, http::header};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr};
use uuid::Uuid;

/// A strong ETag derived from the record's identity and last change.
pub fn etag(id: Uuid, updated_at: DateTime<Utc>) -> String {
    format!("\"{}-{:x}\"", id.simple(), updated_at.timestamp_micros())
}

/// Check `If-Match` against the current ETag: 428 when absent, 412 when stale. `*` matches.
pub fn check_if_match(req: &HttpRequest, current: &str) -> ApiResult<()> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Err(ApiError::PreconditionRequired);
    };
    let value = value.to_str().map_err(|_| ApiError::PreconditionFailed)?;
    let matches = value
        .split(',')
        .map(str::trim)
        .any(|v| v == "*" || v == current || v.strip_prefix("W/") == Some(current));
    if matches {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed)
    }
}

/// Like [`check_if_match`] but `If-Match` is optional (DELETE).
pub fn check_if_match_optional(req: &HttpRequest, current: &str) -> ApiResult<()> {
    if req.headers().contains_key(header::IF_MATCH) {
        check_if_match(req, current)
    } else {
        Ok(())
    }
}

/// 200 with the record and its ETag.
pub fn ok_with_etag<T: Serialize>(body: &T, etag: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag.to_owned()))
        .json(body)
}

/// 201 with Location and ETag.
pub fn created<T: Serialize>(body: &T, location: &str, etag: &str) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location.to_owned()))
        .insert_header((header::ETAG, etag.to_owned()))
        .json(body)
}

/// Opaque keyset cursor over ids ordered ascending.
pub fn encode_cursor(last_id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(last_id.as_bytes())
}

pub fn decode_cursor(cursor: Option<&str>) -> ApiResult<Option<Uuid>> {
    let Some(c) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| Uuid::from_slice(&b).ok())
        .map(Some)
        .ok_or_else(|| ApiError::field("cursor", "invalid_cursor", "not a cursor from this list"))
}

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

/// `limit` within 1..=200 (default 50).
pub fn page_limit(limit: Option<u64>) -> ApiResult<u64> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::field(
            "limit",
            "out_of_range",
            format!("between 1 and {MAX_LIMIT}"),
        )),
    }
}

/// Fetch `limit + 1` rows, then split into a page and the next cursor.
pub fn paginate<R, T>(
    mut rows: Vec<R>,
    limit: u64,
    id_of: impl Fn(&R) -> Uuid,
    out: impl Fn(R) -> T,
) -> relais_types::Page<T> {
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = more
        .then(|| rows.last().map(|r| encode_cursor(id_of(r))))
        .flatten();
    relais_types::Page {
        items: rows.into_iter().map(out).collect(),
        next_cursor,
    }
}

/// The peer address (no proxy headers are trusted).
pub fn client_ip(req: &HttpRequest) -> IpAddr {
    req.peer_addr()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip())
}
