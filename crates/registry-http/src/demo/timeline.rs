//! The demo's time: the registration cycles around the day it is loaded, and the dates of
//! its events, counted from that day.

use registry_core::date::{add_months, format_date};
use time::{Date, Duration, Month};

/// The first year of a cycle: cycles run four years from 2021 (2021—2024, 2025—2028, …).
const ALIGNED_ON: i32 = 2021;
/// The length of the demo's cycles, in years.
const YEARS: i32 = 4;

/// A registration cycle as the demo defines it.
#[derive(Debug, Clone)]
pub(super) struct Span {
    /// 2025—2028.
    pub(super) name: String,
    /// Its first day (1 January).
    pub(super) start: Date,
    /// Its last day (31 December).
    pub(super) end: Date,
}

impl Span {
    fn of_year(first_year: i32) -> Span {
        let last_year = first_year + YEARS - 1;
        Span {
            name: format!("{first_year}—{last_year}"),
            start: jan_first(first_year),
            end: jan_first(last_year + 1).previous_day().unwrap_or(Date::MIN),
        }
    }

    /// The day `months` months and `days` days after the cycle's first day.
    pub(super) fn at(&self, months: i32, days: i64) -> Date {
        add_months(self.start, months) + Duration::days(days)
    }
}

fn jan_first(year: i32) -> Date {
    Date::from_calendar_date(year, Month::January, 1).unwrap_or(Date::MIN)
}

/// The cycles around `today` and the working-day calendar's reach.
#[derive(Debug, Clone)]
pub(super) struct Timeline {
    /// The day the demo is loaded.
    pub(super) today: Date,
    /// The cycle before the current one.
    pub(super) previous: Span,
    /// The cycle that contains today.
    pub(super) current: Span,
    /// The cycle after it.
    pub(super) next: Span,
    /// The last day of the working-day calendar: no on-site assessment ends after it.
    pub(super) calendar_end: Date,
}

impl Timeline {
    /// The cycles around `today`; `calendar_last_year` is the last year of the working-day
    /// calendar.
    pub(super) fn new(today: Date, calendar_last_year: i32) -> Timeline {
        let first = ALIGNED_ON + (today.year() - ALIGNED_ON).div_euclid(YEARS) * YEARS;
        Timeline {
            today,
            previous: Span::of_year(first - YEARS),
            current: Span::of_year(first),
            next: Span::of_year(first + YEARS),
            calendar_end: jan_first(calendar_last_year + 1)
                .previous_day()
                .unwrap_or(Date::MIN),
        }
    }

    /// `candidate`, but not before `previous` (the event before it) nor after today.
    pub(super) fn after(&self, previous: Date, candidate: Date) -> Date {
        candidate.max(previous).min(self.today)
    }

    /// `days` days before today.
    pub(super) fn ago(&self, days: i64) -> Date {
        self.today - Duration::days(days)
    }

    /// 2021—2024、2025—2028、2029—2032（今天 2026-11-30）
    pub(super) fn describe(&self) -> String {
        format!(
            "{}、{}、{}（按今天 {} 计）",
            self.previous.name,
            self.current.name,
            self.next.name,
            format_date(self.today)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_cycles_around_today_are_aligned_on_2021() {
        let t = Timeline::new(date!(2026 - 11 - 30), 2026);
        assert_eq!(t.previous.name, "2021—2024");
        assert_eq!(t.current.name, "2025—2028");
        assert_eq!(t.current.start, date!(2025 - 01 - 01));
        assert_eq!(t.current.end, date!(2028 - 12 - 31));
        assert_eq!(t.next.name, "2029—2032");
        assert_eq!(t.calendar_end, date!(2026 - 12 - 31));
        assert_eq!(
            Timeline::new(date!(2024 - 12 - 31), 2026).current.name,
            "2021—2024"
        );
        assert_eq!(
            Timeline::new(date!(2033 - 01 - 01), 2026).current.name,
            "2033—2036"
        );
        assert_eq!(
            Timeline::new(date!(2019 - 05 - 01), 2026).current.name,
            "2017—2020"
        );
    }
}
