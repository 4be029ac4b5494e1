use sea_orm::{DbErr, RuntimeErr};

/// A persistence failure. `Conflict` and `ForeignKey` carry the constraint name so the API can
/// map it to a field error without parsing messages.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unique constraint {0} violated")]
    Conflict(String),
    #[error("foreign key {0} violated")]
    ForeignKey(String),
    #[error("check constraint {0} violated")]
    Check(String),
    #[error(transparent)]
    Db(DbErr),
    #[error("migration failed: {0}")]
    Migrate(String),
    #[error("{0}")]
    Invalid(String),
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        let db_error = match &err {
            DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
                match e.as_ref() {
                    sqlx::Error::Database(d) => Some((d.code(), d.constraint())),
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some((Some(code), Some(constraint))) = db_error {
            let constraint = constraint.to_owned();
            match code.as_ref() {
                "23505" => return StoreError::Conflict(constraint),
                "23503" => return StoreError::ForeignKey(constraint),
                "23514" => return StoreError::Check(constraint),
                _ => {}
            }
        }
        StoreError::Db(err)
    }
}

impl StoreError {
    /// The SQLSTATE of a database error, e.g. `22021` for text PostgreSQL cannot store (NUL).
    pub fn sqlstate(&self) -> Option<String> {
        match self {
            StoreError::Db(
                DbErr::Exec(RuntimeErr::SqlxError(e))
                | DbErr::Query(RuntimeErr::SqlxError(e))
                | DbErr::Conn(RuntimeErr::SqlxError(e)),
            ) => match e.as_ref() {
                sqlx::Error::Database(d) => d.code().map(|c| c.into_owned()),
                _ => None,
            },
            _ => None,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        StoreError::Db(DbErr::Conn(RuntimeErr::SqlxError(err.into())))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
