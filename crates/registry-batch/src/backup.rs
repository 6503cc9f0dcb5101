//! Backup and restore: a consistent online copy of a SQLite register, and putting one
//! back. PostgreSQL has its own tools (`pg_dump -Fc`, `pg_restore`), documented in
//! docs/OPERATIONS.md; asked to back up PostgreSQL, these refuse and say so.

pub use registry_store::maintenance::{MaintenanceError, check_sqlite_file, restore_sqlite};

use std::path::Path;

use registry_store::Store;

/// Backs the register up into `file` (which must not exist) while it is in use, checks
/// the copy, and returns its row counts.
pub async fn backup(store: &Store, file: &Path) -> Result<Vec<(String, i64)>, MaintenanceError> {
    store.backup_into(file).await?;
    check_sqlite_file(file).await
}
