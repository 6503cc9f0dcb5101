//! 操作日志: the whole audit log, the latest first, 20 a page, by kind of record, as a file;
//! above it the state of the audit chain (`registry_store::audit_chain`), walked in the
//! background (`kept::Kept::latest_or_refresh`) after a write or every 10 minutes.

use std::time::Duration;

use askama::Template;
use poem::http::StatusCode;
use poem::web::Query;
use poem::{Request, handler};
use registry_core::ports::Entity;
use registry_store::audit_chain::ChainReport;
use serde::Deserialize;

use crate::AppState;
use crate::errors::{PageResult, html};
use crate::kept::Latest;
use crate::pages::{audit_account, audit_row, institution_names, layout, state};
use crate::templates::pager::PAGE_SIZE;
use crate::templates::{AuditRow, Layout, PageNumber, Pager};

/// How long a walk of the chain is shown without walking it again while this instance
/// writes nothing.
const CHAIN_TTL: Duration = Duration::from_secs(600);

/// The kinds of record the log can be filtered by.
const KINDS: [Entity; 14] = [
    Entity::Person,
    Entity::Qualification,
    Entity::Institution,
    Entity::Employment,
    Entity::Holding,
    Entity::Cycle,
    Entity::Course,
    Entity::Attendance,
    Entity::Assessment,
    Entity::Document,
    Entity::Calendar,
    Entity::Account,
    Entity::Export,
    Entity::Run,
];

#[derive(Template)]
#[template(path = "association_audit.html")]
pub(crate) struct AssociationAudit {
    pub(crate) layout: Layout,
    /// The chain's state in words; whether it holds (none: being walked).
    pub(crate) chain: String,
    pub(crate) chain_ok: Option<bool>,
    pub(crate) kinds: Vec<(String, &'static str)>,
    pub(crate) kind: String,
    pub(crate) rows: Vec<AuditRow>,
    pub(crate) pager: Pager,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AuditQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    page: Option<u64>,
    #[serde(default)]
    format: String,
}

/// The chain's state: the latest walk, while one task walks it again.
fn chain_state(state: &AppState) -> (String, Option<bool>) {
    let walk = || {
        let shared = state.clone();
        async move { shared.store.verify_audit_chain().await }
    };
    let (report, again): (ChainReport, bool) =
        match state
            .audit_chain
            .latest_or_refresh((), state.store.generation(), CHAIN_TTL, walk)
        {
            Latest::Current(r) => (r, false),
            Latest::Earlier(r) => (r, true),
            Latest::Counting => return ("正在校验操作日志链，请稍后刷新。".to_owned(), None),
        };
    let again = if again {
        "（正在按最新数据重新校验）"
    } else {
        ""
    };
    match report.broken {
        None => (
            format!(
                "操作日志链完整：共 {} 条记录（{}），链头第 {} 条，哈希 {}{again}",
                report.rows, report.digest, report.head.seq, report.head.hash
            ),
            Some(true),
        ),
        Some(b) => (
            format!(
                "操作日志链在第 {} 条记录处断开{}：{}{again}",
                b.seq,
                b.id.map(|id| format!("（id {id}）")).unwrap_or_default(),
                b.reason
            ),
            Some(false),
        ),
    }
}

#[handler]
pub(crate) async fn audit(req: &Request, Query(query): Query<AuditQuery>) -> PageResult {
    let _ = audit_account(req)?;
    let state = state(req);
    let kinds: Vec<(String, &'static str)> = KINDS
        .iter()
        .map(|e| (format!("{}.", e.code()), e.label()))
        .collect();
    let kind = kinds
        .iter()
        .find(|(code, _)| *code == query.kind)
        .map(|(code, _)| code.clone())
        .unwrap_or_default();
    let action = Some(kind.as_str()).filter(|k| !k.is_empty());
    let names = institution_names(state).await?;
    if let Some(format) = crate::pages::export::requested(&query.format) {
        let entries = crate::pages::export::every_page(500, |offset| {
            state.store.audit_page(action, offset, 500)
        })
        .await?;
        let rows: Vec<Vec<String>> = entries
            .iter()
            .map(|e| {
                let r = audit_row(e, &state.catalogue, &names);
                vec![r.at, r.actor, r.action, r.changes.join("；")]
            })
            .collect();
        return crate::pages::export::respond(
            format,
            "audit",
            state.today(),
            &["时间（北京时间）", "操作人", "操作", "变更内容"],
            &rows,
        );
    }
    let number = PageNumber::from_query(query.page);
    let offset = (number.get() - 1).saturating_mul(PAGE_SIZE);
    let (mut entries, total) = state.store.audit_page(action, offset, PAGE_SIZE).await?;
    if entries.is_empty() && offset > 0 && total > 0 {
        (entries, _) = state
            .store
            .audit_page(action, number.offset(total), PAGE_SIZE)
            .await?;
    }
    let (chain, chain_ok) = chain_state(state);
    Ok(html(
        StatusCode::OK,
        &AssociationAudit {
            layout: layout(req),
            chain,
            chain_ok,
            rows: entries
                .iter()
                .map(|e| audit_row(e, &state.catalogue, &names))
                .collect(),
            pager: Pager::new(
                "/association/audit",
                &[("kind", &kind)],
                number,
                total,
                "条",
            )
            .exported(),
            kinds,
            kind,
        },
    ))
}
