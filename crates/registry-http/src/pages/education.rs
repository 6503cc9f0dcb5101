//! Continuing education, assessment experience, renewal and expiry: the association's
//! courses, attendance (by hand or from a roster) and cycle policies; on-site assessments
//! recorded by institutions or the association; the renewal outlook of each person's items;
//! the registrations an institution has expiring within the renewal window.

use poem::http::StatusCode;
use poem::web::Path;
use poem::{Request, handler};
use registry_core::assessment::{
    AssessmentForm, OnSiteAssessment, total_working_days, working_days_in_cycle,
};
use registry_core::date::{add_months, format_date, parse_date};
use registry_core::education::{CourseForm, PersonRef, education_in_cycle, format_hours};
use registry_core::ids::{AttendanceId, CourseId, CycleId, InstitutionId, PersonId};
use registry_core::policy::Policy;
use registry_core::ports::{Actor, RegisterTx, StoreError};
use registry_core::registration::{
    PersonFacts, Reference, certificate_renewal_outlook, renewal_obstacles,
};
use registry_core::usecases::{
    CreateCourse, DefineCycle, RecordAssessment, RecordAttendance, ReverseAttendance,
};
use registry_store::queries::PublicQuery;

use super::{Fields, association_account, institution_account, layout, redirect, state};
use crate::AppState;
use crate::auth::actor_of;
use crate::errors::{PageResult, html, message_page, messages_of};
use crate::templates::{
    AssessmentRow, AssociationCourse, AssociationCourses, AssociationCycle, CourseFormView,
    CourseRow, CycleFormView, EntryRow, ExpiringRow, InstitutionAssessments, InstitutionExpiring,
    RenewalView,
};

/// The on-site assessments of a person, as rows.
pub(crate) fn assessment_rows(
    state: &AppState,
    assessments: &[OnSiteAssessment],
) -> Vec<AssessmentRow> {
    assessments
        .iter()
        .rev()
        .map(|a| AssessmentRow {
            unit: a.details.applicant_unit.as_str().to_owned(),
            item: state.catalogue.name_of(&a.details.item).to_owned(),
            start: format_date(a.details.start),
            end: format_date(a.details.end),
            kind: a.details.kind.label(),
            days: a.details.working_days,
        })
        .collect()
}

/// A person's continuing education this cycle, working days, and the renewal outlook of
/// `items` (the core's `renewal_obstacles`), with their on-site assessments.
pub(crate) async fn renewal_view(
    state: &AppState,
    person: PersonId,
    items: &[registry_core::review_item::ReviewItemCode],
) -> Result<(RenewalView, Vec<AssessmentRow>), StoreError> {
    let today = state.today();
    let mut tx = state.store.begin_read().await?;
    let Some(details) = tx.person(person).await? else {
        return Ok((RenewalView::default(), vec![]));
    };
    let qualifications = tx.qualifications(person).await?;
    let history = tx.registrations_of(person).await?;
    let courses = tx.courses_of(person).await?;
    let attendance = tx.attendance_of(person).await?;
    let assessments = tx.assessments_of(person).await?;
    let cycles = tx.cycles().await?;
    let facts = PersonFacts {
        person: &details,
        qualifications: &qualifications,
        history: &history,
        courses: &courses,
        attendance: &attendance,
    };
    let reference = Reference {
        catalogue: &state.catalogue,
        cycles: &cycles,
    };
    let current = cycles.at(today);
    // A condition of the person (under 65, 第二十二条), shown with every item.
    let certificate: Vec<String> = certificate_renewal_outlook(&details, &cycles, today)
        .iter()
        .map(ToString::to_string)
        .collect();
    let unexpected = |e: registry_core::violation::Violation| StoreError::Unexpected(e.to_string());
    let view = RenewalView {
        cycle: current.map(|c| c.name().to_owned()),
        hours: current
            .map(|c| format_hours(education_in_cycle(c, &courses, &attendance).hours))
            .unwrap_or_default(),
        required: current
            .map(|c| format_hours(c.policy().hours_required))
            .unwrap_or_default(),
        working_days: total_working_days(&state.calendar(), &assessments).map_err(unexpected)?,
        working_days_cycle: match current {
            Some(c) => {
                working_days_in_cycle(&state.calendar(), c, &assessments).map_err(unexpected)?
            }
            None => 0,
        },
        items: items
            .iter()
            .map(|item| {
                (
                    state.catalogue.name_of(item).to_owned(),
                    renewal_obstacles(facts, reference, item, today)
                        .iter()
                        .map(ToString::to_string)
                        .chain(certificate.iter().cloned())
                        .collect(),
                )
            })
            .collect(),
    };
    Ok((view, assessment_rows(state, &assessments)))
}

/// The assessment form of a request.
fn assessment_form(fields: &Fields) -> AssessmentForm {
    AssessmentForm {
        applicant_unit: fields.get("applicant_unit"),
        item: fields.get("item"),
        start: fields.get("start"),
        end: fields.get("end"),
        kind: fields.get("kind"),
    }
}

/// Records an on-site assessment; the outcome for the page: a notice, or the errors.
async fn record_assessment(
    state: &AppState,
    actor: Actor,
    person: PersonId,
    institution: Option<InstitutionId>,
    body: &str,
) -> Result<String, Vec<String>> {
    let form = assessment_form(&Fields::parse(body));
    match state
        .run(
            actor,
            &RecordAssessment {
                person,
                institution,
                form,
            },
        )
        .await
    {
        Ok((_, days)) => Ok(format!("已记录现场评审，计 {days} 个工作日。")),
        Err(e) => Err(messages_of(&e)),
    }
}

#[handler]
pub(crate) async fn institution_records_assessment(
    req: &Request,
    Path(id): Path<i64>,
    body: String,
) -> PageResult {
    let (institution, account) = institution_account(req)?;
    let state = state(req);
    let outcome = record_assessment(
        state,
        actor_of(&account),
        PersonId::new(id),
        Some(institution),
        &body,
    )
    .await;
    super::institution::person_with_assessment_outcome(req, institution, PersonId::new(id), outcome)
        .await
}

#[handler]
pub(crate) async fn association_records_assessment(
    req: &Request,
    Path(id): Path<i64>,
    body: String,
) -> PageResult {
    let account = association_account(req)?;
    let state = state(req);
    let outcome =
        record_assessment(state, actor_of(&account), PersonId::new(id), None, &body).await;
    super::association::file_with_assessment_outcome(req, PersonId::new(id), String::new(), outcome)
        .await
}

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
) -> PageResult {
    let state = state(req);
    let courses = state.store.courses().await?;
    let rows = courses
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
    let status = crate::errors::status_of_form(&errors);
    Ok(html(
        status,
        &AssociationCourses {
            layout: layout(req),
            courses: rows,
            catalogue: catalogue_choices(state),
            form,
            errors,
            notice,
        },
    ))
}

#[handler]
pub(crate) async fn course_list(req: &Request) -> PageResult {
    let _ = association_account(req)?;
    courses_page(req, CourseFormView::default(), vec![], None).await
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
    };
    let outcome = state(req)
        .run(
            actor_of(&account),
            &CreateCourse {
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
            )
            .await?
        }
        Err(e) => courses_page(req, form, messages_of(&e), None).await?,
    })
}

async fn course_page(
    req: &Request,
    id: i64,
    errors: Vec<String>,
    notice: Option<String>,
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
    let entries = state.store.course_attendance(CourseId::new(id)).await?;
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
        },
    ))
}

#[handler]
pub(crate) async fn course_detail(req: &Request, Path(id): Path<i64>) -> PageResult {
    let _ = association_account(req)?;
    course_page(req, id, vec![], None).await
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
    let person = match PersonRef::parse(&fields.get("person"), state.today()) {
        Ok(person) => person,
        Err(v) => return course_page(req, id, vec![v.to_string()], None).await,
    };
    let query = match &person {
        PersonRef::ResidentId(r) => PublicQuery::ResidentId(r.clone()),
        PersonRef::Number(n) => PublicQuery::RegistrationNumber(*n),
    };
    let found = state.store.find_people(&query, 1).await?;
    let Some(found) = found.into_iter().next() else {
        return course_page(
            req,
            id,
            vec![format!("未找到{}对应的人员", person.describe())],
            None,
        )
        .await;
    };
    let outcome = state
        .run(
            actor_of(&account),
            &RecordAttendance {
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
            )
            .await?
        }
        Err(e) => course_page(req, id, messages_of(&e), None).await?,
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
                )
                .await?
            }
            Err(e) => course_page(req, course.get(), messages_of(&e), None).await?,
        },
    )
}

/// The old address of the attendance import: it is one of the imports of 数据导入 now.
#[handler]
pub(crate) fn import_moved(req: &Request) -> PageResult {
    let _ = association_account(req)?;
    Ok(redirect("/association/exchange"))
}

fn cycle_form(name: &str, start: time::Date, end: time::Date, p: &Policy) -> CycleFormView {
    CycleFormView {
        name: name.to_owned(),
        start: format_date(start),
        end: format_date(end),
        cycle_years: p.cycle_years.to_string(),
        hours_required: format_hours(p.hours_required),
        require_item_coverage: p.require_item_coverage,
        exam_age_limit: p.exam_age_limit.to_string(),
        registration_age_limit: p.registration_age_limit.to_string(),
        certificate_renewal_age_limit: p.certificate_renewal_age_limit.to_string(),
        certificate_due_working_days: p.certificate_due_working_days.to_string(),
        publication_due_working_days: p.publication_due_working_days.to_string(),
        renewal_window_months: p.renewal_window_months.to_string(),
    }
}

#[handler]
pub(crate) async fn cycle_form_page(req: &Request, Path(id): Path<i64>) -> PageResult {
    let _ = association_account(req)?;
    let state = state(req);
    let cycles = match state.store.begin_read().await {
        Ok(mut tx) => tx.cycles().await?,
        Err(e) => return Err(e.into()),
    };
    let Some(cycle) = cycles.get(CycleId::new(id)) else {
        return Ok(message_page(
            layout(req),
            StatusCode::NOT_FOUND,
            "未找到",
            "未找到该注册周期。",
            Some(("/association/cycles", "返回")),
        ));
    };
    let form = cycle_form(cycle.name(), cycle.start(), cycle.end(), cycle.policy());
    cycle_page(req, id, form, vec![]).await
}

/// The cycle form with the history of the cycle's edits.
async fn cycle_page(
    req: &Request,
    id: i64,
    form: CycleFormView,
    errors: Vec<String>,
) -> PageResult {
    let history = match state(req)
        .store
        .audit_of(registry_core::ports::Entity::Cycle.code(), id)
        .await
    {
        Ok(entries) => entries
            .iter()
            .rev()
            .map(super::association::audit_row)
            .collect(),
        Err(e) => return Err(e.into()),
    };
    let status = crate::errors::status_of_form(&errors);
    Ok(html(
        status,
        &AssociationCycle {
            layout: layout(req),
            id,
            form,
            errors,
            history,
        },
    ))
}

#[handler]
pub(crate) async fn update_cycle(req: &Request, Path(id): Path<i64>, body: String) -> PageResult {
    let account = association_account(req)?;
    let fields = Fields::parse(&body);
    let view = CycleFormView {
        name: fields.get("name"),
        start: fields.get("start"),
        end: fields.get("end"),
        cycle_years: fields.get("cycle_years"),
        hours_required: fields.get("hours_required"),
        require_item_coverage: fields.get("require_item_coverage") == "on",
        exam_age_limit: fields.get("exam_age_limit"),
        registration_age_limit: fields.get("registration_age_limit"),
        certificate_renewal_age_limit: fields.get("certificate_renewal_age_limit"),
        certificate_due_working_days: fields.get("certificate_due_working_days"),
        publication_due_working_days: fields.get("publication_due_working_days"),
        renewal_window_months: fields.get("renewal_window_months"),
    };
    let mut errors = Vec::new();
    let mut number = |label: &str, text: &str| -> u32 {
        text.trim().parse().unwrap_or_else(|_| {
            errors.push(format!("“{label}”应为整数"));
            0
        })
    };
    let policy = Policy {
        cycle_years: number("周期年数", &view.cycle_years),
        exam_age_limit: number("考核年龄上限", &view.exam_age_limit),
        registration_age_limit: number("注册年龄上限", &view.registration_age_limit),
        certificate_renewal_age_limit: number("换证年龄上限", &view.certificate_renewal_age_limit),
        certificate_due_working_days: number("证书发放期限", &view.certificate_due_working_days),
        publication_due_working_days: number("注册公示期限", &view.publication_due_working_days),
        renewal_window_months: number("换证申请提前月数", &view.renewal_window_months),
        require_item_coverage: view.require_item_coverage,
        hours_required: view.hours_required.trim().parse().unwrap_or_else(|_| {
            errors.push("“继续教育课时要求”应为数字".to_owned());
            rust_decimal::Decimal::ZERO
        }),
    };
    let start = parse_date(&view.start)
        .map_err(|e| errors.push(format!("开始日期：{e}")))
        .ok();
    let end = parse_date(&view.end)
        .map_err(|e| errors.push(format!("结束日期：{e}")))
        .ok();
    if let (true, Some(start), Some(end)) = (errors.is_empty(), start, end) {
        let outcome = state(req)
            .run(
                actor_of(&account),
                &DefineCycle {
                    id: Some(CycleId::new(id)),
                    name: view.name.clone(),
                    start,
                    end,
                    policy,
                },
            )
            .await;
        match outcome {
            Ok(_) => return Ok(redirect("/association/cycles")),
            Err(e) => errors = messages_of(&e),
        }
    }
    cycle_page(req, id, view, errors).await
}

#[handler]
pub(crate) async fn expiring(req: &Request) -> PageResult {
    let (institution, _) = institution_account(req)?;
    let state = state(req);
    let today = state.today();
    let months = match state.store.begin_read().await {
        Ok(mut tx) => match tx.cycles().await {
            Ok(c) => c.policy_at(today).renewal_window_months,
            Err(e) => return Err(e.into()),
        },
        Err(e) => return Err(e.into()),
    };
    let until = add_months(today, i32::try_from(months).unwrap_or(3));
    let list = state.store.expiring(institution, today, until).await?;
    let mut rows = Vec::with_capacity(list.len());
    for e in list {
        let problems = match renewal_view(state, e.person, std::slice::from_ref(&e.item)).await {
            Ok((view, _)) => view
                .items
                .into_iter()
                .next()
                .map(|(_, p)| p)
                .unwrap_or_default(),
            Err(err) => return Err(err.into()),
        };
        rows.push(ExpiringRow {
            person: e.person.get(),
            name: e.name,
            item: state.catalogue.name_of(&e.item).to_owned(),
            until: format_date(e.valid_until),
            problems,
        });
    }
    Ok(html(
        StatusCode::OK,
        &InstitutionExpiring {
            layout: layout(req),
            from: format_date(today),
            until: format_date(until),
            rows,
        },
    ))
}

#[handler]
pub(crate) async fn assessment_list(req: &Request) -> PageResult {
    let (institution, _) = institution_account(req)?;
    let state = state(req);
    Ok(
        match state.store.assessments_recorded_by(institution, 200).await {
            Ok(list) => {
                let rows = list
                    .into_iter()
                    .map(|l| {
                        let row = assessment_rows(state, std::slice::from_ref(&l.assessment))
                            .into_iter()
                            .next();
                        (l.name, row)
                    })
                    .filter_map(|(name, row)| row.map(|r| (name, r)))
                    .collect();
                html(
                    StatusCode::OK,
                    &InstitutionAssessments {
                        layout: layout(req),
                        rows,
                    },
                )
            }
            Err(e) => return Err(e.into()),
        },
    )
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
