//! The SQL that restates a rule of the core is tied to it: `Holding::state_on` (a
//! registration whose validity ended counts as expired before the sweep records it) is
//! written again in the institution's state filter and in the sweep's query; who is in the
//! pool (`read::pool::in_pool`, `pooled_items`: what an institution may learn of a person
//! it does not employ rests on it) is written again in the pool search. Random holdings
//! are loaded, and each query must pick exactly what the core's rule picks, on both
//! engines.

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use registry_core::holding::{
    EntryProgress, FillInPasswordHash, Holding, ItemState, RegistrationPeriod,
};
use registry_core::ids::{CycleId, HoldingId, InstitutionId, PersonId};
use registry_core::person::{AssessorDetails, PersonName};
use registry_core::ports::{AuditRecord, Entity, Register, RegisterTx};
use registry_core::review_item::ReviewItemCode;
use registry_store::Store;
use registry_store::bulk::{BulkEmployment, BulkPerson, BulkQualification};
use registry_store::queries::InstitutionPeopleQuery;
use time::{Date, Duration};

use crate::on_both_engines;
use crate::support::*;

const STATES: [ItemState; 6] = [
    ItemState::Invited,
    ItemState::Filling,
    ItemState::AwaitingRegistration,
    ItemState::Registered,
    ItemState::Expired,
    ItemState::Released,
];

/// One holding: its recorded state and, for a registered or expired one, how many days
/// after today its validity ends.
#[derive(Debug, Clone)]
struct Case {
    holdings: Vec<(ItemState, i64)>,
    /// The sweep's day, relative to today.
    as_of: i64,
}

fn cases() -> impl Strategy<Value = Case> {
    (
        proptest::collection::vec((0..STATES.len(), -3i64..=3), 1..12),
        -3i64..=3,
    )
        .prop_map(|(holdings, as_of)| Case {
            holdings: holdings
                .into_iter()
                .map(|(state, days)| (STATES[state], days))
                .collect(),
            as_of,
        })
}

async fn load(store: &Store, round: u32, case: &Case, cycle: CycleId) -> InstitutionId {
    let institution = institution(store, 100 + round, &format!("第{round}轮机构")).await;
    let today = date(TODAY);
    let people: Vec<BulkPerson> = case
        .holdings
        .iter()
        .enumerate()
        .map(|(n, (state, days))| {
            let until = today + Duration::days(*days);
            let registered = matches!(state, ItemState::Registered | ItemState::Expired);
            BulkPerson {
                name: PersonName::parse("属性").unwrap(),
                resident_id: resident_id(
                    u16::try_from(round * 20 + u32::try_from(n).unwrap()).unwrap(),
                    "1975-06-01",
                ),
                details: AssessorDetails::default(),
                qualifications: vec![BulkQualification {
                    item: ReviewItemCode::parse("RQ-ZZ").unwrap(),
                    exam_date: date("2025-03-01"),
                    published_on: date("2025-03-20"),
                }],
                employments: vec![BulkEmployment {
                    institution,
                    password: FillInPasswordHash::new("$argon2id$x".into()),
                    progress: EntryProgress::Complete,
                    since: date("2025-04-01"),
                    holdings: vec![(
                        ReviewItemCode::parse("RQ-ZZ").unwrap(),
                        *state,
                        registered.then_some(RegistrationPeriod {
                            cycle,
                            registered_on: date("2025-05-01"),
                            valid_from: date("2025-05-01"),
                            valid_until: until,
                        }),
                    )],
                }],
            }
        })
        .collect();
    let audit = AuditRecord {
        at: at(today),
        actor: admin(),
        action: "test.load",
        entity: Entity::Person,
        entity_id: 0,
        person: None,
        before: None,
        after: None,
    };
    store.bulk_load(&people, &audit).await.unwrap();
    institution
}

/// The holdings of the institution as the core reads them.
async fn holdings_of(store: &Store, people: &[PersonId]) -> Vec<Holding> {
    let mut tx = store.begin().await.unwrap();
    let mut out = Vec::new();
    for person in people {
        out.extend(tx.holdings_of(*person).await.unwrap());
    }
    out
}

async fn check(store: &Store, round: u32, case: &Case, cycle: CycleId) {
    let institution = load(store, round, case, cycle).await;
    let today = date(TODAY);
    let all = InstitutionPeopleQuery {
        state: None,
        name: None,
        offset: 0,
        limit: 100,
    };
    let (listed, _) = store
        .institution_people(institution, &all, today)
        .await
        .unwrap();
    let people: Vec<PersonId> = listed.iter().map(|p| p.person).collect();
    let holdings = holdings_of(store, &people).await;
    // Every active holding is listed, each item with the core's state of today.
    let states: Vec<(HoldingId, ItemState)> = listed
        .iter()
        .flat_map(|p| p.items.iter().map(|i| (i.holding, i.state)))
        .collect();
    for h in holdings.iter().filter(|h| h.state.is_active()) {
        assert!(
            states.contains(&(h.id, h.state_on(today))),
            "{case:?}: holding {:?} listed as {states:?}",
            h
        );
    }
    // The state filter picks the people the core's rule picks.
    for state in STATES.iter().filter(|s| s.is_active()) {
        let query = InstitutionPeopleQuery {
            state: Some(*state),
            ..all.clone()
        };
        let (found, _) = store
            .institution_people(institution, &query, today)
            .await
            .unwrap();
        let found: BTreeSet<PersonId> = found.iter().map(|p| p.person).collect();
        let expected: BTreeSet<PersonId> = holdings
            .iter()
            .filter(|h| h.state.is_active() && h.state_on(today) == *state)
            .map(|h| h.person)
            .collect();
        assert_eq!(found, expected, "{case:?}: filter {state:?}");
    }
    // The sweep ends what the core says has ended and is still recorded as registered.
    let as_of: Date = today + Duration::days(case.as_of);
    let ended: BTreeSet<PersonId> = store
        .people_with_ended_registrations(as_of)
        .await
        .unwrap()
        .into_iter()
        .filter(|p| people.contains(p))
        .collect();
    let expected: BTreeSet<PersonId> = holdings
        .iter()
        .filter(|h| h.state == ItemState::Registered && h.state_on(as_of) == ItemState::Expired)
        .map(|h| h.person)
        .collect();
    assert_eq!(ended, expected, "{case:?}: sweep as of {as_of}");
}

async fn the_sql_states_are_the_cores(db: TestDb) {
    let store = &db.store;
    cycles(store).await;
    let cycle = {
        let mut tx = store.begin().await.unwrap();
        tx.cycles().await.unwrap().at(date(TODAY)).unwrap().id()
    };
    let mut runner = TestRunner::deterministic();
    let strategy = cases();
    for round in 0..16 {
        let case = strategy.new_tree(&mut runner).unwrap().current();
        check(store, round, &case, cycle).await;
    }
}

/// A person of the pool's property: born `birth_offset` days after the day that makes
/// them 70 today, qualified in some of two items, each held in some state or not at all.
#[derive(Debug, Clone)]
struct PoolPerson {
    birth_offset: i64,
    items: Vec<(ReviewItemCode, Option<ItemState>)>,
}

fn pool_people() -> impl Strategy<Value = Vec<PoolPerson>> {
    let item = (any::<bool>(), proptest::option::of(0..STATES.len()));
    proptest::collection::vec(
        (prop_oneof![-2i64..=2, Just(2000)], item.clone(), item),
        1..8,
    )
    .prop_map(|people| {
        people
            .into_iter()
            .map(|(birth_offset, rq, gl)| PoolPerson {
                birth_offset,
                items: [("RQ-ZZ", rq), ("GL-ZZ", gl)]
                    .into_iter()
                    .filter(|(_, (qualified, _))| *qualified)
                    .map(|(code, (_, state))| {
                        (
                            ReviewItemCode::parse(code).unwrap(),
                            state.map(|s| STATES[s]),
                        )
                    })
                    .collect(),
            })
            .filter(|p| !p.items.is_empty())
            .collect()
    })
}

async fn check_pool(store: &Store, round: u32, case: &[PoolPerson]) {
    const NAMES: &str = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳";
    let name = format!("池{}", NAMES.chars().nth(round as usize).unwrap());
    let institution = institution(store, 200 + round, &format!("第{round}池机构")).await;
    let today = date(TODAY);
    let seventy = date("1956-11-26");
    let people: Vec<BulkPerson> = case
        .iter()
        .enumerate()
        .map(|(n, p)| {
            let birth = registry_core::date::format_date(seventy + Duration::days(p.birth_offset));
            let held: Vec<_> = p
                .items
                .iter()
                .filter_map(|(item, state)| state.map(|s| (item.clone(), s, None)))
                .collect();
            BulkPerson {
                name: PersonName::parse(&name).unwrap(),
                resident_id: resident_id(
                    u16::try_from(500 + round * 10 + u32::try_from(n).unwrap()).unwrap(),
                    &birth,
                ),
                details: AssessorDetails::default(),
                qualifications: p
                    .items
                    .iter()
                    .map(|(item, _)| BulkQualification {
                        item: item.clone(),
                        exam_date: date("2025-03-01"),
                        published_on: date("2025-03-20"),
                    })
                    .collect(),
                employments: if held.is_empty() {
                    vec![]
                } else {
                    vec![BulkEmployment {
                        institution,
                        password: FillInPasswordHash::new("$argon2id$x".into()),
                        progress: EntryProgress::Complete,
                        since: date("2025-04-01"),
                        holdings: held,
                    }]
                },
            }
        })
        .collect();
    let audit = AuditRecord {
        at: at(today),
        actor: admin(),
        action: "test.load",
        entity: Entity::Person,
        entity_id: 0,
        person: None,
        before: None,
        after: None,
    };
    store.bulk_load(&people, &audit).await.unwrap();

    let mut tx = store.begin().await.unwrap();
    let cycles = tx.cycles().await.unwrap();
    let limit = registry_core::read::pool::pool_age_limit(&cycles, today);
    let found = store
        .pool_search(
            &registry_store::queries::PoolQuery {
                name: Some(name.clone()),
                item: None,
                offset: 0,
                limit: 100,
            },
            today,
            limit,
        )
        .await
        .unwrap();
    let found: BTreeSet<(PersonId, ReviewItemCode)> =
        found.into_iter().map(|e| (e.person, e.item)).collect();
    let mut expected = BTreeSet::new();
    for person in &people {
        let known = tx
            .person_by_resident_id(&person.resident_id)
            .await
            .unwrap()
            .unwrap();
        let qualifications = tx.qualifications(known.id).await.unwrap();
        let holdings = tx.holdings_of(known.id).await.unwrap();
        let birth = known.resident_id.birth_date();
        if registry_core::read::pool::in_pool(birth, &qualifications, &holdings, &cycles, today) {
            for item in registry_core::read::pool::pooled_items(&qualifications, &holdings) {
                expected.insert((known.id, item.clone()));
            }
        }
    }
    assert_eq!(found, expected, "{case:?}");
}

async fn the_pool_in_sql_is_the_cores(db: TestDb) {
    let store = &db.store;
    cycles(store).await;
    let mut runner = TestRunner::deterministic();
    let strategy = pool_people();
    for round in 0..16 {
        let case = strategy.new_tree(&mut runner).unwrap().current();
        check_pool(store, round, &case).await;
    }
}

on_both_engines!(the_sql_states_are_the_cores, the_pool_in_sql_is_the_cores);
