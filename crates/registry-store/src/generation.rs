//! The generation of the data this process sees: a counter that every write transaction
//! of the process moves on when it begins and again when it ends (committed or not), and
//! a bulk load when it is done. A copy of the data kept in memory (the public search's
//! answers, the cycles) is served only under the generation read before it was computed,
//! so this process never serves what it has itself changed since.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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
