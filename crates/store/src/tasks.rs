//! Tasks: query functions for CRUD, filtered lists and bulk writes, and the look-up of the
//! record a task (or an interaction) is linked to.

use crate::{
    error::Result,
    interactions::owned_by,
    organisations::Visibility,
    sql::{self, SortKey, Sql},
    stmt,
};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct Task {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub priority: String,
    pub status: String,
    pub assignee_id: Option<Uuid>,
    pub assignee_team_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub completed_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub record_type: Option<String>,
    pub record_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

const OVERDUE: &str = "(t.due_at < now() AND t.status IN ('todo', 'in_progress'))";

const SELECT: &str = "SELECT t.tenant_id, t.id, t.title, t.description, t.due_at, t.priority, \
    t.status, t.assignee_id, \
    (SELECT u.team_id FROM users u WHERE u.tenant_id = t.tenant_id AND u.id = t.assignee_id) AS assignee_team_id, \
    t.created_by, t.completed_at, \
    coalesce(t.due_at < now() AND t.status IN ('todo', 'in_progress'), false) AS overdue, \
    t.record_type, t.record_id, t.created_at, t.updated_at, t.deleted_at";

/// Every writable field, already validated. `completed_at` follows `status`.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskFields {
    pub title: String,
    pub description: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub priority: String,
    pub status: String,
    pub assignee_id: Option<Uuid>,
    pub record_type: Option<String>,
    pub record_id: Option<Uuid>,
}

impl From<&Task> for TaskFields {
    fn from(t: &Task) -> Self {
        Self {
            title: t.title.clone(),
            description: t.description.clone(),
            due_at: t.due_at,
            priority: t.priority.clone(),
            status: t.status.clone(),
            assignee_id: t.assignee_id,
            record_type: t.record_type.clone(),
            record_id: t.record_id,
        }
    }
}

/// List filters.
#[derive(Clone, Debug, Default)]
pub struct TaskFilter {
    pub statuses: Vec<String>,
    pub priorities: Vec<String>,
    pub assignee_id: Option<Uuid>,
    /// Assigned to someone else than this user (or to nobody).
    pub not_assignee_id: Option<Uuid>,
    /// `true`: open and past due; `false`: not overdue.
    pub overdue: Option<bool>,
    pub record_type: Option<String>,
    pub record_id: Option<Uuid>,
    pub due_from: Option<DateTime<Utc>>,
    pub due_to: Option<DateTime<Utc>>,
    /// Substring of the title (case-insensitive).
    pub q: Option<String>,
    /// List the trash instead of live tasks.
    pub deleted: bool,
}

const DUE_ASC: &str = "coalesce(t.due_at, 'infinity'::timestamptz)";
const DUE_DESC: &str = "coalesce(t.due_at, '-infinity'::timestamptz)";

/// Sortable fields: name → (expression, cast). `due_at` puts tasks without a due date last in
/// both directions.
pub const SORTS: &[(&str, &str, &str)] = &[
    ("due_at", DUE_ASC, "timestamptz"),
    (
        "priority",
        "array_position(ARRAY['low','normal','high','urgent'], t.priority)",
        "integer",
    ),
    ("created_at", "t.created_at", "timestamptz"),
    ("updated_at", "t.updated_at", "timestamptz"),
];

/// Parse `-priority,due_at` into sort keys (default `due_at`); `Err` names the first unknown
/// field.
pub fn parse_sort(s: &str) -> std::result::Result<Vec<SortKey>, String> {
    let mut keys = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (desc, name) = match part.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, part.strip_prefix('+').unwrap_or(part)),
        };
        let (_, expr, cast) = SORTS
            .iter()
            .find(|(n, _, _)| *n == name)
            .ok_or_else(|| name.to_owned())?;
        let expr = if name == "due_at" && desc {
            DUE_DESC
        } else {
            expr
        };
        keys.push(SortKey { expr, desc, cast });
    }
    if keys.is_empty() {
        keys.push(SortKey {
            expr: DUE_ASC,
            desc: false,
            cast: "timestamptz",
        });
    }
    if keys.len() > 4 {
        return Err("too many sort fields".into());
    }
    Ok(keys)
}

fn filters(sql: &mut Sql, f: &TaskFilter) {
    sql.push(if f.deleted {
        " AND t.deleted_at IS NOT NULL"
    } else {
        " AND t.deleted_at IS NULL"
    });
    if !f.statuses.is_empty() {
        sql.push(" AND t.status = ANY(")
            .bind(f.statuses.clone())
            .push(")");
    }
    if !f.priorities.is_empty() {
        sql.push(" AND t.priority = ANY(")
            .bind(f.priorities.clone())
            .push(")");
    }
    if let Some(a) = f.assignee_id {
        sql.push(" AND t.assignee_id = ").bind(a);
    }
    if let Some(a) = f.not_assignee_id {
        sql.push(" AND t.assignee_id IS DISTINCT FROM ").bind(a);
    }
    match f.overdue {
        Some(true) => {
            sql.push(" AND ").push(OVERDUE);
        }
        Some(false) => {
            sql.push(" AND NOT coalesce(")
                .push(OVERDUE)
                .push(", false)");
        }
        None => {}
    }
    if let Some(r) = &f.record_type {
        sql.push(" AND t.record_type = ").bind(r.clone());
    }
    if let Some(r) = f.record_id {
        sql.push(" AND t.record_id = ").bind(r);
    }
    if let Some(d) = f.due_from {
        sql.push(" AND t.due_at >= ").bind(d);
    }
    if let Some(d) = f.due_to {
        sql.push(" AND t.due_at < ").bind(d);
    }
    if let Some(q) = &f.q {
        sql.push(" AND strpos(lower(t.title), lower(")
            .bind(q.clone())
            .push(")) > 0");
    }
}

/// A page of tasks plus, for each row, the cursor values of its sort keys.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    vis: Visibility,
    filter: &TaskFilter,
    sort: &[SortKey],
    after: Option<(&[String], Uuid)>,
    limit: u64,
) -> Result<Vec<(Task, Vec<String>)>> {
    let mut sql = Sql::new(SELECT);
    for (i, k) in sort.iter().enumerate() {
        sql.push(&format!(", ({})::text AS sk{i}", k.expr));
    }
    sql.push(" FROM tasks t WHERE t.tenant_id = ").bind(tenant);
    owned_by(&mut sql, vis, "t", "assignee_id");
    filters(&mut sql, filter);
    sql::keyset(&mut sql, sort, "t.id", after);
    sql::order_by(&mut sql, sort, "t.id");
    sql.push(" LIMIT ").bind(limit as i64);
    let rows = db.query_all_raw(sql.build()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let task = Task::from_query_result(&row, "")?;
        let mut keys = Vec::with_capacity(sort.len());
        for i in 0..sort.len() {
            let v: Option<String> = row.try_get("", &format!("sk{i}"))?;
            keys.push(v.unwrap_or_default());
        }
        out.push((task, keys));
    }
    Ok(out)
}

/// The columns for an export: the owner's team (needed only for scope checks of single
/// records) is a subquery per row, left out.
fn export_columns(select: &str) -> String {
    select.replace(
        "(SELECT u.team_id FROM users u WHERE u.tenant_id = t.tenant_id AND u.id = t.assignee_id)",
        "NULL::uuid",
    )
}

/// The whole list in its order, for an export read in one statement or through a cursor
/// (one scan, one snapshot; no keyset pages, whose predicates row-level security cannot push
/// into the sort index).
pub fn export_statement(
    tenant: Uuid,
    vis: Visibility,
    filter: &TaskFilter,
    sort: &[SortKey],
) -> sea_orm::Statement {
    let mut sql = Sql::new(&export_columns(SELECT));
    sql.push(" FROM tasks t WHERE t.tenant_id = ").bind(tenant);
    owned_by(&mut sql, vis, "t", "assignee_id");
    filters(&mut sql, filter);
    sql::order_by(&mut sql, sort, "t.id");
    sql.build()
}

/// Count matching rows (only when the client asks with `count=true`).
pub async fn count(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    vis: Visibility,
    filter: &TaskFilter,
) -> Result<i64> {
    let mut sql = Sql::new("SELECT count(*) AS n FROM tasks t WHERE t.tenant_id = ");
    sql.bind(tenant);
    owned_by(&mut sql, vis, "t", "assignee_id");
    filters(&mut sql, filter);
    let row = db.query_one_raw(sql.build()).await?.expect("count row");
    Ok(row.try_get("", "n")?)
}

/// One task, including a deleted one (callers decide what that means).
pub async fn find(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<Option<Task>> {
    let sql = format!("{SELECT} FROM tasks t WHERE t.tenant_id = $1 AND t.id = $2");
    Ok(
        Task::find_by_statement(stmt(&sql, [tenant.into(), id.into()]))
            .one(db)
            .await?,
    )
}

/// Lock live rows for a write (bulk actions) and return them.
pub async fn find_many_for_update(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Task>> {
    let sql = format!(
        "{SELECT} FROM tasks t WHERE t.tenant_id = $1 AND t.id = ANY($2) \
         AND t.deleted_at IS NULL ORDER BY t.id FOR UPDATE OF t"
    );
    Ok(
        Task::find_by_statement(stmt(&sql, [tenant.into(), ids.to_vec().into()]))
            .all(db)
            .await?,
    )
}

pub async fn insert(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    f: &TaskFields,
    created_by: Option<Uuid>,
) -> Result<Task> {
    let id = Uuid::now_v7();
    db.execute_raw(stmt(
        "INSERT INTO tasks (tenant_id, id, title, description, due_at, priority, status, \
         assignee_id, created_by, completed_at, record_type, record_id) VALUES ($1, $2, $3, $4, \
         $5, $6, $7, $8, $9, CASE WHEN $7 = 'done' THEN now() END, $10, $11)",
        [
            tenant.into(),
            id.into(),
            f.title.clone().into(),
            f.description.clone().into(),
            f.due_at.into(),
            f.priority.clone().into(),
            f.status.clone().into(),
            f.assignee_id.into(),
            created_by.into(),
            f.record_type.clone().into(),
            f.record_id.into(),
        ],
    ))
    .await?;
    Ok(find(db, tenant, id).await?.expect("just inserted"))
}

/// Write every field. `completed_at` is stamped when the task becomes done, kept while it
/// stays done and cleared when it leaves `done`.
pub async fn update(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
    f: &TaskFields,
) -> Result<Task> {
    db.execute_raw(stmt(
        "UPDATE tasks SET title = $3, description = $4, due_at = $5, priority = $6, status = $7, \
         assignee_id = $8, record_type = $9, record_id = $10, \
         completed_at = CASE WHEN $7 = 'done' THEN coalesce(completed_at, now()) END, \
         updated_at = now() WHERE tenant_id = $1 AND id = $2",
        [
            tenant.into(),
            id.into(),
            f.title.clone().into(),
            f.description.clone().into(),
            f.due_at.into(),
            f.priority.clone().into(),
            f.status.clone().into(),
            f.assignee_id.into(),
            f.record_type.clone().into(),
            f.record_id.into(),
        ],
    ))
    .await?;
    Ok(find(db, tenant, id).await?.expect("row exists"))
}

/// Move to the trash.
pub async fn soft_delete(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
    actor: Option<Uuid>,
) -> Result<bool> {
    let res = db
        .execute_raw(stmt(
            "UPDATE tasks SET deleted_at = now(), deleted_by = $3, updated_at = now() \
             WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL",
            [tenant.into(), id.into(), actor.into()],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

/// Take out of the trash, if deleted less than 30 days ago.
pub async fn restore(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<bool> {
    let res = db
        .execute_raw(stmt(
            "UPDATE tasks SET deleted_at = NULL, deleted_by = NULL, updated_at = now() \
             WHERE tenant_id = $1 AND id = $2 AND deleted_at > now() - interval '30 days'",
            [tenant.into(), id.into()],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

/// Erase for good.
pub async fn purge(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<bool> {
    let res = db
        .execute_raw(stmt(
            "DELETE FROM tasks WHERE tenant_id = $1 AND id = $2",
            [tenant.into(), id.into()],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

/// Who owns a record that something links to, for the caller's read check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromQueryResult)]
pub struct LinkedRecord {
    pub owner_id: Option<Uuid>,
    pub owner_team_id: Option<Uuid>,
}

/// What the look-up of a linked record found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Linked {
    /// A live record of the tenant.
    Found(LinkedRecord),
    /// No such live record in the tenant.
    Missing,
    /// The schema has no table for this kind of record (mandates before their migration), so
    /// the link cannot be checked.
    Unchecked,
}

/// Look up the live `organisation`, `person` or `mandate` a task or an interaction points at.
pub async fn linked_record(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    record_type: &str,
    id: Uuid,
) -> Result<Linked> {
    let table = match record_type {
        "organisation" => "organisations",
        "person" => "people",
        "mandate" => "mandates",
        _ => return Ok(Linked::Missing),
    };
    if table == "mandates" {
        let row = db
            .query_one_raw(stmt(
                "SELECT to_regclass('mandates') IS NOT NULL AS present",
                [],
            ))
            .await?;
        let present: bool = match row {
            Some(r) => r.try_get("", "present")?,
            None => false,
        };
        if !present {
            return Ok(Linked::Unchecked);
        }
    }
    let sql = format!(
        "SELECT r.owner_id, (SELECT u.team_id FROM users u WHERE u.tenant_id = r.tenant_id \
         AND u.id = r.owner_id) AS owner_team_id FROM {table} r \
         WHERE r.tenant_id = $1 AND r.id = $2 AND r.deleted_at IS NULL"
    );
    Ok(
        match LinkedRecord::find_by_statement(stmt(&sql, [tenant.into(), id.into()]))
            .one(db)
            .await?
        {
            Some(r) => Linked::Found(r),
            None => Linked::Missing,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_leave_out_the_team_subquery() {
        let cols = export_columns(SELECT);
        assert!(!cols.contains("FROM users"), "{cols}");
        assert!(cols.contains("NULL::uuid"));
    }

    #[test]
    fn sorts_parse() {
        let k = parse_sort("").unwrap();
        assert!(k.len() == 1 && !k[0].desc && k[0].expr == DUE_ASC);
        let k = parse_sort("-due_at,-priority").unwrap();
        assert_eq!(k[0].expr, DUE_DESC, "no due date sorts last descending too");
        assert!(k[1].desc);
        assert_eq!(parse_sort("title").unwrap_err(), "title");
    }
}
