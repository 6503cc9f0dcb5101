//! The second factor on the pages (issue 22): after a right password, an account with a
//! second factor is asked for the code of its authenticator app (or a recovery code) on
//! `/login/code` before any session begins; an account that must have one and has none
//! can do nothing but set it up on `/account/second-factor` (a QR code for the app, the
//! code it shows to prove it, ten recovery codes shown once). Wrong codes count under the
//! login's lockout like wrong passwords; a code is accepted once.

use askama::Template;
use poem::http::StatusCode;
use poem::web::Query;
use poem::{Request, Response, handler};
use registry_core::access::Account;
use registry_core::ports::StoreError;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{admit, start_session};
use crate::client::client_address;
use crate::errors::{PageResult, html};
use crate::pages::{Fields, layout, redirect, state, visitor};
use crate::secrets::{new_token, token_hash};
use crate::templates::Layout;
use crate::totp;
use crate::web::{CHALLENGE_COOKIE, SESSION_COOKIE, cookie, set_cookie};

#[derive(Template)]
#[template(path = "login_code.html")]
pub(crate) struct LoginCode {
    pub(crate) layout: Layout,
    pub(crate) error: Option<String>,
    pub(crate) next: String,
}

#[derive(Template)]
#[template(path = "second_factor.html")]
pub(crate) struct SecondFactorPage {
    pub(crate) layout: Layout,
    /// Set up already, with this many recovery codes left.
    pub(crate) enrolled: Option<u64>,
    /// Required of this account (nothing else opens until it is set up).
    pub(crate) required: bool,
    /// The new secret in base32, and its QR code (an SVG element).
    pub(crate) secret: String,
    pub(crate) qr: String,
    /// The sealed offer of that secret, sent back with its code.
    pub(crate) offer: String,
    pub(crate) error: Option<String>,
    /// The recovery codes, shown once after setting up.
    pub(crate) recovery: Vec<String>,
}

fn unexpected(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unexpected(e.to_string())
}

/// Starts the wait for a code after a right password: the challenge cookie, then the code
/// page.
pub(crate) async fn challenge(state: &AppState, account: &Account, next: &str) -> PageResult {
    let token = new_token().map_err(unexpected)?;
    state
        .store
        .create_challenge(&token_hash(&token), account.id, state.clock.now())
        .await?;
    let to = if next.is_empty() {
        "/login/code".to_owned()
    } else {
        format!(
            "/login/code?{}",
            serde_urlencoded::to_string([("next", next)]).unwrap_or_default()
        )
    };
    let mut resp = redirect(&to);
    set_cookie(
        &mut resp,
        CHALLENGE_COOKIE,
        &token,
        Some(std::time::Duration::from_secs(300)),
        state.config.secure_cookies,
    );
    Ok(resp)
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CodeQuery {
    #[serde(default)]
    next: String,
}

#[handler]
pub(crate) fn code_form(req: &Request, Query(query): Query<CodeQuery>) -> Response {
    if cookie(req, CHALLENGE_COOKIE).is_none() {
        return redirect("/login");
    }
    html(
        StatusCode::OK,
        &LoginCode {
            layout: layout(req),
            error: None,
            next: crate::pages::landing::safe_next(&query.next)
                .unwrap_or_default()
                .to_owned(),
        },
    )
}

#[handler]
pub(crate) async fn code_check(req: &Request, body: String) -> PageResult {
    let state = state(req);
    let fields = Fields::parse(&body);
    let next = crate::pages::landing::safe_next(&fields.get("next"))
        .unwrap_or_default()
        .to_owned();
    let now = state.clock.now();
    let Some(token) = cookie(req, CHALLENGE_COOKIE) else {
        return Ok(redirect("/login"));
    };
    let hash = token_hash(&token);
    let Some(id) = state.store.challenge(&hash, now).await? else {
        return Ok(redirect("/login"));
    };
    let Some(account) = state.store.account(id).await?.filter(|a| a.active) else {
        return Ok(redirect("/login"));
    };
    let refuse = |error: String| {
        html(
            StatusCode::UNPROCESSABLE_ENTITY,
            &LoginCode {
                layout: layout(req),
                error: Some(error),
                next: next.clone(),
            },
        )
    };
    let client = client_address(req, state.config.trusted_proxy);
    let attempt = match admit(
        state,
        registry_store::sessions::login_key(&account.username),
        &client,
    )
    .await?
    {
        Ok(attempt) => attempt,
        Err(minutes) => {
            tracing::warn!(target: "registry::security", username = account.username.as_str(), client, "second factor refused: locked");
            crate::auth::record_lock_if_new(state, &account.username, &client).await?;
            return Ok(refuse(format!("尝试次数过多，请于 {minutes} 分钟后再试")));
        }
    };
    if !crate::auth::right_code(state, &account, &fields.get("code")).await? {
        tracing::warn!(target: "registry::security", username = account.username.as_str(), client, "second factor wrong");
        return Ok(refuse(
            "验证码不正确或已使用过，请输入身份验证器当前显示的6位数字，或一个未用过的恢复码"
                .to_owned(),
        ));
    }
    attempt.succeeded(state).await?;
    state.store.end_challenge(&hash, now).await?;
    tracing::info!(target: "registry::security", username = account.username.as_str(), client, "login succeeded with a second factor");
    let token = start_session(state, &account, &client).await?;
    let mut resp = redirect(&crate::pages::landing::landing(state, &account, &next));
    set_cookie(
        &mut resp,
        SESSION_COOKIE,
        &token,
        None,
        state.config.secure_cookies,
    );
    set_cookie(
        &mut resp,
        CHALLENGE_COOKIE,
        "",
        Some(std::time::Duration::ZERO),
        state.config.secure_cookies,
    );
    Ok(resp)
}

/// The set-up page with a new secret.
async fn fresh_page(req: &Request, account: &Account, error: Option<String>) -> PageResult {
    let state = state(req);
    let offer = crate::second_factor::offer(state, account)?;
    let enrolled = if account.second_factor_enrolled {
        Some(state.store.recovery_codes_left(account.id).await?)
    } else {
        None
    };
    Ok(html(
        if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        &SecondFactorPage {
            layout: layout(req),
            enrolled,
            required: account.second_factor_required(&state.config.second_factor),
            qr: totp::qr_svg(&offer.uri).unwrap_or_default(),
            secret: offer.secret,
            offer: offer.sealed,
            error,
            recovery: vec![],
        },
    ))
}

#[handler]
pub(crate) async fn enrol_form(req: &Request) -> PageResult {
    let Some(account) = visitor(req).account().cloned() else {
        return Ok(redirect("/login"));
    };
    fresh_page(req, &account, None).await
}

#[handler]
pub(crate) async fn enrol(req: &Request, body: String) -> PageResult {
    let state = state(req);
    let Some(account) = visitor(req).account().cloned() else {
        return Ok(redirect("/login"));
    };
    let fields = Fields::parse(&body);
    let client = client_address(req, state.config.trusted_proxy);
    let recovery = match crate::second_factor::enrol(
        state,
        &account,
        &client,
        &fields.get("offer"),
        &fields.get("code"),
        &fields.get("current"),
    )
    .await?
    {
        Ok(recovery) => recovery,
        Err(refused) => return fresh_page(req, &account, Some(refused.message())).await,
    };
    Ok(html(
        StatusCode::OK,
        &SecondFactorPage {
            layout: layout(req),
            enrolled: Some(totp::RECOVERY_CODES as u64),
            required: account.second_factor_required(&state.config.second_factor),
            secret: String::new(),
            qr: String::new(),
            offer: String::new(),
            error: None,
            recovery,
        },
    ))
}
