//! 促进会工作台 and the lists behind its tables: what needs doing today and what is coming,
//! each figure a link to the list behind it (the figures themselves are read and decided
//! in [`super::figures`]); 覆盖情况, every item at every institution today and in 3, 6 and
//! 12 months if nobody renews; 各评审项目有效注册, the registrations in force month by
//! month of one item with its chart; and 注册即将到期, every institution's registrations
//! ending within 1, 3 or 12 months.

use askama::Template;
use poem::http::StatusCode;
use poem::web::Query;
use poem::{Request, handler};
use registry_core::date::format_date;
use registry_core::ports::StoreError;
use registry_core::read::dashboard::{ENDING_MONTHS, ending_window_end};
use registry_store::queries::MAX_PAGE;
use serde::Deserialize;

use super::figures::figures;
use crate::AppState;
use crate::charts::{Bar, Chart, bar_chart};
use crate::errors::{PageResult, html};
use crate::pages::renewals::{renewal_counts, renewal_group};
use crate::pages::{association_account, layout, state};
use crate::templates::figures::{CoverageView, DashboardFigures, FigureGroup, ItemSeries};
use crate::templates::pager::PAGE_SIZE;
use crate::templates::{Layout, PageNumber, Pager};

#[derive(Template)]
#[template(path = "association_home.html")]
pub(crate) struct AssociationHome {
    pub(crate) layout: Layout,
    pub(crate) f: std::sync::Arc<DashboardFigures>,
    /// 换证 of the cycle in force, counted apart (none without a cycle).
    pub(crate) renewal: Option<FigureGroup>,
    /// The administrators' duties nobody holds (三员分立), with their codes.
    pub(crate) vacant: Vec<(&'static str, &'static str)>,
    /// Whether reminders are sent (a mail server configured), and how many digests the
    /// mail server refused for the last time.
    pub(crate) smtp: bool,
    pub(crate) failed_mail: u64,
}

/// The dashboard's figures of today, kept per write generation.
/// (Shared, not copied: the full coverage table is large.)
async fn kept_figures(state: &AppState) -> Result<std::sync::Arc<DashboardFigures>, StoreError> {
    let today = state.today();
    let generation = state.store.generation();
    let shared = state.clone();
    state
        .dashboard
        .get_or_refresh(today, generation, move || {
            let state = shared.clone();
            async move { figures(&state, today).await.map(std::sync::Arc::new) }
        })
        .await
}

#[handler]
pub(crate) async fn home(req: &Request) -> PageResult {
    let _ = association_account(req)?;
    let state = state(req);
    let f = kept_figures(state).await?;
    let renewal = f.renewal_cycle.as_ref().map(|cycle| {
        renewal_group(
            renewal_counts(state, None, cycle),
            cycle,
            "/association/renewals",
        )
    });
    let vacant = crate::vacant_duties(state)
        .await?
        .into_iter()
        .map(|d| (d.label(), d.code()))
        .collect();
    let outbox = state
        .store
        .outbox_figures(state.clock.now() - time::Duration::days(1))
        .await?;
    Ok(html(
        StatusCode::OK,
        &AssociationHome {
            layout: layout(req),
            f,
            renewal,
            vacant,
            smtp: state.config.mail.smtp,
            failed_mail: outbox.failed,
        },
    ))
}

#[derive(Template)]
#[template(path = "association_coverage.html")]
pub(crate) struct AssociationCoverage {
    pub(crate) layout: Layout,
    pub(crate) horizons: [String; 4],
    pub(crate) items: Vec<(String, String)>,
    pub(crate) item: String,
    pub(crate) running_out_only: bool,
    pub(crate) running_out: usize,
    pub(crate) rows: Vec<CoverageView>,
    pub(crate) pager: Pager,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CoverageQuery {
    #[serde(default)]
    item: String,
    #[serde(default)]
    show: String,
    #[serde(default)]
    page: Option<u64>,
    #[serde(default)]
    format: String,
}

/// 覆盖情况: every (institution, item) pair with somebody registered today or at one of
/// the horizons, with the horizon at which nobody is left; by item, or only the pairs
/// about to have nobody.
#[handler]
pub(crate) async fn coverage(req: &Request, Query(query): Query<CoverageQuery>) -> PageResult {
    let _ = association_account(req)?;
    let state = state(req);
    let f = kept_figures(state).await?;
    let item_name = registry_core::review_item::ReviewItemCode::parse(query.item.trim())
        .ok()
        .map(|c| state.catalogue.name_of(&c).to_owned());
    let running_out_only = query.show == "running_out";
    let rows: Vec<CoverageView> = f
        .coverage
        .iter()
        .filter(|r| item_name.as_ref().is_none_or(|name| &r.item == name))
        .filter(|r| !running_out_only || r.runs_out.is_some())
        .cloned()
        .collect();
    if let Some(format) = crate::pages::export::requested(&query.format) {
        let header = [
            "机构".to_owned(),
            "评审项目".to_owned(),
            format!("今天（{}）", f.horizons[0]),
            f.horizons[1].clone(),
            f.horizons[2].clone(),
            f.horizons[3].clone(),
            "无人注册".to_owned(),
        ];
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let mut row = vec![r.institution.clone(), r.item.clone()];
                row.extend(r.counts.iter().map(u32::to_string));
                row.push(r.runs_out.clone().unwrap_or_default());
                row
            })
            .collect();
        return crate::pages::export::respond(format, "coverage", state.today(), &header, &cells);
    }
    let show = if running_out_only { "running_out" } else { "" };
    let item = if item_name.is_some() {
        query.item.trim().to_owned()
    } else {
        String::new()
    };
    let pager = Pager::new(
        "/association/coverage",
        &[("item", &item), ("show", show)],
        PageNumber::from_query(query.page),
        rows.len() as u64,
        "项",
    )
    .exported();
    Ok(html(
        StatusCode::OK,
        &AssociationCoverage {
            layout: layout(req),
            horizons: f.horizons.clone(),
            items: state
                .catalogue
                .items()
                .iter()
                .map(|i| (i.code().as_str().to_owned(), i.name().to_owned()))
                .collect(),
            item,
            running_out_only,
            running_out: f.running_out.len(),
            rows: pager.slice(rows),
            pager,
        },
    ))
}

#[derive(Template)]
#[template(path = "association_in_force.html")]
pub(crate) struct AssociationInForce {
    pub(crate) layout: Layout,
    pub(crate) items: Vec<(String, String)>,
    pub(crate) item: String,
    pub(crate) chart: Chart,
    pub(crate) months: Vec<String>,
    pub(crate) future_from: usize,
    pub(crate) series: Vec<ItemSeries>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct InForceQuery {
    #[serde(default)]
    item: String,
    #[serde(default)]
    format: String,
}

/// 各评审项目有效注册: the registrations in force of each item on the first of each month
/// of the last and next 12 months (ahead: if nobody renews), as a table of every item and
/// the chart of one.
#[handler]
pub(crate) async fn in_force(req: &Request, Query(query): Query<InForceQuery>) -> PageResult {
    let _ = association_account(req)?;
    let state = state(req);
    let f = kept_figures(state).await?;
    if let Some(format) = crate::pages::export::requested(&query.format) {
        let mut header = vec!["评审项目"];
        header.extend(f.months.iter().map(String::as_str));
        let cells: Vec<Vec<String>> = f
            .per_item_series
            .iter()
            .map(|s| {
                let mut row = vec![s.name.clone()];
                row.extend(s.counts.iter().map(u32::to_string));
                row
            })
            .collect();
        return crate::pages::export::respond(format, "in-force", state.today(), &header, &cells);
    }
    let chosen = f
        .per_item_series
        .iter()
        .find(|s| s.code == query.item.trim())
        .or_else(|| f.per_item_series.first());
    let item = chosen.map(|s| s.code.clone()).unwrap_or_default();
    let title = chosen.map_or_else(
        || "有效的注册".to_owned(),
        |s| {
            format!(
                "{}：有效的注册（每月1日；今后各月为如无人续期的预计数）",
                s.name
            )
        },
    );
    let bars = chosen
        .map(|s| {
            s.counts
                .iter()
                .zip(&f.months)
                .enumerate()
                .map(|(i, (n, month))| Bar {
                    label: month.clone(),
                    value: *n,
                    marked: i >= f.future_from,
                    marked_part: 0,
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(html(
        StatusCode::OK,
        &AssociationInForce {
            layout: layout(req),
            items: f
                .per_item_series
                .iter()
                .map(|s| (s.code.clone(), s.name.clone()))
                .collect(),
            item,
            chart: bar_chart(
                "item-in-force",
                &title,
                Some("今后各月：如无人续期的预计数"),
                bars,
            ),
            months: f.months.clone(),
            future_from: f.future_from,
            series: f.per_item_series.clone(),
        },
    ))
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
