//! 工作日历: the years the working-day calendar covers (and the years after them whose
//! deadlines are estimated), and loading a new or corrected year from a CSV file (the
//! association; the rule that the calendar stays whole is the core's `LoadCalendar`).
//! Loading rebuilds this instance's calendars at once, so every estimated deadline in
//! the loaded year becomes the official day.

use poem::web::Multipart;
use poem::{Request, Response, handler};
use registry_core::calendar::{DayKind, WorkCalendar};
use registry_core::holiday_law::missing_calendar;
use registry_core::usecases::LoadCalendar;

use super::{association_account, layout, state};
use crate::auth::actor_of;
use crate::errors::{PageResult, html, messages_of};
use crate::templates::{AssociationCalendar, CalendarYearRow};

/// The most a calendar file may be (one year is about 40 lines).
const MAX_UPLOAD: usize = 1 << 20;

fn page(req: &Request, errors: Vec<String>, notice: Option<String>) -> Response {
    let state = state(req);
    let calendar = state.calendar();
    let provisional = state
        .deadlines()
        .provisional_years()
        .map(|years| years.map(|y| y.to_string()).collect::<Vec<_>>().join("、"));
    let warning = missing_calendar(state.today(), calendar.years()).map(|w| w.message());
    let years = calendar
        .years()
        .rev()
        .map(|year| {
            let of_year = calendar.entries().iter().filter(|e| e.date.year() == year);
            CalendarYearRow {
                year,
                holidays: of_year
                    .clone()
                    .filter(|e| e.kind == DayKind::Holiday)
                    .count(),
                workdays: of_year.filter(|e| e.kind == DayKind::Workday).count(),
                working_days: calendar.working_days_in_year(year).unwrap_or(0),
            }
        })
        .collect();
    let status = crate::errors::status_of_form(&errors);
    html(
        status,
        &AssociationCalendar {
            layout: layout(req),
            years,
            provisional,
            warning,
            errors,
            notice,
        },
    )
}

#[handler]
pub(crate) fn show(req: &Request) -> PageResult {
    let _ = association_account(req)?;
    Ok(page(req, vec![], None))
}

#[handler]
pub(crate) async fn load(req: &Request, mut multipart: Multipart) -> PageResult {
    let account = association_account(req)?;
    let state = state(req);
    let mut text = None;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("file") {
            text = match field.bytes().await {
                Ok(bytes) if bytes.len() <= MAX_UPLOAD => Some(String::from_utf8(bytes)),
                _ => {
                    return Ok(page(
                        req,
                        vec!["文件过大（上限 1 MB）或无法读取。".into()],
                        None,
                    ));
                }
            };
        }
    }
    let text = match text {
        Some(Ok(text)) => text,
        Some(Err(_)) => return Ok(page(req, vec!["文件不是 UTF-8 编码的文本。".into()], None)),
        None => return Ok(page(req, vec!["请选择日历文件。".into()], None)),
    };
    let calendar = match WorkCalendar::parse_csv(text.trim_start_matches('\u{feff}')) {
        Ok(calendar) => calendar,
        Err(problems) => {
            let errors = problems
                .iter()
                .map(|p| {
                    if p.line == 0 {
                        p.problem.to_string()
                    } else {
                        format!("第{}行：{}", p.line, p.problem)
                    }
                })
                .collect();
            return Ok(page(req, errors, None));
        }
    };
    Ok(
        match state
            .run(actor_of(&account), &LoadCalendar { calendar })
            .await
        {
            Ok(loaded) => {
                if let Err(e) = state.reload_calendar().await {
                    tracing::error!(error = ?e, "the calendar was loaded but could not be read back");
                }
                let years = if loaded.years.start() == loaded.years.end() {
                    format!("{}年", loaded.years.start())
                } else {
                    format!("{}—{}年", loaded.years.start(), loaded.years.end())
                };
                page(
                    req,
                    vec![],
                    Some(format!(
                        "已导入{years}的日历（{} 条节假日与调休记录）；日历现覆盖 {}—{} 年。",
                        loaded.entries,
                        loaded.covered.start(),
                        loaded.covered.end()
                    )),
                )
            }
            Err(e) => page(req, messages_of(&e), None),
        },
    )
}
