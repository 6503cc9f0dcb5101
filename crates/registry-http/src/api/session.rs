//! Logging in and out, who is logged in (with the CSRF token), and changing one's own
//! password. The checks, the lockout and the sessions are `crate::auth`'s.

use poem::Request;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use registry_core::access::{Account, Role};

use super::wire::{CookieDone, Done};
use super::{
    ApiError, ApiResult, ErrorBody, Tag, ViolationBody, cookie_header, error_body, logged_in,
    state, visitor,
};
use crate::auth::{LoginOutcome, check_login, set_own_password, start_session};
use crate::client::client_address;
use crate::web::{CSRF_COOKIE, SESSION_COOKIE, Visitor, cookie};

/// The logged-in account's second factor, and a new secret to set one up.
#[derive(Object, Debug)]
struct SecondFactorOut {
    /// Set up already.
    enrolled: bool,
    /// Recovery codes not used yet, when set up.
    recovery_codes_left: Option<u64>,
    /// Required of this account: until it is set up, it can do nothing else.
    required: bool,
    /// A new secret (base32), for the authenticator app.
    secret: String,
    /// The same as an `otpauth://totp/…` address (what the page's QR code holds).
    otpauth_uri: String,
    /// The offer of that secret, sealed for this account: send it back with the code
    /// (`POST /account/second-factor`) within 30 minutes.
    offer: String,
}

/// A second factor to set up.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct EnrolmentIn {
    /// The `offer` of `GET /account/second-factor`: the secret set up is the one offered
    /// to this account, never one of the caller's choosing.
    #[oai(validator(max_length = 200))]
    offer: String,
    /// The 6-digit code the authenticator shows for it.
    #[oai(validator(max_length = 16))]
    code: String,
    /// Replacing a second factor: a code of the one in use, or a recovery code.
    #[oai(validator(max_length = 32))]
    current: Option<String>,
}

/// Recovery codes, shown once.
#[derive(Object, Debug)]
struct RecoveryCodes {
    /// Each works once in place of a code; only their hashes are kept.
    recovery_codes: Vec<String>,
}

/// Who is logged in, and the CSRF token to repeat in `X-CSRF-Token`.
#[derive(Object, Debug)]
struct SessionInfo {
    authenticated: bool,
    username: Option<String>,
    /// `association` or `institution`.
    role: Option<String>,
    /// An association account's duty (三员分立): `system` (the register's work),
    /// `security` (accounts) or `audit` (the audit log).
    duty: Option<String>,
    institution_id: Option<i64>,
    must_change_password: bool,
    /// The token to send as `X-CSRF-Token` on every unsafe request. It is bound to the
    /// session and changes at login, logout and when a fill-in entry opens: read it again
    /// (GET /session) after each; the login's answer carries the new one.
    csrf_token: Option<String>,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct LoginRequest {
    #[oai(validator(max_length = 64))]
    username: String,
    #[oai(write_only, validator(max_length = 256))]
    password: String,
    /// For an account with a second factor: the authenticator's current 6-digit code (or
    /// a recovery code). Without it such a login answers 401 `login.code_required`.
    #[oai(write_only, validator(max_length = 32))]
    code: Option<String>,
}

#[derive(ApiResponse, Debug)]
enum LoginResponse {
    /// 登录成功
    #[oai(status = 200)]
    Ok(Json<SessionInfo>, #[oai(header = "Set-Cookie")] String),
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct PasswordChange {
    #[oai(write_only, validator(max_length = 256))]
    current_password: String,
    /// The password rule of the core (`registry_core::access`): its length and kinds of
    /// characters; refused with every reason (422).
    #[oai(write_only, validator(max_length = 256))]
    new_password: String,
}

/// The session's operations (tag 登录与账户).
#[derive(Default)]
pub(crate) struct SessionApi;

/// What a logged-in account is, with the CSRF token to use.
fn account_info(account: &Account, csrf_token: Option<String>) -> SessionInfo {
    SessionInfo {
        authenticated: true,
        username: Some(account.username.as_str().to_owned()),
        role: Some(
            match account.role {
                Role::Association(_) => "association",
                Role::Institution(_) => "institution",
            }
            .to_owned(),
        ),
        duty: account.role.duty().map(|d| d.code().to_owned()),
        institution_id: match account.role {
            Role::Institution(id) => Some(id.get()),
            Role::Association(_) => None,
        },
        must_change_password: account.must_change_password,
        csrf_token,
    }
}

/// Who sent the request, with the CSRF token of the request or its cookie.
fn session_info(req: &Request) -> SessionInfo {
    let v = visitor(req);
    let csrf = req
        .data::<crate::web::Csrf>()
        .map(|c| c.0.clone())
        .or_else(|| cookie(req, CSRF_COOKIE));
    match v.account() {
        Some(a) => account_info(a, csrf),
        None => SessionInfo {
            authenticated: false,
            username: None,
            role: None,
            duty: None,
            institution_id: None,
            must_change_password: false,
            csrf_token: csrf,
        },
    }
}

#[OpenApi]
impl SessionApi {
    /// Who is logged in; the CSRF token for unsafe requests.
    #[oai(path = "/session", method = "get", tag = "Tag::Session")]
    async fn session(&self, req: &Request) -> Json<SessionInfo> {
        Json(session_info(req))
    }

    /// 机构登录: logs in an institution or association account.
    #[oai(path = "/session", method = "post", tag = "Tag::Session")]
    async fn login(&self, req: &Request, body: Json<LoginRequest>) -> ApiResult<LoginResponse> {
        let state = state(req)?;
        let client = client_address(req, state.config.trusted_proxy);
        match check_login(state, &client, &body.username, body.password.clone()).await? {
            LoginOutcome::Success(account) => {
                if account.second_factor_enrolled {
                    let Some(code) = body.code.as_deref() else {
                        return Err(ApiError::Unauthorized(error_body(
                            "login.code_required",
                            "该账户已启用双因素认证：请同时提交身份验证器当前的验证码（code）",
                        )));
                    };
                    // A wrong code counts under the login's lockout like a wrong password.
                    let attempt = match crate::auth::admit(
                        state,
                        registry_store::sessions::login_key(&account.username),
                        &client,
                    )
                    .await?
                    {
                        Ok(attempt) => attempt,
                        Err(minutes) => {
                            crate::auth::record_lock_if_new(state, &account.username, &client)
                                .await?;
                            return Err(ApiError::TooMany(error_body(
                                "login.locked",
                                format!("尝试次数过多，请于 {minutes} 分钟后再试"),
                            )));
                        }
                    };
                    if !crate::auth::right_code(state, &account, code).await? {
                        return Err(ApiError::Unauthorized(error_body(
                            "login.code_wrong",
                            "验证码不正确或已使用过",
                        )));
                    }
                    attempt.succeeded(state).await?;
                }
                let token = start_session(state, &account, &client).await?;
                // The token rotates with the session: the new one, bound to it.
                let csrf = crate::secrets::bound_token(
                    Some(&token),
                    crate::web::session_token(req, crate::web::ENTRY_COOKIE).as_deref(),
                );
                let info = account_info(&account, csrf);
                Ok(LoginResponse::Ok(
                    Json(info),
                    cookie_header(state, SESSION_COOKIE, &token, false),
                ))
            }
            LoginOutcome::Wrong => Err(ApiError::Unauthorized(error_body(
                "login.wrong",
                "用户名或密码错误",
            ))),
            LoginOutcome::Locked(minutes) => Err(ApiError::TooMany(error_body(
                "login.locked",
                format!("尝试次数过多，请于 {minutes} 分钟后再试"),
            ))),
        }
    }

    /// Logs out.
    #[oai(path = "/session", method = "delete", tag = "Tag::Session")]
    async fn logout(&self, req: &Request) -> ApiResult<CookieDone> {
        let state = state(req)?;
        if let Visitor::Account { session, .. } = visitor(req) {
            state.store.delete_session(&session).await?;
        }
        Ok(CookieDone::NoContent(cookie_header(
            state,
            SESSION_COOKIE,
            "",
            true,
        )))
    }

    /// Changes the logged-in account's password (strength rule of the core).
    #[oai(path = "/account/password", method = "put", tag = "Tag::Session")]
    async fn change_password(&self, req: &Request, body: Json<PasswordChange>) -> ApiResult<Done> {
        let state = state(req)?;
        let v = visitor(req);
        let Visitor::Account { account, session } = &v else {
            return Err(logged_in(&v).err().unwrap_or_else(super::forbidden));
        };
        let (account, session) = (account.clone(), session.clone());
        let client = client_address(req, state.config.trusted_proxy);
        let errors = set_own_password(
            state,
            &account,
            &session,
            &client,
            body.current_password.clone(),
            &body.new_password,
            None,
        )
        .await?;
        if errors.is_empty() {
            Ok(Done::NoContent)
        } else {
            Err(ApiError::Unprocessable(Json(ErrorBody {
                code: "rejected".to_owned(),
                message: errors.join("；"),
                violations: errors
                    .into_iter()
                    .map(|m| ViolationBody {
                        code: "password.rejected".to_owned(),
                        message: m,
                        field: Some("new_password".to_owned()),
                    })
                    .collect(),
            })))
        }
    }

    /// 双因素认证: whether the logged-in account has a second factor (and how many
    /// recovery codes are left), whether one is required of it, and a new secret to set up
    /// (base32, and as an `otpauth://` address for an authenticator app) — kept nowhere
    /// until `POST /account/second-factor` sends it back with the code it shows.
    #[oai(path = "/account/second-factor", method = "get", tag = "Tag::Session")]
    async fn second_factor(&self, req: &Request) -> ApiResult<Json<SecondFactorOut>> {
        let state = state(req)?;
        let v = visitor(req);
        let account = logged_in(&v)?;
        let offer = crate::second_factor::offer(state, account)?;
        let recovery_codes_left = if account.second_factor_enrolled {
            Some(state.store.recovery_codes_left(account.id).await?)
        } else {
            None
        };
        Ok(Json(SecondFactorOut {
            enrolled: account.second_factor_enrolled,
            recovery_codes_left,
            required: account.second_factor_required(&state.config.second_factor),
            secret: offer.secret,
            otpauth_uri: offer.uri,
            offer: offer.sealed,
        }))
    }

    /// Sets up (or replaces) the logged-in account's second factor: the offer of
    /// `GET /account/second-factor` and the 6-digit code the authenticator shows for its
    /// secret (a lapsed offer, or one made to another account: 422 `second_factor.offer`); to replace one, a code of the one in
    /// use (or a recovery code) as `current`, under the login's lockout. Answers the ten
    /// recovery codes, shown once. A wrong code: 422 `second_factor.wrong_code` (or
    /// `second_factor.wrong_current`); too many: 429 `login.locked`.
    #[oai(path = "/account/second-factor", method = "post", tag = "Tag::Session")]
    async fn enrol_second_factor(
        &self,
        req: &Request,
        body: Json<EnrolmentIn>,
    ) -> ApiResult<Json<RecoveryCodes>> {
        let state = state(req)?;
        let v = visitor(req);
        let account = logged_in(&v)?;
        let client = client_address(req, state.config.trusted_proxy);
        match crate::second_factor::enrol(
            state,
            account,
            &client,
            &body.offer,
            &body.code,
            body.current.as_deref().unwrap_or(""),
        )
        .await?
        {
            Ok(recovery_codes) => Ok(Json(RecoveryCodes { recovery_codes })),
            Err(crate::second_factor::Refused::Rejected(e)) => Err(e.into()),
            Err(refused @ crate::second_factor::Refused::Locked(_)) => Err(ApiError::TooMany(
                error_body(&refused.code(), refused.message()),
            )),
            Err(refused) => Err(ApiError::Unprocessable(error_body(
                &refused.code(),
                refused.message(),
            ))),
        }
    }
}
