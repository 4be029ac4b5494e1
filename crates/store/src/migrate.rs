//! Schema migrations: plain SQL files in `migrations/`, embedded at build time and applied by
//! the owner role (`DATABASE_ADMIN_URL`). After migrating, the application role gets DML rights
//! on the tables and EXECUTE on the look-up functions, nothing more: it owns nothing.

use crate::error::{Result, StoreError};
use sqlx::{Connection, PgConnection};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// The newest schema version this build knows.
pub fn latest_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Apply pending migrations as the owner at `admin_url`, then grant `app_role` what the server
/// needs. `app_role` may equal the owner only in throwaway setups; the server refuses to serve
/// through a role that bypasses row-level security anyway.
pub async fn run(admin_url: &str, app_role: Option<&str>) -> Result<()> {
    let mut conn = PgConnection::connect(admin_url).await?;
    let (bypass,): (bool,) = sqlx::query_as(
        "SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_one(&mut conn)
    .await?;
    if !bypass {
        return Err(StoreError::Migrate(
            "the migration role (DATABASE_ADMIN_URL) needs BYPASSRLS: it owns the SECURITY \
             DEFINER look-ups (login, tokens, job claiming) that run before a tenant is known"
                .into(),
        ));
    }
    MIGRATOR
        .run(&mut conn)
        .await
        .map_err(|e| StoreError::Migrate(e.to_string()))?;
    if let Some(role) = app_role {
        grant_app_role(&mut conn, role).await?;
    }
    conn.close().await?;
    Ok(())
}

async fn grant_app_role(conn: &mut PgConnection, role: &str) -> Result<()> {
    let (is_owner,): (bool,) = sqlx::query_as("SELECT $1 = current_user::text")
        .bind(role)
        .fetch_one(&mut *conn)
        .await?;
    if is_owner {
        return Ok(());
    }
    let role = quote_ident(role);
    let sql = format!(
        "GRANT USAGE ON SCHEMA public TO {role};
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
         REVOKE ALL ON TABLE _sqlx_migrations FROM {role};
         GRANT SELECT ON TABLE _sqlx_migrations TO {role};
         GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role};
         GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role};
         REVOKE ALL ON TABLE search_word_frequencies FROM {role};"
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The user name in a `postgres://user:pass@host/db` URL.
pub fn role_of_url(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let (userinfo, _) = rest.split_once('@')?;
    let user = userinfo.split(':').next()?;
    (!user.is_empty()).then(|| percent_decode(user))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_from_url() {
        assert_eq!(
            role_of_url("postgres://relais_app:pw@127.0.0.1:5432/relais").as_deref(),
            Some("relais_app")
        );
        assert_eq!(role_of_url("postgres://a%40b@h/db").as_deref(), Some("a@b"));
        assert_eq!(role_of_url("postgres://h/db"), None);
    }

    #[test]
    fn embedded_migrations_are_numbered() {
        assert!(latest_version() >= 1);
    }
}
