//! Test databases (a temporary SQLite file, or a fresh PostgreSQL database), a world to
//! run use cases in, and a decorator that injects a failure or a pause at a chosen write.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use registry_core::calendar::WorkCalendar;
use registry_core::credit_code::CreditCode;
use registry_core::date::CHINA_STANDARD_TIME;
use registry_core::holding::FillInPasswordHash;
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::institution::InstitutionForm;
use registry_core::person::DetailsForm;
use registry_core::policy::Policy;
use registry_core::ports::{Actor, Register};
use registry_core::qualification::ExamResultForm;
use registry_core::resident_id::ResidentId;
use registry_core::review_item::ReviewItemCatalogue;
use registry_core::usecases::{
    Context, CreateInstitution, DefineCycle, EmployItems, RecordExamResult, SaveDetails, UseCase,
    UseCaseError, execute,
};
use registry_store::{DataKey, DatabaseUrl, Store};
use sea_orm::{ConnectionTrait, Database};
use time::{Date, OffsetDateTime, Time};

pub(crate) const TEST_KEY: &str =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

pub(crate) fn key() -> DataKey {
    DataKey::from_hex(TEST_KEY).unwrap()
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// A database of its own for one test, dropped afterwards.
pub(crate) struct TestDb {
    pub(crate) store: Store,
    pub(crate) url: DatabaseUrl,
    cleanup: Cleanup,
}

enum Cleanup {
    Directory(PathBuf),
    Postgres { admin: String, name: String },
}

impl TestDb {
    pub(crate) async fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(format!("registry-store-test-{}", unique()));
        let url = DatabaseUrl::sqlite_file_url(&dir.join("registry.sqlite3"));
        let store = Store::connect(&url, key()).await.unwrap();
        store.migrate().await.unwrap();
        TestDb {
            store,
            url,
            cleanup: Cleanup::Directory(dir),
        }
    }

    #[cfg_attr(not(pg_tests), allow(dead_code))]
    pub(crate) async fn postgres() -> TestDb {
        let admin = std::env::var("REGISTRY_TEST_DATABASE_URL")
            .expect("REGISTRY_TEST_DATABASE_URL names a PostgreSQL server");
        let name = format!("registry_t_{}", unique());
        let connection = Database::connect(&admin).await.unwrap();
        connection
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        connection.close().await.unwrap();
        let base = admin
            .rsplit_once('/')
            .map(|(base, _)| base)
            .unwrap_or(&admin);
        let url = DatabaseUrl::parse(&format!("{base}/{name}")).unwrap();
        let store = Store::connect(&url, key()).await.unwrap();
        store.migrate().await.unwrap();
        TestDb {
            store,
            url,
            cleanup: Cleanup::Postgres { admin, name },
        }
    }

    /// A second, independent connection to the same database.
    pub(crate) async fn reopen(&self) -> Store {
        Store::connect(&self.url, key()).await.unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Directory(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin, name } => {
                let (admin, name) = (admin.clone(), name.clone());
                // Dropping a database needs a connection of its own; do it on a thread
                // with its own runtime, since Drop cannot await.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    runtime.block_on(async {
                        if let Ok(connection) = Database::connect(&admin).await {
                            let _ = connection
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

pub(crate) fn catalogue() -> &'static ReviewItemCatalogue {
    static CATALOGUE: OnceLock<ReviewItemCatalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| registry_core::fixtures::review_items().unwrap())
}

pub(crate) fn calendar() -> &'static WorkCalendar {
    static CALENDAR: OnceLock<WorkCalendar> = OnceLock::new();
    CALENDAR.get_or_init(|| registry_core::fixtures::calendar().unwrap())
}

pub(crate) fn date(text: &str) -> Date {
    registry_core::date::parse_date(text).unwrap()
}

/// 10:00 in China on the day.
pub(crate) fn at(day: Date) -> OffsetDateTime {
    day.with_time(Time::from_hms(10, 0, 0).unwrap())
        .assume_offset(CHINA_STANDARD_TIME)
}

pub(crate) fn admin() -> Actor {
    Actor::Association {
        account: "admin".into(),
    }
}

pub(crate) fn institution_actor(id: InstitutionId) -> Actor {
    Actor::Institution {
        id,
        account: format!("inst{id}"),
    }
}

/// Runs a use case on any register, on `today`.
pub(crate) async fn run<R: Register, U: UseCase>(
    register: &R,
    today: Date,
    actor: Actor,
    use_case: U,
) -> Result<U::Output, UseCaseError> {
    static ENTROPY: OnceLock<registry_core::memory::SequenceEntropy> = OnceLock::new();
    let ctx = Context {
        now: at(today),
        actor,
        catalogue: catalogue(),
        calendar: calendar(),
        entropy: ENTROPY.get_or_init(|| registry_core::memory::SequenceEntropy::new(11)),
    };
    execute(register, &ctx, &use_case).await
}

pub(crate) const TODAY: &str = "2026-11-26";

/// The two cycles of the tests: 2021—2024 and 2025—2028.
pub(crate) async fn cycles<R: Register>(register: &R) {
    for (name, start, end) in [
        ("2021—2024", "2021-01-01", "2024-12-31"),
        ("2025—2028", "2025-01-01", "2028-12-31"),
    ] {
        run(
            register,
            date(TODAY),
            admin(),
            DefineCycle {
                target: registry_core::usecases::CycleTarget::New,
                name: name.into(),
                start: date(start),
                end: date(end),
                policy: Policy::default(),
            },
        )
        .await
        .unwrap();
    }
}

pub(crate) async fn institution<R: Register>(register: &R, n: u32, name: &str) -> InstitutionId {
    let code = CreditCode::from_parts("12", "110000", &format!("5000{n:04}")).unwrap();
    run(
        register,
        date(TODAY),
        admin(),
        CreateInstitution {
            form: InstitutionForm {
                name: name.into(),
                number: format!("TS-JP-{n:03}"),
                credit_code: code.as_str().into(),
                national_number: format!("TSJP{n:04}"),
                ..InstitutionForm::default()
            },
            username: format!("inst{n}"),
            password: registry_core::access::PasswordHash::new("$argon2id$test".into()),
        },
    )
    .await
    .unwrap()
    .0
}

pub(crate) fn resident_id(n: u16, birth: &str) -> ResidentId {
    ResidentId::from_parts(350102, date(birth), n).unwrap()
}

pub(crate) async fn person<R: Register>(
    register: &R,
    id: &ResidentId,
    name: &str,
    items: &[&str],
) -> PersonId {
    person_examined(register, id, name, items, "2025-03-01").await
}

/// A person who passed `items` in the exam of `exam_date` (published the same day).
pub(crate) async fn person_examined<R: Register>(
    register: &R,
    id: &ResidentId,
    name: &str,
    items: &[&str],
    exam_date: &str,
) -> PersonId {
    run(
        register,
        date(TODAY),
        admin(),
        RecordExamResult {
            form: ExamResultForm {
                resident_id: id.as_str().into(),
                name: name.into(),
                items: items.iter().map(|s| s.to_string()).collect(),
                exam_date: exam_date.into(),
                published_on: exam_date.into(),
            },
        },
    )
    .await
    .unwrap()
    .person
}

pub(crate) fn employ(institution: InstitutionId, person: PersonId, items: &[&str]) -> EmployItems {
    EmployItems {
        institution,
        person,
        items: items.iter().map(|s| s.to_string()).collect(),
        password: Some(FillInPasswordHash::new(format!(
            "$argon2id$test${institution}${person}"
        ))),
    }
}

pub(crate) fn complete_form(sex: &str) -> DetailsForm {
    DetailsForm {
        sex: sex.into(),
        education: "大学本科".into(),
        title: "高级工程师".into(),
        work_unit: "某锅炉厂".into(),
        mobile: "13800138000".into(),
        province: "福建省".into(),
        city: "福州市".into(),
        district: "鼓楼区".into(),
        street: "五四路100号".into(),
        postcode: "350001".into(),
        ..DetailsForm::default()
    }
}

/// The person fills in complete details through `via`.
pub(crate) async fn fill_in<R: Register>(register: &R, person: PersonId, via: InstitutionId) {
    use registry_core::ports::RegisterTx;
    let current = {
        let mut tx = register.begin().await.unwrap();
        tx.person(person).await.unwrap().unwrap()
    };
    run(
        register,
        date(TODAY),
        Actor::Assessor { person, via },
        SaveDetails {
            person,
            via,
            form: complete_form(current.resident_id.sex().label()),
            version: current.version,
        },
    )
    .await
    .unwrap();
}

pub(crate) use faulty::{Fault, Faulty};

/// A register that fails, or pauses for ever, at a chosen write: a crash in the middle of
/// a use case, on demand.
mod faulty {
    use super::*;
    use registry_core::access::{Account, AccountId, PasswordHash, Role, Username};
    use registry_core::assessment::{AssessmentDetails, OnSiteAssessment};
    use registry_core::cycle::{Cycles, RegistrationCycle};
    use registry_core::education::{Attendance, CourseDetails, NewAttendance, TrainingCourse};
    use registry_core::holding::{Employment, Holding, NewHolding, RegistrationRecord};
    use registry_core::ids::{AssessmentId, AttendanceId, CourseId, CycleId};
    use registry_core::institution::{Institution, InstitutionDetails};
    use registry_core::person::{AssessorDetails, Person, PersonName};
    use registry_core::ports::{AuditRecord, RegisterTx, StoreError};
    use registry_core::qualification::Qualification;
    use registry_core::registration_number::RegistrationNumber;
    use registry_core::text::Text;

    /// What happens at the chosen write.
    #[derive(Debug, Clone, Copy)]
    pub(crate) enum Fault {
        /// The write fails.
        Fail,
        /// The process announces `PAUSED` on standard output and waits for ever, to be
        /// killed.
        Pause,
    }

    pub(crate) struct Faulty<R> {
        pub(crate) inner: R,
        pub(crate) at_write: usize,
        pub(crate) fault: Fault,
    }

    pub(crate) struct FaultyTx<T> {
        inner: T,
        writes: usize,
        at_write: usize,
        fault: Fault,
    }

    impl<R: Register> Register for Faulty<R> {
        type Tx = FaultyTx<R::Tx>;

        async fn begin(&self) -> Result<Self::Tx, StoreError> {
            Ok(FaultyTx {
                inner: self.inner.begin().await?,
                writes: 0,
                at_write: self.at_write,
                fault: self.fault,
            })
        }
    }

    impl<T: RegisterTx> FaultyTx<T> {
        async fn write(&mut self) -> Result<(), StoreError> {
            self.writes += 1;
            if self.writes == self.at_write {
                match self.fault {
                    Fault::Fail => return Err(StoreError::Unexpected("injected".into())),
                    Fault::Pause => {
                        use std::io::Write;
                        println!("PAUSED");
                        let _ = std::io::stdout().flush();
                        loop {
                            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                        }
                    }
                }
            }
            Ok(())
        }
    }

    macro_rules! read {
        ($name:ident ( $($arg:ident : $ty:ty),* ) -> $out:ty) => {
            async fn $name(&mut self, $($arg: $ty),*) -> Result<$out, StoreError> {
                self.inner.$name($($arg),*).await
            }
        };
    }

    macro_rules! write {
        ($name:ident ( $($arg:ident : $ty:ty),* ) -> $out:ty) => {
            async fn $name(&mut self, $($arg: $ty),*) -> Result<$out, StoreError> {
                self.write().await?;
                self.inner.$name($($arg),*).await
            }
        };
    }

    impl<T: RegisterTx> registry_core::ports::ReminderTx for FaultyTx<T> {
        read!(reminder_settings(recipient: registry_core::reminder::Recipient) -> registry_core::reminder::ReminderSettings);
        write!(resend_digest(digest: i64, at: OffsetDateTime) -> bool);
        write!(set_reminder_settings(recipient: registry_core::reminder::Recipient, settings: &registry_core::reminder::ReminderSettings) -> ());
    }

    impl<T: RegisterTx> registry_core::ports::MachineTx for FaultyTx<T> {
        read!(providers() -> Vec<registry_core::provider::TrainingProvider>);
        read!(provider(id: registry_core::ids::ProviderId) -> Option<registry_core::provider::TrainingProvider>);
        write!(insert_provider(details: &registry_core::provider::ProviderDetails) -> registry_core::ids::ProviderId);
        read!(tokens() -> Vec<registry_core::api_token::ApiToken>);
        read!(token(id: registry_core::ids::TokenId) -> Option<registry_core::api_token::ApiToken>);
        write!(insert_token(token: &registry_core::api_token::NewToken, secret: &registry_core::api_token::TokenSecretHash, at: OffsetDateTime, issued_by: &str) -> registry_core::ids::TokenId);
        write!(revoke_token(id: registry_core::ids::TokenId, at: OffsetDateTime) -> bool);
    }

    impl<T: RegisterTx> RegisterTx for FaultyTx<T> {
        async fn commit(self) -> Result<(), StoreError> {
            self.inner.commit().await
        }
        read!(person(id: PersonId) -> Option<Person>);
        read!(lock_person(id: PersonId) -> Option<Person>);
        read!(person_by_resident_id(id: &ResidentId) -> Option<Person>);
        read!(person_by_registration_number(number: RegistrationNumber) -> Option<Person>);
        write!(insert_person(name: &PersonName, resident_id: &ResidentId) -> PersonId);
        write!(update_details(person: PersonId, details: &AssessorDetails, expected_version: i64) -> i64);
        write!(assign_registration_number(person: PersonId, year: u16) -> RegistrationNumber);
        read!(qualifications(person: PersonId) -> Vec<Qualification>);
        write!(insert_qualification(q: &Qualification) -> ());
        read!(institution(id: InstitutionId) -> Option<Institution>);
        write!(insert_institution(details: &InstitutionDetails) -> InstitutionId);
        write!(update_institution(institution: &Institution) -> i64);
        read!(employment(person: PersonId, institution: InstitutionId) -> Option<Employment>);
        read!(employments_of(person: PersonId) -> Vec<Employment>);
        write!(insert_employment(employment: &Employment) -> ());
        write!(update_employment(employment: &Employment) -> i64);
        read!(holdings_of(person: PersonId) -> Vec<Holding>);
        write!(insert_holding(holding: &NewHolding) -> Holding);
        write!(update_holding(holding: &Holding) -> i64);
        read!(registrations_of(person: PersonId) -> Vec<RegistrationRecord>);
        write!(insert_registration(record: &RegistrationRecord) -> ());
        read!(cycles() -> Cycles);
        write!(insert_cycle(name: &Text, start: Date, end: Date, policy: &Policy) -> CycleId);
        write!(update_cycle(cycle: &RegistrationCycle) -> i64);
        read!(bound_to_cycle(cycle: CycleId, from: Date, to: Date) -> registry_core::cycle_change::CycleBindings);
        read!(calendar_entries() -> Vec<registry_core::calendar::CalendarEntry>);
        write!(replace_calendar_years(first: i32, last: i32, entries: &[registry_core::calendar::CalendarEntry]) -> ());
        read!(course(id: CourseId) -> Option<TrainingCourse>);
        write!(insert_course(details: &CourseDetails, provider: Option<registry_core::ids::ProviderId>) -> CourseId);
        read!(courses_of(person: PersonId) -> Vec<TrainingCourse>);
        read!(attendance_of(person: PersonId) -> Vec<Attendance>);
        write!(insert_attendance(entry: &NewAttendance) -> AttendanceId);
        read!(attendance_entry(id: AttendanceId) -> Option<Attendance>);
        read!(assessments_of(person: PersonId) -> Vec<OnSiteAssessment>);
        write!(insert_assessment(person: PersonId, recorded_by: Option<InstitutionId>, details: &AssessmentDetails) -> AssessmentId);
        read!(account(id: AccountId) -> Option<Account>);
        read!(account_by_username(username: &Username) -> Option<Account>);
        read!(account_of_institution(institution: InstitutionId) -> Option<Account>);
        write!(insert_account(username: &Username, role: Role, password: &PasswordHash, must_change_password: bool, changed_on: Date) -> AccountId);
        write!(remember_password(account: AccountId, password: &PasswordHash, replaced_at: OffsetDateTime) -> ());
        write!(insert_correction(person: PersonId, institution: InstitutionId, text: &Text, at: OffsetDateTime) -> i64);
        write!(answer_correction(id: i64, institution: InstitutionId, answer: Option<&Text>, at: OffsetDateTime) -> Option<PersonId>);
        write!(set_second_factor(account: AccountId, factor: Option<&registry_core::access::SecondFactor>) -> ());
        write!(update_account(account: &Account) -> i64);
        read!(documents_of(person: PersonId) -> Vec<registry_core::document::Document>);
        read!(document(id: registry_core::ids::DocumentId) -> Option<registry_core::document::Document>);
        read!(document_by_token(token: &registry_core::document::VerificationToken) -> Option<registry_core::document::Document>);
        read!(document_by_code(code: &registry_core::document::VerificationCode) -> Option<registry_core::document::Document>);
        write!(insert_document(document: &registry_core::document::NewDocument) -> registry_core::ids::DocumentId);
        write!(update_document(document: &registry_core::document::Document) -> i64);
        write!(end_sessions(which: registry_core::ports::SessionsToEnd<'_>) -> ());
        write!(forget_login_attempts(username: &Username) -> ());
        write!(forget_fill_in_attempts(person: PersonId, institution: InstitutionId) -> ());
        write!(audit(record: &AuditRecord) -> ());
        write!(audit_all(records: &[AuditRecord]) -> ());
        read!(people_by_resident_ids(ids: &[ResidentId]) -> std::collections::BTreeMap<ResidentId, registry_core::exchange::KnownPerson>);
        write!(insert_new_people(people: &[registry_core::ports::NewRegistrant], year: u16) -> Vec<registry_core::ports::Registrant>);
    }

    impl<R> Faulty<R> {
        pub(crate) fn new(inner: R, at_write: usize, fault: Fault) -> Faulty<R> {
            Faulty {
                inner,
                at_write,
                fault,
            }
        }
    }
}

/// `institution` registers `items` of `person` today.
pub(crate) async fn register<R: Register>(
    register: &R,
    institution: InstitutionId,
    person: PersonId,
    items: &[&str],
) {
    run(
        register,
        date(TODAY),
        institution_actor(institution),
        registry_core::usecases::RegisterItems {
            institution,
            person,
            items: items.iter().map(|s| s.to_string()).collect(),
        },
    )
    .await
    .unwrap();
}
