//! 我的信息 (issue 22, PIPL 第四十四–四十五条): through the fill-in entry an assessor sees
//! and downloads exactly their own data, and who saw their full ID number.

use poem::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assessor_sees_and_downloads_their_own_data_and_who_saw_their_id() {
    let server = Server::new().await;
    let a = institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let p_id = resident_id(71, date(1975, 3, 3));
    let q_id = resident_id(72, date(1976, 4, 4));
    exam_result(&server, "孙评审", &p_id, &["QZ-ZZ"], "2026-05-01").await;
    exam_result(&server, "钱评审", &q_id, &["DT-AX"], "2026-05-01").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    let (p, password) = add(&mut jia, "孙评审", &p_id, &["QZ-ZZ"]).await;
    add(&mut jia, "钱评审", &q_id, &["DT-AX"]).await;

    // The association looks at the full ID number on the person's file.
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(
        admin.get(&format!("/association/people/{p}")).await.status,
        StatusCode::OK
    );

    let mut me = server.browser();
    let path = format!("/self-service/{p}/{a}/data");
    // Not without the entry.
    assert_eq!(
        me.get(&path).await.location.as_deref(),
        Some(format!("/self-service/{p}/{a}").as_str())
    );
    let unlocked = me
        .api(
            Method::POST,
            &format!("/api/v1/self-service/{p}/{a}/unlock"),
            Some(json!({"password": password})),
        )
        .await;
    assert_eq!(unlocked.status, StatusCode::NO_CONTENT);
    let page = me.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.has("孙评审") && page.has("甲鉴定评审中心"),
        "{}",
        page.body
    );
    assert!(!page.has("钱评审"), "nobody else's data");
    assert!(!page.has(&p_id), "the full ID number is not shown");
    // Who saw it: the association's look at the file, by name.
    let seen = page.body.split("id=\"seen\"").nth(1).unwrap();
    assert!(seen.contains("查看完整身份证号"), "{seen}");

    // The copy: exactly their rows, as JSON and as a workbook.
    let json = me.get(&format!("{path}?format=json")).await;
    assert_eq!(json.status, StatusCode::OK);
    let data: Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(data["name"], "孙评审");
    let text = data.to_string();
    assert!(!text.contains("钱评审") && !text.contains(&p_id) && !text.contains(&q_id));
    let sections: Vec<&str> = data["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["section"].as_str().unwrap())
        .collect();
    for section in ["基本信息", "考核合格项目", "聘用与注册"] {
        assert!(sections.contains(&section), "{section}: {sections:?}");
    }
    assert_eq!(
        data["full_id_seen_by"].as_array().unwrap().len(),
        1,
        "{text}"
    );
    let xlsx = me.get(&format!("{path}?format=xlsx")).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(
        xlsx.headers
            .get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("my-data")),
        "{:?}",
        xlsx.headers
    );
    // A correction, asked here, lands in the institution's queue; empty is refused.
    let empty = me
        .post(
            &format!("/self-service/{p}/{a}/correction"),
            &[("correction", " ")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.has("更正内容"), "{}", empty.body);
    let sent = me
        .post(
            &format!("/self-service/{p}/{a}/correction"),
            &[("correction", "考核日期应为2026-04-30")],
        )
        .await;
    assert_eq!(
        sent.location.as_deref(),
        Some(format!("/self-service/{p}/{a}/data?sent=1#correction").as_str())
    );
    let queue = jia.get("/institution/corrections").await;
    assert!(
        queue.has("待处理 1 件") && queue.has("考核日期应为2026-04-30") && queue.has("孙评审"),
        "{}",
        queue.body
    );
    let id = queue
        .between("action=\"/institution/corrections/", "\"")
        .unwrap();
    // Not another institution's to answer.
    institution(&server, 2, "乙鉴定评审中心", "yizx", "Tezhong2026y").await;
    let mut yi = server.browser();
    yi.login("yizx", "Tezhong2026y").await;
    assert!(!yi.get("/institution/corrections").await.has("孙评审"));
    let refused = yi
        .post(
            &format!("/institution/corrections/{id}"),
            &[("answer", "x")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let answered = jia
        .post(
            &format!("/institution/corrections/{id}"),
            &[("answer", "已请促进会更正考核日期")],
        )
        .await;
    assert_eq!(
        answered.location.as_deref(),
        Some("/institution/corrections")
    );
    let queue = jia.get("/institution/corrections").await;
    assert!(queue.has("待处理 0 件") && queue.has("已请促进会更正考核日期"));
    let mut audit = server
        .administrator(registry_core::access::Duty::Audit, "shenji")
        .await;
    let log = audit.get("/association/audit?kind=person.").await;
    assert!(
        log.has("申请更正个人信息") && log.has("处理更正申请"),
        "{}",
        log.body
    );

    // Another person's address with this entry: back to that person's entry page.
    let other = me
        .get(&format!(
            "/self-service/{}/{a}/data",
            p.parse::<i64>().unwrap() + 1
        ))
        .await;
    assert_eq!(other.status, StatusCode::SEE_OTHER);
}
