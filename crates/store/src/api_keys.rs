//! API keys for integrators: `rk_<prefix>_<secret>`; only a SHA-256 of the secret is stored.

use crate::{error::Result, stmt};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct ApiKey {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub secret_hash: Vec<u8>,
    pub role_id: Uuid,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "tenant_id, id, name, prefix, secret_hash, role_id, created_by, created_at, \
    expires_at, revoked_at, last_used_at";

pub struct NewApiKey<'a> {
    pub name: &'a str,
    pub prefix: &'a str,
    pub secret_hash: &'a [u8],
    pub role_id: Uuid,
    pub created_by: Uuid,
    pub expires_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    pub fn is_usable(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }

    pub async fn insert(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        k: &NewApiKey<'_>,
    ) -> Result<ApiKey> {
        let sql = format!(
            "INSERT INTO api_keys (tenant_id, id, name, prefix, secret_hash, role_id, created_by, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
        );
        Ok(ApiKey::find_by_statement(stmt(
            &sql,
            [
                tenant.into(),
                Uuid::now_v7().into(),
                k.name.into(),
                k.prefix.into(),
                k.secret_hash.to_vec().into(),
                k.role_id.into(),
                k.created_by.into(),
                k.expires_at.into(),
            ],
        ))
        .one(db)
        .await?
        .expect("INSERT RETURNING yields a row"))
    }

    pub async fn find(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<Option<ApiKey>> {
        let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE tenant_id = $1 AND id = $2");
        Ok(
            ApiKey::find_by_statement(stmt(&sql, [tenant.into(), id.into()]))
                .one(db)
                .await?,
        )
    }

    pub async fn find_by_prefix(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        prefix: &str,
    ) -> Result<Option<ApiKey>> {
        let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE tenant_id = $1 AND prefix = $2");
        Ok(
            ApiKey::find_by_statement(stmt(&sql, [tenant.into(), prefix.into()]))
                .one(db)
                .await?,
        )
    }

    /// The tenant holding a key prefix (SECURITY DEFINER look-up).
    pub async fn tenant_of_prefix(db: &impl ConnectionTrait, prefix: &str) -> Result<Option<Uuid>> {
        let row = db
            .query_one_raw(stmt("SELECT auth_api_key_tenant($1) AS t", [prefix.into()]))
            .await?;
        Ok(match row {
            Some(r) => r.try_get("", "t")?,
            None => None,
        })
    }

    pub async fn list(db: &impl ConnectionTrait, tenant: Uuid) -> Result<Vec<ApiKey>> {
        let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE tenant_id = $1 ORDER BY id");
        Ok(ApiKey::find_by_statement(stmt(&sql, [tenant.into()]))
            .all(db)
            .await?)
    }

    pub async fn revoke(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<bool> {
        let res = db
            .execute_raw(stmt(
                "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) \
                 WHERE tenant_id = $1 AND id = $2",
                [tenant.into(), id.into()],
            ))
            .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Record a use, at most once a minute per key to keep writes off the hot path.
    pub async fn touch(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<()> {
        db.execute_raw(stmt(
            "UPDATE api_keys SET last_used_at = now() WHERE tenant_id = $1 AND id = $2 \
             AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
            [tenant.into(), id.into()],
        ))
        .await?;
        Ok(())
    }
}
