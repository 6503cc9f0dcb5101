//! Issue 8 through the web: the association's 数据导入导出 page (uploads in each format
//! and encoding, the report and its download, dry runs, exports with masked and full ID
//! numbers), and the nightly sweep over registrations made through the pages.

use poem::http::StatusCode;
use registry_batch::Setting;
use registry_batch::sweep::Mode;

use crate::support::*;

const HEADER: &str = "姓名,身份证号,评审项目,考核日期,公布日期";

fn pass_list(rows: &[(&str, String, &str)]) -> String {
    let mut out = format!("{HEADER}\n");
    for (name, id, items) in rows {
        out.push_str(&format!("{name},{id},{items},2026-04-01,2026-04-20\n"));
    }
    out
}

fn unescape(text: &str) -> String {
    text.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The import report's whole error report: the CSV file in the download link.
pub(crate) fn report_download(page: &Page) -> String {
    use base64::Engine;
    let link = page
        .between("href=\"data:text/csv;charset=utf-8;base64,", "\"")
        .expect("the report's download link");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(unescape(&link))
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

async fn people(server: &Server) -> i64 {
    server
        .store
        .table_counts()
        .await
        .unwrap()
        .into_iter()
        .find(|(t, _)| t == "people")
        .map_or(-1, |(_, n)| n)
}

#[tokio::test]
async fn the_association_imports_pass_lists_and_downloads_the_error_report() {
    let server = Server::new().await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let home = admin.get("/association").await;
    assert!(
        home.has("/association/exchange"),
        "linked from the workbench"
    );
    let page = admin.get("/association/exchange").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has("考核合格名单") && page.has("包含完整身份证号"));

    let zhang = resident_id(21, date(1980, 3, 15));
    let li = resident_id(22, date(1975, 7, 1));
    let mut wrong = resident_id(23, date(1982, 1, 1));
    let last = if wrong.ends_with('1') { "2" } else { "1" };
    wrong.replace_range(17.., last);
    let bad = pass_list(&[
        ("张三", zhang.clone(), "RQ-ZZ、GL-ZZ"),
        ("李四", li.clone(), "压力容器制造"),
        ("王五", wrong, "RQ-ZZ"),
        ("赵六", resident_id(24, date(1970, 1, 1)), "XX-YY"),
    ]);
    let (gbk, _, _) = encoding_rs::GBK.encode(&bad);
    let refused = admin
        .upload(
            "/association/exchange/import",
            &[("file", "名单.csv", &gbk)],
            &[("kind", "qualifications"), ("mode", "all")],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.has("共4行，新增2行，已有0行，有误2行；未写入任何数据"),
        "{}",
        refused.body
    );
    assert!(refused.has("身份证号校验码错误"));
    assert!(refused.has("评审项目“XX-YY”不在评审项目目录中"));
    assert_eq!(people(&server).await, 0, "nothing written");

    // The whole error report downloads as a CSV file Excel opens.
    let text = report_download(&refused);
    assert!(
        text.starts_with("\u{FEFF}行号,姓名或名称,错误代码,问题\r\n"),
        "{text}"
    );
    assert!(text.contains("4,王五,resident_id.checksum,"), "{text}");
    assert!(text.contains("5,赵六,item.unknown,"), "{text}");
    assert!(!refused.has("id=\"more\""), "every problem shown");

    // A dry run of the good rows writes nothing; then the good rows are written, once.
    let good = pass_list(&[
        ("张三", zhang.clone(), "RQ-ZZ、GL-ZZ"),
        ("李四", li, "RQ-ZZ"),
    ]);
    let xlsx = {
        let rows: Vec<Vec<String>> = good
            .lines()
            .skip(1)
            .map(|l| l.split(',').map(str::to_owned).collect())
            .collect();
        let header: Vec<&str> = HEADER.split(',').collect();
        registry_batch::table::write_table(
            registry_batch::table::Format::Xlsx,
            "名单",
            &header,
            &rows,
        )
        .unwrap()
    };
    let dry = admin
        .upload(
            "/association/exchange/import",
            &[("file", "名单.xlsx", &xlsx)],
            &[
                ("kind", "qualifications"),
                ("mode", "all"),
                ("dry_run", "1"),
            ],
        )
        .await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    assert!(dry.has("试运行，未写入"), "{}", dry.body);
    assert_eq!(people(&server).await, 0);
    let done = admin
        .upload(
            "/association/exchange/import",
            &[("file", "名单.xlsx", &xlsx)],
            &[("kind", "qualifications"), ("mode", "all")],
        )
        .await;
    assert!(
        done.has("新增2行，已有0行，有误0行；已写入"),
        "{}",
        done.body
    );
    assert_eq!(people(&server).await, 2);
    let again = admin
        .upload(
            "/association/exchange/import",
            &[("file", "名单.xlsx", &xlsx)],
            &[("kind", "qualifications"), ("mode", "all")],
        )
        .await;
    assert!(again.has("新增0行，已有2行"), "{}", again.body);
    assert_eq!(people(&server).await, 2);
    let certificates = admin.get("/association/certificates").await;
    assert!(certificates.has("张三"), "the import made the certificates");

    // Exports: masked by default; full ID numbers are audited.
    let masked = admin
        .post(
            "/association/exchange/export",
            &[("table", "people"), ("format", "csv"), ("institution", "")],
        )
        .await;
    assert_eq!(masked.status, StatusCode::OK, "{}", masked.body);
    let text = String::from_utf8(masked.bytes.clone()).unwrap();
    assert!(text.contains("张三") && !text.contains(&zhang), "{text}");
    let audit_before = server.store.audit_of("export", 0).await.unwrap().len();
    assert_eq!(audit_before, 0);
    let full = admin
        .post(
            "/association/exchange/export",
            &[
                ("table", "people"),
                ("format", "xlsx"),
                ("institution", ""),
                ("full_id", "1"),
            ],
        )
        .await;
    assert_eq!(full.status, StatusCode::OK);
    let records = registry_batch::table::Source::new("p.xlsx", full.bytes.clone())
        .read_all()
        .unwrap();
    assert!(records.iter().any(|r| r.fields.contains(&zhang)));
    let logged = server.store.audit_of("export", 0).await.unwrap();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert!(format!("{logged:?}").contains("association:admin"));

    // 促进会工作台 lists the runs of the last 30 days with their outcome, the latest
    // first: the refused file, the import and the one that found everything there (the
    // dry run wrote nothing, and is not a run); then a sweep.
    let runs = |page: &Page| {
        page.between("近 30 日的批量导入与注册到期处理", "</table>")
            .expect("the runs")
    };
    let home = admin.get("/association").await;
    let listed = runs(&home);
    assert_eq!(listed.matches("导入考核合格名单").count(), 3, "{listed}");
    assert_eq!(listed.matches("未导入（有错误行）").count(), 1, "{listed}");
    assert_eq!(listed.matches(">完成<").count(), 2, "{listed}");
    assert!(
        listed.contains("新增 2 行") && listed.contains("促进会（admin）"),
        "{listed}"
    );
    assert!(
        listed.find("已有 2 行") < listed.find("新增 2 行"),
        "the latest first: {listed}"
    );
    let actor = registry_core::ports::Actor::System {
        job: "sweep".into(),
    };
    let calendar = server.state.calendar();
    let swept = registry_batch::sweep::sweep(
        &server.state.batch(&actor, &calendar),
        Mode::Write,
        &registry_batch::reminders::ReminderSetup::default(),
        &mut registry_batch::Silent,
    )
    .await
    .unwrap();
    let home = admin.get("/association").await;
    let listed = runs(&home);
    assert!(
        listed.contains("注册到期处理")
            && listed.contains("系统（每日处理）")
            && listed.contains(&format!("注册到期 {} 项", swept.expired.len())),
        "{listed}"
    );
    // Thirty days on, none of them is listed.
    server.clock.advance(time::Duration::days(31));
    let mut later = server.browser();
    later.login("admin", ADMIN_PASSWORD).await;
    assert!(runs(&later.get("/association").await).contains("近 30 日没有批量导入或注册到期处理"));
}

#[tokio::test]
async fn the_institution_list_is_imported_from_the_page() {
    let server = Server::new().await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let code = |n: u32| {
        registry_core::credit_code::CreditCode::from_parts("12", "350100", &format!("7200{n:04}"))
            .unwrap()
            .as_str()
            .to_owned()
    };
    let list = format!(
        "机构编号,机构名称,国家级资质编号,统一社会信用代码,登录用户名\n\
         TS-JP-101,甲检验研究院,TS101-2027,{},jia101\n\
         TS-JP-102,乙检验研究院,TS102-2027,{},yi102\n",
        code(1),
        code(2)
    );
    let done = admin
        .upload(
            "/association/exchange/import",
            &[("file", "机构.csv", list.as_bytes())],
            &[("kind", "institutions"), ("mode", "all")],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.has("新增2行"), "{}", done.body);
    let listed = admin.get("/association/institutions").await;
    assert!(listed.has("甲检验研究院") && listed.has("jia101"));
    // The new account has no password until the association sets one.
    let mut jia = server.browser();
    let refused = jia
        .post(
            "/login",
            &[("username", "jia101"), ("password", "anything-at-all")],
        )
        .await;
    assert_ne!(refused.status, StatusCode::SEE_OTHER, "{}", refused.body);
}

/// The same imports through the API, with the same file: a dry run writes nothing, a bad
/// row refuses the whole file by its line, the good file is written once (a second time
/// changes nothing); a pass list's people are then in the register.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pass_lists_and_institution_lists_are_imported_through_the_api() {
    use poem::http::Method;
    let server = Server::new().await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let code = registry_core::credit_code::CreditCode::from_parts("12", "350100", "72009001")
        .unwrap()
        .as_str()
        .to_owned();
    let institutions = format!(
        "机构编号,机构名称,国家级资质编号,统一社会信用代码,登录用户名\n\
         TS-JP-901,丙检验研究院,TS901-2027,{code},bing901\n"
    );
    let path = "/api/v1/association/imports/institutions";
    let dry = admin
        .api_binary(
            Method::POST,
            &format!("{path}?dry_run=true"),
            institutions.as_bytes(),
        )
        .await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    assert_eq!(dry.json()["written"], false);
    let done = admin
        .api_binary(Method::POST, path, institutions.as_bytes())
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.json()["new"], 1, "{}", done.body);
    let listed = admin.get("/association/institutions").await;
    assert!(listed.has("丙检验研究院") && listed.has("bing901"));

    let id = resident_id(901, date(1980, 1, 1));
    let good = format!("{HEADER}\n张九,{id},RQ-ZZ,2026-03-01,2026-03-20\n");
    let bad = format!("{good}李十,110101199001011230,RQ-ZZ,2026-03-01,2026-03-20\n");
    let path = "/api/v1/association/imports/pass_list";
    let refused = admin.api_binary(Method::POST, path, bad.as_bytes()).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert_eq!(refused.json()["written"], false);
    assert_eq!(refused.json()["rejected"][0]["line"], 3, "{}", refused.body);
    let written = admin.api_binary(Method::POST, path, good.as_bytes()).await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.body);
    assert_eq!(written.json()["new"], 1, "{}", written.body);
    let again = admin.api_binary(Method::POST, path, good.as_bytes()).await;
    assert_eq!(again.json()["unchanged"], 1, "{}", again.body);
    // A file over the JSON routes' 1 MiB is read whole (the imports take 32 MiB).
    let long = format!("{good}{}", "\n".repeat(1_200_000));
    let checked = admin
        .api_binary(
            Method::POST,
            &format!("{path}?dry_run=true"),
            long.as_bytes(),
        )
        .await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.body);
    assert_eq!(checked.json()["unchanged"], 1, "{}", checked.body);
    // A stranger's file is refused before it is read.
    let mut stranger = server.browser();
    let refused = stranger
        .api_binary(Method::POST, path, long.as_bytes())
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    let found = admin
        .api(
            Method::POST,
            "/api/v1/association/people/search",
            Some(serde_json::json!({"by": "id", "q": id})),
        )
        .await;
    assert_eq!(found.json()[0]["name"], "张九", "{}", found.body);
    // Not a kind of the document's: refused by it.
    let unknown = admin
        .api_binary(
            Method::POST,
            "/api/v1/association/imports/attendance",
            good.as_bytes(),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.body);
}

#[tokio::test]
async fn institutions_cannot_use_the_exchange_page() {
    let server = Server::new().await;
    institution(&server, 1, "甲机构", "jia", "Tezhong2026k").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    let page = jia.get("/association/exchange").await;
    assert_ne!(page.status, StatusCode::OK);
    let export = jia
        .post(
            "/association/exchange/export",
            &[("table", "people"), ("format", "csv"), ("full_id", "1")],
        )
        .await;
    assert_ne!(export.status, StatusCode::OK);
    assert!(server.store.audit_of("export", 0).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_sweep_ends_registrations_after_the_cycle_once_and_lists_what_is_due() {
    let server = Server::new().await;
    let institution_id = institution(&server, 1, "甲机构", "jia", "Tezhong2026k").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    let id = resident_id(31, date(1980, 3, 15));
    exam_result(&server, "张三", &id, &["RQ-ZZ"], "2026-04-01").await;
    let (person, password) = add(&mut jia, "张三", &id, &["RQ-ZZ"]).await;
    fill_in(&server, &person, institution_id, &password, "男").await;
    let done = jia
        .post(
            &format!("/institution/people/{person}/register"),
            &[("items", "RQ-ZZ")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);

    let catalogue = server.store.catalogue().await.unwrap();
    let calendar = server.store.calendar().await.unwrap();
    let actor = registry_core::ports::Actor::System {
        job: "sweep".into(),
    };
    let at = |d: time::Date| {
        d.with_time(time::Time::from_hms(3, 0, 0).unwrap())
            .assume_offset(registry_core::date::CHINA_STANDARD_TIME)
    };
    let run = async |day: time::Date, mode: Mode| {
        let setting = Setting {
            store: &server.store,
            catalogue: &catalogue,
            calendar: &calendar,
            entropy: &registry_http::secrets::OsEntropy,
            actor: &actor,
            now: at(day),
        };
        registry_batch::sweep::sweep(
            &setting,
            mode,
            &registry_batch::reminders::ReminderSetup::default(),
            &mut registry_batch::Silent,
        )
        .await
        .unwrap()
    };
    let sweep = async |day: time::Date| run(day, Mode::Write).await;

    // Today: nothing ends; the certificate and the card are past their due dates.
    let today = sweep(date(2026, 12, 31)).await;
    assert!(today.expired.is_empty());
    assert!(today.renewals.is_empty());
    assert!(
        today
            .overdue
            .iter()
            .any(|(d, _)| d.person.name.as_str() == "张三"),
        "{:?}",
        today.overdue
    );

    // Within three months of the end of the cycle: due for renewal.
    let soon = sweep(date(2028, 11, 1)).await;
    assert_eq!(soon.window_months, 3);
    assert_eq!(soon.renewals.len(), 1);
    assert_eq!(soon.renewals[0].valid_until, date(2028, 12, 31));
    assert_eq!(soon.renewals[0].institution, "甲机构");

    // A dry run after the end says what would end, and why, and writes nothing at all.
    let before = server.store.table_counts().await.unwrap();
    let dry = run(date(2029, 1, 2), Mode::DryRun).await;
    assert!(dry.dry_run);
    assert_eq!(dry.expired.len(), 1, "{:?}", dry.expired);
    assert_eq!(dry.expired[0].1.reason, "注册周期结束");
    assert_eq!(dry.expired[0].1.valid_until, date(2028, 12, 31));
    assert_eq!(server.store.table_counts().await.unwrap(), before);
    let registrations = server.store.export_registrations(None).await.unwrap();
    assert_eq!(
        registrations[0].state,
        registry_core::holding::ItemState::Registered
    );

    // After the end: ended once, with the reason (the dry run's); the second night ends
    // nothing.
    let after = sweep(date(2029, 1, 2)).await;
    assert!(!after.dry_run);
    assert_eq!(after.expired, dry.expired);
    assert_eq!(after.expired.len(), 1, "{:?}", after.expired);
    assert_eq!(after.expired[0].1.reason, "注册周期结束");
    let again = sweep(date(2029, 1, 2)).await;
    assert!(again.expired.is_empty());
    let people = server.store.export_registrations(None).await.unwrap();
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].state, registry_core::holding::ItemState::Expired);
}

#[tokio::test]
async fn attendance_rosters_import_from_the_page_in_gbk_with_a_dry_run_first() {
    let server = Server::new().await;
    let id = resident_id(41, date(1980, 3, 15));
    exam_result(&server, "张三", &id, &["RQ-ZZ"], "2026-04-01").await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let created = admin
        .post(
            "/association/courses",
            &[
                ("name", "压力容器继续教育"),
                ("start", "2026-05-11"),
                ("end", "2026-05-12"),
                ("hours", "16"),
                ("items", "RQ-ZZ"),
            ],
        )
        .await;
    let course = created.between("培训班已保存，编号 ", "。").expect("saved");
    let roster = format!(
        "培训班编号,姓名,身份证号或注册号,课时\n{course},张三,{id},8\n{course},李四,{},8\n",
        resident_id(42, date(1981, 1, 1))
    );
    let (gbk, _, _) = encoding_rs::GBK.encode(&roster);
    let upload = async |admin: &mut Browser<'_>, fields: &[(&str, &str)]| {
        admin
            .upload(
                "/association/exchange/import",
                &[("file", "学时.csv", &gbk)],
                fields,
            )
            .await
    };
    let refused = upload(&mut admin, &[("kind", "attendance"), ("mode", "all")]).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(refused.has("有误1行；未写入任何数据"), "{}", refused.body);
    let dry = upload(
        &mut admin,
        &[("kind", "attendance"), ("mode", "good"), ("dry_run", "1")],
    )
    .await;
    assert!(
        dry.has("新增1行，已有0行，有误1行；试运行，未写入"),
        "{}",
        dry.body
    );
    let attendance = || async {
        server
            .store
            .table_counts()
            .await
            .unwrap()
            .into_iter()
            .find(|(t, _)| t == "attendance")
            .map_or(-1, |(_, n)| n)
    };
    assert_eq!(attendance().await, 0);
    let done = upload(&mut admin, &[("kind", "attendance"), ("mode", "good")]).await;
    assert!(
        done.has("新增1行，已有0行，有误1行；已写入"),
        "{}",
        done.body
    );
    assert_eq!(attendance().await, 1);
    let again = upload(&mut admin, &[("kind", "attendance"), ("mode", "good")]).await;
    assert!(again.has("新增0行，已有1行"), "{}", again.body);
    assert_eq!(attendance().await, 1);
}

/// Exports through the API: the people's table as CSV with ID numbers masked; with full
/// ID numbers on request, recorded in the audit log; an unknown table refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_through_the_api() {
    use poem::http::Method;
    use serde_json::json;
    let server = Server::new().await;
    let id = resident_id(81, date(1975, 5, 5));
    exam_result(&server, "欧评审", &id, &["RQ-ZZ"], "2026-04-01").await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let masked = admin
        .api(
            Method::POST,
            "/api/v1/association/exports",
            Some(json!({"table": "people", "format": "csv"})),
        )
        .await;
    assert_eq!(masked.status, StatusCode::OK, "{}", masked.body);
    assert!(
        masked
            .headers
            .get("content-disposition")
            .is_some_and(|v| v.to_str().unwrap_or("").contains("attachment")),
        "{:?}",
        masked.headers
    );
    assert!(masked.body.contains("欧评审"), "{}", masked.body);
    assert!(!masked.body.contains(&id), "masked: {}", masked.body);
    let full = admin
        .api(
            Method::POST,
            "/api/v1/association/exports",
            Some(json!({"table": "people", "format": "csv", "full_id": true})),
        )
        .await;
    assert_eq!(full.status, StatusCode::OK);
    assert!(full.body.contains(&id), "{}", full.body);
    let logged = server.store.audit_of("export", 0).await.unwrap();
    assert_eq!(logged.len(), 1, "the disclosure is audited: {logged:?}");
    let unknown = admin
        .api(
            Method::POST,
            "/api/v1/association/exports",
            Some(json!({"table": "secrets", "format": "csv"})),
        )
        .await;
    // Not a table of the document's enum: refused by the document.
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.json()["code"], "request.invalid");
}
