//! The crash proof (issue 9, `cargo xtask proof`): the real `registry serve` is killed with
//! SIGKILL in the middle of work, again and again, and after each kill the register must be
//! whole: SQLite's `integrity_check` and `foreign_key_check` pass, no use case is half
//! written, and nothing the server acknowledged is lost.
//!
//! Two kinds of rounds, each `rounds` times over one SQLite register:
//!
//! - **registration burst**: 8 clients register people item by item (`POST
//!   /institution/people/:id/register`, as the institutions' pages do) until the server is
//!   killed at a random moment. Then: every registered holding has its registration record
//!   with the same period and its person a registration number; every registration record
//!   written since the start has its `holding.register` audit entry and the other way round;
//!   every registration the server answered "registered" for is there.
//! - **import**: the association uploads a pass list of 20,000 new people on the 数据导入
//!   page and the server is killed at a random moment of the import. Then: the import is
//!   there completely or not at all (people, qualifications and certificates counted); an
//!   import the server answered for is there.
//!
//! The server restarts on the same database for the next round, as an operator's service
//! manager would restart it.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, Result, bail, ensure};
use registry_core::holding::{EntryProgress, ItemState};
use registry_core::person::{AssessorDetails, DetailsForm};
use registry_store::DatabaseUrl;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

use crate::harness::{
    Server, association_session, csrf_of, load_people, registry_binary, request, session, start,
};
use crate::register::Rng;

/// People in the crash register.
const PEOPLE: usize = 20_000;
/// Rows of each uploaded pass list.
const IMPORT_ROWS: usize = 20_000;
/// Concurrent clients of a registration burst.
const CLIENTS: usize = 8;
/// What the crash proof found.
pub(crate) struct Outcome {
    /// Rounds run of each kind.
    pub rounds: u32,
    /// Registrations the server acknowledged before a kill (all found afterwards).
    pub acknowledged_registrations: usize,
    /// Registrations found written (acknowledged or not) after the kills.
    pub written_registrations: usize,
    /// Imports killed before they committed (found absent).
    pub imports_absent: u32,
    /// Imports found complete after the kill.
    pub imports_complete: u32,
}

/// A registration a client may ask for: the person, the institution's session, the items.
struct Target {
    person: i64,
    cookie: Arc<str>,
    items: Vec<String>,
}

async fn count(db: &DatabaseConnection, sql: &str) -> Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .context("a count")?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

/// The register's invariants after a kill; `since_regs` / `since_audits` are the counts of
/// registration records and `holding.register` entries before the first round.
async fn check(file: &Path, since_regs: i64, since_audits: i64) -> Result<i64> {
    registry_store::maintenance::check_sqlite_file(file)
        .await
        .map_err(|e| anyhow::anyhow!("integrity: {e}"))?;
    let db = Database::connect(DatabaseUrl::sqlite_file_url(file).to_string()).await?;
    let unrecorded = count(
        &db,
        "SELECT COUNT(*) FROM holdings h WHERE h.state = 'registered' AND NOT EXISTS \
         (SELECT 1 FROM registrations r WHERE r.holding_id = h.id \
          AND r.valid_from = h.valid_from AND r.valid_until = h.valid_until)",
    )
    .await?;
    ensure!(
        unrecorded == 0,
        "{unrecorded} registered holdings without their registration record"
    );
    let unnumbered = count(
        &db,
        "SELECT COUNT(*) FROM people p WHERE p.registration_number IS NULL AND EXISTS \
         (SELECT 1 FROM holdings h WHERE h.person_id = p.id AND h.state = 'registered')",
    )
    .await?;
    ensure!(
        unnumbered == 0,
        "{unnumbered} registered people without a registration number"
    );
    let regs = count(&db, "SELECT COUNT(*) FROM registrations").await? - since_regs;
    let audits = count(
        &db,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'holding.register'",
    )
    .await?
        - since_audits;
    ensure!(
        regs == audits,
        "{regs} registration records written but {audits} audit entries: a half-written registration"
    );
    db.close().await?;
    Ok(regs)
}

async fn registered(file: &Path, person: i64, items: &[String]) -> Result<bool> {
    let db = Database::connect(DatabaseUrl::sqlite_file_url(file).to_string()).await?;
    let list = items
        .iter()
        .map(|i| format!("'{}'", i.replace('\'', "")))
        .collect::<Vec<_>>()
        .join(",");
    let n = count(
        &db,
        &format!(
            "SELECT COUNT(*) FROM holdings WHERE person_id = {person} AND state = 'registered' \
             AND item_code IN ({list})"
        ),
    )
    .await?;
    db.close().await?;
    Ok(usize::try_from(n).unwrap_or(0) == items.len())
}

/// A registration burst until the server is killed after `kill_after`; returns the
/// acknowledged registrations.
fn burst(
    addr: SocketAddr,
    server: Server,
    targets: &Arc<Vec<Target>>,
    next: &Arc<AtomicUsize>,
    kill_after: Duration,
) -> Vec<(i64, Vec<String>)> {
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let targets = Arc::clone(targets);
            let next = Arc::clone(next);
            let acknowledged = Arc::clone(&acknowledged);
            std::thread::spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(target) = targets.get(i) else { break };
                    let body = target
                        .items
                        .iter()
                        .map(|item| format!("items={item}"))
                        .collect::<Vec<_>>()
                        .join("&");
                    match request(
                        addr,
                        "POST",
                        &format!("/institution/people/{}/register", target.person),
                        &target.cookie,
                        &[
                            ("Content-Type", "application/x-www-form-urlencoded"),
                            ("X-CSRF-Token", &csrf_of(&target.cookie)),
                        ],
                        body.as_bytes(),
                    ) {
                        Ok((303, head, _)) if head.contains("notice=registered") => {
                            if let Ok(mut list) = acknowledged.lock() {
                                list.push((target.person, target.items.clone()));
                            }
                        }
                        // Refused (a rule of the register) or not answered in full.
                        Ok(_) => {}
                        // The server is gone.
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(kill_after);
    drop(server);
    for client in clients {
        let _ = client.join();
    }
    acknowledged.lock().map(|l| l.clone()).unwrap_or_default()
}

/// A pass-list upload of 数据导入 (all rows or none): its content type and body.
pub(crate) fn multipart(file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "registry-proof-7d3f1c";
    let mut body = Vec::new();
    for (name, value) in [("kind", "qualifications"), ("mode", "all")] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"pass-list.xlsx\"\r\n\
             Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn people_and_qualifications(file: &Path) -> Result<(i64, i64)> {
    let db = Database::connect(DatabaseUrl::sqlite_file_url(file).to_string()).await?;
    let people = count(&db, "SELECT COUNT(*) FROM people").await?;
    let qualifications = count(&db, "SELECT COUNT(*) FROM qualifications").await?;
    db.close().await?;
    Ok((people, qualifications))
}

/// Gives every person of the crash register the certificate their pass list made (one
/// edition listing every item they passed, from its publication day, not yet mailed), as
/// a real register holds: the bulk loader writes none, and without a certificate in force
/// listing the item the registration gate refuses every registration of the bursts.
async fn certify(url: &DatabaseUrl) -> Result<()> {
    use registry_core::document::{CODE_BYTES, TOKEN_BYTES, VerificationCode, VerificationToken};
    let db = Database::connect(url.to_string()).await?;
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT person_id, item_code, published_on FROM qualifications \
             ORDER BY person_id, item_code",
        ))
        .await?;
    let mut editions: Vec<(i64, String, Vec<String>)> = Vec::new();
    for row in &rows {
        let person: i64 = row.try_get("", "person_id")?;
        let item: String = row.try_get("", "item_code")?;
        let published: String = row.try_get("", "published_on")?;
        match editions.last_mut() {
            Some((p, _, items)) if *p == person => items.push(item),
            _ => editions.push((person, published, vec![item])),
        }
    }
    let mut rng = Rng(0x5EED_CE27_1F1C_A7E5);
    let mut bytes = |n: usize| -> Vec<u8> { (0..n).map(|_| rng.next() as u8).collect() };
    db.execute_unprepared("BEGIN").await?;
    for (person, published, items) in &editions {
        let token = VerificationToken::from_entropy(
            bytes(TOKEN_BYTES)
                .try_into()
                .map_err(|_| anyhow::anyhow!("token bytes"))?,
        );
        let code = VerificationCode::from_entropy(
            bytes(CODE_BYTES)
                .try_into()
                .map_err(|_| anyhow::anyhow!("code bytes"))?,
        );
        let inserted = db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                "INSERT INTO documents (kind, person_id, token, code, created_on, pass_list, version) \
                 VALUES ('certificate', ?, ?, ?, ?, ?, 0) RETURNING id",
                [
                    (*person).into(),
                    token.as_str().into(),
                    code.as_str().into(),
                    published.as_str().into(),
                    published.as_str().into(),
                ],
            ))
            .await?
            .context("the new edition's id")?;
        let document: i64 = inserted.try_get("", "id")?;
        for (position, item) in items.iter().enumerate() {
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                "INSERT INTO document_items (document_id, item_code, position) VALUES (?, ?, ?)",
                [
                    document.into(),
                    item.as_str().into(),
                    i64::try_from(position)?.into(),
                ],
            ))
            .await?;
        }
    }
    db.execute_unprepared("COMMIT").await?;
    db.close().await?;
    Ok(())
}

/// Runs the crash proof in `dir`: `rounds` registration bursts and `rounds` imports, each
/// killed with SIGKILL.
pub(crate) async fn proof(dir: &Path, rounds: u32) -> Result<Outcome> {
    let registry = registry_binary()?;
    let file = dir.join("crash.sqlite3");
    let url = DatabaseUrl::sqlite_file_url(&file);
    let catalogue =
        registry_core::fixtures::review_items().map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let calendar = registry_core::fixtures::calendar().map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let (store, institutions, cycle) =
        crate::register::prepare(&url, &catalogue, &calendar).await?;

    // People whose institution has set them up and who filled in their details: every
    // employed person's items await registration.
    let mut people = crate::register::synthetic(PEOPLE, &catalogue, &institutions, cycle)?;
    for person in &mut people {
        let form = DetailsForm {
            sex: person.resident_id.sex().label().to_owned(),
            ethnicity: "汉族".into(),
            education: "大学本科".into(),
            school: "福州大学".into(),
            major: "机械工程".into(),
            title: "高级工程师".into(),
            work_unit: "鉴定评审中心".into(),
            position: "评审员".into(),
            mobile: "13912345678".into(),
            email: "assessor@example.com".into(),
            province: "福建省".into(),
            city: "福州市".into(),
            district: "鼓楼区".into(),
            street: "五四路1号".into(),
            postcode: "350001".into(),
        };
        person.details = AssessorDetails::parse(&form, &person.resident_id)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        for employment in &mut person.employments {
            employment.progress = EntryProgress::Complete;
            for holding in &mut employment.holdings {
                holding.1 = ItemState::AwaitingRegistration;
                holding.2 = None;
            }
        }
    }
    load_people(&store, &people).await?;
    let admin = association_session(&store, &catalogue, &calendar).await?;
    let mut cookies = Vec::new();
    for n in 1..=institutions.len() {
        cookies.push(Arc::<str>::from(
            session(&store, &format!("inst{n}")).await?,
        ));
    }
    let targets: Vec<Target> = people
        .iter()
        .enumerate()
        .flat_map(|(i, p)| p.employments.iter().map(move |e| (i, e)))
        .filter_map(|(i, e)| {
            let n = institutions.iter().position(|&id| id == e.institution)?;
            Some(Target {
                person: i64::try_from(i).ok()? + 1,
                cookie: Arc::clone(&cookies[n]),
                items: e.holdings.iter().map(|h| h.0.as_str().to_owned()).collect(),
            })
        })
        .collect();
    drop(store);
    certify(&url).await?;
    let since_regs;
    let since_audits;
    {
        let db = Database::connect(url.to_string()).await?;
        since_regs = count(&db, "SELECT COUNT(*) FROM registrations").await?;
        since_audits = count(
            &db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'holding.register'",
        )
        .await?;
        db.close().await?;
    }

    let targets = Arc::new(targets);
    let next = Arc::new(AtomicUsize::new(0));
    let mut rng = Rng(0xC0FF_EE00_D15E_A5E5);
    let mut acknowledged_total = 0;
    let mut written = 0;
    for round in 1..=rounds {
        let (server, addr) = start(&registry, &url, &[])?;
        let kill_after = Duration::from_millis(50 + rng.below(450));
        let acknowledged = burst(addr, server, &targets, &next, kill_after);
        written = check(&file, since_regs, since_audits)
            .await
            .with_context(|| format!("registration round {round}"))?;
        for (person, items) in &acknowledged {
            ensure!(
                registered(&file, *person, items).await?,
                "registration round {round}: person {person}'s acknowledged registration is lost"
            );
        }
        acknowledged_total += acknowledged.len();
        println!(
            "  registration round {round:>2}: killed after {:>3} ms, {:>3} acknowledged, {written} written in all; integrity ok",
            kill_after.as_millis(),
            acknowledged.len()
        );
        if next.load(Ordering::Relaxed) >= targets.len() {
            bail!("the crash register ran out of people to register: raise PEOPLE");
        }
    }

    let mut absent = 0;
    let mut complete = 0;
    for round in 1..=rounds {
        let first = usize::try_from(round).unwrap_or(0) * IMPORT_ROWS;
        let table = crate::import::pass_list_from(first, IMPORT_ROWS, u64::from(round))?;
        let items: i64 = table
            .iter()
            .map(|row| row[2].split('、').count() as i64)
            .sum();
        let bytes = crate::import::workbook(&table)?;
        let (content_type, body) = multipart(&bytes);
        let before = people_and_qualifications(&file).await?;
        let (server, addr) = start(&registry, &url, &[])?;
        let kill_after = Duration::from_millis(100 + rng.below(2_400));
        let admin = admin.clone();
        let upload = std::thread::spawn(move || {
            request(
                addr,
                "POST",
                &format!("/association/exchange/import?csrf={}", csrf_of(&admin)),
                &admin,
                &[("Content-Type", &content_type)],
                &body,
            )
        });
        std::thread::sleep(kill_after);
        drop(server);
        let answered = matches!(upload.join(), Ok(Ok((200, ..))));
        check(&file, since_regs, since_audits)
            .await
            .with_context(|| format!("import round {round}"))?;
        let after = people_and_qualifications(&file).await?;
        let rows = i64::try_from(IMPORT_ROWS)?;
        let outcome = if after == before {
            ensure!(
                !answered,
                "import round {round}: the server answered the import but it is not there"
            );
            absent += 1;
            "absent"
        } else if after == (before.0 + rows, before.1 + items) {
            complete += 1;
            "complete"
        } else {
            bail!(
                "import round {round}: half an import: people {} → {}, qualifications {} → {}",
                before.0,
                after.0,
                before.1,
                after.1
            );
        };
        println!(
            "  import round {round:>2}: killed after {:>4} ms, the import is {outcome}; integrity ok",
            kill_after.as_millis()
        );
    }
    // The server starts once more and serves the register.
    let (server, addr) = start(&registry, &url, &[])?;
    let (status, ..) = request(
        addr,
        "GET",
        "/search?by=name&q=%E7%8E%8B%E4%BC%9F",
        "",
        &[],
        b"",
    )?;
    ensure!(
        status == 200,
        "after the crashes the public search answered {status}"
    );
    drop(server);
    Ok(Outcome {
        rounds,
        acknowledged_registrations: acknowledged_total,
        written_registrations: usize::try_from(written).unwrap_or(0),
        imports_absent: absent,
        imports_complete: complete,
    })
}
