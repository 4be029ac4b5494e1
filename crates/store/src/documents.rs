//! Document metadata. The bytes are on disk; see the API's documents module.

use crate::{error::Result, stmt};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct Document {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub record_type: String,
    pub record_id: Uuid,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: Vec<u8>,
    pub uploaded_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "tenant_id, id, record_type, record_id, file_name, content_type, size_bytes, \
    sha256, uploaded_by, created_at, updated_at, deleted_at";

pub struct NewDocument<'a> {
    pub id: Uuid,
    pub record_type: &'a str,
    pub record_id: Uuid,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub sha256: &'a [u8],
    pub uploaded_by: Uuid,
}

/// Owner of the record a document hangs on, and whether that record is live.
#[derive(Clone, Copy, Debug)]
pub struct Parent {
    pub owner_id: Option<Uuid>,
    pub owner_team_id: Option<Uuid>,
}

/// The live parent record (`organisation`, `person` or `mandate`), if it exists.
pub async fn parent(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    record_type: &str,
    record_id: Uuid,
) -> Result<Option<Parent>> {
    let Some(table) = parent_table(record_type) else {
        return Ok(None);
    };
    let sql = format!(
        "SELECT r.owner_id, (SELECT u.team_id FROM users u WHERE u.tenant_id = r.tenant_id \
         AND u.id = r.owner_id) AS owner_team_id FROM {table} r \
         WHERE r.tenant_id = $1 AND r.id = $2 AND r.deleted_at IS NULL"
    );
    let row = db
        .query_one_raw(stmt(&sql, [tenant.into(), record_id.into()]))
        .await?;
    Ok(match row {
        None => None,
        Some(r) => Some(Parent {
            owner_id: r.try_get("", "owner_id")?,
            owner_team_id: r.try_get("", "owner_team_id")?,
        }),
    })
}

/// The parent record, live or in the trash: its owner and whether it is deleted. `None` when
/// it no longer exists (purged) or the type is unknown.
pub async fn parent_any(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    record_type: &str,
    record_id: Uuid,
) -> Result<Option<(Parent, bool)>> {
    let Some(table) = parent_table(record_type) else {
        return Ok(None);
    };
    let sql = format!(
        "SELECT r.owner_id, (SELECT u.team_id FROM users u WHERE u.tenant_id = r.tenant_id \
         AND u.id = r.owner_id) AS owner_team_id, r.deleted_at IS NOT NULL AS deleted \
         FROM {table} r WHERE r.tenant_id = $1 AND r.id = $2"
    );
    let row = db
        .query_one_raw(stmt(&sql, [tenant.into(), record_id.into()]))
        .await?;
    Ok(match row {
        None => None,
        Some(r) => Some((
            Parent {
                owner_id: r.try_get("", "owner_id")?,
                owner_team_id: r.try_get("", "owner_team_id")?,
            },
            r.try_get("", "deleted")?,
        )),
    })
}

fn parent_table(record_type: &str) -> Option<&'static str> {
    match record_type {
        "organisation" => Some("organisations"),
        "person" => Some("people"),
        "mandate" => Some("mandates"),
        _ => None,
    }
}

pub async fn insert(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    d: &NewDocument<'_>,
) -> Result<Document> {
    let sql = format!(
        "INSERT INTO documents (tenant_id, id, record_type, record_id, file_name, content_type, \
         size_bytes, sha256, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         RETURNING {COLUMNS}"
    );
    Ok(Document::find_by_statement(stmt(
        &sql,
        [
            tenant.into(),
            d.id.into(),
            d.record_type.into(),
            d.record_id.into(),
            d.file_name.into(),
            d.content_type.into(),
            d.size_bytes.into(),
            d.sha256.to_vec().into(),
            d.uploaded_by.into(),
        ],
    ))
    .one(db)
    .await?
    .expect("INSERT RETURNING yields a row"))
}

pub async fn find(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<Option<Document>> {
    let sql = format!("SELECT {COLUMNS} FROM documents WHERE tenant_id = $1 AND id = $2");
    Ok(
        Document::find_by_statement(stmt(&sql, [tenant.into(), id.into()]))
            .one(db)
            .await?,
    )
}

/// Live documents of one record (or those in its trash when `deleted`), oldest first, keyset
/// by id.
pub async fn list_for(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    record_type: &str,
    record_id: Uuid,
    deleted: bool,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Document>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM documents WHERE tenant_id = $1 AND record_type = $2 \
         AND record_id = $3 AND (deleted_at IS NOT NULL) = $6 \
         AND ($4::uuid IS NULL OR id > $4) ORDER BY id LIMIT $5"
    );
    Ok(Document::find_by_statement(stmt(
        &sql,
        [
            tenant.into(),
            record_type.into(),
            record_id.into(),
            after.into(),
            (limit as i64).into(),
            deleted.into(),
        ],
    ))
    .all(db)
    .await?)
}

pub async fn soft_delete(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
    actor: Uuid,
) -> Result<bool> {
    let res = db
        .execute_raw(stmt(
            "UPDATE documents SET deleted_at = now(), deleted_by = $3, updated_at = now() \
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
            "UPDATE documents SET deleted_at = NULL, deleted_by = NULL, updated_at = now() \
             WHERE tenant_id = $1 AND id = $2 AND deleted_at > now() - interval '30 days'",
            [tenant.into(), id.into()],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

/// Erase the row for good; the caller removes the file once the transaction has committed.
pub async fn purge(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<bool> {
    let res = db
        .execute_raw(stmt(
            "DELETE FROM documents WHERE tenant_id = $1 AND id = $2",
            [tenant.into(), id.into()],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

/// Erase every document row (live or in the trash) of a record being purged; returns their
/// ids so the caller can delete the files once the transaction has committed.
pub async fn purge_for_record(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    record_type: &str,
    record_id: Uuid,
) -> Result<Vec<Uuid>> {
    let rows = db
        .query_all_raw(stmt(
            "DELETE FROM documents WHERE tenant_id = $1 AND record_type = $2 AND record_id = $3 \
             RETURNING id",
            [tenant.into(), record_type.into(), record_id.into()],
        ))
        .await?;
    rows.iter().map(|r| Ok(r.try_get("", "id")?)).collect()
}
