//! Pieces every business-record resource shares: who acts (for events), which rows a scope
//! shows, sort cursors, the ids of a bulk action, and the history (event) wire shape.

use crate::{
    auth::{Credential, Principal},
    error::{ApiError, ApiResult},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use relais_domain::Scope;
use relais_store::{
    events::{self, ActorRef},
    organisations::Visibility,
};
use relais_types::EventOut;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The actor recorded on events.
pub fn actor(p: &Principal) -> ActorRef {
    match p.credential {
        Credential::Session { .. } => ActorRef {
            kind: "user",
            id: Some(p.user.id),
        },
        Credential::ApiKey { id } => ActorRef {
            kind: "api_key",
            id: Some(id),
        },
    }
}

/// Rows a granted scope shows to the caller.
pub fn visibility(p: &Principal, scope: Scope) -> Visibility {
    match scope {
        Scope::All => Visibility::All,
        Scope::Team => Visibility::Team {
            user: p.user.id,
            team: p.user.team_id,
        },
        Scope::Own => Visibility::Own { user: p.user.id },
    }
}

/// A keyset cursor over a sorted list: the sort it belongs to, the last row's sort-key values
/// and id.
#[derive(Serialize, Deserialize)]
pub struct SortCursor {
    pub s: String,
    pub k: Vec<String>,
    pub id: Uuid,
}

impl SortCursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Decode a cursor, which must come from the same sort with `keys` sort keys.
    pub fn decode(raw: Option<&str>, sort: &str, keys: usize) -> ApiResult<Option<SortCursor>> {
        let Some(c) = raw.filter(|c| !c.is_empty()) else {
            return Ok(None);
        };
        URL_SAFE_NO_PAD
            .decode(c)
            .ok()
            .and_then(|b| serde_json::from_slice::<SortCursor>(&b).ok())
            .filter(|cur| cur.s == sort && cur.k.len() == keys)
            .map(Some)
            .ok_or_else(|| {
                ApiError::field(
                    "cursor",
                    "invalid_cursor",
                    "not a cursor of this list and sort",
                )
            })
    }
}

/// History cursor: the `seq` of the last event shown.
pub fn decode_seq_cursor(raw: Option<&str>) -> ApiResult<Option<i64>> {
    match raw.filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => URL_SAFE_NO_PAD
            .decode(c)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.parse::<i64>().ok())
            .map(Some)
            .ok_or_else(|| {
                ApiError::field("cursor", "invalid_cursor", "not a cursor of this list")
            }),
    }
}

pub fn encode_seq_cursor(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(seq.to_string())
}

/// An event as shown in history and sent to webhooks.
pub fn event_out(e: events::Event, tenant_slug: &str) -> EventOut {
    EventOut {
        id: format!("evt_{}", e.id.simple()),
        type_: e.event_type,
        occurred_at: e.occurred_at,
        tenant: tenant_slug.to_owned(),
        actor: relais_types::Actor {
            type_: e.actor_type,
            id: e.actor_id,
        },
        data: e.data,
    }
}

/// Bulk ids: de-duplicated, 1 to 1000.
pub fn bulk_ids(mut ids: Vec<Uuid>) -> ApiResult<Vec<Uuid>> {
    ids.sort();
    ids.dedup();
    if ids.is_empty() || ids.len() > 1000 {
        return Err(ApiError::field(
            "ids",
            "out_of_range",
            "between 1 and 1000 ids",
        ));
    }
    Ok(ids)
}

/// 422 on `ids` naming the ids that were not found among `found`.
pub fn unknown_ids(ids: &[Uuid], found: impl Iterator<Item = Uuid> + Clone) -> ApiError {
    let missing: Vec<String> = ids
        .iter()
        .filter(|id| !found.clone().any(|f| f == **id))
        .map(Uuid::to_string)
        .collect();
    ApiError::field(
        "ids",
        "not_found",
        format!("unknown ids: {}", missing.join(", ")),
    )
}

/// Answer a record's history page (newest first) inside `tx`, which the caller opened after
/// checking the record is visible; commits it.
pub async fn history_page(
    tx: relais_store::TenantTx,
    p: &Principal,
    record_type: &str,
    id: Uuid,
    limit: Option<u64>,
    cursor: Option<&str>,
) -> ApiResult<actix_web::HttpResponse> {
    let limit = crate::http::page_limit(limit)?;
    let before_seq = decode_seq_cursor(cursor)?;
    let mut rows = events::for_record(
        &*tx,
        p.tenant_uuid(),
        record_type,
        id,
        before_seq,
        limit + 1,
    )
    .await?;
    tx.commit().await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = more
        .then(|| rows.last().map(|e| encode_seq_cursor(e.seq)))
        .flatten();
    let slug = &p.user.tenant_slug;
    Ok(actix_web::HttpResponse::Ok().json(relais_types::Page {
        items: rows.into_iter().map(|e| event_out(e, slug)).collect(),
        next_cursor,
    }))
}
