//! A small world to run use cases in: the shipped catalogue and calendar, two registration
//! cycles, and helpers that create institutions and people.

use std::future::Future;
use std::pin::pin;
use std::task::{Context as TaskContext, Poll, Waker};

use registry_core::calendar::WorkCalendar;
use registry_core::credit_code::CreditCode;
use registry_core::date::CHINA_STANDARD_TIME;
use registry_core::holding::FillInPasswordHash;
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::institution::InstitutionForm;
use registry_core::memory::MemoryRegister;
use registry_core::person::DetailsForm;
use registry_core::policy::Policy;
use registry_core::ports::Actor;
use registry_core::qualification::ExamResultForm;
use registry_core::resident_id::ResidentId;
use registry_core::review_item::ReviewItemCatalogue;
use registry_core::usecases::{
    Context, CreateInstitution, DefineCycle, EmployItems, RecordExamResult, SaveDetails, UseCase,
    UseCaseError, execute,
};
use time::{Date, OffsetDateTime, Time};

/// Runs a future that never waits (the in-memory register's never do).
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = TaskContext::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

pub(crate) fn date(text: &str) -> Date {
    registry_core::date::parse_date(text).unwrap()
}

pub(crate) struct World {
    pub(crate) register: MemoryRegister,
    pub(crate) catalogue: ReviewItemCatalogue,
    pub(crate) calendar: WorkCalendar,
    pub(crate) today: Date,
    pub(crate) entropy: registry_core::memory::SequenceEntropy,
    people: u16,
    institutions: u32,
}

impl World {
    /// A register with the cycles 2021—2024 and 2025—2028, on 2026-11-26.
    pub(crate) fn new() -> World {
        let mut world = World {
            register: MemoryRegister::new(),
            catalogue: registry_core::fixtures::review_items().unwrap(),
            calendar: registry_core::fixtures::calendar().unwrap(),
            today: date("2026-11-26"),
            entropy: registry_core::memory::SequenceEntropy::new(7),
            people: 0,
            institutions: 0,
        };
        world.cycle("2021—2024", "2021-01-01", "2024-12-31");
        world.cycle("2025—2028", "2025-01-01", "2028-12-31");
        world
    }

    pub(crate) fn cycle(&mut self, name: &str, start: &str, end: &str) {
        self.admin(DefineCycle {
            target: registry_core::usecases::CycleTarget::New,
            name: name.into(),
            start: date(start),
            end: date(end),
            policy: Policy::default(),
        })
        .unwrap();
    }

    /// Lets 2025—2028 examine people up to `limit` (by default under 65): a person qualified
    /// in it can then reach their 70th birthday within it (a certificate renewed under 65
    /// on a cycle's last day never does).
    pub(crate) fn examining_up_to(&self, limit: u32) {
        let cycle = block_on(async {
            use registry_core::ports::{Register, RegisterTx};
            let mut tx = self.register.begin().await.unwrap();
            tx.cycles()
                .await
                .unwrap()
                .at(date("2025-01-01"))
                .unwrap()
                .clone()
        });
        self.admin(DefineCycle {
            target: registry_core::usecases::CycleTarget::Edit {
                id: cycle.id(),
                version: cycle.version(),
            },
            name: cycle.name().into(),
            start: cycle.start(),
            end: cycle.end(),
            policy: Policy {
                exam_age_limit: limit,
                ..cycle.policy().clone()
            },
        })
        .unwrap();
    }

    /// The moment: 10:00 in China on `today`.
    pub(crate) fn now(&self) -> OffsetDateTime {
        self.today
            .with_time(Time::from_hms(10, 0, 0).unwrap())
            .assume_offset(CHINA_STANDARD_TIME)
    }

    pub(crate) fn run<U: UseCase>(
        &self,
        actor: Actor,
        use_case: U,
    ) -> Result<U::Output, UseCaseError> {
        let ctx = Context {
            now: self.now(),
            actor,
            catalogue: &self.catalogue,
            calendar: &self.calendar,
            entropy: &self.entropy,
        };
        block_on(execute(&self.register, &ctx, &use_case))
    }

    pub(crate) fn admin<U: UseCase>(&self, use_case: U) -> Result<U::Output, UseCaseError> {
        self.run(
            Actor::Association {
                account: "admin".into(),
            },
            use_case,
        )
    }

    pub(crate) fn as_institution<U: UseCase>(
        &self,
        id: InstitutionId,
        use_case: U,
    ) -> Result<U::Output, UseCaseError> {
        self.run(
            Actor::Institution {
                id,
                account: format!("inst{id}"),
            },
            use_case,
        )
    }

    pub(crate) fn as_assessor<U: UseCase>(
        &self,
        person: PersonId,
        via: InstitutionId,
        use_case: U,
    ) -> Result<U::Output, UseCaseError> {
        self.run(Actor::Assessor { person, via }, use_case)
    }

    pub(crate) fn institution(&mut self) -> InstitutionId {
        self.institutions += 1;
        let n = self.institutions;
        let code = CreditCode::from_parts("12", "110000", &format!("4000{n:04}")).unwrap();
        self.admin(CreateInstitution {
            form: InstitutionForm {
                name: format!("第{n}鉴定评审中心"),
                number: format!("TS-JP-{n:03}"),
                credit_code: code.as_str().into(),
                national_number: format!("TSJP{n:04}"),
                ..InstitutionForm::default()
            },
            username: format!("inst{n}"),
            password: registry_core::access::PasswordHash::new("$argon2id$test".into()),
        })
        .unwrap()
        .0
    }

    /// A person born on `birth` who passed `items` on `exam`.
    pub(crate) fn person(&mut self, birth: &str, items: &[&str], exam: &str) -> PersonId {
        self.people += 1;
        let id = ResidentId::from_parts(110105, date(birth), self.people).unwrap();
        self.admin(RecordExamResult {
            form: ExamResultForm {
                resident_id: id.as_str().into(),
                name: format!("评审员{}", chinese_number(self.people)),
                items: items.iter().map(|s| s.to_string()).collect(),
                exam_date: exam.into(),
                published_on: exam.into(),
            },
        })
        .unwrap()
        .person
    }

    /// The same person passes `items` in a later exam.
    pub(crate) fn person_again(&self, person: PersonId, items: &[&str], exam: &str) {
        let (id, name) = block_on(async {
            use registry_core::ports::{Register, RegisterTx};
            let mut tx = self.register.begin().await.unwrap();
            let p = tx.person(person).await.unwrap().unwrap();
            (
                p.resident_id.as_str().to_owned(),
                p.name.as_str().to_owned(),
            )
        });
        self.admin(RecordExamResult {
            form: ExamResultForm {
                resident_id: id,
                name,
                items: items.iter().map(|s| s.to_string()).collect(),
                exam_date: exam.into(),
                published_on: exam.into(),
            },
        })
        .unwrap();
    }

    pub(crate) fn employ(
        &self,
        institution: InstitutionId,
        person: PersonId,
        items: &[&str],
    ) -> Result<registry_core::usecases::Employed, UseCaseError> {
        self.as_institution(
            institution,
            EmployItems {
                institution,
                person,
                items: items.iter().map(|s| s.to_string()).collect(),
                password: Some(FillInPasswordHash::new(format!(
                    "hash-{institution}-{person}"
                ))),
            },
        )
    }

    pub(crate) fn version(&self, person: PersonId) -> i64 {
        block_on(async {
            use registry_core::ports::{Register, RegisterTx};
            let mut tx = self.register.begin().await.unwrap();
            tx.person(person).await.unwrap().unwrap().version
        })
    }

    /// The person fills in complete details through `via`.
    pub(crate) fn fill_in(&self, person: PersonId, via: InstitutionId) {
        let form = complete_form(self.sex_of(person));
        self.as_assessor(
            person,
            via,
            SaveDetails {
                person,
                via,
                form,
                version: self.version(person),
            },
        )
        .unwrap();
    }

    pub(crate) fn sex_of(&self, person: PersonId) -> &'static str {
        block_on(async {
            use registry_core::ports::{Register, RegisterTx};
            let mut tx = self.register.begin().await.unwrap();
            tx.person(person)
                .await
                .unwrap()
                .unwrap()
                .resident_id
                .sex()
                .label()
        })
    }
}

fn chinese_number(n: u16) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    n.to_string()
        .chars()
        .map(|c| DIGITS[c.to_digit(10).unwrap() as usize])
        .collect()
}

pub(crate) fn complete_form(sex: &str) -> DetailsForm {
    DetailsForm {
        sex: sex.into(),
        education: "大学本科".into(),
        title: "高级工程师".into(),
        work_unit: "某锅炉厂".into(),
        mobile: "13800138000".into(),
        province: "北京市".into(),
        city: "北京市".into(),
        district: "朝阳区".into(),
        street: "建国路88号院3号楼".into(),
        postcode: "100022".into(),
        ..DetailsForm::default()
    }
}
