//! What a change of a cycle's dates concerns (`RegisterTx::bound_to_cycle`): the same
//! answer as the in-memory register's, the use case's refusal on the database, and the
//! locks that keep a concurrent registration from deciding on dates that are changing.

use std::time::Duration;

use registry_core::cycle::{CycleForm, RegistrationCycle};
use registry_core::cycle_change::CycleBindings;
use registry_core::document::{DocumentKind, VoidReason, Voiding};
use registry_core::education::CourseForm;
use registry_core::ids::CycleId;
use registry_core::memory::MemoryRegister;
use registry_core::ports::{Register, RegisterTx};
use registry_core::usecases::{CreateCourse, DefineCycle, UseCaseError};
use registry_store::Store;

use crate::on_both_engines;
use crate::support::*;

/// The cycle containing `day`.
async fn cycle_at<R: Register>(register: &R, day: &str) -> RegistrationCycle {
    let mut tx = register.begin().await.unwrap();
    tx.cycles().await.unwrap().at(date(day)).unwrap().clone()
}

async fn course<R: Register>(register: &R, name: &str, end: &str) {
    run(
        register,
        date(TODAY),
        admin(),
        CreateCourse {
            provider: None,
            form: CourseForm {
                name: name.into(),
                start: end.into(),
                end: end.into(),
                items: vec!["GL-ZZ".into()],
                hours: "8".into(),
            },
        },
    )
    .await
    .unwrap();
}

/// The same register on any storage: a registration of 2025—2028 (with its certificate
/// and card), a certificate of 2021—2024, a void certificate, and courses inside and
/// outside the days asked about.
async fn world<R: Register>(register: &R) {
    cycles(register).await;
    let a = institution(register, 1, "甲机构").await;
    let registered = person(register, &resident_id(61, "1970-01-01"), "钱一", &["GL-ZZ"]).await;
    run(
        register,
        date(TODAY),
        institution_actor(a),
        employ(a, registered, &["GL-ZZ"]),
    )
    .await
    .unwrap();
    fill_in(register, registered, a).await;
    crate::support::register(register, a, registered, &["GL-ZZ"]).await;
    person_examined(
        register,
        &resident_id(62, "1970-01-01"),
        "孙二",
        &["RQ-ZZ"],
        "2024-09-20",
    )
    .await;
    let voided = person(register, &resident_id(63, "1970-01-01"), "李三", &["GL-ZZ"]).await;
    let mut tx = register.begin().await.unwrap();
    let mut certificate = tx.documents_of(voided).await.unwrap().remove(0);
    certificate.voided = Some(Voiding {
        on: date(TODAY),
        reason: VoidReason::Lost,
    });
    tx.update_document(&certificate).await.unwrap();
    tx.commit().await.unwrap();
    course(register, "2024年培训班", "2024-06-01").await;
    course(register, "2025年培训班", "2025-05-01").await;
    course(register, "2029年培训班", "2029-02-01").await;
    course(register, "2030年培训班", "2030-02-01").await;
}

/// What is bound, without the ids (which differ between registers), each record once.
fn content(bound: CycleBindings) -> Vec<String> {
    let mut lines: Vec<String> = bound
        .registrations
        .iter()
        .map(|r| {
            format!(
                "registration {} {} {} {}..{}",
                r.name.as_str(),
                r.masked_id,
                r.item.as_str(),
                r.valid_from,
                r.valid_until
            )
        })
        .chain(bound.documents.iter().map(|d| {
            format!(
                "document {} {} {} {}",
                d.kind.code(),
                d.name.as_str(),
                d.masked_id,
                d.valid_until
            )
        }))
        .chain(
            bound
                .courses
                .iter()
                .map(|c| format!("course {} {}", c.name, c.end)),
        )
        .collect();
    lines.sort();
    lines.dedup();
    lines
}

async fn bound<R: Register>(register: &R, cycle: CycleId) -> CycleBindings {
    let mut tx = register.begin().await.unwrap();
    tx.bound_to_cycle(cycle, date("2025-01-01"), date("2029-06-30"))
        .await
        .unwrap()
}

async fn what_a_cycle_binds_is_the_same_as_in_memory(db: TestDb) {
    let store = &db.store;
    let memory = MemoryRegister::new();
    world(store).await;
    world(&memory).await;
    let this = cycle_at(store, "2026-01-01").await.id();
    let stored = bound(store, this).await;
    assert_eq!(
        content(stored.clone()),
        [
            "course 2025年培训班 2025-05-01",
            "course 2029年培训班 2029-02-01",
            "document card 钱一 350102********0615 2028-12-31",
            "document certificate 钱一 350102********0615 2028-12-31",
            "registration 钱一 350102********0615 GL-ZZ 2026-11-26..2028-12-31",
        ]
    );
    let id_kinds: Vec<DocumentKind> = stored.documents.iter().map(|d| d.kind).collect();
    assert_eq!(id_kinds.len(), 2);
    let in_memory = bound(&memory, cycle_at(&memory, "2026-01-01").await.id()).await;
    assert_eq!(content(stored), content(in_memory));
    // The cycle before has no registration; the days asked about decide the rest.
    let before = cycle_at(store, "2022-01-01").await.id();
    let other = bound(store, before).await;
    assert!(other.registrations.is_empty());
    assert_eq!(other.courses.len(), 2);
}

async fn a_change_of_dates_is_refused_on_the_database_and_a_new_name_is_not(db: TestDb) {
    let store = &db.store;
    world(store).await;
    let before = cycle_at(store, "2026-01-01").await;
    let edit = |change: &dyn Fn(&mut CycleForm)| {
        let mut form = CycleForm::of(before.name(), before.start(), before.end(), before.policy());
        change(&mut form);
        DefineCycle::from_form(
            registry_core::usecases::CycleTarget::Edit {
                id: before.id(),
                version: before.version(),
            },
            &form,
        )
        .unwrap()
    };
    let refused = run(
        store,
        date(TODAY),
        admin(),
        edit(&|f| f.end = "2028-06-30".into()),
    )
    .await;
    assert!(
        matches!(&refused, Err(UseCaseError::Rejected(v))
            if v.codes() == ["cycle.change_registrations", "cycle.change_documents"]),
        "{refused:?}"
    );
    assert_eq!(cycle_at(store, "2026-01-01").await, before);
    let renamed = run(
        store,
        date(TODAY),
        admin(),
        edit(&|f| f.name = "2025—2028（第二周期）".into()),
    )
    .await
    .unwrap();
    let mut tx = store.begin().await.unwrap();
    let cycles = tx.cycles().await.unwrap();
    assert_eq!(cycles.get(renamed).unwrap().name(), "2025—2028（第二周期）");
    assert_eq!(cycles.get(renamed).unwrap().end(), before.end());
}

/// Whether `task` is still waiting after a moment.
async fn waits<T>(task: &tokio::task::JoinHandle<T>) -> bool {
    tokio::time::sleep(Duration::from_millis(600)).await;
    !task.is_finished()
}

async fn a_change_of_dates_and_a_registration_never_decide_at_once(db: TestDb) {
    let store: Store = db.store.clone();
    cycles(&store).await;
    let id = cycle_at(&store, "2026-01-01").await.id();

    // A write transaction that read the cycles (a registration deciding its validity):
    // the change waits for it to end.
    let mut deciding = store.begin().await.unwrap();
    deciding.cycles().await.unwrap();
    let other = store.clone();
    let change = tokio::spawn(async move {
        let mut tx = other.begin().await.unwrap();
        tx.bound_to_cycle(id, date("2025-01-01"), date("2028-12-31"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
    });
    assert!(waits(&change).await, "the change did not wait");
    deciding.commit().await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), change)
        .await
        .unwrap()
        .unwrap();

    // A change in progress: a write transaction reading the cycles waits for it; a page
    // reading them does not.
    let mut changing = store.begin().await.unwrap();
    changing
        .bound_to_cycle(id, date("2025-01-01"), date("2028-12-31"))
        .await
        .unwrap();
    let page = store.begin_read().await.unwrap();
    let mut page = page;
    tokio::time::timeout(Duration::from_secs(5), page.cycles())
        .await
        .expect("a page reading the cycles waited")
        .unwrap();
    drop(page);
    let other = store.clone();
    let deciding = tokio::spawn(async move {
        let mut tx = other.begin().await.unwrap();
        tx.cycles().await.unwrap()
    });
    assert!(waits(&deciding).await, "the registration did not wait");
    changing.commit().await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), deciding)
        .await
        .unwrap()
        .unwrap();
}

on_both_engines!(
    what_a_cycle_binds_is_the_same_as_in_memory,
    a_change_of_dates_is_refused_on_the_database_and_a_new_name_is_not,
    a_change_of_dates_and_a_registration_never_decide_at_once,
);
