//! Issue 5 through the web: the public search by each key, the pool, release and hire
//! (also two institutions at once), the history of holders, and the association's person
//! file with its audit history.

use poem::http::{Method, StatusCode};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn released_items_move_through_the_pool_with_their_history() {
    let server = Server::new().await;
    let a = institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let b = institution(&server, 2, "乙鉴定评审中心", "yijg", "Fangan2026z").await;
    let id = resident_id(91, date(1971, 7, 7));
    let sex = registry_core::resident_id::ResidentId::parse_canonical(&id)
        .unwrap()
        .sex()
        .label();
    exam_result(&server, "冯评审", &id, &["RQ-ZZ", "GL-ZZ"], "2026-04-01").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    let (person, password) = add(&mut jia, "冯评审", &id, &["RQ-ZZ", "GL-ZZ"]).await;
    fill_in(&server, &person, a, &password, sex).await;
    jia.post(
        &format!("/institution/people/{person}/register"),
        &[("items", "RQ-ZZ"), ("items", "GL-ZZ")],
    )
    .await;

    // A releases one item; it shows in the public pool; the person's other item stays.
    jia.post(
        &format!("/institution/people/{person}/release"),
        &[
            ("item", "GL-ZZ"),
            ("reason", "人员调往乙中心"),
            ("confirm", "yes"),
        ],
    )
    .await;
    let pool = server
        .browser()
        .get(&format!("/pool?{}", query(&[("item", "GL-ZZ")])))
        .await;
    assert!(pool.has("冯评审"), "{}", pool.body);

    // B hires it, the person fills in through B's entry, B registers it.
    let mut yi = server.browser();
    yi.login("yijg", "Fangan2026z").await;
    let hired = yi
        .post(
            "/institution/pool/hire",
            &[("person", &person), ("item", "GL-ZZ")],
        )
        .await;
    let b_password = hired
        .between(SECRET.0, SECRET.1)
        .expect("a new employment has its own password");
    // The slip says what happens next: the person confirms once through B's entry, one
    // click when nothing changed.
    assert!(
        hired.has("须由本人用本机构的填报密码确认一次") && hired.has("信息无变化，确认提交"),
        "{}",
        hired.body
    );
    // B's page says what happens next: the person confirms once through B's entry.
    let waiting = yi.get(&format!("/institution/people/{person}")).await;
    assert!(waiting.has("待填报"), "{}", waiting.body);
    // Their details are complete: through B's entry, one click confirms them unchanged.
    let entry = format!("/self-service/{person}/{b}");
    let mut me = server.browser();
    me.post(&entry, &[("password", &b_password)]).await;
    let edit = me.get(&format!("{entry}/edit")).await;
    assert!(edit.has("信息无变化，确认提交"), "{}", edit.body);
    let confirm = edit
        .between("id=\"confirm\">", "</form>")
        .expect("the one-click confirmation");
    let fields: Vec<(String, String)> = confirm
        .split("<input type=\"hidden\" name=\"")
        .skip(1)
        .filter_map(|rest| {
            let (name, rest) = rest.split_once('"')?;
            let value = rest.split_once("value=\"")?.1.split_once('"')?.0;
            Some((name.to_owned(), value.replace("&#x2F;", "/")))
        })
        .filter(|(name, _)| name != "csrf")
        .collect();
    assert!(
        fields
            .iter()
            .any(|(n, v)| n == "mobile" && v == "13500000000")
    );
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let confirmed = me.post(&format!("{entry}/edit"), &pairs).await;
    assert!(confirmed.has("等待注册"), "{}", confirmed.body);
    assert!(!confirmed.has("信息无变化，确认提交"), "confirmed once");
    let registered = yi
        .post(
            &format!("/institution/people/{person}/register"),
            &[("items", "GL-ZZ")],
        )
        .await;
    assert_eq!(
        registered.status,
        StatusCode::SEE_OTHER,
        "{}",
        registered.body
    );

    // B sees the whole history of the person it employs, A's release and reason included.
    let file = yi.get(&format!("/institution/people/{person}")).await;
    assert!(
        file.has("聘用记录") && file.has("甲鉴定评审中心") && file.has("人员调往乙中心"),
        "{}",
        file.body
    );
    // A still acts only on its own item.
    let a_file = jia.get(&format!("/institution/people/{person}")).await;
    assert!(
        a_file.has("压力容器制造") && !a_file.has("name=\"items\" value=\"GL-ZZ\""),
        "{}",
        a_file.body
    );
    let refused = jia
        .post(
            &format!("/institution/people/{person}/release"),
            &[("item", "GL-ZZ"), ("reason", "x"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);

    // The public search shows the person under both institutions, by each key.
    let number = file.between("注册号 ", "<").unwrap();
    for (by, q) in [
        ("name", "冯评审"),
        ("id", id.as_str()),
        ("number", number.trim()),
    ] {
        let found = server
            .browser()
            .post("/search", &[("by", by), ("q", q)])
            .await;
        assert!(
            found.has("甲鉴定评审中心") && found.has("乙鉴定评审中心"),
            "{by}: {}",
            found.body
        );
        assert!(found.has("压力容器制造") && found.has("锅炉制造"));
    }
    let api = server
        .browser()
        .api(
            Method::GET,
            &format!(
                "/api/v1/public/people?{}",
                query(&[("by", "number"), ("q", number.trim())])
            ),
            None,
        )
        .await;
    assert_eq!(api.json()[0]["institutions"].as_array().unwrap().len(), 2);

    // The association's file: the full ID (its display logged), and the searchable history.
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let list = admin
        .get(&format!(
            "/association/people?{}",
            query(&[("by", "name"), ("q", "冯评审")])
        ))
        .await;
    assert!(list.has(&format!("/association/people/{person}")));
    let file = admin.get(&format!("/association/people/{person}")).await;
    assert!(file.has(&id), "the association sees the full number");
    assert!(
        file.has("<td>退回 · 锅炉制造 · ") && file.has("退回原因：人员调往乙中心"),
        "{}",
        file.body
    );
    let filtered = admin
        .get(&format!(
            "/association/people/{person}?{}",
            query(&[("filter", "holding.release")])
        ))
        .await;
    // The filter finds an action by its code, and the page shows it in words.
    assert!(
        filtered.has("<td>退回 · ") && !filtered.has("<td>注册 · "),
        "{}",
        filtered.body
    );
    let again = admin
        .get(&format!(
            "/association/people/{person}?{}",
            query(&[("filter", "person.disclose_id")])
        ))
        .await;
    assert!(
        again.body.matches("<td>查看完整身份证号</td>").count() >= 2,
        "every display of the full number is logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_institutions_hiring_the_same_item_at_once() {
    let server = Server::new().await;
    institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    institution(&server, 2, "乙鉴定评审中心", "yijg", "Fangan2026z").await;
    let id = resident_id(92, date(1972, 8, 8));
    exam_result(&server, "蒋评审", &id, &["DT-AX"], "2026-04-01").await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let list = admin
        .post("/association/people", &[("by", "id"), ("q", &id)])
        .await;
    let person = list.between("/association/people/", "\"").unwrap();
    let in_address = admin
        .get(&format!(
            "/association/people?{}",
            query(&[("by", "id"), ("q", &id)])
        ))
        .await;
    assert!(
        in_address.has("身份证号不放在网址中") && !in_address.has(&id),
        "{}",
        in_address.body
    );

    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    let mut yi = server.browser();
    yi.login("yijg", "Fangan2026z").await;
    let fields = [("person", person.as_str()), ("item", "DT-AX")];
    let (first, second) = tokio::join!(
        jia.post("/institution/pool/hire", &fields),
        yi.post("/institution/pool/hire", &fields)
    );
    let outcomes = [&first, &second];
    let won: Vec<_> = outcomes
        .iter()
        .filter(|p| p.has("已聘用，请告知填报密码"))
        .collect();
    // The loser finds the person gone from the pool (run after the winner committed), or,
    // when both read the pool at once, the item taken (the database's one active holder).
    let lost: Vec<_> = outcomes
        .iter()
        .filter(|p| {
            (p.status == StatusCode::NOT_FOUND && p.has("该人员可能已不在无聘用单位人员中"))
                || (p.status == StatusCode::CONFLICT && p.has("“电梯安装改造修理”已由其他机构聘用"))
        })
        .collect();
    assert_eq!(
        (won.len(), lost.len()),
        (1, 1),
        "{}\n{}",
        first.body,
        second.body
    );
    // Nothing changed for the loser: the person is on one list only.
    let on_a = jia.get("/institution").await.has("蒋评审");
    let on_b = yi.get("/institution").await.has("蒋评审");
    assert!(on_a ^ on_b);
    assert!(
        !server
            .browser()
            .get(&format!("/pool?{}", query(&[("item", "DT-AX")])))
            .await
            .has("蒋评审")
    );
}

/// One look for one state (issue 20): every table that shows an item's state shows the
/// same badge (templates/macros.html), the release table and the holders' history too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_table_shows_a_state_as_the_same_badge() {
    let server = Server::new().await;
    institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let id = resident_id(61, date(1976, 4, 4));
    exam_result(&server, "钱评审", &id, &["QZ-ZZ", "DT-ZZ"], "2026-05-01").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    let (person, _) = add(&mut jia, "钱评审", &id, &["QZ-ZZ", "DT-ZZ"]).await;
    let page = jia.get(&format!("/institution/people/{person}")).await;
    let badge = "<span class=\"state invited\" data-state=\"invited\">待填报</span>";
    let release = page.between("退回人员</h2>", "</table>").unwrap();
    assert!(release.contains(badge), "the release table: {release}");
    let history = page.between("聘用记录</h2>", "</table>").unwrap();
    assert!(history.contains(badge), "the holders' history: {history}");
    let list = jia.get("/institution").await;
    assert!(list.has(badge), "{}", list.body);
}

/// Issue 20: 退回人员 asks once more, naming the person and the item, and changes nothing
/// until it is confirmed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_is_confirmed_before_it_happens() {
    let server = Server::new().await;
    institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let id = resident_id(62, date(1976, 5, 5));
    exam_result(&server, "孔评审", &id, &["QZ-ZZ"], "2026-05-01").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    let (person, _) = add(&mut jia, "孔评审", &id, &["QZ-ZZ"]).await;
    let release = format!("/institution/people/{person}/release");
    let asked = jia
        .post(&release, &[("item", "QZ-ZZ"), ("reason", "合同到期")])
        .await;
    assert_eq!(asked.status, StatusCode::OK);
    assert!(
        asked.has(
            "确定将 <strong>孔评审</strong> 的评审项目“<strong>起重机械制造</strong>”退回吗？"
        ),
        "{}",
        asked.body
    );
    assert!(asked.has("name=\"confirm\" value=\"yes\""));
    let pool = jia.get("/pool?item=QZ-ZZ").await;
    assert!(
        !pool.has("孔评审"),
        "nothing released before the confirmation"
    );
    let done = jia
        .post(
            &release,
            &[
                ("item", "QZ-ZZ"),
                ("reason", "合同到期"),
                ("confirm", "yes"),
            ],
        )
        .await;
    // The only item: the person is no longer 甲's, and 甲 lands on its released people,
    // where the release of today can be taken back.
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        done.location.as_deref(),
        Some("/institution?state=released&notice=released")
    );
    let pool = jia.get("/pool?item=QZ-ZZ").await;
    assert!(pool.has("孔评审"), "{}", pool.body);
    let released = jia.get("/institution?state=released&notice=released").await;
    assert!(
        released.has("孔评审") && released.has("已退回"),
        "{}",
        released.body
    );
    assert!(released.has("撤销退回"), "{}", released.body);
    // 撤销退回: the item is 甲's again, out of the pool, back to its state before.
    let undo = jia
        .post(
            &release.replace("/release", "/undo-release"),
            &[("item", "QZ-ZZ")],
        )
        .await;
    assert_eq!(undo.status, StatusCode::SEE_OTHER, "{}", undo.body);
    let back = jia.get(undo.location.as_deref().unwrap()).await;
    assert!(back.has("已撤销退回"), "{}", back.body);
    assert!(!jia.get("/pool?item=QZ-ZZ").await.has("孔评审"));
    // Undone once: nothing left to take back.
    let again = jia
        .post(
            &release.replace("/release", "/undo-release"),
            &[("item", "QZ-ZZ")],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

/// Issue 20: a refused 记录现场评审 keeps what was typed, lands on the form (#assessment),
/// and shows the error beside its field as well as at the top of the form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_assessment_keeps_what_was_typed_beside_its_error() {
    let server = Server::new().await;
    institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let id = resident_id(63, date(1976, 6, 6));
    exam_result(&server, "严评审", &id, &["QZ-ZZ"], "2026-05-01").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    let (person, _) = add(&mut jia, "严评审", &id, &["QZ-ZZ"]).await;
    let action = format!("/institution/people/{person}/assessments");
    let page = jia.get(&format!("/institution/people/{person}")).await;
    assert!(
        page.has(&format!(
            "id=\"assessment\" method=\"post\" action=\"{action}#assessment\""
        )),
        "{}",
        page.body
    );
    let refused = jia
        .post(
            &action,
            &[
                ("applicant_unit", "福州某起重机械厂"),
                ("item", "QZ-ZZ"),
                ("kind", "复审"),
                ("start", "2026-12-01"),
                ("end", "2026-12-03"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let form = refused.between("id=\"assessment\"", "</form>").unwrap();
    for kept in [
        "value=\"福州某起重机械厂\"",
        "value=\"2026-12-01\"",
        "value=\"2026-12-03\"",
        "<option selected>复审</option>",
    ] {
        assert!(form.contains(kept), "{kept}: {form}");
    }
    assert!(form.contains("未能记录："), "the summary: {form}");
    assert!(
        form.contains("aria-invalid=\"true\" aria-describedby=\"end-error\"")
            && form.contains("<div class=\"field-error\" id=\"end-error\">"),
        "the error beside 结束日期: {form}"
    );
}
