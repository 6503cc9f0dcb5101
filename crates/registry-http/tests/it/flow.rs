//! The source document's registration flow (注册流程 and figures 1–6), through the pages.

use poem::http::StatusCode;

use crate::support::*;

fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registration_flow_of_the_source_document() {
    let server = Server::new().await;
    // The association creates the institution (its account changes the initial password).
    let institution = institution(
        &server,
        1,
        "福建省特种设备鉴定评审中心",
        "fjjp",
        "Fujian2026x",
    )
    .await;
    let id = resident_id(11, date(1970, 5, 20));
    exam_result(&server, "林建国", &id, &["RQ-ZZ", "GL-ZZ"], "2026-06-01").await;

    // 1–3. The institution logs in, adds the person, and gets the fill-in password.
    let mut fj = server.browser();
    fj.login("fjjp", "Fujian2026x").await;
    // Signed in, the header keeps the public entries beside the institution's own.
    let home = fj.get("/institution").await;
    for entry in [
        "<a href=\"/search\">人员查询</a>",
        "<a href=\"/pool\">无聘用单位人员</a>",
        "<a href=\"/verify\">证件核验</a>",
    ] {
        assert!(home.has(entry), "{entry}: {}", home.body);
    }
    let found = fj
        .post(
            "/institution/add/find",
            &[("name", "林建国"), ("resident_id", &id)],
        )
        .await;
    assert!(found.has("压力容器制造"), "{}", found.body);
    // The lookup's ID number goes in the form's body: in an address it is not looked up.
    let in_address = fj
        .get(&format!(
            "/institution/add?{}",
            query(&[("name", "林建国"), ("resident_id", &id)])
        ))
        .await;
    assert!(
        in_address.has("身份证号不放在网址中") && !in_address.has("压力容器制造"),
        "{}",
        in_address.body
    );
    let person = found.between("name=\"person\" value=\"", "\"").unwrap();
    let shown = fj
        .post(
            "/institution/add",
            &[("person", &person), ("items", "RQ-ZZ"), ("items", "GL-ZZ")],
        )
        .await;
    assert_eq!(shown.status, StatusCode::OK);
    let fill_in = shown
        .between(SECRET.0, SECRET.1)
        .expect("the fill-in password is shown once");
    // Three groups of four in lower case, to read out on the phone.
    assert_eq!(fill_in.len(), 14);
    assert_eq!(
        fill_in
            .match_indices('-')
            .map(|(i, _)| i)
            .collect::<Vec<_>>(),
        [4, 9]
    );
    assert_eq!(fill_in, fill_in.to_lowercase());
    // A slip to print and hand over: who, which institution, how to use it.
    for wanted in [
        "评审人员信息填报密码通知单",
        "<dt>姓名</dt><dd>林建国</dd>",
        "<dt>评审机构</dt><dd>福建省特种设备鉴定评审中心</dd>",
        "/self-service</strong>",
        "data-print",
        "<script src=\"/static/print.js\" defer></script>",
    ] {
        assert!(shown.has(wanted), "{wanted}: {}", shown.body);
    }
    let script = fj.get("/static/print.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(script.has("window.print()"));
    let people = fj.get("/institution").await;
    assert!(
        people.has("林建国") && people.has("待填报"),
        "{}",
        people.body
    );

    // 4–5. The person opens 评审人员信息填报 and searches by name and institution.
    let mut me = server.browser();
    let empty = me.get("/self-service").await;
    assert!(empty.has("搜索"));
    let results = me
        .get(&format!(
            "/self-service?{}",
            query(&[("name", "林建国"), ("institution", "福建省特种设备")])
        ))
        .await;
    let entry = format!("/self-service/{person}/{institution}");
    assert!(
        results.has(&entry) && results.has("人员基本信息"),
        "{}",
        results.body
    );

    // 6–7. 人员基本信息 asks for the password; a wrong one does not open the page (fig. 5).
    let form = me.get(&entry).await;
    assert!(form.has("填报密码"));
    let wrong = me.post(&entry, &[("password", "not-the-one")]).await;
    assert!(
        wrong.has("密码错误，如无法进入请联系受聘的评审机构"),
        "{}",
        wrong.body
    );
    let closed = me.get(&format!("{entry}/edit")).await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    assert_eq!(closed.location.as_deref(), Some(entry.as_str()));
    // The right one opens the edit page (fig. 4).
    let opened = me.post(&entry, &[("password", &fill_in)]).await;
    assert_eq!(
        opened.location.as_deref(),
        Some(format!("{entry}/edit").as_str())
    );
    let edit = me.get(&format!("{entry}/edit")).await;
    assert!(
        edit.has("确定") && edit.has("林建国") && edit.has("350102********"),
        "{}",
        edit.body
    );
    assert!(!edit.has(&id), "the full ID number is never shown");
    let version = edit.between("name=\"version\" value=\"", "\"").unwrap();

    // 8. Details filled in part: 信息填报中, with what is missing.
    let partial = me
        .post(
            &format!("{entry}/edit"),
            &[("version", &version), ("mobile", "13912345678")],
        )
        .await;
    assert!(partial.has("尚需填写"), "{}", partial.body);
    assert!(partial.has("信息填报中"));
    let version = partial.between("name=\"version\" value=\"", "\"").unwrap();

    // 9. Complete details (fig. 6, 确定): the record turns 等待注册 by itself.
    let complete = me
        .post(
            &format!("{entry}/edit"),
            &[
                ("version", &version),
                ("sex", "男"),
                ("education", "大学本科"),
                ("title", "高级工程师"),
                ("work_unit", "福州某锅炉厂"),
                ("mobile", "13912345678"),
                ("province", "福建省"),
                ("city", "福州市"),
                ("district", "鼓楼区"),
                ("street", "五四路100号"),
                ("postcode", "350001"),
            ],
        )
        .await;
    assert!(complete.has("状态已变为“等待注册”"), "{}", complete.body);
    let listed = fj.get("/institution").await;
    assert!(
        listed.has("data-state=\"awaiting_registration\""),
        "{}",
        listed.body
    );

    // 10. The institution looks at the states and registers: the green ✓ shows.
    let page = fj.get(&format!("/institution/people/{person}")).await;
    assert!(page.has("可以注册"), "{}", page.body);
    let registered = fj
        .post(
            &format!("/institution/people/{person}/register"),
            &[("items", "RQ-ZZ")],
        )
        .await;
    assert_eq!(
        registered.status,
        StatusCode::SEE_OTHER,
        "{}",
        registered.body
    );
    let page = fj.get(registered.location.as_deref().unwrap()).await;
    assert!(page.has("注册成功"));
    assert!(
        page.has("<span class=\"tick\">✓</span> 已注册"),
        "{}",
        page.body
    );
    assert!(page.has("注册号 JP2026"), "{}", page.body);

    // Registered people are public (人员查询), without their ID number.
    let public = server
        .browser()
        .get(&format!(
            "/search?{}",
            query(&[("by", "name"), ("q", "林建国")])
        ))
        .await;
    assert!(
        public.has("福建省特种设备鉴定评审中心") && public.has("压力容器制造"),
        "{}",
        public.body
    );
    assert!(!public.has(&id) && !public.has("13912345678") && !public.has("五四路"));
    // By ID number from the form (the number in the body, not written back into the page);
    // from an address it is not looked up.
    let mut visitor = server.browser();
    let by_id = visitor.post("/search", &[("by", "id"), ("q", &id)]).await;
    assert!(by_id.has("林建国") && !by_id.has(&id), "{}", by_id.body);
    let in_address = visitor
        .get(&format!("/search?{}", query(&[("by", "id"), ("q", &id)])))
        .await;
    assert!(
        in_address.has("身份证号不放在网址中") && !in_address.has("林建国"),
        "{}",
        in_address.body
    );

    // The second item can still be registered; a double submission of the first is refused.
    let again = fj
        .post(
            &format!("/institution/people/{person}/register"),
            &[("items", "RQ-ZZ")],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.has("已注册，有效期至 2028-12-31"), "{}", again.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_violation_is_explained_before_registering() {
    let server = Server::new().await;
    institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let id = resident_id(21, date(1957, 1, 10));
    exam_result(&server, "王老师", &id, &["DT-ZZ"], "2021-06-01").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    let found = jia
        .post(
            "/institution/add/find",
            &[("name", "王老师"), ("resident_id", &id)],
        )
        .await;
    let person = found.between("name=\"person\" value=\"", "\"").unwrap();
    jia.post(
        "/institution/add",
        &[("person", &person), ("items", "DT-ZZ")],
    )
    .await;
    let page = jia.get(&format!("/institution/people/{person}")).await;
    assert!(
        page.has("“电梯制造”当前状态为“待填报”，只有“等待注册”的评审项可以注册"),
        "{}",
        page.body
    );
    // And what happens next, with who does it (issue 20).
    assert!(
        page.has("下一步：须由本人使用本机构的填报密码进入“评审人员信息填报”")
            && page.has("“重新生成填报密码”并打印通知单"),
        "{}",
        page.body
    );
    assert!(
        page.has("人员基本信息未填报完整（缺少：学历"),
        "{}",
        page.body
    );
    let refused = jia
        .post(
            &format!("/institution/people/{person}/register"),
            &[("items", "DT-ZZ")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.has("未能完成"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exam_results_refuse_candidates_aged_65() {
    let server = Server::new().await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let id = resident_id(31, date(1961, 10, 10));
    let page = admin
        .post(
            "/association/exam-results",
            &[
                ("name", "赵考生"),
                ("resident_id", &id),
                ("exam_date", "2026-10-10"),
                ("published_on", "2026-10-20"),
                ("items", "GL-ZZ"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.has("考核日期 2026-10-10 时已满65周岁，考核年龄须在65周岁以下"),
        "{}",
        page.body
    );
    // What was typed stays in the form.
    assert!(page.has("value=\"赵考生\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_and_hire_from_the_pool() {
    let server = Server::new().await;
    institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    institution(&server, 2, "乙鉴定评审中心", "yijg", "Fangan2026z").await;
    let id = resident_id(41, date(1975, 3, 3));
    exam_result(&server, "钱评审", &id, &["QZ-ZZ"], "2026-05-01").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    let found = jia
        .post(
            "/institution/add/find",
            &[("name", "钱评审"), ("resident_id", &id)],
        )
        .await;
    let person = found.between("name=\"person\" value=\"", "\"").unwrap();
    jia.post(
        "/institution/add",
        &[("person", &person), ("items", "QZ-ZZ")],
    )
    .await;

    let mut yi = server.browser();
    yi.login("yijg", "Fangan2026z").await;
    let other = yi.get(&format!("/institution/people/{person}")).await;
    assert_eq!(
        other.status,
        StatusCode::NOT_FOUND,
        "another institution's person is not found"
    );
    let pool = yi.get("/institution/pool").await;
    assert!(!pool.has("钱评审"));

    let no_reason = jia
        .post(
            &format!("/institution/people/{person}/release"),
            &[("item", "QZ-ZZ"), ("reason", " "), ("confirm", "yes")],
        )
        .await;
    assert!(no_reason.has("“退回原因”未填写"), "{}", no_reason.body);
    jia.post(
        &format!("/institution/people/{person}/release"),
        &[
            ("item", "QZ-ZZ"),
            ("reason", "合同到期"),
            ("confirm", "yes"),
        ],
    )
    .await;
    let public_pool = server
        .browser()
        .get("/pool?name=%E9%92%B1%E8%AF%84%E5%AE%A1")
        .await;
    assert!(
        public_pool.has("钱评审") && public_pool.has("起重机械制造"),
        "{}",
        public_pool.body
    );

    let hired = yi
        .post(
            "/institution/pool/hire",
            &[("person", &person), ("item", "QZ-ZZ")],
        )
        .await;
    assert!(hired.has("已聘用，请告知填报密码"), "{}", hired.body);
    let mine = yi.get("/institution").await;
    assert!(mine.has("钱评审"));
    let theirs = jia.get(&format!("/institution/people/{person}")).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
}
