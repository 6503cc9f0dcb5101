//! The public verification page (证件核验): a document's QR code or typed code says whether
//! the edition is valid today and why not, with the state of each item it lists; every
//! lookup is logged, and nothing sensitive is shown.

use poem::http::StatusCode;
use poem::web::{Path, Query};
use poem::{Request, handler};

use super::{layout, state};
use registry_core::date::format_date;
use registry_core::document::{VerificationCode, VerificationToken};
use serde::Deserialize;

use crate::client::client_address;
use crate::errors::{PageResult, html};
use crate::templates::{VerifyPage, VerifyResult};
use crate::verification::{Lookup, check};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct VerifyQuery {
    #[serde(default)]
    code: String,
}

async fn verification(
    req: &Request,
    lookup: Option<Lookup>,
    kind: &str,
    typed: String,
) -> PageResult {
    if let Err(response) = super::public::rate_limit(req) {
        return Ok(response);
    }
    let state = state(req);
    let client = client_address(req, state.config.trusted_proxy);
    let Some(checked) = check(state, lookup, kind, &client).await? else {
        return Ok(html(
            StatusCode::NOT_FOUND,
            &VerifyPage {
                layout: layout(req),
                code: typed,
                error: Some(
                    "未找到该证件。请核对核验码（10位字母和数字）；仍未找到的，该证件不是本系统签发的。"
                        .to_owned(),
                ),
                result: None,
            },
        ));
    };
    let document = &checked.document;
    let result = VerifyResult {
        valid: checked.findings.is_empty(),
        findings: checked
            .findings
            .iter()
            .map(|f| f.describe(&state.catalogue))
            .collect(),
        kind: document.details.kind.label(),
        serial: document.serial(),
        name: checked.name.clone(),
        number: checked.number.clone().unwrap_or_default(),
        institution: checked.institution.clone(),
        valid_until: document
            .details
            .valid_until
            .map_or_else(|| "—".to_owned(), format_date),
        checked_at: checked
            .checked_at
            .to_offset(registry_core::date::CHINA_STANDARD_TIME)
            .format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]"
            ))
            .unwrap_or_default(),
        items: checked
            .items
            .iter()
            .map(|i| {
                (
                    state.catalogue.name_of(&i.item).to_owned(),
                    i.valid,
                    i.valid_until.map(format_date).unwrap_or_default(),
                )
            })
            .collect(),
    };
    Ok(html(
        StatusCode::OK,
        &VerifyPage {
            layout: layout(req),
            code: typed,
            error: None,
            result: Some(result),
        },
    ))
}

#[handler]
pub(crate) async fn verify_form(req: &Request, Query(query): Query<VerifyQuery>) -> PageResult {
    let typed = query.code.trim().to_owned();
    if typed.is_empty() {
        return Ok(html(
            StatusCode::OK,
            &VerifyPage {
                layout: layout(req),
                code: String::new(),
                error: None,
                result: None,
            },
        ));
    }
    let lookup = VerificationCode::parse(&typed).map(Lookup::Code);
    verification(req, lookup, "code", typed.chars().take(20).collect()).await
}

#[handler]
pub(crate) async fn verify_token(req: &Request, Path(token): Path<String>) -> PageResult {
    let lookup = VerificationToken::parse(&token).map(Lookup::Token);
    verification(req, lookup, "token", String::new()).await
}
