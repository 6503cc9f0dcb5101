//! The fill-in entry closes with its institution or its employment, the institution's
//! unlock of an entry, and what one institution may learn of another's people: exactly
//! what it would of an id that names nobody.

use registry_core::assessment::AssessmentForm;
use registry_core::holding::FillInPasswordHash;
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::institution::InstitutionForm;
use registry_core::ports::{Entity, Register, RegisterTx};
use registry_core::usecases::{
    EmployItems, RecordAssessment, RegisterItems, ReleaseItem, SaveDetails, SetFillInPassword,
    UnlockFillInEntry, UpdateInstitution, UseCaseError,
};

use crate::support::{World, block_on, complete_form};

/// Disables (or enables) an institution as the association's form would.
fn set_active(world: &World, id: InstitutionId, active: bool) {
    let institution = block_on(async {
        let mut tx = world.register.begin().await.unwrap();
        tx.institution(id).await.unwrap().unwrap()
    });
    let d = &institution.details;
    let text = |t: &Option<registry_core::text::Text>| {
        t.as_ref()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default()
    };
    world
        .admin(UpdateInstitution {
            id,
            form: InstitutionForm {
                name: d.name.as_str().into(),
                number: d.number.as_str().into(),
                credit_code: d.credit_code.as_str().into(),
                provincial_number: text(&d.provincial_number),
                national_number: text(&d.national_number),
                contact: text(&d.contact),
                email: String::new(),
            },
            active,
            version: institution.version,
        })
        .unwrap();
}

fn save(world: &World, person: PersonId, via: InstitutionId) -> Result<(), UseCaseError> {
    world
        .as_assessor(
            person,
            via,
            SaveDetails {
                person,
                via,
                form: complete_form(world.sex_of(person)),
                version: world.version(person),
            },
        )
        .map(|_| ())
}

fn release(world: &World, institution: InstitutionId, person: PersonId, item: &str) {
    world
        .as_institution(
            institution,
            ReleaseItem {
                institution,
                person,
                item: item.into(),
                reason: "调出".into(),
            },
        )
        .unwrap();
}

fn closed() -> Result<(), UseCaseError> {
    Err(registry_core::violation::Violation::EntryClosed.into())
}

#[test]
fn disabling_an_institution_ends_its_logins_and_entries_and_closes_them() {
    let mut world = World::new();
    let a = world.institution();
    let person = world.person("1975-03-03", &["QZ-ZZ"], "2025-05-01");
    world.employ(a, person, &["QZ-ZZ"]).unwrap();
    assert_eq!(save(&world, person, a), Ok(()));
    set_active(&world, a, false);
    assert_eq!(
        world.register.ended_sessions(),
        [format!("Institution(InstitutionId({}))", a.get())]
    );
    assert_eq!(save(&world, person, a), closed());
    // Enabled again, the entry opens again (with a new unlock: its sessions ended).
    set_active(&world, a, true);
    assert_eq!(world.register.ended_sessions().len(), 1);
    assert_eq!(save(&world, person, a), Ok(()));
}

#[test]
fn releasing_the_last_item_ends_the_entry() {
    let mut world = World::new();
    let a = world.institution();
    let person = world.person("1975-03-03", &["QZ-ZZ", "DT-ZZ"], "2025-05-01");
    world.employ(a, person, &["QZ-ZZ", "DT-ZZ"]).unwrap();
    release(&world, a, person, "QZ-ZZ");
    assert!(world.register.ended_sessions().is_empty(), "still employed");
    assert_eq!(save(&world, person, a), Ok(()));
    release(&world, a, person, "DT-ZZ");
    assert_eq!(
        world.register.ended_sessions(),
        [format!(
            "Entry {{ person: PersonId({}), institution: InstitutionId({}) }}",
            person.get(),
            a.get()
        )]
    );
    assert_eq!(save(&world, person, a), closed());
}

#[test]
fn the_institution_unlocks_only_its_own_peoples_entries() {
    let mut world = World::new();
    let a = world.institution();
    let b = world.institution();
    let person = world.person("1975-03-03", &["QZ-ZZ"], "2025-05-01");
    world.employ(a, person, &["QZ-ZZ"]).unwrap();
    let unlock = |institution, person| {
        world.as_institution(
            institution,
            UnlockFillInEntry {
                institution,
                person,
            },
        )
    };
    assert_eq!(unlock(a, person), Ok(()));
    assert_eq!(
        world.register.ended_sessions(),
        [format!(
            "FillInAttempts {{ person: {person}, institution: {a} }}"
        )]
    );
    let last = world.register.audit_log().last().cloned().unwrap();
    assert_eq!(last.action, "employment.unlock_entry");
    assert_eq!(last.person, Some(person));
    let not_found = Err(UseCaseError::NotFound(Entity::Person));
    assert_eq!(unlock(b, person), not_found);
    assert_eq!(unlock(a, PersonId::new(999_999)), not_found);
}

/// Every use case an institution runs on a person by id answers another institution's
/// person exactly as an id that names nobody.
#[test]
fn another_institutions_person_answers_as_nobody() {
    let mut world = World::new();
    let a = world.institution();
    let b = world.institution();
    // Held by A in full: not in the pool.
    let theirs = world.person("1975-03-03", &["QZ-ZZ", "DT-ZZ"], "2025-05-01");
    world.employ(a, theirs, &["QZ-ZZ", "DT-ZZ"]).unwrap();
    world.fill_in(theirs, a);
    let nobody = PersonId::new(999_999);
    let answers = |person: PersonId| {
        let items = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        vec![
            world
                .as_institution(
                    b,
                    EmployItems {
                        institution: b,
                        person,
                        items: items(&["QZ-ZZ", "NOPE"]),
                        password: Some(FillInPasswordHash::new("h".into())),
                    },
                )
                .map(|_| ()),
            world
                .as_institution(
                    b,
                    RegisterItems {
                        institution: b,
                        person,
                        items: items(&["QZ-ZZ"]),
                    },
                )
                .map(|_| ()),
            world
                .as_institution(
                    b,
                    RegisterItems {
                        institution: b,
                        person,
                        items: items(&["NOPE"]),
                    },
                )
                .map(|_| ()),
            world.as_institution(
                b,
                ReleaseItem {
                    institution: b,
                    person,
                    item: "QZ-ZZ".into(),
                    reason: String::new(),
                },
            ),
            world.as_institution(
                b,
                SetFillInPassword {
                    institution: b,
                    person,
                    password: FillInPasswordHash::new("h".into()),
                },
            ),
            world.as_institution(
                b,
                UnlockFillInEntry {
                    institution: b,
                    person,
                },
            ),
            world
                .as_institution(
                    b,
                    RecordAssessment {
                        person,
                        institution: Some(b),
                        form: AssessmentForm::default(),
                    },
                )
                .map(|_| ()),
        ]
    };
    let for_theirs = answers(theirs);
    assert_eq!(for_theirs, answers(nobody));
    assert!(
        for_theirs
            .iter()
            .all(|a| *a == Err(UseCaseError::NotFound(Entity::Person))),
        "{for_theirs:?}"
    );
}

/// Of a person in the pool, another institution learns what the pool shows: an item held
/// elsewhere and one never passed are both just "not in the pool".
#[test]
fn a_pooled_person_shows_only_the_pool() {
    let mut world = World::new();
    let a = world.institution();
    let b = world.institution();
    let person = world.person("1975-03-03", &["QZ-ZZ", "DT-ZZ"], "2025-05-01");
    world.employ(a, person, &["QZ-ZZ"]).unwrap();
    let refused = world.employ(b, person, &["QZ-ZZ", "GL-ZZ"]).unwrap_err();
    let UseCaseError::Rejected(v) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(v.codes(), ["holding.not_in_pool", "holding.not_in_pool"]);
    // What it may employ, it does; as the employer it then learns why an item cannot be.
    world.employ(b, person, &["DT-ZZ"]).unwrap();
    let refused = world.employ(b, person, &["QZ-ZZ", "GL-ZZ"]).unwrap_err();
    let UseCaseError::Rejected(v) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(
        v.codes(),
        ["holding.held_by_another", "registration.not_qualified"]
    );
}
