//! The generation of the data this process sees: a counter that every write transaction
//! of the process moves on when it begins and again when it ends (committed or not), and
//! a bulk load when it is done. A copy of the data kept in memory (the public search's
//! answers, the cycles) is served only under the generation read before it was computed,
//! so this process never serves what it has itself changed since.
//!
//! Other processes' writes (another instance, a `registry import` beside the server) are
//! seen through the audit chain's head (`audit_chain.seq`), which every audited write moves
//! on in its own transaction: [`watch`] reads it every [`POLL`] and moves the generation on
//! when it changed, so that every copy in memory is fresh within about that long of
//! another process's commit.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

/// How often the audit chain's head is read for other processes' writes.
pub(crate) const POLL: Duration = Duration::from_millis(250);

/// Moves `generation` on whenever the audit chain's head changes, until the store is gone.
pub(crate) fn watch(generation: &Arc<Generation>, db: DatabaseConnection) {
    let generation: Weak<Generation> = Arc::downgrade(generation);
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let mut every = tokio::time::interval(POLL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut seen: Option<i64> = None;
        loop {
            every.tick().await;
            let Some(generation) = generation.upgrade() else {
                return;
            };
            let backend = db.get_database_backend();
            let head = db
                .query_one_raw(Statement::from_string(
                    backend,
                    "SELECT seq FROM audit_chain WHERE id = 1",
                ))
                .await
                .ok()
                .flatten()
                .and_then(|row| row.try_get::<i64>("", "seq").ok());
            if let Some(head) = head {
                if seen.is_some_and(|s| s != head) {
                    generation.changed();
                }
                seen = Some(head);
            }
        }
    });
}

/// The counter.
#[derive(Debug, Default)]
pub(crate) struct Generation(AtomicU64);

impl Generation {
    /// Something is being written, or was.
    pub(crate) fn changed(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }

    /// The generation to remember with a copy: read before its query runs.
    pub(crate) fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

/// Moves the generation on when a write transaction begins and when it ends, committed or
/// not.
pub(crate) struct Changes(Arc<Generation>);

impl Changes {
    /// A write transaction begins.
    pub(crate) fn begin(generation: Arc<Generation>) -> Changes {
        generation.changed();
        Changes(generation)
    }
}

impl Drop for Changes {
    fn drop(&mut self) {
        self.0.changed();
    }
}
