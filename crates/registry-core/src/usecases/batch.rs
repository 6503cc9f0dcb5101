//! The use cases of batch jobs: the nightly sweep that ends registrations whose validity
//! has ended, the record of an export that disclosed full ID numbers, and the record of
//! each run of a batch job (an import, a sweep) with its outcome.

use super::{Context, UseCaseError, existing_person, holding_snapshot};
use crate::date::format_date;
use crate::holding::{EndedRegistration, ItemEvent, ended_registrations};
use crate::ids::{InstitutionId, PersonId};
use crate::ports::{Entity, RegisterTx, Snapshot};
use crate::read::runs::{Job, RunOutcome};
use crate::review_item::ReviewItemCode;
use crate::violation::Violation;

/// Ends the registrations of a person whose validity ended before today (the 70th
/// birthday, or the end of the cycle), recording why, and brings the person's cards up to
/// date. Running it again changes nothing. Which registrations and why is the pure
/// [`ended_registrations`], which a dry run of the sweep calls alone.
#[derive(Debug, Clone)]
pub struct ExpireRegistrations {
    /// The person.
    pub person: PersonId,
}

/// One registration the sweep ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expired {
    /// The institution.
    pub institution: InstitutionId,
    /// The item.
    pub item: ReviewItemCode,
    /// The last day it was valid.
    pub valid_until: time::Date,
    /// Why it ended: 年满70周岁 or 注册周期结束.
    pub reason: String,
}

impl From<EndedRegistration> for Expired {
    fn from(ended: EndedRegistration) -> Expired {
        Expired {
            institution: ended.institution,
            item: ended.item,
            valid_until: ended.valid_until,
            reason: ended.reason.to_string(),
        }
    }
}

impl super::UseCase for ExpireRegistrations {
    type Output = Vec<Expired>;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<Vec<Expired>, UseCaseError> {
        let today = ctx.today();
        let person = existing_person(tx, self.person).await?;
        let cycles = tx.cycles().await?;
        let holdings = tx.holdings_of(self.person).await?;
        let ended = ended_registrations(&holdings, person.resident_id.birth_date(), &cycles, today);
        let mut out = Vec::new();
        let mut institutions = Vec::new();
        for ended in ended {
            let Some(mut holding) = holdings.iter().find(|h| h.id == ended.holding).cloned() else {
                continue;
            };
            let before = holding_snapshot(&holding);
            holding
                .apply(ItemEvent::Expire, ctx.today())
                .map_err(Violation::from)?;
            tx.update_holding(&holding).await?;
            tx.audit(
                &ctx.audit(
                    "holding.expire",
                    Entity::Holding,
                    holding.id.get(),
                    Some(self.person),
                    Some(before),
                    Some(
                        holding_snapshot(&holding)
                            .with("valid_until", format_date(ended.valid_until))
                            .with("reason", ended.reason.to_string()),
                    ),
                ),
            )
            .await?;
            if !institutions.contains(&holding.institution) {
                institutions.push(holding.institution);
            }
            out.push(Expired::from(ended));
        }
        for institution in institutions {
            super::documents::refresh_card(ctx, tx, self.person, institution).await?;
        }
        Ok(out)
    }
}

/// Records that a table was exported with full ID numbers: who, which table, for which
/// institution, how many rows.
#[derive(Debug, Clone)]
pub struct DiscloseExport {
    /// The table's name.
    pub table: &'static str,
    /// The institution it was limited to.
    pub institution: Option<InstitutionId>,
    /// How many rows.
    pub rows: usize,
}

impl super::UseCase for DiscloseExport {
    type Output = ();

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<(), UseCaseError> {
        tx.audit(
            &ctx.audit(
                "export.full_id",
                Entity::Export,
                self.institution.map_or(0, InstitutionId::get),
                None,
                None,
                Some(
                    Snapshot::default()
                        .with("table", self.table)
                        .with(
                            "institution",
                            self.institution.map(|i| i.to_string()).unwrap_or_default(),
                        )
                        .with("rows", self.rows),
                ),
            ),
        )
        .await?;
        Ok(())
    }
}

/// Records one run of a batch job (not a dry run: that changes nothing), with its outcome,
/// its counts and, when it failed, why: the association's workspace lists the runs, and the
/// audit log says who started each.
#[derive(Debug, Clone)]
pub struct RecordRun {
    /// The job.
    pub job: Job,
    /// How it ended.
    pub outcome: RunOutcome,
    /// Its counts, by field (`rows`, `new`, `rejected`, `expired`, …).
    pub counts: Vec<(&'static str, u64)>,
    /// Why it failed or was refused, in words.
    pub message: Option<String>,
}

impl super::UseCase for RecordRun {
    type Output = ();

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<(), UseCaseError> {
        let mut after = Snapshot::default()
            .with("job", self.job.code())
            .with("outcome", self.outcome.code());
        for (field, count) in &self.counts {
            after = after.with(field, count);
        }
        if let Some(message) = &self.message {
            after = after.with("message", crate::read::runs::clip(message));
        }
        tx.audit(&ctx.audit(self.job.action(), Entity::Run, 0, None, None, Some(after)))
            .await?;
        Ok(())
    }
}
