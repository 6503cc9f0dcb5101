//! A process killed in the middle of a multi-row use case leaves the database as it was
//! before the use case began.
//!
//! Each test plays two roles. Run normally, it is the parent: it prepares a database,
//! starts its own test binary again as a child (running only this test, with the
//! database's URL in the environment), waits until the child has written part of a
//! registration and paused, kills it with SIGKILL, and checks that nothing of the
//! registration remains. Run with `REGISTRY_CRASH_CHILD` set, it is the child.

use std::process::Stdio;
use std::time::Duration;

use registry_core::ids::{InstitutionId, PersonId};
use registry_core::ports::{Register, RegisterTx};
use registry_core::usecases::RegisterItems;
use registry_store::{DatabaseUrl, Store};
use sea_orm::{ConnectionTrait, Database, Statement};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::*;

const CHILD: &str = "REGISTRY_CRASH_CHILD";

/// The child: registers two items through a register that pauses at the fifth write
/// (after the number and the whole first item are written), until it is killed.
async fn child(spec: &str) {
    let mut parts = spec.split('|');
    let url = DatabaseUrl::parse(parts.next().unwrap()).unwrap();
    let institution = InstitutionId::new(parts.next().unwrap().parse().unwrap());
    let person = PersonId::new(parts.next().unwrap().parse().unwrap());
    let store = Store::connect(&url, key()).await.unwrap();
    let faulty = Faulty::new(store, 5, Fault::Pause);
    let outcome = run(
        &faulty,
        date(TODAY),
        institution_actor(institution),
        RegisterItems {
            institution,
            person,
            items: vec!["RQ-ZZ".into(), "GL-ZZ".into()],
        },
    )
    .await;
    panic!("the child was to be killed while paused, but finished: {outcome:?}");
}

async fn counts(url: &str) -> Vec<i64> {
    let connection = Database::connect(url).await.unwrap();
    let backend = connection.get_database_backend();
    let mut out = Vec::new();
    for table in [
        "audit_log",
        "registrations",
        "registration_serials",
        "documents",
        "document_items",
    ] {
        let row = connection
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        out.push(row.try_get_by_index::<i64>(0).unwrap());
    }
    let row = connection
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) FROM holdings WHERE state = 'registered'".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    out.push(row.try_get_by_index::<i64>(0).unwrap());
    out
}

async fn parent(test_name: &str, db: TestDb) {
    let store = &db.store;
    cycles(store).await;
    let a = institution(store, 1, "甲机构").await;
    let person = person(
        store,
        &resident_id(91, "1970-01-01"),
        "冯二",
        &["RQ-ZZ", "GL-ZZ"],
    )
    .await;
    run(
        store,
        date(TODAY),
        institution_actor(a),
        employ(a, person, &["RQ-ZZ", "GL-ZZ"]),
    )
    .await
    .unwrap();
    fill_in(store, person, a).await;
    let url = db.url.to_string();
    let before = counts(&url).await;
    let number = {
        let mut tx = store.begin().await.unwrap();
        tx.person(person)
            .await
            .unwrap()
            .unwrap()
            .registration_number
    };

    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, format!("{url}|{}|{}", a.get(), person.get()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let paused = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("PAUSED") {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    assert!(paused, "the child did not reach the pause");
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();

    assert_eq!(
        counts(&url).await,
        before,
        "nothing of the killed use case remains"
    );
    let reopened = db.reopen().await;
    let mut tx = reopened.begin().await.unwrap();
    assert_eq!(
        tx.person(person)
            .await
            .unwrap()
            .unwrap()
            .registration_number,
        number
    );
    drop(tx);
    if url.starts_with("sqlite") {
        let connection = Database::connect(&url).await.unwrap();
        let row = connection
            .query_one_raw(Statement::from_string(
                connection.get_database_backend(),
                "PRAGMA integrity_check".to_owned(),
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "ok");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_kill_midway() {
    if let Ok(spec) = std::env::var(CHILD) {
        return child(&spec).await;
    }
    parent("crash::sqlite_kill_midway", TestDb::sqlite().await).await;
}

#[cfg(pg_tests)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_kill_midway() {
    if let Ok(spec) = std::env::var(CHILD) {
        return child(&spec).await;
    }
    parent("crash::postgres_kill_midway", TestDb::postgres().await).await;
}
