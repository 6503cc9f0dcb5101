//! What a request the routes do not answer gets: an unknown address (404), a method the
//! address does not take (405), or a request poem could not even parse into a handler's
//! arguments (400). Pages answer a Chinese page with the site's header and a way home;
//! the API answers its JSON error shape with a stable code. Never the framework's bare
//! English "not found".
//!
//! A request the OpenAPI document refuses before any operation runs (a missing or
//! malformed parameter, a body that is not the schema's JSON or breaks one of its limits,
//! a content type the operation does not take) gets the API's error shape too: status 400
//! (415 for the content type), code `request.invalid` (`request.content_type`), and one
//! violation naming the parameter or field when the framework says which; the
//! framework's own reason follows the Chinese message.

use poem::error::{MethodNotAllowedError, NotFoundError, ParsePathError};
use poem::http::{StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response};

use crate::errors::message_page;
use crate::pages::layout;

/// Turns the framework's own refusals into the site's (innermost, so that the page knows
/// who is logged in).
pub(crate) async fn chinese_refusals<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let api = req.uri().path().starts_with("/api/");
    let page_layout = layout(&req);
    let home = page_layout.home;
    // The framework's refusal: an error, or a response made from one (plain text; the
    // site's own 404s and refusals are pages or JSON, and are left as they are).
    let rewritten = [
        StatusCode::NOT_FOUND,
        StatusCode::METHOD_NOT_ALLOWED,
        StatusCode::BAD_REQUEST,
    ];
    let status = match next.call(req).await {
        Ok(response) => {
            let response = response.into_response();
            let plain = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_none_or(|v| v.starts_with("text/plain"));
            if !plain || !rewritten.contains(&response.status()) {
                return Ok(response);
            }
            response.status()
        }
        // Only the router's own errors: an operation's error (the API's `not_found.person`)
        // is an answer already.
        Err(error)
            if error.is::<NotFoundError>()
                || error.is::<MethodNotAllowedError>()
                || error.is::<ParsePathError>() =>
        {
            error.status()
        }
        Err(error) if api && is_parse_error(&error) => return Ok(api_parse_error(error)),
        Err(error) => return Err(error),
    };
    let (code, title, message) = match status {
        StatusCode::NOT_FOUND => (
            "not_found.route",
            "未找到",
            "没有这个页面。请检查网址，或从首页进入。",
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "不支持的操作",
            "该网址不支持这种请求方式。请从页面上的链接或按钮进入。",
        ),
        StatusCode::BAD_REQUEST => (
            "request.malformed",
            "请求有误",
            "请求的格式不正确（例如网址中的编号不是数字）。请从页面上的链接或按钮进入。",
        ),
        _ => (
            "request.malformed",
            "请求有误",
            "请求的格式不正确。请从页面上的链接或按钮进入。",
        ),
    };
    Ok(if api {
        let body = serde_json::json!({ "code": code, "message": message, "violations": [] });
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .body(body.to_string())
    } else {
        let back = if home == "/" {
            "返回首页"
        } else {
            "返回工作台"
        };
        message_page(page_layout, status, title, message, Some((home, back)))
    })
}

/// Whether poem-openapi raised the error while parsing a request (an operation's own
/// answers, errors included, are left as they are).
fn is_parse_error(error: &poem::Error) -> bool {
    use poem_openapi::error::{
        ContentTypeError, ParseMultipartError, ParseParamError, ParsePathError,
        ParseRequestPayloadError,
    };
    error.is::<ParseParamError>()
        || error.is::<ParsePathError>()
        || error.is::<ParseRequestPayloadError>()
        || error.is::<ParseMultipartError>()
        || error.is::<ContentTypeError>()
}

/// The API's answer to an error poem-openapi raised while parsing a request.
fn api_parse_error(error: poem::Error) -> Response {
    use poem_openapi::error::{
        ContentTypeError, ParseMultipartError, ParseParamError, ParsePathError as PathParam,
        ParseRequestPayloadError,
    };
    let (status, code, message, field, reason) =
        if let Some(e) = error.downcast_ref::<ParseParamError>() {
            (
                StatusCode::BAD_REQUEST,
                "request.invalid",
                format!("参数“{}”缺失或格式不正确", e.name),
                Some(e.name.to_owned()),
                e.reason.clone(),
            )
        } else if let Some(e) = error.downcast_ref::<PathParam>() {
            (
                StatusCode::BAD_REQUEST,
                "request.invalid",
                format!("网址中的“{}”格式不正确", e.name),
                Some(e.name.to_owned()),
                e.reason.clone(),
            )
        } else if let Some(e) = error.downcast_ref::<ParseRequestPayloadError>() {
            (
                StatusCode::BAD_REQUEST,
                "request.invalid",
                "请求体不符合接口文档（/api/openapi.json）的格式或限制".to_owned(),
                field_named(&e.reason),
                e.reason.clone(),
            )
        } else if let Some(e) = error.downcast_ref::<ParseMultipartError>() {
            (
                StatusCode::BAD_REQUEST,
                "request.invalid",
                "上传的表单无法读取".to_owned(),
                None,
                e.reason.clone(),
            )
        } else if let Some(e) = error.downcast_ref::<ContentTypeError>() {
            (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "request.content_type",
                "请求体的类型（Content-Type）不是该接口接受的类型".to_owned(),
                None,
                e.to_string(),
            )
        } else {
            let status = error.status();
            (
                status,
                "request.malformed",
                "请求的格式不正确".to_owned(),
                None,
                String::new(),
            )
        };
    let full = if reason.is_empty() {
        message
    } else {
        format!("{message}（{reason}）")
    };
    let violations = match &field {
        Some(field) => vec![serde_json::json!({"code": code, "message": full, "field": field})],
        None => vec![],
    };
    let body = serde_json::json!({ "code": code, "message": full, "violations": violations });
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(body.to_string())
}

/// The field a payload error names: poem-openapi says ``field `members` …``.
fn field_named(reason: &str) -> Option<String> {
    let rest = &reason[reason.find("field `")? + "field `".len()..];
    let name = &rest[..rest.find('`')?];
    (!name.is_empty() && name.len() <= 64).then(|| name.to_owned())
}
