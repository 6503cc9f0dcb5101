//! 工作日历 through the API: the years the working-day calendar covers (with the years
//! whose deadlines are estimated and the reminder to load the next one), and loading a new
//! or corrected year from the State Council's notice as CSV (`date,kind,name`), under the
//! core's rule that the calendar stays whole. The page 工作日历 does the same.

use poem::Request;
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::{Object, OpenApi};
use registry_core::calendar::{DayKind, WorkCalendar};
use registry_core::holiday_law::missing_calendar;
use registry_core::usecases::LoadCalendar;

use super::{ApiError, ApiResult, ErrorBody, Tag, ViolationBody, association, state};

/// One year of the calendar.
#[derive(Object, Debug)]
struct YearOut {
    year: i32,
    /// Statutory holidays (days off).
    holidays: usize,
    /// Adjusted working days (调休上班).
    workdays: usize,
    /// Working days in the year.
    working_days: u32,
}

/// The working-day calendar.
#[derive(Object, Debug)]
struct CalendarOut {
    /// The years loaded, latest first.
    years: Vec<YearOut>,
    /// The years after them whose deadlines are estimated from the holiday law.
    estimated: Vec<i32>,
    /// The reminder to load the next year, when it is due (from 1 October).
    warning: Option<String>,
}

/// What a load did.
#[derive(Object, Debug)]
struct LoadedOut {
    /// The first and last year loaded.
    first: i32,
    last: i32,
    /// Holidays and adjusted working days loaded.
    entries: usize,
    /// The years the calendar covers now: first and last.
    covered_from: i32,
    covered_to: i32,
}

fn calendar_out(calendar: &WorkCalendar, estimated: Vec<i32>, today: time::Date) -> CalendarOut {
    CalendarOut {
        years: calendar
            .years()
            .rev()
            .map(|year| {
                let of_year = calendar.entries().iter().filter(|e| e.date.year() == year);
                YearOut {
                    year,
                    holidays: of_year
                        .clone()
                        .filter(|e| e.kind == DayKind::Holiday)
                        .count(),
                    workdays: of_year.filter(|e| e.kind == DayKind::Workday).count(),
                    working_days: calendar.working_days_in_year(year).unwrap_or(0),
                }
            })
            .collect(),
        estimated,
        warning: missing_calendar(today, calendar.years()).map(|w| w.message()),
    }
}

/// The calendar operations (tag 促进会).
#[derive(Default)]
pub(crate) struct CalendarApi;

#[OpenApi]
impl CalendarApi {
    /// 工作日历: the years covered, latest first.
    #[oai(
        path = "/association/calendar",
        method = "get",
        tag = "Tag::Association"
    )]
    async fn calendar(&self, req: &Request) -> ApiResult<Json<CalendarOut>> {
        association(req)?;
        let state = state(req)?;
        let estimated = state
            .deadlines()
            .provisional_years()
            .map(|years| years.collect())
            .unwrap_or_default();
        Ok(Json(calendar_out(
            &state.calendar(),
            estimated,
            state.today(),
        )))
    }

    /// Loads whole years from CSV text (`date,kind,name`, UTF-8; every holiday and
    /// adjusted working day of each year), replacing those years (audited). The calendar
    /// must stay whole; on any problem nothing is loaded (422, every line's problem with
    /// its code: `calendar.*`).
    #[oai(
        path = "/association/calendar",
        method = "put",
        tag = "Tag::Association"
    )]
    async fn load(&self, req: &Request, body: PlainText<String>) -> ApiResult<Json<LoadedOut>> {
        let actor = association(req)?;
        let state = state(req)?;
        let calendar =
            WorkCalendar::parse_csv(body.0.trim_start_matches('\u{feff}')).map_err(|problems| {
                ApiError::Unprocessable(Json(ErrorBody {
                    code: "rejected".to_owned(),
                    message: "日历文件有误，未导入任何内容".to_owned(),
                    violations: problems
                        .iter()
                        .map(|p| ViolationBody {
                            code: p.problem.code().to_owned(),
                            message: if p.line == 0 {
                                p.problem.to_string()
                            } else {
                                format!("第{}行：{}", p.line, p.problem)
                            },
                            field: None,
                        })
                        .collect(),
                }))
            })?;
        let loaded = state.run(actor, &LoadCalendar { calendar }).await?;
        if let Err(e) = state.reload_calendar().await {
            tracing::error!(error = ?e, "the calendar was loaded but could not be read back");
        }
        Ok(Json(LoadedOut {
            first: *loaded.years.start(),
            last: *loaded.years.end(),
            entries: loaded.entries,
            covered_from: *loaded.covered.start(),
            covered_to: *loaded.covered.end(),
        }))
    }
}
