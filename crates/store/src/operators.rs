//! Platform operators: they manage tenants and are not members of any tenant.

use crate::{error::Result, stmt};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct Operator {
    pub id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, email, password_hash, failed_logins, locked_until, last_login_at, created_at";

impl Operator {
    /// Create, or reset the password of, the operator with this email.
    pub async fn upsert(
        db: &impl ConnectionTrait,
        email: &str,
        password_hash: &str,
    ) -> Result<Operator> {
        let sql = format!(
            "INSERT INTO operators (id, email, password_hash) VALUES ($1, $2, $3) \
             ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash, \
             failed_logins = 0, locked_until = NULL RETURNING {COLUMNS}"
        );
        Ok(Operator::find_by_statement(stmt(
            &sql,
            [Uuid::now_v7().into(), email.into(), password_hash.into()],
        ))
        .one(db)
        .await?
        .expect("INSERT RETURNING yields a row"))
    }

    pub async fn find_by_email(db: &impl ConnectionTrait, email: &str) -> Result<Option<Operator>> {
        let sql = format!("SELECT {COLUMNS} FROM operators WHERE email = $1");
        Ok(Operator::find_by_statement(stmt(&sql, [email.into()]))
            .one(db)
            .await?)
    }

    pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Operator>> {
        let sql = format!("SELECT {COLUMNS} FROM operators WHERE id = $1");
        Ok(Operator::find_by_statement(stmt(&sql, [id.into()]))
            .one(db)
            .await?)
    }

    pub async fn record_login(
        db: &impl ConnectionTrait,
        id: Uuid,
        success: bool,
        max_failures: i32,
        lock_for_secs: i64,
    ) -> Result<()> {
        let sql = if success {
            "UPDATE operators SET failed_logins = 0, locked_until = NULL, last_login_at = now() \
             WHERE id = $1"
        } else {
            // As for users: the first failure after an expired lock starts a new count.
            "UPDATE operators SET failed_logins = CASE WHEN locked_until < now() THEN 1 \
                 ELSE failed_logins + 1 END, \
             locked_until = CASE WHEN (CASE WHEN locked_until < now() THEN 1 \
                 ELSE failed_logins + 1 END) >= $2 \
                 THEN now() + make_interval(secs => $3) ELSE locked_until END \
             WHERE id = $1"
        };
        let values: Vec<sea_orm::Value> = if success {
            vec![id.into()]
        } else {
            vec![
                id.into(),
                max_failures.into(),
                (lock_for_secs as f64).into(),
            ]
        };
        db.execute_raw(stmt(sql, values)).await?;
        Ok(())
    }
}
