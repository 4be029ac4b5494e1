//! Organisations: query functions for the CRUD, list, pipeline and trash operations.

use crate::{
    error::Result,
    sql::{self, SortKey, Sql},
    stmt,
};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct Organisation {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub name: String,
    pub org_type: String,
    pub category: Option<String>,
    pub pipeline_stage: String,
    pub stage_changed_at: DateTime<Utc>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub postcode: Option<String>,
    pub country: Option<String>,
    pub notes: Option<String>,
    pub owner_id: Option<Uuid>,
    pub owner_team_id: Option<Uuid>,
    pub active: bool,
    pub expected_amount: Option<f64>,
    pub tags: Vec<String>,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

const SELECT: &str = "SELECT o.tenant_id, o.id, o.name, o.type AS org_type, o.category, \
    o.pipeline_stage, o.stage_changed_at, o.email, o.phone, o.website, o.address, o.city, \
    o.postcode, o.country, o.notes, o.owner_id, \
    (SELECT u.team_id FROM users u WHERE u.tenant_id = o.tenant_id AND u.id = o.owner_id) AS owner_team_id, \
    o.active, o.expected_amount::float8 AS expected_amount, o.tags, o.last_contact_at, \
    o.created_at, o.updated_at, o.deleted_at";

/// Every writable field, already validated.
#[derive(Clone, Debug)]
pub struct OrgFields {
    pub name: String,
    pub org_type: String,
    pub category: Option<String>,
    pub pipeline_stage: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub postcode: Option<String>,
    pub country: Option<String>,
    pub notes: Option<String>,
    pub owner_id: Option<Uuid>,
    pub active: bool,
    pub expected_amount: Option<f64>,
    pub tags: Vec<String>,
}

impl From<&Organisation> for OrgFields {
    fn from(o: &Organisation) -> Self {
        Self {
            name: o.name.clone(),
            org_type: o.org_type.clone(),
            category: o.category.clone(),
            pipeline_stage: o.pipeline_stage.clone(),
            email: o.email.clone(),
            phone: o.phone.clone(),
            website: o.website.clone(),
            address: o.address.clone(),
            city: o.city.clone(),
            postcode: o.postcode.clone(),
            country: o.country.clone(),
            notes: o.notes.clone(),
            owner_id: o.owner_id,
            active: o.active,
            expected_amount: o.expected_amount,
            tags: o.tags.clone(),
        }
    }
}

/// Which rows a caller may see: everything, their team's, or their own.
#[derive(Clone, Copy, Debug)]
pub enum Visibility {
    All,
    Team { user: Uuid, team: Option<Uuid> },
    Own { user: Uuid },
}

/// List filters (SPEC CRM-8).
#[derive(Clone, Debug, Default)]
pub struct OrgFilter {
    pub types: Vec<String>,
    pub categories: Vec<String>,
    pub stages: Vec<String>,
    pub city: Option<String>,
    pub owner_id: Option<Uuid>,
    pub tag: Option<String>,
    pub active: Option<bool>,
    /// No contact for more than N days (or never).
    pub no_contact_days: Option<i32>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub updated_from: Option<DateTime<Utc>>,
    pub updated_to: Option<DateTime<Utc>>,
    /// Substring of the name (case-insensitive).
    pub q: Option<String>,
    /// In an open stage for more than N days.
    pub stuck_days: Option<i32>,
    /// List the trash instead of live records.
    pub deleted: bool,
}

/// Sortable fields: name → (expression, cast).
pub const SORTS: &[(&str, &str, &str)] = &[
    ("name", "lower(o.name)", "text"),
    ("created_at", "o.created_at", "timestamptz"),
    ("updated_at", "o.updated_at", "timestamptz"),
    (
        "expected_amount",
        "coalesce(o.expected_amount, 0)",
        "numeric",
    ),
    ("city", "coalesce(lower(o.city), '')", "text"),
    (
        "pipeline_stage",
        "array_position(ARRAY['prospect','qualification','proposition','signed','lost'], o.pipeline_stage)",
        "integer",
    ),
    ("stage_changed_at", "o.stage_changed_at", "timestamptz"),
];

/// Parse `-updated_at,name` into sort keys; `None` names the first unknown field.
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
            expr: "lower(o.name)",
            desc: false,
            cast: "text",
        });
    }
    if keys.len() > 4 {
        return Err("too many sort fields".into());
    }
    Ok(keys)
}

fn visibility(sql: &mut Sql, v: Visibility) {
    match v {
        Visibility::All => {}
        Visibility::Own { user } => {
            sql.push(" AND o.owner_id = ").bind(user);
        }
        Visibility::Team { user, team } => {
            sql.push(" AND (o.owner_id = ").bind(user);
            if let Some(team) = team {
                sql.push(" OR o.owner_id IN (SELECT u.id FROM users u WHERE u.tenant_id = o.tenant_id AND u.team_id = ")
                    .bind(team)
                    .push(")");
            }
            sql.push(")");
        }
    }
}

fn filters(sql: &mut Sql, f: &OrgFilter) {
    sql.push(if f.deleted {
        " AND o.deleted_at IS NOT NULL"
    } else {
        " AND o.deleted_at IS NULL"
    });
    if !f.types.is_empty() {
        sql.push(" AND o.type = ANY(")
            .bind(f.types.clone())
            .push(")");
    }
    if !f.categories.is_empty() {
        sql.push(" AND o.category = ANY(")
            .bind(f.categories.clone())
            .push(")");
    }
    if !f.stages.is_empty() {
        sql.push(" AND o.pipeline_stage = ANY(")
            .bind(f.stages.clone())
            .push(")");
    }
    if let Some(c) = &f.city {
        sql.push(" AND lower(o.city) = lower(")
            .bind(c.clone())
            .push(")");
    }
    if let Some(o) = f.owner_id {
        sql.push(" AND o.owner_id = ").bind(o);
    }
    if let Some(t) = &f.tag {
        sql.push(" AND o.tags @> ARRAY[")
            .bind(t.clone())
            .push("]::text[]");
    }
    if let Some(a) = f.active {
        sql.push(" AND o.active = ").bind(a);
    }
    if let Some(d) = f.no_contact_days {
        sql.push(
            " AND (o.last_contact_at IS NULL OR o.last_contact_at < now() - make_interval(days => ",
        )
        .bind(d)
        .push("))");
    }
    if let Some(d) = f.stuck_days {
        sql.push(" AND o.pipeline_stage NOT IN ('signed', 'lost') AND o.stage_changed_at < now() - make_interval(days => ")
            .bind(d)
            .push(")");
    }
    for (col, op, v) in [
        ("o.created_at", " >= ", f.created_from),
        ("o.created_at", " < ", f.created_to),
        ("o.updated_at", " >= ", f.updated_from),
        ("o.updated_at", " < ", f.updated_to),
    ] {
        if let Some(v) = v {
            sql.push(" AND ").push(col).push(op).bind(v);
        }
    }
    if let Some(q) = &f.q {
        sql.push(" AND strpos(lower(o.name), lower(")
            .bind(q.clone())
            .push(")) > 0");
    }
}

/// A page of organisations plus, for each row, the cursor values of its sort keys.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    vis: Visibility,
    filter: &OrgFilter,
    sort: &[SortKey],
    after: Option<(&[String], Uuid)>,
    limit: u64,
) -> Result<Vec<(Organisation, Vec<String>)>> {
    let mut sql = Sql::new(SELECT);
    for (i, k) in sort.iter().enumerate() {
        sql.push(&format!(", ({})::text AS sk{i}", k.expr));
    }
    sql.push(" FROM organisations o WHERE o.tenant_id = ")
        .bind(tenant);
    visibility(&mut sql, vis);
    filters(&mut sql, filter);
    sql::keyset(&mut sql, sort, "o.id", after);
    sql::order_by(&mut sql, sort, "o.id");
    sql.push(" LIMIT ").bind(limit as i64);
    let rows = db.query_all_raw(sql.build()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let org = Organisation::from_query_result(&row, "")?;
        let mut keys = Vec::with_capacity(sort.len());
        for i in 0..sort.len() {
            let v: Option<String> = row.try_get("", &format!("sk{i}"))?;
            keys.push(v.unwrap_or_default());
        }
        out.push((org, keys));
    }
    Ok(out)
}

/// The columns for an export: the owner's team (needed only for scope checks of single
/// records) is a subquery per row, left out.
fn export_columns(select: &str) -> String {
    select.replace(
        "(SELECT u.team_id FROM users u WHERE u.tenant_id = o.tenant_id AND u.id = o.owner_id)",
        "NULL::uuid",
    )
}

/// The whole list in its order, for an export read in one statement or through a cursor
/// (one scan, one snapshot; no keyset pages, whose predicates row-level security cannot push
/// into the sort index).
pub fn export_statement(
    tenant: Uuid,
    vis: Visibility,
    filter: &OrgFilter,
    sort: &[SortKey],
) -> sea_orm::Statement {
    let mut sql = Sql::new(&export_columns(SELECT));
    sql.push(" FROM organisations o WHERE o.tenant_id = ")
        .bind(tenant);
    visibility(&mut sql, vis);
    filters(&mut sql, filter);
    sql::order_by(&mut sql, sort, "o.id");
    sql.build()
}

/// Count matching rows (only when the client asks with `count=true`).
pub async fn count(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    vis: Visibility,
    filter: &OrgFilter,
) -> Result<i64> {
    let mut sql = Sql::new("SELECT count(*) AS n FROM organisations o WHERE o.tenant_id = ");
    sql.bind(tenant);
    visibility(&mut sql, vis);
    filters(&mut sql, filter);
    let row = db.query_one_raw(sql.build()).await?.expect("count row");
    Ok(row.try_get("", "n")?)
}

/// One organisation, including one in the trash (callers decide what a deleted one means).
pub async fn find(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
) -> Result<Option<Organisation>> {
    let sql = format!("{SELECT} FROM organisations o WHERE o.tenant_id = $1 AND o.id = $2");
    Ok(
        Organisation::find_by_statement(stmt(&sql, [tenant.into(), id.into()]))
            .one(db)
            .await?,
    )
}

/// Lock rows for a write (bulk actions, updates) and return them.
pub async fn find_many_for_update(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Organisation>> {
    let sql = format!(
        "{SELECT} FROM organisations o WHERE o.tenant_id = $1 AND o.id = ANY($2) \
         AND o.deleted_at IS NULL ORDER BY o.id FOR UPDATE OF o"
    );
    Ok(
        Organisation::find_by_statement(stmt(&sql, [tenant.into(), ids.to_vec().into()]))
            .all(db)
            .await?,
    )
}

pub async fn insert(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    f: &OrgFields,
    actor: Option<Uuid>,
) -> Result<Organisation> {
    let id = Uuid::now_v7();
    db.execute_raw(stmt(
        "INSERT INTO organisations (tenant_id, id, name, type, category, pipeline_stage, email, \
         phone, website, address, city, postcode, country, notes, owner_id, active, \
         expected_amount, tags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
         $14, $15, $16, $17::float8::numeric, $18)",
        [
            tenant.into(),
            id.into(),
            f.name.clone().into(),
            f.org_type.clone().into(),
            f.category.clone().into(),
            f.pipeline_stage.clone().into(),
            f.email.clone().into(),
            f.phone.clone().into(),
            f.website.clone().into(),
            f.address.clone().into(),
            f.city.clone().into(),
            f.postcode.clone().into(),
            f.country.clone().into(),
            f.notes.clone().into(),
            f.owner_id.into(),
            f.active.into(),
            f.expected_amount.into(),
            f.tags.clone().into(),
        ],
    ))
    .await?;
    record_stage(db, tenant, id, None, &f.pipeline_stage, actor).await?;
    Ok(find(db, tenant, id).await?.expect("just inserted"))
}

/// Write every field. A stage change is timestamped and recorded in the stage history.
pub async fn update(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    current: &Organisation,
    f: &OrgFields,
    actor: Option<Uuid>,
) -> Result<Organisation> {
    let stage_changed = f.pipeline_stage != current.pipeline_stage;
    db.execute_raw(stmt(
        "UPDATE organisations SET name = $3, type = $4, category = $5, pipeline_stage = $6, \
         email = $7, phone = $8, website = $9, address = $10, city = $11, postcode = $12, \
         country = $13, notes = $14, owner_id = $15, active = $16, \
         expected_amount = $17::float8::numeric, tags = $18, \
         stage_changed_at = CASE WHEN $19 THEN now() ELSE stage_changed_at END, \
         stuck_alerted_at = CASE WHEN $19 THEN NULL ELSE stuck_alerted_at END, \
         updated_at = now() WHERE tenant_id = $1 AND id = $2",
        [
            tenant.into(),
            current.id.into(),
            f.name.clone().into(),
            f.org_type.clone().into(),
            f.category.clone().into(),
            f.pipeline_stage.clone().into(),
            f.email.clone().into(),
            f.phone.clone().into(),
            f.website.clone().into(),
            f.address.clone().into(),
            f.city.clone().into(),
            f.postcode.clone().into(),
            f.country.clone().into(),
            f.notes.clone().into(),
            f.owner_id.into(),
            f.active.into(),
            f.expected_amount.into(),
            f.tags.clone().into(),
            stage_changed.into(),
        ],
    ))
    .await?;
    if stage_changed {
        record_stage(
            db,
            tenant,
            current.id,
            Some(&current.pipeline_stage),
            &f.pipeline_stage,
            actor,
        )
        .await?;
    }
    Ok(find(db, tenant, current.id).await?.expect("row exists"))
}

async fn record_stage(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    org: Uuid,
    from: Option<&str>,
    to: &str,
    actor: Option<Uuid>,
) -> Result<()> {
    db.execute_raw(stmt(
        "INSERT INTO organisation_stage_changes (tenant_id, id, organisation_id, from_stage, \
         to_stage, changed_by) VALUES ($1, $2, $3, $4, $5, $6)",
        [
            tenant.into(),
            Uuid::now_v7().into(),
            org.into(),
            from.map(str::to_owned).into(),
            to.into(),
            actor.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Move to the trash (restorable for 30 days).
pub async fn soft_delete(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
    actor: Option<Uuid>,
) -> Result<bool> {
    let res = db
        .execute_raw(stmt(
            "UPDATE organisations SET deleted_at = now(), deleted_by = $3, updated_at = now() \
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
            "UPDATE organisations SET deleted_at = NULL, deleted_by = NULL, updated_at = now() \
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
            "DELETE FROM organisations WHERE tenant_id = $1 AND id = $2",
            [tenant.into(), id.into()],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

#[derive(Clone, Debug, FromQueryResult)]
pub struct StageChange {
    pub id: Uuid,
    pub from_stage: Option<String>,
    pub to_stage: String,
    pub changed_at: DateTime<Utc>,
    pub changed_by: Option<Uuid>,
}

pub async fn stage_history(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    org: Uuid,
) -> Result<Vec<StageChange>> {
    Ok(StageChange::find_by_statement(stmt(
        "SELECT id, from_stage, to_stage, changed_at, changed_by FROM organisation_stage_changes \
         WHERE tenant_id = $1 AND organisation_id = $2 ORDER BY changed_at, id",
        [tenant.into(), org.into()],
    ))
    .all(db)
    .await?)
}

/// Columns of a [`OrgFields`] row inside `jsonb_to_recordset`.
const FIELDS_RECORDSET: &str = "x(id uuid, name text, type text, category text, \
    pipeline_stage text, email text, phone text, website text, address text, city text, \
    postcode text, country text, notes text, owner_id uuid, active boolean, \
    expected_amount float8, tags text[], stage_changed boolean, sid uuid)";

fn fields_json(id: Uuid, f: &OrgFields, stage_changed: bool) -> serde_json::Value {
    serde_json::json!({
        "id": id, "name": f.name, "type": f.org_type, "category": f.category,
        "pipeline_stage": f.pipeline_stage, "email": f.email, "phone": f.phone,
        "website": f.website, "address": f.address, "city": f.city, "postcode": f.postcode,
        "country": f.country, "notes": f.notes, "owner_id": f.owner_id, "active": f.active,
        "expected_amount": f.expected_amount, "tags": f.tags, "stage_changed": stage_changed,
        "sid": Uuid::now_v7(),
    })
}

/// Live organisations (several may match one key) whose lower-cased name or email is among
/// `keys`, locked, for imports that upsert (see `import_match_organisations`).
pub async fn find_by_keys(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    by_email: bool,
    keys: &[String],
) -> Result<Vec<Organisation>> {
    let sql = format!(
        "{SELECT} FROM import_match_organisations($2, $3) o WHERE o.tenant_id = $1 ORDER BY o.id"
    );
    Ok(Organisation::find_by_statement(stmt(
        &sql,
        [tenant.into(), by_email.into(), keys.to_vec().into()],
    ))
    .all(db)
    .await?)
}

/// Organisations by id, in no particular order.
pub async fn find_many(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Organisation>> {
    let sql = format!("{SELECT} FROM organisations o WHERE o.tenant_id = $1 AND o.id = ANY($2)");
    Ok(
        Organisation::find_by_statement(stmt(&sql, [tenant.into(), ids.to_vec().into()]))
            .all(db)
            .await?,
    )
}

/// Stored columns the writes do not set, read back with `RETURNING`.
#[derive(FromQueryResult)]
struct Written {
    id: Uuid,
    stage_changed_at: DateTime<Utc>,
    last_contact_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    owner_team_id: Option<Uuid>,
}

const WRITTEN: &str = "id, stage_changed_at, last_contact_at, created_at, updated_at, \
    (SELECT u.team_id FROM users u WHERE u.tenant_id = $1 AND u.id = owner_id) AS owner_team_id";

const WRITTEN_O: &str = "o.id, o.stage_changed_at, o.last_contact_at, o.created_at, \
    o.updated_at, (SELECT u.team_id FROM users u WHERE u.tenant_id = $1 AND u.id = o.owner_id) \
    AS owner_team_id";

/// The stored rows, from what was written and what the database set, in the order given.
fn assemble(
    tenant: Uuid,
    rows: impl Iterator<Item = (Uuid, OrgFields)>,
    written: Vec<Written>,
) -> Vec<Organisation> {
    let mut by_id: std::collections::HashMap<Uuid, Written> =
        written.into_iter().map(|w| (w.id, w)).collect();
    rows.filter_map(|(id, f)| {
        let w = by_id.remove(&id)?;
        Some(Organisation {
            tenant_id: tenant,
            id,
            name: f.name,
            org_type: f.org_type,
            category: f.category,
            pipeline_stage: f.pipeline_stage,
            stage_changed_at: w.stage_changed_at,
            email: f.email,
            phone: f.phone,
            website: f.website,
            address: f.address,
            city: f.city,
            postcode: f.postcode,
            country: f.country,
            notes: f.notes,
            owner_id: f.owner_id,
            owner_team_id: w.owner_team_id,
            active: f.active,
            expected_amount: f.expected_amount,
            tags: f.tags,
            last_contact_at: w.last_contact_at,
            created_at: w.created_at,
            updated_at: w.updated_at,
            deleted_at: None,
        })
    })
    .collect()
}

/// Insert many organisations and their first stage in one statement, for imports. Returns
/// the rows as stored, in the order given.
pub async fn insert_many(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    rows: &[(Uuid, OrgFields)],
    actor: Option<Uuid>,
) -> Result<Vec<Organisation>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let data = serde_json::Value::Array(
        rows.iter()
            .map(|(id, f)| fields_json(*id, f, true))
            .collect(),
    );
    // The stage rows' foreign key is checked at the end of the statement, once the
    // organisations are in.
    let written = Written::find_by_statement(stmt(
        &format!(
            "WITH stages AS (INSERT INTO organisation_stage_changes (tenant_id, id, \
             organisation_id, from_stage, to_stage, changed_by) SELECT $1, x.sid, x.id, NULL, \
             x.pipeline_stage, $3 FROM jsonb_to_recordset($2) AS {FIELDS_RECORDSET}) \
             INSERT INTO organisations (tenant_id, id, name, type, category, pipeline_stage, \
             email, phone, website, address, city, postcode, country, notes, owner_id, active, \
             expected_amount, tags) SELECT $1, x.id, x.name, x.type, x.category, \
             x.pipeline_stage, x.email, x.phone, x.website, x.address, x.city, x.postcode, \
             x.country, x.notes, x.owner_id, x.active, x.expected_amount::numeric, \
             coalesce(x.tags, '{{}}') FROM jsonb_to_recordset($2) AS {FIELDS_RECORDSET} \
             RETURNING {WRITTEN}"
        ),
        [tenant.into(), data.into(), actor.into()],
    ))
    .all(db)
    .await?;
    Ok(assemble(tenant, rows.iter().cloned(), written))
}

/// Write many organisations' fields (each over its current row) and record the stage moves,
/// in one statement. Returns the rows as stored, in the order given.
pub async fn update_many(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    rows: &[(&Organisation, OrgFields)],
    actor: Option<Uuid>,
) -> Result<Vec<Organisation>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let data = serde_json::Value::Array(
        rows.iter()
            .map(|(cur, f)| fields_json(cur.id, f, f.pipeline_stage != cur.pipeline_stage))
            .collect(),
    );
    let moves = serde_json::Value::Array(
        rows.iter()
            .filter(|(cur, f)| f.pipeline_stage != cur.pipeline_stage)
            .map(|(cur, f)| {
                serde_json::json!({"id": cur.id, "sid": Uuid::now_v7(),
                    "from": cur.pipeline_stage, "to": f.pipeline_stage})
            })
            .collect(),
    );
    let written = Written::find_by_statement(stmt(
        &format!(
            "WITH stages AS (INSERT INTO organisation_stage_changes (tenant_id, id, \
             organisation_id, from_stage, to_stage, changed_by) SELECT $1, m.sid, m.id, \
             m.\"from\", m.\"to\", $4 FROM jsonb_to_recordset($3) AS \
             m(id uuid, sid uuid, \"from\" text, \"to\" text)) \
             UPDATE organisations o SET name = x.name, type = x.type, category = x.category, \
             pipeline_stage = x.pipeline_stage, email = x.email, phone = x.phone, \
             website = x.website, address = x.address, city = x.city, postcode = x.postcode, \
             country = x.country, notes = x.notes, owner_id = x.owner_id, active = x.active, \
             expected_amount = x.expected_amount::numeric, tags = coalesce(x.tags, '{{}}'), \
             stage_changed_at = CASE WHEN x.stage_changed THEN now() ELSE o.stage_changed_at END, \
             stuck_alerted_at = CASE WHEN x.stage_changed THEN NULL ELSE o.stuck_alerted_at END, \
             updated_at = now() FROM jsonb_to_recordset($2) AS {FIELDS_RECORDSET} \
             WHERE o.tenant_id = $1 AND o.id = x.id RETURNING {WRITTEN_O}"
        ),
        [tenant.into(), data.into(), moves.into(), actor.into()],
    ))
    .all(db)
    .await?;
    Ok(assemble(
        tenant,
        rows.iter().map(|(cur, f)| (cur.id, f.clone())),
        written,
    ))
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
        let k = parse_sort("-updated_at,name").unwrap();
        assert_eq!(k.len(), 2);
        assert!(k[0].desc && k[0].expr == "o.updated_at");
        assert!(!k[1].desc && k[1].expr == "lower(o.name)");
        assert_eq!(parse_sort("").unwrap().len(), 1);
        assert_eq!(parse_sort("password").unwrap_err(), "password");
    }
}
