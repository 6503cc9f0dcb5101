//! The demo's assessors, each with a story told through the use cases on the days it
//! happened, counted from today. Who is in which situation today:
//!
//! - **Renewed**: passed in the previous cycle, registered in it, renewed their certificate
//!   (换证) and their registrations in its last three months; registered in the current
//!   cycle with its continuing education done.
//! - **Short of hours**: the same, with fewer hours in the current cycle than its 换证
//!   needs (the person page's 换证 column says 尚差 N).
//! - **Age-blocked**: the same, 65 before the current cycle ends: cannot renew for the next.
//! - **Seventy**: renewed at 66–69 (the previous cycle allowed 换证 up to 70); their
//!   registration ends the day before their 70th birthday, about six weeks from today.
//!   When today is too early in the current cycle for anyone to have passed the exam under
//!   65 in the previous one, they passed before any cycle the demo defines: their
//!   certificate is printed without an end, runs to the previous cycle's end all the same
//!   (`registry_core::renewal::certificate_end`) and is renewed like the others.
//! - **Expired**: registered in the previous cycle and never renewed (已过期): one short of
//!   the previous cycle's hours, one who could renew but has not.
//! - **Late renewal**: renewed two months ago, registered again, the card mailed; the new
//!   certificate is the one document past its deadline (逾期).
//! - **Registered**: passed in the current cycle and registered; at two institutions (one
//!   item each; the second card of one of them made three days ago, not yet due); with an
//!   item released (已退回, in the pool), or every item released.
//! - **Awaiting** (等待注册), **Invited** (待填报), **Filling** (信息填报中), and people of
//!   last week's pass list no institution has employed (the pool): their certificates wait
//!   for an address, and are not due yet.

use std::collections::HashMap;

use registry_core::date::{add_months, anniversary, format_date};
use registry_core::document::DocumentKind;
use registry_core::holding::FillInPasswordHash;
use registry_core::ids::InstitutionId;
use registry_core::person::DetailsForm;
use registry_core::qualification::ExamResultForm;
use registry_core::resident_id::{ResidentId, Sex};
use registry_core::usecases::RecordExamResult;
use time::Date;

use super::steps::Steps;
use super::timeline::Timeline;
use super::{DemoError, DemoLogins, Loader, World, add_days, admin};

/// A person's situation today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Story {
    Renewed,
    ShortOfHours,
    AgeBlocked,
    Seventy,
    ExpiredShort,
    ExpiredReady,
    LateRenewal,
    Registered,
    TwoInstitutions,
    TwoInstitutionsRecent,
    Released,
    ReleasedAll,
    Awaiting,
    Invited,
    Filling,
    Pool,
}

use Story::*;

/// Pairs of items a person passed (each pair in one group of courses).
const PAIRS: [[&str; 2]; 7] = [
    ["RQ-ZZ", "GL-ZZ"],
    ["RQ-SJ", "CC-ZZ"],
    ["QP-CZ", "GD-AZ"],
    ["GL-ZZ", "RQ-SJ"],
    ["DT-AX", "DT-ZZ"],
    ["QZ-ZZ", "YL-AX"],
    ["DT-ZZ", "QZ-ZZ"],
];

/// (story, male, institution, pair of items).
const ROSTER: [(Story, bool, usize, usize); 42] = [
    (Renewed, true, 0, 0),
    (Renewed, false, 1, 4),
    (Renewed, true, 2, 1),
    (Renewed, false, 0, 5),
    (Renewed, true, 1, 2),
    (Renewed, false, 2, 3),
    (Renewed, true, 0, 6),
    (Renewed, false, 1, 0),
    (ShortOfHours, true, 2, 1),
    (AgeBlocked, true, 0, 4),
    (Seventy, false, 1, 2),
    (ExpiredShort, true, 2, 3),
    (ExpiredShort, false, 0, 5),
    (ExpiredReady, true, 1, 0),
    (LateRenewal, false, 2, 6),
    (Registered, true, 0, 1),
    (Registered, false, 1, 4),
    (Registered, true, 2, 2),
    (Registered, false, 0, 3),
    (Registered, true, 1, 5),
    (Registered, false, 2, 0),
    (Registered, true, 0, 6),
    (TwoInstitutions, false, 0, 1),
    (TwoInstitutions, true, 1, 4),
    (TwoInstitutionsRecent, false, 2, 2),
    (Released, true, 0, 3),
    (Released, false, 1, 5),
    (ReleasedAll, true, 2, 0),
    (Awaiting, false, 0, 1),
    (Awaiting, true, 1, 6),
    (Awaiting, false, 2, 2),
    (Invited, true, 0, 3),
    (Invited, false, 1, 4),
    (Filling, true, 2, 0),
    (Filling, false, 0, 5),
    (Pool, true, 1, 1),
    (Pool, false, 2, 6),
    (Renewed, true, 2, 4),
    (Renewed, false, 0, 2),
    (Registered, false, 1, 0),
    (Registered, true, 2, 5),
    (Renewed, false, 1, 3),
];

const SURNAMES: [&str; 30] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "郑", "罗", "梁", "宋", "谢", "唐", "韩", "冯", "于", "董", "萧",
];
const MEN: [&str; 20] = [
    "建国", "志强", "国庆", "文博", "晓峰", "振华", "宏伟", "海涛", "立军", "永刚", "俊杰", "明辉",
    "卫东", "德胜", "春雷", "鹏飞", "家豪", "正阳", "浩然", "子健",
];
const WOMEN: [&str; 20] = [
    "海燕", "丽华", "秀英", "玉兰", "淑芬", "桂芳", "红梅", "静怡", "雅琴", "慧敏", "晓燕", "美玲",
    "婉婷", "丽娟", "春梅", "秀兰", "雪梅", "佳怡", "文静", "思琪",
];

/// One person of the roster, as recorded.
struct Someone {
    n: usize,
    story: Story,
    name: String,
    id: ResidentId,
    institution: (InstitutionId, String),
    /// The institution the second item goes to, for a person at two.
    other: (InstitutionId, String),
    items: Vec<String>,
}

impl Someone {
    fn sex(&self) -> &'static str {
        self.id.sex().label()
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

/// The fill-in passwords of the person at their institution and at a second one.
fn passwords(n: usize) -> (String, String) {
    (
        format!("Demo{:04}", 1000 + n * 37),
        format!("Demo{:04}", 2000 + n * 37),
    )
}

/// The birth date of the person: forty-odd for most; for the stories about age, counted
/// from the cycle's end or from today.
fn birth_of(tl: &Timeline, n: usize, story: Story) -> Date {
    match story {
        // 65 seven months before the current cycle ends.
        AgeBlocked => add_months(tl.current.end, -(65 * 12 + 7)),
        // 70 in 45 days.
        Seventy => add_months(add_days(tl.today, 45), -70 * 12),
        _ => {
            let year = tl.today.year() - 38 - (n % 20) as i32;
            let month = time::Month::try_from(1 + (n % 12) as u8).unwrap_or(time::Month::May);
            Date::from_calendar_date(year, month, 1 + (n * 7 % 28) as u8).unwrap_or(tl.today)
        }
    }
}

fn someone(world: &World, n: usize) -> Result<Someone, DemoError> {
    let (story, male, at, pair) = ROSTER[n];
    let region = [350102, 310104, 440106][at % 3];
    let birth = birth_of(&world.tl, n, story);
    // The 17th digit says the sex: odd for men, even for women.
    let sequence = (n * 2 + usize::from(male)) as u16 % 1000;
    let id = ResidentId::from_parts(region, birth, sequence)
        .ok_or_else(|| DemoError::Failed("a demo ID number".into()))?;
    let given = if id.sex() == Sex::Male { MEN } else { WOMEN };
    Ok(Someone {
        n,
        story,
        name: format!("{}{}", SURNAMES[n % SURNAMES.len()], given[n % given.len()]),
        id,
        institution: world.institutions[at % world.institutions.len()].clone(),
        other: world.institutions[(at + 1) % world.institutions.len()].clone(),
        items: PAIRS[pair].iter().map(|s| (*s).to_owned()).collect(),
    })
}

/// Loads every person of the roster.
pub(super) async fn load(
    l: &Loader<'_>,
    world: &World,
    out: &mut DemoLogins,
) -> Result<(), DemoError> {
    let hashes = hash_all().await?;
    for n in 0..ROSTER.len() {
        let p = someone(world, n)?;
        let shown = tell(&p, l, world, &hashes, out)
            .await
            .map_err(|e| e.within(&p.name))?;
        out.assessors.extend(shown);
    }
    Ok(())
}

/// The hashes of every fill-in password, computed side by side (argon2 is the slow part
/// of loading the demo).
async fn hash_all() -> Result<HashMap<String, String>, DemoError> {
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..ROSTER.len() {
        let (first, second) = passwords(n);
        for password in [first, second] {
            tasks.spawn(async move {
                let hash = crate::secrets::hash_password(password.clone()).await;
                (password, hash)
            });
        }
    }
    let mut hashes = HashMap::new();
    while let Some(done) = tasks.join_next().await {
        let (password, hash) = done.map_err(|e| DemoError::Failed(e.to_string()))?;
        hashes.insert(
            password,
            hash.map_err(|e| DemoError::Failed(e.to_string()))?,
        );
    }
    Ok(hashes)
}

fn hash_of(hashes: &HashMap<String, String>, password: &str) -> Option<FillInPasswordHash> {
    hashes.get(password).cloned().map(FillInPasswordHash::new)
}

/// The pass lists of the current cycle: one in its fourth month (or last week's, when the
/// cycle is younger than that), and last week's.
fn current_pass_lists(tl: &Timeline) -> (Date, Date) {
    let recent = tl.ago(6).max(tl.current.start);
    let early = tl.current.at(3, 19);
    let early = if early <= tl.ago(45) { early } else { recent };
    (early, recent)
}

/// When a person of the previous cycle took the exam: in its third month; for the person
/// who turns 70 in six weeks, while they were still under 65 (later in the cycle), or, if
/// that was before the cycle, a year before it (no cycle then: a certificate printed
/// without an end, which runs to the end of the previous cycle and is renewed).
fn previous_exam(tl: &Timeline, p: &Someone) -> Date {
    let usual = tl.previous.at(2, 9);
    if p.story != Seventy {
        return usual;
    }
    let sixty_five = anniversary(p.id.birth_date(), 65).unwrap_or(usual);
    if sixty_five > add_days(usual, 1) {
        usual
    } else if add_days(sixty_five, -20) >= add_days(tl.previous.start, 20) {
        add_days(sixty_five, -20)
    } else {
        add_months(tl.previous.start, -13)
    }
}

/// The person's story; the entries to print (name, institution, fill-in password,
/// situation).
async fn tell(
    p: &Someone,
    l: &Loader<'_>,
    world: &World,
    hashes: &HashMap<String, String>,
    out: &mut DemoLogins,
) -> Result<Vec<(String, String, String, String)>, DemoError> {
    let tl = &world.tl;
    let (early, recent) = current_pass_lists(tl);
    let in_previous = matches!(
        p.story,
        Renewed | ShortOfHours | AgeBlocked | Seventy | ExpiredShort | ExpiredReady | LateRenewal
    );
    let (exam, published) = if in_previous {
        let exam = previous_exam(tl, p);
        (exam, add_days(exam, 20))
    } else if matches!(p.story, Invited | Filling | Pool) {
        (add_days(recent, -20), recent)
    } else {
        (add_days(early, -20), early)
    };
    let person = l
        .run(
            published,
            admin(),
            RecordExamResult {
                form: ExamResultForm {
                    resident_id: p.id.as_str().into(),
                    name: p.name.clone(),
                    items: p.items.clone(),
                    exam_date: format_date(exam),
                    published_on: format_date(published),
                },
            },
        )
        .await?
        .person;
    let s = Steps {
        l,
        world,
        n: p.n,
        items: &p.items,
        person,
    };
    let (here, here_name) = p.institution.clone();
    let (password, other_password) = passwords(p.n);
    let line = |institution: &str, password: &str, situation: String| {
        (
            p.name.clone(),
            institution.to_owned(),
            password.to_owned(),
            situation,
        )
    };
    if p.story == Pool {
        return Ok(vec![]);
    }
    let hired = tl.after(published, add_days(published, 30));
    let hired = match p.story {
        Awaiting => tl.after(hired, tl.ago(25)),
        Invited | Filling => tl.after(published, add_days(published, 2)),
        _ => hired,
    };
    s.employ(here, &p.items, hash_of(hashes, &password), hired)
        .await?;
    let saved = tl.after(hired, add_days(hired, 3));
    match p.story {
        Invited => return Ok(vec![line(&here_name, &password, "待填报".into())]),
        Filling => {
            let mut partial = details(p.sex(), p.n);
            partial.street.clear();
            partial.postcode.clear();
            s.save(here, partial, saved).await?;
            return Ok(vec![line(&here_name, &password, "信息填报中".into())]);
        }
        _ => s.save(here, details(p.sex(), p.n), saved).await?,
    }
    let mailed = tl.after(saved, add_days(saved, 7));
    s.mail(mailed, Some(DocumentKind::Certificate)).await?;
    if p.story == Awaiting {
        return Ok(vec![line(&here_name, &password, "等待注册".into())]);
    }
    // The first registration: in the previous cycle (or, for a certificate older than
    // any cycle, once the previous cycle began).
    let registered = tl.after(mailed, add_days(mailed, 4));
    let registered = if in_previous {
        registered.max(add_days(tl.previous.start, 40))
    } else {
        registered
    };
    s.register(here, &p.items, registered).await?;
    s.mail(
        tl.after(registered, add_days(registered, 10)),
        Some(DocumentKind::Card),
    )
    .await?;
    if in_previous {
        return previous_cycle(&s, p, published, registered, out).await;
    }
    s.train(&world.current_courses, published, 32).await?;
    s.assess_lately(here, registered).await?;
    let mut shown = vec![];
    match p.story {
        TwoInstitutions | TwoInstitutionsRecent => {
            let (other, other_name) = p.other.clone();
            let second = vec![p.items.get(1).cloned().unwrap_or_default()];
            // The first institution lets the second item go; the second hires it.
            let (let_go, hire, register) = if p.story == TwoInstitutionsRecent {
                (tl.ago(12), tl.ago(10), tl.ago(3))
            } else {
                let at = tl.after(registered, add_days(registered, 60));
                (at, add_days(at, 5), add_days(at, 12))
            };
            let let_go = tl.after(registered, let_go);
            s.release(here, &second[0], let_go).await?;
            s.mail(
                tl.after(let_go, add_days(let_go, 5)),
                Some(DocumentKind::Card),
            )
            .await?;
            let hire = tl.after(let_go, hire);
            s.employ(other, &second, hash_of(hashes, &other_password), hire)
                .await?;
            let saved = tl.after(hire, add_days(hire, 1));
            s.save(other, details(p.sex(), p.n), saved).await?;
            let register = tl.after(saved, register);
            s.register(other, &second, register).await?;
            if p.story == TwoInstitutions {
                s.mail(
                    tl.after(register, add_days(register, 8)),
                    Some(DocumentKind::Card),
                )
                .await?;
            }
            shown.push(line(
                &here_name,
                &password,
                format!(
                    "已注册；“{}”已退回，改在{other_name}注册",
                    s.item_name(&second[0])
                ),
            ));
            shown.push(line(
                &other_name,
                &other_password,
                format!("已注册（另一评审项目在{here_name}注册）"),
            ));
        }
        Released | ReleasedAll => {
            let on = tl.after(registered, tl.ago(40));
            let released: Vec<String> = if p.story == ReleasedAll {
                p.items.clone()
            } else {
                p.items.iter().skip(1).cloned().collect()
            };
            for item in &released {
                s.release(here, item, on).await?;
            }
            s.mail(tl.after(on, add_days(on, 7)), Some(DocumentKind::Card))
                .await?;
            if p.story == Released {
                shown.push(line(
                    &here_name,
                    &password,
                    "已注册；另一评审项目已退回（在无聘用单位人员中）".into(),
                ));
            }
        }
        _ => shown.push(line(&here_name, &password, "已注册".into())),
    }
    Ok(shown)
}

/// The rest of a story that began in the previous cycle: its courses and an on-site
/// assessment, then 换证 and registration for the current cycle (or not).
async fn previous_cycle(
    s: &Steps<'_, '_>,
    p: &Someone,
    published: Date,
    registered: Date,
    out: &mut DemoLogins,
) -> Result<Vec<(String, String, String, String)>, DemoError> {
    let tl = s.tl();
    let (here, here_name) = p.institution.clone();
    let (password, _) = passwords(p.n);
    let line = |situation: String| {
        vec![(
            p.name.clone(),
            here_name.clone(),
            password.clone(),
            situation,
        )]
    };
    let target = if p.story == ExpiredShort { 12 } else { 32 };
    let hours = s
        .train(&s.world.previous_courses, published, target)
        .await?;
    s.assess(
        here,
        tl.previous
            .at(32, (p.n % 20) as i64)
            .max(add_days(registered, 3)),
    )
    .await?;
    match p.story {
        ExpiredShort => {
            return Ok(line(format!(
                "已过期：未换证，{}继续教育课时 {hours}，不足",
                tl.previous.name
            )));
        }
        ExpiredReady => {
            return Ok(line("已过期：未换证，可由促进会换证后重新注册".into()));
        }
        _ => {}
    }
    let (renewed, reregistered) = if p.story == LateRenewal {
        let renewed = tl.ago(60);
        (renewed, add_days(renewed, 7))
    } else {
        // In the renewal window, two months before the previous cycle ends.
        let renewed = add_months(tl.previous.end, -2);
        (renewed, add_days(renewed, 30))
    };
    // A certificate printed without an end (its pass list came before the previous cycle)
    // ran to the previous cycle's end all the same: it is renewed like the others.
    s.renew(renewed).await?;
    if p.story != LateRenewal {
        s.mail(add_days(renewed, 12), Some(DocumentKind::Certificate))
            .await?;
    }
    s.register(here, &p.items, reregistered).await?;
    s.mail(
        tl.after(reregistered, add_days(reregistered, 7)),
        Some(DocumentKind::Card),
    )
    .await?;
    let target = if p.story == ShortOfHours { 12 } else { 32 };
    let hours = s
        .train(&s.world.current_courses, tl.current.start, target)
        .await?;
    s.assess_lately(here, reregistered.max(tl.current.start))
        .await?;
    let situation = match p.story {
        ShortOfHours => format!(
            "已注册；本周期继续教育课时 {hours}，换证尚差 {}",
            32_u32.saturating_sub(hours)
        ),
        AgeBlocked => format!(
            "已注册；{} 前年满65周岁，不能换证",
            format_date(tl.current.end)
        ),
        Seventy => {
            let seventy = anniversary(p.id.birth_date(), 70).unwrap_or(tl.today);
            let until = seventy
                .previous_day()
                .unwrap_or(seventy)
                .min(tl.current.end);
            format!("已注册，{} 注册到期（70周岁）", format_date(until))
        }
        LateRenewal => {
            out.overdue = Some((
                p.name.clone(),
                format!("资格证书（{} 换证）", tl.current.name),
            ));
            format!("已注册；{} 换证，新证书逾期未寄出", format_date(renewed))
        }
        _ => "已注册（由上一周期换证并续注册）".into(),
    };
    Ok(line(situation))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn world(today: Date) -> World {
        World {
            tl: Timeline::new(today, 2026),
            institutions: (1..=3)
                .map(|i| (InstitutionId::new(i), format!("机构{i}")))
                .collect(),
            previous_courses: vec![],
            current_courses: vec![],
        }
    }

    #[test]
    fn every_name_fits_the_sex_in_its_id_number_and_is_unique() {
        let world = world(date!(2026 - 11 - 30));
        let mut names = std::collections::BTreeSet::new();
        for (n, (_, male, _, _)) in ROSTER.iter().enumerate() {
            let p = someone(&world, n).unwrap();
            let seventeenth = p.id.as_str().as_bytes()[16] - b'0';
            assert_eq!(seventeenth % 2 == 1, *male, "{}", p.name);
            assert_eq!(p.id.sex() == Sex::Male, *male, "{}", p.name);
            let given: String = p.name.chars().skip(1).collect();
            let pool = if *male { MEN } else { WOMEN };
            assert!(
                pool.contains(&given.as_str()),
                "{} is not a name for a {}",
                p.name,
                p.sex()
            );
            assert!(names.insert(p.name.clone()), "{} twice", p.name);
        }
        assert!(names.contains("王建国"), "王建国 is a man again");
    }

    #[test]
    fn the_ages_that_make_the_stories_are_counted_from_today() {
        let today = date!(2026 - 11 - 30);
        let world = world(today);
        let of = |story| {
            let n = ROSTER.iter().position(|r| r.0 == story).unwrap();
            someone(&world, n).unwrap().id.birth_date()
        };
        // 70 in 45 days; 65 seven months before the current cycle ends.
        assert_eq!(anniversary(of(Seventy), 70), Some(date!(2027 - 01 - 14)));
        assert_eq!(anniversary(of(AgeBlocked), 65), Some(date!(2028 - 05 - 31)));
        // Everyone else is under 65 when the current cycle ends.
        for (n, (story, ..)) in ROSTER.iter().enumerate() {
            if !matches!(story, Seventy | AgeBlocked) {
                let birth = someone(&world, n).unwrap().id.birth_date();
                assert!(registry_core::date::full_years(birth, world.tl.current.end) < 65);
            }
        }
    }
}
