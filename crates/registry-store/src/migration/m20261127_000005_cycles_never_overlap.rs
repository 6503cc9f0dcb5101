//! Registration cycles never overlap, in the database too: the use case checks it, and
//! the database refuses what two administrators defining cycles at the same moment could
//! otherwise both write. PostgreSQL: an exclusion constraint over the cycles' date ranges.
//! SQLite (whose writers take turns, so the use case's check already sees every committed
//! cycle): triggers as the backstop. Either way the refusal says `cycles overlap`, which
//! the store turns into a retry of the use case, whose check then names the overlap.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// The text of the refusal, on both engines (PostgreSQL: the constraint's name).
pub(crate) const OVERLAP: &str = "cycles_overlap";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "ALTER TABLE cycles ADD CONSTRAINT {OVERLAP} \
                     EXCLUDE USING gist (daterange(start_date, end_date, '[]') WITH &&)"
                ))
                .await?;
            }
            _ => {
                for (event, name) in [
                    ("INSERT", "cycles_overlap_insert"),
                    ("UPDATE", "cycles_overlap_update"),
                ] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {name} BEFORE {event} ON cycles \
                         WHEN EXISTS (SELECT 1 FROM cycles c WHERE c.id IS NOT NEW.id \
                             AND c.start_date <= NEW.end_date AND NEW.start_date <= c.end_date) \
                         BEGIN SELECT RAISE(ABORT, '{OVERLAP}'); END"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(&format!("ALTER TABLE cycles DROP CONSTRAINT {OVERLAP}"))
                    .await?;
            }
            _ => {
                db.execute_unprepared("DROP TRIGGER cycles_overlap_insert")
                    .await?;
                db.execute_unprepared("DROP TRIGGER cycles_overlap_update")
                    .await?;
            }
        }
        Ok(())
    }
}
