//! Reminders: the institutions' contact e-mail; the day an employment's fill-in password
//! was set and the day a holding entered its state (both from their first day until
//! changed); the reminder numbers of each cycle's policy (the defaults); each recipient's
//! settings; the outbox, one row per reminder kept once under (subject, milestone,
//! recipient, channel), and the digests that carry them, one per recipient, channel and
//! day. New columns with defaults and new tables: no stop needed.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Institutions {
    Table,
    Email,
}

#[derive(DeriveIden)]
enum Employments {
    Table,
    PasswordSetOn,
}

#[derive(DeriveIden)]
enum Holdings {
    Table,
    StateSince,
}

#[derive(DeriveIden)]
enum Cycles {
    Table,
    ReminderEndingDays,
    ReminderHoursShortMonths,
    ReminderFillInWorkingDays,
    ReminderAwaitingWorkingDays,
    ReminderDocumentDueWorkingDays,
}

#[derive(DeriveIden)]
enum ReminderSettings {
    Table,
    Recipient,
    Off,
}

#[derive(DeriveIden)]
enum Digests {
    Table,
    Id,
    Recipient,
    Channel,
    Address,
    Day,
    State,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastError,
    SentAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Subject,
    Milestone,
    Recipient,
    Channel,
    Address,
    Who,
    Item,
    Date,
    Note,
    QueuedOn,
    QueuedAt,
    State,
    DigestId,
}

async fn add(m: &SchemaManager<'_>, table: impl IntoIden, column: ColumnDef) -> Result<(), DbErr> {
    let mut column = column;
    m.alter_table(
        Table::alter()
            .table(table)
            .add_column(&mut column)
            .to_owned(),
    )
    .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add(
            m,
            Institutions::Table,
            ColumnDef::new(Institutions::Email)
                .string_len(100)
                .null()
                .to_owned(),
        )
        .await?;
        add(
            m,
            Employments::Table,
            ColumnDef::new(Employments::PasswordSetOn)
                .date()
                .null()
                .to_owned(),
        )
        .await?;
        add(
            m,
            Holdings::Table,
            ColumnDef::new(Holdings::StateSince)
                .date()
                .null()
                .to_owned(),
        )
        .await?;
        add(
            m,
            Cycles::Table,
            ColumnDef::new(Cycles::ReminderEndingDays)
                .string_len(40)
                .not_null()
                .default("60,30,7")
                .to_owned(),
        )
        .await?;
        for (column, default) in [
            (Cycles::ReminderHoursShortMonths, 6),
            (Cycles::ReminderFillInWorkingDays, 10),
            (Cycles::ReminderAwaitingWorkingDays, 5),
            (Cycles::ReminderDocumentDueWorkingDays, 3),
        ] {
            add(
                m,
                Cycles::Table,
                ColumnDef::new(column)
                    .integer()
                    .not_null()
                    .default(default)
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table(ReminderSettings::Table)
                .col(
                    ColumnDef::new(ReminderSettings::Recipient)
                        .string_len(40)
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(ReminderSettings::Off)
                        .string_len(400)
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Digests::Table)
                .col(
                    ColumnDef::new(Digests::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Digests::Recipient).string_len(40).not_null())
                .col(ColumnDef::new(Digests::Channel).string_len(8).not_null())
                .col(ColumnDef::new(Digests::Address).string_len(100).not_null())
                .col(ColumnDef::new(Digests::Day).date().not_null())
                .col(ColumnDef::new(Digests::State).string_len(12).not_null())
                .col(ColumnDef::new(Digests::Attempts).integer().not_null())
                .col(
                    ColumnDef::new(Digests::NextAttemptAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Digests::LeaseUntil)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(ColumnDef::new(Digests::LastError).string_len(1000).null())
                .col(
                    ColumnDef::new(Digests::SentAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(
                    ColumnDef::new(Digests::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_digests_recipient_channel_day")
                .table(Digests::Table)
                .col(Digests::Recipient)
                .col(Digests::Channel)
                .col(Digests::Day)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_digests_state_next_attempt")
                .table(Digests::Table)
                .col(Digests::State)
                .col(Digests::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Outbox::Table)
                .col(
                    ColumnDef::new(Outbox::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Outbox::Subject).string_len(80).not_null())
                .col(ColumnDef::new(Outbox::Milestone).string_len(40).not_null())
                .col(ColumnDef::new(Outbox::Recipient).string_len(40).not_null())
                .col(ColumnDef::new(Outbox::Channel).string_len(8).not_null())
                .col(ColumnDef::new(Outbox::Address).string_len(100).not_null())
                .col(ColumnDef::new(Outbox::Who).string_len(200).not_null())
                .col(ColumnDef::new(Outbox::Item).string_len(400).not_null())
                .col(ColumnDef::new(Outbox::Date).date().null())
                .col(ColumnDef::new(Outbox::Note).string_len(2000).not_null())
                .col(ColumnDef::new(Outbox::QueuedOn).date().not_null())
                .col(
                    ColumnDef::new(Outbox::QueuedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(Outbox::State).string_len(12).not_null())
                .col(ColumnDef::new(Outbox::DigestId).big_integer().null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_outbox_digest")
                        .from(Outbox::Table, Outbox::DigestId)
                        .to(Digests::Table, Digests::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_outbox_key")
                .table(Outbox::Table)
                .col(Outbox::Subject)
                .col(Outbox::Milestone)
                .col(Outbox::Recipient)
                .col(Outbox::Channel)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_outbox_state_recipient")
                .table(Outbox::Table)
                .col(Outbox::State)
                .col(Outbox::Recipient)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_outbox_digest")
                .table(Outbox::Table)
                .col(Outbox::DigestId)
                .to_owned(),
        )
        .await
    }
}
