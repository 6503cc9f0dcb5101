//! 账户管理: the security administrator's work (三员分立). Every account — the association's
//! administrators with their duties, and institutions' logins — with whether its login is
//! locked; adding an administrator, changing another's duty or disabling them, resetting
//! a password, lifting a login's lockout. The core refuses any of these on one's own
//! account; the page does not offer them there either.

use std::collections::BTreeMap;

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Path, Query};
use poem::{Request, handler};
use registry_core::access::{AccountId, Duty, Role, vacant_duties};
use registry_core::usecases::{
    ChangeAdministrator, ChangeSecondFactor, CreateAssociationAccount, SecondFactorChange,
    SetAccountPassword, UnlockLogin,
};
use serde::Deserialize;

use crate::auth::actor_of;
use crate::errors::{PageResult, html, message_page, messages_of, status_of};
use crate::pages::association::new_password;
use crate::pages::notice::Notice;
use crate::pages::{Fields, layout, redirect, security_account, state};
use crate::templates::pager::PAGE_SIZE;
use crate::templates::{Layout, PageNumber, Pager, Secret};

/// An account's row.
#[derive(Debug, Clone)]
pub(crate) struct AccountRow {
    pub(crate) id: i64,
    pub(crate) username: String,
    /// The duty's code, for an administrator.
    pub(crate) duty: String,
    /// The duty's words, or the institution's name.
    pub(crate) what: String,
    pub(crate) active: bool,
    pub(crate) must_change: bool,
    /// "已锁定（约 N 分钟后自动解除）", or "N 次失败", or empty.
    pub(crate) lock: String,
    pub(crate) locked: bool,
    pub(crate) own: bool,
    pub(crate) version: i64,
    /// 双因素认证: set up, and required.
    pub(crate) second_factor: bool,
    pub(crate) second_factor_required: bool,
}

#[derive(Template)]
#[template(path = "association_accounts.html")]
pub(crate) struct AssociationAccounts {
    pub(crate) layout: Layout,
    pub(crate) notice: Option<String>,
    pub(crate) errors: Vec<String>,
    pub(crate) field_errors: BTreeMap<&'static str, String>,
    pub(crate) admins: Vec<AccountRow>,
    /// Duties without an active administrator.
    pub(crate) vacant: Vec<&'static str>,
    pub(crate) duties: Vec<(&'static str, &'static str)>,
    /// The new administrator's form, as typed.
    pub(crate) new_username: String,
    pub(crate) new_duty: String,
    pub(crate) institutions: Vec<AccountRow>,
    pub(crate) q: String,
    pub(crate) pager: Pager,
    /// The policy in words.
    pub(crate) policy: Vec<(&'static str, String)>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct AccountsQuery {
    #[serde(default)]
    notice: String,
    /// A part of an institution's name or login name.
    #[serde(default)]
    q: String,
    page: Option<u64>,
}

/// The page, with a refused form's errors and what was typed.
async fn render(
    req: &Request,
    query: &AccountsQuery,
    status: StatusCode,
    errors: Vec<String>,
    field_errors: BTreeMap<&'static str, String>,
    typed: (String, String),
) -> PageResult {
    let me = security_account(req)?;
    let state = state(req);
    let now = state.clock.now();
    let lockout = state.config.lockout;
    let listed = state.store.accounts().await?;
    let row = |l: &registry_store::queries::AccountListing| {
        let (locked, lock) = match l.failures {
            Some((count, since)) if lockout.locks_subject(count, since, now) => (
                true,
                format!(
                    "已锁定（约 {} 分钟后自动解除）",
                    crate::auth::minutes_until(lockout.lock_ends(since), now)
                ),
            ),
            Some((count, since)) if count > 0 && lockout.counts(since, now) => {
                (false, format!("{count} 次登录失败"))
            }
            _ => (false, String::new()),
        };
        AccountRow {
            id: l.account.id.get(),
            username: l.account.username.as_str().to_owned(),
            duty: l
                .account
                .role
                .duty()
                .map(Duty::code)
                .unwrap_or("")
                .to_owned(),
            what: match (&l.account.role, &l.institution) {
                (Role::Association(duty), _) => duty.label().to_owned(),
                (Role::Institution(_), Some((_, name, true))) => name.clone(),
                (Role::Institution(_), Some((_, name, false))) => format!("{name}（机构已停用）"),
                (Role::Institution(_), None) => String::new(),
            },
            active: l.account.active,
            must_change: l.account.must_change_password,
            lock,
            locked,
            own: l.account.id == me.id,
            version: l.account.version,
            second_factor: l.account.second_factor_enrolled,
            second_factor_required: l
                .account
                .second_factor_required(&state.config.second_factor),
        }
    };
    let admins: Vec<AccountRow> = listed
        .iter()
        .filter(|l| matches!(l.account.role, Role::Association(_)))
        .map(row)
        .collect();
    let vacant = vacant_duties(
        listed
            .iter()
            .filter(|l| l.account.active)
            .filter_map(|l| l.account.role.duty()),
    )
    .into_iter()
    .map(Duty::label)
    .collect();
    // A search is at most 50 characters (the field's maxlength), cut before comparing.
    let wanted: String = query.q.trim().chars().take(50).collect();
    let institutions: Vec<AccountRow> = listed
        .iter()
        .filter(|l| matches!(l.account.role, Role::Institution(_)))
        .map(row)
        .filter(|r| wanted.is_empty() || r.what.contains(&wanted) || r.username.contains(&wanted))
        .collect();
    let number = PageNumber::from_query(query.page);
    let total = u64::try_from(institutions.len()).unwrap_or(u64::MAX);
    let offset = usize::try_from(number.offset(total)).unwrap_or(usize::MAX);
    let page: Vec<AccountRow> = institutions
        .into_iter()
        .skip(offset)
        .take(usize::try_from(PAGE_SIZE).unwrap_or(20))
        .collect();
    let sessions = state.config.sessions;
    let policy = vec![
        (
            "密码强度",
            "8至64位，同时含字母和数字；不得为常见密码、不得含用户名、不得有4个相同字符连排或5位连续字符，至少5个不同字符".to_owned(),
        ),
        (
            "登录失败锁定",
            format!(
                "同一账户 {} 分钟内失败 {} 次即锁定，至窗口结束自动解除；同一地址 {} 次",
                lockout.window_minutes, lockout.per_subject, lockout.per_client
            ),
        ),
        (
            "密码有效期",
            format!(
                "每 {} 天须更换一次，到期前 {} 天起提醒；不得与最近 {} 次使用过的密码相同",
                state.config.passwords.max_age_days,
                state.config.passwords.warn_days,
                state.config.passwords.remembered
            ),
        ),
        (
            "双因素认证",
            "管理员一律须启用；机构账户按本页的设置。验证码30秒一换，每个只能用一次；输错的验证码与输错的密码合并计算锁定".to_owned(),
        ),
        (
            "会话",
            format!(
                "{} 分钟无操作自动退出；登录 {} 小时后须重新登录",
                sessions.idle_minutes,
                sessions.absolute_minutes / 60
            ),
        ),
    ];
    Ok(html(
        status,
        &AssociationAccounts {
            layout: layout(req),
            notice: crate::pages::notice::from_query(&query.notice),
            errors,
            field_errors,
            admins,
            vacant,
            duties: Duty::ALL.iter().map(|d| (d.code(), d.label())).collect(),
            new_username: typed.0,
            new_duty: typed.1,
            institutions: page,
            pager: Pager::new(
                "/association/accounts",
                &[("q", &wanted)],
                number,
                total,
                "个",
            ),
            q: wanted,
            policy,
        },
    ))
}

#[handler]
pub(crate) async fn accounts(req: &Request, Query(query): Query<AccountsQuery>) -> PageResult {
    render(
        req,
        &query,
        StatusCode::OK,
        vec![],
        BTreeMap::new(),
        (String::new(), Duty::System.code().to_owned()),
    )
    .await
}

/// 新增管理员: a generated initial password, shown once, to be changed at the first login.
#[handler]
pub(crate) async fn create_admin(req: &Request, body: String) -> PageResult {
    let me = security_account(req)?;
    let state = state(req);
    let fields = Fields::parse(&body);
    let username = fields.get("username");
    let duty_code = fields.get("duty");
    let Some(duty) = Duty::parse(&duty_code) else {
        let mut field_errors = BTreeMap::new();
        field_errors.insert("duty", "请选择管理员的角色".to_owned());
        return render(
            req,
            &AccountsQuery::default(),
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["请选择管理员的角色".to_owned()],
            field_errors,
            (username, duty_code),
        )
        .await;
    };
    let (password, hash) = new_password().await?;
    let outcome = state
        .run(
            actor_of(&me),
            &CreateAssociationAccount {
                username: username.clone(),
                duty,
                password: hash,
                must_change_password: true,
            },
        )
        .await;
    match outcome {
        Ok(_) => Ok(html(
            StatusCode::OK,
            &Secret {
                layout: layout(req),
                title: "管理员已创建".to_owned(),
                subject: format!(
                    "{}“{}”的初始密码：",
                    duty.label(),
                    username.trim().to_ascii_lowercase()
                ),
                secret: password,
                note: "请当面告知本人；首次登录时须修改密码。".to_owned(),
                back: "/association/accounts".to_owned(),
            },
        )),
        Err(e) => {
            render(
                req,
                &AccountsQuery::default(),
                status_of(&e),
                messages_of(&e),
                crate::errors::field_errors_of(&e),
                (username, duty_code),
            )
            .await
        }
    }
}

/// Changes another administrator's duty or state.
#[handler]
pub(crate) async fn change_admin(req: &Request, Path(id): Path<i64>, body: String) -> PageResult {
    let me = security_account(req)?;
    let fields = Fields::parse(&body);
    let Some(duty) = Duty::parse(&fields.get("duty")) else {
        return refused(req, StatusCode::UNPROCESSABLE_ENTITY, "请选择管理员的角色");
    };
    let outcome = state(req)
        .run(
            actor_of(&me),
            &ChangeAdministrator {
                account: AccountId::new(id),
                duty,
                active: fields.get("active") == "1",
                version: fields.get("version").parse().unwrap_or(0),
            },
        )
        .await;
    match outcome {
        Ok(_) => Ok(redirect(&format!(
            "/association/accounts?notice={}",
            Notice::AccountSaved.code()
        ))),
        Err(e) => refused(req, status_of(&e), &messages_of(&e).join("；")),
    }
}

/// Resets any other account's password (an institution's or an administrator's).
#[handler]
pub(crate) async fn reset_password(req: &Request, Path(id): Path<i64>) -> PageResult {
    let me = security_account(req)?;
    let state = state(req);
    let Some(target) = state.store.account(AccountId::new(id)).await? else {
        return refused(req, StatusCode::NOT_FOUND, "未找到该账户");
    };
    let (password, hash) = new_password().await?;
    let outcome = state
        .run(
            actor_of(&me),
            &SetAccountPassword {
                account: target.id,
                password: hash,
                must_change_password: true,
                keep_session: None,
            },
        )
        .await;
    match outcome {
        Ok(()) => Ok(html(
            StatusCode::OK,
            &Secret {
                layout: layout(req),
                title: "登录密码已重置".to_owned(),
                subject: format!(
                    "用户名 {} 的新密码（该账户原有登录均已退出）：",
                    target.username
                ),
                secret: password,
                note: "请告知账户持有人；登录后须立即修改密码。".to_owned(),
                back: "/association/accounts".to_owned(),
            },
        )),
        Err(e) => refused(req, status_of(&e), &messages_of(&e).join("；")),
    }
}

/// Resets another account's second factor (`change=reset`), or requires one of an
/// institution's account (`change=require` / `change=release`).
#[handler]
pub(crate) async fn second_factor(req: &Request, Path(id): Path<i64>, body: String) -> PageResult {
    let me = security_account(req)?;
    let change = match Fields::parse(&body).get("change").as_str() {
        "reset" => SecondFactorChange::Reset,
        "require" => SecondFactorChange::Require(true),
        "release" => SecondFactorChange::Require(false),
        _ => return refused(req, StatusCode::UNPROCESSABLE_ENTITY, "未选择要办理的事项"),
    };
    let outcome = state(req)
        .run(
            actor_of(&me),
            &ChangeSecondFactor {
                account: AccountId::new(id),
                change,
            },
        )
        .await;
    match outcome {
        Ok(()) => Ok(redirect(&format!(
            "/association/accounts?notice={}",
            Notice::AccountSaved.code()
        ))),
        Err(e) => refused(req, status_of(&e), &messages_of(&e).join("；")),
    }
}

/// Lifts a login's lockout.
#[handler]
pub(crate) async fn unlock(req: &Request, Path(id): Path<i64>) -> PageResult {
    let me = security_account(req)?;
    let outcome = state(req)
        .run(
            actor_of(&me),
            &UnlockLogin {
                account: AccountId::new(id),
            },
        )
        .await;
    match outcome {
        Ok(()) => Ok(redirect(&format!(
            "/association/accounts?notice={}",
            Notice::LoginUnlocked.code()
        ))),
        Err(e) => refused(req, status_of(&e), &messages_of(&e).join("；")),
    }
}

fn refused(req: &Request, status: StatusCode, why: &str) -> PageResult {
    Ok(message_page(
        layout(req),
        status,
        "未能办理",
        why,
        Some(("/association/accounts", "返回账户管理")),
    ))
}
