//! 操作日志 (issue 22): the whole audit log for the association, the latest first, by kind of
//! record and as a file, with the state of the audit chain above it; not for institutions.

use poem::http::StatusCode;

use crate::support::*;

/// The page once the chain has been walked from the register as it is now.
async fn walked(admin: &mut Browser<'_>, path: &str) -> Page {
    for _ in 0..200 {
        let page = admin.get(path).await;
        if !page.has("正在校验操作日志链") && !page.has("正在按最新数据重新校验")
        {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the chain was never walked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_association_reads_the_whole_log_and_the_state_of_its_chain() {
    let server = Server::new().await;
    institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    exam_result(
        &server,
        "甲一",
        &resident_id(301, date(1980, 3, 3)),
        &["RQ-ZZ"],
        "2026-04-01",
    )
    .await;
    // 三员分立: the system administrator does not read the log; the audit administrator
    // does.
    let mut system = server.browser();
    system.login("admin", ADMIN_PASSWORD).await;
    for path in ["/association/audit", "/association/audit?format=csv"] {
        assert_eq!(system.get(path).await.status, StatusCode::FORBIDDEN);
    }
    let mut admin = server
        .administrator(registry_core::access::Duty::Audit, "shenji")
        .await;
    let page = walked(&mut admin, "/association/audit").await;
    assert_eq!(page.status, StatusCode::OK);
    let rows = server.store.verify_audit_chain().await.unwrap().rows;
    assert!(
        page.has(&format!("操作日志链完整：共 {rows} 条记录（SHA-256）")),
        "{}",
        page.body
    );
    assert!(page.has(&format!("共 {rows} 条")), "{}", page.body);
    // The latest first: the exam result after the institution.
    let exam = page.body.find("录入人员").expect("the exam result");
    let created = page.body.find("创建机构").expect("the institution");
    assert!(exam < created, "the latest first");
    // By kind of record.
    let people = admin.get("/association/audit?kind=institution.").await;
    assert!(
        people.has("创建机构") && !people.has("录入人员"),
        "{}",
        people.body
    );
    // As a file: every row, in words.
    let file = admin.get("/association/audit?format=csv").await;
    assert!(
        file.body.contains("时间（北京时间）,操作人,操作,变更内容"),
        "{}",
        file.body
    );
    assert_eq!(file.body.lines().count() as u64, rows + 1, "{}", file.body);
    // No raw action code (`account.change_password`): the institution's first password
    // change reads as words like every other action.
    assert!(file.body.contains("修改登录密码"), "{}", file.body);
    for line in file.body.lines().skip(1) {
        let action = line.split(',').nth(2).unwrap_or_default();
        let raw = action.contains('.')
            && action
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_');
        assert!(!raw, "a raw action code: {line}");
    }
    // Not for an institution.
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    let refused = jia.get("/association/audit").await;
    assert_ne!(refused.status, StatusCode::OK);
}
