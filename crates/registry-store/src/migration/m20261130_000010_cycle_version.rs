//! A version on each cycle, so that an edit made from an older reading of the cycle is
//! refused (`conflict.stale.cycle`) instead of silently overwriting another
//! administrator's edit. Existing cycles start at 1.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("ALTER TABLE cycles ADD COLUMN version BIGINT NOT NULL DEFAULT 1")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("ALTER TABLE cycles DROP COLUMN version")
            .await?;
        Ok(())
    }
}
