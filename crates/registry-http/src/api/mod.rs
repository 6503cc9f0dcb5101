//! The JSON API (`/api/v1`): the operations of the pages, for programs. The OpenAPI
//! document is served at `/api/openapi.json`, Swagger UI at `/api/docs`.
//!
//! Authentication is the pages' cookie session (`POST /api/v1/session`), or an API token
//! of a machine client (`Authorization: Bearer`, see `registry_core::api_token`). Every
//! unsafe request of a session repeats the CSRF cookie in the `X-CSRF-Token` header
//! (`GET /api/v1/session` returns the token); a bearer request needs none. Errors have one shape: `{"code", "message", "violations": [{"code",
//! "message", "field"}]}` with stable codes and Chinese messages.
//!
//! This module assembles the service from one part per audience (`session`,
//! `association`, `institution`, `self_service`, `public`) and `outlook` (a person's
//! outlook and a cycle's 换证, for the association and institutions), `reminders` (reminder
//! settings and the outbox), `education` (courses and attendance), `assessments` (on-site assessments), `calendar` (the working-day calendar), `documents` (certificates and cards), `exports` and holds what they share: the
//! tags, the error answer and its mapping from the core's errors, and the guards that find
//! the state and the logged-in account of a request. The wire types the parts share are in
//! `wire`; every other wire type lives beside the operations that use it.
//!
//! The doc comment of an `Object` becomes its schema's description in the OpenAPI
//! document (as do those of its fields, of the variants of an `ApiResponse` and of the
//! tags): a wire type without a description has no doc comment.

mod accounts;
mod assessments;
mod association;
mod calendar;
mod documents;
mod education;
mod exports;
mod figures;
mod institution;
mod lists;
mod machine;
mod outlook;
mod people;
mod public;
mod reminders;
mod self_service;
mod session;
mod team;
mod wire;

use poem::Request;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApiService, Tags};
use registry_core::access::{Role, Work};
use registry_core::api_token::{Scope, TokenHolder};
use registry_core::ids::{InstitutionId, ProviderId};
use registry_core::ports::{Actor, StoreError};
use registry_core::usecases::UseCaseError;

use crate::AppState;
use crate::client::client_address;
use crate::secrets::new_password;
use crate::web::Visitor;

use accounts::AccountsApi;
use assessments::AssessmentsApi;
use association::AssociationApi;
use calendar::CalendarApi;
use documents::DocumentsApi;
use education::EducationApi;
use exports::ExportsApi;
use figures::FiguresApi;
use institution::InstitutionApi;
use lists::ListsApi;
use machine::MachineApi;
use outlook::OutlookApi;
use people::PeopleApi;
use public::PublicApi;
use reminders::RemindersApi;
use self_service::SelfServiceApi;
use session::SessionApi;
use team::TeamApi;

/// The tags of the operations, one per audience.
#[derive(Tags)]
enum Tag {
    /// 登录与账户
    Session,
    /// 促进会
    Association,
    /// 鉴定评审机构
    Institution,
    /// 评审人员信息填报
    SelfService,
    /// 公示区
    Public,
    /// 培训机构（接口令牌）
    Provider,
}

/// One rule violation.
#[derive(Object, Debug, Clone)]
struct ViolationBody {
    /// Stable code, e.g. `registration.age_limit`.
    code: String,
    /// Chinese message.
    message: String,
    /// The field it belongs to, if any.
    field: Option<String>,
}

/// Every error has this shape.
#[derive(Object, Debug, Clone)]
struct ErrorBody {
    /// Stable code, e.g. `rejected`, `not_found.person`, `conflict.item_held`.
    code: String,
    /// Chinese message.
    message: String,
    /// The rule violations, for `rejected`.
    violations: Vec<ViolationBody>,
}

/// Every error answer of the API, by status.
#[derive(ApiResponse, Debug)]
enum ApiError {
    /// 未登录，或密码错误
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// 无权进行此操作
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// 未找到（或不属于本机构）
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// 冲突：已被他人修改，或评审项已由其他机构聘用
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// 请求体过大（request.too_large），读取前即拒绝：登录与填报密码 16 KiB，合格名单与机构名单的导入（/association/imports/…）32 MiB，其余（含学时名单）1 MiB
    #[oai(status = 413)]
    TooLarge(Json<ErrorBody>),
    /// 请求违反规则（逐条列出）
    #[oai(status = 422)]
    Unprocessable(Json<ErrorBody>),
    /// 尝试次数过多
    #[oai(status = 429)]
    TooMany(Json<ErrorBody>),
    /// 数据库暂时无法访问
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
    /// 系统内部错误
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
}

/// A violation as sent.
fn violation_body(v: &registry_core::violation::Violation) -> ViolationBody {
    ViolationBody {
        code: v.code().to_owned(),
        message: v.to_string(),
        field: v.field().map(str::to_owned),
    }
}

/// An error body with a code and a message and no violations.
fn error_body(code: &str, message: impl Into<String>) -> Json<ErrorBody> {
    Json(ErrorBody {
        code: code.to_owned(),
        message: message.into(),
        violations: vec![],
    })
}

impl From<UseCaseError> for ApiError {
    fn from(e: UseCaseError) -> Self {
        let status = crate::errors::status_of(&e);
        let message = crate::errors::messages_of(&e).join("；");
        let violations = match &e {
            UseCaseError::Rejected(v) => v.as_slice().iter().map(violation_body).collect(),
            _ => vec![],
        };
        let json = Json(ErrorBody {
            code: e.code(),
            message,
            violations,
        });
        match status.as_u16() {
            404 => ApiError::NotFound(json),
            409 => ApiError::Conflict(json),
            422 => ApiError::Unprocessable(json),
            503 => ApiError::Unavailable(json),
            _ => ApiError::Internal(json),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable | StoreError::Retry => {
                ApiError::Unavailable(error_body("unavailable", "数据库暂时无法访问，请稍后重试"))
            }
            other => {
                tracing::error!(error = ?other, "storage failure in the API");
                ApiError::Internal(error_body("internal", "系统内部错误，请稍后重试"))
            }
        }
    }
}

/// What an operation answers.
type ApiResult<T> = Result<T, ApiError>;

/// The application's state.
fn state(req: &Request) -> ApiResult<&AppState> {
    req.data::<AppState>()
        .ok_or_else(|| ApiError::Internal(error_body("internal", "系统内部错误，请稍后重试")))
}

/// Who sent the request.
fn visitor(req: &Request) -> Visitor {
    req.data::<Visitor>().cloned().unwrap_or(Visitor::Anonymous)
}

/// The answer to a request that needs a login and has none, or whose bearer token does
/// not work (`token.unknown`, `token.revoked`, `token.expired`, `token.holder_disabled`).
fn unauthorized_for(visitor: &Visitor) -> ApiError {
    match visitor {
        Visitor::RefusedToken(code) => {
            let message = match *code {
                "token.revoked" => "接口令牌已吊销",
                "token.expired" => "接口令牌已过期",
                "token.holder_disabled" => "接口令牌所属机构已停用",
                _ => "接口令牌无效",
            };
            ApiError::Unauthorized(error_body(code, message))
        }
        _ => ApiError::Unauthorized(error_body("unauthorized", "请先登录")),
    }
}

/// The logged-in account of the request, or the answer to a request without one: 401 for
/// nobody or a token that does not work, 403 for a working token (no token does the work
/// of an account alone).
fn logged_in(visitor: &Visitor) -> ApiResult<&registry_core::access::Account> {
    match visitor {
        Visitor::Account { account, .. } => Ok(account),
        Visitor::Token(_) => Err(forbidden()),
        other => Err(unauthorized_for(other)),
    }
}

/// The answer to a token without the scope an operation needs.
fn scope_missing(scope: Scope) -> ApiError {
    ApiError::Forbidden(error_body(
        "token.scope",
        format!("接口令牌没有“{}”权限", scope.label()),
    ))
}

/// Who acts for a token.
fn token_actor(token: &registry_core::api_token::ApiToken) -> Actor {
    Actor::Token {
        token: token.id,
        holder: token.holder,
    }
}

/// The answer to an account of the wrong role.
fn forbidden() -> ApiError {
    ApiError::Forbidden(error_body("forbidden", "当前账户无权进行此操作"))
}

/// The logged-in institution account (which has changed its initial password), or an
/// institution's API token with `scope`.
fn institution(req: &Request, scope: Scope) -> ApiResult<(InstitutionId, Actor)> {
    let v = visitor(req);
    if let Visitor::Token(token) = &v {
        return match token.holder {
            TokenHolder::Institution(id) if token.allows(scope) => Ok((id, token_actor(token))),
            TokenHolder::Institution(_) => Err(scope_missing(scope)),
            TokenHolder::Provider(_) => Err(forbidden()),
        };
    }
    let account = logged_in(&v)?;
    password_current(req, account)?;
    match account.role {
        Role::Institution(id) => Ok((id, crate::auth::actor_of(account))),
        Role::Association(_) => Err(forbidden()),
    }
}

/// Refuses an account that must change its password first: generated or reset by someone
/// else (`password.must_change`), or expired (`password.expired`).
fn password_current(req: &Request, account: &registry_core::access::Account) -> ApiResult<()> {
    let state = state(req)?;
    if account.second_factor_required(&state.config.second_factor)
        && !account.second_factor_enrolled
        && account
            .password_change_due(state.today(), &state.config.passwords)
            .is_none()
    {
        return Err(ApiError::Forbidden(error_body(
            "second_factor.required",
            "请先启用双因素认证（网页：账户 → 双因素认证；接口：GET/POST /api/v1/account/second-factor）",
        )));
    }
    match account.password_change_due(state.today(), &state.config.passwords) {
        None => Ok(()),
        Some(registry_core::access::PasswordDue::SetBySomeoneElse) => Err(ApiError::Forbidden(
            error_body("password.must_change", "请先修改初始密码"),
        )),
        Some(registry_core::access::PasswordDue::Expired { .. }) => Err(ApiError::Forbidden(
            error_body("password.expired", "登录密码已到期，请先修改密码"),
        )),
    }
}

/// The logged-in system administrator of the association (the register's daily work).
fn association(req: &Request) -> ApiResult<Actor> {
    administrator(req, Work::Register)
}

/// The logged-in security administrator of the association (accounts).
fn security(req: &Request) -> ApiResult<Actor> {
    administrator(req, Work::Accounts)
}

/// The logged-in administrator whose duty does `work`.
fn administrator(req: &Request, work: Work) -> ApiResult<Actor> {
    let v = visitor(req);
    let account = logged_in(&v)?;
    password_current(req, account)?;
    if !account.role.may(work) {
        return Err(forbidden());
    }
    Ok(crate::auth::actor_of(account))
}

/// Who posts attendance: the association's system administrator (any course), or a
/// training provider's token with `attendance.write` (its own courses: the provider is
/// returned, and the use cases refuse another's course as not found).
fn attendance_poster(req: &Request) -> ApiResult<(Actor, Option<ProviderId>)> {
    if let Visitor::Token(token) = visitor(req) {
        return match token.holder {
            TokenHolder::Provider(id) if token.allows(Scope::Attendance) => {
                Ok((token_actor(&token), Some(id)))
            }
            TokenHolder::Provider(_) => Err(scope_missing(Scope::Attendance)),
            TokenHolder::Institution(_) => Err(forbidden()),
        };
    }
    Ok((association(req)?, None))
}

/// A training provider's token with `attendance.write`.
fn provider(req: &Request) -> ApiResult<(ProviderId, Actor)> {
    match attendance_poster(req)? {
        (actor, Some(id)) => Ok((id, actor)),
        (_, None) => Err(forbidden()),
    }
}

/// The public searches' per-visitor limit (the pages' too): 429 past it.
fn public_rate_limit(req: &Request, state: &AppState) -> ApiResult<()> {
    let client = client_address(req, state.config.trusted_proxy);
    if !state.count_search(&client) {
        return Err(ApiError::TooMany(error_body(
            "search.rate_limited",
            "查询过于频繁，请稍后再试",
        )));
    }
    Ok(())
}

/// A `Set-Cookie` value for `name`, or one that clears it.
fn cookie_header(state: &AppState, name: &str, value: &str, clear: bool) -> String {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if clear {
        text.push_str("; Max-Age=0");
    }
    if state.config.secure_cookies {
        text.push_str("; Secure");
    }
    text
}

/// A generated password, as shown once, and its hash.
async fn new_secret() -> ApiResult<(String, String)> {
    let secret = new_password()
        .await
        .map_err(|e| ApiError::from(StoreError::Unexpected(e.to_string())))?;
    Ok((secret.shown, secret.hash))
}

/// A new fill-in password, as shown once (grouped: `7kq4-m9tx-a2bd`), and its hash.
async fn new_fill_in_secret() -> ApiResult<(String, String)> {
    let secret = crate::secrets::new_fill_in_password()
        .await
        .map_err(|e| ApiError::from(StoreError::Unexpected(e.to_string())))?;
    Ok((secret.shown, secret.hash))
}

/// The operations of every part, in one service (two tuples: poem-openapi joins at most
/// 16 parts in one). Each part is a unit struct, so the service is `Parts::default()`:
/// a part is added here only.
type Parts = (
    (
        SessionApi,
        AssociationApi,
        InstitutionApi,
        OutlookApi,
        SelfServiceApi,
        PublicApi,
        RemindersApi,
        EducationApi,
    ),
    (
        AssessmentsApi,
        CalendarApi,
        DocumentsApi,
        ExportsApi,
        MachineApi,
        TeamApi,
        ListsApi,
        PeopleApi,
        AccountsApi,
        FiguresApi,
    ),
);

/// The API service, mounted at `/api/v1`.
pub(crate) fn service() -> OpenApiService<Parts, ()> {
    OpenApiService::new(
        Parts::default(),
        "特种设备鉴定评审人员管理系统 API",
        "1.0",
    )
    .description(
        "鉴定评审人员管理系统的 JSON 接口。人员登录后以 Cookie 保持会话，所有修改类请求须在 X-CSRF-Token 头中重复 registry_csrf Cookie 的值（GET /api/v1/session 返回该值）。机器客户端（机构的业务系统、培训机构）以促进会签发的接口令牌访问：Authorization: Bearer <令牌>，无需 CSRF；令牌只能在其持有方的权限和所授范围内使用（institution.read、institution.write、assessments.write、attendance.write），吊销或过期的令牌返回 401。错误统一为 {code, message, violations}。",
    )
    .server("/api/v1")
}

/// The OpenAPI document as served at `/api/openapi.json`: poem-openapi's, with two things
/// it does not write said, so that a client (and Schemathesis) learns the contract:
/// `additionalProperties: false` on every object a request body may hold (every such type
/// is `#[oai(deny_unknown_fields)]`: an unknown field is refused, 400 `request.invalid`),
/// and the standard `format: date` for a `time::Date` (poem-openapi names it
/// `naive-date`; it reads exactly `YYYY-MM-DD`).
pub(crate) fn document() -> String {
    let spec = service().spec();
    let Ok(mut doc) = serde_json::from_str::<serde_json::Value>(&spec) else {
        return spec;
    };
    standard_dates(&mut doc);
    let mut names = std::collections::BTreeSet::new();
    let mut pending = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) {
        for operation in paths.values().filter_map(|p| p.as_object()) {
            for op in operation.values() {
                if let Some(body) = op.get("requestBody") {
                    references(body, &mut pending);
                }
            }
        }
    }
    while let Some(name) = pending.pop() {
        if names.insert(name.clone())
            && let Some(schema) = doc.pointer(&format!("/components/schemas/{name}"))
        {
            references(schema, &mut pending);
        }
    }
    for name in names {
        if let Some(schema) = doc
            .pointer_mut(&format!("/components/schemas/{name}"))
            .and_then(|s| s.as_object_mut())
            .filter(|s| s.get("type").and_then(|t| t.as_str()) == Some("object"))
        {
            schema.insert(
                "additionalProperties".to_owned(),
                serde_json::Value::Bool(false),
            );
        }
    }
    serde_json::to_string_pretty(&doc).unwrap_or(spec)
}

/// `format: naive-date` as OpenAPI says it, `format: date`, everywhere in `value`.
fn standard_dates(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            if map.get("format").and_then(|f| f.as_str()) == Some("naive-date") {
                map.insert("format".to_owned(), "date".into());
            }
            map.values_mut().for_each(standard_dates);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(standard_dates),
        _ => {}
    }
}

/// The names of the component schemas `value` refers to (`$ref`), anywhere inside it.
fn references(value: &serde_json::Value, names: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner.as_str()) {
                    ("$ref", Some(target)) => {
                        if let Some(name) = target.strip_prefix("#/components/schemas/") {
                            names.push(name.to_owned());
                        }
                    }
                    _ => references(inner, names),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for inner in items {
                references(inner, names);
            }
        }
        _ => {}
    }
}
