//! Certificates and cards in the database: round trips with their items, what the
//! database refuses (a second pending edition of a series, a reused key, a stale write),
//! the lists, and the verification log.

use registry_core::document::{
    DocumentKind, Mailing, VerificationCode, VerificationToken, VoidReason, Voiding,
};
use registry_core::ports::{Conflict, Entity, Register, RegisterTx, StoreError};
use registry_core::text::Text;
use registry_core::usecases::MarkMailed;
use registry_store::documents::DocumentFilter;

use crate::on_both_engines;
use crate::support::*;

async fn editions_round_trip_and_the_database_keeps_one_pending(db: TestDb) {
    let store = &db.store;
    cycles(store).await;
    let a = institution(store, 1, "甲机构").await;
    let person = person_examined(
        store,
        &resident_id(31, "1970-01-01"),
        "孙一",
        &["RQ-ZZ", "GL-ZZ"],
        "2024-09-20",
    )
    .await;
    let mut tx = store.begin().await.unwrap();
    let [certificate] = tx.documents_of(person).await.unwrap().try_into().unwrap();
    assert_eq!(certificate.details.kind, DocumentKind::Certificate);
    let items: Vec<&str> = certificate
        .details
        .items
        .iter()
        .map(|i| i.as_str())
        .collect();
    assert_eq!(items, ["GL-ZZ", "RQ-ZZ"], "the printed order is kept");
    assert_eq!(certificate.details.pass_list, Some(date("2024-09-20")));
    assert_eq!(
        tx.document_by_token(&certificate.details.token)
            .await
            .unwrap()
            .map(|d| d.id),
        Some(certificate.id)
    );
    assert_eq!(
        tx.document_by_code(&certificate.details.code)
            .await
            .unwrap()
            .map(|d| d.id),
        Some(certificate.id)
    );
    assert_eq!(
        tx.document_by_token(&VerificationToken::from_entropy([0; 17]))
            .await
            .unwrap(),
        None
    );

    // A second pending edition of the same series: refused by the database.
    let mut again = certificate.details.clone();
    again.token = VerificationToken::from_entropy([1; 17]);
    again.code = VerificationCode::from_entropy([1; 7]);
    assert_eq!(
        tx.insert_document(&again).await,
        Err(StoreError::Conflict(Conflict::Stale(Entity::Document)))
    );
    drop(tx);
    // A key drawn twice: the use case runs again with new keys.
    let mut tx = store.begin().await.unwrap();
    let mut card = certificate.details.clone();
    card.kind = DocumentKind::Card;
    card.institution = Some(a);
    card.code = VerificationCode::from_entropy([2; 7]);
    assert_eq!(tx.insert_document(&card).await, Err(StoreError::Retry));
    drop(tx);

    // Mailing and voiding, with the version checked.
    let mut tx = store.begin().await.unwrap();
    let mut mailed = certificate.clone();
    mailed.mailed = Some(Mailing {
        on: date("2026-11-26"),
        tracking: Text::parse("SF0001", 40).unwrap(),
    });
    let version = tx.update_document(&mailed).await.unwrap();
    assert_eq!(
        tx.update_document(&mailed).await,
        Err(StoreError::Conflict(Conflict::Stale(Entity::Document)))
    );
    mailed.version = version;
    mailed.voided = Some(Voiding {
        on: date("2026-11-26"),
        reason: VoidReason::Lost,
    });
    tx.update_document(&mailed).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let stored = tx.document(certificate.id).await.unwrap().unwrap();
    assert_eq!(stored.mailed, mailed.mailed);
    assert_eq!(stored.voided, mailed.voided);
    assert_eq!(stored.version, 2);
}

async fn the_lists_of_documents_and_the_verification_log(db: TestDb) {
    let store = &db.store;
    cycles(store).await;
    let a = institution(store, 1, "甲机构").await;
    let early = person_examined(
        store,
        &resident_id(41, "1970-01-01"),
        "李一",
        &["RQ-ZZ"],
        "2025-09-19",
    )
    .await;
    let later = person_examined(
        store,
        &resident_id(42, "1971-01-01"),
        "李二",
        &["RQ-ZZ"],
        "2025-12-31",
    )
    .await;
    let lists = store.pass_lists().await.unwrap();
    assert_eq!(
        lists
            .iter()
            .map(|l| (l.published_on, l.pending))
            .collect::<Vec<_>>(),
        [(date("2025-12-31"), 1), (date("2025-09-19"), 1)]
    );
    let pending = store
        .documents(&DocumentFilter {
            kind: Some(DocumentKind::Certificate),
            pending_only: true,
            limit: 100,
            ..DocumentFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        pending.iter().map(|l| l.person.id).collect::<Vec<_>>(),
        [early, later]
    );
    let of_list = store
        .documents(&DocumentFilter {
            pass_list: Some(date("2025-12-31")),
            limit: 100,
            ..DocumentFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(of_list.len(), 1);
    assert_eq!(of_list[0].person.name.as_str(), "李二");

    // Registered at 甲: a card of 甲, listed with the institution's name.
    run(
        store,
        date(TODAY),
        institution_actor(a),
        employ(a, early, &["RQ-ZZ"]),
    )
    .await
    .unwrap();
    fill_in(store, early, a).await;
    register(store, a, early, &["RQ-ZZ"]).await;
    let cards = store
        .documents(&DocumentFilter {
            kind: Some(DocumentKind::Card),
            institution: Some(a),
            pending_only: true,
            limit: 100,
            ..DocumentFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(cards.len(), 1);
    assert_eq!(cards[0].institution_name.as_deref(), Some("甲机构"));
    run(
        store,
        date(TODAY),
        admin(),
        MarkMailed {
            documents: vec![cards[0].document.id],
            on: TODAY.into(),
            tracking: "EMS1".into(),
        },
    )
    .await
    .unwrap();
    assert!(
        store
            .documents(&DocumentFilter {
                kind: Some(DocumentKind::Card),
                pending_only: true,
                limit: 100,
                ..DocumentFilter::default()
            })
            .await
            .unwrap()
            .is_empty()
    );

    let id = cards[0].document.id;
    store
        .log_verification(at(date(TODAY)), Some(id), "token", "valid", "127.0.0.1")
        .await
        .unwrap();
    store
        .log_verification(at(date(TODAY)), None, "code", "unknown", "127.0.0.1")
        .await
        .unwrap();
    let (count, last) = store.verifications_of(id).await.unwrap();
    assert_eq!(count, 1);
    assert!(last.is_some());
}

/// The SQL of a cycle's 换证 list restates `renewal::certificate_end` (an edition printed
/// without an end runs to the end of the first cycle after its pass list): it lists exactly
/// the people whose latest certificate ends with the cycle by the core's rule.
async fn the_certificates_ending_with_a_cycle_are_those_the_core_renews(db: TestDb) {
    use registry_core::renewal::{certificate_end, certificates};
    let store = &db.store;
    // Before any cycle is defined: printed without an end.
    let legacy = person_examined(
        store,
        &resident_id(81, "1970-01-01"),
        "甲",
        &["RQ-ZZ"],
        "2019-03-01",
    )
    .await;
    cycles(store).await;
    let ends_2024 = person_examined(
        store,
        &resident_id(82, "1971-01-01"),
        "乙",
        &["RQ-ZZ"],
        "2022-03-01",
    )
    .await;
    let ends_2028 = person_examined(
        store,
        &resident_id(83, "1972-01-01"),
        "丙",
        &["RQ-ZZ"],
        "2025-03-01",
    )
    .await;
    let (cycles, ends) = {
        let mut tx = store.begin().await.unwrap();
        let cycles = tx.cycles().await.unwrap();
        let mut ends = Vec::new();
        for person in [legacy, ends_2024, ends_2028] {
            let documents = tx.documents_of(person).await.unwrap();
            let end = certificates(&documents)
                .filter_map(|d| certificate_end(d, &cycles))
                .max();
            ends.push((person, end));
        }
        (cycles, ends)
    };
    assert_eq!(
        ends,
        [
            (legacy, Some(date("2024-12-31"))),
            (ends_2024, Some(date("2024-12-31"))),
            (ends_2028, Some(date("2028-12-31"))),
        ]
    );
    let [first, second] = cycles.as_slice() else {
        panic!("two cycles")
    };
    assert_eq!(
        store.certificates_ending(first, None, None).await.unwrap(),
        [legacy, ends_2024]
    );
    assert_eq!(
        store
            .certificates_ending(second, Some(first), None)
            .await
            .unwrap(),
        [ends_2028]
    );
}

on_both_engines!(
    editions_round_trip_and_the_database_keeps_one_pending,
    the_lists_of_documents_and_the_verification_log,
    the_certificates_ending_with_a_cycle_are_those_the_core_renews,
);
