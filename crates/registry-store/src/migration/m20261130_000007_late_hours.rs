//! The hours owed in a cycle by people who qualified part-way through it: a policy of each
//! cycle (`full`, `pro_rata_years` — the default — or `none`; docs/POLICY.md). Existing
//! cycles take the default. The database accepts only the three codes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(
                "ALTER TABLE cycles ADD COLUMN late_hours VARCHAR(20) NOT NULL \
                 DEFAULT 'pro_rata_years' \
                 CHECK (late_hours IN ('full', 'pro_rata_years', 'none'))",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("ALTER TABLE cycles DROP COLUMN late_hours")
            .await?;
        Ok(())
    }
}
