//! Mandates: query functions for the CRUD, list, numbering, covered products and trash
//! operations.

use crate::{
    error::Result,
    organisations::Visibility,
    products::Product,
    sql::{self, SortKey, Sql},
    stmt,
};
use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::mandates::mandate_number;
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct Mandate {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub number: String,
    pub organisation_id: Uuid,
    pub status: String,
    pub signed_at: Option<DateTime<Utc>>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub amount: Option<f64>,
    pub owner_id: Option<Uuid>,
    pub owner_team_id: Option<Uuid>,
    pub notes: Option<String>,
    pub product_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

const SELECT: &str = "SELECT m.tenant_id, m.id, m.number, m.organisation_id, m.status, \
    m.signed_at, m.start_date, m.end_date, m.amount::float8 AS amount, m.owner_id, \
    (SELECT u.team_id FROM users u WHERE u.tenant_id = m.tenant_id AND u.id = m.owner_id) AS owner_team_id, \
    m.notes, \
    ARRAY(SELECT mp.product_id FROM mandate_products mp WHERE mp.tenant_id = m.tenant_id \
          AND mp.mandate_id = m.id ORDER BY mp.product_id) AS product_ids, \
    m.created_at, m.updated_at, m.deleted_at";

/// Every writable field, already validated.
#[derive(Clone, Debug)]
pub struct MandateFields {
    pub number: String,
    pub organisation_id: Uuid,
    pub status: String,
    pub signed_at: Option<DateTime<Utc>>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub amount: Option<f64>,
    pub owner_id: Option<Uuid>,
    pub notes: Option<String>,
}

impl From<&Mandate> for MandateFields {
    fn from(m: &Mandate) -> Self {
        Self {
            number: m.number.clone(),
            organisation_id: m.organisation_id,
            status: m.status.clone(),
            signed_at: m.signed_at,
            start_date: m.start_date,
            end_date: m.end_date,
            amount: m.amount,
            owner_id: m.owner_id,
            notes: m.notes.clone(),
        }
    }
}

/// List filters.
#[derive(Clone, Debug, Default)]
pub struct MandateFilter {
    pub statuses: Vec<String>,
    pub organisation_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    /// Mandates covering this product.
    pub product_id: Option<Uuid>,
    pub signed_from: Option<DateTime<Utc>>,
    pub signed_to: Option<DateTime<Utc>>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    /// Part of the number (case-insensitive).
    pub q: Option<String>,
    /// List the trash instead of live records.
    pub deleted: bool,
}

/// Sortable fields: name → (expression, cast).
pub const SORTS: &[(&str, &str, &str)] = &[
    ("number", "m.number", "text"),
    ("created_at", "m.created_at", "timestamptz"),
    ("updated_at", "m.updated_at", "timestamptz"),
    ("amount", "coalesce(m.amount, 0)", "numeric"),
    (
        "start_date",
        "coalesce(m.start_date, '-infinity'::date)",
        "date",
    ),
];

/// Parse `-created_at,number` into sort keys (default newest first); `Err` names the first
/// unknown field.
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
            expr: "m.created_at",
            desc: true,
            cast: "timestamptz",
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
            sql.push(" AND m.owner_id = ").bind(user);
        }
        Visibility::Team { user, team } => {
            sql.push(" AND (m.owner_id = ").bind(user);
            if let Some(team) = team {
                sql.push(" OR m.owner_id IN (SELECT u.id FROM users u WHERE u.tenant_id = m.tenant_id AND u.team_id = ")
                    .bind(team)
                    .push(")");
            }
            sql.push(")");
        }
    }
}

fn filters(sql: &mut Sql, f: &MandateFilter) {
    sql.push(if f.deleted {
        " AND m.deleted_at IS NOT NULL"
    } else {
        " AND m.deleted_at IS NULL"
    });
    if !f.statuses.is_empty() {
        sql.push(" AND m.status = ANY(")
            .bind(f.statuses.clone())
            .push(")");
    }
    if let Some(o) = f.organisation_id {
        sql.push(" AND m.organisation_id = ").bind(o);
    }
    if let Some(o) = f.owner_id {
        sql.push(" AND m.owner_id = ").bind(o);
    }
    if let Some(p) = f.product_id {
        sql.push(
            " AND EXISTS (SELECT 1 FROM mandate_products mp WHERE mp.tenant_id = m.tenant_id \
             AND mp.mandate_id = m.id AND mp.product_id = ",
        )
        .bind(p)
        .push(")");
    }
    for (col, op, v) in [
        ("m.signed_at", " >= ", f.signed_from),
        ("m.signed_at", " < ", f.signed_to),
        ("m.created_at", " >= ", f.created_from),
        ("m.created_at", " < ", f.created_to),
    ] {
        if let Some(v) = v {
            sql.push(" AND ").push(col).push(op).bind(v);
        }
    }
    if let Some(q) = &f.q {
        sql.push(" AND strpos(m.number, upper(")
            .bind(q.clone())
            .push(")) > 0");
    }
}

/// A page of mandates plus, for each row, the cursor values of its sort keys.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    vis: Visibility,
    filter: &MandateFilter,
    sort: &[SortKey],
    after: Option<(&[String], Uuid)>,
    limit: u64,
) -> Result<Vec<(Mandate, Vec<String>)>> {
    let mut sql = Sql::new(SELECT);
    for (i, k) in sort.iter().enumerate() {
        sql.push(&format!(", ({})::text AS sk{i}", k.expr));
    }
    sql.push(" FROM mandates m WHERE m.tenant_id = ")
        .bind(tenant);
    visibility(&mut sql, vis);
    filters(&mut sql, filter);
    sql::keyset(&mut sql, sort, "m.id", after);
    sql::order_by(&mut sql, sort, "m.id");
    sql.push(" LIMIT ").bind(limit as i64);
    let rows = db.query_all_raw(sql.build()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let m = Mandate::from_query_result(&row, "")?;
        let mut keys = Vec::with_capacity(sort.len());
        for i in 0..sort.len() {
            let v: Option<String> = row.try_get("", &format!("sk{i}"))?;
            keys.push(v.unwrap_or_default());
        }
        out.push((m, keys));
    }
    Ok(out)
}

/// The columns for an export: the owner's team (needed only for scope checks of single
/// records) is a subquery per row, left out; the organisation's name (trashed or not) is
/// added as `organisation_name`, so that an export reads every row in one statement.
fn export_columns(select: &str) -> String {
    select.replace(
        "(SELECT u.team_id FROM users u WHERE u.tenant_id = m.tenant_id AND u.id = m.owner_id)",
        "NULL::uuid",
    ) + ", (SELECT o.name FROM organisations o \
         WHERE o.tenant_id = m.tenant_id AND o.id = m.organisation_id) AS organisation_name"
}

/// The whole list in its order, for an export read in one statement or through a cursor
/// (one scan, one snapshot; no keyset pages, whose predicates row-level security cannot push
/// into the sort index).
pub fn export_statement(
    tenant: Uuid,
    vis: Visibility,
    filter: &MandateFilter,
    sort: &[SortKey],
) -> sea_orm::Statement {
    let mut sql = Sql::new(&export_columns(SELECT));
    sql.push(" FROM mandates m WHERE m.tenant_id = ")
        .bind(tenant);
    visibility(&mut sql, vis);
    filters(&mut sql, filter);
    sql::order_by(&mut sql, sort, "m.id");
    sql.build()
}

/// Count matching rows (only when the client asks with `count=true`).
pub async fn count(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    vis: Visibility,
    filter: &MandateFilter,
) -> Result<i64> {
    let mut sql = Sql::new("SELECT count(*) AS n FROM mandates m WHERE m.tenant_id = ");
    sql.bind(tenant);
    visibility(&mut sql, vis);
    filters(&mut sql, filter);
    let row = db.query_one_raw(sql.build()).await?.expect("count row");
    Ok(row.try_get("", "n")?)
}

/// One mandate, including one in the trash (callers decide what a deleted one means).
pub async fn find(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<Option<Mandate>> {
    let sql = format!("{SELECT} FROM mandates m WHERE m.tenant_id = $1 AND m.id = $2");
    Ok(
        Mandate::find_by_statement(stmt(&sql, [tenant.into(), id.into()]))
            .one(db)
            .await?,
    )
}

/// One mandate, locked until the end of the transaction (updates compare the ETag of the
/// locked row, so two writers cannot both pass `If-Match`).
pub async fn find_for_update(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
) -> Result<Option<Mandate>> {
    let sql =
        format!("{SELECT} FROM mandates m WHERE m.tenant_id = $1 AND m.id = $2 FOR UPDATE OF m");
    Ok(
        Mandate::find_by_statement(stmt(&sql, [tenant.into(), id.into()]))
            .one(db)
            .await?,
    )
}

/// Lock the live mandates among `ids` for a write (bulk actions) and return them.
pub async fn find_many_for_update(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Mandate>> {
    let sql = format!(
        "{SELECT} FROM mandates m WHERE m.tenant_id = $1 AND m.id = ANY($2) \
         AND m.deleted_at IS NULL ORDER BY m.id FOR UPDATE OF m"
    );
    Ok(
        Mandate::find_by_statement(stmt(&sql, [tenant.into(), ids.to_vec().into()]))
            .all(db)
            .await?,
    )
}

/// Is `number` used by a mandate of the tenant (trash included)?
pub async fn number_taken(db: &impl ConnectionTrait, tenant: Uuid, number: &str) -> Result<bool> {
    let row = db
        .query_one_raw(stmt(
            "SELECT EXISTS (SELECT 1 FROM mandates WHERE tenant_id = $1 AND number = $2) AS taken",
            [tenant.into(), number.into()],
        ))
        .await?
        .expect("exists row");
    Ok(row.try_get("", "taken")?)
}

/// The next free number of the current year in the tenant's time zone (`M-2026-001`). The
/// counter row stays locked until the transaction ends, so concurrent creations get
/// consecutive numbers, and a rollback hands the number back. Numbers already taken by hand
/// are skipped.
pub async fn next_number(db: &impl ConnectionTrait, tenant: Uuid) -> Result<String> {
    loop {
        let row = db
            .query_one_raw(stmt(
                "INSERT INTO mandate_counters AS c (tenant_id, year, last) \
                 SELECT t.id, mandate_year(t.time_zone), 1 \
                 FROM tenants t WHERE t.id = $1 \
                 ON CONFLICT (tenant_id, year) DO UPDATE SET last = c.last + 1 \
                 RETURNING c.year, c.last",
                [tenant.into()],
            ))
            .await?
            .expect("the tenant exists");
        let year: i32 = row.try_get("", "year")?;
        let last: i64 = row.try_get("", "last")?;
        let number = mandate_number(year, last);
        if !number_taken(db, tenant, &number).await? {
            return Ok(number);
        }
    }
}

pub async fn insert(db: &impl ConnectionTrait, tenant: Uuid, f: &MandateFields) -> Result<Mandate> {
    let id = Uuid::now_v7();
    db.execute_raw(stmt(
        "INSERT INTO mandates (tenant_id, id, number, organisation_id, status, signed_at, \
         start_date, end_date, amount, owner_id, notes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::float8::numeric, $10, $11)",
        [
            tenant.into(),
            id.into(),
            f.number.clone().into(),
            f.organisation_id.into(),
            f.status.clone().into(),
            f.signed_at.into(),
            f.start_date.into(),
            f.end_date.into(),
            f.amount.into(),
            f.owner_id.into(),
            f.notes.clone().into(),
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
    f: &MandateFields,
) -> Result<Mandate> {
    db.execute_raw(stmt(
        "UPDATE mandates SET number = $3, organisation_id = $4, status = $5, signed_at = $6, \
         start_date = $7, end_date = $8, amount = $9::float8::numeric, owner_id = $10, \
         notes = $11, updated_at = now() WHERE tenant_id = $1 AND id = $2",
        [
            tenant.into(),
            id.into(),
            f.number.clone().into(),
            f.organisation_id.into(),
            f.status.clone().into(),
            f.signed_at.into(),
            f.start_date.into(),
            f.end_date.into(),
            f.amount.into(),
            f.owner_id.into(),
            f.notes.clone().into(),
        ],
    ))
    .await?;
    Ok(find(db, tenant, id).await?.expect("row exists"))
}

/// Replace the set of products a mandate covers and touch the mandate (new ETag).
pub async fn set_products(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
    products: &[Uuid],
) -> Result<Mandate> {
    db.execute_raw(stmt(
        "DELETE FROM mandate_products WHERE tenant_id = $1 AND mandate_id = $2 \
         AND NOT (product_id = ANY($3))",
        [tenant.into(), id.into(), products.to_vec().into()],
    ))
    .await?;
    db.execute_raw(stmt(
        "INSERT INTO mandate_products (tenant_id, mandate_id, product_id) \
         SELECT $1, $2, p FROM unnest($3::uuid[]) AS p ON CONFLICT DO NOTHING",
        [tenant.into(), id.into(), products.to_vec().into()],
    ))
    .await?;
    db.execute_raw(stmt(
        "UPDATE mandates SET updated_at = now() WHERE tenant_id = $1 AND id = $2",
        [tenant.into(), id.into()],
    ))
    .await?;
    Ok(find(db, tenant, id).await?.expect("row exists"))
}

/// The products a mandate covers (deleted products included, with their `deleted_at`).
pub async fn products_of(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
) -> Result<Vec<Product>> {
    Ok(Product::find_by_statement(stmt(
        "SELECT p.tenant_id, p.id, p.name, p.code, p.category, p.active, p.notes, \
         p.created_at, p.updated_at, p.deleted_at FROM mandate_products mp \
         JOIN products p ON p.tenant_id = mp.tenant_id AND p.id = mp.product_id \
         WHERE mp.tenant_id = $1 AND mp.mandate_id = $2 ORDER BY lower(p.name), p.id",
        [tenant.into(), id.into()],
    ))
    .all(db)
    .await?)
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
            "UPDATE mandates SET deleted_at = now(), deleted_by = $3, updated_at = now() \
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
            "UPDATE mandates SET deleted_at = NULL, deleted_by = NULL, updated_at = now() \
             WHERE tenant_id = $1 AND id = $2 AND deleted_at > now() - interval '30 days'",
            [tenant.into(), id.into()],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

/// Erase for good, with the list of covered products.
pub async fn purge(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<bool> {
    let res = db
        .execute_raw(stmt(
            "DELETE FROM mandates WHERE tenant_id = $1 AND id = $2",
            [tenant.into(), id.into()],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
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
        assert!(k[0].desc && k[0].expr == "m.created_at", "newest first");
        let k = parse_sort("-amount,number").unwrap();
        assert_eq!(k.len(), 2);
        assert!(k[0].desc && !k[1].desc);
        assert_eq!(parse_sort("name").unwrap_err(), "name");
    }
}
