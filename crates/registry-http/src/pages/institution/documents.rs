//! 证书与注册信息卡 of an institution: its people's registration cards or certificates
//! (one list at a time, filtered by state, 20 a page), each row as the association's lists
//! show it (`pages::documents::row`), and 挂失补发.

use poem::web::{Path, Query};
use poem::{Request, handler};
use registry_core::document::DocumentKind;
use registry_core::ids::{DocumentId, InstitutionId};
use registry_core::usecases::ReplaceDocument;
use registry_store::documents::DocumentFilter;

use crate::auth::actor_of;
use crate::errors::{PageResult, html, messages_of, status_of};
use crate::pages::documents::{Audience, LIST_LIMIT, cycles, row, shown};
use crate::pages::{institution_account, layout, state};
use crate::templates::{DocumentRow, InstitutionDocuments, PageNumber, Pager};
use serde::Deserialize;

/// The page's choices: which documents, in which state, which page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DocumentsQuery {
    /// `cards` (the default) or `certificates`.
    #[serde(default)]
    kind: String,
    /// `pending`, `mailed`, `void`, or empty for every edition.
    #[serde(default)]
    show: String,
    page: Option<u64>,
}

/// The two lists: (code, heading).
const KINDS: [(&str, &str); 2] = [
    ("cards", "本机构人员的注册信息卡"),
    ("certificates", "本机构人员的资格证书"),
];

/// The states shown: (code, words).
const SHOWN: [(&str, &str); 4] = [
    ("", "全部"),
    ("pending", "待发放"),
    ("mailed", "已寄出"),
    ("void", "已作废"),
];

async fn institution_page(
    req: &Request,
    institution: InstitutionId,
    query: &DocumentsQuery,
    errors: Vec<String>,
    notice: Option<String>,
) -> PageResult {
    let state = state(req);
    let kind = if query.kind == "certificates" {
        "certificates"
    } else {
        "cards"
    };
    let show = SHOWN
        .iter()
        .map(|(code, _)| *code)
        .find(|code| *code == query.show)
        .unwrap_or("");
    let filter = if kind == "cards" {
        DocumentFilter {
            kind: Some(DocumentKind::Card),
            institution: Some(institution),
            limit: LIST_LIMIT,
            ..DocumentFilter::default()
        }
    } else {
        DocumentFilter {
            kind: Some(DocumentKind::Certificate),
            employed_by: Some(institution),
            limit: LIST_LIMIT,
            ..DocumentFilter::default()
        }
    };
    let (listings, cycles) = match (state.store.documents(&filter).await, cycles(state).await) {
        (Ok(l), Ok(c)) => (l, c),
        (Err(e), _) | (_, Err(e)) => return Err(e.into()),
    };
    let deadlines = state.deadlines();
    let basis = (&cycles, &*deadlines);
    let rows: Vec<DocumentRow> = listings
        .iter()
        .map(|l| row(state, basis, l, Audience::Institution))
        .filter(|r| shown(r, show))
        .collect();
    let pager = Pager::new(
        "/institution/documents",
        &[("kind", kind), ("show", show)],
        PageNumber::from_query(query.page),
        rows.len() as u64,
        "份",
    );
    let documents = pager.slice(rows);
    let status = crate::errors::status_of_form(&errors);
    Ok(html(
        status,
        &InstitutionDocuments {
            layout: layout(req),
            kinds: KINDS
                .iter()
                .map(|(code, heading)| {
                    (
                        *code == kind,
                        *heading,
                        format!("/institution/documents?kind={code}"),
                    )
                })
                .collect(),
            kind,
            show,
            shows: SHOWN.to_vec(),
            documents,
            pager,
            errors,
            notice,
        },
    ))
}

#[handler]
pub(crate) async fn institution_documents(
    req: &Request,
    Query(query): Query<DocumentsQuery>,
) -> PageResult {
    let (institution, _) = institution_account(req)?;
    institution_page(req, institution, &query, vec![], None).await
}

#[handler]
pub(crate) async fn institution_replace(req: &Request, Path(id): Path<i64>) -> PageResult {
    let (institution, account) = institution_account(req)?;
    let outcome = state(req)
        .run(
            actor_of(&account),
            &ReplaceDocument {
                document: DocumentId::new(id),
                institution: Some(institution),
            },
        )
        .await;
    Ok(match outcome {
        Ok(_) => {
            institution_page(
                req,
                institution,
                &DocumentsQuery::default(),
                vec![],
                Some("已挂失：原证件立即作废，促进会将补发新证件。".to_owned()),
            )
            .await?
        }
        Err(e) => {
            let mut page = institution_page(
                req,
                institution,
                &DocumentsQuery::default(),
                messages_of(&e),
                None,
            )
            .await?;
            page.set_status(status_of(&e));
            page
        }
    })
}
