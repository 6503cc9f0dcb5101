//! 促进会工作台 (issue 19): each figure equals a count the test makes itself from what it
//! built, and each leads to the list behind it; the charts are SVG carrying their numbers.

use poem::http::StatusCode;

use crate::support::*;

/// Every chart of the page, parsed as XML: each is well-formed, and each bar's number
/// (`label：value` in its title) is a row of the chart's data table. Returns how many.
fn charts_parse_and_carry_their_numbers(page: &Page) -> usize {
    use quick_xml::events::Event;
    let mut n = 0;
    for chunk in page.body.split("<svg class=\"chart\"").skip(1) {
        let svg = format!(
            "<svg class=\"chart\"{}</svg>",
            chunk.split("</svg>").next().unwrap()
        );
        let mut reader = quick_xml::Reader::from_str(&svg);
        let mut depth = 0i32;
        let mut titles = Vec::new();
        let mut in_title = false;
        loop {
            match reader.read_event() {
                Ok(Event::Start(e)) => {
                    depth += 1;
                    in_title = e.name().as_ref() == "title";
                }
                Ok(Event::End(_)) => {
                    depth -= 1;
                    in_title = false;
                }
                Ok(Event::Text(t)) if in_title => {
                    titles.push(t.into_inner().into_owned());
                }
                Ok(Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("a chart is not well-formed XML: {e}\n{svg}"),
            }
        }
        assert_eq!(depth, 0, "unclosed elements in {svg}");
        // The chart's own data table, in the same panel.
        let panel = chunk
            .split("</svg>")
            .nth(1)
            .unwrap()
            .split("</section>")
            .next()
            .unwrap();
        let table = panel
            .contains("数据表")
            .then(|| panel.split("<tbody>").nth(1).unwrap());
        // The first title names the chart; the others are its bars'.
        assert!(titles.len() > 1, "a chart without bars: {svg}");
        for title in titles.iter().skip(1).filter(|t| !t.contains("其中")) {
            let (label, value) = title.split_once('：').unwrap();
            if let Some(table) = table {
                assert!(
                    table.contains(&format!("<td>{label}</td><td>{value}</td>")),
                    "{label}: {value} is not in the chart's table"
                );
            }
        }
        n += 1;
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_counts_what_the_register_holds_and_links_to_the_lists() {
    let server = Server::new().await;
    let a = institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    // Three people pass in April (their certificates are overdue by now: 20 working days).
    let young = resident_id(201, date(1980, 3, 3));
    let old = resident_id(202, date(1962, 6, 1));
    let pooled = resident_id(203, date(1982, 4, 4));
    exam_result(&server, "甲一", &young, &["RQ-ZZ", "GL-ZZ"], "2026-04-01").await;
    exam_result(&server, "甲二", &old, &["GL-ZZ"], "2026-04-01").await;
    exam_result(&server, "甲三", &pooled, &["DT-ZZ"], "2026-04-01").await;
    let sex = |id: &str| {
        registry_core::resident_id::ResidentId::parse_canonical(id)
            .unwrap()
            .sex()
            .label()
    };
    // 甲一: both items registered; 甲二: GL-ZZ registered; 甲三 in the pool. Every
    // registration ends with the cycle, on 2028-12-31.
    for (name, id, items) in [
        ("甲一", &young, vec!["RQ-ZZ", "GL-ZZ"]),
        ("甲二", &old, vec!["GL-ZZ"]),
    ] {
        let (person, password) = add(&mut jia, name, id, &items).await;
        fill_in(&server, &person, a, &password, sex(id)).await;
        let mut fields = vec![];
        for item in &items {
            fields.push(("items", *item));
        }
        let done = jia
            .post(&format!("/institution/people/{person}/register"), &fields)
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    }

    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let home = admin.get("/association").await;
    assert_eq!(home.status, StatusCode::OK);
    // Certificates: one per person of the pass lists, all overdue; no card is due yet
    // (three registrations, two people at one institution: two cards, issued now).
    assert_eq!(figure(&home, "资格证书", "待发放"), 3);
    assert_eq!(figure(&home, "资格证书", "已逾期"), 3);
    assert!(home.has("最早一份已逾期"), "{}", home.body);
    assert_eq!(figure(&home, "注册信息卡", "待发放"), 2);
    assert_eq!(figure(&home, "注册信息卡", "已逾期"), 0);
    // Items by state: three registered, nothing else held.
    assert_eq!(figure(&home, "评审项目状态（各机构合计）", "已注册"), 3);
    assert_eq!(figure(&home, "评审项目状态（各机构合计）", "待填报"), 0);
    // Nothing ends within 12 months of 2026-11-26.
    let ending = "注册即将到期（注册周期结束或年满70周岁）";
    for months in ["1 个月内", "3 个月内", "12 个月内"] {
        assert_eq!(figure(&home, ending, months), 0);
    }
    // The pool: 甲三's DT-ZZ.
    assert_eq!(figure(&home, "无聘用单位人员（按评审项目）", "合计"), 1);
    assert!(home.has("href=\"/pool?item=DT-ZZ\""));
    // GL-ZZ at 甲 keeps 甲一 after 甲二 leaves: not running out; each registered item is
    // in the per-item table with today's count.
    assert!(
        home.has("12 个月内没有机构评审项目将无人注册"),
        "{}",
        home.body
    );
    let per_item = home.between("各评审项目的注册人员", "</table>").unwrap();
    assert!(
        per_item.contains("<td>锅炉制造</td><td>2</td><td>2</td><td>2</td><td>2</td>"),
        "{per_item}"
    );
    // The charts are SVG with their numbers, and their tables.
    assert_eq!(charts_parse_and_carry_their_numbers(&home), 3);
    assert!(home.has("role=\"img\""));
    let ages = home.between("id=\"ages\"", "</svg>").unwrap();
    assert!(
        ages.contains("60–64 岁：1") && ages.contains("45–49 岁：1"),
        "{ages}"
    );
    let months = home.between("id=\"in-force\"", "</svg>").unwrap();
    assert!(
        months.contains("26-11：3") && months.contains("26-05：0"),
        "{months}"
    );

    // The figures lead to their lists.
    let overdue = admin.get("/association/certificates?show=overdue").await;
    assert!(overdue.has("甲一") && overdue.has("甲二") && overdue.has("甲三"));
    let pool = admin.get("/pool?item=DT-ZZ").await;
    assert!(pool.has("甲三"));

    // Two years on, six weeks before the cycle ends: all three registrations end within 3
    // months, and 甲 is about to have nobody left for both items.
    // 甲一's and 甲二's certificates mailed today, seven months after their deadline: the
    // chart of certificates mailed shows them this month, both late.
    let list = admin.get("/association/certificates").await;
    let ids: Vec<String> = list
        .body
        .split("name=\"documents\" value=\"")
        .skip(1)
        .filter(|rest| !rest.split('>').next().unwrap_or("").contains("disabled"))
        .filter_map(|rest| rest.split('"').next().map(str::to_owned))
        .collect();
    assert_eq!(ids.len(), 2, "甲三 has no address: {}", list.body);
    let mut fields: Vec<(&str, &str)> = ids.iter().map(|id| ("documents", id.as_str())).collect();
    fields.extend([
        ("on", "2026-11-26"),
        ("tracking", "SF200"),
        ("back", "/association/certificates"),
    ]);
    let mailed = admin
        .post("/association/certificates/mailed", &fields)
        .await;
    assert_eq!(mailed.status, StatusCode::SEE_OTHER, "{}", mailed.body);
    let home = admin.get("/association").await;
    assert_eq!(home.body.matches("<svg class=\"chart\"").count(), 3);
    let issued = home.between("id=\"issued\"", "</svg>").unwrap();
    assert!(
        issued.contains("26-11：2") && issued.contains("26-11：其中 2"),
        "{issued}"
    );
    assert_eq!(figure(&home, "资格证书", "本月已寄出"), 2);
    assert_eq!(figure(&home, "资格证书", "已逾期"), 1);

    server.clock.advance(time::Duration::days(720));
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let home = admin.get("/association").await;
    assert!(home.has("2028-11-15"), "{}", home.body);
    assert_eq!(figure(&home, ending, "1 个月内"), 0);
    assert_eq!(figure(&home, ending, "3 个月内"), 3);
    assert_eq!(figure(&home, ending, "12 个月内"), 3);
    let running_out = home
        .between("即将无评审人员的机构评审项目", "</table>")
        .unwrap();
    assert!(
        running_out.contains("<td>甲鉴定评审中心</td><td>锅炉制造</td><td>2</td><td>0</td>")
            && running_out.contains("<td>压力容器制造</td><td>1</td><td>0</td>")
            && running_out.contains("3 个月内"),
        "{running_out}"
    );
    // 覆盖情况 lists every pair; filtered to those running out, and as a file.
    let all = admin.get("/association/coverage").await;
    assert!(all.has("共 2 项"), "{}", all.body);
    let short = admin.get("/association/coverage?show=running_out").await;
    assert!(
        short.has("class=\"alert-row\"") && short.has("共 2 项"),
        "{}",
        short.body
    );
    let file = admin
        .get("/association/coverage?item=GL-ZZ&format=csv")
        .await;
    assert!(
        file.body.contains("机构,评审项目,今天（2028-11-15）"),
        "{}",
        file.body
    );
    assert!(
        file.body
            .contains("甲鉴定评审中心,锅炉制造,2,0,0,0,3 个月内"),
        "{}",
        file.body
    );
    assert!(!file.body.contains("压力容器制造"), "{}", file.body);
    // 各评审项目有效注册: one item's chart, every item's table, and the table as a file.
    let series = admin.get("/association/in-force?item=GL-ZZ").await;
    assert_eq!(charts_parse_and_carry_their_numbers(&series), 1);
    assert!(series.has("锅炉制造：有效的注册"), "{}", series.body);
    let row = series.between("class=\"chosen\">", "</tr>").unwrap();
    assert!(
        row.contains("锅炉制造") && row.contains("<td>2</td>"),
        "{row}"
    );
    let file = admin.get("/association/in-force?format=csv").await;
    assert!(
        file.body.starts_with("\u{feff}评审项目,27-11") || file.body.starts_with("评审项目,27-11"),
        "{}",
        file.body
    );
    assert_eq!(file.body.lines().count(), 3, "{}", file.body);
    // The same figures through the API.
    let api = admin
        .api(
            poem::http::Method::GET,
            "/api/v1/association/coverage?item=GL-ZZ",
            None,
        )
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let api = api.json();
    assert_eq!(api["horizons"][0], "2028-11-15", "{api}");
    assert_eq!(api["rows"].as_array().unwrap().len(), 1, "{api}");
    let row = &api["rows"][0];
    assert_eq!(row["institution"], "甲鉴定评审中心");
    assert_eq!(row["counts"], serde_json::json!([2, 0, 0, 0]), "{row}");
    assert_eq!(row["runs_out_within_months"], 3, "{row}");
    let running_out = admin
        .api(
            poem::http::Method::GET,
            "/api/v1/association/coverage?running_out=true",
            None,
        )
        .await
        .json();
    assert_eq!(
        running_out["rows"].as_array().unwrap().len(),
        2,
        "{running_out}"
    );
    let in_force = admin
        .api(
            poem::http::Method::GET,
            "/api/v1/association/in-force",
            None,
        )
        .await
        .json();
    assert_eq!(in_force["days"].as_array().unwrap().len(), 25, "{in_force}");
    assert_eq!(in_force["days"][12], "2028-11-15");
    let gl = in_force["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["item"] == "GL-ZZ")
        .unwrap();
    assert_eq!(gl["counts"][12], 2, "{gl}");
    assert_eq!(in_force["items"].as_array().unwrap().len(), 2);
    // 人员档案's search results as a file.
    let found = admin
        .get("/association/people?by=name&q=甲一&format=csv")
        .await;
    assert!(found.body.contains("姓名,身份证号,注册号") && found.body.contains("甲一"));
    assert!(
        !found.body.contains(&young),
        "a full ID number in the export"
    );

    let soon = admin.get("/association/expiring?months=3").await;
    assert!(
        soon.has("共 3 项") && soon.has("2028-12-31"),
        "{}",
        soon.body
    );
    assert!(soon.has("甲一") && soon.has("甲二") && !soon.has("甲三"));

    // Each list exports what it shows: the same rows and columns, every page (甲三's
    // certificate is the one still overdue).
    assert!(
        soon.has("href=\"/association/expiring?months=3&#38;format=xlsx\""),
        "{}",
        soon.body
    );
    let file = admin.get("/association/expiring?months=3&format=csv").await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(
        file.headers
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("expiring-2028-11-15.csv")
    );
    assert!(
        file.body.contains("姓名,机构,评审项目,有效期至"),
        "{}",
        file.body
    );
    assert_eq!(file.body.matches("2028-12-31").count(), 3);
    let courses = admin.get("/association/courses?format=csv").await;
    assert!(
        courses
            .body
            .contains("编号,培训班名称,日期,覆盖的评审项目,计入课时,参加人数")
    );
    let xlsx = admin
        .get("/association/expiring?months=3&format=xlsx")
        .await;
    assert!(xlsx.bytes.starts_with(b"PK"));
    let certificates = admin
        .get("/association/certificates?show=overdue&format=csv")
        .await;
    assert_eq!(
        certificates.body.matches("（已逾期）").count(),
        1,
        "{}",
        certificates.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_institution_leads_with_what_it_must_act_on() {
    let server = Server::new().await;
    let a = institution(&server, 1, "乙鉴定评审中心", "yijg", "Fangan2026z").await;
    let mut yi = server.browser();
    yi.login("yijg", "Fangan2026z").await;
    let ids = [
        resident_id(211, date(1979, 1, 1)),
        resident_id(212, date(1978, 2, 2)),
        resident_id(213, date(1977, 3, 3)),
    ];
    let names = ["乙一", "乙二", "乙三"];
    for (name, id) in names.iter().zip(&ids) {
        exam_result(&server, name, id, &["QP-ZZ", "QP-CZ"], "2026-04-01").await;
    }
    let sex = |id: &str| {
        registry_core::resident_id::ResidentId::parse_canonical(id)
            .unwrap()
            .sex()
            .label()
    };
    // 乙一 registered in both items; 乙二 filled in (等待注册 ×2); 乙三 invited (待填报 ×1).
    let (one, password) = add(&mut yi, "乙一", &ids[0], &["QP-ZZ", "QP-CZ"]).await;
    fill_in(&server, &one, a, &password, sex(&ids[0])).await;
    yi.post(
        &format!("/institution/people/{one}/register"),
        &[("items", "QP-ZZ"), ("items", "QP-CZ")],
    )
    .await;
    let (two, password) = add(&mut yi, "乙二", &ids[1], &["QP-ZZ", "QP-CZ"]).await;
    fill_in(&server, &two, a, &password, sex(&ids[1])).await;
    add(&mut yi, "乙三", &ids[2], &["QP-ZZ"]).await;

    let page = yi.get("/institution").await;
    assert_eq!(figure(&page, "待办", "等待注册"), 2);
    assert_eq!(figure(&page, "待办", "待填报"), 1);
    assert_eq!(figure(&page, "待办", "信息填报中"), 0);
    assert_eq!(figure(&page, "待办", "已过期"), 0);
    assert_eq!(figure(&page, "待办", "3 个月内到期"), 0);
    // One card for 乙一's two items, waiting to be mailed.
    assert_eq!(figure(&page, "待办", "待寄达的注册信息卡"), 1);
    assert!(page.has("href=\"/institution?state=awaiting_registration\""));
    let coverage = page
        .between("本机构评审项目的注册人员", "</table>")
        .unwrap();
    assert!(
        coverage.contains("<td>1</td><td>1</td><td>1</td><td>1</td>"),
        "{coverage}"
    );
    // Filtered or paged, the list shows no lead.
    assert!(!yi.get("/institution?state=invited").await.has(">待办</h2>"));

    // The list as a file: masked ID numbers, as on the screen.
    let file = yi.get("/institution?format=csv").await;
    assert!(
        file.body.contains("姓名,身份证号,注册号,评审项目及状态"),
        "{}",
        file.body
    );
    assert!(file.body.contains("乙一") && file.body.contains("乙三"));
    assert!(
        !file.body.contains(ids[0].as_str()),
        "a full ID number in the export"
    );
    assert!(
        file.body.contains("已注册（有效期至 2028-12-31）"),
        "{}",
        file.body
    );

    let matrix = yi.get("/institution/matrix").await;
    assert!(matrix.has("共 3 人"), "{}", matrix.body);
    let row = matrix.between("乙三</a></td>", "</tr>").unwrap();
    assert!(
        row.contains("待填报") && row.matches("<td>").count() == 2,
        "{row}"
    );
    let row = matrix.between("乙一</a></td>", "</tr>").unwrap();
    assert_eq!(row.matches("已注册").count(), 2, "{row}");
    // The matrix as a file: a column per item, a row per person.
    let file = yi.get("/institution/matrix?format=csv").await;
    assert!(
        file.body.contains("姓名,气瓶制造,气瓶充装"),
        "{}",
        file.body
    );
    assert!(
        file.body.contains("乙一,已注册,已注册") && file.body.contains("乙三,待填报,"),
        "{}",
        file.body
    );
    // The pool as the institution sees it, as a file.
    let pool = yi.get("/institution/pool?format=csv").await;
    assert!(
        pool.body.contains("姓名,评审项目,取得资格日期"),
        "{}",
        pool.body
    );
    assert!(
        yi.get("/institution/assessments?format=xlsx")
            .await
            .bytes
            .starts_with(b"PK")
    );
}
