//! Editing a registration cycle through both faces: the association's cycle page shows a
//! refused change of dates with what it would affect, keeping what was typed; the API
//! answers the same violation codes with 422; a new name or policy is saved by both.

use poem::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

/// A registered person (孙评审, GL-ZZ, to 2028-12-31) and the id of the 2025—2028 cycle.
async fn world(server: &Server) -> i64 {
    let jia_id = institution(server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    let id = resident_id(71, date(1975, 3, 3));
    let sex = registry_core::resident_id::ResidentId::parse_canonical(&id)
        .unwrap()
        .sex()
        .label();
    exam_result(server, "孙评审", &id, &["GL-ZZ"], "2026-04-01").await;
    let (person, password) = add(&mut jia, "孙评审", &id, &["GL-ZZ"]).await;
    fill_in(server, &person, jia_id, &password, sex).await;
    let done = jia
        .post(
            &format!("/institution/people/{person}/register"),
            &[("items", "GL-ZZ")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    admin
        .get("/association/cycles")
        .await
        .between("/association/cycles/", "\"")
        .expect("a link to the cycle")
        .parse()
        .unwrap()
}

fn fields(end: &'static str, hours: &'static str) -> [(&'static str, &'static str); 13] {
    [
        ("name", "2025—2028"),
        ("start", "2025-01-01"),
        ("end", end),
        ("cycle_years", "4"),
        ("hours_required", hours),
        ("require_item_coverage", "on"),
        ("exam_age_limit", "65"),
        ("registration_age_limit", "70"),
        ("certificate_renewal_age_limit", "65"),
        ("certificate_due_working_days", "20"),
        ("publication_due_working_days", "5"),
        ("renewal_window_months", "3"),
        ("version", "1"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cycle_page_lists_what_a_change_of_dates_would_affect() {
    let server = Server::new().await;
    let id = world(&server).await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let path = format!("/association/cycles/{id}");

    // A malformed number stands beside its field, and what was typed stays.
    let typo = admin.post(&path, &fields("2028-12-31", "四十")).await;
    assert_eq!(
        typo.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        typo.body
    );
    assert!(
        typo.has("aria-describedby=\"hours_required-error\"")
            && typo.has("id=\"hours_required-error\"")
            && typo.has("value=\"四十\""),
        "{}",
        typo.body
    );

    let refused = admin.post(&path, &fields("2028-06-30", "40")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = refused
        .between("class=\"errors\"", "</div>")
        .expect("the refusal, in the form");
    assert!(
        errors.contains("1 项注册的有效期将超出本周期")
            && errors.contains("孙评审（")
            && errors.contains("锅炉制造 有效期 2026-11-26 至 2028-12-31"),
        "{errors}"
    );
    assert!(
        errors.contains("2 份证件所印有效期将与本周期不符")
            && errors.contains("资格证书 ZS")
            && errors.contains("注册信息卡 KP"),
        "{errors}"
    );
    // What was typed stays in the form; nothing was saved.
    assert!(
        refused.has("value=\"2028-06-30\"") && refused.has("value=\"40\""),
        "{}",
        refused.body
    );
    assert!(!refused.has("修改注册周期"), "{}", refused.body);
    let list = admin.get("/association/cycles").await;
    assert!(
        list.has("<td>2028-12-31</td>") && list.has("<td>32</td>"),
        "{}",
        list.body
    );

    // The same dates with a new policy: saved, and in the cycle's history.
    let saved = admin.post(&path, &fields("2028-12-31", "40")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let history = admin.get(&path).await;
    let row = history.between("修改注册周期", "</tr>").expect("audited");
    assert!(row.contains("应修学时：32 → 40"), "{row}");
}

fn cycle_body(name: &str, end: &str) -> Value {
    json!({
        "name": name,
        "start": "2025-01-01",
        "end": end,
        "cycle_years": 4,
        "hours_required": "32",
        "require_item_coverage": true,
        "exam_age_limit": 65,
        "registration_age_limit": 70,
        "certificate_renewal_age_limit": 65,
        "certificate_due_working_days": 20,
        "publication_due_working_days": 5,
        "renewal_window_months": 3,
        "version": 1
    })
}

fn codes(page: &Page) -> Vec<String> {
    page.json()["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_reads_and_edits_cycles_with_the_same_refusals() {
    let server = Server::new().await;
    let id = world(&server).await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let path = format!("/api/v1/association/cycles/{id}");

    let listed = admin
        .api(Method::GET, "/api/v1/association/cycles", None)
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let cycle = &listed.json()[0];
    assert_eq!(cycle["id"], id);
    assert_eq!(cycle["end"], "2028-12-31");
    assert_eq!(cycle["hours_required"], "32");
    assert_eq!(cycle["registration_age_limit"], 70);

    let refused = admin
        .api(
            Method::PUT,
            &path,
            Some(cycle_body("2025—2028", "2028-06-30")),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["code"], "rejected");
    assert_eq!(
        codes(&refused),
        ["cycle.change_registrations", "cycle.change_documents"]
    );
    let message = refused.json()["violations"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("孙评审（"), "{message}");

    // The form's problems, every one at once, with their fields.
    let mut bad = cycle_body("", "2028-12-31");
    bad["exam_age_limit"] = json!(-1);
    let bad = admin.api(Method::PUT, &path, Some(bad)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(codes(&bad), ["field.missing", "field.bad_format"]);
    assert_eq!(bad.json()["violations"][1]["field"], "exam_age_limit");
    // A day that does not exist is refused by the document itself (`format: date`).
    let no_such_day = admin
        .api(
            Method::PUT,
            &path,
            Some(cycle_body("2025—2028", "2028-13-01")),
        )
        .await;
    assert_eq!(no_such_day.status, StatusCode::BAD_REQUEST);
    assert_eq!(no_such_day.json()["code"], "request.invalid");
    let mut unknown = cycle_body("2025—2028", "2028-12-31");
    unknown["id"] = json!(id);
    let unknown = admin.api(Method::PUT, &path, Some(unknown)).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.body);

    // A new name: saved and answered.
    let renamed = admin
        .api(
            Method::PUT,
            &path,
            Some(cycle_body("2025—2028（第二周期）", "2028-12-31")),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(renamed.json()["name"], "2025—2028（第二周期）");
    assert_eq!(renamed.json()["version"], 2);
    // An edit made from the version before the rename: refused, the rename kept.
    let stale = admin
        .api(Method::PUT, &path, Some(cycle_body("旧名称", "2028-12-31")))
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert_eq!(stale.json()["code"], "conflict.stale.cycle");
    let listed = admin
        .api(Method::GET, "/api/v1/association/cycles", None)
        .await;
    assert_eq!(listed.json()[0]["name"], "2025—2028（第二周期）");
    assert_eq!(listed.json()[0]["end"], "2028-12-31");

    let missing = admin
        .api(
            Method::PUT,
            "/api/v1/association/cycles/999999",
            Some(cycle_body("x", "2028-12-31")),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_administrators_editing_one_cycle_never_overwrite_each_other() {
    let server = Server::new().await;
    let id = world(&server).await;
    let path = format!("/association/cycles/{id}");
    let mut first = server.browser();
    first.login("admin", ADMIN_PASSWORD).await;
    let mut second = server.browser();
    second.login("admin", ADMIN_PASSWORD).await;
    // Both open the form: it carries the version it was made from.
    for admin in [&mut first, &mut second] {
        let form = admin.get(&path).await;
        assert!(form.has("name=\"version\" value=\"1\""), "{}", form.body);
    }
    let saved = first.post(&path, &fields("2028-12-31", "40")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);

    // The second saves from the old form: refused, what they typed kept, the first's
    // edit stands.
    let refused = second.post(&path, &fields("2028-12-31", "24")).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(
        refused.has("注册周期已被他人修改，请刷新页面后重试") && refused.has("value=\"24\""),
        "{}",
        refused.body
    );
    let list = second.get("/association/cycles").await;
    assert!(
        list.has("<td>40</td>") && !list.has("<td>24</td>"),
        "{}",
        list.body
    );
    // Reloaded, the form is made from version 2 and saves.
    let reloaded = second.get(&path).await;
    assert!(
        reloaded.has("name=\"version\" value=\"2\""),
        "{}",
        reloaded.body
    );
    let mut again = fields("2028-12-31", "24");
    again[12] = ("version", "2");
    let saved = second.post(&path, &again).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
}

/// A new cycle through the API: the next one after the server's, with the default policy
/// and its reminder numbers; an overlapping one refused with its code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_adds_a_cycle_and_refuses_an_overlapping_one() {
    let server = Server::new().await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let overlapping = admin
        .api(
            Method::POST,
            "/api/v1/association/cycles",
            Some(json!({"name": "重叠", "start": "2028-01-01", "end": "2031-12-31"})),
        )
        .await;
    assert_eq!(
        overlapping.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        overlapping.body
    );
    let added = admin
        .api(
            Method::POST,
            "/api/v1/association/cycles",
            Some(json!({"name": "2029—2032", "start": "2029-01-01", "end": "2032-12-31", "hours_required": "40"})),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let cycle = added.json();
    assert_eq!(cycle["name"], "2029—2032");
    assert_eq!(cycle["hours_required"], "40");
    assert_eq!(cycle["renewal_window_months"], 3);
    assert_eq!(cycle["reminder_ending_days"], "60,30,7");
    let listed = admin
        .api(Method::GET, "/api/v1/association/cycles", None)
        .await
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 2);
}
