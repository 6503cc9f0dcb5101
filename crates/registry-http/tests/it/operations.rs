//! The operations the flow tests do not walk through: institution editing and disabling,
//! password resets, sessions over the API, releases and the pool over the API, leaving the
//! self-service entry, and the API's documentation.

use poem::http::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

fn post(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn institutions_are_edited_disabled_and_reset() {
    let server = Server::new().await;
    let id = institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;

    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let form = admin.get(&format!("/association/institutions/{id}")).await;
    assert!(
        form.has("value=\"甲鉴定评审中心\"") && form.has("登录用户名：jia"),
        "{}",
        form.body
    );
    let version = form.between("name=\"version\" value=\"", "\"").unwrap();
    let number = form.between("name=\"number\" value=\"", "\"").unwrap();
    let code = form.between("name=\"credit_code\" value=\"", "\"").unwrap();
    let edit = |name: &str, version: &str, active: bool| {
        let mut f: Vec<(String, String)> = vec![
            ("name".into(), name.into()),
            ("number".into(), number.clone()),
            ("credit_code".into(), code.clone()),
            ("national_number".into(), "TS1-2027".into()),
            ("version".into(), version.into()),
        ];
        if active {
            f.push(("active".into(), "on".into()));
        }
        f
    };
    let renamed = edit("甲鉴定评审中心（新）", &version, true);
    let saved = admin
        .post(&format!("/association/institutions/{id}"), &post(&renamed))
        .await;
    assert_eq!(
        saved.location.as_deref(),
        Some("/association/institutions?notice=updated")
    );
    // The same version again is stale.
    let stale = admin
        .post(&format!("/association/institutions/{id}"), &post(&renamed))
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.has("机构已被他人修改"));

    // Disabling ends the institution's access at once.
    let form = admin.get(&format!("/association/institutions/{id}")).await;
    let version = form.between("name=\"version\" value=\"", "\"").unwrap();
    let disabled = edit("甲鉴定评审中心（新）", &version, false);
    admin
        .post(&format!("/association/institutions/{id}"), &post(&disabled))
        .await;
    let list = admin.get("/association/institutions").await;
    assert!(list.has("已停用"));
    assert!(list.has("共 1 个机构"), "the pager's total: {}", list.body);
    // Filters: by state, by a part of the name; the export follows them.
    let active = admin.get("/association/institutions?state=active").await;
    assert!(
        !active.has("甲鉴定评审中心（新）") && active.has("没有符合条件的机构"),
        "{}",
        active.body
    );
    let inactive = admin
        .get(&format!(
            "/association/institutions?{}",
            query(&[("state", "inactive"), ("q", "甲鉴定")])
        ))
        .await;
    assert!(inactive.has("甲鉴定评审中心（新）"), "{}", inactive.body);
    assert!(
        inactive.has("state=inactive") && inactive.has("format=csv"),
        "the export keeps the filters: {}",
        inactive.body
    );
    let none = admin
        .get("/association/institutions?state=active&format=csv")
        .await;
    assert!(!none.body.contains("甲鉴定评审中心（新）"), "{}", none.body);
    // The list as a file, with the same columns.
    let file = admin.get("/association/institutions?format=csv").await;
    assert!(
        file.body
            .contains("机构编号,机构名称,统一社会信用代码,资质编号,登录用户名,状态")
            && file.body.contains("甲鉴定评审中心（新）")
            && file.body.contains("已停用"),
        "{}",
        file.body
    );
    assert_eq!(
        jia.get("/institution").await.location.as_deref(),
        Some("/login")
    );
    let refused = server
        .browser()
        .post(
            "/login",
            &[("username", "jia"), ("password", "Tezhong2026k")],
        )
        .await;
    assert!(refused.has("用户名或密码错误"));

    // A password reset is shown once and must be changed: the security administrator's
    // work (三员分立), on 账户管理; the system administrator is refused.
    let account = server
        .store
        .account_by_username(&registry_core::access::Username::parse("jia").unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    let path = format!("/association/accounts/{account}/password");
    assert_eq!(admin.post(&path, &[]).await.status, StatusCode::FORBIDDEN);
    let mut security = server
        .administrator(registry_core::access::Duty::Security, "anquan")
        .await;
    let reset = security.post(&path, &[]).await;
    let password = reset.between(SECRET.0, SECRET.1).unwrap();
    assert_eq!(password.len(), 10, "{password}");
    let refused = admin
        .api(
            Method::POST,
            &format!("/api/v1/institutions/{id}/password"),
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let api_reset = security
        .api(
            Method::POST,
            &format!("/api/v1/institutions/{id}/password"),
            None,
        )
        .await;
    assert_eq!(api_reset.status, StatusCode::OK);
    assert_ne!(api_reset.json()["password"].as_str().unwrap(), password);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_covers_sessions_institutions_releases_and_the_pool() {
    let server = Server::new().await;
    let mut admin = server.browser();
    let anonymous = admin.api(Method::GET, "/api/v1/session", None).await;
    assert_eq!(anonymous.json()["authenticated"], false);
    assert_eq!(anonymous.json()["csrf_token"].as_str().unwrap().len(), 64);
    admin
        .api(
            Method::POST,
            "/api/v1/session",
            Some(json!({"username": "admin", "password": ADMIN_PASSWORD})),
        )
        .await;
    assert_eq!(
        admin.api(Method::GET, "/api/v1/session", None).await.json()["username"],
        "admin"
    );

    let id = institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let listed = admin.api(Method::GET, "/api/v1/institutions", None).await;
    assert_eq!(listed.json()[0]["username"], "jia");
    let version = listed.json()[0]["version"].as_i64().unwrap();
    let number = listed.json()[0]["number"].as_str().unwrap().to_owned();
    let code = listed.json()[0]["credit_code"].as_str().unwrap().to_owned();
    let updated = admin
        .api(
            Method::PUT,
            &format!("/api/v1/institutions/{id}"),
            Some(json!({"institution": {"name": "甲中心", "number": number, "credit_code": code, "provincial_number": "省级TS1"}, "active": true, "version": version})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.json()["version"], version + 1);

    let person_id = resident_id(71, date(1980, 8, 8));
    let exam = admin
        .api(Method::POST, "/api/v1/exam-results", Some(json!({"resident_id": person_id, "name": "吴评审", "items": ["YL-AX"], "exam_date": "2026-04-01", "published_on": "2026-04-20"})))
        .await;
    let person = exam.json()["person_id"].as_i64().unwrap();
    let pool = server
        .browser()
        .api(Method::GET, "/api/v1/public/pool?item=YL-AX", None)
        .await;
    assert_eq!(pool.json()[0]["person_id"], person);

    let mut jia = server.browser();
    jia.api(
        Method::POST,
        "/api/v1/session",
        Some(json!({"username": "jia", "password": "Tezhong2026k"})),
    )
    .await;
    jia.api(
        Method::POST,
        "/api/v1/institution/people",
        Some(json!({"person_id": person, "items": ["YL-AX"]})),
    )
    .await;
    let reset = jia
        .api(
            Method::POST,
            &format!("/api/v1/institution/people/{person}/password"),
            None,
        )
        .await;
    let password = reset.json()["password"].as_str().unwrap().to_owned();
    assert_eq!(password.len(), 14, "three groups of four: {password}");
    assert_eq!(password.find('-'), Some(4));
    let detail = jia
        .api(
            Method::GET,
            &format!("/api/v1/institution/people/{person}"),
            None,
        )
        .await;
    assert_eq!(detail.json()["items"][0]["state"], "invited");
    assert_eq!(detail.json()["items"][0]["registrable"], false);
    let no_reason = jia
        .api(
            Method::POST,
            &format!("/api/v1/institution/people/{person}/releases"),
            Some(json!({"item": "YL-AX", "reason": ""})),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let released = jia
        .api(
            Method::POST,
            &format!("/api/v1/institution/people/{person}/releases"),
            Some(json!({"item": "YL-AX", "reason": "合同到期"})),
        )
        .await;
    assert_eq!(released.status, StatusCode::NO_CONTENT);
    let pool = server
        .browser()
        .api(Method::GET, "/api/v1/public/pool?item=YL-AX", None)
        .await;
    assert_eq!(pool.json()[0]["person_id"], person);
    let gone = jia
        .api(
            Method::GET,
            &format!("/api/v1/institution/people/{person}"),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);

    let out = jia.api(Method::DELETE, "/api/v1/session", None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(
        jia.api(Method::GET, "/api/v1/institution/people", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let bad_query = server
        .browser()
        .api(
            Method::POST,
            "/api/v1/public/people/search",
            Some(serde_json::json!({ "by": "id", "q": "123" })),
        )
        .await;
    assert_eq!(bad_query.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_query.json()["code"], "query.resident_id");
    // An ID number in the address is refused before it is even parsed.
    let in_address = server
        .browser()
        .api(Method::GET, "/api/v1/public/people?by=id&q=123", None)
        .await;
    assert_eq!(in_address.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(in_address.json()["code"], "query.resident_id_in_address");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_the_entry_and_the_documentation() {
    let server = Server::new().await;
    let institution_id = institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let id = resident_id(81, date(1976, 6, 6));
    exam_result(&server, "郑评审", &id, &["GD-AZ"], "2026-05-01").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    let found = jia
        .post(
            "/institution/add/find",
            &[("name", "郑评审"), ("resident_id", &id)],
        )
        .await;
    let person = found.between("name=\"person\" value=\"", "\"").unwrap();
    let shown = jia
        .post(
            "/institution/add",
            &[("person", &person), ("items", "GD-AZ")],
        )
        .await;
    let fill_in = shown.between(SECRET.0, SECRET.1).unwrap();
    let entry = format!("/self-service/{person}/{institution_id}");
    let mut me = server.browser();
    me.post(&entry, &[("password", &fill_in)]).await;
    assert_eq!(
        me.get(&format!("{entry}/edit")).await.status,
        StatusCode::OK
    );
    let left = me.post("/self-service/logout", &[]).await;
    assert_eq!(left.location.as_deref(), Some("/self-service"));
    assert_eq!(
        me.get(&format!("{entry}/edit")).await.status,
        StatusCode::SEE_OTHER
    );
    // A new fill-in password closes an open entry.
    let mut again = server.browser();
    again.post(&entry, &[("password", &fill_in)]).await;
    jia.post(&format!("/institution/people/{person}/password"), &[])
        .await;
    assert_eq!(
        again.get(&format!("{entry}/edit")).await.status,
        StatusCode::SEE_OTHER
    );

    let mut anyone = server.browser();
    let spec = anyone.get("/api/openapi.json").await;
    assert_eq!(spec.status, StatusCode::OK);
    assert!(spec.body.contains("\"/institution/people\""));
    let docs = anyone.get("/api/docs").await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(docs.body.to_lowercase().contains("swagger"));
    assert!(
        docs.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("unsafe-inline")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_association_loads_a_new_years_calendar() {
    let server = Server::new().await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let page = admin.get("/association/calendar").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.has("<td>2026</td>") && !page.has("<td>2027</td>"),
        "{}",
        page.body
    );
    // Before: a working-day question about 2027 has no answer.
    assert!(server.state.calendar().working_days_in_year(2027).is_err());

    // A year with a gap before it is refused, and nothing changes.
    let gap = "date,kind,name\n2028-01-01,holiday,元旦\n";
    let refused = admin
        .upload(
            "/association/calendar",
            &[("file", "2028.csv", gap.as_bytes())],
            &[],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.has("2027年没有任何节假日数据"), "{}", refused.body);
    // Bad lines are reported with their line numbers.
    let bad = "date,kind,name\n2027-01-01,holiday,元旦\n2027-02-30,holiday,春节\n2027-02-03,workday,春节\n";
    let refused = admin
        .upload(
            "/association/calendar",
            &[("file", "2027.csv", bad.as_bytes())],
            &[],
        )
        .await;
    assert!(
        refused.has("第3行：日期“2027-02-30”无效") && refused.has("第4行：2027-02-03 是周一至周五"),
        "{}",
        refused.body
    );

    // The year 2027 (New Year's Day, and a Sunday made a working day): loaded, and used at
    // once by this server.
    let year = "date,kind,name,name_en,in_lieu\n2027-01-01,holiday,元旦,New Year's Day,\n2027-02-07,workday,春节,Spring Festival,\n";
    let loaded = admin
        .upload(
            "/association/calendar",
            &[("file", "2027.csv", year.as_bytes())],
            &[],
        )
        .await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    assert!(
        loaded.has("已导入2027年的日历（2 条节假日与调休记录）；日历现覆盖 2013—2027 年"),
        "{}",
        loaded.body
    );
    assert!(
        loaded.has("<td>2027</td><td>1</td><td>1</td><td>261</td>"),
        "{}",
        loaded.body
    );
    assert_eq!(server.state.calendar().working_days_in_year(2027), Ok(261));
    let stored = server.state.store.calendar().await.unwrap();
    assert_eq!(stored.years(), 2013..=2027);
    // Loading the same year again replaces it (a correction), it does not add to it.
    let again = admin
        .upload(
            "/association/calendar",
            &[("file", "2027.csv", year.as_bytes())],
            &[],
        )
        .await;
    assert!(
        again.has("<td>2027</td><td>1</td><td>1</td><td>261</td>"),
        "{}",
        again.body
    );

    // Only the association.
    institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    assert_eq!(
        jia.get("/association/calendar").await.status,
        StatusCode::FORBIDDEN
    );
}
