//! The public search's per-visitor limit: [`SEARCHES_PER_MINUTE`] searches a minute from
//! one client address, counted in memory and written to the database's shared counters
//! at most once a second per visitor.
//!
//! Why not a database write per search, as the login and fill-in password limits do: those
//! guard secrets and must be exact across instances, and each try is already slow (a
//! password hash); a search is cheap, and one write per search made the database's single
//! writer (SQLite) the bottleneck of the public page. Here a visitor's count lives in this
//! instance's memory, and every second (while they keep searching) the searches since the
//! last write are added to the shared counter in one statement, in the background (a
//! search never waits for it), whose total (every instance's searches) replaces what this
//! instance knew from the visitor's next search on. So on one instance the limit is
//! exact; over several instances a visitor can get at most about one second's searches
//! per other instance beyond it, until the totals meet. A visitor's second search is
//! written at once, then at most one write a second.
//!
//! At most two writes are under way at once: a search due to be written while they are
//! keeps its count pending for a later search (the limit itself is decided in memory).
//!
//! A visitor who searches once is never written. The memory is bounded: at most
//! [`CAPACITY`] visitors are kept, in two generations: when the current one holds half,
//! it becomes the previous one and the previous one is forgotten (freed outside the lock),
//! so a visitor is forgotten only after [`CAPACITY`] / 2 others came since their last
//! search; a returning visitor moves back to the current generation with their count.
//! A forgotten visitor loses at most the searches of their last second (not yet written);
//! the rest is in the shared counter, which they learn again at their next write.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use time::{Duration, OffsetDateTime};

/// Searches one client may make per minute on the public pages and API.
pub(crate) const SEARCHES_PER_MINUTE: u32 = 30;
/// The window of the limit.
pub(crate) const WINDOW: Duration = Duration::minutes(1);
/// How often a visitor's searches are added to the shared counter, at most.
const SYNC_EVERY: Duration = Duration::seconds(1);
/// The most writes to the shared counter under way at once.
const WRITERS: usize = 2;
/// The most visitors tracked in memory.
const CAPACITY: usize = 50_000;

struct Visitor {
    window_start: OffsetDateTime,
    /// Searches not yet written to the shared counter.
    pending: u32,
    /// The shared total as last written and read, plus what this instance wrote since.
    known: u32,
    /// When this instance last wrote their searches; `None`: not yet in this window.
    last_sync: Option<OffsetDateTime>,
}

impl Visitor {
    fn count(&mut self, now: OffsetDateTime, may_write: bool) -> Decision {
        if now - self.window_start >= WINDOW {
            *self = Visitor {
                window_start: now,
                pending: 0,
                known: 0,
                last_sync: None,
            };
        }
        self.pending += 1;
        let allowed = self.known + self.pending <= SEARCHES_PER_MINUTE;
        // The second search writes (a visitor forgotten and back learns their total at
        // once), then at most one a second.
        let due = match self.last_sync {
            None => self.pending >= 2,
            Some(at) => now - at >= SYNC_EVERY,
        };
        if due && may_write {
            let searches = self.pending;
            self.known += searches;
            self.pending = 0;
            self.last_sync = Some(now);
            Decision::Write { searches, allowed }
        } else {
            Decision::Local { allowed }
        }
    }
}

/// What to do with a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Allowed or not, from memory.
    Local { allowed: bool },
    /// Allowed or not, from memory; and add `searches` to the shared counter, then tell
    /// [`SearchLimiter::written`] its total.
    Write { searches: u32, allowed: bool },
}

/// The visitors of this instance: those seen since the last rotation, and those before.
#[derive(Default)]
struct Visitors {
    current: HashMap<String, Visitor>,
    previous: HashMap<String, Visitor>,
}

/// The visitors of this instance.
#[derive(Default)]
pub(crate) struct SearchLimiter {
    visitors: Mutex<Visitors>,
    /// Writes to the shared counter under way (at most [`WRITERS`]): past that, searches
    /// due to be written stay pending until a later search, so that a burst never piles
    /// up writes (or connections) behind the database.
    writing: AtomicUsize,
}

impl SearchLimiter {
    /// Counts one search of `client` at `now`.
    pub(crate) fn count(&self, client: &str, now: OffsetDateTime) -> Decision {
        // Forgotten visitors are freed after the lock is released.
        let mut forgotten = HashMap::new();
        let decision = {
            let Ok(mut visitors) = self.visitors.lock() else {
                return Decision::Local { allowed: true };
            };
            let visitors = &mut *visitors;
            if !visitors.current.contains_key(client) {
                let known = visitors.previous.remove(client);
                if visitors.current.len() >= CAPACITY / 2 {
                    forgotten = std::mem::replace(
                        &mut visitors.previous,
                        std::mem::take(&mut visitors.current),
                    );
                }
                visitors.current.insert(
                    client.to_owned(),
                    known.unwrap_or(Visitor {
                        window_start: now,
                        pending: 0,
                        known: 0,
                        last_sync: None,
                    }),
                );
            }
            let may_write = self.writing.load(Ordering::Acquire) < WRITERS;
            match visitors.current.get_mut(client) {
                Some(visitor) => {
                    let decision = visitor.count(now, may_write);
                    if matches!(decision, Decision::Write { .. }) {
                        self.writing.fetch_add(1, Ordering::AcqRel);
                    }
                    decision
                }
                None => Decision::Local { allowed: true },
            }
        };
        drop(forgotten);
        decision
    }

    /// The write asked for by [`Decision::Write`] is done: the shared counter of `client`
    /// stands at `total` (every instance's searches), which counts from their next search;
    /// `None` if the write failed (the searches stay counted here).
    pub(crate) fn written(&self, client: &str, total: Option<u32>) {
        self.writing.fetch_sub(1, Ordering::AcqRel);
        let (Some(total), Ok(mut visitors)) = (total, self.visitors.lock()) else {
            return;
        };
        if let Some(visitor) = visitors.current.get_mut(client) {
            visitor.known = visitor.known.max(total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn allowed(
        limiter: &SearchLimiter,
        client: &str,
        now: OffsetDateTime,
        shared: &mut u32,
    ) -> bool {
        match limiter.count(client, now) {
            Decision::Local { allowed } => allowed,
            Decision::Write { searches, allowed } => {
                *shared += searches;
                limiter.written(client, Some(*shared));
                allowed
            }
        }
    }

    #[test]
    fn thirty_searches_a_minute_then_refused_until_the_window_ends() {
        let limiter = SearchLimiter::default();
        let mut shared = 0;
        let start = datetime!(2026-11-27 10:00 UTC);
        let mut outcomes = Vec::new();
        for i in 0..40 {
            outcomes.push(allowed(
                &limiter,
                "10.0.0.1",
                start + Duration::milliseconds(100 * i),
                &mut shared,
            ));
        }
        assert!(outcomes[..30].iter().all(|a| *a));
        assert!(outcomes[30..].iter().all(|a| !*a));
        // Written about once a second, not per search.
        assert!(shared > 0 && shared < 40);
        assert!(allowed(
            &limiter,
            "10.0.0.1",
            start + Duration::seconds(61),
            &mut shared
        ));
        // Another visitor is counted apart.
        assert!(allowed(
            &limiter,
            "10.0.0.2",
            start + Duration::seconds(5),
            &mut shared
        ));
    }

    #[test]
    fn visitors_are_forgotten_in_generations_but_the_active_ones_kept() {
        let limiter = SearchLimiter::default();
        let start = datetime!(2026-11-27 10:00 UTC);
        let mut shared = 0;
        for _ in 0..25 {
            assert!(allowed(&limiter, "10.0.0.1", start, &mut shared));
        }
        for i in 0..CAPACITY {
            let other = format!("10.1.{}.{}", i / 256, i % 256);
            assert!(allowed(&limiter, &other, start, &mut shared));
            if i % 1_000 == 0 {
                // The active visitor keeps searching (refused past 30) and stays known.
                let _ = allowed(&limiter, "10.0.0.1", start, &mut shared);
            }
        }
        let visitors = limiter.visitors.lock().unwrap();
        assert!(visitors.current.len() + visitors.previous.len() <= CAPACITY);
        let active = visitors
            .current
            .get("10.0.0.1")
            .or_else(|| visitors.previous.get("10.0.0.1"))
            .expect("the active visitor is kept");
        assert!(active.known + active.pending > 30);
    }

    #[test]
    fn other_instances_searches_count_once_written() {
        let limiter = SearchLimiter::default();
        let start = datetime!(2026-11-27 10:00 UTC);
        let mut shared = 25; // written by other instances in this window
        assert!(allowed(&limiter, "10.0.0.1", start, &mut shared));
        // The second search, a second later, writes and learns the total.
        assert!(allowed(
            &limiter,
            "10.0.0.1",
            start + Duration::seconds(1),
            &mut shared
        ));
        let later: Vec<bool> = (2..10)
            .map(|i| {
                allowed(
                    &limiter,
                    "10.0.0.1",
                    start + Duration::seconds(1) + Duration::milliseconds(10 * i),
                    &mut shared,
                )
            })
            .collect();
        assert_eq!(later.iter().filter(|a| **a).count(), 3, "{later:?}");
    }
}
