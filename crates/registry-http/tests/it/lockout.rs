//! Issue 16: a stranger cannot keep an assessor out of their fill-in entry. Guesses are
//! counted per (entry, client address), under a ceiling per entry over every address; the
//! institution lifts the lock (page and API, audited).

use poem::http::{Method, StatusCode};
use serde_json::json;

use crate::security::{behind_proxy, send_from};
use crate::support::*;

/// A server behind a trusted proxy (so that each request names its client), 甲 employing
/// 孙评审; returns 甲's id, 甲's browser, the person's id and the fill-in password.
async fn setup() -> (Server, i64, String, String) {
    let server = Server::with_config(registry_http::Config {
        trusted_proxy: Some("127.0.0.1".parse().unwrap()),
        ..test_config()
    })
    .await;
    let jia = institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let id = resident_id(51, date(1975, 3, 3));
    exam_result(&server, "孙评审", &id, &["QZ-ZZ"], "2026-05-01").await;
    let mut b = server.browser();
    b.login("jia", "Tezhong2026k").await;
    let (person, fill_in) = add(&mut b, "孙评审", &id, &["QZ-ZZ"]).await;
    (server, jia, person, fill_in)
}

fn password(text: &str) -> String {
    json!({ "password": text }).to_string()
}

/// The code of an API error body.
fn code(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body).unwrap_or_default()["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_cannot_lock_the_right_person_out_from_another_address() {
    let (server, jia, person, fill_in) = setup().await;
    let addr = behind_proxy(&server).await;
    let path = format!("/api/v1/self-service/{person}/{jia}/unlock");
    // The stranger renews the lock every five minutes for an hour: their address gets five
    // guesses a window, and the person, from their own address, gets in every time.
    for round in 0..12 {
        let mut statuses = Vec::new();
        for n in 0..7 {
            let (status, body) = send_from(
                addr,
                "10.6.6.6",
                &path,
                &password(&format!("Guess{round}{n}")),
            )
            .await;
            statuses.push((status, code(&body)));
        }
        let wrong = statuses.iter().filter(|s| s.0 == 401).count();
        let new_window = round % 3 == 0;
        assert_eq!(
            wrong,
            if new_window { 5 } else { 0 },
            "round {round}: {statuses:?}"
        );
        assert!(
            statuses[5..]
                .iter()
                .all(|s| *s == (429, "fill_in.locked".to_owned())),
            "{statuses:?}"
        );
        let (status, body) = send_from(addr, "10.1.1.1", &path, &password(&fill_in)).await;
        assert_eq!(status, 204, "round {round}: {body}");
        server.clock.advance(time::Duration::minutes(5));
    }
    // A wrong password of the person's own counts for them alone, and a right one forgets it.
    for _ in 0..4 {
        assert_eq!(
            send_from(addr, "10.1.1.1", &path, &password("typo"))
                .await
                .0,
            401
        );
    }
    assert_eq!(
        send_from(addr, "10.1.1.1", &path, &password(&fill_in))
            .await
            .0,
        204
    );
    for _ in 0..5 {
        assert_eq!(
            send_from(addr, "10.1.1.1", &path, &password("typo"))
                .await
                .0,
            401
        );
    }
    assert_eq!(
        send_from(addr, "10.1.1.1", &path, &password(&fill_in))
            .await
            .0,
        429
    );
}

/// Locks the entry at its ceiling: 50 wrong passwords from ten addresses, then ten more
/// refused. Returns the unlock path.
async fn reach_the_ceiling(addr: std::net::SocketAddr, path: &str, tag: &str) {
    let mut checked = 0;
    for n in 0..60u32 {
        let client = format!("10.{tag}.{}.1", n % 12);
        let (status, body) = send_from(addr, &client, path, &password(&format!("Wrong{n}"))).await;
        match status {
            401 => checked += 1,
            429 => assert_eq!(code(&body), "fill_in.entry_locked", "{body}"),
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(checked, 50, "the entry's ceiling over every address");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ceiling_holds_until_its_day_ends_or_the_institution_unlocks() {
    let (server, jia, person, fill_in) = setup().await;
    let addr = behind_proxy(&server).await;
    let path = format!("/api/v1/self-service/{person}/{jia}/unlock");
    reach_the_ceiling(addr, &path, "20").await;
    // Even the right password from a fresh address waits, told to ask the institution.
    let (status, body) = send_from(addr, "10.1.1.1", &path, &password(&fill_in)).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (429, "fill_in.entry_locked")
    );
    assert!(body.contains("请联系受聘的评审机构解除锁定"), "{body}");
    // The page says the same.
    let page = server
        .browser()
        .post(
            &format!("/self-service/{person}/{jia}"),
            &[("password", &fill_in)],
        )
        .await;
    assert!(page.has("请联系受聘的评审机构解除锁定"), "{}", page.body);
    // The window of (entry, client) ends; the ceiling's does not.
    server.clock.advance(time::Duration::minutes(16));
    assert_eq!(
        send_from(addr, "10.1.1.2", &path, &password(&fill_in))
            .await
            .0,
        429
    );

    // 甲 lifts the lock on the person's page: audited, and the person gets in at once.
    let mut b = server.browser();
    b.login("jia", "Tezhong2026k").await;
    let person_page = b.get(&format!("/institution/people/{person}")).await;
    assert!(person_page.has("解除填报锁定"), "{}", person_page.body);
    let unlocked = b
        .post(&format!("/institution/people/{person}/unlock"), &[])
        .await;
    assert_eq!(unlocked.status, StatusCode::OK, "{}", unlocked.body);
    assert!(
        unlocked.has("已解除该人员填报入口的锁定"),
        "{}",
        unlocked.body
    );
    assert_eq!(
        send_from(addr, "10.1.1.1", &path, &password(&fill_in))
            .await
            .0,
        204
    );
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let log = admin.get(&format!("/association/people/{person}")).await;
    assert!(log.has("<td>解除填报锁定 · "), "{}", log.body);

    // Locked again, 甲 lifts it through the API.
    reach_the_ceiling(addr, &path, "30").await;
    let api = b
        .api(
            Method::POST,
            &format!("/api/v1/institution/people/{person}/unlock"),
            None,
        )
        .await;
    assert_eq!(api.status, StatusCode::NO_CONTENT, "{}", api.body);
    assert_eq!(
        send_from(addr, "10.1.1.3", &path, &password(&fill_in))
            .await
            .0,
        204
    );

    // Locked once more, the ceiling's day ends by itself.
    reach_the_ceiling(addr, &path, "40").await;
    server.clock.advance(time::Duration::hours(24));
    assert_eq!(
        send_from(addr, "10.1.1.4", &path, &password(&fill_in))
            .await
            .0,
        204
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_employing_institution_unlocks_an_entry() {
    let (server, jia, person, _) = setup().await;
    institution(&server, 2, "乙鉴定评审中心", "yijg", "Tezhong2026y").await;
    let mut yi = server.browser();
    yi.login("yijg", "Tezhong2026y").await;
    let page = yi
        .post(&format!("/institution/people/{person}/unlock"), &[])
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let api = yi
        .api(
            Method::POST,
            &format!("/api/v1/institution/people/{person}/unlock"),
            None,
        )
        .await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    // Nor can anyone without 甲's login.
    let anonymous = server
        .browser()
        .api(
            Method::POST,
            &format!("/api/v1/institution/people/{person}/unlock"),
            None,
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let _ = jia;
}
