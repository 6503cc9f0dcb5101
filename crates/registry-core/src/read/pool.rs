//! The pool (无聘用单位人员): people with at least one qualified item that no institution
//! holds, who could still be registered, that is under the registration age limit today.
//! The pool is public: anyone may search it, and an institution may employ from it.

use time::Date;

use crate::cycle::Cycles;
use crate::date::full_years;
use crate::holding::Holding;
use crate::qualification::Qualification;
use crate::review_item::ReviewItemCode;

/// The age (周岁) from which a person no longer appears in the pool on `today`: the
/// registration age limit of the policy in force (70).
pub fn pool_age_limit(cycles: &Cycles, today: Date) -> u32 {
    cycles.policy_at(today).registration_age_limit
}

/// The person's qualified items that no institution holds (every holding of them released
/// or none ever made): what the pool shows of them.
pub fn pooled_items<'a>(
    qualifications: &'a [Qualification],
    holdings: &'a [Holding],
) -> impl Iterator<Item = &'a ReviewItemCode> {
    qualifications.iter().map(|q| &q.item).filter(|item| {
        !holdings
            .iter()
            .any(|h| &h.item == *item && h.state.is_active())
    })
}

/// Whether a person born on `birth` is too old on `today` to appear in the pool (and to be
/// employed): the registration age limit in force. `Some(limit)` when too old.
pub fn over_pool_age(birth: Date, cycles: &Cycles, today: Date) -> Option<u32> {
    let limit = pool_age_limit(cycles, today);
    (full_years(birth, today) >= limit).then_some(limit)
}

/// Whether the person appears in the pool on `today`: under the age limit, with at least
/// one qualified item that no institution holds (the rule the store's pool search states
/// in SQL).
pub fn in_pool(
    birth: Date,
    qualifications: &[Qualification],
    holdings: &[Holding],
    cycles: &Cycles,
    today: Date,
) -> bool {
    over_pool_age(birth, cycles, today).is_none()
        && pooled_items(qualifications, holdings).next().is_some()
}
