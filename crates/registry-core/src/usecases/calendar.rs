//! The use cases of the register's time: registration cycles with their policy, and the
//! working-day calendar of whole years.

use time::Date;

use super::{Context, UseCase, UseCaseError, policy_snapshot, reject_if_any, text_field};
use crate::calendar::WorkCalendar;
use crate::cycle::{CycleForm, NAME_MAX, RegistrationCycle};
use crate::cycle_change::{check_change, days_concerned};
use crate::ids::CycleId;
use crate::policy::Policy;
use crate::ports::{Conflict, Entity, RegisterTx, Snapshot};
use crate::text::Text;
use crate::violation::{Violation, Violations};

/// Defines a registration cycle (or edits one, [`CycleTarget::Edit`]).
///
/// An edit that moves the dates is refused while anything bound to the cycle would no
/// longer fit ([`crate::cycle_change::check_change`]: registrations, certificates and
/// cards made for it, courses whose hours would move in or out), with every reason at once
/// (an overlap with another cycle too). An edit of the name or the policy alone is always
/// allowed. Every change is audited with the name, dates and policy before and after.
#[derive(Debug, Clone)]
pub struct DefineCycle {
    /// A new cycle, or an edit of a stored one.
    pub target: CycleTarget,
    /// The name, for example 2025—2028.
    pub name: String,
    /// The first day.
    pub start: Date,
    /// The last day.
    pub end: Date,
    /// The cycle's policy.
    pub policy: Policy,
}

impl DefineCycle {
    /// The command of a cycle form ([`CycleForm::parse`]): a new cycle, or an edit; or
    /// every problem of the form at once.
    pub fn from_form(target: CycleTarget, form: &CycleForm) -> Result<DefineCycle, Violations> {
        let definition = form.parse()?;
        Ok(DefineCycle {
            target,
            name: definition.name.as_str().to_owned(),
            start: definition.start,
            end: definition.end,
            policy: definition.policy,
        })
    }
}

/// What a [`DefineCycle`] defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CycleTarget {
    /// A new cycle.
    New,
    /// An edit of cycle `id`, made from the cycle as it was at `version`
    /// ([`RegistrationCycle::version`]): refused (`conflict.stale.cycle`) if it changed
    /// since, so that two administrators never silently overwrite each other.
    Edit {
        /// The cycle.
        id: CycleId,
        /// The version the edit was made from.
        version: i64,
    },
}

impl UseCase for DefineCycle {
    type Output = CycleId;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<CycleId, UseCaseError> {
        let name = text_field(&self.name, NAME_MAX, "name", "周期名称")?;
        let cycles = tx.cycles().await?;
        let id = match self.target {
            CycleTarget::Edit { id, .. } => id,
            CycleTarget::New => CycleId::new(0),
        };
        let cycle =
            RegistrationCycle::new(id, name.clone(), self.start, self.end, self.policy.clone())?;
        let mut problems = cycles
            .check_fits(&cycle)
            .err()
            .map(Violations::into_vec)
            .unwrap_or_default();
        let after = policy_snapshot(&name, self.start, self.end, &self.policy);
        match self.target {
            CycleTarget::Edit { id, version } => {
                let before = cycles
                    .get(id)
                    .ok_or(UseCaseError::NotFound(Entity::Cycle))?;
                if before.version() != version {
                    return Err(UseCaseError::Conflict(Conflict::Stale(Entity::Cycle)));
                }
                if before.start() != self.start || before.end() != self.end {
                    let (from, to) = days_concerned(before, self.start, self.end);
                    let bound = tx.bound_to_cycle(id, from, to).await?;
                    if let Err(refused) = check_change(before, &cycle, &bound, ctx.catalogue) {
                        problems.extend(refused.into_vec());
                    }
                }
                reject_if_any(problems)?;
                let before_snapshot = Text::parse(before.name(), NAME_MAX)
                    .map(|n| policy_snapshot(&n, before.start(), before.end(), before.policy()))
                    .ok();
                tx.update_cycle(&cycle.with_version(version)).await?;
                tx.audit(&ctx.audit(
                    "cycle.update",
                    Entity::Cycle,
                    id.get(),
                    None,
                    before_snapshot,
                    Some(after),
                ))
                .await?;
                Ok(id)
            }
            CycleTarget::New => {
                reject_if_any(problems)?;
                let id = tx
                    .insert_cycle(&name, self.start, self.end, &self.policy)
                    .await?;
                tx.audit(&ctx.audit(
                    "cycle.create",
                    Entity::Cycle,
                    id.get(),
                    None,
                    None,
                    Some(after),
                ))
                .await?;
                Ok(id)
            }
        }
    }
}

/// Loads the working-day calendar of whole years (a new year's holidays and adjusted
/// working days, as the State Council publishes them; or a corrected year): the years the
/// file covers replace the stored ones, and the stored calendar must stay whole (no year
/// missing between the first and the last).
#[derive(Debug, Clone)]
pub struct LoadCalendar {
    /// The years to load, parsed and checked.
    pub calendar: WorkCalendar,
}

/// What [`LoadCalendar`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarLoaded {
    /// The years loaded.
    pub years: std::ops::RangeInclusive<i32>,
    /// Their entries (holidays and adjusted working days).
    pub entries: usize,
    /// The years the stored calendar covers now.
    pub covered: std::ops::RangeInclusive<i32>,
}

impl UseCase for LoadCalendar {
    type Output = CalendarLoaded;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<CalendarLoaded, UseCaseError> {
        let years = self.calendar.years();
        let mut merged: Vec<crate::calendar::CalendarEntry> = tx
            .calendar_entries()
            .await?
            .into_iter()
            .filter(|e| !years.contains(&e.date.year()))
            .collect();
        merged.extend(self.calendar.entries().iter().cloned());
        let whole = WorkCalendar::from_entries(merged).map_err(|problems| {
            UseCaseError::Rejected(Violations::new(
                problems
                    .into_iter()
                    .map(|p| Violation::CalendarData(p.problem))
                    .collect(),
            ))
        })?;
        tx.replace_calendar_years(*years.start(), *years.end(), self.calendar.entries())
            .await?;
        let entries = self.calendar.entries().len();
        tx.audit(
            &ctx.audit(
                "calendar.load",
                Entity::Calendar,
                i64::from(*years.start()),
                None,
                None,
                Some(
                    Snapshot::default()
                        .with("first_year", *years.start())
                        .with("last_year", *years.end())
                        .with("entries", entries),
                ),
            ),
        )
        .await?;
        Ok(CalendarLoaded {
            years,
            entries,
            covered: whole.years(),
        })
    }
}
