//! Which reminders are due on a day: [`due_reminders`] over the facts a storage adapter
//! reads ([`ReminderFacts`]).

use std::collections::BTreeMap;

use time::Date;

use crate::cycle::{Cycles, renewal_window_opens};
use crate::date::format_date;
use crate::document::{Document, DocumentKind};
use crate::education::TrainingCourse;
use crate::facts::Reference;
use crate::holding::EntryProgress;
use crate::holiday_law::DeadlineCalendar;
use crate::ids::{HoldingId, InstitutionId, PersonId};
use crate::person::{Email, MobilePhone, PersonName};
use crate::read::outlook::person_outlook;
use crate::read::record::PersonRecord;
use crate::renewal::renewal_plan;
use crate::review_item::{ReviewItemCatalogue, ReviewItemCode};
use crate::violation::Violation;

use super::{
    Channel, Milestone, Recipient, Reminder, ReminderKind, ReminderPolicy, ReminderRow,
    ReminderSettings,
};

/// A registration in force: a holding registered, with its period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationFact {
    /// The holding.
    pub holding: HoldingId,
    /// The person.
    pub person: PersonId,
    /// Their name.
    pub name: PersonName,
    /// The institution that holds the item.
    pub institution: InstitutionId,
    /// The item.
    pub item: ReviewItemCode,
    /// The first day of validity.
    pub valid_from: Date,
    /// The last day of validity.
    pub valid_until: Date,
}

/// A fill-in entry not yet completed, at an institution that employs the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFact {
    /// The person.
    pub person: PersonId,
    /// Their name.
    pub name: PersonName,
    /// The institution.
    pub institution: InstitutionId,
    /// The day the password in use was set.
    pub password_set_on: Date,
    /// How far the person got.
    pub progress: EntryProgress,
}

/// A holding waiting to be registered (等待注册).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwaitingFact {
    /// The holding.
    pub holding: HoldingId,
    /// The person.
    pub person: PersonId,
    /// Their name.
    pub name: PersonName,
    /// The institution.
    pub institution: InstitutionId,
    /// The item.
    pub item: ReviewItemCode,
    /// The day it started waiting.
    pub since: Date,
}

/// A certificate or card still to be issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingDocument {
    /// The edition.
    pub document: Document,
    /// The person's name.
    pub name: PersonName,
    /// The institution's name (a card).
    pub institution: Option<String>,
}

/// How to reach an institution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstitutionContact {
    /// Its name.
    pub name: String,
    /// Its contact e-mail.
    pub email: Option<Email>,
    /// What it chose to get.
    pub settings: ReminderSettings,
    /// A disabled institution is told nothing.
    pub active: bool,
}

/// How to reach a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonContact {
    /// The e-mail of their details.
    pub email: Option<Email>,
    /// Their mobile (only for text messages, when a sender is configured).
    pub mobile: Option<MobilePhone>,
    /// What they chose to get (all or nothing).
    pub settings: ReminderSettings,
}

/// Who can be reached, and how.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contacts {
    /// The association's duty address.
    pub association: Option<Email>,
    /// The institutions.
    pub institutions: BTreeMap<InstitutionId, InstitutionContact>,
    /// The people named by the facts.
    pub people: BTreeMap<PersonId, PersonContact>,
    /// Whether text messages are sent (a sender configured): then a person with a
    /// mobile gets theirs by text message too.
    pub sms: bool,
}

/// What the reminders of a day are decided from.
#[derive(Debug, Clone, Copy)]
pub struct ReminderFacts<'a> {
    /// The day.
    pub today: Date,
    /// The review items and cycles.
    pub reference: Reference<'a>,
    /// Working days, for the milestones counted in them.
    pub deadlines: &'a DeadlineCalendar,
    /// Who can be reached.
    pub contacts: &'a Contacts,
    /// Registrations in force.
    pub registrations: &'a [RegistrationFact],
    /// Fill-in entries not completed.
    pub entries: &'a [EntryFact],
    /// Holdings waiting to be registered.
    pub awaiting: &'a [AwaitingFact],
    /// Certificates and cards to issue.
    pub documents: &'a [PendingDocument],
    /// The records of the people whose certificates end with the cycle in force (only
    /// read within the hours-short and renewal windows).
    pub records: &'a [PersonRecord],
    /// Courses starting today or later.
    pub courses: &'a [TrainingCourse],
}

/// The reminders due on `facts.today`: every milestone reached, for every recipient who
/// wants it and can be reached. The outbox keeps each once, so deciding them again the
/// same day, or the next, adds nothing already kept.
pub fn due_reminders(facts: &ReminderFacts<'_>) -> Vec<Reminder> {
    let policy = facts.reference.cycles.policy_at(facts.today).reminders;
    let mut out = Outbox {
        contacts: facts.contacts,
        reminders: Vec::new(),
    };
    registrations_ending(facts, &policy, &mut out);
    if let Some(cycle) = facts.reference.cycles.at(facts.today) {
        renewals(facts, cycle.id(), cycle.end(), &policy, &mut out);
    }
    entries(facts, &policy, &mut out);
    documents(facts, &policy, &mut out);
    out.reminders
}

struct Outbox<'a> {
    contacts: &'a Contacts,
    reminders: Vec<Reminder>,
}

impl Outbox<'_> {
    /// Adds the reminder for `recipient` on each channel that reaches them, if they want
    /// its kind.
    fn tell(
        &mut self,
        recipient: Recipient,
        subject: &str,
        milestone: Milestone,
        row: ReminderRow,
    ) {
        let mut add = |channel: Channel, address: String| {
            self.reminders.push(Reminder {
                subject: subject.to_owned(),
                milestone,
                recipient,
                channel,
                address,
                row: row.clone(),
            });
        };
        match recipient {
            Recipient::Association => {
                if let Some(email) = &self.contacts.association {
                    add(Channel::Email, email.as_str().to_owned());
                }
            }
            Recipient::Institution(id) => {
                let Some(contact) = self.contacts.institutions.get(&id) else {
                    return;
                };
                if contact.active
                    && contact.settings.wants(milestone.kind)
                    && let Some(email) = &contact.email
                {
                    add(Channel::Email, email.as_str().to_owned());
                }
            }
            Recipient::Person(id) => {
                let Some(contact) = self.contacts.people.get(&id) else {
                    return;
                };
                if !contact.settings.wants(milestone.kind) {
                    return;
                }
                if let Some(email) = &contact.email {
                    add(Channel::Email, email.as_str().to_owned());
                }
                if self.contacts.sms
                    && let Some(mobile) = &contact.mobile
                {
                    add(Channel::Sms, mobile.as_str().to_owned());
                }
            }
        }
    }
}

fn item_text(catalogue: &ReviewItemCatalogue, item: &ReviewItemCode) -> String {
    format!("{item} {}", catalogue.name_of(item))
}

/// The announcement reached `days_left` before an end: the smallest of `ending_days`
/// that is at least `days_left`.
fn ending_milestone(ending_days: &[u32], days_left: i64) -> Option<u32> {
    if days_left < 0 {
        return None;
    }
    ending_days
        .iter()
        .copied()
        .filter(|d| i64::from(*d) >= days_left)
        .min()
}

fn registrations_ending(facts: &ReminderFacts<'_>, policy: &ReminderPolicy, out: &mut Outbox<'_>) {
    let cycles: &Cycles = facts.reference.cycles;
    for r in facts.registrations {
        let days_left = (r.valid_until - facts.today).whole_days();
        let Some(days) = ending_milestone(&policy.ending_days, days_left) else {
            continue;
        };
        let when = match days_left {
            0 => "今天是注册有效期最后一天".to_owned(),
            n => format!("注册还有 {n} 天到期"),
        };
        let note = match cycles.at(r.valid_until) {
            Some(cycle) if cycle.end() == r.valid_until => format!(
                "{when}（注册周期“{}”结束）；如需在下一周期继续注册，请按期办理换证和注册",
                cycle.name()
            ),
            _ => format!(
                "{when}（年满 {} 周岁，此后不能再注册）",
                cycles.policy_at(r.valid_until).registration_age_limit
            ),
        };
        let row = ReminderRow {
            who: r.name.as_str().to_owned(),
            item: item_text(facts.reference.catalogue, &r.item),
            date: Some(r.valid_until),
            note,
        };
        let subject = format!("registration:{}:{}", r.holding.get(), r.valid_from);
        let milestone = Milestone {
            kind: ReminderKind::RegistrationEnding,
            days: Some(days),
        };
        out.tell(
            Recipient::Institution(r.institution),
            &subject,
            milestone,
            row.clone(),
        );
        out.tell(Recipient::Person(r.person), &subject, milestone, row);
    }
}

fn renewals(
    facts: &ReminderFacts<'_>,
    cycle: crate::ids::CycleId,
    cycle_end: Date,
    policy: &ReminderPolicy,
    out: &mut Outbox<'_>,
) {
    let today = facts.today;
    if today > cycle_end {
        return;
    }
    let hours_from = renewal_window_opens(cycle_end, policy.hours_short_months);
    let catalogue = facts.reference.catalogue;
    for record in facts.records {
        let Ok(plan) = renewal_plan(record.facts(), facts.reference, today) else {
            continue;
        };
        if plan.cycle.id() != cycle {
            continue;
        }
        let person = record.person.id;
        let outlook = person_outlook(record, facts.reference, today);
        let holders: Vec<InstitutionId> = {
            let mut all: Vec<InstitutionId> = record
                .holdings
                .iter()
                .filter(|h| h.state_on(today).is_active())
                .map(|h| h.institution)
                .collect();
            all.sort();
            all.dedup();
            all
        };
        let name = record.person.name.as_str().to_owned();
        if today >= plan.opens {
            let subject = format!("renewal:{}:{}", person.get(), cycle.get());
            let milestone = Milestone::of(ReminderKind::RenewalWindow);
            let lines = |items: Vec<String>| ReminderRow {
                who: name.clone(),
                item: String::new(),
                date: Some(cycle_end),
                note: format!(
                    "换证申请已开始（至 {}）：{}",
                    format_date(cycle_end),
                    items.join("；")
                ),
            };
            let all: Vec<String> = outlook
                .items
                .iter()
                .map(|i| i.describe(catalogue, today))
                .collect();
            if !all.is_empty() {
                out.tell(Recipient::Person(person), &subject, milestone, lines(all));
            }
            for institution in &holders {
                let held: Vec<String> = outlook
                    .held_by(*institution)
                    .map(|i| i.describe(catalogue, today))
                    .collect();
                if !held.is_empty() {
                    out.tell(
                        Recipient::Institution(*institution),
                        &subject,
                        milestone,
                        lines(held),
                    );
                }
            }
        }
        if today >= hours_from {
            let short: Vec<&ReviewItemCode> = plan
                .dropped
                .iter()
                .filter(|(_, reasons)| {
                    reasons.iter().any(|r| {
                        matches!(
                            r,
                            Violation::HoursShort { .. } | Violation::ItemNotCovered { .. }
                        )
                    })
                })
                .map(|(item, _)| item)
                .collect();
            if short.is_empty() {
                continue;
            }
            let hours_short = plan.dropped.iter().find_map(|(_, reasons)| {
                reasons.iter().find_map(|r| match r {
                    Violation::HoursShort {
                        have, need, short, ..
                    } => Some(format!(
                        "本周期继续教育 {have} / {need} 学时，尚差 {short} 学时"
                    )),
                    _ => None,
                })
            });
            let uncovered: Vec<String> = plan
                .dropped
                .iter()
                .filter(|(_, reasons)| {
                    reasons
                        .iter()
                        .any(|r| matches!(r, Violation::ItemNotCovered { .. }))
                })
                .map(|(item, _)| item_text(catalogue, item))
                .collect();
            let mut courses: Vec<&TrainingCourse> = facts
                .courses
                .iter()
                .filter(|c| c.details.start >= today && c.details.start <= cycle_end)
                .filter(|c| short.iter().any(|item| c.covers(item)))
                .collect();
            courses.sort_by_key(|c| c.details.start);
            let mut note = Vec::new();
            note.extend(hours_short);
            if !uncovered.is_empty() {
                note.push(format!("参加的培训班尚未覆盖：{}", uncovered.join("、")));
            }
            if courses.is_empty() {
                note.push("近期暂无覆盖这些项目的培训班，请留意协会通知".to_owned());
            } else {
                let list: Vec<String> = courses
                    .iter()
                    .take(3)
                    .map(|c| {
                        let items: Vec<String> = c
                            .details
                            .items
                            .iter()
                            .filter(|i| short.contains(i))
                            .map(ToString::to_string)
                            .collect();
                        format!(
                            "“{}”（{} 开课，覆盖 {}）",
                            c.details.name,
                            format_date(c.details.start),
                            items.join("、")
                        )
                    })
                    .collect();
                note.push(format!("可参加：{}", list.join("、")));
            }
            let row = ReminderRow {
                who: name.clone(),
                item: short
                    .iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join("、"),
                date: Some(cycle_end),
                note: note.join("；"),
            };
            let subject = format!("hours:{}:{}", person.get(), cycle.get());
            let milestone = Milestone::of(ReminderKind::HoursShort);
            out.tell(Recipient::Person(person), &subject, milestone, row.clone());
            for institution in &holders {
                out.tell(
                    Recipient::Institution(*institution),
                    &subject,
                    milestone,
                    row.clone(),
                );
            }
        }
    }
}

/// Whether `count` working days have passed since `from` by `today` (counted on the
/// calendar of deadlines: an estimate past the loaded years is good enough for a
/// reminder).
fn working_days_passed(deadlines: &DeadlineCalendar, from: Date, count: u32, today: Date) -> bool {
    deadlines
        .add_working_days(from, count)
        .is_ok_and(|due| due.date() <= today)
}

fn entries(facts: &ReminderFacts<'_>, policy: &ReminderPolicy, out: &mut Outbox<'_>) {
    for e in facts.entries {
        if e.progress == EntryProgress::Complete
            || !working_days_passed(
                facts.deadlines,
                e.password_set_on,
                policy.fill_in_working_days,
                facts.today,
            )
        {
            continue;
        }
        let note = match e.progress {
            EntryProgress::NotOpened => "尚未打开填报入口",
            _ => "已打开填报入口，尚未填报完整",
        };
        out.tell(
            Recipient::Institution(e.institution),
            &format!(
                "entry:{}:{}:{}",
                e.person.get(),
                e.institution.get(),
                e.password_set_on
            ),
            Milestone::of(ReminderKind::FillInIncomplete),
            ReminderRow {
                who: e.name.as_str().to_owned(),
                item: String::new(),
                date: Some(e.password_set_on),
                note: format!(
                    "填报密码于 {} 设置，已满 {} 个工作日，{note}；请提醒本人填报，或重新设置填报密码",
                    format_date(e.password_set_on),
                    policy.fill_in_working_days
                ),
            },
        );
    }
    for a in facts.awaiting {
        if !working_days_passed(
            facts.deadlines,
            a.since,
            policy.awaiting_working_days,
            facts.today,
        ) {
            continue;
        }
        out.tell(
            Recipient::Institution(a.institution),
            &format!("awaiting:{}:{}", a.holding.get(), a.since),
            Milestone::of(ReminderKind::AwaitingRegistration),
            ReminderRow {
                who: a.name.as_str().to_owned(),
                item: item_text(facts.reference.catalogue, &a.item),
                date: Some(a.since),
                note: format!(
                    "自 {} 起等待注册，已满 {} 个工作日；请在“人员管理”中办理注册",
                    format_date(a.since),
                    policy.awaiting_working_days
                ),
            },
        );
    }
}

fn documents(facts: &ReminderFacts<'_>, policy: &ReminderPolicy, out: &mut Outbox<'_>) {
    let today = facts.today;
    let soon = facts
        .deadlines
        .add_working_days(today, policy.document_due_working_days)
        .map(|d| d.date())
        .ok();
    // Pass lists with certificates still to issue before their due date: date → (count,
    // due).
    let mut pass_lists: BTreeMap<Date, (u32, Date)> = BTreeMap::new();
    for pending in facts.documents {
        let document = &pending.document;
        if !document.is_pending() {
            continue;
        }
        let Some(due) = document.due_on(facts.deadlines, facts.reference.cycles) else {
            continue;
        };
        let due = due.date();
        let kind = document.details.kind;
        let who = match &pending.institution {
            Some(institution) => format!("{}（{institution}）", pending.name),
            None => pending.name.as_str().to_owned(),
        };
        let items = document
            .details
            .items
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("、");
        let subject = format!("document:{}", document.id.get());
        if due < today {
            out.tell(
                Recipient::Association,
                &subject,
                Milestone::of(ReminderKind::DocumentOverdue),
                ReminderRow {
                    who,
                    item: items,
                    date: Some(due),
                    note: format!(
                        "{}应于 {} 前发放，已逾期 {} 天",
                        kind.label(),
                        format_date(due),
                        (today - due).whole_days()
                    ),
                },
            );
            continue;
        }
        if soon.is_some_and(|soon| due <= soon) {
            out.tell(
                Recipient::Association,
                &subject,
                Milestone::of(ReminderKind::DocumentDue),
                ReminderRow {
                    who,
                    item: items,
                    date: Some(due),
                    note: format!("{}应于 {} 前发放", kind.label(), format_date(due)),
                },
            );
        }
        if kind == DocumentKind::Certificate
            && let Some(published) = document.details.pass_list
        {
            let entry = pass_lists.entry(published).or_insert((0, due));
            entry.0 += 1;
            entry.1 = entry.1.min(due);
        }
    }
    for (published, (count, due)) in pass_lists {
        out.tell(
            Recipient::Association,
            &format!("pass_list:{published}"),
            Milestone::of(ReminderKind::PassList),
            ReminderRow {
                who: format!("{} 公布的合格名单", format_date(published)),
                item: String::new(),
                date: Some(due),
                note: format!(
                    "待制发资格证书 {count} 份，应于 {} 前发放",
                    format_date(due)
                ),
            },
        );
    }
}
