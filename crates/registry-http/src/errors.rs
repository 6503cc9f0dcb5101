//! Error responses: an HTML page in Chinese for the pages, a JSON body with a stable code
//! for the API (`{"code": …, "message": …, "violations": […]}`). No database text and no
//! internal detail ever reaches the client; unexpected failures are logged with their
//! detail instead.
//!
//! Page handlers return [`PageResult`] and stop early with `?`: a [`PageError`] is either a
//! finished response to send instead of the page (the login page for a visitor who is not
//! logged in, a refusal, a not-found page) or a failure of the database, shown as the
//! error page.

use askama::Template;
use poem::http::{StatusCode, header};
use poem::{Request, Response};
use registry_core::ports::{Conflict, StoreError};
use registry_core::usecases::UseCaseError;
use serde_json::json;

use crate::templates::{Layout, Message};

fn is_api(req: &Request) -> bool {
    req.uri().path().starts_with("/api/")
}

/// Why a page handler stopped before its page.
#[derive(Debug)]
pub(crate) enum PageError {
    /// A finished response to send instead: a redirect, a refusal, a not-found page.
    Respond(Response),
    /// The database did not answer, or failed.
    Store(StoreError),
}

/// What a page handler returns.
pub(crate) type PageResult = Result<Response, PageError>;

impl From<Response> for PageError {
    fn from(response: Response) -> Self {
        PageError::Respond(response)
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        PageError::Store(e)
    }
}

impl From<crate::secrets::HashError> for PageError {
    fn from(e: crate::secrets::HashError) -> Self {
        PageError::Store(StoreError::Unexpected(e.to_string()))
    }
}

impl poem::IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Respond(response) => response,
            PageError::Store(e) => store_failure_page(&e),
        }
    }
}

/// A page handler's early stop travels through poem as an error that carries its response;
/// the page routes turn it back into that response (see `pages::routes`).
impl From<PageError> for poem::Error {
    fn from(e: PageError) -> Self {
        poem::Error::from_response(poem::IntoResponse::into_response(e))
    }
}

/// An HTML response from a rendered template.
pub(crate) fn html<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(body) => Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .body(body),
        Err(e) => {
            tracing::error!(error = ?e, "a template failed to render");
            Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
                .body("系统内部错误，请稍后重试")
        }
    }
}

/// A JSON error body.
pub(crate) fn json_error(
    status: StatusCode,
    code: &str,
    message: &str,
    violations: serde_json::Value,
) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(json!({ "code": code, "message": message, "violations": violations }).to_string())
}

/// The layout of a page shown to whoever asked, logged in or not.
pub(crate) fn bare_layout() -> Layout {
    Layout {
        csrf: String::new(),
        user: None,
        role: "",
        home: "/",
        password_notice: None,
        idle_seconds: None,
    }
}

/// A message page.
pub(crate) fn message_page(
    layout: Layout,
    status: StatusCode,
    title: &str,
    message: &str,
    link: Option<(&str, &str)>,
) -> Response {
    html(
        status,
        &Message {
            layout,
            title: title.to_owned(),
            message: message.to_owned(),
            link: link.map(|(a, b)| (a.to_owned(), b.to_owned())),
        },
    )
}

/// A form page's status: 200, or 422 when it shows what was refused.
pub(crate) fn status_of_form(errors: &[String]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// The CSRF token did not match: the form is stale or came from another site.
pub(crate) fn forbidden_csrf(req: &Request) -> Response {
    let client = req.data::<crate::AppState>().map_or_else(
        || "unknown".to_owned(),
        |state| crate::client::client_address(req, state.config.trusted_proxy),
    );
    tracing::warn!(
        target: "registry::security",
        method = req.method().as_str(),
        path = req.uri().path(),
        client,
        "request refused: CSRF token missing or wrong"
    );
    let message = "页面已过期或请求来源无效，请刷新页面后重试";
    if is_api(req) {
        json_error(StatusCode::FORBIDDEN, "csrf", message, json!([]))
    } else {
        message_page(
            bare_layout(),
            StatusCode::FORBIDDEN,
            "请求无效",
            message,
            Some(("/", "返回首页")),
        )
    }
}

/// The error page of a database that did not answer, or failed (the failure logged).
fn store_failure_page(e: &StoreError) -> Response {
    let (status, message) = store_failure_status(e);
    message_page(
        bare_layout(),
        status,
        "暂时无法处理",
        message,
        Some(("/", "返回首页")),
    )
}

/// The status and message of a storage failure; an unexpected one is logged.
fn store_failure_status(e: &StoreError) -> (StatusCode, &'static str) {
    match e {
        StoreError::Unavailable | StoreError::Retry => (
            StatusCode::SERVICE_UNAVAILABLE,
            "数据库暂时无法访问，请稍后重试",
        ),
        other => {
            tracing::error!(error = ?other, "storage failure");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "系统内部错误，请稍后重试",
            )
        }
    }
}

/// The database did not answer, or failed: the error page, or for the API its JSON body.
pub(crate) fn store_failure(req: &Request, e: &StoreError) -> Response {
    if is_api(req) {
        let (status, message) = store_failure_status(e);
        let code = if status == StatusCode::SERVICE_UNAVAILABLE {
            "unavailable"
        } else {
            "internal"
        };
        json_error(status, code, message, json!([]))
    } else {
        store_failure_page(e)
    }
}

/// The HTTP status of a use case's failure.
pub(crate) fn status_of(e: &UseCaseError) -> StatusCode {
    match e {
        UseCaseError::Rejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
        UseCaseError::NotFound(_) => StatusCode::NOT_FOUND,
        UseCaseError::Conflict(Conflict::ItemHeld { .. } | Conflict::Stale(_))
        | UseCaseError::Duplicate(_) => StatusCode::CONFLICT,
        UseCaseError::Busy | UseCaseError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        UseCaseError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The message of each violation that belongs to a form field, by the field's name (the
/// first one per field): shown beside the field, as every message is in the summary.
pub(crate) fn field_errors_of(
    e: &UseCaseError,
) -> std::collections::BTreeMap<&'static str, String> {
    let mut fields = std::collections::BTreeMap::new();
    if let UseCaseError::Rejected(violations) = e {
        for v in violations.as_slice() {
            if let Some(field) = v.field() {
                fields.entry(field).or_insert_with(|| v.to_string());
            }
        }
    }
    fields
}

/// The messages of a use case's failure, one per violation; logs unexpected ones.
pub(crate) fn messages_of(e: &UseCaseError) -> Vec<String> {
    match e {
        UseCaseError::Rejected(v) => v.as_slice().iter().map(ToString::to_string).collect(),
        UseCaseError::Unexpected(detail) => {
            tracing::error!(detail, "unexpected failure of a use case");
            vec![e.to_string()]
        }
        other => vec![other.to_string()],
    }
}
