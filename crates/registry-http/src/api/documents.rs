//! Certificates and registration cards through the API: the association's lists with
//! their due dates (an estimate said so), an edition's PDF, marking editions mailed, and a
//! lost document
//! replaced (挂失补发) by the association or by the institution it concerns. The pages
//! 资格证书, 注册信息卡 and 证书与注册信息卡 do the same, refused by the same rules.

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Attachment, AttachmentType, Json};
use poem_openapi::{Enum, Object, OpenApi};
use registry_core::api_token::Scope;
use registry_core::date::format_date;
use registry_core::document::DocumentKind;
use registry_core::ids::{DocumentId, InstitutionId};
use registry_core::ports::RegisterTx;
use registry_core::usecases::{MarkMailed, ReplaceDocument};
use registry_store::documents::DocumentFilter;

use super::{ApiError, ApiResult, Tag, association, error_body, institution, state};
use crate::documents::{NotPrinted, blocked, printed, public_base};

/// The most editions one request lists or marks.
const MOST: u64 = 500;

/// A certificate or a card edition.
#[derive(Object, Debug)]
struct DocumentOut {
    id: i64,
    /// The printed serial number (ZS…, KP…).
    serial: String,
    /// `certificate` or `card`.
    kind: String,
    person_id: i64,
    name: String,
    /// A card's institution.
    institution: Option<String>,
    /// The review items it lists (codes).
    items: Vec<String>,
    /// YYYY-MM-DD, the day it was made.
    created_on: String,
    /// 待发放, 已寄出 or 已作废.
    state: String,
    /// YYYY-MM-DD, the last day to issue it.
    due_on: Option<String>,
    /// The due date runs into a year whose calendar is not loaded: an estimate.
    due_estimated: bool,
    /// Pending past its due date.
    overdue: bool,
    /// YYYY-MM-DD, when it was mailed.
    mailed_on: Option<String>,
}

/// Which sheets to print.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct SheetIn {
    kind: DocumentKindIn,
    /// For certificates: the pass list, by the day it was published.
    pass_list: Option<time::Date>,
    /// For cards: the institution.
    institution: Option<i64>,
}

/// The most editions in one PDF (the pages' lists hold as many).
const SHEET_MOST: u64 = 1000;

/// Which documents: `certificate` (证书) or `card` (注册卡).
#[derive(Enum, Debug, Clone, Copy)]
#[oai(rename_all = "snake_case")]
enum DocumentKindIn {
    /// 鉴定评审人员证书
    Certificate,
    /// 注册卡
    Card,
}

/// Editions mailed in one parcel or on one day.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct MailedIn {
    /// The editions (ids), at least one, at most 500.
    #[oai(validator(max_items = 500))]
    documents: Vec<i64>,
    /// 寄出日期, YYYY-MM-DD, not after today.
    on: time::Date,
    /// 快递单号
    #[oai(validator(max_length = 40))]
    tracking: String,
}

/// How many editions were marked.
#[derive(Object, Debug)]
struct MailedOut {
    marked: u64,
}

/// The new edition that replaces a lost one.
#[derive(Object, Debug)]
struct ReplacedOut {
    /// The new edition, waiting to be issued.
    id: i64,
    serial: String,
}

/// The operations of certificates and cards (tags 促进会, 鉴定评审机构).
#[derive(Default)]
pub(crate) struct DocumentsApi;

#[OpenApi]
impl DocumentsApi {
    /// 资格证书 / 注册信息卡: the editions of a kind (`certificate` or `card`), the
    /// pending ones only unless `all`, at most `limit` (100 by default, 500 at most):
    /// pending ones oldest first, the rest newest first.
    #[oai(
        path = "/association/documents",
        method = "get",
        tag = "Tag::Association"
    )]
    async fn documents(
        &self,
        req: &Request,
        kind: Query<DocumentKindIn>,
        all: Query<Option<bool>>,
        limit: Query<Option<u64>>,
    ) -> ApiResult<Json<Vec<DocumentOut>>> {
        association(req)?;
        let state = state(req)?;
        let kind = match kind.0 {
            DocumentKindIn::Certificate => DocumentKind::Certificate,
            DocumentKindIn::Card => DocumentKind::Card,
        };
        let listings = state
            .store
            .documents(&DocumentFilter {
                kind: Some(kind),
                pending_only: !all.0.unwrap_or(false),
                limit: limit.0.unwrap_or(100).clamp(1, MOST),
                ..DocumentFilter::default()
            })
            .await?;
        Ok(Json(document_rows(state, listings).await?))
    }

    /// 证件 of the institution: the registration cards of its registrations, or the
    /// certificates of the people it employs (`kind`); the pending ones only unless `all`,
    /// at most `limit` (100 by default, 500 at most).
    #[oai(
        path = "/institution/documents",
        method = "get",
        tag = "Tag::Institution"
    )]
    async fn institution_documents(
        &self,
        req: &Request,
        kind: Query<DocumentKindIn>,
        all: Query<Option<bool>>,
        limit: Query<Option<u64>>,
    ) -> ApiResult<Json<Vec<DocumentOut>>> {
        let (institution, _) = institution(req, Scope::InstitutionRead)?;
        let state = state(req)?;
        let filter = DocumentFilter {
            pending_only: !all.0.unwrap_or(false),
            limit: limit.0.unwrap_or(100).clamp(1, MOST),
            ..match kind.0 {
                DocumentKindIn::Card => DocumentFilter {
                    kind: Some(DocumentKind::Card),
                    institution: Some(institution),
                    ..DocumentFilter::default()
                },
                DocumentKindIn::Certificate => DocumentFilter {
                    kind: Some(DocumentKind::Certificate),
                    employed_by: Some(institution),
                    ..DocumentFilter::default()
                },
            }
        };
        let listings = state.store.documents(&filter).await?;
        Ok(Json(document_rows(state, listings).await?))
    }

    /// 打印: one PDF of the editions waiting to be issued — the certificates of a pass
    /// list (`kind: certificate` with `pass_list`, the day it was published) or the cards
    /// of an institution (`kind: card` with `institution`), as the pages' 打印 buttons.
    /// Editions that cannot go out (expired, void, an address missing) are left out; none
    /// left: 422 `document.not_printable`. A POST: the certificates carry full ID numbers,
    /// and printing is audited.
    #[oai(
        path = "/association/documents/sheets",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn sheets(&self, req: &Request, body: Json<SheetIn>) -> ApiResult<Attachment<Vec<u8>>> {
        let actor = association(req)?;
        let state = state(req)?;
        let (filter, kind, name) = match (body.kind, body.pass_list, body.institution) {
            (DocumentKindIn::Certificate, _, Some(_)) | (DocumentKindIn::Card, Some(_), _) => {
                return Err(ApiError::Unprocessable(error_body(
                    "document.sheet_mismatch",
                    "证书按合格名单（pass_list）打印，注册信息卡按机构（institution）打印：请只提供对应的一项",
                )));
            }
            (DocumentKindIn::Certificate, Some(day), None) => (
                DocumentFilter {
                    kind: Some(DocumentKind::Certificate),
                    pass_list: Some(day),
                    ..DocumentFilter::default()
                },
                DocumentKind::Certificate,
                format!("certificates-{}.pdf", format_date(day)),
            ),
            (DocumentKindIn::Card, None, Some(id)) => (
                DocumentFilter {
                    kind: Some(DocumentKind::Card),
                    institution: Some(InstitutionId::new(id)),
                    ..DocumentFilter::default()
                },
                DocumentKind::Card,
                format!("cards-{id}.pdf"),
            ),
            (DocumentKindIn::Certificate, None, _) => {
                return Err(ApiError::Unprocessable(error_body(
                    "document.pass_list_required",
                    "请指定合格名单（pass_list：名单公布日期）",
                )));
            }
            (DocumentKindIn::Card, _, None) => {
                return Err(ApiError::Unprocessable(error_body(
                    "document.institution_required",
                    "请指定机构（institution）",
                )));
            }
        };
        let today = state.today();
        let ready: Vec<_> = state
            .store
            .documents(&DocumentFilter {
                pending_only: true,
                limit: SHEET_MOST,
                ..filter
            })
            .await?
            .into_iter()
            .filter(|l| blocked(l, today).is_none())
            .collect();
        if ready.is_empty() {
            return Err(ApiError::Unprocessable(error_body(
                "document.not_printable",
                match kind {
                    DocumentKind::Certificate => {
                        "该名单没有可以发放的证书（均已寄出、已过有效期，或本人通讯地址不完整）"
                    }
                    DocumentKind::Card => {
                        "该机构没有可以发放的注册信息卡（均已寄出，或已过有效期）"
                    }
                },
            )));
        }
        let base = public_base(state, req);
        match printed(state, actor, base, kind, ready).await {
            Ok(bytes) => Ok(Attachment::new(bytes)
                .attachment_type(AttachmentType::Attachment)
                .filename(name)),
            Err(NotPrinted::Refused(e)) => Err(e.into()),
            Err(NotPrinted::Failed) => Err(ApiError::Internal(error_body(
                "internal",
                "无法生成 PDF，请稍后重试",
            ))),
        }
    }

    /// Marks editions mailed on a day with a tracking number (audited); every problem
    /// with every edition at once (422), and then nothing is marked.
    #[oai(
        path = "/association/documents/mailed",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn mailed(&self, req: &Request, body: Json<MailedIn>) -> ApiResult<Json<MailedOut>> {
        let actor = association(req)?;
        let state = state(req)?;
        let marked = state
            .run(
                actor,
                &MarkMailed {
                    documents: body
                        .documents
                        .iter()
                        .copied()
                        .map(DocumentId::new)
                        .collect(),
                    on: format_date(body.on),
                    tracking: body.tracking.clone(),
                },
            )
            .await?;
        Ok(Json(MailedOut {
            marked: marked as u64,
        }))
    }

    /// The PDF of one edition (a POST: a certificate shows the full ID number, so its
    /// printing is audited first). Refused (422 `document.not_printable`, with why) for an
    /// edition void or past its validity, or a certificate whose holder's mailing address
    /// is incomplete.
    #[oai(
        path = "/association/documents/:id/pdf",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn pdf(&self, req: &Request, id: Path<i64>) -> ApiResult<Attachment<Vec<u8>>> {
        let actor = association(req)?;
        let state = state(req)?;
        let listing = state
            .store
            .documents(&DocumentFilter {
                ids: Some(vec![DocumentId::new(id.0)]),
                limit: 1,
                ..DocumentFilter::default()
            })
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::NotFound(error_body("not_found.document", "未找到该证件")))?;
        if let Some(reason) = blocked(&listing, state.today()) {
            return Err(ApiError::Unprocessable(error_body(
                "document.not_printable",
                reason,
            )));
        }
        let kind = listing.document.details.kind;
        let name = format!("{}.pdf", listing.document.serial());
        let base = public_base(state, req);
        match printed(state, actor, base, kind, vec![listing]).await {
            Ok(bytes) => Ok(Attachment::new(bytes)
                .attachment_type(AttachmentType::Inline)
                .filename(name)),
            Err(NotPrinted::Refused(e)) => Err(e.into()),
            Err(NotPrinted::Failed) => Err(ApiError::Internal(error_body(
                "internal",
                "无法生成 PDF，请稍后重试",
            ))),
        }
    }

    /// 挂失补发 by the association: the lost edition is void at once (it stops
    /// verifying) and a new one with new keys waits to be issued (audited).
    #[oai(
        path = "/association/documents/:id/replacement",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn replace(&self, req: &Request, id: Path<i64>) -> ApiResult<Json<ReplacedOut>> {
        let actor = association(req)?;
        replaced(state(req)?, actor, id.0, None).await
    }

    /// 挂失补发 by an institution: its own card, or the certificate of a person it
    /// employs; any other edition is not found (404).
    #[oai(
        path = "/institution/documents/:id/replacement",
        method = "post",
        tag = "Tag::Institution"
    )]
    async fn institution_replace(
        &self,
        req: &Request,
        id: Path<i64>,
    ) -> ApiResult<Json<ReplacedOut>> {
        let (institution, actor) = institution(req, Scope::InstitutionWrite)?;
        replaced(state(req)?, actor, id.0, Some(institution)).await
    }
}

/// 挂失补发 of edition `id` (by an institution when given), answered as the new
/// edition: its id and printed serial.
async fn replaced(
    state: &crate::AppState,
    actor: registry_core::ports::Actor,
    id: i64,
    institution: Option<InstitutionId>,
) -> ApiResult<Json<ReplacedOut>> {
    let new = state
        .run(
            actor,
            &ReplaceDocument {
                document: DocumentId::new(id),
                institution,
            },
        )
        .await?;
    let mut read = state.store.begin_read().await?;
    let serial = read
        .document(new)
        .await?
        .map(|d| d.serial())
        .unwrap_or_default();
    Ok(Json(ReplacedOut {
        id: new.get(),
        serial,
    }))
}

/// The editions as answered, with their due dates on the working-day calendar.
async fn document_rows(
    state: &crate::AppState,
    listings: Vec<registry_store::documents::DocumentListing>,
) -> ApiResult<Vec<DocumentOut>> {
    let cycles = {
        let mut read = state.store.begin_read().await?;
        read.cycles().await?
    };
    let deadlines = state.deadlines();
    let today = state.today();
    Ok(listings
        .into_iter()
        .map(|l| {
            let d = &l.document;
            let due = d.due_on(&deadlines, &cycles);
            DocumentOut {
                id: d.id.get(),
                serial: d.serial(),
                kind: match d.details.kind {
                    DocumentKind::Certificate => "certificate",
                    DocumentKind::Card => "card",
                }
                .to_owned(),
                person_id: d.details.person.get(),
                name: l.person.name.as_str().to_owned(),
                institution: l.institution_name,
                items: d
                    .details
                    .items
                    .iter()
                    .map(|i| i.as_str().to_owned())
                    .collect(),
                created_on: format_date(d.details.created_on),
                state: d.state_label().to_owned(),
                due_on: due.as_ref().map(|due| format_date(due.date())),
                due_estimated: due.as_ref().is_some_and(|due| due.is_estimated()),
                overdue: d.is_overdue(due.as_ref(), today),
                mailed_on: d.mailed.as_ref().map(|m| format_date(m.on)),
            }
        })
        .collect())
}
