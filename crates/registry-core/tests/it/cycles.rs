//! Editing a registration cycle on the in-memory register: its dates cannot move while
//! anything bound to it would no longer fit; its name and policy can.

use registry_core::cycle::{CycleForm, RegistrationCycle};
use registry_core::education::CourseForm;
use registry_core::ids::{CourseId, CycleId, PersonId};
use registry_core::ports::{Register, RegisterTx};
use registry_core::usecases::{CreateCourse, DefineCycle, RegisterItems, UseCaseError};

use crate::support::{World, block_on, date};

/// The cycle containing `day`.
fn cycle_at(world: &World, day: &str) -> RegistrationCycle {
    block_on(async {
        let mut tx = world.register.begin().await.unwrap();
        tx.cycles().await.unwrap().at(date(day)).unwrap().clone()
    })
}

fn cycle(world: &World, id: CycleId) -> RegistrationCycle {
    block_on(async {
        let mut tx = world.register.begin().await.unwrap();
        tx.cycles().await.unwrap().get(id).unwrap().clone()
    })
}

/// Edits the cycle containing `day` through its form, as the page and the API do.
fn edit(
    world: &World,
    day: &str,
    change: impl FnOnce(&mut CycleForm),
) -> Result<CycleId, UseCaseError> {
    let before = cycle_at(world, day);
    let mut form = CycleForm::of(before.name(), before.start(), before.end(), before.policy());
    change(&mut form);
    let command = DefineCycle::from_form(
        registry_core::usecases::CycleTarget::Edit {
            id: before.id(),
            version: before.version(),
        },
        &form,
    )?;
    world.admin(command)
}

fn refusal(result: Result<CycleId, UseCaseError>) -> (Vec<&'static str>, String) {
    match result {
        Err(UseCaseError::Rejected(v)) => (v.codes(), v.to_string()),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn course(world: &World, name: &str, start: &str, end: &str) -> CourseId {
    world
        .admin(CreateCourse {
            provider: None,
            form: CourseForm {
                name: name.into(),
                start: start.into(),
                end: end.into(),
                items: vec!["GL-ZZ".into()],
                hours: "8".into(),
            },
        })
        .unwrap()
}

/// A person who passed GL-ZZ in 2026, registered by an institution today (2026-11-26),
/// valid to the end of 2025—2028.
fn registered(world: &mut World) -> PersonId {
    let institution = world.institution();
    let person = world.person("1970-05-20", &["GL-ZZ"], "2026-06-01");
    world.employ(institution, person, &["GL-ZZ"]).unwrap();
    world.fill_in(person, institution);
    world
        .as_institution(
            institution,
            RegisterItems {
                institution,
                person,
                items: vec!["GL-ZZ".into()],
            },
        )
        .unwrap();
    person
}

fn updates(world: &World) -> usize {
    world
        .register
        .audit_log()
        .iter()
        .filter(|r| r.action == "cycle.update")
        .count()
}

#[test]
fn a_shortened_cycle_is_refused_while_a_registration_runs_to_its_old_end() {
    let mut world = World::new();
    registered(&mut world);
    let before = cycle_at(&world, "2026-01-01");

    let (codes, message) = refusal(edit(&world, "2026-01-01", |f| {
        f.end = "2028-06-30".into();
    }));
    // The registration (to 2028-12-31) and the certificate printed to 2028-12-31 are
    // listed by name.
    assert_eq!(
        codes,
        ["cycle.change_registrations", "cycle.change_documents"]
    );
    assert!(
        message.contains("1 项注册") && message.contains("评审员一（110105********"),
        "{message}"
    );
    assert!(
        message.contains("锅炉制造 有效期 2026-11-26 至 2028-12-31"),
        "{message}"
    );
    assert!(message.contains("资格证书 ZS"), "{message}");
    // Nothing changed, nothing audited.
    assert_eq!(cycle(&world, before.id()), before);
    assert_eq!(updates(&world), 0);
}

#[test]
fn a_lengthened_cycle_keeps_registrations_but_not_certificates_printed_to_its_end() {
    let mut world = World::new();
    registered(&mut world);
    world.cycle("2029—2032", "2030-01-01", "2032-12-31");
    // The registration to 2028-12-31 still fits (it is not extended); the certificate
    // printed valid to 2028-12-31 would no longer end with its cycle.
    let (codes, _) = refusal(edit(&world, "2026-01-01", |f| {
        f.end = "2029-06-30".into();
    }));
    assert_eq!(codes, ["cycle.change_documents"]);
}

#[test]
fn a_course_whose_hours_would_move_out_is_refused() {
    let world = World::new();
    let moved = course(&world, "2025年锅炉制造培训班", "2025-01-10", "2025-01-15");
    course(&world, "2026年锅炉制造培训班", "2026-03-01", "2026-03-05");
    let (codes, message) = refusal(edit(&world, "2026-01-01", |f| {
        f.start = "2025-02-01".into();
    }));
    assert_eq!(codes, ["cycle.change_courses_out"]);
    assert_eq!(
        message,
        format!(
            "周期日期修改后，1 个培训班的课时将移出本周期：\
             “2025年锅炉制造培训班”（编号 {}，结束于 2025-01-15）",
            moved.get()
        )
    );
    // With the overlap of the cycle before, both at once.
    let (codes, _) = refusal(edit(&world, "2026-01-01", |f| {
        f.start = "2024-12-01".into();
        f.end = "2028-06-30".into();
    }));
    assert_eq!(codes, ["cycle.overlap"]);
    let (codes, _) = refusal(edit(&world, "2026-01-01", |f| {
        f.start = "2024-12-01".into();
        f.end = "2025-01-12".into();
    }));
    assert_eq!(
        codes,
        ["cycle.overlap", "cycle.change_courses_out"],
        "the overlap and the hours moving out, at once"
    );
}

#[test]
fn a_lengthened_cycle_with_no_course_moving_in_passes() {
    let mut world = World::new();
    world.cycle("2029—2032", "2029-01-01", "2032-12-31");
    course(&world, "2030年锅炉制造培训班", "2030-05-01", "2030-05-03");
    let id = edit(&world, "2030-01-01", |f| f.end = "2033-06-30".into()).unwrap();
    assert_eq!(cycle(&world, id).end(), date("2033-06-30"));
    // A course after the new end would move in with a longer cycle still.
    course(&world, "2033年锅炉制造培训班", "2033-09-01", "2033-09-02");
    let (codes, _) = refusal(edit(&world, "2030-01-01", |f| f.end = "2033-12-31".into()));
    assert_eq!(codes, ["cycle.change_courses_in"]);
}

#[test]
fn the_name_and_the_policy_can_change_whatever_is_bound() {
    let mut world = World::new();
    registered(&mut world);
    course(&world, "2025年锅炉制造培训班", "2025-01-10", "2025-01-15");
    let id = edit(&world, "2026-01-01", |f| {
        f.name = "2025—2028 周期".into();
        f.hours_required = "40".into();
        f.require_item_coverage = false;
    })
    .unwrap();
    let edited = cycle(&world, id);
    assert_eq!(edited.name(), "2025—2028 周期");
    assert_eq!(edited.policy().hours_required, 40.into());
    // The audit log has the name, dates and policy before and after.
    let log = world.register.audit_log();
    let entry = log.iter().find(|r| r.action == "cycle.update").unwrap();
    let field = |snapshot: &Option<registry_core::ports::Snapshot>, key: &str| {
        snapshot
            .as_ref()
            .unwrap()
            .0
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(field(&entry.before, "name"), "2025—2028");
    assert_eq!(field(&entry.after, "name"), "2025—2028 周期");
    assert_eq!(field(&entry.before, "hours_required"), "32");
    assert_eq!(field(&entry.after, "hours_required"), "40");
    assert_eq!(field(&entry.after, "require_item_coverage"), "false");
    assert_eq!(field(&entry.after, "start"), "2025-01-01");
    assert_eq!(field(&entry.after, "end"), "2028-12-31");
}

#[test]
fn a_bad_form_reports_every_problem_at_once_and_changes_nothing() {
    let world = World::new();
    let before = cycle_at(&world, "2026-01-01");
    let (codes, _) = refusal(edit(&world, "2026-01-01", |f| {
        f.name = " ".into();
        f.end = "2024-13-01".into();
        f.cycle_years = "四".into();
        f.exam_age_limit = "200".into();
        f.hours_required = "".into();
    }));
    assert_eq!(
        codes,
        [
            "field.missing",
            "date.no_such_day",
            "field.bad_format",
            "field.missing"
        ]
    );
    // Numbers out of range are reported once all parse.
    let (codes, _) = refusal(edit(&world, "2026-01-01", |f| {
        f.exam_age_limit = "200".into();
        f.end = "2024-12-31".into();
    }));
    assert_eq!(codes, ["cycle.dates", "policy.range"]);
    assert_eq!(cycle(&world, before.id()), before);
}

#[test]
fn an_edit_made_from_an_old_reading_of_the_cycle_is_refused() {
    let world = World::new();
    let before = cycle_at(&world, "2026-01-01");
    assert_eq!(before.version(), 1);
    edit(&world, "2026-01-01", |f| f.name = "第一次修改".into()).unwrap();
    let after = cycle_at(&world, "2026-01-01");
    assert_eq!((after.version(), after.name()), (2, "第一次修改"));
    // A second edit from the form read before the first: refused, the first kept.
    let mut form = CycleForm::of(before.name(), before.start(), before.end(), before.policy());
    form.hours_required = "24".into();
    let stale = DefineCycle::from_form(
        registry_core::usecases::CycleTarget::Edit {
            id: before.id(),
            version: before.version(),
        },
        &form,
    )
    .unwrap();
    let refused = world.admin(stale);
    assert_eq!(
        refused.as_ref().map_err(UseCaseError::code),
        Err("conflict.stale.cycle".to_owned())
    );
    assert_eq!(
        refused.unwrap_err().to_string(),
        "注册周期已被他人修改，请刷新页面后重试"
    );
    let kept = cycle(&world, before.id());
    assert_eq!((kept.version(), kept.name()), (2, "第一次修改"));
    assert_eq!(kept.policy(), after.policy());
}
