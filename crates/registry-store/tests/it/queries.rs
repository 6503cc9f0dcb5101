//! The reads behind the pages, on both engines, over a small register with every case:
//! two people of the same name, a person at two institutions, a released item, a person
//! too old for the pool, an unregistered certificate holder.

use registry_core::assessment::AssessmentForm;
use registry_core::education::CourseForm;
use registry_core::holding::ItemState;
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::registration_number::RegistrationNumber;
use registry_core::resident_id::ResidentId;
use registry_core::review_item::ReviewItemCode;
use registry_core::usecases::{
    CreateCourse, RecordAssessment, RecordAttendance, RegisterItems, ReleaseItem,
};
use registry_store::Store;
use registry_store::queries::{InstitutionPeopleQuery, PoolQuery, PublicQuery};
use rust_decimal::Decimal;

use crate::on_both_engines;
use crate::support::*;

struct Register {
    a: InstitutionId,
    b: InstitutionId,
    zhang: PersonId,
    zhang_id: ResidentId,
    zhang_number: RegistrationNumber,
    other_zhang: PersonId,
    other_zhang_id: ResidentId,
    li: PersonId,
    old: PersonId,
    released: PersonId,
}

fn code(text: &str) -> ReviewItemCode {
    ReviewItemCode::parse(text).unwrap()
}

async fn register_items(
    store: &Store,
    institution: InstitutionId,
    person: PersonId,
    items: &[&str],
) -> RegistrationNumber {
    run(
        store,
        date(TODAY),
        institution_actor(institution),
        RegisterItems {
            institution,
            person,
            items: items.iter().map(|s| s.to_string()).collect(),
        },
    )
    .await
    .unwrap()
    .number
}

async fn seed(store: &Store) -> Register {
    cycles(store).await;
    let a = institution(store, 1, "福建省特种设备鉴定评审中心").await;
    let b = institution(store, 2, "上海市特种设备鉴定中心").await;

    let zhang_id = resident_id(1, "1970-05-20");
    let zhang = person(store, &zhang_id, "张伟", &["RQ-ZZ", "GL-ZZ"]).await;
    run(
        store,
        date(TODAY),
        institution_actor(a),
        employ(a, zhang, &["RQ-ZZ"]),
    )
    .await
    .unwrap();
    run(
        store,
        date(TODAY),
        institution_actor(b),
        employ(b, zhang, &["GL-ZZ"]),
    )
    .await
    .unwrap();
    fill_in(store, zhang, a).await;
    fill_in(store, zhang, b).await;
    let zhang_number = register_items(store, a, zhang, &["RQ-ZZ"]).await;
    register_items(store, b, zhang, &["GL-ZZ"]).await;

    // Hours and working days of the registered person.
    let course = run(
        store,
        date(TODAY),
        admin(),
        CreateCourse {
            provider: None,
            form: CourseForm {
                name: "2025年压力容器继续教育".into(),
                start: "2025-05-08".into(),
                end: "2025-05-10".into(),
                items: vec!["RQ-ZZ".into()],
                hours: "16".into(),
            },
        },
    )
    .await
    .unwrap();
    run(
        store,
        date(TODAY),
        admin(),
        RecordAttendance {
            provider: None,
            course,
            person: zhang,
            hours: "12.5".into(),
        },
    )
    .await
    .unwrap();
    for (start, end) in [("2024-09-27", "2024-10-09"), ("2024-10-08", "2024-10-10")] {
        run(
            store,
            date(TODAY),
            institution_actor(a),
            RecordAssessment {
                person: zhang,
                institution: Some(a),
                form: AssessmentForm {
                    applicant_unit: "某压力容器有限公司".into(),
                    item: "RQ-ZZ".into(),
                    start: start.into(),
                    end: end.into(),
                    kind: "首次".into(),
                },
            },
        )
        .await
        .unwrap();
    }

    let other_zhang_id = resident_id(2, "1980-02-02");
    let other_zhang = person(store, &other_zhang_id, "张伟", &["DT-ZZ", "DT-AX"]).await;
    run(
        store,
        date(TODAY),
        institution_actor(a),
        employ(a, other_zhang, &["DT-ZZ"]),
    )
    .await
    .unwrap();

    let li = person(store, &resident_id(3, "1985-08-08"), "李娜", &["QP-CZ"]).await;
    let old = person_examined(
        store,
        &resident_id(4, "1956-11-26"),
        "老专家",
        &["QP-CZ"],
        "2020-06-01",
    )
    .await;

    let released = person(store, &resident_id(5, "1975-01-01"), "王强", &["QZ-AX"]).await;
    run(
        store,
        date(TODAY),
        institution_actor(b),
        employ(b, released, &["QZ-AX"]),
    )
    .await
    .unwrap();
    run(
        store,
        date(TODAY),
        institution_actor(b),
        ReleaseItem {
            institution: b,
            person: released,
            item: "QZ-AX".into(),
            reason: "合同到期".into(),
        },
    )
    .await
    .unwrap();

    Register {
        a,
        b,
        zhang,
        zhang_id,
        zhang_number,
        other_zhang,
        other_zhang_id,
        li,
        old,
        released,
    }
}

async fn self_service_search_finds_people_by_name_and_institution(db: TestDb) {
    let store = &db.store;
    let r = seed(store).await;
    let today = date(TODAY);
    // The list the search offers: the active institutions, in the order they were added.
    let names = store.active_institution_names().await.unwrap();
    assert_eq!(
        names,
        [
            (r.a, "福建省特种设备鉴定评审中心".to_owned()),
            (r.b, "上海市特种设备鉴定中心".to_owned())
        ]
    );
    let found = store
        .self_service_search("张伟", &[r.a], today, 20)
        .await
        .unwrap();
    let people: Vec<(PersonId, InstitutionId)> =
        found.iter().map(|m| (m.person, m.institution)).collect();
    assert_eq!(people, [(r.zhang, r.a), (r.other_zhang, r.a)]);
    assert_eq!(found[0].institution_name, "福建省特种设备鉴定评审中心");
    assert_eq!(found[0].items, [(code("RQ-ZZ"), ItemState::Registered)]);
    assert_eq!(found[1].items, [(code("DT-ZZ"), ItemState::Invited)]);

    // A person at two institutions is found through either.
    let shanghai = store
        .self_service_search(" 张伟 ", &[r.b], today, 20)
        .await
        .unwrap();
    assert_eq!(shanghai.len(), 1);
    assert_eq!(
        (shanghai[0].person, shanghai[0].institution),
        (r.zhang, r.b)
    );
    // Institutions of the same name are searched together.
    let both = store
        .self_service_search("张伟", &[r.a, r.b], today, 20)
        .await
        .unwrap();
    assert_eq!(both.len(), 3);

    for (name, institutions) in [
        ("张", vec![r.a]),
        ("张伟", vec![InstitutionId::new(999_999)]),
        ("", vec![r.a]),
        ("张伟", vec![]),
        ("王强", vec![r.b]),
    ] {
        assert!(
            store
                .self_service_search(name, &institutions, today, 20)
                .await
                .unwrap()
                .is_empty(),
            "{name} / {institutions:?}"
        );
    }
}

async fn public_search_shows_registered_people_only(db: TestDb) {
    let store = &db.store;
    let r = seed(store).await;
    let today = date(TODAY);
    let by_name = store
        .public_search(&PublicQuery::Name("张伟".into()), today, calendar(), 20)
        .await
        .unwrap();
    assert_eq!(by_name.len(), 1, "the unregistered namesake is not public");
    let zhang = &by_name[0];
    assert_eq!(zhang.person, r.zhang);
    assert_eq!(zhang.registration_number, Some(r.zhang_number));
    let institutions: Vec<(&str, Vec<&str>)> = zhang
        .institutions
        .iter()
        .map(|i| {
            (
                i.name.as_str(),
                i.items.iter().map(|(c, _)| c.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        institutions,
        [
            ("上海市特种设备鉴定中心", vec!["GL-ZZ"]),
            ("福建省特种设备鉴定评审中心", vec!["RQ-ZZ"])
        ]
    );
    assert_eq!(zhang.institutions[0].items[0].1, date("2028-12-31"));
    assert_eq!(zhang.cycle.as_deref(), Some("2025—2028"));
    assert_eq!(zhang.hours_this_cycle, Decimal::new(125, 1));
    // 2024-09-27…10-09 (5) and 10-08…10-10 (3) overlap on 8 and 9 October: 6 days.
    assert_eq!(zhang.working_days, 6);

    let by_id = store
        .public_search(
            &PublicQuery::ResidentId(r.zhang_id.clone()),
            today,
            calendar(),
            20,
        )
        .await
        .unwrap();
    assert_eq!(by_id.len(), 1);
    let by_number = store
        .public_search(
            &PublicQuery::RegistrationNumber(r.zhang_number),
            today,
            calendar(),
            20,
        )
        .await
        .unwrap();
    assert_eq!(by_number.len(), 1);
    let unregistered = store
        .public_search(
            &PublicQuery::ResidentId(r.other_zhang_id.clone()),
            today,
            calendar(),
            20,
        )
        .await
        .unwrap();
    assert!(
        unregistered.is_empty(),
        "a certificate holder who is not registered is not found"
    );
    // After the registrations end, nobody is public.
    let later = store
        .public_search(
            &PublicQuery::Name("张伟".into()),
            date("2029-01-01"),
            calendar(),
            20,
        )
        .await;
    assert!(later.unwrap().is_empty());
}

async fn an_early_renewal_keeps_the_person_public_until_the_new_period_starts(db: TestDb) {
    use registry_core::holding::{RegistrationPeriod, RegistrationRecord};
    use registry_core::ports::{Register, RegisterTx};
    let store = &db.store;
    let r = seed(store).await;
    let next = run(
        store,
        date(TODAY),
        admin(),
        registry_core::usecases::DefineCycle {
            target: registry_core::usecases::CycleTarget::New,
            name: "2029—2032".into(),
            start: date("2029-01-01"),
            end: date("2032-12-31"),
            policy: registry_core::policy::Policy::default(),
        },
    )
    .await
    .unwrap();
    // Renewed on 2028-10-15, in the window before 2028-12-31: the holding now carries the
    // next period, the record of the current one stays (as RegisterItems writes them).
    let mut tx = store.begin().await.unwrap();
    let mut holding = tx
        .holdings_of(r.zhang)
        .await
        .unwrap()
        .into_iter()
        .find(|h| h.item == code("RQ-ZZ"))
        .unwrap();
    let period = RegistrationPeriod {
        cycle: next,
        registered_on: date("2028-10-15"),
        valid_from: date("2029-01-01"),
        valid_until: date("2032-12-31"),
    };
    holding.registration = Some(period.clone());
    tx.update_holding(&holding).await.unwrap();
    tx.insert_registration(&RegistrationRecord {
        holding: holding.id,
        person: r.zhang,
        item: code("RQ-ZZ"),
        institution: r.a,
        period,
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let shown = |on: &'static str| async move {
        store
            .public_search(&PublicQuery::Name("张伟".into()), date(on), calendar(), 20)
            .await
            .unwrap()
            .into_iter()
            .flat_map(|p| p.institutions)
            .flat_map(|i| i.items)
            .filter(|(c, _)| *c == code("RQ-ZZ"))
            .map(|(_, until)| until)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        shown("2028-11-01").await,
        [date("2028-12-31")],
        "the current period"
    );
    assert_eq!(
        shown("2029-02-01").await,
        [date("2032-12-31")],
        "then the renewed one"
    );
}

async fn the_pool_holds_unheld_items_of_people_who_can_still_register(db: TestDb) {
    let store = &db.store;
    let r = seed(store).await;
    let today = date(TODAY);
    let all = store
        .pool_search(
            &PoolQuery {
                limit: 20,
                ..PoolQuery::default()
            },
            today,
            70,
        )
        .await
        .unwrap();
    let entries: Vec<(PersonId, &str)> = all.iter().map(|e| (e.person, e.item.as_str())).collect();
    assert_eq!(
        entries,
        [
            (r.li, "QP-CZ"),
            (r.released, "QZ-AX"),
            (r.other_zhang, "DT-AX"),
        ],
        "held items are not in the pool; {:?} (aged 70 today) is not either; \
         in the pinyin order of the names (李, 王, 张)",
        r.old
    );
    assert_eq!(all[0].qualified_on, date("2025-03-01"));
    assert_eq!(
        store
            .pool_total(&PoolQuery::default(), today, 70)
            .await
            .unwrap(),
        3
    );
    assert!(!all.iter().any(|e| e.person == r.old));

    let by_item = store
        .pool_search(
            &PoolQuery {
                item: Some(code("QP-CZ")),
                limit: 20,
                ..PoolQuery::default()
            },
            today,
            70,
        )
        .await
        .unwrap();
    assert_eq!(by_item.len(), 1);
    let by_name = store
        .pool_search(
            &PoolQuery {
                name: Some("王强".into()),
                limit: 20,
                ..PoolQuery::default()
            },
            today,
            70,
        )
        .await
        .unwrap();
    assert_eq!(by_name[0].person, r.released);
    // The day before their 70th birthday the old expert was still in the pool.
    let yesterday = store
        .pool_search(
            &PoolQuery {
                item: Some(code("QP-CZ")),
                limit: 20,
                ..PoolQuery::default()
            },
            date("2026-11-25"),
            70,
        )
        .await
        .unwrap();
    assert_eq!(yesterday.len(), 2);
    // Pages follow each other.
    let first = store
        .pool_search(
            &PoolQuery {
                limit: 2,
                ..PoolQuery::default()
            },
            today,
            70,
        )
        .await
        .unwrap();
    let next = store
        .pool_search(
            &PoolQuery {
                offset: 2,
                limit: 2,
                ..PoolQuery::default()
            },
            today,
            70,
        )
        .await
        .unwrap();
    assert_eq!(first.len() + next.len(), 3);
    assert_eq!(next[0].person, r.other_zhang);
}

async fn an_institution_sees_its_people_and_each_items_state(db: TestDb) {
    let store = &db.store;
    let r = seed(store).await;
    let today = date(TODAY);
    let everyone = InstitutionPeopleQuery {
        limit: 20,
        ..InstitutionPeopleQuery::default()
    };
    let (people, total) = store
        .institution_people(r.a, &everyone, today)
        .await
        .unwrap();
    assert_eq!(total, 2);
    let rows: Vec<(PersonId, Vec<(&str, ItemState)>)> = people
        .iter()
        .map(|p| {
            (
                p.person,
                p.items.iter().map(|i| (i.item.as_str(), i.state)).collect(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (r.zhang, vec![("RQ-ZZ", ItemState::Registered)]),
            (r.other_zhang, vec![("DT-ZZ", ItemState::Invited)]),
        ]
    );
    assert_eq!(people[0].masked_id, r.zhang_id.masked());
    assert_eq!(people[0].items[0].valid_until, Some(date("2028-12-31")));

    let registered = InstitutionPeopleQuery {
        state: Some(ItemState::Registered),
        ..everyone.clone()
    };
    let (only, total) = store
        .institution_people(r.a, &registered, today)
        .await
        .unwrap();
    assert_eq!((only.len(), total), (1, 1));
    let (expired, _) = store
        .institution_people(
            r.a,
            &InstitutionPeopleQuery {
                state: Some(ItemState::Expired),
                ..everyone.clone()
            },
            date("2029-01-02"),
        )
        .await
        .unwrap();
    assert_eq!(expired[0].person, r.zhang);
    let (paged, total) = store
        .institution_people(
            r.a,
            &InstitutionPeopleQuery {
                offset: 1,
                limit: 1,
                ..everyone.clone()
            },
            today,
        )
        .await
        .unwrap();
    assert_eq!((paged[0].person, total), (r.other_zhang, 2));
    // B sees only its own item of the person at two institutions; the released one is gone.
    let (at_b, _) = store
        .institution_people(r.b, &everyone, today)
        .await
        .unwrap();
    assert_eq!(at_b.len(), 1);
    assert_eq!(at_b[0].items.len(), 1);
    assert_eq!(at_b[0].items[0].item.as_str(), "GL-ZZ");
}

async fn a_persons_history_has_every_holding_and_change(db: TestDb) {
    let store = &db.store;
    let r = seed(store).await;
    let history = store.person_history(r.zhang).await.unwrap().unwrap();
    assert_eq!(history.person.resident_id, r.zhang_id);
    assert_eq!(history.qualifications.len(), 2);
    assert_eq!(history.holdings.len(), 2);
    assert_eq!(history.registrations.len(), 2);
    assert!(
        history
            .audit
            .iter()
            .any(|e| e.action == "assessment.record")
    );
    assert!(
        history
            .audit
            .iter()
            .any(|e| e.action == "attendance.record")
    );
    assert!(
        store
            .person_history(PersonId::new(999_999))
            .await
            .unwrap()
            .is_none()
    );
}

async fn counters_add_up_in_their_window_and_old_ones_are_purged(db: TestDb) {
    let store = &db.store;
    let now = date(TODAY).midnight().assume_utc() + time::Duration::hours(10);
    let minute = time::Duration::minutes(1);
    let day = time::Duration::days(1);
    let key = "search:10.0.0.1";
    assert_eq!(
        store.add_to_count(key, 3, now, minute).await.unwrap().count,
        3
    );
    let later = now + time::Duration::seconds(30);
    assert_eq!(
        store
            .add_to_count(key, 2, later, minute)
            .await
            .unwrap()
            .count,
        5
    );
    // A new window starts from what is added.
    let next = now + time::Duration::seconds(61);
    assert_eq!(
        store
            .add_to_count(key, 4, next, minute)
            .await
            .unwrap()
            .count,
        4
    );
    store
        .add_to_count("search:10.0.0.2", 1, now - 2 * day, minute)
        .await
        .unwrap();
    assert_eq!(store.purge_sessions(now - day).await.unwrap(), 1);
    assert_eq!(store.failures(key, next, minute).await.unwrap().count, 4);
    // An attempt given back (it succeeded); never below zero, nothing for an unknown key.
    store.release_count(key).await.unwrap();
    assert_eq!(store.failures(key, next, minute).await.unwrap().count, 3);
    for _ in 0..5 {
        store.release_count(key).await.unwrap();
    }
    assert_eq!(store.failures(key, next, minute).await.unwrap().count, 0);
    store.release_count("client:nobody").await.unwrap();
}

async fn an_entrys_fill_in_counters_are_forgotten_with_its_transaction(db: TestDb) {
    use registry_core::ports::{Register, RegisterTx};
    use registry_store::sessions::{fill_in_client_key, fill_in_entry_key};
    let store = &db.store;
    let now = date(TODAY).midnight().assume_utc() + time::Duration::hours(10);
    let window = time::Duration::minutes(15);
    let (p, i) = (PersonId::new(1), InstitutionId::new(2));
    let other = InstitutionId::new(23);
    let keys = [
        fill_in_entry_key(p, i),
        fill_in_client_key(p, i, "10.0.0.1"),
        fill_in_client_key(p, i, "2001:db8::1"),
        // Another entry whose key begins alike, and the client's own count: kept.
        fill_in_entry_key(p, other),
        fill_in_client_key(p, other, "10.0.0.1"),
        "client:10.0.0.1".to_owned(),
    ];
    for key in &keys {
        store.add_to_count(key, 3, now, window).await.unwrap();
    }
    let counts = || async {
        let mut counts = Vec::new();
        for key in &keys {
            counts.push(store.failures(key, now, window).await.unwrap().count);
        }
        counts
    };
    // Dropped without a commit: nothing forgotten.
    {
        let mut tx = store.begin().await.unwrap();
        tx.forget_fill_in_attempts(p, i).await.unwrap();
    }
    assert_eq!(counts().await, [3; 6]);
    let mut tx = store.begin().await.unwrap();
    tx.forget_fill_in_attempts(p, i).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(counts().await, [0, 0, 0, 3, 3, 3]);
}

async fn names_come_in_pinyin_order_and_in_pages(db: TestDb) {
    let store = &db.store;
    let r = seed(store).await;
    let today = date(TODAY);
    // in code-point order 何 刘 吴 包 张 赵 阿 陈; in pinyin 阿 包 陈 何 刘 吴 张 赵
    let names = [
        "赵六", "张三", "吴二", "刘一", "何五", "陈四", "包七", "阿八",
    ];
    let mut ids = vec![];
    for (n, name) in names.iter().enumerate() {
        let id = resident_id(200 + n as u16, "1975-05-05");
        ids.push(person(store, &id, name, &["GD-SJ"]).await);
    }
    let in_pinyin = [
        "阿八", "包七", "陈四", "何五", "刘一", "吴二", "张三", "赵六",
    ];
    let query = |offset| PoolQuery {
        item: Some(code("GD-SJ")),
        offset,
        limit: 3,
        ..PoolQuery::default()
    };
    let mut pool = vec![];
    for offset in [0, 3, 6] {
        let page = store.pool_search(&query(offset), today, 70).await.unwrap();
        assert!(page.len() <= 3);
        pool.extend(page.into_iter().map(|e| e.name));
    }
    assert_eq!(pool, in_pinyin, "the pool, three pages of three");
    assert_eq!(store.pool_total(&query(0), today, 70).await.unwrap(), 8);

    // The same order in an institution's list, paged, with the total.
    for id in &ids {
        run(
            store,
            date(TODAY),
            institution_actor(r.a),
            employ(r.a, *id, &["GD-SJ"]),
        )
        .await
        .unwrap();
    }
    let mut listed = vec![];
    let mut totals = vec![];
    for offset in [0, 5] {
        let (people, total) = store
            .institution_people(
                r.a,
                &InstitutionPeopleQuery {
                    state: Some(ItemState::Invited),
                    offset,
                    limit: 5,
                    ..InstitutionPeopleQuery::default()
                },
                today,
            )
            .await
            .unwrap();
        totals.push(total);
        listed.extend(people.into_iter().map(|p| p.name));
    }
    // with the seed's 张伟, invited by the same institution (san before wei)
    assert_eq!(
        listed,
        [
            "阿八", "包七", "陈四", "何五", "刘一", "吴二", "张三", "张伟", "赵六"
        ]
    );
    assert_eq!(totals, [9, 9]);

    // Released items are listed under 已退回, not among the institution's people.
    run(
        store,
        date(TODAY),
        institution_actor(r.a),
        ReleaseItem {
            institution: r.a,
            person: ids[0],
            item: "GD-SJ".into(),
            reason: "离职".into(),
        },
    )
    .await
    .unwrap();
    let released = |state| InstitutionPeopleQuery {
        state,
        limit: 20,
        ..InstitutionPeopleQuery::default()
    };
    let (people, total) = store
        .institution_people(r.a, &released(Some(ItemState::Released)), today)
        .await
        .unwrap();
    assert!(people.iter().any(|p| {
        p.name == "赵六"
            && p.items
                .iter()
                .any(|i| i.state == ItemState::Released && i.released_on == Some(today))
    }));
    assert!(total >= 1);
    let (people, _) = store
        .institution_people(r.a, &released(Some(ItemState::Invited)), today)
        .await
        .unwrap();
    assert!(!people.iter().any(|p| p.name == "赵六"));
}

async fn the_figures_count_what_the_register_holds(db: TestDb) {
    let store = &db.store;
    let r = seed(store).await;
    let today = date(TODAY);
    let states = |list: Vec<(ItemState, u64)>| {
        let mut list: Vec<(&str, u64)> = list.into_iter().map(|(s, n)| (s.code(), n)).collect();
        list.sort();
        list
    };
    // 张伟 registered at both institutions, the other 张伟 invited at A, 王强 released at B.
    assert_eq!(
        states(store.holding_states(None, today).await.unwrap()),
        [("invited", 1), ("registered", 2), ("released", 1)]
    );
    assert_eq!(
        states(store.holding_states(Some(r.a), today).await.unwrap()),
        [("invited", 1), ("registered", 1)]
    );
    // Both registrations end with the cycle; the registered person counted once.
    let ends = store.registration_ends(None, today).await.unwrap();
    assert_eq!(ends, [date("2028-12-31"), date("2028-12-31")]);
    assert_eq!(
        store
            .registration_ends(Some(r.b), today)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store.registered_births(None, today).await.unwrap(),
        [date("1970-05-20")]
    );
    let mut spans: Vec<(InstitutionId, String)> = store
        .registration_spans(None, today)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.institution, s.item.as_str().to_owned()))
        .collect();
    spans.sort();
    assert_eq!(
        spans,
        [(r.a, "RQ-ZZ".to_owned()), (r.b, "GL-ZZ".to_owned())]
    );
    // The pool: the other 张伟's DT-AX, 李娜's QP-CZ, 王强's released QZ-AX (the old
    // expert, 70 today, is not in it).
    let mut pool: Vec<(String, u64)> = store
        .pool_sizes(today, 70)
        .await
        .unwrap()
        .into_iter()
        .map(|(i, n)| (i.as_str().to_owned(), n))
        .collect();
    pool.sort();
    assert_eq!(
        pool,
        [
            ("DT-AX".to_owned(), 1),
            ("QP-CZ".to_owned(), 1),
            ("QZ-AX".to_owned(), 1)
        ]
    );
    let items: Vec<String> = store
        .institution_items(r.a)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.as_str().to_owned())
        .collect();
    assert_eq!(items, ["DT-ZZ", "RQ-ZZ"]);
    // A card per registered institution, none mailed.
    assert_eq!(store.pending_cards(r.a).await.unwrap(), 1);
    assert_eq!(store.pending_cards(r.b).await.unwrap(), 1);
    assert!(
        store
            .mailed_since(date("2026-11-01"))
            .await
            .unwrap()
            .is_empty()
    );
    // Ending by the cycle's end: both, in the pinyin order of the names, with the
    // institution.
    let (listed, total) = store
        .expiring_everywhere(today, date("2028-12-31"), 0, 20)
        .await
        .unwrap();
    assert_eq!(total, 2);
    assert!(listed.iter().all(|(e, _)| e.person == r.zhang));
    let (none, total) = store
        .expiring_everywhere(today, date("2027-11-30"), 0, 20)
        .await
        .unwrap();
    assert!(none.is_empty() && total == 0);
}

on_both_engines!(
    the_figures_count_what_the_register_holds,
    names_come_in_pinyin_order_and_in_pages,
    an_entrys_fill_in_counters_are_forgotten_with_its_transaction,
    counters_add_up_in_their_window_and_old_ones_are_purged,
    self_service_search_finds_people_by_name_and_institution,
    public_search_shows_registered_people_only,
    an_early_renewal_keeps_the_person_public_until_the_new_period_starts,
    the_pool_holds_unheld_items_of_people_who_can_still_register,
    an_institution_sees_its_people_and_each_items_state,
    a_persons_history_has_every_holding_and_change,
);
