//! The use cases, end to end on the in-memory register.

use registry_core::assessment::AssessmentForm;
use registry_core::education::{CourseForm, education_in_cycle};
use registry_core::holding::{FillInPasswordHash, ItemState};
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::person::DetailsForm;
use registry_core::ports::{Conflict, Entity, Register, RegisterTx};
use registry_core::qualification::ExamResultForm;
use registry_core::usecases::{
    CreateCourse, EmployItems, RecordAssessment, RecordAttendance, RecordExamResult, RegisterItems,
    ReleaseItem, ReverseAttendance, SaveDetails, SetFillInPassword, UndoRelease, UseCaseError,
    execute,
};

use crate::support::{World, block_on, complete_form, date};

fn codes(error: UseCaseError) -> Vec<&'static str> {
    match error {
        UseCaseError::Rejected(v) => v.codes(),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn register(
    world: &World,
    institution: InstitutionId,
    person: PersonId,
    items: &[&str],
) -> Result<registry_core::usecases::Registered, UseCaseError> {
    world.as_institution(
        institution,
        RegisterItems {
            institution,
            person,
            items: items.iter().map(|s| s.to_string()).collect(),
        },
    )
}

fn release(
    world: &World,
    institution: InstitutionId,
    person: PersonId,
    item: &str,
    reason: &str,
) -> Result<(), UseCaseError> {
    world.as_institution(
        institution,
        ReleaseItem {
            institution,
            person,
            item: item.into(),
            reason: reason.into(),
        },
    )
}

fn states(world: &World, person: PersonId) -> Vec<(String, InstitutionId, ItemState)> {
    block_on(async {
        let mut tx = world.register.begin().await.unwrap();
        tx.holdings_of(person)
            .await
            .unwrap()
            .into_iter()
            .map(|h| (h.item.as_str().to_owned(), h.institution, h.state))
            .collect()
    })
}

#[test]
fn the_source_documents_registration_flow() {
    let mut world = World::new();
    let institution = world.institution();
    let person = world.person("1970-05-20", &["RQ-ZZ", "GL-ZZ"], "2026-06-01");

    // The institution adds the person and sets the fill-in password.
    let employed = world
        .employ(institution, person, &["RQ-ZZ", "GL-ZZ"])
        .unwrap();
    assert!(employed.new_employment);
    assert!(employed.items.iter().all(|(_, s)| *s == ItemState::Invited));

    // The person fills in part of the details: 信息填报中.
    let partial = DetailsForm {
        mobile: "13912345678".into(),
        ..DetailsForm::default()
    };
    let saved = world
        .as_assessor(
            person,
            institution,
            SaveDetails {
                person,
                via: institution,
                form: partial,
                version: world.version(person),
            },
        )
        .unwrap();
    assert_eq!(
        saved.missing.len(),
        7,
        "the sex is the ID number's, never missing"
    );
    assert!(saved.items.iter().all(|(_, s)| *s == ItemState::Filling));

    // Registering now is refused, with the reason.
    let refused = register(&world, institution, person, &["RQ-ZZ"]).unwrap_err();
    assert_eq!(
        codes(refused),
        [
            "registration.details_incomplete",
            "registration.not_awaiting"
        ]
    );

    // Complete details: the items turn 等待注册 by themselves.
    world.fill_in(person, institution);
    assert!(
        states(&world, person)
            .iter()
            .all(|(_, _, s)| *s == ItemState::AwaitingRegistration)
    );

    // The institution registers one item, then the other.
    let first = register(&world, institution, person, &["RQ-ZZ"]).unwrap();
    assert_eq!(first.number.to_string(), "JP20260000014");
    let period = &first.items[0].1;
    assert_eq!(period.valid_from, date("2026-11-26"));
    assert_eq!(period.valid_until, date("2028-12-31"));
    let second = register(&world, institution, person, &["GL-ZZ"]).unwrap();
    assert_eq!(
        second.number, first.number,
        "one number per person, for life"
    );

    // A double submission is refused, saying when renewal opens.
    let again = register(&world, institution, person, &["GL-ZZ"]).unwrap_err();
    assert_eq!(
        again.to_string(),
        "“锅炉制造”已注册，有效期至 2028-12-31；可于 2028-10-01 起办理下一周期注册"
    );

    // Every change left an audit record.
    let actions: Vec<&str> = world
        .register
        .audit_log()
        .iter()
        .map(|r| r.action)
        .filter(|a| a.starts_with("holding") || a.starts_with("person.details"))
        .collect();
    assert_eq!(
        actions,
        [
            "holding.employ",
            "holding.employ",
            "person.details",
            "holding.state",
            "holding.state",
            "person.details",
            "holding.state",
            "holding.state",
            "holding.register",
            "holding.register"
        ]
    );
}

#[test]
fn registration_age_is_checked_to_the_day_and_validity_ends_before_the_70th_birthday() {
    let mut world = World::new();
    let institution = world.institution();
    // Qualified at 68 in 2025—2028, which examines up to 70.
    world.examining_up_to(70);
    let person = world.person("1956-12-01", &["DT-AX"], "2025-05-01");
    world.employ(institution, person, &["DT-AX"]).unwrap();
    world.fill_in(person, institution);

    world.today = date("2026-12-01");
    let refused = register(&world, institution, person, &["DT-AX"]).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "2026-12-01 时已满70周岁，注册年龄须在70周岁以下"
    );

    world.today = date("2026-11-30");
    let registered = register(&world, institution, person, &["DT-AX"]).unwrap();
    assert_eq!(registered.items[0].1.valid_until, date("2026-11-30"));
}

#[test]
fn details_can_be_saved_once_a_registration_has_ended_before_the_sweep_marks_it() {
    let mut world = World::new();
    let institution = world.institution();
    let person = world.person("1970-01-01", &["DT-AX"], "2025-05-01");
    world.employ(institution, person, &["DT-AX"]).unwrap();
    world.fill_in(person, institution);
    register(&world, institution, person, &["DT-AX"]).unwrap();
    // 2029: the registration (to 2028-12-31) has ended; no sweep ran. The person clears
    // a field: saved, and the item is expired now, as the sweep would have recorded it.
    world.today = date("2029-01-05");
    let mut form = complete_form(world.sex_of(person));
    form.street.clear();
    let saved = world
        .as_assessor(
            person,
            institution,
            SaveDetails {
                person,
                via: institution,
                form,
                version: world.version(person),
            },
        )
        .unwrap();
    assert_eq!(saved.items[0].1, ItemState::Expired);
    let stored = block_on(async {
        let mut tx = world.register.begin().await.unwrap();
        tx.holdings_of(person).await.unwrap()[0].state
    });
    assert_eq!(stored, ItemState::Expired);
}

#[test]
fn a_leap_day_birthday_turns_70_on_the_first_of_march() {
    let mut world = World::new();
    let institution = world.institution();
    // Qualified at 68 in 2025—2028, which examines up to 70.
    world.examining_up_to(70);
    let person = world.person("1956-02-29", &["DT-AX"], "2025-05-01");
    world.today = date("2025-06-01");
    world.employ(institution, person, &["DT-AX"]).unwrap();
    world.fill_in(person, institution);
    let registered = register(&world, institution, person, &["DT-AX"]).unwrap();
    assert_eq!(registered.items[0].1.valid_until, date("2026-02-28"));
    let holding_state = |world: &World, day: &str| {
        block_on(async {
            let mut tx = world.register.begin().await.unwrap();
            tx.holdings_of(person).await.unwrap()[0].state_on(date(day))
        })
    };
    assert_eq!(holding_state(&world, "2026-02-28"), ItemState::Registered);
    assert_eq!(holding_state(&world, "2026-03-01"), ItemState::Expired);

    world.today = date("2026-03-01");
    let refused = register(&world, institution, person, &["DT-AX"]).unwrap_err();
    assert_eq!(codes(refused), ["registration.age_limit"]);
}

#[test]
fn every_violation_of_a_request_is_reported_at_once() {
    let mut world = World::new();
    let institution = world.institution();
    let person = world.person("1956-12-01", &["DT-AX", "DT-ZZ"], "2020-05-01");
    world
        .employ(institution, person, &["DT-AX", "DT-ZZ"])
        .unwrap();
    world.fill_in(person, institution);
    world.today = date("2026-12-01");
    let refused = register(&world, institution, person, &["DT-AX", "DT-ZZ", "NOPE"]).unwrap_err();
    assert_eq!(codes(refused), ["item.unknown"]);
    let refused = register(&world, institution, person, &["DT-AX", "DT-ZZ"]).unwrap_err();
    assert_eq!(
        codes(refused),
        ["registration.age_limit", "registration.age_limit"]
    );
}

#[test]
fn one_institution_per_item_with_release_and_hire_from_the_pool() {
    let mut world = World::new();
    let a = world.institution();
    let b = world.institution();
    let person = world.person("1975-03-03", &["QZ-ZZ", "QZ-AX"], "2025-05-01");
    world.employ(a, person, &["QZ-ZZ"]).unwrap();

    // B cannot take A's item, but can take the other one: a person at two institutions.
    // B does not employ the person yet: it learns only that the item is not in the pool.
    let refused = world.employ(b, person, &["QZ-ZZ"]).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "“起重机械制造”不在该人员的无聘用单位评审项目中，不能聘用"
    );
    world.employ(b, person, &["QZ-AX"]).unwrap();
    // Now their employer too, B is told why.
    assert_eq!(
        world.employ(b, person, &["QZ-ZZ"]).unwrap_err().to_string(),
        "“起重机械制造”已由其他机构聘用，须由原机构“退回人员”后方可聘用"
    );
    assert_eq!(
        codes(world.employ(a, person, &["QZ-ZZ"]).unwrap_err()),
        ["holding.already_held"]
    );

    // B can neither release nor register A's item: it answers "not found".
    assert_eq!(
        release(&world, b, person, "QZ-ZZ", "不再聘用"),
        Err(UseCaseError::NotFound(Entity::Holding))
    );
    assert_eq!(
        register(&world, b, person, &["QZ-ZZ"]).unwrap_err(),
        UseCaseError::NotFound(Entity::Holding)
    );

    // A releases it, with a reason; B hires it from the pool and fills in again.
    assert_eq!(
        codes(release(&world, a, person, "QZ-ZZ", "  ").unwrap_err()),
        ["field.missing"]
    );
    release(&world, a, person, "QZ-ZZ", "人员调动").unwrap();
    let hired = world.employ(b, person, &["QZ-ZZ"]).unwrap();
    assert!(!hired.new_employment);
    assert_eq!(hired.items[0].1, ItemState::Invited);
    world.fill_in(person, b);
    register(&world, b, person, &["QZ-ZZ", "QZ-AX"]).unwrap();

    // The history of holders stays.
    let history = states(&world, person);
    assert_eq!(
        history,
        [
            ("QZ-ZZ".to_owned(), a, ItemState::Released),
            ("QZ-AX".to_owned(), b, ItemState::Registered),
            ("QZ-ZZ".to_owned(), b, ItemState::Registered),
        ]
    );
}

#[test]
fn a_new_employment_needs_a_password_and_qualified_items() {
    let mut world = World::new();
    let institution = world.institution();
    let person = world.person("1975-03-03", &["QZ-ZZ"], "2025-05-01");
    let refused = world
        .as_institution(
            institution,
            EmployItems {
                institution,
                person,
                items: vec!["QZ-ZZ".into(), "DT-ZZ".into()],
                password: None,
            },
        )
        .unwrap_err();
    // The person is in the pool (QZ-ZZ): the institution is told DT-ZZ is not among their
    // pooled items, not why.
    assert_eq!(
        codes(refused),
        ["holding.not_in_pool", "employment.no_password"]
    );
    assert_eq!(
        world.as_institution(
            institution,
            SetFillInPassword {
                institution,
                person,
                password: FillInPasswordHash::new("x".into())
            }
        ),
        Err(UseCaseError::NotFound(Entity::Person))
    );
}

#[test]
fn the_assessor_edits_only_through_a_current_employment_and_a_fresh_version() {
    let mut world = World::new();
    let a = world.institution();
    let b = world.institution();
    let person = world.person("1975-03-03", &["QZ-ZZ"], "2025-05-01");
    world.employ(a, person, &["QZ-ZZ"]).unwrap();
    let form = complete_form(world.sex_of(person));
    let through_b = world.as_assessor(
        person,
        b,
        SaveDetails {
            person,
            via: b,
            form: form.clone(),
            version: world.version(person),
        },
    );
    assert_eq!(
        through_b,
        Err(registry_core::violation::Violation::EntryClosed.into())
    );

    let stale = world.version(person);
    world.fill_in(person, a);
    let conflict = world.as_assessor(
        person,
        a,
        SaveDetails {
            person,
            via: a,
            form,
            version: stale,
        },
    );
    assert_eq!(
        conflict,
        Err(UseCaseError::Conflict(Conflict::Stale(Entity::Person)))
    );
    assert_eq!(
        conflict.unwrap_err().to_string(),
        "人员已被他人修改，请刷新页面后重试"
    );
}

#[test]
fn a_registered_person_cannot_empty_a_required_field() {
    let mut world = World::new();
    let a = world.institution();
    let person = world.person("1975-03-03", &["QZ-ZZ"], "2025-05-01");
    world.employ(a, person, &["QZ-ZZ"]).unwrap();
    world.fill_in(person, a);
    register(&world, a, person, &["QZ-ZZ"]).unwrap();
    let emptied = DetailsForm {
        mobile: String::new(),
        ..complete_form(world.sex_of(person))
    };
    let refused = world
        .as_assessor(
            person,
            a,
            SaveDetails {
                person,
                via: a,
                form: emptied,
                version: world.version(person),
            },
        )
        .unwrap_err();
    assert_eq!(
        refused.to_string(),
        "已有注册评审项的人员，必填信息不能清空（缺少：手机）"
    );
}

fn course(world: &World, end: &str, items: &[&str], hours: &str) -> registry_core::ids::CourseId {
    world
        .admin(CreateCourse {
            provider: None,
            form: CourseForm {
                name: format!("{end}继续教育培训班"),
                start: end.into(),
                end: end.into(),
                items: items.iter().map(|s| s.to_string()).collect(),
                hours: hours.into(),
            },
        })
        .unwrap()
}

fn attend(world: &World, course: registry_core::ids::CourseId, person: PersonId, hours: &str) {
    world
        .admin(RecordAttendance {
            provider: None,
            course,
            person,
            hours: hours.into(),
        })
        .unwrap();
}

#[test]
fn renewal_needs_the_hours_and_a_course_covering_each_item() {
    let mut world = World::new();
    let a = world.institution();
    let person = world.person("1970-01-01", &["RQ-ZZ", "GL-ZZ", "DT-ZZ"], "2021-03-01");
    world.today = date("2022-04-01");
    world
        .employ(a, person, &["RQ-ZZ", "GL-ZZ", "DT-ZZ"])
        .unwrap();
    world.fill_in(person, a);
    register(&world, a, person, &["RQ-ZZ", "GL-ZZ", "DT-ZZ"]).unwrap();

    // In the 2021—2024 cycle: 32 hours from two courses covering RQ-ZZ and GL-ZZ.
    let c1 = course(&world, "2022-05-10", &["RQ-ZZ"], "16");
    let c2 = course(&world, "2023-05-10", &["GL-ZZ"], "16");
    world.today = date("2023-06-01");
    attend(&world, c1, person, "16");
    attend(&world, c2, person, "16");

    // The cycle ended: the registrations expired. In 2025 the items need 换证 first: the
    // certificate (2021—2024) has ended.
    world.today = date("2025-02-10");
    assert!(
        states(&world, person)
            .iter()
            .all(|(_, _, s)| *s == ItemState::Registered),
        "the state as recorded stays until the sweep"
    );
    let refused = register(&world, a, person, &["RQ-ZZ", "GL-ZZ", "DT-ZZ"]).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "资格证书（2021—2024）已于 2024-12-31 到期：“压力容器制造”须先换证；\
         资格证书（2021—2024）已于 2024-12-31 到期：“锅炉制造”须先换证；\
         资格证书（2021—2024）已于 2024-12-31 到期：“电梯制造”须先换证，参加的继续教育培训班未覆盖该项"
    );

    // A reversal takes 16 hours away: 16 of the 24 owed (a pass list of March 2021: three
    // whole years of the cycle left).
    let entry = block_on(async {
        let mut tx = world.register.begin().await.unwrap();
        tx.attendance_of(person).await.unwrap()[0].id
    });
    world.admin(ReverseAttendance { entry }).unwrap();
    assert_eq!(
        codes(world.admin(ReverseAttendance { entry }).unwrap_err()),
        ["attendance.cannot_reverse"]
    );
    let renew = |world: &World| world.admin(registry_core::usecases::RenewCertificate { person });
    assert_eq!(
        codes(renew(&world).unwrap_err()),
        [
            "education.hours_short",
            "education.item_not_covered",
            "education.item_not_covered"
        ]
    );
    // Another course in 2024 makes up the hours: 压力容器制造 and 锅炉制造 are renewed for
    // 2025—2028, 电梯制造 (no course covered it) is left off and cannot be registered.
    let c3 = course(&world, "2024-05-10", &["RQ-ZZ"], "16");
    attend(&world, c3, person, "16");
    let renewed = renew(&world).unwrap();
    assert_eq!(renewed.items.len(), 2);
    assert_eq!(renewed.valid_until, date("2028-12-31"));
    let registered = register(&world, a, person, &["RQ-ZZ", "GL-ZZ"]).unwrap();
    assert_eq!(registered.items[0].1.valid_until, date("2028-12-31"));
    assert_eq!(
        codes(register(&world, a, person, &["DT-ZZ"]).unwrap_err()),
        ["certificate.item_not_listed"]
    );
}

#[test]
fn early_renewal_opens_three_months_before_the_end() {
    let mut world = World::new();
    world.cycle("2029—2032", "2029-01-01", "2032-12-31");
    let a = world.institution();
    let person = world.person("1970-01-01", &["RQ-ZZ"], "2025-03-01");
    world.today = date("2025-04-01");
    world.employ(a, person, &["RQ-ZZ"]).unwrap();
    world.fill_in(person, a);
    register(&world, a, person, &["RQ-ZZ"]).unwrap();
    let c = course(&world, "2026-05-10", &["RQ-ZZ"], "32");
    world.today = date("2026-06-01");
    attend(&world, c, person, "32");

    world.today = date("2028-09-30");
    assert_eq!(
        codes(register(&world, a, person, &["RQ-ZZ"]).unwrap_err()),
        ["registration.already_registered"]
    );
    world.today = date("2028-10-01");
    // The next cycle's registration needs the next cycle's certificate: 换证 first.
    assert_eq!(
        codes(register(&world, a, person, &["RQ-ZZ"]).unwrap_err()),
        ["certificate.ends"]
    );
    world
        .admin(registry_core::usecases::RenewCertificate { person })
        .unwrap();
    let renewed = register(&world, a, person, &["RQ-ZZ"]).unwrap();
    assert_eq!(renewed.items[0].1.valid_from, date("2029-01-01"));
    assert_eq!(renewed.items[0].1.valid_until, date("2032-12-31"));
}

#[test]
fn moving_institution_keeps_hours_and_working_days() {
    let mut world = World::new();
    let a = world.institution();
    let b = world.institution();
    let person = world.person("1970-01-01", &["RQ-ZZ"], "2025-03-01");
    world.employ(a, person, &["RQ-ZZ"]).unwrap();
    world.fill_in(person, a);
    let c = course(&world, "2025-05-10", &["RQ-ZZ"], "12");
    attend(&world, c, person, "12");
    let form = AssessmentForm {
        applicant_unit: "某压力容器有限公司".into(),
        item: "RQ-ZZ".into(),
        start: "2024-09-27".into(),
        end: "2024-10-09".into(),
        kind: "首次".into(),
    };
    let (_, days) = world
        .as_institution(
            a,
            RecordAssessment {
                person,
                institution: Some(a),
                form: form.clone(),
            },
        )
        .unwrap();
    assert_eq!(days, 5);
    let totals = |world: &World| {
        block_on(async {
            let mut tx = world.register.begin().await.unwrap();
            let cycles = tx.cycles().await.unwrap();
            let cycle = cycles.at(date("2025-06-01")).unwrap().clone();
            let courses = tx.courses_of(person).await.unwrap();
            let attendance = tx.attendance_of(person).await.unwrap();
            let assessments = tx.assessments_of(person).await.unwrap();
            (
                education_in_cycle(&cycle, &courses, &attendance).hours,
                registry_core::assessment::total_working_days(&world.calendar, &assessments)
                    .unwrap(),
            )
        })
    };
    let before = totals(&world);
    release(&world, a, person, "RQ-ZZ", "调往其他机构").unwrap();
    world.employ(b, person, &["RQ-ZZ"]).unwrap();
    assert_eq!(totals(&world), before);

    // A no longer holds the item: it cannot record assessments for it.
    let refused = world.as_institution(
        a,
        RecordAssessment {
            person,
            institution: Some(a),
            form,
        },
    );
    assert_eq!(refused, Err(UseCaseError::NotFound(Entity::Person)));
}

#[test]
fn a_failure_midway_leaves_nothing_written() {
    let mut world = World::new();
    let a = world.institution();
    let person = world.person("1970-01-01", &["RQ-ZZ", "GL-ZZ"], "2025-03-01");
    world.employ(a, person, &["RQ-ZZ", "GL-ZZ"]).unwrap();
    world.fill_in(person, a);
    let before = (
        world.register.all_holdings(),
        world.register.audit_log().len(),
        world.register.generation(),
    );
    // Registering two items writes: the number, then per item the holding, the history
    // and the audit record. Fail at the fourth write.
    world.register.fail_after_writes(3);
    let failed = register(&world, a, person, &["RQ-ZZ", "GL-ZZ"]);
    assert!(matches!(failed, Err(UseCaseError::Unexpected(_))));
    assert_eq!(failed.unwrap_err().to_string(), "系统内部错误，请稍后重试");
    let after = (
        world.register.all_holdings(),
        world.register.audit_log().len(),
        world.register.generation(),
    );
    assert_eq!(before, after);
}

#[test]
fn a_concurrent_taker_is_retried_and_then_refused() {
    let mut world = World::new();
    let a = world.institution();
    let b = world.institution();
    let person = world.person("1970-01-01", &["RQ-ZZ"], "2025-03-01");
    let ctx = |id: InstitutionId| registry_core::usecases::Context {
        now: world.now(),
        actor: registry_core::ports::Actor::Institution {
            id,
            account: "x".into(),
        },
        catalogue: &world.catalogue,
        calendar: &world.calendar,
        entropy: &world.entropy,
    };
    let employ = |id: InstitutionId| EmployItems {
        institution: id,
        person,
        items: vec!["RQ-ZZ".into()],
        password: Some(FillInPasswordHash::new("h".into())),
    };
    block_on(async {
        use registry_core::usecases::UseCase;
        // Both read the register before either writes.
        let mut first = world.register.begin().await.unwrap();
        let mut second = world.register.begin().await.unwrap();
        employ(a).run(&ctx(a), &mut first).await.unwrap();
        employ(b).run(&ctx(b), &mut second).await.unwrap();
        first.commit().await.unwrap();
        assert_eq!(
            second.commit().await,
            Err(registry_core::ports::StoreError::Retry)
        );
        // The runner runs the loser again, which now sees the item taken: the person, who
        // had no other item in the pool, is no longer in it, and answers as nobody.
        let again = execute(&world.register, &ctx(b), &employ(b)).await;
        assert_eq!(again, Err(UseCaseError::NotFound(Entity::Person)));
    });
}

#[test]
fn exam_results_are_idempotent_and_check_the_name() {
    let mut world = World::new();
    let person = world.person("1970-01-01", &["RQ-ZZ"], "2025-03-01");
    let id = block_on(async {
        let mut tx = world.register.begin().await.unwrap();
        tx.person(person).await.unwrap().unwrap()
    });
    let form = ExamResultForm {
        resident_id: id.resident_id.as_str().into(),
        name: id.name.as_str().into(),
        items: vec!["RQ-ZZ".into(), "GL-ZZ".into()],
        exam_date: "2025-03-01".into(),
        published_on: "2025-03-20".into(),
    };
    let first = world
        .admin(RecordExamResult { form: form.clone() })
        .unwrap();
    assert!(!first.created);
    assert_eq!(first.added.len(), 1);
    assert_eq!(first.already.len(), 1);
    let audit = world.register.audit_log().len();
    let second = world
        .admin(RecordExamResult { form: form.clone() })
        .unwrap();
    assert!(second.added.is_empty());
    assert_eq!(world.register.audit_log().len(), audit);
    let renamed = world.admin(RecordExamResult {
        form: ExamResultForm {
            name: "李四".into(),
            ..form
        },
    });
    assert_eq!(codes(renamed.unwrap_err()), ["exam.name_mismatch"]);
}

#[test]
fn attendance_is_credited_to_certificate_holders_within_the_course_hours() {
    let mut world = World::new();
    let person = world.person("1970-01-01", &["RQ-ZZ"], "2025-03-01");
    let c = course(&world, "2025-05-10", &["RQ-ZZ"], "16");
    attend(&world, c, person, "10");
    let refused = world.admin(RecordAttendance {
        provider: None,
        course: c,
        person,
        hours: "6.5".into(),
    });
    assert_eq!(
        refused.unwrap_err().to_string(),
        "该培训班计16课时，已记录10课时，不能再记录6.5课时"
    );
    attend(&world, c, person, "6");
}

fn expire(world: &World, person: PersonId) -> Vec<registry_core::usecases::Expired> {
    world
        .run(
            registry_core::ports::Actor::System {
                job: "sweep".into(),
            },
            registry_core::usecases::ExpireRegistrations { person },
        )
        .unwrap()
}

#[test]
fn the_sweep_ends_registrations_at_the_70th_birthday_and_says_why_once() {
    let mut world = World::new();
    let institution = world.institution();
    // Qualified at 68 in 2025—2028, which examines up to 70.
    world.examining_up_to(70);
    let person = world.person("1956-12-01", &["DT-AX"], "2025-05-01");
    world.employ(institution, person, &["DT-AX"]).unwrap();
    world.fill_in(person, institution);
    register(&world, institution, person, &["DT-AX"]).unwrap();

    // Still valid on the last day: nothing to end.
    world.today = date("2026-11-30");
    assert!(expire(&world, person).is_empty());
    assert_eq!(states(&world, person)[0].2, ItemState::Registered);

    world.today = date("2026-12-01");
    let ended = expire(&world, person);
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].valid_until, date("2026-11-30"));
    assert_eq!(ended[0].reason, "年满70周岁");
    assert_eq!(states(&world, person)[0].2, ItemState::Expired);
    let entry = world
        .register
        .audit_log()
        .into_iter()
        .rev()
        .find(|a| a.action == "holding.expire")
        .expect("the end is audited");
    assert_eq!(entry.actor.describe(), "system:sweep");
    assert!(format!("{:?}", entry.after).contains("年满70周岁"));

    // Idempotent: a second run the same night, or the next, ends nothing more.
    let audit = world.register.audit_log().len();
    assert!(expire(&world, person).is_empty());
    world.today = date("2026-12-02");
    assert!(expire(&world, person).is_empty());
    assert_eq!(world.register.audit_log().len(), audit);
}

#[test]
fn the_sweep_ends_registrations_at_the_end_of_the_cycle() {
    let mut world = World::new();
    let institution = world.institution();
    let person = world.person("1980-03-15", &["DT-AX"], "2025-05-01");
    world.employ(institution, person, &["DT-AX"]).unwrap();
    world.fill_in(person, institution);
    register(&world, institution, person, &["DT-AX"]).unwrap();
    world.today = date("2029-01-01");
    let ended = expire(&world, person);
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].valid_until, date("2028-12-31"));
    assert_eq!(ended[0].reason, "注册周期结束");
}

fn undo(
    world: &World,
    institution: InstitutionId,
    person: PersonId,
    item: &str,
) -> Result<ItemState, UseCaseError> {
    world
        .as_institution(
            institution,
            UndoRelease {
                institution,
                person,
                item: item.into(),
            },
        )
        .map(|(_, state)| state)
}

#[test]
fn a_release_is_undone_the_same_day_by_its_institution_unless_the_item_was_hired_again() {
    let mut world = World::new();
    let a = world.institution();
    let b = world.institution();
    let person = world.person("1975-03-03", &["QZ-ZZ", "QZ-AX"], "2025-05-01");
    world.employ(a, person, &["QZ-ZZ", "QZ-AX"]).unwrap();
    world.fill_in(person, a);
    register(&world, a, person, &["QZ-ZZ"]).unwrap();

    // Nothing released: nothing to undo.
    assert_eq!(
        undo(&world, a, person, "QZ-ZZ"),
        Err(UseCaseError::NotFound(Entity::Holding))
    );
    // A registered item comes back registered; an item awaiting registration comes back
    // awaiting it (the person's details through A are complete).
    release(&world, a, person, "QZ-ZZ", "误操作").unwrap();
    release(&world, a, person, "QZ-AX", "误操作").unwrap();
    // Another institution cannot undo A's release.
    assert_eq!(
        undo(&world, b, person, "QZ-ZZ"),
        Err(UseCaseError::NotFound(Entity::Holding))
    );
    assert_eq!(undo(&world, a, person, "QZ-ZZ"), Ok(ItemState::Registered));
    assert_eq!(
        undo(&world, a, person, "QZ-AX"),
        Ok(ItemState::AwaitingRegistration)
    );
    // Undone once, there is no release left to undo.
    assert_eq!(
        undo(&world, a, person, "QZ-ZZ"),
        Err(UseCaseError::NotFound(Entity::Holding))
    );

    // Released again and hired by B from the pool: A cannot take it back.
    release(&world, a, person, "QZ-AX", "人员调动").unwrap();
    world.employ(b, person, &["QZ-AX"]).unwrap();
    assert_eq!(
        codes(undo(&world, a, person, "QZ-AX").unwrap_err()),
        ["holding.release_undo_taken"]
    );

    // The next day it is too late, and the message says what to do instead.
    release(&world, a, person, "QZ-ZZ", "人员调动").unwrap();
    world.today = world.today.next_day().unwrap();
    let late = undo(&world, a, person, "QZ-ZZ").unwrap_err();
    assert_eq!(codes(late.clone()), ["holding.release_undo_too_late"]);
    assert!(late.to_string().contains("重新聘用"), "{late}");
}
