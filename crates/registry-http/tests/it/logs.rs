//! Issue 16: what a stranger types at the login cannot forge the security log or fill the
//! disk. A name is parsed before it is counted or logged: a malformed one is logged by its
//! length only and counted in one bucket per client address; every value is logged escaped.

use poem::http::{Method, StatusCode};
use registry_http::Clock;
use serde_json::json;
use time::Duration;

use crate::support::*;

/// A name that, written raw, would end the log line and start a forged one.
const FORGED: &str = "nobody\n2026-11-30T10:00:00.000000Z  INFO request: registry::security: login succeeded username=admin client=\"10.0.0.1\"\u{1b}[0m";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_name_writes_one_escaped_line_and_a_long_one_neither_a_row_nor_a_long_line() {
    let logs = Captured::install();
    let server = Server::new().await;
    let mut page = server.browser();
    let refused = page
        .post("/login", &[("username", FORGED), ("password", "wrong")])
        .await;
    assert_eq!(refused.status, StatusCode::OK);
    assert!(
        refused.body.contains("用户名或密码错误"),
        "{}",
        refused.body
    );
    let mut api = server.browser();
    let refused = api
        .api(
            Method::POST,
            "/api/v1/session",
            Some(json!({ "username": FORGED, "password": "wrong" })),
        )
        .await;
    // Through the API, a name longer than any (64 characters, by the document) is
    // refused before a login is tried.
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.json()["code"], "request.invalid");

    // A login's body is bounded first (16 KiB): a 300 KB name is refused unread.
    let huge = "a".repeat(300 * 1024);
    let refused = page
        .post("/login", &[("username", &huge), ("password", "wrong")])
        .await;
    assert_eq!(refused.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Three names of 15 KB each (under the body limit: the name itself is what is bounded).
    let long = "a".repeat(15 * 1024);
    for _ in 0..3 {
        let refused = page
            .post("/login", &[("username", &long), ("password", "wrong")])
            .await;
        assert_eq!(refused.status, StatusCode::OK);
    }
    // The real administrator still logs in: a stranger's names did not lock the account.
    page.login("admin", ADMIN_PASSWORD).await;

    let text = logs.text();
    assert!(
        !text.contains('\u{1b}'),
        "an escape sequence reached the log"
    );
    let succeeded: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("login succeeded"))
        .collect();
    assert_eq!(
        succeeded.len(),
        1,
        "only the administrator's login succeeded: {succeeded:#?}"
    );
    assert!(
        succeeded[0].contains("username=\"admin\""),
        "{}",
        succeeded[0]
    );
    let failed: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("login failed"))
        .collect();
    // The page's forged name and three long ones (the API refused its forged name unread).
    assert_eq!(failed.len(), 4, "{failed:#?}");
    assert!(
        failed.iter().all(|l| l.len() < 400),
        "a failed login's line is short, whatever name was typed"
    );
    assert!(
        failed
            .iter()
            .filter(|l| l.contains("<malformed, 15360 bytes>"))
            .count()
            == 3
    );
    assert!(text.len() < 20_000, "{} bytes of log", text.len());

    // Counted: the malformed names under one key of the client; never under themselves.
    let now = server.clock.now();
    let window = Duration::minutes(15);
    let bucket = server
        .store
        .failures("login-malformed:unknown", now, window)
        .await
        .unwrap();
    assert_eq!(bucket.count, 4, "the forged and the long names, one bucket");
    for key in [format!("login:{long}"), format!("login:{FORGED}")] {
        let own = server.store.failures(&key, now, window).await.unwrap();
        assert_eq!(own.count, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_names_lock_only_their_own_bucket() {
    let server = Server::new().await;
    let mut page = server.browser();
    for n in 0..6 {
        let name = format!("不是用户名{n}");
        page.post("/login", &[("username", &name), ("password", "wrong")])
            .await;
    }
    let locked = page
        .post("/login", &[("username", "另一个"), ("password", "wrong")])
        .await;
    assert!(locked.body.contains("分钟后再试"), "{}", locked.body);
    // A name that could be an account's is counted under itself: still admitted.
    page.login("admin", ADMIN_PASSWORD).await;
}
