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
//! An answer past its time is served a little longer (at most [`TTL`] more) while one
//! search computes it again in the background: only a first search, or the first after a
//! write, waits for the database.
//!
//! Keys hold the name or registration number searched, or the ID number's keyed hash
//! (never the ID number itself). The cache holds at most [`CAPACITY`] answers: when full,
//! expired answers go, and if it is still full it is emptied.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use time::Date;

use registry_core::cycle::Cycles;

use super::PublicPerson;
use crate::generation::Generation;

/// How long an answer is served at most without being computed again (for other
/// processes' writes). Each answer's own time is between half of this and all of it,
/// spread by its key, so that answers computed together do not all expire together.
pub(crate) const TTL: Duration = Duration::from_secs(5);
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
    /// Until when it is fresh.
    until: Instant,
    /// Whether a search is computing it again.
    refreshing: bool,
    people: Vec<PublicPerson>,
}

/// What the cache has for a search.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// A fresh answer.
    Hit(Vec<PublicPerson>),
    /// An answer past its time but of the current generation: serve it, and compute the
    /// search again in the background (this caller is the only one told so).
    Refresh(Vec<PublicPerson>),
    /// Nothing to serve: compute it.
    Miss,
}

/// An answer's time to live: from `TTL / 2` to `TTL`, by its key.
fn ttl(key: &Key) -> Duration {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    let spread = BuildHasherDefault::<DefaultHasher>::default().hash_one(key) % 1_000;
    TTL / 2 + TTL / 2 * u32::try_from(spread).unwrap_or(0) / 1_000
}

/// The cache and the generation of the data it was computed from.
pub(crate) struct PublicCache {
    generation: Arc<Generation>,
    entries: Mutex<HashMap<Key, Entry>>,
    /// The registration cycles, which every answer needs: with their generation and until
    /// when they are fresh.
    cycles: Mutex<Option<(u64, Instant, Cycles)>>,
    /// The pool's sizes (无聘用单位人员, by name and item), for its pager: counting the
    /// whole pool on every look at its first page would cost a stranger nothing and the
    /// database a scan.
    pool_totals: Mutex<HashMap<PoolKey, (u64, Instant, u64)>>,
}

/// A pool search's filters, as the key of its size.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PoolKey {
    pub(crate) name: Option<String>,
    pub(crate) item: Option<String>,
    pub(crate) today: Date,
    pub(crate) age_limit: u32,
}

impl PublicCache {
    /// An empty cache of the data whose generation this is.
    pub(crate) fn new(generation: Arc<Generation>) -> PublicCache {
        PublicCache {
            generation,
            entries: Mutex::default(),
            cycles: Mutex::default(),
            pool_totals: Mutex::default(),
        }
    }

    /// The generation to remember with an answer: read before its query runs.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.current()
    }

    /// The answer for `key`. Past its time (but never across a write of this instance),
    /// an answer is still served for up to [`TTL`] more while one search computes it
    /// again, so that expiring answers do not slow searches down.
    pub(crate) fn get(&self, key: &Key) -> Lookup {
        let current = self.generation();
        let Ok(mut entries) = self.entries.lock() else {
            return Lookup::Miss;
        };
        let Some(entry) = entries.get_mut(key) else {
            return Lookup::Miss;
        };
        let now = Instant::now();
        if entry.generation != current || now >= entry.until + TTL {
            Lookup::Miss
        } else if now < entry.until || entry.refreshing {
            Lookup::Hit(entry.people.clone())
        } else {
            entry.refreshing = true;
            Lookup::Refresh(entry.people.clone())
        }
    }

    /// The registration cycles, when read since the last write and within [`TTL`].
    pub(crate) fn cycles(&self) -> Option<Cycles> {
        let current = self.generation();
        let kept = self.cycles.lock().ok()?;
        match &*kept {
            Some((generation, until, cycles))
                if *generation == current && Instant::now() < *until =>
            {
                Some(cycles.clone())
            }
            _ => None,
        }
    }

    /// Keeps the registration cycles, read from `generation`'s data.
    pub(crate) fn put_cycles(&self, generation: u64, cycles: &Cycles) {
        if generation != self.generation() {
            return;
        }
        if let Ok(mut kept) = self.cycles.lock() {
            *kept = Some((generation, Instant::now() + TTL, cycles.clone()));
        }
    }

    /// The pool's size for `key`, when counted since the last write and within [`TTL`].
    pub(crate) fn pool_total(&self, key: &PoolKey) -> Option<u64> {
        let current = self.generation();
        let totals = self.pool_totals.lock().ok()?;
        match totals.get(key) {
            Some((generation, until, total))
                if *generation == current && Instant::now() < *until =>
            {
                Some(*total)
            }
            _ => None,
        }
    }

    /// Keeps the pool's size for `key`, counted from `generation`'s data.
    pub(crate) fn put_pool_total(&self, key: PoolKey, generation: u64, total: u64) {
        if generation != self.generation() {
            return;
        }
        if let Ok(mut totals) = self.pool_totals.lock() {
            if totals.len() >= CAPACITY {
                totals.clear();
            }
            totals.insert(key, (generation, Instant::now() + TTL, total));
        }
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
            entries.retain(|_, e| e.generation == current && now < e.until + TTL);
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
                refreshing: false,
                people: people.to_vec(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Default for PublicCache {
        fn default() -> Self {
            PublicCache::new(Arc::default())
        }
    }

    impl PublicCache {
        fn changed(&self) {
            self.generation.changed();
        }
    }

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
        assert_eq!(cache.get(&key("王伟")), Lookup::Hit(vec![]));
        cache.changed();
        assert_eq!(cache.get(&key("王伟")), Lookup::Miss);
    }

    #[test]
    fn an_answer_computed_across_a_write_is_not_kept() {
        let cache = PublicCache::default();
        let before = cache.generation();
        cache.changed();
        cache.put(key("王伟"), before, &[]);
        assert_eq!(cache.get(&key("王伟")), Lookup::Miss);
    }

    #[test]
    fn an_expired_answer_is_served_while_one_search_computes_it_again() {
        let cache = PublicCache::default();
        let g = cache.generation();
        cache.put(key("王伟"), g, &[]);
        if let Ok(mut entries) = cache.entries.lock() {
            for entry in entries.values_mut() {
                entry.until = Instant::now() - Duration::from_millis(1);
            }
        }
        assert_eq!(cache.get(&key("王伟")), Lookup::Refresh(vec![]));
        // The others are served the same answer meanwhile, without refreshing.
        assert_eq!(cache.get(&key("王伟")), Lookup::Hit(vec![]));
        cache.put(key("王伟"), g, &[]);
        assert_eq!(cache.get(&key("王伟")), Lookup::Hit(vec![]));
        // Not across a write.
        cache.changed();
        assert_eq!(cache.get(&key("王伟")), Lookup::Miss);
    }

    #[test]
    fn the_cycles_are_kept_until_a_write() {
        let cache = PublicCache::default();
        let cycles = Cycles::new(vec![]).unwrap();
        assert_eq!(cache.cycles(), None);
        let before = cache.generation();
        cache.changed();
        cache.put_cycles(before, &cycles);
        assert_eq!(cache.cycles(), None, "read across a write: not kept");
        cache.put_cycles(cache.generation(), &cycles);
        assert_eq!(cache.cycles(), Some(cycles));
        cache.changed();
        assert_eq!(cache.cycles(), None);
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = PublicCache::default();
        let g = cache.generation();
        for i in 0..CAPACITY + 10 {
            cache.put(key(&i.to_string()), g, &[]);
        }
        assert!(cache.entries.lock().map(|e| e.len()).unwrap_or(0) <= CAPACITY);
        assert_eq!(
            cache.get(&key(&(CAPACITY + 9).to_string())),
            Lookup::Hit(vec![])
        );
    }
}
