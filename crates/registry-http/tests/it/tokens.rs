//! API tokens of machine clients: a training provider posts a roster of its own course
//! with its token; an institution's system records an on-site assessment with its token;
//! scopes and holders are kept to; revoked, expired and unknown tokens answer 401; every
//! use is attributed to the token in the audit log, and the list shows its last use.

use poem::http::{Method, StatusCode};
use registry_core::access::Duty;
use serde_json::json;

use crate::education::registered;
use crate::support::*;

const JIA: (&str, &str) = ("jia", "Tezhong2026k");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_training_provider_posts_a_roster_of_its_own_course_with_its_token() {
    let server = Server::new().await;
    let jia_id = institution(&server, 1, "甲鉴定评审中心", JIA.0, JIA.1).await;
    let mut jia = server.browser();
    jia.login(JIA.0, JIA.1).await;
    let id = resident_id(31, date(1970, 5, 5));
    let (_, number) = registered(&server, &mut jia, jia_id, "卫评审", &id, &["RQ-ZZ"]).await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let mut security = server.administrator(Duty::Security, "anquan").await;
    let provider = training_provider(&server, &mut admin).await;
    let course = |provider: Option<i64>, name: &str| {
        json!({"name": name, "start": "2026-03-02", "end": "2026-03-04",
            "items": ["RQ-ZZ"], "hours": "16", "provider_id": provider})
    };
    let own = admin
        .api(
            Method::POST,
            "/api/v1/association/courses",
            Some(course(Some(provider), "压力容器继续教育班")),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let others = admin
        .api(
            Method::POST,
            "/api/v1/association/courses",
            Some(course(None, "协会自办班")),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let mut client = server.browser();
    client.bearer = Some(
        issue_token(
            &mut security,
            json!({"provider_id": provider}),
            &["attendance.write"],
        )
        .await,
    );

    // Its own courses only.
    let courses = client
        .api(Method::GET, "/api/v1/provider/courses", None)
        .await;
    assert_eq!(courses.status, StatusCode::OK, "{}", courses.body);
    let listed: Vec<i64> = courses
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, vec![own]);

    let roster = format!("培训班编号,姓名,身份证号或注册号,课时\n{own},卫评审,{number},16\n");
    // A dry run writes nothing.
    let dry = client
        .api_binary(
            Method::POST,
            "/api/v1/provider/rosters?dry_run=true",
            roster.as_bytes(),
        )
        .await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    assert_eq!(dry.json()["new"], 1);
    assert_eq!(dry.json()["written"], false);
    // A row of a course it does not run: the whole roster refused, by line, nothing written.
    let mixed = format!("{roster}{others},卫评审,{id},8\n");
    let refused = client
        .api_binary(Method::POST, "/api/v1/provider/rosters", mixed.as_bytes())
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    let report = refused.json();
    assert_eq!(report["written"], false);
    assert_eq!(report["rejected"][0]["line"], 3, "{}", refused.body);
    assert_eq!(
        report["rejected"][0]["violations"][0]["code"], "import.unknown_course",
        "{}",
        refused.body
    );
    // A row with the right number and another name: unknown to the provider, and the
    // name the register holds is not told.
    let misnamed = format!("培训班编号,姓名,身份证号或注册号,课时\n{own},魏某某,{number},16\n");
    let probe = client
        .api_binary(
            Method::POST,
            "/api/v1/provider/rosters?dry_run=true",
            misnamed.as_bytes(),
        )
        .await;
    assert_eq!(
        probe.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        probe.body
    );
    assert_eq!(
        probe.json()["rejected"][0]["violations"][0]["code"],
        "import.unknown_person",
        "{}",
        probe.body
    );
    assert!(!probe.body.contains("卫评审"), "{}", probe.body);
    // The good roster is written, once.
    let written = client
        .api_binary(Method::POST, "/api/v1/provider/rosters", roster.as_bytes())
        .await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.body);
    assert_eq!(written.json()["written"], true);
    let again = client
        .api_binary(Method::POST, "/api/v1/provider/rosters", roster.as_bytes())
        .await;
    assert_eq!(again.json()["unchanged"], 1, "{}", again.body);
    // One person by the single operation: another's course is not found, whoever is
    // named (the course is checked first, so a number tells nothing there) ...
    for person in [number.clone(), resident_id(34, date(1970, 1, 1))] {
        let single = client
            .api(
                Method::POST,
                &format!("/api/v1/provider/courses/{others}/attendance"),
                Some(json!({"person": person, "name": "卫评审", "hours": "8"})),
            )
            .await;
        assert_eq!(single.status, StatusCode::NOT_FOUND, "{}", single.body);
        assert_eq!(single.json()["code"], "not_found.course", "{}", single.body);
    }
    // ... and on its own course, an ID number the register does not hold and a known one
    // with another name get one answer, which tells no name.
    let mut answers = Vec::new();
    for (person, name) in [
        (resident_id(34, date(1970, 1, 1)), "卫评审"),
        (id.clone(), "魏某某"),
        (number.clone(), "魏某某"),
    ] {
        let single = client
            .api(
                Method::POST,
                &format!("/api/v1/provider/courses/{own}/attendance"),
                Some(json!({"person": person, "name": name, "hours": "8"})),
            )
            .await;
        assert_eq!(single.status, StatusCode::NOT_FOUND, "{}", single.body);
        assert!(!single.body.contains("卫评审"), "{}", single.body);
        answers.push(single.json());
    }
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
    assert_eq!(answers[0]["code"], "not_found.person");
    // What the association sees: the hours, entered by the token.
    let attendance = admin
        .api(
            Method::GET,
            &format!("/api/v1/association/courses/{own}/attendance"),
            None,
        )
        .await
        .json();
    assert_eq!(attendance.as_array().unwrap().len(), 1);
    assert_eq!(attendance[0]["hours"], "16");
    let mut auditor = server.administrator(Duty::Audit, "shenji").await;
    let log = auditor.get("/association/audit").await;
    assert!(
        log.has(&format!("培训机构 {provider} 的接口令牌")),
        "{}",
        log.body
    );
    // The provider's token does none of an institution's work, nor the association's.
    for (method, path) in [
        (Method::GET, "/api/v1/institution/people".to_owned()),
        (Method::GET, "/api/v1/association/courses".to_owned()),
    ] {
        let page = client.api(method, &path, None).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}: {}", page.body);
    }
    // The list shows its last use.
    let tokens = security
        .api(Method::GET, "/api/v1/association/tokens", None)
        .await
        .json();
    assert!(tokens[0]["last_used_at"].is_string(), "{tokens}");
    assert_eq!(tokens[0]["standing"], "active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_institutions_system_records_an_assessment_with_its_token_within_its_scopes() {
    let server = Server::new().await;
    let jia_id = institution(&server, 1, "甲鉴定评审中心", JIA.0, JIA.1).await;
    let mut jia = server.browser();
    jia.login(JIA.0, JIA.1).await;
    let id = resident_id(32, date(1971, 6, 6));
    let (person, _) = registered(&server, &mut jia, jia_id, "蒋评审", &id, &["RQ-ZZ"]).await;
    let mut security = server.administrator(Duty::Security, "anquan").await;
    let mut hr = server.browser();
    hr.bearer = Some(
        issue_token(
            &mut security,
            json!({"institution_id": jia_id}),
            &["institution.read", "assessments.write"],
        )
        .await,
    );
    let mut reader = server.browser();
    reader.bearer = Some(
        issue_token(
            &mut security,
            json!({"institution_id": jia_id}),
            &["institution.read"],
        )
        .await,
    );
    let path = format!("/api/v1/institution/people/{person}/assessments");
    let body = json!({"applicant_unit": "某压力容器厂", "item": "RQ-ZZ", "kind": "initial", "start": "2024-09-27", "end": "2024-10-09"});
    // No CSRF token, no cookie: the bearer alone.
    let recorded = hr.api(Method::POST, &path, Some(body.clone())).await;
    assert_eq!(recorded.status, StatusCode::OK, "{}", recorded.body);
    assert_eq!(recorded.json()["working_days"], 5);
    let list = hr
        .api(Method::GET, "/api/v1/institution/assessments", None)
        .await;
    assert_eq!(list.json()["total"], 1, "{}", list.body);
    // Without the scope: 403 and why.
    let refused = reader.api(Method::POST, &path, Some(body.clone())).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(refused.json()["code"], "token.scope");
    // Looking a person up to add them is adding people's work: not a read token's.
    for client in [&mut hr, &mut reader] {
        let lookup = client
            .api(
                Method::POST,
                "/api/v1/institution/people/lookup",
                Some(json!({"name": "蒋评审", "resident_id": id})),
            )
            .await;
        assert_eq!(lookup.status, StatusCode::FORBIDDEN, "{}", lookup.body);
        assert_eq!(lookup.json()["code"], "token.scope");
    }
    // A session's request still needs its CSRF token.
    let mut forged = server.browser();
    forged.login(JIA.0, JIA.1).await;
    let status = forged
        .send_raw(Method::POST, "/institution/people", b"name=x".to_vec())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut auditor = server.administrator(Duty::Audit, "shenji").await;
    let log = auditor.get("/association/audit").await;
    assert!(log.has("甲鉴定评审中心的接口令牌"), "{}", log.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_expired_and_unknown_tokens_answer_401() {
    let server = Server::new().await;
    let jia_id = institution(&server, 1, "甲鉴定评审中心", JIA.0, JIA.1).await;
    let mut security = server.administrator(Duty::Security, "anquan").await;
    let secret = issue_token(
        &mut security,
        json!({"institution_id": jia_id}),
        &["institution.read"],
    )
    .await;
    let mut client = server.browser();
    client.bearer = Some(secret.clone());
    let path = "/api/v1/institution/people";
    assert_eq!(
        client.api(Method::GET, path, None).await.status,
        StatusCode::OK
    );
    // Unknown.
    let mut stranger = server.browser();
    stranger.bearer = Some(format!("{secret}x"));
    let unknown = stranger.api(Method::GET, path, None).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.json()["code"], "token.unknown");
    // Expired: 30 days, then the day after its last.
    server.clock.advance(time::Duration::days(31));
    let expired = client.api(Method::GET, path, None).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED, "{}", expired.body);
    assert_eq!(expired.json()["code"], "token.expired");
    // Revoked (a new one, then revoked): 401 from the next request on, audited.
    let mut security = server.administrator(Duty::Security, "anquan2").await;
    let secret = issue_token(
        &mut security,
        json!({"institution_id": jia_id}),
        &["institution.read"],
    )
    .await;
    client.bearer = Some(secret);
    assert_eq!(
        client.api(Method::GET, path, None).await.status,
        StatusCode::OK
    );
    let tokens = security
        .api(Method::GET, "/api/v1/association/tokens", None)
        .await
        .json();
    let id = tokens[0]["id"].as_i64().unwrap();
    let revoked = security
        .api(
            Method::POST,
            &format!("/api/v1/association/tokens/{id}/revocation"),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.body);
    let refused = client.api(Method::GET, path, None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.json()["code"], "token.revoked");
    let tokens = security
        .api(Method::GET, "/api/v1/association/tokens", None)
        .await
        .json();
    assert_eq!(tokens[0]["standing"], "revoked");
    assert_eq!(tokens[1]["standing"], "expired");
    // A token is no login for the pages.
    let page = client.get("/institution").await;
    assert_ne!(page.status, StatusCode::OK);
}

/// The pages: the system administrator adds a provider and names it on a course; the
/// security administrator issues a token on 接口令牌 (its secret shown once, working at
/// once), sees its last use, and revokes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_add_a_provider_and_issue_show_and_revoke_a_token() {
    let server = Server::new().await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let refused = admin.post("/association/providers", &[("name", " ")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.has("“培训机构名称”未填写"), "{}", refused.body);
    let added = admin
        .post(
            "/association/providers",
            &[("name", "华北特种设备培训中心"), ("contact", "李老师")],
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let provider = added.between("培训机构已保存，编号 ", "。").unwrap();
    let course = admin
        .post(
            "/association/courses",
            &[
                ("name", "电梯继续教育班"),
                ("start", "2026-03-02"),
                ("end", "2026-03-03"),
                ("hours", "8"),
                ("items", "RQ-ZZ"),
                ("provider", &provider),
            ],
        )
        .await;
    assert_eq!(course.status, StatusCode::OK, "{}", course.body);
    let listed = admin.get("/association/providers").await;
    assert!(listed.has("华北特种设备培训中心"), "{}", listed.body);

    let mut security = server.administrator(Duty::Security, "anquan").await;
    let form = security.get("/association/tokens").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let holder = format!("provider:{provider}");
    let bad = security
        .post(
            "/association/tokens",
            &[
                ("name", "报名系统"),
                ("holder", &holder),
                ("scopes", "institution.read"),
                ("expires_on", "2026-12-31"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let issued = security
        .post(
            "/association/tokens",
            &[
                ("name", "报名系统"),
                ("holder", &holder),
                ("scopes", "attendance.write"),
                ("expires_on", "2026-12-31"),
            ],
        )
        .await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.body);
    let secret = issued.between("id=\"secret\">", "<").unwrap();
    assert!(secret.starts_with("rgt_"));
    let mut client = server.browser();
    client.bearer = Some(secret.clone());
    let courses = client
        .api(Method::GET, "/api/v1/provider/courses", None)
        .await;
    assert_eq!(courses.status, StatusCode::OK, "{}", courses.body);
    assert_eq!(courses.json().as_array().unwrap().len(), 1);
    // Listed without its secret, with its use.
    let list = security.get("/association/tokens").await;
    assert!(!list.has(&secret));
    assert!(list.has("报名系统") && !list.has("未使用"), "{}", list.body);
    let id = list.between("/association/tokens/", "/revoke").unwrap();
    let revoked = security
        .post(&format!("/association/tokens/{id}/revoke"), &[])
        .await;
    assert!(revoked.has("令牌已吊销"), "{}", revoked.body);
    assert!(revoked.has("已吊销"));
    let after = client
        .api(Method::GET, "/api/v1/provider/courses", None)
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    // The system administrator has no 接口令牌 page.
    let other = admin.get("/association/tokens").await;
    assert_ne!(other.status, StatusCode::OK);
}
