//! The calendar of deadlines: the official years, then provisional years made by the law,
//! and a deadline that says whether it is an estimate.

use std::fmt;
use std::ops::RangeInclusive;

use time::Date;

use crate::calendar::{CalendarEntry, CalendarError, CalendarProblem, WorkCalendar};

use crate::date::format_date;
use crate::review_item::LineProblem;

use super::*;

/// How many years after the last official one the [`DeadlineCalendar`] estimates: the next
/// year's notice comes each autumn, so two years cover a deadline counted late in the year
/// before a notice is loaded, and a register whose calendar is older than that refuses
/// deadlines rather than estimate on and on.
pub const PROVISIONAL_YEARS: i32 = 2;

/// The working-day calendar of deadlines: the official calendar, then up to
/// [`PROVISIONAL_YEARS`] provisional years computed from the law (as far as the festival
/// table goes). Every answer says whether it rests on a provisional year. Deliberately not
/// a [`WorkCalendar`]: the working days of on-site assessments never use an estimate.
#[derive(Clone, PartialEq, Eq)]
pub struct DeadlineCalendar {
    calendar: WorkCalendar,
    official: RangeInclusive<i32>,
    provisional: Vec<CalendarEntry>,
}

impl fmt::Debug for DeadlineCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeadlineCalendar")
            .field("official", &self.official)
            .field("provisional", &self.provisional_years())
            .finish()
    }
}

impl DeadlineCalendar {
    /// The official calendar followed by the provisional years after its last year that
    /// the festival table has, at most [`PROVISIONAL_YEARS`] of them. The official data is
    /// copied; the queries keep the official calendar's constant time.
    pub fn new(
        official: &WorkCalendar,
        festivals: &FestivalTable,
    ) -> Result<DeadlineCalendar, Vec<LineProblem<CalendarProblem>>> {
        let years = official.years();
        let last = *years.end();
        let provisional: Vec<CalendarEntry> = (1..=PROVISIONAL_YEARS)
            .filter_map(|ahead| last.checked_add(ahead))
            .map_while(|year| provisional_year(year, festivals).ok())
            .flatten()
            .collect();
        let mut entries = official.entries().to_vec();
        entries.extend(provisional.iter().cloned());
        Ok(DeadlineCalendar {
            calendar: WorkCalendar::from_entries(entries)?,
            official: years,
            provisional,
        })
    }

    /// The years of the official calendar.
    pub fn official_years(&self) -> RangeInclusive<i32> {
        self.official.clone()
    }

    /// The provisional years, estimated from the law; `None` when there is none (the
    /// festival table ends with the official calendar).
    pub fn provisional_years(&self) -> Option<RangeInclusive<i32>> {
        let first = self.official.end().checked_add(1)?;
        let last = *self.calendar.years().end();
        (first <= last).then_some(first..=last)
    }

    /// Whether `year` is a provisional year of this calendar.
    pub fn is_provisional(&self, year: i32) -> bool {
        self.provisional_years().is_some_and(|y| y.contains(&year))
    }

    /// The days off of the provisional years, in date order ([`provisional_year`]).
    pub fn provisional_entries(&self) -> &[CalendarEntry] {
        &self.provisional
    }

    /// The date `count` working days after `date`, counted as
    /// [`WorkCalendar::add_working_days`] counts (from the day after `date`), and whether
    /// the count went through a provisional year: then the deadline is an estimate. With
    /// `count` 0 the answer is `date`, an estimate if `date` is in a provisional year.
    pub fn add_working_days(&self, date: Date, count: u32) -> Result<Deadline, CalendarError> {
        let due = self.calendar.add_working_days(date, count)?;
        // The days counted: [date + 1, due], or `date` alone for a count of 0.
        let counted_from = if count == 0 {
            date
        } else {
            date.next_day().unwrap_or(date)
        };
        let first_provisional = self.official.end().saturating_add(1);
        let provisional_years = (due.year() >= first_provisional)
            .then(|| (counted_from.year().max(first_provisional), due.year()));
        Ok(Deadline {
            date: due,
            provisional_years,
        })
    }
}

/// A deadline counted in working days: its date, and whether it is an estimate because
/// the working-day calendar of a year it runs through is not loaded yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    date: Date,
    /// The provisional years the count went through, first and last.
    provisional_years: Option<(i32, i32)>,
}

impl Deadline {
    /// A deadline counted on the official calendar only.
    pub fn official(date: Date) -> Deadline {
        Deadline {
            date,
            provisional_years: None,
        }
    }

    /// The day.
    pub fn date(&self) -> Date {
        self.date
    }

    /// Whether the day is an estimate: the count went through a provisional year.
    pub fn is_estimated(&self) -> bool {
        self.provisional_years.is_some()
    }

    /// The provisional years the count went through, if any.
    pub fn provisional_years(&self) -> Option<RangeInclusive<i32>> {
        self.provisional_years.map(|(first, last)| first..=last)
    }

    /// Why the day is an estimate, in Chinese (`2027 年工作日历尚未载入，按法定节假日估算`);
    /// `None` for an official deadline.
    pub fn estimate_note(&self) -> Option<String> {
        let (first, last) = self.provisional_years?;
        let years: Vec<String> = (first..=last).map(|y| y.to_string()).collect();
        Some(format!(
            "{} 年工作日历尚未载入，按法定节假日估算",
            years.join("、")
        ))
    }
}

/// `2027-01-18` for an official deadline;
/// `预计 2027-01-18（2027 年工作日历尚未载入，按法定节假日估算）` for an estimate.
impl fmt::Display for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.estimate_note() {
            None => f.write_str(&format_date(self.date)),
            Some(note) => write!(f, "预计 {}（{note}）", format_date(self.date)),
        }
    }
}
