//! The nightly sweep: ends the registrations whose validity has ended (the 70th birthday,
//! the end of the cycle) and records why; lists the registrations to renew within the
//! policy's window (3 months) and the certificates and cards past their due date; and
//! repeats the core's reminder when a year of the working-day calendar should be loaded;
//! then keeps the day's reminders in the outbox (`crate::reminders`), which `registry
//! notify` sends.
//!
//! Each person is ended in a transaction of their own, so a sweep stopped midway has done
//! whole people only, and the next run finishes the rest. Running it twice on the same day
//! ends nothing the second time.
//!
//! A dry run ([`Mode::DryRun`]) writes nothing at all: it asks the core's
//! `ended_registrations` (the decision `ExpireRegistrations` acts on) what would end, and
//! reads the rest as a sweep does. Due dates are counted on the calendar of deadlines, so
//! one that runs into a year not loaded yet is an estimate and says so.

use registry_core::date::china_today;
use registry_core::holding::ended_registrations;
use registry_core::holiday_law::{Deadline, MissingCalendar, missing_calendar};
use registry_core::ids::PersonId;
use registry_core::ports::{Entity, RegisterTx};
use registry_core::read::runs::{Job, Run, RunOutcome, done_on};
use registry_core::usecases::{ExpireRegistrations, Expired, RecordRun, UseCaseError, execute};
use registry_store::batch::RenewalDue;
use registry_store::documents::DocumentListing;
use time::Date;

use crate::reminders::{Queued, ReminderSetup};
use crate::{Progress, Setting};

/// Whether a sweep writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Ends the registrations it finds (the nightly run).
    #[default]
    Write,
    /// Writes nothing: reports what a sweep on that day would end and find.
    DryRun,
}

/// What a sweep did and found.
#[derive(Debug, Clone)]
pub struct SweepReport {
    /// The day it swept as of.
    pub as_of: Date,
    /// Whether it was a dry run: then `expired` lists what it would have ended.
    pub dry_run: bool,
    /// The core's reminder that a year of the working-day calendar is missing on that day.
    pub calendar_warning: Option<MissingCalendar>,
    /// The registrations it ended (or, in a dry run, would end), with the person.
    pub expired: Vec<(PersonId, Expired)>,
    /// Registrations ending within the renewal window.
    pub renewals: Vec<RenewalDue>,
    /// The months of that window.
    pub window_months: u32,
    /// Certificates and cards still to be issued after their due date, with it (an
    /// estimate when it runs into a year whose calendar is not loaded).
    pub overdue: Vec<(DocumentListing, Deadline)>,
    /// The reminders due that day, and how many were kept in the outbox now (in a dry
    /// run: none).
    pub reminders: Queued,
}

/// Whether the day of `setting.now` was already swept (a sweep of it done, by any runner:
/// another machine's timer, a command): the core's `read::runs::done_on` over the runs of
/// the last two days.
pub async fn already_swept(
    setting: &Setting<'_>,
) -> Result<bool, registry_core::ports::StoreError> {
    let day = china_today(setting.now);
    let since = setting.now - time::Duration::days(2);
    let runs = setting.store.runs_since(since, 200).await?;
    Ok(done_on(
        runs.iter().filter_map(|entry| {
            Some((
                china_today(entry.at),
                Run::from_fields(&entry.after_fields())?,
            ))
        }),
        Job::Sweep,
        day,
    ))
}

/// Runs the sweep as of `setting.now`'s day.
pub async fn sweep(
    setting: &Setting<'_>,
    mode: Mode,
    setup: &ReminderSetup,
    progress: &mut dyn Progress,
) -> Result<SweepReport, UseCaseError> {
    let report = run(setting, mode, setup, progress).await;
    if mode == Mode::Write {
        let run = match &report {
            Ok(r) => RecordRun {
                job: Job::Sweep,
                outcome: RunOutcome::Done,
                counts: vec![
                    ("expired", r.expired.len() as u64),
                    ("overdue", r.overdue.len() as u64),
                    ("reminders", r.reminders.added),
                ],
                message: None,
            },
            Err(e) => RecordRun {
                job: Job::Sweep,
                outcome: RunOutcome::Failed,
                counts: vec![],
                message: Some(e.to_string()),
            },
        };
        setting.record_run(run).await;
    }
    report
}

async fn run(
    setting: &Setting<'_>,
    mode: Mode,
    setup: &ReminderSetup,
    progress: &mut dyn Progress,
) -> Result<SweepReport, UseCaseError> {
    let as_of = setting.today();
    let deadlines = registry_core::fixtures::deadline_calendar(setting.calendar)
        .map_err(|e| UseCaseError::Unexpected(e.to_string()))?;
    let calendar_warning = missing_calendar(as_of, setting.calendar.years());
    let people = setting.store.people_with_ended_registrations(as_of).await?;
    progress.phase("到期注册", Some(people.len() as u64));
    let mut expired = Vec::new();
    for (done, person) in people.into_iter().enumerate() {
        let ended = match mode {
            Mode::Write => {
                execute(
                    setting.store,
                    &setting.context(),
                    &ExpireRegistrations { person },
                )
                .await?
            }
            Mode::DryRun => would_end(setting, person, as_of).await?,
        };
        expired.extend(ended.into_iter().map(|e| (person, e)));
        progress.advance(done as u64 + 1);
    }
    let cycles = {
        let mut read = setting.store.begin_read().await?;
        read.cycles().await?
    };
    let window_months = cycles.policy_at(as_of).renewal_window_months;
    let until = cycles.renewal_horizon(as_of);
    let renewals = setting.store.renewals_due(as_of, until).await?;
    progress.phase("逾期证书", None);
    let mut overdue = Vec::new();
    for listing in crate::pending_documents(setting).await? {
        let due = listing.document.due_on(&deadlines, &cycles);
        if listing.document.is_overdue(due.as_ref(), as_of)
            && let Some(due) = due
        {
            overdue.push((listing, due));
        }
    }
    overdue.sort_by_key(|(_, due)| due.date());
    // After the registrations ended today: a reminder never announces what just ended.
    progress.phase("到期提醒", None);
    let reminders = match mode {
        Mode::Write => crate::reminders::queue(setting, setup).await?,
        Mode::DryRun => Queued {
            due: crate::reminders::decide(setting, setup).await?.len(),
            added: 0,
        },
    };
    progress.finish();
    Ok(SweepReport {
        as_of,
        dry_run: mode == Mode::DryRun,
        calendar_warning,
        expired,
        renewals,
        window_months,
        overdue,
        reminders,
    })
}

/// What `ExpireRegistrations` would end for `person` on `as_of`: the same decision of the
/// core, read in a transaction that is dropped, never committed.
async fn would_end(
    setting: &Setting<'_>,
    person: PersonId,
    as_of: Date,
) -> Result<Vec<Expired>, UseCaseError> {
    let mut read = setting.store.begin_read().await?;
    let Some(found) = read.person(person).await? else {
        return Err(UseCaseError::NotFound(Entity::Person));
    };
    let holdings = read.holdings_of(person).await?;
    let cycles = read.cycles().await?;
    Ok(
        ended_registrations(&holdings, found.resident_id.birth_date(), &cycles, as_of)
            .into_iter()
            .map(Expired::from)
            .collect(),
    )
}
