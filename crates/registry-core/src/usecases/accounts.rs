//! The use cases of accounts: the association's administrators and their separated duties
//! (三员分立), passwords, and lifting a login's lockout.

use super::{Context, UseCase, UseCaseError};
use crate::access::{Account, AccountId, Duty, PasswordHash, Role, SecondFactor, Username};
use crate::ports::{Actor, Entity, RegisterTx, SessionsToEnd, Snapshot};
use crate::violation::{Violation, Violations};

/// The account, or `NotFound`.
async fn existing<T: RegisterTx>(tx: &mut T, id: AccountId) -> Result<Account, UseCaseError> {
    tx.account(id)
        .await?
        .ok_or(UseCaseError::NotFound(Entity::Account))
}

/// Whether the one acting is this account.
fn acts_as(ctx: &Context<'_>, account: &Account) -> bool {
    match &ctx.actor {
        Actor::Association { account: name } | Actor::Institution { account: name, .. } => {
            name == account.username.as_str()
        }
        Actor::Assessor { .. } | Actor::System { .. } | Actor::Token { .. } => false,
    }
}

fn account_snapshot(account: &Account) -> Snapshot {
    let role = match account.role {
        Role::Association(duty) => duty.label(),
        Role::Institution(_) => "机构账户",
    };
    Snapshot::default()
        .with("username", &account.username)
        .with("role", role)
        .with("active", account.active)
}

/// Adds an administrator account of the association with one duty: by the security
/// administrator, or on the server (`registry create-admin`, set-up and demo).
#[derive(Debug, Clone)]
pub struct CreateAssociationAccount {
    /// The login name, as typed.
    pub username: String,
    /// The duty.
    pub duty: Duty,
    /// The password's hash.
    pub password: PasswordHash,
    /// Whether the password must be changed at the first login.
    pub must_change_password: bool,
}

impl UseCase for CreateAssociationAccount {
    type Output = AccountId;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<AccountId, UseCaseError> {
        let username = Username::parse(&self.username)?;
        let id = tx
            .insert_account(
                &username,
                Role::Association(self.duty),
                &self.password,
                self.must_change_password,
                ctx.today(),
            )
            .await?;
        tx.audit(
            &ctx.audit(
                "account.create",
                Entity::Account,
                id.get(),
                None,
                None,
                Some(
                    Snapshot::default()
                        .with("username", &username)
                        .with("role", self.duty.label()),
                ),
            ),
        )
        .await?;
        Ok(id)
    }
}

/// Sets an account's password: the holder changing their own (the edge verified the old
/// password and checked the new one with [`crate::access::NewPassword::parse`]), or the
/// association resetting an institution's (`must_change_password` then set, so that the
/// generated password is not kept).
#[derive(Debug, Clone)]
pub struct SetAccountPassword {
    /// The account.
    pub account: AccountId,
    /// The new password's hash.
    pub password: PasswordHash,
    /// Whether it must be changed at the next login.
    pub must_change_password: bool,
    /// The token hash of the session that changes its own password, which stays open;
    /// every other session of the account ends.
    pub keep_session: Option<String>,
}

impl UseCase for SetAccountPassword {
    type Output = ();

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<(), UseCaseError> {
        let account = existing(tx, self.account).await?;
        // A reset is another's work: an administrator changes their own password knowing
        // the current one, never resets it.
        if self.must_change_password && acts_as(ctx, &account) {
            return Err(Violations::from(Violation::OwnAccount).into());
        }
        tx.update_account(&Account {
            password: self.password.clone(),
            must_change_password: self.must_change_password,
            password_changed_on: Some(ctx.today()),
            ..account.clone()
        })
        .await?;
        tx.remember_password(account.id, &account.password, ctx.now)
            .await?;
        tx.audit(&ctx.audit(
            if self.must_change_password {
                "account.reset_password"
            } else {
                "account.change_password"
            },
            Entity::Account,
            account.id.get(),
            None,
            None,
            Some(Snapshot::default().with("username", &account.username)),
        ))
        .await?;
        tx.end_sessions(SessionsToEnd::Account {
            account: account.id,
            keep: self.keep_session.as_deref(),
        })
        .await?;
        Ok(())
    }
}

/// The security administrator changes another administrator's duty, or disables or
/// enables their account. No one changes their own ([`Violation::OwnAccount`]): the
/// separated duties hold only if nobody can grant themselves another. A disabled account's
/// sessions end in the same transaction; a changed duty takes effect on the next request
/// (the duty is read with the session).
#[derive(Debug, Clone)]
pub struct ChangeAdministrator {
    /// The account.
    pub account: AccountId,
    /// Its duty from now on.
    pub duty: Duty,
    /// Whether it may log in.
    pub active: bool,
    /// The version read when the form was shown.
    pub version: i64,
}

impl UseCase for ChangeAdministrator {
    type Output = i64;

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<i64, UseCaseError> {
        let before = existing(tx, self.account).await?;
        if !matches!(before.role, Role::Association(_)) {
            return Err(Violations::from(Violation::NotAnAdministrator).into());
        }
        if acts_as(ctx, &before) {
            return Err(Violations::from(Violation::OwnAccount).into());
        }
        let after = Account {
            role: Role::Association(self.duty),
            active: self.active,
            version: self.version,
            ..before.clone()
        };
        let version = tx.update_account(&after).await?;
        tx.audit(&ctx.audit(
            "account.update",
            Entity::Account,
            before.id.get(),
            None,
            Some(account_snapshot(&before)),
            Some(account_snapshot(&after)),
        ))
        .await?;
        if !after.active || after.role != before.role {
            tx.end_sessions(SessionsToEnd::Account {
                account: before.id,
                keep: None,
            })
            .await?;
        }
        Ok(version)
    }
}

/// Lifts the lockout of an account's login at once (the security administrator's work):
/// the failures counted against its name are forgotten. Failures counted against client
/// addresses stay.
#[derive(Debug, Clone)]
pub struct UnlockLogin {
    /// The account.
    pub account: AccountId,
}

impl UseCase for UnlockLogin {
    type Output = ();

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<(), UseCaseError> {
        let account = existing(tx, self.account).await?;
        if acts_as(ctx, &account) {
            return Err(Violations::from(Violation::OwnAccount).into());
        }
        tx.forget_login_attempts(&account.username).await?;
        tx.audit(&ctx.audit(
            "account.unlock",
            Entity::Account,
            account.id.get(),
            None,
            None,
            Some(Snapshot::default().with("username", &account.username)),
        ))
        .await?;
        Ok(())
    }
}

/// The holder sets up their second factor (TOTP) after proving they hold the secret with
/// a right code (the edge's check), with fresh recovery codes. Replaces an earlier one.
#[derive(Debug, Clone)]
pub struct EnrolSecondFactor {
    /// The holder's own account.
    pub account: AccountId,
    /// The secret and the recovery codes' hashes.
    pub factor: SecondFactor,
}

impl UseCase for EnrolSecondFactor {
    type Output = ();

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<(), UseCaseError> {
        let account = existing(tx, self.account).await?;
        tx.set_second_factor(account.id, Some(&self.factor)).await?;
        tx.audit(
            &ctx.audit(
                "account.enrol_second_factor",
                Entity::Account,
                account.id.get(),
                None,
                None,
                Some(
                    Snapshot::default()
                        .with("username", &account.username)
                        .with("recovery_codes", self.factor.recovery_hashes.len()),
                ),
            ),
        )
        .await?;
        Ok(())
    }
}

/// The security administrator removes another account's second factor (a lost phone);
/// where one is required, the holder sets up a new one at the next login. Every session of
/// the account ends. Or requires (or no longer requires) a second factor of an
/// institution's account.
#[derive(Debug, Clone)]
pub struct ChangeSecondFactor {
    /// The account.
    pub account: AccountId,
    /// What to do.
    pub change: SecondFactorChange,
}

/// What [`ChangeSecondFactor`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactorChange {
    /// Remove the one set up.
    Reset,
    /// Require one of an institution's account (`true`), or no longer (`false`).
    Require(bool),
}

impl UseCase for ChangeSecondFactor {
    type Output = ();

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<(), UseCaseError> {
        let account = existing(tx, self.account).await?;
        if acts_as(ctx, &account) {
            return Err(Violations::from(Violation::OwnAccount).into());
        }
        let snapshot = Snapshot::default().with("username", &account.username);
        match self.change {
            SecondFactorChange::Reset => {
                tx.set_second_factor(account.id, None).await?;
                tx.audit(&ctx.audit(
                    "account.reset_second_factor",
                    Entity::Account,
                    account.id.get(),
                    None,
                    None,
                    Some(snapshot),
                ))
                .await?;
                tx.end_sessions(SessionsToEnd::Account {
                    account: account.id,
                    keep: None,
                })
                .await?;
            }
            SecondFactorChange::Require(required) => {
                if !matches!(account.role, Role::Institution(_)) {
                    // Administrators need one by their role: nothing to choose.
                    return Err(Violations::from(Violation::NotAnInstitutionAccount).into());
                }
                tx.update_account(&Account {
                    second_factor_required: required,
                    ..account.clone()
                })
                .await?;
                tx.audit(
                    &ctx.audit(
                        "account.require_second_factor",
                        Entity::Account,
                        account.id.get(),
                        None,
                        Some(
                            snapshot
                                .clone()
                                .with("second_factor_required", account.second_factor_required),
                        ),
                        Some(snapshot.with("second_factor_required", required)),
                    ),
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// A security event kept in the audit chain besides the security log's line: a login that
/// succeeded, or a login name locked by wrong passwords or codes (its first refusal).
/// Failed attempts themselves stay log lines only: a stranger's guesses must not cost a
/// write to the chain, which every audited change waits for.
#[derive(Debug, Clone)]
pub struct RecordSecurityEvent {
    /// The account.
    pub account: AccountId,
    /// What happened.
    pub event: SecurityEvent,
    /// The client address, as the edge determined it.
    pub client: String,
}

/// What [`RecordSecurityEvent`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityEvent {
    /// A login succeeded (with a second factor or not).
    LoggedIn {
        /// Whether a second factor was given.
        second_factor: bool,
    },
    /// The login was locked by wrong passwords or codes.
    LockedOut,
}

impl UseCase for RecordSecurityEvent {
    type Output = ();

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<(), UseCaseError> {
        let account = existing(tx, self.account).await?;
        let snapshot = Snapshot::default()
            .with("username", &account.username)
            .with("client", &self.client);
        let (action, snapshot) = match self.event {
            SecurityEvent::LoggedIn { second_factor } => (
                "account.login",
                snapshot.with("second_factor", second_factor),
            ),
            SecurityEvent::LockedOut => ("account.lockout", snapshot),
        };
        tx.audit(&ctx.audit(
            action,
            Entity::Account,
            account.id.get(),
            None,
            None,
            Some(snapshot),
        ))
        .await?;
        Ok(())
    }
}
