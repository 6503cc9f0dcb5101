//! The renewal outlook of a person's items for the next cycle: the continuing-education
//! hours of the cycle in force, the working days of assessment experience, and for each
//! item every obstacle to renewing it (the person's certificate renewal age limit, 65,
//! included with every item). Both person pages (the institution's and the association's)
//! and the institution's list of expiring registrations render it.

use rust_decimal::Decimal;
use time::Date;

use super::record::PersonRecord;
use crate::assessment::{total_working_days, working_days_in_cycle};
use crate::calendar::WorkCalendar;
use crate::education::education_in_cycle;
use crate::registration::{Reference, certificate_renewal_outlook, renewal_obstacles};
use crate::review_item::ReviewItemCode;
use crate::violation::Violation;

/// The renewal outlook of some of a person's items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalOutlook {
    /// The name of the cycle in force today, if any.
    pub cycle: Option<String>,
    /// Hours credited in that cycle.
    pub hours: Option<Decimal>,
    /// Hours that cycle requires.
    pub required: Option<Decimal>,
    /// Working days of every on-site assessment.
    pub working_days: u32,
    /// Working days of on-site assessments within the cycle in force.
    pub working_days_cycle: u32,
    /// Each item asked about, with every obstacle to renewing it (none: renewable).
    pub items: Vec<(ReviewItemCode, Vec<Violation>)>,
}

/// The outlook of `items` on `today`. Working days are counted on `calendar`; an
/// assessment outside its years is an error.
pub fn renewal_outlook(
    record: &PersonRecord,
    reference: Reference<'_>,
    calendar: &WorkCalendar,
    items: &[ReviewItemCode],
    today: Date,
) -> Result<RenewalOutlook, Violation> {
    let current = reference.cycles.at(today);
    let certificate = certificate_renewal_outlook(&record.person, reference.cycles, today);
    let working_days_cycle = match current {
        Some(cycle) => working_days_in_cycle(calendar, cycle, &record.assessments)?,
        None => 0,
    };
    Ok(RenewalOutlook {
        cycle: current.map(|c| c.name().to_owned()),
        hours: current.map(|c| education_in_cycle(c, &record.courses, &record.attendance).hours),
        required: current.map(|c| c.policy().hours_required),
        working_days: total_working_days(calendar, &record.assessments)?,
        working_days_cycle,
        items: items
            .iter()
            .map(|item| {
                let mut obstacles = renewal_obstacles(record.facts(), reference, item, today);
                obstacles.extend(certificate.iter().cloned());
                (item.clone(), obstacles)
            })
            .collect(),
    })
}
