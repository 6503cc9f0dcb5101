//! What an institution's workspace leads with (issue 19): what it must act on — people
//! 等待注册, entries not yet filled in, registrations expired or ending within 3 months,
//! registration cards on their way — each a link to the list behind it; its items'
//! coverage today and in 3, 6 and 12 months (which item is about to have nobody left);
//! the association's upcoming courses that cover the items it holds.

use std::collections::BTreeMap;

use registry_core::date::format_date;
use registry_core::holding::ItemState;
use registry_core::ids::InstitutionId;
use registry_core::ports::StoreError;
use registry_core::read::dashboard::{coverage, ending_within, horizons};

use askama::Template;
use poem::http::StatusCode;
use poem::web::Query;
use poem::{Request, handler};
use registry_store::queries::InstitutionPeopleQuery;
use serde::Deserialize;

use crate::AppState;
use crate::errors::{PageResult, html};
use crate::pages::{institution_account, layout, state};
use crate::templates::figures::{Figure, FigureGroup, UpcomingCourse, Workspace, coverage_views};
use crate::templates::pager::PAGE_SIZE;
use crate::templates::{Layout, PageNumber, Pager};

/// The most upcoming courses listed.
const COURSES: usize = 5;

/// The lead of an institution's workspace today, kept per write generation (`kept`).
pub(crate) async fn workspace(
    state: &AppState,
    institution: InstitutionId,
) -> Result<Workspace, StoreError> {
    let today = state.today();
    let generation = state.store.generation();
    state
        .workspaces
        .get_or_compute((institution, today), generation, || {
            compute(state, institution, today)
        })
        .await
}

async fn compute(
    state: &AppState,
    institution: InstitutionId,
    today: time::Date,
) -> Result<Workspace, StoreError> {
    let states: BTreeMap<&str, u64> = state
        .store
        .holding_states(Some(institution), today)
        .await?
        .into_iter()
        .map(|(s, n)| (s.code(), n))
        .collect();
    let of = |s: ItemState| states.get(s.code()).copied().unwrap_or(0);
    let ends = state
        .store
        .registration_ends(Some(institution), today)
        .await?;
    let [_, within_3, _] = ending_within(&ends, today);
    let cards = state.store.pending_cards(institution).await?;
    let filtered = |s: ItemState| format!("/institution?state={}", s.code());
    let todo = FigureGroup {
        title: "待办",
        figures: vec![
            Figure {
                alert: of(ItemState::AwaitingRegistration) > 0,
                note: Some("可以注册".into()),
                ..Figure::new(
                    "等待注册",
                    of(ItemState::AwaitingRegistration),
                    filtered(ItemState::AwaitingRegistration),
                )
            },
            Figure {
                note: Some("请提醒本人用填报密码填报".into()),
                ..Figure::new(
                    "待填报",
                    of(ItemState::Invited),
                    filtered(ItemState::Invited),
                )
            },
            Figure::new(
                "信息填报中",
                of(ItemState::Filling),
                filtered(ItemState::Filling),
            ),
            Figure {
                alert: of(ItemState::Expired) > 0,
                note: Some("可续期".into()),
                ..Figure::new(
                    "已过期",
                    of(ItemState::Expired),
                    filtered(ItemState::Expired),
                )
            },
            Figure::new("3 个月内到期", u64::from(within_3), "/institution/expiring"),
            Figure {
                note: Some("促进会寄出后转交本人".into()),
                ..Figure::new("待寄达的注册信息卡", cards, "/institution/documents")
            },
        ],
    };
    let spans = state
        .store
        .registration_spans(Some(institution), today)
        .await?;
    let rows = coverage(&spans, today);
    let names = BTreeMap::new();
    let held: Vec<_> = rows.iter().map(|r| r.item.clone()).collect();
    let courses = state
        .store
        .courses()
        .await?
        .into_iter()
        .filter(|c| c.course.details.start >= today)
        .filter(|c| held.iter().any(|i| c.course.covers(i)))
        .map(|c| c.course)
        .collect::<Vec<_>>();
    let mut courses = courses;
    courses.sort_by_key(|c| c.details.start);
    let cycles = {
        use registry_core::ports::RegisterTx;
        state.store.begin_read().await?.cycles().await?
    };
    Ok(Workspace {
        renewal_cycle: crate::pages::renewals::renewal_cycle(&cycles, today),
        todo,
        horizons: horizons(today).map(format_date),
        coverage: coverage_views(&rows, &names, &state.catalogue),
        courses: courses
            .into_iter()
            .take(COURSES)
            .map(|c| UpcomingCourse {
                name: c.details.name.as_str().to_owned(),
                dates: format!(
                    "{} 至 {}",
                    format_date(c.details.start),
                    format_date(c.details.end)
                ),
                items: c
                    .details
                    .items
                    .iter()
                    .map(|i| state.catalogue.name_of(i))
                    .collect::<Vec<_>>()
                    .join("、"),
                hours: registry_core::education::format_hours(c.details.hours.get()),
            })
            .collect(),
    })
}

/// 换证 of the institution's people for the cycle in force (`lead.renewal_cycle`): who
/// can renew and who cannot, by reason (continuing-education hours short, items not
/// covered, …), each a link to the filtered 换证预览. Counted in the background and kept
/// across generations.
pub(crate) fn renewal(
    state: &AppState,
    institution: InstitutionId,
    lead: &Workspace,
) -> Option<FigureGroup> {
    use crate::pages::renewals::{renewal_counts, renewal_group};
    lead.renewal_cycle.as_ref().map(|cycle| {
        renewal_group(
            renewal_counts(state, Some(institution), cycle),
            cycle,
            "/institution/renewals",
        )
    })
}

/// A row of the people × items matrix: the person, and each column's state (if held).
#[derive(Debug, Clone)]
pub(crate) struct MatrixRow {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) cells: Vec<Option<(&'static str, &'static str)>>,
}

#[derive(Template)]
#[template(path = "institution_matrix.html")]
pub(crate) struct InstitutionMatrix {
    pub(crate) layout: Layout,
    pub(crate) columns: Vec<String>,
    pub(crate) rows: Vec<MatrixRow>,
    pub(crate) pager: Pager,
}

#[derive(Debug, Deserialize)]
pub(crate) struct MatrixQuery {
    #[serde(default)]
    page: Option<u64>,
    #[serde(default)]
    format: String,
}

/// 人员 × 评审项目: the institution's people (20 a page, in pinyin order) against the
/// items it holds, each cell the item's state badge.
#[handler]
pub(crate) async fn matrix(req: &Request, Query(query): Query<MatrixQuery>) -> PageResult {
    let (institution, _) = institution_account(req)?;
    let state = state(req);
    let today = state.today();
    let mut columns = state.store.institution_items(institution).await?;
    let catalogue = &state.catalogue;
    columns.sort_by_key(|c| catalogue.position(c));
    if let Some(format) = crate::pages::export::requested(&query.format) {
        let people = super::every_person(
            state,
            institution,
            &InstitutionPeopleQuery::default(),
            today,
        )
        .await?;
        let cells: Vec<Vec<String>> = people
            .into_iter()
            .map(|p| {
                let mut row = vec![p.name.clone()];
                row.extend(columns.iter().map(|c| {
                    p.items
                        .iter()
                        .find(|i| &i.item == c)
                        .map(|i| i.state.label().to_owned())
                        .unwrap_or_default()
                }));
                row
            })
            .collect();
        let names: Vec<String> = columns
            .iter()
            .map(|c| catalogue.name_of(c).to_owned())
            .collect();
        let mut header = vec!["姓名"];
        header.extend(names.iter().map(String::as_str));
        return crate::pages::export::respond(format, "matrix", today, &header, &cells);
    }
    let number = PageNumber::from_query(query.page);
    let mut q = InstitutionPeopleQuery {
        offset: (number.get() - 1).saturating_mul(PAGE_SIZE),
        limit: PAGE_SIZE,
        ..InstitutionPeopleQuery::default()
    };
    let (mut people, total) = state
        .store
        .institution_people(institution, &q, today)
        .await?;
    if people.is_empty() && q.offset > 0 && total > 0 {
        q.offset = number.offset(total);
        (people, _) = state
            .store
            .institution_people(institution, &q, today)
            .await?;
    }
    let rows = people
        .into_iter()
        .map(|p| MatrixRow {
            id: p.person.get(),
            name: p.name,
            cells: columns
                .iter()
                .map(|c| {
                    p.items
                        .iter()
                        .find(|i| &i.item == c)
                        .map(|i| (i.state.code(), i.state.label()))
                })
                .collect(),
        })
        .collect();
    Ok(html(
        StatusCode::OK,
        &InstitutionMatrix {
            layout: layout(req),
            columns: columns
                .iter()
                .map(|c| catalogue.name_of(c).to_owned())
                .collect(),
            rows,
            pager: Pager::new("/institution/matrix", &[], number, total, "人").exported(),
        },
    ))
}
