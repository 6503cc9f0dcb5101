//! The contract of the store, on both engines: what the core's ports promise, and what
//! the database itself enforces.

use registry_core::holding::{ItemState, NewHolding};
use registry_core::person::PersonName;
use registry_core::ports::{Conflict, Duplicate, Entity, Register, RegisterTx, StoreError};
use registry_core::usecases::{RegisterItems, ReleaseItem, UseCaseError};
use sea_orm::{ConnectionTrait, Database, Statement};

use crate::on_both_engines;
use crate::support::*;

async fn raw_count(db: &TestDb, sql: &str) -> i64 {
    let connection = Database::connect(db_url(db)).await.unwrap();
    let backend = connection.get_database_backend();
    let row = connection
        .query_one_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// The URL with its password, for a raw connection in tests.
fn db_url(db: &TestDb) -> String {
    // Test databases carry no password, so the display form is the real URL.
    db.url.to_string()
}

async fn migrations_are_idempotent_and_load_the_reference_data(db: TestDb) {
    db.store.migrate().await.unwrap();
    db.store.migrate().await.unwrap();
    assert_eq!(
        db.store.pending_migrations().await.unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(
        raw_count(&db, "SELECT COUNT(*) FROM review_items").await,
        26
    );
    assert_eq!(
        raw_count(&db, "SELECT COUNT(*) FROM calendar_days").await,
        480
    );
    assert_eq!(&db.store.catalogue().await.unwrap(), catalogue());
    let stored = db.store.calendar().await.unwrap();
    assert_eq!(stored.entries(), calendar().entries());
    assert_eq!(
        stored.working_days(date("2024-09-27"), date("2024-10-09")),
        Ok(5)
    );
    db.store.ping().await.unwrap();
}

async fn the_registration_flow_round_trips(db: TestDb) {
    let store = &db.store;
    cycles(store).await;
    let a = institution(store, 1, "福建省特种设备鉴定评审中心").await;
    let id = resident_id(11, "1970-05-20");
    let person = person(store, &id, "林建国", &["RQ-ZZ", "GL-ZZ"]).await;
    run(
        store,
        date(TODAY),
        institution_actor(a),
        employ(a, person, &["RQ-ZZ", "GL-ZZ"]),
    )
    .await
    .unwrap();
    fill_in(store, person, a).await;
    let registered = run(
        store,
        date(TODAY),
        institution_actor(a),
        RegisterItems {
            institution: a,
            person,
            items: vec!["RQ-ZZ".into()],
        },
    )
    .await
    .unwrap();
    assert_eq!(registered.number.to_string(), "JP20260000014");

    // What was written reads back as the same domain values, on a new connection.
    let other = db.reopen().await;
    let mut tx = other.begin().await.unwrap();
    let stored = tx.person(person).await.unwrap().unwrap();
    assert_eq!(stored.resident_id, id);
    assert_eq!(stored.name.as_str(), "林建国");
    assert!(stored.details.is_complete());
    assert_eq!(stored.details.to_form(), complete_form("男"));
    assert_eq!(stored.registration_number, Some(registered.number));
    assert_eq!(
        tx.person_by_resident_id(&id).await.unwrap().unwrap().id,
        person
    );
    let holdings = tx.holdings_of(person).await.unwrap();
    let states: Vec<(&str, ItemState)> = holdings
        .iter()
        .map(|h| (h.item.as_str(), h.state))
        .collect();
    assert_eq!(
        states,
        [
            ("RQ-ZZ", ItemState::Registered),
            ("GL-ZZ", ItemState::AwaitingRegistration)
        ]
    );
    let period = holdings[0].registration.clone().unwrap();
    assert_eq!(period.valid_until, date("2028-12-31"));
    assert_eq!(tx.registrations_of(person).await.unwrap()[0].period, period);
    assert_eq!(tx.qualifications(person).await.unwrap().len(), 2);
    assert_eq!(tx.cycles().await.unwrap().as_slice().len(), 2);
    drop(tx);

    // Release keeps the history; the audit log has every step, in the same transactions.
    run(
        store,
        date(TODAY),
        institution_actor(a),
        ReleaseItem {
            institution: a,
            person,
            item: "RQ-ZZ".into(),
            reason: "人员调动".into(),
        },
    )
    .await
    .unwrap();
    let history = store.person_history(person).await.unwrap().unwrap();
    let released = &history.holdings[0].0;
    assert_eq!(released.state, ItemState::Released);
    assert_eq!(
        released.release_reason.as_ref().unwrap().as_str(),
        "人员调动"
    );
    assert_eq!(history.holdings[0].1, "福建省特种设备鉴定评审中心");
    let actions: Vec<&str> = history.audit.iter().map(|e| e.action.as_str()).collect();
    // The certificate is made with the pass list; the card with the registration, and
    // withdrawn (never issued) when its only item is released.
    assert_eq!(
        actions,
        [
            "person.create",
            "qualification.create",
            "qualification.create",
            "document.create",
            "employment.create",
            "holding.employ",
            "holding.employ",
            "person.details",
            "holding.state",
            "holding.state",
            "holding.register",
            "document.create",
            "holding.release",
            "document.void",
        ]
    );
    let register_entry = history
        .audit
        .iter()
        .find(|e| e.action == "holding.register")
        .unwrap();
    assert!(register_entry.actor.starts_with("institution:"));
    assert!(
        register_entry
            .before
            .as_ref()
            .unwrap()
            .contains("awaiting_registration")
    );
    assert!(
        register_entry
            .after
            .as_ref()
            .unwrap()
            .contains("JP20260000014")
    );
}

async fn the_id_number_is_stored_protected(db: TestDb) {
    let store = &db.store;
    let id = resident_id(21, "1965-01-15");
    let person = person(store, &id, "王芳", &["DT-ZZ"]).await;
    let connection = Database::connect(db_url(&db)).await.unwrap();
    let backend = connection.get_database_backend();
    let rows = connection
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT * FROM people".to_owned(),
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let hash: String = rows[0].try_get("", "id_hash").unwrap();
    let cipher: Vec<u8> = rows[0].try_get("", "id_cipher").unwrap();
    let masked: String = rows[0].try_get("", "id_masked").unwrap();
    assert_eq!(hash.len(), 64);
    assert!(!hash.contains(id.as_str()));
    assert!(!String::from_utf8_lossy(&cipher).contains(&id.as_str()[6..14]));
    assert_eq!(masked, id.masked());
    // The audit log carries the masked form only.
    let audit = store.person_history(person).await.unwrap().unwrap().audit;
    assert!(
        audit
            .iter()
            .all(|e| !e.after.clone().unwrap_or_default().contains(id.as_str()))
    );

    // A second person with the same number is refused by the unique hash.
    let mut tx = store.begin().await.unwrap();
    let again = tx
        .insert_person(&PersonName::parse("王芳").unwrap(), &id)
        .await;
    assert_eq!(again, Err(StoreError::Duplicate(Duplicate::ResidentId)));
}

async fn the_database_allows_one_active_holding_per_item(db: TestDb) {
    let store = &db.store;
    let a = institution(store, 1, "甲机构").await;
    let b = institution(store, 2, "乙机构").await;
    let person = person(store, &resident_id(31, "1970-01-01"), "赵六", &["QZ-ZZ"]).await;
    run(
        store,
        date(TODAY),
        institution_actor(a),
        employ(a, person, &["QZ-ZZ"]),
    )
    .await
    .unwrap();
    // Bypass the use case: the database itself refuses the second active holding.
    let mut tx = store.begin().await.unwrap();
    tx.insert_employment(&registry_core::holding::Employment {
        person,
        institution: b,
        password: registry_core::holding::FillInPasswordHash::new("x".into()),
        progress: registry_core::holding::EntryProgress::NotOpened,
        since: date(TODAY),
        password_set_on: date(TODAY),
        version: 1,
    })
    .await
    .unwrap();
    let second = tx
        .insert_holding(&NewHolding {
            person,
            item: registry_core::review_item::ReviewItemCode::parse("QZ-ZZ").unwrap(),
            institution: b,
            state: ItemState::Invited,
            since: date(TODAY),
        })
        .await;
    assert!(
        matches!(second, Err(StoreError::Conflict(Conflict::ItemHeld { .. }))),
        "{second:?}"
    );
}

async fn the_calendar_loads_whole_years(db: TestDb) {
    use registry_core::calendar::WorkCalendar;
    use registry_core::usecases::LoadCalendar;
    let store = &db.store;
    let load = |text: &str| LoadCalendar {
        calendar: WorkCalendar::parse_csv(text).unwrap(),
    };
    // A gap is refused and nothing is written.
    let gap = run(
        store,
        date(TODAY),
        admin(),
        load("date,kind,name\n2028-01-01,holiday,元旦\n"),
    )
    .await;
    assert!(
        matches!(&gap, Err(UseCaseError::Rejected(v)) if v.codes() == ["calendar.missing_year"]),
        "{gap:?}"
    );
    assert_eq!(store.calendar().await.unwrap().years(), 2013..=2026);
    // A new year, then the same year corrected: replaced, not added to.
    let loaded = run(
        store,
        date(TODAY),
        admin(),
        load("date,kind,name\n2027-01-01,holiday,元旦\n2027-02-07,workday,春节\n"),
    )
    .await
    .unwrap();
    assert_eq!(
        (loaded.years, loaded.entries, loaded.covered),
        (2027..=2027, 2, 2013..=2027)
    );
    run(
        store,
        date(TODAY),
        admin(),
        load("date,kind,name\n2027-01-01,holiday,元旦\n"),
    )
    .await
    .unwrap();
    let calendar = store.calendar().await.unwrap();
    assert_eq!(calendar.working_days_in_year(2027), Ok(260));
    // The earlier years are untouched.
    assert_eq!(
        calendar.working_days(date("2024-09-27"), date("2024-10-09")),
        Ok(5)
    );
}

async fn registration_cycles_never_overlap(db: TestDb) {
    use registry_core::policy::Policy;
    use registry_core::text::Text;
    use registry_core::usecases::DefineCycle;
    let store = &db.store;
    cycles(store).await;
    // Around the use case, the database itself refuses a cycle overlapping another, new or
    // moved; the refusal is a retry (the rerun's check names the overlap).
    let name = Text::parse("重叠周期", 40).unwrap();
    let mut tx = store.begin().await.unwrap();
    let overlapping = tx
        .insert_cycle(
            &name,
            date("2028-06-01"),
            date("2031-12-31"),
            &Policy::default(),
        )
        .await;
    assert!(
        matches!(overlapping, Err(StoreError::Retry)),
        "{overlapping:?}"
    );
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    let mut first = tx
        .cycles()
        .await
        .unwrap()
        .at(date("2022-01-01"))
        .unwrap()
        .clone();
    first = registry_core::cycle::RegistrationCycle::new(
        first.id(),
        Text::parse(first.name(), 40).unwrap(),
        first.start(),
        date("2025-03-31"),
        first.policy().clone(),
    )
    .unwrap();
    let moved = tx.update_cycle(&first).await;
    assert!(matches!(moved, Err(StoreError::Retry)), "{moved:?}");
    drop(tx);

    // Two administrators define overlapping cycles at the same moment, through two
    // connection pools: one is written, the other told of the overlap.
    let other = db.reopen().await;
    let define = |start: &str, end: &str| DefineCycle {
        target: registry_core::usecases::CycleTarget::New,
        name: format!("{start}起"),
        start: date(start),
        end: date(end),
        policy: Policy::default(),
    };
    let (a, b) = tokio::join!(
        run(
            store,
            date(TODAY),
            admin(),
            define("2029-01-01", "2032-12-31")
        ),
        run(
            &other,
            date(TODAY),
            admin(),
            define("2030-01-01", "2033-12-31")
        ),
    );
    let refused: Vec<_> = [&a, &b].into_iter().filter(|r| r.is_err()).collect();
    assert_eq!(refused.len(), 1, "{a:?} {b:?}");
    assert!(
        matches!(refused[0], Err(UseCaseError::Rejected(v)) if v.codes() == ["cycle.overlap"]),
        "{refused:?}"
    );
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.cycles().await.unwrap().as_slice().len(), 3);
}

async fn a_holding_needs_its_qualification_and_employment(db: TestDb) {
    let store = &db.store;
    let a = institution(store, 1, "甲机构").await;
    let person = person(store, &resident_id(41, "1970-01-01"), "钱七", &["QZ-ZZ"]).await;
    let mut tx = store.begin().await.unwrap();
    // No employment of the person by A yet: the foreign key refuses the holding.
    let orphan = tx
        .insert_holding(&NewHolding {
            person,
            item: registry_core::review_item::ReviewItemCode::parse("QZ-ZZ").unwrap(),
            institution: a,
            state: ItemState::Invited,
            since: date(TODAY),
        })
        .await;
    assert!(
        matches!(orphan, Err(StoreError::Unexpected(_))),
        "{orphan:?}"
    );
}

async fn stale_writes_are_conflicts(db: TestDb) {
    let store = &db.store;
    let a = institution(store, 1, "甲机构").await;
    let person = person(store, &resident_id(51, "1970-01-01"), "孙八", &["QZ-ZZ"]).await;
    run(
        store,
        date(TODAY),
        institution_actor(a),
        employ(a, person, &["QZ-ZZ"]),
    )
    .await
    .unwrap();
    let (old_person, old_holding) = {
        let mut tx = store.begin().await.unwrap();
        (
            tx.person(person).await.unwrap().unwrap(),
            tx.holdings_of(person).await.unwrap().remove(0),
        )
    };
    fill_in(store, person, a).await;
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.update_details(person, &old_person.details, old_person.version)
            .await,
        Err(StoreError::Conflict(Conflict::Stale(Entity::Person)))
    );
    assert_eq!(
        tx.update_holding(&old_holding).await,
        Err(StoreError::Conflict(Conflict::Stale(Entity::Holding)))
    );
    drop(tx);
    // Through the use case: a save with the version shown before is a conflict.
    let stale = run(
        store,
        date(TODAY),
        registry_core::ports::Actor::Assessor { person, via: a },
        registry_core::usecases::SaveDetails {
            person,
            via: a,
            form: complete_form("男"),
            version: old_person.version,
        },
    )
    .await;
    assert_eq!(
        stale,
        Err(UseCaseError::Conflict(Conflict::Stale(Entity::Person)))
    );
}

async fn two_edits_of_one_cycle_never_overwrite_each_other(db: TestDb) {
    use registry_core::cycle::CycleForm;
    use registry_core::usecases::{CycleTarget, DefineCycle};
    let store = &db.store;
    cycles(store).await;
    let before = {
        let mut tx = store.begin().await.unwrap();
        tx.cycles()
            .await
            .unwrap()
            .at(date("2026-01-01"))
            .unwrap()
            .clone()
    };
    assert_eq!(before.version(), 1);
    let edit = |name: &str| {
        let mut form = CycleForm::of(before.name(), before.start(), before.end(), before.policy());
        form.name = name.to_owned();
        DefineCycle::from_form(
            CycleTarget::Edit {
                id: before.id(),
                version: before.version(),
            },
            &form,
        )
        .unwrap()
    };
    // Two administrators save from the same reading at the same moment, through two
    // connection pools: one is written, the other told the cycle changed.
    let other = db.reopen().await;
    let (a, b) = tokio::join!(
        run(store, date(TODAY), admin(), edit("甲的名称")),
        run(&other, date(TODAY), admin(), edit("乙的名称")),
    );
    let (saved, refused): (Vec<_>, Vec<_>) = [&a, &b].into_iter().partition(|r| r.is_ok());
    assert_eq!((saved.len(), refused.len()), (1, 1), "{a:?} {b:?}");
    assert_eq!(
        refused[0],
        &Err(UseCaseError::Conflict(Conflict::Stale(Entity::Cycle)))
    );
    let after = {
        let mut tx = store.begin().await.unwrap();
        tx.cycles().await.unwrap().get(before.id()).unwrap().clone()
    };
    assert_eq!(after.version(), 2);
    let winner = if a.is_ok() {
        "甲的名称"
    } else {
        "乙的名称"
    };
    assert_eq!(after.name(), winner);
    // The port itself refuses a write from an old version.
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.update_cycle(&before).await,
        Err(StoreError::Conflict(Conflict::Stale(Entity::Cycle)))
    );
}

async fn registration_numbers_are_unique_and_never_reissued(db: TestDb) {
    let store = &db.store;
    // People without a certificate yet (a certificate gives its holder a number).
    let mut tx = store.begin().await.unwrap();
    let mut people = Vec::new();
    for n in 0..3 {
        people.push(
            tx.insert_person(
                &PersonName::parse("周九").unwrap(),
                &resident_id(60 + n, "1970-01-01"),
            )
            .await
            .unwrap(),
        );
    }
    let first = tx
        .assign_registration_number(people[0], 2026)
        .await
        .unwrap();
    let again = tx
        .assign_registration_number(people[0], 2026)
        .await
        .unwrap();
    assert_eq!(first, again, "a person keeps their number");
    let second = tx
        .assign_registration_number(people[1], 2026)
        .await
        .unwrap();
    let other_year = tx
        .assign_registration_number(people[2], 2027)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((first.year(), first.serial()), (2026, 1));
    assert_eq!((second.year(), second.serial()), (2026, 2));
    assert_eq!((other_year.year(), other_year.serial()), (2027, 1));
    // The database refuses a copied number.
    let connection = Database::connect(db_url(&db)).await.unwrap();
    let backend = connection.get_database_backend();
    let copy = connection
        .execute_raw(Statement::from_string(
            backend,
            format!(
                "UPDATE people SET registration_number = '{first}' WHERE id = {}",
                people[2].get()
            ),
        ))
        .await;
    assert!(copy.is_err());
}

async fn a_dropped_transaction_writes_nothing(db: TestDb) {
    let store = &db.store;
    {
        let mut tx = store.begin().await.unwrap();
        tx.insert_person(
            &PersonName::parse("吴十").unwrap(),
            &resident_id(71, "1970-01-01"),
        )
        .await
        .unwrap();
    }
    assert_eq!(raw_count(&db, "SELECT COUNT(*) FROM people").await, 0);
}

async fn a_failure_midway_through_a_use_case_leaves_nothing(db: TestDb) {
    let store = &db.store;
    cycles(store).await;
    let a = institution(store, 1, "甲机构").await;
    let person = person(
        store,
        &resident_id(81, "1970-01-01"),
        "郑一",
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
    let number = {
        let mut tx = store.begin().await.unwrap();
        tx.person(person)
            .await
            .unwrap()
            .unwrap()
            .registration_number
    };
    let before = (
        raw_count(&db, "SELECT COUNT(*) FROM audit_log").await,
        raw_count(&db, "SELECT COUNT(*) FROM registrations").await,
        raw_count(&db, "SELECT COUNT(*) FROM registration_serials").await,
        raw_count(
            &db,
            "SELECT COUNT(*) FROM holdings WHERE state = 'registered'",
        )
        .await,
    );
    // Registering two items: the number, then per item the holding, the history row and
    // the audit row. Fail at the fifth write, after the first item is fully written.
    let faulty = Faulty::new(store.clone(), 5, Fault::Fail);
    let failed = run(
        &faulty,
        date(TODAY),
        institution_actor(a),
        RegisterItems {
            institution: a,
            person,
            items: vec!["RQ-ZZ".into(), "GL-ZZ".into()],
        },
    )
    .await;
    assert!(matches!(failed, Err(UseCaseError::Unexpected(_))));
    let after = (
        raw_count(&db, "SELECT COUNT(*) FROM audit_log").await,
        raw_count(&db, "SELECT COUNT(*) FROM registrations").await,
        raw_count(&db, "SELECT COUNT(*) FROM registration_serials").await,
        raw_count(
            &db,
            "SELECT COUNT(*) FROM holdings WHERE state = 'registered'",
        )
        .await,
    );
    assert_eq!(before, after);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.person(person)
            .await
            .unwrap()
            .unwrap()
            .registration_number,
        number
    );
}

async fn duplicate_institutions_are_refused(db: TestDb) {
    let store = &db.store;
    let a = institution(store, 1, "甲机构").await;
    let mut tx = store.begin().await.unwrap();
    let existing = tx.institution(a).await.unwrap().unwrap();
    let copy = tx.insert_institution(&existing.details).await;
    assert!(matches!(
        copy,
        Err(StoreError::Duplicate(
            Duplicate::InstitutionNumber | Duplicate::CreditCode
        ))
    ));
    drop(tx);
    let mut details = existing.details.clone();
    details.number = registry_core::text::Text::parse("TS-JP-999", 32).unwrap();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.insert_institution(&details).await,
        Err(StoreError::Duplicate(Duplicate::CreditCode))
    );
}

/// A signed-in request reads its session, the account and the institution's `active` in
/// one statement: each as stored, on both engines.
async fn a_session_is_read_with_its_account_and_institution(db: TestDb) {
    use registry_store::sessions::SessionSubject;
    let store = &db.store;
    let institution = institution(store, 1, "甲鉴定评审中心").await;
    let mut tx = store.begin_read().await.unwrap();
    let account = tx
        .account_of_institution(institution)
        .await
        .unwrap()
        .unwrap();
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    let chief = tx
        .insert_account(
            &registry_core::access::Username::parse("chief").unwrap(),
            registry_core::access::Role::Association(registry_core::access::Duty::Audit),
            &registry_core::access::PasswordHash::new("$argon2id$test".into()),
            false,
            time::macros::date!(2026 - 11 - 30),
        )
        .await
        .unwrap();
    let admin = tx.account(chief).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    let now = time::OffsetDateTime::now_utc();
    store
        .create_session("one", SessionSubject::Account(account.id), now)
        .await
        .unwrap();
    let found = store.signed_in("one").await.unwrap().unwrap();
    assert_eq!(found.session.subject, SessionSubject::Account(account.id));
    assert_eq!(found.account, Some((account.clone(), Some(true))));
    assert_eq!(store.signed_in("none").await.unwrap(), None);

    // The institution stopped: the same session now reads it inactive.
    let mut tx = store.begin().await.unwrap();
    let mut stopped = tx.institution(institution).await.unwrap().unwrap();
    stopped.active = false;
    tx.update_institution(&stopped).await.unwrap();
    tx.commit().await.unwrap();
    let found = store.signed_in("one").await.unwrap().unwrap();
    assert_eq!(found.account, Some((account, Some(false))));

    // The association's account has no institution.
    store
        .create_session("two", SessionSubject::Account(admin.id), now)
        .await
        .unwrap();
    let found = store.signed_in("two").await.unwrap().unwrap();
    assert_eq!(found.account, Some((admin.clone(), None)));
    assert_eq!(
        admin.role,
        registry_core::access::Role::Association(registry_core::access::Duty::Audit)
    );
    assert_eq!(
        store.active_duties().await.unwrap(),
        [registry_core::access::Duty::Audit]
    );

    // The duty changes with the account's version; the listing shows it, with the failed
    // logins counted against the name until they are forgotten.
    let mut tx = store.begin().await.unwrap();
    let moved = registry_core::access::Account {
        role: registry_core::access::Role::Association(registry_core::access::Duty::Security),
        ..admin.clone()
    };
    let version = tx.update_account(&moved).await.unwrap();
    assert!(tx.update_account(&moved).await.is_err(), "a stale version");
    tx.commit().await.unwrap();
    let key = registry_store::sessions::login_key(&admin.username);
    let window = time::Duration::minutes(15);
    for _ in 0..3 {
        store.record_failure(&key, now, window).await.unwrap();
    }
    let listed = store.accounts().await.unwrap();
    let chief_row = listed.first().unwrap();
    assert_eq!(
        (chief_row.account.role, chief_row.account.version),
        (moved.role, version)
    );
    assert_eq!(chief_row.failures.map(|f| f.0), Some(3));
    assert_eq!(chief_row.institution, None);
    let institution_row = listed.get(1).unwrap();
    assert_eq!(
        institution_row.institution.as_ref().map(|i| (i.0, i.2)),
        Some((institution, false))
    );
    let mut tx = store.begin().await.unwrap();
    tx.forget_login_attempts(&admin.username).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store.accounts().await.unwrap().first().unwrap().failures,
        None
    );
    assert_eq!(
        admin.password_changed_on,
        Some(time::macros::date!(2026 - 11 - 30))
    );

    // Passwords no longer used are kept, the latest first.
    let mut tx = store.begin().await.unwrap();
    for n in 1..=3 {
        tx.remember_password(
            admin.id,
            &registry_core::access::PasswordHash::new(format!("$argon2id$old{n}")),
            now,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let earlier = store.earlier_passwords(admin.id, 2).await.unwrap();
    let earlier: Vec<&str> = earlier.iter().map(|h| h.as_str()).collect();
    assert_eq!(earlier, ["$argon2id$old3", "$argon2id$old2"]);
}

/// The runs of batch jobs read back from the audit log, the latest first, from a moment on.
async fn runs_are_read_back_from_a_moment_on(db: TestDb) {
    use registry_core::read::runs::{Job, RunOutcome};
    use registry_core::usecases::RecordRun;
    let store = &db.store;
    for (day, job, outcome) in [
        ("2026-10-01", Job::ImportQualifications, RunOutcome::Refused),
        ("2026-11-20", Job::ImportAttendance, RunOutcome::Done),
        ("2026-11-26", Job::Sweep, RunOutcome::Failed),
    ] {
        run(
            store,
            date(day),
            admin(),
            RecordRun {
                job,
                outcome,
                counts: vec![("rows", 3)],
                message: None,
            },
        )
        .await
        .unwrap();
    }
    let runs = store.runs_since(at(date("2026-10-27")), 10).await.unwrap();
    let actions: Vec<&str> = runs.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["run.sweep", "run.import"]);
    assert!(
        runs[1]
            .after
            .as_deref()
            .unwrap()
            .contains("import.attendance")
    );
    assert_eq!(
        store
            .runs_since(at(date("2026-10-27")), 1)
            .await
            .unwrap()
            .len(),
        1
    );
}

on_both_engines!(
    migrations_are_idempotent_and_load_the_reference_data,
    the_registration_flow_round_trips,
    the_id_number_is_stored_protected,
    the_database_allows_one_active_holding_per_item,
    a_holding_needs_its_qualification_and_employment,
    stale_writes_are_conflicts,
    two_edits_of_one_cycle_never_overwrite_each_other,
    registration_numbers_are_unique_and_never_reissued,
    a_dropped_transaction_writes_nothing,
    a_failure_midway_through_a_use_case_leaves_nothing,
    duplicate_institutions_are_refused,
    registration_cycles_never_overlap,
    the_calendar_loads_whole_years,
    a_session_is_read_with_its_account_and_institution,
    runs_are_read_back_from_a_moment_on,
);
