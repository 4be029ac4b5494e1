//! Idempotency-Key records. A key is scoped to tenant + credential; it remembers the request's
//! hash and, once done, the response, for 24 hours.

use crate::{error::Result, stmt};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct Stored {
    pub request_hash: Vec<u8>,
    pub response_status: Option<i32>,
    pub response_body: Option<Vec<u8>>,
    pub response_headers: Option<serde_json::Value>,
}

pub enum Claim {
    /// First use of the key: the caller runs the request and then calls [`complete`].
    Fresh,
    /// The key was seen before.
    Seen(Stored),
}

/// Reserve `key` for this request, or return what was stored for it. Records older than 24 h
/// are forgotten first.
pub async fn claim(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    credential: Uuid,
    key: &str,
    request_hash: &[u8],
) -> Result<Claim> {
    db.execute_raw(stmt(
        "DELETE FROM idempotency_keys WHERE tenant_id = $1 AND credential_id = $2 AND key = $3 \
         AND created_at < now() - interval '24 hours'",
        [tenant.into(), credential.into(), key.into()],
    ))
    .await?;
    let inserted = db
        .execute_raw(stmt(
            "INSERT INTO idempotency_keys (tenant_id, credential_id, key, request_hash) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            [
                tenant.into(),
                credential.into(),
                key.into(),
                request_hash.to_vec().into(),
            ],
        ))
        .await?;
    if inserted.rows_affected() == 1 {
        return Ok(Claim::Fresh);
    }
    let stored = Stored::find_by_statement(stmt(
        "SELECT request_hash, response_status, response_body, response_headers \
         FROM idempotency_keys WHERE tenant_id = $1 AND credential_id = $2 AND key = $3",
        [tenant.into(), credential.into(), key.into()],
    ))
    .one(db)
    .await?
    .expect("conflicting row exists");
    Ok(Claim::Seen(stored))
}

pub async fn complete(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    credential: Uuid,
    key: &str,
    status: u16,
    body: &[u8],
    headers: &serde_json::Value,
) -> Result<()> {
    db.execute_raw(stmt(
        "UPDATE idempotency_keys SET response_status = $4, response_body = $5, \
         response_headers = $6 WHERE tenant_id = $1 AND credential_id = $2 AND key = $3",
        [
            tenant.into(),
            credential.into(),
            key.into(),
            i32::from(status).into(),
            body.to_vec().into(),
            headers.clone().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Forget a key whose request failed on the server side, so a retry can run.
pub async fn release(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    credential: Uuid,
    key: &str,
) -> Result<()> {
    db.execute_raw(stmt(
        "DELETE FROM idempotency_keys WHERE tenant_id = $1 AND credential_id = $2 AND key = $3",
        [tenant.into(), credential.into(), key.into()],
    ))
    .await?;
    Ok(())
}
