//! The register's documents (source document, questions 3 and 10): the qualification
//! certificate (资格证书, one per person, every qualified item, mailed to the person) and
//! the registration card (注册信息卡, one per person per institution, the items registered
//! there, mailed to the institution).
//!
//! A document is an *edition*: when what it must show changes (an item passed, registered
//! or released; a registration renewed), a new edition is made and waits to be issued;
//! the previous edition keeps verifying until the new one is mailed, and is then void. A
//! pending edition that a newer one overtakes is void at once. A lost document is void at
//! once and replaced by a new edition with new verification keys.
//!
//! Each edition carries two verification keys that lead to the public verification page:
//! an unguessable token in its QR code, and a short code a person can type. Neither is
//! derived from anything about the person. The keys are made from entropy the caller
//! supplies (the core does no IO).

use std::fmt;

use time::Date;

use crate::certificate::{card_due, certificate_due};
use crate::cycle::Cycles;
use crate::date::format_date;
use crate::holding::{Holding, ItemState};
use crate::holiday_law::{Deadline, DeadlineCalendar};
use crate::ids::{DocumentId, InstitutionId, PersonId};
use crate::qualification::Qualification;
use crate::review_item::{ReviewItemCatalogue, ReviewItemCode};
use crate::text::Text;

/// Which document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocumentKind {
    /// 资格证书: every qualified item; mailed to the person.
    Certificate,
    /// 注册信息卡: the items registered at one institution; mailed to the institution.
    Card,
}

impl DocumentKind {
    /// The stable code stored and sent over the API.
    pub fn code(self) -> &'static str {
        match self {
            DocumentKind::Certificate => "certificate",
            DocumentKind::Card => "card",
        }
    }

    /// Reads a stored code.
    pub fn from_code(code: &str) -> Option<DocumentKind> {
        match code {
            "certificate" => Some(DocumentKind::Certificate),
            "card" => Some(DocumentKind::Card),
            _ => None,
        }
    }

    /// The Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::Certificate => "资格证书",
            DocumentKind::Card => "注册信息卡",
        }
    }

    /// The serial number's prefix: ZS (证书), KP (卡片).
    fn prefix(self) -> &'static str {
        match self {
            DocumentKind::Certificate => "ZS",
            DocumentKind::Card => "KP",
        }
    }
}

/// Why an edition stopped being valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoidReason {
    /// A newer edition was issued (or, for a pending edition, made).
    Superseded,
    /// Reported lost; a replacement was made.
    Lost,
    /// Nothing is left to show (every item of a card released before it was issued).
    Withdrawn,
}

impl VoidReason {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            VoidReason::Superseded => "superseded",
            VoidReason::Lost => "lost",
            VoidReason::Withdrawn => "withdrawn",
        }
    }

    /// Reads a stored code.
    pub fn from_code(code: &str) -> Option<VoidReason> {
        match code {
            "superseded" => Some(VoidReason::Superseded),
            "lost" => Some(VoidReason::Lost),
            "withdrawn" => Some(VoidReason::Withdrawn),
            _ => None,
        }
    }

    /// The Chinese wording.
    pub fn label(self) -> &'static str {
        match self {
            VoidReason::Superseded => "已换发新证件",
            VoidReason::Lost => "已挂失补发",
            VoidReason::Withdrawn => "所列评审项目已全部退回，未发放",
        }
    }
}

const TOKEN_ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The unguessable key in a document's QR code: 26 characters of lowercase base32, 130
/// bits from the caller's entropy.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VerificationToken(String);

/// Bytes of entropy a token takes.
pub const TOKEN_BYTES: usize = 17;
/// Bytes of entropy a code takes.
pub const CODE_BYTES: usize = 7;

impl VerificationToken {
    /// A token from fresh entropy.
    pub fn from_entropy(bytes: [u8; TOKEN_BYTES]) -> VerificationToken {
        VerificationToken(base32(&bytes, 26, TOKEN_ALPHABET))
    }

    /// Reads a token from an address; anything else is `None`.
    pub fn parse(input: &str) -> Option<VerificationToken> {
        let ok = input.len() == 26 && input.bytes().all(|b| TOKEN_ALPHABET.contains(&b));
        ok.then(|| VerificationToken(input.to_owned()))
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for VerificationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A token is a bearer key to the verification page: never in a log in full.
        write!(f, "VerificationToken({}…)", self.0.get(..4).unwrap_or(""))
    }
}

/// The short code printed on a document for typing in: 10 characters of Crockford's
/// base32 (no I, L, O, U), shown as `XXXXX-XXXXX`; 50 bits from the caller's entropy.
/// Typing is forgiving: case, spaces and hyphens are ignored, O reads as 0, I and L as 1.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VerificationCode(String);

impl VerificationCode {
    /// A code from fresh entropy.
    pub fn from_entropy(bytes: [u8; CODE_BYTES]) -> VerificationCode {
        VerificationCode(base32(&bytes, 10, CODE_ALPHABET))
    }

    /// Reads a code as typed; `None` if it cannot be one.
    pub fn parse(input: &str) -> Option<VerificationCode> {
        let mut out = String::with_capacity(10);
        for c in input.chars() {
            let c = match c.to_ascii_uppercase() {
                ' ' | '-' | '\u{3000}' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            if !c.is_ascii() || !CODE_ALPHABET.contains(&(c as u8)) {
                return None;
            }
            out.push(c);
        }
        (out.len() == 10).then_some(VerificationCode(out))
    }

    /// The ten characters, without the hyphen (as stored).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VerificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, b) = self.0.split_at(5);
        write!(f, "{a}-{b}")
    }
}

impl fmt::Debug for VerificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerificationCode({}…)", self.0.get(..2).unwrap_or(""))
    }
}

/// The first `chars` characters of the base32 encoding of `bytes`.
fn base32(bytes: &[u8], chars: usize, alphabet: &[u8; 32]) -> String {
    let mut out = String::with_capacity(chars);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 && out.len() < chars {
            bits -= 5;
            let index = ((buffer >> bits) & 31) as usize;
            out.push(char::from(alphabet.get(index).copied().unwrap_or(b'0')));
        }
        buffer &= (1 << bits) - 1;
    }
    out
}

/// The mailing of an edition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailing {
    /// The day it was posted.
    pub on: Date,
    /// The parcel's tracking number.
    pub tracking: Text,
}

/// The voiding of an edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Voiding {
    /// The day.
    pub on: Date,
    /// Why.
    pub reason: VoidReason,
}

/// An edition before storage assigns its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    /// Which document.
    pub kind: DocumentKind,
    /// Whose.
    pub person: PersonId,
    /// For a card, the institution.
    pub institution: Option<InstitutionId>,
    /// What it lists, in catalogue order.
    pub items: Vec<ReviewItemCode>,
    /// The QR code's key.
    pub token: VerificationToken,
    /// The short code.
    pub code: VerificationCode,
    /// The day it was made.
    pub created_on: Date,
    /// For a certificate, the publication date of the pass list that made it (the day
    /// its deadline counts from).
    pub pass_list: Option<Date>,
    /// The last day it is valid, as printed.
    pub valid_until: Option<Date>,
    /// The lost edition it replaces.
    pub replaces: Option<DocumentId>,
}

/// The printed serial number of the edition `id` of a `kind` of document.
pub fn serial_of(kind: DocumentKind, id: DocumentId) -> String {
    format!("{}{:08}", kind.prefix(), id.get())
}

/// An edition of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The identifier.
    pub id: DocumentId,
    /// What was made.
    pub details: NewDocument,
    /// When and how it was mailed; `None` while pending.
    pub mailed: Option<Mailing>,
    /// When and why it stopped being valid.
    pub voided: Option<Voiding>,
    /// The optimistic-lock version.
    pub version: i64,
}

impl Document {
    /// The printed serial number: ZS00000012, KP00000345.
    pub fn serial(&self) -> String {
        serial_of(self.details.kind, self.id)
    }

    /// Waiting to be issued: neither mailed nor void.
    pub fn is_pending(&self) -> bool {
        self.mailed.is_none() && self.voided.is_none()
    }

    /// The last day to issue it: the policy's working days (20 by default) after the
    /// pass list's publication for a certificate, after the edition was made for a card
    /// or a replacement. Derived, not stored, so that it is computed on the calendar as
    /// loaded: an estimate (and said to be one) while it runs into a year whose official
    /// calendar is not loaded yet, the official day once it is; `None` while even the
    /// estimate does not reach that far.
    pub fn due_on(&self, calendar: &DeadlineCalendar, cycles: &Cycles) -> Option<Deadline> {
        let from = match (
            self.details.kind,
            self.details.pass_list,
            self.details.replaces,
        ) {
            (DocumentKind::Certificate, Some(published_on), None) => published_on,
            _ => self.details.created_on,
        };
        let policy = cycles.policy_at(from);
        match (self.details.kind, self.details.replaces) {
            (DocumentKind::Certificate, None) => certificate_due(calendar, &policy, from).ok(),
            _ => card_due(calendar, &policy, from).ok(),
        }
    }

    /// Pending past its due day. Decided on an estimated day too: the estimate is the
    /// best the register knows (the caller shows it as one).
    pub fn is_overdue(&self, due: Option<&Deadline>, today: Date) -> bool {
        self.is_pending() && due.is_some_and(|due| due.date() < today)
    }

    /// The edition's place: documents of the same kind, person and institution are
    /// editions of one another.
    pub fn series(&self) -> (DocumentKind, PersonId, Option<InstitutionId>) {
        (
            self.details.kind,
            self.details.person,
            self.details.institution,
        )
    }

    /// Whether `newer`, an edition of the same series, takes this one's place once it is
    /// issued: this one would run as long or longer (a new edition within the same validity).
    /// A certificate renewed for the next cycle does not take the place of the current
    /// cycle's, which ends before it and stays valid until then.
    pub fn is_superseded_by(&self, newer: &Document) -> bool {
        self.series() == newer.series()
            && self.details.valid_until.unwrap_or(Date::MAX)
                >= newer.details.valid_until.unwrap_or(Date::MAX)
    }

    /// The state, as shown.
    pub fn state_label(&self) -> &'static str {
        match (&self.voided, &self.mailed) {
            (Some(_), _) => "已作废",
            (None, Some(_)) => "已寄出",
            (None, None) => "待发放",
        }
    }
}

/// Why a document does not verify as valid today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// Not issued yet.
    NotIssued,
    /// Void.
    Void(VoidReason),
    /// Past its validity.
    Expired(Date),
    /// A card's item released by the institution.
    ItemReleased(ReviewItemCode),
    /// A card's item whose registration ended.
    ItemExpired(ReviewItemCode),
    /// A card's item not registered at the institution.
    ItemNotRegistered(ReviewItemCode),
    /// A certificate's item the person no longer holds.
    NotQualified(ReviewItemCode),
}

impl Finding {
    /// The stable code, as logged.
    pub fn code(&self) -> &'static str {
        match self {
            Finding::NotIssued => "not_issued",
            Finding::Void(_) => "void",
            Finding::Expired(_) => "expired",
            Finding::ItemReleased(_) => "item_released",
            Finding::ItemExpired(_) => "item_expired",
            Finding::ItemNotRegistered(_) => "item_not_registered",
            Finding::NotQualified(_) => "not_qualified",
        }
    }

    /// The Chinese wording, with item names from the catalogue.
    pub fn describe(&self, catalogue: &ReviewItemCatalogue) -> String {
        match self {
            Finding::NotIssued => "该证件尚未发放".to_owned(),
            Finding::Void(reason) => format!("该证件已作废：{}", reason.label()),
            Finding::Expired(until) => format!("有效期至 {}，已过期", format_date(*until)),
            Finding::ItemReleased(item) => {
                format!("“{}”已由机构退回，该项不再有效", catalogue.name_of(item))
            }
            Finding::ItemExpired(item) => format!("“{}”的注册已到期", catalogue.name_of(item)),
            Finding::ItemNotRegistered(item) => {
                format!("“{}”未在该机构注册", catalogue.name_of(item))
            }
            Finding::NotQualified(item) => {
                format!("未取得“{}”的评审资格", catalogue.name_of(item))
            }
        }
    }
}

/// The state of each item of a document today (for the verification page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemStatus {
    /// The item.
    pub item: ReviewItemCode,
    /// Valid today: never on an edition that is itself not valid (void, not issued, past
    /// its validity), whatever the item's own state.
    pub valid: bool,
    /// For a card: the registration's last day.
    pub valid_until: Option<Date>,
}

/// The last day of an edition's validity, if it is past on `today`.
fn ended_before(document: &Document, today: Date) -> Option<Date> {
    document.details.valid_until.filter(|until| *until < today)
}

/// Why an edition cannot be printed on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintRefusal {
    /// Void (a newer edition issued, reported lost, withdrawn).
    Void(VoidReason),
    /// Its validity ended on that day.
    Expired(Date),
}

impl PrintRefusal {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            PrintRefusal::Void(_) => "void",
            PrintRefusal::Expired(_) => "expired",
        }
    }

    /// The Chinese wording.
    pub fn describe(&self) -> String {
        match self {
            PrintRefusal::Void(reason) => {
                format!("该证件已作废（{}），不能打印", reason.label())
            }
            PrintRefusal::Expired(until) => {
                format!("该证件有效期已于 {} 届满，不能打印", format_date(*until))
            }
        }
    }
}

/// Whether an edition may be printed on `today`, as a document to hand out: not when it is
/// void or its validity has ended (printing it would give out a document that
/// [`verify`] calls invalid). An edition not issued yet may be printed: it is printed to be
/// issued.
pub fn print_refusal(document: &Document, today: Date) -> Option<PrintRefusal> {
    if let Some(voiding) = document.voided {
        return Some(PrintRefusal::Void(voiding.reason));
    }
    ended_before(document, today).map(PrintRefusal::Expired)
}

/// Whether `document` is valid on `today`, given the person's holdings and
/// qualifications as they are: every reason it is not (none: valid), and the state of
/// each item it lists. No item is valid on an edition that is not valid itself (void, not
/// issued, past its validity).
pub fn verify(
    document: &Document,
    holdings: &[Holding],
    qualifications: &[Qualification],
    today: Date,
) -> (Vec<Finding>, Vec<ItemStatus>) {
    let mut findings = Vec::new();
    if let Some(voiding) = document.voided {
        findings.push(Finding::Void(voiding.reason));
    } else if document.mailed.is_none() {
        findings.push(Finding::NotIssued);
    }
    let d = &document.details;
    if let Some(until) = ended_before(document, today) {
        findings.push(Finding::Expired(until));
    }
    let edition_valid = findings.is_empty();
    let mut items = Vec::with_capacity(d.items.len());
    for item in &d.items {
        let status = match (d.kind, d.institution) {
            (DocumentKind::Card, Some(institution)) => {
                // The latest holding of this item at this institution.
                let holding = holdings
                    .iter()
                    .filter(|h| h.institution == institution && &h.item == item)
                    .max_by_key(|h| h.id);
                let until = holding
                    .and_then(|h| h.registration.as_ref())
                    .map(|r| r.valid_until);
                let finding = match holding.map(|h| h.state_on(today)) {
                    Some(ItemState::Registered) => None,
                    Some(ItemState::Released) => Some(Finding::ItemReleased(item.clone())),
                    Some(ItemState::Expired) => Some(Finding::ItemExpired(item.clone())),
                    _ => Some(Finding::ItemNotRegistered(item.clone())),
                };
                let valid = edition_valid && finding.is_none();
                findings.extend(finding);
                ItemStatus {
                    item: item.clone(),
                    valid,
                    valid_until: until,
                }
            }
            _ => {
                let held = qualifications.iter().any(|q| &q.item == item);
                if !held {
                    findings.push(Finding::NotQualified(item.clone()));
                }
                ItemStatus {
                    item: item.clone(),
                    valid: edition_valid && held,
                    valid_until: d.valid_until,
                }
            }
        };
        items.push(status);
    }
    (findings, items)
}

/// The items a card at `institution` must list today, in catalogue order, and the last
/// day it is valid (the earliest end among them).
pub fn card_contents(
    catalogue: &ReviewItemCatalogue,
    holdings: &[Holding],
    institution: InstitutionId,
    today: Date,
) -> (Vec<ReviewItemCode>, Option<Date>) {
    let registered: Vec<&Holding> = holdings
        .iter()
        .filter(|h| h.institution == institution && h.state_on(today) == ItemState::Registered)
        .collect();
    let items = in_catalogue_order(catalogue, registered.iter().map(|h| h.item.clone()));
    let until = registered
        .iter()
        .filter_map(|h| h.registration.as_ref().map(|r| r.valid_until))
        .min();
    (items, until)
}

/// The items a certificate must list: every qualification, in catalogue order.
pub fn certificate_contents(
    catalogue: &ReviewItemCatalogue,
    qualifications: &[Qualification],
) -> Vec<ReviewItemCode> {
    in_catalogue_order(catalogue, qualifications.iter().map(|q| q.item.clone()))
}

/// Items in the catalogue's order, without duplicates.
pub fn in_catalogue_order(
    catalogue: &ReviewItemCatalogue,
    items: impl Iterator<Item = ReviewItemCode>,
) -> Vec<ReviewItemCode> {
    let mut items: Vec<ReviewItemCode> = items.collect();
    let position = |code: &ReviewItemCode| catalogue.position(code);
    items.sort_by(|a, b| position(a).cmp(&position(b)).then_with(|| a.cmp(b)));
    items.dedup();
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_codes_come_from_the_entropy_and_read_back() {
        let token = VerificationToken::from_entropy([0xA5; TOKEN_BYTES]);
        assert_eq!(token.as_str().len(), 26);
        assert_eq!(
            VerificationToken::parse(token.as_str()),
            Some(token.clone())
        );
        assert_eq!(VerificationToken::parse("short"), None);
        assert_eq!(
            VerificationToken::parse(&token.as_str().to_uppercase()),
            None
        );
        assert!(!format!("{token:?}").contains(token.as_str()));

        let code = VerificationCode::from_entropy([0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(code.as_str().len(), 10);
        let shown = code.to_string();
        assert_eq!(shown.len(), 11);
        assert_eq!(shown.chars().nth(5), Some('-'));
        // Typed loosely: lower case, spaces, O for 0.
        let typed = shown.to_lowercase().replace('-', " ").replace('0', "o");
        assert_eq!(VerificationCode::parse(&typed), Some(code));
        assert_eq!(VerificationCode::parse("ABCDE-FGHJ"), None);
        assert_eq!(VerificationCode::parse("ABCDE-FGHJU"), None);
    }

    fn certificate(valid_until: Option<Date>) -> Document {
        let item = ReviewItemCode::parse("RQ-ZZ").unwrap();
        Document {
            id: DocumentId::new(7),
            details: NewDocument {
                kind: DocumentKind::Certificate,
                person: PersonId::new(1),
                institution: None,
                items: vec![item],
                token: VerificationToken::from_entropy([3; TOKEN_BYTES]),
                code: VerificationCode::from_entropy([4; CODE_BYTES]),
                created_on: time::macros::date!(2021 - 04 - 01),
                pass_list: Some(time::macros::date!(2021 - 03 - 31)),
                valid_until,
                replaces: None,
            },
            mailed: Some(Mailing {
                on: time::macros::date!(2021 - 04 - 10),
                tracking: Text::parse("SF1", 40).unwrap(),
            }),
            voided: None,
            version: 1,
        }
    }

    fn qualifications() -> Vec<Qualification> {
        vec![Qualification {
            person: PersonId::new(1),
            item: ReviewItemCode::parse("RQ-ZZ").unwrap(),
            exam_date: time::macros::date!(2021 - 03 - 01),
            published_on: time::macros::date!(2021 - 03 - 31),
        }]
    }

    #[test]
    fn no_item_is_valid_on_an_edition_that_is_not() {
        use time::macros::date;
        let end = date!(2024 - 12 - 31);
        let valid = certificate(Some(end));
        let (findings, items) = verify(&valid, &[], &qualifications(), end);
        assert!(findings.is_empty());
        assert!(items.iter().all(|i| i.valid));
        // The day after its validity: expired, and so is every item it lists.
        let (findings, items) = verify(&valid, &[], &qualifications(), date!(2025 - 01 - 01));
        assert_eq!(findings, [Finding::Expired(end)]);
        assert!(items.iter().all(|i| !i.valid));
        // Void, or not issued yet: no item is valid either.
        let mut void = certificate(Some(end));
        void.voided = Some(Voiding {
            on: date!(2023 - 01 - 01),
            reason: VoidReason::Lost,
        });
        assert!(
            verify(&void, &[], &qualifications(), date!(2023 - 06 - 01))
                .1
                .iter()
                .all(|i| !i.valid)
        );
        let mut pending = certificate(Some(end));
        pending.mailed = None;
        assert!(
            verify(&pending, &[], &qualifications(), date!(2023 - 06 - 01))
                .1
                .iter()
                .all(|i| !i.valid)
        );
    }

    #[test]
    fn an_edition_past_its_validity_or_void_is_not_printed() {
        use time::macros::date;
        let end = date!(2024 - 12 - 31);
        assert_eq!(print_refusal(&certificate(Some(end)), end), None);
        // Without an end (a pass list before any cycle): printable.
        assert_eq!(
            print_refusal(&certificate(None), date!(2030 - 01 - 01)),
            None
        );
        let expired = print_refusal(&certificate(Some(end)), date!(2025 - 01 - 01)).unwrap();
        assert_eq!(expired, PrintRefusal::Expired(end));
        assert_eq!(expired.code(), "expired");
        assert_eq!(
            expired.describe(),
            "该证件有效期已于 2024-12-31 届满，不能打印"
        );
        // Pending and within its validity: printed to be issued.
        let mut pending = certificate(Some(end));
        pending.mailed = None;
        assert_eq!(print_refusal(&pending, date!(2024 - 06 - 01)), None);
        let mut void = certificate(Some(end));
        void.voided = Some(Voiding {
            on: date!(2023 - 01 - 01),
            reason: VoidReason::Superseded,
        });
        let refusal = print_refusal(&void, date!(2023 - 06 - 01)).unwrap();
        assert_eq!(refusal.code(), "void");
        assert_eq!(refusal.describe(), "该证件已作废（已换发新证件），不能打印");
    }

    #[test]
    fn different_entropy_gives_different_keys() {
        let a = VerificationCode::from_entropy([1, 2, 3, 4, 5, 6, 7]);
        let b = VerificationCode::from_entropy([1, 2, 3, 4, 5, 6, 0xC7]);
        assert_ne!(a, b);
        let c = VerificationToken::from_entropy([7; TOKEN_BYTES]);
        let mut bytes = [7; TOKEN_BYTES];
        if let Some(last) = bytes.last_mut() {
            *last = 0xFF;
        }
        // The top bits of the 17th byte feed the last character.
        assert_ne!(c, VerificationToken::from_entropy(bytes));
    }
}
