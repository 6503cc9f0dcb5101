//! 促进会工作台: what needs doing today and what is coming, each figure a link to the list
//! behind it — certificates and cards to issue (due this week, overdue, mailed this
//! month), items by state, registrations ending within 1, 3 and 12 months, the pool per
//! item, the items that are about to lose their last assessor at an institution, the
//! registrations per item today and in 3, 6 and 12 months, and two charts (registrations
//! in force month by month, the age profile against the policy's limits). The core's
//! `read::dashboard` decides every figure; this module only renders them.

use std::collections::BTreeMap;

use askama::Template;
use poem::http::StatusCode;
use poem::web::Query;
use poem::{Request, handler};
use registry_core::date::format_date;
use registry_core::document::DocumentKind;
use registry_core::holding::ItemState;
use registry_core::holiday_law::missing_calendar;
use registry_core::ids::InstitutionId;
use registry_core::ports::{RegisterTx, StoreError};
use registry_core::read::dashboard::{
    CoverageRow, ENDING_MONTHS, age_profile, coverage, ending_window_end, ending_within,
    in_force_on, mailed_on_time, month_points,
};
use registry_core::read::pool::pool_age_limit;
use registry_store::documents::DocumentFilter;
use registry_store::queries::MAX_PAGE;
use serde::Deserialize;
use time::Date;

use crate::AppState;
use crate::charts::{Bar, bar_chart};
use crate::errors::{PageResult, html};
use crate::pages::{association_account, layout, state};
use crate::templates::figures::{DashboardFigures, Figure, FigureGroup, coverage_views};
use crate::templates::pager::PAGE_SIZE;
use crate::templates::{Layout, PageNumber, Pager};

#[derive(Template)]
#[template(path = "association_home.html")]
pub(crate) struct AssociationHome {
    pub(crate) layout: Layout,
    pub(crate) f: DashboardFigures,
}

/// The editions of a kind waiting to be issued: (waiting, due within 7 days, overdue,
/// days the oldest overdue one is late).
async fn queue(
    state: &AppState,
    kind: DocumentKind,
    cycles: &registry_core::cycle::Cycles,
    today: Date,
) -> Result<(u64, u64, u64, Option<i64>), StoreError> {
    let listings = state
        .store
        .documents(&DocumentFilter {
            kind: Some(kind),
            pending_only: true,
            limit: 100_000,
            ..DocumentFilter::default()
        })
        .await?;
    let deadlines = state.deadlines();
    let week = today + time::Duration::days(6);
    let (mut due_week, mut overdue, mut oldest) = (0, 0, None::<Date>);
    for l in &listings {
        let due = l.document.due_on(&deadlines, cycles);
        if l.document.is_overdue(due.as_ref(), today) {
            overdue += 1;
            if let Some(d) = &due {
                oldest = Some(oldest.map_or(d.date(), |o: Date| o.min(d.date())));
            }
        } else if due.as_ref().is_some_and(|d| d.date() <= week) {
            due_week += 1;
        }
    }
    Ok((
        listings.len() as u64,
        due_week,
        overdue,
        oldest.map(|d| (today - d).whole_days()),
    ))
}

#[handler]
pub(crate) async fn home(req: &Request) -> PageResult {
    let _ = association_account(req)?;
    let state = state(req);
    let today = state.today();
    let generation = state.store.generation();
    let shared = state.clone();
    let f = state
        .dashboard
        .get_or_refresh(today, generation, move || {
            let state = shared.clone();
            async move { figures(&state, today).await }
        })
        .await?;
    Ok(html(
        StatusCode::OK,
        &AssociationHome {
            layout: layout(req),
            f,
        },
    ))
}

/// Every figure of the dashboard, read from the register as it is.
async fn figures(state: &AppState, today: Date) -> Result<DashboardFigures, StoreError> {
    let cycles = state.store.begin_read().await?.cycles().await?;
    let policy = cycles.policy_at(today).clone();
    let institutions = state.store.institutions().await?;
    let names: BTreeMap<InstitutionId, String> = institutions
        .iter()
        .map(|i| {
            (
                i.institution.id,
                i.institution.details.name.as_str().to_owned(),
            )
        })
        .collect();

    let mut groups = Vec::new();
    // Certificates and cards to issue.
    let month_start = today.replace_day(1).unwrap_or(today);
    let mailed: BTreeMap<&str, u64> = state
        .store
        .mailed_since(month_start)
        .await?
        .into_iter()
        .map(|(k, n)| (k.code(), n))
        .collect();
    for (kind, title, path) in [
        (
            DocumentKind::Certificate,
            "资格证书",
            "/association/certificates",
        ),
        (DocumentKind::Card, "注册信息卡", "/association/cards"),
    ] {
        let (pending, week, overdue, oldest) = queue(state, kind, &cycles, today).await?;
        groups.push(FigureGroup {
            title,
            figures: vec![
                Figure::new("待发放", pending, path),
                Figure::new("7日内应发", week, path),
                Figure {
                    alert: overdue > 0,
                    note: oldest.map(|days| format!("最早一份已逾期 {days} 天")),
                    ..Figure::new("已逾期", overdue, format!("{path}?show=overdue"))
                },
                Figure::new(
                    "本月已寄出",
                    mailed.get(kind.code()).copied().unwrap_or(0),
                    format!("{path}?show=mailed"),
                ),
            ],
        });
    }

    // Items by state today.
    let states: BTreeMap<&str, u64> = state
        .store
        .holding_states(None, today)
        .await?
        .into_iter()
        .map(|(s, n)| (s.code(), n))
        .collect();
    groups.push(FigureGroup {
        title: "评审项目状态（各机构合计）",
        figures: [
            ItemState::Invited,
            ItemState::Filling,
            ItemState::AwaitingRegistration,
            ItemState::Registered,
            ItemState::Expired,
            ItemState::Released,
        ]
        .iter()
        .map(|s| Figure {
            href: None,
            ..Figure::new(s.label(), states.get(s.code()).copied().unwrap_or(0), "")
        })
        .collect(),
    });

    // Registrations ending soon.
    let ends = state.store.registration_ends(None, today).await?;
    let ending = ending_within(&ends, today);
    groups.push(FigureGroup {
        title: "注册即将到期（注册周期结束或年满70周岁）",
        figures: ENDING_MONTHS
            .iter()
            .zip(ending)
            .map(|(months, n)| {
                Figure::new(
                    format!("{months} 个月内"),
                    u64::from(n),
                    format!("/association/expiring?months={months}"),
                )
            })
            .collect(),
    });

    // The pool per item.
    let pool = state
        .store
        .pool_sizes(today, pool_age_limit(&cycles, today))
        .await?;
    let pool_total: u64 = pool.iter().map(|(_, n)| n).sum();
    let mut pool_figures = vec![Figure::new("合计", pool_total, "/pool")];
    pool_figures.extend(pool.iter().map(|(item, n)| {
        Figure::new(
            state.catalogue.name_of(item),
            *n,
            format!("/pool?item={}", item.as_str()),
        )
    }));
    groups.push(FigureGroup {
        title: "无聘用单位人员（按评审项目）",
        figures: pool_figures,
    });

    // Coverage today and ahead, and the registrations in force month by month.
    let months = month_points(today, 12, 12);
    let spans = state.store.registration_spans(None, months[0]).await?;
    let rows = coverage(&spans, today);
    let running_out: Vec<CoverageRow> = rows
        .iter()
        .filter(|r| r.runs_out_within().is_some())
        .cloned()
        .collect();
    let mut per_item: BTreeMap<usize, CoverageRow> = BTreeMap::new();
    for r in &rows {
        let position = state
            .catalogue
            .items()
            .iter()
            .position(|i| i.code() == &r.item)
            .unwrap_or(usize::MAX);
        let total = per_item.entry(position).or_insert_with(|| CoverageRow {
            institution: r.institution,
            item: r.item.clone(),
            counts: [0; 4],
        });
        for (t, c) in total.counts.iter_mut().zip(r.counts) {
            *t += c;
        }
    }
    let per_item: Vec<CoverageRow> = per_item.into_values().collect();
    let in_force = in_force_on(&spans, &months);
    let month_bars = months
        .iter()
        .zip(in_force)
        .map(|(m, n)| Bar {
            label: format!("{}-{:02}", m.year() % 100, u8::from(m.month())),
            value: n,
            marked: *m > today,
            marked_part: 0,
        })
        .collect();
    let births = state.store.registered_births(None, today).await?;
    let ages = age_profile(
        &births,
        today,
        policy.certificate_renewal_age_limit,
        policy.registration_age_limit,
    );
    // Certificates mailed in the last 12 months, on time or late against their deadline.
    let deadlines = state.deadlines();
    let past: Vec<Date> = months
        .iter()
        .copied()
        .filter(|m| *m <= today)
        .map(|m| m.replace_day(1).unwrap_or(m))
        .collect();
    let mailed: Vec<(Date, Option<Date>)> = state
        .store
        .documents_mailed_since(
            DocumentKind::Certificate,
            past.first().copied().unwrap_or(today),
        )
        .await?
        .iter()
        .filter_map(|d| {
            let on = d.mailed.as_ref()?.on;
            Some((on, d.due_on(&deadlines, &cycles).map(|due| due.date())))
        })
        .collect();
    let issued_bars = past
        .iter()
        .zip(mailed_on_time(&mailed, &past))
        .map(|(m, (on_time, late))| Bar {
            label: format!("{}-{:02}", m.year() % 100, u8::from(m.month())),
            value: on_time + late,
            marked: false,
            marked_part: late,
        })
        .collect();
    let charts = vec![
        bar_chart(
            "in-force",
            "有效的注册（评审项目人次：过去12个月每月1日、今天、今后12个月每月1日）",
            Some("今后各月：如无人续期的预计数"),
            month_bars,
        ),
        bar_chart(
            "issued",
            "每月寄出的资格证书（过去12个月及本月）",
            Some("其中超过发放期限寄出的"),
            issued_bars,
        ),
        bar_chart(
            "ages",
            "已注册评审人员年龄分布（今天）",
            Some(&format!(
                "已到换证年龄上限（{} 周岁）",
                policy.certificate_renewal_age_limit
            )),
            ages.iter()
                .map(|b| Bar {
                    label: b.label.clone(),
                    value: b.count,
                    marked: b.past_renewal_limit,
                    marked_part: 0,
                })
                .collect(),
        ),
    ];

    let horizons = registry_core::read::dashboard::horizons(today).map(format_date);
    let years = state.calendar().years();
    let calendar_years = format!("{}—{} 年", years.start(), years.end());
    Ok(DashboardFigures {
        institutions: institutions.len(),
        calendar_warning: missing_calendar(today, years).map(|w| w.message()),
        calendar_years,
        today: format_date(today),
        groups,
        horizons,
        running_out: coverage_views(&running_out, &names, &state.catalogue),
        per_item: coverage_views(&per_item, &names, &state.catalogue),
        charts,
    })
}

/// A registration of the association's "ending soon" list.
#[derive(Debug, Clone)]
pub(crate) struct ExpiringView {
    pub(crate) person: i64,
    pub(crate) name: String,
    pub(crate) institution: String,
    pub(crate) item: String,
    pub(crate) until: String,
}

#[derive(Template)]
#[template(path = "association_expiring.html")]
pub(crate) struct AssociationExpiring {
    pub(crate) layout: Layout,
    pub(crate) months: u32,
    pub(crate) choices: [u32; 3],
    pub(crate) from: String,
    pub(crate) until: String,
    pub(crate) rows: Vec<ExpiringView>,
    pub(crate) pager: Pager,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ExpiringQuery {
    #[serde(default)]
    months: Option<u32>,
    #[serde(default)]
    page: Option<u64>,
    #[serde(default)]
    format: String,
}

/// 注册即将到期: every institution's registrations ending within 1, 3 or 12 months.
#[handler]
pub(crate) async fn expiring(req: &Request, Query(query): Query<ExpiringQuery>) -> PageResult {
    let _ = association_account(req)?;
    let state = state(req);
    let today = state.today();
    let months = query
        .months
        .filter(|m| ENDING_MONTHS.contains(m))
        .unwrap_or(3);
    let until = ending_window_end(today, months);
    if let Some(format) = crate::pages::export::requested(&query.format) {
        let rows: Vec<Vec<String>> = crate::pages::export::every_page(MAX_PAGE, |offset| {
            state
                .store
                .expiring_everywhere(today, until, offset, MAX_PAGE)
        })
        .await?
        .into_iter()
        .map(|(e, institution)| {
            vec![
                e.name,
                institution,
                state.catalogue.name_of(&e.item).to_owned(),
                format_date(e.valid_until),
            ]
        })
        .collect();
        return crate::pages::export::respond(
            format,
            "expiring",
            today,
            &["姓名", "机构", "评审项目", "有效期至"],
            &rows,
        );
    }
    let number = PageNumber::from_query(query.page);
    let offset = (number.get() - 1).saturating_mul(PAGE_SIZE);
    let (mut listed, total) = state
        .store
        .expiring_everywhere(today, until, offset, PAGE_SIZE)
        .await?;
    if listed.is_empty() && offset > 0 && total > 0 {
        (listed, _) = state
            .store
            .expiring_everywhere(today, until, number.offset(total), PAGE_SIZE)
            .await?;
    }
    let months_text = months.to_string();
    Ok(html(
        StatusCode::OK,
        &AssociationExpiring {
            layout: layout(req),
            months,
            choices: ENDING_MONTHS,
            from: format_date(today),
            until: format_date(until),
            rows: listed
                .into_iter()
                .map(|(e, institution)| ExpiringView {
                    person: e.person.get(),
                    name: e.name,
                    institution,
                    item: state.catalogue.name_of(&e.item).to_owned(),
                    until: format_date(e.valid_until),
                })
                .collect(),
            pager: Pager::new(
                "/association/expiring",
                &[("months", &months_text)],
                number,
                total,
                "项",
            )
            .exported(),
        },
    ))
}
