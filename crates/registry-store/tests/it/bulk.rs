//! Bulk loads, on both engines: ids and numbers right, all or nothing, audited.

use registry_core::holding::{EntryProgress, FillInPasswordHash, ItemState, RegistrationPeriod};
use registry_core::ids::CycleId;
use registry_core::person::{AssessorDetails, PersonName};
use registry_core::ports::{
    AuditRecord, Duplicate, Entity, Register, RegisterTx, Snapshot, StoreError,
};
use registry_core::review_item::ReviewItemCode;
use registry_store::bulk::{BulkEmployment, BulkPerson, BulkQualification};

use crate::on_both_engines;
use crate::support::*;

fn code(text: &str) -> ReviewItemCode {
    ReviewItemCode::parse(text).unwrap()
}

fn audit() -> AuditRecord {
    AuditRecord {
        at: at(date(TODAY)),
        actor: admin(),
        action: "import.qualifications",
        entity: Entity::Person,
        entity_id: 0,
        person: None,
        before: None,
        after: Some(Snapshot::default().with("file", "pass-list.xlsx")),
    }
}

fn bulk_person(n: u16, name: &str, employment: Option<BulkEmployment>) -> BulkPerson {
    BulkPerson {
        name: PersonName::parse(name).unwrap(),
        resident_id: resident_id(n, "1975-06-01"),
        details: AssessorDetails::default(),
        qualifications: vec![
            BulkQualification {
                item: code("RQ-ZZ"),
                exam_date: date("2025-03-01"),
                published_on: date("2025-03-20"),
            },
            BulkQualification {
                item: code("GL-ZZ"),
                exam_date: date("2025-03-01"),
                published_on: date("2025-03-20"),
            },
        ],
        employments: employment.into_iter().collect(),
    }
}

async fn a_bulk_load_writes_everything_with_numbers(db: TestDb) {
    let store = &db.store;
    cycles(store).await;
    let a = institution(store, 1, "甲机构").await;
    let cycle = {
        let mut tx = store.begin().await.unwrap();
        tx.cycles()
            .await
            .unwrap()
            .at(date("2025-06-01"))
            .unwrap()
            .id()
    };
    assert_eq!(cycle, CycleId::new(cycle.get()));
    let registered = |on: &str| BulkEmployment {
        institution: a,
        password: FillInPasswordHash::new("$argon2id$x".into()),
        progress: EntryProgress::Complete,
        since: date("2025-04-01"),
        holdings: vec![(
            code("RQ-ZZ"),
            ItemState::Registered,
            Some(RegistrationPeriod {
                cycle,
                registered_on: date(on),
                valid_from: date(on),
                valid_until: date("2028-12-31"),
            }),
        )],
    };
    // Already one registered person this year: the load continues the counter.
    let mut tx = store.begin().await.unwrap();
    let existing = tx
        .insert_person(
            &PersonName::parse("甲").unwrap(),
            &resident_id(1, "1970-01-01"),
        )
        .await
        .unwrap();
    tx.assign_registration_number(existing, 2025).await.unwrap();
    tx.commit().await.unwrap();

    let batch = vec![
        bulk_person(2, "乙", Some(registered("2025-05-01"))),
        bulk_person(3, "丙", None),
        bulk_person(4, "丁", Some(registered("2025-06-01"))),
    ];
    let report = store.bulk_load(&batch, &audit()).await.unwrap();
    // The load's audit row is linked into the audit chain.
    let chain = store.verify_audit_chain().await.unwrap();
    assert_eq!(chain.broken, None, "{chain:?}");
    assert!(chain.rows >= 1);
    assert_eq!(
        (
            report.people,
            report.qualifications,
            report.employments,
            report.holdings,
            report.registrations
        ),
        (3, 6, 2, 2, 2)
    );

    let mut tx = store.begin().await.unwrap();
    let loaded = tx
        .person_by_resident_id(&batch[0].resident_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(loaded.name.as_str(), "乙");
    assert_eq!(
        loaded.registration_number.unwrap().to_string()[..12],
        *"JP2025000002"
    );
    let fourth = tx
        .person_by_resident_id(&batch[2].resident_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fourth.registration_number.unwrap().serial(), 3);
    let third = tx
        .person_by_resident_id(&batch[1].resident_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(third.registration_number, None);
    assert_eq!(tx.qualifications(third.id).await.unwrap().len(), 2);
    let holdings = tx.holdings_of(loaded.id).await.unwrap();
    assert_eq!(holdings.len(), 1);
    assert_eq!(holdings[0].state, ItemState::Registered);
    assert_eq!(
        tx.registrations_of(loaded.id).await.unwrap()[0].holding,
        holdings[0].id
    );
    // Rows written after the load get fresh ids.
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    let after = tx
        .insert_person(
            &PersonName::parse("戊").unwrap(),
            &resident_id(5, "1970-01-01"),
        )
        .await
        .unwrap();
    assert!(after.get() > fourth.id.get());
    // The number counter continues after the load's block.
    assert_eq!(
        tx.assign_registration_number(after, 2025)
            .await
            .unwrap()
            .serial(),
        4
    );
}

async fn a_bulk_load_is_all_or_nothing(db: TestDb) {
    let store = &db.store;
    person(store, &resident_id(3, "1975-06-01"), "丙", &["DT-ZZ"]).await;
    let batch = vec![bulk_person(2, "乙", None), bulk_person(3, "丙", None)];
    assert_eq!(
        store.bulk_load(&batch, &audit()).await,
        Err(StoreError::Duplicate(Duplicate::ResidentId))
    );
    let mut tx = store.begin().await.unwrap();
    assert!(
        tx.person_by_resident_id(&batch[0].resident_id)
            .await
            .unwrap()
            .is_none()
    );
}

on_both_engines!(
    a_bulk_load_writes_everything_with_numbers,
    a_bulk_load_is_all_or_nothing
);
