//! Issue 6 through the web: courses and attendance (by hand, and from CSV and .xlsx
//! rosters), reversing entries, on-site assessments counted on the working-day calendar,
//! the renewal outlook with its reasons, cycle edits with their history, and the
//! registrations an institution has expiring within the renewal window.

use poem::http::StatusCode;

use crate::support::*;

const JIA: (&str, &str) = ("jia", "Tezhong2026k");

/// A person with an exam result for `items`, employed by the logged-in institution
/// (`institution` its id), their details filled in and the items registered; returns the
/// person's id and registration number.
pub(crate) async fn registered(
    server: &Server,
    b: &mut Browser<'_>,
    institution: i64,
    name: &str,
    id: &str,
    items: &[&str],
) -> (String, String) {
    let sex = registry_core::resident_id::ResidentId::parse_canonical(id)
        .unwrap()
        .sex()
        .label();
    // The cycle's first day: the full 32 hours are owed for the next cycle.
    exam_result(server, name, id, items, "2025-01-01").await;
    let (person, password) = add(b, name, id, items).await;
    fill_in(server, &person, institution, &password, sex).await;
    let fields: Vec<(&str, &str)> = items.iter().map(|i| ("items", *i)).collect();
    let done = b
        .post(&format!("/institution/people/{person}/register"), &fields)
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = b.get(&format!("/institution/people/{person}")).await;
    let number = page.between("注册号 ", "</span>").expect("registered");
    (person, number)
}

/// A course created on the association's page; returns its number.
async fn course(
    admin: &mut Browser<'_>,
    name: &str,
    dates: (&str, &str),
    hours: &str,
    items: &[&str],
) -> String {
    let mut fields = vec![
        ("name", name),
        ("start", dates.0),
        ("end", dates.1),
        ("hours", hours),
    ];
    fields.extend(items.iter().map(|i| ("items", *i)));
    let page = admin.post("/association/courses", &fields).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.between("培训班已保存，编号 ", "。").expect("saved")
}

/// The row of the renewal table for `item_name` on a page.
fn renewal_row(page: &Page, item_name: &str) -> String {
    let table = page
        .between("<th>换证（", "</table>")
        .expect("a renewal table");
    table
        .split("<tr>")
        .find(|r| r.contains(&format!("<td>{item_name}</td>")))
        .unwrap_or_else(|| panic!("no row for {item_name} in {table}"))
        .to_owned()
}

fn hours_shown(page: &Page) -> String {
    page.between("继续教育课时 <strong>", "</strong>")
        .expect("hours shown")
}

fn working_days_shown(page: &Page) -> String {
    page.between("鉴定评审工作日 <strong>", "</strong>")
        .expect("working days shown")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_hours_from_two_courses_renew_the_items_they_cover() {
    let server = Server::new().await;
    let jia_id = institution(&server, 1, "甲鉴定评审中心", JIA.0, JIA.1).await;
    let mut jia = server.browser();
    jia.login(JIA.0, JIA.1).await;
    let id = resident_id(11, date(1975, 3, 3));
    let (person, number) = registered(
        &server,
        &mut jia,
        jia_id,
        "陈评审",
        &id,
        &["RQ-ZZ", "GL-ZZ", "QP-CZ"],
    )
    .await;

    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let a = course(
        &mut admin,
        "压力容器制造继续教育",
        ("2026-05-10", "2026-05-11"),
        "16",
        &["RQ-ZZ"],
    )
    .await;
    let b = course(
        &mut admin,
        "锅炉制造继续教育",
        ("2026-06-01", "2026-06-02"),
        "16",
        &["GL-ZZ"],
    )
    .await;

    // Attendance by ID number, then by registration number.
    let first = admin
        .post(
            &format!("/association/courses/{a}/attendance"),
            &[("person", &id), ("hours", "16")],
        )
        .await;
    assert!(first.has("已为 陈评审 记录课时"), "{}", first.body);
    let half = jia.get(&format!("/institution/people/{person}")).await;
    assert_eq!(hours_shown(&half), "16");
    assert!(
        renewal_row(&half, "锅炉制造").contains("继续教育课时为16，须满32，尚差16"),
        "{}",
        renewal_row(&half, "锅炉制造")
    );
    let second = admin
        .post(
            &format!("/association/courses/{b}/attendance"),
            &[("person", &number), ("hours", "16")],
        )
        .await;
    assert!(second.has("已为 陈评审 记录课时"), "{}", second.body);

    // 32 hours covering A and B: those renew; C does not, and the page says why.
    for page in [
        jia.get(&format!("/institution/people/{person}")).await,
        admin.get(&format!("/association/people/{person}")).await,
    ] {
        assert_eq!(hours_shown(&page), "32", "{}", page.body);
        assert!(renewal_row(&page, "压力容器制造").contains("可以换证"));
        assert!(renewal_row(&page, "锅炉制造").contains("可以换证"));
        let c = renewal_row(&page, "气瓶充装");
        assert!(
            c.contains("均未覆盖“气瓶充装”") && !c.contains("可以换证"),
            "{c}"
        );
    }
    // A person who is 65 by the end of the cycle cannot renew the certificate (under 65,
    // 第二十二条), whatever their hours; registering stays possible until 70.
    let older = resident_id(12, date(1963, 6, 1));
    exam_result(&server, "晏评审", &older, &["RQ-ZZ"], "2026-05-01").await;
    let (older_person, _) = add(&mut jia, "晏评审", &older, &["RQ-ZZ"]).await;
    let page = jia
        .get(&format!("/institution/people/{older_person}"))
        .await;
    let row = renewal_row(&page, "压力容器制造");
    assert!(
        row.contains("2028-12-31 时已满65周岁，换证年龄须在65周岁以下")
            && !row.contains("可以换证"),
        "{row}"
    );
    assert!(
        renewal_row(&page, "压力容器制造").contains("未覆盖"),
        "the education rules still apply: {row}"
    );
    // The public search shows the hours.
    let public = server
        .browser()
        .get(&format!(
            "/search?{}",
            query(&[("by", "name"), ("q", "陈评审")])
        ))
        .await;
    assert!(public.has("<td>32<div class=\"muted\">"), "{}", public.body);

    // More hours than the course gives are refused, and nothing is recorded.
    let over = admin
        .post(
            &format!("/association/courses/{a}/attendance"),
            &[("person", &id), ("hours", "1")],
        )
        .await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        over.has("该培训班计16课时，已记录16课时，不能再记录1课时"),
        "{}",
        over.body
    );
    // What was typed stays, and the error stands in the form the page lands on.
    let form = over
        .between("id=\"attendance\"", "</form>")
        .expect("the attendance form");
    assert!(form.contains("不能再记录1课时"), "{form}");
    assert!(form.contains(&format!("value=\"{id}\"")), "{form}");
    assert!(form.contains("value=\"1\""), "{form}");

    // A wrong entry is corrected by a reversing entry, which stays in the history.
    let course_b = admin.get(&format!("/association/courses/{b}")).await;
    let entry = course_b
        .between("/association/attendance/", "/reverse")
        .expect("a reversible entry");
    let reversed = admin
        .post(&format!("/association/attendance/{entry}/reverse"), &[])
        .await;
    assert!(
        reversed.has("已冲销该课时记录") && reversed.has("冲销记录") && reversed.has("已冲销"),
        "{}",
        reversed.body
    );
    let again = admin
        .post(&format!("/association/attendance/{entry}/reverse"), &[])
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.has("不能再次冲销"), "{}", again.body);
    let after = jia.get(&format!("/institution/people/{person}")).await;
    assert_eq!(hours_shown(&after), "16");
    assert!(renewal_row(&after, "锅炉制造").contains("尚差16"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_site_assessments_count_working_days_on_the_calendar_and_follow_the_person() {
    let server = Server::new().await;
    let jia_id = institution(&server, 1, "甲鉴定评审中心", JIA.0, JIA.1).await;
    let yi_id = institution(&server, 2, "乙鉴定评审中心", "yijg", "Fangan2026z").await;
    let mut jia = server.browser();
    jia.login(JIA.0, JIA.1).await;
    let id = resident_id(12, date(1972, 8, 8));
    let (person, _) = registered(&server, &mut jia, jia_id, "郑评审", &id, &["RQ-ZZ"]).await;
    let path = format!("/institution/people/{person}/assessments");
    let assess = |unit: &'static str, start: &'static str, end: &'static str| {
        [
            ("applicant_unit", unit),
            ("item", "RQ-ZZ"),
            ("kind", "首次"),
            ("start", start),
            ("end", end),
        ]
    };

    // Over the 2024 National Day holiday: 27, 29 (a Sunday worked), 30 September, 8 and
    // 9 October.
    let national_day = jia
        .post(&path, &assess("某压力容器厂", "2024-09-27", "2024-10-09"))
        .await;
    assert_eq!(national_day.status, StatusCode::OK, "{}", national_day.body);
    assert!(
        national_day.has("已记录现场评审，计 5 个工作日"),
        "{}",
        national_day.body
    );
    assert_eq!(working_days_shown(&national_day), "5");
    // An overlapping assessment: 8–11 October is 4 working days, 2 of them already counted.
    let overlap = jia
        .post(&path, &assess("另一压力容器厂", "2024-10-08", "2024-10-11"))
        .await;
    assert!(overlap.has("计 4 个工作日"), "{}", overlap.body);
    assert_eq!(working_days_shown(&overlap), "7");

    // Outside the calendar's years, or backwards, or in the future: refused, nothing kept.
    let outside = jia
        .post(&path, &assess("某厂", "2012-05-02", "2012-05-04"))
        .await;
    assert_eq!(outside.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(outside.has("超出工作日历覆盖的年份"), "{}", outside.body);
    let backwards = jia
        .post(&path, &assess("某厂", "2025-05-09", "2025-05-06"))
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    let future = jia
        .post(&path, &assess("某厂", "2026-12-01", "2026-12-02"))
        .await;
    assert!(future.has("晚于今天"), "{}", future.body);
    let blank = jia
        .post(
            &path,
            &[
                ("applicant_unit", ""),
                ("item", "RQ-ZZ"),
                ("kind", ""),
                ("start", ""),
                ("end", ""),
            ],
        )
        .await;
    assert!(blank.has("“申请单位”未填写"), "{}", blank.body);
    assert_eq!(working_days_shown(&blank), "7");

    // The institution's list of what it recorded.
    let list = jia.get("/institution/assessments").await;
    assert!(
        list.has("某压力容器厂") && list.has("另一压力容器厂"),
        "{}",
        list.body
    );

    // Hours too; then the person moves to 乙: hours and working days go with them.
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let c = course(
        &mut admin,
        "压力容器继续教育",
        ("2026-03-02", "2026-03-05"),
        "24",
        &["RQ-ZZ"],
    )
    .await;
    admin
        .post(
            &format!("/association/courses/{c}/attendance"),
            &[("person", &id), ("hours", "20.5")],
        )
        .await;
    jia.post(
        &format!("/institution/people/{person}/release"),
        &[
            ("item", "RQ-ZZ"),
            ("reason", "调往乙中心"),
            ("confirm", "yes"),
        ],
    )
    .await;
    let mut yi = server.browser();
    yi.login("yijg", "Fangan2026z").await;
    let hired = yi
        .post(
            "/institution/pool/hire",
            &[("person", &person), ("item", "RQ-ZZ")],
        )
        .await;
    let password = hired.between(SECRET.0, SECRET.1).expect("hired");
    let sex = registry_core::resident_id::ResidentId::parse_canonical(&id)
        .unwrap()
        .sex()
        .label();
    fill_in(&server, &person, yi_id, &password, sex).await;
    let at_yi = yi.get(&format!("/institution/people/{person}")).await;
    assert_eq!(hours_shown(&at_yi), "20.5");
    assert_eq!(working_days_shown(&at_yi), "7");
    assert!(
        at_yi.has("某压力容器厂"),
        "the assessments recorded by 甲 stay: {}",
        at_yi.body
    );
    // 甲 no longer employs the person, so it can no longer record for them.
    let gone = jia
        .post(&path, &assess("某厂", "2025-05-06", "2025-05-09"))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.body);

    // Registered at 乙, the public search shows the hours and working days.
    yi.post(
        &format!("/institution/people/{person}/register"),
        &[("items", "RQ-ZZ")],
    )
    .await;
    let public = server
        .browser()
        .get(&format!(
            "/search?{}",
            query(&[("by", "name"), ("q", "郑评审")])
        ))
        .await;
    assert!(
        public.has("<td>20.5<div class=\"muted\">") && public.has("<td>7</td>"),
        "{}",
        public.body
    );

    // The association records too, for any person.
    let by_association = admin
        .post(
            &format!("/association/people/{person}/assessments"),
            &assess("第三压力容器厂", "2025-05-06", "2025-05-09"),
        )
        .await;
    assert!(
        by_association.has("计 4 个工作日"),
        "{}",
        by_association.body
    );
    assert_eq!(working_days_shown(&by_association), "11");
}

/// A roster as CSV text.
fn csv(rows: &[[&str; 4]]) -> Vec<u8> {
    let mut text = String::from("培训班编号,姓名,身份证号或注册号,课时\n");
    for row in rows {
        text.push_str(&row.join(","));
        text.push('\n');
    }
    text.into_bytes()
}

/// The report row for `line`.
/// The report's rows of one line of the file (one row per problem), together.
fn report_row(page: &Page, line: usize) -> String {
    let rows: Vec<&str> = page
        .body
        .split("<tr>")
        .filter(|r| r.starts_with(&format!("<td>{line}</td>")))
        .collect();
    assert!(!rows.is_empty(), "no report row {line}: {}", page.body);
    rows.join("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_roster_with_bad_rows_imports_nothing_and_reports_every_bad_row() {
    let server = Server::new().await;
    let jia_id = institution(&server, 1, "甲鉴定评审中心", JIA.0, JIA.1).await;
    let mut jia = server.browser();
    jia.login(JIA.0, JIA.1).await;
    let registered_id = resident_id(21, date(1970, 1, 1));
    let (person, number) = registered(
        &server,
        &mut jia,
        jia_id,
        "卫评审",
        &registered_id,
        &["RQ-ZZ"],
    )
    .await;
    // A certificate holder with no registration: credited hours, not in the public search.
    let holder_id = resident_id(22, date(1980, 2, 2));
    exam_result(&server, "蒋评审", &holder_id, &["RQ-ZZ"], "2026-04-01").await;

    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let c = course(
        &mut admin,
        "压力容器继续教育",
        ("2026-05-10", "2026-05-13"),
        "16",
        &["RQ-ZZ"],
    )
    .await;
    let mut bad_check = holder_id.clone();
    let last = if bad_check.ends_with('1') { "2" } else { "1" };
    bad_check.replace_range(17.., last);
    let unknown_number = registry_core::registration_number::RegistrationNumber::new(2026, 99_999)
        .unwrap()
        .to_string();
    let roster = csv(&[
        [&c, "卫评审", &number, "16"],
        [&c, "蒋评审", &holder_id, "8"],
        [&c, "某甲", &bad_check, "8"],
        [&c, "某乙", &unknown_number, "8"],
        ["999", "卫评审", &registered_id, "8"],
        [&c, "蒋评审", &holder_id, "20"],
        [&c, "蒋评审", &holder_id, "8"],
    ]);
    let refused = admin
        .upload(
            "/association/exchange/import",
            &[("file", "名单.csv", &roster)],
            &[("kind", "attendance"), ("mode", "all")],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.has("共7行，新增2行，已有0行，有误5行；未写入任何数据"),
        "{}",
        refused.body
    );
    // Only the bad rows are listed, each with its reason.
    assert!(!refused.body.contains("<tr><td>2</td>") && !refused.body.contains("<tr><td>3</td>"));
    assert!(
        report_row(&refused, 4).contains("校验码"),
        "{}",
        report_row(&refused, 4)
    );
    assert!(
        report_row(&refused, 5).contains(&format!("未找到注册号 {unknown_number}对应的人员")),
        "{}",
        report_row(&refused, 5)
    );
    assert!(
        report_row(&refused, 6).contains("培训班编号“999”不存在"),
        "{}",
        report_row(&refused, 6)
    );
    assert!(
        report_row(&refused, 7).contains("该培训班计16课时"),
        "{}",
        report_row(&refused, 7)
    );
    assert!(
        report_row(&refused, 8).contains("与第3行重复"),
        "{}",
        report_row(&refused, 8)
    );
    // Nothing was written.
    let list = admin.get(&format!("/association/courses/{c}")).await;
    assert!(list.has("尚无课时记录"), "{}", list.body);

    // The good rows only, when asked.
    let good = admin
        .upload(
            "/association/exchange/import",
            &[("file", "名单.csv", &roster)],
            &[("kind", "attendance"), ("mode", "good")],
        )
        .await;
    assert!(
        good.has("共7行，新增2行，已有0行，有误5行；已写入"),
        "{}",
        good.body
    );
    // Re-importing the same roster changes nothing.
    let again = admin
        .upload(
            "/association/exchange/import",
            &[("file", "名单.csv", &roster)],
            &[("kind", "attendance"), ("mode", "good")],
        )
        .await;
    assert!(
        again.has("共7行，新增0行，已有2行，有误5行"),
        "{}",
        again.body
    );
    let entries = admin.get(&format!("/association/courses/{c}")).await;
    assert_eq!(
        entries.body.matches("<td>2026-11-26</td>").count(),
        2,
        "{}",
        entries.body
    );

    // An Excel roster.
    let c2 = course(
        &mut admin,
        "压力容器继续教育（二）",
        ("2026-06-10", "2026-06-12"),
        "12",
        &["RQ-ZZ"],
    )
    .await;
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, head) in ["姓名", "身份证号或注册号", "培训班编号", "课时"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, col as u16, *head).unwrap();
    }
    sheet.write_string(1, 0, "蒋评审").unwrap();
    sheet.write_string(1, 1, &holder_id).unwrap();
    sheet
        .write_number(1, 2, c2.parse::<f64>().unwrap())
        .unwrap();
    sheet.write_number(1, 3, 12.0).unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let xlsx = admin
        .upload(
            "/association/exchange/import",
            &[("file", "roster.xlsx", &bytes)],
            &[("kind", "attendance")],
        )
        .await;
    assert_eq!(xlsx.status, StatusCode::OK, "{}", xlsx.body);
    assert!(
        xlsx.has("共1行，新增1行，已有0行，有误0行；已写入"),
        "{}",
        xlsx.body
    );

    // The certificate holder has 20 hours, but does not appear in the public search.
    let public = server
        .browser()
        .get(&format!(
            "/search?{}",
            query(&[("by", "name"), ("q", "蒋评审")])
        ))
        .await;
    assert!(
        public.has("未查询到注册成功的人员") && !public.has("蒋评审</td>"),
        "{}",
        public.body
    );
    let holders = admin
        .get(&format!(
            "/association/people?{}",
            query(&[("by", "name"), ("q", "蒋评审")])
        ))
        .await;
    let holder = holders
        .between("/association/people/", "\"")
        .expect("the association finds the holder");
    let file = admin.get(&format!("/association/people/{holder}")).await;
    assert_eq!(hours_shown(&file), "20");
    let registered_file = jia.get(&format!("/institution/people/{person}")).await;
    assert_eq!(hours_shown(&registered_file), "16");

    // Not a roster at all.
    let junk = admin
        .upload(
            "/association/exchange/import",
            &[("file", "名单.csv", "a,b\n1,2\n".as_bytes())],
            &[("kind", "attendance")],
        )
        .await;
    assert_eq!(junk.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(junk.has("表头应包含以下列"), "{}", junk.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cycle_policies_are_edited_with_their_history() {
    let server = Server::new().await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let list = admin.get("/association/cycles").await;
    let id = list
        .between("/association/cycles/", "\"")
        .expect("a link to the cycle");
    let path = format!("/association/cycles/{id}");
    let form = admin.get(&path).await;
    assert!(
        form.has("value=\"32\"") && form.has("设置注册周期") && !form.has("修改注册周期"),
        "{}",
        form.body
    );
    let fields = |hours: &'static str| {
        [
            ("name", "2025—2028"),
            ("start", "2025-01-01"),
            ("end", "2028-12-31"),
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
    };
    let bad = admin.post(&path, &fields("许多")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.has("“继续教育课时要求”格式不正确：应为数字") && !bad.has("修改注册周期"),
        "{}",
        bad.body
    );
    let saved = admin.post(&path, &fields("40")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let list = admin.get("/association/cycles").await;
    assert!(list.has("<td>40</td>"), "{}", list.body);
    let history = admin.get(&path).await;
    assert!(history.has("修改注册周期"), "{}", history.body);
    let row = history.between("修改注册周期", "</tr>").unwrap();
    assert!(row.contains("应修学时：32 → 40"), "{row}");
    // In words only: no code of an action or a field is shown in the history.
    let table = history
        .between("每次修改都记入操作日志", "</table>")
        .unwrap();
    for code in [
        "cycle.update",
        "cycle.create",
        "hours_required",
        "association:",
    ] {
        assert!(!table.contains(code), "{code}: {table}");
    }
    assert!(table.contains("促进会（admin）"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_institution_sees_what_expires_within_three_months() {
    let server = Server::new().await;
    let jia_id = institution(&server, 1, "甲鉴定评审中心", JIA.0, JIA.1).await;
    let mut jia = server.browser();
    jia.login(JIA.0, JIA.1).await;
    // 69 today; 70 on 2027-01-20, so the registration ends the day before.
    let old = resident_id(31, date(1957, 1, 20));
    let sex = registry_core::resident_id::ResidentId::parse_canonical(&old)
        .unwrap()
        .sex()
        .label();
    // Qualified in 2020, before the register's cycles (a certificate without an end): with
    // the default policy a certificate renewed under 65 never reaches a 70th birthday.
    exam_result(&server, "秦评审", &old, &["RQ-ZZ"], "2020-06-01").await;
    let (person, password) = add(&mut jia, "秦评审", &old, &["RQ-ZZ"]).await;
    fill_in(&server, &person, jia_id, &password, sex).await;
    jia.post(
        &format!("/institution/people/{person}/register"),
        &[("items", "RQ-ZZ")],
    )
    .await;
    registered(
        &server,
        &mut jia,
        jia_id,
        "尤评审",
        &resident_id(32, date(1980, 5, 5)),
        &["RQ-ZZ"],
    )
    .await;

    let page = jia.get("/institution/expiring").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has("2026-11-26 至 2027-02-26"), "{}", page.body);
    let row = page
        .between("<td class=\"name\">秦评审</td>", "</tr>")
        .expect("the expiring registration");
    assert!(row.contains("2027-01-19"), "{row}");
    assert!(
        row.contains("2027-01-20 时已满70周岁，注册年龄须在70周岁以下"),
        "{row}"
    );
    assert!(!page.has("尤评审"), "{}", page.body);

    // After its end the registration is no longer active.
    server.clock.advance(time::Duration::days(60));
    let mut jia = server.browser();
    jia.login(JIA.0, JIA.1).await;
    let later = jia.get("/institution").await;
    let row = later.between("秦评审", "</tr>").expect("still listed");
    assert!(row.contains("data-state=\"expired\""), "{row}");
    assert!(
        jia.get("/institution/expiring")
            .await
            .has("此期间没有到期的注册")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_association_renews_a_certificate_for_the_next_cycle() {
    let server = Server::new().await;
    let jia_id = institution(&server, 1, "甲鉴定评审中心", JIA.0, JIA.1).await;
    let mut jia = server.browser();
    jia.login(JIA.0, JIA.1).await;
    let id = resident_id(13, date(1975, 3, 3));
    let (person, _) = registered(
        &server,
        &mut jia,
        jia_id,
        "伍评审",
        &id,
        &["RQ-ZZ", "GL-ZZ"],
    )
    .await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let c = course(
        &mut admin,
        "压力容器制造继续教育",
        ("2026-05-10", "2026-05-13"),
        "32",
        &["RQ-ZZ"],
    )
    .await;
    admin
        .post(
            &format!("/association/courses/{c}/attendance"),
            &[("person", &id), ("hours", "32")],
        )
        .await;
    let path = format!("/association/people/{person}/renew-certificate");
    let early = admin.post(&path, &[]).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        early.has("资格证书有效期至 2028-12-31，2028-10-01 起方可换证"),
        "{}",
        early.body
    );
    admin
        .post(
            "/association/cycles",
            &[
                ("name", "2029—2032"),
                ("start", "2029-01-01"),
                ("end", "2032-12-31"),
                ("hours", "32"),
            ],
        )
        .await;
    // 2028-11-01, in the renewal window.
    server.clock.advance(time::Duration::days(706));
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let renewed = admin.post(&path, &[]).await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.body);
    assert!(
        renewed.has("已换证：新资格证书列出 压力容器制造，有效期至 2032-12-31")
            && renewed.has("未列入（本周期参加的培训班未覆盖）：锅炉制造"),
        "{}",
        renewed.body
    );
    assert!(
        renewed.has("生成证件"),
        "in the audit log: {}",
        renewed.body
    );
}

/// 人员档案 through the API: the person found by ID number (in a body), their file, an
/// assessment recorded by the association, 换证 refused before the window with its reason
/// and made in it, as the page does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_association_keeps_a_persons_file_through_the_api() {
    use poem::http::Method;
    use serde_json::json;
    let server = Server::new().await;
    let jia_id = institution(&server, 1, "甲鉴定评审中心", JIA.0, JIA.1).await;
    let mut jia = server.browser();
    jia.login(JIA.0, JIA.1).await;
    let id = resident_id(14, date(1975, 4, 4));
    let (person, number) = registered(
        &server,
        &mut jia,
        jia_id,
        "陆评审",
        &id,
        &["RQ-ZZ", "GL-ZZ"],
    )
    .await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;

    let found = admin
        .api(
            Method::POST,
            "/api/v1/association/people/search",
            Some(json!({"by": "id", "q": id})),
        )
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert_eq!(found.json()[0]["id"].to_string(), person.to_string());
    assert!(!found.body.contains(&id), "only masked: {}", found.body);
    let listed = admin
        .api(
            Method::GET,
            "/api/v1/association/people?registered=true",
            None,
        )
        .await
        .json();
    assert_eq!(listed["total"], 1, "{listed}");

    let file = admin
        .api(
            Method::GET,
            &format!("/api/v1/association/people/{person}"),
            None,
        )
        .await;
    assert_eq!(file.status, StatusCode::OK, "{}", file.body);
    let file = file.json();
    assert_eq!(file["name"], "陆评审");
    assert_eq!(file["registration_number"], number.as_str());
    assert_eq!(file["qualifications"].as_array().unwrap().len(), 2);
    assert!(
        file["holdings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["state"] == "registered" && h["institution"] == "甲鉴定评审中心"),
        "{file}"
    );
    assert_eq!(file["registrations"].as_array().unwrap().len(), 2);

    let assessed = admin
        .api(
            Method::POST,
            &format!("/api/v1/association/people/{person}/assessments"),
            Some(
                json!({"applicant_unit": "某锅炉厂", "item": "GL-ZZ", "kind": "re_review",
                "start": "2026-09-28", "end": "2026-10-09"}),
            ),
        )
        .await;
    assert_eq!(assessed.status, StatusCode::OK, "{}", assessed.body);
    // On China's calendar: 28–30 September and 8–9 October; the National Day holiday
    // (1–7 October) is not counted.
    assert_eq!(assessed.json()["working_days"], 5, "{}", assessed.body);

    let c = course(
        &mut admin,
        "压力容器制造继续教育",
        ("2026-05-10", "2026-05-13"),
        "32",
        &["RQ-ZZ"],
    )
    .await;
    admin
        .post(
            &format!("/association/courses/{c}/attendance"),
            &[("person", &id), ("hours", "32")],
        )
        .await;
    let path = format!("/api/v1/association/people/{person}/certificate-renewal");
    let early = admin.api(Method::POST, &path, None).await;
    assert_eq!(
        early.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        early.body
    );
    assert!(
        early.body.contains("2028-10-01 起方可换证"),
        "{}",
        early.body
    );
    admin
        .post(
            "/association/cycles",
            &[
                ("name", "2029—2032"),
                ("start", "2029-01-01"),
                ("end", "2032-12-31"),
                ("hours", "32"),
            ],
        )
        .await;
    server.clock.advance(time::Duration::days(706));
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let renewed = admin.api(Method::POST, &path, None).await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.body);
    let renewed = renewed.json();
    assert_eq!(renewed["items"], json!(["RQ-ZZ"]));
    assert_eq!(renewed["dropped"], json!(["GL-ZZ"]));
    assert_eq!(renewed["valid_until"], "2032-12-31");
    let mut auditor = server
        .administrator(registry_core::access::Duty::Audit, "shenji")
        .await;
    let log = auditor.get("/association/audit").await;
    assert!(log.has("生成证件"), "{}", log.body);
}

/// The same through the API: a course added, hours recorded for a person named by ID
/// number and by registration number, listed, reversed; the page's refusals with their
/// codes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn courses_and_attendance_through_the_api() {
    use poem::http::Method;
    use serde_json::json;
    let server = Server::new().await;
    let id = resident_id(611, date(1976, 2, 3));
    exam_result(&server, "韩评审", &id, &["RQ-ZZ"], "2026-04-01").await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let refused = admin
        .api(
            Method::POST,
            "/api/v1/association/courses",
            Some(json!({"name": "", "start": "2026-05-02", "end": "2026-05-01", "items": ["XX-00"], "hours": "0"})),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    let codes: Vec<String> = refused.json()["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["code"].as_str().unwrap().to_owned())
        .collect();
    assert!(codes.len() >= 3, "every problem at once: {codes:?}");
    let created = admin
        .api(
            Method::POST,
            "/api/v1/association/courses",
            Some(json!({"name": "压力容器制造培训班", "start": "2026-05-01", "end": "2026-05-03", "items": ["RQ-ZZ"], "hours": "16"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let course = created.json()["id"].as_i64().unwrap();
    let listed = admin
        .api(Method::GET, "/api/v1/association/courses", None)
        .await;
    assert!(
        listed.has("压力容器制造培训班") && listed.has("\"hours\":\"16\""),
        "{}",
        listed.body
    );
    let path = format!("/api/v1/association/courses/{course}/attendance");
    let first = admin
        .api(
            Method::POST,
            &path,
            Some(json!({"person": id, "hours": "8"})),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let entry = first.json()["id"].as_i64().unwrap();
    // Beyond what the course counts: refused by the rule, with its code.
    let over = admin
        .api(
            Method::POST,
            &path,
            Some(json!({"person": id, "hours": "9"})),
        )
        .await;
    assert_eq!(
        over.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        over.body
    );
    let nobody = admin
        .api(
            Method::POST,
            &path,
            Some(json!({"person": resident_id(612, date(1976, 2, 3)), "hours": "1"})),
        )
        .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND, "{}", nobody.body);
    assert_eq!(nobody.json()["code"], "not_found.person");
    let list = admin.api(Method::GET, &path, None).await;
    let rows = list.json();
    assert_eq!(rows.as_array().unwrap().len(), 1, "{}", list.body);
    assert_eq!(rows[0]["name"], "韩评审");
    assert!(!rows[0]["masked_id"].as_str().unwrap().contains(&id[6..14]));
    let reversal = admin
        .api(
            Method::POST,
            &format!("/api/v1/association/attendance/{entry}/reversal"),
            None,
        )
        .await;
    assert_eq!(reversal.status, StatusCode::OK, "{}", reversal.body);
    let again = admin
        .api(
            Method::POST,
            &format!("/api/v1/association/attendance/{entry}/reversal"),
            None,
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        again.body
    );
    let after = admin.api(Method::GET, &path, None).await.json();
    assert_eq!(after.as_array().unwrap().len(), 2);
    assert!(
        after
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["reversed"] == true)
    );
    assert!(after.as_array().unwrap().iter().any(|r| r["hours"] == "-8"));
}

/// An institution's own system records an on-site assessment through the API: its working
/// days on the calendar (the 2024 National Day holiday: 5), the page's refusals, another
/// institution's person not found, the list of what it recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_institution_records_an_assessment_through_the_api() {
    use poem::http::Method;
    use serde_json::json;
    let server = Server::new().await;
    let jia_id = institution(&server, 1, "甲鉴定评审中心", JIA.0, JIA.1).await;
    institution(&server, 2, "乙鉴定评审中心", "yijg", "Fangan2026z").await;
    let mut jia = server.browser();
    jia.login(JIA.0, JIA.1).await;
    let id = resident_id(13, date(1972, 8, 8));
    let (person, _) = registered(&server, &mut jia, jia_id, "冯评审", &id, &["RQ-ZZ"]).await;
    let path = format!("/api/v1/institution/people/{person}/assessments");
    let recorded = jia
        .api(
            Method::POST,
            &path,
            Some(json!({"applicant_unit": "某压力容器厂", "item": "RQ-ZZ", "kind": "initial", "start": "2024-09-27", "end": "2024-10-09"})),
        )
        .await;
    assert_eq!(recorded.status, StatusCode::OK, "{}", recorded.body);
    assert_eq!(recorded.json()["working_days"], 5);
    let refused = jia
        .api(
            Method::POST,
            &path,
            Some(json!({"applicant_unit": "", "item": "RQ-ZZ", "kind": "initial", "start": "2024-10-09", "end": "2024-09-27"})),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(refused.json()["violations"].as_array().unwrap().len() >= 2);
    let mut yi = server.browser();
    yi.login("yijg", "Fangan2026z").await;
    let elsewhere = yi
        .api(
            Method::POST,
            &path,
            Some(json!({"applicant_unit": "某厂", "item": "RQ-ZZ", "kind": "initial", "start": "2024-09-27", "end": "2024-09-27"})),
        )
        .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::NOT_FOUND,
        "{}",
        elsewhere.body
    );
    let list = jia
        .api(Method::GET, "/api/v1/institution/assessments", None)
        .await;
    let page = list.json();
    assert_eq!(page["total"], 1, "{}", list.body);
    assert_eq!(page["assessments"][0]["name"], "冯评审");
    assert_eq!(page["assessments"][0]["working_days"], 5);
    assert_eq!(
        yi.api(Method::GET, "/api/v1/institution/assessments", None)
            .await
            .json()["total"],
        0
    );
}
