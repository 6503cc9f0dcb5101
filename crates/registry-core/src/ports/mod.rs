//! The ports through which storage plugs into the core.
//!
//! [`Register`] opens transactions; [`RegisterTx`] reads and writes the register inside
//! one. Every use case of [`crate::usecases`] runs in one transaction: it reads what it
//! needs, decides with the pure rules, writes, and commits; if anything fails the
//! transaction is dropped and nothing is written. Each method's contract says what it
//! must return when the register refuses a write; an implementation that returns
//! something else breaks the register's invariants.
//!
//! The traits are written with `impl Future + Send` so that use cases can run on any
//! async runtime and inside multi-threaded servers; an implementation may write its
//! methods as `async fn`.

mod entity;
mod machine;
mod reminders;

pub use entity::Entity;
pub use machine::MachineTx;
pub use reminders::ReminderTx;

use std::fmt;
use std::future::Future;

use time::OffsetDateTime;

use crate::access::{Account, AccountId, PasswordHash, Role, SecondFactor, Username};
use crate::assessment::{AssessmentDetails, OnSiteAssessment};
use crate::calendar::CalendarEntry;
use crate::cycle::{Cycles, RegistrationCycle};
use crate::document::{Document, NewDocument, VerificationCode, VerificationToken};
use crate::education::{Attendance, CourseDetails, NewAttendance, TrainingCourse};
use crate::holding::{Employment, Holding, NewHolding, RegistrationRecord};
use crate::ids::{
    AssessmentId, AttendanceId, CourseId, CycleId, DocumentId, InstitutionId, PersonId,
};
use crate::institution::{Institution, InstitutionDetails};
use crate::person::{AssessorDetails, Person, PersonName};
use crate::policy::Policy;
use crate::qualification::Qualification;
use crate::registration_number::RegistrationNumber;
use crate::resident_id::ResidentId;
use crate::text::Text;

/// A write that the register refuses because of what others did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// Another active holding of the same (person, item) exists: another institution
    /// took the item first. `item` is the item's code as the store reports it; use cases
    /// replace it with the item's name.
    ItemHeld {
        /// The item's code or name.
        item: String,
    },
    /// The record changed since it was read (its version differs): a stale edit.
    Stale(Entity),
}

/// A record that may exist only once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duplicate {
    /// A person with this resident ID number exists.
    ResidentId,
    /// The person already holds this qualification.
    Qualification,
    /// An institution with this number exists.
    InstitutionNumber,
    /// An institution with this credit code exists.
    CreditCode,
    /// The person is already employed by this institution.
    Employment,
    /// An account with this login name exists.
    Username,
}

impl Duplicate {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Duplicate::ResidentId => "duplicate.resident_id",
            Duplicate::Qualification => "duplicate.qualification",
            Duplicate::InstitutionNumber => "duplicate.institution_number",
            Duplicate::CreditCode => "duplicate.credit_code",
            Duplicate::Employment => "duplicate.employment",
            Duplicate::Username => "duplicate.username",
        }
    }

    /// The Chinese message.
    pub fn message(self) -> &'static str {
        match self {
            Duplicate::ResidentId => "该身份证号已登记",
            Duplicate::Qualification => "该人员已取得该评审资格",
            Duplicate::InstitutionNumber => "该机构编号已被其他机构使用",
            Duplicate::CreditCode => "该统一社会信用代码已被其他机构使用",
            Duplicate::Employment => "该人员已由本机构聘用",
            Duplicate::Username => "该用户名已被使用",
        }
    }
}

/// What storage reports when a read or write fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Refused because of what others did; see [`Conflict`].
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// Refused because the record exists already; see [`Duplicate`].
    #[error("duplicate: {0:?}")]
    Duplicate(Duplicate),
    /// A transient failure (a serialization failure, a busy database): running the whole
    /// transaction again may succeed. The use-case runner retries a few times.
    #[error("transient failure, retry")]
    Retry,
    /// The database does not answer.
    #[error("the database does not answer")]
    Unavailable,
    /// Anything else. The text is for the log only and never reaches a user.
    #[error("unexpected storage failure: {0}")]
    Unexpected(String),
}

/// Fresh randomness, for the keys of documents. The core does no IO, so the caller
/// supplies it: the operating system's generator in production, a fixed sequence in
/// tests ([`crate::memory::SequenceEntropy`]).
pub trait Entropy: Send + Sync + fmt::Debug {
    /// Fills `bytes` with random bytes.
    fn fill(&self, bytes: &mut [u8]);
}

/// Who acted, for the audit log.
#[derive(Clone, PartialEq, Eq)]
pub enum Actor {
    /// An administrator of the association, by account name.
    Association {
        /// The account name.
        account: String,
    },
    /// An institution's account.
    Institution {
        /// The institution.
        id: InstitutionId,
        /// The account name.
        account: String,
    },
    /// An assessor through an institution's fill-in entry.
    Assessor {
        /// The person.
        person: PersonId,
        /// The institution whose entry they used.
        via: InstitutionId,
    },
    /// A batch job.
    System {
        /// The job's name.
        job: String,
    },
    /// A machine client, by its API token.
    Token {
        /// The token.
        token: crate::ids::TokenId,
        /// For whom it acts.
        holder: crate::api_token::TokenHolder,
    },
}

impl fmt::Debug for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.describe())
    }
}

impl Actor {
    /// A one-line description for the audit log: `association:admin`,
    /// `institution:3:fj-center`, `assessor:17@3`, `system:sweep`, `token:5@institution:3`.
    pub fn describe(&self) -> String {
        match self {
            Actor::Association { account } => format!("association:{account}"),
            Actor::Institution { id, account } => format!("institution:{id}:{account}"),
            Actor::Assessor { person, via } => format!("assessor:{person}@{via}"),
            Actor::System { job } => format!("system:{job}"),
            Actor::Token { token, holder } => format!("token:{token}@{holder}"),
        }
    }
}

/// A record's fields as text, before or after a change, for the audit log. Sensitive
/// values (the resident ID number) appear masked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot(pub Vec<(&'static str, String)>);

impl Snapshot {
    /// Adds a field.
    pub fn with(mut self, key: &'static str, value: impl fmt::Display) -> Snapshot {
        self.0.push((key, value.to_string()));
        self
    }
}

/// One entry of the audit log, written in the same transaction as the change it records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// When.
    pub at: OffsetDateTime,
    /// Who.
    pub actor: Actor,
    /// What, as a stable code (`holding.register`).
    pub action: &'static str,
    /// The kind of record changed.
    pub entity: Entity,
    /// Its identifier.
    pub entity_id: i64,
    /// The person concerned, so a person's history can be found.
    pub person: Option<PersonId>,
    /// The record before.
    pub before: Option<Snapshot>,
    /// The record after.
    pub after: Option<Snapshot>,
}

/// A person new to the register, added with others at once by an import of a pass list:
/// their qualifications, and their first certificate edition (whose `person` storage fills
/// in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRegistrant {
    /// The name.
    pub name: PersonName,
    /// The ID number.
    pub resident_id: ResidentId,
    /// The items passed, each with its exam date and the pass list's publication date.
    pub qualifications: Vec<(crate::review_item::ReviewItemCode, time::Date, time::Date)>,
    /// The first certificate edition.
    pub certificate: NewDocument,
}

/// What storage gave a [`NewRegistrant`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registrant {
    /// The person's id.
    pub person: PersonId,
    /// Their registration number.
    pub number: RegistrationNumber,
    /// Their certificate edition.
    pub certificate: DocumentId,
}

/// Which login or entry sessions a use case ends, in its own transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionsToEnd<'a> {
    /// Every session of an account, except the one whose token hash is `keep` (the
    /// session that changed its own password stays open).
    Account {
        /// The account.
        account: AccountId,
        /// The token hash of the session to keep.
        keep: Option<&'a str>,
    },
    /// Every session of a person's fill-in entry through an institution.
    Entry {
        /// The person.
        person: PersonId,
        /// The institution whose entry it is.
        institution: InstitutionId,
    },
    /// Every session of an institution: its account's, and every fill-in entry through it.
    Institution(InstitutionId),
}

/// Opens transactions on the register.
pub trait Register: Send + Sync {
    /// A transaction.
    type Tx: RegisterTx;

    /// Begins a transaction. Dropping it without [`RegisterTx::commit`] rolls it back.
    fn begin(&self) -> impl Future<Output = Result<Self::Tx, StoreError>> + Send;
}

/// Reads and writes of the register within one transaction.
///
/// Reads see the transaction's own writes. Writes that carry a `version` MUST apply only
/// if the stored version equals it, MUST increment it, and MUST return
/// `Conflict(Stale(..))` otherwise: two people never silently overwrite each other.
pub trait RegisterTx: ReminderTx + MachineTx + Send {
    /// Commits every write of the transaction, or none. MAY return `Retry` when a
    /// concurrent transaction made this one impossible to serialize.
    fn commit(self) -> impl Future<Output = Result<(), StoreError>> + Send;

    // People.

    /// The person with this id.
    fn person(
        &mut self,
        id: PersonId,
    ) -> impl Future<Output = Result<Option<Person>, StoreError>> + Send;

    /// The person with this id, locked for the rest of the transaction: use cases that
    /// change a person's records call it first, so that two of them on the same person
    /// run one after the other (on PostgreSQL, `SELECT … FOR UPDATE`; SQLite transactions
    /// are serialized already).
    fn lock_person(
        &mut self,
        id: PersonId,
    ) -> impl Future<Output = Result<Option<Person>, StoreError>> + Send;

    /// The person with this resident ID number.
    fn person_by_resident_id(
        &mut self,
        id: &ResidentId,
    ) -> impl Future<Output = Result<Option<Person>, StoreError>> + Send;

    /// The person with this registration number.
    fn person_by_registration_number(
        &mut self,
        number: RegistrationNumber,
    ) -> impl Future<Output = Result<Option<Person>, StoreError>> + Send;

    /// Adds a person with empty details. MUST return `Duplicate(ResidentId)` if a person
    /// with this ID number exists.
    fn insert_person(
        &mut self,
        name: &PersonName,
        resident_id: &ResidentId,
    ) -> impl Future<Output = Result<PersonId, StoreError>> + Send;

    /// Replaces the person's details if their version is `expected_version`; returns the
    /// new version. MUST return `Conflict(Stale(Person))` otherwise.
    fn update_details(
        &mut self,
        person: PersonId,
        details: &AssessorDetails,
        expected_version: i64,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// The people among `ids` that the register holds, with the items they hold, at once
    /// (an import checks a thousand rows in one go).
    fn people_by_resident_ids(
        &mut self,
        ids: &[ResidentId],
    ) -> impl Future<
        Output = Result<
            std::collections::BTreeMap<ResidentId, crate::exchange::KnownPerson>,
            StoreError,
        >,
    > + Send;

    /// Adds people new to the register at once, each with their qualifications, the next
    /// registration number of `year` and their certificate edition; returns what each got,
    /// in order. MUST return `Duplicate(ResidentId)` for a person the register holds, and
    /// `Retry` for a verification key already used (as [`RegisterTx::insert_document`]).
    fn insert_new_people(
        &mut self,
        people: &[NewRegistrant],
        year: u16,
    ) -> impl Future<Output = Result<Vec<Registrant>, StoreError>> + Send;

    /// Gives the person a new registration number in the given year if they have none,
    /// and returns the person's number. A committed number MUST never be given again, to
    /// anyone, ever.
    fn assign_registration_number(
        &mut self,
        person: PersonId,
        year: u16,
    ) -> impl Future<Output = Result<RegistrationNumber, StoreError>> + Send;

    // Qualifications.

    /// The person's qualifications.
    fn qualifications(
        &mut self,
        person: PersonId,
    ) -> impl Future<Output = Result<Vec<Qualification>, StoreError>> + Send;

    /// Records a qualification. MUST return `Duplicate(Qualification)` if the person
    /// holds that item already.
    fn insert_qualification(
        &mut self,
        qualification: &Qualification,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    // Institutions.

    /// The institution with this id.
    fn institution(
        &mut self,
        id: InstitutionId,
    ) -> impl Future<Output = Result<Option<Institution>, StoreError>> + Send;

    /// Adds an institution (active). MUST return `Duplicate(InstitutionNumber)` or
    /// `Duplicate(CreditCode)` if another institution has that number or code.
    fn insert_institution(
        &mut self,
        details: &InstitutionDetails,
    ) -> impl Future<Output = Result<InstitutionId, StoreError>> + Send;

    /// Replaces an institution's details and active flag if its version is
    /// `institution.version`; returns the new version. Same duplicates as insert; MUST
    /// return `Conflict(Stale(Institution))` on a version mismatch.
    fn update_institution(
        &mut self,
        institution: &Institution,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    // Employments and holdings.

    /// The employment of the person by the institution.
    fn employment(
        &mut self,
        person: PersonId,
        institution: InstitutionId,
    ) -> impl Future<Output = Result<Option<Employment>, StoreError>> + Send;

    /// Every employment of the person.
    fn employments_of(
        &mut self,
        person: PersonId,
    ) -> impl Future<Output = Result<Vec<Employment>, StoreError>> + Send;

    /// Adds an employment (its `version` is ignored and starts at 1). MUST return
    /// `Duplicate(Employment)` if one exists for the pair.
    fn insert_employment(
        &mut self,
        employment: &Employment,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Replaces the password and progress of an employment if its version is
    /// `employment.version`; returns the new version.
    fn update_employment(
        &mut self,
        employment: &Employment,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Every holding of the person's items, active and released, oldest first.
    fn holdings_of(
        &mut self,
        person: PersonId,
    ) -> impl Future<Output = Result<Vec<Holding>, StoreError>> + Send;

    /// Adds a holding. MUST return `Conflict(ItemHeld)` if an active holding of the same
    /// (person, item) exists, at any institution. Storage MUST enforce this with a
    /// constraint of the database, so that two concurrent transactions cannot both
    /// succeed.
    fn insert_holding(
        &mut self,
        holding: &NewHolding,
    ) -> impl Future<Output = Result<Holding, StoreError>> + Send;

    /// Replaces a holding's state, registration and release facts if its version is
    /// `holding.version`; returns the new version.
    fn update_holding(
        &mut self,
        holding: &Holding,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Every registration ever made of the person's items.
    fn registrations_of(
        &mut self,
        person: PersonId,
    ) -> impl Future<Output = Result<Vec<RegistrationRecord>, StoreError>> + Send;

    /// Keeps a registration in the history.
    fn insert_registration(
        &mut self,
        record: &RegistrationRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    // Cycles.

    /// Every registration cycle.
    fn cycles(&mut self) -> impl Future<Output = Result<Cycles, StoreError>> + Send;

    /// Adds a cycle.
    fn insert_cycle(
        &mut self,
        name: &Text,
        start: time::Date,
        end: time::Date,
        policy: &Policy,
    ) -> impl Future<Output = Result<CycleId, StoreError>> + Send;

    /// Replaces a cycle's name, dates and policy if it is still at `cycle.version()`, and
    /// returns the new version. MUST return `Conflict(Stale(Cycle))` otherwise: two
    /// administrators editing one cycle never silently overwrite each other.
    fn update_cycle(
        &mut self,
        cycle: &RegistrationCycle,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// What a change of the dates of cycle `cycle` may concern, for
    /// [`crate::cycle_change::check_change`]; `from..=to` are the days of the old and the
    /// new dates together ([`crate::cycle_change::days_concerned`]). It MUST return:
    ///
    /// - every registration of the cycle, whatever the holding's state now: each record of
    ///   the registration history whose `period.cycle` is `cycle`, and each holding's
    ///   current registration of `cycle` (a holding's registration that the history also
    ///   holds, with the same validity, MAY come once or twice);
    /// - every edition of a document, not void, whose `valid_until` lies in `from..=to`;
    /// - every course whose last day lies in `from..=to`;
    ///
    /// each person by name and masked ID number, in any order. A use case calls it before
    /// [`RegisterTx::update_cycle`], and storage MUST keep what it returned true until
    /// the transaction ends: a concurrent transaction that reads the cycles and registers
    /// or makes a document either committed before (and is returned) or reads the cycle's
    /// new dates (on PostgreSQL: the cycle's row is locked `FOR UPDATE` here, and a write
    /// transaction reads the cycles `FOR KEY SHARE`; SQLite's writers run one at a time).
    fn bound_to_cycle(
        &mut self,
        cycle: CycleId,
        from: time::Date,
        to: time::Date,
    ) -> impl Future<Output = Result<crate::cycle_change::CycleBindings, StoreError>> + Send;

    // The working-day calendar.

    /// Every entry of the stored calendar (holidays and adjusted working days).
    fn calendar_entries(
        &mut self,
    ) -> impl Future<Output = Result<Vec<CalendarEntry>, StoreError>> + Send;

    /// Replaces the stored entries of the years `first..=last` by `entries`.
    fn replace_calendar_years(
        &mut self,
        first: i32,
        last: i32,
        entries: &[CalendarEntry],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    // Continuing education.

    /// The course with this id.
    fn course(
        &mut self,
        id: CourseId,
    ) -> impl Future<Output = Result<Option<TrainingCourse>, StoreError>> + Send;

    /// Adds a course, run by `provider` if one is named.
    fn insert_course(
        &mut self,
        details: &CourseDetails,
        provider: Option<crate::ids::ProviderId>,
    ) -> impl Future<Output = Result<CourseId, StoreError>> + Send;

    /// The courses the person has attendance entries for.
    fn courses_of(
        &mut self,
        person: PersonId,
    ) -> impl Future<Output = Result<Vec<TrainingCourse>, StoreError>> + Send;

    /// The person's attendance entries, reversals included.
    fn attendance_of(
        &mut self,
        person: PersonId,
    ) -> impl Future<Output = Result<Vec<Attendance>, StoreError>> + Send;

    /// Adds an attendance entry.
    fn insert_attendance(
        &mut self,
        entry: &NewAttendance,
    ) -> impl Future<Output = Result<AttendanceId, StoreError>> + Send;

    /// The attendance entry with this id.
    fn attendance_entry(
        &mut self,
        id: AttendanceId,
    ) -> impl Future<Output = Result<Option<Attendance>, StoreError>> + Send;

    // On-site assessments.

    /// The person's on-site assessments.
    fn assessments_of(
        &mut self,
        person: PersonId,
    ) -> impl Future<Output = Result<Vec<OnSiteAssessment>, StoreError>> + Send;

    /// Adds an on-site assessment.
    fn insert_assessment(
        &mut self,
        person: PersonId,
        recorded_by: Option<InstitutionId>,
        details: &AssessmentDetails,
    ) -> impl Future<Output = Result<AssessmentId, StoreError>> + Send;

    // Accounts.

    /// The account with this id.
    fn account(
        &mut self,
        id: AccountId,
    ) -> impl Future<Output = Result<Option<Account>, StoreError>> + Send;

    /// The account with this login name.
    fn account_by_username(
        &mut self,
        username: &Username,
    ) -> impl Future<Output = Result<Option<Account>, StoreError>> + Send;

    /// The account of an institution (each has at most one).
    fn account_of_institution(
        &mut self,
        institution: InstitutionId,
    ) -> impl Future<Output = Result<Option<Account>, StoreError>> + Send;

    /// Adds an active account whose password was set on `changed_on`. MUST return
    /// `Duplicate(Username)` if the name is taken.
    fn insert_account(
        &mut self,
        username: &Username,
        role: Role,
        password: &PasswordHash,
        must_change_password: bool,
        changed_on: time::Date,
    ) -> impl Future<Output = Result<AccountId, StoreError>> + Send;

    /// Sets up an account's second factor, replacing any earlier one and its recovery
    /// codes, or removes it (`None`); the last accepted time step is forgotten.
    fn set_second_factor(
        &mut self,
        account: AccountId,
        factor: Option<&SecondFactor>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Adds a person's request for a correction to an institution's queue; returns its id.
    fn insert_correction(
        &mut self,
        person: PersonId,
        institution: InstitutionId,
        text: &Text,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Answers an open request of the institution's queue; the person, or `None` when it
    /// has no such open request.
    fn answer_correction(
        &mut self,
        id: i64,
        institution: InstitutionId,
        answer: Option<&Text>,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<PersonId>, StoreError>> + Send;

    /// Keeps a password an account no longer uses (replaced at `replaced_at`), so that a
    /// new one can be checked against the latest ([`crate::access::PasswordPolicy`]).
    fn remember_password(
        &mut self,
        account: AccountId,
        password: &PasswordHash,
        replaced_at: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Replaces an account's role (an administrator's duty), password with its date, active
    /// flag and must-change flag if its version is `account.version`; returns the new
    /// version.
    fn update_account(
        &mut self,
        account: &Account,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Ends sessions, in this transaction: a password changed, an entry's password reset,
    /// a person no longer employed, an institution disabled. A session ended here never
    /// opens another page.
    fn end_sessions(
        &mut self,
        which: SessionsToEnd<'_>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Forgets, in this transaction, the failed logins counted against this login name (its
    /// lockout lifts at once). Failures counted per client address stay.
    fn forget_login_attempts(
        &mut self,
        username: &Username,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Forgets, in this transaction, every counted attempt at the fill-in password of a
    /// person's entry through an institution: the entry's own count and its count per
    /// client address (the lockout of the entry lifts at once). Attempts counted per client
    /// address alone, over every entry and login, stay.
    fn forget_fill_in_attempts(
        &mut self,
        person: PersonId,
        institution: InstitutionId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    // Documents.

    /// Every edition of every document of the person, oldest first.
    fn documents_of(
        &mut self,
        person: PersonId,
    ) -> impl Future<Output = Result<Vec<Document>, StoreError>> + Send;

    /// One edition.
    fn document(
        &mut self,
        id: DocumentId,
    ) -> impl Future<Output = Result<Option<Document>, StoreError>> + Send;

    /// The edition whose QR code holds this token.
    fn document_by_token(
        &mut self,
        token: &VerificationToken,
    ) -> impl Future<Output = Result<Option<Document>, StoreError>> + Send;

    /// The edition with this short code.
    fn document_by_code(
        &mut self,
        code: &VerificationCode,
    ) -> impl Future<Output = Result<Option<Document>, StoreError>> + Send;

    /// Adds a pending edition. The database MUST refuse a second pending edition of the
    /// same series (kind, person, institution) with `Conflict(Stale(Document))`, and a
    /// token or code already used (a collision of fresh entropy) with `Retry`, so the use
    /// case runs again with new keys.
    fn insert_document(
        &mut self,
        document: &NewDocument,
    ) -> impl Future<Output = Result<DocumentId, StoreError>> + Send;

    /// Records the mailing or voiding of an edition if its version is
    /// `document.version`; returns the new version.
    fn update_document(
        &mut self,
        document: &Document,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    // Audit.

    /// Appends to the audit log, in this transaction.
    fn audit(
        &mut self,
        record: &AuditRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Appends many records to the audit log at once, in this transaction.
    fn audit_all(
        &mut self,
        records: &[AuditRecord],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
