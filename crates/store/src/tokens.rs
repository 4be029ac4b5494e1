//! Refresh and password-reset tokens. Only SHA-256 digests are stored.

use crate::{error::Result, stmt};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct RefreshToken {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub user_id: Uuid,
    pub family_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const REFRESH_COLUMNS: &str =
    "tenant_id, id, user_id, family_id, expires_at, rotated_at, revoked_at";

impl RefreshToken {
    pub async fn insert(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        user: Uuid,
        family: Uuid,
        hash: &[u8],
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        db.execute_raw(stmt(
            "INSERT INTO refresh_tokens (tenant_id, id, user_id, family_id, token_hash, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            [
                tenant.into(),
                Uuid::now_v7().into(),
                user.into(),
                family.into(),
                hash.to_vec().into(),
                expires_at.into(),
            ],
        ))
        .await?;
        Ok(())
    }

    /// The tenant a token belongs to (SECURITY DEFINER look-up).
    pub async fn tenant_of(db: &impl ConnectionTrait, hash: &[u8]) -> Result<Option<Uuid>> {
        let row = db
            .query_one_raw(stmt(
                "SELECT auth_refresh_token_tenant($1) AS t",
                [hash.to_vec().into()],
            ))
            .await?;
        Ok(match row {
            Some(r) => r.try_get("", "t")?,
            None => None,
        })
    }

    /// The token row, locked so that two concurrent refreshes cannot both rotate it.
    pub async fn find_for_update(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        hash: &[u8],
    ) -> Result<Option<RefreshToken>> {
        let sql = format!(
            "SELECT {REFRESH_COLUMNS} FROM refresh_tokens WHERE tenant_id = $1 AND token_hash = $2 \
             FOR UPDATE"
        );
        Ok(
            RefreshToken::find_by_statement(stmt(&sql, [tenant.into(), hash.to_vec().into()]))
                .one(db)
                .await?,
        )
    }

    pub async fn mark_rotated(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<()> {
        db.execute_raw(stmt(
            "UPDATE refresh_tokens SET rotated_at = now() WHERE tenant_id = $1 AND id = $2",
            [tenant.into(), id.into()],
        ))
        .await?;
        Ok(())
    }

    pub async fn revoke_family(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        family: Uuid,
    ) -> Result<u64> {
        let res = db
            .execute_raw(stmt(
                "UPDATE refresh_tokens SET revoked_at = now() \
                 WHERE tenant_id = $1 AND family_id = $2 AND revoked_at IS NULL",
                [tenant.into(), family.into()],
            ))
            .await?;
        Ok(res.rows_affected())
    }

    /// Sign a user out everywhere (password changed or reset, account deactivated).
    pub async fn revoke_user(db: &impl ConnectionTrait, tenant: Uuid, user: Uuid) -> Result<u64> {
        let res = db
            .execute_raw(stmt(
                "UPDATE refresh_tokens SET revoked_at = now() \
                 WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL",
                [tenant.into(), user.into()],
            ))
            .await?;
        Ok(res.rows_affected())
    }
}

#[derive(Clone, Debug, FromQueryResult)]
pub struct ResetToken {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub user_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

impl ResetToken {
    /// Store a new reset token, invalidating the user's earlier unused ones.
    pub async fn insert(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        user: Uuid,
        hash: &[u8],
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        db.execute_raw(stmt(
            "UPDATE password_reset_tokens SET used_at = now() \
             WHERE tenant_id = $1 AND user_id = $2 AND used_at IS NULL",
            [tenant.into(), user.into()],
        ))
        .await?;
        db.execute_raw(stmt(
            "INSERT INTO password_reset_tokens (tenant_id, id, user_id, token_hash, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
            [
                tenant.into(),
                Uuid::now_v7().into(),
                user.into(),
                hash.to_vec().into(),
                expires_at.into(),
            ],
        ))
        .await?;
        Ok(())
    }

    pub async fn tenant_of(db: &impl ConnectionTrait, hash: &[u8]) -> Result<Option<Uuid>> {
        let row = db
            .query_one_raw(stmt(
                "SELECT auth_reset_token_tenant($1) AS t",
                [hash.to_vec().into()],
            ))
            .await?;
        Ok(match row {
            Some(r) => r.try_get("", "t")?,
            None => None,
        })
    }

    /// Consume a token: returns it only if it was unused and unexpired, and marks it used in
    /// the same statement so it works once even under concurrent requests.
    pub async fn consume(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        hash: &[u8],
    ) -> Result<Option<ResetToken>> {
        Ok(ResetToken::find_by_statement(stmt(
            "UPDATE password_reset_tokens SET used_at = now() \
             WHERE tenant_id = $1 AND token_hash = $2 AND used_at IS NULL AND expires_at > now() \
             RETURNING tenant_id, id, user_id, expires_at, used_at",
            [tenant.into(), hash.to_vec().into()],
        ))
        .one(db)
        .await?)
    }
}

impl RefreshToken {
    /// Sign a user out of every session but `keep` (the one changing its password).
    pub async fn revoke_user_except(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        user: Uuid,
        keep: Option<Uuid>,
    ) -> Result<u64> {
        let res = db
            .execute_raw(stmt(
                "UPDATE refresh_tokens SET revoked_at = now() WHERE tenant_id = $1 \
                 AND user_id = $2 AND revoked_at IS NULL \
                 AND ($3::uuid IS NULL OR family_id <> $3)",
                [tenant.into(), user.into(), keep.into()],
            ))
            .await?;
        Ok(res.rows_affected())
    }
}

impl RefreshToken {
    /// Is the sign-in session `family` still open (some token of it not revoked)? Access
    /// tokens carry their session, so logout and "sign out other sessions" apply at once.
    pub async fn family_active(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        family: Uuid,
    ) -> Result<bool> {
        let row = db
            .query_one_raw(stmt(
                "SELECT EXISTS (SELECT 1 FROM refresh_tokens WHERE tenant_id = $1 \
                 AND family_id = $2 AND revoked_at IS NULL) AS live",
                [tenant.into(), family.into()],
            ))
            .await?
            .expect("EXISTS yields a row");
        Ok(row.try_get("", "live")?)
    }
}
