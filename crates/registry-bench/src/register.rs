//! The synthetic register the benchmarks and proofs load: institutions, a cycle, and people
//! with qualified items, employed and registered in the proportions of a live register.

use anyhow::{Context as _, Result};
use registry_core::calendar::WorkCalendar;
use registry_core::credit_code::CreditCode;
use registry_core::date::{CHINA_STANDARD_TIME, anniversary};
use registry_core::holding::{EntryProgress, FillInPasswordHash, ItemState, RegistrationPeriod};
use registry_core::ids::{CycleId, InstitutionId};
use registry_core::institution::InstitutionForm;
use registry_core::person::{AssessorDetails, PersonName};
use registry_core::policy::Policy;
use registry_core::ports::Actor;

use registry_core::resident_id::ResidentId;
use registry_core::review_item::{ReviewItemCatalogue, ReviewItemCode};
use registry_core::usecases::{
    Context, CreateInstitution, DefineCycle, SetAccountPassword, UseCase, execute,
};
use registry_store::bulk::{BulkEmployment, BulkPerson, BulkQualification};

use registry_store::{DataKey, DatabaseUrl, Store};

use time::{Date, Duration as Days, Month, OffsetDateTime, Time};

pub(crate) const KEY: &str = "4b1d2c3e4f5061728394a5b6c7d8e9f00112233445566778899aabbccddeeff0";

pub(crate) const INSTITUTIONS: u32 = 50;

pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub(crate) const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";

pub(crate) const GIVEN: &str = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文辉力永健春梅宇浩鹏飞波斌宁凯晨雪琳欣悦思婷";

pub(crate) fn date(y: i32, m: u8, d: u8) -> Date {
    Date::from_calendar_date(y, Month::try_from(m).unwrap_or(Month::January), d)
        .unwrap_or(Date::MIN)
}

pub(crate) fn now() -> OffsetDateTime {
    date(2026, 11, 26)
        .with_time(Time::from_hms(10, 0, 0).unwrap_or(Time::MIDNIGHT))
        .assume_offset(CHINA_STANDARD_TIME)
}

/// The synthetic register: the same people for both loads.
pub(crate) fn synthetic(
    count: usize,
    catalogue: &ReviewItemCatalogue,
    institutions: &[InstitutionId],
    cycle: CycleId,
) -> Result<Vec<BulkPerson>> {
    let surnames: Vec<char> = SURNAMES.chars().collect();
    let given: Vec<char> = GIVEN.chars().collect();
    let items: Vec<ReviewItemCode> = catalogue.items().iter().map(|i| i.code().clone()).collect();
    let regions = [
        110105u32, 310104, 350102, 440305, 510107, 650102, 320102, 330106, 420102, 610113,
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let first_birth = date(1957, 1, 1);
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let name = format!(
            "{}{}{}",
            surnames[rng.below(surnames.len() as u64) as usize],
            given[rng.below(given.len() as u64) as usize],
            if rng.below(2) == 0 {
                given[rng.below(given.len() as u64) as usize].to_string()
            } else {
                String::new()
            }
        );
        let region = regions[i % regions.len()];
        let birth = first_birth + Days::days(((i / regions.len()) % 15_000) as i64);
        let sequence = ((i / (regions.len() * 15_000)) % 1000) as u16;
        let resident_id = ResidentId::from_parts(region, birth, sequence).context("id")?;
        let mut mine: Vec<ReviewItemCode> = Vec::new();
        for _ in 0..(1 + rng.below(5)) {
            let item = items[rng.below(items.len() as u64) as usize].clone();
            if !mine.contains(&item) {
                mine.push(item);
            }
        }
        let exam_date = date(
            2020 + rng.below(5) as i32,
            1 + rng.below(12) as u8,
            1 + rng.below(28) as u8,
        );
        let qualifications = mine
            .iter()
            .map(|item| BulkQualification {
                item: item.clone(),
                exam_date,
                published_on: exam_date + Days::days(20),
            })
            .collect();
        let mut employments = Vec::new();
        if rng.below(10) < 3 {
            let institution = institutions[rng.below(institutions.len() as u64) as usize];
            let held = &mine[..mine.len().min(1 + rng.below(2) as usize)];
            let roll = rng.below(10);
            let registered_on = date(2025, 1 + rng.below(12) as u8, 1 + rng.below(28) as u8);
            let seventieth = anniversary(birth, 70)
                .and_then(|d| d.previous_day())
                .unwrap_or(birth);
            let holdings = held
                .iter()
                .map(|item| {
                    let (state, period) = match roll {
                        0..=6 => (
                            ItemState::Registered,
                            Some(RegistrationPeriod {
                                cycle,
                                registered_on,
                                valid_from: registered_on,
                                valid_until: seventieth.min(date(2028, 12, 31)),
                            }),
                        ),
                        7 | 8 => (ItemState::AwaitingRegistration, None),
                        _ => (ItemState::Invited, None),
                    };
                    (item.clone(), state, period)
                })
                .collect();
            employments.push(BulkEmployment {
                institution,
                password: FillInPasswordHash::new(format!(
                    "$argon2id$v=19$m=19456,t=2,p=1$bench${i:08}"
                )),
                progress: if roll <= 8 {
                    EntryProgress::Complete
                } else {
                    EntryProgress::NotOpened
                },
                since: registered_on - Days::days(30),
                holdings,
            });
        }
        out.push(BulkPerson {
            name: PersonName::parse(&name).map_err(|e| anyhow::anyhow!("{e}"))?,
            resident_id,
            details: AssessorDetails::default(),
            qualifications,
            employments,
        });
    }
    Ok(out)
}

/// Keys for the documents the benchmark's use cases make: predictable is fine here.
pub(crate) static ENTROPY: registry_core::memory::SequenceEntropy =
    registry_core::memory::SequenceEntropy::new(1);

pub(crate) async fn run<U: UseCase>(
    store: &Store,
    catalogue: &ReviewItemCatalogue,
    calendar: &WorkCalendar,
    use_case: U,
) -> Result<U::Output> {
    let ctx = Context {
        now: now(),
        actor: Actor::System {
            job: "bench".into(),
        },
        catalogue,
        calendar,
        entropy: &ENTROPY,
    };
    execute(store, &ctx, &use_case)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))
}

/// A fresh database with its institutions and cycle, ready for a load.
pub(crate) async fn prepare(
    url: &DatabaseUrl,
    catalogue: &ReviewItemCatalogue,
    calendar: &WorkCalendar,
) -> Result<(Store, Vec<InstitutionId>, CycleId)> {
    let store = Store::connect(url, DataKey::from_hex(KEY)?).await?;
    store.migrate().await?;
    let cycle = run(
        &store,
        catalogue,
        calendar,
        DefineCycle {
            target: registry_core::usecases::CycleTarget::New,
            name: "2025—2028".into(),
            start: date(2025, 1, 1),
            end: date(2028, 12, 31),
            policy: Policy::default(),
        },
    )
    .await?;
    let mut institutions = Vec::new();
    for n in 1..=INSTITUTIONS {
        let code = CreditCode::from_parts("12", "350100", &format!("6000{n:04}"))
            .context("credit code")?;
        let (institution, account) = run(
            &store,
            catalogue,
            calendar,
            CreateInstitution {
                form: InstitutionForm {
                    name: format!("第{n}特种设备鉴定评审中心"),
                    number: format!("TS-JP-{n:03}"),
                    credit_code: code.as_str().into(),
                    national_number: format!("TSJP{n:04}"),
                    ..InstitutionForm::default()
                },
                username: format!("inst{n}"),
                password: registry_core::access::PasswordHash::new("$argon2id$bench".into()),
            },
        )
        .await?;
        // The institution has logged in and chosen its own password, as a live one has.
        run(
            &store,
            catalogue,
            calendar,
            SetAccountPassword {
                account,
                password: registry_core::access::PasswordHash::new("$argon2id$bench".into()),
                must_change_password: false,
                keep_session: None,
            },
        )
        .await?;
        institutions.push(institution);
    }
    Ok((store, institutions, cycle))
}
