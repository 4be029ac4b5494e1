//! Roles: named sets of grants, four built in per tenant plus custom ones.

use crate::{error::Result, stmt};
use chrono::{DateTime, Utc};
use relais_domain::{BuiltinRole, Grant, Grants};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct Role {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub description: String,
    pub builtin: bool,
    pub grants: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "tenant_id, id, key, name, description, builtin, grants, created_at, updated_at";

/// Stored grants, parsed. A grant that no longer parses is dropped (deny by default).
pub fn parse_grants(v: &serde_json::Value) -> Vec<Grant> {
    match v {
        serde_json::Value::Array(items) => items
            .iter()
            .filter_map(|g| serde_json::from_value(g.clone()).ok())
            .collect(),
        _ => Vec::new(),
    }
}

impl Role {
    pub fn grant_list(&self) -> Vec<Grant> {
        parse_grants(&self.grants)
    }

    pub fn effective_grants(&self) -> Grants {
        Grants::new(self.grant_list())
    }

    pub async fn insert(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        key: &str,
        name: &str,
        description: &str,
        builtin: bool,
        grants: &[Grant],
    ) -> Result<Role> {
        let sql = format!(
            "INSERT INTO roles (tenant_id, id, key, name, description, builtin, grants) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
        );
        let grants = serde_json::to_value(grants).expect("grants serialise");
        Ok(Role::find_by_statement(stmt(
            &sql,
            [
                tenant.into(),
                Uuid::now_v7().into(),
                key.into(),
                name.into(),
                description.into(),
                builtin.into(),
                grants.into(),
            ],
        ))
        .one(db)
        .await?
        .expect("INSERT RETURNING yields a row"))
    }

    /// Create the four built-in roles of a new tenant.
    pub async fn insert_builtins(db: &impl ConnectionTrait, tenant: Uuid) -> Result<Vec<Role>> {
        let mut out = Vec::new();
        for b in BuiltinRole::ALL {
            out.push(Role::insert(db, tenant, b.key(), b.name(), "", true, &b.grants()).await?);
        }
        Ok(out)
    }

    pub async fn find(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<Option<Role>> {
        let sql = format!("SELECT {COLUMNS} FROM roles WHERE tenant_id = $1 AND id = $2");
        Ok(
            Role::find_by_statement(stmt(&sql, [tenant.into(), id.into()]))
                .one(db)
                .await?,
        )
    }

    pub async fn find_by_key(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        key: &str,
    ) -> Result<Option<Role>> {
        let sql = format!("SELECT {COLUMNS} FROM roles WHERE tenant_id = $1 AND key = $2");
        Ok(
            Role::find_by_statement(stmt(&sql, [tenant.into(), key.into()]))
                .one(db)
                .await?,
        )
    }

    pub async fn list(db: &impl ConnectionTrait, tenant: Uuid) -> Result<Vec<Role>> {
        let sql =
            format!("SELECT {COLUMNS} FROM roles WHERE tenant_id = $1 ORDER BY builtin DESC, id");
        Ok(Role::find_by_statement(stmt(&sql, [tenant.into()]))
            .all(db)
            .await?)
    }

    pub async fn update(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        id: Uuid,
        name: Option<&str>,
        description: Option<&str>,
        grants: Option<&[Grant]>,
    ) -> Result<Option<Role>> {
        let sql = format!(
            "UPDATE roles SET name = coalesce($3, name), description = coalesce($4, description), \
             grants = coalesce($5, grants), updated_at = now() \
             WHERE tenant_id = $1 AND id = $2 AND NOT builtin RETURNING {COLUMNS}"
        );
        let grants = grants.map(|g| serde_json::to_value(g).expect("grants serialise"));
        Ok(Role::find_by_statement(stmt(
            &sql,
            [
                tenant.into(),
                id.into(),
                name.map(str::to_owned).into(),
                description.map(str::to_owned).into(),
                grants.into(),
            ],
        ))
        .one(db)
        .await?)
    }

    /// Delete a custom role. Fails with a foreign-key error while users or keys still use it.
    pub async fn delete(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<bool> {
        let res = db
            .execute_raw(stmt(
                "DELETE FROM roles WHERE tenant_id = $1 AND id = $2 AND NOT builtin",
                [tenant.into(), id.into()],
            ))
            .await?;
        Ok(res.rows_affected() == 1)
    }
}
