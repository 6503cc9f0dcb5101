//! The pool (无聘用单位人员): people with at least one qualified item that no institution
//! holds, who could still be registered, that is under the registration age limit today.

use time::Date;

use crate::cycle::Cycles;

/// The age (周岁) from which a person no longer appears in the pool on `today`: the
/// registration age limit of the policy in force (70).
pub fn pool_age_limit(cycles: &Cycles, today: Date) -> u32 {
    cycles.policy_at(today).registration_age_limit
}
