//! The pinyin sort key of each person's name (`people.name_key`, see
//! [`crate::name_order`]), written for the people already in the register, and its index.
//! On PostgreSQL the column compares byte by byte (`COLLATE "C"`), as SQLite's `BINARY`
//! does, so that both engines give the same order whatever the database's locale.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::prelude::*;

use crate::name_order::name_key;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = m.get_database_backend();
        let column = match backend {
            DbBackend::Postgres => "TEXT COLLATE \"C\" NOT NULL DEFAULT ''",
            _ => "TEXT NOT NULL DEFAULT ''",
        };
        db.execute_unprepared(&format!("ALTER TABLE people ADD COLUMN name_key {column}"))
            .await?;
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id, name FROM people",
            ))
            .await?;
        let update = match backend {
            DbBackend::Postgres => "UPDATE people SET name_key = $1 WHERE id = $2",
            _ => "UPDATE people SET name_key = ? WHERE id = ?",
        };
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let name: String = row.try_get("", "name")?;
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                update,
                [name_key(&name).into(), id.into()],
            ))
            .await?;
        }
        db.execute_unprepared("CREATE INDEX people_name_key ON people (name_key, id)")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("DROP INDEX people_name_key").await?;
        db.execute_unprepared("ALTER TABLE people DROP COLUMN name_key")
            .await?;
        Ok(())
    }
}
