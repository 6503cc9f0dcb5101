//! 换证 for a whole cycle: the preview of every certificate that ends with the cycle — who
//! can be renewed, with the items renewed and left off, and who cannot, with every reason
//! (the core's `renewal_plan`) — and the renewal of every one that can, one transaction per
//! person (the core's `RenewCertificate`), with a report of who was renewed and who was not,
//! and why. The association's page and API and an institution's outlook of its own people
//! call these.

use registry_core::cycle::RegistrationCycle;
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::person::PersonName;
use registry_core::ports::StoreError;
use registry_core::read::queues::{RenewalFigures, RenewalTally};
use registry_core::read::record::PersonRecord;
use registry_core::registration::Reference;
use registry_core::registration_number::RegistrationNumber;
use registry_core::renewal::{RenewalPlan, renewal_plan};
use registry_core::usecases::{CertificateRenewed, RenewCertificate, UseCaseError, execute};
use registry_core::violation::Violation;
use time::Date;

use crate::{Progress, Setting};

/// One certificate due for renewal, as previewed.
#[derive(Debug, Clone)]
pub struct DueRenewal {
    /// The person.
    pub person: PersonId,
    /// Their name.
    pub name: PersonName,
    /// Their ID number, masked.
    pub masked_id: String,
    /// Their registration number.
    pub number: Option<RegistrationNumber>,
    /// The plan of the renewal, or why there is none.
    pub plan: Result<RenewalPlan, Violation>,
}

impl DueRenewal {
    /// Whether the renewal can be made on `today`.
    pub fn eligible(&self, today: Date) -> bool {
        self.plan.as_ref().is_ok_and(|plan| plan.can_renew(today))
    }

    /// Every reason it cannot be made on `today` (none: it can).
    pub fn reasons(&self, today: Date) -> Vec<Violation> {
        match &self.plan {
            Ok(plan) => plan.obstacles(today),
            Err(reason) => vec![reason.clone()],
        }
    }
}

/// The certificates that end with `cycle` (of the people `employed_by` an institution, when
/// given), in the order of the people's ids, at most `limit`; and how many there are.
pub async fn preview(
    setting: &Setting<'_>,
    cycle: &RegistrationCycle,
    employed_by: Option<InstitutionId>,
    limit: usize,
) -> Result<(Vec<DueRenewal>, usize), StoreError> {
    let mut rows = Vec::new();
    let total = each_due(setting, cycle, employed_by, limit, |record, plan| {
        rows.push(DueRenewal {
            person: record.person.id,
            name: record.person.name.clone(),
            masked_id: record.person.resident_id.masked(),
            number: record.person.registration_number,
            plan,
        });
    })
    .await?;
    Ok((rows, total))
}

/// The 换证 figures of `cycle` (the core's `RenewalTally`) over every certificate that
/// ends with it (of the people `employed_by` an institution, when given), one person's
/// record in memory at a time.
pub async fn figures(
    setting: &Setting<'_>,
    cycle: &RegistrationCycle,
    employed_by: Option<InstitutionId>,
) -> Result<RenewalFigures, StoreError> {
    let mut tally = RenewalTally::new(setting.today());
    each_due(setting, cycle, employed_by, usize::MAX, |_, plan| {
        tally.add(&plan);
    })
    .await?;
    Ok(tally.finish())
}

/// Calls `each` with the record and the renewal plan of the first `limit` people whose
/// certificates end with `cycle`, read in one transaction; returns how many there are.
async fn each_due(
    setting: &Setting<'_>,
    cycle: &RegistrationCycle,
    employed_by: Option<InstitutionId>,
    limit: usize,
    mut each: impl FnMut(&PersonRecord, Result<RenewalPlan, Violation>),
) -> Result<usize, StoreError> {
    let mut tx = setting.store.begin_read().await?;
    let cycles = {
        use registry_core::ports::RegisterTx;
        tx.cycles().await?
    };
    let people = setting
        .store
        .certificates_ending(cycle, cycles.previous(cycle), employed_by)
        .await?;
    let total = people.len();
    let reference = Reference {
        catalogue: setting.catalogue,
        cycles: &cycles,
    };
    for person in people.into_iter().take(limit) {
        let Some(record) = PersonRecord::load(&mut tx, person).await? else {
            continue;
        };
        let plan = renewal_plan(record.facts(), reference, setting.today());
        each(&record, plan);
    }
    Ok(total)
}

/// What renewing a cycle did for one person.
#[derive(Debug, Clone)]
pub struct RenewalDone {
    /// The person.
    pub person: PersonId,
    /// Their name.
    pub name: PersonName,
    /// The new edition, or why there is none.
    pub outcome: Result<CertificateRenewed, UseCaseError>,
}

/// Renews every certificate that ends with `cycle` and can be renewed today, each in a
/// transaction of its own; the others are reported with their reasons and not touched.
pub async fn renew_cycle(
    setting: &Setting<'_>,
    cycle: &RegistrationCycle,
    progress: &mut dyn Progress,
) -> Result<Vec<RenewalDone>, StoreError> {
    let today = setting.today();
    let (due, total) = preview(setting, cycle, None, usize::MAX).await?;
    progress.phase("换证", Some(total as u64));
    let ctx = setting.context();
    let mut report = Vec::with_capacity(due.len());
    for (done, row) in due.into_iter().enumerate() {
        let outcome = if row.eligible(today) {
            execute(
                setting.store,
                &ctx,
                &RenewCertificate { person: row.person },
            )
            .await
        } else {
            Err(UseCaseError::Rejected(
                registry_core::violation::Violations::new(row.reasons(today)),
            ))
        };
        if let Err(UseCaseError::Unavailable | UseCaseError::Unexpected(_)) = &outcome {
            // The database failed: stop, and say so (nothing of this person was written).
            return Err(match outcome {
                Err(UseCaseError::Unexpected(detail)) => StoreError::Unexpected(detail),
                _ => StoreError::Unavailable,
            });
        }
        report.push(RenewalDone {
            person: row.person,
            name: row.name,
            outcome,
        });
        progress.advance(done as u64 + 1);
    }
    progress.finish();
    Ok(report)
}
