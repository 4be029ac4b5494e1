//! People (contacts) and their links to organisations: CRUD, filtered keyset lists, trash,
//! and the link table seen from either side.

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
pub struct Person {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub first_name: Option<String>,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub job_title: Option<String>,
    pub notes: Option<String>,
    pub owner_id: Option<Uuid>,
    pub owner_team_id: Option<Uuid>,
    pub tags: Vec<String>,
    pub active: bool,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "p.tenant_id, p.id, p.first_name, p.last_name, p.email, p.phone, \
    p.job_title, p.notes, p.owner_id, \
    (SELECT u.team_id FROM users u WHERE u.tenant_id = p.tenant_id AND u.id = p.owner_id) AS owner_team_id, \
    p.tags, p.active, p.last_contact_at, p.created_at, p.updated_at, p.deleted_at";

/// Every writable field, already validated.
#[derive(Clone, Debug)]
pub struct PersonFields {
    pub first_name: Option<String>,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub job_title: Option<String>,
    pub notes: Option<String>,
    pub owner_id: Option<Uuid>,
    pub active: bool,
    pub tags: Vec<String>,
}

impl From<&Person> for PersonFields {
    fn from(p: &Person) -> Self {
        Self {
            first_name: p.first_name.clone(),
            last_name: p.last_name.clone(),
            email: p.email.clone(),
            phone: p.phone.clone(),
            job_title: p.job_title.clone(),
            notes: p.notes.clone(),
            owner_id: p.owner_id,
            active: p.active,
            tags: p.tags.clone(),
        }
    }
}

/// List filters (SPEC CRM-8, as they apply to people).
#[derive(Clone, Debug, Default)]
pub struct PersonFilter {
    /// Part of the first name, last name (either order) or email, case-insensitive.
    pub q: Option<String>,
    /// Linked to this organisation.
    pub organisation_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub tag: Option<String>,
    pub active: Option<bool>,
    /// No contact for more than N days (or never).
    pub no_contact_days: Option<i32>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub updated_from: Option<DateTime<Utc>>,
    pub updated_to: Option<DateTime<Utc>>,
    /// List the trash instead of live records.
    pub deleted: bool,
}

const LAST_NAME: &str = "lower(p.last_name)";
const FIRST_NAME: &str = "coalesce(lower(p.first_name), '')";

/// Sortable fields: name → (expressions, cast). `last_name` breaks ties on the first name.
pub const SORTS: &[(&str, &[&str], &str)] = &[
    ("last_name", &[LAST_NAME, FIRST_NAME], "text"),
    ("first_name", &[FIRST_NAME], "text"),
    ("created_at", &["p.created_at"], "timestamptz"),
    ("updated_at", &["p.updated_at"], "timestamptz"),
];

/// Parse `-updated_at,last_name` into sort keys; the error names the first unknown field.
/// The default is last name, then first name.
pub fn parse_sort(s: &str) -> std::result::Result<Vec<SortKey>, String> {
    let mut keys = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (desc, name) = match part.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, part.strip_prefix('+').unwrap_or(part)),
        };
        let (_, exprs, cast) = SORTS
            .iter()
            .find(|(n, _, _)| *n == name)
            .ok_or_else(|| name.to_owned())?;
        for expr in *exprs {
            keys.push(SortKey { expr, desc, cast });
        }
    }
    if keys.is_empty() {
        keys = default_sort();
    }
    if keys.len() > 5 {
        return Err("too many sort fields".into());
    }
    Ok(keys)
}

fn default_sort() -> Vec<SortKey> {
    [LAST_NAME, FIRST_NAME]
        .into_iter()
        .map(|expr| SortKey {
            expr,
            desc: false,
            cast: "text",
        })
        .collect()
}

/// Keep the rows of `alias` (a table with `owner_id` and `tenant_id`) within a scope.
fn visibility(sql: &mut Sql, v: Visibility, alias: &str) {
    match v {
        Visibility::All => {}
        Visibility::Own { user } => {
            sql.push(&format!(" AND {alias}.owner_id = ")).bind(user);
        }
        Visibility::Team { user, team } => {
            sql.push(&format!(" AND ({alias}.owner_id = ")).bind(user);
            if let Some(team) = team {
                sql.push(&format!(
                    " OR {alias}.owner_id IN (SELECT u.id FROM users u \
                     WHERE u.tenant_id = {alias}.tenant_id AND u.team_id = "
                ))
                .bind(team)
                .push(")");
            }
            sql.push(")");
        }
    }
}

fn filters(sql: &mut Sql, f: &PersonFilter) {
    sql.push(if f.deleted {
        " AND p.deleted_at IS NOT NULL"
    } else {
        " AND p.deleted_at IS NULL"
    });
    if let Some(org) = f.organisation_id {
        sql.push(
            " AND EXISTS (SELECT 1 FROM person_organisations po WHERE po.tenant_id = p.tenant_id \
             AND po.person_id = p.id AND po.organisation_id = ",
        )
        .bind(org)
        .push(")");
    }
    if let Some(o) = f.owner_id {
        sql.push(" AND p.owner_id = ").bind(o);
    }
    if let Some(t) = &f.tag {
        sql.push(" AND p.tags @> ARRAY[")
            .bind(t.clone())
            .push("]::text[]");
    }
    if let Some(a) = f.active {
        sql.push(" AND p.active = ").bind(a);
    }
    if let Some(d) = f.no_contact_days {
        sql.push(
            " AND (p.last_contact_at IS NULL OR p.last_contact_at < now() - make_interval(days => ",
        )
        .bind(d)
        .push("))");
    }
    for (col, op, v) in [
        ("p.created_at", " >= ", f.created_from),
        ("p.created_at", " < ", f.created_to),
        ("p.updated_at", " >= ", f.updated_from),
        ("p.updated_at", " < ", f.updated_to),
    ] {
        if let Some(v) = v {
            sql.push(" AND ").push(col).push(op).bind(v);
        }
    }
    if let Some(q) = &f.q {
        let q = q.trim().to_lowercase();
        sql.push(" AND (strpos(lower(coalesce(p.first_name || ' ', '') || p.last_name), ")
            .bind(q.clone())
            .push(") > 0 OR strpos(lower(p.last_name || coalesce(' ' || p.first_name, '')), ")
            .bind(q.clone())
            .push(") > 0 OR strpos(coalesce(p.email, ''), ")
            .bind(q)
            .push(") > 0)");
    }
}

/// Read the sort-key columns `sk0…` of a row.
fn sort_values(row: &sea_orm::QueryResult, n: usize) -> Result<Vec<String>> {
    let mut keys = Vec::with_capacity(n);
    for i in 0..n {
        let v: Option<String> = row.try_get("", &format!("sk{i}"))?;
        keys.push(v.unwrap_or_default());
    }
    Ok(keys)
}

/// A page of people plus, for each row, the cursor values of its sort keys.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    vis: Visibility,
    filter: &PersonFilter,
    sort: &[SortKey],
    after: Option<(&[String], Uuid)>,
    limit: u64,
) -> Result<Vec<(Person, Vec<String>)>> {
    let mut sql = Sql::new("SELECT ");
    sql.push(COLUMNS);
    for (i, k) in sort.iter().enumerate() {
        sql.push(&format!(", ({})::text AS sk{i}", k.expr));
    }
    sql.push(" FROM people p WHERE p.tenant_id = ").bind(tenant);
    visibility(&mut sql, vis, "p");
    filters(&mut sql, filter);
    sql::keyset(&mut sql, sort, "p.id", after);
    sql::order_by(&mut sql, sort, "p.id");
    sql.push(" LIMIT ").bind(limit as i64);
    let rows = db.query_all_raw(sql.build()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let person = Person::from_query_result(&row, "")?;
        let keys = sort_values(&row, sort.len())?;
        out.push((person, keys));
    }
    Ok(out)
}

/// The columns for an export: the owner's team (needed only for scope checks of single
/// records) is a subquery per row, left out.
fn export_columns(select: &str) -> String {
    select.replace(
        "(SELECT u.team_id FROM users u WHERE u.tenant_id = p.tenant_id AND u.id = p.owner_id)",
        "NULL::uuid",
    )
}

/// The whole list in its order, for an export read in one statement or through a cursor
/// (one scan, one snapshot; no keyset pages, whose predicates row-level security cannot push
/// into the sort index).
pub fn export_statement(
    tenant: Uuid,
    vis: Visibility,
    filter: &PersonFilter,
    sort: &[SortKey],
) -> sea_orm::Statement {
    let mut sql = Sql::new("SELECT ");
    sql.push(&export_columns(COLUMNS));
    sql.push(" FROM people p WHERE p.tenant_id = ").bind(tenant);
    visibility(&mut sql, vis, "p");
    filters(&mut sql, filter);
    sql::order_by(&mut sql, sort, "p.id");
    sql.build()
}

/// Count matching rows (only when the client asks with `count=true`).
pub async fn count(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    vis: Visibility,
    filter: &PersonFilter,
) -> Result<i64> {
    let mut sql = Sql::new("SELECT count(*) AS n FROM people p WHERE p.tenant_id = ");
    sql.bind(tenant);
    visibility(&mut sql, vis, "p");
    filters(&mut sql, filter);
    let row = db.query_one_raw(sql.build()).await?.expect("count row");
    Ok(row.try_get("", "n")?)
}

/// One person, including one in the trash (callers decide what a deleted one means).
pub async fn find(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<Option<Person>> {
    let sql = format!("SELECT {COLUMNS} FROM people p WHERE p.tenant_id = $1 AND p.id = $2");
    Ok(
        Person::find_by_statement(stmt(&sql, [tenant.into(), id.into()]))
            .one(db)
            .await?,
    )
}

/// Lock live rows for a write (updates, link changes, bulk actions) and return them.
pub async fn find_many_for_update(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Person>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM people p WHERE p.tenant_id = $1 AND p.id = ANY($2) \
         AND p.deleted_at IS NULL ORDER BY p.id FOR UPDATE OF p"
    );
    Ok(
        Person::find_by_statement(stmt(&sql, [tenant.into(), ids.to_vec().into()]))
            .all(db)
            .await?,
    )
}

pub async fn insert(db: &impl ConnectionTrait, tenant: Uuid, f: &PersonFields) -> Result<Person> {
    let id = Uuid::now_v7();
    db.execute_raw(stmt(
        "INSERT INTO people (tenant_id, id, first_name, last_name, email, phone, job_title, \
         notes, owner_id, active, tags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        [
            tenant.into(),
            id.into(),
            f.first_name.clone().into(),
            f.last_name.clone().into(),
            f.email.clone().into(),
            f.phone.clone().into(),
            f.job_title.clone().into(),
            f.notes.clone().into(),
            f.owner_id.into(),
            f.active.into(),
            f.tags.clone().into(),
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
    f: &PersonFields,
) -> Result<Person> {
    db.execute_raw(stmt(
        "UPDATE people SET first_name = $3, last_name = $4, email = $5, phone = $6, \
         job_title = $7, notes = $8, owner_id = $9, active = $10, tags = $11, \
         updated_at = now() WHERE tenant_id = $1 AND id = $2",
        [
            tenant.into(),
            id.into(),
            f.first_name.clone().into(),
            f.last_name.clone().into(),
            f.email.clone().into(),
            f.phone.clone().into(),
            f.job_title.clone().into(),
            f.notes.clone().into(),
            f.owner_id.into(),
            f.active.into(),
            f.tags.clone().into(),
        ],
    ))
    .await?;
    Ok(find(db, tenant, id).await?.expect("row exists"))
}

/// Move to the trash (restorable for 30 days). Links stay, hidden with the person.
pub async fn soft_delete(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
    actor: Option<Uuid>,
) -> Result<bool> {
    let res = db
        .execute_raw(stmt(
            "UPDATE people SET deleted_at = now(), deleted_by = $3, updated_at = now() \
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
            "UPDATE people SET deleted_at = NULL, deleted_by = NULL, updated_at = now() \
             WHERE tenant_id = $1 AND id = $2 AND deleted_at > now() - interval '30 days'",
            [tenant.into(), id.into()],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

/// Erase for good, with the person's links.
pub async fn purge(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<bool> {
    let res = db
        .execute_raw(stmt(
            "DELETE FROM people WHERE tenant_id = $1 AND id = $2",
            [tenant.into(), id.into()],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

/// A person–organisation link with what the person's side shows of the organisation, and the
/// organisation's owner (for scope checks).
#[derive(Clone, Debug, FromQueryResult)]
pub struct Link {
    pub person_id: Uuid,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub organisation_type: String,
    pub organisation_owner_id: Option<Uuid>,
    pub organisation_owner_team_id: Option<Uuid>,
    pub role: Option<String>,
    pub is_primary: bool,
    pub created_at: DateTime<Utc>,
}

const LINK_SELECT: &str = "SELECT po.person_id, po.organisation_id, o.name AS organisation_name, \
    o.type AS organisation_type, o.owner_id AS organisation_owner_id, \
    (SELECT u.team_id FROM users u WHERE u.tenant_id = o.tenant_id AND u.id = o.owner_id) \
    AS organisation_owner_team_id, po.role, po.is_primary, po.created_at \
    FROM person_organisations po JOIN organisations o \
    ON o.tenant_id = po.tenant_id AND o.id = po.organisation_id";

/// The person's links to live organisations within `org_vis`: primary first, then by name.
pub async fn links_of(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    person: Uuid,
    org_vis: Visibility,
) -> Result<Vec<Link>> {
    let mut sql = Sql::new(LINK_SELECT);
    sql.push(" WHERE po.tenant_id = ")
        .bind(tenant)
        .push(" AND po.person_id = ")
        .bind(person)
        .push(" AND o.deleted_at IS NULL");
    visibility(&mut sql, org_vis, "o");
    sql.push(" ORDER BY po.is_primary DESC, lower(o.name), o.id");
    Ok(Link::find_by_statement(sql.build()).all(db).await?)
}

/// One link, whatever the state of its organisation.
pub async fn find_link(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    person: Uuid,
    org: Uuid,
) -> Result<Option<Link>> {
    let sql = format!(
        "{LINK_SELECT} WHERE po.tenant_id = $1 AND po.person_id = $2 AND po.organisation_id = $3"
    );
    Ok(
        Link::find_by_statement(stmt(&sql, [tenant.into(), person.into(), org.into()]))
            .one(db)
            .await?,
    )
}

/// The person's primary link, if any.
pub async fn primary_link(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    person: Uuid,
) -> Result<Option<Link>> {
    let sql =
        format!("{LINK_SELECT} WHERE po.tenant_id = $1 AND po.person_id = $2 AND po.is_primary");
    Ok(
        Link::find_by_statement(stmt(&sql, [tenant.into(), person.into()]))
            .one(db)
            .await?,
    )
}

/// Every link of the person (live organisations or not), e.g. to copy them.
pub async fn all_links(db: &impl ConnectionTrait, tenant: Uuid, person: Uuid) -> Result<Vec<Link>> {
    let sql = format!(
        "{LINK_SELECT} WHERE po.tenant_id = $1 AND po.person_id = $2 \
         ORDER BY po.created_at, po.organisation_id"
    );
    Ok(
        Link::find_by_statement(stmt(&sql, [tenant.into(), person.into()]))
            .all(db)
            .await?,
    )
}

/// Create a link. The caller clears any other primary link first.
pub async fn insert_link(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    person: Uuid,
    org: Uuid,
    role: Option<&str>,
    is_primary: bool,
) -> Result<Link> {
    db.execute_raw(stmt(
        "INSERT INTO person_organisations (tenant_id, person_id, organisation_id, role, \
         is_primary) VALUES ($1, $2, $3, $4, $5)",
        [
            tenant.into(),
            person.into(),
            org.into(),
            role.map(str::to_owned).into(),
            is_primary.into(),
        ],
    ))
    .await?;
    Ok(find_link(db, tenant, person, org)
        .await?
        .expect("just inserted"))
}

/// Change a link's role and primary flag. The caller clears any other primary link first.
pub async fn update_link(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    person: Uuid,
    org: Uuid,
    role: Option<&str>,
    is_primary: bool,
) -> Result<Link> {
    db.execute_raw(stmt(
        "UPDATE person_organisations SET role = $4, is_primary = $5 \
         WHERE tenant_id = $1 AND person_id = $2 AND organisation_id = $3",
        [
            tenant.into(),
            person.into(),
            org.into(),
            role.map(str::to_owned).into(),
            is_primary.into(),
        ],
    ))
    .await?;
    Ok(find_link(db, tenant, person, org)
        .await?
        .expect("row exists"))
}

pub async fn delete_link(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    person: Uuid,
    org: Uuid,
) -> Result<bool> {
    let res = db
        .execute_raw(stmt(
            "DELETE FROM person_organisations \
             WHERE tenant_id = $1 AND person_id = $2 AND organisation_id = $3",
            [tenant.into(), person.into(), org.into()],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

pub async fn count_links(db: &impl ConnectionTrait, tenant: Uuid, person: Uuid) -> Result<i64> {
    let row = db
        .query_one_raw(stmt(
            "SELECT count(*) AS n FROM person_organisations WHERE tenant_id = $1 AND person_id = $2",
            [tenant.into(), person.into()],
        ))
        .await?
        .expect("count row");
    Ok(row.try_get("", "n")?)
}

/// A person linked to an organisation, as the organisation's contacts tab lists them.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Contact {
    pub id: Uuid,
    pub first_name: Option<String>,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub job_title: Option<String>,
    pub active: bool,
    pub role: Option<String>,
    pub is_primary: bool,
    pub linked_at: DateTime<Utc>,
}

/// The live people within `vis` linked to `org`, by last then first name, in keyset pages.
pub async fn contacts_of(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    org: Uuid,
    vis: Visibility,
    after: Option<(&[String], Uuid)>,
    limit: u64,
) -> Result<Vec<(Contact, Vec<String>)>> {
    let sort = default_sort();
    let mut sql = Sql::new(
        "SELECT p.id, p.first_name, p.last_name, p.email, p.phone, p.job_title, p.active, \
         po.role, po.is_primary, po.created_at AS linked_at",
    );
    for (i, k) in sort.iter().enumerate() {
        sql.push(&format!(", ({})::text AS sk{i}", k.expr));
    }
    sql.push(
        " FROM person_organisations po JOIN people p \
         ON p.tenant_id = po.tenant_id AND p.id = po.person_id WHERE po.tenant_id = ",
    )
    .bind(tenant)
    .push(" AND po.organisation_id = ")
    .bind(org)
    .push(" AND p.deleted_at IS NULL");
    visibility(&mut sql, vis, "p");
    sql::keyset(&mut sql, &sort, "p.id", after);
    sql::order_by(&mut sql, &sort, "p.id");
    sql.push(" LIMIT ").bind(limit as i64);
    let rows = db.query_all_raw(sql.build()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let c = Contact::from_query_result(&row, "")?;
        let keys = sort_values(&row, sort.len())?;
        out.push((c, keys));
    }
    Ok(out)
}

/// Number of sort keys of the contacts list (for its cursors).
pub fn contacts_sort_len() -> usize {
    default_sort().len()
}

const FIELDS_RECORDSET: &str = "x(id uuid, first_name text, last_name text, email text, \
    phone text, job_title text, notes text, owner_id uuid, active boolean, tags text[])";

fn fields_json(id: Uuid, f: &PersonFields) -> serde_json::Value {
    serde_json::json!({
        "id": id, "first_name": f.first_name, "last_name": f.last_name, "email": f.email,
        "phone": f.phone, "job_title": f.job_title, "notes": f.notes, "owner_id": f.owner_id,
        "active": f.active, "tags": f.tags,
    })
}

/// Live people matching `keys`, locked, for imports that upsert: emails, or
/// `"last name|first name"` lower-cased (`"martin|"` for no first name). Ids from
/// `import_match_people`.
pub async fn find_by_keys(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    by_email: bool,
    keys: &[String],
) -> Result<Vec<Person>> {
    let (mut main, mut first) = (Vec::with_capacity(keys.len()), Vec::new());
    for k in keys {
        match k.split_once('|') {
            Some((l, f)) if !by_email => {
                main.push(l.to_owned());
                first.push(f.to_owned());
            }
            _ => main.push(k.clone()),
        }
    }
    if by_email {
        first = vec![String::new(); main.len()];
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM import_match_people($2, $3, $4) p WHERE p.tenant_id = $1 \
         ORDER BY p.id"
    );
    Ok(Person::find_by_statement(stmt(
        &sql,
        [tenant.into(), by_email.into(), main.into(), first.into()],
    ))
    .all(db)
    .await?)
}

/// People by id (any state), in no particular order.
pub async fn find_many(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Person>> {
    let sql = format!("SELECT {COLUMNS} FROM people p WHERE p.tenant_id = $1 AND p.id = ANY($2)");
    Ok(
        Person::find_by_statement(stmt(&sql, [tenant.into(), ids.to_vec().into()]))
            .all(db)
            .await?,
    )
}

/// Stored columns the writes do not set, read back with `RETURNING`.
#[derive(FromQueryResult)]
struct Written {
    id: Uuid,
    last_contact_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    owner_team_id: Option<Uuid>,
}

const WRITTEN: &str = "p.id, p.last_contact_at, p.created_at, p.updated_at, \
    (SELECT u.team_id FROM users u WHERE u.tenant_id = $1 AND u.id = p.owner_id) AS owner_team_id";

fn assemble(tenant: Uuid, rows: &[(Uuid, PersonFields)], written: Vec<Written>) -> Vec<Person> {
    let mut by_id: std::collections::HashMap<Uuid, Written> =
        written.into_iter().map(|w| (w.id, w)).collect();
    rows.iter()
        .filter_map(|(id, f)| {
            let w = by_id.remove(id)?;
            Some(Person {
                tenant_id: tenant,
                id: *id,
                first_name: f.first_name.clone(),
                last_name: f.last_name.clone(),
                email: f.email.clone(),
                phone: f.phone.clone(),
                job_title: f.job_title.clone(),
                notes: f.notes.clone(),
                owner_id: f.owner_id,
                owner_team_id: w.owner_team_id,
                tags: f.tags.clone(),
                active: f.active,
                last_contact_at: w.last_contact_at,
                created_at: w.created_at,
                updated_at: w.updated_at,
                deleted_at: None,
            })
        })
        .collect()
}

/// Insert many people in one statement, for imports. Returns the rows in the order given.
pub async fn insert_many(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    rows: &[(Uuid, PersonFields)],
) -> Result<Vec<Person>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let data = serde_json::Value::Array(rows.iter().map(|(id, f)| fields_json(*id, f)).collect());
    let written = Written::find_by_statement(stmt(
        &format!(
            "INSERT INTO people AS p (tenant_id, id, first_name, last_name, email, phone, \
             job_title, notes, owner_id, active, tags) SELECT $1, x.id, x.first_name, \
             x.last_name, x.email, x.phone, x.job_title, x.notes, x.owner_id, x.active, \
             coalesce(x.tags, '{{}}') FROM jsonb_to_recordset($2) AS {FIELDS_RECORDSET} \
             RETURNING {WRITTEN}"
        ),
        [tenant.into(), data.into()],
    ))
    .all(db)
    .await?;
    Ok(assemble(tenant, rows, written))
}

/// Write many people's fields in one statement. Returns the rows in the order given.
pub async fn update_many(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    rows: &[(Uuid, PersonFields)],
) -> Result<Vec<Person>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let data = serde_json::Value::Array(rows.iter().map(|(id, f)| fields_json(*id, f)).collect());
    let written = Written::find_by_statement(stmt(
        &format!(
            "UPDATE people p SET first_name = x.first_name, last_name = x.last_name, \
             email = x.email, phone = x.phone, job_title = x.job_title, notes = x.notes, \
             owner_id = x.owner_id, active = x.active, tags = coalesce(x.tags, '{{}}'), \
             updated_at = now() FROM jsonb_to_recordset($2) AS {FIELDS_RECORDSET} \
             WHERE p.tenant_id = $1 AND p.id = x.id RETURNING {WRITTEN}"
        ),
        [tenant.into(), data.into()],
    ))
    .all(db)
    .await?;
    Ok(assemble(tenant, rows, written))
}

/// The (person, organisation) pairs among `people` that are already linked, and the people
/// who already have a primary link.
pub async fn existing_links(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    people: &[Uuid],
) -> Result<(Vec<(Uuid, Uuid)>, Vec<Uuid>)> {
    let rows = db
        .query_all_raw(stmt(
            "SELECT person_id, organisation_id, is_primary FROM person_organisations \
             WHERE tenant_id = $1 AND person_id = ANY($2)",
            [tenant.into(), people.to_vec().into()],
        ))
        .await?;
    let mut pairs = Vec::with_capacity(rows.len());
    let mut primary = Vec::new();
    for r in rows {
        let p: Uuid = r.try_get("", "person_id")?;
        let o: Uuid = r.try_get("", "organisation_id")?;
        if r.try_get::<bool>("", "is_primary")? {
            primary.push(p);
        }
        pairs.push((p, o));
    }
    Ok((pairs, primary))
}

/// What a new link shows of its organisation.
#[derive(Clone, Debug)]
pub struct LinkedOrg {
    pub name: String,
    pub org_type: String,
    pub owner_id: Option<Uuid>,
    pub owner_team_id: Option<Uuid>,
}

/// Create many links (person, organisation, role, primary) in one statement. Returns them,
/// described with `orgs` (every linked organisation must be in it).
pub async fn insert_links_many(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    links: &[(Uuid, Uuid, Option<String>, bool)],
    orgs: &std::collections::HashMap<Uuid, LinkedOrg>,
) -> Result<Vec<Link>> {
    if links.is_empty() {
        return Ok(Vec::new());
    }
    let data = serde_json::Value::Array(
        links
            .iter()
            .map(|(p, o, role, primary)| {
                serde_json::json!({"p": p, "o": o, "role": role, "is_primary": primary})
            })
            .collect(),
    );
    let rows = db
        .query_all_raw(stmt(
            "INSERT INTO person_organisations (tenant_id, person_id, organisation_id, role, \
             is_primary) SELECT $1, x.p, x.o, x.role, x.is_primary \
             FROM jsonb_to_recordset($2) AS x(p uuid, o uuid, role text, is_primary boolean) \
             RETURNING person_id, organisation_id, created_at",
            [tenant.into(), data.into()],
        ))
        .await?;
    let mut created: std::collections::HashMap<(Uuid, Uuid), DateTime<Utc>> =
        std::collections::HashMap::with_capacity(rows.len());
    for r in rows {
        created.insert(
            (
                r.try_get("", "person_id")?,
                r.try_get("", "organisation_id")?,
            ),
            r.try_get("", "created_at")?,
        );
    }
    Ok(links
        .iter()
        .filter_map(|(p, o, role, primary)| {
            let org = orgs.get(o)?;
            Some(Link {
                person_id: *p,
                organisation_id: *o,
                organisation_name: org.name.clone(),
                organisation_type: org.org_type.clone(),
                organisation_owner_id: org.owner_id,
                organisation_owner_team_id: org.owner_team_id,
                role: role.clone(),
                is_primary: *primary,
                created_at: *created.get(&(*p, *o))?,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_leave_out_the_team_subquery() {
        let cols = export_columns(COLUMNS);
        assert!(!cols.contains("FROM users"), "{cols}");
        assert!(cols.contains("NULL::uuid"));
    }

    #[test]
    fn sorts_parse() {
        let k = parse_sort("").unwrap();
        assert_eq!(k.len(), 2, "last name, then first name");
        assert_eq!(k[0].expr, LAST_NAME);
        let k = parse_sort("-last_name").unwrap();
        assert!(k.len() == 2 && k[0].desc && k[1].desc);
        let k = parse_sort("-updated_at,first_name").unwrap();
        assert!(k[0].desc && k[0].expr == "p.updated_at");
        assert!(!k[1].desc && k[1].expr == FIRST_NAME);
        assert_eq!(parse_sort("email").unwrap_err(), "email");
    }
}
