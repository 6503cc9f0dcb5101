//! The use cases of the register, written once against the ports of [`crate::ports`].
//!
//! Each use case is a command value (what the caller asks) implementing [`UseCase`].
//! [`execute`] runs it in one transaction: the use case reads, decides with the rules of
//! this crate, writes and records an audit entry; then the transaction commits. Any error
//! drops the transaction, so nothing is half-written. A transient storage failure
//! ([`StoreError::Retry`]) runs the whole use case again, up to [`MAX_ATTEMPTS`] times.
//!
//! Scoping: a command that acts for an institution names it, and the caller takes it from
//! the session, never from the request. A person the institution does not employ answers
//! `NotFound` before anything else is checked, and a holding of another institution
//! answers `NotFound`, each exactly like one that does not exist (what an institution may
//! learn of a person by id: [`crate::read::employment::sight`]).

use std::fmt;
use std::future::Future;

use time::{Date, OffsetDateTime};

use crate::calendar::WorkCalendar;
use crate::date::{china_today, format_date};
use crate::holding::Holding;
use crate::ids::{InstitutionId, PersonId};
use crate::institution::{Institution, InstitutionDetails};
use crate::person::Person;
use crate::policy::Policy;
use crate::ports::{
    Actor, AuditRecord, Conflict, Duplicate, Entity, Entropy, Register, RegisterTx, Snapshot,
    StoreError,
};
use crate::review_item::{ReviewItemCatalogue, ReviewItemCode};
use crate::text::{Text, TextProblem};
use crate::violation::{Violation, Violations};

mod accounts;
mod assessments;
mod batch;
mod calendar;
mod corrections;
mod documents;
mod education;
mod holdings;
mod institutions;
mod machine;
mod pass_list;
mod people;
mod registration;
mod reminders;

pub use accounts::{
    ChangeAdministrator, ChangeSecondFactor, CreateAssociationAccount, EnrolSecondFactor,
    RecordSecurityEvent, SecondFactorChange, SecurityEvent, SetAccountPassword, UnlockLogin,
};
pub use assessments::RecordAssessment;
pub use batch::{DiscloseExport, ExpireRegistrations, Expired, RecordRun};
pub use calendar::{CalendarLoaded, CycleTarget, DefineCycle, LoadCalendar};
pub use corrections::{ANSWER_MAX, AnswerCorrection, CORRECTION_MAX, RequestCorrection};
pub use documents::{
    CertificateRenewed, MarkMailed, RenewCertificate, ReplaceDocument, certificate_edition,
    number_year,
};
pub use education::{
    CreateCourse, ImportAttendance, ImportReport, RecordAttendance, RecordProviderAttendance,
    ReverseAttendance, RowOutcome, RowReport,
};
pub use holdings::{
    EmployItems, Employed, ReleaseItem, SetFillInPassword, UndoRelease, UnlockFillInEntry,
};
pub use institutions::{CreateInstitution, UpdateInstitution};
pub use machine::{CreateProvider, IssueToken, RevokeToken};
pub use pass_list::{PassListRecorded, RecordPassList};
pub use people::{
    DetailsSaved, DiscloseForPrinting, DiscloseResidentId, ExamRecorded, RecordExamResult,
    SaveDetails,
};
pub use registration::{RegisterItems, Registered};
pub use reminders::{ChangeOwnReminders, ChangeReminderSettings, ResendDigest};

/// How many times a use case runs when storage reports a transient failure.
pub const MAX_ATTEMPTS: u32 = 5;

/// What every use case is given besides its command: the moment (the core never reads
/// the clock), who acts, and the reference data held in memory.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// The moment of the request.
    pub now: OffsetDateTime,
    /// Who acts.
    pub actor: Actor,
    /// The review-item catalogue.
    pub catalogue: &'a ReviewItemCatalogue,
    /// The working-day calendar.
    pub calendar: &'a WorkCalendar,
    /// Randomness for the verification keys of documents.
    pub entropy: &'a dyn Entropy,
}

impl Context<'_> {
    /// The date in China at the moment of the request.
    pub fn today(&self) -> Date {
        china_today(self.now)
    }

    fn audit(
        &self,
        action: &'static str,
        entity: Entity,
        entity_id: i64,
        person: Option<PersonId>,
        before: Option<Snapshot>,
        after: Option<Snapshot>,
    ) -> AuditRecord {
        AuditRecord {
            at: self.now,
            actor: self.actor.clone(),
            action,
            entity,
            entity_id,
            person,
            before,
            after,
        }
    }
}

/// Why a use case did not happen. Nothing was written.
#[derive(Clone, PartialEq, Eq)]
pub enum UseCaseError {
    /// The request breaks rules of the register; every violation is listed.
    Rejected(Violations),
    /// The record does not exist, or belongs to another institution.
    NotFound(Entity),
    /// Refused because of what someone else did (another institution took the item
    /// first; the record changed since it was read).
    Conflict(Conflict),
    /// The record exists already.
    Duplicate(Duplicate),
    /// Storage stayed busy through every attempt.
    Busy,
    /// The database does not answer.
    Unavailable,
    /// Anything else; the text is for the log only.
    Unexpected(String),
}

impl UseCaseError {
    /// The stable code.
    pub fn code(&self) -> String {
        match self {
            UseCaseError::Rejected(_) => "rejected".to_owned(),
            UseCaseError::NotFound(entity) => format!("not_found.{}", entity.code()),
            UseCaseError::Conflict(Conflict::ItemHeld { .. }) => "conflict.item_held".to_owned(),
            UseCaseError::Conflict(Conflict::Stale(entity)) => {
                format!("conflict.stale.{}", entity.code())
            }
            UseCaseError::Duplicate(d) => d.code().to_owned(),
            UseCaseError::Busy => "busy".to_owned(),
            UseCaseError::Unavailable => "unavailable".to_owned(),
            UseCaseError::Unexpected(_) => "internal".to_owned(),
        }
    }
}

/// The Chinese message a user sees. An unexpected failure shows no detail.
impl fmt::Display for UseCaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UseCaseError::Rejected(violations) => write!(f, "{violations}"),
            UseCaseError::NotFound(entity) => write!(f, "未找到该{}", entity.label()),
            UseCaseError::Conflict(Conflict::ItemHeld { item }) => {
                write!(
                    f,
                    "“{item}”已由其他机构聘用，须由原机构“退回人员”后方可聘用"
                )
            }
            UseCaseError::Conflict(Conflict::Stale(entity)) => {
                write!(f, "{}已被他人修改，请刷新页面后重试", entity.label())
            }
            UseCaseError::Duplicate(d) => f.write_str(d.message()),
            UseCaseError::Busy => f.write_str("系统繁忙，请稍后重试"),
            UseCaseError::Unavailable => f.write_str("数据库暂时无法访问，请稍后重试"),
            UseCaseError::Unexpected(_) => f.write_str("系统内部错误，请稍后重试"),
        }
    }
}

impl fmt::Debug for UseCaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UseCaseError::Unexpected(detail) => write!(f, "Unexpected({detail})"),
            other => write!(f, "{}: {other}", other.code()),
        }
    }
}

impl std::error::Error for UseCaseError {}

impl From<StoreError> for UseCaseError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(c) => UseCaseError::Conflict(c),
            StoreError::Duplicate(d) => UseCaseError::Duplicate(d),
            StoreError::Retry => UseCaseError::Busy,
            StoreError::Unavailable => UseCaseError::Unavailable,
            StoreError::Unexpected(detail) => UseCaseError::Unexpected(detail),
        }
    }
}

impl From<Violations> for UseCaseError {
    fn from(v: Violations) -> Self {
        UseCaseError::Rejected(v)
    }
}

impl From<Violation> for UseCaseError {
    fn from(v: Violation) -> Self {
        UseCaseError::Rejected(v.into())
    }
}

fn reject_if_any(problems: Vec<Violation>) -> Result<(), UseCaseError> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(UseCaseError::Rejected(Violations::new(problems)))
    }
}

/// A use case: a command that runs inside one transaction.
pub trait UseCase: Sync {
    /// What it returns.
    type Output: Send;

    /// Runs the command in the transaction `tx`. It must not commit.
    fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> impl Future<Output = Result<Self::Output, UseCaseError>> + Send;
}

/// Runs a use case in one transaction and commits it; retries the whole of it when storage
/// reports a transient failure.
pub async fn execute<R: Register, U: UseCase>(
    register: &R,
    ctx: &Context<'_>,
    use_case: &U,
) -> Result<U::Output, UseCaseError> {
    let mut attempt = 1;
    loop {
        let outcome = async {
            let mut tx = register.begin().await?;
            let output = use_case.run(ctx, &mut tx).await?;
            tx.commit().await?;
            Ok::<_, UseCaseError>(output)
        }
        .await;
        match outcome {
            Err(UseCaseError::Busy) if attempt < MAX_ATTEMPTS => attempt += 1,
            other => return other,
        }
    }
}

// Snapshots for the audit log.

fn person_snapshot(person: &Person) -> Snapshot {
    let form = person.details.to_form();
    let mut snapshot = Snapshot::default()
        .with("name", &person.name)
        .with("resident_id", person.resident_id.masked());
    for field in crate::person::DetailField::FILLED_IN {
        snapshot = snapshot.with(field.code(), form.field(field));
    }
    snapshot
}

fn holding_snapshot(holding: &Holding) -> Snapshot {
    let mut s = Snapshot::default()
        .with("person", holding.person)
        .with("item", &holding.item)
        .with("institution", holding.institution)
        .with("state", holding.state.code());
    if let Some(period) = &holding.registration {
        s = s
            .with("cycle", period.cycle)
            .with("valid_from", format_date(period.valid_from))
            .with("valid_until", format_date(period.valid_until));
    }
    if let Some(day) = holding.released_on {
        s = s.with("released_on", format_date(day));
    }
    if let Some(reason) = &holding.release_reason {
        s = s.with("release_reason", reason);
    }
    s
}

fn institution_snapshot(details: &InstitutionDetails, active: bool) -> Snapshot {
    let optional = |t: &Option<Text>| {
        t.as_ref()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default()
    };
    Snapshot::default()
        .with("name", &details.name)
        .with("number", &details.number)
        .with("credit_code", &details.credit_code)
        .with("provincial_number", optional(&details.provincial_number))
        .with("national_number", optional(&details.national_number))
        .with("contact", optional(&details.contact))
        .with(
            "email",
            details
                .email
                .as_ref()
                .map(|e| e.as_str())
                .unwrap_or_default(),
        )
        .with("active", active)
}

fn policy_snapshot(name: &Text, start: Date, end: Date, policy: &Policy) -> Snapshot {
    Snapshot::default()
        .with("name", name)
        .with("start", format_date(start))
        .with("end", format_date(end))
        .with("cycle_years", policy.cycle_years)
        .with("exam_age_limit", policy.exam_age_limit)
        .with("registration_age_limit", policy.registration_age_limit)
        .with(
            "certificate_renewal_age_limit",
            policy.certificate_renewal_age_limit,
        )
        .with("hours_required", policy.hours_required)
        .with("require_item_coverage", policy.require_item_coverage)
        .with(
            "certificate_due_working_days",
            policy.certificate_due_working_days,
        )
        .with(
            "publication_due_working_days",
            policy.publication_due_working_days,
        )
        .with("renewal_window_months", policy.renewal_window_months)
        .with("late_hours", policy.late_hours.code())
        .with("reminder_ending_days", policy.reminders.ending_days_text())
        .with(
            "reminder_hours_short_months",
            policy.reminders.hours_short_months,
        )
        .with(
            "reminder_fill_in_working_days",
            policy.reminders.fill_in_working_days,
        )
        .with(
            "reminder_awaiting_working_days",
            policy.reminders.awaiting_working_days,
        )
        .with(
            "reminder_document_due_working_days",
            policy.reminders.document_due_working_days,
        )
}

/// Parses item codes of a request against the catalogue, without duplicates.
fn parse_items(
    catalogue: &ReviewItemCatalogue,
    raw: &[String],
    problems: &mut Vec<Violation>,
) -> Vec<ReviewItemCode> {
    if raw.is_empty() {
        problems.push(Violation::NoItems);
    }
    let mut items = Vec::new();
    for text in raw {
        match ReviewItemCode::parse(text) {
            Ok(code) if catalogue.get(&code).is_some() => {
                if !items.contains(&code) {
                    items.push(code);
                }
            }
            _ => problems.push(Violation::UnknownItem(text.trim().to_owned())),
        }
    }
    items
}

async fn active_institution<T: RegisterTx>(
    tx: &mut T,
    id: InstitutionId,
) -> Result<Institution, UseCaseError> {
    let institution = tx
        .institution(id)
        .await?
        .ok_or(UseCaseError::NotFound(Entity::Institution))?;
    institution.ensure_active()?;
    Ok(institution)
}

/// The person, locked for the rest of the transaction (see [`RegisterTx::lock_person`]).
async fn existing_person<T: RegisterTx>(tx: &mut T, id: PersonId) -> Result<Person, UseCaseError> {
    tx.lock_person(id)
        .await?
        .ok_or(UseCaseError::NotFound(Entity::Person))
}

fn text_field(
    input: &str,
    max: usize,
    field: &'static str,
    label: &'static str,
) -> Result<Text, Violation> {
    Text::parse(input, max).map_err(|p| match p {
        TextProblem::Empty => Violation::Missing { field, label },
        TextProblem::TooLong { max } => Violation::TooLong { field, label, max },
        TextProblem::ControlCharacter => Violation::BadCharacter { field, label },
    })
}

/// The person, locked, when `institution` employs them now; `NotFound` (as a person)
/// otherwise, exactly as for an id that names nobody, so that an institution learns
/// nothing of people it does not employ (not even that they exist). Use cases of an
/// institution acting on its own people call it before anything else answers.
async fn employed_person<T: RegisterTx>(
    tx: &mut T,
    person: PersonId,
    institution: InstitutionId,
) -> Result<Person, UseCaseError> {
    let found = existing_person(tx, person).await?;
    if crate::read::employment::employs(&tx.holdings_of(person).await?, institution) {
        Ok(found)
    } else {
        Err(UseCaseError::NotFound(Entity::Person))
    }
}

/// The employment of a person by an institution that employs them now; `NotFound` (as a
/// person) otherwise, so that an institution learns nothing of people it does not employ.
async fn current_employment<T: RegisterTx>(
    tx: &mut T,
    person: PersonId,
    institution: InstitutionId,
) -> Result<crate::holding::Employment, UseCaseError> {
    let employment = tx
        .employment(person, institution)
        .await?
        .ok_or(UseCaseError::NotFound(Entity::Person))?;
    if crate::read::employment::employs(&tx.holdings_of(person).await?, institution) {
        Ok(employment)
    } else {
        Err(UseCaseError::NotFound(Entity::Person))
    }
}
