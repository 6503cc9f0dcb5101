//! The register's flow on the in-memory register, with the rules of the core: the
//! association records a pass list and an institution; the institution employs the person
//! for an item (setting the fill-in password, whose hash is all the core sees); the person
//! fills in their details through that entry; the institution sees whether the item can
//! be registered, and registers it.
//!
//! ```sh
//! cargo run -p registry-core --example register_an_item
//! ```

use registry_core::access::PasswordHash;
use registry_core::credit_code::CreditCode;
use registry_core::date::CHINA_STANDARD_TIME;
use registry_core::fixtures;
use registry_core::holding::FillInPasswordHash;
use registry_core::institution::InstitutionForm;
use registry_core::memory::{MemoryRegister, SequenceEntropy, block_on};
use registry_core::person::DetailsForm;
use registry_core::policy::Policy;
use registry_core::ports::{Actor, Register, RegisterTx};
use registry_core::qualification::ExamResultForm;
use registry_core::read::institution_view::institution_view;
use registry_core::read::record::PersonRecord;
use registry_core::registration::Reference;
use registry_core::usecases::{
    Context, CreateInstitution, DefineCycle, EmployItems, RecordExamResult, RegisterItems,
    SaveDetails, UseCase, UseCaseError, execute,
};
use time::macros::{date, time};

fn main() -> Result<(), UseCaseError> {
    let register = MemoryRegister::new();
    let catalogue =
        fixtures::review_items().map_err(|e| UseCaseError::Unexpected(format!("{e:?}")))?;
    let calendar = fixtures::calendar().map_err(|e| UseCaseError::Unexpected(format!("{e:?}")))?;
    let entropy = SequenceEntropy::new(1);
    let today = date!(2026 - 05 - 11);
    // Every use case runs at a moment the caller gives, as someone.
    let ctx = |actor: Actor| Context {
        now: today
            .with_time(time!(10:00))
            .assume_offset(CHINA_STANDARD_TIME),
        actor,
        catalogue: &catalogue,
        calendar: &calendar,
        entropy: &entropy,
    };
    let association = ctx(Actor::Association {
        account: "admin".into(),
    });

    run(
        &register,
        &association,
        DefineCycle {
            target: registry_core::usecases::CycleTarget::New,
            name: "2025—2028".into(),
            start: date!(2025 - 01 - 01),
            end: date!(2028 - 12 - 31),
            policy: Policy::default(),
        },
    )?;
    let person = run(
        &register,
        &association,
        RecordExamResult {
            form: ExamResultForm {
                resident_id: "110105197512310024".into(),
                name: "李秀英".into(),
                items: vec!["GL-ZZ".into()],
                exam_date: "2026-03-20".into(),
                published_on: "2026-04-15".into(),
            },
        },
    )?
    .person;
    let (institution, _account) = run(
        &register,
        &association,
        CreateInstitution {
            form: InstitutionForm {
                name: "北京市特种设备检测中心".into(),
                number: "TS-JP-001".into(),
                // A valid code: the region, the check digit of the organization code and
                // the code's own check digit computed from the parts.
                credit_code: CreditCode::from_parts("12", "110000", "MB000100")
                    .map(|c| c.as_str().to_owned())
                    .unwrap_or_default(),
                national_number: "TSJP0001".into(),
                ..InstitutionForm::default()
            },
            username: "bjtj".into(),
            // The edge hashes passwords (argon2id); the core only keeps the hash.
            password: PasswordHash::new("$argon2id$example".into()),
        },
    )?;
    let as_institution = ctx(Actor::Institution {
        id: institution,
        account: "bjtj".into(),
    });
    run(
        &register,
        &as_institution,
        EmployItems {
            institution,
            person,
            items: vec!["GL-ZZ".into()],
            password: Some(FillInPasswordHash::new("$argon2id$fill-in".into())),
        },
    )?;
    let saved = run(
        &register,
        &ctx(Actor::Assessor {
            person,
            via: institution,
        }),
        SaveDetails {
            person,
            via: institution,
            form: DetailsForm {
                sex: "女".into(),
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
            },
            version: 1,
        },
    )?;
    println!("{}", saved.message());

    // What the institution's page shows: can the item be registered, and if not, why not.
    let view = block_on(async {
        let mut tx = register.begin().await?;
        let record = PersonRecord::load(&mut tx, person).await?;
        let cycles = tx.cycles().await?;
        Ok::<_, UseCaseError>(record.and_then(|record| {
            let reference = Reference {
                catalogue: &catalogue,
                cycles: &cycles,
            };
            institution_view(&record, reference, institution, today)
        }))
    })?;
    for item in view.map(|v| v.items).unwrap_or_default() {
        println!(
            "{}：{}{}",
            catalogue.name_of(&item.item),
            if item.registrable {
                "可以注册"
            } else {
                "不能注册"
            },
            item.problems
                .iter()
                .map(|p| format!("；{p}"))
                .collect::<String>()
        );
    }

    let registered = run(
        &register,
        &as_institution,
        RegisterItems {
            institution,
            person,
            items: vec!["GL-ZZ".into()],
        },
    )?;
    for (item, period) in &registered.items {
        println!(
            "注册成功：注册号 {}，{} 有效期 {} 至 {}",
            registered.number,
            catalogue.name_of(item),
            period.valid_from,
            period.valid_until
        );
    }
    Ok(())
}

/// Runs a use case in one transaction of the in-memory register.
fn run<U: UseCase>(
    register: &MemoryRegister,
    ctx: &Context<'_>,
    use_case: U,
) -> Result<U::Output, UseCaseError> {
    block_on(execute(register, ctx, &use_case))
}
