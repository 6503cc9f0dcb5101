//! Security behaviour of the web system: CSRF, headers, lockouts, timeouts, scoping, mass
//! assignment, stale edits.

use poem::http::{Method, StatusCode};
use registry_http::Clock as _;

use crate::support::*;

fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_health_and_headers() {
    let server = Server::new().await;
    let mut b = server.browser();
    let home = b.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    for entry in ["机构登录", "评审人员信息填报", "人员查询", "无聘用单位人员"]
    {
        assert!(home.has(entry), "{entry}");
    }
    assert!(
        home.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(home.headers["x-content-type-options"], "nosniff");
    assert_eq!(home.headers["x-frame-options"], "DENY");
    assert_eq!(home.headers["cache-control"], "no-store");
    let cookie = home.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(
        !home.has("style=\""),
        "no inline style (the CSP forbids it)"
    );
    assert_eq!(b.get("/healthz").await.status, StatusCode::OK);
    let css = b.get("/static/style.css").await;
    assert!(
        css.headers["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("public")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsafe_requests_need_the_csrf_token() {
    let server = Server::new().await;
    let mut b = server.browser();
    b.get("/login").await;
    let missing = b
        .post_without_csrf(
            "/login",
            &[("username", "admin"), ("password", ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let forged = b
        .post_without_csrf(
            "/login",
            &[
                ("csrf", &"0".repeat(64)),
                ("username", "admin"),
                ("password", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(!b.cookies.contains_key("registry_session"));
    let api = b
        .api(
            Method::POST,
            "/api/v1/session",
            Some(serde_json::json!({"username": "admin", "password": ADMIN_PASSWORD})),
        )
        .await;
    assert_eq!(api.status, StatusCode::OK);
    b.cookies.insert("registry_csrf".into(), "f".repeat(64));
    let logout_forged = b.send_raw_post("/logout").await;
    assert_eq!(logout_forged, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_lock_after_five_failures_without_telling_who_exists() {
    let server = Server::new().await;
    let mut b = server.browser();
    for _ in 0..5 {
        let wrong = b
            .post(
                "/login",
                &[("username", "admin"), ("password", "wrong-password-1")],
            )
            .await;
        assert!(wrong.has("用户名或密码错误"), "{}", wrong.body);
    }
    let locked = b
        .post(
            "/login",
            &[("username", "admin"), ("password", ADMIN_PASSWORD)],
        )
        .await;
    assert!(
        locked.has("尝试次数过多，请于 15 分钟后再试"),
        "{}",
        locked.body
    );
    // An unknown account gets the same answers.
    let mut c = server.browser();
    for _ in 0..5 {
        assert!(
            c.post("/login", &[("username", "nobody"), ("password", "x")])
                .await
                .has("用户名或密码错误")
        );
    }
    assert!(
        c.post("/login", &[("username", "nobody"), ("password", "x")])
            .await
            .has("尝试次数过多")
    );
    // After the window the right password works.
    server.clock.advance(time::Duration::minutes(16));
    b.login("admin", ADMIN_PASSWORD).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_after_thirty_idle_minutes() {
    let server = Server::new().await;
    let mut b = server.browser();
    b.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(b.get("/association").await.status, StatusCode::OK);
    server.clock.advance(time::Duration::minutes(29));
    assert_eq!(b.get("/association").await.status, StatusCode::OK);
    server.clock.advance(time::Duration::minutes(31));
    let expired = b.get("/association").await;
    assert_eq!(expired.location.as_deref(), Some("/login"));
}

/// An institution with one person who has the fill-in password `fill_in`.
async fn employed(server: &Server) -> (String, String, String, String) {
    let institution = institution(server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let id = resident_id(51, date(1975, 3, 3));
    exam_result(server, "孙评审", &id, &["QZ-ZZ"], "2026-05-01").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    let found = jia
        .post(
            "/institution/add/find",
            &[("name", "孙评审"), ("resident_id", &id)],
        )
        .await;
    let person = found.between("name=\"person\" value=\"", "\"").unwrap();
    let shown = jia
        .post(
            "/institution/add",
            &[("person", &person), ("items", "QZ-ZZ")],
        )
        .await;
    let fill_in = shown.between(SECRET.0, SECRET.1).unwrap();
    (institution.to_string(), person, fill_in, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fill_in_entries_lock_and_never_tell_who_exists() {
    let server = Server::new().await;
    let (institution, person, fill_in, _) = employed(&server).await;
    let entry = format!("/self-service/{person}/{institution}");
    let nobody = format!("/self-service/999999/{institution}");
    let mut b = server.browser();
    for _ in 0..5 {
        let real = b.post(&entry, &[("password", "wrong")]).await;
        let fake = b.post(&nobody, &[("password", "wrong")]).await;
        assert_eq!(real.status, fake.status);
        assert_eq!(
            real.between("role=\"alert\">", "<"),
            fake.between("role=\"alert\">", "<"),
            "the same message whether the person exists or not"
        );
    }
    let locked = b.post(&entry, &[("password", &fill_in)]).await;
    assert!(
        locked.has("尝试次数过多，请于 15 分钟后再试"),
        "{}",
        locked.body
    );
    assert!(
        b.post(&nobody, &[("password", "x")])
            .await
            .has("尝试次数过多")
    );
    // Another browser at the same address cannot open it either during the window (the
    // lock is the entry's for this address: every test browser is one client), and after
    // the window the right password works. (Other addresses: tests/it/lockout.rs.)
    assert!(
        server
            .browser()
            .post(&entry, &[("password", &fill_in)])
            .await
            .has("尝试次数过多")
    );
    server.clock.advance(time::Duration::minutes(16));
    let opened = server
        .browser()
        .post(&entry, &[("password", &fill_in)])
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_assessor_changes_only_their_own_details() {
    let server = Server::new().await;
    let (institution, person, fill_in, _) = employed(&server).await;
    let entry = format!("/self-service/{person}/{institution}");
    let mut me = server.browser();
    me.post(&entry, &[("password", &fill_in)]).await;
    let edit = me.get(&format!("{entry}/edit")).await;
    let version = edit.between("name=\"version\" value=\"", "\"").unwrap();
    // Extra fields (a state, an item, an institution, a registration) are ignored.
    let saved = me
        .post(
            &format!("{entry}/edit"),
            &[
                ("version", &version),
                ("mobile", "13912345678"),
                ("state", "registered"),
                ("items", "DT-ZZ"),
                ("institution", "2"),
                ("registration_number", "JP20190000999"),
            ],
        )
        .await;
    assert!(saved.has("尚需填写"));
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    let page = jia.get(&format!("/institution/people/{person}")).await;
    assert!(
        page.has("data-state=\"filling\"") && !page.has("电梯制造") && !page.has("JP2019"),
        "{}",
        page.body
    );
    // The API refuses a body with any other field.
    let api = me
        .api(Method::PUT, &format!("/api/v1{entry}/details"), Some(serde_json::json!({"version": 2, "details": {"mobile": "13912345678"}, "state": "registered"})))
        .await;
    assert_eq!(api.status, StatusCode::BAD_REQUEST, "{}", api.body);
    let api = me
        .api(Method::PUT, &format!("/api/v1{entry}/details"), Some(serde_json::json!({"version": 2, "details": {"mobile": "13912345678", "items": ["DT-ZZ"]}})))
        .await;
    assert_eq!(api.status, StatusCode::BAD_REQUEST, "{}", api.body);
    // Another person's entry stays closed with this one's cookie.
    let other = me
        .get(&format!(
            "/self-service/{}/{institution}/edit",
            person.parse::<i64>().unwrap() + 1
        ))
        .await;
    assert_eq!(other.status, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_edit_is_a_conflict() {
    let server = Server::new().await;
    let (institution, person, fill_in, _) = employed(&server).await;
    let entry = format!("/self-service/{person}/{institution}");
    let mut me = server.browser();
    me.post(&entry, &[("password", &fill_in)]).await;
    let edit = me.get(&format!("{entry}/edit")).await;
    let version = edit.between("name=\"version\" value=\"", "\"").unwrap();
    let first = me
        .post(
            &format!("{entry}/edit"),
            &[("version", &version), ("mobile", "13912345678")],
        )
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let second = me
        .post(
            &format!("{entry}/edit"),
            &[("version", &version), ("mobile", "13800000000")],
        )
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    assert!(
        second.has("人员已被他人修改，请刷新页面后重试"),
        "{}",
        second.body
    );
    assert!(second.has("13912345678"), "the form shows the current data");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_are_kept_apart() {
    let server = Server::new().await;
    let (_, person, _, _) = employed(&server).await;
    let mut anonymous = server.browser();
    assert_eq!(
        anonymous.get("/institution").await.location.as_deref(),
        Some("/login")
    );
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let refused = admin.get("/institution").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.has("无权访问"));
    institution(&server, 2, "乙鉴定评审中心", "yijg", "Fangan2026z").await;
    let mut yi = server.browser();
    yi.login("yijg", "Fangan2026z").await;
    assert_eq!(
        yi.get("/association/institutions").await.status,
        StatusCode::FORBIDDEN
    );
    for path in [format!("/institution/people/{person}")] {
        assert_eq!(yi.get(&path).await.status, StatusCode::NOT_FOUND);
    }
    let reset = yi
        .post(&format!("/institution/people/{person}/password"), &[])
        .await;
    assert_eq!(reset.status, StatusCode::NOT_FOUND);
    let api = yi
        .api(
            Method::GET,
            &format!("/api/v1/institution/people/{person}"),
            None,
        )
        .await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert_eq!(api.json()["code"], "not_found.person");
}

/// Sends a JSON POST over a real TCP connection, as a reverse proxy forwarding for
/// `client` would; returns the status.
pub(crate) async fn post_from(
    addr: std::net::SocketAddr,
    client: &str,
    path: &str,
    body: &str,
) -> u16 {
    send_from(addr, client, path, body).await.0
}

/// The same, returning the status and the body.
pub(crate) async fn send_from(
    addr: std::net::SocketAddr,
    client: &str,
    path: &str,
    body: &str,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let token = "c".repeat(64);
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: {client}\r\n\
         Cookie: registry_csrf={token}\r\nX-CSRF-Token: {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_wrong_fill_in_passwords_from_350_addresses_get_the_entrys_fifty() {
    let server = Server::with_config(registry_http::Config {
        trusted_proxy: Some("127.0.0.1".parse().unwrap()),
        ..test_config()
    })
    .await;
    let (institution, person, fill_in, _) = employed(&server).await;
    let addr = behind_proxy(&server).await;
    let path = format!("/api/v1/self-service/{person}/{institution}/unlock");
    let mut wrong = 0;
    let mut locked = 0;
    for n in 0..1000u32 {
        let client = format!("10.0.{}.{}", n % 50, 1 + n % 7);
        let body = format!("{{\"password\":\"Wrong{n:04}\"}}");
        match post_from(addr, &client, &path, &body).await {
            401 => wrong += 1,
            429 => locked += 1,
            other => panic!("attempt {n} from {client}: status {other}"),
        }
    }
    assert_eq!(wrong, 50, "the entry's ceiling, whoever asks");
    assert_eq!(locked, 950);
    let right = format!("{{\"password\":\"{fill_in}\"}}");
    assert_eq!(
        post_from(addr, "10.9.9.9", &path, &right).await,
        429,
        "the right password waits for the ceiling's window too"
    );
    server.clock.advance(time::Duration::minutes(16));
    assert_eq!(post_from(addr, "10.9.9.9", &path, &right).await, 429);
    server.clock.advance(time::Duration::hours(24));
    assert_eq!(
        post_from(addr, "10.9.9.9", &path, &right).await,
        204,
        "after the ceiling's window the person's password works"
    );
}

/// A real TCP server over the test server's state, trusting 127.0.0.1 as its proxy.
pub(crate) async fn behind_proxy(server: &Server) -> std::net::SocketAddr {
    let acceptor =
        poem::listener::Listener::into_acceptor(poem::listener::TcpListener::bind("127.0.0.1:0"))
            .await
            .unwrap();
    let addr = poem::listener::Acceptor::local_addr(&acceptor)[0]
        .as_socket_addr()
        .copied()
        .unwrap();
    let app = registry_http::app(server.state.clone());
    tokio::spawn(async move {
        let _ = poem::Server::new_with_acceptor(acceptor).run(app).await;
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_sent_at_once_still_get_the_limits() {
    let server = Server::with_config(registry_http::Config {
        trusted_proxy: Some("127.0.0.1".parse().unwrap()),
        ..test_config()
    })
    .await;
    let (institution, person, _, _) = employed(&server).await;
    let addr = behind_proxy(&server).await;
    let path = format!("/api/v1/self-service/{person}/{institution}/unlock");
    // Every attempt is counted before its password is checked: a burst cannot slip more
    // checks into the window than the policy allows, from one address (5) or from many
    // (the entry's 50).
    let burst = |clients: Vec<String>| {
        let path = path.clone();
        async move {
            let tasks: Vec<_> = clients
                .into_iter()
                .enumerate()
                .map(|(n, client)| {
                    let path = path.clone();
                    tokio::spawn(async move {
                        let body = format!("{{\"password\":\"Burst{n:04}\"}}");
                        post_from(addr, &client, &path, &body).await
                    })
                })
                .collect();
            let mut statuses = Vec::new();
            for task in tasks {
                statuses.push(task.await.unwrap());
            }
            let checked = statuses.iter().filter(|&&s| s == 401).count();
            let locked = statuses.iter().filter(|&&s| s == 429).count();
            (checked, locked)
        }
    };
    assert_eq!(burst(vec!["10.1.0.1".to_owned(); 20]).await, (5, 15));
    let many = (0..80u32)
        .map(|n| format!("10.2.{}.{}", n / 10, 1 + n % 10))
        .collect();
    assert_eq!(burst(many).await, (45, 35));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cannot_choose_its_address_in_front_of_the_proxy() {
    let server = Server::with_config(registry_http::Config {
        trusted_proxy: Some("127.0.0.1".parse().unwrap()),
        ..test_config()
    })
    .await;
    let addr = behind_proxy(&server).await;
    // One client (the address the proxy appended last) sends a different made-up address
    // first each time, guessing entries of people who do not exist: it is still one
    // client, locked after its 30 tries.
    let mut statuses = Vec::new();
    for n in 0..31u32 {
        let forwarded = format!("192.0.2.{}, 10.8.8.8", n + 1);
        let path = format!("/api/v1/self-service/{}/1/unlock", 1000 + n);
        statuses.push(post_from(addr, &forwarded, &path, "{\"password\":\"Guess1234\"}").await);
    }
    assert!(statuses[..30].iter().all(|&s| s == 401), "{statuses:?}");
    assert_eq!(statuses[30], 429, "{statuses:?}");
    // Another client is not affected.
    let path = "/api/v1/self-service/999/1/unlock";
    assert_eq!(
        post_from(addr, "10.8.8.9", path, "{\"password\":\"Guess1234\"}").await,
        401
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_guesses_under_the_lockout_and_needs_a_new_password() {
    let server = Server::new().await;
    institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    let change = |current: &str, new: &str| serde_json::json!({ "current_password": current, "new_password": new });
    let same = jia
        .api(
            Method::PUT,
            "/api/v1/account/password",
            Some(change("Tezhong2026k", "Tezhong2026k")),
        )
        .await;
    assert_eq!(same.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(same.has("新密码不能与当前密码相同"), "{}", same.body);
    // A run of one character or a keyboard walk is refused, with every reason at once.
    let weak = jia
        .api(
            Method::PUT,
            "/api/v1/account/password",
            Some(change("Tezhong2026k", "aaaaaaaaaaaa1")),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.has("连续出现4次"), "{}", weak.body);
    assert!(weak.has("至少应包含5个不同的字符"), "{}", weak.body);
    let page = jia
        .post(
            "/account/password",
            &[
                ("current", "Tezhong2026k"),
                ("new_password", "Qwerty2026x"),
                ("repeat", "Qwerty2026x"),
            ],
        )
        .await;
    assert!(page.has("键盘顺序"), "{}", page.body);
    // A borrowed session guessing the current password gets the login's five tries.
    for n in 0..5 {
        let wrong = jia
            .api(
                Method::PUT,
                "/api/v1/account/password",
                Some(change(&format!("Guess{n}2026x"), "Kaishi2027m")),
            )
            .await;
        assert!(wrong.has("当前密码不正确"), "{}", wrong.body);
    }
    let locked = jia
        .api(
            Method::PUT,
            "/api/v1/account/password",
            Some(change("Tezhong2026k", "Kaishi2027m")),
        )
        .await;
    assert!(locked.has("错误次数过多"), "{}", locked.body);
    server.clock.advance(time::Duration::minutes(16));
    let done = jia
        .api(
            Method::PUT,
            "/api/v1/account/password",
            Some(change("Tezhong2026k", "Kaishi2027m")),
        )
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_search_allows_thirty_a_minute_per_visitor_on_the_page_and_the_api() {
    let server = Server::new().await;
    let mut b = server.browser();
    let page = format!("/search?{}", query(&[("by", "name"), ("q", "王伟")]));
    let api = format!(
        "/api/v1/public/people?{}",
        query(&[("by", "name"), ("q", "王伟")])
    );
    for i in 0..30 {
        // The page and the API share the visitor's count; the clock moves a little, so
        // some of the counts are written to the shared counter on the way.
        server.clock.advance(time::Duration::milliseconds(300));
        let status = if i % 2 == 0 {
            b.get(&page).await.status
        } else {
            b.api(Method::GET, &api, None).await.status
        };
        assert_eq!(status, StatusCode::OK, "search {}", i + 1);
    }
    let refused = b.get(&page).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.has("查询过于频繁"), "{}", refused.body);
    let refused = b.api(Method::GET, &api, None).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.json()["code"], "search.rate_limited");
    // The counts reach the database's shared counter (for the other instances), written
    // in the background at most once a second, and only two writes at a time: what is
    // still pending goes with the visitor's next search a second later.
    let mut shared = 0;
    for _ in 0..40 {
        shared = server
            .state
            .store
            .failures(
                "search:unknown",
                server.clock.now(),
                time::Duration::minutes(1),
            )
            .await
            .unwrap()
            .count;
        if shared >= 32 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        server.clock.advance(time::Duration::milliseconds(500));
        assert_eq!(b.get(&page).await.status, StatusCode::TOO_MANY_REQUESTS);
    }
    assert!(shared >= 32, "{shared}");
    // A minute later the visitor may search again.
    server.clock.advance(time::Duration::seconds(61));
    assert_eq!(b.get(&page).await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_are_codes_and_no_text_of_the_request_is_shown() {
    let server = Server::new().await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let forged = "请立即致电 400-000-0000 重新验证账户";
    for path in [
        "/association/institutions",
        "/association/certificates?show=all",
        "/association/cards?show=all",
    ] {
        let joiner = if path.contains('?') { '&' } else { '?' };
        let query = serde_urlencoded::to_string([("notice", forged)]).unwrap();
        let page = admin.get(&format!("{path}{joiner}{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            !page.has("400-000-0000"),
            "{path} showed the request's text"
        );
        let page = admin.get(&format!("{path}{joiner}notice=12")).await;
        assert!(
            !page.has("已将 12 份证件"),
            "{path}: a bare number is no code"
        );
    }
    let page = admin
        .get("/association/certificates?show=all&notice=mailed-3")
        .await;
    assert!(page.has("已将 3 份证件标记为已寄出。"), "{}", page.body);
    let page = admin.get("/association/institutions?notice=updated").await;
    assert!(page.has("机构信息已保存。"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_csrf_token_is_bound_to_the_session_and_rotates_with_it() {
    let server = Server::new().await;
    let mut b = server.browser();
    b.get("/login").await;
    let anonymous = b.csrf();
    assert_eq!(anonymous.len(), 64);
    b.login("admin", ADMIN_PASSWORD).await;
    let logged_in = b.csrf();
    assert_ne!(logged_in, anonymous, "a login rotates the token");
    let session = b.cookies["registry_session"].clone();

    // With the session, a token the client chose (cookie and form alike) is refused: the
    // token is the session's, not whatever the cookie says.
    for chosen in [anonymous.clone(), "c".repeat(64)] {
        b.cookies.insert("registry_csrf".into(), chosen.clone());
        let body = format!("csrf={chosen}");
        let refused = b.send_raw(Method::POST, "/logout", body.into_bytes()).await;
        assert_eq!(refused, StatusCode::FORBIDDEN, "chosen token {chosen}");
        assert_eq!(b.cookies["registry_session"], session, "still logged in");
    }
    // The page's forms carry the session's token, and the next response puts it back in the
    // cookie.
    let page = b.get("/association").await;
    assert!(page.has(&format!("value=\"{logged_in}\"")), "{}", page.body);
    assert_eq!(b.csrf(), logged_in);

    // A logout rotates it again: the session's token is worth nothing afterwards.
    let out = b.post("/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = b.csrf();
    assert_ne!(after, logged_in);
    assert_ne!(after, anonymous);
    b.cookies.insert("registry_csrf".into(), logged_in.clone());
    let body = format!("csrf={logged_in}&username=admin&password={ADMIN_PASSWORD}");
    let stale = b.send_raw(Method::POST, "/login", body.into_bytes()).await;
    // Anonymous again: a double-submitted token is accepted, the old one as any other.
    assert_eq!(stale, StatusCode::SEE_OTHER);

    // The API's login answers with the new, bound token, and it works.
    let mut api = server.browser();
    let before = {
        api.get("/api/v1/session").await;
        api.csrf()
    };
    let login = api
        .api(
            Method::POST,
            "/api/v1/session",
            Some(serde_json::json!({"username": "admin", "password": ADMIN_PASSWORD})),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    let token = login.json()["csrf_token"].as_str().unwrap().to_owned();
    assert_ne!(token, before);
    assert_eq!(api.csrf(), token, "the cookie carries the same token");
    let session = api.api(Method::GET, "/api/v1/session", None).await;
    assert_eq!(session.json()["csrf_token"], token.as_str());
    let out = api.api(Method::DELETE, "/api/v1/session", None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_ne!(api.csrf(), token, "a logout rotates it");
}

/// Issue 20: what no route answers is answered in Chinese — a page with the site's header
/// and a way home, or the API's error shape — never the framework's "not found".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_addresses_and_methods_answer_in_chinese() {
    let server = Server::new().await;
    let mut b = server.browser();
    let missing = b.get("/no-such-page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.has("没有这个页面") && missing.has("返回首页"),
        "{}",
        missing.body
    );
    assert!(
        missing.has("特种设备鉴定评审人员管理系统"),
        "the site's header"
    );
    assert!(!missing.body.to_lowercase().contains("not found"));
    let method = b.post("/healthz", &[]).await;
    assert_eq!(
        method.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        method.body
    );
    assert!(method.has("不支持的操作"), "{}", method.body);
    let api = b.api(Method::GET, "/api/v1/no-such-operation", None).await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert_eq!(api.json()["code"], "not_found.route");
    b.login("admin", ADMIN_PASSWORD).await;
    let malformed = b.get("/association/people/abc").await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert!(
        malformed.has("请求有误") && malformed.has("返回工作台"),
        "{}",
        malformed.body
    );
}

/// Issue 20: 考核合格名单 keeps what was typed and shows each error beside its field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exam_form_shows_each_error_beside_its_field() {
    let server = Server::new().await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let refused = admin
        .post(
            "/association/exam-results",
            &[
                ("name", "郑评审"),
                ("resident_id", "350102197001011234"),
                ("exam_date", ""),
                ("published_on", "2026-05-01"),
                ("items", "RQ-ZZ"),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.has("未保存，请更正"),
        "the summary: {}",
        refused.body
    );
    for field in ["resident_id", "exam_date"] {
        assert!(
            refused.has(&format!("aria-describedby=\"{field}-error\"")),
            "{field}: {}",
            refused.body
        );
    }
    assert!(refused.has("value=\"郑评审\""), "kept: {}", refused.body);
    assert!(refused.has("action=\"/association/exam-results#exam\""));
    // The summary is inside the form the page lands on (#exam), not above a tall page.
    let form = refused
        .between("id=\"exam\"", "</form>")
        .expect("the exam form");
    assert!(form.contains("未保存，请更正"), "{form}");

    // The exam's own rules stand beside their fields too: no item ticked, an exam in the
    // future, a publication before the exam.
    let refused = admin
        .post(
            "/association/exam-results",
            &[
                ("name", "郑评审"),
                ("resident_id", "350102197001011234"),
                ("exam_date", "2099-01-01"),
                ("published_on", "2026-05-01"),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    for field in ["items", "exam_date"] {
        assert!(
            refused.has(&format!("id=\"{field}-error\"")),
            "{field}: {}",
            refused.body
        );
    }
}
