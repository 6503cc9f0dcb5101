//! Accounts and the rules of access: who logs in (the association's administrators and one
//! account per institution; assessors have no account), what a password must be, and how
//! many wrong passwords are tolerated.
//!
//! The core never sees a password in clear beyond [`NewPassword::parse`], which checks
//! its strength; hashing and verifying are the edge's work (argon2id), and only hashes are
//! stored.

use std::fmt;

pub use crate::credentials::{
    PasswordAge, PasswordDue, PasswordPolicy, SecondFactor, SecondFactorPolicy,
};
use crate::ids::InstitutionId;
use crate::violation::{Violation, Violations, ok_or_violations};

/// Identifies an account.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct AccountId(i64);

impl AccountId {
    /// Wraps a value that storage assigned.
    pub const fn new(value: i64) -> Self {
        AccountId(value)
    }

    /// The stored value.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A login name: 3–32 characters of `a`–`z`, `0`–`9`, `.`, `_` and `-`, starting with a
/// letter; case does not matter (stored in lower case).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

impl Username {
    /// Parses a login name.
    pub fn parse(input: &str) -> Result<Username, Violation> {
        let name = input.trim().to_ascii_lowercase();
        let (field, label) = ("username", "用户名");
        if name.is_empty() {
            return Err(Violation::Missing { field, label });
        }
        let ok = (3..=32).contains(&name.len())
            && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && name.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
            });
        if ok {
            Ok(Username(name))
        } else {
            Err(Violation::BadFormat {
                field,
                label,
                expected: "应为3至32位小写字母、数字或“. _ -”，以字母开头",
            })
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Username({})", self.0)
    }
}

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// An administrator of the association (促进会), with one of the three separated duties.
    Association(Duty),
    /// The account of one institution.
    Institution(InstitutionId),
}

impl Role {
    /// Whether the account may do this work of the association. An institution's account
    /// does none of it (its own workspace is its institution's).
    pub fn may(self, work: Work) -> bool {
        matches!(self, Role::Association(duty) if duty.work() == work)
    }

    /// The administrator's duty, for an association account.
    pub fn duty(self) -> Option<Duty> {
        match self {
            Role::Association(duty) => Some(duty),
            Role::Institution(_) => None,
        }
    }
}

/// The three separated administrators of the association (三员分立, GB/T 22239-2019
/// 8.1.4.2 / 8.1.10): no one account both runs the register, grants access and reads the
/// trail of what was done. Each duty does exactly one [`Work`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Duty {
    /// 系统管理员: the daily work of the register — institutions, exam results, cycles,
    /// the calendar, courses, imports and exports, certificates and cards.
    System,
    /// 安全管理员: accounts — the administrators and their duties, institutions' logins,
    /// password resets, lifting lockouts, the password and lockout policy.
    Security,
    /// 审计管理员: reads and exports the audit log and the state of its chain; changes
    /// nothing.
    Audit,
}

impl Duty {
    /// Every duty, in the order the pages list them.
    pub const ALL: [Duty; 3] = [Duty::System, Duty::Security, Duty::Audit];

    /// The stored and command-line code: `system`, `security`, `audit`.
    pub fn code(self) -> &'static str {
        match self {
            Duty::System => "system",
            Duty::Security => "security",
            Duty::Audit => "audit",
        }
    }

    /// Parses [`Duty::code`].
    pub fn parse(code: &str) -> Option<Duty> {
        Duty::ALL.into_iter().find(|d| d.code() == code.trim())
    }

    /// The name the pages show.
    pub fn label(self) -> &'static str {
        match self {
            Duty::System => "系统管理员",
            Duty::Security => "安全管理员",
            Duty::Audit => "审计管理员",
        }
    }

    /// The one work this duty does.
    pub fn work(self) -> Work {
        match self {
            Duty::System => Work::Register,
            Duty::Security => Work::Accounts,
            Duty::Audit => Work::AuditTrail,
        }
    }
}

/// The duties none of `held` is (the duties of the active administrators): the separation
/// needs one administrator of each, so the pages and `registry serve` name what is missing.
pub fn vacant_duties(held: impl IntoIterator<Item = Duty>) -> Vec<Duty> {
    let held: Vec<Duty> = held.into_iter().collect();
    Duty::ALL
        .into_iter()
        .filter(|duty| !held.contains(duty))
        .collect()
}

/// The association's work, split among the [`Duty`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Work {
    /// The register itself: everything the association records, decides and issues.
    Register,
    /// Who may log in, with which duty, and the lifting of lockouts.
    Accounts,
    /// Reading and exporting the audit log.
    AuditTrail,
}

/// The hash of an account password (a PHC string, `$argon2id$…`).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a hash computed by the edge.
    pub fn new(hash: String) -> PasswordHash {
        PasswordHash(hash)
    }

    /// The hash.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(…)")
    }
}

/// An account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The identifier.
    pub id: AccountId,
    /// The login name.
    pub username: Username,
    /// What it may do.
    pub role: Role,
    /// The password's hash.
    pub password: PasswordHash,
    /// A disabled account cannot log in.
    pub active: bool,
    /// The password was set by someone else (or generated) and must be changed at the
    /// next login.
    pub must_change_password: bool,
    /// The day (in China) the password was last set; none for an account written by a
    /// version of the register that did not record it (it then never expires until the
    /// next change).
    pub password_changed_on: Option<time::Date>,
    /// The association requires a second factor of this (institution's) account;
    /// administrators need one by their role ([`SecondFactorPolicy`]).
    pub second_factor_required: bool,
    /// A second factor (TOTP) is set up.
    pub second_factor_enrolled: bool,
    /// The optimistic-lock version.
    pub version: i64,
}

impl Account {
    /// Whether a login of this account needs a second factor (and, until one is set up,
    /// can do nothing but set it up).
    pub fn second_factor_required(&self, policy: &SecondFactorPolicy) -> bool {
        match self.role {
            Role::Association(_) => policy.administrators,
            Role::Institution(_) => self.second_factor_required,
        }
    }

    /// Whether the account must change its password before anything else today, and why.
    pub fn password_change_due(
        &self,
        today: time::Date,
        policy: &PasswordPolicy,
    ) -> Option<PasswordDue> {
        if self.must_change_password {
            return Some(PasswordDue::SetBySomeoneElse);
        }
        match policy.age(self.password_changed_on?, today) {
            PasswordAge::Expired { since } => Some(PasswordDue::Expired { since }),
            PasswordAge::Fresh | PasswordAge::ExpiresSoon { .. } => None,
        }
    }
}

/// Passwords too common to allow (`fixtures/common-passwords.txt`: the most common ones of
/// the leaked-password lists that the other rules would let through, and the first choices
/// of a Chinese office), lower case.
const COMMON_LIST: &str = include_str!("../../../fixtures/common-passwords.txt");

/// Whether a (lower-cased) password is on the list of common ones.
fn is_common(lower: &str) -> bool {
    static COMMON: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
        std::sync::LazyLock::new(|| {
            COMMON_LIST
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .collect()
        });
    COMMON.contains(lower)
}

/// The longest run of one character a password may hold (`aaaa` is refused).
const MAX_RUN: usize = 3;

/// The longest stretch of a keyboard row or of the alphabet or digits, forwards or
/// backwards, a password may hold (`qwert`, `12345`, `edcba` are refused).
const MAX_SEQUENCE: usize = 4;

/// The fewest different characters a password must have (`abababab12` is refused).
const MIN_DISTINCT: usize = 5;

/// The rows a guesser walks: the keyboard's, the alphabet and the digits.
const SEQUENCES: [&str; 5] = [
    "1234567890",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "abcdefghijklmnopqrstuvwxyz",
];

/// Whether a (lower-cased) password repeats one character more than [`MAX_RUN`] times in
/// a row.
fn has_long_run(lower: &str) -> bool {
    let chars: Vec<char> = lower.chars().collect();
    chars
        .windows(MAX_RUN + 1)
        .any(|w| w.first().is_some_and(|first| w.iter().all(|c| c == first)))
}

/// Whether a (lower-cased) password holds more than [`MAX_SEQUENCE`] characters of one of
/// the [`SEQUENCES`], in order or reversed.
fn has_sequence(lower: &str) -> bool {
    let chars: Vec<char> = lower.chars().collect();
    chars.windows(MAX_SEQUENCE + 1).any(|w| {
        let forwards: String = w.iter().collect();
        let backwards: String = w.iter().rev().collect();
        SEQUENCES
            .iter()
            .any(|row| row.contains(&forwards) || row.contains(&backwards))
    })
}

/// A new account password that meets the strength rule: 8–64 characters, letters and
/// digits both present, not one of the most common passwords, not containing the login
/// name, no character four times in a row, no keyboard or alphabet walk of five, at least
/// five different characters.
pub struct NewPassword(String);

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

impl NewPassword {
    /// Checks a password chosen for the account `username`; every failure is reported.
    pub fn parse(password: &str, username: &Username) -> Result<NewPassword, Violations> {
        let (field, label) = ("new_password", "新密码");
        let mut problems = Vec::new();
        let length = password.chars().count();
        if !(8..=64).contains(&length) {
            problems.push(Violation::BadFormat {
                field,
                label,
                expected: "长度应为8至64个字符",
            });
        }
        let letters = password.chars().any(|c| c.is_alphabetic());
        let digits = password.chars().any(|c| c.is_ascii_digit());
        if !(letters && digits) {
            problems.push(Violation::BadFormat {
                field,
                label,
                expected: "应同时包含字母和数字",
            });
        }
        let lower = password.to_lowercase();
        if is_common(&lower) {
            problems.push(Violation::BadFormat {
                field,
                label,
                expected: "过于常见，请换一个",
            });
        }
        if lower.contains(username.as_str()) {
            problems.push(Violation::BadFormat {
                field,
                label,
                expected: "不能包含用户名",
            });
        }
        if has_long_run(&lower) {
            problems.push(Violation::BadFormat {
                field,
                label,
                expected: "不能有同一字符连续出现4次或以上（如 aaaa、1111）",
            });
        }
        if has_sequence(&lower) {
            problems.push(Violation::BadFormat {
                field,
                label,
                expected: "不能含有5位或以上的连续字母、数字或键盘顺序（如 12345、abcde、qwert）",
            });
        }
        let mut distinct: Vec<char> = lower.chars().collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < MIN_DISTINCT {
            problems.push(Violation::BadFormat {
                field,
                label,
                expected: "至少应包含5个不同的字符",
            });
        }
        if password.chars().any(char::is_control) {
            problems.push(Violation::BadCharacter { field, label });
        }
        ok_or_violations(NewPassword(password.to_owned()), problems)
    }

    /// The password, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// How many wrong passwords a login tolerates, and a client address over every login and
/// fill-in entry (a fill-in entry's own limits: [`FillInLockout`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures allowed for one account within the window.
    pub per_subject: u32,
    /// Failures allowed from one client address within the window.
    pub per_client: u32,
    /// The window, which is also how long a lock lasts, in minutes.
    pub window_minutes: u32,
}

impl LockoutPolicy {
    /// Whether a window of failures that began at `since` is still current at `now`.
    pub fn counts(&self, since: time::OffsetDateTime, now: time::OffsetDateTime) -> bool {
        self.lock_ends(since) > now
    }

    /// When a window of failures that began at `since` ends, and its lock with it.
    pub fn lock_ends(&self, since: time::OffsetDateTime) -> time::OffsetDateTime {
        since + time::Duration::minutes(i64::from(self.window_minutes))
    }

    /// Whether this count of one account's failures, just counted, is the first refused one:
    /// the moment its lock begins (kept in the audit chain once, not at every refusal).
    pub fn locks_now(&self, failures: u32) -> bool {
        failures == self.per_subject + 1
    }

    /// Whether `failures` counted against one account's name since `since` keep it from
    /// logging in at `now` (the next attempt would be refused unchecked).
    pub fn locks_subject(
        &self,
        failures: u32,
        since: time::OffsetDateTime,
        now: time::OffsetDateTime,
    ) -> bool {
        failures >= self.per_subject && self.counts(since, now)
    }
}

impl Default for LockoutPolicy {
    /// 5 failures per account or person and 30 per client address in 15 minutes (GB/T
    /// 22239 practice: lock after 5 failures for 10–30 minutes; never a permanent lock
    /// that anyone could trigger).
    fn default() -> Self {
        LockoutPolicy {
            per_subject: 5,
            per_client: 30,
            window_minutes: 15,
        }
    }
}

/// How many wrong fill-in passwords an assessor's entry tolerates, and from whom.
///
/// The entry's one secret is a generated password (about 58 bits), and its name and
/// institution are public, so guesses must be limited; but a limit on the entry alone lets
/// any stranger keep the right person out by guessing wrong every window. So the guesses
/// are counted per (entry, client address) — a stranger locks out only their own address —
/// under a ceiling per entry over all addresses that bounds what many addresses together
/// may guess. Past the ceiling the entry waits for the ceiling's window to end, or for its
/// institution to lift the lock ([`crate::usecases::UnlockFillInEntry`]). Every client
/// address is also held to [`LockoutPolicy::per_client`] over every entry and login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillInLockout {
    /// Guesses allowed at one entry from one client address within the window.
    pub per_client: u32,
    /// That window, which is also how long such a lock lasts, in minutes.
    pub window_minutes: u32,
    /// Guesses allowed at one entry from all addresses together within the ceiling's window.
    pub per_entry: u32,
    /// The ceiling's window, in hours (at most 24: older counters are purged).
    pub ceiling_hours: u32,
}

impl Default for FillInLockout {
    /// 5 guesses per entry and client address in 15 minutes (GB/T 22239 practice), 50 per
    /// entry in 24 hours from every address together: against a generated password (10
    /// characters of 56, about 58 bits) 50 guesses a day have a chance below 10⁻¹⁵ a day.
    fn default() -> Self {
        FillInLockout {
            per_client: 5,
            window_minutes: 15,
            per_entry: 50,
            ceiling_hours: 24,
        }
    }
}

/// How long a login lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused for this many minutes ends.
    pub idle_minutes: u32,
    /// A session ends this many minutes after login, used or not.
    pub absolute_minutes: u32,
    /// An assessor's fill-in entry, once unlocked, stays open this many minutes unused.
    pub assessor_idle_minutes: u32,
}

impl Default for SessionPolicy {
    /// 30 minutes idle, 12 hours absolute, 20 minutes for an assessor's entry.
    fn default() -> Self {
        SessionPolicy {
            idle_minutes: 30,
            absolute_minutes: 12 * 60,
            assessor_idle_minutes: 20,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_duty_does_one_work_and_institutions_none() {
        for duty in Duty::ALL {
            assert_eq!(Duty::parse(duty.code()), Some(duty));
            let role = Role::Association(duty);
            let works = [Work::Register, Work::Accounts, Work::AuditTrail];
            let allowed: Vec<Work> = works.into_iter().filter(|w| role.may(*w)).collect();
            assert_eq!(allowed, [duty.work()], "{duty:?}");
        }
        let institution = Role::Institution(InstitutionId::new(1));
        for work in [Work::Register, Work::Accounts, Work::AuditTrail] {
            assert!(!institution.may(work));
        }
        assert_eq!(Duty::parse("root"), None);
        assert_eq!(
            vacant_duties([Duty::Audit, Duty::System, Duty::Audit]),
            [Duty::Security]
        );
        let lockout = LockoutPolicy::default();
        assert!(!lockout.locks_now(5) && lockout.locks_now(6) && !lockout.locks_now(7));
    }

    #[test]
    fn usernames() {
        assert_eq!(
            Username::parse(" FJ-Center ").unwrap().as_str(),
            "fj-center"
        );
        for bad in ["ab", "1abc", "中文名", "a b c", &"a".repeat(33)] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_strength() {
        let user = Username::parse("fjcenter").unwrap();
        assert!(NewPassword::parse("Tezhong2026", &user).is_ok());
        let codes = |p: &str| {
            NewPassword::parse(p, &user)
                .map(|_| vec![])
                .unwrap_or_else(|v| v.as_slice().iter().map(|v| v.to_string()).collect())
        };
        assert_eq!(
            codes("abc"),
            [
                "“新密码”格式不正确：长度应为8至64个字符",
                "“新密码”格式不正确：应同时包含字母和数字",
                "“新密码”格式不正确：至少应包含5个不同的字符"
            ]
        );
        assert_eq!(
            codes("Password123"),
            ["“新密码”格式不正确：过于常见，请换一个"]
        );
        assert_eq!(
            codes("fjcenter2026"),
            ["“新密码”格式不正确：不能包含用户名"]
        );
        assert_eq!(
            codes("88888888"),
            [
                "“新密码”格式不正确：应同时包含字母和数字",
                "“新密码”格式不正确：不能有同一字符连续出现4次或以上（如 aaaa、1111）",
                "“新密码”格式不正确：至少应包含5个不同的字符"
            ]
        );
        // Runs, walks and few characters, whatever the length.
        assert_eq!(
            codes("aaaaaaaaaaaa1"),
            [
                "“新密码”格式不正确：不能有同一字符连续出现4次或以上（如 aaaa、1111）",
                "“新密码”格式不正确：至少应包含5个不同的字符"
            ]
        );
        let walk = [
            "“新密码”格式不正确：不能含有5位或以上的连续字母、数字或键盘顺序（如 12345、abcde、qwert）",
        ];
        for sequence in [
            "Tz12345xy",
            "Tz98765xy",
            "qwertY2026",
            "2026Lkjhg",
            "Abcdef2026",
        ] {
            assert_eq!(codes(sequence), walk, "{sequence}");
        }
        assert_eq!(
            codes("abab1212ab"),
            ["“新密码”格式不正确：至少应包含5个不同的字符"]
        );
        // Four of a walk, three of a kind: still a password.
        for fine in ["Tz1234xy7", "Qwer2026kz", "Taaa2026", "Tezhong2026"] {
            assert!(codes(fine).is_empty(), "{fine}");
        }
        // The leaked-password list, whatever the case, and the office favourites.
        for common in ["1qaz2wsx", "QWER1234", "trustno1", "Woaini1314"] {
            assert_eq!(
                codes(common),
                ["“新密码”格式不正确：过于常见，请换一个"],
                "{common}"
            );
        }
        // Every entry of the list is one the other rules would let through (none is dead
        // weight), and there are thousands.
        let entries: Vec<&str> = COMMON_LIST
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        assert!(entries.len() > 4_000, "{}", entries.len());
        for entry in entries {
            assert!(
                (8..=64).contains(&entry.chars().count())
                    && entry.chars().any(char::is_alphabetic)
                    && entry.chars().any(|c| c.is_ascii_digit())
                    && entry == entry.to_lowercase(),
                "{entry}"
            );
        }
        assert_eq!(
            format!("{:?}", NewPassword::parse("Tezhong2026", &user).unwrap()),
            "NewPassword(…)"
        );
    }
}
