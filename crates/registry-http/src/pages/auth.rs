//! 机构登录: login and logout of institution and association accounts, and the change of
//! one's own password.
//!
//! Wrong passwords are counted in the database per account and per client address; past
//! the limit the login is refused for the rest of the window, with the same message
//! whether or not the account exists, and an unknown account costs the same argon2
//! verification as a known one. Every attempt is logged (target `registry::security`).

use poem::http::StatusCode;
use poem::{Request, Response, handler};
use registry_core::access::{Account, NewPassword, PasswordHash, Role, Username};
use registry_core::ports::{RegisterTx, StoreError};
use registry_core::usecases::SetAccountPassword;
use registry_store::sessions::SessionSubject;

use super::{Fields, actor_of, layout, redirect, state, visitor};
use crate::AppState;
use crate::errors::{html, messages_of, store_failure};
use crate::secrets::{hash_password, new_token, token_hash, verify_password};
use crate::templates::{Login, Password};
use crate::web::{SESSION_COOKIE, Visitor, client_address, set_cookie};

const WRONG: &str = "用户名或密码错误";

fn home_of(account: &Account) -> &'static str {
    if account.must_change_password {
        return "/account/password";
    }
    match account.role {
        Role::Association => "/association",
        Role::Institution(_) => "/institution",
    }
}

#[handler]
pub(crate) fn login_form(req: &Request) -> Response {
    if let Some(account) = visitor(req).account() {
        return redirect(home_of(account));
    }
    html(
        StatusCode::OK,
        &Login {
            layout: layout(req),
            username: String::new(),
            error: None,
        },
    )
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
    let name = username.trim().to_ascii_lowercase();
    let attempt = match crate::lockout::admit(state, format!("login:{name}"), client).await? {
        Ok(attempt) => attempt,
        Err(minutes) => {
            tracing::warn!(target: "registry::security", username = %name, client, "login refused: locked");
            return Ok(LoginOutcome::Locked(minutes));
        }
    };
    let account = match Username::parse(&name) {
        Ok(username) => state.store.account_by_username(&username).await?,
        Err(_) => None,
    };
    let verified = verify_password(
        password,
        account.as_ref().map(|a| a.password.as_str().to_owned()),
    )
    .await;
    let usable = match &account {
        Some(account) if verified && account.active => match account.role {
            Role::Association => true,
            Role::Institution(id) => {
                let mut tx = state.store.begin_read().await?;
                tx.institution(id).await?.is_some_and(|i| i.active)
            }
        },
        _ => false,
    };
    match account {
        Some(account) if usable => {
            attempt.succeeded(state).await?;
            tracing::info!(target: "registry::security", username = %name, client, "login succeeded");
            Ok(LoginOutcome::Success(Box::new(account)))
        }
        _ => {
            tracing::warn!(target: "registry::security", username = %name, client, "login failed");
            Ok(LoginOutcome::Wrong)
        }
    }
}

/// Starts a session for the account and returns its cookie token.
pub(crate) async fn start_session(
    state: &AppState,
    account: &Account,
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
    Ok(token)
}

#[handler]
pub(crate) async fn login(req: &Request, body: String) -> Response {
    let state = state(req);
    let fields = Fields::parse(&body);
    let username = fields.get("username");
    let client = client_address(req, state.config.trusted_proxy);
    let outcome = match check_login(state, &client, &username, fields.get("password")).await {
        Ok(outcome) => outcome,
        Err(e) => return store_failure(req, &e),
    };
    let error = match outcome {
        LoginOutcome::Success(account) => {
            let token = match start_session(state, &account).await {
                Ok(token) => token,
                Err(e) => return store_failure(req, &e),
            };
            let mut resp = redirect(home_of(&account));
            set_cookie(
                &mut resp,
                SESSION_COOKIE,
                &token,
                None,
                state.config.secure_cookies,
            );
            return resp;
        }
        LoginOutcome::Wrong => WRONG.to_owned(),
        LoginOutcome::Locked(minutes) => format!("尝试次数过多，请于 {minutes} 分钟后再试"),
    };
    html(
        StatusCode::OK,
        &Login {
            layout: layout(req),
            username,
            error: Some(error),
        },
    )
}

#[handler]
pub(crate) async fn logout(req: &Request) -> Response {
    let state = state(req);
    if let Visitor::Account { session, .. } = visitor(req)
        && let Err(e) = state.store.delete_session(&session).await
    {
        return store_failure(req, &e);
    }
    let mut resp = redirect("/");
    set_cookie(
        &mut resp,
        SESSION_COOKIE,
        "",
        Some(std::time::Duration::ZERO),
        state.config.secure_cookies,
    );
    resp
}

#[handler]
pub(crate) fn password_form(req: &Request) -> Response {
    let Some(account) = visitor(req).account().cloned() else {
        return redirect("/login");
    };
    html(
        StatusCode::OK,
        &Password {
            layout: layout(req),
            forced: account.must_change_password,
            done: false,
            errors: vec![],
        },
    )
}

/// Changes the password of the logged-in account: the current one verified (under the
/// login's lockout: a borrowed session cannot guess it), the new one checked by the core's
/// strength rule and different from the current one, every other session of the account
/// ended.
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
    let name = account.username.as_str().to_owned();
    let attempt = match crate::lockout::admit(state, format!("login:{name}"), client).await? {
        Ok(attempt) => attempt,
        Err(minutes) => {
            tracing::warn!(target: "registry::security", username = %name, client, "password change refused: locked");
            return Ok(vec![format!(
                "当前密码错误次数过多，请 {minutes} 分钟后再试"
            )]);
        }
    };
    let same = current == new;
    if verify_password(current, Some(account.password.as_str().to_owned())).await {
        attempt.succeeded(state).await?;
    } else {
        tracing::warn!(target: "registry::security", username = %name, client, "password change: current password wrong");
        errors.push("当前密码不正确".to_owned());
    }
    if same {
        errors.push("新密码不能与当前密码相同".to_owned());
    }
    match NewPassword::parse(new, &account.username) {
        Ok(_) => {}
        Err(v) => errors.extend(v.as_slice().iter().map(ToString::to_string)),
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
            },
        )
        .await;
    if let Err(e) = outcome {
        return Ok(messages_of(&e));
    }
    state
        .store
        .delete_sessions_of_account(account.id, Some(session))
        .await?;
    Ok(vec![])
}

#[handler]
pub(crate) async fn change_password(req: &Request, body: String) -> Response {
    let state = state(req);
    let Visitor::Account { account, session } = visitor(req) else {
        return redirect("/login");
    };
    let fields = Fields::parse(&body);
    let new = fields.get("new_password");
    let repeat = fields.get("repeat");
    let client = client_address(req, state.config.trusted_proxy);
    let errors = match set_own_password(
        state,
        &account,
        &session,
        &client,
        fields.get("current"),
        &new,
        Some(&repeat),
    )
    .await
    {
        Ok(errors) => errors,
        Err(e) => return store_failure(req, &e),
    };
    let done = errors.is_empty();
    html(
        if done {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &Password {
            layout: layout(req),
            forced: account.must_change_password && !done,
            done,
            errors,
        },
    )
}
