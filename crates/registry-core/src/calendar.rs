//! China's working-day calendar (工作日), built from data.
//!
//! A date is a working day if the data lists it as an adjusted working day (`workday`, a
//! weekend day worked in exchange for a holiday, 调休), or if it is Monday to Friday and the
//! data does not list it as a `holiday`. The data is the State Council's yearly notice,
//! shipped as `fixtures/cn-calendar-2013-2026.csv` and loaded by the association each
//! autumn for the next year.
//!
//! A date in a year the data does not cover is an error, never a Monday-to-Friday guess.
//! Once built, every query takes constant time: the calendar keeps prefix sums of working
//! days and the list of working days, so no query walks day by day.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::RangeInclusive;

use time::{Date, Duration, Month, Weekday};

use crate::csv;
use crate::date::{format_date, parse_date};
use crate::review_item::LineProblem;

/// What the calendar data says of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayKind {
    /// A statutory holiday, or a day off in lieu (放假).
    Holiday,
    /// A weekend day that is worked (调休上班).
    Workday,
}

impl DayKind {
    /// The word used in the data file: `holiday` or `workday`.
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    /// Reads `holiday` or `workday`.
    pub fn parse(text: &str) -> Option<DayKind> {
        match text.trim() {
            "holiday" => Some(DayKind::Holiday),
            "workday" => Some(DayKind::Workday),
            _ => None,
        }
    }
}

/// One line of the calendar data: a date that differs from the plain week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEntry {
    /// The date.
    pub date: Date,
    /// Holiday or adjusted working day.
    pub kind: DayKind,
    /// The festival it belongs to, in Chinese (春节).
    pub name: String,
}

/// A problem in calendar data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarProblem {
    /// The header is not `date,kind,name,…`.
    #[error("表头应以“date,kind,name”开头")]
    Header,
    /// A date that is not `YYYY-MM-DD`.
    #[error("日期“{0}”无效")]
    BadDate(String),
    /// A kind other than `holiday` or `workday`.
    #[error("类型“{0}”无效：应为 holiday 或 workday")]
    BadKind(String),
    /// The same date twice.
    #[error("日期 {0} 重复")]
    DuplicateDate(String),
    /// An adjusted working day on a weekday means nothing and is a mistake in the data.
    #[error("{0} 是周一至周五，不能列为调休上班日")]
    WorkdayOnWeekday(String),
    /// A year between the first and the last has no line at all.
    #[error("{0}年没有任何节假日数据")]
    MissingYear(i32),
    /// A quoted field is never closed.
    #[error("引号未闭合")]
    UnterminatedQuote,
    /// No line at all.
    #[error("日历数据为空")]
    Empty,
}

impl CalendarProblem {
    /// The stable code of this problem.
    pub fn code(&self) -> &'static str {
        match self {
            CalendarProblem::Header => "calendar.header",
            CalendarProblem::BadDate(_) => "calendar.bad_date",
            CalendarProblem::BadKind(_) => "calendar.bad_kind",
            CalendarProblem::DuplicateDate(_) => "calendar.duplicate_date",
            CalendarProblem::WorkdayOnWeekday(_) => "calendar.workday_on_weekday",
            CalendarProblem::MissingYear(_) => "calendar.missing_year",
            CalendarProblem::UnterminatedQuote => "calendar.unterminated_quote",
            CalendarProblem::Empty => "calendar.empty",
        }
    }
}

/// Why a working-day question has no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The date lies in a year the calendar data does not cover.
    #[error("日期 {date} 超出工作日历覆盖的年份（{first_year}年至{last_year}年）")]
    OutsideCalendar {
        /// The date asked about, `YYYY-MM-DD`.
        date: String,
        /// The first year covered.
        first_year: i32,
        /// The last year covered.
        last_year: i32,
    },
    /// The range ends before it starts.
    #[error("结束日期 {end} 早于开始日期 {start}")]
    EndBeforeStart {
        /// The start, `YYYY-MM-DD`.
        start: String,
        /// The end, `YYYY-MM-DD`.
        end: String,
    },
    /// Counting forward runs past the last covered year.
    #[error("从 {from} 起第{count}个工作日超出工作日历覆盖的年份（至{last_year}年）")]
    BeyondCalendar {
        /// The date counted from.
        from: String,
        /// The number of working days asked for.
        count: u32,
        /// The last year covered.
        last_year: i32,
    },
}

impl CalendarError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            CalendarError::OutsideCalendar { .. } => "calendar.outside",
            CalendarError::EndBeforeStart { .. } => "calendar.end_before_start",
            CalendarError::BeyondCalendar { .. } => "calendar.beyond",
        }
    }
}

/// China's working-day calendar over whole years.
#[derive(Clone, PartialEq, Eq)]
pub struct WorkCalendar {
    entries: Vec<CalendarEntry>,
    first: Date,
    last: Date,
    /// `prefix[i]` = working days in `[first, first + i)`; one longer than the day count.
    prefix: Vec<u32>,
    /// Day offsets (from `first`) of every working day, in order.
    working: Vec<u32>,
}

impl fmt::Debug for WorkCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkCalendar")
            .field("years", &self.years())
            .field("entries", &self.entries.len())
            .finish()
    }
}

fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

impl WorkCalendar {
    /// Builds the calendar from entries. It covers every whole year from the earliest to
    /// the latest entry; each of those years must have at least one entry (every year has
    /// statutory holidays, so a year without any is missing data).
    pub fn from_entries(
        entries: Vec<CalendarEntry>,
    ) -> Result<WorkCalendar, Vec<LineProblem<CalendarProblem>>> {
        let whole = |problem| vec![LineProblem { line: 0, problem }];
        let mut by_date: BTreeMap<Date, CalendarEntry> = BTreeMap::new();
        let mut problems = Vec::new();
        for entry in entries {
            if entry.kind == DayKind::Workday && !is_weekend(entry.date) {
                problems.push(LineProblem {
                    line: 0,
                    problem: CalendarProblem::WorkdayOnWeekday(format_date(entry.date)),
                });
            }
            let date = entry.date;
            if by_date.insert(date, entry).is_some() {
                problems.push(LineProblem {
                    line: 0,
                    problem: CalendarProblem::DuplicateDate(format_date(date)),
                });
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let (Some(first_year), Some(last_year)) = (
            by_date.keys().next().map(|d| d.year()),
            by_date.keys().next_back().map(|d| d.year()),
        ) else {
            return Err(whole(CalendarProblem::Empty));
        };
        let missing: Vec<_> = (first_year..=last_year)
            .filter(|y| by_date.keys().all(|d| d.year() != *y))
            .map(|y| LineProblem {
                line: 0,
                problem: CalendarProblem::MissingYear(y),
            })
            .collect();
        if !missing.is_empty() {
            return Err(missing);
        }
        let (Ok(first), Ok(last)) = (
            Date::from_calendar_date(first_year, Month::January, 1),
            Date::from_calendar_date(last_year, Month::December, 31),
        ) else {
            return Err(whole(CalendarProblem::Empty));
        };
        let days = (last - first).whole_days() + 1;
        let mut prefix = Vec::with_capacity(days as usize + 1);
        let mut working = Vec::new();
        prefix.push(0u32);
        let mut count = 0u32;
        let mut date = first;
        for offset in 0..days as u32 {
            let works = match by_date.get(&date).map(|e| e.kind) {
                Some(DayKind::Workday) => true,
                Some(DayKind::Holiday) => false,
                None => !is_weekend(date),
            };
            if works {
                count += 1;
                working.push(offset);
            }
            prefix.push(count);
            date = date.next_day().unwrap_or(date);
        }
        Ok(WorkCalendar {
            entries: by_date.into_values().collect(),
            first,
            last,
            prefix,
            working,
        })
    }

    /// Parses the CSV layout `date,kind,name[,name_en,in_lieu]` (further columns are
    /// ignored) and builds the calendar. Every problem is reported with its line number.
    pub fn parse_csv(text: &str) -> Result<WorkCalendar, Vec<LineProblem<CalendarProblem>>> {
        let records = csv::records(text).map_err(|e| {
            vec![LineProblem {
                line: e.line,
                problem: CalendarProblem::UnterminatedQuote,
            }]
        })?;
        let mut records = records.into_iter();
        let header_ok = records.next().is_some_and(|r| {
            r.fields
                .iter()
                .take(3)
                .map(|f| f.trim())
                .collect::<Vec<_>>()
                == ["date", "kind", "name"]
        });
        if !header_ok {
            return Err(vec![LineProblem {
                line: 0,
                problem: CalendarProblem::Header,
            }]);
        }
        let mut problems = Vec::new();
        let mut entries = Vec::new();
        let mut lines = BTreeMap::new();
        for record in records {
            let line = record.line;
            let field = |i: usize| record.fields.get(i).map(String::as_str).unwrap_or("");
            let date = parse_date(field(0));
            let kind = DayKind::parse(field(1));
            match (date, kind) {
                (Ok(date), Some(kind)) => {
                    if lines.insert(date, line).is_some() {
                        problems.push(LineProblem {
                            line,
                            problem: CalendarProblem::DuplicateDate(format_date(date)),
                        });
                        continue;
                    }
                    if kind == DayKind::Workday && !is_weekend(date) {
                        problems.push(LineProblem {
                            line,
                            problem: CalendarProblem::WorkdayOnWeekday(format_date(date)),
                        });
                        continue;
                    }
                    entries.push(CalendarEntry {
                        date,
                        kind,
                        name: field(2).trim().to_owned(),
                    });
                }
                (Err(_), _) => problems.push(LineProblem {
                    line,
                    problem: CalendarProblem::BadDate(field(0).trim().to_owned()),
                }),
                (_, None) => problems.push(LineProblem {
                    line,
                    problem: CalendarProblem::BadKind(field(1).trim().to_owned()),
                }),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Self::from_entries(entries)
    }

    /// The entries the calendar was built from, in date order.
    pub fn entries(&self) -> &[CalendarEntry] {
        &self.entries
    }

    /// The years covered, first to last.
    pub fn years(&self) -> RangeInclusive<i32> {
        self.first.year()..=self.last.year()
    }

    fn offset(&self, date: Date) -> Result<usize, CalendarError> {
        if date < self.first || date > self.last {
            return Err(CalendarError::OutsideCalendar {
                date: format_date(date),
                first_year: self.first.year(),
                last_year: self.last.year(),
            });
        }
        Ok((date - self.first).whole_days() as usize)
    }

    fn prefix_at(&self, offset: usize) -> u32 {
        self.prefix.get(offset).copied().unwrap_or(0)
    }

    /// Whether `date` is a working day.
    pub fn is_working_day(&self, date: Date) -> Result<bool, CalendarError> {
        let offset = self.offset(date)?;
        Ok(self.prefix_at(offset + 1) > self.prefix_at(offset))
    }

    /// The number of working days in `[start, end]`, both included.
    pub fn working_days(&self, start: Date, end: Date) -> Result<u32, CalendarError> {
        let from = self.offset(start)?;
        let to = self.offset(end)?;
        if end < start {
            return Err(CalendarError::EndBeforeStart {
                start: format_date(start),
                end: format_date(end),
            });
        }
        Ok(self.prefix_at(to + 1) - self.prefix_at(from))
    }

    /// The date `count` working days after `date`: counting starts the day after `date`, so
    /// the answer is always a working day later than `date` (for `count` ≥ 1) and
    /// `working_days(date + 1, answer) == count`. With `count` 0 the answer is `date`.
    pub fn add_working_days(&self, date: Date, count: u32) -> Result<Date, CalendarError> {
        let offset = self.offset(date)?;
        if count == 0 {
            return Ok(date);
        }
        let done = self.prefix_at(offset + 1) as usize;
        let index = done + count as usize - 1;
        match self.working.get(index) {
            Some(&day) => Ok(self.first + Duration::days(i64::from(day))),
            None => Err(CalendarError::BeyondCalendar {
                from: format_date(date),
                count,
                last_year: self.last.year(),
            }),
        }
    }

    /// Working days in the union of several inclusive ranges: a day covered by two
    /// overlapping ranges counts once. Every range must lie within the calendar.
    pub fn working_days_in_union(&self, ranges: &[(Date, Date)]) -> Result<u32, CalendarError> {
        let mut sorted = Vec::with_capacity(ranges.len());
        for &(start, end) in ranges {
            // Validates both ends and the order.
            self.working_days(start, end)?;
            sorted.push((start, end));
        }
        sorted.sort_unstable();
        let mut total = 0;
        let mut current: Option<(Date, Date)> = None;
        for (start, end) in sorted {
            current = match current {
                Some((s, e)) if start <= e.next_day().unwrap_or(e) => Some((s, e.max(end))),
                Some((s, e)) => {
                    total += self.working_days(s, e)?;
                    Some((start, end))
                }
                None => Some((start, end)),
            };
        }
        if let Some((s, e)) = current {
            total += self.working_days(s, e)?;
        }
        Ok(total)
    }

    /// The number of working days in a whole covered year.
    pub fn working_days_in_year(&self, year: i32) -> Result<u32, CalendarError> {
        let start = Date::from_calendar_date(year, Month::January, 1);
        let end = Date::from_calendar_date(year, Month::December, 31);
        match (start, end) {
            (Ok(start), Ok(end)) => self.working_days(start, end),
            _ => Err(CalendarError::OutsideCalendar {
                date: format!("{year}"),
                first_year: self.first.year(),
                last_year: self.last.year(),
            }),
        }
    }
}

/// The slow reference: counts working days one by one. Kept for the benchmark and the
/// property tests that check the prefix sums against it.
pub fn working_days_day_by_day(
    calendar: &WorkCalendar,
    start: Date,
    end: Date,
) -> Result<u32, CalendarError> {
    calendar.working_days(start, start)?;
    calendar.working_days(end, end)?;
    let mut count = 0;
    let mut date = start;
    while date <= end {
        if calendar.is_working_day(date)? {
            count += 1;
        }
        match date.next_day() {
            Some(next) => date = next,
            None => break,
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn calendar() -> WorkCalendar {
        crate::fixtures::calendar().unwrap()
    }

    #[test]
    fn known_answers() {
        let c = calendar();
        assert_eq!(c.years(), 2013..=2026);
        assert_eq!(
            c.working_days(date!(2024 - 02 - 05), date!(2024 - 02 - 18)),
            Ok(6)
        );
        assert_eq!(
            c.working_days(date!(2024 - 09 - 27), date!(2024 - 10 - 09)),
            Ok(5)
        );
        assert_eq!(
            c.working_days(date!(2024 - 10 - 12), date!(2024 - 10 - 13)),
            Ok(1)
        );
        assert_eq!(
            c.add_working_days(date!(2024 - 09 - 20), 20),
            Ok(date!(2024 - 10 - 23))
        );
        assert_eq!(
            c.add_working_days(date!(2024 - 12 - 31), 20),
            Ok(date!(2025 - 02 - 05))
        );
        assert_eq!(c.working_days_in_year(2023), Ok(249));
        assert_eq!(c.working_days_in_year(2024), Ok(251));
        assert_eq!(c.working_days_in_year(2025), Ok(248));
        assert_eq!(c.is_working_day(date!(2024 - 10 - 12)), Ok(true)); // Saturday, 调休
        assert_eq!(c.is_working_day(date!(2024 - 10 - 01)), Ok(false)); // National Day
        assert_eq!(c.is_working_day(date!(2024 - 10 - 19)), Ok(false)); // plain Saturday
        assert_eq!(
            c.add_working_days(date!(2024 - 10 - 01), 0),
            Ok(date!(2024 - 10 - 01))
        );
    }

    #[test]
    fn refuses_dates_outside_the_data() {
        let c = calendar();
        let outside = c.working_days(date!(2012 - 12 - 31), date!(2013 - 01 - 04));
        assert_eq!(
            outside.as_ref().map_err(CalendarError::code),
            Err("calendar.outside")
        );
        assert_eq!(
            outside.unwrap_err().to_string(),
            "日期 2012-12-31 超出工作日历覆盖的年份（2013年至2026年）"
        );
        assert_eq!(
            c.is_working_day(date!(2027 - 01 - 04))
                .map_err(|e| e.code()),
            Err("calendar.outside")
        );
        assert_eq!(
            c.add_working_days(date!(2026 - 12 - 20), 20)
                .map_err(|e| e.code()),
            Err("calendar.beyond")
        );
        assert_eq!(
            c.working_days(date!(2024 - 02 - 18), date!(2024 - 02 - 05))
                .map_err(|e| e.code()),
            Err("calendar.end_before_start")
        );
    }

    #[test]
    fn overlapping_ranges_count_each_day_once() {
        let c = calendar();
        let ranges = [
            (date!(2024 - 03 - 04), date!(2024 - 03 - 08)),
            (date!(2024 - 03 - 06), date!(2024 - 03 - 12)),
            (date!(2024 - 03 - 13), date!(2024 - 03 - 13)),
            (date!(2024 - 09 - 27), date!(2024 - 10 - 09)),
        ];
        // 4–13 March: 8 working days; National Day range: 5.
        assert_eq!(c.working_days_in_union(&ranges), Ok(13));
        assert_eq!(c.working_days_in_union(&[]), Ok(0));
    }

    #[test]
    fn bad_data_is_reported_line_by_line() {
        let text = "date,kind,name\n2024-01-01,holiday,元旦\n2024-02-30,holiday,x\n2024-01-02,off,x\n2024-01-01,holiday,元旦\n2024-01-03,workday,x\n";
        let problems = WorkCalendar::parse_csv(text).unwrap_err();
        let found: Vec<(usize, &str)> = problems
            .iter()
            .map(|p| (p.line, p.problem.code()))
            .collect();
        assert_eq!(
            found,
            vec![
                (3, "calendar.bad_date"),
                (4, "calendar.bad_kind"),
                (5, "calendar.duplicate_date"),
                (6, "calendar.workday_on_weekday"),
            ]
        );
        let gap = "date,kind,name\n2022-01-01,holiday,元旦\n2024-01-01,holiday,元旦\n";
        assert_eq!(
            WorkCalendar::parse_csv(gap).unwrap_err()[0].problem,
            CalendarProblem::MissingYear(2023)
        );
    }
}
