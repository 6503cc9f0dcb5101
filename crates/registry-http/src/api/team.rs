//! 评审组核验 through the API, for a licensing authority: up to 100 members of a review
//! team in one request, each named by a document's verification code or by registration
//! number (with the item in question), each answered whether they held each item at the
//! institution on the review date, with their working days of on-site assessments so far.
//! The public page 评审组核验 asks the same through the same function
//! (`verification::check_team`).

use poem::Request;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use registry_core::read::review_team::BATCH_MAX;
use registry_core::violation::Violation;

use super::wire::ItemCodeText;
use super::{ApiError, ApiResult, Tag, public_rate_limit, state, violation_body};
use crate::verification::{MemberAnswer, Question, check_team};

/// One member asked about.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct MemberIn {
    /// The verification code printed on a certificate or registration card (10 letters
    /// and digits), or a registration number (`JP…`, 13 characters).
    #[oai(validator(min_length = 1, max_length = 40))]
    id: String,
    /// With a registration number: the review item in question (`RQ-ZZ`); none: every
    /// item of their qualification. Ignored with a code (the document's items are asked).
    item: Option<ItemCodeText>,
}

/// A review team.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct TeamIn {
    /// The day of the review.
    review_date: time::Date,
    /// The members, 1 to 100.
    #[oai(validator(min_items = 1, max_items = 100))]
    members: Vec<MemberIn>,
}

/// One item of a member on the review date.
#[derive(Object, Debug)]
struct TeamItemOut {
    /// The item's code and name.
    code: String,
    name: String,
    /// Whether they held it that day (at the document's institution, for a card).
    held: bool,
    /// The institution that held it that day, or the one asked about.
    institution: Option<String>,
    /// The last valid day of the registration covering the review date.
    valid_until: Option<String>,
    /// Why not: `never_registered`, `not_yet_registered`, `registration_ended`,
    /// `released`.
    why_code: Option<String>,
    /// Why not, in Chinese.
    why: Option<String>,
}

/// The answer about one member.
#[derive(Object, Debug)]
struct TeamMemberOut {
    /// What was asked.
    asked: String,
    /// `found`, `unknown` (no such document or person) or `malformed` (neither a code nor
    /// a registration number, or an item that is not one).
    outcome: String,
    name: Option<String>,
    registration_number: Option<String>,
    /// The document asked about: its kind (资格证书, 注册信息卡), its serial, and whether it
    /// is valid today.
    document_kind: Option<String>,
    document_serial: Option<String>,
    document_valid_today: Option<bool>,
    /// Whether every item asked about was held on the review date.
    held: bool,
    items: Vec<TeamItemOut>,
    /// Working days of on-site assessments in the review date's registration cycle, up to
    /// that day; none when the calendar cannot count them.
    working_days: Option<u32>,
}

/// The answer to a review team.
#[derive(Object, Debug)]
struct TeamOut {
    review_date: String,
    /// Members every item of whom was held on the review date.
    held: u32,
    members: Vec<TeamMemberOut>,
}

fn member_out(state: &crate::AppState, m: MemberAnswer) -> TeamMemberOut {
    let found = m.outcome == "found";
    let items: Vec<TeamItemOut> = m
        .items
        .into_iter()
        .map(|i| TeamItemOut {
            code: i.on_day.item.as_str().to_owned(),
            name: state.catalogue.name_of(&i.on_day.item).to_owned(),
            held: i.on_day.held(),
            institution: i.institution,
            valid_until: i.on_day.valid_until.map(registry_core::date::format_date),
            why_code: i.on_day.not_held.map(|n| n.code().to_owned()),
            why: i.on_day.not_held.map(|n| n.describe()),
        })
        .collect();
    TeamMemberOut {
        asked: m.asked,
        outcome: m.outcome.to_owned(),
        name: found.then_some(m.name),
        registration_number: m.number,
        document_kind: m.document.as_ref().map(|d| d.0.to_owned()),
        document_serial: m.document.as_ref().map(|d| d.1.clone()),
        document_valid_today: m.document.as_ref().map(|d| d.2),
        held: found && m.held,
        items,
        working_days: m.working_days,
    }
}

/// The operations of review-team verification (tag 公示区).
#[derive(Default)]
pub(crate) struct TeamApi;

#[OpenApi]
impl TeamApi {
    /// 评审组核验 (public): whether each member of a review team held each item on the
    /// review date, with their working days so far — no ID number, phone or address.
    /// Counts against the visitor's limit as one search per 10 members; every look-up is
    /// logged.
    #[oai(path = "/public/verifications", method = "post", tag = "Tag::Public")]
    async fn verify_team(&self, req: &Request, body: Json<TeamIn>) -> ApiResult<Json<TeamOut>> {
        let state = state(req)?;
        let size = body.members.len();
        if size == 0 || size > BATCH_MAX {
            let v = Violation::BatchSize {
                max: BATCH_MAX,
                given: size,
            };
            return Err(ApiError::Unprocessable(Json(super::ErrorBody {
                code: "rejected".to_owned(),
                message: v.to_string(),
                violations: vec![violation_body(&v)],
            })));
        }
        let review_date = body.review_date;
        for _ in 0..size.div_ceil(10) {
            public_rate_limit(req, state)?;
        }
        let client = crate::client::client_address(req, state.config.trusted_proxy);
        let questions = body
            .members
            .iter()
            .map(|m| Question::parse(&m.id, m.item.as_deref()))
            .collect();
        let answers = check_team(state, review_date, questions, &client).await?;
        let members: Vec<TeamMemberOut> =
            answers.into_iter().map(|m| member_out(state, m)).collect();
        Ok(Json(TeamOut {
            review_date: registry_core::date::format_date(review_date),
            held: members.iter().filter(|m| m.held).count() as u32,
            members,
        }))
    }
}
