//! The figures of the workspaces (促进会工作台, the institution's 待办): a number with its
//! words and the list behind it, in groups, and the rows of the coverage tables.

use std::collections::BTreeMap;

use registry_core::ids::InstitutionId;
use registry_core::read::dashboard::CoverageRow;
use registry_core::review_item::ReviewItemCatalogue;

/// One figure: its words, its number, and the list behind it.
#[derive(Debug, Clone)]
pub(crate) struct Figure {
    pub(crate) label: String,
    pub(crate) value: String,
    pub(crate) href: Option<String>,
    /// Shown in the warning colour (overdue, an item about to lose its assessors).
    pub(crate) alert: bool,
    pub(crate) note: Option<String>,
}

impl Figure {
    pub(crate) fn new(label: impl Into<String>, value: u64, href: impl Into<String>) -> Figure {
        Figure {
            label: label.into(),
            value: value.to_string(),
            href: Some(href.into()),
            alert: false,
            note: None,
        }
    }
}

/// A group of figures under one heading.
#[derive(Debug, Clone)]
pub(crate) struct FigureGroup {
    pub(crate) title: &'static str,
    pub(crate) figures: Vec<Figure>,
}

/// A row of the coverage tables, in words.
#[derive(Debug, Clone)]
pub(crate) struct CoverageView {
    pub(crate) institution: String,
    pub(crate) item: String,
    pub(crate) counts: [u32; 4],
    /// "6 个月内" when nobody is left by then.
    pub(crate) runs_out: Option<String>,
}

/// The rows of a coverage table, in words.
pub(crate) fn coverage_views(
    rows: &[CoverageRow],
    names: &BTreeMap<InstitutionId, String>,
    catalogue: &ReviewItemCatalogue,
) -> Vec<CoverageView> {
    rows.iter()
        .map(|r| CoverageView {
            institution: names.get(&r.institution).cloned().unwrap_or_default(),
            item: catalogue.name_of(&r.item).to_owned(),
            counts: r.counts,
            runs_out: r.runs_out_within().map(|m| format!("{m} 个月内")),
        })
        .collect()
}

/// An upcoming course of the association.
#[derive(Debug, Clone)]
pub(crate) struct UpcomingCourse {
    pub(crate) name: String,
    pub(crate) dates: String,
    pub(crate) items: String,
    pub(crate) hours: String,
}

/// The workspace's lead.
#[derive(Debug, Clone)]
pub(crate) struct Workspace {
    pub(crate) todo: FigureGroup,
    pub(crate) horizons: [String; 4],
    pub(crate) coverage: Vec<CoverageView>,
    pub(crate) courses: Vec<UpcomingCourse>,
    /// The cycle whose certificates are renewed next (its 换证 is counted apart).
    pub(crate) renewal_cycle: Option<registry_core::cycle::RegistrationCycle>,
}

/// 促进会工作台's figures, computed once per write generation (see `kept`).
#[derive(Debug, Clone)]
pub(crate) struct DashboardFigures {
    pub(crate) institutions: usize,
    /// The core's reminder that a year of the working-day calendar is missing
    /// (`holiday_law::missing_calendar`).
    pub(crate) calendar_warning: Option<String>,
    pub(crate) calendar_years: String,
    pub(crate) today: String,
    pub(crate) groups: Vec<FigureGroup>,
    /// The days of the coverage columns.
    pub(crate) horizons: [String; 4],
    /// (institution, item) pairs about to have nobody registered.
    pub(crate) running_out: Vec<CoverageView>,
    /// Every (institution, item) pair with somebody registered today or ahead.
    pub(crate) coverage: Vec<CoverageView>,
    /// Per item, all institutions together.
    pub(crate) per_item: Vec<CoverageView>,
    /// The months of the series (`25-11` … `27-11`).
    pub(crate) months: Vec<String>,
    /// The first month of the series after today (a forecast from there on).
    pub(crate) future_from: usize,
    /// The registrations in force on each month of the series, per item.
    pub(crate) per_item_series: Vec<ItemSeries>,
    pub(crate) charts: Vec<crate::charts::Chart>,
    /// The batch runs of the last 30 days, the latest first.
    pub(crate) runs: Vec<RunView>,
    /// The cycle whose certificates are renewed next (its 换证 is counted apart).
    pub(crate) renewal_cycle: Option<registry_core::cycle::RegistrationCycle>,
}

/// The registrations in force of one item month by month.
#[derive(Debug, Clone)]
pub(crate) struct ItemSeries {
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) counts: Vec<u32>,
}

/// A batch run as listed.
#[derive(Debug, Clone)]
pub(crate) struct RunView {
    pub(crate) at: String,
    pub(crate) job: &'static str,
    pub(crate) actor: String,
    pub(crate) outcome: &'static str,
    /// It did what it was asked.
    pub(crate) ok: bool,
    pub(crate) summary: String,
}
