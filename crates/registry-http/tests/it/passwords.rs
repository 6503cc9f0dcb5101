//! The password policy and the end of sessions (issue 22): a password lasts 90 days and
//! says so two weeks ahead, may not repeat the last five, and a login ends after 30 idle
//! minutes or 12 hours; a login returns to the page an idle logout left.

use poem::http::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

async fn change(b: &mut Browser<'_>, current: &str, new: &str) -> Page {
    b.post(
        "/account/password",
        &[("current", current), ("new_password", new), ("repeat", new)],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_lasts_ninety_days_and_may_not_repeat_the_last_five() {
    let server = Server::with_config(registry_http::Config {
        second_factor: registry_core::access::SecondFactorPolicy {
            administrators: false,
        },
        ..registry_http::Config::default()
    })
    .await;
    institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    assert!(!jia.get("/institution").await.has("password-notice"));

    // Two weeks ahead, every page says when.
    server.clock.advance(time::Duration::days(77));
    jia.login("jia", "Tezhong2026k").await;
    let page = jia.get("/institution").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.has("您的登录密码将于 2027-02-24 到期（还有 13 天）"),
        "{}",
        page.body
    );

    // On the 90th day: nothing but the password page, on the pages and the API.
    server.clock.advance(time::Duration::days(13));
    jia.login("jia", "Tezhong2026k").await;
    assert_eq!(
        jia.get("/institution").await.location.as_deref(),
        Some("/account/password")
    );
    let form = jia.get("/account/password").await;
    assert!(
        form.has("登录密码已于 2027-02-24 到期（每 90 天须更换一次）"),
        "{}",
        form.body
    );
    let api = jia
        .api(Method::GET, "/api/v1/institution/people", None)
        .await;
    assert_eq!(api.status, StatusCode::FORBIDDEN);
    assert_eq!(api.json()["code"], "password.expired");

    // Not the current one, nor any of the four before it.
    let same = change(&mut jia, "Tezhong2026k", "Tezhong2026k").await;
    assert!(same.has("新密码不能与当前密码相同"));
    let chain = ["Fangan2026a", "Fangan2026b", "Fangan2026c", "Fangan2026d"];
    let mut current = "Tezhong2026k";
    for next in chain {
        let done = change(&mut jia, current, next).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        current = next;
    }
    // Tezhong2026k is the fifth before the new one: refused; then Fangan2026a too.
    for old in ["Tezhong2026k", "Fangan2026a"] {
        let reused = change(&mut jia, current, old).await;
        assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY, "{old}");
        assert!(
            reused.has("新密码不能与最近5次使用过的密码相同"),
            "{}",
            reused.body
        );
    }
    let fresh = change(&mut jia, current, "Fangan2026e").await;
    assert_eq!(fresh.status, StatusCode::OK);
    // Changed today: the pages open again, with nothing to say.
    let page = jia.get("/institution").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.has("password-notice"));
    // After five more changes the oldest may come back.
    let mut current = "Fangan2026e";
    for next in ["Fangan2026f", "Fangan2026g", "Fangan2026h", "Fangan2026i"] {
        change(&mut jia, current, next).await;
        current = next;
    }
    let back = change(&mut jia, current, "Tezhong2026k").await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_ends_after_twelve_hours_however_busy() {
    let server = Server::new().await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    // Used every 20 minutes for 11 h 40 min: still open.
    for _ in 0..35 {
        server.clock.advance(time::Duration::minutes(20));
        assert_eq!(admin.get("/association").await.status, StatusCode::OK);
    }
    server.clock.advance(time::Duration::minutes(21));
    assert_eq!(
        admin.get("/association").await.location.as_deref(),
        Some("/login")
    );
    // Every page of a login carries its idle time for the warning, and its script.
    admin.login("admin", ADMIN_PASSWORD).await;
    let page = admin.get("/association").await;
    assert!(page.has("data-idle=\"1800\"") && page.has("/static/session.js"));
    let script = admin.get("/static/session.js").await;
    assert!(script.has("sessionStorage") && script.has("继续使用"));
    // The API's session check is what "继续使用" sends.
    let session = admin.api(Method::GET, "/api/v1/session", None).await;
    assert_eq!(session.json()["authenticated"], json!(true));
    assert_eq!(session.json()["duty"], json!("system"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_returns_to_the_page_it_was_asked_for_and_nowhere_else() {
    let server = Server::new().await;
    institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let mut jia = server.browser();
    let form = jia.get("/login?next=%2Finstitution%2Fadd").await;
    assert!(
        form.has("name=\"next\" value=\"/institution/add\""),
        "{}",
        form.body
    );
    let back = jia
        .post(
            "/login",
            &[
                ("username", "jia"),
                ("password", "Tezhong2026k"),
                ("next", "/institution/add"),
            ],
        )
        .await;
    assert_eq!(back.location.as_deref(), Some("/institution/add"));
    for elsewhere in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil",
        "/search",
    ] {
        let mut b = server.browser();
        let form = b
            .get(&format!("/login?next={}", urlencode(elsewhere)))
            .await;
        assert!(!form.has("name=\"next\""), "{elsewhere}");
        let landed = b
            .post(
                "/login",
                &[
                    ("username", "jia"),
                    ("password", "Tezhong2026k"),
                    ("next", elsewhere),
                ],
            )
            .await;
        assert_eq!(
            landed.location.as_deref(),
            Some("/institution"),
            "{elsewhere}"
        );
    }
}

fn urlencode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}
