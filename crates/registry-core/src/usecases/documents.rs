//! The use cases of certificates and cards: new editions when what a document must show
//! changes, marking editions as mailed, and replacing a lost one. The rules of editions are
//! in [`crate::document`].

use time::Date;

use super::{Context, UseCaseError, existing_person, reject_if_any};
use crate::cycle::Cycles;
use crate::date::{format_date, parse_date};
use crate::document::{
    CODE_BYTES, Document, DocumentKind, Mailing, NewDocument, PrintRefusal, TOKEN_BYTES,
    VerificationCode, VerificationToken, VoidReason, Voiding, card_contents, print_refusal,
};
use crate::ids::{DocumentId, InstitutionId, PersonId};
use crate::ports::{Entity, RegisterTx, Snapshot};
use crate::read::record::PersonRecord;
use crate::registration::Reference;
use crate::renewal::renewal_plan;
use crate::review_item::ReviewItemCode;
use crate::text::{Text, TextProblem};
use crate::violation::Violation;

fn keys(ctx: &Context<'_>) -> (VerificationToken, VerificationCode) {
    let mut token = [0u8; TOKEN_BYTES];
    let mut code = [0u8; CODE_BYTES];
    ctx.entropy.fill(&mut token);
    ctx.entropy.fill(&mut code);
    (
        VerificationToken::from_entropy(token),
        VerificationCode::from_entropy(code),
    )
}

fn snapshot(d: &Document) -> Snapshot {
    Snapshot::default()
        .with("serial", d.serial())
        .with("kind", d.details.kind.code())
        .with(
            "institution",
            d.details
                .institution
                .map(|i| i.to_string())
                .unwrap_or_default(),
        )
        .with(
            "items",
            d.details
                .items
                .iter()
                .map(|i| i.as_str())
                .collect::<Vec<_>>()
                .join(","),
        )
        .with(
            "valid_until",
            d.details.valid_until.map(format_date).unwrap_or_default(),
        )
        .with("state", d.state_label())
        .with(
            "mailed",
            d.mailed
                .as_ref()
                .map(|m| format!("{} {}", format_date(m.on), m.tracking))
                .unwrap_or_default(),
        )
        .with(
            "void",
            d.voided.map(|v| v.reason.code()).unwrap_or_default(),
        )
}

async fn void<T: RegisterTx>(
    ctx: &Context<'_>,
    tx: &mut T,
    mut document: Document,
    reason: VoidReason,
) -> Result<(), UseCaseError> {
    let before = snapshot(&document);
    document.voided = Some(Voiding {
        on: ctx.today(),
        reason,
    });
    tx.update_document(&document).await?;
    tx.audit(&ctx.audit(
        "document.void",
        Entity::Document,
        document.id.get(),
        Some(document.details.person),
        Some(before),
        Some(snapshot(&document)),
    ))
    .await?;
    Ok(())
}

/// Adds an edition after voiding the pending editions of its series it overtakes.
async fn add_edition<T: RegisterTx>(
    ctx: &Context<'_>,
    tx: &mut T,
    series: &[Document],
    details: NewDocument,
) -> Result<DocumentId, UseCaseError> {
    for pending in series.iter().filter(|d| d.is_pending()) {
        void(ctx, tx, pending.clone(), VoidReason::Superseded).await?;
    }
    let id = tx.insert_document(&details).await?;
    let document = Document {
        id,
        details,
        mailed: None,
        voided: None,
        version: 0,
    };
    tx.audit(&ctx.audit(
        "document.create",
        Entity::Document,
        id.get(),
        Some(document.details.person),
        None,
        Some(snapshot(&document)),
    ))
    .await?;
    Ok(id)
}

fn series_of(
    documents: Vec<Document>,
    kind: DocumentKind,
    institution: Option<InstitutionId>,
) -> Vec<Document> {
    documents
        .into_iter()
        .filter(|d| {
            d.details.kind == kind && d.details.institution == institution && d.voided.is_none()
        })
        .collect()
}

/// After a pass list: a new certificate edition if what it must list changed, due the
/// policy's working days after `published_on`. It lists the items of the edition in force
/// on that day (an item left off at 换证 stays off) and every item qualified within the
/// pass list's cycle, and runs to the later of that edition's end and the cycle's. The
/// person gets their registration number now (printed on the certificate; kept for life).
pub(super) async fn refresh_certificate<T: RegisterTx>(
    ctx: &Context<'_>,
    tx: &mut T,
    person: PersonId,
    published_on: Date,
) -> Result<Option<DocumentId>, UseCaseError> {
    let qualifications = tx.qualifications(person).await?;
    let cycles = tx.cycles().await?;
    let documents = tx.documents_of(person).await?;
    let cycle = cycles.at(published_on);
    let base = crate::renewal::certificates(&documents)
        .filter(|d| crate::renewal::in_force(d, published_on, &cycles))
        .max_by_key(|d| d.id);
    let qualified_now = qualifications
        .iter()
        .filter(|q| cycle.is_none_or(|c| q.published_on >= c.start()))
        .map(|q| q.item.clone());
    let items = crate::document::in_catalogue_order(
        ctx.catalogue,
        base.iter()
            .flat_map(|d| d.details.items.iter().cloned())
            .chain(qualified_now),
    );
    if items.is_empty() {
        return Ok(None);
    }
    let series = series_of(documents.clone(), DocumentKind::Certificate, None);
    if series
        .iter()
        .max_by_key(|d| d.id)
        .is_some_and(|latest| latest.details.items == items)
    {
        return Ok(None);
    }
    tx.assign_registration_number(person, number_year(ctx))
        .await?;
    let mut details = certificate_edition(ctx, &cycles, person, items, published_on);
    let base_end = base.and_then(|d| d.details.valid_until);
    if base_end > details.valid_until {
        details.valid_until = base_end;
    }
    add_edition(ctx, tx, &series, details).await.map(Some)
}

/// The year of the registration numbers given today (the year the first certificate is
/// made).
pub fn number_year(ctx: &Context<'_>) -> u16 {
    u16::try_from(ctx.today().year()).unwrap_or(2000)
}

/// A certificate edition listing `items` (in catalogue order), made today after the pass
/// list published on `published_on`, valid to the end of that list's cycle, with fresh
/// verification keys. Bulk imports use it for people new to the register.
pub fn certificate_edition(
    ctx: &Context<'_>,
    cycles: &Cycles,
    person: PersonId,
    items: Vec<ReviewItemCode>,
    published_on: Date,
) -> NewDocument {
    let (token, code) = keys(ctx);
    NewDocument {
        kind: DocumentKind::Certificate,
        person,
        institution: None,
        items: crate::document::in_catalogue_order(ctx.catalogue, items.into_iter()),
        token,
        code,
        created_on: ctx.today(),
        pass_list: Some(published_on),
        valid_until: cycles.at(published_on).map(|c| c.end()),
        replaces: None,
    }
}

/// After a registration or a release at `institution`: a new card edition if what the
/// card must show changed (items or validity); if nothing is registered there any more,
/// a pending card is withdrawn.
pub(super) async fn refresh_card<T: RegisterTx>(
    ctx: &Context<'_>,
    tx: &mut T,
    person: PersonId,
    institution: InstitutionId,
) -> Result<Option<DocumentId>, UseCaseError> {
    let today = ctx.today();
    let holdings = tx.holdings_of(person).await?;
    let (items, valid_until) = card_contents(ctx.catalogue, &holdings, institution, today);
    let series = series_of(
        tx.documents_of(person).await?,
        DocumentKind::Card,
        Some(institution),
    );
    if items.is_empty() {
        for pending in series.into_iter().filter(Document::is_pending) {
            void(ctx, tx, pending, VoidReason::Withdrawn).await?;
        }
        return Ok(None);
    }
    if series.iter().max_by_key(|d| d.id).is_some_and(|latest| {
        latest.details.items == items && latest.details.valid_until == valid_until
    }) {
        return Ok(None);
    }
    let (token, code) = keys(ctx);
    let details = NewDocument {
        kind: DocumentKind::Card,
        person,
        institution: Some(institution),
        items,
        token,
        code,
        created_on: today,
        pass_list: None,
        valid_until,
        replaces: None,
    };
    add_edition(ctx, tx, &series, details).await.map(Some)
}

/// Marks pending editions as mailed on a day with a tracking number (one parcel may hold
/// several cards of an institution). A certificate goes to the person, so it cannot be
/// marked mailed while their mailing address is incomplete. Mailing an edition voids the
/// earlier issued editions of its series. Every problem with every document is reported
/// together, and then nothing is marked.
#[derive(Debug, Clone)]
pub struct MarkMailed {
    /// The editions.
    pub documents: Vec<DocumentId>,
    /// 寄出日期, `YYYY-MM-DD`.
    pub on: String,
    /// 快递单号
    pub tracking: String,
}

impl super::UseCase for MarkMailed {
    type Output = usize;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<usize, UseCaseError> {
        let today = ctx.today();
        let mut problems = Vec::new();
        if self.documents.is_empty() {
            problems.push(Violation::NoDocuments);
        }
        let on = match parse_date(&self.on) {
            Ok(on) if on > today => {
                problems.push(Violation::MailedInFuture(format_date(on)));
                None
            }
            Ok(on) => Some(on),
            Err(_) if self.on.trim().is_empty() => {
                problems.push(Violation::Missing {
                    field: "on",
                    label: "寄出日期",
                });
                None
            }
            Err(e) => {
                problems.push(Violation::Date(e));
                None
            }
        };
        let tracking = match Text::parse(&self.tracking, 40) {
            Ok(t) => Some(t),
            Err(TextProblem::Empty) => {
                problems.push(Violation::Missing {
                    field: "tracking",
                    label: "快递单号",
                });
                None
            }
            Err(TextProblem::TooLong { max }) => {
                problems.push(Violation::TooLong {
                    field: "tracking",
                    label: "快递单号",
                    max,
                });
                None
            }
            Err(TextProblem::ControlCharacter) => {
                problems.push(Violation::BadCharacter {
                    field: "tracking",
                    label: "快递单号",
                });
                None
            }
        };
        let mut ids = self.documents.clone();
        ids.sort();
        ids.dedup();
        let mut found = Vec::new();
        for id in ids {
            let document = tx
                .document(id)
                .await?
                .ok_or(UseCaseError::NotFound(Entity::Document))?;
            if !document.is_pending() {
                problems.push(Violation::DocumentNotPending {
                    serial: document.serial(),
                });
            } else if let Some(on) = on
                && on < document.details.created_on
            {
                problems.push(Violation::MailedBeforeCreated {
                    serial: document.serial(),
                    created: format_date(document.details.created_on),
                    mailed: format_date(on),
                });
            } else if let Some(on) = on
                && let Some(PrintRefusal::Expired(until)) = print_refusal(&document, on)
            {
                // Handing out a document already ended would give out one that verifies as
                // invalid (the lists neither print nor offer it).
                problems.push(Violation::DocumentEnded {
                    serial: document.serial(),
                    until: format_date(until),
                });
            }
            let person = existing_person(tx, document.details.person).await?;
            if document.details.kind == DocumentKind::Certificate
                && (person.details.mailing_address().is_none()
                    || person.details.postcode().is_none())
            {
                problems.push(Violation::MailingAddressMissing {
                    name: person.name.as_str().to_owned(),
                });
            }
            found.push(document);
        }
        reject_if_any(problems)?;
        let (Some(on), Some(tracking)) = (on, tracking) else {
            return Err(UseCaseError::Unexpected("validated above".into()));
        };
        let count = found.len();
        for mut document in found {
            let before = snapshot(&document);
            document.mailed = Some(Mailing {
                on,
                tracking: tracking.clone(),
            });
            document.version = tx.update_document(&document).await?;
            tx.audit(&ctx.audit(
                "document.mail",
                Entity::Document,
                document.id.get(),
                Some(document.details.person),
                Some(before),
                Some(snapshot(&document)),
            ))
            .await?;
            // The earlier issued editions it supersedes stop verifying (a certificate renewed
            // for the next cycle leaves the current one valid until it ends).
            let earlier: Vec<Document> = tx
                .documents_of(document.details.person)
                .await?
                .into_iter()
                .filter(|d| {
                    d.series() == document.series()
                        && d.id < document.id
                        && d.voided.is_none()
                        && d.mailed.is_some()
                        && d.is_superseded_by(&document)
                })
                .collect();
            for old in earlier {
                void(ctx, tx, old, VoidReason::Superseded).await?;
            }
        }
        Ok(count)
    }
}

/// Replaces a lost document (第十八条): the issued edition is void at once and stops
/// verifying; a new edition with the same contents and new keys waits to be issued, due
/// the policy's working days from today. An institution may report the card of its own
/// institution, or the certificate of a person it employs; the association any document.
#[derive(Debug, Clone)]
pub struct ReplaceDocument {
    /// The lost edition.
    pub document: DocumentId,
    /// The institution reporting it, from the session; `None` for the association.
    pub institution: Option<InstitutionId>,
}

impl super::UseCase for ReplaceDocument {
    type Output = DocumentId;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<DocumentId, UseCaseError> {
        let today = ctx.today();
        let lost = tx
            .document(self.document)
            .await?
            .ok_or(UseCaseError::NotFound(Entity::Document))?;
        existing_person(tx, lost.details.person).await?;
        if let Some(institution) = self.institution {
            let visible = match lost.details.kind {
                DocumentKind::Card => lost.details.institution == Some(institution),
                DocumentKind::Certificate => crate::read::employment::employs(
                    &tx.holdings_of(lost.details.person).await?,
                    institution,
                ),
            };
            if !visible {
                return Err(UseCaseError::NotFound(Entity::Document));
            }
        }
        if lost.voided.is_some() || lost.mailed.is_none() {
            return Err(Violation::DocumentNotIssued {
                serial: lost.serial(),
            }
            .into());
        }
        let series = series_of(
            tx.documents_of(lost.details.person).await?,
            lost.details.kind,
            lost.details.institution,
        );
        void(ctx, tx, lost.clone(), VoidReason::Lost).await?;
        // A newer edition already waiting to be issued replaces it.
        if let Some(pending) = series.iter().find(|d| d.is_pending()) {
            return Ok(pending.id);
        }
        let (token, code) = keys(ctx);
        let details = NewDocument {
            token,
            code,
            created_on: today,
            replaces: Some(lost.id),
            ..lost.details.clone()
        };
        let others: Vec<Document> = series.into_iter().filter(|d| d.id != lost.id).collect();
        add_edition(ctx, tx, &others, details).await
    }
}

/// 换证: renews a person's qualification certificate for the next cycle, in the renewal
/// window before it ends (or after). The person must be under the certificate renewal age
/// (65) on its last day and have the cycle's continuing-education hours; items that no
/// attended course covered are not renewed (they are left off the new certificate). The
/// new edition is valid to the end of the next cycle and due like a certificate, counted
/// from today; the current one stays valid until it ends.
#[derive(Debug, Clone)]
pub struct RenewCertificate {
    /// The person.
    pub person: PersonId,
}

/// What [`RenewCertificate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRenewed {
    /// The new edition.
    pub document: DocumentId,
    /// The items renewed.
    pub items: Vec<ReviewItemCode>,
    /// The items left off (not covered by continuing education).
    pub dropped: Vec<ReviewItemCode>,
    /// The new edition's last day.
    pub valid_until: Date,
}

impl super::UseCase for RenewCertificate {
    type Output = CertificateRenewed;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<CertificateRenewed, UseCaseError> {
        let today = ctx.today();
        let person = tx
            .lock_person(self.person)
            .await?
            .ok_or(UseCaseError::NotFound(Entity::Person))?;
        let record = PersonRecord::load_for(tx, person).await?;
        let cycles = tx.cycles().await?;
        let reference = Reference {
            catalogue: ctx.catalogue,
            cycles: &cycles,
        };
        let plan = renewal_plan(record.facts(), reference, today).map_err(reject)?;
        reject_if_any(plan.obstacles(today))?;
        let Some(next) = plan.next.clone() else {
            return Err(reject(Violation::NoNextCycle));
        };
        // The new edition lists the items renewed, and those of any edition made for the
        // next cycle already (a pass list after an earlier renewal): it supersedes them.
        let mut items = plan.items.clone();
        for other in crate::renewal::certificates(&record.documents) {
            if other.details.valid_until == Some(next.end()) {
                items.extend(other.details.items.iter().cloned());
            }
        }
        let items = crate::document::in_catalogue_order(ctx.catalogue, items.into_iter());
        let dropped: Vec<ReviewItemCode> = plan
            .dropped
            .iter()
            .map(|(item, _)| item.clone())
            .filter(|item| !items.contains(item))
            .collect();
        let series = series_of(record.documents.clone(), DocumentKind::Certificate, None);
        let (token, code) = keys(ctx);
        let details = NewDocument {
            kind: DocumentKind::Certificate,
            person: self.person,
            institution: None,
            items: items.clone(),
            token,
            code,
            created_on: today,
            pass_list: None,
            valid_until: Some(next.end()),
            replaces: None,
        };
        let document = add_edition(ctx, tx, &series, details).await?;
        Ok(CertificateRenewed {
            document,
            items,
            dropped,
            valid_until: next.end(),
        })
    }
}

fn reject(violation: Violation) -> UseCaseError {
    UseCaseError::Rejected(crate::violation::Violations::new(vec![violation]))
}
