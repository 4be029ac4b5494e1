use crate::{error::Result, stmt};
use relais_domain::TenantId;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction,
    QueryResult, Statement, TransactionTrait,
};
use std::{ops::Deref, time::Duration};

/// Pool settings.
#[derive(Clone, Debug)]
pub struct DbConfig {
    pub url: String,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

/// The application's database handle. Cheap to clone. The connection inside is private: every
/// use goes through a transaction that either carries a tenant or is explicitly "platform",
/// but for the search statements that confine themselves to a tenant ([`Db::query_confined`]).
#[derive(Clone)]
pub struct Db {
    conn: DatabaseConnection,
    /// For LISTEN connections, which live outside the pool.
    url: std::sync::Arc<str>,
}

/// A transaction scoped to one tenant by row-level security. Commit explicitly; dropping it
/// rolls back.
pub struct TenantTx {
    tx: DatabaseTransaction,
    tenant: TenantId,
}

/// A transaction with no tenant set: tenant-owned tables look empty in it. Used for platform
/// tables and the SECURITY DEFINER look-ups.
pub struct PlatformTx {
    tx: DatabaseTransaction,
}

impl Db {
    pub async fn connect(cfg: &DbConfig) -> Result<Self> {
        let mut opts = ConnectOptions::new(cfg.url.clone());
        opts.max_connections(cfg.max_connections)
            .min_connections(1)
            .acquire_timeout(cfg.acquire_timeout)
            .sqlx_logging(false);
        let conn = Database::connect(opts).await?;
        Ok(Self {
            conn,
            url: cfg.url.as_str().into(),
        })
    }

    /// Start a transaction confined to `tenant`.
    pub async fn tenant_tx(&self, tenant: TenantId) -> Result<TenantTx> {
        let tx = self.conn.begin().await?;
        tx.execute_raw(stmt(
            "SELECT set_config('app.tenant_id', $1, true)",
            [tenant.to_string().into()],
        ))
        .await?;
        Ok(TenantTx { tx, tenant })
    }

    /// One statement sent on its own, outside a transaction: only for a call of a function
    /// that confines its own statement to a tenant as its first step (`relais_search_hits`,
    /// `relais_autocomplete_hits`, migration 0033: `set_config('app.tenant_id', …, true)`,
    /// which ends with the statement's transaction). One round trip instead of the four of a
    /// tenant transaction around it. Any other statement sent so sees no tenant's rows: the
    /// policies fail closed without a tenant.
    pub(crate) async fn query_confined(&self, stmt: Statement) -> Result<Vec<QueryResult>> {
        Ok(self.conn.query_all_raw(stmt).await?)
    }

    pub async fn platform_tx(&self) -> Result<PlatformTx> {
        Ok(PlatformTx {
            tx: self.conn.begin().await?,
        })
    }

    /// `SELECT 1` round trip, for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        self.conn.ping().await?;
        Ok(())
    }

    /// Refuse to run as a role that would bypass row-level security.
    pub async fn assert_restricted_role(&self) -> Result<()> {
        let row = self
            .conn
            .query_one_raw(stmt(
                "SELECT current_user::text AS name, rolsuper, rolbypassrls \
                 FROM pg_roles WHERE rolname = current_user",
                [],
            ))
            .await?
            .ok_or_else(|| crate::StoreError::Invalid("current role not found".into()))?;
        let name: String = row.try_get("", "name")?;
        let superuser: bool = row.try_get("", "rolsuper")?;
        let bypass: bool = row.try_get("", "rolbypassrls")?;
        if superuser || bypass {
            return Err(crate::StoreError::Invalid(format!(
                "DATABASE_URL connects as role {name:?}, which is a superuser or has BYPASSRLS: \
                 row-level security would not apply. Use a restricted role (see docs/ADMIN.md)."
            )));
        }
        Ok(())
    }

    /// A LISTEN connection on `channel` (workers are woken by NOTIFY instead of polling hard).
    /// It is a connection of its own, so each listening worker does not take one from the pool
    /// for good.
    pub async fn listen(&self, channel: &str) -> Result<sqlx::postgres::PgListener> {
        let mut listener = sqlx::postgres::PgListener::connect(&self.url).await?;
        listener.listen(channel).await?;
        Ok(listener)
    }

    pub async fn close(self) {
        let _ = self.conn.close().await;
    }
}

impl TenantTx {
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl PlatformTx {
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl Deref for TenantTx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl Deref for PlatformTx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}
