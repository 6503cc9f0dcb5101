//! The reminders of a day: the facts read from the register, the core's `due_reminders`
//! over them, and the outbox written with what it decided (one transaction; what is
//! already kept stays as it is). The nightly sweep runs it; `registry notify` sends what
//! it kept.

use registry_core::facts::Reference;
use registry_core::person::Email;
use registry_core::ports::{RegisterTx, StoreError};
use registry_core::read::record::PersonRecord;
use registry_core::reminder::Reminder;
use registry_core::reminder::due::{PendingDocument, ReminderFacts, due_reminders};
use registry_core::usecases::UseCaseError;
use time::Duration;

use crate::Setting;

/// Where reminders go besides the register's own addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReminderSetup {
    /// The association's duty address (none: the association gets no e-mail).
    pub association: Option<Email>,
    /// Whether text messages are sent (a sender is configured).
    pub sms: bool,
}

/// What deciding the day's reminders did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Queued {
    /// Reminders due (kept before or now).
    pub due: usize,
    /// Reminders kept now for the first time.
    pub added: u64,
}

/// Decides the reminders due on `setting`'s day, without writing anything.
pub async fn decide(
    setting: &Setting<'_>,
    setup: &ReminderSetup,
) -> Result<Vec<Reminder>, UseCaseError> {
    let today = setting.today();
    let mut read = setting.store.begin_read().await?;
    let cycles = read.cycles().await?;
    let policy = cycles.policy_at(today);
    let farthest = policy
        .reminders
        .ending_days
        .iter()
        .max()
        .copied()
        .unwrap_or(0);
    let until = today + Duration::days(i64::from(farthest));
    let rows = setting.store.reminder_rows(today, until).await?;
    let deadlines = registry_core::fixtures::deadline_calendar(setting.calendar)
        .map_err(|e| UseCaseError::Unexpected(e.to_string()))?;
    let documents: Vec<PendingDocument> = crate::pending_documents(setting)
        .await?
        .into_iter()
        .map(|listing| PendingDocument {
            document: listing.document,
            name: listing.person.name,
            institution: listing.institution_name,
        })
        .collect();
    // The records of the people whose certificates end with the cycle in force, once its
    // hours-short or 换证 window has opened.
    let mut records = Vec::new();
    if let Some(cycle) = cycles.at(today) {
        let reminders = &cycle.policy().reminders;
        let opens = registry_core::cycle::renewal_window_opens(
            cycle.end(),
            reminders
                .hours_short_months
                .max(cycle.policy().renewal_window_months),
        );
        if today >= opens {
            let people = setting
                .store
                .certificates_ending(cycle, cycles.previous(cycle), None)
                .await?;
            for person in people {
                if let Some(record) = PersonRecord::load(&mut read, person).await? {
                    records.push(record);
                }
            }
        }
    }
    let courses: Vec<_> = setting
        .store
        .courses()
        .await?
        .into_iter()
        .map(|c| c.course)
        .filter(|c| c.details.start >= today)
        .collect();
    let mut contacts = rows.contacts;
    contacts.association = setup.association.clone();
    contacts.sms = setup.sms;
    let named: Vec<_> = records.iter().map(|r| r.person.id).collect();
    setting
        .store
        .person_contacts(&named, &mut contacts)
        .await
        .map_err(|e: StoreError| UseCaseError::from(e))?;
    Ok(due_reminders(&ReminderFacts {
        today,
        reference: Reference {
            catalogue: setting.catalogue,
            cycles: &cycles,
        },
        deadlines: &deadlines,
        contacts: &contacts,
        registrations: &rows.registrations,
        entries: &rows.entries,
        awaiting: &rows.awaiting,
        documents: &documents,
        records: &records,
        courses: &courses,
    }))
}

/// Decides the reminders due on `setting`'s day and keeps them in the outbox.
pub async fn queue(setting: &Setting<'_>, setup: &ReminderSetup) -> Result<Queued, UseCaseError> {
    let due = decide(setting, setup).await?;
    let added = setting
        .store
        .queue_reminders(&due, setting.today(), setting.now)
        .await?;
    Ok(Queued {
        due: due.len(),
        added,
    })
}
