//! The yearly reminder to load the next year's working-day calendar: from 1 October of a
//! year until that year's successor is loaded (or at once, when the calendar has already
//! ended), the association is warned, and deadlines that cross into the missing year are
//! estimates until then.
//!
//! The State Council publishes the next year's holiday notice each autumn (the 2026 notice
//! came on 2025-11-04); 1 October leaves a quarter for it to come out and be loaded before
//! 1 January. Decision: the warning is a pure function of today and the official years, so
//! the workspace home page and every sweep say the same thing on the same day.

use std::fmt;
use std::ops::RangeInclusive;

use time::{Date, Month};

/// The day of the year (month, day) from which next year's calendar is expected: 1 October.
pub const WARN_FROM: (Month, u8) = (Month::October, 1);

/// Years of the working-day calendar that should be loaded by now and are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingCalendar {
    /// The first missing year: the year after the last official one (the calendar must
    /// stay whole, so it is the one to load first).
    first: i32,
    /// The last year that should be loaded by today.
    last: i32,
    /// Whether today's own year is missing: the 1 January deadline has passed.
    late: bool,
}

impl MissingCalendar {
    /// The missing years, first to last.
    pub fn years(&self) -> RangeInclusive<i32> {
        self.first..=self.last
    }

    /// The first missing year, the one to load first.
    pub fn first_year(&self) -> i32 {
        self.first
    }

    /// Whether the calendar has already ended: today's year is not loaded, so the working
    /// days of on-site assessments this year cannot be counted.
    pub fn is_late(&self) -> bool {
        self.late
    }

    /// The warning, in Chinese (also its `Display`).
    pub fn message(&self) -> String {
        let years: Vec<String> = self.years().map(|y| y.to_string()).collect();
        let years = years.join("、");
        if self.late {
            format!(
                "{years} 年工作日历尚未载入：请尽快在“工作日历”载入国务院办公厅公布的放假安排；\
                 在此之前，证书与注册信息卡的期限按法定节假日估算，鉴定评审工作日无法计算。"
            )
        } else {
            format!(
                "{years} 年工作日历尚未载入：请于 1 月 1 日前在“工作日历”载入国务院办公厅公布的\
                 放假安排；在此之前，跨年的期限按法定节假日估算。"
            )
        }
    }
}

impl fmt::Display for MissingCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// Whether a warning is due on `today` for a calendar whose official years are `official`,
/// and for which years: from [`WARN_FROM`] (1 October, inclusive) on, next year's
/// calendar is expected; before it, this year's. `None` when every expected year is
/// loaded.
pub fn missing_calendar(today: Date, official: RangeInclusive<i32>) -> Option<MissingCalendar> {
    let year = today.year();
    let (month, day) = WARN_FROM;
    let autumn = (u8::from(today.month()), today.day()) >= (u8::from(month), day);
    let expected = if autumn { year.checked_add(1)? } else { year };
    let last_loaded = *official.end();
    if last_loaded >= expected {
        return None;
    }
    Some(MissingCalendar {
        first: last_loaded.checked_add(1)?,
        last: expected,
        late: last_loaded < year,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn from_the_first_of_october_next_year_is_expected() {
        assert_eq!(missing_calendar(date!(2026 - 09 - 30), 2013..=2026), None);
        let warning = missing_calendar(date!(2026 - 10 - 01), 2013..=2026).unwrap();
        assert_eq!(warning.years(), 2027..=2027);
        assert_eq!(warning.first_year(), 2027);
        assert!(!warning.is_late());
        assert_eq!(
            warning.to_string(),
            "2027 年工作日历尚未载入：请于 1 月 1 日前在“工作日历”载入国务院办公厅公布的放假安排；\
             在此之前，跨年的期限按法定节假日估算。"
        );
        // Until the last day of the year.
        assert_eq!(
            missing_calendar(date!(2026 - 12 - 31), 2013..=2026),
            Some(warning)
        );
    }

    #[test]
    fn the_loaded_next_year_ends_the_warning() {
        assert_eq!(missing_calendar(date!(2026 - 10 - 01), 2013..=2027), None);
        assert_eq!(missing_calendar(date!(2026 - 12 - 31), 2013..=2027), None);
        // And the next warning comes a year later.
        assert_eq!(missing_calendar(date!(2027 - 09 - 30), 2013..=2027), None);
        assert_eq!(
            missing_calendar(date!(2027 - 10 - 01), 2013..=2027).map(|w| w.years()),
            Some(2028..=2028)
        );
    }

    #[test]
    fn a_calendar_that_already_ended_warns_too() {
        let warning = missing_calendar(date!(2027 - 01 - 01), 2013..=2026).unwrap();
        assert_eq!(warning.years(), 2027..=2027);
        assert!(warning.is_late());
        assert_eq!(
            warning.message(),
            "2027 年工作日历尚未载入：请尽快在“工作日历”载入国务院办公厅公布的放假安排；\
             在此之前，证书与注册信息卡的期限按法定节假日估算，鉴定评审工作日无法计算。"
        );
        // Late and in the autumn: every missing year, the first one to load first.
        let warning = missing_calendar(date!(2027 - 11 - 15), 2013..=2026).unwrap();
        assert_eq!(warning.years(), 2027..=2028);
        assert!(warning.is_late());
        assert!(
            warning
                .message()
                .starts_with("2027、2028 年工作日历尚未载入")
        );
    }

    #[test]
    fn a_calendar_far_ahead_never_warns() {
        assert_eq!(missing_calendar(date!(2026 - 11 - 30), 2013..=2030), None);
        assert_eq!(
            missing_calendar(date!(2026 - 11 - 30), 2013..=i32::MAX),
            None
        );
    }
}
