//! Property tests: the calendar's arithmetic, the ID number's round trip and error
//! detection, and the one-institution-per-item rule over random sequences.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use proptest::prelude::*;
use registry_core::calendar::{WorkCalendar, working_days_day_by_day};
use registry_core::holding::ItemState;
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::ports::Entity;
use registry_core::resident_id::ResidentId;
use registry_core::usecases::{RegisterItems, ReleaseItem, UseCaseError};
use time::{Date, Duration};

use crate::support::{World, date};

fn calendar() -> &'static WorkCalendar {
    static CALENDAR: OnceLock<WorkCalendar> = OnceLock::new();
    CALENDAR.get_or_init(|| registry_core::fixtures::calendar().unwrap())
}

/// A day of the calendar's years, 2013-01-01 + offset.
fn day() -> impl Strategy<Value = Date> {
    let first = date("2013-01-01");
    let days = (date("2026-12-31") - first).whole_days();
    (0..=days).prop_map(move |offset| first + Duration::days(offset))
}

fn ordered(a: Date, b: Date, c: Date) -> (Date, Date, Date) {
    let mut v = [a, b, c];
    v.sort();
    (v[0], v[1], v[2])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn counting_is_additive(a in day(), b in day(), c in day()) {
        let (a, b, c) = ordered(a, b, c);
        let cal = calendar();
        let whole = cal.working_days(a, c).unwrap();
        let left = cal.working_days(a, b).unwrap();
        let right = match b.next_day() {
            Some(next) if next <= c => cal.working_days(next, c).unwrap(),
            _ => 0,
        };
        prop_assert_eq!(whole, left + right);
    }

    #[test]
    fn counting_matches_the_day_by_day_reference(a in day(), b in day()) {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        let cal = calendar();
        let fast = cal.working_days(a, b).unwrap();
        prop_assert_eq!(fast, working_days_day_by_day(cal, a, b).unwrap());
        prop_assert!(i64::from(fast) <= (b - a).whole_days() + 1);
    }

    #[test]
    fn adding_working_days_lands_on_a_working_day_and_counts_back(d in day(), n in 1u32..400) {
        let cal = calendar();
        match cal.add_working_days(d, n) {
            Ok(later) => {
                prop_assert!(later > d);
                prop_assert!(cal.is_working_day(later).unwrap());
                prop_assert_eq!(cal.working_days(d.next_day().unwrap(), later).unwrap(), n);
                prop_assert!((later - d).whole_days() >= i64::from(n));
            }
            Err(e) => prop_assert_eq!(e.code(), "calendar.beyond"),
        }
    }

    #[test]
    fn a_union_counts_each_working_day_once(
        ranges in proptest::collection::vec((day(), 0i64..40), 0..6)
    ) {
        let cal = calendar();
        let last = date("2026-12-31");
        let ranges: Vec<(Date, Date)> = ranges
            .into_iter()
            .map(|(start, len)| (start, (start + Duration::days(len)).min(last)))
            .collect();
        let mut days = BTreeSet::new();
        for &(start, end) in &ranges {
            let mut d = start;
            while d <= end {
                if cal.is_working_day(d).unwrap() {
                    days.insert(d);
                }
                d = d.next_day().unwrap();
            }
        }
        prop_assert_eq!(cal.working_days_in_union(&ranges).unwrap() as usize, days.len());
    }
}

const REGIONS: [u32; 6] = [110105, 310104, 350102, 440305, 510107, 650102];

fn valid_id() -> impl Strategy<Value = ResidentId> {
    let first = date("1900-01-01");
    let span = (date("2026-11-26") - first).whole_days();
    (0..REGIONS.len(), 0..=span, 0u16..1000).prop_map(move |(region, offset, sequence)| {
        ResidentId::from_parts(REGIONS[region], first + Duration::days(offset), sequence).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn valid_ids_round_trip(id in valid_id()) {
        let today = date("2026-11-26");
        let parsed = ResidentId::parse(id.as_str(), today).unwrap();
        prop_assert_eq!(&parsed, &id);
        prop_assert_eq!(parsed.as_str().len(), 18);
        let lower = id.as_str().to_lowercase();
        prop_assert_eq!(ResidentId::parse(&lower, today).unwrap(), id);
    }

    #[test]
    fn any_one_character_change_is_rejected(
        id in valid_id(),
        position in 0usize..18,
        replacement in prop::sample::select("0123456789X".chars().collect::<Vec<_>>()),
    ) {
        let mut chars: Vec<char> = id.as_str().chars().collect();
        prop_assume!(chars[position] != replacement);
        chars[position] = replacement;
        let changed: String = chars.into_iter().collect();
        let result = ResidentId::parse(&changed, date("2026-11-26"));
        prop_assert!(result.is_err(), "{} was accepted", changed);
        prop_assert!(!result.unwrap_err().to_string().is_empty());
    }
}

/// An operation of one institution on one person's item.
#[derive(Debug, Clone)]
enum Op {
    Employ {
        institution: usize,
        person: usize,
        item: usize,
    },
    Release {
        institution: usize,
        person: usize,
        item: usize,
    },
    FillIn {
        institution: usize,
        person: usize,
    },
    Register {
        institution: usize,
        person: usize,
        item: usize,
    },
}

const ITEMS: [&str; 3] = ["RQ-ZZ", "GL-ZZ", "DT-AX"];

fn op() -> impl Strategy<Value = Op> {
    let i = 0..3usize;
    let p = 0..2usize;
    let it = 0..ITEMS.len();
    prop_oneof![
        (i.clone(), p.clone(), it.clone()).prop_map(|(institution, person, item)| Op::Employ {
            institution,
            person,
            item
        }),
        (i.clone(), p.clone(), it.clone()).prop_map(|(institution, person, item)| Op::Release {
            institution,
            person,
            item
        }),
        (i.clone(), p.clone()).prop_map(|(institution, person)| Op::FillIn {
            institution,
            person
        }),
        (i, p, it).prop_map(|(institution, person, item)| Op::Register {
            institution,
            person,
            item
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn at_most_one_institution_holds_an_item(ops in proptest::collection::vec(op(), 1..40)) {
        let mut world = World::new();
        let institutions: Vec<InstitutionId> = (0..3).map(|_| world.institution()).collect();
        let people: Vec<PersonId> = (0..2)
            .map(|_| world.person("1970-01-01", &ITEMS, "2025-03-01"))
            .collect();
        // The model: who holds each (person, item).
        let mut owner: BTreeMap<(usize, usize), usize> = BTreeMap::new();
        let mut history = 0;
        for op in ops {
            match op {
                Op::Employ { institution, person, item } => {
                    let result = world.employ(institutions[institution], people[person], &[ITEMS[item]]);
                    match owner.get(&(person, item)) {
                        None => {
                            prop_assert!(result.is_ok(), "{:?}", result);
                            owner.insert((person, item), institution);
                        }
                        Some(&o) => {
                            // What the institution may know: its own person's items and
                            // who holds them; of a person in the pool, only that the item
                            // is not in it; of anyone else, nothing.
                            let employer = owner.iter().any(|(&(p, _), &w)| p == person && w == institution);
                            let pooled = (0..ITEMS.len()).any(|i| !owner.contains_key(&(person, i)));
                            if employer {
                                let code = if o == institution { "holding.already_held" } else { "holding.held_by_another" };
                                prop_assert!(matches!(&result, Err(UseCaseError::Rejected(v)) if v.has(code)), "{:?}", result);
                            } else if pooled {
                                prop_assert!(matches!(&result, Err(UseCaseError::Rejected(v)) if v.codes() == ["holding.not_in_pool"]), "{:?}", result);
                            } else {
                                prop_assert_eq!(&result, &Err(UseCaseError::NotFound(Entity::Person)));
                            }
                        }
                    }
                }
                Op::Release { institution, person, item } => {
                    let result = world.as_institution(institutions[institution], ReleaseItem {
                        institution: institutions[institution],
                        person: people[person],
                        item: ITEMS[item].into(),
                        reason: "测试".into(),
                    });
                    if owner.get(&(person, item)) == Some(&institution) {
                        prop_assert!(result.is_ok(), "{:?}", result);
                        owner.remove(&(person, item));
                    } else {
                        prop_assert!(matches!(result, Err(UseCaseError::NotFound(_))), "{:?}", result);
                    }
                }
                Op::FillIn { institution, person } => {
                    let holds = owner.iter().any(|(&(p, _), &o)| p == person && o == institution);
                    if holds {
                        world.fill_in(people[person], institutions[institution]);
                    }
                }
                Op::Register { institution, person, item } => {
                    let result = world.as_institution(institutions[institution], RegisterItems {
                        institution: institutions[institution],
                        person: people[person],
                        items: vec![ITEMS[item].into()],
                    });
                    if owner.get(&(person, item)) != Some(&institution) {
                        prop_assert!(matches!(result, Err(UseCaseError::NotFound(_))), "{:?}", result);
                    }
                }
            }
            // The register agrees with the model, and no history is lost.
            let holdings = world.register.all_holdings();
            prop_assert!(holdings.len() >= history);
            history = holdings.len();
            let mut active: BTreeMap<(PersonId, String), InstitutionId> = BTreeMap::new();
            for h in holdings.iter().filter(|h| h.state != ItemState::Released) {
                let previous = active.insert((h.person, h.item.as_str().to_owned()), h.institution);
                prop_assert!(previous.is_none(), "two active holdings of {:?}", h);
            }
            let expected: BTreeMap<(PersonId, String), InstitutionId> = owner
                .iter()
                .map(|(&(p, i), &o)| ((people[p], ITEMS[i].to_owned()), institutions[o]))
                .collect();
            prop_assert_eq!(active, expected);
        }
    }
}

/// A day of 2021—2024, 2021-01-01 + offset.
fn day_of_2021_cycle() -> impl Strategy<Value = Date> {
    let first = date("2021-01-01");
    let days = (date("2024-12-31") - first).whole_days();
    (0..=days).prop_map(move |offset| first + Duration::days(offset))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The gate: an item qualified in 2021—2024 is never registered in 2025—2028 before
    /// 换证, whatever the dates; after 换证 (with the hours owed and a course covering it)
    /// it is, until the cycle's end.
    #[test]
    fn a_later_cycle_needs_the_certificate_renewed(
        exam in day_of_2021_cycle(),
        birth_year in 1957i32..1995,
        registered_after in 0i64..1_300,
    ) {
        let mut world = World::new();
        let institution = world.institution();
        let birth = Date::from_calendar_date(birth_year, time::Month::June, 15).unwrap();
        prop_assume!((18..65).contains(&registry_core::date::full_years(birth, exam)));
        let person = world.person(&registry_core::date::format_date(birth), &["RQ-ZZ"], &registry_core::date::format_date(exam));
        world.today = date("2025-01-01") + Duration::days(registered_after);
        // From 70 a person is out of the pool and cannot be employed (nor registered): an
        // institution that does not employ them learns nothing of them.
        let employed = world.employ(institution, person, &["RQ-ZZ"]);
        if registry_core::date::full_years(birth, world.today) >= 70 {
            prop_assert_eq!(employed.map(|_| ()), Err(UseCaseError::NotFound(Entity::Person)));
            return Ok(());
        }
        employed.unwrap();
        world.fill_in(person, institution);
        let register = |world: &World| world.as_institution(institution, RegisterItems {
            institution,
            person,
            items: vec!["RQ-ZZ".into()],
        });
        let refused = register(&world).unwrap_err();
        let UseCaseError::Rejected(v) = &refused else { panic!("{refused:?}") };
        prop_assert_eq!(v.codes(), vec!["certificate.expired"]);

        // The cycle's hours, on a course that covered the item, then 换证.
        let course = world.admin(registry_core::usecases::CreateCourse { provider: None,
            form: registry_core::education::CourseForm {
                name: "换证培训".into(),
                start: "2024-12-20".into(),
                end: "2024-12-20".into(),
                items: vec!["RQ-ZZ".into()],
                hours: "32".into(),
            },
        }).unwrap();
        world.admin(registry_core::usecases::RecordAttendance { provider: None, course, person, hours: "32".into() }).unwrap();
        let renewed = world.admin(registry_core::usecases::RenewCertificate { person });
        let too_old = registry_core::date::full_years(birth, date("2024-12-31")) >= 65;
        if too_old {
            prop_assert!(renewed.is_err());
            prop_assert!(register(&world).is_err());
        } else {
            prop_assert!(renewed.is_ok(), "{:?}", renewed);
            let registered = register(&world).unwrap();
            prop_assert_eq!(registered.items[0].1.valid_until, date("2028-12-31"));
        }
    }
}
