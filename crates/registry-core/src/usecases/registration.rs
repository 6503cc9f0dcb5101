//! The use case of registration (注册): registering a person's items, all or none.

use super::{
    Context, UseCase, UseCaseError, active_institution, employed_person, holding_snapshot,
    parse_items, reject_if_any,
};
use crate::holding::{ItemEvent, RegistrationPeriod, RegistrationRecord};
use crate::ids::{InstitutionId, PersonId};
use crate::ports::{Entity, RegisterTx};
use crate::read::employment::held_at;
use crate::read::record::PersonRecord;
use crate::registration::{Reference, check_registration, person_obstacles};
use crate::registration_number::RegistrationNumber;
use crate::review_item::ReviewItemCode;
use crate::violation::Violation;

/// Registers review items of a person the institution holds (注册), all or none: every
/// rule is checked for every item and every violation is reported. The person receives a
/// registration number at their first registration.
#[derive(Debug, Clone)]
pub struct RegisterItems {
    /// The institution, from the session.
    pub institution: InstitutionId,
    /// The person.
    pub person: PersonId,
    /// The codes of the items.
    pub items: Vec<String>,
}

/// What [`RegisterItems`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// The person's registration number.
    pub number: RegistrationNumber,
    /// Each item with its registration.
    pub items: Vec<(ReviewItemCode, RegistrationPeriod)>,
}

impl UseCase for RegisterItems {
    type Output = Registered;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<Registered, UseCaseError> {
        let today = ctx.today();
        active_institution(tx, self.institution).await?;
        let person = employed_person(tx, self.person, self.institution).await?;
        let mut problems = Vec::new();
        let items = parse_items(ctx.catalogue, &self.items, &mut problems);
        reject_if_any(std::mem::take(&mut problems))?;
        let record = PersonRecord::load_for(tx, person).await?;
        let mut targets = Vec::new();
        for item in &items {
            let holding = held_at(&record.holdings, self.institution)
                .find(|h| &h.item == item)
                .ok_or(UseCaseError::NotFound(Entity::Holding))?;
            targets.push(holding.clone());
        }
        let cycles = tx.cycles().await?;
        let facts = record.facts();
        let reference = Reference {
            catalogue: ctx.catalogue,
            cycles: &cycles,
        };
        problems.extend(person_obstacles(&record.person));
        let mut periods = Vec::new();
        for holding in &targets {
            match check_registration(facts, reference, holding, today) {
                Ok(period) => periods.push(period),
                Err(item_problems) => problems.extend(item_problems),
            }
        }
        reject_if_any(problems)?;

        let year = u16::try_from(today.year()).unwrap_or(2000);
        let number = tx.assign_registration_number(self.person, year).await?;
        let mut out = Vec::new();
        for (mut holding, period) in targets.into_iter().zip(periods) {
            let before = holding_snapshot(&holding);
            holding
                .apply(ItemEvent::Register, ctx.today())
                .map_err(Violation::from)?;
            holding.registration = Some(period.clone());
            tx.update_holding(&holding).await?;
            tx.insert_registration(&RegistrationRecord {
                holding: holding.id,
                person: self.person,
                item: holding.item.clone(),
                institution: self.institution,
                period: period.clone(),
            })
            .await?;
            tx.audit(&ctx.audit(
                "holding.register",
                Entity::Holding,
                holding.id.get(),
                Some(self.person),
                Some(before),
                Some(holding_snapshot(&holding).with("registration_number", number)),
            ))
            .await?;
            out.push((holding.item, period));
        }
        super::documents::refresh_card(ctx, tx, self.person, self.institution).await?;
        Ok(Registered { number, items: out })
    }
}
