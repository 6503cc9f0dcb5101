//! Figures kept between requests: the workspaces' figures read the whole register (or an
//! institution's part of it), so each is computed once and kept under the store's write
//! generation (`Store::generation`): any write of this instance makes it stale at once,
//! so this instance never shows figures older than its own last write; writes of other
//! instances (or of a `registry import` beside the server) show within [`TTL`].

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long kept figures are shown at most without being computed again.
pub(crate) const TTL: Duration = Duration::from_secs(5);
/// The most entries kept (one per institution and day): when full, it is emptied.
const CAPACITY: usize = 4_096;

/// Values computed from the register, each with the generation it was computed from.
pub(crate) struct Kept<K, V> {
    entries: Mutex<HashMap<K, (u64, Instant, V)>>,
}

impl<K, V> Default for Kept<K, V> {
    fn default() -> Self {
        Kept {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V: Clone> Kept<K, V> {
    /// The value for `key`, when computed from `generation`'s data within [`TTL`].
    pub(crate) fn get(&self, key: &K, generation: u64) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        match entries.get(key) {
            Some((g, at, value)) if *g == generation && at.elapsed() < TTL => Some(value.clone()),
            _ => None,
        }
    }

    /// Keeps `value`, computed from the data of `generation` (read before computing it).
    pub(crate) fn put(&self, key: K, generation: u64, value: V) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(key, (generation, Instant::now(), value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Kept;

    #[test]
    fn a_value_is_kept_under_its_generation_only() {
        let kept: Kept<u8, &str> = Kept::default();
        kept.put(1, 7, "figures");
        assert_eq!(kept.get(&1, 7), Some("figures"));
        assert_eq!(kept.get(&1, 8), None, "a write since: computed again");
        assert_eq!(kept.get(&2, 7), None);
    }
}
