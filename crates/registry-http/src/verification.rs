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

/// 评审组核验: one member of a review team as asked — a document's verification code, or a
/// registration number with the item in question (none: every item of their
/// qualification). One parser for the page's lines and the API's entries.
pub(crate) struct Question {
    /// What was asked, as typed (trimmed, at most 40 characters).
    pub(crate) text: String,
    /// What it names; none when it is neither a code nor a registration number, or the
    /// item is not one.
    pub(crate) asked: Option<Asked>,
}

/// What a question names.
pub(crate) enum Asked {
    /// A document by its code.
    Code(VerificationCode),
    /// A person by registration number, and the item asked about.
    Number(
        registry_core::registration_number::RegistrationNumber,
        Option<registry_core::review_item::ReviewItemCode>,
    ),
}

impl Question {
    /// Parses `text` (`JP…` is a registration number, anything else a code) and `item`.
    pub(crate) fn parse(text: &str, item: Option<&str>) -> Question {
        let text: String = text.trim().chars().take(40).collect();
        let item = match item.map(str::trim).filter(|i| !i.is_empty()) {
            None => Ok(None),
            Some(code) => registry_core::review_item::ReviewItemCode::parse(code)
                .map(Some)
                .map_err(|_| ()),
        };
        let asked = if text.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("jp")) {
            match (
                registry_core::registration_number::RegistrationNumber::parse(&text),
                item,
            ) {
                (Ok(number), Ok(item)) => Some(Asked::Number(number, item)),
                _ => None,
            }
        } else {
            VerificationCode::parse(&text).map(Asked::Code)
        };
        Question { text, asked }
    }
}

/// One item of a member on the review date, with names.
pub(crate) struct MemberItem {
    pub(crate) on_day: registry_core::read::review_team::ItemOnDay,
    pub(crate) institution: Option<String>,
}

/// The answer about one member.
pub(crate) struct MemberAnswer {
    pub(crate) asked: String,
    /// `found`, `unknown` (no such document or person) or `malformed`.
    pub(crate) outcome: &'static str,
    pub(crate) name: String,
    pub(crate) number: Option<String>,
    /// The document asked about: its kind's label, serial and whether it is valid today.
    pub(crate) document: Option<(&'static str, String, bool)>,
    pub(crate) items: Vec<MemberItem>,
    /// Whether every item asked about was held on the review date (the core's
    /// `review_team::all_held`).
    pub(crate) held: bool,
    /// Working days of on-site assessments in the review date's cycle up to that day.
    pub(crate) working_days: Option<u32>,
}

impl MemberAnswer {
    fn empty(asked: String, outcome: &'static str) -> MemberAnswer {
        MemberAnswer {
            asked,
            outcome,
            name: String::new(),
            number: None,
            document: None,
            items: vec![],
            held: false,
            working_days: None,
        }
    }
}

/// Answers a review team's questions as of `review_date`, in one read of the register,
/// and logs each look-up with the client's address: a code in the documents' verification
/// log (as the single page does), the registration numbers in the log (target
/// `registry::verification`). The caller bounds the number of questions.
pub(crate) async fn check_team(
    state: &AppState,
    review_date: time::Date,
    questions: Vec<Question>,
    client: &str,
) -> Result<Vec<MemberAnswer>, StoreError> {
    use registry_core::read::review_team::{item_on_day, working_days_so_far};
    let now = state.clock.now();
    let today = state.today();
    let calendar = state.calendar();
    let mut tx = state.store.begin_read().await?;
    let cycles = tx.cycles().await?;
    let mut names = std::collections::BTreeMap::new();
    let mut answers = Vec::with_capacity(questions.len());
    let mut logged: Vec<(Option<registry_core::ids::DocumentId>, &'static str)> = Vec::new();
    // Registration numbers asked: (found, unknown).
    let mut numbers = (0_u32, 0_u32);
    for question in questions {
        let Some(asked) = question.asked else {
            answers.push(MemberAnswer::empty(question.text, "malformed"));
            continue;
        };
        // What the question names: the document (a code) or the person (a number).
        let (person, found, institution, items, document) = match &asked {
            Asked::Code(code) => match tx.document_by_code(code).await? {
                Some(document) => (
                    document.details.person,
                    None,
                    document.details.institution,
                    document.details.items.clone(),
                    Some(document),
                ),
                None => {
                    logged.push((None, "unknown"));
                    answers.push(MemberAnswer::empty(question.text, "unknown"));
                    continue;
                }
            },
            Asked::Number(number, item) => match tx.person_by_registration_number(*number).await? {
                Some(person) => {
                    let items = match item {
                        Some(item) => vec![item.clone()],
                        None => tx
                            .qualifications(person.id)
                            .await?
                            .into_iter()
                            .map(|q| q.item)
                            .collect(),
                    };
                    numbers.0 += 1;
                    (person.id, Some(person), None, items, None)
                }
                None => {
                    numbers.1 += 1;
                    answers.push(MemberAnswer::empty(question.text, "unknown"));
                    continue;
                }
            },
        };
        let found = match found {
            Some(person) => Some(person),
            None => tx.person(person).await?,
        };
        let Some(found) = found else {
            answers.push(MemberAnswer::empty(question.text, "unknown"));
            continue;
        };
        let registrations = tx.registrations_of(person).await?;
        let holdings = tx.holdings_of(person).await?;
        // A document is also checked as of today (valid or not, as 证件核验 says).
        let document = match document {
            Some(document) => {
                let qualifications = tx.qualifications(person).await?;
                let (findings, _) = verify(&document, &holdings, &qualifications, today);
                logged.push((
                    Some(document.id),
                    findings.first().map_or("valid", |f| f.code()),
                ));
                Some((
                    document.details.kind.label(),
                    document.serial(),
                    findings.is_empty(),
                ))
            }
            None => None,
        };
        let assessments = tx.assessments_of(person).await?;
        let mut member_items = Vec::with_capacity(items.len());
        for item in &items {
            let on_day = item_on_day(&registrations, &holdings, institution, item, review_date);
            let institution = match on_day.institution {
                Some(id) => {
                    if let std::collections::btree_map::Entry::Vacant(slot) = names.entry(id) {
                        let name = tx
                            .institution(id)
                            .await?
                            .map(|i| i.details.name.as_str().to_owned())
                            .unwrap_or_default();
                        slot.insert(name);
                    }
                    names.get(&id).cloned()
                }
                None => None,
            };
            member_items.push(MemberItem {
                on_day,
                institution,
            });
        }
        let days: Vec<_> = member_items.iter().map(|i| i.on_day.clone()).collect();
        answers.push(MemberAnswer {
            held: registry_core::read::review_team::all_held(&days),
            asked: question.text,
            outcome: "found",
            name: found.name.as_str().to_owned(),
            number: found.registration_number.map(|n| n.to_string()),
            document,
            items: member_items,
            working_days: working_days_so_far(&calendar, &cycles, &assessments, review_date),
        });
    }
    drop(tx);
    if numbers != (0, 0) {
        tracing::info!(
            target: "registry::verification",
            client,
            found = numbers.0,
            unknown = numbers.1,
            ?review_date,
            "review team verified by registration number"
        );
    }
    state
        .store
        .log_verifications(now, &logged, "code", client)
        .await?;
    Ok(answers)
}
