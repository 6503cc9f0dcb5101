//! The nightly sweep: ends the registrations whose validity has ended (the 70th birthday,
//! the end of the cycle) and records why; lists the registrations to renew within the
//! policy's window (3 months) and the certificates and cards past their due date (counted
//! on the calendar of deadlines: one that runs into a year not loaded yet is an estimate
//! and says so).
//!
//! Each person is ended in a transaction of their own, so a sweep stopped midway has done
//! whole people only, and the next run finishes the rest. Running it twice on the same day
//! ends nothing the second time.

use registry_core::document::DocumentKind;
use registry_core::holiday_law::Deadline;
use registry_core::ids::PersonId;
use registry_core::ports::RegisterTx;
use registry_core::usecases::{ExpireRegistrations, Expired, UseCaseError, execute};
use registry_store::batch::RenewalDue;
use registry_store::documents::{DocumentFilter, DocumentListing};
use time::Date;

use crate::{Progress, Setting};

/// What a sweep did and found.
#[derive(Debug, Clone)]
pub struct SweepReport {
    /// The day it swept as of.
    pub as_of: Date,
    /// The registrations it ended, with the person.
    pub expired: Vec<(PersonId, Expired)>,
    /// Registrations ending within the renewal window.
    pub renewals: Vec<RenewalDue>,
    /// The months of that window.
    pub window_months: u32,
    /// Certificates and cards still to be issued after their due date, with it (an
    /// estimate when it runs into a year whose calendar is not loaded).
    pub overdue: Vec<(DocumentListing, Deadline)>,
}

/// Runs the sweep as of `setting.now`'s day.
pub async fn sweep(
    setting: &Setting<'_>,
    progress: &mut dyn Progress,
) -> Result<SweepReport, UseCaseError> {
    let as_of = setting.today();
    let deadlines = registry_core::fixtures::deadline_calendar(setting.calendar)
        .map_err(|e| UseCaseError::Unexpected(e.to_string()))?;
    let ctx = setting.context();
    let people = setting.store.people_with_ended_registrations(as_of).await?;
    progress.phase("到期注册", Some(people.len() as u64));
    let mut expired = Vec::new();
    for (done, person) in people.into_iter().enumerate() {
        let ended = execute(setting.store, &ctx, &ExpireRegistrations { person }).await?;
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
    for kind in [DocumentKind::Certificate, DocumentKind::Card] {
        let pending = setting
            .store
            .documents(&DocumentFilter {
                kind: Some(kind),
                pending_only: true,
                limit: u64::MAX >> 1,
                ..DocumentFilter::default()
            })
            .await?;
        for listing in pending {
            let due = listing.document.due_on(&deadlines, &cycles);
            if listing.document.is_overdue(due.as_ref(), as_of)
                && let Some(due) = due
            {
                overdue.push((listing, due));
            }
        }
    }
    overdue.sort_by_key(|(_, due)| due.date());
    progress.finish();
    Ok(SweepReport {
        as_of,
        expired,
        renewals,
        window_months,
        overdue,
    })
}
