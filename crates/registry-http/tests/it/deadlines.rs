//! Deadlines past the loaded working-day calendar, through the web: a certificate and a
//! card due in 2027 while only 2013–2026 is loaded are shown as estimates (预计, with
//! why), are still judged overdue on the estimate, and become the official day the
//! moment the association loads 2027 on its 工作日历 page; the workspace home warns from
//! 1 October until then.

use poem::http::StatusCode;

use crate::support::*;

const JIA: (&str, &str) = ("jia", "Tezhong2026k");

/// The row of a list that names `who`.
fn row_of(page: &Page, who: &str) -> String {
    page.body
        .split("<tr>")
        .find(|r| r.contains(who))
        .unwrap_or_else(|| panic!("no row for {who}: {}", page.body))
        .to_owned()
}

const NOTE: &str = "2027 年工作日历尚未载入，按法定节假日估算";

/// 2027 as the State Council might publish it: New Year's Day off, and Saturday
/// 9 January worked (made up for the Spring Festival).
const YEAR_2027: &str = "date,kind,name\n2027-01-01,holiday,元旦\n2027-01-09,workday,春节\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadlines_in_a_year_not_loaded_are_estimates_until_it_is_loaded() {
    let server = Server::new().await;
    // 2026-12-15: 20 working days later is in 2027 (12 in December, then 1 January off
    // by the law, then 4–13 January).
    server.clock.advance(time::Duration::days(19));
    let jia_id = institution(&server, 1, "甲鉴定评审中心", JIA.0, JIA.1).await;
    let id = resident_id(71, date(1975, 5, 5));
    exam_result(&server, "年评审", &id, &["RQ-ZZ"], "2026-12-15").await;
    let mut jia = server.browser();
    jia.login(JIA.0, JIA.1).await;
    let (person, password) = add(&mut jia, "年评审", &id, &["RQ-ZZ"]).await;
    let sex = registry_core::resident_id::ResidentId::parse_canonical(&id)
        .unwrap()
        .sex()
        .label();
    fill_in(&server, &person, jia_id, &password, sex).await;
    let registered = jia
        .post(
            &format!("/institution/people/{person}/register"),
            &[("items", "RQ-ZZ")],
        )
        .await;
    assert!(registered.status.is_success() || registered.status.is_redirection());

    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;

    // The home page warns (it is after 1 October and 2027 is not loaded), with the way to
    // the calendar.
    let home = admin.get("/association").await;
    assert!(
        home.has(
            "2027 年工作日历尚未载入：请于 1 月 1 日前在“工作日历”载入国务院办公厅公布的放假安排；\
             在此之前，跨年的期限按法定节假日估算。"
        ),
        "{}",
        home.body
    );
    assert!(
        home.has("<a href=\"/association/calendar\">前往工作日历</a>"),
        "{}",
        home.body
    );

    // The certificate, the card and the institution's view of both: estimates, said so.
    let certificates = admin.get("/association/certificates").await;
    let row = row_of(&certificates, "年评审");
    assert!(row.contains("预计应于 2027-01-13 前发放"), "{row}");
    assert!(row.contains(NOTE), "{row}");
    assert!(!row.contains("已逾期"), "{row}");
    let cards = admin.get("/association/cards").await;
    let row = row_of(&cards, "年评审");
    assert!(row.contains("预计应于 2027-01-13 前发放"), "{row}");
    assert!(row.contains(NOTE), "{row}");
    // The card and the certificate, each in its list.
    for kind in ["cards", "certificates"] {
        let own = jia
            .get(&format!("/institution/documents?kind={kind}"))
            .await;
        assert_eq!(own.status, StatusCode::OK);
        assert_eq!(
            own.body.matches("预计应于 2027-01-13 前发放").count(),
            1,
            "{kind}: {}",
            own.body
        );
    }
    // The calendar page names the years that are estimated.
    let calendar = admin.get("/association/calendar").await;
    assert!(
        calendar.has("尚未载入的 2027、2028 年"),
        "{}",
        calendar.body
    );

    // On 14 January 2027 the estimate is past: overdue, still as an estimate. The
    // calendar has ended, and the warning says so.
    server.clock.advance(time::Duration::days(30));
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let home = admin.get("/association").await;
    assert!(
        home.has("2027 年工作日历尚未载入：请尽快在“工作日历”载入"),
        "{}",
        home.body
    );
    let certificates = admin.get("/association/certificates").await;
    let row = row_of(&certificates, "年评审");
    assert!(
        row.contains("预计应于 2027-01-13 前发放（已逾期）") && row.contains(NOTE),
        "{row}"
    );
    assert!(
        certificates.has("待发放 1 份，其中逾期 1 份"),
        "{}",
        certificates.body
    );

    // The association loads 2027: every list shows the official day at once, without 预计.
    let loaded = admin
        .upload(
            "/association/calendar",
            &[("file", "2027.csv", YEAR_2027.as_bytes())],
            &[],
        )
        .await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    assert!(loaded.has("日历现覆盖 2013—2027 年"), "{}", loaded.body);
    assert!(loaded.has("尚未载入的 2028、2029 年"), "{}", loaded.body);
    let certificates = admin.get("/association/certificates").await;
    let row = row_of(&certificates, "年评审");
    assert!(row.contains("应于 2027-01-12 前发放（已逾期）"), "{row}");
    assert!(!row.contains("预计") && !row.contains(NOTE), "{row}");
    let cards = admin.get("/association/cards").await;
    let row = row_of(&cards, "年评审");
    assert!(
        row.contains("应于 2027-01-12 前发放") && !row.contains("预计"),
        "{row}"
    );
    let mut jia = server.browser();
    jia.login(JIA.0, JIA.1).await;
    for kind in ["cards", "certificates"] {
        let own = jia
            .get(&format!("/institution/documents?kind={kind}"))
            .await;
        assert!(!own.has("预计"), "{}", own.body);
        assert_eq!(
            own.body.matches("应于 2027-01-12 前发放").count(),
            1,
            "{kind}: {}",
            own.body
        );
    }
    // And the warning is gone.
    let home = admin.get("/association").await;
    assert!(!home.has("工作日历尚未载入"), "{}", home.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_home_page_warns_from_the_first_of_october_only() {
    let server = Server::new().await;
    // Back to 30 September 2026: 2027 is not expected yet.
    server.clock.advance(-time::Duration::days(57));
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let home = admin.get("/association").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(!home.has("工作日历尚未载入"), "{}", home.body);
    // 1 October: it is.
    server.clock.advance(time::Duration::days(1));
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let home = admin.get("/association").await;
    assert!(home.has("2027 年工作日历尚未载入"), "{}", home.body);
}

/// The calendar through the API: the years covered and the warning; a file with a bad
/// line refused with the line's problem and nothing loaded; 2027 loaded, the warning gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_calendar_through_the_api() {
    use poem::http::Method;
    let server = Server::new().await;
    server.clock.advance(time::Duration::days(19));
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let before = admin
        .api(Method::GET, "/api/v1/association/calendar", None)
        .await
        .json();
    assert_eq!(before["years"][0]["year"], 2026);
    // As `registry workdays 2026-01-01 2026-12-31` counts.
    assert_eq!(before["years"][0]["working_days"], 248);
    assert!(
        before["warning"]
            .as_str()
            .unwrap()
            .contains("2027 年工作日历尚未载入")
    );
    assert_eq!(before["estimated"][0], 2027);
    let bad = admin
        .api_text(
            Method::PUT,
            "/api/v1/association/calendar",
            "date,kind,name\n2027-01-01,holiday,元旦\n2027-02-30,holiday,春节\n",
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.has("第3行"), "{}", bad.body);
    let loaded = admin
        .api_text(Method::PUT, "/api/v1/association/calendar", YEAR_2027)
        .await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    let done = loaded.json();
    assert_eq!(
        (done["first"].clone(), done["covered_to"].clone()),
        (2027.into(), 2027.into())
    );
    let after = admin
        .api(Method::GET, "/api/v1/association/calendar", None)
        .await
        .json();
    assert_eq!(after["years"][0]["year"], 2027);
    assert!(after["warning"].is_null(), "{after}");
}
