//! The pass-list import benchmark (issue 8).
//!
//! Writes a pass list of N rows (each a new person with 1–3 items) as an .xlsx workbook,
//! then in the same run:
//!
//! 1. **ours**: `registry_batch::import` (every row checked, the file read twice, people,
//!    qualifications, certificates and audit entries written in one transaction), run in
//!    a child process that reports its time and its peak resident memory (VmHWM);
//! 2. **baseline**: the least any importer must do: read the workbook once and insert the
//!    same rows (people with their ID hash and cipher, qualifications, certificates and
//!    their items, audit entries) with one prepared INSERT per row, in one transaction,
//!    through sqlx directly;
//! 3. **memory**: the child again on a tenth of the rows, to show whether memory grows
//!    with the file.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use registry_batch::Setting;
use registry_batch::import::{Kind, Options};
use registry_batch::table::{Format, Source, write_table};
use registry_core::date::format_date;
use registry_core::exchange::normalize_date;
use registry_core::ports::Actor;
use registry_core::resident_id::ResidentId;
use registry_store::{DataKey, DatabaseUrl, Store};

use crate::register::{KEY, Rng, date, now};

const HEADER: [&str; 5] = ["姓名", "身份证号", "评审项目", "考核日期", "公布日期"];

/// A pass list of `count` new people.
fn pass_list(count: usize, seed: u64) -> Result<Vec<Vec<String>>> {
    pass_list_from(0, count, seed)
}

/// A pass list of `count` new people, the `first`-th to the `first + count - 1`-th of an
/// endless list of distinct ID numbers.
pub(crate) fn pass_list_from(first: usize, count: usize, seed: u64) -> Result<Vec<Vec<String>>> {
    let surnames: Vec<char> = crate::register::SURNAMES.chars().collect();
    let given: Vec<char> = crate::register::GIVEN.chars().collect();
    let items = ["RQ-ZZ", "GL-ZZ", "QP-ZZ", "DT-AX", "QZ-ZZ", "GD-AZ"];
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(count);
    for i in first..first + count {
        // Unique ID numbers: a region and birth day per 999 sequence numbers.
        let region = 350102 + u32::try_from(i / (999 * 3000)).unwrap_or(0);
        let birth = date(1970, 1, 1) + time::Duration::days(i64::try_from((i / 999) % 3000)?);
        let sequence = u16::try_from(i % 999 + 1)?;
        let id = ResidentId::from_parts(region, birth, sequence).context("id")?;
        let mut name = String::new();
        name.push(surnames[rng.below(surnames.len() as u64) as usize]);
        for _ in 0..1 + rng.below(2) {
            name.push(given[rng.below(given.len() as u64) as usize]);
        }
        let n = 1 + rng.below(3) as usize;
        let start = rng.below(items.len() as u64) as usize;
        let chosen: Vec<&str> = (0..n).map(|k| items[(start + k) % items.len()]).collect();
        out.push(vec![
            name,
            id.as_str().to_owned(),
            chosen.join("、"),
            "2026-04-01".to_owned(),
            "2026-04-20".to_owned(),
        ]);
    }
    Ok(out)
}

/// Writes a pass list of `count` rows as .xlsx to `file` (for tracing the child by hand).
pub(crate) fn write_list(count: usize, file: &Path) -> Result<()> {
    std::fs::write(file, workbook(&pass_list(count, 0x1234_5678)?)?)?;
    Ok(())
}

/// A pass list as an .xlsx workbook.
pub(crate) fn workbook(table: &[Vec<String>]) -> Result<Vec<u8>> {
    write_table(Format::Xlsx, "考核合格名单", &HEADER, table).map_err(|e| anyhow::anyhow!("{e}"))
}

/// A fresh register with the 2025—2028 cycle.
async fn fresh(url: &DatabaseUrl) -> Result<Store> {
    let store = Store::connect(url, DataKey::from_hex(KEY)?).await?;
    store.migrate().await?;
    let catalogue = store.catalogue().await?;
    let calendar = store.calendar().await?;
    crate::register::run(
        &store,
        &catalogue,
        &calendar,
        registry_core::usecases::DefineCycle {
            target: registry_core::usecases::CycleTarget::New,
            name: "2025—2028".into(),
            start: date(2025, 1, 1),
            end: date(2028, 12, 31),
            policy: registry_core::policy::Policy::default(),
        },
    )
    .await?;
    Ok(store)
}

/// The peak resident memory of this process, in KiB.
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

/// Reports the resident memory at each phase on standard error (REGISTRY_BENCH_TRACE).
struct Trace;

impl registry_batch::Progress for Trace {
    fn phase(&mut self, name: &str, _: Option<u64>) {
        if std::env::var_os("REGISTRY_BENCH_TRACE").is_some() {
            eprintln!(
                "phase {name}: peak {} KiB at {:?}",
                peak_kib(),
                START.get_or_init(Instant::now).elapsed()
            );
        }
    }
    fn advance(&mut self, done: u64) {
        if std::env::var_os("REGISTRY_BENCH_TRACE").is_some() && done % 10_000 < 1000 {
            let rss = std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find(|l| l.starts_with("VmRSS:"))
                        .map(str::to_owned)
                })
                .unwrap_or_default();
            eprintln!("  {done}: {rss}");
        }
    }
    fn finish(&mut self) {}
}

/// The child: imports `file` into a fresh register at `db`, prints
/// `elapsed_ms peak_kib before_kib`.
pub(crate) async fn child(file: &Path, db: &Path) -> Result<()> {
    let store = fresh(&DatabaseUrl::sqlite_file_url(db)).await?;
    let catalogue = store.catalogue().await?;
    let calendar = store.calendar().await?;
    let entropy = registry_core::memory::SequenceEntropy::new(0x5eed);
    let actor = Actor::System {
        job: "bench".into(),
    };
    let setting = Setting {
        store: &store,
        catalogue: &catalogue,
        calendar: &calendar,
        entropy: &entropy,
        actor: &actor,
        now: now(),
    };
    let before = peak_kib();
    let started = *START.get_or_init(Instant::now);
    let bytes = std::fs::read(file)?;
    let source = Source::new("list.xlsx", bytes);
    let report = registry_batch::import::import(
        &setting,
        Kind::Qualifications,
        &source,
        Options::default(),
        &mut Trace,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let elapsed = started.elapsed();
    if !report.written || !report.rejected.is_empty() {
        bail!("the import did not write: {}", report.summary());
    }
    println!("{} {} {before}", elapsed.as_millis(), peak_kib());
    Ok(())
}

struct ChildFigures {
    elapsed: Duration,
    peak_kib: u64,
    before_kib: u64,
}

fn run_child(file: &Path, db: &Path) -> Result<ChildFigures> {
    let exe = std::env::current_exe()?;
    let output = std::process::Command::new(exe)
        .arg("--import-child")
        .arg(file)
        .arg(db)
        .output()?;
    if !output.status.success() {
        bail!(
            "the import child failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let numbers: Vec<u64> = text
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    match numbers.as_slice() {
        [ms, peak, before] => Ok(ChildFigures {
            elapsed: Duration::from_millis(*ms),
            peak_kib: *peak,
            before_kib: *before,
        }),
        _ => bail!("unexpected child output {text}"),
    }
}

/// A value of a baseline row.
enum Value {
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

/// The rows of one table, for the baseline.
struct Table {
    insert: &'static str,
    columns: usize,
    rows: Vec<Vec<Value>>,
}

impl Table {
    fn new(insert: &'static str, columns: usize) -> Table {
        Table {
            insert,
            columns,
            rows: Vec::new(),
        }
    }
}

/// The rows an import of `records` stores, computed as the importer must (ID hash and
/// cipher, masked number, registration number, certificate and audit entry).
fn baseline_rows(records: &[registry_core::csv::Record]) -> Result<Vec<Table>> {
    use Value::{Blob, Int, Text};
    let key = DataKey::from_hex(KEY)?;
    let today = format_date(date(2026, 11, 26));
    let mut people = Table::new(
        "INSERT INTO people (id, name, id_hash, id_cipher, id_masked, birth_date, sex, registration_number, version, name_key) VALUES ",
        10,
    );
    let mut qualifications = Table::new(
        "INSERT INTO qualifications (person_id, item_code, exam_date, published_on) VALUES ",
        4,
    );
    let mut documents = Table::new(
        "INSERT INTO documents (id, kind, person_id, token, code, created_on, pass_list, valid_until, version) VALUES ",
        9,
    );
    let mut items = Table::new(
        "INSERT INTO document_items (document_id, item_code, position) VALUES ",
        3,
    );
    let mut audit = Table::new(
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, person_id, after) VALUES ",
        7,
    );
    // Verification keys are random, as the importer's are (their unique indexes take
    // inserts all over, not at the end).
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let alphabet: Vec<char> = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".chars().collect();
    let mut random = |n: usize| -> String {
        (0..n)
            .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
            .collect()
    };
    for (i, record) in records.iter().skip(1).enumerate() {
        let person = i64::try_from(i)? + 1;
        let [name, id, codes, exam, published] = record.fields.as_slice() else {
            bail!("a short row");
        };
        let id = ResidentId::parse_canonical(id).context("id")?;
        let number = format!("JP2026{person:07}");
        let sex = if id.sex() == registry_core::resident_id::Sex::Male {
            "M"
        } else {
            "F"
        };
        people.rows.push(vec![
            Int(person),
            Text(name.clone()),
            Text(key.hash(&id)),
            Blob(key.encrypt(&id).map_err(|e| anyhow::anyhow!(e))?),
            Text(id.masked()),
            Text(format_date(id.birth_date())),
            Text(sex.into()),
            Text(number.clone()),
            Int(1),
            Text(registry_store::name_order::name_key(name)),
        ]);
        let codes: Vec<&str> = codes.split('、').collect();
        for code in &codes {
            qualifications.rows.push(vec![
                Int(person),
                Text((*code).into()),
                Text(normalize_date(exam)),
                Text(normalize_date(published)),
            ]);
        }
        documents.rows.push(vec![
            Int(person),
            Text("certificate".into()),
            Int(person),
            Text(random(26)),
            Text(random(10)),
            Text(today.clone()),
            Text(normalize_date(published)),
            Text("2028-12-31".into()),
            Int(0),
        ]);
        for (position, code) in codes.iter().enumerate() {
            items.rows.push(vec![
                Int(person),
                Text((*code).into()),
                Int(i64::try_from(position)?),
            ]);
        }
        audit.rows.push(vec![
            Text("2026-11-26T02:00:00Z".into()),
            Text("system:bench".into()),
            Text("person.import".into()),
            Text("person".into()),
            Int(person),
            Int(person),
            Text(format!(
                "{{\"name\":\"{name}\",\"registration_number\":\"{number}\",\"items\":\"{}\"}}",
                codes.join(",")
            )),
        ]);
    }
    Ok(vec![people, qualifications, documents, items, audit])
}

/// A baseline: one read of the workbook, the rows computed, then inserted in one
/// transaction through sqlx directly: `per_statement` rows per prepared INSERT (1: one
/// statement per row).
async fn baseline(file: &Path, db: &Path, per_statement: usize) -> Result<Duration> {
    use sea_orm::sqlx::{self, Connection};
    let store = fresh(&DatabaseUrl::sqlite_file_url(db)).await?;
    drop(store);
    let mut connection =
        sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display())).await?;
    let started = Instant::now();
    let records = Source::new("list.xlsx", std::fs::read(file)?)
        .read_all()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let tables = baseline_rows(&records)?;
    let mut tx = connection.begin().await?;
    for table in &tables {
        let group = format!("({})", vec!["?"; table.columns].join(", "));
        for chunk in table.rows.chunks(per_statement) {
            let sql = format!(
                "{}{}",
                table.insert,
                vec![group.as_str(); chunk.len()].join(", ")
            );
            // Only placeholders are built in: every value is bound.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for row in chunk {
                for value in row {
                    query = match value {
                        Value::Int(v) => query.bind(*v),
                        Value::Text(v) => query.bind(v.as_str()),
                        Value::Blob(v) => query.bind(v.as_slice()),
                    };
                }
            }
            query.execute(&mut *tx).await?;
        }
    }
    tx.commit().await?;
    Ok(started.elapsed())
}

/// Counts of the tables an import writes, to check both loads wrote the same rows.
async fn counts(db: &Path) -> Result<Vec<(String, i64)>> {
    let store = Store::connect(&DatabaseUrl::sqlite_file_url(db), DataKey::from_hex(KEY)?).await?;
    Ok(store
        .table_counts()
        .await?
        .into_iter()
        .filter(|(t, _)| {
            ["people", "qualifications", "documents", "document_items"].contains(&t.as_str())
        })
        .collect())
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Runs the import benchmark; returns the ratio of ours to the baseline.
pub(crate) async fn bench(dir: &Path, rows: usize) -> Result<f64> {
    println!("\n== pass-list import from .xlsx: {rows} rows, SQLite ==");
    let write = |count: usize, name: &str| -> Result<std::path::PathBuf> {
        let path = dir.join(name);
        write_list(count, &path)?;
        Ok(path)
    };
    let large = write(rows, "large.xlsx")?;
    let small = write(rows / 10, "small.xlsx")?;
    let ours = run_child(&large, &dir.join("import-ours.sqlite3"))?;
    let base = baseline(&large, &dir.join("import-baseline.sqlite3"), 1).await?;
    let multi = baseline(&large, &dir.join("import-multi.sqlite3"), 500).await?;
    let ours_counts = counts(&dir.join("import-ours.sqlite3")).await?;
    let base_counts = counts(&dir.join("import-baseline.sqlite3")).await?;
    let multi_counts = counts(&dir.join("import-multi.sqlite3")).await?;
    if ours_counts != base_counts || ours_counts != multi_counts {
        bail!("the loads differ: ours {ours_counts:?}, baseline {base_counts:?}");
    }
    let tenth = run_child(&small, &dir.join("import-small.sqlite3"))?;
    let ratio = ours.elapsed.as_secs_f64() / base.as_secs_f64();
    println!(
        "file {:.1} MiB; rows written {ours_counts:?}",
        mib(std::fs::metadata(&large)?.len() / 1024)
    );
    println!(
        "baseline (one read + prepared INSERTs, one tx): {:>8.0} ms  {:>9.0} rows/s",
        base.as_secs_f64() * 1000.0,
        rows as f64 / base.as_secs_f64()
    );
    println!(
        "multi-row baseline (500 rows per INSERT):       {:>8.0} ms  {:>9.0} rows/s  ours {:.2}× of it",
        multi.as_secs_f64() * 1000.0,
        rows as f64 / multi.as_secs_f64(),
        ours.elapsed.as_secs_f64() / multi.as_secs_f64()
    );
    println!(
        "registry import (checked, two reads, one tx):   {:>8.0} ms  {:>9.0} rows/s  ratio {ratio:.2}× (goal ≤ 1.5×)",
        ours.elapsed.as_secs_f64() * 1000.0,
        rows as f64 / ours.elapsed.as_secs_f64()
    );
    println!(
        "peak resident memory of the importing process: {} rows {:.1} MiB (before the import {:.1} MiB); {} rows {:.1} MiB (before {:.1} MiB); growth ×{:.2} for ×10 rows",
        rows / 10,
        mib(tenth.peak_kib),
        mib(tenth.before_kib),
        rows,
        mib(ours.peak_kib),
        mib(ours.before_kib),
        mib(ours.peak_kib) / mib(tenth.peak_kib).max(1.0),
    );
    Ok(ratio)
}
