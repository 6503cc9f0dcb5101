//! The password policy of GB/T 22239 (issue 22): the day each account's password was set
//! (today for every account there is) and the passwords it no longer uses, so that a new
//! one can be checked against the latest. An instance of the older code inserting an
//! account leaves the day empty (the password then never expires until it is changed), so
//! this migration needs no stop.

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
enum PasswordHistory {
    Table,
    Id,
    AccountId,
    PasswordHash,
    ReplacedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let date = match m.get_database_backend() {
            sea_orm::DbBackend::Postgres => "DATE",
            _ => "TEXT",
        };
        let db = m.get_connection();
        db.execute_unprepared(&format!(
            "ALTER TABLE accounts ADD COLUMN password_changed_on {date} NULL"
        ))
        .await?;
        db.execute_unprepared("UPDATE accounts SET password_changed_on = CURRENT_DATE")
            .await?;
        m.create_table(
            Table::create()
                .table(PasswordHistory::Table)
                .col(
                    ColumnDef::new(PasswordHistory::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(PasswordHistory::AccountId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PasswordHistory::PasswordHash)
                        .text()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PasswordHistory::ReplacedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_password_history_account")
                        .from(PasswordHistory::Table, PasswordHistory::AccountId)
                        .to(Accounts::Table, Accounts::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_password_history_account")
                .table(PasswordHistory::Table)
                .col(PasswordHistory::AccountId)
                .col(PasswordHistory::Id)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(PasswordHistory::Table).to_owned())
            .await?;
        m.get_connection()
            .execute_unprepared("ALTER TABLE accounts DROP COLUMN password_changed_on")
            .await?;
        Ok(())
    }
}
