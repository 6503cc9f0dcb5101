//! The most a request may send: every request body is limited before anything reads it,
//! by its route (small for forms and JSON, larger for the routes that take a file). A body
//! that declares a length over the limit is refused before a byte of it is read; a body
//! without a length (chunked) is counted while it is read, and reading stops at the limit.
//! Either way the answer is 413 with a Chinese message: a page for the pages, the API's
//! JSON error (`request.too_large`) for `/api`. The connection is then closed, so the rest
//! of the body is never read.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use poem::http::{HeaderValue, StatusCode, header};
use poem::{Body, Endpoint, IntoResponse, Request, Response};
use serde_json::json;
use tokio::io::{AsyncRead, ReadBuf};

use crate::AppState;

const MIB: u64 = 1 << 20;

/// The routes that take a file (the pages' multipart uploads, the API's imports of a pass
/// list and of the institution list), and so get [`BodyLimits::upload_bytes`]; every other
/// route gets [`BodyLimits::form_bytes`].
pub(crate) const UPLOAD_ROUTES: [&str; 4] = [
    "/association/exchange/import",
    "/association/calendar",
    "/api/v1/association/imports/pass_list",
    "/api/v1/association/imports/institutions",
];

/// Whether `path` takes a password from anyone who asks (a login, a password change, a
/// fill-in password): such a body is a few fields, and gets
/// [`BodyLimits::credential_bytes`].
pub(crate) fn is_credential_route(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    if matches!(
        path,
        "/login" | "/api/v1/session" | "/account/password" | "/api/v1/account/password"
    ) {
        return true;
    }
    let ids = |rest: &str, parts: usize| {
        let segments: Vec<&str> = rest.split('/').collect();
        segments.len() == parts
            && segments
                .iter()
                .take(2)
                .all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
    };
    // The assessor's entry: /self-service/{person}/{institution} (the page's unlock) and
    // /api/v1/self-service/{person}/{institution}/unlock.
    path.strip_prefix("/self-service/")
        .is_some_and(|rest| ids(rest, 2))
        || path
            .strip_prefix("/api/v1/self-service/")
            .and_then(|rest| rest.strip_suffix("/unlock"))
            .is_some_and(|rest| ids(rest, 2))
}

/// How large a request body may be, by route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// Any request but an upload: forms, JSON, and whatever an anonymous visitor sends to
    /// a route that takes no file (default 1 MiB).
    pub form_bytes: u64,
    /// A request to a route that takes a file ([`UPLOAD_ROUTES`]: 数据导入导出's import, the
    /// working-day calendar, the API's imports of a pass list and of the institution list),
    /// the file and the form around it (default 32 MiB). Only the association's account may
    /// use these routes; the limit still holds before the login is checked, and the API's
    /// imports read no byte of the file before it.
    pub upload_bytes: u64,
    /// A request that offers a password to a route anyone may ask
    /// ([`is_credential_route`]: a login, a password change, a fill-in password): a name
    /// and a password or two, so a stranger's attempt costs the server next to nothing
    /// (default 16 KiB; never more than `form_bytes`).
    pub credential_bytes: u64,
}

impl Default for BodyLimits {
    fn default() -> BodyLimits {
        BodyLimits {
            form_bytes: MIB,
            upload_bytes: 32 * MIB,
            credential_bytes: 16 * 1024,
        }
    }
}

impl BodyLimits {
    /// The limit of a request to `path`.
    pub fn for_path(&self, path: &str) -> u64 {
        if UPLOAD_ROUTES.contains(&path.trim_end_matches('/')) {
            self.upload_bytes
        } else if is_credential_route(path) {
            self.credential_bytes.min(self.form_bytes)
        } else {
            self.form_bytes
        }
    }
}

/// How long a connection may take, set on the server (see `serve`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From the moment the server waits for a request on a connection (a new connection,
    /// or a kept-alive one after its last answer) to the end of that request's headers;
    /// a connection that sends nothing, or its headers too slowly, is closed (default
    /// 10 s). It is also how long an idle kept-alive connection stays open.
    pub header_read: Duration,
    /// From the end of a request's headers to its answer, the body's reading included;
    /// past it the request is answered 503 and its work abandoned, a transaction rolled
    /// back (default 300 s: an import of the largest table allowed fits).
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            header_read: Duration::from_secs(10),
            request: Duration::from_secs(300),
        }
    }
}

/// The limit written for people: `1 MiB`, `32 MiB`, or bytes below a MiB.
fn shown(limit: u64) -> String {
    if limit >= MIB && limit.is_multiple_of(MIB) {
        format!("{} MiB", limit / MIB)
    } else if limit >= 1024 && limit.is_multiple_of(1024) {
        format!("{} KiB", limit / 1024)
    } else {
        format!("{limit} 字节")
    }
}

/// The answer to a body over its limit: 413, and the connection closed.
pub(crate) fn too_large(api: bool, limit: u64) -> Response {
    let message = format!("请求内容过大（上限 {}），未予处理", shown(limit));
    let mut resp = if api {
        crate::errors::json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request.too_large",
            &message,
            json!([]),
        )
    } else {
        crate::errors::message_page(
            crate::errors::bare_layout(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "请求过大",
            &message,
            Some(("/", "返回首页")),
        )
    };
    resp.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// Limits the request's body by its route: refused by its declared length before it is
/// read, counted while it is read otherwise (see the module's comment).
pub(crate) async fn bodies<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let limits = req
        .data::<AppState>()
        .map(|s| s.config.bodies)
        .unwrap_or_default();
    let limit = limits.for_path(req.uri().path());
    let api = req.uri().path().starts_with("/api/");
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Ok(too_large(api, limit));
    }
    let over = Arc::new(AtomicBool::new(false));
    let body = req.take_body();
    req.set_body(Body::from_async_read(Counted {
        inner: body.into_async_read(),
        left: limit,
        over: Arc::clone(&over),
    }));
    let result = next.call(req).await;
    // Whatever the handler made of the failed read (a form it could not parse, a broken
    // upload), a body over the limit is answered as such.
    if over.load(Ordering::Relaxed) {
        return Ok(too_large(api, limit));
    }
    result.map(IntoResponse::into_response)
}

/// A body's reader that fails, and remembers it, once more than `left` bytes come.
struct Counted<R> {
    inner: R,
    left: u64,
    over: Arc<AtomicBool>,
}

impl<R: AsyncRead + Unpin> AsyncRead for Counted<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.over.load(Ordering::Relaxed) {
            return Poll::Ready(Err(std::io::Error::other("request body over its limit")));
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let read = (buf.filled().len() - before) as u64;
            if read > self.left {
                self.over.store(true, Ordering::Relaxed);
                buf.set_filled(before);
                return Poll::Ready(Err(std::io::Error::other("request body over its limit")));
            }
            self.left -= read;
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_upload_routes_get_the_upload_limit() {
        let limits = BodyLimits::default();
        assert_eq!(limits.for_path("/association/exchange/import"), 32 * MIB);
        assert_eq!(limits.for_path("/association/calendar"), 32 * MIB);
        assert_eq!(
            limits.for_path("/api/v1/association/imports/pass_list"),
            32 * MIB
        );
        assert_eq!(limits.for_path("/api/v1/association/rosters"), MIB);
        assert_eq!(limits.for_path("/association/exchange/report"), MIB);
        assert_eq!(limits.for_path("/institution/add"), MIB);
    }

    #[test]
    fn credential_routes_get_a_few_kib() {
        let limits = BodyLimits::default();
        for path in [
            "/login",
            "/api/v1/session",
            "/account/password",
            "/api/v1/account/password",
            "/self-service/12/3",
            "/api/v1/self-service/12/3/unlock",
        ] {
            assert_eq!(limits.for_path(path), 16 * 1024, "{path}");
        }
        for path in [
            "/self-service/12/3/edit",
            "/api/v1/self-service/12/3/details",
            "/self-service/logout",
            "/api/v1/self-service/search",
        ] {
            assert_eq!(limits.for_path(path), MIB, "{path}");
        }
    }

    #[test]
    fn limits_are_shown_in_mib() {
        assert_eq!(shown(MIB), "1 MiB");
        assert_eq!(shown(32 * MIB), "32 MiB");
        assert_eq!(shown(16 * 1024), "16 KiB");
        assert_eq!(shown(1000), "1000 字节");
    }
}
