//! The lock rows of batch jobs on SQLite (see [`crate::job_lock`]): one row per running job,
//! with its holder and the end of its lease. PostgreSQL uses advisory locks; the table is
//! created there too, so that both schemas are the same.

use sea_orm::ConnectionTrait;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let timestamp = match m.get_database_backend() {
            sea_orm::DbBackend::Postgres => "TIMESTAMPTZ",
            _ => "TEXT",
        };
        m.get_connection()
            .execute_unprepared(&format!(
                "CREATE TABLE job_locks (name TEXT PRIMARY KEY, holder TEXT NOT NULL, \
                 expires_at {timestamp} NOT NULL)"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("DROP TABLE job_locks")
            .await?;
        Ok(())
    }
}
