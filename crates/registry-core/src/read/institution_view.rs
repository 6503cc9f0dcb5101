//! A person as the institution that employs them sees them: each item it holds, in the
//! state of today, whether it can be registered now and every reason it cannot. The
//! institution's person page and the API's person answer render this, and nothing else
//! decides whether an item can be registered.

use time::Date;

use super::employment::held_at;
use super::record::PersonRecord;
use crate::holding::ItemState;
use crate::ids::InstitutionId;
use crate::person::DetailField;
use crate::registration::{Reference, check_registration, person_obstacles};
use crate::review_item::ReviewItemCode;
use crate::violation::Violation;

/// One item the institution holds of the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldItem {
    /// The item.
    pub item: ReviewItemCode,
    /// Its state today.
    pub state: ItemState,
    /// The last day of its current (or last) registration.
    pub valid_until: Option<Date>,
    /// Whether the institution can register it today.
    pub registrable: bool,
    /// Why it cannot (the person's own reasons, such as incomplete details, included
    /// unless the item is registered).
    pub problems: Vec<Violation>,
}

/// The person as the institution sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstitutionView {
    /// The required details still empty.
    pub missing: Vec<DetailField>,
    /// The items the institution holds, in the order of the holdings.
    pub items: Vec<HeldItem>,
}

impl InstitutionView {
    /// The codes of the items the institution holds.
    pub fn codes(&self) -> Vec<ReviewItemCode> {
        self.items.iter().map(|i| i.item.clone()).collect()
    }
}

/// The person as `institution` sees them on `today`, or `None` when the institution does
/// not employ them (exactly as when they do not exist).
pub fn institution_view(
    record: &PersonRecord,
    reference: Reference<'_>,
    institution: InstitutionId,
    today: Date,
) -> Option<InstitutionView> {
    let person_problems = person_obstacles(&record.person);
    let items: Vec<HeldItem> = held_at(&record.holdings, institution)
        .map(|holding| {
            let state = holding.state_on(today);
            let outcome = check_registration(record.facts(), reference, holding, today);
            let mut problems = match &outcome {
                Ok(_) => vec![],
                Err(item_problems) => item_problems.clone(),
            };
            if state != ItemState::Registered {
                problems.extend(person_problems.iter().cloned());
            }
            problems.dedup();
            HeldItem {
                item: holding.item.clone(),
                state,
                valid_until: holding.registration.as_ref().map(|r| r.valid_until),
                registrable: outcome.is_ok() && person_problems.is_empty(),
                problems,
            }
        })
        .collect();
    if items.is_empty() {
        return None;
    }
    Some(InstitutionView {
        missing: record.person.details.missing(),
        items,
    })
}
