//! Setting up one's own second factor, shared by the page 双因素认证
//! (`/account/second-factor`) and `POST /api/v1/account/second-factor`: the secret offered
//! (sent back with the first code it shows; any 20-byte secret is taken, the offered one
//! is not bound to the account), the proof of that code, and — to replace a
//! second factor already set up — a code of the one it replaces, under the login's lockout
//! (a borrowed session cannot swap in its own); then the core's `EnrolSecondFactor`, ten
//! recovery codes shown once, and the proving code marked used.

use registry_core::access::{Account, SecondFactor};
use registry_core::ports::StoreError;
use registry_core::usecases::EnrolSecondFactor;

use crate::AppState;
use crate::auth::{actor_of, admit};
use crate::totp;

/// Why a set-up was refused.
#[derive(Debug)]
pub(crate) enum Refused {
    /// The secret is not 20 bytes in base32, or the code is not its current one. (Whether
    /// the secret is the one offered is not checked: the page and the API send it back.)
    WrongCode,
    /// Replacing: the code of the second factor in use is wrong.
    WrongCurrent,
    /// Too many wrong codes: locked for this many minutes.
    Locked(i64),
    /// The core refused it.
    Rejected(registry_core::usecases::UseCaseError),
}

impl Refused {
    /// The stable code.
    pub(crate) fn code(&self) -> String {
        match self {
            Refused::WrongCode => "second_factor.wrong_code".to_owned(),
            Refused::WrongCurrent => "second_factor.wrong_current".to_owned(),
            Refused::Locked(_) => "login.locked".to_owned(),
            Refused::Rejected(e) => e.code(),
        }
    }

    /// The sentence shown.
    pub(crate) fn message(&self) -> String {
        match self {
            Refused::WrongCode => {
                "验证码不正确：请用身份验证器扫描新的二维码（或输入新的密钥），再输入它显示的6位数字"
                    .to_owned()
            }
            Refused::WrongCurrent => "原身份验证器的验证码不正确：更换双因素认证须先输入原身份验证器当前的验证码或一个恢复码".to_owned(),
            Refused::Locked(minutes) => format!("尝试次数过多，请于 {minutes} 分钟后再试"),
            Refused::Rejected(e) => crate::errors::messages_of(e).join("；"),
        }
    }
}

/// A new secret to offer: its base32 text and the `otpauth://` address for `account`.
pub(crate) fn offer(account: &Account) -> Result<(String, String), StoreError> {
    let secret = totp::new_secret().map_err(|e| StoreError::Unexpected(e.to_string()))?;
    Ok((
        totp::to_base32(&secret),
        totp::otpauth_uri(account.username.as_str(), &secret),
    ))
}

/// Sets up `account`'s second factor with the offered `secret` (base32) proved by `code`;
/// `current` is a code of the one it replaces, if any. The recovery codes, to show once.
pub(crate) async fn enrol(
    state: &AppState,
    account: &Account,
    client: &str,
    secret: &str,
    code: &str,
    current: &str,
) -> Result<Result<Vec<String>, Refused>, StoreError> {
    let secret = totp::from_base32(secret).filter(|s| s.len() == 20);
    let now = state.clock.now();
    let step = secret
        .as_ref()
        .and_then(|s| totp::matching_step(s, code, now));
    let (Some(secret), Some(step)) = (secret, step) else {
        return Ok(Err(Refused::WrongCode));
    };
    if account.second_factor_enrolled {
        let attempt = match admit(
            state,
            registry_store::sessions::login_key(&account.username),
            client,
        )
        .await?
        {
            Ok(attempt) => attempt,
            Err(minutes) => return Ok(Err(Refused::Locked(minutes))),
        };
        if !crate::auth::right_code(state, account, current).await? {
            tracing::warn!(target: "registry::security", username = account.username.as_str(), client, "second factor replacement: current code wrong");
            return Ok(Err(Refused::WrongCurrent));
        }
        attempt.succeeded(state).await?;
    }
    let recovery = totp::new_recovery_codes().map_err(|e| StoreError::Unexpected(e.to_string()))?;
    let factor = SecondFactor {
        secret,
        recovery_hashes: recovery
            .iter()
            .filter_map(|c| totp::recovery_form(c))
            .map(|c| totp::recovery_hash(&c))
            .collect(),
    };
    let outcome = state
        .run(
            actor_of(account),
            &EnrolSecondFactor {
                account: account.id,
                factor,
            },
        )
        .await;
    if let Err(e) = outcome {
        return Ok(Err(Refused::Rejected(e)));
    }
    // The code that proved the secret is used.
    state.store.accept_totp_step(account.id, step).await?;
    tracing::info!(target: "registry::security", username = account.username.as_str(), "second factor set up");
    Ok(Ok(recovery))
}
