//! Every message a user can read, with its stable code, in one snapshot: a change of
//! wording or code shows up in review.

use registry_core::calendar::{CalendarError, CalendarProblem};
use registry_core::credit_code::CreditCodeError;
use registry_core::date::DateError;
use registry_core::ports::{Conflict, Duplicate, Entity};
use registry_core::registration_number::RegistrationNumberError;
use registry_core::resident_id::ResidentIdError;
use registry_core::usecases::UseCaseError;
use registry_core::violation::{Violation, Violations};

/// One example of every variant of [`Violation`]. The match in [`variant`] has no
/// wildcard: a new variant does not compile until it has an index, and the test below
/// fails until it has an example here.
fn examples() -> Vec<Violation> {
    let field = ("mobile", "手机");
    vec![
        ResidentIdError::Checksum {
            expected: 'X',
            found: '1',
        }
        .into(),
        CreditCodeError::Checksum {
            expected: '3',
            found: '4',
        }
        .into(),
        RegistrationNumberError::Checksum.into(),
        CalendarError::OutsideCalendar {
            date: "2027-01-04".into(),
            first_year: 2013,
            last_year: 2026,
        }
        .into(),
        DateError::Format("2024/01/01".into()).into(),
        Violation::Missing {
            field: field.0,
            label: field.1,
        },
        Violation::TooLong {
            field: "title",
            label: "技术职称",
            max: 30,
        },
        Violation::BadCharacter {
            field: "name",
            label: "姓名",
        },
        Violation::BadFormat {
            field: field.0,
            label: field.1,
            expected: "应为11位手机号码，以13至19开头",
        },
        Violation::SexMismatch { from_id: "女" },
        Violation::RegisteredMustStayComplete {
            missing: "手机".into(),
        },
        Violation::UnknownItem("NOPE".into()),
        Violation::NoItems,
        Violation::ExamAgeLimit {
            age: 65,
            exam_date: "2026-10-10".into(),
            limit: 65,
        },
        Violation::ExamDateInFuture("2026-12-01".into()),
        Violation::PublicationDate {
            published_on: "2026-01-01".into(),
            exam_date: "2026-02-01".into(),
        },
        Violation::NameMismatch {
            masked_id: "110105********002X".into(),
            recorded: "张三".into(),
            given: "李四".into(),
        },
        Violation::NotQualified {
            item: "压力容器制造".into(),
        },
        Violation::RegistrationAgeLimit {
            age: 70,
            on: "2026-12-01".into(),
            limit: 70,
        },
        Violation::DetailsIncomplete {
            missing: "手机、邮政编码".into(),
        },
        Violation::NotAwaitingRegistration {
            item: "锅炉制造".into(),
            state: "信息填报中",
            next_step: "下一步：请提醒本人使用填报密码补全基本信息。",
        },
        Violation::AlreadyRegistered {
            item: "锅炉制造".into(),
            valid_until: "2028-12-31".into(),
            window_opens: "2028-10-01".into(),
        },
        Violation::NoCycle("2031-01-01".into()),
        Violation::NoNextCycle,
        Violation::HoursShort {
            cycle: "2021—2024".into(),
            have: "16".into(),
            need: "32".into(),
            short: "16".into(),
        },
        Violation::ItemNotCovered {
            cycle: "2021—2024".into(),
            item: "电梯制造".into(),
        },
        Violation::CertificateRenewalAgeLimit {
            age: 65,
            on: "2026-12-01".into(),
            limit: 65,
        },
        Violation::HeldByAnother {
            item: "起重机械制造".into(),
        },
        Violation::AlreadyHeld {
            item: "起重机械制造".into(),
        },
        Violation::IllegalTransition {
            state: "已退回",
            action: "注册",
        },
        Violation::InstitutionDisabled("第一鉴定评审中心".into()),
        Violation::NoFillInPassword,
        Violation::HoursNotPositive,
        Violation::HoursExceedCourse {
            course_hours: "16".into(),
            recorded: "10".into(),
            requested: "6.5".into(),
        },
        Violation::NotCertificateHolder,
        Violation::CannotReverse,
        Violation::CourseDates {
            start: "2025-05-10".into(),
            end: "2025-05-01".into(),
        },
        Violation::UnknownCourse("99".into()),
        Violation::UnknownPerson("注册号 JP20260000014".into()),
        Violation::DuplicateRow(3),
        Violation::ImportHeader("培训班编号、姓名、身份证号或注册号、课时".into()),
        Violation::AssessmentInFuture("2026-12-01".into()),
        Violation::AssessmentItemNotHeld {
            item: "压力容器制造".into(),
        },
        Violation::CycleDates {
            start: "2025-01-01".into(),
            end: "2024-01-01".into(),
        },
        Violation::CycleOverlap("2021—2024".into()),
        Violation::CycleChangeRegistrations {
            count: 12,
            examples: "张伟（110105********002X）锅炉制造 有效期 2025-03-01 至 2028-12-31 等".into(),
        },
        Violation::CycleChangeDocuments {
            count: 1,
            examples: "张伟（110105********002X）资格证书 ZS00000012 有效期至 2028-12-31".into(),
        },
        Violation::CycleChangeCoursesOut {
            count: 1,
            examples: "“2025年锅炉制造培训班”（编号 7，结束于 2025-01-15）".into(),
        },
        Violation::CycleChangeCoursesIn {
            count: 2,
            examples: "“2029年起重机械培训班”（编号 9，结束于 2029-03-01）、“2029年电梯培训班”（编号 10，结束于 2029-04-01）".into(),
        },
        Violation::PolicyRange {
            field: "cycle_years",
            label: "注册周期（年）",
            min: "1".into(),
            max: "10".into(),
        },
        Violation::QualificationNumberRequired,
        Violation::MailingAddressMissing {
            name: "林建国".into(),
        },
        Violation::DocumentNotPending {
            serial: "ZS00000012".into(),
        },
        Violation::DocumentNotIssued {
            serial: "KP00000034".into(),
        },
        Violation::DocumentEnded {
            serial: "ZS00000012".into(),
            until: "2024-12-31".into(),
        },
        Violation::MailedInFuture("2026-12-01".into()),
        Violation::MailedBeforeCreated {
            serial: "KP00000034".into(),
            created: "2026-11-20".into(),
            mailed: "2026-11-19".into(),
        },
        Violation::NoDocuments,
        Violation::NameDiffersInFile { line: 3 },
        Violation::RepeatsRow {
            line: 4,
            what: "机构编号",
        },
        Violation::AlreadyInRegister {
            what: "统一社会信用代码",
            value: "91350100M000100Y43".into(),
        },
        CalendarProblem::MissingYear(2027).into(),
        Violation::NoCertificate,
        Violation::CertificateNotDue {
            valid_until: "2028-12-31".into(),
            window_opens: "2028-10-01".into(),
        },
        Violation::CertificateExpired {
            cycle: "2021—2024".into(),
            until: "2024-12-31".into(),
            item: "锅炉制造".into(),
            needs: "，继续教育课时尚差 32".into(),
        },
        Violation::CertificateEnds {
            cycle: "2025—2028".into(),
            until: "2028-12-31".into(),
            item: "锅炉制造".into(),
            needs: "，参加的继续教育培训班未覆盖该项".into(),
        },
        Violation::ItemNotOnCertificate {
            cycle: "2025—2028".into(),
            item: "电梯制造".into(),
        },
        Violation::NoCertificateForItem {
            item: "电梯制造".into(),
        },
        Violation::NotInPool {
            item: "电梯制造".into(),
        },
        Violation::EntryClosed,
        Violation::InstitutionNotIdentified { min: 4 },
        Violation::ReleaseUndoTooLate {
            item: "电梯制造".into(),
            released_on: "2026-11-26".into(),
        },
        Violation::ReleaseUndoTaken {
            item: "电梯制造".into(),
        },
        Violation::OwnAccount,
        Violation::NotAnAdministrator,
        Violation::PasswordReused { remembered: 5 },
        Violation::NotAnInstitutionAccount,
        Violation::DigestNotResendable,
        Violation::TokenScopeUnknown("admin".into()),
        Violation::TokenScopeNotForHolder {
            scope: "记录现场评审",
        },
        Violation::TokenNoScope,
        Violation::TokenExpiry { max_days: 366 },
        Violation::UnknownProvider,
        Violation::BatchSize {
            max: 100,
            given: 101,
        },
    ]
}

fn variant(v: &Violation) -> usize {
    match v {
        Violation::ResidentId(_) => 0,
        Violation::CreditCode(_) => 1,
        Violation::RegistrationNumber(_) => 2,
        Violation::Calendar(_) => 3,
        Violation::Date(_) => 4,
        Violation::Missing { .. } => 5,
        Violation::TooLong { .. } => 6,
        Violation::BadCharacter { .. } => 7,
        Violation::BadFormat { .. } => 8,
        Violation::SexMismatch { .. } => 9,
        Violation::RegisteredMustStayComplete { .. } => 10,
        Violation::UnknownItem(_) => 11,
        Violation::NoItems => 12,
        Violation::ExamAgeLimit { .. } => 13,
        Violation::ExamDateInFuture(_) => 14,
        Violation::PublicationDate { .. } => 15,
        Violation::NameMismatch { .. } => 16,
        Violation::NotQualified { .. } => 17,
        Violation::RegistrationAgeLimit { .. } => 18,
        Violation::DetailsIncomplete { .. } => 19,
        Violation::NotAwaitingRegistration { .. } => 20,
        Violation::AlreadyRegistered { .. } => 21,
        Violation::NoCycle(_) => 22,
        Violation::NoNextCycle => 23,
        Violation::HoursShort { .. } => 24,
        Violation::ItemNotCovered { .. } => 25,
        Violation::CertificateRenewalAgeLimit { .. } => 26,
        Violation::HeldByAnother { .. } => 27,
        Violation::AlreadyHeld { .. } => 28,
        Violation::IllegalTransition { .. } => 29,
        Violation::InstitutionDisabled(_) => 30,
        Violation::NoFillInPassword => 31,
        Violation::HoursNotPositive => 32,
        Violation::HoursExceedCourse { .. } => 33,
        Violation::NotCertificateHolder => 34,
        Violation::CannotReverse => 35,
        Violation::CourseDates { .. } => 36,
        Violation::AssessmentInFuture(_) => 37,
        Violation::AssessmentItemNotHeld { .. } => 38,
        Violation::CycleDates { .. } => 39,
        Violation::CycleOverlap(_) => 40,
        Violation::PolicyRange { .. } => 41,
        Violation::QualificationNumberRequired => 42,
        Violation::UnknownCourse(_) => 43,
        Violation::UnknownPerson(_) => 44,
        Violation::DuplicateRow(_) => 45,
        Violation::ImportHeader(_) => 46,
        Violation::MailingAddressMissing { .. } => 47,
        Violation::DocumentNotPending { .. } => 48,
        Violation::DocumentNotIssued { .. } => 49,
        Violation::MailedInFuture(_) => 50,
        Violation::MailedBeforeCreated { .. } => 51,
        Violation::NoDocuments => 52,
        Violation::NameDiffersInFile { .. } => 53,
        Violation::RepeatsRow { .. } => 54,
        Violation::AlreadyInRegister { .. } => 55,
        Violation::CalendarData(_) => 56,
        Violation::NoCertificate => 57,
        Violation::CertificateNotDue { .. } => 58,
        Violation::CertificateExpired { .. } => 59,
        Violation::CertificateEnds { .. } => 60,
        Violation::ItemNotOnCertificate { .. } => 61,
        Violation::NoCertificateForItem { .. } => 62,
        Violation::CycleChangeRegistrations { .. } => 63,
        Violation::CycleChangeDocuments { .. } => 64,
        Violation::CycleChangeCoursesOut { .. } => 65,
        Violation::CycleChangeCoursesIn { .. } => 66,
        Violation::NotInPool { .. } => 67,
        Violation::EntryClosed => 68,
        Violation::InstitutionNotIdentified { .. } => 69,
        Violation::DocumentEnded { .. } => 70,
        Violation::ReleaseUndoTooLate { .. } => 71,
        Violation::ReleaseUndoTaken { .. } => 72,
        Violation::OwnAccount => 73,
        Violation::NotAnAdministrator => 74,
        Violation::PasswordReused { .. } => 75,
        Violation::NotAnInstitutionAccount => 76,
        Violation::DigestNotResendable => 77,
        Violation::TokenScopeUnknown(_) => 78,
        Violation::TokenScopeNotForHolder { .. } => 79,
        Violation::TokenNoScope => 80,
        Violation::TokenExpiry { .. } => 81,
        Violation::UnknownProvider => 82,
        Violation::BatchSize { .. } => 83,
    }
}

const VARIANTS: usize = 84;

/// Every reason the identity codes and the calendar give.
fn code_errors() -> Vec<Violation> {
    vec![
        ResidentIdError::Length(17).into(),
        ResidentIdError::Character {
            position: 5,
            found: 'A',
        }
        .into(),
        ResidentIdError::LegacyCharacter {
            position: 3,
            found: 'X',
        }
        .into(),
        ResidentIdError::Region("99".into()).into(),
        ResidentIdError::BirthDate("19491331".into()).into(),
        ResidentIdError::BirthInFuture("2027-01-01".into()).into(),
        ResidentIdError::BirthTooEarly("1899-12-31".into()).into(),
        CreditCodeError::Length(17).into(),
        CreditCodeError::Character {
            position: 16,
            found: 'O',
        }
        .into(),
        CreditCodeError::Region("3501A0".into()).into(),
        CreditCodeError::OrganizationCheck {
            expected: '4',
            found: '5',
        }
        .into(),
        RegistrationNumberError::Length(12).into(),
        RegistrationNumberError::Prefix.into(),
        RegistrationNumberError::Character {
            position: 5,
            found: 'A',
        }
        .into(),
        RegistrationNumberError::Range.into(),
        CalendarError::EndBeforeStart {
            start: "2024-02-18".into(),
            end: "2024-02-05".into(),
        }
        .into(),
        CalendarError::BeyondCalendar {
            from: "2026-12-20".into(),
            count: 20,
            last_year: 2026,
        }
        .into(),
        DateError::NoSuchDay("2023-02-29".into()).into(),
    ]
}

fn table(list: &[Violation]) -> String {
    list.iter()
        .map(|v| format!("{:<44} {}\n", v.code(), v))
        .collect()
}

#[test]
fn every_violation_has_an_example() {
    let mut seen = [false; VARIANTS];
    for v in examples() {
        seen[variant(&v)] = true;
    }
    let missing: Vec<usize> = (0..VARIANTS).filter(|&i| !seen[i]).collect();
    assert!(
        missing.is_empty(),
        "variants without an example: {missing:?}"
    );
}

#[test]
fn codes_are_unique_per_meaning() {
    let mut codes: Vec<&str> = examples()
        .iter()
        .chain(code_errors().iter())
        .filter(|v| {
            !matches!(
                v,
                Violation::Missing { .. }
                    | Violation::TooLong { .. }
                    | Violation::BadCharacter { .. }
                    | Violation::BadFormat { .. }
            )
        })
        .map(Violation::code)
        .collect();
    let total = codes.len();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), total);
}

#[test]
fn the_messages_of_every_rule() {
    insta::assert_snapshot!("violations", table(&examples()));
    insta::assert_snapshot!("code_errors", table(&code_errors()));
}

#[test]
fn the_messages_of_use_case_failures() {
    let errors = [
        UseCaseError::Rejected(Violations::new(vec![
            Violation::NoItems,
            Violation::NoFillInPassword,
        ])),
        UseCaseError::NotFound(Entity::Person),
        UseCaseError::NotFound(Entity::Holding),
        UseCaseError::Conflict(Conflict::ItemHeld {
            item: "电梯制造".into(),
        }),
        UseCaseError::Conflict(Conflict::Stale(Entity::Person)),
        UseCaseError::Duplicate(Duplicate::ResidentId),
        UseCaseError::Duplicate(Duplicate::Qualification),
        UseCaseError::Duplicate(Duplicate::InstitutionNumber),
        UseCaseError::Duplicate(Duplicate::CreditCode),
        UseCaseError::Duplicate(Duplicate::Employment),
        UseCaseError::Duplicate(Duplicate::Username),
        UseCaseError::Busy,
        UseCaseError::Unavailable,
        UseCaseError::Unexpected("secret database text".into()),
    ];
    let text: String = errors
        .iter()
        .map(|e| format!("{:<44} {}\n", e.code(), e))
        .collect();
    assert!(!text.contains("secret"));
    insta::assert_snapshot!("use_case_errors", text);
}
