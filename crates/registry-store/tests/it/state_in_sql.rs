//! The SQL that restates a rule of the core is tied to it: `Holding::state_on` (a
//! registration whose validity ended counts as expired before the sweep records it) is
//! written again in the institution's state filter and in the sweep's query. Random
//! holdings are loaded, and each query must pick exactly the holdings the core's rule
//! picks, on both engines.

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

on_both_engines!(the_sql_states_are_the_cores);
