//! Teams: "team" scope means records owned by a member of the caller's team.

use crate::{error::Result, stmt};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct Team {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub member_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT t.tenant_id, t.id, t.name, t.description, \
    (SELECT count(*) FROM users u WHERE u.tenant_id = t.tenant_id AND u.team_id = t.id) AS member_count, \
    t.created_at, t.updated_at FROM teams t";

impl Team {
    pub async fn insert(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        name: &str,
        description: &str,
    ) -> Result<Team> {
        let id = Uuid::now_v7();
        db.execute_raw(stmt(
            "INSERT INTO teams (tenant_id, id, name, description) VALUES ($1, $2, $3, $4)",
            [tenant.into(), id.into(), name.into(), description.into()],
        ))
        .await?;
        Ok(Team::find(db, tenant, id).await?.expect("just inserted"))
    }

    pub async fn find(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<Option<Team>> {
        let sql = format!("{SELECT} WHERE t.tenant_id = $1 AND t.id = $2");
        Ok(
            Team::find_by_statement(stmt(&sql, [tenant.into(), id.into()]))
                .one(db)
                .await?,
        )
    }

    pub async fn list(db: &impl ConnectionTrait, tenant: Uuid) -> Result<Vec<Team>> {
        let sql = format!("{SELECT} WHERE t.tenant_id = $1 ORDER BY lower(t.name), t.id");
        Ok(Team::find_by_statement(stmt(&sql, [tenant.into()]))
            .all(db)
            .await?)
    }

    pub async fn update(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        id: Uuid,
        name: Option<&str>,
        description: Option<&str>,
    ) -> Result<Option<Team>> {
        let res = db
            .execute_raw(stmt(
                "UPDATE teams SET name = coalesce($3, name), \
                 description = coalesce($4, description), updated_at = now() \
                 WHERE tenant_id = $1 AND id = $2",
                [
                    tenant.into(),
                    id.into(),
                    name.map(str::to_owned).into(),
                    description.map(str::to_owned).into(),
                ],
            ))
            .await?;
        if res.rows_affected() == 0 {
            return Ok(None);
        }
        Team::find(db, tenant, id).await
    }

    /// Delete a team; its members stay, without a team.
    pub async fn delete(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<bool> {
        let res = db
            .execute_raw(stmt(
                "DELETE FROM teams WHERE tenant_id = $1 AND id = $2",
                [tenant.into(), id.into()],
            ))
            .await?;
        Ok(res.rows_affected() == 1)
    }
}
