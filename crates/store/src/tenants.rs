//! Tenants (platform table: names and status, no business data).

use crate::{error::Result, stmt};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct Tenant {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub locale: String,
    pub time_zone: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, slug, name, locale, time_zone, status, created_at, updated_at";

pub struct NewTenant<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub locale: &'a str,
    pub time_zone: &'a str,
}

impl Tenant {
    pub fn is_active(&self) -> bool {
        self.status == "active"
    }

    pub async fn insert(db: &impl ConnectionTrait, new: &NewTenant<'_>) -> Result<Tenant> {
        let sql = format!(
            "INSERT INTO tenants (id, slug, name, locale, time_zone) VALUES ($1, $2, $3, $4, $5) \
             RETURNING {COLUMNS}"
        );
        let t = Tenant::find_by_statement(stmt(
            &sql,
            [
                Uuid::now_v7().into(),
                new.slug.into(),
                new.name.into(),
                new.locale.into(),
                new.time_zone.into(),
            ],
        ))
        .one(db)
        .await?
        .expect("INSERT RETURNING yields a row");
        Ok(t)
    }

    pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Tenant>> {
        let sql = format!("SELECT {COLUMNS} FROM tenants WHERE id = $1");
        Ok(Tenant::find_by_statement(stmt(&sql, [id.into()]))
            .one(db)
            .await?)
    }

    pub async fn find_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<Tenant>> {
        let sql = format!("SELECT {COLUMNS} FROM tenants WHERE slug = $1");
        Ok(Tenant::find_by_statement(stmt(&sql, [slug.into()]))
            .one(db)
            .await?)
    }

    /// Keyset page ordered by id (UUIDv7: creation order).
    pub async fn list(
        db: &impl ConnectionTrait,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Tenant>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM tenants WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2"
        );
        Ok(
            Tenant::find_by_statement(stmt(&sql, [after.into(), (limit as i64).into()]))
                .all(db)
                .await?,
        )
    }

    pub async fn update(
        db: &impl ConnectionTrait,
        id: Uuid,
        name: Option<&str>,
        status: Option<&str>,
        locale: Option<&str>,
        time_zone: Option<&str>,
    ) -> Result<Option<Tenant>> {
        let sql = format!(
            "UPDATE tenants SET name = coalesce($2, name), status = coalesce($3, status), \
             locale = coalesce($4, locale), time_zone = coalesce($5, time_zone), updated_at = now() \
             WHERE id = $1 RETURNING {COLUMNS}"
        );
        Ok(Tenant::find_by_statement(stmt(
            &sql,
            [
                id.into(),
                name.map(str::to_owned).into(),
                status.map(str::to_owned).into(),
                locale.map(str::to_owned).into(),
                time_zone.map(str::to_owned).into(),
            ],
        ))
        .one(db)
        .await?)
    }
}

/// Remove a tenant that was just created and holds nothing (provisioning failed half way).
/// Tenant rows cascade to tenant-owned tables, which must be empty here.
pub async fn delete_empty(db: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    db.execute_raw(stmt("DELETE FROM tenants WHERE id = $1", [id.into()]))
        .await?;
    Ok(())
}
