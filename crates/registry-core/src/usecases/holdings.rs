//! The use cases of holdings: employing a person's items (添加人员, 聘用 from the pool), the
//! fill-in password, and releasing an item to the pool (退回人员).

use super::{
    Context, UseCase, UseCaseError, active_institution, employed_person, existing_person,
    holding_snapshot, parse_items, reject_if_any, text_field,
};
use crate::date::{format_date, full_years};
use crate::holding::{EntryProgress, FillInPasswordHash, ItemEvent, ItemState, NewHolding};
use crate::ids::{InstitutionId, PersonId};
use crate::ports::{Conflict, Entity, RegisterTx, SessionsToEnd, Snapshot, StoreError};
use crate::read::employment::{Holder, Sight, employs, held_at, holder_of, sight};
use crate::review_item::ReviewItemCode;
use crate::violation::Violation;

/// Employs a person for review items (添加人员, or 聘用 from the pool): each item must be
/// one the person is qualified in and that no institution holds. A new employment needs
/// the fill-in password's hash, which the edge generated and shows once.
///
/// The person is named by id alone, so the answer tells only what the institution may
/// know ([`crate::read::employment::sight`]): for a person it employs, why each item
/// cannot be employed; for a person in the pool, only that an item is not in the pool;
/// for anyone else, `NotFound` exactly as for an id that names nobody.
#[derive(Debug, Clone)]
pub struct EmployItems {
    /// The institution, from the session.
    pub institution: InstitutionId,
    /// The person.
    pub person: PersonId,
    /// The codes of the items.
    pub items: Vec<String>,
    /// The fill-in password's hash, required when the institution does not employ the
    /// person yet.
    pub password: Option<FillInPasswordHash>,
}

/// What [`EmployItems`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employed {
    /// Whether the employment is new (the password was set).
    pub new_employment: bool,
    /// Each item and the state it starts in.
    pub items: Vec<(ReviewItemCode, ItemState)>,
}

impl UseCase for EmployItems {
    type Output = Employed;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<Employed, UseCaseError> {
        let today = ctx.today();
        active_institution(tx, self.institution).await?;
        let person = existing_person(tx, self.person).await?;
        let qualifications = tx.qualifications(self.person).await?;
        let holdings = tx.holdings_of(self.person).await?;
        let cycles = tx.cycles().await?;
        let birth = person.resident_id.birth_date();
        let seen = sight(
            self.institution,
            birth,
            &qualifications,
            &holdings,
            &cycles,
            today,
        );
        if seen == Sight::Nothing {
            return Err(UseCaseError::NotFound(Entity::Person));
        }
        let mut problems = Vec::new();
        let items = parse_items(ctx.catalogue, &self.items, &mut problems);
        for item in &items {
            let name = ctx.catalogue.name_of(item).to_owned();
            let qualified = qualifications.iter().any(|q| &q.item == item);
            let holder = holder_of(&holdings, item, self.institution);
            if seen == Sight::Pool {
                if !qualified || holder != Holder::Nobody {
                    problems.push(Violation::NotInPool { item: name });
                }
                continue;
            }
            if !qualified {
                problems.push(Violation::NotQualified { item: name.clone() });
            }
            match holder {
                Holder::This => problems.push(Violation::AlreadyHeld { item: name }),
                Holder::Another => problems.push(Violation::HeldByAnother { item: name }),
                Holder::Nobody => {}
            }
        }
        let limit = cycles.policy_at(today).registration_age_limit;
        let age = full_years(birth, today);
        if age >= limit {
            problems.push(Violation::RegistrationAgeLimit {
                age,
                on: format_date(today),
                limit,
            });
        }
        let employment = tx.employment(self.person, self.institution).await?;
        if employment.is_none() && self.password.is_none() {
            problems.push(Violation::NoFillInPassword);
        }
        reject_if_any(problems)?;

        let (progress, new_employment) = match (&employment, &self.password) {
            (Some(existing), _) => (existing.progress, false),
            (None, Some(password)) => {
                let employment = crate::holding::Employment {
                    person: self.person,
                    institution: self.institution,
                    password: password.clone(),
                    progress: EntryProgress::NotOpened,
                    since: today,
                    password_set_on: today,
                    version: 1,
                };
                tx.insert_employment(&employment).await?;
                tx.audit(&ctx.audit(
                    "employment.create",
                    Entity::Employment,
                    self.person.get(),
                    Some(self.person),
                    None,
                    Some(Snapshot::default().with("institution", self.institution)),
                ))
                .await?;
                (EntryProgress::NotOpened, true)
            }
            (None, None) => return Err(Violation::NoFillInPassword.into()),
        };
        let mut out = Vec::new();
        for item in items {
            let new = NewHolding {
                person: self.person,
                item: item.clone(),
                institution: self.institution,
                state: ItemState::initial(progress),
                since: today,
            };
            let holding = tx.insert_holding(&new).await.map_err(|e| match e {
                StoreError::Conflict(Conflict::ItemHeld { .. }) => {
                    UseCaseError::Conflict(Conflict::ItemHeld {
                        item: ctx.catalogue.name_of(&item).to_owned(),
                    })
                }
                other => other.into(),
            })?;
            tx.audit(&ctx.audit(
                "holding.employ",
                Entity::Holding,
                holding.id.get(),
                Some(self.person),
                None,
                Some(holding_snapshot(&holding)),
            ))
            .await?;
            out.push((item, holding.state));
        }
        Ok(Employed {
            new_employment,
            items: out,
        })
    }
}

/// Sets (or resets) the fill-in password of a person the institution employs.
#[derive(Debug, Clone)]
pub struct SetFillInPassword {
    /// The institution, from the session.
    pub institution: InstitutionId,
    /// The person.
    pub person: PersonId,
    /// The new password's hash.
    pub password: FillInPasswordHash,
}

impl UseCase for SetFillInPassword {
    type Output = ();

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<(), UseCaseError> {
        active_institution(tx, self.institution).await?;
        let employment = super::current_employment(tx, self.person, self.institution).await?;
        let updated = crate::holding::Employment {
            password: self.password.clone(),
            password_set_on: ctx.today(),
            ..employment
        };
        tx.update_employment(&updated).await?;
        tx.audit(&ctx.audit(
            "employment.set_password",
            Entity::Employment,
            self.person.get(),
            Some(self.person),
            None,
            Some(Snapshot::default().with("institution", self.institution)),
        ))
        .await?;
        // The old password no longer opens the entry, nor does a session it opened.
        tx.end_sessions(SessionsToEnd::Entry {
            person: self.person,
            institution: self.institution,
        })
        .await?;
        Ok(())
    }
}

/// Lifts the lockout of a person's fill-in entry (解除填报锁定): the institution that
/// employs the person forgets every counted attempt at the entry's password, for every
/// client address, after the person said they cannot get in. Audited.
#[derive(Debug, Clone)]
pub struct UnlockFillInEntry {
    /// The institution, from the session.
    pub institution: InstitutionId,
    /// The person.
    pub person: PersonId,
}

impl UseCase for UnlockFillInEntry {
    type Output = ();

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<(), UseCaseError> {
        active_institution(tx, self.institution).await?;
        super::current_employment(tx, self.person, self.institution).await?;
        tx.forget_fill_in_attempts(self.person, self.institution)
            .await?;
        tx.audit(&ctx.audit(
            "employment.unlock_entry",
            Entity::Employment,
            self.person.get(),
            Some(self.person),
            None,
            Some(Snapshot::default().with("institution", self.institution)),
        ))
        .await?;
        Ok(())
    }
}

/// Releases a person's review item to the pool (退回人员), with a reason. The person's
/// hours and working days are untouched; the holding stays as history.
#[derive(Debug, Clone)]
pub struct ReleaseItem {
    /// The institution, from the session.
    pub institution: InstitutionId,
    /// The person.
    pub person: PersonId,
    /// The item's code.
    pub item: String,
    /// 退回原因
    pub reason: String,
}

impl UseCase for ReleaseItem {
    type Output = ();

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<(), UseCaseError> {
        // Another institution's person answers as one that does not exist; of its own
        // person, an item it does not hold is not found.
        employed_person(tx, self.person, self.institution).await?;
        let reason = text_field(&self.reason, 200, "reason", "退回原因");
        let item = ReviewItemCode::parse(&self.item)
            .map_err(|_| UseCaseError::NotFound(Entity::Holding))?;
        let holdings = tx.holdings_of(self.person).await?;
        let mut holding = held_at(&holdings, self.institution)
            .find(|h| h.item == item)
            .cloned()
            .ok_or(UseCaseError::NotFound(Entity::Holding))?;
        let reason = reason?;
        let before = holding_snapshot(&holding);
        holding
            .apply(ItemEvent::Release, ctx.today())
            .map_err(Violation::from)?;
        holding.released_on = Some(ctx.today());
        holding.release_reason = Some(reason);
        tx.update_holding(&holding).await?;
        tx.audit(&ctx.audit(
            "holding.release",
            Entity::Holding,
            holding.id.get(),
            Some(self.person),
            Some(before),
            Some(holding_snapshot(&holding)),
        ))
        .await?;
        super::documents::refresh_card(ctx, tx, self.person, self.institution).await?;
        // The last item released: the institution no longer employs the person, and the
        // fill-in entry through it closes at once.
        let holdings = tx.holdings_of(self.person).await?;
        if !employs(&holdings, self.institution) {
            tx.end_sessions(SessionsToEnd::Entry {
                person: self.person,
                institution: self.institution,
            })
            .await?;
        }
        Ok(())
    }
}

/// 撤销退回: the institution takes back a release it made today, when nobody has hired the
/// item since. The item returns to the state it would have had: registered (or expired)
/// with its registration, else as far as the person got through the institution's entry.
#[derive(Debug, Clone)]
pub struct UndoRelease {
    /// The institution, from the session.
    pub institution: InstitutionId,
    /// The person.
    pub person: PersonId,
    /// The item's code.
    pub item: String,
}

impl UseCase for UndoRelease {
    /// The item and the state it returned to.
    type Output = (ReviewItemCode, ItemState);

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<(ReviewItemCode, ItemState), UseCaseError> {
        let item = ReviewItemCode::parse(&self.item)
            .map_err(|_| UseCaseError::NotFound(Entity::Holding))?;
        let holdings = tx.holdings_of(self.person).await?;
        // Only the institution's own last release of the item; another institution's
        // person answers as one that does not exist.
        let mut holding = holdings
            .iter()
            .filter(|h| h.institution == self.institution && h.item == item)
            .max_by_key(|h| h.id)
            .filter(|h| h.state == ItemState::Released)
            .cloned()
            .ok_or(UseCaseError::NotFound(Entity::Holding))?;
        let name = ctx.catalogue.name_of(&item).to_owned();
        if holdings
            .iter()
            .any(|h| h.item == item && h.state.is_active())
        {
            return Err(Violation::ReleaseUndoTaken { item: name }.into());
        }
        match holding.released_on {
            Some(day) if day == ctx.today() => {}
            day => {
                return Err(Violation::ReleaseUndoTooLate {
                    item: name,
                    released_on: day.map(format_date).unwrap_or_default(),
                }
                .into());
            }
        }
        let restored = match (
            &holding.registration,
            tx.employment(self.person, self.institution).await?,
        ) {
            (Some(_), _) => ItemState::Registered,
            (None, Some(employment)) => ItemState::initial(employment.progress),
            (None, None) => ItemState::Invited,
        };
        let before = holding_snapshot(&holding);
        holding
            .apply(ItemEvent::UndoRelease { restored }, ctx.today())
            .map_err(Violation::from)?;
        holding.released_on = None;
        holding.release_reason = None;
        // The database's one-active-holding index stops a hire that raced this undo.
        tx.update_holding(&holding).await.map_err(|e| match e {
            StoreError::Conflict(Conflict::ItemHeld { .. }) => {
                UseCaseError::from(Violation::ReleaseUndoTaken {
                    item: ctx.catalogue.name_of(&item).to_owned(),
                })
            }
            other => other.into(),
        })?;
        tx.audit(&ctx.audit(
            "holding.undo_release",
            Entity::Holding,
            holding.id.get(),
            Some(self.person),
            Some(before),
            Some(holding_snapshot(&holding)),
        ))
        .await?;
        super::documents::refresh_card(ctx, tx, self.person, self.institution).await?;
        Ok((item, holding.state_on(ctx.today())))
    }
}
