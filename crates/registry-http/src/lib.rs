//! The web system of the assessor register: server-rendered pages in Simplified Chinese
//! for the association, the institutions, the assessors and the public, and the same
//! operations as a JSON API (`/api/v1`, OpenAPI document at `/api/openapi.json`, Swagger UI
//! at `/api/docs`).
//!
//! The server keeps no state of its own: sessions, failure counters and everything else
//! live in the database, so several instances can serve behind a load balancer.
//!
//! Every request passes, outermost first: panic catching, security headers, the body's
//! limit (by route, before anything reads it: `limits`), the CSRF check
//! (the token bound to the session, or a double-submit cookie for anonymous visitors, for
//! every unsafe method), the session resolution (who is logged in, which assessor entry is
//! open), the framework's refusals in Chinese (`fallback`), then the route. Rules are the core's; this crate
//! parses requests into the core's forms, runs use cases, and renders their outcome.

// Handlers return early with a finished response (`Result<_, Response>`); boxing every
// such response would add noise for no gain.
#![allow(clippy::result_large_err)]

use poem::endpoint::make_sync;
use poem::http::{StatusCode, header};
use poem::middleware::CatchPanic;
use poem::{Endpoint, EndpointExt, IntoResponse, Response, Route, get, handler};
use registry_core::ports::Actor;

mod api;
mod audit_words;
mod auth;
mod charts;
mod client;
pub mod demo;
mod documents;
mod errors;
mod fallback;
mod kept;
mod limiter;
mod limits;
mod lookup;
mod machine;

mod pages;
mod queries;
mod second_factor;
pub mod secrets;
mod serve;
mod state;
mod templates;
pub mod totp;
mod verification;
mod web;

pub use limits::{BodyLimits, Timeouts};
pub use serve::{SHUTDOWN_GRACE, serve};
pub use state::{AppState, Clock, Config, MailStatus, SystemClock};

/// The issuer printed on documents and shown in the footer.
pub const ASSOCIATION_NAME: &str = "中国特种设备鉴定评审促进会";

/// The server's log filter unless `RUST_LOG` says otherwise: the register's own events at
/// `info`, the database drivers only when they warn (their debug lines carry statements and
/// their values).
pub const LOG_FILTER: &str = "info,sqlx=warn,sea_orm=warn";

#[handler]
async fn healthz(state: poem::web::Data<&AppState>) -> Response {
    // A load balancer's health check must learn of a database outage within its own
    // timeout, not the pool's.
    match tokio::time::timeout(std::time::Duration::from_secs(1), state.store.ping()).await {
        Ok(Ok(())) => "ok".into_response(),
        Ok(Err(_)) | Err(_) => {
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

const STYLE: &str = include_str!("../static/style.css");
const PRINT: &str = include_str!("../static/print.js");
const SESSION: &str = include_str!("../static/session.js");

fn script(body: &'static str) -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, "text/javascript; charset=utf-8")
        .header(header::CACHE_CONTROL, "public, max-age=3600")
        .body(body)
}

fn stylesheet() -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, "text/css; charset=utf-8")
        .header(header::CACHE_CONTROL, "public, max-age=3600")
        .body(STYLE)
}

/// The whole application: pages, API, health check, static files, and the middleware.
pub fn app(state: AppState) -> impl Endpoint {
    let api = api::service();
    let spec = api::document();
    let docs = api.swagger_ui();
    Route::new()
        .nest("/", pages::routes())
        .at("/healthz", get(healthz))
        .at("/static/style.css", get(make_sync(|_| stylesheet())))
        .at("/static/print.js", get(make_sync(|_| script(PRINT))))
        .at("/static/session.js", get(make_sync(|_| script(SESSION))))
        .nest("/api/v1", api)
        .at(
            "/api/openapi.json",
            get(make_sync(move |_| {
                Response::builder()
                    .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
                    .body(spec.clone())
            })),
        )
        .nest("/api/docs", docs)
        .around(fallback::chinese_refusals)
        .around(web::sessions)
        .around(web::csrf)
        .around(limits::bodies)
        .around(web::security_headers)
        .with(CatchPanic::new())
        .data(state)
}

/// Creates an association administrator with one duty and a generated password, which is
/// returned (to be shown once) and must be changed at the first login.
pub async fn create_admin(
    state: &AppState,
    username: &str,
    duty: registry_core::access::Duty,
) -> Result<String, String> {
    let secrets::NewPassword {
        shown: password,
        hash,
    } = secrets::new_password().await.map_err(|e| e.to_string())?;
    state
        .run(
            Actor::System {
                job: "create-admin".into(),
            },
            &registry_core::usecases::CreateAssociationAccount {
                username: username.to_owned(),
                duty,
                password: registry_core::access::PasswordHash::new(hash),
                must_change_password: true,
            },
        )
        .await
        .map(|_| password)
        .map_err(|e| e.to_string())
}

/// The administrators' duties that no active account holds (三员分立 needs all three).
pub async fn vacant_duties(
    state: &AppState,
) -> Result<Vec<registry_core::access::Duty>, registry_core::ports::StoreError> {
    Ok(registry_core::access::vacant_duties(
        state.store.active_duties().await?,
    ))
}

/// The OpenAPI document, for the snapshot test and for publishing.
pub fn openapi_json() -> String {
    api::document()
}
