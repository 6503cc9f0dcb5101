//! SQL written once for both engines: `?` placeholders, numbered for PostgreSQL.

use sea_orm::{DatabaseBackend, Statement, Value};

use crate::Engine;

/// A statement for `engine` from SQL written with `?` placeholders (numbered `$1`, `$2`, …
/// for PostgreSQL).
pub(crate) fn statement_for(engine: Engine, sql: &str, values: Vec<Value>) -> Statement {
    match engine {
        Engine::Sqlite => Statement::from_sql_and_values(DatabaseBackend::Sqlite, sql, values),
        Engine::Postgres => {
            let mut numbered = String::with_capacity(sql.len() + 16);
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    numbered.push_str(&format!("${n}"));
                } else {
                    numbered.push(c);
                }
            }
            Statement::from_sql_and_values(DatabaseBackend::Postgres, numbered, values)
        }
    }
}
