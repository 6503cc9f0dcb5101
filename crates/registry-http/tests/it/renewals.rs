//! One truth across time, through the whole stack: an item qualified in an earlier cycle
//! is registered in a later one only after 换证 — refused on the page and in the API with
//! the same code and message, whether 换证 was never tried or was refused — and the
//! association renews a whole cycle's certificates in one action with a report.

use poem::http::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

const JIA: (&str, &str) = ("jiajd", "Xk7qLp2026wz");

/// Defines a cycle on the association's page.
async fn cycle(server: &Server, name: &str, start: &str, end: &str) {
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let page = admin
        .post(
            "/association/cycles",
            &[
                ("name", name),
                ("start", start),
                ("end", end),
                ("hours", "32"),
            ],
        )
        .await;
    assert!(page.has("已设置"), "{}", page.body);
}

/// A person qualified on `exam` (published the same day), employed by 甲 for `items` and
/// with complete details; returns the person's id.
async fn employed(
    server: &Server,
    jia: &mut Browser<'_>,
    jia_id: i64,
    name: &str,
    id: &str,
    items: &[&str],
    exam: &str,
) -> String {
    let sex = registry_core::resident_id::ResidentId::parse_canonical(id)
        .unwrap()
        .sex()
        .label();
    exam_result(server, name, id, items, exam).await;
    let (person, password) = add(jia, name, id, items).await;
    fill_in(server, &person, jia_id, &password, sex).await;
    person
}

/// Hours of a course (ending on `end`, covering `items`) credited to the person.
async fn trained(server: &Server, id: &str, end: &str, items: &[&str], hours: &str) {
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let mut fields = vec![
        ("name", "继续教育培训班"),
        ("start", end),
        ("end", end),
        ("hours", hours),
    ];
    fields.extend(items.iter().map(|i| ("items", *i)));
    let page = admin.post("/association/courses", &fields).await;
    let course = page.between("培训班已保存，编号 ", "。").expect("saved");
    let done = admin
        .post(
            &format!("/association/courses/{course}/attendance"),
            &[("person", id), ("hours", hours)],
        )
        .await;
    assert!(done.has("记录课时"), "{}", done.body);
}

/// The refusal of registering `item` on the page (its message) and in the API (its
/// violations' codes and messages).
async fn refused(
    jia: &mut Browser<'_>,
    person: &str,
    item: &str,
) -> (String, Vec<(String, String)>) {
    let page = jia
        .post(
            &format!("/institution/people/{person}/register"),
            &[("items", item)],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    let api = jia
        .api(
            Method::POST,
            &format!("/api/v1/institution/people/{person}/registrations"),
            Some(json!({ "items": [item] })),
        )
        .await;
    assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", api.body);
    let violations = api.json()["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["code"].as_str().unwrap().to_owned(),
                v["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (page.body, violations)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_cycle_is_registered_only_after_its_renewal() {
    let server = Server::new().await;
    cycle(&server, "2021—2024", "2021-01-01", "2024-12-31").await;
    let jia_id = institution(&server, 1, "甲鉴定评审中心", JIA.0, JIA.1).await;
    let mut jia = server.browser();
    jia.login(JIA.0, JIA.1).await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;

    // Qualified in March 2021 with no continuing education at all: registered in the
    // 2025—2028 cycle? No: the certificate (2021—2024) ended, and 换证 needs 24 hours.
    let id = resident_id(51, date(1975, 3, 3));
    let none = employed(
        &server,
        &mut jia,
        jia_id,
        "郑无课",
        &id,
        &["RQ-ZZ"],
        "2021-03-01",
    )
    .await;
    let (page, api) = refused(&mut jia, &none, "RQ-ZZ").await;
    let expected = "资格证书（2021—2024）已于 2024-12-31 到期：“压力容器制造”须先换证，继续教育课时尚差 24，参加的继续教育培训班未覆盖该项";
    assert_eq!(
        api,
        [("certificate.expired".to_owned(), expected.to_owned())]
    );
    assert!(page.contains(expected), "{page}");
    // The person page says the same, once, and offers no registration.
    let file = jia.get(&format!("/institution/people/{none}")).await;
    assert!(file.has(expected), "{}", file.body);
    assert!(!file.has(">可以注册<"), "{}", file.body);

    // 16 hours in 2023 on a course that covered the item: the association's 换证 is
    // refused (24 owed), and so is the registration, with the same words in both faces.
    let id2 = resident_id(52, date(1976, 4, 4));
    let short = employed(
        &server,
        &mut jia,
        jia_id,
        "王短课",
        &id2,
        &["RQ-ZZ"],
        "2021-03-01",
    )
    .await;
    trained(&server, &id2, "2023-05-10", &["RQ-ZZ"], "16").await;
    let renewal = admin
        .post(
            &format!("/association/people/{short}/renew-certificate"),
            &[],
        )
        .await;
    assert_eq!(renewal.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        renewal.has("注册周期“2021—2024”继续教育课时为16，须满24，尚差8"),
        "{}",
        renewal.body
    );
    let (page, api) = refused(&mut jia, &short, "RQ-ZZ").await;
    let expected =
        "资格证书（2021—2024）已于 2024-12-31 到期：“压力容器制造”须先换证，继续教育课时尚差 8";
    assert_eq!(
        api,
        [("certificate.expired".to_owned(), expected.to_owned())]
    );
    assert!(page.contains(expected), "{page}");

    // 8 more hours: the association renews the certificate, and the item is registered
    // for 2025—2028.
    trained(&server, &id2, "2024-05-10", &["RQ-ZZ"], "8").await;
    let renewal = admin
        .post(
            &format!("/association/people/{short}/renew-certificate"),
            &[],
        )
        .await;
    assert_eq!(renewal.status, StatusCode::OK, "{}", renewal.body);
    assert!(renewal.has("有效期至 2028-12-31"), "{}", renewal.body);
    let done = jia
        .post(
            &format!("/institution/people/{short}/register"),
            &[("items", "RQ-ZZ")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_association_renews_a_whole_cycle_with_a_report() {
    let server = Server::new().await;
    cycle(&server, "2029—2032", "2029-01-01", "2032-12-31").await;
    let jia_id = institution(&server, 1, "甲鉴定评审中心", JIA.0, JIA.1).await;
    let mut jia = server.browser();
    jia.login(JIA.0, JIA.1).await;
    // Three certificates of 2025—2028 (pass lists of the cycle's first day: 32 hours owed):
    // one person trained, one not, one 65 by the certificate's last day.
    let ready = resident_id(61, date(1975, 3, 3));
    let ready_p = employed(
        &server,
        &mut jia,
        jia_id,
        "赵可换",
        &ready,
        &["RQ-ZZ"],
        "2025-01-01",
    )
    .await;
    trained(&server, &ready, "2026-05-10", &["RQ-ZZ"], "32").await;
    let untrained = resident_id(62, date(1977, 7, 7));
    employed(
        &server,
        &mut jia,
        jia_id,
        "钱未训",
        &untrained,
        &["GL-ZZ"],
        "2025-01-01",
    )
    .await;
    let old = resident_id(63, date(1963, 6, 1));
    employed(
        &server,
        &mut jia,
        jia_id,
        "孙年长",
        &old,
        &["RQ-ZZ"],
        "2025-01-01",
    )
    .await;
    trained(&server, &old, "2026-06-10", &["RQ-ZZ"], "32").await;

    // Before the window: everyone is listed, nobody can be renewed yet; the workspace
    // counts who will be able to when it opens.
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let home = counted(&mut admin, "/association").await;
    assert!(home.has("换证窗口 2028-10-01 起开放"), "{}", home.body);
    assert_eq!(figure(&home, "换证", "符合换证条件"), 1);
    assert_eq!(figure(&home, "换证", "暂不能换证"), 2);
    // The preview's filters are of today: before the window the figures lead to all of it.
    assert!(!home.has("href=\"/association/renewals?show=eligible\""));
    let early = admin.get("/association/renewals").await;
    assert!(
        early.has("结束时到期的资格证书 <strong>3</strong> 份：今天可以换证 <strong>0</strong> 人"),
        "{}",
        early.body
    );
    // The institution sees the same outlook for its own people.
    let own = jia.get("/institution/renewals").await;
    assert!(
        own.has("赵可换") && own.has("钱未训") && own.has("孙年长"),
        "{}",
        own.body
    );

    // 2028-11-01: in the window.
    server.clock.advance(time::Duration::days(706));
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let preview = admin.get("/association/renewals").await;
    assert!(
        preview.has("今天可以换证 <strong>1</strong> 人，暂不能换证 <strong>2</strong> 人"),
        "{}",
        preview.body
    );
    let row = |page: &Page, name: &str| {
        page.body
            .split("<tr")
            .find(|r| r.contains(name))
            .unwrap_or_else(|| panic!("no row for {name}"))
            .to_owned()
    };
    assert!(
        row(&preview, "钱未训").contains("尚差32"),
        "{}",
        row(&preview, "钱未训")
    );
    assert!(
        row(&preview, "孙年长").contains("2028-12-31 时已满65周岁"),
        "{}",
        row(&preview, "孙年长")
    );
    // 促进会工作台 counts the same over the whole cycle: three due, one eligible, two
    // blocked, one for each reason; and 甲's workspace the same of its own people.
    let home = counted(&mut admin, "/association").await;
    assert!(home.has("换证窗口已于 2028-10-01 开放"), "{}", home.body);
    assert_eq!(figure(&home, "换证", "2025—2028 到期的资格证书"), 3);
    assert_eq!(figure(&home, "换证", "符合换证条件"), 1);
    assert_eq!(figure(&home, "换证", "暂不能换证"), 2);
    assert_eq!(figure(&home, "换证", "继续教育课时不足"), 1);
    assert_eq!(figure(&home, "换证", "已到换证年龄上限"), 1);
    assert!(home.has("href=\"/association/renewals?show=blocked\""));
    assert!(home.has("href=\"/association/renewals?show=eligible\""));
    let mut jia = server.browser();
    jia.login(JIA.0, JIA.1).await;
    let workspace = counted(&mut jia, "/institution").await;
    assert_eq!(figure(&workspace, "换证", "符合换证条件"), 1);
    assert_eq!(figure(&workspace, "换证", "继续教育课时不足"), 1);
    // The API's preview says the same.
    let api = admin
        .api(Method::GET, "/api/v1/association/renewals", None)
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    assert_eq!(api.json()["total"], 3);
    assert_eq!(api.json()["eligible"], 1);

    // Renewing the cycle: one renewed, two not, each with why.
    let cycle_id = preview
        .between("name=\"cycle\" value=\"", "\"")
        .expect("the cycle in the form");
    let report = admin
        .post("/association/renewals", &[("cycle", &cycle_id)])
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert!(report.has("已为 1 人换证，2 人未换证"), "{}", report.body);
    assert!(
        report.has("已换证：压力容器制造，有效期至 2032-12-31"),
        "{}",
        report.body
    );
    assert!(report.has("未换证："), "{}", report.body);
    // The renewed person is due no more; the registration of 2029—2032 can follow.
    let after = admin.get("/association/renewals").await;
    assert!(
        after.has("结束时到期的资格证书 <strong>2</strong> 份"),
        "{}",
        after.body
    );
    let mut jia = server.browser();
    jia.login(JIA.0, JIA.1).await;
    let renew = jia
        .post(
            &format!("/institution/people/{ready_p}/register"),
            &[("items", "RQ-ZZ")],
        )
        .await;
    assert_eq!(renew.status, StatusCode::SEE_OTHER, "{}", renew.body);
}
