//! Deadlines of the register's documents, counted in working days (source document,
//! question 10; 第十九条).
//!
//! A deadline is derived, never stored: it is counted on the calendar of deadlines
//! ([`DeadlineCalendar`]) as loaded when it is asked for. One that runs into a year whose
//! official calendar is not loaded yet is an estimate from the holiday law, and says so
//! ([`Deadline::is_estimated`]); once that year is loaded, the same question gets the
//! official answer.

use time::Date;

use crate::calendar::CalendarError;
use crate::holiday_law::{Deadline, DeadlineCalendar};
use crate::policy::Policy;

/// The last day to issue the qualification certificates of a pass list published on
/// `published_on`: the policy's number of working days later (20 by default).
pub fn certificate_due(
    calendar: &DeadlineCalendar,
    policy: &Policy,
    published_on: Date,
) -> Result<Deadline, CalendarError> {
    calendar.add_working_days(published_on, policy.certificate_due_working_days)
}

/// The last day to issue a registration card made on `made_on` (after a registration),
/// or a replacement for a lost document: the same number of working days as a
/// certificate (the source document sets no separate deadline; see docs/POLICY.md).
pub fn card_due(
    calendar: &DeadlineCalendar,
    policy: &Policy,
    made_on: Date,
) -> Result<Deadline, CalendarError> {
    calendar.add_working_days(made_on, policy.certificate_due_working_days)
}

/// The last day for the association to publish a registration made on `registered_on`
/// (5 working days by default).
pub fn publication_due(
    calendar: &DeadlineCalendar,
    policy: &Policy,
    registered_on: Date,
) -> Result<Deadline, CalendarError> {
    calendar.add_working_days(registered_on, policy.publication_due_working_days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{CalendarEntry, DayKind, WorkCalendar};
    use time::macros::date;

    fn deadlines(official: &WorkCalendar) -> DeadlineCalendar {
        crate::fixtures::deadline_calendar(official).unwrap()
    }

    #[test]
    fn known_answers() {
        let calendar = deadlines(&crate::fixtures::calendar().unwrap());
        let policy = Policy::default();
        assert_eq!(
            certificate_due(&calendar, &policy, date!(2024 - 09 - 20)),
            Ok(Deadline::official(date!(2024 - 10 - 23)))
        );
        assert_eq!(
            certificate_due(&calendar, &policy, date!(2024 - 12 - 31)),
            Ok(Deadline::official(date!(2025 - 02 - 05)))
        );
        // Registered on the Friday before National Day 2024: Sep 29 (Sunday) is worked,
        // then Sep 30, Oct 8, 9, 10.
        assert_eq!(
            publication_due(&calendar, &policy, date!(2024 - 09 - 27)),
            Ok(Deadline::official(date!(2024 - 10 - 10)))
        );
    }

    #[test]
    fn a_deadline_in_a_year_not_loaded_is_an_estimate_until_it_is() {
        let official = crate::fixtures::calendar().unwrap();
        let policy = Policy::default();
        // 2026-12-15 + 20 working days: 12 in December (16–31), then 1 January 2027 off by
        // the law, then 4–13 January.
        let estimate =
            certificate_due(&deadlines(&official), &policy, date!(2026 - 12 - 15)).unwrap();
        assert_eq!(estimate.date(), date!(2027 - 01 - 13));
        assert!(estimate.is_estimated());
        assert_eq!(
            estimate.to_string(),
            "预计 2027-01-13（2027 年工作日历尚未载入，按法定节假日估算）"
        );
        let card = card_due(&deadlines(&official), &policy, date!(2026 - 12 - 15)).unwrap();
        assert_eq!(card, estimate);
        // Wholly within the loaded years: official.
        let within = card_due(&deadlines(&official), &policy, date!(2026 - 11 - 26)).unwrap();
        assert!(!within.is_estimated());

        // The official 2027 (here: 1 January, and a working Saturday on 9 January) replaces
        // the estimate, date and all.
        let mut entries = official.entries().to_vec();
        entries.push(CalendarEntry {
            date: date!(2027 - 01 - 01),
            kind: DayKind::Holiday,
            name: "元旦".into(),
        });
        entries.push(CalendarEntry {
            date: date!(2027 - 01 - 09),
            kind: DayKind::Workday,
            name: "春节".into(),
        });
        let loaded = WorkCalendar::from_entries(entries).unwrap();
        assert_eq!(
            certificate_due(&deadlines(&loaded), &policy, date!(2026 - 12 - 15)),
            Ok(Deadline::official(date!(2027 - 01 - 12)))
        );
    }

    #[test]
    fn the_shipped_deadline_calendar_estimates_two_years() {
        let calendar = deadlines(&crate::fixtures::calendar().unwrap());
        assert_eq!(calendar.official_years(), 2013..=2026);
        assert_eq!(calendar.provisional_years(), Some(2027..=2028));
    }
}
