//! The audit log as a chain (issue 22), on both engines: every audited write links its
//! rows; a row edited, deleted, or inserted in the database directly is named by the walk.

use sea_orm::{ConnectionTrait, Database, Statement};

use crate::on_both_engines;
use crate::support::*;

async fn execute(db: &TestDb, sql: &str) {
    let connection = Database::connect(db.url.to_string()).await.unwrap();
    let backend = connection.get_database_backend();
    connection
        .execute_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .unwrap();
}

async fn a_row_changed_in_the_database_breaks_the_chain_there(db: TestDb) {
    let store = &db.store;
    cycles(store).await;
    institution(store, 1, "甲鉴定评审中心").await;
    person(store, &resident_id(1, "1980-01-01"), "张三", &["RQ-ZZ"]).await;
    person(store, &resident_id(2, "1981-01-01"), "李四", &["GL-ZZ"]).await;
    let report = store.verify_audit_chain().await.unwrap();
    assert_eq!(report.broken, None, "{report:?}");
    assert!(report.rows >= 5, "{report:?}");
    assert_eq!(report.head.seq, i64::try_from(report.rows).unwrap());
    assert_eq!(report.digest, "SHA-256");

    // One row's content edited: the walk stops at that row.
    execute(
        &db,
        "UPDATE audit_log SET actor = 'association:somebody' WHERE chain_seq = 3",
    )
    .await;
    let broken = store.verify_audit_chain().await.unwrap().broken.unwrap();
    assert_eq!(broken.seq, 3, "{broken:?}");
    assert!(
        broken.id.is_some() && broken.reason.contains("被修改"),
        "{broken:?}"
    );
}

async fn a_row_deleted_or_the_last_rows_cut_are_found(db: TestDb) {
    let store = &db.store;
    cycles(store).await;
    institution(store, 1, "甲鉴定评审中心").await;
    person(store, &resident_id(1, "1980-01-01"), "张三", &["RQ-ZZ"]).await;
    let rows = store.verify_audit_chain().await.unwrap().rows;
    // The last row deleted: the head no longer matches.
    execute(
        &db,
        &format!("DELETE FROM audit_log WHERE chain_seq = {rows}"),
    )
    .await;
    let broken = store.verify_audit_chain().await.unwrap().broken.unwrap();
    assert!(broken.reason.contains("链头"), "{broken:?}");
    // A row in the middle deleted: the walk finds the gap.
    execute(&db, "DELETE FROM audit_log WHERE chain_seq = 2").await;
    let broken = store.verify_audit_chain().await.unwrap().broken.unwrap();
    assert_eq!(broken.seq, 2, "{broken:?}");
    assert!(broken.reason.contains("缺失"), "{broken:?}");
}

async fn a_row_inserted_outside_the_chain_is_found(db: TestDb) {
    let store = &db.store;
    cycles(store).await;
    execute(
        &db,
        "INSERT INTO audit_log (at, actor, action, entity, entity_id) \
         VALUES ('2026-11-26 02:00:00+00:00', 'association:x', 'cycle.create', 'cycle', 9)",
    )
    .await;
    let broken = store.verify_audit_chain().await.unwrap().broken.unwrap();
    assert!(broken.reason.contains("不在链中"), "{broken:?}");
}

async fn a_purge_removes_an_archived_prefix_and_the_chain_holds(db: TestDb) {
    let store = &db.store;
    cycles(store).await;
    institution(store, 1, "甲鉴定评审中心").await;
    let all = store.verify_audit_chain().await.unwrap().rows;
    let now = at(date(TODAY));
    // Written at 10:00 on TODAY: nothing is older than 09:00.
    assert!(
        store
            .audit_prefix_before(now - time::Duration::hours(1), 100)
            .await
            .unwrap()
            .is_empty()
    );
    // A purge reaching a row that is not old enough is refused, and removes nothing.
    assert!(store.purge_audit_prefix(2, now).await.is_err());
    assert_eq!(store.verify_audit_chain().await.unwrap().rows, all);
    // Everything before tomorrow: archived, then removed; the chain starts after it.
    let tomorrow = now + time::Duration::days(1);
    let archived = store.audit_prefix_before(tomorrow, 100).await.unwrap();
    assert_eq!(archived.len() as u64, all);
    assert_eq!(archived[0].seq, 1);
    assert_eq!(archived[0].prev_hash, registry_store::audit_chain::GENESIS);
    let last = archived.last().unwrap();
    let removed = store.purge_audit_prefix(last.seq, tomorrow).await.unwrap();
    assert_eq!(removed, all);
    let report = store.verify_audit_chain().await.unwrap();
    assert_eq!(report.broken, None, "{report:?}");
    assert_eq!((report.rows, report.base.seq), (0, last.seq));
    assert_eq!(report.base.hash, last.hash);
    // New rows link after the purged ones.
    person(store, &resident_id(1, "1980-01-01"), "张三", &["RQ-ZZ"]).await;
    let report = store.verify_audit_chain().await.unwrap();
    assert_eq!(report.broken, None, "{report:?}");
    assert!(report.rows > 0 && report.head.seq > last.seq);
}

on_both_engines!(
    a_purge_removes_an_archived_prefix_and_the_chain_holds,
    a_row_changed_in_the_database_breaks_the_chain_there,
    a_row_deleted_or_the_last_rows_cut_are_found,
    a_row_inserted_outside_the_chain_is_found,
);
