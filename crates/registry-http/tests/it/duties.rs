//! 三员分立 (issue 22): the security administrator's 账户管理 — administrators with their
//! duties, institutions' logins, resets and lockouts — and what no administrator may do to
//! their own account.

use poem::http::StatusCode;
use registry_core::access::{Duty, Username};

use crate::support::*;

async fn account_id(server: &Server, name: &str) -> i64 {
    server
        .store
        .account_by_username(&Username::parse(name).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id
        .get()
}

async fn version_of(server: &Server, id: i64) -> i64 {
    server
        .store
        .account(registry_core::access::AccountId::new(id))
        .await
        .unwrap()
        .unwrap()
        .version
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_security_administrator_keeps_the_accounts_and_nobody_changes_their_own() {
    let server = Server::new().await;
    institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let mut security = server.administrator(Duty::Security, "anquan").await;

    // Only the system administrator exists besides: the audit duty is vacant and said so.
    let page = security.get("/association/accounts").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has("尚无启用的审计管理员"), "{}", page.body);
    assert!(
        page.has("甲鉴定评审中心") && page.has("jia"),
        "{}",
        page.body
    );
    assert!(
        page.has("同一账户 15 分钟内失败 5 次即锁定"),
        "{}",
        page.body
    );

    // A new audit administrator: the password is shown once and must be changed.
    let created = security
        .post(
            "/association/accounts",
            &[("username", "Shenji"), ("duty", "audit")],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert!(
        created.has("审计管理员“shenji”的初始密码"),
        "{}",
        created.body
    );
    let password = created.between(SECRET.0, SECRET.1).unwrap();
    let page = security.get("/association/accounts").await;
    assert!(!page.has("尚无启用的"), "{}", page.body);
    // A name taken, and no duty chosen: refused, with what was typed kept.
    let taken = security
        .post(
            "/association/accounts",
            &[("username", "jia"), ("duty", "system")],
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.body);
    let no_duty = security
        .post(
            "/association/accounts",
            &[("username", "xinren"), ("duty", "root")],
        )
        .await;
    assert_eq!(no_duty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_duty.has("请选择管理员的角色") && no_duty.has("value=\"xinren\""));

    // The new administrator logs in to their own workspace: the audit log.
    let mut shenji = server.browser();
    let login = shenji
        .post("/login", &[("username", "shenji"), ("password", &password)])
        .await;
    assert_eq!(login.location.as_deref(), Some("/account/password"));
    shenji
        .post(
            "/account/password",
            &[
                ("current", &password),
                ("new_password", "Chayue2026zz"),
                ("repeat", "Chayue2026zz"),
            ],
        )
        .await;
    assert_eq!(
        shenji.get("/association/audit").await.status,
        StatusCode::OK
    );
    assert_eq!(
        shenji.get("/association").await.status,
        StatusCode::FORBIDDEN
    );

    // Moved to the system duty: the session ends, and the next login is the register's.
    let id = account_id(&server, "shenji").await;
    let version = version_of(&server, id).await;
    let moved = security
        .post(
            &format!("/association/accounts/{id}"),
            &[
                ("duty", "system"),
                ("active", "1"),
                ("version", &version.to_string()),
            ],
        )
        .await;
    assert_eq!(
        moved.location.as_deref(),
        Some("/association/accounts?notice=account-saved")
    );
    assert_eq!(
        shenji.get("/association/audit").await.location.as_deref(),
        Some("/login")
    );
    shenji.login("shenji", "Chayue2026zz").await;
    assert_eq!(shenji.get("/association").await.status, StatusCode::OK);
    assert_eq!(
        shenji.get("/association/audit").await.status,
        StatusCode::FORBIDDEN
    );
    // The same form again: a stale version.
    let stale = security
        .post(
            &format!("/association/accounts/{id}"),
            &[
                ("duty", "audit"),
                ("active", "1"),
                ("version", &version.to_string()),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);

    // Nobody changes, resets or unlocks their own account: not offered, and refused.
    let own = account_id(&server, "anquan").await;
    let page = security.get("/association/accounts").await;
    assert!(page.has("本人的账户由其他安全管理员办理"), "{}", page.body);
    assert!(!page.has(&format!("/association/accounts/{own}\"")));
    for path in [
        format!("/association/accounts/{own}"),
        format!("/association/accounts/{own}/password"),
        format!("/association/accounts/{own}/unlock"),
    ] {
        let refused = security
            .post(
                &path,
                &[("duty", "system"), ("active", "1"), ("version", "1")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(refused.has("不能更改自己账户的角色、状态或重置自己的密码"));
    }
    // An institution's account is not an administrator's to change.
    let jia = account_id(&server, "jia").await;
    let refused = security
        .post(
            &format!("/association/accounts/{jia}"),
            &[("duty", "system"), ("active", "1"), ("version", "1")],
        )
        .await;
    assert!(
        refused.has("该账户不是促进会的管理员账户"),
        "{}",
        refused.body
    );

    // An institution locked out by wrong passwords: shown, and lifted.
    let mut stranger = server.browser();
    for _ in 0..5 {
        stranger
            .post(
                "/login",
                &[("username", "jia"), ("password", "Wrong2026xx")],
            )
            .await;
    }
    let locked = stranger
        .post(
            "/login",
            &[("username", "jia"), ("password", "Tezhong2026k")],
        )
        .await;
    assert!(locked.has("分钟后再试"), "{}", locked.body);
    let page = security.get("/association/accounts?q=甲鉴定").await;
    assert!(page.has("已锁定（约 15 分钟后自动解除）"), "{}", page.body);
    let unlocked = security
        .post(&format!("/association/accounts/{jia}/unlock"), &[])
        .await;
    assert_eq!(
        unlocked.location.as_deref(),
        Some("/association/accounts?notice=login-unlocked")
    );
    let mut back = server.browser();
    back.login("jia", "Tezhong2026k").await;
    assert!(!security.get("/association/accounts").await.has("已锁定"));

    // Disabled: the session ends and the login is refused.
    let version = version_of(&server, id).await;
    security
        .post(
            &format!("/association/accounts/{id}"),
            &[("duty", "system"), ("version", &version.to_string())],
        )
        .await;
    assert_eq!(
        shenji.get("/association").await.location.as_deref(),
        Some("/login")
    );
    let refused = server
        .browser()
        .post(
            "/login",
            &[("username", "shenji"), ("password", "Chayue2026zz")],
        )
        .await;
    assert!(refused.has("用户名或密码错误"));

    // Every step is in the audit log, in words, for the audit administrator.
    let mut audit = server.administrator(Duty::Audit, "chayue").await;
    let log = audit.get("/association/audit?kind=account.").await;
    for words in [
        "创建账户",
        "修改管理员角色或状态",
        "解除登录锁定",
        "登录被锁定",
        "客户端地址",
    ] {
        assert!(log.has(words), "{words}: {}", log.body);
    }
    // The system administrator sees none of this page.
    let mut system = server.browser();
    system.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(
        system.get("/association/accounts").await.status,
        StatusCode::FORBIDDEN
    );
}

/// 账户管理 through the API, the same use cases as the page: the list, a new administrator
/// whose generated password works once and must be changed, another's duty changed from
/// the version read (a stale one refused), one's own never, a reset, a second factor
/// required of an institution, a lockout lifted; every operation the security
/// administrator's alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_are_kept_through_the_api_as_on_the_page() {
    use poem::http::Method;
    use serde_json::json;
    let server = Server::new().await;
    institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let mut security = server.administrator(Duty::Security, "anquan").await;
    let mut system = server.browser();
    system.login("admin", ADMIN_PASSWORD).await;
    let refused = system
        .api(Method::GET, "/api/v1/association/accounts", None)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let listed = security
        .api(Method::GET, "/api/v1/association/accounts", None)
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let jia = listed
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "jia")
        .cloned()
        .unwrap();
    assert_eq!(jia["institution"], "甲鉴定评审中心");
    assert_eq!(jia["duty"], serde_json::Value::Null);

    let created = security
        .api(
            Method::POST,
            "/api/v1/association/accounts",
            Some(json!({"username": "shenji", "duty": "audit"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let auditor = created.json()["id"].as_i64().unwrap();
    let initial = created.json()["initial_password"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut shenji = server.browser();
    let login = shenji
        .api(
            Method::POST,
            "/api/v1/session",
            Some(json!({"username": "shenji", "password": initial})),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let must_change = shenji
        .api(Method::GET, "/api/v1/association/audit", None)
        .await;
    assert_eq!(must_change.json()["code"], "password.must_change");

    // Another's duty, from the version read; a stale version refused.
    let version = version_of(&server, auditor).await;
    let changed = security
        .api(
            Method::PUT,
            &format!("/api/v1/association/accounts/{auditor}"),
            Some(json!({"duty": "system", "active": false, "version": version})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.body);
    let stale = security
        .api(
            Method::PUT,
            &format!("/api/v1/association/accounts/{auditor}"),
            Some(json!({"duty": "audit", "active": true, "version": version})),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    // One's own: never.
    let own = account_id(&server, "anquan").await;
    let mine = security
        .api(
            Method::PUT,
            &format!("/api/v1/association/accounts/{own}"),
            Some(json!({"duty": "system", "active": true,
                "version": version_of(&server, own).await})),
        )
        .await;
    assert_eq!(
        mine.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        mine.body
    );
    assert_eq!(mine.json()["code"], "rejected", "{}", mine.body);

    // An institution's login: a reset password, a second factor required, a lockout lifted.
    let jia_id = jia["id"].as_i64().unwrap();
    let reset = security
        .api(
            Method::POST,
            &format!("/api/v1/association/accounts/{jia_id}/password"),
            None,
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    let fresh = reset.json()["password"].as_str().unwrap().to_owned();
    let mut again = server.browser();
    again.login("jia", &fresh).await;
    let required = security
        .api(
            Method::POST,
            &format!("/api/v1/association/accounts/{jia_id}/second-factor"),
            Some(json!({"change": "require"})),
        )
        .await;
    assert_eq!(required.status, StatusCode::NO_CONTENT, "{}", required.body);
    let unlocked = security
        .api(
            Method::POST,
            &format!("/api/v1/association/accounts/{jia_id}/unlock"),
            None,
        )
        .await;
    assert_eq!(unlocked.status, StatusCode::NO_CONTENT, "{}", unlocked.body);
    let listed = security
        .api(Method::GET, "/api/v1/association/accounts", None)
        .await
        .json();
    let jia = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "jia")
        .unwrap();
    assert_eq!(jia["second_factor_required"], true, "{jia}");
    assert_eq!(jia["must_change_password"], true, "{jia}");
    let auditor_row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "shenji")
        .unwrap();
    assert_eq!(auditor_row["duty"], "system");
    assert_eq!(auditor_row["active"], false);
}
