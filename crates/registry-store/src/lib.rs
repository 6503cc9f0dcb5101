//! Storage of the assessor register: the core's ports on sea-orm, over an embedded SQLite
//! file (the default) or PostgreSQL (several server instances over one database).
//!
//! - [`Store::connect`] opens the database (SQLite: WAL, foreign keys, a busy timeout; the
//!   directory is created if missing) and [`Store::migrate`] applies the migrations, which
//!   also load the review-item catalogue and the working-day calendar from `fixtures/`.
//! - [`Store`] implements [`registry_core::ports::Register`]: every use case of the core
//!   runs in one database transaction (on SQLite `BEGIN IMMEDIATE`, so writers queue
//!   instead of failing).
//! - [`queries`] holds the reads behind the pages: the self-service search, the public
//!   search, the pool, an institution's people, a person's history.
//! - The database enforces what must never break: unique ID numbers (by keyed hash),
//!   unique registration numbers, one active holding per (person, item), foreign keys,
//!   and versions against lost updates.
//!
//! No sea-orm type leaves this crate: rows are converted to the core's types.

use std::sync::Arc;
use std::time::Duration;

use registry_core::calendar::{CalendarEntry, DayKind, WorkCalendar};
use registry_core::ports::{Register, StoreError};
use registry_core::review_item::{ReviewItem, ReviewItemCatalogue, ReviewItemCode};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, EntityTrait, QueryOrder,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

pub mod audit_chain;
pub mod batch;
pub mod bulk;
mod convert;
pub mod documents;
mod entity;
mod error;
mod generation;
pub mod job_lock;

pub mod keys;
pub mod maintenance;
mod migration;
pub mod name_order;
pub mod outbox;
pub mod queries;
pub mod reminder_facts;
pub mod second_factor;
pub mod sessions;
mod sql;
pub mod tokens;
mod tx;
pub mod url;

pub use keys::DataKey;
pub use tx::StoreTx;
pub use url::{DatabaseUrl, Engine};

use crate::error::store_error;

/// Why the database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The directory of the SQLite file could not be created.
    #[error("cannot create the directory {path}: {source}")]
    Directory {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The database refused the connection or does not answer.
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// The URL, without its password.
        url: String,
        /// Why.
        reason: String,
    },
    /// A migration failed; nothing of it was applied.
    #[error("migration failed: {0}")]
    Migrate(String),
}

/// Connection settings beyond the URL.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The most connections in the pool. 8 by default: more do not answer faster on the
    /// small machines this runs on, and each SQLite connection keeps its own page cache
    /// (up to 2 MiB), which the load bench saw as 30 MiB more server memory at 16.
    pub max_connections: u32,
    /// How long a SQLite writer waits for another to finish.
    pub busy_timeout: Duration,
    /// How long to wait for a connection from the pool. While the database is down the
    /// pool keeps trying to connect for this long, so it is also how long a request takes
    /// to answer 503 then: short, so that users and load balancers learn it quickly.
    pub acquire_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_connections: 8,
            busy_timeout: Duration::from_secs(10),
            acquire_timeout: Duration::from_secs(2),
        }
    }
}

/// The register's database.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    key: Arc<DataKey>,
    engine: Engine,
    /// On SQLite, writers of this process queue here (first come, first served) rather
    /// than in SQLite's busy handler, which polls with sleeps. Other processes are still
    /// kept out by `BEGIN IMMEDIATE` and the busy timeout.
    writers: Arc<tokio::sync::Mutex<()>>,
    /// The generation of the data this process sees (see `generation`).
    generation: Arc<generation::Generation>,
    /// The public search's answers, with the generation they came from.
    public: Arc<queries::cache::PublicCache>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("engine", &self.engine)
            .finish()
    }
}

impl Store {
    /// Opens the database at `url` with default settings.
    pub async fn connect(url: &DatabaseUrl, key: DataKey) -> Result<Store, SetupError> {
        Self::connect_with(url, key, &Settings::default()).await
    }

    /// Opens the database at `url`.
    pub async fn connect_with(
        url: &DatabaseUrl,
        key: DataKey,
        settings: &Settings,
    ) -> Result<Store, SetupError> {
        let generation = Arc::new(generation::Generation::default());
        let db = connection(url, settings).await?;
        generation::watch(&generation, db.clone());
        Ok(Store {
            db,
            key: Arc::new(key),
            engine: url.engine(),
            writers: Arc::new(tokio::sync::Mutex::new(())),
            generation: Arc::clone(&generation),
            public: Arc::new(queries::cache::PublicCache::new(generation)),
        })
    }

    /// Applies every pending migration (each in a transaction). Running it again changes
    /// nothing.
    pub async fn migrate(&self) -> Result<(), SetupError> {
        migration::Migrator::up(&self.db, None)
            .await
            .map_err(|e| SetupError::Migrate(e.to_string()))
    }

    /// The names of the migrations not applied yet (empty: the database is up to date).
    /// Reads only (not even the migrations' own table is created): for a job that must
    /// write nothing, such as a dry run.
    pub async fn pending_migrations(&self) -> Result<Vec<String>, SetupError> {
        Ok(
            migration::Migrator::get_pending_migrations_read_only(&self.db)
                .await
                .map_err(|e| SetupError::Migrate(e.to_string()))?
                .iter()
                .map(|m| m.name().to_owned())
                .collect(),
        )
    }

    /// The public search's cache.
    pub(crate) fn public_cache(&self) -> &queries::cache::PublicCache {
        &self.public
    }

    /// The generation of the data this process sees: it moves on with every write
    /// transaction of this process (when it begins and when it ends) and every bulk load.
    /// A copy of the data kept in memory is current while the generation is unchanged.
    pub fn generation(&self) -> u64 {
        self.generation.current()
    }

    /// The engine.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db
            .execute_unprepared("SELECT 1")
            .await
            .map(|_| ())
            .map_err(store_error)
    }

    /// The review-item catalogue as stored.
    pub async fn catalogue(&self) -> Result<ReviewItemCatalogue, StoreError> {
        let rows = entity::review_items::Entity::find()
            .order_by_asc(entity::review_items::Column::Position)
            .all(&self.db)
            .await
            .map_err(store_error)?;
        let items = rows
            .into_iter()
            .map(|row| {
                let code = ReviewItemCode::parse(&row.code)
                    .map_err(|e| StoreError::Unexpected(e.to_string()))?;
                ReviewItem::new(code, &row.name, &row.category)
                    .map_err(|e| StoreError::Unexpected(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        ReviewItemCatalogue::new(items).map_err(|e| StoreError::Unexpected(e.to_string()))
    }

    /// The working-day calendar as stored.
    pub async fn calendar(&self) -> Result<WorkCalendar, StoreError> {
        let rows = entity::calendar_days::Entity::find()
            .all(&self.db)
            .await
            .map_err(store_error)?;
        let entries = rows
            .into_iter()
            .map(calendar_entry)
            .collect::<Result<Vec<_>, StoreError>>()?;
        WorkCalendar::from_entries(entries)
            .map_err(|p| StoreError::Unexpected(format!("stored calendar: {p:?}")))
    }

    /// The version of the working-day calendar: the place in the audit chain of its last
    /// load (`calendar.load`, found by the audit log's entity index), 0 for none. It moves
    /// on exactly when some process loads a year.
    pub async fn calendar_version(&self) -> Result<i64, StoreError> {
        let rows = self
            .rows(
                "SELECT MAX(chain_seq) AS version FROM audit_log WHERE entity = 'calendar'",
                vec![],
            )
            .await?;
        Ok(rows
            .first()
            .and_then(|r| r.try_get::<Option<i64>>("", "version").ok())
            .flatten()
            .unwrap_or(0))
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub(crate) fn key(&self) -> &DataKey {
        &self.key
    }
}

/// Opens a connection pool: SQLite with WAL, foreign keys and a busy timeout (the file and
/// its directory are created if missing), or PostgreSQL.
async fn connection(
    url: &DatabaseUrl,
    settings: &Settings,
) -> Result<DatabaseConnection, SetupError> {
    if let Some(file) = url.sqlite_file()
        && let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|source| SetupError::Directory {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let mut options = ConnectOptions::new(url.expose());
    options
        .max_connections(settings.max_connections)
        .min_connections(1)
        .acquire_timeout(settings.acquire_timeout)
        .sqlx_logging(false);
    let busy = settings.busy_timeout;
    options.map_sqlx_sqlite_opts(move |o| {
        o.create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(busy)
    });
    let db = Database::connect(options)
        .await
        .map_err(|e| SetupError::Connect {
            url: url.to_string(),
            reason: redacted_reason(&e.to_string(), url),
        })?;
    Ok(db)
}

/// Applies every pending migration to the database at `url` and names the ones applied.
/// Needs no data key: migrations never touch an ID number.
pub async fn migrate(url: &DatabaseUrl) -> Result<Vec<String>, SetupError> {
    let db = connection(url, &Settings::default()).await?;
    let pending: Vec<String> = migration::Migrator::get_pending_migrations(&db)
        .await
        .map_err(|e| SetupError::Migrate(e.to_string()))?
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    migration::Migrator::up(&db, None)
        .await
        .map_err(|e| SetupError::Migrate(e.to_string()))?;
    db.close()
        .await
        .map_err(|e| SetupError::Migrate(e.to_string()))?;
    Ok(pending)
}

/// Drops a URL's password from a driver's message, should the driver ever repeat it.
fn redacted_reason(reason: &str, url: &DatabaseUrl) -> String {
    let exposed = url.expose();
    let password = exposed
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .map(|(_, password)| password)
        .filter(|p| !p.is_empty());
    match password {
        Some(p) => reason.replace(p, "***"),
        None => reason.to_owned(),
    }
}

impl Store {
    /// A transaction for reading only: it never waits for writers (on SQLite it reads a
    /// snapshot of the WAL). Use cases take [`Register::begin`]; pages that only read take
    /// this.
    pub async fn begin_read(&self) -> Result<StoreTx, StoreError> {
        let tx = self.db.begin().await.map_err(store_error)?;
        Ok(StoreTx {
            tx,
            key: Arc::clone(&self.key),
            engine: self.engine,
            _writer: None,
            _changes: None,
        })
    }
}

impl Register for Store {
    type Tx = StoreTx;

    async fn begin(&self) -> Result<StoreTx, StoreError> {
        let writer = match self.engine {
            Engine::Sqlite => Some(Arc::clone(&self.writers).lock_owned().await),
            Engine::Postgres => None,
        };
        let options = TransactionOptions {
            isolation_level: None,
            access_mode: None,
            sqlite_transaction_mode: (self.engine == Engine::Sqlite)
                .then_some(SqliteTransactionMode::Immediate),
        };
        let changes = generation::Changes::begin(Arc::clone(&self.generation));
        let tx = self
            .db
            .begin_with_options(options)
            .await
            .map_err(store_error)?;
        Ok(StoreTx {
            tx,
            key: Arc::clone(&self.key),
            engine: self.engine,
            _writer: writer,
            _changes: Some(changes),
        })
    }
}

/// A stored calendar day as the core's entry.
pub(crate) fn calendar_entry(
    row: entity::calendar_days::Model,
) -> Result<CalendarEntry, StoreError> {
    Ok(CalendarEntry {
        date: row.day,
        kind: DayKind::parse(&row.kind)
            .ok_or_else(|| StoreError::Unexpected(format!("unknown calendar kind {}", row.kind)))?,
        name: row.name,
    })
}
