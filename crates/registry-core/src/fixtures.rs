//! The reference data shipped in `fixtures/`, embedded when the crate is built: the
//! working-day calendar and the sample review-item catalogue. Storage loads them on the
//! first migration; tests and the CLI use them as defaults. Nothing here reads a file at
//! run time.

use crate::calendar::{CalendarProblem, WorkCalendar};
use crate::review_item::{CatalogueProblem, LineProblem, ReviewItemCatalogue};

/// `fixtures/cn-calendar-2013-2026.csv`: China's statutory holidays and adjusted working
/// days, 2013–2026, from the State Council's notices.
pub const CALENDAR_CSV: &str = include_str!("../../../fixtures/cn-calendar-2013-2026.csv");

/// `fixtures/review-items.csv`: the **sample** catalogue of 26 review items, to be
/// replaced by the association's official list.
pub const REVIEW_ITEMS_CSV: &str = include_str!("../../../fixtures/review-items.csv");

/// The shipped calendar (this crate's tests prove that it parses).
pub fn calendar() -> Result<WorkCalendar, Vec<LineProblem<CalendarProblem>>> {
    WorkCalendar::parse_csv(CALENDAR_CSV)
}

/// The shipped sample catalogue (this crate's tests prove that it parses).
pub fn review_items() -> Result<ReviewItemCatalogue, Vec<LineProblem<CatalogueProblem>>> {
    ReviewItemCatalogue::parse_csv(REVIEW_ITEMS_CSV)
}
