//! Relais persistence.
//!
//! Policy: request code never sees a bare connection. It asks [`Db::tenant_tx`] for a
//! transaction whose first statement sets `app.tenant_id` (transaction-local), so row-level
//! security confines every statement to one tenant even when a query forgets its `WHERE`.
//! [`Db::platform_tx`] is the explicit, narrow path for tables that hold no tenant data
//! (tenants, operators) and for the SECURITY DEFINER look-ups that run before a tenant is
//! known. Query functions take `&impl ConnectionTrait` so they compose inside one transaction.
//! Errors use thiserror; unique and foreign-key violations are reported by constraint name.
#![forbid(unsafe_code)]

pub mod api_keys;
mod db;
pub mod documents;
mod error;
pub mod events;
pub mod idempotency;
pub mod imports;
pub mod interactions;
pub mod jobs;
pub mod mandates;
pub mod migrate;
pub mod operators;
pub mod organisations;
pub mod people;
pub mod pipeline;
pub mod products;
pub mod roles;
pub mod search;
pub mod sql;
pub mod tasks;
pub mod teams;
pub mod tenants;
pub mod tokens;
pub mod users;
pub mod webhooks;

pub use db::{Db, DbConfig, PlatformTx, TenantTx};
pub use error::StoreError;
pub use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};

use sea_orm::{DbBackend, Statement, Value};

/// A Postgres statement with positional parameters.
pub(crate) fn stmt<I>(sql: &str, values: I) -> Statement
where
    I: IntoIterator<Item = Value>,
{
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}
