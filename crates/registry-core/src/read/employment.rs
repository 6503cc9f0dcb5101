//! Whether an institution employs a person: it actively holds at least one of their review
//! items (a released item no longer counts). An institution sees, registers and records
//! only for the people it employs; every other person answers exactly like one that does
//! not exist.
//!
//! What an institution may learn of a person it does not employ is decided here once
//! ([`sight`]): of a person in the public pool, what the pool shows (their name and the
//! items no institution holds); of anyone else, nothing — the same answer as for an id
//! that names nobody. (添加人员 looks a person up by name *and* whole ID number, which
//! only someone who knows the person has; that lookup shows each qualified item and
//! whether it is free.)
//!
//! The fill-in entry of a person through an institution is open only while the
//! institution is active and employs the person ([`entry_is_open`]); the edge checks it
//! on every request of an entry, and the use cases that close it end its sessions.

use time::Date;

use crate::cycle::Cycles;
use crate::holding::{Employment, Holding};
use crate::ids::{InstitutionId, PersonId};
use crate::institution::Institution;
use crate::ports::{RegisterTx, StoreError};
use crate::qualification::Qualification;
use crate::read::pool::in_pool;

/// The releases `institution` may still take back (撤销退回): its last holding of an item,
/// released on `today`, of an item nobody holds again since.
pub fn undoable_releases(
    holdings: &[Holding],
    institution: InstitutionId,
    today: Date,
) -> Vec<&Holding> {
    let mut out: Vec<&Holding> = Vec::new();
    for h in holdings.iter().filter(|h| h.institution == institution) {
        let last = holdings
            .iter()
            .filter(|o| o.institution == institution && o.item == h.item)
            .max_by_key(|o| o.id);
        let taken = holdings
            .iter()
            .any(|o| o.item == h.item && o.state.is_active());
        if last == Some(h)
            && h.state == crate::holding::ItemState::Released
            && h.released_on == Some(today)
            && !taken
        {
            out.push(h);
        }
    }
    out
}

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

/// What an institution may know of a person it names by id alone (聘用 from the pool,
/// 添加人员's employ after the lookup, the API's employ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sight {
    /// It employs the person: it sees each of their items, who holds it (this
    /// institution or another) and why one cannot be employed.
    Employer,
    /// The person is in the public pool: it sees what the pool shows to anyone, the
    /// qualified items no institution holds; any other item is simply not in the pool.
    Pool,
    /// Neither: the person answers exactly like an id that names nobody.
    Nothing,
}

/// What `institution` may know on `today` of the person born on `birth` with these
/// qualifications and holdings.
pub fn sight(
    institution: InstitutionId,
    birth: Date,
    qualifications: &[Qualification],
    holdings: &[Holding],
    cycles: &Cycles,
    today: Date,
) -> Sight {
    if employs(holdings, institution) {
        Sight::Employer
    } else if in_pool(birth, qualifications, holdings, cycles, today) {
        Sight::Pool
    } else {
        Sight::Nothing
    }
}

/// Whether a person's fill-in entry through `institution` (`None`: no such institution)
/// may be used: the institution is active and employs the person whose holdings these
/// are. A disabled institution's entries, and the entry of a person it no longer employs
/// in any item, are closed.
pub fn entry_is_open(institution: Option<&Institution>, holdings: &[Holding]) -> bool {
    institution.is_some_and(|i| i.active && employs(holdings, i.id))
}

/// The fill-in entry of a person through an institution, if it may be used
/// ([`entry_is_open`]).
pub async fn open_entry<T: RegisterTx>(
    tx: &mut T,
    person: PersonId,
    institution: InstitutionId,
) -> Result<Option<Employment>, StoreError> {
    let Some(employment) = tx.employment(person, institution).await? else {
        return Ok(None);
    };
    let institution = tx.institution(institution).await?;
    if entry_is_open(institution.as_ref(), &tx.holdings_of(person).await?) {
        Ok(Some(employment))
    } else {
        Ok(None)
    }
}
