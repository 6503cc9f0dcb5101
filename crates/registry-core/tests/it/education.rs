//! Continuing education end to end on the in-memory register: known answers for renewal,
//! the roster import with every kind of bad row, and the cycle accounting's properties.

use proptest::prelude::*;
use registry_core::csv::records;
use registry_core::education::{CourseForm, education_in_cycle, hours_in_cycle};
use registry_core::ids::{CourseId, InstitutionId, PersonId};
use registry_core::ports::{Register, RegisterTx};
use registry_core::read::outlook::{ItemRenewal, person_outlook};
use registry_core::read::record::PersonRecord;
use registry_core::registration::Reference;
use registry_core::usecases::{
    CreateCourse, ImportAttendance, RecordAttendance, ReleaseItem, RowOutcome,
};
use rust_decimal::Decimal;

use crate::support::{World, block_on, date};

fn course(world: &World, end: &str, items: &[&str], hours: &str) -> CourseId {
    world
        .admin(CreateCourse {
            provider: None,
            form: CourseForm {
                name: format!("{end}培训班"),
                start: end.into(),
                end: end.into(),
                items: items.iter().map(|s| s.to_string()).collect(),
                hours: hours.into(),
            },
        })
        .unwrap()
}

/// The renewal (换证) outlook of each item as codes, judged on the world's today: the
/// reasons it is blocked, none when it would be renewed, `absent` for an item the person
/// has nothing of.
fn outlook(world: &World, person: PersonId, items: &[&str]) -> Vec<Vec<&'static str>> {
    block_on(async {
        let mut tx = world.register.begin().await.unwrap();
        let record = PersonRecord::load(&mut tx, person).await.unwrap().unwrap();
        let cycles = tx.cycles().await.unwrap();
        let reference = Reference {
            catalogue: &world.catalogue,
            cycles: &cycles,
        };
        let outlook = person_outlook(&record, reference, world.today);
        items
            .iter()
            .map(|code| {
                let code = registry_core::review_item::ReviewItemCode::parse(code).unwrap();
                match outlook.items.iter().find(|i| i.item == code) {
                    None => vec!["absent"],
                    Some(item) => match &item.renewal {
                        ItemRenewal::Ready { .. } => vec![],
                        ItemRenewal::Done(_) => vec!["renewed"],
                        ItemRenewal::Blocked { reasons, .. } => {
                            reasons.iter().map(|v| v.code()).collect()
                        }
                        ItemRenewal::Unavailable(v) => vec![v.code()],
                    },
                }
            })
            .collect()
    })
}

#[test]
fn thirty_two_hours_from_two_courses_renew_their_items_only() {
    let mut world = World::new();
    let person = world.person("1970-01-01", &["RQ-ZZ", "GL-ZZ", "DT-ZZ"], "2025-03-01");
    let a = course(&world, "2025-05-10", &["RQ-ZZ"], "16");
    let b = course(&world, "2026-05-10", &["GL-ZZ"], "16");
    for c in [a, b] {
        world
            .admin(RecordAttendance {
                provider: None,
                course: c,
                person,
                hours: "16".into(),
            })
            .unwrap();
    }
    assert_eq!(
        outlook(&world, person, &["RQ-ZZ", "GL-ZZ", "DT-ZZ", "QZ-ZZ"]),
        [
            vec![],
            vec![],
            vec!["education.item_not_covered"],
            vec!["absent"],
        ]
    );
    // Qualified in 2021—2024 and never renewed: that cycle's hours (24 owed for a pass list
    // of March 2021) and coverage are short, and the person was 66 when it ended.
    let old = world.person("1958-06-01", &["RQ-ZZ"], "2021-03-01");
    world
        .admin(RecordAttendance {
            provider: None,
            course: a,
            person: old,
            hours: "10".into(),
        })
        .unwrap();
    assert_eq!(
        outlook(&world, old, &["RQ-ZZ"]),
        [vec![
            "education.hours_short",
            "education.item_not_covered",
            "certificate.renewal_age_limit"
        ]]
    );
}

fn roster(text: &str) -> Vec<registry_core::csv::Record> {
    records(text).unwrap()
}

#[test]
fn a_roster_is_checked_row_by_row_and_imports_all_or_nothing() {
    let mut world = World::new();
    let a = world.institution();
    let person = world.person("1970-01-01", &["RQ-ZZ"], "2025-03-01");
    world.employ(a, person, &["RQ-ZZ"]).unwrap();
    world.fill_in(person, a);
    let number = world
        .as_institution(
            a,
            registry_core::usecases::RegisterItems {
                institution: a,
                person,
                items: vec!["RQ-ZZ".into()],
            },
        )
        .unwrap()
        .number;
    let other = world.person("1972-02-02", &["GL-ZZ"], "2025-03-01");
    let third = world.person("1973-03-03", &["GL-ZZ"], "2025-03-01");
    let id_of = |p: PersonId| {
        block_on(async {
            world
                .register
                .begin()
                .await
                .unwrap()
                .person(p)
                .await
                .unwrap()
                .unwrap()
        })
    };
    let (first, second, third) = (id_of(person), id_of(other), id_of(third));
    let c = course(&world, "2025-05-10", &["RQ-ZZ", "GL-ZZ"], "16");
    let mut bad_id: Vec<char> = second.resident_id.as_str().chars().collect();
    bad_id[17] = if bad_id[17] == '1' { '2' } else { '1' };
    let bad_id: String = bad_id.into_iter().collect();
    let text = format!(
        "课时,姓名,身份证号或注册号,培训班编号\n\
         16,{n1},{num},{c}\n\
         8,{n2},{bad_id},{c}\n\
         8,{n2},JP20269999990,{c}\n\
         8,{n2},{id2},999\n\
         20,{n3},{id3},{c}\n\
         12,{n1},{id1},{c}\n\
         8,{n2},{id2},{c}\n",
        n1 = first.name,
        n2 = second.name,
        num = number,
        c = c.get(),
        id1 = first.resident_id.as_str(),
        id2 = second.resident_id.as_str(),
        n3 = third.name,
        id3 = third.resident_id.as_str(),
    );
    let import = |good_rows_only| ImportAttendance {
        provider: None,
        records: roster(&text),
        good_rows_only,
    };
    let report = world.admin(import(false)).unwrap();
    let outcomes: Vec<(usize, Vec<&str>)> = report
        .rows
        .iter()
        .map(|r| {
            let codes = match &r.outcome {
                RowOutcome::Imported => vec!["imported"],
                RowOutcome::AlreadyRecorded => vec!["already"],
                RowOutcome::Rejected(v) => v.iter().map(|v| v.code()).collect(),
            };
            (r.line, codes)
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            (2, vec!["imported"]),
            (3, vec!["resident_id.checksum"]),
            (4, vec!["registration_number.checksum"]),
            (5, vec!["import.unknown_course"]),
            (6, vec!["attendance.exceeds_course"]),
            (7, vec!["import.duplicate_row"]),
            (8, vec!["imported"]),
        ]
    );
    assert_eq!(report.written, 0, "nothing is written while a row is bad");
    let hours = |p: PersonId| {
        block_on(async {
            world
                .register
                .begin()
                .await
                .unwrap()
                .attendance_of(p)
                .await
                .unwrap()
                .iter()
                .map(|a| a.hours)
                .sum::<Decimal>()
        })
    };
    assert_eq!(hours(person), Decimal::ZERO);

    // The good rows only, when asked; a second import of the same roster changes nothing.
    let report = world.admin(import(true)).unwrap();
    assert_eq!(report.written, 2);
    assert_eq!(
        (hours(person), hours(other)),
        (Decimal::from(16), Decimal::from(8))
    );
    let again = world.admin(import(true)).unwrap();
    assert_eq!(again.written, 0);
    assert!(matches!(again.rows[0].outcome, RowOutcome::AlreadyRecorded));
    let unassigned =
        registry_core::registration_number::RegistrationNumber::new(2026, 999).unwrap();
    let unknown = world
        .admin(ImportAttendance {
            provider: None,
            records: roster(&format!(
                "课时,姓名,注册号,培训班编号\n8,某某,{unassigned},{}\n",
                c.get()
            )),
            good_rows_only: false,
        })
        .unwrap();
    assert!(
        matches!(&unknown.rows[0].outcome, RowOutcome::Rejected(v) if v[0].code() == "import.unknown_person"),
        "{unknown:?}"
    );
    let header = world
        .admin(ImportAttendance {
            provider: None,
            records: roster("a,b\n1,2\n"),
            good_rows_only: true,
        })
        .unwrap();
    assert!(
        matches!(&header.rows[0].outcome, RowOutcome::Rejected(v) if v[0].code() == "import.header")
    );
}

/// The hours of a person in the 2025—2028 cycle.
fn cycle_hours(world: &World, person: PersonId) -> Decimal {
    block_on(async {
        let mut tx = world.register.begin().await.unwrap();
        let cycles = tx.cycles().await.unwrap();
        let cycle = cycles.at(date("2025-06-01")).unwrap().clone();
        let courses = tx.courses_of(person).await.unwrap();
        let attendance = tx.attendance_of(person).await.unwrap();
        let hours = education_in_cycle(&cycle, &courses, &attendance).hours;
        // The public search's sum, from the entries and their courses' last days, agrees.
        let entries = attendance.iter().map(|a| {
            let end = courses
                .iter()
                .find(|c| c.id == a.course)
                .unwrap()
                .details
                .end;
            (a.course, end, a.hours)
        });
        assert_eq!(hours_in_cycle(&cycle, entries), hours);
        hours
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn attendance_never_lowers_hours_and_moving_never_changes_them(
        steps in proptest::collection::vec((0usize..3, 1u32..9, 0usize..3), 1..12)
    ) {
        let mut world = World::new();
        let institutions: Vec<InstitutionId> = (0..3).map(|_| world.institution()).collect();
        let person = world.person("1970-01-01", &["RQ-ZZ"], "2025-03-01");
        let courses: Vec<CourseId> = (0..3).map(|i| course(&world, &format!("2025-0{}-10", i + 4), &["RQ-ZZ"], "40")).collect();
        let mut holder: Option<usize> = None;
        let mut before = cycle_hours(&world, person);
        for (c, hours, institution) in steps {
            // Attend a course: never fewer hours than before.
            let _ = world.admin(RecordAttendance { provider: None, course: courses[c], person, hours: hours.to_string() });
            let after = cycle_hours(&world, person);
            prop_assert!(after >= before);
            before = after;
            // Move to another institution: the hours stay.
            if let Some(h) = holder {
                world.as_institution(institutions[h], ReleaseItem { institution: institutions[h], person, item: "RQ-ZZ".into(), reason: "调动".into() }).unwrap();
            }
            world.employ(institutions[institution], person, &["RQ-ZZ"]).unwrap();
            holder = Some(institution);
            prop_assert_eq!(cycle_hours(&world, person), before);
        }
    }
}

/// A training provider's single entry names the person by number and name: its own course
/// only (another's is not found before anyone is looked up), and an ID number the register
/// does not hold and a known one with another name are one answer; the right name (spaces
/// around it dropped) records the hours.
#[test]
fn a_providers_entry_needs_its_course_and_the_persons_number_and_name() {
    use registry_core::education::PersonRef;
    use registry_core::provider::ProviderForm;
    use registry_core::usecases::{CreateProvider, RecordProviderAttendance, UseCaseError};
    let mut world = World::new();
    let person = world.person("1970-01-01", &["RQ-ZZ"], "2025-03-01");
    let (id, name) = block_on(async {
        let mut tx = world.register.begin().await.unwrap();
        let p = tx.person(person).await.unwrap().unwrap();
        (p.resident_id.clone(), p.name.as_str().to_owned())
    });
    let provider = world
        .admin(CreateProvider {
            form: ProviderForm {
                name: "某培训中心".into(),
                contact: String::new(),
            },
        })
        .unwrap();
    let own = world
        .admin(CreateCourse {
            provider: Some(provider),
            form: CourseForm {
                name: "压力容器培训班".into(),
                start: "2025-05-10".into(),
                end: "2025-05-10".into(),
                items: vec!["RQ-ZZ".into()],
                hours: "16".into(),
            },
        })
        .unwrap();
    let others = course(&world, "2025-05-10", &["RQ-ZZ"], "16");
    let entry = |course, person: PersonRef, name: &str| RecordProviderAttendance {
        provider,
        course,
        person,
        name: name.to_owned(),
        hours: "8".into(),
    };
    let not_found = |r: Result<_, UseCaseError>| match r {
        Err(UseCaseError::NotFound(entity)) => entity.code(),
        other => panic!("{other:?}"),
    };
    let stranger =
        registry_core::resident_id::ResidentId::from_parts(110105, date("1971-02-02"), 999)
            .unwrap();
    assert_eq!(
        not_found(world.admin(entry(others, PersonRef::ResidentId(id.clone()), &name))),
        "course"
    );
    assert_eq!(
        not_found(world.admin(entry(
            others,
            PersonRef::ResidentId(stranger.clone()),
            &name
        ))),
        "course"
    );
    for (who, typed) in [
        (PersonRef::ResidentId(stranger), name.as_str()),
        (PersonRef::ResidentId(id.clone()), "某某某"),
    ] {
        assert_eq!(not_found(world.admin(entry(own, who, typed))), "person");
    }
    world
        .admin(entry(own, PersonRef::ResidentId(id), &format!(" {name} ")))
        .unwrap();
}
