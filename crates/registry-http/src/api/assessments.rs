//! On-site assessments through the API, for an institution's own systems: record one for
//! a person the institution employs (its working days counted on China's working-day
//! calendar, a day counted once where a person's assessments overlap) and list those it
//! recorded. The pages 记录现场评审 and 现场评审记录 do the same, refused by the same rules.

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use registry_core::api_token::Scope;
use registry_core::assessment::AssessmentForm;
use registry_core::date::format_date;
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::ports::Actor;
use registry_core::usecases::RecordAssessment;

use super::wire::ItemCodeText;
use super::{ApiResult, Tag, association, institution, state};

/// An on-site assessment.
#[derive(Object, Debug)]
struct AssessmentOut {
    id: i64,
    person_id: i64,
    name: String,
    /// 申请单位: the maker or installer assessed.
    applicant_unit: String,
    /// The review item's code.
    item: String,
    /// YYYY-MM-DD
    start: String,
    /// YYYY-MM-DD
    end: String,
    /// `initial` (首次) or `re_review` (复审).
    kind: String,
    /// Working days of the assessment on China's calendar.
    working_days: u32,
}

/// A page of assessments.
#[derive(Object, Debug)]
struct AssessmentPage {
    /// How many there are in all.
    total: u64,
    assessments: Vec<AssessmentOut>,
}

/// An on-site assessment to record.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct AssessmentIn {
    /// 申请单位, at most 100 characters.
    #[oai(validator(max_length = 100))]
    applicant_unit: String,
    /// The review item's code (`RQ-ZZ`).
    item: ItemCodeText,
    /// 开始日期, within the working-day calendar's years.
    start: time::Date,
    /// 结束日期, not before `start` and not after today.
    end: time::Date,
    /// 首次 or 复审.
    kind: AssessmentKindIn,
}

/// 评审类型: `initial` (首次) or `re_review` (复审).
#[derive(Enum, Debug, Clone, Copy)]
#[oai(rename_all = "snake_case")]
enum AssessmentKindIn {
    /// 首次
    Initial,
    /// 复审
    ReReview,
}

impl AssessmentKindIn {
    /// The core's code of the kind.
    fn code(self) -> &'static str {
        match self {
            AssessmentKindIn::Initial => "initial",
            AssessmentKindIn::ReReview => "re_review",
        }
    }
}

/// What was recorded.
#[derive(Object, Debug)]
struct Recorded {
    id: i64,
    /// Its working days on China's calendar.
    working_days: u32,
}

/// The institution's on-site assessment operations (tag 鉴定评审机构).
#[derive(Default)]
pub(crate) struct AssessmentsApi;

#[OpenApi]
impl AssessmentsApi {
    /// 现场评审记录: the assessments the institution recorded, latest first.
    #[oai(
        path = "/institution/assessments",
        method = "get",
        tag = "Tag::Institution"
    )]
    async fn assessments(
        &self,
        req: &Request,
        offset: Query<Option<u64>>,
        limit: Query<Option<u64>>,
    ) -> ApiResult<Json<AssessmentPage>> {
        let (id, _) = institution(req, Scope::InstitutionRead)?;
        let state = state(req)?;
        let (rows, total) = state
            .store
            .assessments_recorded_by(id, offset.0.unwrap_or(0), limit.0.unwrap_or(20))
            .await?;
        Ok(Json(AssessmentPage {
            total,
            assessments: rows
                .into_iter()
                .map(|l| {
                    let d = &l.assessment.details;
                    AssessmentOut {
                        id: l.assessment.id.get(),
                        person_id: l.assessment.person.get(),
                        name: l.name,
                        applicant_unit: d.applicant_unit.as_str().to_owned(),
                        item: d.item.as_str().to_owned(),
                        start: format_date(d.start),
                        end: format_date(d.end),
                        kind: d.kind.code().to_owned(),
                        working_days: d.working_days,
                    }
                })
                .collect(),
        }))
    }

    /// 记录现场评审 by the association (人员档案), for anyone of the register with a
    /// qualification of the item, whoever employs them (audited); refused (422) with every
    /// problem at once.
    #[oai(
        path = "/association/people/:id/assessments",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn association_record(
        &self,
        req: &Request,
        id: Path<i64>,
        body: Json<AssessmentIn>,
    ) -> ApiResult<Json<Recorded>> {
        let actor = association(req)?;
        record(req, actor, None, id.0, &body).await
    }

    /// 记录现场评审 for a person the institution employs (audited); refused (422) with
    /// every problem at once, 404 for a person it does not employ.
    #[oai(
        path = "/institution/people/:id/assessments",
        method = "post",
        tag = "Tag::Institution"
    )]
    async fn record(
        &self,
        req: &Request,
        id: Path<i64>,
        body: Json<AssessmentIn>,
    ) -> ApiResult<Json<Recorded>> {
        let (institution, actor) = institution(req, Scope::Assessments)?;
        record(req, actor, Some(institution), id.0, &body).await
    }
}

/// Records an assessment of `person`, for an institution (its own people) or the
/// association (`institution` none).
async fn record(
    req: &Request,
    actor: Actor,
    institution: Option<InstitutionId>,
    person: i64,
    body: &AssessmentIn,
) -> ApiResult<Json<Recorded>> {
    let state = state(req)?;
    let (assessment, working_days) = state
        .run(
            actor,
            &RecordAssessment {
                person: PersonId::new(person),
                institution,
                form: AssessmentForm {
                    applicant_unit: body.applicant_unit.clone(),
                    item: body.item.to_string(),
                    start: format_date(body.start),
                    end: format_date(body.end),
                    kind: body.kind.code().to_owned(),
                },
            },
        )
        .await?;
    Ok(Json(Recorded {
        id: assessment.get(),
        working_days,
    }))
}
