//! The prerequisites of registering a person's review item (注册), and the validity of a
//! registration.
//!
//! An item can be registered only if:
//! - the institution holds it and it awaits registration (or, for a renewal, its
//!   registration has expired or is within the renewal window before its end);
//! - the person holds the qualification for it;
//! - the person is under the registration age limit (70) on the first day of validity;
//! - the person's details are complete;
//! - for a renewal (the person held a registration of that item in an earlier cycle): in
//!   the cycle before the one registered for, the person's continuing-education hours meet
//!   that cycle's requirement and an attended course covered the item.
//!
//! A registration is valid until the earlier of the cycle's end and the day before the
//! person's 70th birthday.

use time::Date;

use crate::cycle::{Cycles, RegistrationCycle, renewal_window_opens};
use crate::date::{anniversary, format_date, full_years};
use crate::education::{Attendance, TrainingCourse, education_in_cycle, education_obstacles};
use crate::holding::{Holding, ItemState, RegistrationPeriod, RegistrationRecord};
use crate::person::{Person, labels};
use crate::qualification::Qualification;
use crate::review_item::{ReviewItemCatalogue, ReviewItemCode};
use crate::violation::Violation;

/// Everything the register knows about a person that bears on registering their items.
#[derive(Debug, Clone, Copy)]
pub struct PersonFacts<'a> {
    /// The person, with their details.
    pub person: &'a Person,
    /// The items they passed.
    pub qualifications: &'a [Qualification],
    /// Every registration of their items, at any institution.
    pub history: &'a [RegistrationRecord],
    /// The training courses they attended.
    pub courses: &'a [TrainingCourse],
    /// Their attendance entries.
    pub attendance: &'a [Attendance],
}

/// The register's reference data the rules read.
#[derive(Debug, Clone, Copy)]
pub struct Reference<'a> {
    /// The review items.
    pub catalogue: &'a ReviewItemCatalogue,
    /// The registration cycles.
    pub cycles: &'a Cycles,
}

/// The last day a registration starting in `cycle` may run for a person born on `birth`:
/// the cycle's end, or the day before the birthday of the registration age limit (70),
/// whichever comes first.
pub fn valid_until(cycle: &RegistrationCycle, birth: Date) -> Date {
    let limit = cycle.policy().registration_age_limit;
    let last_day_under_limit = anniversary(birth, limit).and_then(|day| day.previous_day());
    match last_day_under_limit {
        Some(day) => day.min(cycle.end()),
        None => cycle.end(),
    }
}

/// The violations that concern the person as a whole rather than one item: incomplete
/// details.
pub fn person_obstacles(person: &Person) -> Vec<Violation> {
    let missing = person.details.missing();
    if missing.is_empty() {
        vec![]
    } else {
        vec![Violation::DetailsIncomplete {
            missing: labels(&missing),
        }]
    }
}

/// The violations of registering `item` for `cycle` with validity from `valid_from`, as far
/// as the item itself goes: qualification, age, and continuing education for a renewal.
pub fn item_obstacles(
    facts: PersonFacts<'_>,
    reference: Reference<'_>,
    item: &ReviewItemCode,
    cycle: &RegistrationCycle,
    valid_from: Date,
) -> Vec<Violation> {
    let name = reference.catalogue.name_of(item);
    let mut problems = Vec::new();
    if !facts.qualifications.iter().any(|q| &q.item == item) {
        problems.push(Violation::NotQualified {
            item: name.to_owned(),
        });
    }
    let limit = cycle.policy().registration_age_limit;
    let age = full_years(facts.person.resident_id.birth_date(), valid_from);
    if age >= limit {
        problems.push(Violation::RegistrationAgeLimit {
            age,
            on: format_date(valid_from),
            limit,
        });
    }
    let is_renewal = facts.history.iter().any(|record| {
        &record.item == item
            && reference
                .cycles
                .get(record.period.cycle)
                .is_some_and(|c| c.start() < cycle.start())
    });
    if is_renewal && let Some(previous) = reference.cycles.previous(cycle) {
        let education = education_in_cycle(previous, facts.courses, facts.attendance);
        problems.extend(education_obstacles(previous, &education, item, name));
    }
    problems
}

/// Decides a registration of one holding on `today`: the period it would get, or every
/// reason it cannot be registered (person-level reasons excluded: see
/// [`person_obstacles`]).
pub fn check_registration(
    facts: PersonFacts<'_>,
    reference: Reference<'_>,
    holding: &Holding,
    today: Date,
) -> Result<RegistrationPeriod, Vec<Violation>> {
    let name = reference.catalogue.name_of(&holding.item);
    let (cycle, valid_from) = match holding.state_on(today) {
        ItemState::AwaitingRegistration | ItemState::Expired => match reference.cycles.at(today) {
            Some(cycle) => (cycle, today),
            None => return Err(vec![Violation::NoCycle(format_date(today))]),
        },
        ItemState::Registered => {
            let Some(current) = &holding.registration else {
                return Err(vec![Violation::NoCycle(format_date(today))]);
            };
            let Some(current_cycle) = reference.cycles.get(current.cycle) else {
                return Err(vec![Violation::NoCycle(format_date(today))]);
            };
            let opens = renewal_window_opens(
                current.valid_until,
                current_cycle.policy().renewal_window_months,
            );
            if today < opens {
                return Err(vec![Violation::AlreadyRegistered {
                    item: name.to_owned(),
                    valid_until: format_date(current.valid_until),
                    window_opens: format_date(opens),
                }]);
            }
            match reference.cycles.next(current_cycle) {
                Some(next) => (
                    next,
                    next.start()
                        .max(current.valid_until.next_day().unwrap_or(next.start())),
                ),
                None => return Err(vec![Violation::NoNextCycle]),
            }
        }
        state @ (ItemState::Invited | ItemState::Filling | ItemState::Released) => {
            return Err(vec![Violation::NotAwaitingRegistration {
                item: name.to_owned(),
                state: state.label(),
            }]);
        }
    };
    let problems = item_obstacles(facts, reference, &holding.item, cycle, valid_from);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(RegistrationPeriod {
        cycle: cycle.id(),
        registered_on: today,
        valid_from,
        valid_until: valid_until(cycle, facts.person.resident_id.birth_date()),
    })
}

/// What stands in the way of renewing `item` for the next cycle, judged on `today`: the
/// qualification must be held, the person under the registration age limit on the first
/// day of the next cycle, and the current cycle's continuing education must meet its
/// requirement (hours, and a course covering the item). Every obstacle is returned; an
/// empty list means the item can be renewed. Hours may still be earned until the cycle
/// ends, so "hours short" names how many.
pub fn renewal_obstacles(
    facts: PersonFacts<'_>,
    reference: Reference<'_>,
    item: &ReviewItemCode,
    today: Date,
) -> Vec<Violation> {
    let Some(current) = reference.cycles.at(today) else {
        return vec![Violation::NoCycle(format_date(today))];
    };
    let next = reference.cycles.next(current);
    let next_start = next
        .map(RegistrationCycle::start)
        .or_else(|| current.end().next_day())
        .unwrap_or(current.end());
    let limit = next.unwrap_or(current).policy().registration_age_limit;
    let name = reference.catalogue.name_of(item);
    let mut problems = Vec::new();
    if !facts.qualifications.iter().any(|q| &q.item == item) {
        problems.push(Violation::NotQualified {
            item: name.to_owned(),
        });
    }
    let age = full_years(facts.person.resident_id.birth_date(), next_start);
    if age >= limit {
        problems.push(Violation::RegistrationAgeLimit {
            age,
            on: format_date(next_start),
            limit,
        });
    }
    let education = education_in_cycle(current, facts.courses, facts.attendance);
    problems.extend(education_obstacles(current, &education, item, name));
    problems
}

/// Why the qualification certificate cannot be renewed on `on`: the certificate renewal
/// age limit (65, 第二十二条).
pub fn certificate_renewal_obstacles(person: &Person, cycles: &Cycles, on: Date) -> Vec<Violation> {
    let limit = cycles.policy_at(on).certificate_renewal_age_limit;
    let age = full_years(person.resident_id.birth_date(), on);
    if age >= limit {
        vec![Violation::CertificateRenewalAgeLimit {
            age,
            on: format_date(on),
            limit,
        }]
    } else {
        vec![]
    }
}

/// Whether a certificate of the cycle in force on `today` could be renewed on its last
/// day (the cycle's end), as far as the person's age goes: the renewal outlook shown
/// beside the registration one.
pub fn certificate_renewal_outlook(
    person: &Person,
    cycles: &Cycles,
    today: Date,
) -> Vec<Violation> {
    let on = cycles.at(today).map_or(today, RegistrationCycle::end);
    certificate_renewal_obstacles(person, cycles, on)
}
