//! 换证 for a whole cycle: the association's preview of every certificate that ends with a
//! cycle (who can be renewed, with the items renewed and left off; who cannot, and why) and
//! its renewal of every one that can, one person at a time, with the report; an
//! institution's preview of its own people. Both render `registry_batch::renewals`, which
//! renders the core's `renewal_plan`. The workspaces' 换证 figures (who can renew and who
//! cannot, by reason: the core's `read::queues::renewal_figures`) are counted here too.

use askama::Template;
use poem::http::StatusCode;
use poem::web::Query;
use poem::{Request, handler};
use registry_batch::Silent;
use registry_batch::renewals::{DueRenewal, preview, renew_cycle};
use registry_core::cycle::{Cycles, RegistrationCycle};
use registry_core::date::format_date;
use registry_core::ids::{CycleId, InstitutionId};
use registry_core::policy::Policy;
use registry_core::ports::{Actor, RegisterTx};
use registry_core::read::queues::RenewalFigures;
use serde::Deserialize;
use time::Date;

use super::{Fields, association_account, institution_account, layout, state};
use crate::AppState;
use crate::auth::actor_of;
use crate::errors::{PageResult, html, messages_of};
use crate::kept::Latest;
use crate::templates::figures::{Figure, FigureGroup};
use crate::templates::{Layout, PageNumber, Pager};

/// Rows a preview lists at most (the count says how many there are in all).
const SHOWN: usize = 1000;

/// One certificate of the preview, as shown.
#[derive(Debug, Clone)]
pub(crate) struct RenewalRowView {
    pub(crate) person: i64,
    pub(crate) name: String,
    pub(crate) masked_id: String,
    pub(crate) number: String,
    pub(crate) eligible: bool,
    /// The items the new certificate would list.
    pub(crate) items: String,
    /// The items left off, each with why.
    pub(crate) dropped: Vec<String>,
    /// Why it cannot be renewed today.
    pub(crate) reasons: Vec<String>,
}

#[derive(Template)]
#[template(path = "renewals.html")]
pub(crate) struct RenewalsPage {
    pub(crate) layout: Layout,
    pub(crate) association: bool,
    pub(crate) cycles: Vec<(i64, String)>,
    pub(crate) cycle_id: i64,
    pub(crate) cycle_name: Option<String>,
    pub(crate) age_limit: u32,
    pub(crate) window_months: u32,
    pub(crate) total: usize,
    pub(crate) eligible: usize,
    pub(crate) blocked: usize,
    pub(crate) rows: Vec<RenewalRowView>,
    pub(crate) errors: Vec<String>,
    pub(crate) notice: Option<String>,
    /// (name, outcome) of a renewal just made.
    pub(crate) report: Vec<(String, String)>,
    /// The rows shown: `eligible`, `blocked` or all (empty).
    pub(crate) show: String,
    pub(crate) pager: Pager,
}

impl RenewalsPage {
    /// The list as a file, when the address asks for one: the rows the page would show
    /// (with its filter), every page.
    fn export(&self, query: &CycleQuery, today: Date) -> Option<PageResult> {
        let format = crate::pages::export::requested(&query.format)?;
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .filter(|r| match query.show.as_str() {
                "eligible" => r.eligible,
                "blocked" => !r.eligible,
                _ => true,
            })
            .map(|r| {
                vec![
                    r.name.clone(),
                    r.masked_id.clone(),
                    r.number.clone(),
                    r.items.clone(),
                    r.dropped.join("；"),
                    if r.eligible {
                        "可以换证".to_owned()
                    } else {
                        r.reasons.join("；")
                    },
                ]
            })
            .collect();
        Some(crate::pages::export::respond(
            format,
            "renewals",
            today,
            &[
                "姓名",
                "身份证号",
                "注册号",
                "换证后列入",
                "不列入的项目",
                "能否换证",
            ],
            &rows,
        ))
    }

    /// The rows of one page, of those that can (`eligible`) or cannot (`blocked`) be
    /// renewed today, or all.
    fn paged(mut self, path: &str, query: &CycleQuery) -> RenewalsPage {
        let show = match query.show.as_str() {
            "eligible" | "blocked" => query.show.as_str(),
            _ => "",
        };
        let rows: Vec<RenewalRowView> = std::mem::take(&mut self.rows)
            .into_iter()
            .filter(|r| match show {
                "eligible" => r.eligible,
                "blocked" => !r.eligible,
                _ => true,
            })
            .collect();
        let cycle = query.cycle.map(|c| c.to_string()).unwrap_or_default();
        self.pager = Pager::new(
            path,
            &[("cycle", &cycle), ("show", show)],
            PageNumber::from_query(query.page),
            rows.len() as u64,
            "人",
        );
        self.pager = self.pager.clone().exported();
        self.rows = self.pager.slice(rows);
        self.show = show.to_owned();
        self
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CycleQuery {
    #[serde(default)]
    cycle: Option<i64>,
    #[serde(default)]
    show: String,
    #[serde(default)]
    page: Option<u64>,
    #[serde(default)]
    format: String,
}

/// The cycle whose certificates are due: the one asked for, else [`renewal_cycle`].
fn due_cycle(cycles: &Cycles, asked: Option<i64>, today: Date) -> Option<RegistrationCycle> {
    asked
        .and_then(|id| cycles.get(CycleId::new(id)))
        .cloned()
        .or_else(|| renewal_cycle(cycles, today))
}

fn row_view(state: &AppState, due: &DueRenewal, today: Date) -> RenewalRowView {
    let names = |items: &[registry_core::review_item::ReviewItemCode]| {
        items
            .iter()
            .map(|i| state.catalogue.name_of(i))
            .collect::<Vec<_>>()
            .join("、")
    };
    let (items, dropped) = match &due.plan {
        Ok(plan) => (
            names(&plan.items),
            plan.dropped
                .iter()
                .map(|(item, reasons)| {
                    let why: Vec<String> = reasons.iter().map(ToString::to_string).collect();
                    format!("{}：{}", state.catalogue.name_of(item), why.join("；"))
                })
                .collect(),
        ),
        Err(_) => (String::new(), vec![]),
    };
    RenewalRowView {
        person: due.person.get(),
        name: due.name.as_str().to_owned(),
        masked_id: due.masked_id.clone(),
        number: due.number.map(|n| n.to_string()).unwrap_or_default(),
        eligible: due.eligible(today),
        items,
        dropped,
        reasons: due.reasons(today).iter().map(ToString::to_string).collect(),
    }
}

struct Preview {
    cycles: Cycles,
    cycle: Option<RegistrationCycle>,
    rows: Vec<RenewalRowView>,
    total: usize,
}

async fn load(
    state: &AppState,
    actor: &Actor,
    asked: Option<i64>,
    employed_by: Option<InstitutionId>,
) -> Result<Preview, crate::errors::PageError> {
    let today = state.today();
    let cycles = state.store.begin_read().await?.cycles().await?;
    let cycle = due_cycle(&cycles, asked, today);
    let (rows, total) = match &cycle {
        Some(cycle) => {
            let calendar = state.calendar();
            let (due, total) =
                preview(&state.batch(actor, &calendar), cycle, employed_by, SHOWN).await?;
            (
                due.iter().map(|d| row_view(state, d, today)).collect(),
                total,
            )
        }
        None => (vec![], 0),
    };
    Ok(Preview {
        cycles,
        cycle,
        rows,
        total,
    })
}

fn page(
    req: &Request,
    association: bool,
    preview: Preview,
    errors: Vec<String>,
    notice: Option<String>,
    report: Vec<(String, String)>,
) -> RenewalsPage {
    let policy = preview
        .cycle
        .as_ref()
        .map_or_else(Policy::default, |c| c.policy().clone());
    let eligible = preview.rows.iter().filter(|r| r.eligible).count();
    RenewalsPage {
        layout: layout(req),
        association,
        cycles: preview
            .cycles
            .as_slice()
            .iter()
            .map(|c| (c.id().get(), c.name().to_owned()))
            .collect(),
        cycle_id: preview.cycle.as_ref().map_or(0, |c| c.id().get()),
        cycle_name: preview.cycle.as_ref().map(|c| c.name().to_owned()),
        age_limit: policy.certificate_renewal_age_limit,
        window_months: policy.renewal_window_months,
        total: preview.total,
        eligible,
        blocked: preview.rows.len() - eligible,
        rows: preview.rows,
        errors,
        notice,
        report,
        show: String::new(),
        pager: Pager::new("", &[], PageNumber::from_query(None), 0, "人"),
    }
}

/// 换证: the association's preview of a cycle's certificates.
#[handler]
pub(crate) async fn association_preview(
    req: &Request,
    Query(query): Query<CycleQuery>,
) -> PageResult {
    let account = association_account(req)?;
    let preview = load(state(req), &actor_of(&account), query.cycle, None).await?;
    let full = page(req, true, preview, vec![], None, vec![]);
    if let Some(file) = full.export(&query, state(req).today()) {
        return file;
    }
    Ok(html(
        StatusCode::OK,
        &full.paged("/association/renewals", &query),
    ))
}

/// 换证: renews every certificate of the cycle that can be renewed today, one person at a
/// time, and shows the report beside the preview of what is left.
#[handler]
pub(crate) async fn association_renew(req: &Request, body: String) -> PageResult {
    let account = association_account(req)?;
    let state = state(req);
    let actor = actor_of(&account);
    let asked = Fields::parse(&body).get("cycle").parse().ok();
    let cycles = state.store.begin_read().await?.cycles().await?;
    let Some(cycle) = due_cycle(&cycles, asked, state.today()) else {
        let preview = load(state, &actor, asked, None).await?;
        return Ok(html(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(
                req,
                true,
                preview,
                vec!["尚未设置注册周期".to_owned()],
                None,
                vec![],
            )
            .paged("/association/renewals", &CycleQuery::default()),
        ));
    };
    let calendar = state.calendar();
    let done = renew_cycle(&state.batch(&actor, &calendar), &cycle, &mut Silent).await?;
    let names = |items: &[registry_core::review_item::ReviewItemCode]| {
        items
            .iter()
            .map(|i| state.catalogue.name_of(i))
            .collect::<Vec<_>>()
            .join("、")
    };
    let renewed = done.iter().filter(|d| d.outcome.is_ok()).count();
    let report: Vec<(String, String)> = done
        .iter()
        .map(|d| {
            let outcome = match &d.outcome {
                Ok(r) if r.dropped.is_empty() => format!(
                    "已换证：{}，有效期至 {}",
                    names(&r.items),
                    format_date(r.valid_until)
                ),
                Ok(r) => format!(
                    "已换证：{}，有效期至 {}；未列入：{}",
                    names(&r.items),
                    format_date(r.valid_until),
                    names(&r.dropped)
                ),
                Err(e) => format!("未换证：{}", messages_of(e).join("；")),
            };
            (d.name.as_str().to_owned(), outcome)
        })
        .collect();
    let preview = load(state, &actor, Some(cycle.id().get()), None).await?;
    let notice = Some(format!(
        "已为 {renewed} 人换证，{} 人未换证（原因见报告）。新证书待寄出。",
        done.len() - renewed
    ));
    Ok(html(
        StatusCode::OK,
        &page(req, true, preview, vec![], notice, report).paged(
            "/association/renewals",
            &CycleQuery {
                cycle: Some(cycle.id().get()),
                ..CycleQuery::default()
            },
        ),
    ))
}

/// 换证预览: an institution's people whose certificates end with the cycle in force.
#[handler]
pub(crate) async fn institution_preview(
    req: &Request,
    Query(query): Query<CycleQuery>,
) -> PageResult {
    let (institution, account) = institution_account(req)?;
    let preview = load(state(req), &actor_of(&account), None, Some(institution)).await?;
    let query = CycleQuery {
        cycle: None,
        ..query
    };
    let full = page(req, false, preview, vec![], None, vec![]);
    if let Some(file) = full.export(&query, state(req).today()) {
        return file;
    }
    Ok(html(
        StatusCode::OK,
        &full.paged("/institution/renewals", &query),
    ))
}

/// The cycle whose certificates are renewed next: the one in force today, else the first
/// that has not ended.
pub(crate) fn renewal_cycle(cycles: &Cycles, today: Date) -> Option<RegistrationCycle> {
    cycles
        .at(today)
        .or_else(|| cycles.as_slice().iter().find(|c| c.end() >= today))
        .cloned()
}

/// How long counted 换证 figures are shown without being counted again while this instance
/// writes nothing (other instances' writes show within it): counting reads every due
/// person's record.
const RENEWAL_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// The 换证 figures of `cycle` (of the people `employed_by` an institution, or all): the
/// latest counted, while one background task counts them again after a write.
pub(crate) fn renewal_counts(
    state: &AppState,
    employed_by: Option<InstitutionId>,
    cycle: &RegistrationCycle,
) -> Latest<RenewalFigures> {
    let today = state.today();
    let generation = state.store.generation();
    let key: (Option<InstitutionId>, CycleId, Date) = (employed_by, cycle.id(), today);
    // Copied only when a count starts.
    let count = || {
        let shared = state.clone();
        let cycle = cycle.clone();
        async move {
            let actor = Actor::System {
                job: "dashboard".into(),
            };
            let calendar = shared.calendar();
            registry_batch::renewals::figures(&shared.batch(&actor, &calendar), &cycle, employed_by)
                .await
        }
    };
    state
        .renewal_counts
        .latest_or_refresh(key, generation, RENEWAL_TTL, count)
}

/// The 换证 figures as a group of figures, each a link to the filtered preview at `path`.
pub(crate) fn renewal_group(
    counted: Latest<RenewalFigures>,
    cycle: &RegistrationCycle,
    path: &str,
) -> FigureGroup {
    let (figures, state) = match counted {
        Latest::Current(f) => (Some(f), None),
        Latest::Earlier(f) => (Some(f), Some("正在按最新数据重新统计")),
        Latest::Counting => (None, Some("正在统计，请稍后刷新")),
    };
    let Some(f) = figures else {
        return FigureGroup {
            title: "换证",
            figures: vec![Figure {
                value: "…".into(),
                note: state.map(str::to_owned),
                ..Figure::new(format!("{} 到期的资格证书", cycle.name()), 0, path)
            }],
        };
    };
    let window = match f.opens {
        Some(opens) if f.window_open => format!("换证窗口已于 {} 开放", format_date(opens)),
        Some(opens) => format!("换证窗口 {} 起开放", format_date(opens)),
        None => "没有可换证的资格证书".to_owned(),
    };
    // The preview's filters are of today (the window included): before the window opens
    // the figures lead to the whole preview, which says who will be able to renew.
    let filtered = |show: &str| {
        if f.window_open {
            format!("{path}?show={show}")
        } else {
            path.to_owned()
        }
    };
    let mut figures = vec![
        Figure {
            note: Some(match state {
                Some(s) => format!("{window}；{s}"),
                None => window,
            }),
            ..Figure::new(format!("{} 到期的资格证书", cycle.name()), f.due, path)
        },
        Figure::new("符合换证条件", f.eligible, filtered("eligible")),
        Figure {
            alert: f.window_open && f.blocked > 0,
            ..Figure::new("暂不能换证", f.blocked, filtered("blocked"))
        },
    ];
    figures.extend(f.reasons.iter().map(|r| Figure {
        note: Some("暂不能换证的原因".into()),
        ..Figure::new(r.label.clone(), r.people, filtered("blocked"))
    }));
    FigureGroup {
        title: "换证",
        figures,
    }
}
