//! Loads the reference data shipped in `fixtures/` (compiled in): the review-item
//! catalogue and the working-day calendar. Idempotent: a row that exists is left alone.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum ReviewItems {
    Table,
    Code,
    Name,
    Category,
    Position,
}

#[derive(DeriveIden)]
enum CalendarDays {
    Table,
    Day,
    Kind,
    Name,
}

fn data_error(what: &str, problems: impl std::fmt::Debug) -> DbErr {
    DbErr::Migration(format!("the shipped {what} does not parse: {problems:?}"))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let catalogue = registry_core::fixtures::review_items()
            .map_err(|p| data_error("review-item catalogue", p))?;
        let mut insert = Query::insert()
            .into_table(ReviewItems::Table)
            .columns([
                ReviewItems::Code,
                ReviewItems::Name,
                ReviewItems::Category,
                ReviewItems::Position,
            ])
            .on_conflict(
                OnConflict::column(ReviewItems::Code)
                    .do_nothing()
                    .to_owned(),
            )
            .to_owned();
        for (position, item) in catalogue.items().iter().enumerate() {
            insert.values_panic([
                item.code().as_str().into(),
                item.name().into(),
                item.category().into(),
                (position as i32).into(),
            ]);
        }
        m.exec_stmt(insert).await?;

        let calendar =
            registry_core::fixtures::calendar().map_err(|p| data_error("calendar", p))?;
        for chunk in calendar.entries().chunks(200) {
            let mut insert = Query::insert()
                .into_table(CalendarDays::Table)
                .columns([CalendarDays::Day, CalendarDays::Kind, CalendarDays::Name])
                .on_conflict(
                    OnConflict::column(CalendarDays::Day)
                        .do_nothing()
                        .to_owned(),
                )
                .to_owned();
            for entry in chunk {
                insert.values_panic([
                    entry.date.into(),
                    entry.kind.as_str().into(),
                    entry.name.as_str().into(),
                ]);
            }
            m.exec_stmt(insert).await?;
        }
        Ok(())
    }
}
