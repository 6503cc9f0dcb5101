//! Correction requests (PIPL 第四十六条): what a person asks an institution to correct,
//! in that institution's queue until it answers. A new table: no stop needed.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum People {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Institutions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CorrectionRequests {
    Table,
    Id,
    PersonId,
    InstitutionId,
    Text,
    CreatedAt,
    AnsweredAt,
    Answer,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CorrectionRequests::Table)
                .col(
                    ColumnDef::new(CorrectionRequests::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(CorrectionRequests::PersonId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(CorrectionRequests::InstitutionId)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(CorrectionRequests::Text).text().not_null())
                .col(
                    ColumnDef::new(CorrectionRequests::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(CorrectionRequests::AnsweredAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(ColumnDef::new(CorrectionRequests::Answer).text().null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_correction_requests_person")
                        .from(CorrectionRequests::Table, CorrectionRequests::PersonId)
                        .to(People::Table, People::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_correction_requests_institution")
                        .from(CorrectionRequests::Table, CorrectionRequests::InstitutionId)
                        .to(Institutions::Table, Institutions::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_correction_requests_institution")
                .table(CorrectionRequests::Table)
                .col(CorrectionRequests::InstitutionId)
                .col(CorrectionRequests::Id)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(CorrectionRequests::Table).to_owned())
            .await?;
        Ok(())
    }
}
