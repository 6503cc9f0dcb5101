//! Issue 16: the fill-in entry closes with its institution or its employment (on every
//! request, and its sessions end at once); one institution learns nothing of another's
//! people: another institution's person, item or holding answers exactly like one that does
//! not exist, through the pages and the API; and the self-service search runs only for the
//! one institution its text names.

use poem::http::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

const ITEMS: [&str; 2] = ["QZ-ZZ", "DT-ZZ"];

/// 甲 employs 孙评审 for both items; returns (甲's id, 甲's browser, the person's id, the
/// fill-in password).
async fn jia_employs(server: &Server) -> (i64, Browser<'_>, String, String) {
    let jia_id = institution(server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let id = resident_id(51, date(1975, 3, 3));
    exam_result(server, "孙评审", &id, &ITEMS, "2026-05-01").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    let (person, fill_in) = add(&mut jia, "孙评审", &id, &ITEMS).await;
    (jia_id, jia, person, fill_in)
}

/// The assessor with the entry open, through the page (`page`) and the API (`api`).
async fn opened<'a>(
    server: &'a Server,
    entry: &str,
    api_entry: &str,
    fill_in: &str,
) -> (Browser<'a>, Browser<'a>) {
    let mut page = server.browser();
    let opened = page.post(entry, &[("password", fill_in)]).await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    assert_eq!(
        page.get(&format!("{entry}/edit")).await.status,
        StatusCode::OK
    );
    let mut api = server.browser();
    let unlocked = api
        .api(
            Method::POST,
            &format!("{api_entry}/unlock"),
            Some(json!({"password": fill_in})),
        )
        .await;
    assert_eq!(unlocked.status, StatusCode::NO_CONTENT, "{}", unlocked.body);
    let details = api
        .api(Method::GET, &format!("{api_entry}/details"), None)
        .await;
    assert_eq!(details.status, StatusCode::OK, "{}", details.body);
    (page, api)
}

/// Whether the session behind a browser's entry cookie is still stored.
async fn entry_session_stored(server: &Server, b: &Browser<'_>) -> bool {
    let token = b.cookies.get("registry_entry").expect("an entry cookie");
    server
        .store
        .session(&registry_http::secrets::token_hash(token))
        .await
        .unwrap()
        .is_some()
}

/// Every way the assessor uses the entry is refused: back to the password on the page,
/// 401 on the API, nothing saved.
async fn assert_closed(
    page: &mut Browser<'_>,
    api: &mut Browser<'_>,
    entry: &str,
    api_entry: &str,
) {
    let edit = page.get(&format!("{entry}/edit")).await;
    assert_eq!(edit.status, StatusCode::SEE_OTHER, "{}", edit.body);
    assert_eq!(edit.location.as_deref(), Some(entry));
    let saved = page
        .post(
            &format!("{entry}/edit"),
            &[("version", "1"), ("sex", "男"), ("title", "工程师")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let read = api
        .api(Method::GET, &format!("{api_entry}/details"), None)
        .await;
    assert_eq!(read.status, StatusCode::UNAUTHORIZED, "{}", read.body);
    assert_eq!(read.json()["code"], "fill_in.locked_entry");
    let put = api
        .api(
            Method::PUT,
            &format!("{api_entry}/details"),
            Some(json!({"version": 1, "details": {"title": "工程师"}})),
        )
        .await;
    assert_eq!(put.status, StatusCode::UNAUTHORIZED, "{}", put.body);
}

/// A session of the entry as one opened a moment before the entry closed would be (the
/// race the check on every request closes): refused at its first request, and ended.
async fn a_racing_session_is_refused(server: &Server, person: &str, institution: i64) {
    let token = "e".repeat(64);
    let hash = registry_http::secrets::token_hash(&token);
    server
        .store
        .create_session(
            &hash,
            registry_store::sessions::SessionSubject::Assessor {
                person: registry_core::ids::PersonId::new(person.parse().unwrap()),
                institution: registry_core::ids::InstitutionId::new(institution),
            },
            registry_http::Clock::now(&server.clock),
        )
        .await
        .unwrap();
    let mut late = server.browser();
    late.cookies.insert("registry_entry".into(), token);
    let edit = late
        .get(&format!("/self-service/{person}/{institution}/edit"))
        .await;
    assert_eq!(edit.status, StatusCode::SEE_OTHER, "{}", edit.body);
    assert!(server.store.session(&hash).await.unwrap().is_none());
}

/// The association's form for institution `id`, with `active` as asked.
async fn set_active(server: &Server, id: i64, active: bool) {
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let form = admin.get(&format!("/association/institutions/{id}")).await;
    let value = |name: &str| {
        form.between(&format!("name=\"{name}\" value=\""), "\"")
            .unwrap_or_default()
    };
    let mut fields: Vec<(String, String)> = [
        "name",
        "number",
        "credit_code",
        "provincial_number",
        "national_number",
        "contact",
        "version",
    ]
    .iter()
    .map(|f| (f.to_string(), value(f)))
    .collect();
    if active {
        fields.push(("active".into(), "on".into()));
    }
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let saved = admin
        .post(&format!("/association/institutions/{id}"), &fields)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_entry_closes_when_its_institution_is_disabled() {
    let server = Server::new().await;
    let (jia_id, _jia, person, fill_in) = jia_employs(&server).await;
    let entry = format!("/self-service/{person}/{jia_id}");
    let api_entry = format!("/api/v1/self-service/{person}/{jia_id}");
    let (mut page, mut api) = opened(&server, &entry, &api_entry, &fill_in).await;

    set_active(&server, jia_id, false).await;
    // The use case ended the entry's sessions in its own transaction.
    assert!(!entry_session_stored(&server, &page).await);
    assert!(!entry_session_stored(&server, &api).await);
    assert_closed(&mut page, &mut api, &entry, &api_entry).await;
    a_racing_session_is_refused(&server, &person, jia_id).await;
    // The password no longer opens it: answered as a wrong one.
    let again = server
        .browser()
        .post(&entry, &[("password", &fill_in)])
        .await;
    assert!(again.has("密码错误"), "{}", again.body);

    // Enabled again, the entry opens again with the same password.
    set_active(&server, jia_id, true).await;
    opened(&server, &entry, &api_entry, &fill_in).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_entry_closes_when_the_person_is_released() {
    let server = Server::new().await;
    let (jia_id, mut jia, person, fill_in) = jia_employs(&server).await;
    let entry = format!("/self-service/{person}/{jia_id}");
    let api_entry = format!("/api/v1/self-service/{person}/{jia_id}");
    let (mut page, mut api) = opened(&server, &entry, &api_entry, &fill_in).await;
    let release = |item: &'static str| {
        [
            ("item", item),
            ("reason", "调往其他机构"),
            ("confirm", "yes"),
        ]
    };

    // One item released: 甲 still employs the person, the entry stays open.
    let released = jia
        .post(
            &format!("/institution/people/{person}/release"),
            &release("QZ-ZZ"),
        )
        .await;
    assert!(released.has("已退回"), "{}", released.body);
    assert_eq!(
        page.get(&format!("{entry}/edit")).await.status,
        StatusCode::OK
    );
    assert!(entry_session_stored(&server, &api).await);

    // The last one (through the API): the entry closes at once.
    let last = jia
        .api(
            Method::POST,
            &format!("/api/v1/institution/people/{person}/releases"),
            Some(json!({"item": "DT-ZZ", "reason": "调往其他机构"})),
        )
        .await;
    assert_eq!(last.status, StatusCode::NO_CONTENT, "{}", last.body);
    assert!(!entry_session_stored(&server, &page).await);
    assert_closed(&mut page, &mut api, &entry, &api_entry).await;
    a_racing_session_is_refused(&server, &person, jia_id).await;
}

/// Two responses alike, byte for byte (the same browser: the same CSRF token).
fn assert_alike(what: &str, theirs: &Page, nobody: &Page) {
    assert_eq!(theirs.status, nobody.status, "{what}: {}", theirs.body);
    assert_eq!(theirs.body, nobody.body, "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_institutions_person_answers_exactly_like_nobody() {
    let server = Server::new().await;
    let (_, _jia, theirs, _) = jia_employs(&server).await;
    institution(&server, 2, "乙鉴定评审中心", "yijg", "Tezhong2026y").await;
    let mut yi = server.browser();
    yi.login("yijg", "Tezhong2026y").await;
    let nobody = "999999";

    // Every page and operation of an institution on a person named by id.
    for (method, path, fields) in [
        ("GET", "/institution/people/{}", vec![]),
        (
            "POST",
            "/institution/people/{}/register",
            vec![("items", "QZ-ZZ")],
        ),
        (
            "POST",
            "/institution/people/{}/release",
            vec![("item", "QZ-ZZ"), ("reason", "调出"), ("confirm", "yes")],
        ),
        ("POST", "/institution/people/{}/password", vec![]),
        ("POST", "/institution/people/{}/unlock", vec![]),
        (
            "POST",
            "/institution/people/{}/assessments",
            vec![
                ("item", "QZ-ZZ"),
                ("start", "2026-10-12"),
                ("end", "2026-10-13"),
            ],
        ),
    ] {
        let mut answers = Vec::new();
        for id in [theirs.as_str(), nobody] {
            let path = path.replace("{}", id);
            answers.push(if method == "GET" {
                yi.get(&path).await
            } else {
                yi.post(&path, &fields).await
            });
        }
        let (a, b) = (&answers[0], &answers[1]);
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}: {}", a.body);
        assert_alike(path, a, b);
    }
    // Employing by id (添加人员's form, hiring from the pool): no word of who holds what.
    for (path, field) in [
        ("/institution/add", "items"),
        ("/institution/pool/hire", "item"),
    ] {
        let a = yi
            .post(path, &[("person", &theirs), (field, "QZ-ZZ")])
            .await;
        let b = yi.post(path, &[("person", nobody), (field, "QZ-ZZ")]).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}: {}", a.body);
        assert!(!a.has("其他机构"), "{}", a.body);
        assert_alike(path, &a, &b);
    }

    // The API: the same status, code and body.
    for (method, path, body) in [
        (Method::GET, "/api/v1/institution/people/{}", None),
        (Method::GET, "/api/v1/institution/people/{}/outlook", None),
        (Method::POST, "/api/v1/institution/people/{}/password", None),
        (Method::POST, "/api/v1/institution/people/{}/unlock", None),
        (
            Method::POST,
            "/api/v1/institution/people/{}/registrations",
            Some(json!({"items": ["QZ-ZZ"]})),
        ),
        (
            Method::POST,
            "/api/v1/institution/people/{}/registrations",
            Some(json!({"items": ["NOPE"]})),
        ),
        (
            Method::POST,
            "/api/v1/institution/people/{}/releases",
            Some(json!({"item": "QZ-ZZ", "reason": ""})),
        ),
    ] {
        let a = yi
            .api(method.clone(), &path.replace("{}", &theirs), body.clone())
            .await;
        let b = yi.api(method, &path.replace("{}", nobody), body).await;
        assert_eq!(a.json()["code"], "not_found.person", "{path}: {}", a.body);
        assert_alike(path, &a, &b);
    }
    for items in [json!(["QZ-ZZ"]), json!(["QZ-ZZ", "NOPE"]), json!(["GL-ZZ"])] {
        let employ = |id: &str| json!({"person_id": id.parse::<i64>().unwrap(), "items": items});
        let a = yi
            .api(
                Method::POST,
                "/api/v1/institution/people",
                Some(employ(&theirs)),
            )
            .await;
        let b = yi
            .api(
                Method::POST,
                "/api/v1/institution/people",
                Some(employ(nobody)),
            )
            .await;
        assert_eq!(a.json()["code"], "not_found.person", "{}", a.body);
        assert_alike("POST /api/v1/institution/people", &a, &b);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_institutions_holding_answers_like_an_item_nobody_holds() {
    let server = Server::new().await;
    let (_, mut jia, person, _) = jia_employs(&server).await;
    // 甲 releases DT-ZZ and 乙 hires it: the person is at both.
    jia.post(
        &format!("/institution/people/{person}/release"),
        &[("item", "DT-ZZ"), ("reason", "调出"), ("confirm", "yes")],
    )
    .await;
    institution(&server, 2, "乙鉴定评审中心", "yijg", "Tezhong2026y").await;
    let mut yi = server.browser();
    yi.login("yijg", "Tezhong2026y").await;
    let hired = yi
        .post(
            "/institution/pool/hire",
            &[("person", &person), ("item", "DT-ZZ")],
        )
        .await;
    assert_eq!(hired.status, StatusCode::OK, "{}", hired.body);

    // 甲's QZ-ZZ, seen by 乙, is like GL-ZZ, which nobody holds (nor did the person pass).
    let release_body: fn(&str) -> serde_json::Value =
        |item| json!({"item": item, "reason": "调出"});
    let register_body: fn(&str) -> serde_json::Value = |item| json!({"items": [item]});
    for (path, body) in [("releases", release_body), ("registrations", register_body)] {
        let path = format!("/api/v1/institution/people/{person}/{path}");
        let a = yi.api(Method::POST, &path, Some(body("QZ-ZZ"))).await;
        let b = yi.api(Method::POST, &path, Some(body("GL-ZZ"))).await;
        assert_eq!(a.json()["code"], "not_found.holding", "{}", a.body);
        assert_alike(&path, &a, &b);
    }
    let release = format!("/institution/people/{person}/release");
    let a = yi
        .post(
            &release,
            &[("item", "QZ-ZZ"), ("reason", "调出"), ("confirm", "yes")],
        )
        .await;
    let b = yi
        .post(&release, &[("item", "GL-ZZ"), ("reason", "调出")])
        .await;
    assert_alike(&release, &a, &b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pooled_person_shows_what_the_pool_shows_and_the_lookup_still_helps() {
    let server = Server::new().await;
    let (_, mut jia, person, _) = jia_employs(&server).await;
    jia.post(
        &format!("/institution/people/{person}/release"),
        &[("item", "DT-ZZ"), ("reason", "调出"), ("confirm", "yes")],
    )
    .await;
    institution(&server, 2, "乙鉴定评审中心", "yijg", "Tezhong2026y").await;
    let mut yi = server.browser();
    yi.login("yijg", "Tezhong2026y").await;

    // By id: 甲's item and an item never passed are the same to 乙, "not in the pool".
    let codes = |page: &Page| -> Vec<String> {
        page.json()["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let refused = yi
        .api(
            Method::POST,
            "/api/v1/institution/people",
            Some(json!({"person_id": person.parse::<i64>().unwrap(), "items": ["QZ-ZZ", "GL-ZZ"]})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&refused),
        ["holding.not_in_pool", "holding.not_in_pool"]
    );
    let hire = yi
        .post(
            "/institution/pool/hire",
            &[("person", &person), ("item", "QZ-ZZ")],
        )
        .await;
    assert!(
        hire.has("不在该人员的无聘用单位评审项目中"),
        "{}",
        hire.body
    );
    assert!(!hire.has("其他机构"), "{}", hire.body);

    // 添加人员 by name and whole ID number still tells which items are free.
    let id = resident_id(51, date(1975, 3, 3));
    let found = yi
        .post(
            "/institution/add/find",
            &[("name", "孙评审"), ("resident_id", &id)],
        )
        .await;
    assert!(found.has("已由其他机构聘用"), "{}", found.body);
    // And the free item is employed.
    let hired = yi
        .post(
            "/institution/pool/hire",
            &[("person", &person), ("item", "DT-ZZ")],
        )
        .await;
    assert_eq!(hired.status, StatusCode::OK, "{}", hired.body);
    assert!(hired.has("填报密码"), "{}", hired.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_self_service_search_runs_only_for_the_institution_named() {
    let server = Server::new().await;
    let (jia_id, _jia, person, _) = jia_employs(&server).await;
    // 乙 employs another 孙评审.
    let yi_id = institution(&server, 2, "乙鉴定评审中心", "yijg", "Tezhong2026y").await;
    let other = resident_id(52, date(1976, 4, 4));
    exam_result(&server, "孙评审", &other, &["QZ-ZZ"], "2026-05-01").await;
    let mut yi = server.browser();
    yi.login("yijg", "Tezhong2026y").await;
    add(&mut yi, "孙评审", &other, &["QZ-ZZ"]).await;
    let theirs = format!("/self-service/{person}/{jia_id}");

    let mut me = server.browser();
    let empty = me.get("/self-service").await;
    assert!(
        empty.has("list=\"institution-names\"")
            && empty.has("<option value=\"甲鉴定评审中心\">")
            && empty.has("<option value=\"乙鉴定评审中心\">"),
        "{}",
        empty.body
    );
    let search = |institution: &str| {
        format!(
            "/self-service?{}",
            query(&[("name", "孙评审"), ("institution", institution)])
        )
    };
    let api = |institution: &str| {
        format!(
            "/api/v1/self-service/search?{}",
            query(&[("name", "孙评审"), ("institution", institution)])
        )
    };
    // A character, a short part, a part of both names: no one is shown, anywhere.
    for typed in ["甲", "甲鉴", "鉴定评审中心", "评审"] {
        let page = me.get(&search(typed)).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        assert!(page.has("请从列表中选择评审机构"), "{}", page.body);
        assert!(!page.has("人员基本信息"), "{typed}: {}", page.body);
        let answer = me.api(Method::GET, &api(typed), None).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        assert_eq!(
            answer.json()["violations"][0]["code"],
            "self_service.institution_unidentified"
        );
    }
    // The whole name (as picked from the list, or typed with other spaces), or a part that
    // names 甲 alone: 甲's 孙评审 only.
    for typed in ["甲鉴定评审中心", " 甲鉴定 评审中心 ", "甲鉴定评"] {
        let page = me.get(&search(typed)).await;
        assert_eq!(page.status, StatusCode::OK, "{typed}");
        assert!(page.has(&theirs), "{typed}: {}", page.body);
        assert_eq!(page.body.matches("人员基本信息").count(), 1, "{typed}");
        let answer = me.api(Method::GET, &api(typed), None).await;
        let found = answer.json();
        assert_eq!(found.as_array().map(Vec::len), Some(1), "{}", answer.body);
        assert_eq!(found[0]["institution_id"], jia_id);
    }
    // The API's list of names.
    let list = me
        .api(Method::GET, "/api/v1/self-service/institutions", None)
        .await;
    assert_eq!(
        list.json(),
        json!([{"id": jia_id, "name": "甲鉴定评审中心"}, {"id": yi_id, "name": "乙鉴定评审中心"}])
    );
    // A disabled institution is neither listed nor searched.
    set_active(&server, yi_id, false).await;
    let page = me.get(&search("乙鉴定评审中心")).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!page.has("<option value=\"乙鉴定评审中心\">"));
    let list = me
        .api(Method::GET, "/api/v1/self-service/institutions", None)
        .await;
    assert_eq!(
        list.json(),
        json!([{"id": jia_id, "name": "甲鉴定评审中心"}])
    );
}

/// Issue 20: the assessor's form says which required fields are still empty, beside each,
/// and an emptied field is marked after the save that accepted it as 信息填报中.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_marks_each_required_field_still_empty() {
    let server = Server::new().await;
    let (jia_id, _jia, person, fill_in) = jia_employs(&server).await;
    let entry = format!("/self-service/{person}/{jia_id}");
    let api_entry = format!("/api/v1/self-service/{person}/{jia_id}");
    let (mut page, _api) = opened(&server, &entry, &api_entry, &fill_in).await;
    let form = page.get(&format!("{entry}/edit")).await;
    let marked = |body: &str, field: &str| {
        body.split(&format!("id=\"{field}\""))
            .nth(1)
            .and_then(|rest| rest.split("<label").next())
            .is_some_and(|next| next.contains("尚未填写（必填）"))
    };
    // A save that leaves required fields empty is accepted (信息填报中), and each one is
    // marked beside its field.
    let saved = page
        .post(
            &format!("{entry}/edit"),
            &[("version", &version_of(&form)), ("mobile", "")],
        )
        .await;
    assert!(marked(&saved.body, "mobile"), "{}", saved.body);
    assert!(marked(&saved.body, "education"), "{}", saved.body);
    assert!(
        !marked(&saved.body, "email"),
        "an optional field is never marked"
    );
    // A save refused for another reason (a malformed mobile number) marks the required
    // fields left blank as typed, not as last saved: the postcode emptied now is marked,
    // the mobile number typed now is not.
    let refused = page
        .post(
            &format!("{entry}/edit"),
            &[
                ("version", &version_of(&saved)),
                ("mobile", "123"),
                ("postcode", ""),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(marked(&refused.body, "postcode"), "{}", refused.body);
    assert!(!marked(&refused.body, "mobile"), "{}", refused.body);
}

fn version_of(page: &Page) -> String {
    page.between("name=\"version\" value=\"", "\"")
        .unwrap_or_default()
}
