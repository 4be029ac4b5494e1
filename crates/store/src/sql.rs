//! A small builder for statements whose shape depends on the request (filters, sorts,
//! keyset cursors). Identifiers come only from code; every value is a bound parameter.

use sea_orm::{DbBackend, Statement, Value};
use std::fmt::Write;

#[derive(Default)]
pub struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            values: Vec::new(),
        }
    }

    /// Append literal SQL (never user input).
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Append a placeholder bound to `v`.
    pub fn bind(&mut self, v: impl Into<Value>) -> &mut Self {
        self.values.push(v.into());
        let _ = write!(self.text, "${}", self.values.len());
        self
    }

    pub fn build(self) -> Statement {
        Statement::from_sql_and_values(DbBackend::Postgres, self.text, self.values)
    }
}

/// One key of an ORDER BY: a SQL expression, its direction and the type its cursor value is
/// cast to.
#[derive(Clone, Copy, Debug)]
pub struct SortKey {
    pub expr: &'static str,
    pub desc: bool,
    pub cast: &'static str,
}

/// `ORDER BY k1, k2, …, id` and the keyset predicate "after the row whose keys are `values`
/// and id is `id`", expanded so that mixed directions work:
/// `(k1 > v1) OR (k1 = v1 AND k2 < v2) OR … OR (k1 = v1 AND … AND id > id0)`.
pub fn keyset(
    sql: &mut Sql,
    keys: &[SortKey],
    id_expr: &str,
    after: Option<(&[String], uuid::Uuid)>,
) {
    if let Some((values, id)) = after {
        sql.push(" AND (");
        for i in 0..=keys.len() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push("(");
            for (j, k) in keys.iter().take(i).enumerate() {
                sql.push(k.expr).push(" = ");
                sql.bind(values[j].clone())
                    .push("::")
                    .push(k.cast)
                    .push(" AND ");
            }
            if i < keys.len() {
                let k = keys[i];
                sql.push(k.expr).push(if k.desc { " < " } else { " > " });
                sql.bind(values[i].clone()).push("::").push(k.cast);
            } else {
                sql.push(id_expr).push(" > ").bind(id);
            }
            sql.push(")");
        }
        sql.push(")");
    }
}

pub fn order_by(sql: &mut Sql, keys: &[SortKey], id_expr: &str) {
    sql.push(" ORDER BY ");
    for k in keys {
        sql.push(k.expr)
            .push(if k.desc { " DESC, " } else { " ASC, " });
    }
    sql.push(id_expr).push(" ASC");
}
