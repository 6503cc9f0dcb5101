//! Every figure of 促进会工作台, read from the register as it is and decided by the core's
//! `read::dashboard` and `read::queues`: the issue queues of certificates and cards, items
//! by state, registrations ending soon, the pool per item, coverage of every item at every
//! institution today and ahead, the registrations in force month by month (all and per
//! item), the age profile, the certificates mailed against their deadline, and the batch
//! runs of the last 30 days. Computed once per write generation (`kept`); the 换证 figures,
//! which read every due person's record, are counted apart in the background
//! (`pages::renewals::renewal_counts`).

use std::collections::BTreeMap;

use registry_core::date::format_date;
use registry_core::document::DocumentKind;
use registry_core::holding::ItemState;
use registry_core::holiday_law::missing_calendar;
use registry_core::ids::InstitutionId;
use registry_core::ports::{RegisterTx, StoreError};
use registry_core::read::dashboard::{
    ENDING_MONTHS, age_profile, coverage, ending_within, horizons, in_force_by_item, in_force_on,
    mailed_on_time, month_points, per_item,
};
use registry_core::read::pool::pool_age_limit;
use registry_core::read::queues::issue_queue;
use registry_core::read::runs::Run;
use registry_store::documents::DocumentFilter;
use time::Date;

use crate::AppState;
use crate::charts::{Bar, bar_chart};
use crate::templates::figures::{
    DashboardFigures, Figure, FigureGroup, ItemSeries, RunView, coverage_views,
};

/// The days back of the runs listed.
pub(crate) const RUN_DAYS: i64 = 30;
/// The most runs listed.
const RUNS: u64 = 200;

/// The label of a month's point (`26-11`).
pub(crate) fn month_label(day: Date) -> String {
    format!("{:02}-{:02}", day.year() % 100, u8::from(day.month()))
}

/// The issue queue of a kind (waiting, due within a week, overdue, the oldest).
async fn queue_group(
    state: &AppState,
    kind: DocumentKind,
    cycles: &registry_core::cycle::Cycles,
    today: Date,
    mailed_this_month: u64,
) -> Result<FigureGroup, StoreError> {
    let (title, path) = match kind {
        DocumentKind::Certificate => ("资格证书", "/association/certificates"),
        DocumentKind::Card => ("注册信息卡", "/association/cards"),
    };
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
    let queue = issue_queue(
        listings.iter().map(|l| {
            let due = l.document.due_on(&deadlines, cycles);
            let overdue = l.document.is_overdue(due.as_ref(), today);
            (due.map(|d| d.date()), overdue)
        }),
        today,
    );
    Ok(FigureGroup {
        title,
        figures: vec![
            Figure::new("待发放", queue.pending, path),
            Figure::new(
                format!("{} 日内应发", registry_core::read::queues::DUE_SOON_DAYS),
                queue.due_soon,
                path,
            ),
            Figure {
                alert: queue.overdue > 0,
                note: queue
                    .oldest_late_days
                    .map(|days| format!("最早一份已逾期 {days} 天")),
                ..Figure::new("已逾期", queue.overdue, format!("{path}?show=overdue"))
            },
            Figure::new(
                "本月已寄出",
                mailed_this_month,
                format!("{path}?show=mailed"),
            ),
        ],
    })
}

/// Every figure of the dashboard, read from the register as it is.
pub(crate) async fn figures(state: &AppState, today: Date) -> Result<DashboardFigures, StoreError> {
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
    for kind in [DocumentKind::Certificate, DocumentKind::Card] {
        let mailed = mailed.get(kind.code()).copied().unwrap_or(0);
        groups.push(queue_group(state, kind, &cycles, today, mailed).await?);
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
    let totals = per_item(&rows, &state.catalogue);
    let in_force = in_force_on(&spans, &months);
    let month_bars = months
        .iter()
        .zip(in_force)
        .map(|(m, n)| Bar {
            label: month_label(*m),
            value: n,
            marked: *m > today,
            marked_part: 0,
        })
        .collect();
    let per_item_series = in_force_by_item(&spans, &months, &state.catalogue)
        .into_iter()
        .map(|(item, counts)| ItemSeries {
            code: item.as_str().to_owned(),
            name: state.catalogue.name_of(&item).to_owned(),
            counts,
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
            label: month_label(*m),
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

    // The batch runs of the last 30 days.
    let since = state.clock.now() - time::Duration::days(RUN_DAYS);
    let runs = state
        .store
        .runs_since(since, RUNS)
        .await?
        .iter()
        .filter_map(|entry| run_view(entry, &names))
        .collect();

    let years = state.calendar().years();
    let all_coverage = coverage_views(&rows, &names, &state.catalogue);
    Ok(DashboardFigures {
        institutions: institutions.len(),
        calendar_warning: missing_calendar(today, years.clone()).map(|w| w.message()),
        calendar_years: format!("{}—{} 年", years.start(), years.end()),
        today: format_date(today),
        groups,
        horizons: horizons(today).map(format_date),
        running_out: all_coverage
            .iter()
            .filter(|r| r.runs_out.is_some())
            .cloned()
            .collect(),
        coverage: all_coverage,
        per_item: totals
            .iter()
            .map(|t| crate::templates::figures::CoverageView {
                institution: String::new(),
                item: state.catalogue.name_of(&t.item).to_owned(),
                counts: t.counts,
                runs_out: None,
            })
            .collect(),
        months: months.iter().map(|m| month_label(*m)).collect(),
        future_from: months
            .iter()
            .position(|m| *m > today)
            .unwrap_or(months.len()),
        per_item_series,
        charts,
        runs,
        renewal_cycle: crate::pages::renewals::renewal_cycle(&cycles, today),
    })
}

/// A recorded run as listed, or none for an entry this version cannot read.
fn run_view(
    entry: &registry_store::queries::AuditEntry,
    names: &BTreeMap<InstitutionId, String>,
) -> Option<RunView> {
    let run = Run::from_fields(&entry.after_fields())?;
    Some(RunView {
        at: crate::pages::china_time(entry.at),
        job: run.job.label(),
        actor: registry_core::read::audit::actor_text(&entry.actor, |id| {
            names.get(&InstitutionId::new(id)).cloned()
        }),
        outcome: run.outcome.label(),
        ok: run.outcome == registry_core::read::runs::RunOutcome::Done,
        summary: run.summary,
    })
}
