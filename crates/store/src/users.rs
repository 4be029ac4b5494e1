//! Users of a tenant. Every query names the tenant explicitly; row-level security is the
//! second lock.

use crate::{error::Result, stmt};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct User {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    pub password_hash: String,
    pub role_id: Uuid,
    pub team_id: Option<Uuid>,
    pub locale: String,
    pub theme: String,
    pub active: bool,
    pub must_change_password: bool,
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub password_changed_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "tenant_id, id, email, full_name, password_hash, role_id, team_id, locale, \
    theme, active, must_change_password, failed_logins, locked_until, last_login_at, \
    password_changed_at, created_at, updated_at";

pub struct NewUser<'a> {
    pub email: &'a str,
    pub full_name: &'a str,
    pub password_hash: &'a str,
    pub role_id: Uuid,
    pub team_id: Option<Uuid>,
    pub locale: &'a str,
    pub must_change_password: bool,
}

/// Fields an administrator or the user may change; `None` leaves the value as it is.
#[derive(Default)]
pub struct UserChanges {
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub role_id: Option<Uuid>,
    /// `Some(None)` clears the team.
    pub team_id: Option<Option<Uuid>>,
    pub locale: Option<String>,
    pub theme: Option<String>,
    pub active: Option<bool>,
}

/// Filters for the user list.
#[derive(Default)]
pub struct UserFilter {
    pub team_id: Option<Uuid>,
    pub role_id: Option<Uuid>,
    pub active: Option<bool>,
    /// Case-insensitive substring of name or email.
    pub q: Option<String>,
    /// Only this user (lists confined to the caller's own record).
    pub id: Option<Uuid>,
}

impl User {
    pub async fn insert(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        new: &NewUser<'_>,
    ) -> Result<User> {
        let sql = format!(
            "INSERT INTO users (tenant_id, id, email, full_name, password_hash, role_id, team_id, \
             locale, must_change_password) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING {COLUMNS}"
        );
        Ok(User::find_by_statement(stmt(
            &sql,
            [
                tenant.into(),
                Uuid::now_v7().into(),
                new.email.into(),
                new.full_name.into(),
                new.password_hash.into(),
                new.role_id.into(),
                new.team_id.into(),
                new.locale.into(),
                new.must_change_password.into(),
            ],
        ))
        .one(db)
        .await?
        .expect("INSERT RETURNING yields a row"))
    }

    pub async fn find(db: &impl ConnectionTrait, tenant: Uuid, id: Uuid) -> Result<Option<User>> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2");
        Ok(
            User::find_by_statement(stmt(&sql, [tenant.into(), id.into()]))
                .one(db)
                .await?,
        )
    }

    pub async fn find_by_email(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        email: &str,
    ) -> Result<Option<User>> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE tenant_id = $1 AND email = $2");
        Ok(
            User::find_by_statement(stmt(&sql, [tenant.into(), email.into()]))
                .one(db)
                .await?,
        )
    }

    /// Keyset page ordered by id.
    pub async fn list(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        filter: &UserFilter,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<User>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM users WHERE tenant_id = $1 \
             AND ($2::uuid IS NULL OR id > $2) \
             AND ($3::uuid IS NULL OR team_id = $3) \
             AND ($4::uuid IS NULL OR role_id = $4) \
             AND ($5::bool IS NULL OR active = $5) \
             AND ($6::text IS NULL OR strpos(lower(full_name || ' ' || email), lower($6)) > 0) \
             AND ($8::uuid IS NULL OR id = $8) \
             ORDER BY id LIMIT $7"
        );
        Ok(User::find_by_statement(stmt(
            &sql,
            [
                tenant.into(),
                after.into(),
                filter.team_id.into(),
                filter.role_id.into(),
                filter.active.into(),
                filter.q.clone().into(),
                (limit as i64).into(),
                filter.id.into(),
            ],
        ))
        .all(db)
        .await?)
    }

    pub async fn update(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        id: Uuid,
        c: &UserChanges,
    ) -> Result<Option<User>> {
        let (set_team, team): (bool, Option<Uuid>) = match c.team_id {
            Some(t) => (true, t),
            None => (false, None),
        };
        let sql = format!(
            "UPDATE users SET email = coalesce($3, email), full_name = coalesce($4, full_name), \
             role_id = coalesce($5, role_id), \
             team_id = CASE WHEN $6 THEN $7 ELSE team_id END, \
             locale = coalesce($8, locale), theme = coalesce($9, theme), \
             active = coalesce($10, active), updated_at = now() \
             WHERE tenant_id = $1 AND id = $2 RETURNING {COLUMNS}"
        );
        let values: Vec<Value> = vec![
            tenant.into(),
            id.into(),
            c.email.clone().into(),
            c.full_name.clone().into(),
            c.role_id.into(),
            set_team.into(),
            team.into(),
            c.locale.clone().into(),
            c.theme.clone().into(),
            c.active.into(),
        ];
        Ok(User::find_by_statement(stmt(&sql, values)).one(db).await?)
    }

    /// Replace the password hash. `must_change` is set when an administrator chose it.
    pub async fn set_password(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        id: Uuid,
        password_hash: &str,
        must_change: bool,
    ) -> Result<()> {
        db.execute_raw(stmt(
            "UPDATE users SET password_hash = $3, must_change_password = $4, \
             password_changed_at = now(), failed_logins = 0, locked_until = NULL, updated_at = now() \
             WHERE tenant_id = $1 AND id = $2",
            [tenant.into(), id.into(), password_hash.into(), must_change.into()],
        ))
        .await?;
        Ok(())
    }

    /// Store a fresh hash of the same password (parameters changed); nothing else moves.
    pub async fn rehash_password(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        id: Uuid,
        password_hash: &str,
    ) -> Result<()> {
        db.execute_raw(stmt(
            "UPDATE users SET password_hash = $3 WHERE tenant_id = $1 AND id = $2",
            [tenant.into(), id.into(), password_hash.into()],
        ))
        .await?;
        Ok(())
    }

    /// Count a login: success clears the failure counter, failure may lock the account.
    pub async fn record_login(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        id: Uuid,
        success: bool,
        max_failures: i32,
        lock_for_secs: i64,
    ) -> Result<()> {
        if success {
            db.execute_raw(stmt(
                "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = now() \
                 WHERE tenant_id = $1 AND id = $2",
                [tenant.into(), id.into()],
            ))
            .await?;
        } else {
            db.execute_raw(stmt(
                "UPDATE users SET failed_logins = CASE WHEN locked_until < now() THEN 1 \
                     ELSE failed_logins + 1 END, \
                 locked_until = CASE WHEN (CASE WHEN locked_until < now() THEN 1 \
                     ELSE failed_logins + 1 END) >= $3 \
                     THEN now() + make_interval(secs => $4) ELSE locked_until END \
                 WHERE tenant_id = $1 AND id = $2",
                [
                    tenant.into(),
                    id.into(),
                    max_failures.into(),
                    (lock_for_secs as f64).into(),
                ],
            ))
            .await?;
        }
        Ok(())
    }

    /// Accounts matching an email across tenants (SECURITY DEFINER look-up; ids only).
    pub async fn login_candidates(
        db: &impl ConnectionTrait,
        email: &str,
        tenant_slug: Option<&str>,
    ) -> Result<Vec<(Uuid, Uuid)>> {
        let rows = db
            .query_all_raw(stmt(
                "SELECT tenant_id, user_id FROM auth_login_candidates($1, $2)",
                [email.into(), tenant_slug.map(str::to_owned).into()],
            ))
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("", "tenant_id")?, r.try_get("", "user_id")?)))
            .collect()
    }

    /// Serialise, until the end of the transaction, the changes that may remove the tenant's
    /// last administrator: without it, two administrators demoting each other concurrently
    /// would each still count the other and both succeed.
    pub async fn lock_admins(db: &impl ConnectionTrait, tenant: Uuid) -> Result<()> {
        db.execute_raw(stmt(
            "SELECT pg_advisory_xact_lock(hashtextextended('relais.admins:' || $1::text, 0))",
            [tenant.into()],
        ))
        .await?;
        Ok(())
    }

    pub async fn count_active_admins(db: &impl ConnectionTrait, tenant: Uuid) -> Result<i64> {
        let row = db
            .query_one_raw(stmt(
                "SELECT count(*) AS n FROM users u JOIN roles r \
                 ON r.tenant_id = u.tenant_id AND r.id = u.role_id \
                 WHERE u.tenant_id = $1 AND u.active AND r.key = 'admin'",
                [tenant.into()],
            ))
            .await?
            .expect("count returns a row");
        Ok(row.try_get("", "n")?)
    }
}

/// What a request needs to know about its caller, in one query: the user, their role's
/// grants and their tenant's state.
#[derive(Clone, Debug, FromQueryResult)]
pub struct AuthUser {
    pub tenant_id: Uuid,
    pub tenant_slug: String,
    pub tenant_name: String,
    pub tenant_status: String,
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    pub role_id: Uuid,
    pub role_key: String,
    pub role_name: String,
    pub grants: serde_json::Value,
    pub team_id: Option<Uuid>,
    pub locale: String,
    pub theme: String,
    pub active: bool,
    pub must_change_password: bool,
    pub password_changed_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl AuthUser {
    pub async fn load(
        db: &impl ConnectionTrait,
        tenant: Uuid,
        id: Uuid,
    ) -> Result<Option<AuthUser>> {
        Ok(AuthUser::find_by_statement(stmt(
            "SELECT u.tenant_id, t.slug AS tenant_slug, t.name AS tenant_name, \
             t.status AS tenant_status, u.id, u.email, u.full_name, u.role_id, r.key AS role_key, \
             r.name AS role_name, r.grants, u.team_id, u.locale, u.theme, u.active, \
             u.must_change_password, u.password_changed_at, u.last_login_at \
             FROM users u \
             JOIN roles r ON r.tenant_id = u.tenant_id AND r.id = u.role_id \
             JOIN tenants t ON t.id = u.tenant_id \
             WHERE u.tenant_id = $1 AND u.id = $2",
            [tenant.into(), id.into()],
        ))
        .one(db)
        .await?)
    }

    pub fn grant_list(&self) -> Vec<relais_domain::Grant> {
        crate::roles::parse_grants(&self.grants)
    }
}
