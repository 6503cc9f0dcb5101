//! Certificates and cards on the in-memory register: editions made by pass lists,
//! registrations and releases; mailing; replacement of a lost document; verification.

use registry_core::document::{Document, DocumentKind, Finding, VoidReason, verify};
use registry_core::education::CourseForm;
use registry_core::holiday_law::Deadline;
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::ports::{Register, RegisterTx};
use registry_core::usecases::{
    CreateCourse, MarkMailed, RecordAttendance, RegisterItems, ReleaseItem, RenewCertificate,
    ReplaceDocument, UseCaseError,
};

use crate::support::*;

fn documents(world: &World, person: PersonId) -> Vec<Document> {
    block_on(async {
        let mut tx = world.register.begin().await.unwrap();
        tx.documents_of(person).await.unwrap()
    })
}

fn of_kind(world: &World, person: PersonId, kind: DocumentKind) -> Vec<Document> {
    documents(world, person)
        .into_iter()
        .filter(|d| d.details.kind == kind)
        .collect()
}

fn codes(error: UseCaseError) -> Vec<&'static str> {
    match error {
        UseCaseError::Rejected(v) => v.codes(),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn items(d: &Document) -> Vec<&str> {
    d.details.items.iter().map(|i| i.as_str()).collect()
}

fn findings(world: &World, d: &Document) -> Vec<&'static str> {
    block_on(async {
        let mut tx = world.register.begin().await.unwrap();
        let holdings = tx.holdings_of(d.details.person).await.unwrap();
        let qualifications = tx.qualifications(d.details.person).await.unwrap();
        verify(d, &holdings, &qualifications, world.today)
            .0
            .iter()
            .map(Finding::code)
            .collect()
    })
}

fn mail(world: &World, ids: &[&Document], on: &str) -> Result<usize, UseCaseError> {
    world.admin(MarkMailed {
        documents: ids.iter().map(|d| d.id).collect(),
        on: on.into(),
        tracking: "SF1234567890".into(),
    })
}

fn register(world: &World, a: InstitutionId, person: PersonId, items: &[&str]) {
    world
        .as_institution(
            a,
            RegisterItems {
                institution: a,
                person,
                items: items.iter().map(|s| s.to_string()).collect(),
            },
        )
        .unwrap();
}

#[test]
fn certificates_are_due_twenty_working_days_after_the_pass_list() {
    let mut world = World::new();
    let calendar = registry_core::fixtures::deadline_calendar(&world.calendar).unwrap();
    let cycles = block_on(async {
        let mut tx = world.register.begin().await.unwrap();
        tx.cycles().await.unwrap()
    });
    // Published 2024-09-20: National Day week in between.
    let autumn = world.person("1970-01-01", &["RQ-ZZ", "GL-ZZ"], "2024-09-20");
    let [certificate] = of_kind(&world, autumn, DocumentKind::Certificate)
        .try_into()
        .unwrap();
    assert_eq!(items(&certificate), ["GL-ZZ", "RQ-ZZ"], "catalogue order");
    assert_eq!(
        certificate.due_on(&calendar, &cycles),
        Some(Deadline::official(date("2024-10-23")))
    );
    assert!(certificate.is_overdue(certificate.due_on(&calendar, &cycles).as_ref(), world.today));
    assert_eq!(certificate.details.valid_until, Some(date("2024-12-31")));
    // Published on New Year's Eve 2024: the Spring Festival of 2025 in between.
    let winter = world.person("1971-01-01", &["RQ-ZZ"], "2024-12-31");
    let [certificate] = of_kind(&world, winter, DocumentKind::Certificate)
        .try_into()
        .unwrap();
    assert_eq!(
        certificate.due_on(&calendar, &cycles),
        Some(Deadline::official(date("2025-02-05")))
    );
    // The certificate carries the person's number from the start.
    let number = block_on(async {
        let mut tx = world.register.begin().await.unwrap();
        tx.person(winter)
            .await
            .unwrap()
            .unwrap()
            .registration_number
    });
    assert!(number.is_some());
}

#[test]
fn a_later_pass_list_makes_a_new_edition_and_mailing_it_voids_the_old() {
    let mut world = World::new();
    let a = world.institution();
    let person = world.person("1970-01-01", &["RQ-ZZ"], "2025-03-03");
    let [first] = of_kind(&world, person, DocumentKind::Certificate)
        .try_into()
        .unwrap();
    // Not without the person's mailing address.
    assert_eq!(
        codes(mail(&world, &[&first], "2026-11-26").unwrap_err()),
        ["document.mailing_address_missing"]
    );
    world.employ(a, person, &["RQ-ZZ"]).unwrap();
    world.fill_in(person, a);
    // Every problem at once: a date in the future and a missing tracking number.
    let refused = world
        .admin(MarkMailed {
            documents: vec![first.id],
            on: "2026-12-01".into(),
            tracking: " ".into(),
        })
        .unwrap_err();
    assert_eq!(
        codes(refused),
        ["document.mailed_in_future", "field.missing"]
    );
    assert_eq!(mail(&world, &[&first], "2026-11-26"), Ok(1));
    let first = of_kind(&world, person, DocumentKind::Certificate)[0].clone();
    assert_eq!(findings(&world, &first), Vec::<&str>::new());
    assert_eq!(
        codes(mail(&world, &[&first], "2026-11-26").unwrap_err()),
        ["document.not_pending"]
    );

    // The same person passes another item: a new edition lists both; the issued one
    // still verifies until the new one is mailed.
    world.person_again(person, &["GL-ZZ"], "2026-06-01");
    let editions = of_kind(&world, person, DocumentKind::Certificate);
    assert_eq!(editions.len(), 2);
    assert_eq!(items(&editions[1]), ["GL-ZZ", "RQ-ZZ"]);
    assert_eq!(findings(&world, &editions[0]), Vec::<&str>::new());
    assert_eq!(findings(&world, &editions[1]), ["not_issued"]);
    mail(&world, &[&editions[1]], "2026-11-26").unwrap();
    let editions = of_kind(&world, person, DocumentKind::Certificate);
    assert_eq!(findings(&world, &editions[0]), ["void"]);
    assert_eq!(
        editions[0].voided.map(|v| v.reason),
        Some(VoidReason::Superseded)
    );
    assert_eq!(findings(&world, &editions[1]), Vec::<&str>::new());
}

#[test]
fn a_card_follows_the_items_registered_at_its_institution() {
    let mut world = World::new();
    let a = world.institution();
    let b = world.institution();
    let person = world.person("1970-01-01", &["RQ-ZZ", "GL-ZZ", "QP-CZ"], "2025-03-03");
    world.employ(a, person, &["RQ-ZZ", "GL-ZZ"]).unwrap();
    world.employ(b, person, &["QP-CZ"]).unwrap();
    world.fill_in(person, a);
    world.fill_in(person, b);
    register(&world, a, person, &["RQ-ZZ"]);
    let [card] = of_kind(&world, person, DocumentKind::Card)
        .try_into()
        .unwrap();
    assert_eq!(card.details.institution, Some(a));
    assert_eq!(items(&card), ["RQ-ZZ"]);
    assert_eq!(card.details.valid_until, Some(date("2028-12-31")));
    // A second item before the card went out: the pending card is replaced at once.
    register(&world, a, person, &["GL-ZZ"]);
    let cards = of_kind(&world, person, DocumentKind::Card);
    assert_eq!(cards.len(), 2);
    assert_eq!(
        cards[0].voided.map(|v| v.reason),
        Some(VoidReason::Superseded)
    );
    assert_eq!(items(&cards[1]), ["GL-ZZ", "RQ-ZZ"]);
    // The other institution has its own card.
    register(&world, b, person, &["QP-CZ"]);
    let at_b: Vec<Document> = of_kind(&world, person, DocumentKind::Card)
        .into_iter()
        .filter(|d| d.details.institution == Some(b))
        .collect();
    assert_eq!(at_b.len(), 1);
    assert_eq!(items(&at_b[0]), ["QP-CZ"]);

    // Mailed, it verifies; releasing one of its items makes it fail verification and
    // makes a new edition with what remains.
    let a_card = of_kind(&world, person, DocumentKind::Card)
        .into_iter()
        .find(|d| d.details.institution == Some(a) && d.is_pending())
        .unwrap();
    mail(&world, &[&a_card, &at_b[0]], "2026-11-26").unwrap();
    let a_card = documents(&world, person)
        .into_iter()
        .find(|d| d.id == a_card.id)
        .unwrap();
    assert_eq!(findings(&world, &a_card), Vec::<&str>::new());
    world
        .as_institution(
            a,
            ReleaseItem {
                institution: a,
                person,
                item: "GL-ZZ".into(),
                reason: "人员调离".into(),
            },
        )
        .unwrap();
    assert_eq!(findings(&world, &a_card), ["item_released"]);
    let newest = of_kind(&world, person, DocumentKind::Card)
        .into_iter()
        .filter(|d| d.details.institution == Some(a))
        .max_by_key(|d| d.id)
        .unwrap();
    assert_eq!(items(&newest), ["RQ-ZZ"]);
    assert!(newest.is_pending());

    // Everything released before the new card went out: it is withdrawn.
    world
        .as_institution(
            a,
            ReleaseItem {
                institution: a,
                person,
                item: "RQ-ZZ".into(),
                reason: "人员调离".into(),
            },
        )
        .unwrap();
    let withdrawn = documents(&world, person)
        .into_iter()
        .find(|d| d.id == newest.id)
        .unwrap();
    assert_eq!(
        withdrawn.voided.map(|v| v.reason),
        Some(VoidReason::Withdrawn)
    );
}

#[test]
fn a_lost_card_is_replaced_and_stops_verifying() {
    let mut world = World::new();
    let a = world.institution();
    let b = world.institution();
    let person = world.person("1970-01-01", &["RQ-ZZ"], "2025-03-03");
    world.employ(a, person, &["RQ-ZZ"]).unwrap();
    world.fill_in(person, a);
    register(&world, a, person, &["RQ-ZZ"]);
    let [card] = of_kind(&world, person, DocumentKind::Card)
        .try_into()
        .unwrap();
    // Only an issued card can be reported lost.
    assert_eq!(
        codes(
            world
                .as_institution(
                    a,
                    ReplaceDocument {
                        document: card.id,
                        institution: Some(a),
                    },
                )
                .unwrap_err()
        ),
        ["document.not_issued"]
    );
    mail(&world, &[&card], "2026-11-26").unwrap();
    // Another institution cannot see it.
    assert_eq!(
        world
            .as_institution(
                b,
                ReplaceDocument {
                    document: card.id,
                    institution: Some(b),
                },
            )
            .unwrap_err()
            .code(),
        "not_found.document"
    );
    let replacement = world
        .as_institution(
            a,
            ReplaceDocument {
                document: card.id,
                institution: Some(a),
            },
        )
        .unwrap();
    let all = of_kind(&world, person, DocumentKind::Card);
    let old = all.iter().find(|d| d.id == card.id).unwrap();
    let new = all.iter().find(|d| d.id == replacement).unwrap();
    assert_eq!(old.voided.map(|v| v.reason), Some(VoidReason::Lost));
    assert_eq!(findings(&world, old), ["void"]);
    assert_eq!(new.details.replaces, Some(card.id));
    assert_eq!(items(new), ["RQ-ZZ"]);
    assert_ne!(new.details.token, old.details.token);
    assert_ne!(new.details.code, old.details.code);
    assert_eq!(findings(&world, new), ["not_issued"]);
}

#[test]
fn a_card_expires_with_its_registration() {
    let mut world = World::new();
    let a = world.institution();
    // 70 on 2027-03-10: the registration ends the day before. A certificate renewed under
    // 65 on a cycle's last day never reaches a 70th birthday within its cycle; here
    // 2025—2028 examines people up to 70, and this one passed at 68.
    world.examining_up_to(70);
    let person = world.person("1957-03-10", &["RQ-ZZ"], "2025-06-01");
    world.employ(a, person, &["RQ-ZZ"]).unwrap();
    world.fill_in(person, a);
    register(&world, a, person, &["RQ-ZZ"]);
    let [card] = of_kind(&world, person, DocumentKind::Card)
        .try_into()
        .unwrap();
    assert_eq!(card.details.valid_until, Some(date("2027-03-09")));
    mail(&world, &[&card], "2026-11-26").unwrap();
    let card = documents(&world, person)
        .into_iter()
        .find(|d| d.id == card.id)
        .unwrap();
    world.today = date("2027-03-09");
    assert_eq!(findings(&world, &card), Vec::<&str>::new());
    world.today = date("2027-03-10");
    assert_eq!(findings(&world, &card), ["expired", "item_expired"]);
}

/// 32 hours in 2025—2028 from one course covering `items`, for `person`.
fn trained(world: &World, person: PersonId, items: &[&str]) {
    trained_on(world, person, items, "2027-05-13");
}

/// 32 hours on a course ending on `end` that covered `items`.
fn trained_on(world: &World, person: PersonId, items: &[&str], end: &str) {
    let course = world
        .admin(CreateCourse {
            provider: None,
            form: CourseForm {
                name: format!("{end} 培训班"),
                start: end.into(),
                end: end.into(),
                items: items.iter().map(|s| s.to_string()).collect(),
                hours: "32".into(),
            },
        })
        .unwrap();
    world
        .admin(RecordAttendance {
            provider: None,
            course,
            person,
            hours: "32".into(),
        })
        .unwrap();
}

#[test]
fn a_certificate_is_renewed_for_the_next_cycle_with_the_items_its_courses_covered() {
    let mut world = World::new();
    world.cycle("2029—2032", "2029-01-01", "2032-12-31");
    let person = world.person("1970-01-01", &["RQ-ZZ", "GL-ZZ"], "2025-04-01");
    let first = of_kind(&world, person, DocumentKind::Certificate);
    assert_eq!(first[0].details.valid_until, Some(date("2028-12-31")));
    // Mailed to the address the person filled in.
    let a = world.institution();
    world.employ(a, person, &["RQ-ZZ"]).unwrap();
    world.fill_in(person, a);
    mail(&world, &[&first[0]], "2026-11-26").unwrap();
    let renew = |world: &World| world.admin(RenewCertificate { person });
    // Not before the window (three months before the end); every other reason is named too.
    assert_eq!(
        codes(renew(&world).unwrap_err()),
        [
            "certificate.not_due",
            "education.hours_short",
            "education.item_not_covered",
            "education.item_not_covered"
        ]
    );
    // In the window, without any training: refused, with every reason.
    world.today = date("2028-11-01");
    assert_eq!(
        codes(renew(&world).unwrap_err()),
        [
            "education.hours_short",
            "education.item_not_covered",
            "education.item_not_covered"
        ]
    );
    // 32 hours from a course that covered only 压力容器制造: that item is renewed, 锅炉制造
    // is left off.
    trained(&world, person, &["RQ-ZZ"]);
    let renewed = renew(&world).unwrap();
    assert_eq!(
        (renewed.items.len(), renewed.dropped.len()),
        (1, 1),
        "{renewed:?}"
    );
    assert_eq!(renewed.valid_until, date("2032-12-31"));
    let editions = of_kind(&world, person, DocumentKind::Certificate);
    let new = editions.iter().find(|d| d.id == renewed.document).unwrap();
    assert_eq!(items(new), ["RQ-ZZ"]);
    assert!(new.is_pending());
    // The certificate in the person's hands stays valid until it ends; the new one is not
    // due for renewal yet.
    let old = editions.iter().find(|d| d.id == first[0].id).unwrap();
    assert!(old.voided.is_none());
    assert!(
        findings(&world, old).is_empty(),
        "{:?}",
        findings(&world, old)
    );
    assert!(codes(renew(&world).unwrap_err()).contains(&"certificate.not_due"));
}

#[test]
fn a_certificate_is_renewed_under_65_only() {
    let mut world = World::new();
    world.cycle("2029—2032", "2029-01-01", "2032-12-31");
    // 61 at the exam, 65 on 2028-12-31, the certificate's last day.
    let person = world.person("1963-06-01", &["RQ-ZZ"], "2025-04-01");
    world.today = date("2028-11-01");
    trained(&world, person, &["RQ-ZZ"]);
    assert_eq!(
        codes(world.admin(RenewCertificate { person }).unwrap_err()),
        ["certificate.renewal_age_limit"]
    );
    // Without a certificate at all.
    let mut other = World::new();
    other.cycle("2029—2032", "2029-01-01", "2032-12-31");
    assert!(matches!(
        other.admin(RenewCertificate {
            person: PersonId::new(999)
        }),
        Err(UseCaseError::NotFound(_))
    ));
}

#[test]
fn a_certificate_lapsed_longer_than_a_cycle_renews_into_the_current_one_with_every_cycle_s_hours() {
    let mut world = World::new();
    world.cycle("2017—2020", "2017-01-01", "2020-12-31");
    world.today = date("2018-04-01");
    let person = world.person("1970-01-01", &["RQ-ZZ"], "2018-04-01");
    let first = of_kind(&world, person, DocumentKind::Certificate);
    assert_eq!(first[0].details.valid_until, Some(date("2020-12-31")));
    // Never renewed; today is in 2025—2028. Renewing into 2021—2024 would give an edition
    // that has already ended: the renewal is into 2025—2028, and asks for the continuing
    // education of 2017—2020 and of 2021—2024.
    world.today = date("2026-11-26");
    let renew = |world: &World| world.admin(RenewCertificate { person });
    let refused = renew(&world).unwrap_err().to_string();
    assert!(
        refused.contains("2017—2020") && refused.contains("2021—2024"),
        "{refused}"
    );
    trained_on(&world, person, &["RQ-ZZ"], "2019-05-10");
    let refused = renew(&world).unwrap_err();
    let message = refused.to_string();
    assert!(
        !message.contains("2017—2020") && message.contains("2021—2024"),
        "{message}"
    );
    assert_eq!(
        codes(refused),
        ["education.hours_short", "education.item_not_covered"]
    );
    trained_on(&world, person, &["RQ-ZZ"], "2023-05-10");
    let renewed = renew(&world).unwrap();
    assert_eq!(renewed.valid_until, date("2028-12-31"));
    assert_eq!(renewed.items.len(), 1);
}

#[test]
fn a_certificate_printed_without_an_end_runs_to_the_end_of_the_first_cycle_after_its_pass_list() {
    let mut world = World::new();
    // Published before any cycle the register knows: printed without an end.
    world.today = date("2019-04-01");
    let person = world.person("1970-01-01", &["RQ-ZZ"], "2019-04-01");
    let first = of_kind(&world, person, DocumentKind::Certificate);
    assert_eq!(first[0].details.valid_until, None);
    world.today = date("2026-11-26");
    let a = world.institution();
    world.employ(a, person, &["RQ-ZZ"]).unwrap();
    world.fill_in(person, a);
    let register = |world: &World| {
        world.as_institution(
            a,
            RegisterItems {
                institution: a,
                person,
                items: vec!["RQ-ZZ".into()],
            },
        )
    };
    // It ran to the end of 2021—2024: 2025—2028 needs 换证, like any certificate.
    let refused = register(&world).unwrap_err();
    assert!(refused.to_string().contains("2024-12-31"), "{refused}");
    assert_eq!(codes(refused), ["certificate.expired"]);
    // Its renewal is judged on 2021—2024's continuing education (there is a certificate).
    assert_eq!(
        codes(world.admin(RenewCertificate { person }).unwrap_err()),
        ["education.hours_short", "education.item_not_covered"]
    );
    trained_on(&world, person, &["RQ-ZZ"], "2023-05-10");
    let renewed = world.admin(RenewCertificate { person }).unwrap();
    assert_eq!(renewed.valid_until, date("2028-12-31"));
    register(&world).unwrap();
}

#[test]
fn an_edition_that_ended_is_not_marked_mailed() {
    let mut world = World::new();
    world.today = date("2022-04-01");
    let person = world.person("1970-01-01", &["RQ-ZZ"], "2022-04-01");
    let a = world.institution();
    world.employ(a, person, &["RQ-ZZ"]).unwrap();
    world.fill_in(person, a);
    let certificate = of_kind(&world, person, DocumentKind::Certificate).remove(0);
    assert_eq!(certificate.details.valid_until, Some(date("2024-12-31")));
    world.today = date("2026-11-26");
    let refused = mail(&world, &[&certificate], "2026-11-20").unwrap_err();
    assert_eq!(
        refused.to_string(),
        format!(
            "证件 {} 的有效期已于 2024-12-31 届满，不能标记为寄出",
            certificate.serial()
        )
    );
    // Recording a mailing made while it was valid is still possible.
    assert_eq!(mail(&world, &[&certificate], "2024-06-03"), Ok(1));
}
