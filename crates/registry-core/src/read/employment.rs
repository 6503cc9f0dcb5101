//! Whether an institution employs a person: it actively holds at least one of their review
//! items (a released item no longer counts). An institution sees, registers and records
//! only for the people it employs; every other person answers exactly like one that does
//! not exist.

use crate::holding::{Employment, Holding};
use crate::ids::{InstitutionId, PersonId};
use crate::ports::{RegisterTx, StoreError};

/// The holdings of `institution` that are active (every state but released).
pub fn held_at(holdings: &[Holding], institution: InstitutionId) -> impl Iterator<Item = &Holding> {
    holdings
        .iter()
        .filter(move |h| h.institution == institution && h.state.is_active())
}

/// Who holds one of a person's items now, as seen by an institution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// No institution: the item is in the pool and may be employed.
    Nobody,
    /// This institution.
    This,
    /// Another institution (each item is held by one institution at a time).
    Another,
}

/// Who holds `item` of the person whose holdings these are, seen by `institution`.
pub fn holder_of(
    holdings: &[Holding],
    item: &crate::review_item::ReviewItemCode,
    institution: InstitutionId,
) -> Holder {
    match holdings
        .iter()
        .find(|h| &h.item == item && h.state.is_active())
    {
        None => Holder::Nobody,
        Some(h) if h.institution == institution => Holder::This,
        Some(_) => Holder::Another,
    }
}

/// Whether `institution` employs the person whose holdings these are.
pub fn employs(holdings: &[Holding], institution: InstitutionId) -> bool {
    held_at(holdings, institution).next().is_some()
}

/// The fill-in entry of a person through an institution, if it may be used: the
/// institution is active and employs the person. A disabled institution's entries, and the
/// entry of a person it released, are closed.
pub async fn open_entry<T: RegisterTx>(
    tx: &mut T,
    person: PersonId,
    institution: InstitutionId,
) -> Result<Option<Employment>, StoreError> {
    let Some(employment) = tx.employment(person, institution).await? else {
        return Ok(None);
    };
    let active = tx.institution(institution).await?.is_some_and(|i| i.active);
    if active && employs(&tx.holdings_of(person).await?, institution) {
        Ok(Some(employment))
    } else {
        Ok(None)
    }
}
