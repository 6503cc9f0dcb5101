//! The table of festival dates (`fixtures/cn-festivals.csv`) and a provisional year made
//! from it by the law.

use std::collections::{BTreeMap, BTreeSet};

use std::ops::RangeInclusive;

use crate::calendar::CalendarEntry;
use crate::csv;
use crate::date::parse_date;
use crate::review_item::LineProblem;

use super::*;

/// The festival dates of consecutive years (`fixtures/cn-festivals.csv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FestivalTable {
    /// One per year, from the first year on, no gap.
    years: Vec<FestivalDates>,
}

/// The header of the festival table.
const HEADER: [&str; 6] = ["year", "chuxi", "chunjie", "qingming", "duanwu", "zhongqiu"];

impl FestivalTable {
    /// A table of the given years, which must be consecutive, each once.
    pub fn new(
        mut years: Vec<FestivalDates>,
    ) -> Result<FestivalTable, Vec<LineProblem<FestivalProblem>>> {
        let whole = |problem| LineProblem { line: 0, problem };
        years.sort_by_key(FestivalDates::year);
        let (Some(first), Some(last)) = (
            years.first().map(FestivalDates::year),
            years.last().map(FestivalDates::year),
        ) else {
            return Err(vec![whole(FestivalProblem::Empty)]);
        };
        let present: BTreeSet<i32> = years.iter().map(FestivalDates::year).collect();
        let mut problems: Vec<_> = years
            .windows(2)
            .filter_map(|pair| match pair {
                [a, b] if a.year() == b.year() => {
                    Some(whole(FestivalProblem::DuplicateYear(a.year())))
                }
                _ => None,
            })
            .collect();
        problems.extend(
            (first..=last)
                .filter(|year| !present.contains(year))
                .map(|year| whole(FestivalProblem::MissingYear(year))),
        );
        if problems.is_empty() {
            Ok(FestivalTable { years })
        } else {
            Err(problems)
        }
    }

    /// Parses the CSV layout `year,chuxi,chunjie,qingming,duanwu,zhongqiu` (dates
    /// `YYYY-MM-DD`; lines starting with `#` are comments). Every problem is reported with
    /// its line number.
    pub fn parse_csv(text: &str) -> Result<FestivalTable, Vec<LineProblem<FestivalProblem>>> {
        let records = csv::records(text).map_err(|e| {
            vec![LineProblem {
                line: e.line,
                problem: FestivalProblem::UnterminatedQuote,
            }]
        })?;
        let mut records = records.into_iter();
        let header_ok = records
            .next()
            .is_some_and(|r| r.fields.iter().map(|f| f.trim()).eq(HEADER));
        if !header_ok {
            return Err(vec![LineProblem {
                line: 0,
                problem: FestivalProblem::Header,
            }]);
        }
        let mut problems = Vec::new();
        let mut years = Vec::new();
        let mut lines = BTreeMap::new();
        for record in records {
            let line = record.line;
            let field = |i: usize| record.fields.get(i).map_or("", |f| f.trim());
            let mut row_problems = Vec::new();
            let year = field(0).parse::<i32>().ok();
            if year.is_none() {
                row_problems.push(FestivalProblem::BadYear(field(0).to_owned()));
            }
            let mut dates = Vec::with_capacity(5);
            for i in 1..=5 {
                match parse_date(field(i)) {
                    Ok(date) => dates.push(date),
                    Err(_) => row_problems.push(FestivalProblem::BadDate(field(i).to_owned())),
                }
            }
            match (year, dates.as_slice()) {
                (Some(year), &[eve, spring, qingming, dragon_boat, mid_autumn])
                    if row_problems.is_empty() =>
                {
                    if lines.insert(year, line).is_some() {
                        row_problems.push(FestivalProblem::DuplicateYear(year));
                    } else {
                        match FestivalDates::new(
                            year,
                            eve,
                            spring,
                            qingming,
                            dragon_boat,
                            mid_autumn,
                        ) {
                            Ok(dates) => years.push(dates),
                            Err(found) => row_problems.extend(found),
                        }
                    }
                }
                _ => {}
            }
            problems.extend(
                row_problems
                    .into_iter()
                    .map(|problem| LineProblem { line, problem }),
            );
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        FestivalTable::new(years)
    }

    /// The years of the table, first to last.
    pub fn years(&self) -> RangeInclusive<i32> {
        let first = self.years.first().map_or(0, FestivalDates::year);
        let last = self.years.last().map_or(-1, FestivalDates::year);
        first..=last
    }

    /// The festival dates of `year`, if the table has it.
    pub fn year(&self, year: i32) -> Option<&FestivalDates> {
        let first = self.years.first()?.year();
        let index = usize::try_from(year.checked_sub(first)?).ok()?;
        self.years.get(index)
    }
}

/// A year the festival table does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("节日日期表没有{year}年（只有{first_year}年至{last_year}年）")]
pub struct YearNotInTable {
    /// The year asked for.
    pub year: i32,
    /// The first year of the table.
    pub first_year: i32,
    /// The last year of the table.
    pub last_year: i32,
}

impl YearNotInTable {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        "festivals.year_not_in_table"
    }
}

/// The days off of one year as the law gives them: the statutory days and their make-up
/// days (补假), as calendar entries (all [`DayKind::Holiday`]), in date order. A date of
/// two statutory days is named after both (国庆节、中秋节); a make-up day after the
/// festival it makes up (中秋节（补假）). No adjusted working day (调休): the law gives none.
pub fn provisional_year(
    year: i32,
    festivals: &FestivalTable,
) -> Result<Vec<CalendarEntry>, YearNotInTable> {
    let years = festivals.years();
    festivals
        .year(year)
        .map(FestivalDates::days_off)
        .ok_or_else(|| YearNotInTable {
            year,
            first_year: *years.start(),
            last_year: *years.end(),
        })
}
