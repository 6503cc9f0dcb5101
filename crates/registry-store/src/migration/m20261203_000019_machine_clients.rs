//! Machine clients: training providers (a course may name the one that runs it) and the
//! API tokens issued to institutions and providers, each kept by the hash of its secret
//! (unique), with exactly one holder. New tables and a nullable column: no stop needed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Institutions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum TrainingProviders {
    Table,
    Id,
    Name,
    Contact,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    Name,
    InstitutionId,
    ProviderId,
    Scopes,
    ExpiresOn,
    IssuedAt,
    IssuedBy,
    RevokedAt,
    LastUsedAt,
    SecretHash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(TrainingProviders::Table)
                .col(
                    ColumnDef::new(TrainingProviders::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(TrainingProviders::Name)
                        .string_len(100)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(TrainingProviders::Contact)
                        .string_len(100)
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        let column = match m.get_database_backend() {
            DbBackend::Sqlite => "INTEGER",
            _ => "BIGINT",
        };
        m.get_connection()
            .execute_unprepared(&format!(
                "ALTER TABLE courses ADD COLUMN provider_id {column} NULL \
                 REFERENCES training_providers(id)"
            ))
            .await?;
        m.create_table(
            Table::create()
                .table(ApiTokens::Table)
                .col(
                    ColumnDef::new(ApiTokens::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(ApiTokens::Name).string_len(50).not_null())
                .col(
                    ColumnDef::new(ApiTokens::InstitutionId)
                        .big_integer()
                        .null(),
                )
                .col(ColumnDef::new(ApiTokens::ProviderId).big_integer().null())
                .col(ColumnDef::new(ApiTokens::Scopes).string_len(200).not_null())
                .col(ColumnDef::new(ApiTokens::ExpiresOn).date().not_null())
                .col(
                    ColumnDef::new(ApiTokens::IssuedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ApiTokens::IssuedBy)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ApiTokens::RevokedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(
                    ColumnDef::new(ApiTokens::LastUsedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(
                    ColumnDef::new(ApiTokens::SecretHash)
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .check(Expr::cust(
                    "(institution_id IS NULL AND provider_id IS NOT NULL) \
                     OR (institution_id IS NOT NULL AND provider_id IS NULL)",
                ))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_api_tokens_institution")
                        .from(ApiTokens::Table, ApiTokens::InstitutionId)
                        .to(Institutions::Table, Institutions::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_api_tokens_provider")
                        .from(ApiTokens::Table, ApiTokens::ProviderId)
                        .to(TrainingProviders::Table, TrainingProviders::Id),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
