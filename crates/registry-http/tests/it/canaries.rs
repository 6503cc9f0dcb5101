//! Personal data stays in: seeded canary ID numbers and a canary phone number never appear
//! on a public page, in a public API answer, or in a log line (with the server's log
//! filter, every event of the run captured).

use poem::http::Method;

use crate::support::*;

/// The canary phone number: what `fill_in` saves for everyone.
const PHONE: &str = "13500000000";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_id_numbers_and_phones_never_reach_public_pages_answers_or_logs() {
    let logs = Captured::install();

    let server = Server::new().await;
    let a = institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    let registered_id = resident_id(71, date(1975, 3, 3));
    let pooled_id = resident_id(72, date(1978, 8, 8));
    let mut numbers = Vec::new();
    for (name, id, release) in [
        ("周金丝", &registered_id, false),
        ("吴银雀", &pooled_id, true),
    ] {
        let sex = registry_core::resident_id::ResidentId::parse_canonical(id)
            .unwrap()
            .sex()
            .label();
        exam_result(&server, name, id, &["RQ-ZZ"], "2026-04-01").await;
        let (person, password) = add(&mut jia, name, id, &["RQ-ZZ"]).await;
        fill_in(&server, &person, a, &password, sex).await;
        jia.post(
            &format!("/institution/people/{person}/register"),
            &[("items", "RQ-ZZ")],
        )
        .await;
        let file = jia.get(&format!("/institution/people/{person}")).await;
        numbers.push(file.between("注册号 ", "</span>").expect("registered"));
        if release {
            jia.post(
                &format!("/institution/people/{person}/release"),
                &[
                    ("item", "RQ-ZZ"),
                    ("reason", "合同到期"),
                    ("confirm", "yes"),
                ],
            )
            .await;
        }
    }
    // A wrong fill-in password and a wrong login, so the security log has lines too.
    server
        .browser()
        .post(&format!("/self-service/1/{a}"), &[("password", "wrong")])
        .await;
    server
        .browser()
        .post(
            "/login",
            &[("username", "jia"), ("password", registered_id.as_str())],
        )
        .await;

    let mut public = server.browser();
    let mut bodies = Vec::new();
    let search = |by: &str, q: &str| format!("/search?{}", query(&[("by", by), ("q", q)]));
    let api =
        |by: &str, q: &str| format!("/api/v1/public/people?{}", query(&[("by", by), ("q", q)]));
    // By ID number from the search form (the number in the body) and, refused, from the
    // address.
    for id in [&registered_id, &pooled_id] {
        let page = public.post("/search", &[("by", "id"), ("q", id)]).await;
        bodies.push((format!("POST /search by=id {id}"), page.status, page.body));
    }
    for path in [
        "/".to_owned(),
        search("name", "周金丝"),
        search("id", &registered_id),
        search("number", &numbers[0]),
        "/pool".to_owned(),
        format!("/pool?{}", query(&[("item", "RQ-ZZ")])),
        format!(
            "/self-service?{}",
            query(&[("name", "周金丝"), ("institution", "甲鉴定评审中心")])
        ),
        format!(
            "/self-service?{}",
            query(&[("name", "吴银雀"), ("institution", "甲鉴定评审中心")])
        ),
        "/verify".to_owned(),
    ] {
        let page = public.get(&path).await;
        bodies.push((path, page.status, page.body));
    }
    let by_id = public
        .api(
            Method::POST,
            "/api/v1/public/people/search",
            Some(serde_json::json!({ "by": "id", "q": registered_id })),
        )
        .await;
    bodies.push((
        "POST /api/v1/public/people/search by=id".to_owned(),
        by_id.status,
        by_id.body,
    ));
    for path in [
        api("name", "周金丝"),
        api("id", &registered_id),
        api("number", &numbers[0]),
        "/api/v1/public/pool".to_owned(),
        format!(
            "/api/v1/self-service/search?{}",
            query(&[("name", "周金丝"), ("institution", "甲鉴定评审中心")])
        ),
    ] {
        let answer = public.api(Method::GET, &path, None).await;
        bodies.push((path, answer.status, answer.body));
    }
    // The searches found the people (the check below is not vacuous).
    assert!(
        bodies
            .iter()
            .filter(|(p, _, b)| p.starts_with("POST") && b.contains("周金丝"))
            .count()
            == 2,
        "both searches by ID number found the person"
    );
    assert!(
        bodies
            .iter()
            .any(|(p, _, b)| p.starts_with("/pool") && b.contains("吴银雀"))
    );
    for (path, status, body) in &bodies {
        for canary in [registered_id.as_str(), pooled_id.as_str(), PHONE] {
            assert!(
                !body.contains(canary),
                "{canary} on the public {path} ({status})"
            );
        }
    }

    let logged = logs.text();
    assert!(
        logged.contains("registry::security"),
        "the log was captured: {logged}"
    );
    for canary in [registered_id.as_str(), pooled_id.as_str(), PHONE] {
        assert!(!logged.contains(canary), "{canary} in the log:\n{logged}");
    }
}
