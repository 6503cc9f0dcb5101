//! The separated administrators (三员分立): an association account's duty — `system`,
//! `security` or `audit` — in a column of its own. Administrators of before become system
//! administrators; an instance still running the older code writes none, which reads as
//! the system administrator too, so this migration needs no stop.

use sea_orm::ConnectionTrait;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared(
            "ALTER TABLE accounts ADD COLUMN duty TEXT NULL \
             CHECK (duty IN ('system', 'security', 'audit'))",
        )
        .await?;
        db.execute_unprepared("UPDATE accounts SET duty = 'system' WHERE role = 'association'")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("ALTER TABLE accounts DROP COLUMN duty")
            .await?;
        Ok(())
    }
}
