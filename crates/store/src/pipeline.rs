//! Pipeline automation: stage actions and the stuck-record scan.

use crate::{error::Result, stmt};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct StageAction {
    pub id: Uuid,
    pub stage: String,
    pub action: String,
    pub task_title: Option<String>,
    pub task_due_days: Option<i32>,
    pub task_priority: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, stage, action, task_title, task_due_days, task_priority, active, created_at, updated_at";

#[derive(Clone, Debug)]
pub struct StageActionFields {
    pub stage: String,
    pub action: String,
    pub task_title: Option<String>,
    pub task_due_days: Option<i32>,
    pub task_priority: Option<String>,
    pub active: bool,
}

pub async fn list(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    stage: Option<&str>,
) -> Result<Vec<StageAction>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM pipeline_stage_actions WHERE tenant_id = $1 \
         AND ($2::text IS NULL OR stage = $2) ORDER BY array_position(ARRAY['prospect', \
         'qualification','proposition','signed','lost'], stage), id"
    );
    Ok(
        StageAction::find_by_statement(stmt(
            &sql,
            [tenant.into(), stage.map(str::to_owned).into()],
        ))
        .all(db)
        .await?,
    )
}

/// Active actions for a stage, in creation order.
pub async fn active_for(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    stage: &str,
) -> Result<Vec<StageAction>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM pipeline_stage_actions WHERE tenant_id = $1 AND stage = $2 \
         AND active ORDER BY id"
    );
    Ok(
        StageAction::find_by_statement(stmt(&sql, [tenant.into(), stage.into()]))
            .all(db)
            .await?,
    )
}

pub async fn find(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
) -> Result<Option<StageAction>> {
    let sql =
        format!("SELECT {COLUMNS} FROM pipeline_stage_actions WHERE tenant_id = $1 AND id = $2");
    Ok(
        StageAction::find_by_statement(stmt(&sql, [tenant.into(), id.into()]))
            .one(db)
            .await?,
    )
}

pub async fn insert(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    f: &StageActionFields,
) -> Result<StageAction> {
    let id = Uuid::now_v7();
    db.execute_raw(stmt(
        "INSERT INTO pipeline_stage_actions (tenant_id, id, stage, action, task_title, \
         task_due_days, task_priority, active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            tenant.into(),
            id.into(),
            f.stage.clone().into(),
            f.action.clone().into(),
            f.task_title.clone().into(),
            f.task_due_days.into(),
            f.task_priority.clone().into(),
            f.active.into(),
        ],
    ))
    .await?;
    Ok(find(db, tenant, id).await?.expect("just inserted"))
}

pub async fn update(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
    f: &StageActionFields,
) -> Result<StageAction> {
    db.execute_raw(stmt(
        "UPDATE pipeline_stage_actions SET stage = $3, action = $4, task_title = $5, \
         task_due_days = $6, task_priority = $7, active = $8, updated_at = now() \
         WHERE tenant_id = $1 AND id = $2",
        [
            tenant.into(),
            id.into(),
            f.stage.clone().into(),
            f.action.clone().into(),
            f.task_title.clone().into(),
            f.task_due_days.into(),
            f.task_priority.clone().into(),
            f.active.into(),
        ],
    ))
    .await?;
    Ok(find(db, tenant, id).await?.expect("row exists"))
}

pub async fn delete(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<bool> {
    let res = db
        .execute_raw(stmt(
            "DELETE FROM pipeline_stage_actions WHERE tenant_id = $1 AND id = $2",
            [tenant.into(), id.into()],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

/// An organisation that just crossed the "stuck" threshold.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Stuck {
    pub id: Uuid,
    pub name: String,
    pub pipeline_stage: String,
    pub stage_changed_at: DateTime<Utc>,
    pub owner_id: Option<Uuid>,
}

/// Mark and return the live organisations of `tenant` that have stayed more than `days` in an
/// open stage and were not yet alerted for this stay. Each stay alerts once: a stage change
/// clears the marker.
pub async fn mark_stuck(db: &impl ConnectionTrait, tenant: Uuid, days: i32) -> Result<Vec<Stuck>> {
    Ok(Stuck::find_by_statement(stmt(
        "UPDATE organisations SET stuck_alerted_at = now() WHERE tenant_id = $1 \
         AND deleted_at IS NULL AND pipeline_stage NOT IN ('signed', 'lost') \
         AND stage_changed_at < now() - make_interval(days => $2) \
         AND stuck_alerted_at IS NULL \
         RETURNING id, name, pipeline_stage, stage_changed_at, owner_id",
        [tenant.into(), days.into()],
    ))
    .all(db)
    .await?)
}

/// Ids of active tenants (platform table), for scans that visit every tenant in turn.
pub async fn active_tenants(db: &impl ConnectionTrait) -> Result<Vec<Uuid>> {
    let rows = db
        .query_all_raw(stmt(
            "SELECT id FROM tenants WHERE status = 'active' ORDER BY id",
            [],
        ))
        .await?;
    rows.iter().map(|r| Ok(r.try_get("", "id")?)).collect()
}
