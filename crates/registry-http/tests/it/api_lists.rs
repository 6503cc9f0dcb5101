//! The workspaces' lists through the API: a correction asked through the fill-in entry and
//! answered by the institution, the person's own data, the audit administrator's trail,
//! registrations ending soon.

use poem::http::{Method, StatusCode};
use registry_core::access::Duty;
use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correction_is_asked_answered_and_traced_through_the_api() {
    let server = Server::new().await;
    let jia_id = institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let id = resident_id(51, date(1972, 7, 7));
    exam_result(&server, "严评审", &id, &["RQ-ZZ"], "2026-05-01").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    let (person, password) = add(&mut jia, "严评审", &id, &["RQ-ZZ"]).await;
    let mut assessor = server.browser();
    let unlocked = assessor
        .api(
            Method::POST,
            &format!("/api/v1/self-service/{person}/{jia_id}/unlock"),
            Some(json!({"password": password})),
        )
        .await;
    assert_eq!(unlocked.status, StatusCode::NO_CONTENT, "{}", unlocked.body);
    let base = format!("/api/v1/self-service/{person}/{jia_id}");
    let data = assessor
        .api(Method::GET, &format!("{base}/data"), None)
        .await;
    assert_eq!(data.status, StatusCode::OK, "{}", data.body);
    assert_eq!(data.json()["name"], "严评审");
    assert!(!data.body.contains(&id), "the full ID number is not sent");
    let empty = assessor
        .api(
            Method::POST,
            &format!("{base}/corrections"),
            Some(json!({"text": " "})),
        )
        .await;
    assert_eq!(
        empty.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        empty.body
    );
    let asked = assessor
        .api(
            Method::POST,
            &format!("{base}/corrections"),
            Some(json!({"text": "工作单位名称有误，应为某某公司"})),
        )
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    let request = asked.json()["id"].as_i64().unwrap();
    let queue = jia
        .api(Method::GET, "/api/v1/institution/corrections", None)
        .await
        .json();
    assert_eq!(queue[0]["text"], "工作单位名称有误，应为某某公司");
    assert!(queue[0]["answer"].is_null());
    let answered = jia
        .api(
            Method::POST,
            &format!("/api/v1/institution/corrections/{request}/answer"),
            Some(json!({"answer": "已核实并更正"})),
        )
        .await;
    assert_eq!(answered.status, StatusCode::NO_CONTENT, "{}", answered.body);
    let queue = jia
        .api(Method::GET, "/api/v1/institution/corrections", None)
        .await
        .json();
    assert_eq!(queue[0]["answer"], "已核实并更正");
    let mut auditor = server.administrator(Duty::Audit, "shenji").await;
    let trail = auditor
        .api(
            Method::GET,
            "/api/v1/association/audit?kind=person&limit=50",
            None,
        )
        .await;
    assert_eq!(trail.status, StatusCode::OK, "{}", trail.body);
    let entries = trail.json()["entries"].as_array().unwrap().clone();
    assert!(
        entries
            .iter()
            .any(|e| e["action_code"] == "person.request_correction"),
        "{}",
        trail.body
    );
    // Registrations ending: none registered yet, an empty answer with its window.
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let ending = admin
        .api(Method::GET, "/api/v1/association/expiring?months=12", None)
        .await;
    assert_eq!(ending.status, StatusCode::OK, "{}", ending.body);
    assert_eq!(ending.json()["until"], "2027-11-25");
    let own = jia
        .api(Method::GET, "/api/v1/institution/expiring", None)
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
}
