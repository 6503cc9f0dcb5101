//! One runner at a time for a batch job (issue 23): the sweep, and the imports started from
//! the command line, take a lock in the database, so that two instances' schedules, or a
//! command run beside a server, never run the same job at once.
//!
//! On PostgreSQL the lock is a transaction-level advisory lock (`pg_try_advisory_xact_lock`)
//! held by a transaction of its own on one connection: it ends with that transaction,
//! whether the job releases it, drops it, or the process dies (the server sees the
//! connection close). On SQLite it is a row of `job_locks` with a lease, renewed every
//! [`RENEW`] while the job runs; a process that dies leaves a row that expires after
//! [`LEASE`].

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseTransaction, Statement, TransactionTrait};
use time::OffsetDateTime;

use crate::error::store_error;
use crate::{Engine, Store};
use registry_core::ports::StoreError;

/// How long a SQLite lock row holds without being renewed.
pub const LEASE: Duration = Duration::from_secs(90);
/// How often a held SQLite lock is renewed.
pub const RENEW: Duration = Duration::from_secs(20);

/// A held lock of a job; released by [`JobLock::release`] or when dropped.
#[derive(Debug)]
pub struct JobLock {
    held: Held,
}

#[derive(Debug)]
enum Held {
    /// The transaction holding the advisory lock.
    Postgres(Option<DatabaseTransaction>),
    /// The row, its holder, and the task renewing its lease.
    Sqlite {
        store: Store,
        job: String,
        holder: String,
        renew: tokio::task::JoinHandle<()>,
    },
}

/// The advisory lock's key of a job: FNV-1a of its name, the same on every instance.
fn key(job: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in job.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

fn lease_end(now: OffsetDateTime) -> OffsetDateTime {
    now + LEASE
}

fn holder() -> String {
    let mut bytes = [0u8; 16];
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// Takes the lock of `job` if nobody holds it; `None` when another runner does.
    pub async fn try_lock_job(&self, job: &str) -> Result<Option<JobLock>, StoreError> {
        match self.engine() {
            Engine::Postgres => {
                let tx = self.db().begin().await.map_err(store_error)?;
                let row = tx
                    .query_one_raw(Statement::from_sql_and_values(
                        sea_orm::DatabaseBackend::Postgres,
                        "SELECT pg_try_advisory_xact_lock($1) AS taken",
                        [key(job).into()],
                    ))
                    .await
                    .map_err(store_error)?;
                let taken: bool = row
                    .map(|r| r.try_get("", "taken"))
                    .transpose()
                    .map_err(store_error)?
                    .unwrap_or(false);
                Ok(taken.then_some(JobLock {
                    held: Held::Postgres(Some(tx)),
                }))
            }
            Engine::Sqlite => {
                let now = OffsetDateTime::now_utc();
                let db = self.db();
                db.execute_raw(Statement::from_sql_and_values(
                    sea_orm::DatabaseBackend::Sqlite,
                    "DELETE FROM job_locks WHERE name = ? AND expires_at < ?",
                    [job.into(), now.into()],
                ))
                .await
                .map_err(store_error)?;
                let holder = holder();
                let inserted = db
                    .execute_raw(Statement::from_sql_and_values(
                        sea_orm::DatabaseBackend::Sqlite,
                        "INSERT INTO job_locks (name, holder, expires_at) VALUES (?, ?, ?) \
                         ON CONFLICT (name) DO NOTHING",
                        [job.into(), holder.clone().into(), lease_end(now).into()],
                    ))
                    .await
                    .map_err(store_error)?
                    .rows_affected();
                if inserted != 1 {
                    return Ok(None);
                }
                let store = self.clone();
                let (name, who) = (job.to_owned(), holder.clone());
                let renew = tokio::spawn(async move {
                    let mut every = tokio::time::interval(RENEW);
                    every.tick().await;
                    loop {
                        every.tick().await;
                        let _ = store
                            .db()
                            .execute_raw(Statement::from_sql_and_values(
                                sea_orm::DatabaseBackend::Sqlite,
                                "UPDATE job_locks SET expires_at = ? WHERE name = ? AND holder = ?",
                                [
                                    lease_end(OffsetDateTime::now_utc()).into(),
                                    name.clone().into(),
                                    who.clone().into(),
                                ],
                            ))
                            .await;
                    }
                });
                Ok(Some(JobLock {
                    held: Held::Sqlite {
                        store: self.clone(),
                        job: job.to_owned(),
                        holder,
                        renew,
                    },
                }))
            }
        }
    }

    /// Takes the lock of `job`, waiting for the runner that holds it (checking every
    /// `every`) for at most `patience`; `None` when it was not freed by then.
    pub async fn lock_job(
        &self,
        job: &str,
        every: Duration,
        patience: Duration,
    ) -> Result<Option<JobLock>, StoreError> {
        let until = tokio::time::Instant::now() + patience;
        loop {
            if let Some(lock) = self.try_lock_job(job).await? {
                return Ok(Some(lock));
            }
            if tokio::time::Instant::now() >= until {
                return Ok(None);
            }
            tokio::time::sleep(every).await;
        }
    }
}

impl JobLock {
    /// Releases the lock now.
    pub async fn release(mut self) -> Result<(), StoreError> {
        match &mut self.held {
            Held::Postgres(tx) => {
                if let Some(tx) = tx.take() {
                    tx.rollback().await.map_err(store_error)?;
                }
                Ok(())
            }
            Held::Sqlite {
                store,
                job,
                holder,
                renew,
            } => {
                renew.abort();
                store
                    .db()
                    .execute_raw(Statement::from_sql_and_values(
                        sea_orm::DatabaseBackend::Sqlite,
                        "DELETE FROM job_locks WHERE name = ? AND holder = ?",
                        [job.clone().into(), holder.clone().into()],
                    ))
                    .await
                    .map_err(store_error)?;
                *job = String::new();
                Ok(())
            }
        }
    }
}

impl Drop for JobLock {
    fn drop(&mut self) {
        // PostgreSQL: dropping the transaction rolls it back, which ends the lock.
        if let Held::Sqlite {
            store,
            job,
            holder,
            renew,
        } = &mut self.held
        {
            renew.abort();
            if job.is_empty() {
                return;
            }
            // Released as soon as the runtime can; else the lease ends it.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                let (store, job, holder) = (store.clone(), job.clone(), holder.clone());
                runtime.spawn(async move {
                    let _ = store
                        .db()
                        .execute_raw(Statement::from_sql_and_values(
                            sea_orm::DatabaseBackend::Sqlite,
                            "DELETE FROM job_locks WHERE name = ? AND holder = ?",
                            [job.into(), holder.into()],
                        ))
                        .await;
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::key;

    #[test]
    fn a_jobs_key_is_stable_and_tells_jobs_apart() {
        assert_eq!(key("sweep"), key("sweep"));
        assert_ne!(key("sweep"), key("import"));
    }
}
