//! Who may act: logins of accounts, the change of one's own password, and the assessor's
//! fill-in entry, each behind the lockout of password checks. The pages and the API both
//! call these; they only render the outcome.
//!
//! The lockout: every attempt is counted in the database, under its subject (the account)
//! and its client address, *before* its password is checked, in one statement each.
//! Attempts sent all at once are therefore counted all at once: at most the policy's number
//! of them get their password checked in a window, however many arrive together and on
//! however many server instances. A success forgets the subject's failures and gives the
//! client its attempt back; a failure stays counted.
//!
//! A fill-in entry is counted the same way under three keys, in this order: the client
//! address (over every entry and login), the (entry, client address), and the entry from
//! every address (its ceiling, over a longer window): see
//! [`registry_core::access::FillInLockout`]. A stranger
//! guessing from one address locks out that address only; many addresses together meet
//! the ceiling, which only the window's end or the institution's unlock lifts. An attempt
//! refused by one key is not counted under the next.
//!
//! Every attempt is logged (target `registry::security`). An unknown account or entry
//! costs the same argon2 verification as a known one, and is answered the same way.

use registry_core::access::{Account, NewPassword, PasswordHash, Role, Username};
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::ports::{Actor, RegisterTx, StoreError};
use registry_core::read::employment::open_entry;
use registry_core::usecases::SetAccountPassword;
use registry_store::sessions::{SessionSubject, fill_in_client_key, fill_in_entry_key};

use crate::AppState;
use crate::errors::messages_of;
use crate::secrets::{hash_password, new_token, token_hash, verify_password};

/// Who acts, for the audit log, when an account acts.
pub(crate) fn actor_of(account: &Account) -> Actor {
    match account.role {
        Role::Association(_) => Actor::Association {
            account: account.username.as_str().to_owned(),
        },
        Role::Institution(id) => Actor::Institution {
            id,
            account: account.username.as_str().to_owned(),
        },
    }
}

/// Keeps a security event in the audit chain (its log line is written where it happens):
/// a login that succeeded, or a login name locked (its first refusal).
pub(crate) async fn record_security_event(
    state: &AppState,
    account: &Account,
    event: registry_core::usecases::SecurityEvent,
    client: &str,
) -> Result<(), StoreError> {
    let actor = match event {
        registry_core::usecases::SecurityEvent::LoggedIn { .. } => actor_of(account),
        registry_core::usecases::SecurityEvent::LockedOut => Actor::System {
            job: "lockout".into(),
        },
    };
    state
        .run(
            actor,
            &registry_core::usecases::RecordSecurityEvent {
                account: account.id,
                event,
                client: client.to_owned(),
            },
        )
        .await
        .map_err(|e| StoreError::Unexpected(e.to_string()))
}

/// Records the lock of a login name in the chain when this refusal is its first (the
/// count just passed the policy's) and the name is an account's.
pub(crate) async fn record_lock_if_new(
    state: &AppState,
    username: &Username,
    client: &str,
) -> Result<(), StoreError> {
    let policy = state.config.lockout;
    let window = time::Duration::minutes(i64::from(policy.window_minutes));
    let now = state.clock.now();
    let failures = state
        .store
        .failures(&registry_store::sessions::login_key(username), now, window)
        .await?;
    if policy.locks_now(failures.count)
        && let Some(account) = state.store.account_by_username(username).await?
    {
        record_security_event(
            state,
            &account,
            registry_core::usecases::SecurityEvent::LockedOut,
            client,
        )
        .await?;
    }
    Ok(())
}

/// Minutes until `until`, at least one, for "try again in N minutes".
pub(crate) fn minutes_until(until: time::OffsetDateTime, now: time::OffsetDateTime) -> i64 {
    ((until - now).whole_seconds() + 59).div_euclid(60).max(1)
}

/// An attempt admitted to a password check.
pub(crate) struct Attempt {
    subject: String,
    client: String,
}

/// Counts an attempt on `subject` from `client` and admits it, or says for how many
/// minutes it is locked (`Err`). The client is counted first: once its address is locked,
/// nothing more is written for it, whatever subject it names.
pub(crate) async fn admit(
    state: &AppState,
    subject: String,
    client: &str,
) -> Result<Result<Attempt, i64>, StoreError> {
    let now = state.clock.now();
    let policy = state.config.lockout;
    let window = time::Duration::minutes(i64::from(policy.window_minutes));
    let client = format!("client:{client}");
    let by_client = state.store.add_to_count(&client, 1, now, window).await?;
    if by_client.count > policy.per_client {
        return Ok(Err(minutes_until(by_client.window_ends, now)));
    }
    let by_subject = state.store.add_to_count(&subject, 1, now, window).await?;
    if by_subject.count > policy.per_subject {
        return Ok(Err(minutes_until(by_subject.window_ends, now)));
    }
    Ok(Ok(Attempt { subject, client }))
}

/// The name a login offered, as it is counted and logged: a well-formed name as itself
/// (at most 32 characters of `a-z 0-9 . _ -`), anything else only by its length. Nothing a
/// stranger types reaches a counter's key or a log line unparsed.
pub(crate) enum OfferedName {
    /// A name that could be an account's (whether or not one has it).
    WellFormed(Username),
    /// Not a name any account can have.
    Malformed {
        /// Its length in bytes.
        bytes: usize,
    },
}

/// How the log shows it: a name quoted, a malformed one as its length only.
impl std::fmt::Debug for OfferedName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OfferedName::WellFormed(name) => write!(f, "{:?}", name.as_str()),
            OfferedName::Malformed { bytes } => write!(f, "<malformed, {bytes} bytes>"),
        }
    }
}

impl OfferedName {
    pub(crate) fn parse(input: &str) -> OfferedName {
        match Username::parse(input) {
            Ok(name) => OfferedName::WellFormed(name),
            Err(_) => OfferedName::Malformed { bytes: input.len() },
        }
    }

    /// The lockout's subject. A well-formed name is counted under itself, known or not
    /// (an unknown name locking differently from a known one would tell a stranger which
    /// accounts exist); malformed names share one bucket per client address.
    fn subject(&self, client: &str) -> String {
        match self {
            OfferedName::WellFormed(name) => registry_store::sessions::login_key(name),
            OfferedName::Malformed { .. } => format!("login-malformed:{client}"),
        }
    }
}

impl Attempt {
    /// The password was right.
    pub(crate) async fn succeeded(self, state: &AppState) -> Result<(), StoreError> {
        state.store.clear_failures(&self.subject).await?;
        state.store.release_count(&self.client).await
    }
}

/// The outcome of checking a login's credentials.
pub(crate) enum LoginOutcome {
    /// The account, which may log in.
    Success(Box<Account>),
    /// Wrong name or password (or a disabled account): one message for all.
    Wrong,
    /// Too many failures: try again in this many minutes.
    Locked(i64),
}

/// Checks credentials with the lockout rules; records failures; logs every attempt.
pub(crate) async fn check_login(
    state: &AppState,
    client: &str,
    username: &str,
    password: String,
) -> Result<LoginOutcome, StoreError> {
    let name = OfferedName::parse(username);
    let attempt = match admit(state, name.subject(client), client).await? {
        Ok(attempt) => attempt,
        Err(minutes) => {
            tracing::warn!(target: "registry::security", username = ?name, client, "login refused: locked");
            if let OfferedName::WellFormed(username) = &name {
                record_lock_if_new(state, username, client).await?;
            }
            return Ok(LoginOutcome::Locked(minutes));
        }
    };
    let account = match &name {
        OfferedName::WellFormed(username) => state.store.account_by_username(username).await?,
        OfferedName::Malformed { .. } => None,
    };
    let verified = verify_password(
        password,
        account.as_ref().map(|a| a.password.as_str().to_owned()),
    )
    .await;
    let usable = match &account {
        Some(account) if verified && account.active => match account.role {
            Role::Association(_) => true,
            Role::Institution(id) => {
                let mut tx = state.store.begin_read().await?;
                tx.institution(id).await?.is_some_and(|i| i.active)
            }
        },
        _ => false,
    };
    match account {
        Some(account) if usable => {
            // With a second factor the login is not over: the attempt stays counted until
            // the code is right, so that the known password cannot be typed again and
            // again to clear the count of wrong codes.
            if !account.second_factor_enrolled {
                attempt.succeeded(state).await?;
            }
            tracing::info!(target: "registry::security", username = ?name, client, "login succeeded");
            Ok(LoginOutcome::Success(Box::new(account)))
        }
        _ => {
            tracing::warn!(target: "registry::security", username = ?name, client, "login failed");
            Ok(LoginOutcome::Wrong)
        }
    }
}

/// Starts a session for the account and returns its cookie token; the login is kept in
/// the audit chain (`account.login`).
pub(crate) async fn start_session(
    state: &AppState,
    account: &Account,
    client: &str,
) -> Result<String, StoreError> {
    let token = new_token().map_err(|e| StoreError::Unexpected(e.to_string()))?;
    state
        .store
        .create_session(
            &token_hash(&token),
            SessionSubject::Account(account.id),
            state.clock.now(),
        )
        .await?;
    record_security_event(
        state,
        account,
        registry_core::usecases::SecurityEvent::LoggedIn {
            second_factor: account.second_factor_enrolled,
        },
        client,
    )
    .await?;
    Ok(token)
}

/// Whether `typed` is the account's current code (each step once) or one of its unused
/// recovery codes (each once).
pub(crate) async fn right_code(
    state: &AppState,
    account: &Account,
    typed: &str,
) -> Result<bool, StoreError> {
    let now = state.clock.now();
    if let Some(code) = crate::totp::recovery_form(typed) {
        let used = state
            .store
            .use_recovery_code(account.id, &crate::totp::recovery_hash(&code), now)
            .await?;
        if used {
            tracing::warn!(target: "registry::security", username = account.username.as_str(), "second factor: a recovery code used");
        }
        return Ok(used);
    }
    let Some(secret) = state.store.totp_secret(account.id).await? else {
        return Ok(false);
    };
    match crate::totp::matching_step(&secret, typed, now) {
        Some(step) => state.store.accept_totp_step(account.id, step).await,
        None => Ok(false),
    }
}

/// Changes the password of the logged-in account: the current one verified (under the
/// login's lockout: a borrowed session cannot guess it), the new one checked by the core's
/// strength rule and different from the current one; in the same transaction, every other
/// session of the account ends. Returns every reason it was refused (none: changed).
pub(crate) async fn set_own_password(
    state: &AppState,
    account: &Account,
    session: &str,
    client: &str,
    current: String,
    new: &str,
    repeat: Option<&str>,
) -> Result<Vec<String>, StoreError> {
    let mut errors = Vec::new();
    let name = &account.username;
    let attempt = match admit(state, registry_store::sessions::login_key(name), client).await? {
        Ok(attempt) => attempt,
        Err(minutes) => {
            tracing::warn!(target: "registry::security", username = name.as_str(), client, "password change refused: locked");
            return Ok(vec![format!(
                "当前密码错误次数过多，请 {minutes} 分钟后再试"
            )]);
        }
    };
    let same = current == new;
    if verify_password(current, Some(account.password.as_str().to_owned())).await {
        attempt.succeeded(state).await?;
    } else {
        tracing::warn!(target: "registry::security", username = name.as_str(), client, "password change: current password wrong");
        errors.push("当前密码不正确".to_owned());
    }
    if same {
        errors.push("新密码不能与当前密码相同".to_owned());
    }
    if let Err(v) = NewPassword::parse(new, &account.username) {
        errors.extend(v.as_slice().iter().map(ToString::to_string));
    }
    // Not one of the latest passwords (the current one is checked above).
    let policy = state.config.passwords;
    if !same && policy.remembered > 1 {
        let earlier = state
            .store
            .earlier_passwords(account.id, policy.remembered - 1)
            .await?;
        for hash in earlier {
            if verify_password(new.to_owned(), Some(hash.as_str().to_owned())).await {
                errors.push(
                    registry_core::violation::Violation::PasswordReused {
                        remembered: policy.remembered,
                    }
                    .to_string(),
                );
                break;
            }
        }
    }
    if repeat.is_some_and(|r| r != new) {
        errors.push("两次输入的新密码不一致".to_owned());
    }
    if !errors.is_empty() {
        return Ok(errors);
    }
    let hash = hash_password(new.to_owned())
        .await
        .map_err(|e| StoreError::Unexpected(e.to_string()))?;
    let outcome = state
        .run(
            actor_of(account),
            &SetAccountPassword {
                account: account.id,
                password: PasswordHash::new(hash),
                must_change_password: false,
                keep_session: Some(session.to_owned()),
            },
        )
        .await;
    Ok(outcome.err().map(|e| messages_of(&e)).unwrap_or_default())
}

/// The outcome of offering a fill-in password.
pub(crate) enum UnlockOutcome {
    /// Right: the entry's session token.
    Opened(String),
    /// Refused, and why.
    Refused(Refusal),
}

/// Why a fill-in password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Wrong, or no such entry.
    Wrong,
    /// This client locked out of the entry for this many minutes.
    Locked(i64),
    /// The entry's ceiling reached: locked for every client for this many minutes, or
    /// until its institution lifts the lock.
    EntryLocked(i64),
}

impl Refusal {
    /// The stable code, for the API.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Refusal::Wrong => "fill_in.wrong",
            Refusal::Locked(_) => "fill_in.locked",
            Refusal::EntryLocked(_) => "fill_in.entry_locked",
        }
    }

    /// The Chinese message, for the page and the API alike.
    pub(crate) fn message(self) -> String {
        match self {
            Refusal::Wrong => "密码错误，如无法进入请联系受聘的评审机构".to_owned(),
            Refusal::Locked(minutes) => format!("尝试次数过多，请于 {minutes} 分钟后再试"),
            Refusal::EntryLocked(minutes) => format!(
                "该填报入口的尝试次数过多，已暂时锁定：请联系受聘的评审机构解除锁定，或于{}后再试",
                duration_text(minutes)
            ),
        }
    }
}

/// "N 分钟" up to an hour, "约 N 小时" beyond.
fn duration_text(minutes: i64) -> String {
    if minutes <= 60 {
        format!(" {minutes} 分钟")
    } else {
        format!("约 {} 小时", (minutes + 59) / 60)
    }
}

/// An attempt at a fill-in password admitted to its check.
struct FillInAttempt {
    client: String,
    pair: String,
    entry: String,
}

/// Counts an attempt at an entry's fill-in password from `client` (see the module's
/// comment) and admits it, or says why and for how long it is refused.
async fn admit_fill_in(
    state: &AppState,
    person: PersonId,
    institution: InstitutionId,
    client: &str,
) -> Result<Result<FillInAttempt, Refusal>, StoreError> {
    let now = state.clock.now();
    let policy = state.config.fill_in;
    let window = time::Duration::minutes(i64::from(policy.window_minutes));
    let attempt = FillInAttempt {
        client: format!("client:{client}"),
        pair: fill_in_client_key(person, institution, client),
        entry: fill_in_entry_key(person, institution),
    };
    let client_window = time::Duration::minutes(i64::from(state.config.lockout.window_minutes));
    let by_client = state
        .store
        .add_to_count(&attempt.client, 1, now, client_window)
        .await?;
    if by_client.count > state.config.lockout.per_client {
        return Ok(Err(Refusal::Locked(minutes_until(
            by_client.window_ends,
            now,
        ))));
    }
    let by_pair = state
        .store
        .add_to_count(&attempt.pair, 1, now, window)
        .await?;
    if by_pair.count > policy.per_client {
        return Ok(Err(Refusal::Locked(minutes_until(
            by_pair.window_ends,
            now,
        ))));
    }
    let ceiling = time::Duration::hours(i64::from(policy.ceiling_hours));
    let by_entry = state
        .store
        .add_to_count(&attempt.entry, 1, now, ceiling)
        .await?;
    if by_entry.count > policy.per_entry {
        return Ok(Err(Refusal::EntryLocked(minutes_until(
            by_entry.window_ends,
            now,
        ))));
    }
    Ok(Ok(attempt))
}

impl FillInAttempt {
    /// The password was right: the (entry, client) failures are forgotten, and the client
    /// and the entry's ceiling get this attempt back (earlier failures stay counted).
    async fn succeeded(self, state: &AppState) -> Result<(), StoreError> {
        state.store.clear_failures(&self.pair).await?;
        state.store.release_count(&self.entry).await?;
        state.store.release_count(&self.client).await
    }
}

/// The hash of the fill-in password of an entry that may be used: the institution active
/// and employing the person (the core's `open_entry`).
async fn fill_in_hash(
    state: &AppState,
    person: PersonId,
    institution: InstitutionId,
) -> Result<Option<String>, StoreError> {
    let mut tx = state.store.begin_read().await?;
    Ok(open_entry(&mut tx, person, institution)
        .await?
        .map(|employment| employment.password.as_str().to_owned()))
}

/// Checks a fill-in password with the lockout rules and opens the entry on success.
pub(crate) async fn try_unlock(
    state: &AppState,
    client: &str,
    person: PersonId,
    institution: InstitutionId,
    password: String,
) -> Result<UnlockOutcome, StoreError> {
    let now = state.clock.now();
    let attempt = match admit_fill_in(state, person, institution, client).await? {
        Ok(attempt) => attempt,
        Err(refused) => {
            let ceiling = matches!(refused, Refusal::EntryLocked(_));
            tracing::warn!(target: "registry::security", person = person.get(), institution = institution.get(), client, ceiling, "fill-in entry refused: locked");
            return Ok(UnlockOutcome::Refused(refused));
        }
    };
    let hash = fill_in_hash(state, person, institution).await?;
    if verify_password(crate::secrets::fill_in_typed(&password), hash).await {
        attempt.succeeded(state).await?;
        let token = new_token().map_err(|e| StoreError::Unexpected(e.to_string()))?;
        state
            .store
            .create_session(
                &token_hash(&token),
                SessionSubject::Assessor {
                    person,
                    institution,
                },
                now,
            )
            .await?;
        tracing::info!(target: "registry::security", person = person.get(), institution = institution.get(), client, "fill-in entry opened");
        Ok(UnlockOutcome::Opened(token))
    } else {
        tracing::warn!(target: "registry::security", person = person.get(), institution = institution.get(), client, "fill-in password wrong");
        Ok(UnlockOutcome::Refused(Refusal::Wrong))
    }
}
