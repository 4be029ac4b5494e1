//! Interactions: query functions for CRUD, filtered lists, the organisation timeline, and the
//! `last_contact_at` of the organisations and people they are linked to.

use crate::{
    error::Result,
    organisations::Visibility,
    sql::{self, SortKey, Sql},
    stmt,
};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct Interaction {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub author_id: Uuid,
    pub author_team_id: Option<Uuid>,
    pub summary: String,
    pub organisation_id: Option<Uuid>,
    pub person_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

const SELECT: &str = "SELECT i.tenant_id, i.id, i.kind, i.occurred_at, i.author_id, \
    (SELECT u.team_id FROM users u WHERE u.tenant_id = i.tenant_id AND u.id = i.author_id) AS author_team_id, \
    i.summary, i.organisation_id, i.person_id, i.created_at, i.updated_at, i.deleted_at";

/// Every writable field, already validated.
#[derive(Clone, Debug, PartialEq)]
pub struct InteractionFields {
    pub kind: String,
    /// `None` on creation means now.
    pub occurred_at: Option<DateTime<Utc>>,
    pub author_id: Uuid,
    pub summary: String,
    pub organisation_id: Option<Uuid>,
    pub person_id: Option<Uuid>,
}

impl From<&Interaction> for InteractionFields {
    fn from(i: &Interaction) -> Self {
        Self {
            kind: i.kind.clone(),
            occurred_at: Some(i.occurred_at),
            author_id: i.author_id,
            summary: i.summary.clone(),
            organisation_id: i.organisation_id,
            person_id: i.person_id,
        }
    }
}

/// List filters.
#[derive(Clone, Debug, Default)]
pub struct InteractionFilter {
    pub organisation_id: Option<Uuid>,
    pub person_id: Option<Uuid>,
    pub kinds: Vec<String>,
    pub author_id: Option<Uuid>,
    pub occurred_from: Option<DateTime<Utc>>,
    pub occurred_to: Option<DateTime<Utc>>,
    /// Substring of the summary (case-insensitive).
    pub q: Option<String>,
    /// List the trash instead of live interactions.
    pub deleted: bool,
}

/// Sortable fields: name → (expression, cast).
pub const SORTS: &[(&str, &str, &str)] = &[
    ("occurred_at", "i.occurred_at", "timestamptz"),
    ("created_at", "i.created_at", "timestamptz"),
    ("updated_at", "i.updated_at", "timestamptz"),
];

/// Parse `-occurred_at,created_at` into sort keys (default `-occurred_at`); `Err` names the
/// first unknown field.
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
        keys.push(SortKey { expr, desc, cast });
    }
    if keys.is_empty() {
        keys.push(SortKey {
            expr: "i.occurred_at",
            desc: true,
            cast: "timestamptz",
        });
    }
    if keys.len() > 3 {
        return Err("too many sort fields".into());
    }
    Ok(keys)
}

/// Keep the rows of table alias `t` whose owner column `col` is within the visibility.
pub(crate) fn owned_by(sql: &mut Sql, v: Visibility, t: &str, col: &str) {
    match v {
        Visibility::All => {}
        Visibility::Own { user } => {
            sql.push(&format!(" AND {t}.{col} = ")).bind(user);
        }
        Visibility::Team { user, team } => {
            sql.push(&format!(" AND ({t}.{col} = ")).bind(user);
            if let Some(team) = team {
                sql.push(&format!(
                    " OR {t}.{col} IN (SELECT u.id FROM users u WHERE u.tenant_id = {t}.tenant_id \
                     AND u.team_id = "
                ))
                .bind(team)
                .push(")");
            }
            sql.push(")");
        }
    }
}

fn filters(sql: &mut Sql, f: &InteractionFilter) {
    sql.push(if f.deleted {
        " AND i.deleted_at IS NOT NULL"
    } else {
        " AND i.deleted_at IS NULL"
    });
    if let Some(o) = f.organisation_id {
        sql.push(" AND i.organisation_id = ").bind(o);
    }
    if let Some(p) = f.person_id {
        sql.push(" AND i.person_id = ").bind(p);
    }
    if !f.kinds.is_empty() {
        sql.push(" AND i.kind = ANY(")
            .bind(f.kinds.clone())
            .push(")");
    }
    if let Some(a) = f.author_id {
        sql.push(" AND i.author_id = ").bind(a);
    }
    if let Some(t) = f.occurred_from {
        sql.push(" AND i.occurred_at >= ").bind(t);
    }
    if let Some(t) = f.occurred_to {
        sql.push(" AND i.occurred_at < ").bind(t);
    }
    if let Some(q) = &f.q {
        sql.push(" AND strpos(lower(i.summary), lower(")
            .bind(q.clone())
            .push(")) > 0");
    }
}

/// A page of interactions plus, for each row, the cursor values of its sort keys.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    vis: Visibility,
    filter: &InteractionFilter,
    sort: &[SortKey],
    after: Option<(&[String], Uuid)>,
    limit: u64,
) -> Result<Vec<(Interaction, Vec<String>)>> {
    let mut sql = Sql::new(SELECT);
    for (i, k) in sort.iter().enumerate() {
        sql.push(&format!(", ({})::text AS sk{i}", k.expr));
    }
    sql.push(" FROM interactions i WHERE i.tenant_id = ")
        .bind(tenant);
    owned_by(&mut sql, vis, "i", "author_id");
    filters(&mut sql, filter);
    sql::keyset(&mut sql, sort, "i.id", after);
    sql::order_by(&mut sql, sort, "i.id");
    sql.push(" LIMIT ").bind(limit as i64);
    let rows = db.query_all_raw(sql.build()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let item = Interaction::from_query_result(&row, "")?;
        let mut keys = Vec::with_capacity(sort.len());
        for i in 0..sort.len() {
            let v: Option<String> = row.try_get("", &format!("sk{i}"))?;
            keys.push(v.unwrap_or_default());
        }
        out.push((item, keys));
    }
    Ok(out)
}

/// The columns for an export: the author's team (needed only for scope checks of single
/// records) is a subquery per row, left out; the names of the organisation and the person
/// (trashed or not; the person's as `people::full_name` writes it) are added as
/// `organisation_name` and `person_name`, so that an export reads every row in one statement.
fn export_columns(select: &str) -> String {
    select.replace(
        "(SELECT u.team_id FROM users u WHERE u.tenant_id = i.tenant_id AND u.id = i.author_id)",
        "NULL::uuid",
    ) + ", (SELECT o.name FROM organisations o \
         WHERE o.tenant_id = i.tenant_id AND o.id = i.organisation_id) AS organisation_name, \
         (SELECT concat_ws(' ', NULLIF(p.first_name, ''), p.last_name) FROM people p \
         WHERE p.tenant_id = i.tenant_id AND p.id = i.person_id) AS person_name"
}

/// The whole list in its order, for an export read in one statement or through a cursor
/// (one scan, one snapshot; no keyset pages, whose predicates row-level security cannot push
/// into the sort index).
pub fn export_statement(
    tenant: Uuid,
    vis: Visibility,
    filter: &InteractionFilter,
    sort: &[SortKey],
) -> sea_orm::Statement {
    let mut sql = Sql::new(&export_columns(SELECT));
    sql.push(" FROM interactions i WHERE i.tenant_id = ")
        .bind(tenant);
    owned_by(&mut sql, vis, "i", "author_id");
    filters(&mut sql, filter);
    sql::order_by(&mut sql, sort, "i.id");
    sql.build()
}

/// Count matching rows (only when the client asks with `count=true`).
pub async fn count(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    vis: Visibility,
    filter: &InteractionFilter,
) -> Result<i64> {
    let mut sql = Sql::new("SELECT count(*) AS n FROM interactions i WHERE i.tenant_id = ");
    sql.bind(tenant);
    owned_by(&mut sql, vis, "i", "author_id");
    filters(&mut sql, filter);
    let row = db.query_one_raw(sql.build()).await?.expect("count row");
    Ok(row.try_get("", "n")?)
}

/// One interaction, including a deleted one (callers decide what that means).
pub async fn find(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
) -> Result<Option<Interaction>> {
    let sql = format!("{SELECT} FROM interactions i WHERE i.tenant_id = $1 AND i.id = $2");
    Ok(
        Interaction::find_by_statement(stmt(&sql, [tenant.into(), id.into()]))
            .one(db)
            .await?,
    )
}

/// Lock the live interactions among `ids` for a write (bulk actions) and return them.
pub async fn find_many_for_update(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Interaction>> {
    let sql = format!(
        "{SELECT} FROM interactions i WHERE i.tenant_id = $1 AND i.id = ANY($2) \
         AND i.deleted_at IS NULL ORDER BY i.id FOR UPDATE OF i"
    );
    Ok(
        Interaction::find_by_statement(stmt(&sql, [tenant.into(), ids.to_vec().into()]))
            .all(db)
            .await?,
    )
}

pub async fn insert(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    f: &InteractionFields,
) -> Result<Interaction> {
    let id = Uuid::now_v7();
    db.execute_raw(stmt(
        "INSERT INTO interactions (tenant_id, id, kind, occurred_at, author_id, summary, \
         organisation_id, person_id) VALUES ($1, $2, $3, coalesce($4, now()), $5, $6, $7, $8)",
        [
            tenant.into(),
            id.into(),
            f.kind.clone().into(),
            f.occurred_at.into(),
            f.author_id.into(),
            f.summary.clone().into(),
            f.organisation_id.into(),
            f.person_id.into(),
        ],
    ))
    .await?;
    Ok(find(db, tenant, id).await?.expect("just inserted"))
}

/// Write every field.
pub async fn update(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
    f: &InteractionFields,
) -> Result<Interaction> {
    db.execute_raw(stmt(
        "UPDATE interactions SET kind = $3, occurred_at = coalesce($4, occurred_at), \
         author_id = $5, summary = $6, organisation_id = $7, person_id = $8, updated_at = now() \
         WHERE tenant_id = $1 AND id = $2",
        [
            tenant.into(),
            id.into(),
            f.kind.clone().into(),
            f.occurred_at.into(),
            f.author_id.into(),
            f.summary.clone().into(),
            f.organisation_id.into(),
            f.person_id.into(),
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
            "UPDATE interactions SET deleted_at = now(), deleted_by = $3, updated_at = now() \
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
            "UPDATE interactions SET deleted_at = NULL, deleted_by = NULL, updated_at = now() \
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
            "DELETE FROM interactions WHERE tenant_id = $1 AND id = $2",
            [tenant.into(), id.into()],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

/// Set `last_contact_at` of these organisations and people to the latest `occurred_at` of
/// their live interactions (NULL when none is left).
///
/// The rows are locked first, in a statement of their own: a concurrent writer of the same
/// record waits here, and the recomputation that follows (a new statement, so a new snapshot
/// under READ COMMITTED) sees its committed interactions. Organisations are locked before
/// people, each in id order, so two writers cannot deadlock. `updated_at` is left alone: the
/// value is derived, and moving it would make every open edit of the record stale.
pub async fn refresh_last_contact(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    organisations: &[Uuid],
    people: &[Uuid],
) -> Result<()> {
    for (table, col, ids) in [
        ("organisations", "organisation_id", organisations),
        ("people", "person_id", people),
    ] {
        let mut ids = ids.to_vec();
        ids.sort();
        ids.dedup();
        if ids.is_empty() {
            continue;
        }
        db.execute_raw(stmt(
            &format!(
                "SELECT 1 FROM {table} WHERE tenant_id = $1 AND id = ANY($2) ORDER BY id \
                 FOR NO KEY UPDATE"
            ),
            [tenant.into(), ids.clone().into()],
        ))
        .await?;
        db.execute_raw(stmt(
            &format!(
                "UPDATE {table} r SET last_contact_at = (SELECT max(i.occurred_at) \
                 FROM interactions i WHERE i.tenant_id = r.tenant_id AND i.{col} = r.id \
                 AND i.deleted_at IS NULL) WHERE r.tenant_id = $1 AND r.id = ANY($2)"
            ),
            [tenant.into(), ids.into()],
        ))
        .await?;
    }
    Ok(())
}

/// Position in a timeline, newest first: time, then kind (`1` event, `0` interaction), then
/// the row's key (event `seq`, or interaction id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimelinePos {
    pub at: DateTime<Utc>,
    pub event: bool,
    pub seq: i64,
    pub id: Uuid,
}

/// The organisation's live interactions visible to the caller that come after `after` in a
/// newest-first timeline.
pub async fn timeline_interactions(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    organisation: Uuid,
    vis: Visibility,
    after: Option<TimelinePos>,
    limit: u64,
) -> Result<Vec<Interaction>> {
    let mut sql = Sql::new(SELECT);
    sql.push(" FROM interactions i WHERE i.tenant_id = ")
        .bind(tenant)
        .push(" AND i.organisation_id = ")
        .bind(organisation)
        .push(" AND i.deleted_at IS NULL");
    owned_by(&mut sql, vis, "i", "author_id");
    if let Some(c) = after {
        if c.event {
            // Interactions rank below events at the same instant.
            sql.push(" AND i.occurred_at <= ").bind(c.at);
        } else {
            sql.push(" AND (i.occurred_at < ")
                .bind(c.at)
                .push(" OR (i.occurred_at = ")
                .bind(c.at)
                .push(" AND i.id < ")
                .bind(c.id)
                .push("))");
        }
    }
    sql.push(" ORDER BY i.occurred_at DESC, i.id DESC LIMIT ")
        .bind(limit as i64);
    Ok(Interaction::find_by_statement(sql.build()).all(db).await?)
}

/// The organisation's change history for its timeline: its own events, and the events of the
/// interactions linked to it now or in the event itself, restricted to the interactions the
/// caller may read (`None`: no interaction events at all). Newest first, after `after`.
pub async fn timeline_events(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    organisation: Uuid,
    interactions: Option<Visibility>,
    after: Option<TimelinePos>,
    limit: u64,
) -> Result<Vec<crate::events::Event>> {
    let mut sql = Sql::new(
        "SELECT e.tenant_id, e.seq, e.id, e.type AS event_type, e.record_type, e.record_id, \
         e.actor_type, e.actor_id, e.data, e.occurred_at FROM events e WHERE e.tenant_id = ",
    );
    sql.bind(tenant)
        .push(" AND ((e.record_type = 'organisation' AND e.record_id = ")
        .bind(organisation)
        .push(")");
    if let Some(vis) = interactions {
        let org = organisation.to_string();
        sql.push(
            " OR (e.record_type = 'interaction' AND EXISTS (SELECT 1 FROM interactions i \
             WHERE i.tenant_id = e.tenant_id AND i.id = e.record_id",
        );
        owned_by(&mut sql, vis, "i", "author_id");
        sql.push(" AND (i.organisation_id = ")
            .bind(organisation)
            .push(" OR e.data->'record'->>'organisation_id' = ")
            .bind(org.clone())
            .push(" OR e.data->'before'->>'organisation_id' = ")
            .bind(org)
            .push(")))");
    }
    sql.push(")");
    if let Some(c) = after {
        if c.event {
            sql.push(" AND (e.occurred_at < ")
                .bind(c.at)
                .push(" OR (e.occurred_at = ")
                .bind(c.at)
                .push(" AND e.seq < ")
                .bind(c.seq)
                .push("))");
        } else {
            sql.push(" AND e.occurred_at < ").bind(c.at);
        }
    }
    sql.push(" ORDER BY e.occurred_at DESC, e.seq DESC LIMIT ")
        .bind(limit as i64);
    Ok(crate::events::Event::find_by_statement(sql.build())
        .all(db)
        .await?)
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
        assert!(k.len() == 1 && k[0].desc && k[0].expr == "i.occurred_at");
        let k = parse_sort("created_at,-occurred_at").unwrap();
        assert!(!k[0].desc && k[1].desc);
        assert_eq!(parse_sort("summary").unwrap_err(), "summary");
    }
}
