//! Continuing education through the API: the association's training courses (listed and
//! added, with the items each covers) and their attendance (recorded for a person named by
//! ID number or registration number, listed, reversed). The pages 培训班 and 课时记录 do
//! the same; the same rules refuse the same requests with the same codes.

use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use registry_core::date::format_date;
use registry_core::education::{CourseForm, format_hours};
use registry_core::ids::{AttendanceId, CourseId};
use registry_core::ports::RegisterTx;
use registry_core::usecases::{CreateCourse, RecordAttendance, ReverseAttendance};

use super::{ApiError, ApiResult, Tag, association, error_body, state, violation_body};

/// A training course.
#[derive(Object, Debug)]
struct CourseOut {
    id: i64,
    /// 培训班名称
    name: String,
    /// YYYY-MM-DD
    start: String,
    /// YYYY-MM-DD: the hours count in the cycle of this day.
    end: String,
    /// The review items it covers (codes).
    items: Vec<String>,
    /// The hours it counts, as text ("16", "7.5").
    hours: String,
    /// People with hours above zero.
    attendees: u64,
}

/// A new training course.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct CourseIn {
    /// 培训班名称, at most 100 characters.
    #[oai(validator(max_length = 100))]
    name: String,
    /// YYYY-MM-DD
    #[oai(validator(max_length = 10))]
    start: String,
    /// YYYY-MM-DD, not before `start`.
    #[oai(validator(max_length = 10))]
    end: String,
    /// The review items it covers (codes such as `RQ-ZZ`), at least one.
    #[oai(validator(max_items = 64))]
    items: Vec<String>,
    /// The hours it counts, a positive number as text ("16", "7.5").
    #[oai(validator(max_length = 10))]
    hours: String,
}

/// What was created.
#[derive(Object, Debug)]
struct Created {
    id: i64,
}

/// One attendance entry of a course.
#[derive(Object, Debug)]
struct AttendanceOut {
    id: i64,
    person_id: i64,
    name: String,
    /// The ID number, masked.
    masked_id: String,
    /// Hours credited: negative for a reversal.
    hours: String,
    /// YYYY-MM-DD
    recorded_on: String,
    /// The entry this one reverses.
    reverses: Option<i64>,
    /// Whether a later entry reverses this one.
    reversed: bool,
}

/// Hours attended by one person.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct AttendanceIn {
    /// The person: their resident ID number or registration number (`JP…`).
    #[oai(validator(max_length = 32))]
    person: String,
    /// Hours attended, a positive number as text, at most what the course counts.
    #[oai(validator(max_length = 10))]
    hours: String,
}

/// The continuing-education operations (tag 促进会).
pub(crate) struct EducationApi;

#[OpenApi]
impl EducationApi {
    /// 培训班: every training course, latest first, with its attendees.
    #[oai(
        path = "/association/courses",
        method = "get",
        tag = "Tag::Association"
    )]
    async fn courses(&self, req: &Request) -> ApiResult<Json<Vec<CourseOut>>> {
        association(req)?;
        let state = state(req)?;
        Ok(Json(
            state
                .store
                .courses()
                .await?
                .into_iter()
                .map(|c| {
                    let d = &c.course.details;
                    CourseOut {
                        id: c.course.id.get(),
                        name: d.name.as_str().to_owned(),
                        start: format_date(d.start),
                        end: format_date(d.end),
                        items: d.items.iter().map(|i| i.as_str().to_owned()).collect(),
                        hours: format_hours(d.hours.get()),
                        attendees: c.attendees,
                    }
                })
                .collect(),
        ))
    }

    /// Adds a training course (audited); every problem of the form at once (422).
    #[oai(
        path = "/association/courses",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn create_course(&self, req: &Request, body: Json<CourseIn>) -> ApiResult<Json<Created>> {
        let actor = association(req)?;
        let state = state(req)?;
        let id = state
            .run(
                actor,
                &CreateCourse {
                    form: CourseForm {
                        name: body.name.clone(),
                        start: body.start.clone(),
                        end: body.end.clone(),
                        items: body.items.clone(),
                        hours: body.hours.clone(),
                    },
                },
            )
            .await?;
        Ok(Json(Created { id: id.get() }))
    }

    /// 课时记录: the attendance entries of a course, by name.
    #[oai(
        path = "/association/courses/:id/attendance",
        method = "get",
        tag = "Tag::Association"
    )]
    async fn attendance(
        &self,
        req: &Request,
        id: Path<i64>,
    ) -> ApiResult<Json<Vec<AttendanceOut>>> {
        association(req)?;
        let state = state(req)?;
        let course = CourseId::new(id.0);
        let exists = {
            let mut read = state.store.begin_read().await?;
            read.course(course).await?.is_some()
        };
        if !exists {
            return Err(ApiError::NotFound(error_body(
                "not_found.course",
                "未找到该培训班",
            )));
        }
        Ok(Json(
            state
                .store
                .course_attendance(course)
                .await?
                .into_iter()
                .map(|a| AttendanceOut {
                    id: a.entry.id.get(),
                    person_id: a.entry.person.get(),
                    name: a.name,
                    masked_id: a.masked_id,
                    hours: format_hours(a.entry.hours),
                    recorded_on: format_date(a.entry.recorded_on),
                    reverses: a.entry.reverses.map(AttendanceId::get),
                    reversed: a.reversed,
                })
                .collect(),
        ))
    }

    /// Credits a person, named by ID number or registration number, with hours attended
    /// at the course (audited). Refused (422) for a person without a qualification, hours
    /// beyond what the course counts, and every other rule of the page.
    #[oai(
        path = "/association/courses/:id/attendance",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn record_attendance(
        &self,
        req: &Request,
        id: Path<i64>,
        body: Json<AttendanceIn>,
    ) -> ApiResult<Json<Created>> {
        let actor = association(req)?;
        let state = state(req)?;
        let (query, described) = crate::queries::attendee_query(&body.person, state.today())
            .map_err(|v| {
                ApiError::Unprocessable(Json(super::ErrorBody {
                    code: "rejected".to_owned(),
                    message: v.to_string(),
                    violations: vec![violation_body(&v)],
                }))
            })?;
        let found = state
            .store
            .find_people(&query, 1)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| {
                ApiError::NotFound(error_body(
                    "not_found.person",
                    format!("未找到{described}对应的人员"),
                ))
            })?;
        let entry = state
            .run(
                actor,
                &RecordAttendance {
                    course: CourseId::new(id.0),
                    person: found.person,
                    hours: body.hours.clone(),
                },
            )
            .await?;
        Ok(Json(Created { id: entry.get() }))
    }

    /// 冲销: cancels an attendance entry with a reversing entry (history is never
    /// edited; audited). Refused (422) for an entry already reversed or a reversal.
    #[oai(
        path = "/association/attendance/:id/reversal",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn reverse_attendance(&self, req: &Request, id: Path<i64>) -> ApiResult<Json<Created>> {
        let actor = association(req)?;
        let state = state(req)?;
        let reversal = state
            .run(
                actor,
                &ReverseAttendance {
                    entry: AttendanceId::new(id.0),
                },
            )
            .await?;
        Ok(Json(Created { id: reversal.get() }))
    }
}
