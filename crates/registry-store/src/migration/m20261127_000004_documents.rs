//! Certificates and cards: every edition with its verification keys, the items it lists,
//! and the log of verifications.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Documents {
    Table,
    Id,
    Kind,
    PersonId,
    InstitutionId,
    Token,
    Code,
    CreatedOn,
    PassList,
    ValidUntil,
    ReplacesId,
    MailedOn,
    Tracking,
    VoidedOn,
    VoidReason,
    Version,
}

#[derive(DeriveIden)]
enum DocumentItems {
    Table,
    DocumentId,
    ItemCode,
    Position,
}

#[derive(DeriveIden)]
enum Verifications {
    Table,
    Id,
    At,
    DocumentId,
    Lookup,
    Outcome,
    Client,
}

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
enum ReviewItems {
    Table,
    Code,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Documents::Table)
                .col(
                    ColumnDef::new(Documents::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(Documents::Kind)
                        .string_len(12)
                        .not_null()
                        .check(Expr::col(Documents::Kind).is_in(["certificate", "card"])),
                )
                .col(ColumnDef::new(Documents::PersonId).big_integer().not_null())
                .col(
                    ColumnDef::new(Documents::InstitutionId)
                        .big_integer()
                        .null(),
                )
                // The verification keys: unique, so one key never leads to two editions.
                .col(
                    ColumnDef::new(Documents::Token)
                        .string_len(26)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(Documents::Code)
                        .string_len(10)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Documents::CreatedOn).date().not_null())
                .col(ColumnDef::new(Documents::PassList).date().null())
                .col(ColumnDef::new(Documents::ValidUntil).date().null())
                .col(ColumnDef::new(Documents::ReplacesId).big_integer().null())
                .col(ColumnDef::new(Documents::MailedOn).date().null())
                .col(ColumnDef::new(Documents::Tracking).string_len(40).null())
                .col(ColumnDef::new(Documents::VoidedOn).date().null())
                .col(
                    ColumnDef::new(Documents::VoidReason)
                        .string_len(12)
                        .null()
                        .check(Expr::col(Documents::VoidReason).is_in([
                            "superseded",
                            "lost",
                            "withdrawn",
                        ])),
                )
                .col(ColumnDef::new(Documents::Version).big_integer().not_null())
                // A card names its institution; a certificate does not.
                .check(
                    Expr::col(Documents::Kind)
                        .eq("card")
                        .and(Expr::col(Documents::InstitutionId).is_not_null())
                        .or(Expr::col(Documents::Kind)
                            .eq("certificate")
                            .and(Expr::col(Documents::InstitutionId).is_null())),
                )
                // Mailed means a date and a tracking number; void means a date and a reason.
                .check(
                    Expr::col(Documents::MailedOn)
                        .is_null()
                        .and(Expr::col(Documents::Tracking).is_null())
                        .or(Expr::col(Documents::MailedOn)
                            .is_not_null()
                            .and(Expr::col(Documents::Tracking).is_not_null())),
                )
                .check(
                    Expr::col(Documents::VoidedOn)
                        .is_null()
                        .and(Expr::col(Documents::VoidReason).is_null())
                        .or(Expr::col(Documents::VoidedOn)
                            .is_not_null()
                            .and(Expr::col(Documents::VoidReason).is_not_null())),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_documents_person")
                        .from(Documents::Table, Documents::PersonId)
                        .to(People::Table, People::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_documents_institution")
                        .from(Documents::Table, Documents::InstitutionId)
                        .to(Institutions::Table, Institutions::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_documents_replaces")
                        .from(Documents::Table, Documents::ReplacesId)
                        .to(Documents::Table, Documents::Id),
                )
                .take(),
        )
        .await?;
        // At most one edition of a series waits to be issued: two concurrent changes
        // cannot both leave a pending edition behind. Works on SQLite and PostgreSQL.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_documents_one_pending \
                 ON documents (kind, person_id, COALESCE(institution_id, 0)) \
                 WHERE mailed_on IS NULL AND voided_on IS NULL",
            )
            .await?;
        m.get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_documents_pending ON documents (kind, institution_id) \
                 WHERE mailed_on IS NULL AND voided_on IS NULL",
            )
            .await?;
        m.create_index(
            Index::create()
                .name("ix_documents_person")
                .table(Documents::Table)
                .col(Documents::PersonId)
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_documents_pass_list")
                .table(Documents::Table)
                .col(Documents::PassList)
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(DocumentItems::Table)
                .col(
                    ColumnDef::new(DocumentItems::DocumentId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(DocumentItems::ItemCode)
                        .string_len(16)
                        .not_null(),
                )
                .col(ColumnDef::new(DocumentItems::Position).integer().not_null())
                .primary_key(
                    Index::create()
                        .col(DocumentItems::DocumentId)
                        .col(DocumentItems::ItemCode),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_document_items_document")
                        .from(DocumentItems::Table, DocumentItems::DocumentId)
                        .to(Documents::Table, Documents::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_document_items_item")
                        .from(DocumentItems::Table, DocumentItems::ItemCode)
                        .to(ReviewItems::Table, ReviewItems::Code),
                )
                .take(),
        )
        .await?;

        // Each look-up on the public verification page, found or not.
        m.create_table(
            Table::create()
                .table(Verifications::Table)
                .col(
                    ColumnDef::new(Verifications::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(Verifications::At)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Verifications::DocumentId)
                        .big_integer()
                        .null(),
                )
                .col(
                    ColumnDef::new(Verifications::Lookup)
                        .string_len(8)
                        .not_null()
                        .check(Expr::col(Verifications::Lookup).is_in(["token", "code"])),
                )
                .col(
                    ColumnDef::new(Verifications::Outcome)
                        .string_len(24)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Verifications::Client)
                        .string_len(64)
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_verifications_document")
                        .from(Verifications::Table, Verifications::DocumentId)
                        .to(Documents::Table, Documents::Id),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_verifications_document")
                .table(Verifications::Table)
                .col(Verifications::DocumentId)
                .take(),
        )
        .await?;
        Ok(())
    }
}
