//! The prerequisites of registering a person's review item (注册), and the validity of a
//! registration.
//!
//! An item can be registered only if:
//! - the institution holds it and it awaits registration (or, for a renewal, its
//!   registration has expired or is within the renewal window before its end);
//! - the person holds the qualification for it;
//! - the person is under the registration age limit (70) on the first day of validity;
//! - the person's details are complete;
//! - **the gate**: a qualification certificate edition in force on the first day of
//!   validity lists the item (第十六条: a certificate runs for one cycle). An item enters a
//!   later cycle only through 换证 (see [`crate::renewal`]), which requires that cycle's
//!   continuing education for it — whether or not it was registered before (source
//!   document question 4: 未覆盖的评审项不能进行换证与注册). The refusal names what is
//!   missing: "资格证书（2021—2024）已于 2024-12-31 到期：“锅炉制造”须先换证，继续教育课时
//!   尚差 32".
//!
//! A registration is valid until the earlier of the cycle's end and the day before the
//! person's 70th birthday.

use time::Date;

use crate::cycle::{RegistrationCycle, renewal_window_opens};
use crate::date::{anniversary, format_date, full_years};
use crate::document::Document;
use crate::holding::{Holding, ItemState, RegistrationPeriod};
use crate::person::{Person, labels};

use crate::renewal::{certificate_end, certificates, in_force, renewal_plan};
use crate::review_item::ReviewItemCode;
use crate::violation::Violation;

pub use crate::facts::{PersonFacts, Reference};

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

/// The gate: why no certificate in force on `day` lists `item` (none: one does). An
/// edition in force that leaves the item off (换证 dropped it) is named; a certificate that
/// ended before `day` says what its renewal still needs.
pub fn certificate_obstacles(
    facts: PersonFacts<'_>,
    reference: Reference<'_>,
    item: &ReviewItemCode,
    day: Date,
    today: Date,
) -> Vec<Violation> {
    let name = reference.catalogue.name_of(item).to_owned();
    let cycle_name = |d: &Document| {
        certificate_end(d, reference.cycles)
            .and_then(|until| reference.cycles.at(until))
            .map_or_else(String::new, |c| c.name().to_owned())
    };
    let listed = |d: &&Document| d.details.items.contains(item);
    if certificates(facts.documents)
        .filter(listed)
        .any(|d| in_force(d, day, reference.cycles))
    {
        return vec![];
    }
    // Listed on some edition once (even one void since), but not on the one in force.
    let ever_listed = facts
        .documents
        .iter()
        .any(|d| d.details.kind == crate::document::DocumentKind::Certificate && listed(&d));
    if let Some(current) = certificates(facts.documents)
        .filter(|d| in_force(d, day, reference.cycles))
        .max_by_key(|d| d.id)
        && facts.qualifications.iter().any(|q| &q.item == item)
        && ever_listed
    {
        return vec![Violation::ItemNotOnCertificate {
            cycle: cycle_name(current),
            item: name,
        }];
    }
    match certificates(facts.documents)
        .filter(listed)
        .max_by_key(|d| d.id)
    {
        Some(latest)
            if let Some(until) = certificate_end(latest, reference.cycles)
                && until < day =>
        {
            let needs = renewal_plan(facts, reference, today)
                .map(|plan| plan.needs(item))
                .unwrap_or_default();
            let ended = until < today;
            let (cycle, until) = (cycle_name(latest), format_date(until));
            if ended {
                vec![Violation::CertificateExpired {
                    cycle,
                    until,
                    item: name,
                    needs,
                }]
            } else {
                vec![Violation::CertificateEnds {
                    cycle,
                    until,
                    item: name,
                    needs,
                }]
            }
        }
        _ => vec![Violation::NoCertificateForItem { item: name }],
    }
}

/// The violations of registering `item` for `cycle` with validity from `valid_from`, as far
/// as the item itself goes: qualification, age, and the gate (a certificate in force on
/// `valid_from` listing the item).
pub fn item_obstacles(
    facts: PersonFacts<'_>,
    reference: Reference<'_>,
    item: &ReviewItemCode,
    cycle: &RegistrationCycle,
    valid_from: Date,
    today: Date,
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
    if problems.is_empty() {
        problems.extend(certificate_obstacles(
            facts, reference, item, valid_from, today,
        ));
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
            // A registration that ends at the age limit cannot be continued.
            let day_after = current
                .valid_until
                .next_day()
                .unwrap_or(current.valid_until);
            let limit = current_cycle.policy().registration_age_limit;
            let age = full_years(facts.person.resident_id.birth_date(), day_after);
            if age >= limit {
                return Err(vec![Violation::RegistrationAgeLimit {
                    age,
                    on: format_date(day_after),
                    limit,
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
                next_step: next_step_before_registration(state),
            }]);
        }
    };
    let problems = item_obstacles(facts, reference, &holding.item, cycle, valid_from, today);
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

/// What has to happen before an item in `state` can be registered, and who does it (said
/// with every refusal of its registration).
fn next_step_before_registration(state: ItemState) -> &'static str {
    match state {
        // Hired here, not yet confirmed through this institution's entry (also when the
        // details were completed through another institution's).
        ItemState::Invited => {
            "下一步：须由本人使用本机构的填报密码进入“评审人员信息填报”，确认（或填写）基本信息；基本信息已完整的，确认一次即可。本人未收到或遗失密码时，可“重新生成填报密码”并打印通知单交给本人。"
        }
        ItemState::Filling => {
            "下一步：请提醒本人使用填报密码补全基本信息（缺少的项目见本页“基本信息”），填写完整后即为“等待注册”。"
        }
        ItemState::Released => "下一步：该项已退回，须重新聘用后方可注册。",
        ItemState::AwaitingRegistration | ItemState::Registered | ItemState::Expired => "",
    }
}
