//! 评审组核验: a licensing authority verifies a review team of 100 in one request — held
//! on the review date or why not, with the working days so far — and the public page
//! answers the same.

use poem::http::{Method, StatusCode};
use registry_core::ids::PersonId;
use registry_core::ports::{Register, RegisterTx};
use serde_json::json;

use crate::education::registered;
use crate::support::*;

const JIA: (&str, &str) = ("jia", "Tezhong2026k");

/// The verification code of a person's first document.
async fn code_of(server: &Server, person: &str) -> String {
    let mut tx = server.store.begin().await.unwrap();
    let documents = tx
        .documents_of(PersonId::new(person.parse().unwrap()))
        .await
        .unwrap();
    documents
        .iter()
        .find(|d| d.details.institution.is_some())
        .expect("a registration card")
        .details
        .code
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authority_verifies_a_review_team_of_100_in_one_request() {
    let server = Server::new().await;
    let jia_id = institution(&server, 1, "甲鉴定评审中心", JIA.0, JIA.1).await;
    let mut jia = server.browser();
    jia.login(JIA.0, JIA.1).await;
    let (shen, shen_number) = registered(
        &server,
        &mut jia,
        jia_id,
        "沈评审",
        &resident_id(41, date(1968, 2, 2)),
        &["RQ-ZZ"],
    )
    .await;
    let (han, _) = registered(
        &server,
        &mut jia,
        jia_id,
        "韩评审",
        &resident_id(42, date(1969, 3, 3)),
        &["GL-ZZ"],
    )
    .await;
    // Three working days of on-site assessment this week (Monday to Wednesday).
    let recorded = jia
        .api(
            Method::POST,
            &format!("/api/v1/institution/people/{shen}/assessments"),
            Some(
                json!({"applicant_unit": "某锅炉厂", "item": "RQ-ZZ", "kind": "initial",
                "start": "2026-11-23", "end": "2026-11-25"}),
            ),
        )
        .await;
    assert_eq!(recorded.status, StatusCode::OK, "{}", recorded.body);
    let shen_code = code_of(&server, &shen).await;
    let han_code = code_of(&server, &han).await;
    let mut members = vec![
        json!({"id": shen_code}),
        json!({"id": han_code}),
        json!({"id": shen_number, "item": "RQ-ZZ"}),
        json!({"id": shen_number, "item": "GL-ZZ"}),
        json!({"id": "ABCDE23456"}),
        json!({"id": "not a code"}),
    ];
    while members.len() < 100 {
        members.push(json!({"id": han_code}));
    }
    let mut authority = server.browser();
    let answer = authority
        .api(
            Method::POST,
            "/api/v1/public/verifications",
            Some(json!({"review_date": "2026-11-26", "members": members})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let team = answer.json();
    let members = team["members"].as_array().unwrap();
    assert_eq!(members.len(), 100);
    assert_eq!(members[0]["outcome"], "found");
    assert_eq!(members[0]["name"], "沈评审");
    assert_eq!(members[0]["held"], true);
    assert_eq!(members[0]["items"][0]["institution"], "甲鉴定评审中心");
    assert_eq!(members[0]["working_days"], 3, "{}", members[0]);
    assert_eq!(members[1]["held"], true);
    assert_eq!(members[2]["held"], true);
    // An item the person never held.
    assert_eq!(members[3]["held"], false);
    assert_eq!(members[3]["items"][0]["why_code"], "never_registered");
    assert_eq!(members[4]["outcome"], "unknown");
    assert_eq!(members[5]["outcome"], "malformed");
    assert_eq!(team["held"], 97);
    // Nothing sensitive.
    assert!(!answer.body.contains("resident"), "{}", answer.body);
    // The day before the registration: not yet held; the working days up to that day.
    let before = authority
        .api(
            Method::POST,
            "/api/v1/public/verifications",
            Some(json!({"review_date": "2026-11-24", "members": [{"id": shen_code}]})),
        )
        .await
        .json();
    let member = &before["members"][0];
    assert_eq!(member["held"], false, "{member}");
    assert_eq!(member["items"][0]["why_code"], "not_yet_registered");
    assert_eq!(member["working_days"], 2);
    // 101 members: refused by the document's own limit, with the API's error shape.
    let too_many: Vec<_> = (0..101).map(|_| json!({"id": han_code})).collect();
    let refused = authority
        .api(
            Method::POST,
            "/api/v1/public/verifications",
            Some(json!({"review_date": "2026-11-26", "members": too_many})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert_eq!(
        refused.json()["code"],
        "request.invalid",
        "{}",
        refused.body
    );

    // The page: the same answers.
    let mut public = server.browser();
    let form = public.get("/verify-team").await;
    assert_eq!(form.status, StatusCode::OK);
    let page = public
        .post(
            "/verify-team",
            &[
                ("review_date", "2026-11-26"),
                (
                    "members",
                    &format!("{shen_code}\n{shen_number} GL-ZZ\nXYZ\n"),
                ),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.has("3 人中 1 人"), "{}", page.body);
    assert!(page.has("沈评审") && page.has("该日未注册该评审项目") && page.has("格式有误"));
}

/// What the OpenAPI document refuses keeps the API's error shape: a missing parameter, a
/// body that is not JSON, a content type the operation does not take.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_the_document_refuses_answer_the_apis_error_shape() {
    let server = Server::new().await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let missing = admin
        .api(Method::GET, "/api/v1/association/documents", None)
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    let body = missing.json();
    assert_eq!(body["code"], "request.invalid", "{}", missing.body);
    assert_eq!(body["violations"][0]["field"], "kind");
    assert!(body["message"].as_str().unwrap().contains("参数“kind”"));
    let not_json = admin
        .api_text(Method::POST, "/api/v1/association/courses", "{not json")
        .await;
    assert_eq!(
        not_json.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}",
        not_json.body
    );
    assert_eq!(not_json.json()["code"], "request.content_type");
    let broken = admin
        .api_binary(Method::POST, "/api/v1/public/verifications", b"{not json")
        .await;
    assert!(broken.status.is_client_error());
    let mut public = server.browser();
    let bad_body = public
        .send_json(
            Method::POST,
            "/api/v1/public/verifications",
            "{\"review_date\": 5}",
        )
        .await;
    assert_eq!(bad_body.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad_body.json()["code"],
        "request.invalid",
        "{}",
        bad_body.body
    );
}
