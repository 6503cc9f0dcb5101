//! 评审组核验: what a licensing authority asks of a review team — for each member, named by
//! the verification code of a document or by registration number, whether they held each
//! review item at the institution on the day of the review (the review date), and their
//! working days of on-site assessments counted so far in that day's registration cycle.
//!
//! "Held on a day" is read from the history of registrations, which is kept for ever: a
//! registration of the item at the institution whose validity covers the day, and which
//! the institution had not released by then. A day before the registration, after its last
//! valid day, or from the day of a release on, the item was not held, and the answer says
//! which.

use time::Date;

use crate::assessment::OnSiteAssessment;
use crate::calendar::WorkCalendar;
use crate::cycle::Cycles;
use crate::holding::{Holding, ItemState, RegistrationRecord};
use crate::ids::InstitutionId;
use crate::review_item::ReviewItemCode;

/// The most questions one batch may hold.
pub const BATCH_MAX: usize = 100;

/// Why an item was not held on the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotHeld {
    /// Never registered (at that institution, when one is named).
    NeverRegistered,
    /// Registered only from a later day.
    NotYet {
        /// The first day of the earliest later registration.
        from: Date,
    },
    /// The registration had ended: its last valid day was before.
    Ended {
        /// The last valid day.
        until: Date,
    },
    /// The institution had released it (退回) by then.
    Released {
        /// The day of the release.
        on: Date,
    },
}

impl NotHeld {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            NotHeld::NeverRegistered => "never_registered",
            NotHeld::NotYet { .. } => "not_yet_registered",
            NotHeld::Ended { .. } => "registration_ended",
            NotHeld::Released { .. } => "released",
        }
    }

    /// The sentence.
    pub fn describe(self) -> String {
        use crate::date::format_date;
        match self {
            NotHeld::NeverRegistered => "该日未注册该评审项目".to_owned(),
            NotHeld::NotYet { from } => {
                format!("注册自 {} 起有效，评审日尚未注册", format_date(from))
            }
            NotHeld::Ended { until } => {
                format!("注册有效期至 {}，评审日已过期", format_date(until))
            }
            NotHeld::Released { on } => format!("已于 {} 由机构退回", format_date(on)),
        }
    }
}

/// One item on the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemOnDay {
    /// The item.
    pub item: ReviewItemCode,
    /// The institution that held it that day (the one asked about, or the one found).
    pub institution: Option<InstitutionId>,
    /// The last valid day of the registration that covered the day; none: not held.
    pub valid_until: Option<Date>,
    /// Why it was not held; none: held.
    pub not_held: Option<NotHeld>,
}

impl ItemOnDay {
    /// Whether it was held.
    pub fn held(&self) -> bool {
        self.not_held.is_none()
    }
}

/// Whether a member passes: every item asked about was held on the day (a member asked
/// about no item does not).
pub fn all_held(items: &[ItemOnDay]) -> bool {
    !items.is_empty() && items.iter().all(ItemOnDay::held)
}

/// The day a registration's holding was released, if it was released and stays so.
fn released_on(holdings: &[Holding], record: &RegistrationRecord) -> Option<Date> {
    holdings
        .iter()
        .find(|h| h.id == record.holding)
        .filter(|h| h.state == ItemState::Released)
        .and_then(|h| h.released_on)
}

/// Whether the person held `item` on `day` at `institution` (any institution when none),
/// from their registration history and holdings.
pub fn item_on_day(
    registrations: &[RegistrationRecord],
    holdings: &[Holding],
    institution: Option<InstitutionId>,
    item: &ReviewItemCode,
    day: Date,
) -> ItemOnDay {
    let relevant: Vec<&RegistrationRecord> = registrations
        .iter()
        .filter(|r| &r.item == item && institution.is_none_or(|i| r.institution == i))
        .collect();
    let covering = relevant
        .iter()
        .filter(|r| r.period.valid_from <= day && day <= r.period.valid_until);
    let mut released = None;
    for record in covering {
        match released_on(holdings, record) {
            Some(on) if on <= day => released = released.max(Some(on)),
            _ => {
                return ItemOnDay {
                    item: item.clone(),
                    institution: Some(record.institution),
                    valid_until: Some(record.period.valid_until),
                    not_held: None,
                };
            }
        }
    }
    let not_held = if let Some(on) = released {
        NotHeld::Released { on }
    } else if let Some(until) = relevant
        .iter()
        .map(|r| r.period.valid_until)
        .filter(|&u| u < day)
        .max()
    {
        NotHeld::Ended { until }
    } else if let Some(from) = relevant
        .iter()
        .map(|r| r.period.valid_from)
        .filter(|&f| f > day)
        .min()
    {
        NotHeld::NotYet { from }
    } else {
        NotHeld::NeverRegistered
    };
    ItemOnDay {
        item: item.clone(),
        institution,
        valid_until: None,
        not_held: Some(not_held),
    }
}

/// The person's working days of on-site assessments in the registration cycle of `day`,
/// counted up to `day` (each day once where assessments overlap); none when no cycle
/// holds the day or the calendar cannot count the days (a year not loaded).
pub fn working_days_so_far(
    calendar: &WorkCalendar,
    cycles: &Cycles,
    assessments: &[OnSiteAssessment],
    day: Date,
) -> Option<u32> {
    let cycle = cycles.at(day)?;
    let ranges: Vec<(Date, Date)> = assessments
        .iter()
        .filter_map(|a| {
            let start = a.details.start.max(cycle.start());
            let end = a.details.end.min(day);
            (start <= end).then_some((start, end))
        })
        .collect();
    calendar.working_days_in_union(&ranges).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::holding::RegistrationPeriod;
    use crate::ids::{CycleId, HoldingId, PersonId};
    use time::macros::date;

    fn code(text: &str) -> ReviewItemCode {
        ReviewItemCode::parse(text).unwrap()
    }

    fn record(holding: i64, institution: i64, from: Date, until: Date) -> RegistrationRecord {
        RegistrationRecord {
            holding: HoldingId::new(holding),
            person: PersonId::new(1),
            item: code("RQ-ZZ"),
            institution: InstitutionId::new(institution),
            period: RegistrationPeriod {
                cycle: CycleId::new(1),
                registered_on: from,
                valid_from: from,
                valid_until: until,
            },
        }
    }

    fn holding(id: i64, institution: i64, state: ItemState, released: Option<Date>) -> Holding {
        Holding {
            id: HoldingId::new(id),
            person: PersonId::new(1),
            item: code("RQ-ZZ"),
            institution: InstitutionId::new(institution),
            state,
            since: date!(2021 - 01 - 01),
            state_since: date!(2021 - 01 - 01),
            registration: None,
            released_on: released,
            release_reason: None,
            version: 0,
        }
    }

    #[test]
    fn an_item_is_held_on_the_days_its_registration_covers_and_not_after_a_release() {
        let registrations = [
            record(1, 3, date!(2021 - 03 - 01), date!(2024 - 12 - 31)),
            record(2, 4, date!(2025 - 02 - 10), date!(2028 - 12 - 31)),
        ];
        let holdings = [
            holding(1, 3, ItemState::Released, Some(date!(2024 - 06 - 30))),
            holding(2, 4, ItemState::Registered, None),
        ];
        let item = code("RQ-ZZ");
        let at = |institution: Option<i64>, day| {
            item_on_day(
                &registrations,
                &holdings,
                institution.map(InstitutionId::new),
                &item,
                day,
            )
        };
        assert!(at(Some(3), date!(2024 - 06 - 29)).held());
        assert_eq!(
            at(Some(3), date!(2024 - 06 - 30)).not_held,
            Some(NotHeld::Released {
                on: date!(2024 - 06 - 30)
            })
        );
        assert_eq!(
            at(Some(4), date!(2025 - 02 - 09)).not_held,
            Some(NotHeld::NotYet {
                from: date!(2025 - 02 - 10)
            })
        );
        assert!(at(Some(4), date!(2028 - 12 - 31)).held());
        assert_eq!(
            at(Some(4), date!(2029 - 01 - 01)).not_held,
            Some(NotHeld::Ended {
                until: date!(2028 - 12 - 31)
            })
        );
        assert_eq!(
            at(Some(5), date!(2026 - 01 - 01)).not_held,
            Some(NotHeld::NeverRegistered)
        );
        // Any institution: the one that held it is named.
        let found = at(None, date!(2026 - 01 - 01));
        assert_eq!(found.institution, Some(InstitutionId::new(4)));
        assert_eq!(found.valid_until, Some(date!(2028 - 12 - 31)));
    }
}
