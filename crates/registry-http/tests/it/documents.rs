//! Issue 7 through the web: certificates and cards made by pass lists and registrations,
//! their due dates, the PDFs (read back with poppler's `pdftotext`, rasterised with
//! `pdftoppm`; the files stay under `target/http-documents/`), marking mailed, and the
//! public verification page for a valid, released, expired, replaced and unknown document.

use std::path::PathBuf;
use std::process::Command;

use poem::http::StatusCode;
use registry_core::ids::DocumentId;

use crate::support::*;

const JIA: (&str, &str) = ("jia", "Tezhong2026k");

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/http-documents");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Saves a PDF response and returns its text.
fn pdf_text(page: &Page, name: &str) -> String {
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.headers.get("content-type").unwrap(), "application/pdf");
    assert!(page.bytes.starts_with(b"%PDF-"));
    let path = out_dir().join(name);
    std::fs::write(&path, &page.bytes).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// Rasterises page 1 to PNG beside the PDF and checks it holds ink.
fn not_blank(name: &str) {
    let path = out_dir().join(name);
    let prefix = path.with_extension("");
    let status = Command::new("pdftoppm")
        .args(["-r", "60", "-png", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&path)
        .arg(&prefix)
        .status()
        .expect("pdftoppm (poppler-utils) is installed");
    assert!(status.success());
    let png = prefix.with_extension("png");
    let size = std::fs::metadata(&png).unwrap().len();
    // A blank A4 page at 60 dpi compresses to well under 2 KB.
    assert!(size > 8_000, "{} is only {size} bytes", png.display());
}

/// The ids in the selection checkboxes of a list page, in order.
fn selectable(page: &Page) -> Vec<String> {
    page.body
        .split("name=\"documents\" value=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect()
}

/// The row of a list that names `who`.
fn row_of(page: &Page, who: &str) -> String {
    page.body
        .split("<tr>")
        .find(|r| r.contains(who))
        .unwrap_or_else(|| panic!("no row for {who}: {}", page.body))
        .to_owned()
}

fn code_in(text: &str) -> String {
    let at = text.find("核验码：").expect("a verification code") + "核验码：".len();
    text[at..].chars().take(11).collect()
}

/// The first `XXXXX-XXXXX` short code in a text.
fn short_code(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let ok = |c: &char| c.is_ascii_digit() || c.is_ascii_uppercase();
    chars
        .windows(11)
        .find(|w| w[5] == '-' && w[..5].iter().all(ok) && w[6..].iter().all(ok))
        .map(|w| w.iter().collect())
        .expect("a short code")
}

fn token_in(text: &str) -> String {
    let at = text.find("/verify/").expect("a verification address") + "/verify/".len();
    text[at..].chars().take(26).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_are_listed_with_their_due_dates_and_printed() {
    let server = Server::new().await;
    let jia_id = institution(&server, 1, "甲鉴定评审中心", JIA.0, JIA.1).await;
    let autumn = resident_id(51, date(1970, 2, 2));
    let winter = resident_id(52, date(1971, 3, 3));
    exam_result(
        &server,
        "何评审",
        &autumn,
        &["RQ-ZZ", "GL-ZZ"],
        "2024-09-20",
    )
    .await;
    exam_result(&server, "吕评审", &winter, &["QP-CZ"], "2024-12-31").await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;

    let list = admin.get("/association/certificates").await;
    assert_eq!(list.status, StatusCode::OK);
    let he = row_of(&list, "何评审");
    assert!(he.contains("合格名单 2024-09-20 公布"), "{he}");
    assert!(he.contains("应于 2024-10-23 前发放（已逾期）"), "{he}");
    assert!(he.contains("class=\"overdue\""), "{he}");
    assert!(
        he.contains("通讯地址或邮政编码未填写完整"),
        "the reason it cannot go out: {he}"
    );
    assert!(row_of(&list, "吕评审").contains("应于 2025-02-05 前发放"));
    assert!(list.has("待发放 2 份，其中逾期 2 份"), "{}", list.body);

    // Not while the address is incomplete: neither printed (no PDF button on its row, and
    // its address refused) nor marked mailed.
    assert!(!he.contains("/pdf"), "no PDF for a blocked row: {he}");
    let id = checkbox_id(&he);
    let refused = admin.get(&format!("/association/documents/{id}/pdf")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.has("资格证书无法寄出"), "{}", refused.body);
    let not_mailed = admin
        .post(
            "/association/certificates/mailed",
            &[
                ("documents", id.as_str()),
                ("on", "2026-11-26"),
                ("tracking", "SF100"),
                ("back", "/association/certificates?show=pending"),
            ],
        )
        .await;
    assert_eq!(not_mailed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(not_mailed.has("何评审 的通讯地址"), "{}", not_mailed.body);
    // What was typed stays (the day, the tracking number, the row ticked), and the error
    // stands in the form the page lands on.
    let form = not_mailed
        .between("<form id=\"mailed\"", "</form>")
        .expect("the mailing form");
    assert!(
        form.contains("action=\"/association/certificates/mailed#mailed\""),
        "{form}"
    );
    assert!(form.contains("何评审 的通讯地址"), "{form}");
    assert!(form.contains("value=\"SF100\""), "{form}");
    assert!(form.contains("value=\"2026-11-26\""), "{form}");
    assert!(
        not_mailed.has(&format!("value=\"{id}\" aria-label="))
            && not_mailed.has(" checked disabled>"),
        "{}",
        not_mailed.body
    );

    // Once the person has filled in their address, the certificate prints with the name,
    // the registration number and every item, in Chinese.
    let mut jia = server.browser();
    jia.login(JIA.0, JIA.1).await;
    let (person, password) = add(&mut jia, "何评审", &autumn, &["RQ-ZZ"]).await;
    let sex = registry_core::resident_id::ResidentId::parse_canonical(&autumn)
        .unwrap()
        .sex()
        .label();
    fill_in(&server, &person, jia_id, &password, sex).await;
    let file = admin.get(&format!("/association/people/{person}")).await;
    let number = file.between("注册号 ", "<").unwrap_or_default();
    let number = if number.is_empty() {
        file.between("<dt>注册号</dt><dd>", "</dd>").unwrap()
    } else {
        number
    };
    assert!(number.starts_with("JP2026"), "{number}");
    let pid: i64 = person.parse().unwrap();
    let audited = |entries: Vec<registry_store::queries::association::AuditEntry>| {
        entries
            .iter()
            .filter(|e| e.action == "person.disclose_id")
            .count()
    };
    let before = audited(server.store.audit_of("person", pid).await.unwrap());
    // A GET changes nothing: it asks, and its button POSTs; only the POST prints, audited.
    for path in [
        format!("/association/documents/{id}/pdf"),
        "/association/certificates/pdf?pass_list=2024-09-20".to_owned(),
    ] {
        let asked = admin.get(&path).await;
        assert_eq!(asked.status, StatusCode::OK);
        assert!(asked.has("完整的身份证号码"), "{}", asked.body);
        assert!(
            asked.has(&format!(
                "method=\"post\" action=\"{}\"",
                path.replace('&', "&amp;")
            )),
            "{}",
            asked.body
        );
    }
    assert_eq!(
        audited(server.store.audit_of("person", pid).await.unwrap()),
        before,
        "a GET wrote no audit entry"
    );
    let list = admin.get("/association/certificates").await;
    let row = row_of(&list, "何评审");
    assert!(
        row.contains(&format!(
            "<form class=\"inline\" method=\"post\" action=\"/association/documents/{id}/pdf\""
        )),
        "the list prints a certificate by a POST: {row}"
    );
    let pdf = admin
        .post(&format!("/association/documents/{id}/pdf"), &[])
        .await;
    assert_eq!(
        audited(server.store.audit_of("person", pid).await.unwrap()),
        before + 1
    );
    let text = pdf_text(&pdf, "certificate.pdf");
    for wanted in [
        "鉴定评审人员资格证书",
        "何评审",
        number.as_str(),
        "压力容器制造",
        "锅炉制造",
        "中国特种设备鉴定评审促进会",
    ] {
        assert!(text.contains(wanted), "{wanted} missing from\n{text}");
    }
    not_blank("certificate.pdf");

    // The whole pass list in one PDF: only what can go out.
    let batch = admin
        .post("/association/certificates/pdf?pass_list=2024-09-20", &[])
        .await;
    let text = pdf_text(&batch, "pass-list-2024-09-20.pdf");
    assert!(
        text.contains("何评审") && !text.contains("吕评审"),
        "{text}"
    );
    // A certificate shows the full ID number: each printing is in the person's audit log.
    let log = admin
        .get(&format!(
            "/association/people/{person}?{}",
            query(&[("filter", "person.disclose_id")])
        ))
        .await;
    assert_eq!(
        log.body.matches("用途：打印资格证书").count(),
        2,
        "the single certificate and the pass list: {}",
        log.body
    );

    // Marked mailed: it leaves the pending list and verifies as valid by its code.
    let mailed = admin
        .post(
            "/association/certificates/mailed",
            &[
                ("documents", id.as_str()),
                ("on", "2026-11-26"),
                ("tracking", "SF100"),
                ("back", "/association/certificates?show=pending"),
            ],
        )
        .await;
    assert_eq!(mailed.status, StatusCode::SEE_OTHER, "{}", mailed.body);
    let after = admin.get(mailed.location.as_deref().unwrap()).await;
    assert!(after.has("已将 1 份证件标记为已寄出"), "{}", after.body);
    assert!(!after.has("何评审"), "{}", after.body);
    let code = code_in(&pdf_text(&pdf, "certificate.pdf"));
    let mut public = server.browser();
    let checked = public
        .get(&format!(
            "/verify?{}",
            query(&[("code", &code.to_lowercase())])
        ))
        .await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.body);
    assert!(
        checked.has("✓ 有效") && checked.has("何评审"),
        "{}",
        checked.body
    );
    assert!(!checked.has(&autumn), "no ID number on the public page");
    let token = token_in(&pdf_text(&pdf, "certificate.pdf"));
    let by_qr = public.get(&format!("/verify/{token}")).await;
    assert!(
        by_qr.has("✓ 有效") && by_qr.has("资格证书"),
        "{}",
        by_qr.body
    );
    // The QR code's token answers through the API too.
    let by_api = public
        .api(
            poem::http::Method::GET,
            &format!("/api/v1/public/documents/{token}"),
            None,
        )
        .await;
    assert_eq!(by_api.status, StatusCode::OK, "{}", by_api.body);
    assert_eq!(by_api.json()["valid"], true, "{}", by_api.body);
    assert_eq!(by_api.json()["kind"], "certificate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cards_verify_until_released_expired_or_replaced() {
    let server = Server::new().await;
    let jia_id = institution(&server, 1, "甲鉴定评审中心", JIA.0, JIA.1).await;
    let mut jia = server.browser();
    jia.login(JIA.0, JIA.1).await;
    // 70 on 2027-01-20: the registration, and the card, end the day before.
    let old = resident_id(61, date(1957, 1, 20));
    let young = resident_id(62, date(1980, 4, 4));
    exam_result(&server, "施评审", &old, &["RQ-ZZ", "GL-ZZ"], "2021-06-01").await;
    exam_result(&server, "张评审", &young, &["RQ-ZZ"], "2026-04-01").await;
    let mut people = Vec::new();
    for (name, id, items) in [
        ("施评审", &old, &["RQ-ZZ", "GL-ZZ"][..]),
        ("张评审", &young, &["RQ-ZZ"][..]),
    ] {
        let (person, password) = add(&mut jia, name, id, items).await;
        let sex = registry_core::resident_id::ResidentId::parse_canonical(id)
            .unwrap()
            .sex()
            .label();
        fill_in(&server, &person, jia_id, &password, sex).await;
        let fields: Vec<(&str, &str)> = items.iter().map(|i| ("items", *i)).collect();
        jia.post(&format!("/institution/people/{person}/register"), &fields)
            .await;
        people.push(person);
    }

    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let cards = admin
        .get(&format!("/association/cards?institution={jia_id}"))
        .await;
    assert!(cards.has("待发放 2 份"), "{}", cards.body);
    assert!(
        row_of(&cards, "施评审").contains("压力容器制造")
            && row_of(&cards, "施评审").contains("锅炉制造")
    );
    let ids = selectable(&cards);
    assert_eq!(ids.len(), 2);
    let sheet = admin
        .get(&format!("/association/cards/pdf?institution={jia_id}"))
        .await;
    let text = pdf_text(&sheet, "cards.pdf");
    for wanted in [
        "鉴定评审人员注册信息卡",
        "施评审",
        "张评审",
        "甲鉴定评审中心",
        "压力容器制造",
        "锅炉制造",
        "JP2026",
    ] {
        assert!(text.contains(wanted), "{wanted} missing from\n{text}");
    }
    not_blank("cards.pdf");
    // Each card's short code, from its own PDF (the list is oldest first: 施, then 张).
    let mut codes = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        let single = admin.get(&format!("/association/documents/{id}/pdf")).await;
        codes.push(short_code(&pdf_text(&single, &format!("card-{n}.pdf"))));
    }
    let mut fields: Vec<(&str, &str)> = ids.iter().map(|i| ("documents", i.as_str())).collect();
    fields.extend([
        ("on", "2026-11-26"),
        ("tracking", "EMS9000"),
        ("back", "/association/cards?show=pending"),
    ]);
    let mailed = admin.post("/association/cards/mailed", &fields).await;
    assert_eq!(mailed.status, StatusCode::SEE_OTHER, "{}", mailed.body);

    // Valid.
    let mut public = server.browser();
    let shi = format!("/verify?code={}", codes[0]);
    let zhang = format!("/verify?code={}", codes[1]);
    let valid = public.get(&shi).await;
    assert!(
        valid.has("✓ 有效") && valid.has("施评审") && valid.has("甲鉴定评审中心"),
        "{}",
        valid.body
    );

    // An item released: the card no longer verifies, and says why.
    jia.post(
        &format!("/institution/people/{}/release", people[0]),
        &[
            ("item", "GL-ZZ"),
            ("reason", "不再从事锅炉制造评审"),
            ("confirm", "yes"),
        ],
    )
    .await;
    let released = public.get(&shi).await;
    assert!(
        released.has("✗ 无效") && released.has("“锅炉制造”已由机构退回"),
        "{}",
        released.body
    );
    // The API says the same, by the same code, with stable codes and no ID number.
    let api = public
        .api(
            poem::http::Method::GET,
            &format!("/api/v1/public/documents/{}", codes[0]),
            None,
        )
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let answer = api.json();
    assert_eq!(answer["valid"], false);
    assert_eq!(answer["kind"], "card");
    assert_eq!(answer["name"], "施评审");
    assert_eq!(answer["institution"], "甲鉴定评审中心");
    assert_eq!(answer["findings"][0]["code"], "item_released");
    let items = answer["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|i| i["code"] == "GL-ZZ" && i["valid"] == false),
        "{answer}"
    );
    assert!(!api.body.contains("resident_id") && !api.body.contains("身份证"));
    let unknown = public
        .api(
            poem::http::Method::GET,
            "/api/v1/public/documents/ABCDEFGH23",
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.json()["code"], "not_found.document");
    // A new card with what remains waits to be issued.
    let cards = admin
        .get(&format!("/association/cards?institution={jia_id}"))
        .await;
    let row = row_of(&cards, "施评审");
    assert!(
        row.contains("压力容器制造") && !row.contains("锅炉制造"),
        "{row}"
    );

    // 张's card is reported lost by the institution: the old one is void at once.
    let docs = jia.get("/institution/documents").await;
    let zhang_row = row_of(&docs, "张评审");
    let action = zhang_row
        .split("action=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let replaced = jia.post(&action, &[]).await;
    assert!(replaced.has("已挂失"), "{}", replaced.body);
    // The institution's list by state: the lost card among the void ones, its replacement
    // among those to be issued; the certificates are the other list.
    let void = jia.get("/institution/documents?kind=cards&show=void").await;
    assert!(row_of(&void, "张评审").contains("已作废"), "{}", void.body);
    let pending = jia
        .get("/institution/documents?kind=cards&show=pending")
        .await;
    assert!(
        row_of(&pending, "张评审").contains("待发放"),
        "{}",
        pending.body
    );
    assert!(!pending.has("已作废</span>"), "{}", pending.body);
    let certificates = jia.get("/institution/documents?kind=certificates").await;
    assert!(
        certificates.has("<h2>本机构人员的资格证书</h2>") && certificates.has("共 "),
        "{}",
        certificates.body
    );
    let void = public.get(&zhang).await;
    assert!(
        void.has("✗ 无效") && void.has("已挂失补发"),
        "{}",
        void.body
    );
    let cards = admin
        .get(&format!("/association/cards?institution={jia_id}"))
        .await;
    assert!(row_of(&cards, "张评审").contains("补发"), "{}", cards.body);

    // Past the 70th birthday, 施's card (and registration) has expired: no item of it is
    // valid, and it is not printed again; nor is the card waiting since the release, which
    // ended on the same day, alone or in the institution's batch.
    server.clock.advance(time::Duration::days(60));
    let expired = public.get(&shi).await;
    assert!(
        expired.has("✗ 无效") && expired.has("有效期至 2027-01-19，已过期"),
        "{}",
        expired.body
    );
    assert!(
        !expired.has("<span class=\"tick\">有效</span>"),
        "{}",
        expired.body
    );
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let reprint = admin
        .get(&format!("/association/documents/{}/pdf", ids[0]))
        .await;
    assert_eq!(reprint.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reprint.has("该证件有效期已于 2027-01-19 届满，不能打印"),
        "{}",
        reprint.body
    );
    let cards = admin
        .get(&format!("/association/cards?institution={jia_id}"))
        .await;
    assert!(
        row_of(&cards, "施评审").contains("该证件有效期已于 2027-01-19 届满，不能打印"),
        "{}",
        cards.body
    );
    // The mailed card that expired has no PDF any more, and says why.
    let mailed = admin
        .get(&format!(
            "/association/cards?institution={jia_id}&show=mailed"
        ))
        .await;
    let row = row_of(&mailed, "施评审");
    assert!(
        row.contains("届满，不能打印") && !row.contains("/pdf"),
        "{row}"
    );
    let sheet = admin
        .get(&format!("/association/cards/pdf?institution={jia_id}"))
        .await;
    let text = pdf_text(&sheet, "cards-after-expiry.pdf");
    assert!(
        text.contains("张评审") && !text.contains("施评审"),
        "only the replacement, still valid: {text}"
    );

    // Unknown or malformed keys find nothing.
    let unknown = public.get(&format!("/verify/{}", "a".repeat(26))).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.has("未找到该证件"));
    let malformed = public.get("/verify?code=not-a-code").await;
    assert_eq!(malformed.status, StatusCode::NOT_FOUND);

    // Every look-up was logged.
    let first = ids[0].parse::<i64>().unwrap();
    let second = ids[1].parse::<i64>().unwrap();
    let (a, _) = server
        .store
        .verifications_of(DocumentId::new(first))
        .await
        .unwrap();
    let (b, _) = server
        .store
        .verifications_of(DocumentId::new(second))
        .await
        .unwrap();
    // 施: valid, released (the page and the API), expired; 张: void. The unknown look-ups
    // name no document.
    assert_eq!((a, b), (4, 1));
}

/// The `value` of the selection checkbox in a list's row.
fn checkbox_id(row: &str) -> String {
    row.split("name=\"documents\" value=\"")
        .nth(1)
        .expect("a checkbox")
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

/// A document whose validity has ended is never printed as a fresh edition (one at a time
/// or in a batch), and the public verification page shows none of its items as valid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_document_is_not_printed_and_none_of_its_items_verifies() {
    let server = Server::new().await;
    let jia_id = institution(&server, 1, "甲鉴定评审中心", JIA.0, JIA.1).await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let cycle = admin
        .post(
            "/association/cycles",
            &[
                ("name", "2021—2024"),
                ("start", "2021-01-01"),
                ("end", "2024-12-31"),
                ("hours", "32"),
            ],
        )
        .await;
    assert!(cycle.has("2021—2024"), "{}", cycle.body);

    // A certificate of a 2021—2024 pass list that was never mailed: it ended with its
    // cycle. Listed with the reason, without a PDF link; neither printed alone nor in the
    // pass list's batch.
    let qian = resident_id(71, date(1975, 5, 5));
    exam_result(&server, "钱评审", &qian, &["RQ-ZZ", "GL-ZZ"], "2024-09-20").await;
    let list = admin.get("/association/certificates").await;
    let row = row_of(&list, "钱评审");
    assert!(
        row.contains("该证件有效期已于 2024-12-31 届满，不能打印"),
        "{row}"
    );
    assert!(!row.contains("/pdf"), "no PDF link: {row}");
    assert!(
        row.contains("disabled"),
        "cannot be selected for mailing: {row}"
    );
    let id = checkbox_id(&row);
    let refused = admin.get(&format!("/association/documents/{id}/pdf")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.has("该证件有效期已于 2024-12-31 届满，不能打印"),
        "{}",
        refused.body
    );
    let batch = admin
        .get("/association/certificates/pdf?pass_list=2024-09-20")
        .await;
    assert_eq!(batch.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(batch.has("已过有效期"), "{}", batch.body);
    let code = {
        use registry_core::ports::{Register, RegisterTx};
        let mut tx = server.store.begin().await.unwrap();
        tx.document(DocumentId::new(id.parse().unwrap()))
            .await
            .unwrap()
            .unwrap()
            .details
            .code
            .to_string()
    };
    let mut public = server.browser();
    let checked = public.get(&format!("/verify?code={code}")).await;
    assert!(
        checked.has("✗ 无效") && checked.has("有效期至 2024-12-31，已过期"),
        "{}",
        checked.body
    );
    assert!(
        !checked.has("<span class=\"tick\">有效</span>"),
        "{}",
        checked.body
    );
    assert_eq!(
        checked.body.matches(">无效</span>").count(),
        2,
        "{}",
        checked.body
    );

    // A certificate of the 2025—2028 pass list, mailed: valid, every item valid, printed
    // again on request; after 2028-12-31 it is expired, item by item, and not printed.
    let sun = resident_id(73, date(1978, 7, 7));
    exam_result(&server, "孙评审", &sun, &["QP-CZ", "DT-ZZ"], "2026-06-01").await;
    let mut jia = server.browser();
    jia.login(JIA.0, JIA.1).await;
    let (person, password) = add(&mut jia, "孙评审", &sun, &["QP-CZ"]).await;
    let sex = registry_core::resident_id::ResidentId::parse_canonical(&sun)
        .unwrap()
        .sex()
        .label();
    fill_in(&server, &person, jia_id, &password, sex).await;
    let list = admin.get("/association/certificates").await;
    let id = checkbox_id(&row_of(&list, "孙评审"));
    let pdf = admin
        .post(&format!("/association/documents/{id}/pdf"), &[])
        .await;
    let code = code_in(&pdf_text(&pdf, "certificate-2028.pdf"));
    let mailed = admin
        .post(
            "/association/certificates/mailed",
            &[
                ("documents", id.as_str()),
                ("on", "2026-11-26"),
                ("tracking", "SF200"),
                ("back", "/association/certificates?show=pending"),
            ],
        )
        .await;
    assert_eq!(mailed.status, StatusCode::SEE_OTHER, "{}", mailed.body);
    let valid = public.get(&format!("/verify?code={code}")).await;
    assert!(valid.has("✓ 有效"), "{}", valid.body);
    assert_eq!(
        valid
            .body
            .matches("<span class=\"tick\">有效</span>")
            .count(),
        2,
        "{}",
        valid.body
    );
    let again = admin
        .post(&format!("/association/documents/{id}/pdf"), &[])
        .await;
    assert_eq!(again.status, StatusCode::OK, "a reprint while valid");
    assert_eq!(
        again.headers.get("content-type").unwrap(),
        "application/pdf"
    );

    // 2029-01-02.
    server.clock.advance(time::Duration::days(768));
    let expired = public.get(&format!("/verify?code={code}")).await;
    assert!(
        expired.has("✗ 无效") && expired.has("有效期至 2028-12-31，已过期"),
        "{}",
        expired.body
    );
    assert!(
        !expired.has("<span class=\"tick\">有效</span>"),
        "{}",
        expired.body
    );
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let refused = admin.get(&format!("/association/documents/{id}/pdf")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.has("该证件有效期已于 2028-12-31 届满，不能打印"),
        "{}",
        refused.body
    );
    let file = admin.get(&format!("/association/people/{person}")).await;
    assert!(
        !file.has(&format!("/association/documents/{id}/pdf")),
        "no PDF link on the person's file: {}",
        file.body
    );
}

/// Certificates and cards through the API: the lists with their due dates, marking
/// mailed (refused with every problem, then done), 挂失补发 by the institution of a card
/// (another's edition not found) and by the association, the new edition pending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_through_the_api() {
    use poem::http::Method;
    use serde_json::json;
    let server = Server::new().await;
    let jia_id = institution(&server, 1, "甲鉴定评审中心", JIA.0, JIA.1).await;
    institution(&server, 2, "乙鉴定评审中心", "yijg", "Fangan2026z").await;
    let mut jia = server.browser();
    jia.login(JIA.0, JIA.1).await;
    let id = resident_id(63, date(1980, 4, 4));
    exam_result(&server, "柳评审", &id, &["RQ-ZZ"], "2026-04-01").await;
    let (person, password) = add(&mut jia, "柳评审", &id, &["RQ-ZZ"]).await;
    let sex = registry_core::resident_id::ResidentId::parse_canonical(&id)
        .unwrap()
        .sex()
        .label();
    fill_in(&server, &person, jia_id, &password, sex).await;
    jia.post(
        &format!("/institution/people/{person}/register"),
        &[("items", "RQ-ZZ")],
    )
    .await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let unknown = admin
        .api(
            Method::GET,
            "/api/v1/association/documents?kind=diploma",
            None,
        )
        .await;
    // Not a kind of the document's enum: refused by the document.
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.json()["code"], "request.invalid");
    let cards = admin
        .api(Method::GET, "/api/v1/association/documents?kind=card", None)
        .await
        .json();
    let card = &cards.as_array().unwrap()[0];
    assert_eq!(card["name"], "柳评审");
    assert_eq!(card["institution"], "甲鉴定评审中心");
    assert_eq!(card["state"], "待发放");
    assert!(
        card["due_on"].as_str().unwrap().starts_with("2026-"),
        "{card}"
    );
    assert_eq!(card["overdue"], false);
    let card_id = card["id"].as_i64().unwrap();
    let certificates = admin
        .api(
            Method::GET,
            "/api/v1/association/documents?kind=certificate",
            None,
        )
        .await
        .json();
    assert_eq!(certificates[0]["name"], "柳评审");
    for document in [card_id, certificates[0]["id"].as_i64().unwrap()] {
        let pdf = admin
            .api(
                Method::POST,
                &format!("/api/v1/association/documents/{document}/pdf"),
                None,
            )
            .await;
        assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.body);
        assert!(pdf.bytes.starts_with(b"%PDF"), "a PDF");
    }
    let missing = admin
        .api(
            Method::POST,
            "/api/v1/association/documents/999999/pdf",
            None,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // The sheets of a pass list and of an institution, as the pages' 打印 buttons.
    for (body, file) in [
        (
            json!({"kind": "certificate", "pass_list": "2026-04-01"}),
            "certificates-2026-04-01.pdf",
        ),
        (json!({"kind": "card", "institution": jia_id}), "cards-"),
    ] {
        let sheet = admin
            .api(
                Method::POST,
                "/api/v1/association/documents/sheets",
                Some(body),
            )
            .await;
        assert_eq!(sheet.status, StatusCode::OK, "{}", sheet.body);
        assert!(sheet.bytes.starts_with(b"%PDF"), "a PDF");
        assert!(
            sheet
                .headers
                .get("content-disposition")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains(file)),
            "{:?}",
            sheet.headers
        );
    }
    for (body, code) in [
        (
            json!({"kind": "certificate", "pass_list": "2025-04-01"}),
            "document.not_printable",
        ),
        (json!({"kind": "card"}), "document.institution_required"),
        (
            json!({"kind": "card", "institution": jia_id, "pass_list": "2026-04-01"}),
            "document.sheet_mismatch",
        ),
    ] {
        let refused = admin
            .api(
                Method::POST,
                "/api/v1/association/documents/sheets",
                Some(body),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(refused.json()["code"], code, "{}", refused.body);
    }
    // The institution's own list: its cards, and the certificates of its people.
    for kind in ["card", "certificate"] {
        let own = jia
            .api(
                Method::GET,
                &format!("/api/v1/institution/documents?kind={kind}&all=true"),
                None,
            )
            .await;
        assert_eq!(own.status, StatusCode::OK, "{}", own.body);
        assert_eq!(own.json()[0]["name"], "柳评审", "{}", own.body);
    }
    let mut yi = server.browser();
    yi.login("yijg", "Fangan2026z").await;
    for kind in ["card", "certificate"] {
        let others = yi
            .api(
                Method::GET,
                &format!("/api/v1/institution/documents?kind={kind}&all=true"),
                None,
            )
            .await;
        assert_eq!(others.json(), json!([]), "{}", others.body);
    }
    // In the future and without a tracking number: every problem, nothing marked.
    let refused = admin
        .api(
            Method::POST,
            "/api/v1/association/documents/mailed",
            Some(json!({"documents": [card_id], "on": "2099-01-01", "tracking": ""})),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.json()["violations"].as_array().unwrap().len() >= 2,
        "{}",
        refused.body
    );
    let mailed = admin
        .api(
            Method::POST,
            "/api/v1/association/documents/mailed",
            Some(json!({"documents": [card_id], "on": "2026-11-26", "tracking": "SF1234567890"})),
        )
        .await;
    assert_eq!(mailed.status, StatusCode::OK, "{}", mailed.body);
    assert_eq!(mailed.json()["marked"], 1);
    let mut yi = server.browser();
    yi.login("yijg", "Fangan2026z").await;
    let elsewhere = yi
        .api(
            Method::POST,
            &format!("/api/v1/institution/documents/{card_id}/replacement"),
            None,
        )
        .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::NOT_FOUND,
        "{}",
        elsewhere.body
    );
    let replaced = jia
        .api(
            Method::POST,
            &format!("/api/v1/institution/documents/{card_id}/replacement"),
            None,
        )
        .await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
    let new = replaced.json();
    assert!(new["serial"].as_str().unwrap().starts_with("KP"), "{new}");
    let all = admin
        .api(
            Method::GET,
            "/api/v1/association/documents?kind=card&all=true",
            None,
        )
        .await
        .json();
    let states: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["state"].as_str().unwrap())
        .collect();
    assert!(
        states.contains(&"已作废") && states.contains(&"待发放"),
        "{states:?}"
    );
    // The lost card again: it is void already.
    let again = admin
        .api(
            Method::POST,
            &format!("/api/v1/association/documents/{card_id}/replacement"),
            None,
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        again.body
    );
}
