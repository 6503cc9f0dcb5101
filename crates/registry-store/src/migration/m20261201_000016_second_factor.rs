//! The second factor (issue 22): an account's TOTP secret (sealed with the data key, as ID
//! numbers are) and the last time step it accepted (a code is never accepted twice), the
//! association's requirement of a second factor for an institution's account, the one-time
//! recovery codes (hashed), and the logins waiting for their code (a password checked, no
//! session yet). New columns have defaults, so this migration needs no stop.

use sea_orm::ConnectionTrait;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    AccountId,
    CodeHash,
    UsedAt,
}

#[derive(DeriveIden)]
enum LoginChallenges {
    Table,
    TokenHash,
    AccountId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let bytes = match m.get_database_backend() {
            sea_orm::DbBackend::Postgres => "BYTEA",
            _ => "BLOB",
        };
        let db = m.get_connection();
        for column in [
            format!("totp_secret {bytes} NULL"),
            "totp_last_step BIGINT NULL".to_owned(),
            "second_factor_required BOOLEAN NOT NULL DEFAULT FALSE".to_owned(),
        ] {
            db.execute_unprepared(&format!("ALTER TABLE accounts ADD COLUMN {column}"))
                .await?;
        }
        m.create_table(
            Table::create()
                .table(RecoveryCodes::Table)
                .col(
                    ColumnDef::new(RecoveryCodes::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(RecoveryCodes::AccountId)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(RecoveryCodes::CodeHash).text().not_null())
                .col(
                    ColumnDef::new(RecoveryCodes::UsedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_recovery_codes_account")
                        .from(RecoveryCodes::Table, RecoveryCodes::AccountId)
                        .to(Accounts::Table, Accounts::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_recovery_codes")
                .table(RecoveryCodes::Table)
                .col(RecoveryCodes::AccountId)
                .col(RecoveryCodes::CodeHash)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LoginChallenges::Table)
                .col(
                    ColumnDef::new(LoginChallenges::TokenHash)
                        .text()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(LoginChallenges::AccountId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(LoginChallenges::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_login_challenges_account")
                        .from(LoginChallenges::Table, LoginChallenges::AccountId)
                        .to(Accounts::Table, Accounts::Id),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(LoginChallenges::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(RecoveryCodes::Table).to_owned())
            .await?;
        let db = m.get_connection();
        for column in ["totp_secret", "totp_last_step", "second_factor_required"] {
            db.execute_unprepared(&format!("ALTER TABLE accounts DROP COLUMN {column}"))
                .await?;
        }
        Ok(())
    }
}
