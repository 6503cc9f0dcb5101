//! 证件核验, shared by the public page and the API: a document found by its QR token or its
//! typed code, checked by the core (`document::verify`: valid today or not, why, each item's
//! state), every lookup logged with its outcome and the client's address. Nothing sensitive
//! comes out: no ID number, phone or address.

use registry_core::document::{
    Document, Finding, ItemStatus, VerificationCode, VerificationToken, verify,
};
use registry_core::ports::{RegisterTx, StoreError};
use time::OffsetDateTime;

use crate::AppState;

/// How a document is looked up.
pub(crate) enum Lookup {
    /// The token of its QR code.
    Token(VerificationToken),
    /// The code printed on it.
    Code(VerificationCode),
}

/// A document as checked now.
pub(crate) struct Checked {
    pub(crate) document: Document,
    /// The person's name and registration number.
    pub(crate) name: String,
    pub(crate) number: Option<String>,
    /// The institution a card is of.
    pub(crate) institution: Option<String>,
    /// Why it is not valid today (none: valid).
    pub(crate) findings: Vec<Finding>,
    /// Each item it lists, with its state today.
    pub(crate) items: Vec<ItemStatus>,
    pub(crate) checked_at: OffsetDateTime,
}

/// Looks the document up (`lookup` none: a code that cannot be one), checks it as of today
/// and logs the lookup (`kind`: `code` or `token`) with its outcome; none when there is no
/// such document.
pub(crate) async fn check(
    state: &AppState,
    lookup: Option<Lookup>,
    kind: &str,
    client: &str,
) -> Result<Option<Checked>, StoreError> {
    let now = state.clock.now();
    let found = {
        let mut tx = state.store.begin_read().await?;
        let document = match &lookup {
            Some(Lookup::Token(t)) => tx.document_by_token(t).await?,
            Some(Lookup::Code(c)) => tx.document_by_code(c).await?,
            None => None,
        };
        match document {
            Some(document) => {
                let person = tx.person(document.details.person).await?;
                let holdings = tx.holdings_of(document.details.person).await?;
                let qualifications = tx.qualifications(document.details.person).await?;
                let institution = match document.details.institution {
                    Some(id) => tx
                        .institution(id)
                        .await?
                        .map(|i| i.details.name.as_str().to_owned()),
                    None => None,
                };
                person.map(|p| (document, p, holdings, qualifications, institution))
            }
            None => None,
        }
    };
    let Some((document, person, holdings, qualifications, institution)) = found else {
        state
            .store
            .log_verification(now, None, kind, "unknown", client)
            .await?;
        return Ok(None);
    };
    let (findings, items) = verify(&document, &holdings, &qualifications, state.today());
    let outcome = findings.first().map_or("valid", |f| f.code());
    state
        .store
        .log_verification(now, Some(document.id), kind, outcome, client)
        .await?;
    Ok(Some(Checked {
        document,
        name: person.name.as_str().to_owned(),
        number: person.registration_number.map(|n| n.to_string()),
        institution,
        findings,
        items,
        checked_at: now,
    }))
}
