//! A person as the institution that employs them sees them: each item it holds, in the
//! state of today, whether it can be registered now and every reason it cannot. The
//! institution's person page and the API's person answer render this, and nothing else
//! decides whether an item can be registered.

use time::Date;

use super::outlook::person_outlook;
use super::record::PersonRecord;
use crate::holding::ItemState;
use crate::ids::InstitutionId;
use crate::person::DetailField;
use crate::registration::Reference;
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

/// The person as `institution` sees them on `today` (the items it holds, from the
/// person's [`person_outlook`]), or `None` when the institution does not employ them
/// (exactly as when they do not exist).
pub fn institution_view(
    record: &PersonRecord,
    reference: Reference<'_>,
    institution: InstitutionId,
    today: Date,
) -> Option<InstitutionView> {
    let outlook = person_outlook(record, reference, today);
    let items: Vec<HeldItem> = outlook
        .held_by(institution)
        .map(|item| HeldItem {
            item: item.item.clone(),
            state: item.held.map_or(ItemState::Released, |h| h.state),
            valid_until: item.held.and_then(|h| h.valid_until),
            registrable: item.registrable(),
            problems: match &item.registration {
                Some(Err(problems)) => problems.clone(),
                _ => vec![],
            },
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
