//! Batch jobs and data exchange: the association's tables in (institution lists, pass
//! lists, attendance rosters; .xlsx or CSV in UTF-8 or GBK) and out (people,
//! registrations, courses, attendance), the nightly sweep, and backup and restore. The
//! `registry` command and the association's web pages both call these.
//!
//! Every import reads the whole file and checks every row — on its own, against the rows
//! before it, and against the register — before it writes anything; it then writes in one
//! transaction, so a failure (or a killed process) leaves the register as it was. By
//! default nothing is written if any row is bad; the caller may ask for the good rows
//! only, or for a dry run. Importing the same file twice changes nothing.

use registry_core::calendar::WorkCalendar;
use registry_core::document::DocumentKind;
use registry_core::ports::{Actor, Entropy, StoreError};
use registry_core::review_item::ReviewItemCatalogue;
use registry_core::usecases::Context;
use registry_store::Store;
use registry_store::documents::{DocumentFilter, DocumentListing};
use time::OffsetDateTime;

pub mod backup;
pub mod export;
pub mod import;
pub mod reminders;
pub mod renewals;
pub mod sweep;
pub mod table;

/// Where and as whom a job runs.
#[derive(Debug, Clone, Copy)]
pub struct Setting<'a> {
    /// The register.
    pub store: &'a Store,
    /// The review items.
    pub catalogue: &'a ReviewItemCatalogue,
    /// The working-day calendar.
    pub calendar: &'a WorkCalendar,
    /// Randomness for document keys.
    pub entropy: &'a dyn Entropy,
    /// Who runs it (the association's account, or `system:<job>`).
    pub actor: &'a Actor,
    /// The moment it runs.
    pub now: OffsetDateTime,
}

impl Setting<'_> {
    /// The use-case context.
    pub fn context(&self) -> Context<'_> {
        Context {
            now: self.now,
            actor: self.actor.clone(),
            catalogue: self.catalogue,
            calendar: self.calendar,
            entropy: self.entropy,
        }
    }

    /// Today in China.
    pub fn today(&self) -> time::Date {
        registry_core::date::china_today(self.now)
    }

    /// Records a run of a job in the audit log (the core's `RecordRun`). A run that could
    /// not be recorded (the database is what failed) is logged, and its own outcome stands.
    pub(crate) async fn record_run(&self, run: registry_core::usecases::RecordRun) {
        let job = run.job.code();
        if let Err(e) = registry_core::usecases::execute(self.store, &self.context(), &run).await {
            tracing::warn!(job, error = ?e, "the run of a batch job could not be recorded");
        }
    }
}

/// How a long job reports how far it got. The command line draws a bar on a terminal and
/// prints plain lines otherwise; the web pages ignore it.
pub trait Progress: Send {
    /// A new phase (`检查`, `写入`), with the amount of work if known.
    fn phase(&mut self, name: &str, total: Option<u64>);
    /// Work done so far in this phase.
    fn advance(&mut self, done: u64);
    /// The job ended.
    fn finish(&mut self);
}

/// Reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Progress for Silent {
    fn phase(&mut self, _: &str, _: Option<u64>) {}
    fn advance(&mut self, _: u64) {}
    fn finish(&mut self) {}
}

/// Every certificate and card still to be issued, certificates first.
pub(crate) async fn pending_documents(
    setting: &Setting<'_>,
) -> Result<Vec<DocumentListing>, StoreError> {
    let mut all = Vec::new();
    for kind in [DocumentKind::Certificate, DocumentKind::Card] {
        all.extend(
            setting
                .store
                .documents(&DocumentFilter {
                    kind: Some(kind),
                    pending_only: true,
                    limit: u64::MAX >> 1,
                    ..DocumentFilter::default()
                })
                .await?,
        );
    }
    Ok(all)
}
