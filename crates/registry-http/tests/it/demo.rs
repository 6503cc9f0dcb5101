//! The living demo (`registry serve --demo`), loaded on several days (today-like, the first
//! day of a cycle, a cycle's last three months, the middle of one): on each, what it
//! promises holds, read through the pages: exactly one document overdue (the one it names),
//! a few due, people in every state, a registration ending within three months, someone
//! short of hours for the next cycle, someone blocked by age, and the printed logins
//! matching what the institutions see.

use poem::http::StatusCode;
use registry_http::Clock as _;
use registry_http::Config;
use registry_http::demo::DemoLogins;

use crate::support::*;

async fn demo_on(y: i32, m: u8, d: u8) -> (Server, DemoLogins) {
    let server = Server::empty(Config::default(), date(y, m, d)).await;
    let logins = registry_http::demo::load(&server.state, date(y, m, d))
        .await
        .unwrap_or_else(|e| panic!("the demo of {y}-{m}-{d}: {e}"));
    (server, logins)
}

fn password_of<'a>(logins: &'a DemoLogins, user: &str) -> &'a str {
    &logins
        .accounts
        .iter()
        .find(|(u, ..)| u == user)
        .unwrap_or_else(|| panic!("no account {user}"))
        .1
}

/// The institution's account (user name, password) by the institution's name.
fn account_of<'a>(logins: &'a DemoLogins, institution: &str) -> (&'a str, &'a str) {
    let (user, password, _) = logins
        .accounts
        .iter()
        .find(|(_, _, role)| role.ends_with(institution))
        .unwrap_or_else(|| panic!("no account of {institution}"));
    (user, password)
}

fn rows<'a>(page: &'a Page, marked: &str) -> Vec<&'a str> {
    page.body
        .split("<tr>")
        .skip(1)
        .filter(|r| r.contains(marked))
        .collect()
}

/// The person page of `name` at the logged-in institution.
async fn person_page(b: &mut Browser<'_>, name: &str) -> Page {
    let list = b.get("/institution").await;
    let row = rows(&list, name)
        .first()
        .copied()
        .unwrap_or_else(|| panic!("{name} is not listed: {}", list.body));
    let link = row
        .split("href=\"/institution/people/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    b.get(&format!("/institution/people/{link}")).await
}

async fn check(server: &Server, logins: &DemoLogins) {
    // Every audit row of the demo is linked into the audit chain.
    let chain = server.store.verify_audit_chain().await.unwrap();
    assert_eq!(chain.broken, None, "{chain:?}");
    assert!(chain.rows > 0);
    let mut admin = server.browser();
    // The demo's administrators have set up their second factor with published secrets.
    let asked = admin.login("admin", password_of(logins, "admin")).await;
    assert_eq!(asked.location.as_deref(), Some("/login/code"));
    let secret = logins
        .second_factors
        .get("admin")
        .expect("a published secret");
    let code = registry_http::totp::current_code(secret, server.clock.now()).unwrap();
    let opened = admin.post("/login/code", &[("code", &code)]).await;
    assert_eq!(opened.location.as_deref(), Some("/association"));

    // Exactly one overdue document, the one the demo names; a few due.
    let (whose, _) = logins
        .overdue
        .clone()
        .expect("the demo names its overdue document");
    let certificates = admin.get("/association/certificates").await;
    assert_eq!(certificates.status, StatusCode::OK);
    let overdue = rows(&certificates, "（已逾期）");
    assert_eq!(overdue.len(), 1, "{}", certificates.body);
    assert!(overdue[0].contains(&whose), "{}", overdue[0]);
    assert!(certificates.has("其中逾期 1 份"), "{}", certificates.body);
    assert!(
        rows(&certificates, "待发放").len() >= 4,
        "a few due: {}",
        certificates.body
    );
    let cards = admin.get("/association/cards").await;
    assert!(cards.has("其中逾期 0 份"), "{}", cards.body);
    assert!(rows(&cards, "（已逾期）").is_empty(), "{}", cards.body);

    // The printed logins are what the institutions see, and every state is there.
    let mut seen = std::collections::BTreeSet::new();
    let institutions: std::collections::BTreeSet<&str> =
        logins.assessors.iter().map(|a| a.1.as_str()).collect();
    for institution in institutions {
        let (user, password) = account_of(logins, institution);
        let mut b = server.browser();
        b.login(user, password).await;
        let list = b.get("/institution").await;
        for state in ["待填报", "信息填报中", "等待注册", "已注册", "已过期"] {
            if list.has(state) {
                seen.insert(state);
            }
        }
        for (name, at, _, situation) in logins.assessors.iter().filter(|a| a.1 == institution) {
            let state = situation.split(['；', '（', '，', '：']).next().unwrap();
            let row = rows(&list, name);
            assert!(
                row.first().is_some_and(|r| r.contains(state)),
                "{name} at {at} should be {state}: {row:?}"
            );
            if situation.contains("换证尚差") {
                let page = person_page(&mut b, name).await;
                assert!(page.has("，尚差"), "{name}: {}", page.body);
                seen.insert("short of hours");
            }
            if situation.contains("不能换证") {
                let page = person_page(&mut b, name).await;
                assert!(page.has("换证年龄须在65周岁以下"), "{name}: {}", page.body);
                seen.insert("blocked by age");
            }
        }
        if !rows(&b.get("/institution/expiring").await, "管理").is_empty() {
            seen.insert("ends within three months");
        }
    }
    for wanted in [
        "待填报",
        "信息填报中",
        "等待注册",
        "已注册",
        "已过期",
        "short of hours",
        "blocked by age",
        "ends within three months",
    ] {
        assert!(seen.contains(wanted), "nobody {wanted}: {seen:?}");
    }

    // Released items are in the public pool.
    let released = logins
        .assessors
        .iter()
        .find(|a| a.3.contains("另一评审项目已退回"))
        .expect("someone released an item");
    let mut public = server.browser();
    let pool = public
        .get(&format!("/pool?{}", query(&[("name", &released.0)])))
        .await;
    assert!(pool.has(&released.0), "{}", pool.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_of_a_day_in_a_cycle_second_year() {
    let (server, logins) = demo_on(2026, 11, 30).await;
    assert!(logins.cycles.starts_with("2021—2024、2025—2028、2029—2032"));
    check(&server, &logins).await;
    let again = registry_http::demo::load(&server.state, date(2026, 11, 30)).await;
    assert!(matches!(
        again,
        Err(registry_http::demo::DemoError::NotEmpty)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_of_a_cycle_first_day() {
    let (server, logins) = demo_on(2025, 1, 1).await;
    check(&server, &logins).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_of_a_cycle_last_months() {
    let (server, logins) = demo_on(2024, 11, 15).await;
    assert!(logins.cycles.starts_with("2017—2020、2021—2024、2025—2028"));
    check(&server, &logins).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_of_the_middle_of_a_cycle() {
    let (server, logins) = demo_on(2023, 6, 15).await;
    check(&server, &logins).await;
}
