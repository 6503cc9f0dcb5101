//! The JSON API: the OpenAPI document (snapshot), the flow through JSON, the error shape.

use poem::http::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

#[test]
fn the_openapi_document() {
    let spec: serde_json::Value = serde_json::from_str(&registry_http::openapi_json()).unwrap();
    insta::assert_json_snapshot!(spec);
}

/// A client learns the contract from the document: dates are `format: date`, ID numbers,
/// credit codes, registration numbers and item codes carry their patterns, kinds and
/// states are enums, and no request body takes a field it does not list.
#[test]
fn the_document_states_the_inputs_contract() {
    let spec: serde_json::Value = serde_json::from_str(&registry_http::openapi_json()).unwrap();
    let schemas = &spec["components"]["schemas"];
    let field = |schema: &str, name: &str| schemas[schema]["properties"][name].clone();
    for (schema, name) in [
        ("AssessmentIn", "start"),
        ("AssessmentIn", "end"),
        ("CourseIn", "start"),
        ("ExamResultIn", "exam_date"),
        ("TeamIn", "review_date"),
        ("TokenIn", "expires_on"),
        ("MailedIn", "on"),
        ("NewCycleIn", "end"),
    ] {
        assert_eq!(field(schema, name)["format"], "date", "{schema}.{name}");
    }
    for (schema, name, sample) in [
        ("ExamResultIn", "resident_id", "11010119900101123X"),
        ("InstitutionIn", "credit_code", "91350100M000100Y43"),
        ("AttendanceIn", "person", "JP2026000001X"),
        ("AssessmentIn", "item", "RQ-ZZ"),
    ] {
        let pattern = field(schema, name)["pattern"].as_str().unwrap().to_owned();
        assert!(
            pattern_matches(&pattern, sample),
            "{schema}.{name}: {pattern} against {sample}"
        );
    }
    assert_eq!(
        schemas["AssessmentKindIn"]["enum"],
        json!(["initial", "re_review"])
    );
    assert_eq!(schemas["ItemStateIn"]["enum"].as_array().unwrap().len(), 6);
    // Every object a request body may hold refuses unknown fields, and says so.
    let mut bodies = 0;
    for operations in spec["paths"].as_object().unwrap().values() {
        for op in operations.as_object().unwrap().values() {
            let Some(schema) =
                op["requestBody"]["content"]["application/json; charset=utf-8"]["schema"]["$ref"]
                    .as_str()
            else {
                continue;
            };
            let name = schema.rsplit('/').next().unwrap();
            assert_eq!(
                schemas[name]["additionalProperties"],
                json!(false),
                "{name}"
            );
            bodies += 1;
        }
    }
    assert!(bodies > 25, "{bodies}");
    assert_eq!(schemas["DetailsBody"]["additionalProperties"], json!(false));
}

/// Whether `text` matches `pattern` as the server checks it (poem-openapi's validator).
fn pattern_matches(pattern: &str, text: &str) -> bool {
    use poem_openapi::validation::{Pattern, Validator};
    // The validator keeps its pattern for the program's life, as the server's do.
    let pattern: &'static str = Box::leak(pattern.to_owned().into_boxed_str());
    Validator::<String>::check(&Pattern::new(pattern), &text.to_owned())
}

/// What the document says is what the server does: a day that does not exist, a state
/// that is not one, an ID number of the wrong shape and an unknown field are refused
/// before any use case runs, with the API's error shape and a stable code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inputs_outside_the_document_are_refused_with_the_apis_error_shape() {
    let server = Server::new().await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    for body in [
        json!({"name": "2029—2032", "start": "2029-02-30", "end": "2032-12-31"}),
        json!({"name": "2029—2032", "start": "2029/01/01", "end": "2032-12-31"}),
        json!({"name": "2029—2032", "start": "2029-01-01", "end": "2032-12-31", "id": 1}),
    ] {
        let refused = admin
            .api(Method::POST, "/api/v1/association/cycles", Some(body))
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
        assert_eq!(
            refused.json()["code"],
            "request.invalid",
            "{}",
            refused.body
        );
        assert!(
            refused.json()["message"]
                .as_str()
                .unwrap()
                .contains("请求体"),
            "{}",
            refused.body
        );
    }
    let exam = admin
        .api(
            Method::POST,
            "/api/v1/exam-results",
            Some(
                json!({"resident_id": "1101011990", "name": "张三", "items": ["RQ-ZZ"],
                "exam_date": "2026-01-05", "published_on": "2026-01-10"}),
            ),
        )
        .await;
    assert_eq!(exam.status, StatusCode::BAD_REQUEST, "{}", exam.body);
    assert!(exam.body.contains("resident_id"), "{}", exam.body);
    let outbox = admin
        .api(Method::GET, "/api/v1/association/outbox?state=lost", None)
        .await;
    assert_eq!(outbox.status, StatusCode::BAD_REQUEST, "{}", outbox.body);
    assert_eq!(outbox.json()["code"], "request.invalid");
    // Nothing was added.
    let cycles = admin
        .api(Method::GET, "/api/v1/association/cycles", None)
        .await
        .json();
    assert!(
        cycles
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] != "2029—2032"),
        "{cycles}"
    );
}

/// 添加人员 through the API: a person looked up by name and whole ID number, with what the
/// institution may employ; employed by the id found; then the same look-up says so, and
/// another institution learns they are taken. A wrong name is not found, as nobody is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_institution_looks_a_person_up_and_employs_them_through_the_api() {
    let server = Server::new().await;
    institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    institution(&server, 2, "乙鉴定评审中心", "yijg", "Fangan2026z").await;
    let id = resident_id(71, date(1979, 7, 7));
    exam_result(&server, "罗评审", &id, &["RQ-ZZ", "GL-ZZ"], "2026-04-01").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    let lookup = |name: &'static str| json!({"name": name, "resident_id": id.clone()});
    let found = jia
        .api(
            Method::POST,
            "/api/v1/institution/people/lookup",
            Some(lookup("罗评审")),
        )
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    let found = found.json();
    assert!(!found.to_string().contains(&id), "only masked: {found}");
    assert!(
        found["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["available"] == true),
        "{found}"
    );
    let person = found["person_id"].as_i64().unwrap();
    let employed = jia
        .api(
            Method::POST,
            "/api/v1/institution/people",
            Some(json!({"person_id": person, "items": ["RQ-ZZ"]})),
        )
        .await;
    assert_eq!(employed.status, StatusCode::OK, "{}", employed.body);
    let mut yi = server.browser();
    yi.login("yijg", "Fangan2026z").await;
    let seen = yi
        .api(
            Method::POST,
            "/api/v1/institution/people/lookup",
            Some(lookup("罗评审")),
        )
        .await
        .json();
    let rq = seen["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"] == "RQ-ZZ")
        .unwrap()
        .clone();
    assert_eq!(rq["available"], false, "{seen}");
    assert_eq!(rq["why_not"], "已由其他机构聘用");
    let wrong = yi
        .api(
            Method::POST,
            "/api/v1/institution/people/lookup",
            Some(lookup("罗某某")),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    assert_eq!(wrong.json()["code"], "not_found.person");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_flow_through_the_api() {
    let server = Server::new().await;
    let mut admin = server.browser();
    let anonymous = admin.api(Method::GET, "/api/v1/institutions", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.json()["code"], "unauthorized");

    let login = admin
        .api(
            Method::POST,
            "/api/v1/session",
            Some(json!({"username": "admin", "password": ADMIN_PASSWORD})),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    assert_eq!(login.json()["role"], "association");
    let code =
        registry_core::credit_code::CreditCode::from_parts("12", "350100", "80000001").unwrap();
    let created = admin
        .api(
            Method::POST,
            "/api/v1/institutions",
            Some(json!({"institution": {"name": "丙鉴定评审中心", "number": "TS-JP-201", "credit_code": code.as_str(), "national_number": "TS201-2027"}, "username": "bing"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let initial = created.json()["initial_password"]
        .as_str()
        .unwrap()
        .to_owned();
    let invalid = admin
        .api(Method::POST, "/api/v1/institutions", Some(json!({"institution": {"name": "", "number": "", "credit_code": "91350100M000100Y44"}, "username": "x"})))
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    let codes: Vec<String> = invalid.json()["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        codes,
        [
            "field.missing",
            "field.missing",
            "institution.qualification_number_required",
            "credit_code.checksum",
            "field.bad_format"
        ]
    );

    let id = resident_id(61, date(1972, 2, 2));
    let exam = admin
        .api(Method::POST, "/api/v1/exam-results", Some(json!({"resident_id": id, "name": "周评审", "items": ["DT-ZZ", "DT-AX"], "exam_date": "2026-05-01", "published_on": "2026-05-20"})))
        .await;
    assert_eq!(exam.status, StatusCode::OK, "{}", exam.body);
    let person = exam.json()["person_id"].as_i64().unwrap();

    let mut bing = server.browser();
    bing.api(
        Method::POST,
        "/api/v1/session",
        Some(json!({"username": "bing", "password": initial})),
    )
    .await;
    let must = bing
        .api(Method::GET, "/api/v1/institution/people", None)
        .await;
    assert_eq!(must.status, StatusCode::FORBIDDEN);
    assert_eq!(must.json()["code"], "password.must_change");
    let weak = bing
        .api(
            Method::PUT,
            "/api/v1/account/password",
            Some(json!({"current_password": initial, "new_password": "12345678"})),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let changed = bing
        .api(
            Method::PUT,
            "/api/v1/account/password",
            Some(json!({"current_password": initial, "new_password": "Shenhe2026q"})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.body);

    let employed = bing
        .api(
            Method::POST,
            "/api/v1/institution/people",
            Some(json!({"person_id": person, "items": ["DT-ZZ"]})),
        )
        .await;
    assert_eq!(employed.status, StatusCode::OK, "{}", employed.body);
    let fill_in = employed.json()["fill_in_password"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(employed.json()["items"][0]["state"], "invited");

    // The assessor through the API.
    let mut me = server.browser();
    let found = me
        .api(
            Method::GET,
            &format!(
                "/api/v1/self-service/search?{}",
                query(&[("name", "周评审"), ("institution", "丙鉴定评审中心")])
            ),
            None,
        )
        .await;
    assert_eq!(found.json()[0]["person_id"], person);
    let institution = found.json()[0]["institution_id"].as_i64().unwrap();
    let entry = format!("/api/v1/self-service/{person}/{institution}");
    let wrong = me
        .api(
            Method::POST,
            &format!("{entry}/unlock"),
            Some(json!({"password": "nope"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.json()["code"], "fill_in.wrong");
    let closed = me.api(Method::GET, &format!("{entry}/details"), None).await;
    assert_eq!(closed.status, StatusCode::UNAUTHORIZED);
    let opened = me
        .api(
            Method::POST,
            &format!("{entry}/unlock"),
            Some(json!({"password": fill_in})),
        )
        .await;
    assert_eq!(opened.status, StatusCode::NO_CONTENT);
    let details = me.api(Method::GET, &format!("{entry}/details"), None).await;
    let version = details.json()["version"].as_i64().unwrap();
    assert!(details.body.contains("350102********"));
    let sex = details.json()["masked_id"]
        .as_str()
        .unwrap()
        .chars()
        .nth(16)
        .map_or("男", |c| {
            if c.to_digit(10).unwrap_or(1) % 2 == 1 {
                "男"
            } else {
                "女"
            }
        });
    let bad = me
        .api(
            Method::PUT,
            &format!("{entry}/details"),
            Some(json!({"version": version, "details": {"mobile": "123", "postcode": "12"}})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = bad.json()["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["field"].as_str().unwrap())
        .collect::<Vec<_>>()
        .into_iter()
        .map(|f| if f == "mobile" { "mobile" } else { "postcode" })
        .collect();
    assert_eq!(fields, ["mobile", "postcode"]);
    let _ = sex;
    let resident = registry_core::resident_id::ResidentId::parse_canonical(&id).unwrap();
    let saved = me
        .api(
            Method::PUT,
            &format!("{entry}/details"),
            Some(json!({"version": version, "details": {
                "sex": resident.sex().label(), "education": "硕士研究生", "title": "工程师", "work_unit": "某电梯公司",
                "mobile": "13700000000", "province": "福建省", "city": "厦门市", "street": "思明南路1号", "postcode": "361000"
            }})),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(saved.json()["items"][0]["state"], "awaiting_registration");

    let registered = bing
        .api(
            Method::POST,
            &format!("/api/v1/institution/people/{person}/registrations"),
            Some(json!({"items": ["DT-ZZ"]})),
        )
        .await;
    assert_eq!(registered.status, StatusCode::OK, "{}", registered.body);
    assert!(
        registered.json()["registration_number"]
            .as_str()
            .unwrap()
            .starts_with("JP2026")
    );
    let twice = bing
        .api(
            Method::POST,
            &format!("/api/v1/institution/people/{person}/registrations"),
            Some(json!({"items": ["DT-ZZ"]})),
        )
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        twice.json()["violations"][0]["code"],
        "registration.already_registered"
    );
    let not_qualified = bing
        .api(
            Method::POST,
            "/api/v1/institution/people",
            Some(json!({"person_id": person, "items": ["GL-ZZ"]})),
        )
        .await;
    assert_eq!(
        not_qualified.json()["violations"][0]["code"],
        "registration.not_qualified"
    );

    let people = bing
        .api(
            Method::GET,
            "/api/v1/institution/people?state_filter=registered",
            None,
        )
        .await;
    assert_eq!(people.json()["total"], 1);
    let public = server
        .browser()
        .api(
            Method::GET,
            "/api/v1/public/people?by=name&q=%E5%91%A8%E8%AF%84%E5%AE%A1",
            None,
        )
        .await;
    assert_eq!(
        public.json()[0]["institutions"][0]["items"][0]["code"],
        "DT-ZZ"
    );
    assert!(!public.body.contains(&id) && !public.body.contains("13700000000"));
}
