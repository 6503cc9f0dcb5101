//! 账户管理 through the API, the security administrator's (安全管理员) work as on the page:
//! every account with its duty or institution, standing, lockout and second factor; a new
//! administrator with a generated password shown once; another administrator's duty and
//! standing (never one's own, never the last of a duty, refused by the core); a password
//! reset; a lockout lifted; a second factor reset, required or released. Each is the same
//! use case as the page's, audited the same.

use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use registry_core::access::{AccountId, Duty, PasswordHash, Role};
use registry_core::usecases::{
    ChangeAdministrator, ChangeSecondFactor, CreateAssociationAccount, SecondFactorChange,
    SetAccountPassword, UnlockLogin,
};

use super::wire::{Done, Secret};
use super::{ApiError, ApiResult, Tag, error_body, new_secret, security, state};

/// An administrator's duty (三员分立).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
enum DutyIn {
    /// 系统管理员: the register's daily work.
    System,
    /// 安全管理员: accounts.
    Security,
    /// 审计管理员: the audit log.
    Audit,
}

impl DutyIn {
    fn core(self) -> Duty {
        match self {
            DutyIn::System => Duty::System,
            DutyIn::Security => Duty::Security,
            DutyIn::Audit => Duty::Audit,
        }
    }
}

/// An account.
#[derive(Object, Debug)]
struct AccountOut {
    id: i64,
    username: String,
    /// An administrator's duty: `system`, `security` or `audit`; none for an institution's
    /// account.
    duty: Option<String>,
    /// An institution's account: its institution, and whether that institution is active
    /// (机构已停用: its account cannot log in).
    institution_id: Option<i64>,
    institution: Option<String>,
    institution_active: Option<bool>,
    /// Whether the account may log in.
    active: bool,
    /// Its password was set by someone else and must be changed at the next login.
    must_change_password: bool,
    /// A second factor is set up.
    second_factor_enrolled: bool,
    /// A second factor is required of it (administrators: by the policy).
    second_factor_required: bool,
    /// Locked by failed logins now.
    locked: bool,
    /// Failed logins counted in the current window.
    failed_logins: u32,
    /// The version, for `PUT /association/accounts/{id}`.
    version: i64,
}

/// A new administrator.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct AdminIn {
    /// The login name, 3 to 32 letters, digits, `_`, `-` or `.`.
    #[oai(validator(min_length = 3, max_length = 32))]
    username: String,
    duty: DutyIn,
}

/// A new administrator's account.
#[derive(Object, Debug)]
struct AdminCreated {
    id: i64,
    /// Shown once; must be changed at the first login.
    initial_password: String,
}

/// Another administrator's duty and standing.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct AdminUpdate {
    duty: DutyIn,
    active: bool,
    /// The version read (`AccountOut.version`): refused (409) if it changed since.
    version: i64,
}

/// A change of an account's second factor.
#[derive(Enum, Debug, Clone, Copy)]
#[oai(rename_all = "snake_case")]
enum SecondFactorIn {
    /// 重置: the set-up is removed; the holder sets one up again at the next login.
    Reset,
    /// 要求: an institution's account must use one.
    Require,
    /// 取消要求
    Release,
}

/// What to do with the second factor.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct SecondFactorChangeIn {
    change: SecondFactorIn,
}

/// The security administrator's account operations (tag 促进会).
#[derive(Default)]
pub(crate) struct AccountsApi;

#[OpenApi]
impl AccountsApi {
    /// 账户管理: every account, administrators first.
    #[oai(
        path = "/association/accounts",
        method = "get",
        tag = "Tag::Association"
    )]
    async fn accounts(&self, req: &Request) -> ApiResult<Json<Vec<AccountOut>>> {
        security(req)?;
        let state = state(req)?;
        let now = state.clock.now();
        let lockout = state.config.lockout;
        let listed = state.store.accounts().await?;
        Ok(Json(
            listed
                .into_iter()
                .map(|l| {
                    let (failed_logins, locked) = match l.failures {
                        Some((count, since)) if lockout.counts(since, now) => {
                            (count, lockout.locks_subject(count, since, now))
                        }
                        _ => (0, false),
                    };
                    let a = &l.account;
                    AccountOut {
                        id: a.id.get(),
                        username: a.username.as_str().to_owned(),
                        duty: a.role.duty().map(|d| d.code().to_owned()),
                        institution_id: match a.role {
                            Role::Institution(id) => Some(id.get()),
                            Role::Association(_) => None,
                        },
                        institution: l.institution.as_ref().map(|(_, name, _)| name.clone()),
                        institution_active: l.institution.as_ref().map(|(_, _, on)| *on),
                        active: a.active,
                        must_change_password: a.must_change_password,
                        second_factor_enrolled: a.second_factor_enrolled,
                        second_factor_required: a
                            .second_factor_required(&state.config.second_factor),
                        locked,
                        failed_logins,
                        version: a.version,
                    }
                })
                .collect(),
        ))
    }

    /// 新增管理员, with a generated password shown once (to be changed at the first login).
    #[oai(
        path = "/association/accounts",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn create(&self, req: &Request, body: Json<AdminIn>) -> ApiResult<Json<AdminCreated>> {
        let actor = security(req)?;
        let state = state(req)?;
        let (password, hash) = new_secret().await?;
        let id = state
            .run(
                actor,
                &CreateAssociationAccount {
                    username: body.username.clone(),
                    duty: body.duty.core(),
                    password: PasswordHash::new(hash),
                    must_change_password: true,
                },
            )
            .await?;
        Ok(Json(AdminCreated {
            id: id.get(),
            initial_password: password,
        }))
    }

    /// Another administrator's duty and standing (not one's own; never leaving a duty
    /// without an active administrator).
    #[oai(
        path = "/association/accounts/:id",
        method = "put",
        tag = "Tag::Association"
    )]
    async fn change(
        &self,
        req: &Request,
        id: Path<i64>,
        body: Json<AdminUpdate>,
    ) -> ApiResult<Done> {
        let actor = security(req)?;
        state(req)?
            .run(
                actor,
                &ChangeAdministrator {
                    account: AccountId::new(id.0),
                    duty: body.duty.core(),
                    active: body.active,
                    version: body.version,
                },
            )
            .await?;
        Ok(Done::NoContent)
    }

    /// 重置密码 of another account (an institution's or an administrator's): a generated
    /// password shown once, to be changed at the next login; its sessions end.
    #[oai(
        path = "/association/accounts/:id/password",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn reset_password(&self, req: &Request, id: Path<i64>) -> ApiResult<Json<Secret>> {
        let actor = security(req)?;
        let state = state(req)?;
        let target = state
            .store
            .account(AccountId::new(id.0))
            .await?
            .ok_or_else(|| ApiError::NotFound(error_body("not_found.account", "未找到该账户")))?;
        let (password, hash) = new_secret().await?;
        state
            .run(
                actor,
                &SetAccountPassword {
                    account: target.id,
                    password: PasswordHash::new(hash),
                    must_change_password: true,
                    keep_session: None,
                },
            )
            .await?;
        Ok(Json(Secret { password }))
    }

    /// 解除锁定: lifts a login's lockout.
    #[oai(
        path = "/association/accounts/:id/unlock",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn unlock(&self, req: &Request, id: Path<i64>) -> ApiResult<Done> {
        let actor = security(req)?;
        state(req)?
            .run(
                actor,
                &UnlockLogin {
                    account: AccountId::new(id.0),
                },
            )
            .await?;
        Ok(Done::NoContent)
    }

    /// 双因素认证 of another account: reset it, or require (release) it of an
    /// institution's account.
    #[oai(
        path = "/association/accounts/:id/second-factor",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn second_factor(
        &self,
        req: &Request,
        id: Path<i64>,
        body: Json<SecondFactorChangeIn>,
    ) -> ApiResult<Done> {
        let actor = security(req)?;
        let change = match body.change {
            SecondFactorIn::Reset => SecondFactorChange::Reset,
            SecondFactorIn::Require => SecondFactorChange::Require(true),
            SecondFactorIn::Release => SecondFactorChange::Require(false),
        };
        state(req)?
            .run(
                actor,
                &ChangeSecondFactor {
                    account: AccountId::new(id.0),
                    change,
                },
            )
            .await?;
        Ok(Done::NoContent)
    }
}
