//! Database failures turned into the core's `StoreError`. Database text never leaves this
//! crate except inside `StoreError::Unexpected`, which edges log and never show.

use registry_core::ports::StoreError;
use sea_orm::{DbErr, RuntimeErr};

use crate::migration::m20261127_000005_cycles_never_overlap::OVERLAP;

/// What kind of failure a database error is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// A unique constraint refused the write; the text names the constraint or columns.
    Unique(String),
    /// A foreign key refused the write.
    ForeignKey,
    /// A transient failure: busy, locked, a serialization failure or a deadlock.
    Busy,
    /// The database does not answer.
    Unavailable,
    /// Anything else.
    Other,
}

fn sqlx_error(e: &DbErr) -> Option<&sea_orm::sqlx::Error> {
    match e {
        DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))
        | DbErr::Conn(RuntimeErr::SqlxError(e)) => Some(e),
        _ => None,
    }
}

/// Classifies a database error.
pub(crate) fn classify(e: &DbErr) -> Failure {
    use sea_orm::sqlx::Error as E;
    use sea_orm::sqlx::error::ErrorKind;
    if matches!(e, DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) {
        return Failure::Unavailable;
    }
    match sqlx_error(e) {
        // Two registration cycles defined at once that overlap: the other one won. Run
        // the use case again: its check then sees that cycle and names the overlap.
        Some(E::Database(db))
            if db.constraint() == Some(OVERLAP) || db.message().contains(OVERLAP) =>
        {
            Failure::Busy
        }
        Some(E::Database(db)) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            match db.kind() {
                ErrorKind::UniqueViolation => Failure::Unique(
                    db.constraint()
                        .map_or_else(|| db.message().to_owned(), str::to_owned),
                ),
                ErrorKind::ForeignKeyViolation => Failure::ForeignKey,
                _ => match code.as_str() {
                    // SQLite: BUSY, BUSY_RECOVERY, BUSY_SNAPSHOT, BUSY_TIMEOUT, LOCKED,
                    // LOCKED_SHAREDCACHE. PostgreSQL: serialization failure, deadlock.
                    "5" | "261" | "517" | "773" | "6" | "262" | "40001" | "40P01" => Failure::Busy,
                    // PostgreSQL: connection exceptions and shutdowns.
                    c if c.starts_with("08") || c.starts_with("57P") => Failure::Unavailable,
                    _ => Failure::Other,
                },
            }
        }
        Some(E::Io(_) | E::PoolTimedOut | E::PoolClosed | E::Tls(_) | E::WorkerCrashed) => {
            Failure::Unavailable
        }
        _ => Failure::Other,
    }
}

/// The generic mapping: busy → retry, unreachable → unavailable, anything else →
/// unexpected (with the text, for the log). Unique and foreign-key failures that a
/// method expects are mapped by that method before calling this.
pub(crate) fn store_error(e: DbErr) -> StoreError {
    match classify(&e) {
        Failure::Busy => StoreError::Retry,
        Failure::Unavailable => StoreError::Unavailable,
        Failure::Unique(_) | Failure::ForeignKey | Failure::Other => {
            StoreError::Unexpected(e.to_string())
        }
    }
}
