//! One runner at a time for a batch job (issue 23), on both engines: a second runner does
//! not get the lock while the first holds it, gets it once it is released or dropped, and
//! another job's lock is independent.

use std::time::Duration;

use crate::on_both_engines;
use crate::support::*;

async fn a_job_runs_once_at_a_time(db: TestDb) {
    let store = &db.store;
    let first = store.try_lock_job("sweep").await.unwrap().expect("free");
    assert!(store.try_lock_job("sweep").await.unwrap().is_none(), "held");
    let other = store.try_lock_job("import").await.unwrap();
    assert!(other.is_some(), "another job's lock is its own");
    // Waiting gives up after its patience while the lock is held…
    let waited = store
        .lock_job(
            "sweep",
            Duration::from_millis(20),
            Duration::from_millis(100),
        )
        .await
        .unwrap();
    assert!(waited.is_none());
    // …and takes it once it is released.
    first.release().await.unwrap();
    let second = store
        .try_lock_job("sweep")
        .await
        .unwrap()
        .expect("released");
    // A lock dropped without release ends too.
    drop(second);
    let third = store
        .lock_job("sweep", Duration::from_millis(20), Duration::from_secs(5))
        .await
        .unwrap();
    assert!(third.is_some(), "a dropped lock is freed");
}

on_both_engines!(a_job_runs_once_at_a_time);
