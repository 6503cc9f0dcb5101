//! What every request goes through: cookies, the CSRF check, security headers, the
//! client's address, and the visitor (who is logged in, which assessor's entry is open),
//! resolved from sessions stored in the database.

use std::time::Duration;

use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Body, Endpoint, IntoResponse, Request, Response};
use registry_core::access::{Account, Role};
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::ports::{RegisterTx, StoreError};
use registry_core::read::employment::open_entry;
use registry_store::sessions::SessionSubject;
use time::OffsetDateTime;
use tracing::Instrument;

use crate::AppState;
use crate::client::client_address;
use crate::secrets::{bound_token, new_token, token_hash};

/// The cookie of a login.
pub(crate) const SESSION_COOKIE: &str = "registry_session";
/// The cookie of an assessor's unlocked fill-in entry.
pub(crate) const ENTRY_COOKIE: &str = "registry_entry";
/// A login whose password was right, waiting for its second factor (5 minutes).
pub(crate) const CHALLENGE_COOKIE: &str = "registry_challenge";
/// The CSRF cookie (double submit: every unsafe request repeats its value).
pub(crate) const CSRF_COOKIE: &str = "registry_csrf";
/// The header that carries the CSRF token on API requests.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// The value of a request cookie.
pub(crate) fn cookie(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

/// Adds a `Set-Cookie`: HttpOnly, SameSite=Lax, path `/`, `Secure` when configured;
/// `max_age` none makes a session cookie, zero removes it.
pub(crate) fn set_cookie(
    resp: &mut Response,
    name: &str,
    value: &str,
    max_age: Option<Duration>,
    secure: bool,
) {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        text.push_str(&format!("; Max-Age={}", age.as_secs()));
    }
    if secure {
        text.push_str("; Secure");
    }
    if let Ok(value) = HeaderValue::from_str(&text) {
        resp.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// The CSRF token of this request, for forms.
#[derive(Debug, Clone)]
pub(crate) struct Csrf(pub(crate) String);

/// Who is asking.
#[derive(Debug, Clone)]
pub(crate) enum Visitor {
    /// Nobody logged in.
    Anonymous,
    /// A logged-in account.
    Account {
        /// The account.
        account: Box<Account>,
        /// The session's token hash.
        session: String,
    },
    /// A machine client with a working API token (`Authorization: Bearer`).
    Token(Box<registry_core::api_token::ApiToken>),
    /// A bearer token that does not work: unknown, revoked or expired (the code says
    /// which: `token.unknown`, `token.revoked`, `token.expired`).
    RefusedToken(&'static str),
}

impl Visitor {
    pub(crate) fn account(&self) -> Option<&Account> {
        match self {
            Visitor::Account { account, .. } => Some(account),
            Visitor::Anonymous | Visitor::Token(_) | Visitor::RefusedToken(_) => None,
        }
    }
}

/// An assessor's unlocked fill-in entry: this person, through this institution, which was
/// active and employed the person when the request began (checked on every request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) person: PersonId,
    pub(crate) institution: InstitutionId,
}

/// The secret of an `Authorization: Bearer` header, if the request has one. A request
/// that has one is a machine client's: its cookies are not read, and it needs no CSRF
/// token (a browser never adds the header to a request another site makes it send).
pub(crate) fn bearer(req: &Request) -> Option<&str> {
    let value = req.header(header::AUTHORIZATION)?;
    let (scheme, secret) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| secret.trim())
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The most a form body may be (larger uploads go elsewhere).
const MAX_FORM: usize = 1 << 20;

/// A session cookie's token as the request carries it (a token is 64 hex characters;
/// anything else is no session).
pub(crate) fn session_token(req: &Request, name: &str) -> Option<String> {
    cookie(req, name).filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// What a response does to a session cookie: `Some(Some(token))` sets it, `Some(None)`
/// removes it, `None` leaves it.
fn cookie_change(resp: &Response, name: &str) -> Option<Option<String>> {
    let prefix = format!("{name}=");
    resp.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.strip_prefix(prefix.as_str()))
        .map(|rest| {
            let value = rest.split(';').next().unwrap_or_default();
            let removed = value.is_empty() || rest.contains("Max-Age=0");
            (!removed).then(|| value.to_owned())
        })
        .next_back()
}

/// Refuses every unsafe request whose CSRF token (the `x-csrf-token` header, or the form
/// field `csrf`) is not the visitor's, and keeps the visitor's token in the CSRF cookie.
/// Two kinds of request take none: a machine client's (`Authorization: Bearer`, which a
/// browser never adds on another site's behalf) and the API's public operations
/// (`/api/v1/public/…`: they act as anyone, whoever sends them).
///
/// A visitor with a session or an open entry has the token [`bound_token`] derives from
/// them: a response that logs in, logs out, opens or closes an entry rotates it. An
/// anonymous visitor (whose unsafe requests are a login, a fill-in password, a search) has a
/// random one in the cookie, repeated by the form (double submit; the cookie is SameSite).
pub(crate) async fn csrf<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let state = req.data::<AppState>().cloned();
    let secure = state.as_ref().is_some_and(|s| s.config.secure_cookies);
    let session = session_token(&req, SESSION_COOKIE);
    let entry = session_token(&req, ENTRY_COOKIE);
    let in_cookie = cookie(&req, CSRF_COOKIE);
    let anonymous = in_cookie.clone().filter(|t| t.len() == 64);
    let expected = bound_token(session.as_deref(), entry.as_deref()).or_else(|| anonymous.clone());
    let fresh = || {
        new_token()
            .map_err(|e| poem::Error::from_string(e.to_string(), StatusCode::INTERNAL_SERVER_ERROR))
    };
    let token = match &expected {
        Some(token) => token.clone(),
        None => fresh()?,
    };
    // The API's public operations (searches, 证件核验, 评审组核验) act as anyone and
    // change nothing of anyone's: a forged request gains nothing, so they take no token.
    let public_api = req.uri().path().starts_with("/api/v1/public/");
    if is_unsafe(req.method()) && bearer(&req).is_none() && !public_api {
        let mut offered = req.header(CSRF_HEADER).map(str::to_owned);
        let is_form = req
            .content_type()
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
        // A file upload (multipart) carries the token in the query string: a form cannot
        // set a header, and the body is the handler's to stream.
        let is_multipart = req
            .content_type()
            .is_some_and(|c| c.starts_with("multipart/form-data"));
        if offered.is_none() && is_multipart {
            offered = req
                .uri()
                .query()
                .and_then(|q| form_field(q.as_bytes(), "csrf"));
        }
        if offered.is_none() && is_form {
            let body = req
                .take_body()
                .into_bytes_limit(MAX_FORM)
                .await
                .map_err(|_| poem::Error::from_string("表单过大", StatusCode::PAYLOAD_TOO_LARGE))?;
            offered = form_field(&body, "csrf");
            req.set_body(Body::from(body));
        }
        let valid = matches!((&expected, &offered), (Some(expected), Some(given)) if constant_time_eq(expected, given));
        if !valid {
            return Ok(crate::errors::forbidden_csrf(&req));
        }
    }
    req.extensions_mut().insert(Csrf(token.clone()));
    let mut resp = next.call(req).await?.into_response();
    // A login, a logout, an entry opened or closed: the token rotates with the session.
    let session_change = cookie_change(&resp, SESSION_COOKIE);
    let entry_change = cookie_change(&resp, ENTRY_COOKIE);
    let token = if session_change.is_some() || entry_change.is_some() {
        let session = session_change.unwrap_or(session);
        let entry = entry_change.unwrap_or(entry);
        match bound_token(session.as_deref(), entry.as_deref()) {
            Some(token) => token,
            None => fresh()?,
        }
    } else {
        token
    };
    if in_cookie.as_deref() != Some(token.as_str()) {
        set_cookie(&mut resp, CSRF_COOKIE, &token, None, secure);
    }
    Ok(resp)
}

/// One field of a URL-encoded form.
fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Security headers on every response; `no-store` unless the response chose its own
/// caching (static files).
pub(crate) async fn security_headers<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let secure = req
        .data::<AppState>()
        .is_some_and(|s| s.config.secure_cookies);
    let docs = req.uri().path().starts_with("/api/docs");
    let mut resp = match next.call(req).await {
        Ok(resp) => resp.into_response(),
        Err(e) => e.into_response(),
    };
    let headers = resp.headers_mut();
    let csp = if docs {
        // Swagger UI (served from this server) runs an inline script.
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
    } else {
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    };
    let mut set = |name: &'static str, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set("content-security-policy", csp);
    set("x-content-type-options", "nosniff");
    set("x-frame-options", "DENY");
    set("referrer-policy", "same-origin");
    set(
        "permissions-policy",
        "camera=(), microphone=(), geolocation=()",
    );
    if secure {
        set("strict-transport-security", "max-age=31536000");
    }
    let cached = headers.contains_key(header::CACHE_CONTROL);
    if !cached {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(resp)
}

/// Resolves the visitor from the session cookies, ending sessions that have run out; a
/// database that does not answer makes the request fail with 503.
pub(crate) async fn sessions<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let Some(state) = req.data::<AppState>().cloned() else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    let now = state.clock.now();
    let resolved = match bearer(&req) {
        Some(secret) => resolve_token(&state, secret, now)
            .await
            .map(|token| (token, None)),
        None => match resolve_account(&state, &req, now).await {
            Ok(visitor) => resolve_entry(&state, &req, now)
                .await
                .map(|entry| (visitor, entry)),
            Err(e) => Err(e),
        },
    };
    let (visitor, entry) = match resolved {
        Ok(found) => found,
        Err(e) => return Ok(crate::errors::store_failure(&req, &e)),
    };
    // Who asked for what, to log a refusal (a failed authorization: another role's page,
    // another institution's person).
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let account = match &visitor {
        Visitor::Token(token) => Some(format!("token:{}@{}", token.id, token.holder)),
        other => other.account().map(|a| a.username.as_str().to_owned()),
    };
    let assessor = entry.map(|e| format!("{}:{}", e.person, e.institution));
    req.extensions_mut().insert(visitor);
    if let Some(entry) = entry {
        req.extensions_mut().insert(entry);
    }
    let client = client_address(&req, state.config.trusted_proxy);
    // Every line logged while the request runs names it.
    let span = tracing::info_span!("request", method = method.as_str(), path);
    let response = next
        .call(req)
        .instrument(span)
        .await
        .map(IntoResponse::into_response)?;
    let status = response.status();
    let signed_in = account.is_some() || assessor.is_some();
    if status == StatusCode::FORBIDDEN || (signed_in && status == StatusCode::NOT_FOUND) {
        tracing::warn!(
            target: "registry::security",
            method = method.as_str(),
            path,
            client,
            account = account.as_deref().unwrap_or("-"),
            assessor = assessor.as_deref().unwrap_or("-"),
            status = status.as_u16(),
            "request refused"
        );
    }
    Ok(response)
}

/// The visitor of a bearer token: its token if it works today, otherwise why not. A use
/// is recorded at most once a minute.
async fn resolve_token(
    state: &AppState,
    secret: &str,
    now: OffsetDateTime,
) -> Result<Visitor, StoreError> {
    use registry_core::api_token::Standing;
    // A secret longer than any issued one is not looked up.
    if secret.len() > 100 {
        return Ok(Visitor::RefusedToken("token.unknown"));
    }
    let Some(token) = state.store.token_by_secret(&token_hash(secret)).await? else {
        return Ok(Visitor::RefusedToken("token.unknown"));
    };
    match token.standing(state.today()) {
        Standing::Revoked => return Ok(Visitor::RefusedToken("token.revoked")),
        Standing::Expired => return Ok(Visitor::RefusedToken("token.expired")),
        Standing::Active => {}
    }
    // An institution's token stops with its institution, as its accounts' sessions do.
    if let registry_core::api_token::TokenHolder::Institution(id) = token.holder {
        let mut tx = state.store.begin_read().await?;
        let active = tx.institution(id).await?.is_some_and(|i| i.active);
        if !active {
            return Ok(Visitor::RefusedToken("token.holder_disabled"));
        }
    }
    if token
        .last_used_at
        .is_none_or(|at| at + time::Duration::minutes(1) < now)
    {
        state.store.touch_token(token.id, now).await?;
    }
    Ok(Visitor::Token(Box::new(token)))
}

async fn resolve_account(
    state: &AppState,
    req: &Request,
    now: OffsetDateTime,
) -> Result<Visitor, StoreError> {
    let Some(token) = cookie(req, SESSION_COOKIE) else {
        return Ok(Visitor::Anonymous);
    };
    let hash = token_hash(&token);
    // The session, its account and the account's institution, current on every request,
    // in one statement.
    let Some(signed_in) = state.store.signed_in(&hash).await? else {
        return Ok(Visitor::Anonymous);
    };
    let session = signed_in.session;
    let policy = state.config.sessions;
    let idle = time::Duration::minutes(i64::from(policy.idle_minutes));
    let absolute = time::Duration::minutes(i64::from(policy.absolute_minutes));
    let (SessionSubject::Account(_), Some((account, institution_active))) =
        (session.subject, signed_in.account)
    else {
        return Ok(Visitor::Anonymous);
    };
    if session.last_seen_at + idle < now || session.created_at + absolute < now {
        state.store.delete_session(&hash).await?;
        return Ok(Visitor::Anonymous);
    }
    let institution_active = match account.role {
        Role::Association(_) => true,
        Role::Institution(_) => institution_active == Some(true),
    };
    if !account.active || !institution_active {
        state.store.delete_session(&hash).await?;
        return Ok(Visitor::Anonymous);
    }
    if session.last_seen_at + time::Duration::minutes(1) < now {
        state.store.touch_session(&hash, now).await?;
    }
    Ok(Visitor::Account {
        account: Box::new(account),
        session: hash,
    })
}

async fn resolve_entry(
    state: &AppState,
    req: &Request,
    now: OffsetDateTime,
) -> Result<Option<Entry>, StoreError> {
    let Some(token) = cookie(req, ENTRY_COOKIE) else {
        return Ok(None);
    };
    let hash = token_hash(&token);
    let Some(session) = state.store.session(&hash).await? else {
        return Ok(None);
    };
    let SessionSubject::Assessor {
        person,
        institution,
    } = session.subject
    else {
        return Ok(None);
    };
    let idle = time::Duration::minutes(i64::from(state.config.sessions.assessor_idle_minutes));
    let absolute = time::Duration::minutes(i64::from(state.config.sessions.absolute_minutes));
    if session.last_seen_at + idle < now || session.created_at + absolute < now {
        state.store.delete_session(&hash).await?;
        return Ok(None);
    }
    // On every request: the institution still active and employing the person (the core's
    // open_entry). A closed entry's session ends here, whatever ended the entry.
    let open = {
        let mut tx = state.store.begin_read().await?;
        open_entry(&mut tx, person, institution).await?.is_some()
    };
    if !open {
        tracing::warn!(target: "registry::security", person = person.get(), institution = institution.get(), "fill-in entry closed: session ended");
        state.store.delete_session(&hash).await?;
        return Ok(None);
    }
    if session.last_seen_at + time::Duration::minutes(1) < now {
        state.store.touch_session(&hash, now).await?;
    }
    Ok(Some(Entry {
        person,
        institution,
    }))
}
