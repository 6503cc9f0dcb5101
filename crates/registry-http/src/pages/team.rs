//! 评审组核验, the public page: a review date and up to 100 members of a review team (one
//! per line: a document's verification code, or a registration number and optionally the
//! item in question), answered member by member — held on that day or why not, and the
//! working days of on-site assessments so far. The API's `POST /public/verifications`
//! asks the same through the same function.

use askama::Template;
use poem::http::StatusCode;
use poem::{Request, handler};
use registry_core::read::review_team::BATCH_MAX;

use super::{Fields, layout, state};
use crate::client::client_address;
use crate::errors::{PageResult, html};
use crate::templates::Layout;
use crate::verification::{Question, check_team};

/// One item of a member, as shown.
pub(crate) struct TeamItemView {
    pub(crate) name: String,
    pub(crate) held: bool,
    pub(crate) note: String,
}

/// One member, as shown.
pub(crate) struct TeamMemberView {
    pub(crate) asked: String,
    pub(crate) outcome: &'static str,
    pub(crate) name: String,
    pub(crate) number: String,
    pub(crate) document: String,
    pub(crate) held: bool,
    pub(crate) items: Vec<TeamItemView>,
    pub(crate) working_days: String,
}

#[derive(Template)]
#[template(path = "verify_team.html")]
pub(crate) struct VerifyTeam {
    pub(crate) layout: Layout,
    pub(crate) review_date: String,
    pub(crate) lines: String,
    pub(crate) error: Option<String>,
    pub(crate) members: Vec<TeamMemberView>,
    pub(crate) held: usize,
    pub(crate) max: usize,
}

fn page(req: &Request, status: StatusCode, view: VerifyTeam) -> PageResult {
    let _ = req;
    Ok(html(status, &view))
}

#[handler]
pub(crate) async fn team_form(req: &Request) -> PageResult {
    let today = state(req).today();
    page(
        req,
        StatusCode::OK,
        VerifyTeam {
            layout: layout(req),
            review_date: registry_core::date::format_date(today),
            lines: String::new(),
            error: None,
            members: vec![],
            held: 0,
            max: BATCH_MAX,
        },
    )
}

#[handler]
pub(crate) async fn team_check(req: &Request, body: String) -> PageResult {
    let state = state(req);
    let fields = Fields::parse(&body);
    let review_date = fields.get("review_date");
    let lines = fields.get("members");
    let wanted: Vec<&str> = lines
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut view = VerifyTeam {
        layout: layout(req),
        review_date: review_date.clone(),
        lines: lines.chars().take(8_000).collect(),
        error: None,
        members: vec![],
        held: 0,
        max: BATCH_MAX,
    };
    let date = registry_core::date::parse_date(&review_date);
    let problem = match (&date, wanted.len()) {
        (Err(e), _) => Some(registry_core::violation::Violation::from(e.clone()).to_string()),
        (_, 0) => Some("请至少填写一名评审人员的核验码或注册号".to_owned()),
        (_, n) if n > BATCH_MAX => Some(
            registry_core::violation::Violation::BatchSize {
                max: BATCH_MAX,
                given: n,
            }
            .to_string(),
        ),
        _ => None,
    };
    if let Some(problem) = problem {
        view.error = Some(problem);
        return page(req, StatusCode::UNPROCESSABLE_ENTITY, view);
    }
    let Ok(date) = date else {
        return page(req, StatusCode::UNPROCESSABLE_ENTITY, view);
    };
    for _ in 0..wanted.len().div_ceil(10) {
        if let Err(response) = super::public::rate_limit(req) {
            return Ok(response);
        }
    }
    let questions = wanted
        .iter()
        .map(|line| {
            let mut parts = line.split_whitespace();
            let id = parts.next().unwrap_or_default();
            Question::parse(id, parts.next())
        })
        .collect();
    let client = client_address(req, state.config.trusted_proxy);
    let answers = check_team(state, date, questions, &client).await?;
    view.members = answers
        .into_iter()
        .map(|m| {
            let items: Vec<TeamItemView> = m
                .items
                .iter()
                .map(|i| TeamItemView {
                    name: state.catalogue.name_of(&i.on_day.item).to_owned(),
                    held: i.on_day.held(),
                    note: match (&i.on_day.not_held, &i.institution, i.on_day.valid_until) {
                        (Some(why), _, _) => why.describe(),
                        (None, Some(inst), Some(until)) => format!(
                            "{inst}，有效期至 {}",
                            registry_core::date::format_date(until)
                        ),
                        _ => String::new(),
                    },
                })
                .collect();
            TeamMemberView {
                held: m.held,
                asked: m.asked,
                outcome: m.outcome,
                name: m.name,
                number: m.number.unwrap_or_default(),
                document: m
                    .document
                    .map(|(kind, serial, valid)| {
                        format!(
                            "{kind} {serial}（今日{}）",
                            if valid { "有效" } else { "无效" }
                        )
                    })
                    .unwrap_or_default(),
                items,
                working_days: m
                    .working_days
                    .map_or_else(|| "—".to_owned(), |d| d.to_string()),
            }
        })
        .collect();
    view.held = view.members.iter().filter(|m| m.held).count();
    page(req, StatusCode::OK, view)
}
