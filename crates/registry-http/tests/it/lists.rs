//! Lists a clerk can work with: 20 rows a page with 上一页/下一页 and the total, names in
//! pinyin order, the filters kept from page to page.

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_show_twenty_rows_a_page_in_pinyin_order_with_the_total() {
    let server = Server::new().await;
    // 23 people, entered in code-point order of their surnames (何 刘 吴 张 …).
    let surnames = [
        "何", "刘", "吴", "张", "赵", "阿", "包", "陈", "邓", "方", "高", "黄", "江", "孔", "林",
        "马", "牛", "欧", "潘", "钱", "任", "孙", "唐",
    ];
    for (n, surname) in surnames.iter().enumerate() {
        let id = resident_id(100 + n as u16, date(1976, 6, 6));
        exam_result(
            &server,
            &format!("{surname}评审"),
            &id,
            &["GD-SJ"],
            "2026-04-01",
        )
        .await;
    }
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;

    let first = admin.get("/association/people").await;
    assert!(first.has("共 23 人，第 1 / 2 页"), "{}", first.body);
    assert!(
        first.has("rel=\"next\" href=\"/association/people?page=2\""),
        "{}",
        first.body
    );
    assert!(!first.has("rel=\"prev\""));
    // 阿 包 陈 何 … in the order of a dictionary, not of the code points
    let at = |name: &str| first.body.find(name).unwrap_or_else(|| panic!("{name}"));
    assert!(at("阿评审") < at("包评审") && at("包评审") < at("陈评审"));
    assert!(at("陈评审") < at("何评审") && at("何评审") < at("刘评审"));
    assert!(!first.has("张评审"), "张 is on the second page");
    let second = admin.get("/association/people?page=2").await;
    assert!(second.has("共 23 人，第 2 / 2 页"), "{}", second.body);
    assert!(second.has("吴评审") && second.has("张评审") && second.has("赵评审"));
    assert!(second.has("rel=\"prev\" href=\"/association/people\""));
    // A page past the last shows the last.
    let past = admin.get("/association/people?page=999").await;
    assert!(past.has("第 2 / 2 页"), "{}", past.body);
    // Nobody is registered: the filter keeps itself in the links.
    let registered = admin.get("/association/people?registered=yes").await;
    assert!(registered.has("共 0 人"), "{}", registered.body);
    let not = admin.get("/association/people?registered=no").await;
    assert!(
        not.has("共 23 人") && not.has("href=\"/association/people?registered=no&#38;page=2\""),
        "{}",
        not.body
    );

    // The public pool: the same order and pager, the item filter kept.
    let pool = server.browser().get("/pool?item=GD-SJ").await;
    assert!(pool.has("共 23 条，第 1 / 2 页"), "{}", pool.body);
    assert!(pool.body.find("阿评审").unwrap() < pool.body.find("包评审").unwrap());
    assert!(
        pool.has("href=\"/pool?item=GD-SJ&#38;page=2\""),
        "{}",
        pool.body
    );
    let pool2 = server.browser().get("/pool?item=GD-SJ&page=2").await;
    assert!(pool2.has("唐评审") || pool2.has("赵评审"), "{}", pool2.body);
}
