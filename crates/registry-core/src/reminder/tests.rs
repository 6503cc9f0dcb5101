//! The reminders' milestones on their boundary days, and the outbox's own rules.

use time::Date;
use time::macros::date;

use super::due::*;
use super::*;
use crate::cycle::{Cycles, RegistrationCycle};
use crate::document::{
    CODE_BYTES, Document, DocumentKind, NewDocument, TOKEN_BYTES, VerificationCode,
    VerificationToken,
};
use crate::facts::Reference;
use crate::holding::EntryProgress;
use crate::holiday_law::DeadlineCalendar;
use crate::ids::{CycleId, DocumentId, HoldingId, InstitutionId, PersonId};
use crate::person::{Email, PersonName};
use crate::policy::Policy;
use crate::review_item::{ReviewItemCatalogue, ReviewItemCode};
use crate::text::Text;

struct World {
    cycles: Cycles,
    catalogue: ReviewItemCatalogue,
    deadlines: DeadlineCalendar,
    contacts: Contacts,
}

const INSTITUTION: InstitutionId = InstitutionId::new(3);
const PERSON: PersonId = PersonId::new(11);

fn world() -> World {
    let cycle = RegistrationCycle::new(
        CycleId::new(1),
        Text::parse("2025—2028", 40).unwrap(),
        date!(2025 - 01 - 01),
        date!(2028 - 12 - 31),
        Policy::default(),
    )
    .unwrap();
    let calendar = crate::fixtures::calendar().unwrap();
    let mut contacts = Contacts {
        association: Email::parse("duty@association.example.cn"),
        ..Contacts::default()
    };
    contacts.institutions.insert(
        INSTITUTION,
        InstitutionContact {
            name: "甲机构".to_owned(),
            email: Email::parse("hr@jia.example.cn"),
            settings: ReminderSettings::all(),
            active: true,
        },
    );
    contacts.people.insert(
        PERSON,
        PersonContact {
            email: Email::parse("zhang@example.cn"),
            mobile: None,
            settings: ReminderSettings::all(),
        },
    );
    World {
        cycles: Cycles::new(vec![cycle]).unwrap(),
        catalogue: crate::fixtures::review_items().unwrap(),
        deadlines: crate::fixtures::deadline_calendar(&calendar).unwrap(),
        contacts,
    }
}

fn item() -> ReviewItemCode {
    ReviewItemCode::parse("RQ-ZZ").unwrap()
}

fn registration(valid_until: Date) -> RegistrationFact {
    RegistrationFact {
        holding: HoldingId::new(5),
        person: PERSON,
        name: PersonName::parse("张三").unwrap(),
        institution: INSTITUTION,
        item: item(),
        valid_from: date!(2025 - 03 - 01),
        valid_until,
    }
}

#[derive(Default)]
struct Given {
    registrations: Vec<RegistrationFact>,
    entries: Vec<EntryFact>,
    awaiting: Vec<AwaitingFact>,
    documents: Vec<PendingDocument>,
}

fn due(world: &World, given: &Given, today: Date) -> Vec<Reminder> {
    due_reminders(&ReminderFacts {
        today,
        reference: Reference {
            catalogue: &world.catalogue,
            cycles: &world.cycles,
        },
        deadlines: &world.deadlines,
        contacts: &world.contacts,
        registrations: &given.registrations,
        entries: &given.entries,
        awaiting: &given.awaiting,
        documents: &given.documents,
        records: &[],
        courses: &[],
    })
}

fn codes(reminders: &[Reminder]) -> Vec<(String, String)> {
    reminders
        .iter()
        .map(|r| (r.milestone.code(), r.recipient.key()))
        .collect()
}

#[test]
fn a_registration_ending_is_announced_60_30_and_7_days_before_its_last_day() {
    let world = world();
    // The day before a 70th birthday on Sunday 2027-03-07: Saturday 2027-03-06.
    let last = date!(2027 - 03 - 06);
    let given = Given {
        registrations: vec![registration(last)],
        ..Given::default()
    };
    let on = |days: i64| due(&world, &given, last - Duration::days(days));
    assert!(on(61).is_empty());
    assert_eq!(
        codes(&on(60)),
        [
            ("registration_ending_60".into(), "institution:3".into()),
            ("registration_ending_60".into(), "person:11".into()),
        ]
    );
    assert_eq!(on(31)[0].milestone.code(), "registration_ending_60");
    assert_eq!(on(30)[0].milestone.code(), "registration_ending_30");
    assert_eq!(on(8)[0].milestone.code(), "registration_ending_30");
    assert_eq!(on(7)[0].milestone.code(), "registration_ending_7");
    // The last day (a Saturday) itself: still the 7-day one, said as the last day.
    let today = on(0);
    assert_eq!(today[0].milestone.code(), "registration_ending_7");
    assert!(today[0].row.note.contains("今天是注册有效期最后一天"));
    assert!(
        today[0].row.note.contains("年满 70 周岁"),
        "{}",
        today[0].row.note
    );
    assert!(due(&world, &given, last + Duration::days(1)).is_empty());
}

#[test]
fn catching_up_after_days_without_a_sweep_gives_only_the_most_urgent_milestone() {
    let world = world();
    let last = date!(2027 - 05 - 20);
    let given = Given {
        registrations: vec![registration(last)],
        ..Given::default()
    };
    let reminders = due(&world, &given, last - Duration::days(20));
    assert_eq!(
        reminders
            .iter()
            .map(|r| r.milestone.code())
            .collect::<Vec<_>>(),
        ["registration_ending_30", "registration_ending_30"]
    );
}

#[test]
fn the_cycles_last_day_is_said_as_the_cycles_end_and_29_february_counts_as_a_day() {
    let world = world();
    let given = Given {
        registrations: vec![registration(date!(2028 - 12 - 31))],
        ..Given::default()
    };
    let reminders = due(&world, &given, date!(2028 - 12 - 01));
    assert_eq!(reminders[0].milestone.code(), "registration_ending_30");
    assert!(reminders[0].row.note.contains("注册周期“2025—2028”结束"));
    // 2028 is a leap year: 60 days before 2028-04-29 is 2028-02-29.
    let leap = Given {
        registrations: vec![registration(date!(2028 - 04 - 29))],
        ..Given::default()
    };
    assert!(due(&world, &leap, date!(2028 - 02 - 28)).is_empty());
    assert_eq!(
        due(&world, &leap, date!(2028 - 02 - 29))[0]
            .milestone
            .code(),
        "registration_ending_60"
    );
}

#[test]
fn the_subject_of_a_registration_is_its_first_day_so_a_new_one_starts_afresh() {
    let world = world();
    let mut renewed = registration(date!(2027 - 05 - 20));
    let first = due(
        &world,
        &Given {
            registrations: vec![renewed.clone()],
            ..Given::default()
        },
        date!(2027 - 05 - 13),
    );
    renewed.valid_from = date!(2027 - 05 - 01);
    let second = due(
        &world,
        &Given {
            registrations: vec![renewed],
            ..Given::default()
        },
        date!(2027 - 05 - 13),
    );
    assert_ne!(first[0].key(), second[0].key());
}

#[test]
fn nobody_is_told_what_they_turned_off_or_without_an_address() {
    let mut world = world();
    let given = Given {
        registrations: vec![registration(date!(2027 - 05 - 20))],
        ..Given::default()
    };
    let today = date!(2027 - 05 - 13);
    world.contacts.people.get_mut(&PERSON).unwrap().settings =
        ReminderSettings::only(&ReminderKind::FOR_PERSON, &[]);
    assert_eq!(
        codes(&due(&world, &given, today)),
        [("registration_ending_7".into(), "institution:3".into())]
    );
    let institution = world.contacts.institutions.get_mut(&INSTITUTION).unwrap();
    institution.settings = ReminderSettings::only(
        &ReminderKind::FOR_INSTITUTION,
        &[ReminderKind::FillInIncomplete],
    );
    assert!(due(&world, &given, today).is_empty());
    let institution = world.contacts.institutions.get_mut(&INSTITUTION).unwrap();
    institution.settings = ReminderSettings::all();
    institution.email = None;
    assert!(due(&world, &given, today).is_empty());
}

#[test]
fn a_text_message_goes_to_a_persons_mobile_only_when_a_sender_is_configured() {
    let mut world = world();
    world.contacts.people.get_mut(&PERSON).unwrap().mobile =
        crate::person::MobilePhone::parse("13800138000");
    let given = Given {
        registrations: vec![registration(date!(2027 - 05 - 20))],
        ..Given::default()
    };
    let today = date!(2027 - 05 - 13);
    assert!(
        due(&world, &given, today)
            .iter()
            .all(|r| r.channel == Channel::Email)
    );
    world.contacts.sms = true;
    let sms: Vec<Reminder> = due(&world, &given, today)
        .into_iter()
        .filter(|r| r.channel == Channel::Sms)
        .collect();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].address, "13800138000");
    assert!(!sms[0].row.note.contains("13800138000"));
}

#[test]
fn an_entry_not_completed_is_announced_after_10_working_days_over_a_holiday() {
    let world = world();
    let given = Given {
        entries: vec![EntryFact {
            person: PERSON,
            name: PersonName::parse("张三").unwrap(),
            institution: INSTITUTION,
            // Thursday 2026-09-24; National Day's week off (1–7 October 2026) between.
            password_set_on: date!(2026 - 09 - 24),
            progress: EntryProgress::Incomplete,
        }],
        ..Given::default()
    };
    let day = |on| codes(&due(&world, &given, on));
    // 25, 28, 29, 30 September; 9 (a make-up Saturday), 12–16 October: the 10th
    // working day is 2026-10-14 (counted on the official calendar of fixtures/).
    let tenth = world
        .deadlines
        .add_working_days(date!(2026 - 09 - 24), 10)
        .unwrap()
        .date();
    assert!(tenth > date!(2026 - 10 - 08));
    assert!(day(tenth.previous_day().unwrap()).is_empty());
    assert_eq!(
        day(tenth),
        [("fill_in_incomplete".into(), "institution:3".into())]
    );
    let complete = Given {
        entries: vec![EntryFact {
            progress: EntryProgress::Complete,
            ..given.entries[0].clone()
        }],
        ..Given::default()
    };
    assert!(due(&world, &complete, tenth).is_empty());
}

#[test]
fn a_person_waiting_5_working_days_is_announced_to_the_institution_only() {
    let world = world();
    let since = date!(2026 - 12 - 31);
    let given = Given {
        awaiting: vec![AwaitingFact {
            holding: HoldingId::new(5),
            person: PERSON,
            name: PersonName::parse("张三").unwrap(),
            institution: INSTITUTION,
            item: item(),
            since,
        }],
        ..Given::default()
    };
    let fifth = world.deadlines.add_working_days(since, 5).unwrap().date();
    assert!(due(&world, &given, fifth.previous_day().unwrap()).is_empty());
    let reminders = due(&world, &given, fifth);
    assert_eq!(
        codes(&reminders),
        [("awaiting_registration".into(), "institution:3".into())]
    );
    assert_eq!(reminders[0].subject, "awaiting:5:2026-12-31");
}

fn pending_certificate(id: i64, published: Date) -> PendingDocument {
    PendingDocument {
        document: Document {
            id: DocumentId::new(id),
            details: NewDocument {
                kind: DocumentKind::Certificate,
                person: PERSON,
                institution: None,
                items: vec![item()],
                token: VerificationToken::from_entropy([3; TOKEN_BYTES]),
                code: VerificationCode::from_entropy([4; CODE_BYTES]),
                created_on: published,
                pass_list: Some(published),
                valid_until: None,
                replaces: None,
            },
            mailed: None,
            voided: None,
            version: 1,
        },
        name: PersonName::parse("张三").unwrap(),
        institution: None,
    }
}

#[test]
fn certificates_are_announced_to_the_association_when_published_due_soon_and_overdue() {
    let world = world();
    let published = date!(2026 - 11 - 02);
    let given = Given {
        documents: vec![
            pending_certificate(1, published),
            pending_certificate(2, published),
        ],
        ..Given::default()
    };
    let due_on = world
        .deadlines
        .add_working_days(published, 20)
        .unwrap()
        .date();
    let on = |day| codes(&due(&world, &given, day));
    let pass_list = ("pass_list".to_owned(), "association".to_owned());
    assert_eq!(on(published), [pass_list]);
    let three_before = {
        let mut day = due_on;
        let mut left = 3;
        while left > 0 {
            day = day.previous_day().unwrap();
            if world.deadlines.add_working_days(day, 3).unwrap().date() <= due_on {
                left = 0;
            }
        }
        day
    };
    let soon = on(three_before);
    assert_eq!(soon.iter().filter(|c| c.0 == "document_due").count(), 2);
    let late = due(&world, &given, due_on.next_day().unwrap());
    assert_eq!(
        codes(&late),
        [
            ("document_overdue".into(), "association".into()),
            ("document_overdue".into(), "association".into()),
        ]
    );
    assert!(late[0].row.note.contains("已逾期 1 天"));
    let none = Contacts {
        association: None,
        ..world.contacts.clone()
    };
    let world = World {
        contacts: none,
        ..world
    };
    assert!(due(&world, &given, published).is_empty());
}

#[test]
fn no_row_holds_an_id_number_or_a_phone() {
    let world = world();
    let given = Given {
        registrations: vec![registration(date!(2027 - 05 - 20))],
        documents: vec![pending_certificate(1, date!(2026 - 11 - 02))],
        ..Given::default()
    };
    for r in due(&world, &given, date!(2026 - 11 - 02))
        .into_iter()
        .chain(due(&world, &given, date!(2027 - 05 - 13)))
    {
        let text = format!("{} {} {}", r.row.who, r.row.item, r.row.note);
        let digits = text.chars().filter(char::is_ascii_digit).count();
        assert!(
            !text
                .chars()
                .collect::<Vec<_>>()
                .windows(11)
                .any(|w| w.iter().all(char::is_ascii_digit)),
            "{text} ({digits} digits)"
        );
    }
}

#[test]
fn milestones_recipients_and_settings_read_back_what_they_write() {
    for kind in ReminderKind::ALL {
        assert_eq!(ReminderKind::from_code(kind.code()), Some(kind));
        let m = Milestone::of(kind);
        assert_eq!(Milestone::from_code(&m.code()), Some(m));
    }
    let m = Milestone {
        kind: ReminderKind::RegistrationEnding,
        days: Some(30),
    };
    assert_eq!(Milestone::from_code("registration_ending_30"), Some(m));
    for r in [
        Recipient::Association,
        Recipient::Institution(INSTITUTION),
        Recipient::Person(PERSON),
    ] {
        assert_eq!(Recipient::parse(&r.key()), Some(r));
    }
    let off = ReminderSettings::only(
        &ReminderKind::FOR_INSTITUTION,
        &[ReminderKind::RegistrationEnding],
    );
    assert_eq!(ReminderSettings::from_codes(&off.to_codes()), off);
    assert!(off.wants(ReminderKind::RegistrationEnding));
    assert!(!off.wants(ReminderKind::HoursShort));
}

#[test]
fn the_ending_days_parse_in_any_order_and_out_of_range_is_refused() {
    assert_eq!(
        ReminderPolicy::parse_ending_days("7, 60，30"),
        Some(vec![60, 30, 7])
    );
    assert_eq!(ReminderPolicy::parse_ending_days("0,30"), None);
    assert_eq!(ReminderPolicy::parse_ending_days("400"), None);
    assert_eq!(ReminderPolicy::parse_ending_days("a"), None);
    assert_eq!(ReminderPolicy::parse_ending_days(""), None);
    let policy = Policy {
        reminders: ReminderPolicy {
            fill_in_working_days: 0,
            ..ReminderPolicy::default()
        },
        ..Policy::default()
    };
    assert!(policy.check().is_err());
}

#[test]
fn retries_double_up_to_the_longest_wait_then_the_digest_fails() {
    let policy = DeliveryPolicy::default();
    assert_eq!(policy.retry_after(1), Some(Duration::minutes(5)));
    assert_eq!(policy.retry_after(2), Some(Duration::minutes(10)));
    assert_eq!(policy.retry_after(5), Some(Duration::minutes(80)));
    assert_eq!(policy.retry_after(6), None);
    let long = DeliveryPolicy {
        max_attempts: 30,
        ..DeliveryPolicy::default()
    };
    assert_eq!(long.retry_after(20), Some(Duration::hours(6)));
}

#[test]
fn a_digest_groups_rows_by_kind_in_a_fixed_order() {
    let row = |who: &str, day| ReminderRow {
        who: who.to_owned(),
        item: String::new(),
        date: Some(day),
        note: String::new(),
    };
    let (a, b, c) = (
        row("乙", date!(2027 - 01 - 02)),
        row("甲", date!(2027 - 01 - 01)),
        row("丙", date!(2027 - 01 - 01)),
    );
    let ending = Milestone {
        kind: ReminderKind::RegistrationEnding,
        days: Some(30),
    };
    let waiting = Milestone::of(ReminderKind::AwaitingRegistration);
    let grouped = sections([(waiting, &c), (ending, &a), (ending, &b)]);
    assert_eq!(grouped.len(), 2);
    assert_eq!(grouped[0].0, ReminderKind::RegistrationEnding);
    assert_eq!(
        grouped[0]
            .1
            .iter()
            .map(|(_, r)| r.who.as_str())
            .collect::<Vec<_>>(),
        ["甲", "乙"]
    );
}
