//! The indexes behind `RegisterTx::bound_to_cycle` (what a change of a cycle's dates
//! concerns): the registrations of a cycle, in the history and as the holdings' current
//! ones; the editions by their last valid day; the courses by their last day.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// (index, table, column).
const INDEXES: [(&str, &str, &str); 4] = [
    ("ix_registrations_cycle", "registrations", "cycle_id"),
    ("ix_holdings_cycle", "holdings", "cycle_id"),
    ("ix_documents_valid_until", "documents", "valid_until"),
    ("ix_courses_end", "courses", "end_date"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, column) in INDEXES {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(Alias::new(table))
                    .col(Alias::new(column))
                    .take(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            m.drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
