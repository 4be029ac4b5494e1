//! Webhooks: endpoints (secrets encrypted at rest), deliveries fanned out from the event
//! outbox, attempts, and the per-tenant dispatch cursor.
//!
//! Cross-tenant work goes through two SECURITY DEFINER functions that return ids only
//! (`webhooks_dispatch_candidates`, `webhooks_claim_deliveries`, migration 0008); every other
//! query here runs in the tenant's RLS context and names the tenant in its `WHERE` too.
//! Times that drive scheduling (`now`) are parameters so the worker's clock can be injected.

use crate::{StoreError, error::Result, stmt};
use aes_gcm::{
    Aes256Gcm, Key, Nonce,
    aead::{Aead, KeyInit, Payload},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::{ConnectionTrait, FromQueryResult};
use sha2::{Digest, Sha256};
use std::{collections::HashMap, fmt, time::Duration};
use uuid::Uuid;

// ---- Secrets ---------------------------------------------------------------------------------

/// Prefix of signing secrets (Standard Webhooks).
pub const SECRET_PREFIX: &str = "whsec_";

/// A new signing secret: `whsec_` + base64 of 32 random bytes.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The HMAC key of a secret: the base64 part after `whsec_`, decoded.
pub fn secret_key_bytes(secret: &str) -> Result<Vec<u8>> {
    let b64 = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    STANDARD
        .decode(b64)
        .map_err(|_| StoreError::Invalid("webhook secret is not base64".into()))
}

/// The key that encrypts webhook secrets at rest (AES-256-GCM). Its `Debug` hides it.
#[derive(Clone)]
pub struct SecretCipher {
    key: [u8; 32],
}

impl fmt::Debug for SecretCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretCipher(<redacted>)")
    }
}

impl SecretCipher {
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    /// A key given as 64 hex digits or base64 of 32 bytes (`RELAIS_SECRETS_KEY`).
    pub fn parse(text: &str) -> Result<Self> {
        let t = text.trim();
        let bytes = if t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&t[2 * i..2 * i + 2], 16))
                .collect::<std::result::Result<Vec<u8>, _>>()
                .ok()
        } else {
            STANDARD
                .decode(t)
                .ok()
                .or_else(|| base64::engine::general_purpose::URL_SAFE.decode(t).ok())
        };
        let key: [u8; 32] = bytes.and_then(|b| b.try_into().ok()).ok_or_else(|| {
            StoreError::Invalid(
                "RELAIS_SECRETS_KEY must be 32 bytes, as 64 hex digits or base64 \
                 (generate one with `openssl rand -hex 32`)"
                    .into(),
            )
        })?;
        Ok(Self { key })
    }

    /// The development default when no key is configured: derived from another secret the
    /// server must have anyway (the JWT secret), so it is stable across restarts. Production
    /// sets `RELAIS_SECRETS_KEY` (see docs/ADMIN.md).
    pub fn derived_from(material: &str) -> Self {
        let mut h = Sha256::new();
        h.update(b"relais webhook secrets key v1\0");
        h.update(material.as_bytes());
        Self {
            key: h.finalize().into(),
        }
    }

    /// nonce (12 bytes) ‖ ciphertext. `aad` binds the ciphertext to its row (tenant and
    /// endpoint), so a ciphertext copied to another row does not decrypt.
    pub fn encrypt(&self, plaintext: &str, aad: &[u8]) -> Vec<u8> {
        let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(self.key));
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad,
                },
            )
            .expect("AES-GCM encryption of a short secret cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        out
    }

    pub fn decrypt(&self, data: &[u8], aad: &[u8]) -> Result<String> {
        let bad = || {
            StoreError::Invalid(
                "a webhook secret cannot be decrypted: RELAIS_SECRETS_KEY changed? \
                 (rotate the endpoint's secret)"
                    .into(),
            )
        };
        if data.len() < 12 {
            return Err(bad());
        }
        let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(self.key));
        let nonce: [u8; 12] = data[..12].try_into().map_err(|_| bad())?;
        let pt = cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &data[12..],
                    aad,
                },
            )
            .map_err(|_| bad())?;
        String::from_utf8(pt).map_err(|_| bad())
    }
}

/// Associated data of an endpoint's secrets.
pub fn secret_aad(tenant: Uuid, endpoint: Uuid) -> Vec<u8> {
    let mut v = tenant.as_bytes().to_vec();
    v.extend_from_slice(endpoint.as_bytes());
    v
}

// ---- Endpoints -------------------------------------------------------------------------------

#[derive(Clone, Debug, FromQueryResult)]
pub struct Endpoint {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub active: bool,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub rate_limit: Option<i32>,
    pub secret_enc: Vec<u8>,
    pub previous_secret_enc: Option<Vec<u8>>,
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub failing_since: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const ENDPOINT_COLUMNS: &str = "tenant_id, id, url, description, event_types, active, \
    disabled_reason, disabled_at, rate_limit, secret_enc, previous_secret_enc, \
    previous_secret_expires_at, failing_since, created_by, created_at, updated_at";

/// The writable fields of an endpoint, validated.
#[derive(Clone, Debug)]
pub struct EndpointFields {
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub active: bool,
    pub disabled_reason: Option<String>,
    pub rate_limit: Option<i32>,
}

impl From<&Endpoint> for EndpointFields {
    fn from(e: &Endpoint) -> Self {
        Self {
            url: e.url.clone(),
            description: e.description.clone(),
            event_types: e.event_types.clone(),
            active: e.active,
            disabled_reason: e.disabled_reason.clone(),
            rate_limit: e.rate_limit,
        }
    }
}

impl Endpoint {
    /// Insert an endpoint with its encrypted secret, and start the tenant's dispatch cursor if
    /// this is its first endpoint: events of transactions that started before this one are not
    /// sent to it.
    pub async fn insert(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        id: Uuid,
        f: &EndpointFields,
        secret_enc: Vec<u8>,
        created_by: Option<Uuid>,
    ) -> Result<Endpoint> {
        db.execute_raw(stmt(
            "INSERT INTO webhook_cursors (tenant_id, last_txid, last_seq) \
             VALUES ($1, pg_current_xact_id(), 0) ON CONFLICT (tenant_id) DO NOTHING",
            [tenant.into()],
        ))
        .await?;
        let sql = format!(
            "INSERT INTO webhook_endpoints (tenant_id, id, url, description, event_types, active, \
             disabled_reason, disabled_at, rate_limit, secret_enc, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $6 THEN NULL ELSE now() END, $8, $9, $10) \
             RETURNING {ENDPOINT_COLUMNS}"
        );
        Endpoint::find_by_statement(stmt(
            &sql,
            [
                tenant.into(),
                id.into(),
                f.url.clone().into(),
                f.description.clone().into(),
                f.event_types.clone().into(),
                f.active.into(),
                f.disabled_reason.clone().into(),
                f.rate_limit.into(),
                secret_enc.into(),
                created_by.into(),
            ],
        ))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Invalid("insert returned nothing".into()))
    }

    pub async fn find(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        id: Uuid,
    ) -> Result<Option<Endpoint>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2"
        );
        Ok(
            Endpoint::find_by_statement(stmt(&sql, [tenant.into(), id.into()]))
                .one(db)
                .await?,
        )
    }

    /// Like [`Endpoint::find`], locking the row until the transaction ends.
    pub async fn find_for_update(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        id: Uuid,
    ) -> Result<Option<Endpoint>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2 \
             FOR UPDATE"
        );
        Ok(
            Endpoint::find_by_statement(stmt(&sql, [tenant.into(), id.into()]))
                .one(db)
                .await?,
        )
    }

    /// A page of endpoints in creation order (ids are UUIDv7), after `after`.
    pub async fn list(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Endpoint>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 \
             AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3"
        );
        Ok(Endpoint::find_by_statement(stmt(
            &sql,
            [tenant.into(), after.into(), (limit as i64).into()],
        ))
        .all(db)
        .await?)
    }

    /// Active endpoints, for the dispatcher.
    pub async fn list_active(db: &impl ConnectionTrait, tenant: Uuid) -> Result<Vec<Endpoint>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 AND active \
             ORDER BY id"
        );
        Ok(Endpoint::find_by_statement(stmt(&sql, [tenant.into()]))
            .all(db)
            .await?)
    }

    /// Write the fields. Re-enabling clears the failure run; disabling stamps the time.
    pub async fn update(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        id: Uuid,
        f: &EndpointFields,
    ) -> Result<Endpoint> {
        let sql = format!(
            "UPDATE webhook_endpoints SET url = $3, description = $4, event_types = $5, \
             rate_limit = $7, \
             disabled_reason = CASE WHEN $6 THEN NULL ELSE $8 END, \
             disabled_at = CASE WHEN $6 THEN NULL WHEN active THEN now() ELSE disabled_at END, \
             failing_since = CASE WHEN $6 AND NOT active THEN NULL ELSE failing_since END, \
             active = $6, updated_at = now() \
             WHERE tenant_id = $1 AND id = $2 RETURNING {ENDPOINT_COLUMNS}"
        );
        Endpoint::find_by_statement(stmt(
            &sql,
            [
                tenant.into(),
                id.into(),
                f.url.clone().into(),
                f.description.clone().into(),
                f.event_types.clone().into(),
                f.active.into(),
                f.rate_limit.into(),
                f.disabled_reason.clone().into(),
            ],
        ))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Invalid("no such endpoint".into()))
    }

    pub async fn delete(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<bool> {
        let res = db
            .execute_raw(stmt(
                "DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2",
                [tenant.into(), id.into()],
            ))
            .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Replace the secret; the old one keeps signing until `previous_expires_at`.
    pub async fn rotate_secret(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        id: Uuid,
        new_enc: Vec<u8>,
        previous_enc: Vec<u8>,
        previous_expires_at: DateTime<Utc>,
    ) -> Result<Endpoint> {
        let sql = format!(
            "UPDATE webhook_endpoints SET secret_enc = $3, previous_secret_enc = $4, \
             previous_secret_expires_at = $5, updated_at = now() \
             WHERE tenant_id = $1 AND id = $2 RETURNING {ENDPOINT_COLUMNS}"
        );
        Endpoint::find_by_statement(stmt(
            &sql,
            [
                tenant.into(),
                id.into(),
                new_enc.into(),
                previous_enc.into(),
                previous_expires_at.into(),
            ],
        ))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Invalid("no such endpoint".into()))
    }

    /// Draw one delivery from the endpoint's rate limit, shared by every worker process (the
    /// row stays locked until the caller's transaction ends). `Err(wait)` when the budget of
    /// the current second is spent; always `Ok` for an endpoint without a limit.
    pub async fn take_rate_token(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<(), Duration>> {
        let Some(row) = db
            .query_one_raw(stmt(
                "SELECT rate_limit, rate_tokens, rate_checked_at FROM webhook_endpoints \
                 WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
                [tenant.into(), id.into()],
            ))
            .await?
        else {
            return Ok(Ok(()));
        };
        let Some(rate) = row.try_get::<Option<i32>>("", "rate_limit")? else {
            return Ok(Ok(()));
        };
        let checked: Option<DateTime<Utc>> = row.try_get("", "rate_checked_at")?;
        let bucket = relais_domain::webhooks::TokenBucket {
            tokens: row.try_get("", "rate_tokens")?,
            elapsed_secs: checked
                .map(|at| (now - at).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6)
                .unwrap_or(0.0),
        };
        let (left, outcome) = bucket.take(rate);
        // Only a draw moves the clock of the bucket: a refusal leaves it to refill.
        if outcome.is_ok() {
            db.execute_raw(stmt(
                "UPDATE webhook_endpoints SET rate_tokens = $3, rate_checked_at = $4 \
                 WHERE tenant_id = $1 AND id = $2",
                [tenant.into(), id.into(), left.into(), now.into()],
            ))
            .await?;
        }
        Ok(outcome)
    }

    /// A failed attempt: start the failure run if none is open. Returns when it started.
    pub async fn note_failure(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        let row = db
            .query_one_raw(stmt(
                "UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, $3) \
                 WHERE tenant_id = $1 AND id = $2 RETURNING failing_since",
                [tenant.into(), id.into(), now.into()],
            ))
            .await?;
        Ok(match row {
            Some(r) => r.try_get("", "failing_since")?,
            None => None,
        })
    }

    /// A successful attempt ends the failure run.
    pub async fn note_success(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<()> {
        db.execute_raw(stmt(
            "UPDATE webhook_endpoints SET failing_since = NULL \
             WHERE tenant_id = $1 AND id = $2 AND failing_since IS NOT NULL",
            [tenant.into(), id.into()],
        ))
        .await?;
        Ok(())
    }

    /// Switch an active endpoint off (`gone`, `failing`). False when it already was.
    pub async fn disable(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        id: Uuid,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let res = db
            .execute_raw(stmt(
                "UPDATE webhook_endpoints SET active = false, disabled_reason = $3, \
                 disabled_at = $4, updated_at = now() \
                 WHERE tenant_id = $1 AND id = $2 AND active",
                [tenant.into(), id.into(), reason.into(), now.into()],
            ))
            .await?;
        Ok(res.rows_affected() == 1)
    }
}

impl Endpoint {
    /// The wire shape (no secrets): API answers and the `record` of `webhook.*` events.
    pub fn wire(&self) -> relais_types::WebhookOut {
        relais_types::WebhookOut {
            id: self.id,
            url: self.url.clone(),
            description: self.description.clone(),
            event_types: self.event_types.clone(),
            active: self.active,
            disabled_reason: self
                .disabled_reason
                .as_deref()
                .and_then(relais_domain::webhooks::DisabledReason::from_code),
            disabled_at: self.disabled_at,
            rate_limit: self.rate_limit.map(|r| r.max(0) as u32),
            failing_since: self.failing_since,
            previous_secret_expires_at: self.previous_secret_expires_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// A delivery body: the event in the history-entry shape (SPEC §13), `id` = `evt_…`.
pub fn event_wire(e: &crate::events::Event, tenant_slug: &str) -> relais_types::EventOut {
    relais_types::EventOut {
        id: event_wire_id(e.id),
        type_: e.event_type.clone(),
        occurred_at: e.occurred_at,
        tenant: tenant_slug.to_owned(),
        actor: relais_types::Actor {
            type_: e.actor_type.clone(),
            id: e.actor_id,
        },
        data: e.data.clone(),
    }
}

/// `evt_<uuid without dashes>`: the public id of an event and the `webhook-id` header.
pub fn event_wire_id(id: Uuid) -> String {
    format!("evt_{}", id.simple())
}

/// The event id inside `evt_…` (or a bare UUID).
pub fn parse_event_wire_id(s: &str) -> Option<Uuid> {
    Uuid::parse_str(s.strip_prefix("evt_").unwrap_or(s)).ok()
}

// ---- Deliveries ------------------------------------------------------------------------------

#[derive(Clone, Debug, FromQueryResult)]
pub struct Delivery {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub lock_token: Option<Uuid>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

const DELIVERY_COLUMNS: &str = "tenant_id, id, endpoint_id, event_id, event_type, status, \
    attempts, next_attempt_at, lock_token, last_attempt_at, last_status_code, last_error, \
    created_at, finished_at";

/// A delivery to create: one event for one endpoint.
#[derive(Clone, Debug)]
pub struct NewDelivery {
    pub endpoint_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
}

/// Which deliveries a log shows.
#[derive(Clone, Debug, Default)]
pub struct DeliveryFilter {
    pub endpoint_id: Option<Uuid>,
    pub event_id: Option<Uuid>,
    pub status: Option<String>,
    /// One event type (`mandate.signed`) or a family (`organisation.*`).
    pub event_type: Option<String>,
}

#[derive(Debug, FromQueryResult)]
struct LastLatency {
    delivery_id: Uuid,
    duration_ms: i32,
}

/// A delivery claimed by a worker.
#[derive(Clone, Debug, FromQueryResult)]
pub struct ClaimedDelivery {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub lock_token: Uuid,
    pub attempts: i32,
}

/// What an attempt came to, as stored.
#[derive(Clone, Debug)]
pub struct AttemptRecord {
    pub attempt: i32,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i32,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub response_body: Option<String>,
    pub succeeded: bool,
}

#[derive(Clone, Debug, FromQueryResult)]
pub struct Attempt {
    pub id: Uuid,
    pub delivery_id: Uuid,
    pub attempt: i32,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i32,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub response_body: Option<String>,
    pub succeeded: bool,
}

/// The next state of a delivery after an attempt.
#[derive(Clone, Copy, Debug)]
pub enum NextState {
    Succeeded,
    Failed,
    RetryAt(DateTime<Utc>),
}

impl Delivery {
    /// Create deliveries due at `now`; one that exists already (same endpoint and event) is
    /// left alone, so running the fan-out twice sends nothing twice. Returns how many were new.
    pub async fn insert_many(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        rows: &[NewDelivery],
        now: DateTime<Utc>,
    ) -> Result<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        let ids: Vec<Uuid> = rows.iter().map(|_| Uuid::now_v7()).collect();
        let endpoints: Vec<Uuid> = rows.iter().map(|r| r.endpoint_id).collect();
        let events: Vec<Uuid> = rows.iter().map(|r| r.event_id).collect();
        let types: Vec<String> = rows.iter().map(|r| r.event_type.clone()).collect();
        let res = db
            .execute_raw(stmt(
                "INSERT INTO webhook_deliveries (tenant_id, id, endpoint_id, event_id, event_type, \
                 next_attempt_at) \
                 SELECT $1, d.id, d.endpoint_id, d.event_id, d.event_type, $6 \
                 FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[]) \
                      AS d (id, endpoint_id, event_id, event_type) \
                 ON CONFLICT (tenant_id, endpoint_id, event_id) DO NOTHING",
                [
                    tenant.into(),
                    ids.into(),
                    endpoints.into(),
                    events.into(),
                    types.into(),
                    now.into(),
                ],
            ))
            .await?;
        if res.rows_affected() > 0 {
            notify(db).await?;
        }
        Ok(res.rows_affected())
    }

    /// One delivery (`evt_` id unchanged: the same event to the same endpoint) created by hand,
    /// e.g. a test message. Returns the row.
    pub async fn insert_one(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        row: &NewDelivery,
        now: DateTime<Utc>,
    ) -> Result<Delivery> {
        let sql = format!(
            "INSERT INTO webhook_deliveries (tenant_id, id, endpoint_id, event_id, event_type, \
             next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {DELIVERY_COLUMNS}"
        );
        let d = Delivery::find_by_statement(stmt(
            &sql,
            [
                tenant.into(),
                Uuid::now_v7().into(),
                row.endpoint_id.into(),
                row.event_id.into(),
                row.event_type.clone().into(),
                now.into(),
            ],
        ))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Invalid("insert returned nothing".into()))?;
        notify(db).await?;
        Ok(d)
    }

    pub async fn find(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        id: Uuid,
    ) -> Result<Option<Delivery>> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE tenant_id = $1 AND id = $2"
        );
        Ok(
            Delivery::find_by_statement(stmt(&sql, [tenant.into(), id.into()]))
                .one(db)
                .await?,
        )
    }

    /// What one attempt needs, in one statement: the delivery, its endpoint and its event
    /// (`None` when the event is gone). `None` when the delivery is.
    pub async fn load_attempt(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        id: Uuid,
    ) -> Result<Option<(Delivery, Endpoint, Option<crate::events::Event>)>> {
        let prefixed = |alias: &str, cols: &str| {
            cols.split(',')
                .map(|c| {
                    let c = c.trim();
                    format!("{alias}.{c} AS {alias}_{c}")
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let sql = format!(
            "SELECT {}, {}, v.tenant_id AS v_tenant_id, v.seq AS v_seq, v.id AS v_id, \
             v.type AS v_event_type, v.record_type AS v_record_type, \
             v.record_id AS v_record_id, v.actor_type AS v_actor_type, \
             v.actor_id AS v_actor_id, v.data AS v_data, v.occurred_at AS v_occurred_at \
             FROM webhook_deliveries d \
             JOIN webhook_endpoints e ON e.tenant_id = d.tenant_id AND e.id = d.endpoint_id \
             LEFT JOIN events v ON v.tenant_id = d.tenant_id AND v.id = d.event_id \
             WHERE d.tenant_id = $1 AND d.id = $2",
            prefixed("d", DELIVERY_COLUMNS),
            prefixed("e", ENDPOINT_COLUMNS),
        );
        let Some(row) = db
            .query_one_raw(stmt(&sql, [tenant.into(), id.into()]))
            .await?
        else {
            return Ok(None);
        };
        let delivery = Delivery::from_query_result(&row, "d_")?;
        let endpoint = Endpoint::from_query_result(&row, "e_")?;
        let event = match row.try_get::<Option<Uuid>>("", "v_id")? {
            Some(_) => Some(crate::events::Event::from_query_result(&row, "v_")?),
            None => None,
        };
        Ok(Some((delivery, endpoint, event)))
    }

    /// A page of the log, newest first, before the delivery `before`.
    pub async fn list(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        filter: &DeliveryFilter,
        before: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Delivery>> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE tenant_id = $1 \
             AND ($2::uuid IS NULL OR endpoint_id = $2) AND ($3::uuid IS NULL OR event_id = $3) \
             AND ($4::text IS NULL OR status = $4) AND ($5::uuid IS NULL OR id < $5) \
             AND ($7::text IS NULL OR event_type = $7) \
             AND ($8::text IS NULL OR split_part(event_type, '.', 1) = $8) \
             ORDER BY id DESC LIMIT $6"
        );
        let (exact, family) = match filter.event_type.as_deref() {
            None => (None, None),
            Some(t) => match t.strip_suffix(".*") {
                Some(family) => (None, Some(family.to_owned())),
                None => (Some(t.to_owned()), None),
            },
        };
        Ok(Delivery::find_by_statement(stmt(
            &sql,
            [
                tenant.into(),
                filter.endpoint_id.into(),
                filter.event_id.into(),
                filter.status.clone().into(),
                before.into(),
                (limit as i64).into(),
                exact.into(),
                family.into(),
            ],
        ))
        .all(db)
        .await?)
    }

    /// How long the latest attempt of each of `deliveries` took, in milliseconds (deliveries
    /// not attempted yet are absent).
    pub async fn last_latencies(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        deliveries: &[Uuid],
    ) -> Result<HashMap<Uuid, i32>> {
        if deliveries.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = LastLatency::find_by_statement(stmt(
            "SELECT DISTINCT ON (delivery_id) delivery_id, duration_ms FROM webhook_attempts \
             WHERE tenant_id = $1 AND delivery_id = ANY($2) \
             ORDER BY delivery_id, attempt DESC, started_at DESC",
            [tenant.into(), deliveries.to_vec().into()],
        ))
        .all(db)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.delivery_id, r.duration_ms))
            .collect())
    }

    pub async fn attempts(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        delivery: Uuid,
    ) -> Result<Vec<Attempt>> {
        Ok(Attempt::find_by_statement(stmt(
            "SELECT id, delivery_id, attempt, started_at, duration_ms, status_code, error, \
             response_body, succeeded FROM webhook_attempts \
             WHERE tenant_id = $1 AND delivery_id = $2 ORDER BY attempt, started_at",
            [tenant.into(), delivery.into()],
        ))
        .all(db)
        .await?)
    }

    /// Claim due deliveries across tenants (platform transaction). Each claim counts an
    /// attempt and leases the delivery for `lease`.
    pub async fn claim(
        db: &impl ConnectionTrait,
        now: DateTime<Utc>,
        limit: i32,
        lease: Duration,
    ) -> Result<Vec<ClaimedDelivery>> {
        Ok(ClaimedDelivery::find_by_statement(stmt(
            "SELECT tenant_id, id, lock_token, attempts \
             FROM webhooks_claim_deliveries($1, $2, make_interval(secs => $3))",
            [now.into(), limit.into(), lease.as_secs_f64().into()],
        ))
        .all(db)
        .await?)
    }

    /// Hand a claimed delivery back without counting the attempt (rate limit reached).
    pub async fn release(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        id: Uuid,
        lock_token: Uuid,
        at: DateTime<Utc>,
    ) -> Result<()> {
        db.execute_raw(stmt(
            "UPDATE webhook_deliveries SET attempts = greatest(attempts - 1, 0), \
             next_attempt_at = $4, locked_until = NULL, lock_token = NULL, updated_at = now() \
             WHERE tenant_id = $1 AND id = $2 AND lock_token = $3",
            [tenant.into(), id.into(), lock_token.into(), at.into()],
        ))
        .await?;
        Ok(())
    }

    /// Store an attempt and move the delivery on, if this worker still holds it (`lock_token`).
    /// Returns false when the lease was lost (another worker took over; the attempt is still
    /// logged).
    pub async fn finish(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        d: &Delivery,
        lock_token: Uuid,
        a: &AttemptRecord,
        next: NextState,
    ) -> Result<bool> {
        let (status, next_at, finished) = match next {
            NextState::Succeeded => ("succeeded", None, true),
            NextState::Failed => ("failed", None, true),
            NextState::RetryAt(t) => ("pending", Some(t), false),
        };
        let finished_at = finished.then_some(a.started_at);
        // One round trip: the attempt is logged whether or not the lease still holds.
        let res = db
            .execute_raw(stmt(
                "WITH logged AS (INSERT INTO webhook_attempts (tenant_id, id, delivery_id, \
                 endpoint_id, attempt, started_at, duration_ms, status_code, error, \
                 response_body, succeeded) \
                 VALUES ($1, $10, $2, $11, $12, $7, $13, $8, $9, $14, $15)) \
                 UPDATE webhook_deliveries SET status = $4, next_attempt_at = $5, \
                 finished_at = $6, last_attempt_at = $7, last_status_code = $8, last_error = $9, \
                 locked_until = NULL, lock_token = NULL, updated_at = now() \
                 WHERE tenant_id = $1 AND id = $2 AND lock_token = $3",
                [
                    tenant.into(),
                    d.id.into(),
                    lock_token.into(),
                    status.into(),
                    next_at.into(),
                    finished_at.into(),
                    a.started_at.into(),
                    a.status_code.into(),
                    a.error.clone().into(),
                    Uuid::now_v7().into(),
                    d.endpoint_id.into(),
                    a.attempt.into(),
                    a.duration_ms.into(),
                    a.response_body.clone().into(),
                    a.succeeded.into(),
                ],
            ))
            .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Give up a claimed delivery without an HTTP attempt (its endpoint was switched off).
    pub async fn abandon(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        id: Uuid,
        lock_token: Uuid,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        db.execute_raw(stmt(
            "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, \
             finished_at = $5, last_error = $4, attempts = greatest(attempts - 1, 0), \
             locked_until = NULL, lock_token = NULL, updated_at = now() \
             WHERE tenant_id = $1 AND id = $2 AND lock_token = $3",
            [
                tenant.into(),
                id.into(),
                lock_token.into(),
                reason.into(),
                now.into(),
            ],
        ))
        .await?;
        Ok(())
    }

    /// Mark every pending delivery of an endpoint failed (the endpoint was switched off).
    pub async fn fail_pending(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        endpoint: Uuid,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let res = db
            .execute_raw(stmt(
                "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, \
                 finished_at = $4, last_error = coalesce(last_error || '; ', '') || $3, \
                 locked_until = NULL, lock_token = NULL, updated_at = now() \
                 WHERE tenant_id = $1 AND endpoint_id = $2 AND status = 'pending'",
                [tenant.into(), endpoint.into(), reason.into(), now.into()],
            ))
            .await?;
        Ok(res.rows_affected())
    }

    /// Schedule one delivery for an immediate attempt (manual retry), whatever its state. The
    /// attempt count carries on, so automatic retries follow only while attempts remain.
    pub async fn retry_now(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<Delivery>> {
        let sql = format!(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3, \
             finished_at = NULL, locked_until = NULL, lock_token = NULL, updated_at = now() \
             WHERE tenant_id = $1 AND id = $2 RETURNING {DELIVERY_COLUMNS}"
        );
        let d = Delivery::find_by_statement(stmt(&sql, [tenant.into(), id.into(), now.into()]))
            .one(db)
            .await?;
        if d.is_some() {
            notify(db).await?;
        }
        Ok(d)
    }

    /// Schedule again every failed delivery of an endpoint created since `since`, with a fresh
    /// set of attempts.
    pub async fn replay_failed(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        endpoint: Uuid,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let res = db
            .execute_raw(stmt(
                "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $4, \
                 attempts = 0, finished_at = NULL, locked_until = NULL, lock_token = NULL, \
                 updated_at = now() \
                 WHERE tenant_id = $1 AND endpoint_id = $2 AND status = 'failed' \
                 AND created_at >= $3",
                [tenant.into(), endpoint.into(), since.into(), now.into()],
            ))
            .await?;
        if res.rows_affected() > 0 {
            notify(db).await?;
        }
        Ok(res.rows_affected())
    }
}

/// Wake the webhook workers (sent when the transaction commits).
async fn notify(db: &impl ConnectionTrait) -> Result<()> {
    db.execute_raw(stmt("SELECT pg_notify('relais_webhooks', '')", []))
        .await?;
    Ok(())
}

/// The channel webhook workers LISTEN on.
pub const CHANNEL: &str = "relais_webhooks";

// ---- Dispatch (outbox → deliveries) ----------------------------------------------------------

/// Where the dispatcher stands in a tenant's outbox.
#[derive(Clone, Copy, Debug, FromQueryResult)]
pub struct Cursor {
    pub last_txid: i64,
    pub last_seq: i64,
}

/// An outbox event as the dispatcher reads it.
#[derive(Clone, Debug, FromQueryResult)]
pub struct OutboxEvent {
    pub txid: i64,
    pub seq: i64,
    pub id: Uuid,
    pub event_type: String,
    pub occurred_at: DateTime<Utc>,
}

/// Tenants with events to dispatch (platform transaction; ids only).
pub async fn dispatch_candidates(db: &impl ConnectionTrait, limit: i32) -> Result<Vec<Uuid>> {
    let rows = db
        .query_all_raw(stmt(
            "SELECT tenant_id FROM webhooks_dispatch_candidates($1)",
            [limit.into()],
        ))
        .await?;
    rows.into_iter()
        .map(|r| r.try_get::<Uuid>("", "tenant_id").map_err(Into::into))
        .collect()
}

impl Cursor {
    /// Lock the tenant's cursor for this transaction, or `None` when another dispatcher holds
    /// it (or the tenant has none).
    pub async fn lock(db: &impl ConnectionTrait, tenant: Uuid) -> Result<Option<Cursor>> {
        Ok(Cursor::find_by_statement(stmt(
            "SELECT last_txid::text::bigint AS last_txid, last_seq FROM webhook_cursors \
             WHERE tenant_id = $1 FOR UPDATE SKIP LOCKED",
            [tenant.into()],
        ))
        .one(db)
        .await?)
    }

    /// Events after the cursor whose transactions are all finished (see migration 0008), in
    /// cursor order.
    pub async fn next_events(
        &self,
        db: &impl ConnectionTrait,
        tenant: Uuid,
        limit: u64,
    ) -> Result<Vec<OutboxEvent>> {
        Ok(OutboxEvent::find_by_statement(stmt(
            "SELECT txid::text::bigint AS txid, seq, id, type AS event_type, occurred_at \
             FROM events WHERE tenant_id = $1 \
             AND (txid, seq) > ($2::bigint::text::xid8, $3::bigint) \
             AND txid < pg_snapshot_xmin(pg_current_snapshot()) \
             ORDER BY txid, seq LIMIT $4",
            [
                tenant.into(),
                self.last_txid.into(),
                self.last_seq.into(),
                (limit as i64).into(),
            ],
        ))
        .all(db)
        .await?)
    }

    pub async fn advance(db: &impl ConnectionTrait, tenant: Uuid, to: &OutboxEvent) -> Result<()> {
        db.execute_raw(stmt(
            "UPDATE webhook_cursors SET last_txid = $2::bigint::text::xid8, last_seq = $3, \
             updated_at = now() WHERE tenant_id = $1",
            [tenant.into(), to.txid.into(), to.seq.into()],
        ))
        .await?;
        Ok(())
    }
}

/// The full event row for a delivery body.
pub async fn event_by_id(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
) -> Result<Option<crate::events::Event>> {
    Ok(crate::events::Event::find_by_statement(stmt(
        "SELECT tenant_id, seq, id, type AS event_type, record_type, record_id, actor_type, \
         actor_id, data, occurred_at FROM events WHERE tenant_id = $1 AND id = $2",
        [tenant.into(), id.into()],
    ))
    .one(db)
    .await?)
}

/// The tenant's slug (the `tenant` field of delivery bodies).
pub async fn tenant_slug(db: &impl ConnectionTrait, tenant: Uuid) -> Result<String> {
    let row = db
        .query_one_raw(stmt(
            "SELECT slug FROM tenants WHERE id = $1",
            [tenant.into()],
        ))
        .await?
        .ok_or_else(|| StoreError::Invalid("no such tenant".into()))?;
    Ok(row.try_get("", "slug")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_have_the_standard_shape() {
        let s = new_secret();
        assert!(s.starts_with("whsec_"));
        assert_eq!(secret_key_bytes(&s).unwrap().len(), 32);
        assert_ne!(new_secret(), s);
    }

    #[test]
    fn cipher_round_trips_and_binds_the_row() {
        let c = SecretCipher::parse(&"ab".repeat(32)).unwrap();
        let aad = secret_aad(Uuid::now_v7(), Uuid::now_v7());
        let enc = c.encrypt("whsec_abc", &aad);
        assert!(
            !enc.windows(9).any(|w| w == b"whsec_abc"),
            "not stored in clear"
        );
        assert_eq!(c.decrypt(&enc, &aad).unwrap(), "whsec_abc");
        assert!(c.decrypt(&enc, b"other row").is_err());
        let other = SecretCipher::derived_from("another");
        assert!(other.decrypt(&enc, &aad).is_err());
        assert_ne!(c.encrypt("whsec_abc", &aad), enc, "fresh nonce each time");
    }

    #[test]
    fn keys_parse_from_hex_or_base64() {
        assert!(SecretCipher::parse(&"0f".repeat(32)).is_ok());
        assert!(SecretCipher::parse(&STANDARD.encode([7u8; 32])).is_ok());
        assert!(SecretCipher::parse("short").is_err());
        assert!(SecretCipher::parse(&"0f".repeat(31)).is_err());
        assert!(format!("{:?}", SecretCipher::derived_from("x")).contains("redacted"));
    }
}
