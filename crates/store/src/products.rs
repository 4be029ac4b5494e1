//! Products: query functions for the CRUD and list operations. Products carry no owner; who
//! may read or write them is decided by the caller's grants on the whole resource.

use crate::{
    error::Result,
    sql::{self, SortKey, Sql},
    stmt,
};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct Product {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub name: String,
    pub code: String,
    pub category: Option<String>,
    pub active: bool,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

const SELECT: &str = "SELECT p.tenant_id, p.id, p.name, p.code, p.category, p.active, p.notes, \
    p.created_at, p.updated_at, p.deleted_at";

/// Every writable field, already validated.
#[derive(Clone, Debug)]
pub struct ProductFields {
    pub name: String,
    pub code: String,
    pub category: Option<String>,
    pub active: bool,
    pub notes: Option<String>,
}

impl From<&Product> for ProductFields {
    fn from(p: &Product) -> Self {
        Self {
            name: p.name.clone(),
            code: p.code.clone(),
            category: p.category.clone(),
            active: p.active,
            notes: p.notes.clone(),
        }
    }
}

/// List filters.
#[derive(Clone, Debug, Default)]
pub struct ProductFilter {
    /// Part of the name or the code (case-insensitive).
    pub q: Option<String>,
    pub categories: Vec<String>,
    pub active: Option<bool>,
    /// List the trash instead of live products.
    pub deleted: bool,
}

/// Sortable fields: name → (expression, cast).
pub const SORTS: &[(&str, &str, &str)] = &[
    ("name", "lower(p.name)", "text"),
    ("code", "p.code", "text"),
    ("created_at", "p.created_at", "timestamptz"),
    ("updated_at", "p.updated_at", "timestamptz"),
];

/// Parse `-updated_at,name` into sort keys; `Err` names the first unknown field.
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
            expr: "lower(p.name)",
            desc: false,
            cast: "text",
        });
    }
    if keys.len() > 4 {
        return Err("too many sort fields".into());
    }
    Ok(keys)
}

fn filters(sql: &mut Sql, f: &ProductFilter) {
    sql.push(if f.deleted {
        " AND p.deleted_at IS NOT NULL"
    } else {
        " AND p.deleted_at IS NULL"
    });
    if let Some(q) = &f.q {
        sql.push(" AND (strpos(lower(p.name), lower(")
            .bind(q.clone())
            .push(")) > 0 OR strpos(p.code, upper(")
            .bind(q.clone())
            .push(")) > 0)");
    }
    if !f.categories.is_empty() {
        sql.push(" AND p.category = ANY(")
            .bind(f.categories.clone())
            .push(")");
    }
    if let Some(a) = f.active {
        sql.push(" AND p.active = ").bind(a);
    }
}

/// A page of products plus, for each row, the cursor values of its sort keys.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    filter: &ProductFilter,
    sort: &[SortKey],
    after: Option<(&[String], Uuid)>,
    limit: u64,
) -> Result<Vec<(Product, Vec<String>)>> {
    let mut sql = Sql::new(SELECT);
    for (i, k) in sort.iter().enumerate() {
        sql.push(&format!(", ({})::text AS sk{i}", k.expr));
    }
    sql.push(" FROM products p WHERE p.tenant_id = ")
        .bind(tenant);
    filters(&mut sql, filter);
    sql::keyset(&mut sql, sort, "p.id", after);
    sql::order_by(&mut sql, sort, "p.id");
    sql.push(" LIMIT ").bind(limit as i64);
    let rows = db.query_all_raw(sql.build()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let p = Product::from_query_result(&row, "")?;
        let mut keys = Vec::with_capacity(sort.len());
        for i in 0..sort.len() {
            let v: Option<String> = row.try_get("", &format!("sk{i}"))?;
            keys.push(v.unwrap_or_default());
        }
        out.push((p, keys));
    }
    Ok(out)
}

/// Count matching rows (only when the client asks with `count=true`).
pub async fn count(db: &impl ConnectionTrait, tenant: Uuid, filter: &ProductFilter) -> Result<i64> {
    let mut sql = Sql::new("SELECT count(*) AS n FROM products p WHERE p.tenant_id = ");
    sql.bind(tenant);
    filters(&mut sql, filter);
    let row = db.query_one_raw(sql.build()).await?.expect("count row");
    Ok(row.try_get("", "n")?)
}

/// One product, including one in the trash.
pub async fn find(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<Option<Product>> {
    let sql = format!("{SELECT} FROM products p WHERE p.tenant_id = $1 AND p.id = $2");
    Ok(
        Product::find_by_statement(stmt(&sql, [tenant.into(), id.into()]))
            .one(db)
            .await?,
    )
}

/// The live products among `ids` (unknown, deleted and other tenants' ids are left out).
pub async fn find_live(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Product>> {
    let sql = format!(
        "{SELECT} FROM products p WHERE p.tenant_id = $1 AND p.id = ANY($2) \
         AND p.deleted_at IS NULL ORDER BY lower(p.name), p.id"
    );
    Ok(
        Product::find_by_statement(stmt(&sql, [tenant.into(), ids.to_vec().into()]))
            .all(db)
            .await?,
    )
}

/// Lock the live products among `ids` for a write (bulk actions) and return them.
pub async fn find_many_for_update(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Product>> {
    let sql = format!(
        "{SELECT} FROM products p WHERE p.tenant_id = $1 AND p.id = ANY($2) \
         AND p.deleted_at IS NULL ORDER BY p.id FOR UPDATE OF p"
    );
    Ok(
        Product::find_by_statement(stmt(&sql, [tenant.into(), ids.to_vec().into()]))
            .all(db)
            .await?,
    )
}

/// The live product coded `code` (whatever the case), if any.
pub async fn find_by_code(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    code: &str,
) -> Result<Option<Product>> {
    let sql = format!(
        "{SELECT} FROM products p WHERE p.tenant_id = $1 AND lower(p.code) = lower($2) \
         AND p.deleted_at IS NULL"
    );
    Ok(
        Product::find_by_statement(stmt(&sql, [tenant.into(), code.into()]))
            .one(db)
            .await?,
    )
}

/// Is `code` used by a live product of the tenant (whatever the case)?
pub async fn code_taken(db: &impl ConnectionTrait, tenant: Uuid, code: &str) -> Result<bool> {
    let row = db
        .query_one_raw(stmt(
            "SELECT EXISTS (SELECT 1 FROM products WHERE tenant_id = $1 \
             AND lower(code) = lower($2) AND deleted_at IS NULL) AS taken",
            [tenant.into(), code.into()],
        ))
        .await?
        .expect("exists row");
    Ok(row.try_get("", "taken")?)
}

pub async fn insert(db: &impl ConnectionTrait, tenant: Uuid, f: &ProductFields) -> Result<Product> {
    let id = Uuid::now_v7();
    db.execute_raw(stmt(
        "INSERT INTO products (tenant_id, id, name, code, category, active, notes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [
            tenant.into(),
            id.into(),
            f.name.clone().into(),
            f.code.clone().into(),
            f.category.clone().into(),
            f.active.into(),
            f.notes.clone().into(),
        ],
    ))
    .await?;
    Ok(find(db, tenant, id).await?.expect("just inserted"))
}

pub async fn update(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
    f: &ProductFields,
) -> Result<Product> {
    db.execute_raw(stmt(
        "UPDATE products SET name = $3, code = $4, category = $5, active = $6, notes = $7, \
         updated_at = now() WHERE tenant_id = $1 AND id = $2",
        [
            tenant.into(),
            id.into(),
            f.name.clone().into(),
            f.code.clone().into(),
            f.category.clone().into(),
            f.active.into(),
            f.notes.clone().into(),
        ],
    ))
    .await?;
    Ok(find(db, tenant, id).await?.expect("row exists"))
}

/// Move to the trash. The product stays attached to the mandates that cover it.
pub async fn soft_delete(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
    actor: Option<Uuid>,
) -> Result<bool> {
    let res = db
        .execute_raw(stmt(
            "UPDATE products SET deleted_at = now(), deleted_by = $3, updated_at = now() \
             WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL",
            [tenant.into(), id.into(), actor.into()],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

/// Take out of the trash, if deleted less than 30 days ago. Fails with the
/// `products_code_key` conflict when a live product has taken the code meanwhile.
pub async fn restore(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<bool> {
    let res = db
        .execute_raw(stmt(
            "UPDATE products SET deleted_at = NULL, deleted_by = NULL, updated_at = now() \
             WHERE tenant_id = $1 AND id = $2 AND deleted_at > now() - interval '30 days'",
            [tenant.into(), id.into()],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

/// Erase for good. Fails with `mandate_products_product_fkey` while a mandate (trash
/// included) covers the product.
pub async fn purge(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<bool> {
    let res = db
        .execute_raw(stmt(
            "DELETE FROM products WHERE tenant_id = $1 AND id = $2",
            [tenant.into(), id.into()],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_parse() {
        let k = parse_sort("-code,name").unwrap();
        assert!(k[0].desc && k[0].expr == "p.code");
        assert_eq!(parse_sort("").unwrap()[0].expr, "lower(p.name)");
        assert_eq!(parse_sort("amount").unwrap_err(), "amount");
    }
}
