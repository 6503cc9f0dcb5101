//! The use cases of batch jobs: the nightly sweep that ends registrations whose validity
//! has ended, and the record of an export that disclosed full ID numbers.

use super::{Context, UseCaseError, existing_person, holding_snapshot};
use crate::date::{format_date, full_years};
use crate::holding::{ItemEvent, ItemState};
use crate::ids::{InstitutionId, PersonId};
use crate::ports::{Entity, RegisterTx, Snapshot};
use crate::review_item::ReviewItemCode;
use crate::violation::Violation;

/// Ends the registrations of a person whose validity ended before today (the 70th
/// birthday, or the end of the cycle), recording why, and brings the person's cards up to
/// date. Running it again changes nothing.
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
        let mut out = Vec::new();
        let mut institutions = Vec::new();
        for mut holding in tx.holdings_of(self.person).await? {
            if holding.state != ItemState::Registered
                || holding.state_on(today) != ItemState::Expired
            {
                continue;
            }
            let Some(period) = holding.registration.clone() else {
                continue;
            };
            let limit = cycles.policy_at(period.valid_from).registration_age_limit;
            let next_day = period.valid_until.next_day().unwrap_or(period.valid_until);
            let reason = if full_years(person.resident_id.birth_date(), next_day) >= limit {
                format!("年满{limit}周岁")
            } else {
                "注册周期结束".to_owned()
            };
            let before = holding_snapshot(&holding);
            holding.apply(ItemEvent::Expire).map_err(Violation::from)?;
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
                            .with("valid_until", format_date(period.valid_until))
                            .with("reason", &reason),
                    ),
                ),
            )
            .await?;
            if !institutions.contains(&holding.institution) {
                institutions.push(holding.institution);
            }
            out.push(Expired {
                institution: holding.institution,
                item: holding.item.clone(),
                valid_until: period.valid_until,
                reason,
            });
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
