//! The use cases of the register, written once against the ports of [`crate::ports`].
//!
//! Each use case is a command value (what the caller asks) implementing [`UseCase`].
//! [`execute`] runs it in one transaction: the use case reads, decides with the rules of
//! this crate, writes and records an audit entry; then the transaction commits. Any error
//! drops the transaction, so nothing is half-written. A transient storage failure
//! ([`StoreError::Retry`]) runs the whole use case again, up to [`MAX_ATTEMPTS`] times.
//!
//! Scoping: a command that acts for an institution names it, and the caller takes it from
//! the session, never from the request. A holding of another institution answers
//! `NotFound`, exactly like one that does not exist.

use std::fmt;
use std::future::Future;

use time::{Date, OffsetDateTime};

use crate::access::{Account, AccountId, PasswordHash, Role, Username};
use crate::assessment::{AssessmentDetails, AssessmentForm};
use crate::calendar::WorkCalendar;
use crate::cycle::RegistrationCycle;
use crate::date::{china_today, format_date, full_years};
use crate::education::{
    CourseDetails, CourseForm, Hours, NewAttendance, check_attendance, check_reversal,
};
use crate::holding::{
    EntryProgress, FillInPasswordHash, Holding, ItemEvent, ItemState, NewHolding,
    RegistrationPeriod, RegistrationRecord,
};
use crate::ids::{AssessmentId, AttendanceId, CourseId, CycleId, InstitutionId, PersonId};
use crate::institution::{Institution, InstitutionDetails, InstitutionForm};
use crate::person::{AssessorDetails, DetailField, DetailsForm, Person, labels};
use crate::policy::Policy;
use crate::ports::{
    Actor, AuditRecord, Conflict, Duplicate, Entity, Entropy, Register, RegisterTx, Snapshot,
    StoreError,
};
use crate::qualification::{ExamResult, ExamResultForm, Qualification, check_name};
use crate::registration::{PersonFacts, Reference, check_registration, person_obstacles};
use crate::registration_number::RegistrationNumber;
use crate::review_item::{ReviewItemCatalogue, ReviewItemCode};
use crate::text::{Text, TextProblem};
use crate::violation::{Violation, Violations};

mod batch;
mod documents;
pub use batch::{DiscloseExport, ExpireRegistrations, Expired};
pub use documents::{
    CertificateRenewed, MarkMailed, RenewCertificate, ReplaceDocument, certificate_edition,
    number_year,
};

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
    Snapshot::default()
        .with("name", &person.name)
        .with("resident_id", person.resident_id.masked())
        .with("sex", &form.sex)
        .with("ethnicity", &form.ethnicity)
        .with("education", &form.education)
        .with("school", &form.school)
        .with("major", &form.major)
        .with("title", &form.title)
        .with("work_unit", &form.work_unit)
        .with("position", &form.position)
        .with("mobile", &form.mobile)
        .with("email", &form.email)
        .with("province", &form.province)
        .with("city", &form.city)
        .with("district", &form.district)
        .with("street", &form.street)
        .with("postcode", &form.postcode)
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

// ——— The association ———

/// Records an exam result from the pass list: creates the person if the ID number is new
/// and credits the items passed. Idempotent: items already recorded are left as they are.
#[derive(Debug, Clone)]
pub struct RecordExamResult {
    /// The result as typed or imported.
    pub form: ExamResultForm,
}

/// What [`RecordExamResult`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExamRecorded {
    /// The person.
    pub person: PersonId,
    /// Whether the person was new to the register.
    pub created: bool,
    /// Items credited now.
    pub added: Vec<ReviewItemCode>,
    /// Items the person held already.
    pub already: Vec<ReviewItemCode>,
}

impl UseCase for RecordExamResult {
    type Output = ExamRecorded;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<ExamRecorded, UseCaseError> {
        let cycles = tx.cycles().await?;
        let result = ExamResult::parse(&self.form, ctx.catalogue, &cycles, ctx.today())?;
        let (person, created) = match tx.person_by_resident_id(&result.resident_id).await? {
            Some(person) => {
                check_name(&person.name, &result.name, &result.resident_id)?;
                (person.id, false)
            }
            None => {
                let id = tx.insert_person(&result.name, &result.resident_id).await?;
                let after = Snapshot::default()
                    .with("name", &result.name)
                    .with("resident_id", result.resident_id.masked());
                tx.audit(&ctx.audit(
                    "person.create",
                    Entity::Person,
                    id.get(),
                    Some(id),
                    None,
                    Some(after),
                ))
                .await?;
                (id, true)
            }
        };
        tx.lock_person(person).await?;
        let held = tx.qualifications(person).await?;
        let mut added = Vec::new();
        let mut already = Vec::new();
        for item in result.items {
            if held.iter().any(|q| q.item == item) {
                already.push(item);
                continue;
            }
            let qualification = Qualification {
                person,
                item: item.clone(),
                exam_date: result.exam_date,
                published_on: result.published_on,
            };
            tx.insert_qualification(&qualification).await?;
            let after = Snapshot::default()
                .with("item", &item)
                .with("exam_date", format_date(result.exam_date))
                .with("published_on", format_date(result.published_on));
            tx.audit(&ctx.audit(
                "qualification.create",
                Entity::Qualification,
                person.get(),
                Some(person),
                None,
                Some(after),
            ))
            .await?;
            added.push(item);
        }
        if !added.is_empty() {
            documents::refresh_certificate(ctx, tx, person, result.published_on).await?;
        }
        Ok(ExamRecorded {
            person,
            created,
            added,
            already,
        })
    }
}

/// Adds an institution with its one login account (an institution holding both a
/// provincial and a national qualification number still has one account, source
/// document, question 9). The account's password is generated by the edge, shown once, and
/// must be changed at the first login.
#[derive(Debug, Clone)]
pub struct CreateInstitution {
    /// The form.
    pub form: InstitutionForm,
    /// The account's login name, as typed.
    pub username: String,
    /// The hash of the account's initial password.
    pub password: PasswordHash,
}

impl UseCase for CreateInstitution {
    type Output = (InstitutionId, AccountId);

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<(InstitutionId, AccountId), UseCaseError> {
        let details = InstitutionDetails::parse(&self.form);
        let username = Username::parse(&self.username);
        let (details, username) = match (details, username) {
            (Ok(details), Ok(username)) => (details, username),
            (details, username) => {
                let mut problems = details.err().map(Violations::into_vec).unwrap_or_default();
                problems.extend(username.err());
                return Err(Violations::new(problems).into());
            }
        };
        let id = tx.insert_institution(&details).await?;
        let account = tx
            .insert_account(&username, Role::Institution(id), &self.password, true)
            .await?;
        let after = institution_snapshot(&details, true).with("username", &username);
        tx.audit(&ctx.audit(
            "institution.create",
            Entity::Institution,
            id.get(),
            None,
            None,
            Some(after),
        ))
        .await?;
        Ok((id, account))
    }
}

/// Adds an administrator account of the association (set-up and demo).
#[derive(Debug, Clone)]
pub struct CreateAssociationAccount {
    /// The login name, as typed.
    pub username: String,
    /// The password's hash.
    pub password: PasswordHash,
    /// Whether the password must be changed at the first login.
    pub must_change_password: bool,
}

impl UseCase for CreateAssociationAccount {
    type Output = AccountId;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<AccountId, UseCaseError> {
        let username = Username::parse(&self.username)?;
        let id = tx
            .insert_account(
                &username,
                Role::Association,
                &self.password,
                self.must_change_password,
            )
            .await?;
        tx.audit(
            &ctx.audit(
                "account.create",
                Entity::Account,
                id.get(),
                None,
                None,
                Some(
                    Snapshot::default()
                        .with("username", &username)
                        .with("role", "association"),
                ),
            ),
        )
        .await?;
        Ok(id)
    }
}

/// Sets an account's password: the holder changing their own (the edge verified the old
/// password and checked the new one with [`crate::access::NewPassword::parse`]), or the
/// association resetting an institution's (`must_change_password` then set, so that the
/// generated password is not kept).
#[derive(Debug, Clone)]
pub struct SetAccountPassword {
    /// The account.
    pub account: AccountId,
    /// The new password's hash.
    pub password: PasswordHash,
    /// Whether it must be changed at the next login.
    pub must_change_password: bool,
}

impl UseCase for SetAccountPassword {
    type Output = ();

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<(), UseCaseError> {
        let account = tx
            .account(self.account)
            .await?
            .ok_or(UseCaseError::NotFound(Entity::Account))?;
        tx.update_account(&Account {
            password: self.password.clone(),
            must_change_password: self.must_change_password,
            ..account.clone()
        })
        .await?;
        tx.audit(&ctx.audit(
            if self.must_change_password {
                "account.reset_password"
            } else {
                "account.change_password"
            },
            Entity::Account,
            account.id.get(),
            None,
            None,
            Some(Snapshot::default().with("username", &account.username)),
        ))
        .await?;
        Ok(())
    }
}

/// Edits an institution, or disables or enables it.
#[derive(Debug, Clone)]
pub struct UpdateInstitution {
    /// The institution.
    pub id: InstitutionId,
    /// The form.
    pub form: InstitutionForm,
    /// Whether it may log in and act.
    pub active: bool,
    /// The version read when the form was shown.
    pub version: i64,
}

impl UseCase for UpdateInstitution {
    type Output = i64;

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<i64, UseCaseError> {
        let details = InstitutionDetails::parse(&self.form)?;
        let before = tx
            .institution(self.id)
            .await?
            .ok_or(UseCaseError::NotFound(Entity::Institution))?;
        let updated = Institution {
            id: self.id,
            details,
            active: self.active,
            version: self.version,
        };
        let version = tx.update_institution(&updated).await?;
        tx.audit(&ctx.audit(
            "institution.update",
            Entity::Institution,
            self.id.get(),
            None,
            Some(institution_snapshot(&before.details, before.active)),
            Some(institution_snapshot(&updated.details, updated.active)),
        ))
        .await?;
        Ok(version)
    }
}

/// Defines a registration cycle (or edits one when `id` is given).
#[derive(Debug, Clone)]
pub struct DefineCycle {
    /// The cycle to edit, or `None` for a new one.
    pub id: Option<CycleId>,
    /// The name, for example 2025—2028.
    pub name: String,
    /// The first day.
    pub start: Date,
    /// The last day.
    pub end: Date,
    /// The cycle's policy.
    pub policy: Policy,
}

impl UseCase for DefineCycle {
    type Output = CycleId;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<CycleId, UseCaseError> {
        let name = text_field(&self.name, 40, "name", "周期名称")?;
        let cycles = tx.cycles().await?;
        let id = self.id.unwrap_or(CycleId::new(0));
        let cycle =
            RegistrationCycle::new(id, name.clone(), self.start, self.end, self.policy.clone())?;
        cycles.check_fits(&cycle)?;
        let after = policy_snapshot(&name, self.start, self.end, &self.policy);
        match self.id {
            Some(id) => {
                let before = cycles
                    .get(id)
                    .ok_or(UseCaseError::NotFound(Entity::Cycle))?;
                let before_snapshot = Text::parse(before.name(), 40)
                    .map(|n| policy_snapshot(&n, before.start(), before.end(), before.policy()))
                    .ok();
                tx.update_cycle(&cycle).await?;
                tx.audit(&ctx.audit(
                    "cycle.update",
                    Entity::Cycle,
                    id.get(),
                    None,
                    before_snapshot,
                    Some(after),
                ))
                .await?;
                Ok(id)
            }
            None => {
                let id = tx
                    .insert_cycle(&name, self.start, self.end, &self.policy)
                    .await?;
                tx.audit(&ctx.audit(
                    "cycle.create",
                    Entity::Cycle,
                    id.get(),
                    None,
                    None,
                    Some(after),
                ))
                .await?;
                Ok(id)
            }
        }
    }
}

/// Loads the working-day calendar of whole years (a new year's holidays and adjusted
/// working days, as the State Council publishes them; or a corrected year): the years the
/// file covers replace the stored ones, and the stored calendar must stay whole (no year
/// missing between the first and the last).
#[derive(Debug, Clone)]
pub struct LoadCalendar {
    /// The years to load, parsed and checked.
    pub calendar: WorkCalendar,
}

/// What [`LoadCalendar`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarLoaded {
    /// The years loaded.
    pub years: std::ops::RangeInclusive<i32>,
    /// Their entries (holidays and adjusted working days).
    pub entries: usize,
    /// The years the stored calendar covers now.
    pub covered: std::ops::RangeInclusive<i32>,
}

impl UseCase for LoadCalendar {
    type Output = CalendarLoaded;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<CalendarLoaded, UseCaseError> {
        let years = self.calendar.years();
        let mut merged: Vec<crate::calendar::CalendarEntry> = tx
            .calendar_entries()
            .await?
            .into_iter()
            .filter(|e| !years.contains(&e.date.year()))
            .collect();
        merged.extend(self.calendar.entries().iter().cloned());
        let whole = WorkCalendar::from_entries(merged).map_err(|problems| {
            UseCaseError::Rejected(Violations::new(
                problems
                    .into_iter()
                    .map(|p| Violation::CalendarData(p.problem))
                    .collect(),
            ))
        })?;
        tx.replace_calendar_years(*years.start(), *years.end(), self.calendar.entries())
            .await?;
        let entries = self.calendar.entries().len();
        tx.audit(
            &ctx.audit(
                "calendar.load",
                Entity::Calendar,
                i64::from(*years.start()),
                None,
                None,
                Some(
                    Snapshot::default()
                        .with("first_year", *years.start())
                        .with("last_year", *years.end())
                        .with("entries", entries),
                ),
            ),
        )
        .await?;
        Ok(CalendarLoaded {
            years,
            entries,
            covered: whole.years(),
        })
    }
}

/// Discloses a person's full resident ID number to the association, and records the
/// disclosure in the audit log: every display of the full number is logged (PIPL).
#[derive(Debug, Clone)]
pub struct DiscloseResidentId {
    /// The person.
    pub person: PersonId,
    /// Why (the page or export that shows it).
    pub purpose: &'static str,
}

impl UseCase for DiscloseResidentId {
    type Output = crate::resident_id::ResidentId;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<crate::resident_id::ResidentId, UseCaseError> {
        let person = tx
            .person(self.person)
            .await?
            .ok_or(UseCaseError::NotFound(Entity::Person))?;
        tx.audit(&ctx.audit(
            "person.disclose_id",
            Entity::Person,
            self.person.get(),
            Some(self.person),
            None,
            Some(Snapshot::default().with("purpose", self.purpose)),
        ))
        .await?;
        Ok(person.resident_id)
    }
}

/// Records that documents showing these people's full ID numbers are being printed (the
/// certificates): one `person.disclose_id` entry per person, all in one transaction, before
/// anything is printed. Every display of the full number is logged (PIPL).
#[derive(Debug, Clone)]
pub struct DiscloseForPrinting {
    /// The people whose numbers the documents show.
    pub people: Vec<PersonId>,
    /// What is printed.
    pub purpose: &'static str,
}

impl UseCase for DiscloseForPrinting {
    type Output = ();

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<(), UseCaseError> {
        for &person in &self.people {
            tx.audit(&ctx.audit(
                "person.disclose_id",
                Entity::Person,
                person.get(),
                Some(person),
                None,
                Some(Snapshot::default().with("purpose", self.purpose)),
            ))
            .await?;
        }
        Ok(())
    }
}

/// Adds a training course.
#[derive(Debug, Clone)]
pub struct CreateCourse {
    /// The form.
    pub form: CourseForm,
}

impl UseCase for CreateCourse {
    type Output = CourseId;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<CourseId, UseCaseError> {
        let details = CourseDetails::parse(&self.form, ctx.catalogue)?;
        let id = tx.insert_course(&details).await?;
        let items: Vec<&str> = details.items.iter().map(ReviewItemCode::as_str).collect();
        let after = Snapshot::default()
            .with("name", &details.name)
            .with("start", format_date(details.start))
            .with("end", format_date(details.end))
            .with("items", items.join(","))
            .with("hours", details.hours.get());
        tx.audit(&ctx.audit(
            "course.create",
            Entity::Course,
            id.get(),
            None,
            None,
            Some(after),
        ))
        .await?;
        Ok(id)
    }
}

/// Credits a person with hours attended at a course.
#[derive(Debug, Clone)]
pub struct RecordAttendance {
    /// The course.
    pub course: CourseId,
    /// The person.
    pub person: PersonId,
    /// Hours attended, as typed.
    pub hours: String,
}

impl UseCase for RecordAttendance {
    type Output = AttendanceId;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<AttendanceId, UseCaseError> {
        let course = tx
            .course(self.course)
            .await?
            .ok_or(UseCaseError::NotFound(Entity::Course))?;
        existing_person(tx, self.person).await?;
        let Some(hours) = Hours::parse(&self.hours) else {
            return Err(Violation::HoursNotPositive.into());
        };
        let holder = !tx.qualifications(self.person).await?.is_empty();
        let recorded: Vec<_> = tx
            .attendance_of(self.person)
            .await?
            .into_iter()
            .filter(|a| a.course == self.course)
            .collect();
        check_attendance(&course, holder, &recorded, hours.get())?;
        let entry = NewAttendance {
            course: self.course,
            person: self.person,
            hours: hours.get(),
            reverses: None,
            recorded_on: ctx.today(),
        };
        let id = tx.insert_attendance(&entry).await?;
        let after = Snapshot::default()
            .with("course", self.course)
            .with("hours", hours.get());
        tx.audit(&ctx.audit(
            "attendance.record",
            Entity::Attendance,
            id.get(),
            Some(self.person),
            None,
            Some(after),
        ))
        .await?;
        Ok(id)
    }
}

/// Imports an attendance roster (培训班编号, 姓名, 身份证号或注册号, 课时). Every row is
/// checked first: the row's own form, the course, the person (by ID number or
/// registration number, with the same name), a certificate holder, no duplicate row in the
/// file, hours within what the course counts. By default nothing is written if any row is
/// bad (`good_rows_only` writes the good ones). A row whose person already has exactly
/// these hours for the course is "already recorded": importing the same roster twice
/// changes nothing.
#[derive(Debug, Clone)]
pub struct ImportAttendance {
    /// The roster's records (the first is the header).
    pub records: Vec<crate::csv::Record>,
    /// Write the good rows even if some are bad.
    pub good_rows_only: bool,
}

/// What happened to one roster row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    /// Written (or, when nothing was written because of bad rows, would have been).
    Imported,
    /// The same hours were recorded before; nothing to do.
    AlreadyRecorded,
    /// Refused, with every reason.
    Rejected(Vec<Violation>),
}

/// One line of an import report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowReport {
    /// The line in the file (the header is line 1; 0 for the file as a whole).
    pub line: usize,
    /// The row's name, when it could be read.
    pub name: String,
    /// What happened.
    pub outcome: RowOutcome,
}

/// The report of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// Every row, in file order.
    pub rows: Vec<RowReport>,
    /// How many entries were written.
    pub written: usize,
}

impl ImportReport {
    /// How many rows were refused.
    pub fn rejected(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| matches!(r.outcome, RowOutcome::Rejected(_)))
            .count()
    }
}

impl UseCase for ImportAttendance {
    type Output = ImportReport;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<ImportReport, UseCaseError> {
        let (rows, bad) = crate::education::parse_roster(&self.records, ctx.today());
        let mut reports: Vec<RowReport> = bad
            .into_iter()
            .map(|(line, problems)| RowReport {
                line,
                name: String::new(),
                outcome: RowOutcome::Rejected(problems),
            })
            .collect();
        let mut seen: std::collections::BTreeMap<(CourseId, PersonId), usize> =
            std::collections::BTreeMap::new();
        let mut courses: std::collections::BTreeMap<
            CourseId,
            Option<crate::education::TrainingCourse>,
        > = std::collections::BTreeMap::new();
        let mut to_write = Vec::new();
        for row in &rows {
            let mut problems = Vec::new();
            let course = match courses.entry(row.course) {
                std::collections::btree_map::Entry::Occupied(known) => known.get().clone(),
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(tx.course(row.course).await?).clone()
                }
            };
            if course.is_none() {
                problems.push(Violation::UnknownCourse(row.course.to_string()));
            }
            let person = match &row.person {
                crate::education::PersonRef::ResidentId(id) => tx.person_by_resident_id(id).await?,
                crate::education::PersonRef::Number(n) => {
                    tx.person_by_registration_number(*n).await?
                }
            };
            let mut outcome = None;
            match &person {
                None => problems.push(Violation::UnknownPerson(row.person.describe())),
                Some(p) => {
                    if p.name != row.name {
                        problems.push(Violation::NameMismatch {
                            masked_id: p.resident_id.masked(),
                            recorded: p.name.as_str().to_owned(),
                            given: row.name.as_str().to_owned(),
                        });
                    }
                    if let Some(first) = seen.get(&(row.course, p.id)) {
                        problems.push(Violation::DuplicateRow(*first));
                    } else {
                        seen.insert((row.course, p.id), row.line);
                    }
                    if let Some(course) = &course {
                        let holder = !tx.qualifications(p.id).await?.is_empty();
                        let recorded: Vec<_> = tx
                            .attendance_of(p.id)
                            .await?
                            .into_iter()
                            .filter(|a| a.course == course.id)
                            .collect();
                        let net: rust_decimal::Decimal = recorded.iter().map(|a| a.hours).sum();
                        if holder && net == row.hours.get() {
                            outcome = Some(RowOutcome::AlreadyRecorded);
                        } else if let Err(v) =
                            check_attendance(course, holder, &recorded, row.hours.get())
                        {
                            problems.extend(v.into_vec());
                        }
                    }
                }
            }
            let outcome = if problems.is_empty() {
                outcome.unwrap_or(RowOutcome::Imported)
            } else {
                RowOutcome::Rejected(problems)
            };
            if outcome == RowOutcome::Imported
                && let Some(p) = &person
            {
                to_write.push((row.course, p.id, row.hours));
            }
            reports.push(RowReport {
                line: row.line,
                name: row.name.as_str().to_owned(),
                outcome,
            });
        }
        reports.sort_by_key(|r| r.line);
        let any_bad = reports
            .iter()
            .any(|r| matches!(r.outcome, RowOutcome::Rejected(_)));
        let mut written = 0;
        if !any_bad || self.good_rows_only {
            for (course, person, hours) in to_write {
                let id = tx
                    .insert_attendance(&NewAttendance {
                        course,
                        person,
                        hours: hours.get(),
                        reverses: None,
                        recorded_on: ctx.today(),
                    })
                    .await?;
                tx.audit(
                    &ctx.audit(
                        "attendance.import",
                        Entity::Attendance,
                        id.get(),
                        Some(person),
                        None,
                        Some(
                            Snapshot::default()
                                .with("course", course)
                                .with("hours", hours.get()),
                        ),
                    ),
                )
                .await?;
                written += 1;
            }
        }
        Ok(ImportReport {
            rows: reports,
            written,
        })
    }
}

/// Cancels an attendance entry with a reversing entry (history is never edited).
#[derive(Debug, Clone)]
pub struct ReverseAttendance {
    /// The entry to cancel.
    pub entry: AttendanceId,
}

impl UseCase for ReverseAttendance {
    type Output = AttendanceId;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<AttendanceId, UseCaseError> {
        let entry = tx
            .attendance_entry(self.entry)
            .await?
            .ok_or(UseCaseError::NotFound(Entity::Attendance))?;
        let all = tx.attendance_of(entry.person).await?;
        check_reversal(&entry, &all)?;
        let reversal = NewAttendance {
            course: entry.course,
            person: entry.person,
            hours: -entry.hours,
            reverses: Some(entry.id),
            recorded_on: ctx.today(),
        };
        let id = tx.insert_attendance(&reversal).await?;
        let after = Snapshot::default()
            .with("reverses", entry.id)
            .with("hours", reversal.hours);
        tx.audit(&ctx.audit(
            "attendance.reverse",
            Entity::Attendance,
            id.get(),
            Some(entry.person),
            None,
            Some(after),
        ))
        .await?;
        Ok(id)
    }
}

// ——— The institution ———

/// Employs a person for review items (添加人员, or 聘用 from the pool): each item must be
/// one the person is qualified in and that no institution holds. A new employment needs
/// the fill-in password's hash, which the edge generated and shows once.
#[derive(Debug, Clone)]
pub struct EmployItems {
    /// The institution, from the session.
    pub institution: InstitutionId,
    /// The person.
    pub person: PersonId,
    /// The codes of the items.
    pub items: Vec<String>,
    /// The fill-in password's hash, required when the institution does not employ the
    /// person yet.
    pub password: Option<FillInPasswordHash>,
}

/// What [`EmployItems`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employed {
    /// Whether the employment is new (the password was set).
    pub new_employment: bool,
    /// Each item and the state it starts in.
    pub items: Vec<(ReviewItemCode, ItemState)>,
}

impl UseCase for EmployItems {
    type Output = Employed;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<Employed, UseCaseError> {
        let today = ctx.today();
        active_institution(tx, self.institution).await?;
        let person = existing_person(tx, self.person).await?;
        let mut problems = Vec::new();
        let items = parse_items(ctx.catalogue, &self.items, &mut problems);
        let qualifications = tx.qualifications(self.person).await?;
        let holdings = tx.holdings_of(self.person).await?;
        for item in &items {
            let name = ctx.catalogue.name_of(item).to_owned();
            if !qualifications.iter().any(|q| &q.item == item) {
                problems.push(Violation::NotQualified { item: name.clone() });
            }
            match holdings
                .iter()
                .find(|h| &h.item == item && h.state.is_active())
            {
                Some(h) if h.institution == self.institution => {
                    problems.push(Violation::AlreadyHeld { item: name });
                }
                Some(_) => problems.push(Violation::HeldByAnother { item: name }),
                None => {}
            }
        }
        let limit = tx.cycles().await?.policy_at(today).registration_age_limit;
        let age = full_years(person.resident_id.birth_date(), today);
        if age >= limit {
            problems.push(Violation::RegistrationAgeLimit {
                age,
                on: format_date(today),
                limit,
            });
        }
        let employment = tx.employment(self.person, self.institution).await?;
        if employment.is_none() && self.password.is_none() {
            problems.push(Violation::NoFillInPassword);
        }
        reject_if_any(problems)?;

        let (progress, new_employment) = match (&employment, &self.password) {
            (Some(existing), _) => (existing.progress, false),
            (None, Some(password)) => {
                let employment = crate::holding::Employment {
                    person: self.person,
                    institution: self.institution,
                    password: password.clone(),
                    progress: EntryProgress::NotOpened,
                    since: today,
                    version: 1,
                };
                tx.insert_employment(&employment).await?;
                tx.audit(&ctx.audit(
                    "employment.create",
                    Entity::Employment,
                    self.person.get(),
                    Some(self.person),
                    None,
                    Some(Snapshot::default().with("institution", self.institution)),
                ))
                .await?;
                (EntryProgress::NotOpened, true)
            }
            (None, None) => return Err(Violation::NoFillInPassword.into()),
        };
        let mut out = Vec::new();
        for item in items {
            let new = NewHolding {
                person: self.person,
                item: item.clone(),
                institution: self.institution,
                state: ItemState::initial(progress),
                since: today,
            };
            let holding = tx.insert_holding(&new).await.map_err(|e| match e {
                StoreError::Conflict(Conflict::ItemHeld { .. }) => {
                    UseCaseError::Conflict(Conflict::ItemHeld {
                        item: ctx.catalogue.name_of(&item).to_owned(),
                    })
                }
                other => other.into(),
            })?;
            tx.audit(&ctx.audit(
                "holding.employ",
                Entity::Holding,
                holding.id.get(),
                Some(self.person),
                None,
                Some(holding_snapshot(&holding)),
            ))
            .await?;
            out.push((item, holding.state));
        }
        Ok(Employed {
            new_employment,
            items: out,
        })
    }
}

/// Sets (or resets) the fill-in password of a person the institution employs.
#[derive(Debug, Clone)]
pub struct SetFillInPassword {
    /// The institution, from the session.
    pub institution: InstitutionId,
    /// The person.
    pub person: PersonId,
    /// The new password's hash.
    pub password: FillInPasswordHash,
}

impl UseCase for SetFillInPassword {
    type Output = ();

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<(), UseCaseError> {
        active_institution(tx, self.institution).await?;
        let employment = current_employment(tx, self.person, self.institution).await?;
        let updated = crate::holding::Employment {
            password: self.password.clone(),
            ..employment
        };
        tx.update_employment(&updated).await?;
        tx.audit(&ctx.audit(
            "employment.set_password",
            Entity::Employment,
            self.person.get(),
            Some(self.person),
            None,
            Some(Snapshot::default().with("institution", self.institution)),
        ))
        .await?;
        Ok(())
    }
}

/// The employment of a person by an institution that holds at least one of their items;
/// `NotFound` otherwise, so that an institution learns nothing of people it does not
/// employ.
async fn current_employment<T: RegisterTx>(
    tx: &mut T,
    person: PersonId,
    institution: InstitutionId,
) -> Result<crate::holding::Employment, UseCaseError> {
    let employment = tx
        .employment(person, institution)
        .await?
        .ok_or(UseCaseError::NotFound(Entity::Person))?;
    let holds_any = tx
        .holdings_of(person)
        .await?
        .iter()
        .any(|h| h.institution == institution && h.state.is_active());
    if holds_any {
        Ok(employment)
    } else {
        Err(UseCaseError::NotFound(Entity::Person))
    }
}

/// Registers review items of a person the institution holds (注册), all or none: every
/// rule is checked for every item and every violation is reported. The person receives a
/// registration number at their first registration.
#[derive(Debug, Clone)]
pub struct RegisterItems {
    /// The institution, from the session.
    pub institution: InstitutionId,
    /// The person.
    pub person: PersonId,
    /// The codes of the items.
    pub items: Vec<String>,
}

/// What [`RegisterItems`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// The person's registration number.
    pub number: RegistrationNumber,
    /// Each item with its registration.
    pub items: Vec<(ReviewItemCode, RegistrationPeriod)>,
}

impl UseCase for RegisterItems {
    type Output = Registered;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<Registered, UseCaseError> {
        let today = ctx.today();
        active_institution(tx, self.institution).await?;
        let person = existing_person(tx, self.person).await?;
        let mut problems = Vec::new();
        let items = parse_items(ctx.catalogue, &self.items, &mut problems);
        reject_if_any(std::mem::take(&mut problems))?;
        let holdings = tx.holdings_of(self.person).await?;
        let mut targets = Vec::new();
        for item in &items {
            let holding = holdings
                .iter()
                .find(|h| {
                    &h.item == item && h.institution == self.institution && h.state.is_active()
                })
                .ok_or(UseCaseError::NotFound(Entity::Holding))?;
            targets.push(holding.clone());
        }
        let qualifications = tx.qualifications(self.person).await?;
        let history = tx.registrations_of(self.person).await?;
        let courses = tx.courses_of(self.person).await?;
        let attendance = tx.attendance_of(self.person).await?;
        let cycles = tx.cycles().await?;
        let facts = PersonFacts {
            person: &person,
            qualifications: &qualifications,
            history: &history,
            courses: &courses,
            attendance: &attendance,
        };
        let reference = Reference {
            catalogue: ctx.catalogue,
            cycles: &cycles,
        };
        problems.extend(person_obstacles(&person));
        let mut periods = Vec::new();
        for holding in &targets {
            match check_registration(facts, reference, holding, today) {
                Ok(period) => periods.push(period),
                Err(item_problems) => problems.extend(item_problems),
            }
        }
        reject_if_any(problems)?;

        let year = u16::try_from(today.year()).unwrap_or(2000);
        let number = tx.assign_registration_number(self.person, year).await?;
        let mut out = Vec::new();
        for (mut holding, period) in targets.into_iter().zip(periods) {
            let before = holding_snapshot(&holding);
            holding
                .apply(ItemEvent::Register)
                .map_err(Violation::from)?;
            holding.registration = Some(period.clone());
            tx.update_holding(&holding).await?;
            tx.insert_registration(&RegistrationRecord {
                holding: holding.id,
                person: self.person,
                item: holding.item.clone(),
                institution: self.institution,
                period: period.clone(),
            })
            .await?;
            tx.audit(&ctx.audit(
                "holding.register",
                Entity::Holding,
                holding.id.get(),
                Some(self.person),
                Some(before),
                Some(holding_snapshot(&holding).with("registration_number", number)),
            ))
            .await?;
            out.push((holding.item, period));
        }
        documents::refresh_card(ctx, tx, self.person, self.institution).await?;
        Ok(Registered { number, items: out })
    }
}

/// Releases a person's review item to the pool (退回人员), with a reason. The person's
/// hours and working days are untouched; the holding stays as history.
#[derive(Debug, Clone)]
pub struct ReleaseItem {
    /// The institution, from the session.
    pub institution: InstitutionId,
    /// The person.
    pub person: PersonId,
    /// The item's code.
    pub item: String,
    /// 退回原因
    pub reason: String,
}

impl UseCase for ReleaseItem {
    type Output = ();

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<(), UseCaseError> {
        existing_person(tx, self.person).await?;
        let reason = text_field(&self.reason, 200, "reason", "退回原因");
        let item = ReviewItemCode::parse(&self.item)
            .map_err(|_| UseCaseError::NotFound(Entity::Holding))?;
        let mut holding = tx
            .holdings_of(self.person)
            .await?
            .into_iter()
            .find(|h| h.item == item && h.institution == self.institution && h.state.is_active())
            .ok_or(UseCaseError::NotFound(Entity::Holding))?;
        let reason = reason?;
        let before = holding_snapshot(&holding);
        holding.apply(ItemEvent::Release).map_err(Violation::from)?;
        holding.released_on = Some(ctx.today());
        holding.release_reason = Some(reason);
        tx.update_holding(&holding).await?;
        tx.audit(&ctx.audit(
            "holding.release",
            Entity::Holding,
            holding.id.get(),
            Some(self.person),
            Some(before),
            Some(holding_snapshot(&holding)),
        ))
        .await?;
        documents::refresh_card(ctx, tx, self.person, self.institution).await?;
        Ok(())
    }
}

/// Records an on-site assessment a person took part in; the working days are counted with
/// the calendar. An institution records only for items it holds of that person; the
/// association (`institution` none) for any item the person is qualified in.
#[derive(Debug, Clone)]
pub struct RecordAssessment {
    /// The person.
    pub person: PersonId,
    /// The institution recording it, from the session; none for the association.
    pub institution: Option<InstitutionId>,
    /// The form.
    pub form: AssessmentForm,
}

impl UseCase for RecordAssessment {
    type Output = (AssessmentId, u32);

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<(AssessmentId, u32), UseCaseError> {
        existing_person(tx, self.person).await?;
        if let Some(institution) = self.institution {
            active_institution(tx, institution).await?;
            current_employment(tx, self.person, institution).await?;
        }
        let details =
            AssessmentDetails::parse(&self.form, ctx.catalogue, ctx.calendar, ctx.today())?;
        let name = ctx.catalogue.name_of(&details.item).to_owned();
        match self.institution {
            Some(institution) => {
                let holds = tx.holdings_of(self.person).await?.iter().any(|h| {
                    h.item == details.item && h.institution == institution && h.state.is_active()
                });
                if !holds {
                    return Err(Violation::AssessmentItemNotHeld { item: name }.into());
                }
            }
            None => {
                let qualified = tx
                    .qualifications(self.person)
                    .await?
                    .iter()
                    .any(|q| q.item == details.item);
                if !qualified {
                    return Err(Violation::NotQualified { item: name }.into());
                }
            }
        }
        let id = tx
            .insert_assessment(self.person, self.institution, &details)
            .await?;
        let after = Snapshot::default()
            .with("applicant_unit", &details.applicant_unit)
            .with("item", &details.item)
            .with("start", format_date(details.start))
            .with("end", format_date(details.end))
            .with("kind", details.kind.code())
            .with("working_days", details.working_days);
        tx.audit(&ctx.audit(
            "assessment.record",
            Entity::Assessment,
            id.get(),
            Some(self.person),
            None,
            Some(after),
        ))
        .await?;
        Ok((id, details.working_days))
    }
}

// ——— The assessor ———

/// Saves the details a person fills in through an institution's entry (人员基本信息 →
/// 确定). The edge has checked the fill-in password. The form carries no state, item,
/// institution or registration: a person changes only their own details. Once the details
/// are complete, the person's items at that institution turn "等待注册" by themselves.
#[derive(Debug, Clone)]
pub struct SaveDetails {
    /// The person.
    pub person: PersonId,
    /// The institution whose entry the person used.
    pub via: InstitutionId,
    /// The form.
    pub form: DetailsForm,
    /// The version of the details the form was shown with.
    pub version: i64,
}

/// What [`SaveDetails`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailsSaved {
    /// The new version of the details.
    pub version: i64,
    /// The required fields still empty.
    pub missing: Vec<DetailField>,
    /// The person's items at that institution with their states now.
    pub items: Vec<(ReviewItemCode, ItemState)>,
}

impl UseCase for SaveDetails {
    type Output = DetailsSaved;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<DetailsSaved, UseCaseError> {
        let today = ctx.today();
        let person = existing_person(tx, self.person).await?;
        let employment = current_employment(tx, self.person, self.via).await?;
        let details = AssessorDetails::parse(&self.form, &person.resident_id)?;
        let missing = details.missing();
        let complete = missing.is_empty();
        let holdings = tx.holdings_of(self.person).await?;
        let registered = holdings
            .iter()
            .any(|h| h.state_on(today) == ItemState::Registered);
        if registered && !complete {
            return Err(Violation::RegisteredMustStayComplete {
                missing: labels(&missing),
            }
            .into());
        }
        let before = person_snapshot(&person);
        let version = tx
            .update_details(self.person, &details, self.version)
            .await?;
        let after = person_snapshot(&Person {
            details: details.clone(),
            ..person
        });
        tx.audit(&ctx.audit(
            "person.details",
            Entity::Person,
            self.person.get(),
            Some(self.person),
            Some(before),
            Some(after),
        ))
        .await?;

        let progress = if complete {
            EntryProgress::Complete
        } else {
            EntryProgress::Incomplete
        };
        if employment.progress != progress {
            tx.update_employment(&crate::holding::Employment {
                progress,
                ..employment
            })
            .await?;
        }
        // Details that lost completeness hold back every institution's pending items;
        // completeness gained counts only for the institution whose entry was used.
        if !complete {
            for other in tx.employments_of(self.person).await? {
                if other.institution != self.via && other.progress == EntryProgress::Complete {
                    tx.update_employment(&crate::holding::Employment {
                        progress: EntryProgress::Incomplete,
                        ..other
                    })
                    .await?;
                }
            }
        }
        let mut items = Vec::new();
        for mut holding in holdings.into_iter().filter(|h| h.state.is_active()) {
            let applies = holding.institution == self.via
                || (!complete && holding.state == ItemState::AwaitingRegistration);
            if applies {
                let before = holding_snapshot(&holding);
                let previous = holding.state;
                // A registration that has ended but that the nightly sweep has not marked
                // yet: it is expired now, as the sweep would record it.
                if holding.state == ItemState::Registered
                    && holding.state_on(today) == ItemState::Expired
                {
                    holding.apply(ItemEvent::Expire).map_err(Violation::from)?;
                }
                holding
                    .apply(ItemEvent::DetailsSaved { complete })
                    .map_err(Violation::from)?;
                if holding.state != previous {
                    tx.update_holding(&holding).await?;
                    tx.audit(&ctx.audit(
                        "holding.state",
                        Entity::Holding,
                        holding.id.get(),
                        Some(self.person),
                        Some(before),
                        Some(holding_snapshot(&holding)),
                    ))
                    .await?;
                }
            }
            if holding.institution == self.via {
                items.push((holding.item.clone(), holding.state_on(today)));
            }
        }
        Ok(DetailsSaved {
            version,
            missing,
            items,
        })
    }
}
