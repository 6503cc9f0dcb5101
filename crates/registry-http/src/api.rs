//! The JSON API (`/api/v1`): the operations of the pages, for programs. The OpenAPI
//! document is served at `/api/openapi.json`, Swagger UI at `/api/docs`.
//!
//! Authentication is the pages' cookie session (`POST /api/v1/session`). Every unsafe
//! request repeats the CSRF cookie in the `X-CSRF-Token` header; `GET /api/v1/session`
//! returns the token. Errors have one shape: `{"code", "message", "violations": [{"code",
//! "message", "field"}]}` with stable codes and Chinese messages.

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, OpenApiService, Tags};
use registry_core::access::{PasswordHash, Role};
use registry_core::education::format_hours;
use registry_core::holding::{FillInPasswordHash, ItemState};
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::institution::InstitutionForm;
use registry_core::person::DetailsForm;
use registry_core::ports::{Actor, RegisterTx, StoreError};
use registry_core::qualification::ExamResultForm;
use registry_core::registration_number::RegistrationNumber;
use registry_core::resident_id::ResidentId;
use registry_core::review_item::ReviewItemCode;
use registry_core::usecases::{
    CreateInstitution, EmployItems, RecordExamResult, RegisterItems, ReleaseItem, SaveDetails,
    SetAccountPassword, SetFillInPassword, UpdateInstitution, UseCaseError,
};
use registry_store::queries::{InstitutionPeopleQuery, PoolQuery, PublicQuery};

use crate::AppState;
use crate::auth::{
    LoginOutcome, UnlockOutcome, check_login, set_own_password, start_session, try_unlock,
};
use crate::client::client_address;
use crate::secrets::new_password;
use crate::web::{CSRF_COOKIE, ENTRY_COOKIE, Entry, SESSION_COOKIE, Visitor, cookie};

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
            UseCaseError::Rejected(v) => v
                .as_slice()
                .iter()
                .map(|v| ViolationBody {
                    code: v.code().to_owned(),
                    message: v.to_string(),
                    field: v.field().map(str::to_owned),
                })
                .collect(),
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

type ApiResult<T> = Result<T, ApiError>;

fn state(req: &Request) -> ApiResult<&AppState> {
    req.data::<AppState>()
        .ok_or_else(|| ApiError::Internal(error_body("internal", "系统内部错误，请稍后重试")))
}

fn visitor(req: &Request) -> Visitor {
    req.data::<Visitor>().cloned().unwrap_or(Visitor::Anonymous)
}

fn unauthorized() -> ApiError {
    ApiError::Unauthorized(error_body("unauthorized", "请先登录"))
}

fn forbidden() -> ApiError {
    ApiError::Forbidden(error_body("forbidden", "当前账户无权进行此操作"))
}

/// The logged-in institution account (which has changed its initial password).
fn institution(req: &Request) -> ApiResult<(InstitutionId, Actor)> {
    let v = visitor(req);
    let account = v.account().ok_or_else(unauthorized)?;
    if account.must_change_password {
        return Err(ApiError::Forbidden(error_body(
            "password.must_change",
            "请先修改初始密码",
        )));
    }
    match account.role {
        Role::Institution(id) => Ok((id, crate::auth::actor_of(account))),
        Role::Association => Err(forbidden()),
    }
}

/// The logged-in association account.
fn association(req: &Request) -> ApiResult<Actor> {
    let v = visitor(req);
    let account = v.account().ok_or_else(unauthorized)?;
    if account.must_change_password {
        return Err(ApiError::Forbidden(error_body(
            "password.must_change",
            "请先修改初始密码",
        )));
    }
    if account.role != Role::Association {
        return Err(forbidden());
    }
    Ok(crate::auth::actor_of(account))
}

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

async fn new_secret() -> ApiResult<(String, String)> {
    let secret = new_password()
        .await
        .map_err(|e| ApiError::from(StoreError::Unexpected(e.to_string())))?;
    Ok((secret.shown, secret.hash))
}

// ——— wire types ———

/// Who is logged in, and the CSRF token to repeat in `X-CSRF-Token`.
#[derive(Object, Debug)]
struct SessionInfo {
    authenticated: bool,
    username: Option<String>,
    /// `association` or `institution`.
    role: Option<String>,
    institution_id: Option<i64>,
    must_change_password: bool,
    csrf_token: Option<String>,
}

/// A public search: `by` is `name`, `id` or `number`; `q` what is searched.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct PublicSearchIn {
    by: String,
    #[oai(write_only)]
    q: String,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct LoginRequest {
    username: String,
    #[oai(write_only)]
    password: String,
}

#[derive(ApiResponse, Debug)]
enum LoginResponse {
    /// 登录成功
    #[oai(status = 200)]
    Ok(Json<SessionInfo>, #[oai(header = "Set-Cookie")] String),
}

#[derive(ApiResponse, Debug)]
enum Done {
    /// 完成
    #[oai(status = 204)]
    NoContent,
}

#[derive(ApiResponse, Debug)]
enum CookieDone {
    /// 完成
    #[oai(status = 204)]
    NoContent(#[oai(header = "Set-Cookie")] String),
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct PasswordChange {
    #[oai(write_only)]
    current_password: String,
    #[oai(write_only)]
    new_password: String,
}

/// An item and its state.
#[derive(Object, Debug, Clone)]
struct ItemOut {
    code: String,
    name: String,
    /// invited, filling, awaiting_registration, registered, expired or released.
    state: String,
    /// 待填报, 信息填报中, 等待注册, 已注册, 已过期 or 已退回.
    state_label: String,
    valid_until: Option<String>,
}

fn item_out(
    state: &AppState,
    code: &ReviewItemCode,
    s: ItemState,
    valid_until: Option<time::Date>,
) -> ItemOut {
    ItemOut {
        code: code.as_str().to_owned(),
        name: state.catalogue.name_of(code).to_owned(),
        state: s.code().to_owned(),
        state_label: s.label().to_owned(),
        valid_until: valid_until
            .filter(|_| s == ItemState::Registered)
            .map(registry_core::date::format_date),
    }
}

#[derive(Object, Debug)]
struct InstitutionOut {
    id: i64,
    name: String,
    number: String,
    credit_code: String,
    provincial_number: Option<String>,
    national_number: Option<String>,
    contact: Option<String>,
    active: bool,
    version: i64,
    username: Option<String>,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct InstitutionIn {
    name: String,
    number: String,
    credit_code: String,
    #[oai(default)]
    provincial_number: String,
    #[oai(default)]
    national_number: String,
    #[oai(default)]
    contact: String,
}

impl InstitutionIn {
    fn form(&self) -> InstitutionForm {
        InstitutionForm {
            name: self.name.clone(),
            number: self.number.clone(),
            credit_code: self.credit_code.clone(),
            provincial_number: self.provincial_number.clone(),
            national_number: self.national_number.clone(),
            contact: self.contact.clone(),
        }
    }
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct NewInstitution {
    institution: InstitutionIn,
    /// The login name of the institution's account.
    username: String,
}

#[derive(Object, Debug)]
struct CreatedInstitution {
    id: i64,
    username: String,
    /// Shown once; must be changed at the first login.
    initial_password: String,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct InstitutionUpdate {
    institution: InstitutionIn,
    active: bool,
    /// The version read.
    version: i64,
}

#[derive(Object, Debug)]
struct Version {
    version: i64,
}

#[derive(Object, Debug)]
struct Secret {
    /// Shown once; only its hash is kept.
    password: String,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct ExamResultIn {
    resident_id: String,
    name: String,
    items: Vec<String>,
    /// YYYY-MM-DD
    exam_date: String,
    /// YYYY-MM-DD
    published_on: String,
}

#[derive(Object, Debug)]
struct ExamRecorded {
    person_id: i64,
    created: bool,
    added: Vec<String>,
    already: Vec<String>,
}

#[derive(Object, Debug)]
struct PersonOut {
    id: i64,
    name: String,
    masked_id: String,
    registration_number: Option<String>,
    items: Vec<ItemOut>,
}

#[derive(Object, Debug)]
struct PeoplePage {
    total: u64,
    people: Vec<PersonOut>,
}

#[derive(Object, Debug)]
struct ItemCheck {
    #[oai(flatten)]
    item: ItemOut,
    registrable: bool,
    problems: Vec<String>,
}

#[derive(Object, Debug)]
struct PersonDetail {
    id: i64,
    name: String,
    masked_id: String,
    registration_number: Option<String>,
    details_complete: bool,
    missing: String,
    items: Vec<ItemCheck>,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct EmployIn {
    person_id: i64,
    items: Vec<String>,
}

#[derive(Object, Debug)]
struct Employed {
    new_employment: bool,
    /// The fill-in password, when the employment is new (shown once).
    fill_in_password: Option<String>,
    items: Vec<ItemOut>,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct ItemsIn {
    items: Vec<String>,
}

#[derive(Object, Debug)]
struct RegisteredItem {
    code: String,
    valid_from: String,
    valid_until: String,
}

#[derive(Object, Debug)]
struct RegisteredOut {
    registration_number: String,
    items: Vec<RegisteredItem>,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct ReleaseIn {
    item: String,
    reason: String,
}

#[derive(Object, Debug)]
struct SelfServiceMatchOut {
    person_id: i64,
    name: String,
    institution_id: i64,
    institution_name: String,
    items: Vec<ItemOut>,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct UnlockIn {
    #[oai(write_only)]
    password: String,
}

/// The assessor's own details. Nothing else (state, items, institution, registration)
/// can be sent: unknown fields are refused.
#[derive(Object, Debug, Clone, Default)]
#[oai(deny_unknown_fields)]
struct DetailsBody {
    #[oai(default)]
    sex: String,
    #[oai(default)]
    ethnicity: String,
    #[oai(default)]
    education: String,
    #[oai(default)]
    school: String,
    #[oai(default)]
    major: String,
    #[oai(default)]
    title: String,
    #[oai(default)]
    work_unit: String,
    #[oai(default)]
    position: String,
    #[oai(default)]
    mobile: String,
    #[oai(default)]
    email: String,
    #[oai(default)]
    province: String,
    #[oai(default)]
    city: String,
    #[oai(default)]
    district: String,
    #[oai(default)]
    street: String,
    #[oai(default)]
    postcode: String,
}

impl From<DetailsForm> for DetailsBody {
    fn from(f: DetailsForm) -> Self {
        DetailsBody {
            sex: f.sex,
            ethnicity: f.ethnicity,
            education: f.education,
            school: f.school,
            major: f.major,
            title: f.title,
            work_unit: f.work_unit,
            position: f.position,
            mobile: f.mobile,
            email: f.email,
            province: f.province,
            city: f.city,
            district: f.district,
            street: f.street,
            postcode: f.postcode,
        }
    }
}

impl From<DetailsBody> for DetailsForm {
    fn from(b: DetailsBody) -> Self {
        DetailsForm {
            sex: b.sex,
            ethnicity: b.ethnicity,
            education: b.education,
            school: b.school,
            major: b.major,
            title: b.title,
            work_unit: b.work_unit,
            position: b.position,
            mobile: b.mobile,
            email: b.email,
            province: b.province,
            city: b.city,
            district: b.district,
            street: b.street,
            postcode: b.postcode,
        }
    }
}

#[derive(Object, Debug)]
struct DetailsOut {
    name: String,
    masked_id: String,
    institution_name: String,
    /// The version to send back with a change.
    version: i64,
    details: DetailsBody,
    /// Required fields still empty.
    missing: Vec<String>,
    items: Vec<ItemOut>,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct DetailsUpdate {
    /// The version read.
    version: i64,
    details: DetailsBody,
}

#[derive(Object, Debug)]
struct DetailsSavedOut {
    version: i64,
    missing: Vec<String>,
    message: String,
    items: Vec<ItemOut>,
}

#[derive(Object, Debug)]
struct PublicItem {
    code: String,
    name: String,
    valid_until: String,
}

#[derive(Object, Debug)]
struct PublicInstitution {
    name: String,
    items: Vec<PublicItem>,
}

/// A registered person, as the public sees them: never an ID number, phone or address.
#[derive(Object, Debug)]
struct PublicPersonOut {
    name: String,
    registration_number: Option<String>,
    institutions: Vec<PublicInstitution>,
    cycle: Option<String>,
    hours_this_cycle: String,
    working_days: u32,
}

#[derive(Object, Debug)]
struct PoolEntryOut {
    person_id: i64,
    name: String,
    item: String,
    item_name: String,
    qualified_on: String,
}

pub(crate) struct Api;

fn session_info(req: &Request) -> SessionInfo {
    let v = visitor(req);
    let csrf = req
        .data::<crate::web::Csrf>()
        .map(|c| c.0.clone())
        .or_else(|| cookie(req, CSRF_COOKIE));
    match v.account() {
        Some(a) => SessionInfo {
            authenticated: true,
            username: Some(a.username.as_str().to_owned()),
            role: Some(match a.role {
                Role::Association => "association".to_owned(),
                Role::Institution(_) => "institution".to_owned(),
            }),
            institution_id: v.institution().map(InstitutionId::get),
            must_change_password: a.must_change_password,
            csrf_token: csrf,
        },
        None => SessionInfo {
            authenticated: false,
            username: None,
            role: None,
            institution_id: None,
            must_change_password: false,
            csrf_token: csrf,
        },
    }
}

#[OpenApi]
impl Api {
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
                let token = start_session(state, &account).await?;
                let info = SessionInfo {
                    authenticated: true,
                    username: Some(account.username.as_str().to_owned()),
                    role: Some(
                        if account.role == Role::Association {
                            "association"
                        } else {
                            "institution"
                        }
                        .to_owned(),
                    ),
                    institution_id: match account.role {
                        Role::Institution(id) => Some(id.get()),
                        Role::Association => None,
                    },
                    must_change_password: account.must_change_password,
                    csrf_token: session_info(req).csrf_token,
                };
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
        let Visitor::Account { account, session } = visitor(req) else {
            return Err(unauthorized());
        };
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

    /// Every institution, with its login name.
    #[oai(path = "/institutions", method = "get", tag = "Tag::Association")]
    async fn institutions(&self, req: &Request) -> ApiResult<Json<Vec<InstitutionOut>>> {
        association(req)?;
        let state = state(req)?;
        let text =
            |t: &Option<registry_core::text::Text>| t.as_ref().map(|t| t.as_str().to_owned());
        Ok(Json(
            state
                .store
                .institutions()
                .await?
                .into_iter()
                .map(|l| {
                    let d = &l.institution.details;
                    InstitutionOut {
                        id: l.institution.id.get(),
                        name: d.name.as_str().to_owned(),
                        number: d.number.as_str().to_owned(),
                        credit_code: d.credit_code.as_str().to_owned(),
                        provincial_number: text(&d.provincial_number),
                        national_number: text(&d.national_number),
                        contact: text(&d.contact),
                        active: l.institution.active,
                        version: l.institution.version,
                        username: l.username,
                    }
                })
                .collect(),
        ))
    }

    /// Creates an institution with its login account; the initial password is returned
    /// once.
    #[oai(path = "/institutions", method = "post", tag = "Tag::Association")]
    async fn create_institution(
        &self,
        req: &Request,
        body: Json<NewInstitution>,
    ) -> ApiResult<Json<CreatedInstitution>> {
        let actor = association(req)?;
        let state = state(req)?;
        let (password, hash) = new_secret().await?;
        let (id, _) = state
            .run(
                actor,
                &CreateInstitution {
                    form: body.institution.form(),
                    username: body.username.clone(),
                    password: PasswordHash::new(hash),
                },
            )
            .await?;
        Ok(Json(CreatedInstitution {
            id: id.get(),
            username: body.username.trim().to_ascii_lowercase(),
            initial_password: password,
        }))
    }

    /// Edits, disables or enables an institution.
    #[oai(path = "/institutions/:id", method = "put", tag = "Tag::Association")]
    async fn update_institution(
        &self,
        req: &Request,
        id: Path<i64>,
        body: Json<InstitutionUpdate>,
    ) -> ApiResult<Json<Version>> {
        let actor = association(req)?;
        let state = state(req)?;
        let version = state
            .run(
                actor,
                &UpdateInstitution {
                    id: InstitutionId::new(id.0),
                    form: body.institution.form(),
                    active: body.active,
                    version: body.version,
                },
            )
            .await?;
        Ok(Json(Version { version }))
    }

    /// Resets an institution's login password (returned once; must be changed).
    #[oai(
        path = "/institutions/:id/password",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn reset_institution_password(
        &self,
        req: &Request,
        id: Path<i64>,
    ) -> ApiResult<Json<Secret>> {
        let actor = association(req)?;
        let state = state(req)?;
        let account = {
            let mut tx = state.store.begin_read().await?;
            tx.account_of_institution(InstitutionId::new(id.0)).await?
        }
        .ok_or_else(|| ApiError::NotFound(error_body("not_found.institution", "未找到该机构")))?;
        let (password, hash) = new_secret().await?;
        state
            .run(
                actor,
                &SetAccountPassword {
                    account: account.id,
                    password: PasswordHash::new(hash),
                    must_change_password: true,
                    keep_session: None,
                },
            )
            .await?;
        Ok(Json(Secret { password }))
    }

    /// Records an exam result (考核合格名单): refused for candidates aged 65 or over on the
    /// exam date.
    #[oai(path = "/exam-results", method = "post", tag = "Tag::Association")]
    async fn record_exam(
        &self,
        req: &Request,
        body: Json<ExamResultIn>,
    ) -> ApiResult<Json<ExamRecorded>> {
        let actor = association(req)?;
        let state = state(req)?;
        let recorded = state
            .run(
                actor,
                &RecordExamResult {
                    form: ExamResultForm {
                        resident_id: body.resident_id.clone(),
                        name: body.name.clone(),
                        items: body.items.clone(),
                        exam_date: body.exam_date.clone(),
                        published_on: body.published_on.clone(),
                    },
                },
            )
            .await?;
        Ok(Json(ExamRecorded {
            person_id: recorded.person.get(),
            created: recorded.created,
            added: recorded
                .added
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
            already: recorded
                .already
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
        }))
    }

    /// 本机构人员: the institution's people with the state of each item.
    #[oai(path = "/institution/people", method = "get", tag = "Tag::Institution")]
    async fn institution_people(
        &self,
        req: &Request,
        state_filter: Query<Option<String>>,
        name: Query<Option<String>>,
        offset: Query<Option<u64>>,
        limit: Query<Option<u64>>,
    ) -> ApiResult<Json<PeoplePage>> {
        let (institution, _) = institution(req)?;
        let state = state(req)?;
        let query = InstitutionPeopleQuery {
            state: state_filter.0.as_deref().and_then(ItemState::from_code),
            name: name.0,
            offset: offset.0.unwrap_or(0),
            limit: limit.0.unwrap_or(20),
        };
        let (people, total) = state
            .store
            .institution_people(institution, &query, state.today())
            .await?;
        Ok(Json(PeoplePage {
            total,
            people: people
                .into_iter()
                .map(|p| PersonOut {
                    id: p.person.get(),
                    name: p.name,
                    masked_id: p.masked_id,
                    registration_number: p.registration_number.map(|n| n.to_string()),
                    items: p
                        .items
                        .iter()
                        .map(|i| item_out(state, &i.item, i.state, i.valid_until))
                        .collect(),
                })
                .collect(),
        }))
    }

    /// A person of the institution: each item, whether it can be registered and why not.
    #[oai(
        path = "/institution/people/:id",
        method = "get",
        tag = "Tag::Institution"
    )]
    async fn institution_person(
        &self,
        req: &Request,
        id: Path<i64>,
    ) -> ApiResult<Json<PersonDetail>> {
        let (institution, _) = institution(req)?;
        let state = state(req)?;
        let person = PersonId::new(id.0);
        let not_found = || ApiError::NotFound(error_body("not_found.person", "未找到该人员"));
        let mut tx = state.store.begin_read().await?;
        let record = registry_core::read::record::PersonRecord::load(&mut tx, person)
            .await?
            .ok_or_else(not_found)?;
        let cycles = tx.cycles().await?;
        drop(tx);
        let reference = registry_core::registration::Reference {
            catalogue: &state.catalogue,
            cycles: &cycles,
        };
        let view = registry_core::read::institution_view::institution_view(
            &record,
            reference,
            institution,
            state.today(),
        )
        .ok_or_else(not_found)?;
        let p = &record.person;
        Ok(Json(PersonDetail {
            id: id.0,
            name: p.name.as_str().to_owned(),
            masked_id: p.resident_id.masked(),
            registration_number: p.registration_number.map(|n| n.to_string()),
            details_complete: view.missing.is_empty(),
            missing: registry_core::person::labels(&view.missing),
            items: view
                .items
                .iter()
                .map(|held| ItemCheck {
                    item: item_out(state, &held.item, held.state, held.valid_until),
                    registrable: held.registrable,
                    problems: held.problems.iter().map(ToString::to_string).collect(),
                })
                .collect(),
        }))
    }

    /// 添加人员 / 聘用: employs a qualified person's items that no institution holds. A new
    /// employment sets the fill-in password, returned once.
    #[oai(
        path = "/institution/people",
        method = "post",
        tag = "Tag::Institution"
    )]
    async fn employ(&self, req: &Request, body: Json<EmployIn>) -> ApiResult<Json<Employed>> {
        let (institution, actor) = institution(req)?;
        let state = state(req)?;
        let (password, hash) = new_secret().await?;
        let employed = state
            .run(
                actor,
                &EmployItems {
                    institution,
                    person: PersonId::new(body.person_id),
                    items: body.items.clone(),
                    password: Some(FillInPasswordHash::new(hash)),
                },
            )
            .await?;
        Ok(Json(Employed {
            new_employment: employed.new_employment,
            fill_in_password: employed.new_employment.then_some(password),
            items: employed
                .items
                .iter()
                .map(|(c, s)| item_out(state, c, *s, None))
                .collect(),
        }))
    }

    /// 设置填报密码: generates a new fill-in password (returned once); the old one stops
    /// working at once.
    #[oai(
        path = "/institution/people/:id/password",
        method = "post",
        tag = "Tag::Institution"
    )]
    async fn reset_fill_in_password(
        &self,
        req: &Request,
        id: Path<i64>,
    ) -> ApiResult<Json<Secret>> {
        let (institution, actor) = institution(req)?;
        let state = state(req)?;
        let (password, hash) = new_secret().await?;
        let person = PersonId::new(id.0);
        state
            .run(
                actor,
                &SetFillInPassword {
                    institution,
                    person,
                    password: FillInPasswordHash::new(hash),
                },
            )
            .await?;
        Ok(Json(Secret { password }))
    }

    /// 注册: registers items of a person, all or none, every violation listed.
    #[oai(
        path = "/institution/people/:id/registrations",
        method = "post",
        tag = "Tag::Institution"
    )]
    async fn register(
        &self,
        req: &Request,
        id: Path<i64>,
        body: Json<ItemsIn>,
    ) -> ApiResult<Json<RegisteredOut>> {
        let (institution, actor) = institution(req)?;
        let state = state(req)?;
        let registered = state
            .run(
                actor,
                &RegisterItems {
                    institution,
                    person: PersonId::new(id.0),
                    items: body.items.clone(),
                },
            )
            .await?;
        Ok(Json(RegisteredOut {
            registration_number: registered.number.to_string(),
            items: registered
                .items
                .iter()
                .map(|(code, p)| RegisteredItem {
                    code: code.as_str().to_owned(),
                    valid_from: registry_core::date::format_date(p.valid_from),
                    valid_until: registry_core::date::format_date(p.valid_until),
                })
                .collect(),
        }))
    }

    /// 退回人员: releases an item to the pool, with a reason.
    #[oai(
        path = "/institution/people/:id/releases",
        method = "post",
        tag = "Tag::Institution"
    )]
    async fn release(
        &self,
        req: &Request,
        id: Path<i64>,
        body: Json<ReleaseIn>,
    ) -> ApiResult<Done> {
        let (institution, actor) = institution(req)?;
        let state = state(req)?;
        state
            .run(
                actor,
                &ReleaseItem {
                    institution,
                    person: PersonId::new(id.0),
                    item: body.item.clone(),
                    reason: body.reason.clone(),
                },
            )
            .await?;
        Ok(Done::NoContent)
    }

    /// 评审人员信息填报 (fig. 1–3): people by exact name employed by an institution whose
    /// name contains the text.
    #[oai(
        path = "/self-service/search",
        method = "get",
        tag = "Tag::SelfService"
    )]
    async fn self_service_search(
        &self,
        req: &Request,
        name: Query<String>,
        institution: Query<String>,
    ) -> ApiResult<Json<Vec<SelfServiceMatchOut>>> {
        let state = state(req)?;
        // The same per-visitor limit as the page's and the public search's.
        public_rate_limit(req, state)?;
        let found = state
            .store
            .self_service_search(&name.0, &institution.0, state.today(), 20)
            .await?;
        Ok(Json(
            found
                .into_iter()
                .map(|m| SelfServiceMatchOut {
                    person_id: m.person.get(),
                    name: m.name,
                    institution_id: m.institution.get(),
                    institution_name: m.institution_name,
                    items: m
                        .items
                        .iter()
                        .map(|(c, s)| item_out(state, c, *s, None))
                        .collect(),
                })
                .collect(),
        ))
    }

    /// 人员基本信息 (fig. 4–5): opens the entry with the fill-in password. A wrong
    /// password, or an entry that does not exist, answers 401; too many, 429.
    #[oai(
        path = "/self-service/:person/:institution/unlock",
        method = "post",
        tag = "Tag::SelfService"
    )]
    async fn unlock(
        &self,
        req: &Request,
        person: Path<i64>,
        institution: Path<i64>,
        body: Json<UnlockIn>,
    ) -> ApiResult<CookieDone> {
        let state = state(req)?;
        let client = client_address(req, state.config.trusted_proxy);
        match try_unlock(
            state,
            &client,
            PersonId::new(person.0),
            InstitutionId::new(institution.0),
            body.password.clone(),
        )
        .await?
        {
            UnlockOutcome::Opened(token) => Ok(CookieDone::NoContent(cookie_header(
                state,
                ENTRY_COOKIE,
                &token,
                false,
            ))),
            UnlockOutcome::Wrong => Err(ApiError::Unauthorized(error_body(
                "fill_in.wrong",
                "密码错误，如无法进入请联系受聘的评审机构",
            ))),
            UnlockOutcome::Locked(minutes) => Err(ApiError::TooMany(error_body(
                "fill_in.locked",
                format!("尝试次数过多，请于 {minutes} 分钟后再试"),
            ))),
        }
    }

    /// The assessor's own details (after unlocking).
    #[oai(
        path = "/self-service/:person/:institution/details",
        method = "get",
        tag = "Tag::SelfService"
    )]
    async fn details(
        &self,
        req: &Request,
        person: Path<i64>,
        institution: Path<i64>,
    ) -> ApiResult<Json<DetailsOut>> {
        let entry = open_entry(req, person.0, institution.0)?;
        let state = state(req)?;
        details_out(state, entry).await.map(Json)
    }

    /// 确定 (fig. 6): saves the assessor's own details. Only the details: a body with any
    /// other field (state, items, institution, registration) is refused.
    #[oai(
        path = "/self-service/:person/:institution/details",
        method = "put",
        tag = "Tag::SelfService"
    )]
    async fn save_details(
        &self,
        req: &Request,
        person: Path<i64>,
        institution: Path<i64>,
        body: Json<DetailsUpdate>,
    ) -> ApiResult<Json<DetailsSavedOut>> {
        let entry = open_entry(req, person.0, institution.0)?;
        let state = state(req)?;
        let saved = state
            .run(
                Actor::Assessor {
                    person: entry.person,
                    via: entry.institution,
                },
                &SaveDetails {
                    person: entry.person,
                    via: entry.institution,
                    form: body.0.details.clone().into(),
                    version: body.version,
                },
            )
            .await?;
        Ok(Json(DetailsSavedOut {
            version: saved.version,
            missing: saved.missing.iter().map(|f| f.code().to_owned()).collect(),
            message: saved.message(),
            items: saved
                .items
                .iter()
                .map(|(c, s)| item_out(state, c, *s, None))
                .collect(),
        }))
    }

    /// 人员查询 (public): registered people by name (`by=name`) or registration number
    /// (`by=number`). By ID number only with `POST /public/people/search`: an ID number
    /// in an address is refused (`query.resident_id_in_address`), since addresses are kept
    /// in histories and proxies' logs. Never shows an ID number, phone or address.
    #[oai(path = "/public/people", method = "get", tag = "Tag::Public")]
    async fn public_people(
        &self,
        req: &Request,
        by: Query<String>,
        q: Query<String>,
    ) -> ApiResult<Json<Vec<PublicPersonOut>>> {
        if by.0 == "id" {
            return Err(ApiError::Unprocessable(error_body(
                "query.resident_id_in_address",
                "身份证号不放在网址中：请用 POST /api/v1/public/people/search 在请求体中提交",
            )));
        }
        public_people_answer(req, &by.0, &q.0).await
    }

    /// 人员查询 (public) with the search in the body: by name, whole ID number or
    /// registration number. Never shows an ID number, phone or address.
    #[oai(path = "/public/people/search", method = "post", tag = "Tag::Public")]
    async fn public_people_search(
        &self,
        req: &Request,
        body: Json<PublicSearchIn>,
    ) -> ApiResult<Json<Vec<PublicPersonOut>>> {
        public_people_answer(req, &body.0.by, &body.0.q).await
    }

    /// 无聘用单位人员 (public): qualified items no institution holds.
    #[oai(path = "/public/pool", method = "get", tag = "Tag::Public")]
    async fn public_pool(
        &self,
        req: &Request,
        name: Query<Option<String>>,
        item: Query<Option<String>>,
    ) -> ApiResult<Json<Vec<PoolEntryOut>>> {
        let state = state(req)?;
        public_rate_limit(req, state)?;
        let cycles = {
            let mut tx = state.store.begin_read().await?;
            tx.cycles().await?
        };
        let today = state.today();
        let query = PoolQuery {
            name: name.0.filter(|n| !n.trim().is_empty()),
            item: item
                .0
                .as_deref()
                .and_then(|c| ReviewItemCode::parse(c).ok()),
            after: None,
            limit: 20,
        };
        let entries = state
            .store
            .pool_search(
                &query,
                today,
                cycles.policy_at(today).registration_age_limit,
            )
            .await?;
        Ok(Json(
            entries
                .into_iter()
                .map(|e| PoolEntryOut {
                    person_id: e.person.get(),
                    name: e.name,
                    item_name: state.catalogue.name_of(&e.item).to_owned(),
                    item: e.item.as_str().to_owned(),
                    qualified_on: registry_core::date::format_date(e.qualified_on),
                })
                .collect(),
        ))
    }
}

/// The public search's answer for `by` and `q`, from the address or the body.
async fn public_people_answer(
    req: &Request,
    by: &str,
    q: &str,
) -> ApiResult<Json<Vec<PublicPersonOut>>> {
    let state = state(req)?;
    let text = q.trim();
    let query = match by {
        "name" if !text.is_empty() && text.chars().count() <= 30 => {
            PublicQuery::Name(text.to_owned())
        }
        "id" => PublicQuery::ResidentId(ResidentId::parse(text, state.today()).map_err(|e| {
            ApiError::Unprocessable(error_body("query.resident_id", e.to_string()))
        })?),
        "number" => {
            PublicQuery::RegistrationNumber(RegistrationNumber::parse(text).map_err(|e| {
                ApiError::Unprocessable(error_body("query.registration_number", e.to_string()))
            })?)
        }
        _ => {
            return Err(ApiError::Unprocessable(error_body(
                "query.invalid",
                "请按姓名、身份证号或注册号查询（by = name、id 或 number）",
            )));
        }
    };
    public_rate_limit(req, state)?;
    let found = state
        .store
        .public_search(&query, state.today(), &state.calendar(), 20)
        .await?;
    Ok(Json(
        found
            .into_iter()
            .map(|p| PublicPersonOut {
                name: p.name,
                registration_number: p.registration_number.map(|n| n.to_string()),
                institutions: p
                    .institutions
                    .into_iter()
                    .map(|i| PublicInstitution {
                        name: i.name,
                        items: i
                            .items
                            .iter()
                            .map(|(code, until)| PublicItem {
                                code: code.as_str().to_owned(),
                                name: state.catalogue.name_of(code).to_owned(),
                                valid_until: registry_core::date::format_date(*until),
                            })
                            .collect(),
                    })
                    .collect(),
                cycle: p.cycle,
                hours_this_cycle: format_hours(p.hours_this_cycle),
                working_days: p.working_days,
            })
            .collect(),
    ))
}

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

fn open_entry(req: &Request, person: i64, institution: i64) -> ApiResult<Entry> {
    match req.data::<Entry>() {
        Some(entry) if entry.person.get() == person && entry.institution.get() == institution => {
            Ok(*entry)
        }
        _ => Err(ApiError::Unauthorized(error_body(
            "fill_in.locked_entry",
            "请先输入填报密码",
        ))),
    }
}

async fn details_out(state: &AppState, entry: Entry) -> ApiResult<DetailsOut> {
    let mut tx = state.store.begin_read().await?;
    let person = tx
        .person(entry.person)
        .await?
        .ok_or_else(|| ApiError::NotFound(error_body("not_found.person", "未找到该人员")))?;
    let institution = tx
        .institution(entry.institution)
        .await?
        .ok_or_else(|| ApiError::NotFound(error_body("not_found.institution", "未找到该机构")))?;
    let today = state.today();
    let items = tx
        .holdings_of(entry.person)
        .await?
        .iter()
        .filter(|h| h.institution == entry.institution && h.state.is_active())
        .map(|h| {
            item_out(
                state,
                &h.item,
                h.state_on(today),
                h.registration.as_ref().map(|r| r.valid_until),
            )
        })
        .collect();
    Ok(DetailsOut {
        name: person.name.as_str().to_owned(),
        masked_id: person.resident_id.masked(),
        institution_name: institution.details.name.as_str().to_owned(),
        version: person.version,
        details: person.details.to_form().into(),
        missing: person
            .details
            .missing()
            .iter()
            .map(|f| f.code().to_owned())
            .collect(),
        items,
    })
}

/// The API service, mounted at `/api/v1`.
pub(crate) fn service() -> OpenApiService<Api, ()> {
    OpenApiService::new(Api, "特种设备鉴定评审人员管理系统 API", "1.0")
        .description(
            "鉴定评审人员管理系统的 JSON 接口。登录后以 Cookie 保持会话；所有修改类请求须在 X-CSRF-Token 头中重复 registry_csrf Cookie 的值（GET /api/v1/session 返回该值）。错误统一为 {code, message, violations}。",
        )
        .server("/api/v1")
}
