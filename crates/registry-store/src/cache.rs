//! A short-lived cache of the public search's answers, for the one page anyone may load
//! as often as they like.
//!
//! Correctness: an answer is kept with the store's *generation* read before its query ran.
//! Every write transaction of this process moves the generation on when it begins and
//! again when it ends (committed or not), and a bulk load when it is done, so an answer
//! computed while anything was being written is never served: in this process the public
//! search is never stale. Other processes over the same database (more server instances,
//! a `registry import` from the command line) are not seen: their writes reach the public
//! search within [`TTL`].
//!
//! Keys hold the name or registration number searched, or the ID number's keyed hash
//! (never the ID number itself). The cache holds at most [`CAPACITY`] answers: when full,
//! expired answers go, and if it is still full it is emptied.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use time::Date;

use crate::queries::PublicPerson;

/// How long an answer is served at most without being computed again (for other
/// processes' writes). Each answer's own time is between half of this and all of it,
/// spread by its key, so that answers computed together do not all expire together.
pub const TTL: Duration = Duration::from_secs(5);
/// The most answers kept.
const CAPACITY: usize = 10_000;

/// What was searched, as a cache key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub(crate) kind: u8,
    pub(crate) value: String,
    pub(crate) today: Date,
    pub(crate) limit: u64,
}

struct Entry {
    generation: u64,
    /// Until when it may be served.
    until: Instant,
    people: Vec<PublicPerson>,
}

/// An answer's time to live: from `TTL / 2` to `TTL`, by its key.
fn ttl(key: &Key) -> Duration {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    let spread = BuildHasherDefault::<DefaultHasher>::default().hash_one(key) % 1_000;
    TTL / 2 + TTL / 2 * u32::try_from(spread).unwrap_or(0) / 1_000
}

/// The cache and the generation of the data it was computed from.
#[derive(Default)]
pub(crate) struct PublicCache {
    generation: AtomicU64,
    entries: Mutex<HashMap<Key, Entry>>,
}

impl PublicCache {
    /// Something is being written, or was.
    pub(crate) fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The generation to remember with an answer: read before its query runs.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The answer for `key`, if one is fresh.
    pub(crate) fn get(&self, key: &Key) -> Option<Vec<PublicPerson>> {
        let current = self.generation();
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(key)?;
        (entry.generation == current && Instant::now() < entry.until).then(|| entry.people.clone())
    }

    /// Keeps `people` as the answer for `key`, computed from `generation`'s data.
    pub(crate) fn put(&self, key: Key, generation: u64, people: &[PublicPerson]) {
        if generation != self.generation() {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= CAPACITY {
            let current = self.generation();
            let now = Instant::now();
            entries.retain(|_, e| e.generation == current && now < e.until);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        let until = Instant::now() + ttl(&key);
        entries.insert(
            key,
            Entry {
                generation,
                until,
                people: people.to_vec(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(value: &str) -> Key {
        Key {
            kind: 0,
            value: value.into(),
            today: time::macros::date!(2026 - 11 - 27),
            limit: 20,
        }
    }

    #[test]
    fn a_write_makes_every_answer_stale() {
        let cache = PublicCache::default();
        let g = cache.generation();
        cache.put(key("王伟"), g, &[]);
        assert_eq!(cache.get(&key("王伟")), Some(vec![]));
        cache.changed();
        assert_eq!(cache.get(&key("王伟")), None);
    }

    #[test]
    fn an_answer_computed_across_a_write_is_not_kept() {
        let cache = PublicCache::default();
        let before = cache.generation();
        cache.changed();
        cache.put(key("王伟"), before, &[]);
        assert_eq!(cache.get(&key("王伟")), None);
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = PublicCache::default();
        let g = cache.generation();
        for i in 0..CAPACITY + 10 {
            cache.put(key(&i.to_string()), g, &[]);
        }
        assert!(cache.entries.lock().map(|e| e.len()).unwrap_or(0) <= CAPACITY);
        assert_eq!(cache.get(&key(&(CAPACITY + 9).to_string())), Some(vec![]));
    }
}
