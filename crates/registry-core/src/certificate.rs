//! Deadlines of the register's documents, counted in working days (source document,
//! question 10; 第十九条).

use time::Date;

use crate::calendar::{CalendarError, WorkCalendar};
use crate::policy::Policy;

/// The last day to issue the qualification certificates of a pass list published on
/// `published_on`: the policy's number of working days later (20 by default).
pub fn certificate_due(
    calendar: &WorkCalendar,
    policy: &Policy,
    published_on: Date,
) -> Result<Date, CalendarError> {
    calendar.add_working_days(published_on, policy.certificate_due_working_days)
}

/// The last day to issue a registration card made on `made_on` (after a registration),
/// or a replacement for a lost document: the same number of working days as a
/// certificate (the source document sets no separate deadline; see docs/POLICY.md).
pub fn card_due(
    calendar: &WorkCalendar,
    policy: &Policy,
    made_on: Date,
) -> Result<Date, CalendarError> {
    calendar.add_working_days(made_on, policy.certificate_due_working_days)
}

/// The last day for the association to publish a registration made on `registered_on`
/// (5 working days by default).
pub fn publication_due(
    calendar: &WorkCalendar,
    policy: &Policy,
    registered_on: Date,
) -> Result<Date, CalendarError> {
    calendar.add_working_days(registered_on, policy.publication_due_working_days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn known_answers() {
        let calendar = crate::fixtures::calendar().unwrap();
        let policy = Policy::default();
        assert_eq!(
            certificate_due(&calendar, &policy, date!(2024 - 09 - 20)),
            Ok(date!(2024 - 10 - 23))
        );
        assert_eq!(
            certificate_due(&calendar, &policy, date!(2024 - 12 - 31)),
            Ok(date!(2025 - 02 - 05))
        );
        // Registered on the Friday before National Day 2024: Sep 29 (Sunday) is worked,
        // then Sep 30, Oct 8, 9, 10.
        assert_eq!(
            publication_due(&calendar, &policy, date!(2024 - 09 - 27)),
            Ok(date!(2024 - 10 - 10))
        );
    }
}
