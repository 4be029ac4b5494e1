//! The event outbox. Every mutation of a business record appends one event in the same
//! transaction: who, when, the fields before and after, and the full record. History reads it
//! today; webhook delivery and notifications consume it with cursors on `seq`.

use crate::{error::Result, stmt};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// Who caused an event.
#[derive(Clone, Copy, Debug)]
pub struct ActorRef {
    /// `user`, `api_key` or `system`.
    pub kind: &'static str,
    pub id: Option<Uuid>,
}

#[derive(Clone, Debug, FromQueryResult)]
pub struct Event {
    pub tenant_id: Uuid,
    pub seq: i64,
    pub id: Uuid,
    pub event_type: String,
    pub record_type: String,
    pub record_id: Uuid,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub data: Value,
    pub occurred_at: DateTime<Utc>,
}

/// The fields that differ between two JSON objects: (before, after), each holding only the
/// changed keys. Timestamps that always move (`updated_at`) are left out.
pub fn diff(before: &Value, after: &Value) -> (Value, Value) {
    let empty = Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut bo = Map::new();
    let mut ao = Map::new();
    for key in b.keys().chain(a.keys()) {
        if key == "updated_at" || bo.contains_key(key) {
            continue;
        }
        let (bv, av) = (b.get(key), a.get(key));
        if bv != av {
            bo.insert(key.clone(), bv.cloned().unwrap_or(Value::Null));
            ao.insert(key.clone(), av.cloned().unwrap_or(Value::Null));
        }
    }
    (Value::Object(bo), Value::Object(ao))
}

/// Append an event. `before`/`after` are full records (either may be absent for creations
/// and deletions); the stored data keeps only what changed, plus the record after the change.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    type_: &str,
    record_type: &str,
    record_id: Uuid,
    actor: ActorRef,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<Uuid> {
    let (b, a) = match (before, after) {
        (Some(b), Some(a)) => diff(b, a),
        (None, Some(a)) => (json!({}), a.clone()),
        (Some(b), None) => (b.clone(), json!({})),
        (None, None) => (json!({}), json!({})),
    };
    let data = json!({
        "id": record_id,
        "before": b,
        "after": a,
        "record": after.or(before).cloned().unwrap_or(Value::Null),
    });
    let id = Uuid::now_v7();
    db.execute_raw(stmt(
        "INSERT INTO events (tenant_id, id, type, record_type, record_id, actor_type, actor_id, data) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            tenant.into(),
            id.into(),
            type_.into(),
            record_type.into(),
            record_id.into(),
            actor.kind.into(),
            actor.id.into(),
            data.into(),
        ],
    ))
    .await?;
    Ok(id)
}

/// One event of a batch (see [`record_many`]).
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub type_: &'static str,
    pub record_type: &'static str,
    pub record_id: Uuid,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Append many events in one statement, all by `actor`; `source` (when given) is added to
/// each event's data, e.g. `{"type": "import", "import_id": …, "file_name": …, "line": 12}`
/// as a per-event list aligned with `events`.
pub async fn record_many(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    actor: ActorRef,
    events: &[NewEvent],
    sources: &[Option<Value>],
) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let rows: Vec<Value> = events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let (b, a) = match (&e.before, &e.after) {
                (Some(b), Some(a)) => diff(b, a),
                (None, Some(a)) => (json!({}), a.clone()),
                (Some(b), None) => (b.clone(), json!({})),
                (None, None) => (json!({}), json!({})),
            };
            let mut data = json!({
                "id": e.record_id,
                "before": b,
                "after": a,
                "record": e.after.as_ref().or(e.before.as_ref()).cloned().unwrap_or(Value::Null),
            });
            if let Some(Some(src)) = sources.get(i) {
                data["source"] = src.clone();
            }
            json!({
                "id": Uuid::now_v7(),
                "type": e.type_,
                "record_type": e.record_type,
                "record_id": e.record_id,
                "data": data,
            })
        })
        .collect();
    db.execute_raw(stmt(
        "INSERT INTO events (tenant_id, id, type, record_type, record_id, actor_type, actor_id, data) \
         SELECT $1, x.id, x.type, x.record_type, x.record_id, $2, $3, x.data \
         FROM jsonb_to_recordset($4) AS x(id uuid, type text, record_type text, record_id uuid, data jsonb)",
        [
            tenant.into(),
            actor.kind.into(),
            actor.id.into(),
            Value::Array(rows).into(),
        ],
    ))
    .await?;
    Ok(())
}

/// A record's history, newest first, in pages keyed by `seq`.
pub async fn for_record(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    record_type: &str,
    record_id: Uuid,
    before_seq: Option<i64>,
    limit: u64,
) -> Result<Vec<Event>> {
    Ok(Event::find_by_statement(stmt(
        "SELECT tenant_id, seq, id, type AS event_type, record_type, record_id, actor_type, actor_id, data, \
         occurred_at FROM events WHERE tenant_id = $1 AND record_type = $2 AND record_id = $3 \
         AND ($4::bigint IS NULL OR seq < $4) ORDER BY seq DESC LIMIT $5",
        [
            tenant.into(),
            record_type.into(),
            record_id.into(),
            before_seq.into(),
            (limit as i64).into(),
        ],
    ))
    .all(db)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_keeps_changed_fields_only() {
        let b = json!({"name": "A", "city": "Paris", "updated_at": 1, "tags": ["x"]});
        let a = json!({"name": "A", "city": "Lyon", "updated_at": 2, "tags": ["x"], "notes": "n"});
        let (bo, ao) = diff(&b, &a);
        assert_eq!(bo, json!({"city": "Paris", "notes": null}));
        assert_eq!(ao, json!({"city": "Lyon", "notes": "n"}));
    }
}
