//! Continuing education: the association's training courses, attendance entered by hand,
//! and reversals.

use poem::http::StatusCode;
use poem::web::{Path, Query};
use poem::{Request, handler};

use registry_core::date::format_date;
use registry_core::education::{CourseForm, format_hours};
use registry_core::ids::{AttendanceId, CourseId, ProviderId};

use crate::AppState;
use crate::auth::actor_of;
use crate::errors::{PageResult, html, message_page, messages_of};
use crate::pages::{Fields, association_account, layout, redirect, state};
use crate::templates::{
    AssociationCourse, AssociationCourses, CourseFormView, CourseRow, EntryRow, PageNumber, Pager,
};
use registry_core::ports::RegisterTx;

use registry_core::usecases::{CreateCourse, RecordAttendance, ReverseAttendance};

fn catalogue_choices(state: &AppState) -> Vec<(String, String)> {
    state
        .catalogue
        .items()
        .iter()
        .map(|i| (i.code().as_str().to_owned(), i.name().to_owned()))
        .collect()
}

async fn courses_page(
    req: &Request,
    form: CourseFormView,
    errors: Vec<String>,
    notice: Option<String>,
    page: PageNumber,
    export: Option<registry_batch::table::Format>,
) -> PageResult {
    let state = state(req);
    let courses = state.store.courses().await?;
    let pager = Pager::new(
        "/association/courses",
        &[],
        page,
        courses.len() as u64,
        "个",
    )
    .exported();
    let courses = if export.is_some() {
        courses
    } else {
        pager.slice(courses)
    };
    let rows: Vec<CourseRow> = courses
        .into_iter()
        .map(|c| {
            let d = &c.course.details;
            CourseRow {
                id: c.course.id.get(),
                name: d.name.as_str().to_owned(),
                dates: course_dates(d),
                items: course_items(state, d),
                hours: format_hours(d.hours.get()),
                attendees: c.attendees,
            }
        })
        .collect();
    if let Some(format) = export {
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|c| {
                vec![
                    c.id.to_string(),
                    c.name.clone(),
                    c.dates.clone(),
                    c.items.clone(),
                    c.hours.clone(),
                    c.attendees.to_string(),
                ]
            })
            .collect();
        return crate::pages::export::respond(
            format,
            "courses",
            state.today(),
            &[
                "编号",
                "培训班名称",
                "日期",
                "覆盖的评审项目",
                "计入课时",
                "参加人数",
            ],
            &cells,
        );
    }
    let status = crate::errors::status_of_form(&errors);
    Ok(html(
        status,
        &AssociationCourses {
            layout: layout(req),
            courses: rows,
            pager,
            catalogue: catalogue_choices(state),
            providers: crate::machine::provider_choices(state).await?,
            form,
            errors,
            notice,
        },
    ))
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    page: Option<u64>,
    #[serde(default)]
    format: String,
}

#[handler]
pub(crate) async fn course_list(req: &Request, Query(query): Query<ListQuery>) -> PageResult {
    let _ = association_account(req)?;
    courses_page(
        req,
        CourseFormView::default(),
        vec![],
        None,
        PageNumber::from_query(query.page),
        crate::pages::export::requested(&query.format),
    )
    .await
}

#[handler]
pub(crate) async fn create_course(req: &Request, body: String) -> PageResult {
    let account = association_account(req)?;
    let fields = Fields::parse(&body);
    let form = CourseFormView {
        name: fields.get("name"),
        start: fields.get("start"),
        end: fields.get("end"),
        hours: fields.get("hours"),
        items: fields.all("items"),
        provider: fields.get("provider"),
        ..CourseFormView::default()
    };
    let provider = match form.provider.trim() {
        "" => None,
        text => Some(ProviderId::new(text.parse().unwrap_or(0))),
    };
    let outcome = state(req)
        .run(
            actor_of(&account),
            &CreateCourse {
                provider,
                form: CourseForm {
                    name: form.name.clone(),
                    start: form.start.clone(),
                    end: form.end.clone(),
                    items: form.items.clone(),
                    hours: form.hours.clone(),
                },
            },
        )
        .await;
    Ok(match outcome {
        Ok(id) => {
            courses_page(
                req,
                CourseFormView::default(),
                vec![],
                Some(format!("培训班已保存，编号 {id}。")),
                PageNumber::from_query(None),
                None,
            )
            .await?
        }
        Err(e) => {
            courses_page(
                req,
                CourseFormView {
                    errors: crate::errors::field_errors_of(&e),
                    ..form
                },
                messages_of(&e),
                None,
                PageNumber::from_query(None),
                None,
            )
            .await?
        }
    })
}

async fn course_page(
    req: &Request,
    id: i64,
    errors: Vec<String>,
    notice: Option<String>,
    typed: (String, String),
    page: PageNumber,
) -> PageResult {
    let state = state(req);
    let course = {
        let mut tx = state.store.begin_read().await?;
        match tx.course(CourseId::new(id)).await {
            Ok(Some(course)) => course,
            Ok(None) => {
                return Ok(message_page(
                    layout(req),
                    StatusCode::NOT_FOUND,
                    "未找到",
                    "未找到该培训班。",
                    Some(("/association/courses", "返回培训班")),
                ));
            }
            Err(e) => return Err(e.into()),
        }
    };
    // In the pinyin order of the names, a person's reversals beside their entries.
    let entries = state.store.course_attendance(CourseId::new(id)).await?;
    let pager = Pager::new(
        &format!("/association/courses/{id}"),
        &[],
        page,
        entries.len() as u64,
        "条记录",
    );
    let entries = pager.slice(entries);
    let d = &course.details;
    let status = crate::errors::status_of_form(&errors);
    Ok(html(
        status,
        &AssociationCourse {
            layout: layout(req),
            id,
            name: d.name.as_str().to_owned(),
            dates: course_dates(d),
            items: course_items(state, d),
            hours: format_hours(d.hours.get()),
            entries: entries
                .into_iter()
                .map(|a| EntryRow {
                    id: a.entry.id.get(),
                    name: a.name,
                    masked_id: a.masked_id,
                    hours: format_hours(a.entry.hours),
                    recorded_on: format_date(a.entry.recorded_on),
                    reversed: a.reversed,
                    is_reversal: a.entry.reverses.is_some(),
                })
                .collect(),
            errors,
            notice,
            typed,
            pager,
        },
    ))
}

#[handler]
pub(crate) async fn course_detail(
    req: &Request,
    Path(id): Path<i64>,
    Query(query): Query<PageQuery>,
) -> PageResult {
    let _ = association_account(req)?;
    course_page(
        req,
        id,
        vec![],
        None,
        Default::default(),
        PageNumber::from_query(query.page),
    )
    .await
}

/// A list's page.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct PageQuery {
    page: Option<u64>,
}

#[handler]
pub(crate) async fn record_attendance(
    req: &Request,
    Path(id): Path<i64>,
    body: String,
) -> PageResult {
    let account = association_account(req)?;
    let state = state(req);
    let fields = Fields::parse(&body);
    let typed = (fields.get("person"), fields.get("hours"));
    let (query, described) =
        match crate::queries::attendee_query(&fields.get("person"), state.today()) {
            Ok(found) => found,
            Err(v) => {
                return course_page(
                    req,
                    id,
                    vec![v.to_string()],
                    None,
                    typed,
                    PageNumber::from_query(None),
                )
                .await;
            }
        };
    let found = state.store.find_people(&query, 1).await?;
    let Some(found) = found.into_iter().next() else {
        return course_page(
            req,
            id,
            vec![format!("未找到{described}对应的人员")],
            None,
            typed,
            PageNumber::from_query(None),
        )
        .await;
    };
    let outcome = state
        .run(
            actor_of(&account),
            &RecordAttendance {
                provider: None,
                course: CourseId::new(id),
                person: found.person,
                hours: fields.get("hours"),
            },
        )
        .await;
    Ok(match outcome {
        Ok(_) => {
            course_page(
                req,
                id,
                vec![],
                Some(format!("已为 {} 记录课时。", found.name)),
                Default::default(),
                PageNumber::from_query(None),
            )
            .await?
        }
        Err(e) => {
            course_page(
                req,
                id,
                messages_of(&e),
                None,
                typed,
                PageNumber::from_query(None),
            )
            .await?
        }
    })
}

#[handler]
pub(crate) async fn reverse_attendance(req: &Request, Path(entry): Path<i64>) -> PageResult {
    let account = association_account(req)?;
    let state = state(req);
    let course = {
        let mut tx = state.store.begin_read().await?;
        match tx.attendance_entry(AttendanceId::new(entry)).await {
            Ok(Some(a)) => a.course,
            Ok(None) => {
                return Ok(message_page(
                    layout(req),
                    StatusCode::NOT_FOUND,
                    "未找到",
                    "未找到该课时记录。",
                    Some(("/association/courses", "返回培训班")),
                ));
            }
            Err(e) => return Err(e.into()),
        }
    };
    Ok(
        match state
            .run(
                actor_of(&account),
                &ReverseAttendance {
                    entry: AttendanceId::new(entry),
                },
            )
            .await
        {
            Ok(_) => {
                course_page(
                    req,
                    course.get(),
                    vec![],
                    Some("已冲销该课时记录。".to_owned()),
                    Default::default(),
                    PageNumber::from_query(None),
                )
                .await?
            }
            Err(e) => {
                course_page(
                    req,
                    course.get(),
                    messages_of(&e),
                    None,
                    Default::default(),
                    PageNumber::from_query(None),
                )
                .await?
            }
        },
    )
}

/// The old address of the attendance import: it is one of the imports of 数据导入 now.
#[handler]
pub(crate) fn import_moved(req: &Request) -> PageResult {
    let _ = association_account(req)?;
    Ok(redirect("/association/exchange"))
}

/// A course's dates as shown: "2026-03-01 至 2026-03-03".
fn course_dates(d: &registry_core::education::CourseDetails) -> String {
    format!("{} 至 {}", format_date(d.start), format_date(d.end))
}

/// The names of a course's items, joined as shown.
fn course_items(state: &AppState, d: &registry_core::education::CourseDetails) -> String {
    d.items
        .iter()
        .map(|i| state.catalogue.name_of(i))
        .collect::<Vec<_>>()
        .join("、")
}
