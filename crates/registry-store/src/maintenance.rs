//! Backup and restore of a SQLite register, and the row counts that show what a database
//! holds. PostgreSQL is backed up with its own tools (`pg_dump`, `pg_restore`; see
//! docs/OPERATIONS.md).

use std::path::Path;

use registry_core::ports::StoreError;
use sea_orm::{ConnectionTrait, Statement};

use crate::error::store_error;
use crate::queries::get;
use crate::url::{DatabaseUrl, Engine};
use crate::{Settings, Store, connection};

/// Why a backup or restore was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum MaintenanceError {
    /// The operation is for SQLite only.
    #[error(
        "this database is PostgreSQL: back it up with pg_dump -Fc and restore it with pg_restore (see docs/OPERATIONS.md)"
    )]
    Postgres,
    /// An in-memory database has no file.
    #[error("an in-memory database cannot be backed up or restored")]
    Memory,
    /// The target exists already.
    #[error("{0} exists already; choose a new file name")]
    Exists(String),
    /// The file is not a sound register.
    #[error("{path} is not a sound register backup: {reason}")]
    Unsound {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Reading or writing files failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The database failed.
    #[error("database error: {0}")]
    Store(String),
}

impl MaintenanceError {
    fn with_path(self, path: &Path) -> MaintenanceError {
        match self {
            MaintenanceError::Unsound { reason, .. } => MaintenanceError::Unsound {
                path: path.display().to_string(),
                reason,
            },
            other => other,
        }
    }
}

impl From<StoreError> for MaintenanceError {
    fn from(e: StoreError) -> Self {
        MaintenanceError::Store(format!("{e:?}"))
    }
}

impl Store {
    /// The number of rows of every table of the register (migrations' own table excluded),
    /// by table name.
    pub async fn table_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        table_counts(self.db(), self.engine).await
    }

    /// Writes a consistent copy of the SQLite database to `file` while it is in use
    /// (`VACUUM INTO`: one read transaction, so concurrent writers neither block it nor
    /// appear half in it). `file` must not exist.
    pub async fn backup_into(&self, file: &Path) -> Result<(), MaintenanceError> {
        if self.engine == Engine::Postgres {
            return Err(MaintenanceError::Postgres);
        }
        if file.exists() {
            return Err(MaintenanceError::Exists(file.display().to_string()));
        }
        let target = file.to_str().ok_or_else(|| MaintenanceError::Unsound {
            path: file.display().to_string(),
            reason: "the path is not UTF-8".into(),
        })?;
        self.db()
            .execute_raw(Statement::from_sql_and_values(
                sea_orm::DatabaseBackend::Sqlite,
                "VACUUM INTO ?",
                [target.into()],
            ))
            .await
            .map_err(|e| MaintenanceError::Store(e.to_string()))?;
        Ok(())
    }
}

async fn table_counts(
    db: &impl ConnectionTrait,
    engine: Engine,
) -> Result<Vec<(String, i64)>, StoreError> {
    let (backend, list) = match engine {
        Engine::Sqlite => (
            sea_orm::DatabaseBackend::Sqlite,
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations' ORDER BY name",
        ),
        Engine::Postgres => (
            sea_orm::DatabaseBackend::Postgres,
            "SELECT table_name AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
             AND table_name <> 'seaql_migrations' ORDER BY table_name",
        ),
    };
    let names: Vec<String> = db
        .query_all_raw(Statement::from_string(backend, list))
        .await
        .map_err(store_error)?
        .iter()
        .map(|r| get::<String>(r, "name"))
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let row = db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) AS n FROM \"{name}\""),
            ))
            .await
            .map_err(store_error)?
            .ok_or_else(|| StoreError::Unexpected("COUNT returned nothing".into()))?;
        out.push((name, get::<i64>(&row, "n")?));
    }
    Ok(out)
}

/// Checks that `file` is a sound SQLite register (opened for writing: SQLite may switch
/// it to write-ahead logging) (`PRAGMA integrity_check`, foreign keys,
/// the register's migrations applied) and returns its row counts.
pub async fn check_sqlite_file(file: &Path) -> Result<Vec<(String, i64)>, MaintenanceError> {
    let unsound = |reason: String| MaintenanceError::Unsound {
        path: file.display().to_string(),
        reason,
    };
    if !file.is_file() {
        return Err(unsound("no such file".into()));
    }
    let url = DatabaseUrl::parse(&format!("sqlite://{}?mode=rw", file.display()))
        .map_err(|e| unsound(e.to_string()))?;
    let db = connection(&url, &Settings::default())
        .await
        .map_err(|e| unsound(e.to_string()))?;
    let outcome = async {
        let backend = sea_orm::DatabaseBackend::Sqlite;
        let integrity = db
            .query_one_raw(Statement::from_string(backend, "PRAGMA integrity_check"))
            .await
            .map_err(|e| unsound(e.to_string()))?
            .map(|r| r.try_get_by_index::<String>(0).unwrap_or_default())
            .unwrap_or_default();
        if integrity != "ok" {
            return Err(unsound(format!("integrity_check: {integrity}")));
        }
        let dangling = db
            .query_all_raw(Statement::from_string(backend, "PRAGMA foreign_key_check"))
            .await
            .map_err(|e| unsound(e.to_string()))?;
        if !dangling.is_empty() {
            return Err(unsound(format!("{} dangling references", dangling.len())));
        }
        let migrated = db
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT COUNT(*) AS n FROM seaql_migrations",
            ))
            .await
            .map_err(|_| unsound("not a register (no migrations table)".into()))?
            .map(|r| get::<i64>(&r, "n").unwrap_or(0))
            .unwrap_or(0);
        if migrated == 0 {
            return Err(unsound("not a register (no migrations applied)".into()));
        }
        Ok(table_counts(&db, Engine::Sqlite).await?)
    }
    .await;
    db.close().await.ok();
    outcome
}

/// Replaces the SQLite database at `target` with the backup `backup`, after checking the
/// backup. The server must be stopped: the target's write-ahead log and shared-memory
/// files are removed, and the backup is copied beside the target and renamed over it, so
/// the target is either the old database or the whole backup, never a mix.
pub async fn restore_sqlite(
    backup: &Path,
    target: &DatabaseUrl,
) -> Result<Vec<(String, i64)>, MaintenanceError> {
    if target.engine() == Engine::Postgres {
        return Err(MaintenanceError::Postgres);
    }
    let target = target.sqlite_file().ok_or(MaintenanceError::Memory)?;
    if !backup.is_file() {
        return Err(MaintenanceError::Unsound {
            path: backup.display().to_string(),
            reason: "no such file".into(),
        });
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "registry.sqlite3".into());
    let staging = target.with_file_name(format!(".{name}.restoring"));
    let remove = |path: &Path| match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    };
    let sides = |file: &Path| {
        ["-wal", "-shm"].map(|suffix| {
            let mut name = file.as_os_str().to_owned();
            name.push(suffix);
            std::path::PathBuf::from(name)
        })
    };
    std::fs::copy(backup, &staging)?;
    let counts = match check_sqlite_file(&staging).await {
        Ok(counts) => counts,
        Err(e) => {
            remove(&staging)?;
            for side in sides(&staging) {
                remove(&side)?;
            }
            return Err(e.with_path(backup));
        }
    };
    for side in sides(&staging) {
        remove(&side)?;
    }
    std::fs::File::open(&staging)?.sync_all()?;
    for side in sides(&target) {
        remove(&side)?;
    }
    std::fs::rename(&staging, &target)?;
    Ok(counts)
}
