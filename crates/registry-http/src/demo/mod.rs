//! The demo register (`registry serve --demo` on an empty database), built relative to the
//! day it is loaded: the association, three institutions, the registration cycles around
//! today (the previous one, the one containing today, the next), courses with attendance,
//! on-site assessments, certificates and cards mostly mailed, and about forty assessors in
//! every state and situation (see [`people`]). Everything goes through the core's use
//! cases, each on the date the event would have happened (its `Context`'s `now`), so the
//! demo obeys every rule, and every date is counted from today: loaded on any day, it
//! looks the same relative to that day.

mod people;
mod steps;
mod timeline;

use std::fmt;

use registry_core::access::{Duty, PasswordHash};
use registry_core::credit_code::CreditCode;
use registry_core::date::{CHINA_STANDARD_TIME, format_date};
use registry_core::document::DocumentKind;
use registry_core::education::CourseForm;
use registry_core::ids::{CourseId, InstitutionId, PersonId};
use registry_core::institution::InstitutionForm;
use registry_core::policy::Policy;
use registry_core::ports::{Actor, RegisterTx};
use registry_core::usecases::{
    Context, CreateAssociationAccount, CreateCourse, CreateInstitution, DefineCycle, MarkMailed,
    SetAccountPassword, UseCase, UseCaseError, execute,
};
use time::{Date, OffsetDateTime, Time};

use crate::AppState;
use crate::secrets::hash_password;
use timeline::{Span, Timeline};

/// What the demo made, to print for the person trying it.
#[derive(Debug, Default)]
pub struct DemoLogins {
    /// The cycles and the day they are counted from.
    pub cycles: String,
    /// (user name, password, role).
    pub accounts: Vec<(String, String, String)>,
    /// The administrators' published second-factor secrets (base32), by user name: add one
    /// to an authenticator app, or print its current code with `registry totp-code`.
    pub second_factors: std::collections::BTreeMap<String, String>,
    /// (name, institution, fill-in password, situation today).
    pub assessors: Vec<(String, String, String, String)>,
    /// The one document past its deadline: (whose, which).
    pub overdue: Option<(String, String)>,
}

/// How many columns a text takes on a terminal: a CJK character (or a full-width form)
/// takes two.
fn columns(text: &str) -> usize {
    text.chars()
        .map(|c| {
            let wide = matches!(c as u32,
                0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
                | 0x4E00..=0x9FFF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
                | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6);
            if wide { 2 } else { 1 }
        })
        .sum()
}

/// `text` padded with spaces to `width` terminal columns.
fn padded(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(columns(text))))
}

impl fmt::Display for DemoLogins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "演示数据已载入。注册周期：{}", self.cycles)?;
        writeln!(f, "登录账户：")?;
        let role_width = self
            .accounts
            .iter()
            .map(|a| columns(&a.2))
            .max()
            .unwrap_or(0);
        let user_width = self
            .accounts
            .iter()
            .map(|a| columns(&a.0))
            .max()
            .unwrap_or(0);
        for (user, password, role) in &self.accounts {
            let second = self
                .second_factors
                .get(user)
                .map(|key| format!("  双因素密钥 {key}"))
                .unwrap_or_default();
            writeln!(
                f,
                "  {}  用户名 {}  密码 {password}{second}",
                padded(role, role_width),
                padded(user, user_width)
            )?;
        }
        if !self.second_factors.is_empty() {
            writeln!(
                f,
                "  （管理员登录须输入双因素验证码：把密钥加入身份验证器，或运行 registry totp-code 密钥）"
            )?;
        }
        writeln!(
            f,
            "评审人员信息填报（姓名、评审机构、填报密码、今天的情况）："
        )?;
        let name_width = self
            .assessors
            .iter()
            .map(|a| columns(&a.0))
            .max()
            .unwrap_or(0);
        let institution_width = self
            .assessors
            .iter()
            .map(|a| columns(&a.1))
            .max()
            .unwrap_or(0);
        let password_width = self
            .assessors
            .iter()
            .map(|a| columns(&a.2))
            .max()
            .unwrap_or(0);
        for (name, institution, password, state) in &self.assessors {
            writeln!(
                f,
                "  {}  {}  {}  {state}",
                padded(name, name_width),
                padded(institution, institution_width),
                padded(password, password_width)
            )?;
        }
        if let Some((name, which)) = &self.overdue {
            writeln!(f, "逾期未发放的证件：{name} 的{which}")?;
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

impl DemoError {
    /// The same failure, saying whose story it happened in.
    fn within(self, whose: &str) -> DemoError {
        match self {
            DemoError::Failed(e) => DemoError::Failed(format!("{whose}: {e}")),
            other => other,
        }
    }
}

impl From<UseCaseError> for DemoError {
    fn from(e: UseCaseError) -> Self {
        DemoError::Failed(format!("{e:?}"))
    }
}

impl From<registry_core::ports::StoreError> for DemoError {
    fn from(e: registry_core::ports::StoreError) -> Self {
        DemoError::Failed(e.to_string())
    }
}

fn at(date: Date) -> OffsetDateTime {
    date.with_time(Time::from_hms(10, 0, 0).unwrap_or(Time::MIDNIGHT))
        .assume_offset(CHINA_STANDARD_TIME)
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

/// Runs the use cases of the demo, each on its own day.
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
        let calendar = self.state.calendar();
        let ctx = Context {
            now: at(on),
            actor,
            catalogue: &self.state.catalogue,
            calendar: &calendar,
            entropy: &crate::secrets::OsEntropy,
        };
        execute(&self.state.store, &ctx, &use_case)
            .await
            .map_err(|e| {
                DemoError::Failed(format!("{} ({}): {e:?}", name_of::<U>(), format_date(on)))
            })
    }

    async fn hash(&self, password: &str) -> Result<String, DemoError> {
        hash_password(password.to_owned())
            .await
            .map_err(|e| DemoError::Failed(e.to_string()))
    }

    /// The version of the person's details, for the next save.
    async fn version(&self, person: PersonId) -> Result<i64, DemoError> {
        let mut tx = self.state.store.begin_read().await?;
        Ok(tx.person(person).await?.map_or(1, |p| p.version))
    }

    /// Marks the person's pending editions made by `on` (of one kind, or both) as mailed on
    /// that day, as the association does after printing them.
    async fn mail(
        &self,
        person: PersonId,
        on: Date,
        kind: Option<DocumentKind>,
    ) -> Result<(), DemoError> {
        let documents = {
            let mut tx = self.state.store.begin_read().await?;
            tx.documents_of(person).await?
        };
        let ready: Vec<_> = documents
            .iter()
            .filter(|d| {
                d.is_pending()
                    && d.details.created_on <= on
                    && kind.is_none_or(|k| k == d.details.kind)
            })
            .map(|d| d.id)
            .collect();
        let Some(first) = ready.first() else {
            return Ok(());
        };
        let tracking = format!("SF{:010}", 3_100_000_000_i64 + first.get() * 7);
        self.run(
            on,
            admin(),
            MarkMailed {
                documents: ready,
                on: format_date(on),
                tracking,
            },
        )
        .await?;
        Ok(())
    }
}

fn name_of<U>() -> &'static str {
    let full = std::any::type_name::<U>();
    full.rsplit("::").next().unwrap_or(full)
}

/// What the stories share: the cycles, the institutions, the courses given.
struct World {
    tl: Timeline,
    institutions: Vec<(InstitutionId, String)>,
    previous_courses: Vec<Course>,
    current_courses: Vec<Course>,
}

/// A training course of the demo.
#[derive(Debug, Clone)]
struct Course {
    id: CourseId,
    end: Date,
    items: Vec<String>,
    hours: u32,
}

/// The review items the demo uses, in two groups with courses of their own.
const PRESSURE: [&str; 6] = ["RQ-ZZ", "GL-ZZ", "RQ-SJ", "CC-ZZ", "QP-CZ", "GD-AZ"];
const MECHANICAL: [&str; 4] = ["DT-AX", "DT-ZZ", "QZ-ZZ", "YL-AX"];

/// The courses of a cycle: (months and days after its start, length in days, name, items,
/// hours). Of the current cycle, only those that ended a week before today are given.
fn course_plan(span: &Span) -> Vec<(Date, Date, String, Vec<&'static str>, u32)> {
    let all: Vec<&'static str> = PRESSURE.iter().chain(MECHANICAL.iter()).copied().collect();
    let year = |offset: i32| span.start.year() + offset;
    [
        (
            5,
            17,
            format!("{}年鉴定评审人员继续教育培训班", year(0)),
            all.clone(),
        ),
        (
            17,
            9,
            format!("{}年承压类设备继续教育培训班", year(1)),
            PRESSURE.to_vec(),
        ),
        (
            18,
            14,
            format!("{}年机电类设备继续教育培训班", year(1)),
            MECHANICAL.to_vec(),
        ),
        (
            29,
            10,
            format!("{}年鉴定评审人员继续教育培训班", year(2)),
            all.clone(),
        ),
        (
            40,
            20,
            format!("{}年鉴定评审人员继续教育培训班", year(3)),
            all,
        ),
    ]
    .into_iter()
    .map(|(months, days, name, items)| {
        let start = span.at(months, days);
        (start, start + time::Duration::days(2), name, items, 16)
    })
    .collect()
}

/// Loads the demo register into an empty database (one where no institution exists yet),
/// dated relative to `today` (the server's clock, read by the caller).
pub async fn load(state: &AppState, today: Date) -> Result<DemoLogins, DemoError> {
    if !state
        .store
        .institutions()
        .await
        .map_err(|e| DemoError::Failed(e.to_string()))?
        .is_empty()
    {
        return Err(DemoError::NotEmpty);
    }
    let tl = Timeline::new(today, *state.calendar().years().end());
    let l = Loader { state };
    let mut out = DemoLogins {
        cycles: tl.describe(),
        ..DemoLogins::default()
    };
    // Set up a month before the previous cycle starts.
    let set_up = add_days(tl.previous.start, -30);

    // The three separated administrators (三员分立).
    for (username, password, duty) in [
        ("admin", "Cujinhui2026", Duty::System),
        ("anquan", "Baomi2026kz", Duty::Security),
        ("shenji", "Chayue2026sj", Duty::Audit),
    ] {
        l.run(
            set_up,
            admin(),
            CreateAssociationAccount {
                username: username.into(),
                duty,
                password: PasswordHash::new(l.hash(password).await?),
                must_change_password: false,
            },
        )
        .await?;
        out.accounts.push((
            username.into(),
            password.into(),
            format!("促进会{}", duty.label()),
        ));
    }

    // The previous cycle allowed 换证 up to 70 (a transitional rule of the demo's, on the
    // 注册周期 page): that is how a person renewed at 67 for the current cycle reaches
    // their 70th birthday within it, and their registration ends then (the one that ends
    // within three months). The current and next cycles keep the default (65).
    let previous_policy = Policy {
        certificate_renewal_age_limit: 70,
        ..Policy::default()
    };
    for (span, policy, on) in [
        (&tl.previous, previous_policy, set_up),
        (&tl.current, Policy::default(), set_up),
        (
            &tl.next,
            Policy::default(),
            add_days(tl.current.start, 365).min(today),
        ),
    ] {
        l.run(
            on,
            admin(),
            DefineCycle {
                target: registry_core::usecases::CycleTarget::New,
                name: span.name.clone(),
                start: span.start,
                end: span.end,
                policy,
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
    let founded = add_days(tl.previous.start, 4);
    let mut institutions = Vec::new();
    for (n, (name, user, password, number, region)) in institution_specs.iter().enumerate() {
        let code = CreditCode::from_parts("12", region, &format!("MB{:06}", 100 + n))
            .ok_or_else(|| DemoError::Failed("a demo credit code".into()))?;
        let hash = l.hash(password).await?;
        let (id, account) = l
            .run(
                founded,
                admin(),
                CreateInstitution {
                    form: InstitutionForm {
                        name: (*name).into(),
                        number: (*number).into(),
                        credit_code: code.as_str().into(),
                        provincial_number: format!("省级TS{}", 7100 + n),
                        national_number: format!("TS{}-2027", 7110 + n),
                        contact: format!("办公室 0{}-8888{:04}", 21 + n, n),
                        // Reserved for documentation (RFC 2606): nothing leaves.
                        email: format!("{user}@example.cn"),
                    },
                    username: (*user).into(),
                    password: PasswordHash::new(hash.clone()),
                },
            )
            .await?;
        // Demo accounts keep their published passwords.
        l.run(
            founded,
            admin(),
            SetAccountPassword {
                account,
                password: PasswordHash::new(hash),
                must_change_password: false,
                keep_session: None,
            },
        )
        .await?;
        institutions.push((id, (*name).to_owned()));
        out.accounts
            .push(((*user).into(), (*password).into(), format!("机构 {name}")));
    }

    // A training provider runs the current cycle's courses: its system may post their
    // attendance with a token (接口令牌, issued by the security administrator).
    let provider = l
        .run(
            add_days(tl.current.start, -30),
            admin(),
            registry_core::usecases::CreateProvider {
                form: registry_core::provider::ProviderForm {
                    name: "华东特种设备继续教育培训中心".into(),
                    contact: "周老师 021-5555 0101".into(),
                },
            },
        )
        .await?;
    let mut previous_courses = Vec::new();
    let mut current_courses = Vec::new();
    for (span, courses, run_by) in [
        (&tl.previous, &mut previous_courses, None),
        (&tl.current, &mut current_courses, Some(provider)),
    ] {
        for (start, end, name, items, hours) in course_plan(span) {
            if end > tl.ago(7) {
                continue;
            }
            let id = l
                .run(
                    add_days(start, -20),
                    admin(),
                    CreateCourse {
                        provider: run_by,
                        form: CourseForm {
                            name,
                            start: format_date(start),
                            end: format_date(end),
                            items: items.iter().map(|s| (*s).to_owned()).collect(),
                            hours: hours.to_string(),
                        },
                    },
                )
                .await?;
            courses.push(Course {
                id,
                end,
                items: items.iter().map(|s| (*s).to_owned()).collect(),
                hours,
            });
        }
    }

    let world = World {
        tl,
        institutions,
        previous_courses,
        current_courses,
    };
    people::load(&l, &world, &mut out).await?;

    // As in a register in use, every account has set its (published) password within the
    // password policy's period: today, by its holder.
    for (username, password, _) in &out.accounts {
        let account = {
            let name = registry_core::access::Username::parse(username)
                .map_err(|e| DemoError::Failed(e.to_string()))?;
            let mut tx = state.store.begin_read().await?;
            tx.account_by_username(&name).await?
        }
        .ok_or_else(|| DemoError::Failed(format!("no account {username}")))?;
        l.run(
            today,
            crate::auth::actor_of(&account),
            SetAccountPassword {
                account: account.id,
                password: PasswordHash::new(l.hash(password).await?),
                must_change_password: false,
                keep_session: None,
            },
        )
        .await?;
        // The administrators have set up their second factor, with a published secret.
        if matches!(account.role, registry_core::access::Role::Association(_)) {
            use sha2::Digest as _;
            let digest = sha2::Sha256::digest(format!("registry demo second factor {username}"));
            let secret = digest.get(..20).unwrap_or_default().to_vec();
            out.second_factors
                .insert(username.clone(), crate::totp::to_base32(&secret));
            l.run(
                today,
                crate::auth::actor_of(&account),
                registry_core::usecases::EnrolSecondFactor {
                    account: account.id,
                    factor: registry_core::access::SecondFactor {
                        secret,
                        recovery_hashes: vec![],
                    },
                },
            )
            .await?;
        }
    }
    // Today's reminders, as last night's sweep would have kept them: 发件箱 shows what
    // waits (sent where a mail server is configured).
    let actor = Actor::System {
        job: "sweep".into(),
    };
    let calendar = state.calendar();
    let setting = registry_batch::Setting {
        store: &state.store,
        catalogue: &state.catalogue,
        calendar: &calendar,
        entropy: &crate::secrets::OsEntropy,
        actor: &actor,
        now: at(today),
    };
    let setup = registry_batch::reminders::ReminderSetup {
        association: state
            .config
            .mail
            .association
            .as_deref()
            .and_then(registry_core::person::Email::parse),
        sms: state.config.mail.sms_logged,
    };
    registry_batch::reminders::queue(&setting, &setup)
        .await
        .map_err(|e| DemoError::Failed(e.to_string()))?;
    Ok(out)
}

fn add_days(date: Date, days: i64) -> Date {
    date + time::Duration::days(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_logins_table_lines_up_in_terminal_columns() {
        assert_eq!(columns("admin"), 5);
        assert_eq!(columns("促进会管理员"), 12);
        assert_eq!(columns("机构 上海"), 9);
        let logins = DemoLogins {
            cycles: "2025—2028".into(),
            accounts: vec![
                ("admin".into(), "Cujinhui2026".into(), "促进会管理员".into()),
                (
                    "shjp".into(),
                    "Shanghai2026".into(),
                    "机构 上海市特种设备鉴定评审中心".into(),
                ),
            ],
            second_factors: std::collections::BTreeMap::new(),
            assessors: vec![
                (
                    "王建国".into(),
                    "福建省中心".into(),
                    "Demo1000".into(),
                    "已注册".into(),
                ),
                (
                    "欧阳娜娜".into(),
                    "上海市中心".into(),
                    "Demo1001".into(),
                    "待填报".into(),
                ),
            ],
            overdue: None,
        }
        .to_string();
        // Where each line's password starts, in columns: the same on every line of a table.
        let at = |line: &str, marker: &str| columns(&line[..line.find(marker).unwrap()]);
        let accounts: Vec<&str> = logins.lines().filter(|l| l.contains("密码 ")).collect();
        assert_eq!(
            at(accounts[0], "用户名"),
            at(accounts[1], "用户名"),
            "{logins}"
        );
        assert_eq!(at(accounts[0], "密码"), at(accounts[1], "密码"), "{logins}");
        let people: Vec<&str> = logins.lines().filter(|l| l.contains("Demo100")).collect();
        assert_eq!(
            at(people[0], "Demo1000"),
            at(people[1], "Demo1001"),
            "{logins}"
        );
    }
}
