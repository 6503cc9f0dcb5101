//! From the register's editions to printable sheets, and PDFs as responses. The layout is
//! `registry-documents`'; what is printed (and the verification address in the QR code)
//! is decided here.

use poem::http::{StatusCode, header};
use poem::{Request, Response};
use registry_core::date::format_date;
use registry_core::document::{Document, DocumentKind, print_refusal};
use registry_documents::{CardSheet, CertificateSheet};
use registry_store::documents::DocumentListing;
use time::Date;

use crate::{ASSOCIATION_NAME, AppState};

/// The site's address as the public reaches it: the configured public address, else the
/// scheme and host of this request.
pub(crate) fn public_base(state: &AppState, req: &Request) -> String {
    if let Some(url) = &state.config.public_url {
        return url.clone();
    }
    let scheme = if state.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    let host = req
        .header(header::HOST)
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}

/// The verification address of an edition.
pub(crate) fn verify_url(base: &str, document: &Document) -> String {
    format!("{base}/verify/{}", document.details.token.as_str())
}

/// Why an edition cannot be printed or issued on `today`, if it cannot: the core's print
/// refusal (void, or its validity ended), then, for a certificate, the person's mailing
/// address (it goes by post to the person).
pub(crate) fn blocked(listing: &DocumentListing, today: Date) -> Option<String> {
    if let Some(refusal) = print_refusal(&listing.document, today) {
        return Some(refusal.describe());
    }
    let details = &listing.person.details;
    let complete = details.mailing_address().is_some() && details.postcode().is_some();
    (listing.document.details.kind == DocumentKind::Certificate && !complete).then(|| {
        registry_core::violation::Violation::MailingAddressMissing {
            name: listing.person.name.as_str().to_owned(),
        }
        .to_string()
    })
}

fn issued_on(state: &AppState, document: &Document) -> String {
    format_date(
        document
            .mailed
            .as_ref()
            .map_or_else(|| state.today(), |m| m.on),
    )
}

pub(crate) fn certificate_sheet(
    state: &AppState,
    base: &str,
    listing: &DocumentListing,
) -> CertificateSheet {
    let d = &listing.document;
    let p = &listing.person;
    CertificateSheet {
        issuer: ASSOCIATION_NAME.to_owned(),
        serial: d.serial(),
        name: p.name.as_str().to_owned(),
        sex: p.resident_id.sex().label().to_owned(),
        resident_id: p.resident_id.as_str().to_owned(),
        number: p
            .registration_number
            .map(|n| n.to_string())
            .unwrap_or_default(),
        items: d
            .details
            .items
            .iter()
            .map(|i| format!("{} {}", i.as_str(), state.catalogue.name_of(i)))
            .collect(),
        issued_on: issued_on(state, d),
        valid_until: d
            .details
            .valid_until
            .map_or_else(|| "—".to_owned(), format_date),
        verify_url: verify_url(base, d),
        verify_code: d.details.code.to_string(),
    }
}

pub(crate) fn card_sheet(state: &AppState, base: &str, listing: &DocumentListing) -> CardSheet {
    let d = &listing.document;
    let p = &listing.person;
    CardSheet {
        issuer: ASSOCIATION_NAME.to_owned(),
        serial: d.serial(),
        name: p.name.as_str().to_owned(),
        number: p
            .registration_number
            .map(|n| n.to_string())
            .unwrap_or_default(),
        institution: listing.institution_name.clone().unwrap_or_default(),
        items: d
            .details
            .items
            .iter()
            .map(|i| state.catalogue.name_of(i).to_owned())
            .collect(),
        valid_until: d
            .details
            .valid_until
            .map_or_else(|| "—".to_owned(), format_date),
        verify_url: verify_url(base, d),
        verify_code: d.details.code.to_string(),
    }
}

/// One PDF of the listings (all of one kind): certificates one to a page, cards ten to a
/// sheet.
pub(crate) fn render(
    state: &AppState,
    base: &str,
    kind: DocumentKind,
    listings: &[DocumentListing],
) -> Result<Vec<u8>, registry_documents::DocumentError> {
    match kind {
        DocumentKind::Certificate => registry_documents::certificates_pdf(
            &listings
                .iter()
                .map(|l| certificate_sheet(state, base, l))
                .collect::<Vec<_>>(),
        ),
        DocumentKind::Card => registry_documents::cards_pdf(
            &listings
                .iter()
                .map(|l| card_sheet(state, base, l))
                .collect::<Vec<_>>(),
        ),
    }
}

/// A PDF shown in the browser, named `file_name` when saved. Never cached: it holds
/// personal data.
pub(crate) fn pdf_response(bytes: Vec<u8>, file_name: &str) -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/pdf")
        .header(
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{file_name}\""),
        )
        .body(bytes)
}

/// Why no PDF was made.
#[derive(Debug)]
pub(crate) enum NotPrinted {
    /// The audit entry of a certificate's printing was refused or failed: nothing printed.
    Refused(registry_core::usecases::UseCaseError),
    /// Rendering failed (logged).
    Failed,
}

/// The PDF of `listings` (all of `kind`), for `actor`: a certificate shows the full ID
/// number, so its printing is written to the audit log first, or nothing is printed.
/// Rendered on a blocking thread: subsetting the font and laying out pages is CPU work.
pub(crate) async fn printed(
    state: &AppState,
    actor: registry_core::ports::Actor,
    base: String,
    kind: DocumentKind,
    listings: Vec<DocumentListing>,
) -> Result<Vec<u8>, NotPrinted> {
    if kind == DocumentKind::Certificate {
        state
            .run(
                actor,
                &registry_core::usecases::DiscloseForPrinting {
                    people: listings.iter().map(|l| l.person.id).collect(),
                    purpose: "print.certificate",
                },
            )
            .await
            .map_err(NotPrinted::Refused)?;
    }
    let state = state.clone();
    match tokio::task::spawn_blocking(move || render(&state, &base, kind, &listings)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => {
            tracing::error!(error = ?e, "a PDF could not be made");
            Err(NotPrinted::Failed)
        }
        Err(e) => {
            tracing::error!(error = ?e, "the PDF task failed");
            Err(NotPrinted::Failed)
        }
    }
}
