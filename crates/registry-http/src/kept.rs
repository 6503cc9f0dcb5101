//! Figures kept between requests: the workspaces' figures read the whole register (or an
//! institution's part of it), so each is computed once and kept under the store's write
//! generation (`Store::generation`). Any write of this instance makes it stale at once:
//! this instance never shows figures older than its own last write. Writes of other
//! instances (or of a `registry import` beside the server) move the generation on too,
//! within about a quarter of a second (the store watches the audit chain's head); and past
//! [`TTL`] one request computes the figures again while the others are still shown the
//! kept ones.
//! One computation at a time: requests that find nothing wait for the one computing.
//!
//! Figures too costly for a request to wait for (the 换证 of a whole cycle reads every
//! due person's record) are kept across generations instead
//! ([`Kept::latest_or_refresh`]): a request is shown the latest ones, said to be current
//! or not, while one background task counts them again.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long kept figures are shown without being computed again.
pub(crate) const TTL: Duration = Duration::from_secs(5);
/// The most entries kept (one per institution and day): when full, it is emptied.
const CAPACITY: usize = 4_096;

struct Entry<V> {
    generation: u64,
    at: Instant,
    /// One request is computing it again.
    refreshing: bool,
    value: V,
}

/// Values computed from the register, each with the generation it was computed from.
pub(crate) struct Kept<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
    computing: tokio::sync::Mutex<()>,
    /// The keys a background task of [`Kept::latest_or_refresh`] is computing.
    inflight: Mutex<HashSet<K>>,
}

impl<K, V> Default for Kept<K, V> {
    fn default() -> Self {
        Kept {
            entries: Mutex::new(HashMap::new()),
            computing: tokio::sync::Mutex::new(()),
            inflight: Mutex::new(HashSet::new()),
        }
    }
}

/// What [`Kept::latest_or_refresh`] has to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Latest<V> {
    /// Of the current generation.
    Current(V),
    /// Of an earlier generation (or older than asked): being counted again.
    Earlier(V),
    /// Nothing yet: being counted.
    Counting,
}

/// What is kept for a key.
enum Lookup<V> {
    /// Current: show it.
    Fresh(V),
    /// Of the current generation but past [`TTL`]: this caller computes it again.
    Stale,
    /// Nothing of the current generation.
    Miss,
}

impl<K: Eq + Hash + Clone, V: Clone> Kept<K, V> {
    fn lookup(&self, key: &K, generation: u64) -> Lookup<V> {
        let Ok(mut entries) = self.entries.lock() else {
            return Lookup::Miss;
        };
        match entries.get_mut(key) {
            Some(e) if e.generation == generation => {
                if e.at.elapsed() < TTL || e.refreshing {
                    Lookup::Fresh(e.value.clone())
                } else {
                    e.refreshing = true;
                    Lookup::Stale
                }
            }
            _ => Lookup::Miss,
        }
    }

    fn forget(&self, key: &K) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }

    fn put(&self, key: K, generation: u64, value: V) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(
                key,
                Entry {
                    generation,
                    at: Instant::now(),
                    refreshing: false,
                    value,
                },
            );
        }
    }

    /// The latest value kept for `key`, whatever its generation; unless it is of
    /// `generation` and younger than `ttl`, one background task (never two for a key)
    /// computes it again from the data of `generation` and keeps it.
    pub(crate) fn latest_or_refresh<E, F, Fut>(
        self: &std::sync::Arc<Self>,
        key: K,
        generation: u64,
        ttl: Duration,
        compute: F,
    ) -> Latest<V>
    where
        K: Send + 'static,
        V: Send + 'static,
        E: Send + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>> + Send + 'static,
    {
        let latest = match self.entries.lock() {
            Ok(entries) => entries.get(&key).map(|e| {
                let current = e.generation == generation && e.at.elapsed() < ttl;
                (e.value.clone(), current)
            }),
            Err(_) => None,
        };
        if let Some((value, true)) = latest {
            return Latest::Current(value);
        }
        let start = match self.inflight.lock() {
            Ok(mut inflight) => inflight.insert(key.clone()),
            Err(_) => false,
        };
        if start {
            let kept = std::sync::Arc::clone(self);
            let refresh = compute();
            tokio::spawn(async move {
                if let Ok(fresh) = refresh.await {
                    kept.put(key.clone(), generation, fresh);
                }
                if let Ok(mut inflight) = kept.inflight.lock() {
                    inflight.remove(&key);
                }
            });
        }
        match latest {
            Some((value, _)) => Latest::Earlier(value),
            None => Latest::Counting,
        }
    }

    /// As [`Kept::get_or_compute`], except that a value of the current generation past
    /// [`TTL`] is shown while a task computes it again in the background: no request waits
    /// for figures that only other instances' writes could have changed.
    pub(crate) async fn get_or_refresh<E, F, Fut>(
        self: &std::sync::Arc<Self>,
        key: K,
        generation: u64,
        compute: F,
    ) -> Result<V, E>
    where
        K: Send + 'static,
        V: Send + 'static,
        E: Send + 'static,
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = Result<V, E>> + Send + 'static,
    {
        let stale = match self.entries.lock() {
            Ok(entries) => entries
                .get(&key)
                .filter(|e| e.generation == generation)
                .map(|e| e.value.clone()),
            Err(_) => None,
        };
        match (self.lookup(&key, generation), stale) {
            (Lookup::Fresh(value), _) => Ok(value),
            (Lookup::Stale, Some(value)) => {
                let kept = std::sync::Arc::clone(self);
                let refresh = compute();
                tokio::spawn(async move {
                    match refresh.await {
                        Ok(fresh) => kept.put(key, generation, fresh),
                        // the next request computes it itself
                        Err(_) => kept.forget(&key),
                    }
                });
                Ok(value)
            }
            _ => self.get_or_compute(key, generation, compute).await,
        }
    }

    /// The value for `key` of the data of `generation` (read before calling): kept, or
    /// computed by `compute` (once, whoever else asks meanwhile) and kept.
    pub(crate) async fn get_or_compute<E, F, Fut>(
        &self,
        key: K,
        generation: u64,
        compute: F,
    ) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        match self.lookup(&key, generation) {
            Lookup::Fresh(value) => return Ok(value),
            Lookup::Stale => {
                let value = compute().await?;
                self.put(key, generation, value.clone());
                return Ok(value);
            }
            Lookup::Miss => {}
        }
        let _one = self.computing.lock().await;
        if let Lookup::Fresh(value) = self.lookup(&key, generation) {
            return Ok(value);
        }
        let value = compute().await?;
        self.put(key, generation, value.clone());
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::Kept;

    #[tokio::test]
    async fn a_value_is_kept_under_its_generation_only() {
        let kept: Kept<u8, &str> = Kept::default();
        let first: Result<_, ()> = kept.get_or_compute(1, 7, || async { Ok("figures") }).await;
        assert_eq!(first, Ok("figures"));
        let again: Result<_, ()> = kept
            .get_or_compute(1, 7, || async { Ok("computed again") })
            .await;
        assert_eq!(again, Ok("figures"), "kept");
        let after_a_write: Result<_, ()> = kept
            .get_or_compute(1, 8, || async { Ok("after the write") })
            .await;
        assert_eq!(after_a_write, Ok("after the write"));
    }

    #[tokio::test]
    async fn the_latest_value_is_shown_while_one_task_counts_again() {
        use super::{Latest, TTL};
        let kept: std::sync::Arc<Kept<u8, &str>> = std::sync::Arc::default();
        let first = kept.latest_or_refresh(1, 7, TTL, || async { Ok::<_, ()>("counted at 7") });
        assert_eq!(first, Latest::Counting);
        // A second request meanwhile starts no second count.
        let again = kept.latest_or_refresh(1, 7, TTL, || async { Err::<&str, ()>(()) });
        assert_eq!(again, Latest::Counting);
        for _ in 0..100 {
            tokio::task::yield_now().await;
            if kept.latest_or_refresh(1, 7, TTL, || async { Err::<&str, ()>(()) })
                == Latest::Current("counted at 7")
            {
                break;
            }
        }
        assert_eq!(
            kept.latest_or_refresh(1, 7, TTL, || async { Err::<&str, ()>(()) }),
            Latest::Current("counted at 7")
        );
        // After a write: the earlier figures while they are counted again.
        let after = kept.latest_or_refresh(1, 8, TTL, || async { Ok::<_, ()>("counted at 8") });
        assert_eq!(after, Latest::Earlier("counted at 7"));
    }
}
