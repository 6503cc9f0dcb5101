//! The second factor (issue 22): administrators must set up TOTP before anything else; a
//! login then needs the authenticator's code (each code once, the step before and after
//! accepted), or a recovery code (each once); wrong codes count under the login's lockout;
//! the security administrator resets a lost one and requires one of an institution.

use poem::http::{Method, StatusCode};
use registry_core::access::Duty;
use registry_http::Clock as _;
use serde_json::json;

use crate::support::*;

fn server_config() -> registry_http::Config {
    registry_http::Config {
        passwords: registry_core::access::PasswordPolicy {
            max_age_days: 0,
            ..Default::default()
        },
        ..registry_http::Config::default()
    }
}

fn code(server: &Server, secret: &str) -> String {
    registry_http::totp::current_code(secret, server.clock.now()).unwrap()
}

/// Sets up the logged-in account's second factor: its secret and recovery codes.
async fn enrol(server: &Server, b: &mut Browser<'_>) -> (String, Vec<String>) {
    let page = b.get("/account/second-factor").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.has("<svg"), "a QR code");
    let secret = page.between("id=\"secret\">", "<").unwrap();
    let offer = page.between("name=\"offer\" value=\"", "\"").unwrap();
    let wrong = b
        .post(
            "/account/second-factor",
            &[("offer", &offer), ("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let done = b
        .post(
            "/account/second-factor",
            &[("offer", &offer), ("code", &code(server, &secret))],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let list = done.between("id=\"recovery-codes\">", "</ul>").unwrap();
    let recovery: Vec<String> = list
        .split("<code>")
        .skip(1)
        .filter_map(|c| c.split("</code>").next())
        .map(str::to_owned)
        .collect();
    assert_eq!(recovery.len(), 10, "{list}");
    (secret, recovery)
}

async fn code_login(b: &mut Browser<'_>, typed: &str) -> Page {
    b.post("/login/code", &[("code", typed)]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_log_in_with_a_second_factor() {
    let server = Server::with_config(server_config()).await;
    let mut admin = server.browser();
    let first = admin.login("admin", ADMIN_PASSWORD).await;
    // Nothing opens before a second factor is set up: pages or API.
    assert_eq!(first.location.as_deref(), Some("/account/second-factor"));
    assert_eq!(
        admin.get("/association").await.location.as_deref(),
        Some("/account/second-factor")
    );
    let api = admin.api(Method::GET, "/api/v1/institutions", None).await;
    assert_eq!(api.status, StatusCode::FORBIDDEN);
    assert_eq!(api.json()["code"], "second_factor.required");
    let (secret, recovery) = enrol(&server, &mut admin).await;
    assert_eq!(admin.get("/association").await.status, StatusCode::OK);

    // The next login asks for the code before any session begins.
    let mut b = server.browser();
    let asked = b.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(asked.location.as_deref(), Some("/login/code"));
    assert_eq!(
        b.get("/association").await.location.as_deref(),
        Some("/login")
    );
    // The code that set it up is used: refused (a replay).
    let replay = code_login(&mut b, &code(&server, &secret)).await;
    assert_eq!(replay.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(replay.has("验证码不正确或已使用过"), "{}", replay.body);
    // The next step's code (a phone's clock a little ahead) is accepted, once.
    server.clock.advance(time::Duration::seconds(30));
    let now = code(&server, &secret);
    let opened = code_login(&mut b, &now).await;
    assert_eq!(opened.location.as_deref(), Some("/association"));
    assert_eq!(b.get("/association").await.status, StatusCode::OK);
    let mut c = server.browser();
    c.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(
        code_login(&mut c, &now).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // A recovery code, however typed, once.
    let spare = recovery.first().unwrap().to_lowercase().replace('-', " ");
    assert_eq!(
        code_login(&mut c, &spare).await.location.as_deref(),
        Some("/association")
    );
    let mut d = server.browser();
    d.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(
        code_login(&mut d, &spare).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Wrong codes count under the login's lockout with the wrong passwords (5), and typing
    // the right password again does not clear them: the login counted 1, the spent
    // recovery code 2, two wrong codes 4, the password again 5, the next code is refused.
    for _ in 0..2 {
        code_login(&mut d, "123456").await;
    }
    d.login("admin", ADMIN_PASSWORD).await;
    let locked = code_login(&mut d, "123456").await;
    assert!(locked.has("分钟后再试"), "{}", locked.body);

    // The API takes the code with the password.
    server.clock.advance(time::Duration::minutes(16));
    let mut api = server.browser();
    let without = api
        .api(
            Method::POST,
            "/api/v1/session",
            Some(json!({"username": "admin", "password": ADMIN_PASSWORD})),
        )
        .await;
    assert_eq!(without.status, StatusCode::UNAUTHORIZED);
    assert_eq!(without.json()["code"], "login.code_required");
    let with = api
        .api(
            Method::POST,
            "/api/v1/session",
            Some(json!({"username": "admin", "password": ADMIN_PASSWORD, "code": code(&server, &secret)})),
        )
        .await;
    assert_eq!(with.status, StatusCode::OK, "{}", with.body);
    assert_eq!(
        api.api(Method::GET, "/api/v1/institutions", None)
            .await
            .status,
        StatusCode::OK
    );

    // A lost phone: the security administrator resets it; the administrator's sessions
    // end and the next login sets up a new one.
    let mut security = server.browser();
    security.login("admin", ADMIN_PASSWORD).await;
    server.clock.advance(time::Duration::seconds(30));
    code_login(&mut security, &code(&server, &secret)).await;
    let mut anquan = server
        .administrator_enrolled(Duty::Security, "anquan")
        .await;
    let admin_id = server
        .store
        .account_by_username(&registry_core::access::Username::parse("admin").unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    let reset = anquan
        .post(
            &format!("/association/accounts/{admin_id}/second-factor"),
            &[("change", "reset")],
        )
        .await;
    assert_eq!(
        reset.location.as_deref(),
        Some("/association/accounts?notice=account-saved"),
        "{}",
        reset.body
    );
    assert_eq!(
        b.get("/association").await.location.as_deref(),
        Some("/login")
    );
    let again = server.browser().login("admin", ADMIN_PASSWORD).await;
    assert_eq!(again.location.as_deref(), Some("/account/second-factor"));

    // Not of an administrator: theirs is required by their role.
    let refused = anquan
        .post(
            &format!("/association/accounts/{admin_id}/second-factor"),
            &[("change", "release")],
        )
        .await;
    assert!(refused.has("管理员账户一律要求"), "{}", refused.body);
    // Every step in the audit log, in words.
    let mut audit = server.administrator_enrolled(Duty::Audit, "shenji").await;
    let log = audit.get("/association/audit?kind=account.").await;
    for words in ["启用双因素认证", "重置双因素认证"] {
        assert!(log.has(words), "{words}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_security_administrator_requires_a_second_factor_of_an_institution() {
    let server = Server::new().await;
    institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let mut anquan = server.administrator(Duty::Security, "anquan").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    assert_eq!(jia.get("/institution").await.status, StatusCode::OK);
    let jia_id = server
        .store
        .account_by_username(&registry_core::access::Username::parse("jia").unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    anquan
        .post(
            &format!("/association/accounts/{jia_id}/second-factor"),
            &[("change", "require")],
        )
        .await;
    assert_eq!(
        jia.get("/institution").await.location.as_deref(),
        Some("/account/second-factor")
    );
    let (secret, _) = enrol(&server, &mut jia).await;
    assert_eq!(jia.get("/institution").await.status, StatusCode::OK);
    server.clock.advance(time::Duration::seconds(30));
    let mut again = server.browser();
    assert_eq!(
        again.login("jia", "Tezhong2026k").await.location.as_deref(),
        Some("/login/code")
    );
    let opened = code_login(&mut again, &code(&server, &secret)).await;
    assert_eq!(opened.location.as_deref(), Some("/institution"));
    // Replacing it needs a code of the one it replaces.
    let page = again.get("/account/second-factor").await;
    let fresh = page.between("id=\"secret\">", "<").unwrap();
    let offer = page.between("name=\"offer\" value=\"", "\"").unwrap();
    let new_code = code(&server, &fresh);
    let refused = again
        .post(
            "/account/second-factor",
            &[
                ("offer", &offer),
                ("code", &new_code),
                ("current", "000000"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.has("原身份验证器的验证码不正确"),
        "{}",
        refused.body
    );
    server.clock.advance(time::Duration::seconds(30));
    let replaced = again
        .post(
            "/account/second-factor",
            &[
                ("offer", &offer),
                ("code", &code(&server, &fresh)),
                ("current", &code(&server, &secret)),
            ],
        )
        .await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
    assert!(replaced.has("recovery-codes"));
    let page = anquan.get("/association/accounts").await;
    assert!(
        page.has("不再要求双因素认证") && page.has("促进会要求"),
        "{}",
        page.body
    );
}

/// An institution's system sets up the second factor required of its account through the
/// API: until then every operation answers 403 `second_factor.required`; the secret
/// offered, a wrong code refused, the right one answered with ten recovery codes; then a
/// login needs a code, and replacing it needs a code of the one in use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_factor_is_set_up_through_the_api() {
    let server = Server::new().await;
    institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let mut anquan = server.administrator(Duty::Security, "anquan").await;
    let jia_id = server
        .store
        .account_by_username(&registry_core::access::Username::parse("jia").unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    let required = anquan
        .api(
            Method::POST,
            &format!("/api/v1/association/accounts/{jia_id}/second-factor"),
            Some(json!({"change": "require"})),
        )
        .await;
    assert_eq!(required.status, StatusCode::NO_CONTENT, "{}", required.body);
    let mut jia = server.browser();
    let login = jia
        .api(
            Method::POST,
            "/api/v1/session",
            Some(json!({"username": "jia", "password": "Tezhong2026k"})),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let blocked = jia
        .api(Method::GET, "/api/v1/institution/people", None)
        .await;
    assert_eq!(blocked.status, StatusCode::FORBIDDEN);
    assert_eq!(blocked.json()["code"], "second_factor.required");

    let offer = jia
        .api(Method::GET, "/api/v1/account/second-factor", None)
        .await;
    assert_eq!(offer.status, StatusCode::OK, "{}", offer.body);
    let offer = offer.json();
    assert_eq!(offer["enrolled"], false);
    assert_eq!(offer["required"], true);
    assert!(
        offer["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/"),
        "{offer}"
    );
    let secret = offer["secret"].as_str().unwrap().to_owned();
    let sealed = offer["offer"].as_str().unwrap().to_owned();
    let wrong = jia
        .api(
            Method::POST,
            "/api/v1/account/second-factor",
            Some(json!({"offer": sealed, "code": "000000"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.json()["code"], "second_factor.wrong_code");
    // An offer made to another account (here: the security administrator's) is not this
    // account's: nobody sets up a secret of their own choosing or someone else's.
    let theirs = anquan
        .api(Method::GET, "/api/v1/account/second-factor", None)
        .await
        .json();
    let foreign = theirs["secret"].as_str().unwrap().to_owned();
    let borrowed = jia
        .api(
            Method::POST,
            "/api/v1/account/second-factor",
            Some(json!({"offer": theirs["offer"], "code": code(&server, &foreign)})),
        )
        .await;
    assert_eq!(borrowed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(borrowed.json()["code"], "second_factor.offer");
    let done = jia
        .api(
            Method::POST,
            "/api/v1/account/second-factor",
            Some(json!({"offer": sealed, "code": code(&server, &secret)})),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.json()["recovery_codes"].as_array().unwrap().len(), 10);
    let open = jia
        .api(Method::GET, "/api/v1/institution/people", None)
        .await;
    assert_eq!(open.status, StatusCode::OK, "{}", open.body);

    // Replacing it needs a code of the one in use.
    let fresh = jia
        .api(Method::GET, "/api/v1/account/second-factor", None)
        .await
        .json();
    assert_eq!(fresh["enrolled"], true);
    assert_eq!(fresh["recovery_codes_left"], 10);
    let fresh_offer = fresh["offer"].as_str().unwrap().to_owned();
    let fresh = fresh["secret"].as_str().unwrap().to_owned();
    let refused = jia
        .api(
            Method::POST,
            "/api/v1/account/second-factor",
            Some(json!({"offer": fresh_offer, "code": code(&server, &fresh), "current": "000000"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["code"], "second_factor.wrong_current");
    // An offer lapses after 30 minutes (the session kept alive meanwhile).
    for _ in 0..4 {
        server.clock.advance(time::Duration::minutes(8));
        jia.api(Method::GET, "/api/v1/session", None).await;
    }
    let lapsed = jia
        .api(
            Method::POST,
            "/api/v1/account/second-factor",
            Some(json!({"offer": fresh_offer, "code": code(&server, &fresh)})),
        )
        .await;
    assert_eq!(lapsed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(lapsed.json()["code"], "second_factor.offer");

    // A login now needs a code.
    let mut again = server.browser();
    let without = again
        .api(
            Method::POST,
            "/api/v1/session",
            Some(json!({"username": "jia", "password": "Tezhong2026k"})),
        )
        .await;
    assert_eq!(without.status, StatusCode::UNAUTHORIZED);
    assert_eq!(without.json()["code"], "login.code_required");
}
