//! The demo register (`registry serve --demo` on an empty database): the association,
//! three institutions, about fifty assessors in every state, courses with attendance, and
//! on-site assessments. Everything goes through the core's use cases, on the dates the
//! events would have happened, so the demo obeys every rule.

use std::fmt;

use registry_core::access::PasswordHash;
use registry_core::assessment::AssessmentForm;
use registry_core::credit_code::CreditCode;
use registry_core::date::CHINA_STANDARD_TIME;
use registry_core::education::CourseForm;
use registry_core::holding::FillInPasswordHash;
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::institution::InstitutionForm;
use registry_core::person::DetailsForm;
use registry_core::policy::Policy;
use registry_core::ports::Actor;
use registry_core::qualification::ExamResultForm;
use registry_core::resident_id::ResidentId;
use registry_core::usecases::{
    Context, CreateAssociationAccount, CreateCourse, CreateInstitution, DefineCycle, EmployItems,
    RecordAssessment, RecordAttendance, RecordExamResult, RegisterItems, ReleaseItem, SaveDetails,
    UseCase, UseCaseError, execute,
};
use time::{Date, Month, OffsetDateTime, Time};

use crate::AppState;
use crate::secrets::hash_password;

/// What the demo made, to print for the person trying it.
#[derive(Debug, Default)]
pub struct DemoLogins {
    /// (user name, password, role).
    pub accounts: Vec<(String, String, String)>,
    /// (name, institution, fill-in password, state).
    pub assessors: Vec<(String, String, String, String)>,
}

impl fmt::Display for DemoLogins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "演示数据已载入。登录账户：")?;
        for (user, password, role) in &self.accounts {
            writeln!(f, "  {role:<24} 用户名 {user:<10} 密码 {password}")?;
        }
        writeln!(f, "评审人员信息填报（姓名 / 评审机构 / 填报密码）：")?;
        for (name, institution, password, state) in &self.assessors {
            writeln!(f, "  {name} / {institution} / {password}  （{state}）")?;
        }
        Ok(())
    }
}

/// Why the demo could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The database is not empty.
    #[error("the database already holds data; the demo loads only into an empty database")]
    NotEmpty,
    /// A use case refused (a bug in the demo) or storage failed.
    #[error("loading the demo failed: {0}")]
    Failed(String),
}

impl From<UseCaseError> for DemoError {
    fn from(e: UseCaseError) -> Self {
        DemoError::Failed(format!("{e:?}"))
    }
}

fn day(y: i32, m: u8, d: u8) -> Date {
    Date::from_calendar_date(y, Month::try_from(m).unwrap_or(Month::January), d)
        .unwrap_or(Date::MIN)
}

fn at(date: Date) -> OffsetDateTime {
    date.with_time(Time::from_hms(10, 0, 0).unwrap_or(Time::MIDNIGHT))
        .assume_offset(CHINA_STANDARD_TIME)
}

struct Loader<'a> {
    state: &'a AppState,
}

impl Loader<'_> {
    async fn run<U: UseCase>(
        &self,
        on: Date,
        actor: Actor,
        use_case: U,
    ) -> Result<U::Output, DemoError> {
        let ctx = Context {
            now: at(on),
            actor,
            catalogue: &self.state.catalogue,
            calendar: &self.state.calendar(),
            entropy: &crate::secrets::OsEntropy,
        };
        Ok(execute(&self.state.store, &ctx, &use_case).await?)
    }

    async fn hash(&self, password: &str) -> Result<String, DemoError> {
        hash_password(password.to_owned())
            .await
            .map_err(|e| DemoError::Failed(e.to_string()))
    }
}

fn admin() -> Actor {
    Actor::Association {
        account: "admin".into(),
    }
}

fn inst(id: InstitutionId) -> Actor {
    Actor::Institution {
        id,
        account: "demo".into(),
    }
}

fn details(sex: &str, n: usize) -> DetailsForm {
    const CITIES: [(&str, &str, &str, &str); 3] = [
        ("福建省", "福州市", "鼓楼区", "350001"),
        ("上海市", "上海市", "浦东新区", "200120"),
        ("广东省", "广州市", "天河区", "510620"),
    ];
    let (province, city, district, postcode) = CITIES[n % CITIES.len()];
    DetailsForm {
        sex: sex.into(),
        ethnicity: "汉族".into(),
        education: ["大学本科", "硕士研究生", "大学专科"][n % 3].into(),
        school: "某理工大学".into(),
        major: "机械工程".into(),
        title: ["高级工程师", "工程师", "正高级工程师"][n % 3].into(),
        work_unit: "某特种设备检验研究院".into(),
        position: "技术负责人".into(),
        mobile: format!("1390000{:04}", 1000 + n),
        email: format!("demo{n}@example.com"),
        province: province.into(),
        city: city.into(),
        district: district.into(),
        street: format!("示范路{}号{}室", 10 + n, 100 + n),
        postcode: postcode.into(),
    }
}

const SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "郑",
];
const GIVEN: [&str; 12] = [
    "建国", "海燕", "志强", "丽华", "国庆", "秀英", "文博", "晓峰", "玉兰", "振华", "淑芬", "宏伟",
];

/// Loads the demo register into an empty database (one where no institution exists yet).
pub async fn load(state: &AppState) -> Result<DemoLogins, DemoError> {
    if !state
        .store
        .institutions()
        .await
        .map_err(|e| DemoError::Failed(e.to_string()))?
        .is_empty()
    {
        return Err(DemoError::NotEmpty);
    }
    let l = Loader { state };
    let mut out = DemoLogins::default();
    let today = state.today();

    let admin_password = "Cujinhui2026";
    l.run(
        today,
        admin(),
        CreateAssociationAccount {
            username: "admin".into(),
            password: PasswordHash::new(l.hash(admin_password).await?),
            must_change_password: false,
        },
    )
    .await?;
    out.accounts
        .push(("admin".into(), admin_password.into(), "促进会管理员".into()));

    for (name, start, end) in [
        ("2021—2024", day(2021, 1, 1), day(2024, 12, 31)),
        ("2025—2028", day(2025, 1, 1), day(2028, 12, 31)),
    ] {
        l.run(
            day(2021, 1, 1),
            admin(),
            DefineCycle {
                target: registry_core::usecases::CycleTarget::New,
                name: name.into(),
                start,
                end,
                policy: Policy::default(),
            },
        )
        .await?;
    }

    let institution_specs = [
        (
            "福建省特种设备鉴定评审中心",
            "fjjp",
            "Fujian2026",
            "TS-JP-035",
            "350100",
        ),
        (
            "上海市特种设备鉴定评审中心",
            "shjp",
            "Shanghai2026",
            "TS-JP-031",
            "310100",
        ),
        (
            "广东省特种设备鉴定评审中心",
            "gdjp",
            "Guangdong2026",
            "TS-JP-044",
            "440100",
        ),
    ];
    let mut institutions = Vec::new();
    for (n, (name, user, password, number, region)) in institution_specs.iter().enumerate() {
        let code = CreditCode::from_parts("12", region, &format!("MB{:06}", 100 + n))
            .ok_or_else(|| DemoError::Failed("a demo credit code".into()))?;
        let (id, account) = l
            .run(
                day(2021, 1, 5),
                admin(),
                CreateInstitution {
                    form: InstitutionForm {
                        name: (*name).into(),
                        number: (*number).into(),
                        credit_code: code.as_str().into(),
                        provincial_number: format!("省级TS{}", 7100 + n),
                        national_number: format!("TS{}-2027", 7110 + n),
                        contact: format!("办公室 0{}-8888{:04}", 21 + n, n),
                    },
                    username: (*user).into(),
                    password: PasswordHash::new(l.hash(password).await?),
                },
            )
            .await?;
        // Demo accounts keep their published passwords.
        l.run(
            day(2021, 1, 5),
            admin(),
            registry_core::usecases::SetAccountPassword {
                account,
                password: PasswordHash::new(l.hash(password).await?),
                must_change_password: false,
                keep_session: None,
            },
        )
        .await?;
        institutions.push((id, (*name).to_owned()));
        out.accounts
            .push(((*user).into(), (*password).into(), format!("机构 {name}")));
    }

    let items = [
        "RQ-ZZ", "GL-ZZ", "DT-AX", "QZ-ZZ", "GD-AZ", "QP-CZ", "YL-AX", "CC-ZZ", "RQ-SJ", "DT-ZZ",
    ];
    let course_a = l
        .run(
            day(2022, 6, 10),
            admin(),
            CreateCourse {
                form: CourseForm {
                    name: "2022年压力容器与锅炉继续教育培训班".into(),
                    start: "2022-06-08".into(),
                    end: "2022-06-10".into(),
                    items: vec!["RQ-ZZ".into(), "GL-ZZ".into(), "RQ-SJ".into()],
                    hours: "16".into(),
                },
            },
        )
        .await?;
    let course_b = l
        .run(
            day(2023, 9, 15),
            admin(),
            CreateCourse {
                form: CourseForm {
                    name: "2023年机电类设备继续教育培训班".into(),
                    start: "2023-09-13".into(),
                    end: "2023-09-15".into(),
                    items: vec![
                        "DT-AX".into(),
                        "QZ-ZZ".into(),
                        "DT-ZZ".into(),
                        "YL-AX".into(),
                    ],
                    hours: "16".into(),
                },
            },
        )
        .await?;
    let course_c = l
        .run(
            day(2025, 6, 20),
            admin(),
            CreateCourse {
                form: CourseForm {
                    name: "2025年鉴定评审人员继续教育培训班".into(),
                    start: "2025-06-18".into(),
                    end: "2025-06-20".into(),
                    items: items.iter().map(|s| (*s).to_owned()).collect(),
                    hours: "24".into(),
                },
            },
        )
        .await?;

    // Fifty people, in every state.
    let states = [
        "待填报",
        "信息填报中",
        "等待注册",
        "已注册",
        "已注册",
        "已注册",
        "两家机构",
        "已退回",
        "已过期",
        "无聘用单位",
    ];
    for n in 0..50usize {
        let kind = states[n % states.len()];
        let (institution, institution_name) = institutions[n % institutions.len()].clone();
        let name = format!(
            "{}{}",
            SURNAMES[n % SURNAMES.len()],
            GIVEN[(n / 2) % GIVEN.len()]
        );
        let birth = day(
            1962 + (n % 30) as i32,
            1 + (n % 12) as u8,
            1 + (n % 27) as u8,
        );
        let id = ResidentId::from_parts(
            [350102, 310104, 440106][n % 3],
            birth,
            (n * 7 % 1000) as u16,
        )
        .ok_or_else(|| DemoError::Failed("a demo ID number".into()))?;
        let sex = id.sex().label();
        let first = items[n % items.len()];
        let second = items[(n + 3) % items.len()];
        let exam = if kind == "已过期" {
            day(2021, 3, 20)
        } else {
            day(2024, 4, 20)
        };
        let person: PersonId = l
            .run(
                exam + time::Duration::days(20),
                admin(),
                RecordExamResult {
                    form: ExamResultForm {
                        resident_id: id.as_str().into(),
                        name: name.clone(),
                        items: vec![first.into(), second.into()],
                        exam_date: registry_core::date::format_date(exam),
                        published_on: registry_core::date::format_date(
                            exam + time::Duration::days(20),
                        ),
                    },
                },
            )
            .await?
            .person;
        if kind == "无聘用单位" {
            continue;
        }
        let fill_in = format!("Demo{:04}", 1000 + n * 37);
        let hired_on = if kind == "已过期" {
            day(2022, 3, 1)
        } else {
            day(2025, 3, 1)
        };
        let both = if kind == "两家机构" {
            vec![first.to_owned()]
        } else {
            vec![first.to_owned(), second.to_owned()]
        };
        l.run(
            hired_on,
            inst(institution),
            EmployItems {
                institution,
                person,
                items: both.clone(),
                password: Some(FillInPasswordHash::new(l.hash(&fill_in).await?)),
            },
        )
        .await?;
        let save = |on: Date, form: DetailsForm, via: InstitutionId, version: i64| {
            l.run(
                on,
                Actor::Assessor { person, via },
                SaveDetails {
                    person,
                    via,
                    form,
                    version,
                },
            )
        };
        match kind {
            "待填报" => {}
            "信息填报中" => {
                let mut partial = details(sex, n);
                partial.street.clear();
                partial.postcode.clear();
                save(hired_on + time::Duration::days(3), partial, institution, 1).await?;
            }
            _ => {
                save(
                    hired_on + time::Duration::days(3),
                    details(sex, n),
                    institution,
                    1,
                )
                .await?;
            }
        }
        let registered_on = hired_on + time::Duration::days(10);
        if matches!(kind, "已注册" | "两家机构" | "已退回" | "已过期") {
            l.run(
                registered_on,
                inst(institution),
                RegisterItems {
                    institution,
                    person,
                    items: both.clone(),
                },
            )
            .await?;
            let (course, ended) = if kind == "已过期" {
                if n % 2 == 0 {
                    (course_a, day(2022, 6, 10))
                } else {
                    (course_b, day(2023, 9, 15))
                }
            } else {
                (course_c, day(2025, 6, 20))
            };
            let hours = if n % 4 == 0 { "12" } else { "16" };
            l.run(
                ended,
                admin(),
                RecordAttendance {
                    course,
                    person,
                    hours: hours.into(),
                },
            )
            .await?;
            let (start, end) = if kind == "已过期" {
                ("2022-09-27", "2022-09-30")
            } else {
                ("2025-09-22", "2025-09-26")
            };
            l.run(
                day(2025, 10, 10)
                    .max(registered_on + time::Duration::days(1))
                    .min(today),
                inst(institution),
                RecordAssessment {
                    person,
                    institution: Some(institution),
                    form: AssessmentForm {
                        applicant_unit: format!("示范压力容器制造有限公司（{}）", n),
                        item: first.into(),
                        start: start.into(),
                        end: end.into(),
                        kind: "首次".into(),
                    },
                },
            )
            .await?;
        }
        if kind == "两家机构" {
            let (other, _) = institutions[(n + 1) % institutions.len()].clone();
            let other_password = format!("Demo{:04}", 2000 + n * 37);
            l.run(
                registered_on,
                inst(other),
                EmployItems {
                    institution: other,
                    person,
                    items: vec![second.into()],
                    password: Some(FillInPasswordHash::new(l.hash(&other_password).await?)),
                },
            )
            .await?;
            let version = {
                use registry_core::ports::{Register, RegisterTx};
                let mut tx = state
                    .store
                    .begin()
                    .await
                    .map_err(|e| DemoError::Failed(e.to_string()))?;
                tx.person(person)
                    .await
                    .map_err(|e| DemoError::Failed(e.to_string()))?
                    .map(|p| p.version)
                    .unwrap_or(1)
            };
            save(
                registered_on + time::Duration::days(1),
                details(sex, n),
                other,
                version,
            )
            .await?;
            l.run(
                registered_on + time::Duration::days(2),
                inst(other),
                RegisterItems {
                    institution: other,
                    person,
                    items: vec![second.into()],
                },
            )
            .await?;
        }
        if kind == "已退回" {
            l.run(
                registered_on + time::Duration::days(200),
                inst(institution),
                ReleaseItem {
                    institution,
                    person,
                    item: second.into(),
                    reason: "合同到期，人员另行聘用".into(),
                },
            )
            .await?;
        }
        if n < 20 {
            out.assessors
                .push((name, institution_name, fill_in, kind.to_owned()));
        }
    }
    Ok(out)
}
