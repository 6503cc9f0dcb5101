//! Accounts, sessions and failure counters: what the web system needs to stay stateless
//! (several instances over one database share logins and lockouts).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Username,
    Role,
    InstitutionId,
    PasswordHash,
    Active,
    MustChangePassword,
    Version,
}

#[derive(DeriveIden)]
enum Institutions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    TokenHash,
    AccountId,
    PersonId,
    InstitutionId,
    CreatedAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum People {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Throttles {
    Table,
    Key,
    WindowStart,
    Failures,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Accounts::Table)
                .col(
                    ColumnDef::new(Accounts::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(Accounts::Username)
                        .string_len(32)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(Accounts::Role)
                        .string_len(12)
                        .not_null()
                        .check(Expr::col(Accounts::Role).is_in(["association", "institution"])),
                )
                // One account per institution.
                .col(
                    ColumnDef::new(Accounts::InstitutionId)
                        .big_integer()
                        .null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(Accounts::PasswordHash)
                        .string_len(200)
                        .not_null(),
                )
                .col(ColumnDef::new(Accounts::Active).boolean().not_null())
                .col(
                    ColumnDef::new(Accounts::MustChangePassword)
                        .boolean()
                        .not_null(),
                )
                .col(ColumnDef::new(Accounts::Version).big_integer().not_null())
                // An institution account names its institution; an association one does not.
                .check(
                    Expr::col(Accounts::Role)
                        .eq("association")
                        .and(Expr::col(Accounts::InstitutionId).is_null())
                        .or(Expr::col(Accounts::Role)
                            .eq("institution")
                            .and(Expr::col(Accounts::InstitutionId).is_not_null())),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_accounts_institution")
                        .from(Accounts::Table, Accounts::InstitutionId)
                        .to(Institutions::Table, Institutions::Id),
                )
                .take(),
        )
        .await?;

        // A login (account_id) or an assessor's unlocked fill-in entry (person_id and
        // institution_id). Only a hash of the cookie's token is kept.
        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(
                    ColumnDef::new(Sessions::TokenHash)
                        .string_len(64)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Sessions::AccountId).big_integer().null())
                .col(ColumnDef::new(Sessions::PersonId).big_integer().null())
                .col(ColumnDef::new(Sessions::InstitutionId).big_integer().null())
                .col(
                    ColumnDef::new(Sessions::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Sessions::LastSeenAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .check(
                    Expr::col(Sessions::AccountId)
                        .is_not_null()
                        .and(Expr::col(Sessions::PersonId).is_null())
                        .or(Expr::col(Sessions::AccountId)
                            .is_null()
                            .and(Expr::col(Sessions::PersonId).is_not_null())
                            .and(Expr::col(Sessions::InstitutionId).is_not_null())),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_sessions_account")
                        .from(Sessions::Table, Sessions::AccountId)
                        .to(Accounts::Table, Accounts::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_sessions_person")
                        .from(Sessions::Table, Sessions::PersonId)
                        .to(People::Table, People::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sessions_last_seen")
                .table(Sessions::Table)
                .col(Sessions::LastSeenAt)
                .take(),
        )
        .await?;

        // Failures within a window, by key: `login:<username>`, `fill-in:<person>:<institution>`,
        // `client:<address>`.
        m.create_table(
            Table::create()
                .table(Throttles::Table)
                .col(
                    ColumnDef::new(Throttles::Key)
                        .string_len(120)
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(Throttles::WindowStart)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(Throttles::Failures).integer().not_null())
                .take(),
        )
        .await?;
        Ok(())
    }
}
