//! Two instances over one database, as behind a load balancer (issue 23): two application
//! states, each with its own store and the public search's answers kept in memory. A write
//! through one is seen through the other within a second (the store's watch of the audit
//! chain's head), on SQLite and on PostgreSQL; with real instances behind nginx:
//! `cargo xtask proof --scale`.

use std::time::{Duration, Instant};

use poem::http::Method;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_a_release_through_one_instance_is_seen_by_the_other_within_a_second() {
    let a = Server::new().await;
    a_release_is_seen_by_the_other_within_a_second(&a).await;
}

/// The same over PostgreSQL (`REGISTRY_TEST_DATABASE_URL`, which `.ci/run` sets).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_a_release_through_one_instance_is_seen_by_the_other_within_a_second() {
    let Some(db) = PgDatabase::create().await else {
        eprintln!("no REGISTRY_TEST_DATABASE_URL: the PostgreSQL half is not run");
        return;
    };
    let a = Server::on_postgres(&db.url).await;
    a_release_is_seen_by_the_other_within_a_second(&a).await;
    drop(a);
}

async fn a_release_is_seen_by_the_other_within_a_second(a: &Server) {
    let b = a.beside().await;
    let jia = institution(a, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let id = resident_id(91, date(1971, 7, 7));
    let sex = registry_core::resident_id::ResidentId::parse_canonical(&id)
        .unwrap()
        .sex()
        .label();
    exam_result(a, "冯评审", &id, &["RQ-ZZ"], "2026-04-01").await;
    let mut clerk = a.browser();
    clerk.login("jia", "Tezhong2026k").await;
    let (person, password) = add(&mut clerk, "冯评审", &id, &["RQ-ZZ"]).await;
    fill_in(a, &person, jia, &password, sex).await;
    clerk
        .post(
            &format!("/institution/people/{person}/register"),
            &[("items", "RQ-ZZ")],
        )
        .await;

    // B answers the public search and keeps its answer.
    let search = format!(
        "/api/v1/public/people?{}",
        query(&[("by", "name"), ("q", "冯评审")])
    );
    let mut visitor = b.browser();
    let before = visitor.api(Method::GET, &search, None).await;
    assert!(before.has("RQ-ZZ"), "{}", before.body);
    // B answers the same again from memory.
    let again = visitor.api(Method::GET, &search, None).await;
    assert_eq!(again.body, before.body);

    // A releases the item: B's answer changes within a second.
    let released = clerk
        .post(
            &format!("/institution/people/{person}/release"),
            &[
                ("item", "RQ-ZZ"),
                ("reason", "人员调出"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert!(released.status.is_redirection(), "{}", released.body);
    let acknowledged = Instant::now();
    loop {
        let now = visitor.api(Method::GET, &search, None).await;
        if !now.has("RQ-ZZ") {
            break;
        }
        assert!(
            acknowledged.elapsed() < Duration::from_secs(1),
            "B still answers the released item after a second: {}",
            now.body
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
