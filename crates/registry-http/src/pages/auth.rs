//! 机构登录: login and logout of institution and association accounts, and the change of
//! one's own password.
//!
//! Wrong passwords are counted in the database per account and per client address; past
//! the limit the login is refused for the rest of the window, with the same message
//! whether or not the account exists, and an unknown account costs the same argon2
//! verification as a known one. Every attempt is logged (target `registry::security`).

use poem::http::StatusCode;
use poem::web::Query;
use poem::{Request, Response, handler};
use registry_core::access::{Account, PasswordDue};
use registry_core::date::format_date;

use super::landing::{home_of, landing, safe_next};
use super::{Fields, layout, redirect, state, visitor};
use crate::auth::{LoginOutcome, check_login, set_own_password, start_session};

use crate::client::client_address;
use crate::errors::{PageResult, html};

use crate::templates::{Login, Password};
use crate::web::{SESSION_COOKIE, Visitor, set_cookie};

const WRONG: &str = "用户名或密码错误";

/// Why the password page asks for a new password before anything else, if it does.
fn forced_because(state: &crate::AppState, account: &Account) -> Option<String> {
    let policy = &state.config.passwords;
    Some(match account.password_change_due(state.today(), policy)? {
        PasswordDue::SetBySomeoneElse => {
            "首次登录或密码已由管理员重置，请先设置新密码。".to_owned()
        }
        PasswordDue::Expired { since } => format!(
            "登录密码已于 {} 到期（每 {} 天须更换一次），请先设置新密码。",
            format_date(since),
            policy.max_age_days
        ),
    })
}

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct LoginQuery {
    #[serde(default)]
    next: String,
}

#[handler]
pub(crate) fn login_form(req: &Request, Query(query): Query<LoginQuery>) -> Response {
    if let Some(account) = visitor(req).account() {
        return redirect(home_of(state(req), account));
    }
    html(
        StatusCode::OK,
        &Login {
            layout: layout(req),
            username: String::new(),
            error: None,
            next: safe_next(&query.next).unwrap_or_default().to_owned(),
        },
    )
}

#[handler]
pub(crate) async fn login(req: &Request, body: String) -> PageResult {
    let state = state(req);
    let fields = Fields::parse(&body);
    let username = fields.get("username");
    let next = fields.get("next");
    let client = client_address(req, state.config.trusted_proxy);
    let outcome = check_login(state, &client, &username, fields.get("password")).await?;
    let error = match outcome {
        LoginOutcome::Success(account) => {
            if account.second_factor_enrolled {
                return crate::pages::second_factor::challenge(state, &account, &next).await;
            }
            let token = start_session(state, &account, &client).await?;
            let mut resp = redirect(&landing(state, &account, &next));
            set_cookie(
                &mut resp,
                SESSION_COOKIE,
                &token,
                None,
                state.config.secure_cookies,
            );
            return Ok(resp);
        }
        LoginOutcome::Wrong => WRONG.to_owned(),
        LoginOutcome::Locked(minutes) => format!("尝试次数过多，请于 {minutes} 分钟后再试"),
    };
    Ok(html(
        StatusCode::OK,
        &Login {
            layout: layout(req),
            username,
            error: Some(error),
            next: safe_next(&next).unwrap_or_default().to_owned(),
        },
    ))
}

#[handler]
pub(crate) async fn logout(req: &Request) -> PageResult {
    let state = state(req);
    if let Visitor::Account { session, .. } = visitor(req) {
        state.store.delete_session(&session).await?;
    }
    let mut resp = redirect("/");
    set_cookie(
        &mut resp,
        SESSION_COOKIE,
        "",
        Some(std::time::Duration::ZERO),
        state.config.secure_cookies,
    );
    Ok(resp)
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
            forced: forced_because(state(req), &account),
            done: false,
            errors: vec![],
        },
    )
}

#[handler]
pub(crate) async fn change_password(req: &Request, body: String) -> PageResult {
    let state = state(req);
    let Visitor::Account { account, session } = visitor(req) else {
        return Ok(redirect("/login"));
    };
    let fields = Fields::parse(&body);
    let new = fields.get("new_password");
    let repeat = fields.get("repeat");
    let client = client_address(req, state.config.trusted_proxy);
    let errors = set_own_password(
        state,
        &account,
        &session,
        &client,
        fields.get("current"),
        &new,
        Some(&repeat),
    )
    .await?;
    let done = errors.is_empty();
    Ok(html(
        if done {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &Password {
            layout: layout(req),
            forced: if done {
                None
            } else {
                forced_because(state, &account)
            },
            done,
            errors,
        },
    ))
}
