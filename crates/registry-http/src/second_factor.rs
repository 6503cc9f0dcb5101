//! Setting up one's own second factor, shared by the page 双因素认证
//! (`/account/second-factor`) and `POST /api/v1/account/second-factor`: a new secret offered
//! with its *offer* (the secret and a last moment, sealed with the data key for this
//! account: `Store::seal_offer`), which comes back with the first code the secret shows —
//! so the secret set up is always one the server made for this account, never one the
//! account chose (a known secret would void the second factor) — the proof of that code, and — to replace a
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
    /// The offer is not one made to this account, or it lapsed.
    StaleOffer,
    /// The code is not the offered secret's current one.
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
            Refused::StaleOffer => "second_factor.offer".to_owned(),
            Refused::WrongCode => "second_factor.wrong_code".to_owned(),
            Refused::WrongCurrent => "second_factor.wrong_current".to_owned(),
            Refused::Locked(_) => "login.locked".to_owned(),
            Refused::Rejected(e) => e.code(),
        }
    }

    /// The sentence shown.
    pub(crate) fn message(&self) -> String {
        match self {
            Refused::StaleOffer => "该密钥已失效（30分钟内有效）或不是为本账户生成的：请重新打开双因素认证，扫描新的二维码".to_owned(),
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

/// A secret offered to an account.
#[derive(Debug, Clone)]
pub(crate) struct Offer {
    /// The secret in base32, for typing into an authenticator.
    pub(crate) secret: String,
    /// The `otpauth://` address (what the QR code holds).
    pub(crate) uri: String,
    /// The sealed offer (URL-safe base64), sent back with the code.
    pub(crate) sealed: String,
}

/// A new secret to offer `account`.
pub(crate) fn offer(state: &AppState, account: &Account) -> Result<Offer, StoreError> {
    use base64::Engine as _;
    let secret = totp::new_secret().map_err(|e| StoreError::Unexpected(e.to_string()))?;
    let sealed = state
        .store
        .seal_offer(account.id, &secret, state.clock.now())?;
    Ok(Offer {
        secret: totp::to_base32(&secret),
        uri: totp::otpauth_uri(account.username.as_str(), &secret),
        sealed: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sealed),
    })
}

/// Sets up `account`'s second factor with the secret of `offer` (as [`offer`] sealed it)
/// proved by `code`; `current` is a code of the one it replaces, if any. The recovery
/// codes, to show once.
pub(crate) async fn enrol(
    state: &AppState,
    account: &Account,
    client: &str,
    offer: &str,
    code: &str,
    current: &str,
) -> Result<Result<Vec<String>, Refused>, StoreError> {
    use base64::Engine as _;
    let now = state.clock.now();
    let Some(secret) = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(offer.trim())
        .ok()
        .and_then(|sealed| state.store.open_offer(account.id, &sealed, now))
        .filter(|s| s.len() == 20)
    else {
        return Ok(Err(Refused::StaleOffer));
    };
    let Some(step) = totp::matching_step(&secret, code, now) else {
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
