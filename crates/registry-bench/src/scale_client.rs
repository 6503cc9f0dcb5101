//! What the scale proof's clients share (`scale.rs`, `scale_load.rs`): the registered
//! items they release, visitors' addresses, requests with the CSRF token, and counts read
//! from the database.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context as _, Result};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::harness::{CSRF, csrf_of, request};

/// A registered item the proof releases: the person, the item, the institution's session.
#[derive(Clone)]
pub(crate) struct Target {
    pub(crate) person: i64,
    pub(crate) institution: i64,
    pub(crate) item: String,
    /// The person's registration number (the public search finds them by it).
    pub(crate) number: String,
    pub(crate) name: String,
    pub(crate) cookie: Arc<str>,
}

/// Percent-encodes `text` for a query string.
pub(crate) fn encoded(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// Another visitor's address for every call.
pub(crate) fn visitor() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let v = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("10.{}.{}.{}", v >> 16 & 255, v >> 8 & 255, 1 + (v & 127))
}

pub(crate) async fn count(db: &DatabaseConnection, sql: &str) -> Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql.to_owned()))
        .await?
        .context("no row")?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

pub(crate) fn post_json(
    addr: SocketAddr,
    path: &str,
    cookie: &str,
    forwarded: &str,
    body: &str,
) -> std::io::Result<(u16, String, String)> {
    let csrf = csrf_of(cookie);
    let cookie = if cookie.is_empty() {
        format!("registry_csrf={CSRF}")
    } else {
        cookie.to_owned()
    };
    request(
        addr,
        "POST",
        path,
        &cookie,
        &[
            ("Content-Type", "application/json"),
            ("X-CSRF-Token", &csrf),
            ("X-Forwarded-For", forwarded),
        ],
        body.as_bytes(),
    )
}

pub(crate) fn release(addr: SocketAddr, target: &Target) -> std::io::Result<(u16, String, String)> {
    post_json(
        addr,
        &format!("/api/v1/institution/people/{}/releases", target.person),
        &target.cookie,
        "10.254.0.2",
        &format!(
            "{{\"item\":\"{}\",\"reason\":\"规模验证：退回\"}}",
            target.item
        ),
    )
}
