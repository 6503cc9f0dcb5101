//! Continuing education through the API: the association's training courses (listed and
//! added, with the items each covers) and their attendance (recorded for a person named by
//! ID number or registration number, listed, reversed). The pages 培训班 and 课时记录 do
//! the same; the same rules refuse the same requests with the same codes.
//!
//! Attendance is posted one person at a time or as a roster (the CSV or .xlsx file of the
//! page's import, with its row-numbered report, dry run and all-or-nothing), by the
//! association for any course or by a training provider's token (`attendance.write`) for
//! the courses it runs: another's course is not found.

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};
use registry_batch::import::{ImportError, Kind, Options};
use registry_batch::table::Source;
use registry_core::date::format_date;
use registry_core::education::{CourseForm, PersonRef, format_hours};
use registry_core::ids::{AttendanceId, CourseId, ProviderId};
use registry_core::ports::RegisterTx;
use registry_core::usecases::{
    CreateCourse, RecordAttendance, RecordProviderAttendance, ReverseAttendance, RowOutcome,
};

use super::wire::Created;
use super::wire::ItemCodeText;
use super::{
    ApiError, ApiResult, Tag, association, attendance_poster, error_body, provider, state,
    violation_body,
};

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
    /// The training provider that runs it, if one is named.
    provider_id: Option<i64>,
}

fn course_out(c: registry_store::queries::CourseListing) -> CourseOut {
    let d = &c.course.details;
    CourseOut {
        id: c.course.id.get(),
        name: d.name.as_str().to_owned(),
        start: format_date(d.start),
        end: format_date(d.end),
        items: d.items.iter().map(|i| i.as_str().to_owned()).collect(),
        hours: format_hours(d.hours.get()),
        attendees: c.attendees,
        provider_id: c.course.provider.map(ProviderId::get),
    }
}

/// A new training course.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct CourseIn {
    /// 培训班名称, at most 100 characters.
    #[oai(validator(max_length = 100))]
    name: String,
    /// 开始日期
    start: time::Date,
    /// 结束日期, not before `start`.
    end: time::Date,
    /// The review items it covers (codes such as `RQ-ZZ`), at least one.
    #[oai(validator(max_items = 64))]
    items: Vec<ItemCodeText>,
    /// The hours it counts, a positive number as text ("16", "7.5").
    #[oai(validator(max_length = 10, pattern = "^[0-9]+(\\.[0-9]+)?$"))]
    hours: String,
    /// The training provider that runs it (`GET /association/providers`): its token may
    /// then post the course's attendance.
    provider_id: Option<i64>,
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
    #[oai(validator(pattern = "^([0-9]{17}[0-9Xx]|[0-9]{15}|[Jj][Pp][0-9]{10}[0-9Xx])$"))]
    person: String,
    /// Hours attended, a positive number as text, at most what the course counts.
    #[oai(validator(max_length = 10, pattern = "^[0-9]+(\\.[0-9]+)?$"))]
    hours: String,
}

/// Hours attended by one person, as a training provider posts them: with the name.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct ProviderAttendanceIn {
    /// The person: their resident ID number or registration number (`JP…`).
    #[oai(validator(pattern = "^([0-9]{17}[0-9Xx]|[0-9]{15}|[Jj][Pp][0-9]{10}[0-9Xx])$"))]
    person: String,
    /// Their name as the provider has it; it must be the register's (otherwise, as for an
    /// unknown number, 404 `not_found.person`).
    #[oai(validator(max_length = 30))]
    name: String,
    /// Hours attended, a positive number as text, at most what the course counts.
    #[oai(validator(max_length = 10, pattern = "^[0-9]+(\\.[0-9]+)?$"))]
    hours: String,
}

/// The continuing-education operations (tag 促进会).
#[derive(Default)]
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
                .map(course_out)
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
                    provider: body.provider_id.map(ProviderId::new),
                    form: CourseForm {
                        name: body.name.clone(),
                        start: format_date(body.start),
                        end: format_date(body.end),
                        items: super::wire::item_codes(&body.items),
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
        record(req, actor, id.0, &body).await
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

    /// 课时名单导入: an attendance roster (the page's file: CSV or .xlsx with the columns
    /// 培训班编号, 姓名, 身份证号或注册号, 课时), sent as the request body
    /// (`application/octet-stream`, at most 1 MiB). Every row is checked first and the
    /// answer reports each refused row by its line; nothing is written if any row is bad
    /// (unless `good_rows_only`), nor on a `dry_run`. Importing the same roster twice
    /// changes nothing. 200 when every row is good, 422 with the report otherwise.
    #[oai(
        path = "/association/rosters",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn roster(
        &self,
        req: &Request,
        body: Binary<Vec<u8>>,
        /// Check only; write nothing.
        dry_run: Query<Option<bool>>,
        /// Write the good rows even if some are bad.
        good_rows_only: Query<Option<bool>>,
    ) -> Result<ImportAnswer, ApiError> {
        let (actor, provider) = attendance_poster(req)?;
        import_file(
            req,
            actor,
            provider,
            Kind::Attendance,
            body.0,
            options(&dry_run, &good_rows_only),
        )
        .await
    }

    /// 培训班 of a training provider (its token, `attendance.write`): the courses it runs,
    /// latest first.
    #[oai(path = "/provider/courses", method = "get", tag = "Tag::Provider")]
    async fn provider_courses(&self, req: &Request) -> ApiResult<Json<Vec<CourseOut>>> {
        let (id, _) = provider(req)?;
        let state = state(req)?;
        Ok(Json(
            state
                .store
                .courses()
                .await?
                .into_iter()
                .filter(|c| c.course.provider == Some(id))
                .map(course_out)
                .collect(),
        ))
    }

    /// Credits a person, named by ID number or registration number and name, with hours
    /// attended at one of the provider's courses (audited as the token). Another's course:
    /// 404 `not_found.course`, checked first; an unknown number and a name other than the
    /// register's: one answer, 404 `not_found.person` (a provider learns neither whether an
    /// ID number is in the register nor the name recorded for it).
    #[oai(
        path = "/provider/courses/:id/attendance",
        method = "post",
        tag = "Tag::Provider"
    )]
    async fn provider_attendance(
        &self,
        req: &Request,
        id: Path<i64>,
        body: Json<ProviderAttendanceIn>,
    ) -> ApiResult<Json<Created>> {
        let (provider, actor) = provider(req)?;
        let state = state(req)?;
        let person = PersonRef::parse(&body.person, state.today()).map_err(rejected)?;
        let entry = state
            .run(
                actor,
                &RecordProviderAttendance {
                    provider,
                    course: CourseId::new(id.0),
                    person,
                    name: body.name.clone(),
                    hours: body.hours.clone(),
                },
            )
            .await?;
        Ok(Json(Created { id: entry.get() }))
    }

    /// A provider's attendance roster, as `POST /association/rosters` (rows of courses
    /// the provider does not run are refused as unknown courses).
    #[oai(path = "/provider/rosters", method = "post", tag = "Tag::Provider")]
    async fn provider_roster(
        &self,
        req: &Request,
        body: Binary<Vec<u8>>,
        /// Check only; write nothing.
        dry_run: Query<Option<bool>>,
        /// Write the good rows even if some are bad.
        good_rows_only: Query<Option<bool>>,
    ) -> Result<ImportAnswer, ApiError> {
        let (provider, actor) = provider(req)?;
        import_file(
            req,
            actor,
            Some(provider),
            Kind::Attendance,
            body.0,
            options(&dry_run, &good_rows_only),
        )
        .await
    }
}

/// One refused row of an imported file.
#[derive(Object, Debug)]
pub(super) struct ImportRowOut {
    /// The line in the file (the header is line 1).
    line: u64,
    /// The name on the row.
    name: String,
    /// Every reason.
    violations: Vec<super::ViolationBody>,
}

/// What an import (a roster, a pass list, an institution list) found and did.
#[derive(Object, Debug)]
pub(super) struct ImportOut {
    /// Rows read (blank lines not counted).
    rows: u64,
    /// Good rows that add something (hours, a person's passes, an institution).
    new: u64,
    /// Good rows the register already holds exactly.
    unchanged: u64,
    /// Whether the good rows were written.
    written: bool,
    /// Whether it was a dry run.
    dry_run: bool,
    /// 已写入…/未写入… in a sentence.
    summary: String,
    /// The refused rows, in file order.
    rejected: Vec<ImportRowOut>,
}

/// The answer to an import.
#[derive(ApiResponse, Debug)]
pub(super) enum ImportAnswer {
    /// 全部行无误（写入，或试运行）
    #[oai(status = 200)]
    Good(Json<ImportOut>),
    /// 有被拒绝的行（逐行列出）；默认未写入任何数据
    #[oai(status = 422)]
    Refused(Json<ImportOut>),
}

pub(super) fn options(
    dry_run: &Query<Option<bool>>,
    good_rows_only: &Query<Option<bool>>,
) -> Options {
    Options {
        dry_run: dry_run.0.unwrap_or(false),
        good_rows_only: good_rows_only.0.unwrap_or(false),
        provider: None,
    }
}

/// Records one person's hours at a course, for the association.
async fn record(
    req: &Request,
    actor: registry_core::ports::Actor,
    course: i64,
    body: &AttendanceIn,
) -> ApiResult<Json<Created>> {
    let state = state(req)?;
    let (query, described) =
        crate::queries::attendee_query(&body.person, state.today()).map_err(rejected)?;
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
                provider: None,
                course: CourseId::new(course),
                person: found.person,
                hours: body.hours.clone(),
            },
        )
        .await?;
    Ok(Json(Created { id: entry.get() }))
}

/// A violation of a request's own field, as the core's are answered (422 `rejected`).
fn rejected(v: registry_core::violation::Violation) -> ApiError {
    ApiError::Unprocessable(Json(super::ErrorBody {
        code: "rejected".to_owned(),
        message: v.to_string(),
        violations: vec![violation_body(&v)],
    }))
}

/// Imports a file of `kind` for the association (`provider` none) or, a roster, for a
/// provider.
pub(super) async fn import_file(
    req: &Request,
    actor: registry_core::ports::Actor,
    provider: Option<ProviderId>,
    kind: Kind,
    bytes: Vec<u8>,
    options: Options,
) -> Result<ImportAnswer, ApiError> {
    let state = state(req)?;
    let source = Source::new(kind.as_str(), bytes);
    let options = Options {
        provider,
        ..options
    };
    let outcome = registry_batch::import::import(
        &state.batch(&actor, &state.calendar()),
        kind,
        &source,
        options,
        &mut registry_batch::Silent,
    )
    .await;
    let report = match outcome {
        Ok(report) => report,
        Err(ImportError::Read(e)) => {
            return Err(ApiError::Unprocessable(error_body(
                e.code(),
                format!("{e}。未写入任何数据。"),
            )));
        }
        Err(ImportError::Header(v)) => {
            return Err(ApiError::Unprocessable(Json(super::ErrorBody {
                code: "rejected".to_owned(),
                message: format!("{v}。未写入任何数据。"),
                violations: vec![violation_body(&v)],
            })));
        }
        Err(ImportError::Failed(e)) => return Err(e.into()),
    };
    let rejected = report
        .rejected
        .iter()
        .map(|row| ImportRowOut {
            line: row.line as u64,
            name: row.name.clone(),
            violations: match &row.outcome {
                RowOutcome::Rejected(problems) => problems.iter().map(violation_body).collect(),
                _ => vec![],
            },
        })
        .collect::<Vec<_>>();
    let out = ImportOut {
        rows: report.rows,
        new: report.new,
        unchanged: report.unchanged,
        written: report.written,
        dry_run: report.dry_run,
        summary: report.summary(),
        rejected,
    };
    Ok(if out.rejected.is_empty() {
        ImportAnswer::Good(Json(out))
    } else {
        ImportAnswer::Refused(Json(out))
    })
}
