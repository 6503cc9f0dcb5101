//! The credentials' policies: how long an account password lasts and which earlier ones
//! it may not repeat, and who needs a second factor (TOTP) besides it (GB/T 22239-2019
//! 8.1.4.1). The arithmetic of codes and hashes is the edge's; these are the rules.
//! Re-exported by [`crate::access`].

use std::fmt;

/// Who must log in with a second factor besides the password (GB/T 22239-2019 8.1.4.1 d:
/// two or more authentication techniques for administrators).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecondFactorPolicy {
    /// The association's administrators, whatever their duty.
    pub administrators: bool,
}

impl Default for SecondFactorPolicy {
    /// Required of every administrator; of an institution's account where the security
    /// administrator requires it.
    fn default() -> Self {
        SecondFactorPolicy {
            administrators: true,
        }
    }
}

/// A second factor being set up: the TOTP secret (RFC 6238: 20 random bytes, HMAC-SHA1,
/// 30-second steps, 6 digits) and the hashes of the one-time recovery codes. The secret is
/// sealed by storage with the data key; the codes are shown once and only their hashes
/// kept.
#[derive(Clone, PartialEq, Eq)]
pub struct SecondFactor {
    /// The shared secret.
    pub secret: Vec<u8>,
    /// The recovery codes' hashes.
    pub recovery_hashes: Vec<String>,
}

impl fmt::Debug for SecondFactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SecondFactor(…, {} recovery codes)",
            self.recovery_hashes.len()
        )
    }
}

/// Why a password must be changed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordDue {
    /// Generated or reset by an administrator: only the holder may know their password.
    SetBySomeoneElse,
    /// Older than the policy allows, since this day.
    Expired {
        /// The first day it was expired.
        since: time::Date,
    },
}

/// How long an account password lasts and how many earlier ones it may not repeat (GB/T
/// 22239-2019 8.1.4.1: passwords changed periodically). Machine tokens, when the register
/// has them, do not expire this way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Days a password lasts; 0: for ever.
    pub max_age_days: u32,
    /// How many of the latest passwords (the current one included) a new one may not repeat.
    pub remembered: u32,
    /// Days before the end from which the pages say that it is coming.
    pub warn_days: u32,
}

impl Default for PasswordPolicy {
    /// 90 days, not one of the last 5, told 14 days ahead.
    fn default() -> Self {
        PasswordPolicy {
            max_age_days: 90,
            remembered: 5,
            warn_days: 14,
        }
    }
}

/// Where a password stands in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordAge {
    /// Nothing to say.
    Fresh,
    /// It expires at the start of `on` (the last usable day is the day before).
    ExpiresSoon {
        /// The first day it is expired.
        on: time::Date,
        /// Days left until then.
        days: i64,
    },
    /// Expired since this day.
    Expired {
        /// The first day it was expired.
        since: time::Date,
    },
}

impl PasswordPolicy {
    /// The age of a password set on `changed_on`, today.
    pub fn age(&self, changed_on: time::Date, today: time::Date) -> PasswordAge {
        if self.max_age_days == 0 {
            return PasswordAge::Fresh;
        }
        let ends = changed_on.saturating_add(time::Duration::days(i64::from(self.max_age_days)));
        let days = (ends - today).whole_days();
        if days <= 0 {
            PasswordAge::Expired { since: ends }
        } else if days <= i64::from(self.warn_days) {
            PasswordAge::ExpiresSoon { on: ends, days }
        } else {
            PasswordAge::Fresh
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Account, AccountId, Duty, PasswordHash, Role, Username};

    #[test]
    fn passwords_last_ninety_days_and_say_so_two_weeks_ahead() {
        let policy = PasswordPolicy::default();
        let set = time::macros::date!(2026 - 01 - 01);
        let on = |d: time::Date| policy.age(set, d);
        assert_eq!(on(time::macros::date!(2026 - 03 - 17)), PasswordAge::Fresh);
        assert_eq!(
            on(time::macros::date!(2026 - 03 - 18)),
            PasswordAge::ExpiresSoon {
                on: time::macros::date!(2026 - 04 - 01),
                days: 14
            }
        );
        assert_eq!(
            on(time::macros::date!(2026 - 03 - 31)),
            PasswordAge::ExpiresSoon {
                on: time::macros::date!(2026 - 04 - 01),
                days: 1
            }
        );
        let expired = PasswordAge::Expired {
            since: time::macros::date!(2026 - 04 - 01),
        };
        assert_eq!(on(time::macros::date!(2026 - 04 - 01)), expired);
        assert_eq!(on(time::macros::date!(2027 - 01 - 01)), expired);
        let never = PasswordPolicy {
            max_age_days: 0,
            ..policy
        };
        assert_eq!(
            never.age(set, time::macros::date!(2036 - 01 - 01)),
            PasswordAge::Fresh
        );
        let account = |must: bool, on: Option<time::Date>| Account {
            id: AccountId::new(1),
            username: Username::parse("jia").unwrap(),
            role: Role::Association(Duty::System),
            password: PasswordHash::new(String::new()),
            active: true,
            must_change_password: must,
            password_changed_on: on,
            second_factor_required: false,
            second_factor_enrolled: false,
            version: 1,
        };
        let today = time::macros::date!(2026 - 05 - 01);
        assert_eq!(
            account(true, Some(today)).password_change_due(today, &policy),
            Some(PasswordDue::SetBySomeoneElse)
        );
        assert_eq!(
            account(false, Some(set)).password_change_due(today, &policy),
            Some(PasswordDue::Expired {
                since: time::macros::date!(2026 - 04 - 01)
            })
        );
        assert_eq!(
            account(false, None).password_change_due(today, &policy),
            None
        );
        assert_eq!(
            account(false, Some(today)).password_change_due(today, &policy),
            None
        );
    }
}
