//! Certificates and cards: the association's lists of what is to be issued (with due
//! dates, overdue ones marked, and why a certificate cannot go out yet), printing one or a
//! batch as PDF, marking editions as mailed, replacing lost ones. The institution's view
//! of its people's documents is `institution::documents`, with the rows made here.

use super::{Fields, association_account, layout, redirect, state};
use crate::AppState;
use crate::auth::actor_of;
use crate::pages::notice::Notice;
use poem::http::StatusCode;
use poem::web::{Path, Query};
use poem::{Request, Response, handler};
use registry_core::access::Account;
use registry_core::cycle::Cycles;
use registry_core::date::{format_date, parse_date};
use registry_core::document::{Document, DocumentKind};
use registry_core::holiday_law::DeadlineCalendar;
use registry_core::ids::{DocumentId, InstitutionId};
use registry_core::ports::{RegisterTx, StoreError};
use registry_core::usecases::{MarkMailed, ReplaceDocument};
use registry_store::documents::{DocumentFilter, DocumentListing};
use serde::Deserialize;

use crate::documents::{NotPrinted, blocked, pdf_response, printed, public_base};
use crate::errors::{PageResult, html, message_page, messages_of, status_of};
use crate::templates::{AssociationDocuments, ConfirmDisclosure, DocumentRow, PageNumber, Pager};

/// The most editions one list or one batch PDF holds.
pub(crate) const LIST_LIMIT: u64 = 1000;

pub(crate) async fn cycles(state: &AppState) -> Result<Cycles, StoreError> {
    state.store.begin_read().await?.cycles().await
}

/// Where a row's links lead, by audience.
#[derive(Clone, Copy)]
pub(crate) enum Audience {
    Association,
    Institution,
}

/// The deadline of each row counts on `deadlines`, taken once per page so that a page
/// never mixes a calendar with the one loaded after it.
pub(crate) fn row(
    state: &AppState,
    (cycles, deadlines): (&Cycles, &DeadlineCalendar),
    listing: &DocumentListing,
    audience: Audience,
) -> DocumentRow {
    let d = &listing.document;
    let today = state.today();
    let due = d.due_on(deadlines, cycles);
    let basis = match (d.details.kind, d.details.pass_list, d.details.replaces) {
        (DocumentKind::Certificate, Some(day), None) => {
            format!("合格名单 {} 公布", format_date(day))
        }
        (_, _, Some(_)) => format!("{} 补发", format_date(d.details.created_on)),
        // A certificate made without a pass list is a 换证 edition.
        (DocumentKind::Certificate, None, None) => {
            format!("{} 换证", format_date(d.details.created_on))
        }
        _ => format!("{} 生成", format_date(d.details.created_on)),
    };
    let issued_valid = d.voided.is_none() && d.mailed.is_some();
    let (person_link, pdf, replace_action) = match audience {
        Audience::Association => (
            Some(format!("/association/people/{}", d.details.person.get())),
            blocked(listing, today)
                .is_none()
                .then(|| format!("/association/documents/{}/pdf", d.id.get())),
            issued_valid.then(|| format!("/association/documents/{}/replace", d.id.get())),
        ),
        Audience::Institution => (
            Some(format!("/institution/people/{}", d.details.person.get())),
            None,
            issued_valid.then(|| format!("/institution/documents/{}/replace", d.id.get())),
        ),
    };
    let (state_label, state_code) = match (&d.voided, &d.mailed) {
        (Some(_), _) => ("已作废", "void"),
        (None, Some(_)) => ("已寄出", "mailed"),
        (None, None) => ("待发放", "pending"),
    };
    DocumentRow {
        ticked: false,
        id: d.id.get(),
        serial: d.serial(),
        name: listing.person.name.as_str().to_owned(),
        person_link,
        institution: listing.institution_name.clone().unwrap_or_default(),
        items: d
            .details
            .items
            .iter()
            .map(|i| state.catalogue.name_of(i))
            .collect::<Vec<_>>()
            .join("、"),
        basis,
        due: due.as_ref().map_or_else(
            || "（日历未覆盖，暂无法计算）".to_owned(),
            |due| format_date(due.date()),
        ),
        due_estimate: due.as_ref().and_then(|due| due.estimate_note()),
        overdue: d.is_overdue(due.as_ref(), today),
        state: state_label,
        state_code,
        mailed: d
            .mailed
            .as_ref()
            .map(|m| format!("{} 寄出，单号 {}", format_date(m.on), m.tracking)),
        void: d
            .voided
            .map(|v| format!("{} 作废：{}", format_date(v.on), v.reason.label())),
        // Why it cannot be issued (a pending edition), or, on the association's lists,
        // why a mailed one has no PDF any more (expired, …): no row loses its link unsaid.
        blocked: if d.is_pending()
            || (matches!(audience, Audience::Association) && d.voided.is_none())
        {
            blocked(listing, today)
        } else {
            None
        },
        pending: d.is_pending(),
        pdf,
        pdf_discloses: d.details.kind == DocumentKind::Certificate,
        replace_action,
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    pass_list: String,
    #[serde(default)]
    institution: String,
    #[serde(default)]
    show: String,
    #[serde(default)]
    notice: String,
    #[serde(default)]
    page: Option<u64>,
    #[serde(default)]
    format: String,
}

/// The states a list of editions is filtered by (`show=`), with their labels; the first is
/// the default.
const SHOW: [(&str, &str); 5] = [
    ("pending", "待发放"),
    ("overdue", "待发放且已逾期"),
    ("mailed", "已寄出"),
    ("void", "已作废"),
    ("all", "全部"),
];

/// Whether a row is among those a list's `show` filter asks for (`pending`, `overdue`,
/// `mailed`, `void`; anything else: every row).
pub(crate) fn shown(row: &DocumentRow, show: &str) -> bool {
    match show {
        "pending" => row.pending,
        "overdue" => row.overdue,
        "mailed" | "void" => row.state_code == show,
        _ => true,
    }
}

/// What was typed in the mailing form (kept after a refusal): the day, the tracking
/// number, the documents ticked.
#[derive(Default)]
struct Mailing {
    on: Option<String>,
    tracking: String,
    ticked: Vec<i64>,
}

async fn list_page(
    req: &Request,
    kind: DocumentKind,
    query: &ListQuery,
    errors: Vec<String>,
    typed: Mailing,
) -> PageResult {
    let state = state(req);
    let show = SHOW
        .iter()
        .map(|(code, _)| *code)
        .find(|code| *code == query.show)
        .unwrap_or("pending");
    let pending_only = matches!(show, "pending" | "overdue");
    let pass_list = parse_date(&query.pass_list).ok();
    let institution = query
        .institution
        .trim()
        .parse::<i64>()
        .ok()
        .map(InstitutionId::new);
    let filter = DocumentFilter {
        kind: Some(kind),
        pending_only,
        pass_list: pass_list.filter(|_| kind == DocumentKind::Certificate),
        institution: institution.filter(|_| kind == DocumentKind::Card),
        limit: LIST_LIMIT,
        ..DocumentFilter::default()
    };
    let (listings, cycles) = match (state.store.documents(&filter).await, cycles(state).await) {
        (Ok(l), Ok(c)) => (l, c),
        (Err(e), _) | (_, Err(e)) => return Err(e.into()),
    };
    let deadlines = state.deadlines();
    let rows: Vec<DocumentRow> = listings
        .iter()
        .map(|l| row(state, (&cycles, &deadlines), l, Audience::Association))
        .collect();
    let overdue = rows.iter().filter(|r| r.overdue).count();
    let pending = rows.iter().filter(|r| r.pending).count();
    let summary = if pending_only {
        format!("待发放 {pending} 份，其中逾期 {overdue} 份")
    } else {
        format!("共 {} 份", rows.len())
    };
    let path = match kind {
        DocumentKind::Certificate => "/association/certificates",
        DocumentKind::Card => "/association/cards",
    };
    let params = [
        ("pass_list", query.pass_list.as_str()),
        ("institution", query.institution.as_str()),
        ("show", show),
    ];
    let back = format!(
        "{path}?{}",
        serde_urlencoded::to_string(params).unwrap_or_default()
    );
    let rows: Vec<DocumentRow> = rows.into_iter().filter(|r| shown(r, show)).collect();
    if let Some(format) = crate::pages::export::requested(&query.format) {
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let mut due = format!("应于 {} 前发放", r.due);
                if r.due_estimate.is_some() {
                    due.insert_str(0, "预计");
                }
                if r.overdue {
                    due.push_str("（已逾期）");
                }
                vec![
                    r.serial.clone(),
                    r.name.clone(),
                    r.institution.clone(),
                    r.items.clone(),
                    r.basis.clone(),
                    due,
                    r.state.to_owned(),
                ]
            })
            .collect();
        return crate::pages::export::respond(
            format,
            match kind {
                DocumentKind::Certificate => "certificates",
                DocumentKind::Card => "cards",
            },
            state.today(),
            &[
                "编号",
                "姓名",
                "机构",
                "评审项目",
                "生成",
                "应发日期",
                "状态",
            ],
            &cells,
        );
    }
    let pager = Pager::new(
        path,
        &params,
        PageNumber::from_query(query.page),
        rows.len() as u64,
        "份",
    )
    .exported();
    let mut rows = pager.slice(rows);
    for r in &mut rows {
        r.ticked = typed.ticked.contains(&r.id);
    }
    let on = typed.on.unwrap_or_else(|| format_date(state.today()));
    let tracking = typed.tracking;
    let notice = crate::pages::notice::from_query(&query.notice);
    let page = match kind {
        DocumentKind::Certificate => {
            let lists = state.store.pass_lists().await?;
            let options = lists
                .iter()
                .map(|l| {
                    (
                        format_date(l.published_on),
                        format!(
                            "{} 公布（{} 份，待发放 {} 份）",
                            format_date(l.published_on),
                            l.certificates,
                            l.pending
                        ),
                    )
                })
                .collect();
            AssociationDocuments {
                layout: layout(req),
                title: "资格证书",
                summary,
                explanation: "合格名单公布后，每人的资格证书应在规定的工作日内（默认20个工作日，按法定节假日和调休计算）寄给本人；通讯地址不完整的不能寄出。寄出后，同一人的旧版证书自动作废。期限跨入尚未载入工作日历的年份时，按法定节假日估算并标为“预计”，载入该年日历后自动改为正式日期。",
                path: "/association/certificates",
                back,
                filter_label: "合格名单",
                filter_name: "pass_list",
                filter_value: query.pass_list.clone(),
                filter_options: options,
                show: show.to_owned(),
                shows: SHOW.to_vec(),
                pager: pager.clone(),
                batch_pdf: pass_list
                    .map(|d| format!("/association/certificates/pdf?pass_list={}", format_date(d))),
                batch_label: "打印该名单待发放的全部证书（PDF）",
                batch_discloses: true,
                documents: rows,
                selectable: true,
                show_institution: false,
                on: on.clone(),
                tracking: tracking.clone(),
                errors,
                notice,
            }
        }
        DocumentKind::Card => {
            let institutions = state.store.institutions().await?;
            let options = institutions
                .iter()
                .map(|i| {
                    (
                        i.institution.id.get().to_string(),
                        i.institution.details.name.as_str().to_owned(),
                    )
                })
                .collect();
            AssociationDocuments {
                layout: layout(req),
                title: "注册信息卡",
                summary,
                explanation: "注册成功后生成注册信息卡（每人每个机构一张），寄给所属机构转交本人。机构的注册项目变化时生成新卡；新卡寄出后旧卡作废。发放期限与证书相同；跨入尚未载入工作日历的年份时标为“预计”。",
                path: "/association/cards",
                back,
                filter_label: "机构",
                filter_name: "institution",
                filter_value: query.institution.clone(),
                filter_options: options,
                show: show.to_owned(),
                shows: SHOW.to_vec(),
                pager: pager.clone(),
                batch_pdf: institution
                    .map(|i| format!("/association/cards/pdf?institution={}", i.get())),
                batch_label: "打印该机构待发放的全部注册信息卡（PDF）",
                batch_discloses: false,
                documents: rows,
                selectable: true,
                show_institution: true,
                on: on.clone(),
                tracking: tracking.clone(),
                errors,
                notice,
            }
        }
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html(status, &page))
}

#[handler]
pub(crate) async fn certificate_list(req: &Request, Query(query): Query<ListQuery>) -> PageResult {
    let _ = association_account(req)?;
    list_page(
        req,
        DocumentKind::Certificate,
        &query,
        vec![],
        Mailing::default(),
    )
    .await
}

#[handler]
pub(crate) async fn card_list(req: &Request, Query(query): Query<ListQuery>) -> PageResult {
    let _ = association_account(req)?;
    list_page(req, DocumentKind::Card, &query, vec![], Mailing::default()).await
}

async fn mark_mailed(req: &Request, kind: DocumentKind, body: &str) -> PageResult {
    let account = association_account(req)?;
    let fields = Fields::parse(body);
    let ticked: Vec<i64> = fields
        .all("documents")
        .iter()
        .filter_map(|id| id.parse().ok())
        .collect();
    let documents = ticked.iter().copied().map(DocumentId::new).collect();
    let back = fields.get("back");
    let back = if back.starts_with("/association/certificates?")
        || back.starts_with("/association/cards?")
    {
        back
    } else {
        match kind {
            DocumentKind::Certificate => "/association/certificates?".to_owned(),
            DocumentKind::Card => "/association/cards?".to_owned(),
        }
    };
    let outcome = state(req)
        .run(
            actor_of(&account),
            &MarkMailed {
                documents,
                on: fields.get("on"),
                tracking: fields.get("tracking"),
            },
        )
        .await;
    Ok(match outcome {
        Ok(count) => redirect(&format!(
            "{back}&notice={}",
            Notice::Mailed(u32::try_from(count).unwrap_or(u32::MAX)).code()
        )),
        Err(e) => {
            let query: ListQuery = back
                .split_once('?')
                .and_then(|(_, q)| serde_urlencoded::from_str(q).ok())
                .unwrap_or_default();
            let typed = Mailing {
                on: Some(fields.get("on")),
                tracking: fields.get("tracking"),
                ticked,
            };
            let mut page = list_page(req, kind, &query, messages_of(&e), typed).await?;
            page.set_status(status_of(&e));
            page
        }
    })
}

#[handler]
pub(crate) async fn certificates_mailed(req: &Request, body: String) -> PageResult {
    mark_mailed(req, DocumentKind::Certificate, &body).await
}

#[handler]
pub(crate) async fn cards_mailed(req: &Request, body: String) -> PageResult {
    mark_mailed(req, DocumentKind::Card, &body).await
}

/// The PDF as a response (`crate::documents::printed`: on a blocking thread, a
/// certificate after its audit entry); a certificate only for a POST ([`discloses`]).
async fn pdf(
    req: &Request,
    account: &Account,
    kind: DocumentKind,
    listings: Vec<DocumentListing>,
    file_name: String,
) -> Response {
    let state = state(req).clone();
    // Where a refusal leads back to: the list the PDF was asked from.
    let back = match (&account.role, kind) {
        (registry_core::access::Role::Institution(_), _) => ("/institution/documents", "返回证件"),
        (_, DocumentKind::Certificate) => ("/association/certificates", "返回资格证书"),
        (_, DocumentKind::Card) => ("/association/cards", "返回注册信息卡"),
    };
    let base = public_base(&state, req);
    match printed(&state, actor_of(account), base, kind, listings).await {
        Ok(bytes) => pdf_response(bytes, &file_name),
        Err(NotPrinted::Refused(e)) => message_page(
            layout(req),
            status_of(&e),
            "无法生成 PDF",
            &messages_of(&e).join("；"),
            Some(back),
        ),
        Err(NotPrinted::Failed) => message_page(
            layout(req),
            StatusCode::INTERNAL_SERVER_ERROR,
            "无法生成 PDF",
            "无法生成 PDF，请稍后重试；仍然失败的，请联系系统管理员（服务器日志记有原因）。",
            Some(back),
        ),
    }
}

/// Whether this request may disclose full ID numbers: only a POST does (a GET changes
/// nothing, and a certificate's printing writes an audit entry).
fn discloses(req: &Request) -> bool {
    req.method() == poem::http::Method::POST
}

/// The page a GET of a certificate's PDF gets: what printing discloses, and the button
/// that POSTs to the same address.
fn confirm_disclosure(req: &Request, what: &str) -> Response {
    let action = match req.uri().query() {
        Some(query) => format!("{}?{query}", req.uri().path()),
        None => req.uri().path().to_owned(),
    };
    html(
        StatusCode::OK,
        &ConfirmDisclosure {
            layout: layout(req),
            title: "打印证书".to_owned(),
            message: format!(
                "{what}上印有持证人完整的身份证号码。打印将记入审计日志（何人、何时、打印了哪些人员的证书）。"
            ),
            action,
            button: "确认打印（PDF）".to_owned(),
            back: (
                "/association/certificates".to_owned(),
                "返回资格证书".to_owned(),
            ),
        },
    )
}

fn not_printable(req: &Request, message: &str) -> Response {
    message_page(
        layout(req),
        StatusCode::UNPROCESSABLE_ENTITY,
        "不能打印",
        message,
        Some(("/association/certificates", "返回资格证书")),
    )
}

#[handler]
pub(crate) async fn document_pdf(req: &Request, Path(id): Path<i64>) -> PageResult {
    let account = association_account(req)?;
    let state = state(req);
    let listings = match state
        .store
        .documents(&DocumentFilter {
            ids: Some(vec![DocumentId::new(id)]),
            limit: 1,
            ..DocumentFilter::default()
        })
        .await
    {
        Ok(l) => l,
        Err(e) => return Err(e.into()),
    };
    let Some(listing) = listings.into_iter().next() else {
        return Ok(message_page(
            layout(req),
            StatusCode::NOT_FOUND,
            "未找到",
            "未找到该证件。",
            Some(("/association", "返回工作台")),
        ));
    };
    // Never a fresh print of an edition that verification calls void or expired.
    if let Some(reason) = blocked(&listing, state.today()) {
        return Ok(not_printable(req, &reason));
    }
    let kind = listing.document.details.kind;
    if kind == DocumentKind::Certificate && !discloses(req) {
        let what = format!(
            "证书 {}（{}）",
            listing.document.serial(),
            listing.person.name.as_str()
        );
        return Ok(confirm_disclosure(req, &what));
    }
    let name = format!("{}.pdf", listing.document.serial());
    Ok(pdf(req, &account, kind, vec![listing], name).await)
}

#[handler]
pub(crate) async fn certificates_pdf(req: &Request, Query(query): Query<ListQuery>) -> PageResult {
    let account = association_account(req)?;
    let Ok(day) = parse_date(&query.pass_list) else {
        return Ok(not_printable(req, "请先选择合格名单。"));
    };
    let listings = match state(req)
        .store
        .documents(&DocumentFilter {
            kind: Some(DocumentKind::Certificate),
            pending_only: true,
            pass_list: Some(day),
            limit: LIST_LIMIT,
            ..DocumentFilter::default()
        })
        .await
    {
        Ok(l) => l,
        Err(e) => return Err(e.into()),
    };
    // Certificates that cannot go out (yet) stay in the list, with the reason shown there.
    let today = state(req).today();
    let ready: Vec<DocumentListing> = listings
        .into_iter()
        .filter(|l| blocked(l, today).is_none())
        .collect();
    if ready.is_empty() {
        return Ok(not_printable(
            req,
            "该名单没有可以发放的证书（均已寄出、已过有效期，或本人通讯地址不完整）。",
        ));
    }
    if !discloses(req) {
        let what = format!(
            "合格名单 {} 待发放的 {} 份证书",
            format_date(day),
            ready.len()
        );
        return Ok(confirm_disclosure(req, &what));
    }
    let name = format!("certificates-{}.pdf", format_date(day));
    Ok(pdf(req, &account, DocumentKind::Certificate, ready, name).await)
}

#[handler]
pub(crate) async fn cards_pdf(req: &Request, Query(query): Query<ListQuery>) -> PageResult {
    let account = association_account(req)?;
    let Ok(id) = query.institution.trim().parse::<i64>() else {
        return Ok(not_printable(req, "请先选择机构。"));
    };
    let listings = match state(req)
        .store
        .documents(&DocumentFilter {
            kind: Some(DocumentKind::Card),
            pending_only: true,
            institution: Some(InstitutionId::new(id)),
            limit: LIST_LIMIT,
            ..DocumentFilter::default()
        })
        .await
    {
        Ok(l) => l,
        Err(e) => return Err(e.into()),
    };
    // Cards whose validity has ended stay in the list, with the reason shown there.
    let today = state(req).today();
    let listings: Vec<DocumentListing> = listings
        .into_iter()
        .filter(|l| blocked(l, today).is_none())
        .collect();
    if listings.is_empty() {
        return Ok(not_printable(
            req,
            "该机构没有可以发放的注册信息卡（均已寄出，或已过有效期）。",
        ));
    }
    Ok(pdf(
        req,
        &account,
        DocumentKind::Card,
        listings,
        format!("cards-{id}.pdf"),
    )
    .await)
}

#[handler]
pub(crate) async fn association_replace(req: &Request, Path(id): Path<i64>) -> PageResult {
    let account = association_account(req)?;
    let outcome = state(req)
        .run(
            actor_of(&account),
            &ReplaceDocument {
                document: DocumentId::new(id),
                institution: None,
            },
        )
        .await;
    Ok(match outcome {
        Ok(new) => {
            let kind = match state(req).store.begin_read().await {
                Ok(mut tx) => tx.document(new).await.ok().flatten(),
                Err(_) => None,
            }
            .map_or(DocumentKind::Certificate, |d| d.details.kind);
            let path = match kind {
                DocumentKind::Certificate => "/association/certificates",
                DocumentKind::Card => "/association/cards",
            };
            redirect(&format!("{path}?notice={}", Notice::Replaced.code()))
        }
        Err(e) => message_page(
            layout(req),
            status_of(&e),
            "不能挂失补发",
            &messages_of(&e).join("；"),
            Some(("/association/certificates", "返回资格证书")),
        ),
    })
}

/// The editions of one person, for the association's person file.
pub(crate) async fn person_documents(
    state: &AppState,
    person: registry_core::ids::PersonId,
) -> Result<Vec<DocumentRow>, StoreError> {
    let documents: Vec<Document> = state.store.begin_read().await?.documents_of(person).await?;
    if documents.is_empty() {
        return Ok(vec![]);
    }
    let listings = state
        .store
        .documents(&DocumentFilter {
            ids: Some(documents.iter().map(|d| d.id).collect()),
            limit: LIST_LIMIT,
            ..DocumentFilter::default()
        })
        .await?;
    let cycles = cycles(state).await?;
    let deadlines = state.deadlines();
    Ok(listings
        .iter()
        .map(|l| row(state, (&cycles, &deadlines), l, Audience::Association))
        .collect())
}
