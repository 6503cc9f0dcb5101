//! The batch subcommands run as the association runs them: imports of good and bad files in
//! every format and encoding (the report, nothing written on error, the same file twice
//! changing nothing), an import killed midway, exports with masked and full ID numbers,
//! backup and restore, and the sweep.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use registry_batch::table::{Format, write_table};
use registry_core::credit_code::CreditCode;
use registry_core::resident_id::ResidentId;
use registry_store::{DataKey, DatabaseUrl, Store};
use time::macros::date;

const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A directory of its own for one test, removed afterwards.
struct Dir(PathBuf);

impl Dir {
    fn new() -> Dir {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "registry-cli-batch-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn url(&self) -> String {
        format!(
            "sqlite://{}?mode=rwc",
            self.file("registry.sqlite3").display()
        )
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.file(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn command(dir: &Dir, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_registry"));
    command
        .args(args)
        .current_dir(&dir.0)
        .env("DATABASE_URL", dir.url())
        .env("REGISTRY_DATA_KEY", KEY)
        .env_remove("REGISTRY_DATA_KEY_FILE");
    command
}

fn registry(dir: &Dir, args: &[&str]) -> Output {
    command(dir, args)
        .output()
        .expect("the registry binary runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn status(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn id(n: u16, birth: time::Date) -> String {
    ResidentId::from_parts(350102, birth, n)
        .unwrap()
        .as_str()
        .to_owned()
}

fn code(n: u32) -> String {
    CreditCode::from_parts("12", "350100", &format!("7100{n:04}"))
        .unwrap()
        .as_str()
        .to_owned()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Every table's row count.
fn counts(dir: &Dir) -> Vec<(String, i64)> {
    runtime().block_on(async {
        let url = DatabaseUrl::parse(&dir.url()).unwrap();
        let store = Store::connect(&url, DataKey::from_hex(KEY).unwrap())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        store.table_counts().await.unwrap()
    })
}

/// The rows of every table but the audit log, which records each run (`run.import`).
fn register(dir: &Dir) -> Vec<(String, i64)> {
    counts(dir)
        .into_iter()
        .filter(|(t, _)| t != "audit_log")
        .collect()
}

fn count(dir: &Dir, table: &str) -> i64 {
    counts(dir)
        .into_iter()
        .find(|(t, _)| t == table)
        .map_or(-1, |(_, n)| n)
}

const PASS_HEADER: [&str; 5] = ["姓名", "身份证号", "评审项目", "考核日期", "公布日期"];

/// A pass list: three good rows (two people; one person on two rows) and four bad ones.
fn pass_list_rows() -> Vec<Vec<String>> {
    let zhang = id(11, date!(1980 - 03 - 15));
    let li = id(12, date!(1975 - 07 - 01));
    let mut bad_digit = id(13, date!(1982 - 01 - 01));
    let last = if bad_digit.ends_with('1') { "2" } else { "1" };
    bad_digit.replace_range(17.., last);
    let row = |cells: [&str; 5]| cells.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
    vec![
        row(["张三", &zhang, "RQ-ZZ、GL-ZZ", "2026-04-01", "2026-04-20"]),
        row(["李四", &li, "压力容器制造", "2026/4/1", "2026年4月20日"]),
        row(["王五", &bad_digit, "RQ-ZZ", "2026-04-01", "2026-04-20"]),
        row(["张三", &zhang, "GL-ZZ", "2026-04-01", "2026-04-20"]),
        row([
            "赵六",
            &id(14, date!(1970 - 01 - 01)),
            "XX-YY",
            "2026-02-30",
            "2026-04-20",
        ]),
        row(["张叁", &zhang, "QP-ZZ、ZZ-ZZ", "2026-04-01", "2026-04-20"]),
        row([
            "孙七",
            &id(15, date!(1990 - 05 - 05)),
            "QP-ZZ",
            "2026-04-01",
            "2026-04-20",
        ]),
    ]
}

/// The good rows only.
fn good_rows() -> Vec<Vec<String>> {
    let rows = pass_list_rows();
    vec![rows[0].clone(), rows[1].clone(), rows[6].clone()]
}

fn csv(rows: &[Vec<String>]) -> String {
    let mut out = PASS_HEADER.join(",");
    out.push('\n');
    for row in rows {
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// The same table in each format and encoding Chinese users send.
fn encodings(rows: &[Vec<String>]) -> Vec<(&'static str, Vec<u8>)> {
    let text = csv(rows);
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    vec![
        (
            "list.xlsx",
            write_table(Format::Xlsx, "名单", &PASS_HEADER, rows).unwrap(),
        ),
        ("list-utf8.csv", text.clone().into_bytes()),
        (
            "list-bom.csv",
            [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        ),
        ("list-gbk.csv", gbk.into_owned()),
    ]
}

#[test]
fn pass_lists_in_every_format_and_encoding_are_checked_before_anything_is_written() {
    for (name, bytes) in encodings(&pass_list_rows()) {
        let dir = Dir::new();
        let file = dir.write(name, &bytes);
        let file = file.to_str().unwrap();

        // All-or-nothing: the report names every bad row, and nothing is written.
        let refused = registry(&dir, &["import", "qualifications", file]);
        let out = text(&refused);
        assert_eq!(status(&refused), 3, "{name}: {out}");
        for expected in [
            "第4行 王五：身份证号校验码错误",
            "第5行 张三：与第2行的身份证号和评审项目相同",
            "第6行 赵六：评审项目“XX-YY”不在评审项目目录中",
            "日期“2026-02-30”不存在",
            "第7行 张叁：评审项目“ZZ-ZZ”不在评审项目目录中；同一身份证号在第2行的姓名不同",
            "共7行，新增3行，已有0行，有误4行；未写入任何数据",
        ] {
            assert!(
                out.contains(expected),
                "{name}: {expected} missing in {out}"
            );
        }
        assert_eq!(count(&dir, "people"), 0, "{name}");
        // Only the refused run is recorded.
        assert_eq!(count(&dir, "audit_log"), 1, "{name}");

        // A dry run of the good rows writes nothing either.
        let dry = registry(
            &dir,
            &[
                "import",
                "qualifications",
                file,
                "--good-rows-only",
                "--dry-run",
            ],
        );
        assert_eq!(status(&dry), 3, "{name}: {}", text(&dry));
        assert!(text(&dry).contains("试运行，未写入"), "{}", text(&dry));
        assert_eq!(count(&dir, "people"), 0, "{name}");

        // The good rows only.
        let good = registry(
            &dir,
            &["import", "qualifications", file, "--good-rows-only"],
        );
        assert_eq!(status(&good), 3, "{name}: {}", text(&good));
        assert!(text(&good).contains("新增3行"), "{}", text(&good));
        assert_eq!(count(&dir, "people"), 3, "{name}");
        assert_eq!(count(&dir, "qualifications"), 4, "{name}");
        assert_eq!(count(&dir, "documents"), 3, "{name}: one certificate each");

        // The same file again changes nothing; the run itself is recorded.
        let before = register(&dir);
        let audit = count(&dir, "audit_log");
        let again = registry(
            &dir,
            &["import", "qualifications", file, "--good-rows-only"],
        );
        assert!(
            text(&again).contains("新增0行，已有3行"),
            "{}",
            text(&again)
        );
        assert_eq!(
            register(&dir),
            before,
            "{name}: a second import changed the register"
        );
        assert_eq!(
            count(&dir, "audit_log"),
            audit + 1,
            "{name}: one run recorded"
        );
    }
}

#[test]
fn a_clean_pass_list_imports_with_status_0_and_a_second_time_changes_nothing() {
    let dir = Dir::new();
    let (_, gbk) = encodings(&good_rows()).remove(3);
    let file = dir.write("good.csv", &gbk);
    let file = file.to_str().unwrap();
    let dry = registry(&dir, &["import", "qualifications", file, "--dry-run"]);
    assert_eq!(status(&dry), 0, "{}", text(&dry));
    assert_eq!(count(&dir, "people"), 0);
    let done = registry(&dir, &["import", "qualifications", file]);
    assert_eq!(status(&done), 0, "{}", text(&done));
    assert!(text(&done).contains("共3行，新增3行，已有0行，有误0行；已写入"));
    let before = register(&dir);
    let again = registry(&dir, &["import", "qualifications", file]);
    assert_eq!(status(&again), 0, "{}", text(&again));
    assert!(
        text(&again).contains("无新数据需要写入"),
        "{}",
        text(&again)
    );
    assert_eq!(register(&dir), before);

    // Every row of the imports is linked into the audit chain; one edited in the database
    // is named by `registry audit verify` (exit 1).
    let verified = registry(&dir, &["audit", "verify"]);
    assert_eq!(status(&verified), 0, "{}", text(&verified));
    assert!(
        text(&verified).contains("操作日志链完整"),
        "{}",
        text(&verified)
    );
    runtime().block_on(async {
        use sea_orm::{ConnectionTrait, Database, Statement};
        let connection = Database::connect(dir.url()).await.unwrap();
        connection
            .execute_raw(Statement::from_string(
                connection.get_database_backend(),
                "UPDATE audit_log SET after = '{}' WHERE chain_seq = 2",
            ))
            .await
            .unwrap();
    });
    // Rows younger than the retention period are never purged (exit 2, no archive).
    let archive = dir.file("audit-archive.jsonl");
    let today = registry_core::date::china_today(time::OffsetDateTime::now_utc());
    let recent = registry_core::date::format_date(today - time::Duration::days(179));
    let refused = registry(
        &dir,
        &[
            "audit",
            "purge",
            "--before",
            &recent,
            "--archive",
            archive.to_str().unwrap(),
        ],
    );
    assert_eq!(status(&refused), 2, "{}", text(&refused));
    assert!(
        text(&refused).contains("尚未保存满 180 天"),
        "{}",
        text(&refused)
    );
    assert!(!archive.exists());
    let shorter = registry(
        &dir,
        &[
            "audit",
            "purge",
            "--before",
            "2020-01-01",
            "--archive",
            archive.to_str().unwrap(),
            "--retention-days",
            "30",
        ],
    );
    assert_eq!(status(&shorter), 2, "{}", text(&shorter));
    assert!(
        text(&shorter).contains("至少保存 180 天"),
        "{}",
        text(&shorter)
    );
    // Nothing written that long ago: nothing to purge.
    let old = registry(
        &dir,
        &[
            "audit",
            "purge",
            "--before",
            "2020-01-01",
            "--archive",
            archive.to_str().unwrap(),
        ],
    );
    assert_eq!(status(&old), 0, "{}", text(&old));
    assert!(
        text(&old).contains("没有可清理的操作日志"),
        "{}",
        text(&old)
    );

    let broken = registry(&dir, &["audit", "verify"]);
    assert_eq!(status(&broken), 1, "{}", text(&broken));
    assert!(
        text(&broken).contains("在第 2 条记录处断开"),
        "{}",
        text(&broken)
    );

    // A later pass list adds an item to a person already in the register.
    let later = csv(&[vec![
        "张三".into(),
        id(11, date!(1980 - 03 - 15)),
        "QP-ZZ".into(),
        "2026-06-01".into(),
        "2026-06-20".into(),
    ]]);
    let file = dir.write("later.csv", later.as_bytes());
    let added = registry(&dir, &["import", "qualifications", file.to_str().unwrap()]);
    assert_eq!(status(&added), 0, "{}", text(&added));
    assert_eq!(count(&dir, "people"), 3);
    assert_eq!(count(&dir, "qualifications"), 5);
}

#[test]
fn the_error_report_is_written_as_a_file() {
    let dir = Dir::new();
    let file = dir.write("list.csv", csv(&pass_list_rows()).as_bytes());
    let report = dir.file("errors.csv");
    let out = registry(
        &dir,
        &[
            "import",
            "qualifications",
            file.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(status(&out), 3);
    let written = std::fs::read_to_string(&report).unwrap();
    assert!(
        written.starts_with("\u{FEFF}行号,姓名或名称,错误代码,问题\r\n"),
        "{written}"
    );
    assert!(
        written.contains("4,王五,resident_id.checksum,"),
        "{written}"
    );
    assert!(written.contains("7,张叁,import.name_differs,"), "{written}");
}

#[test]
fn the_institution_list_is_checked_against_itself_and_the_register() {
    let dir = Dir::new();
    let header = "机构编号,机构名称,省级资质编号,国家级资质编号,统一社会信用代码,联系人,联系电话";
    let list = format!(
        "{header}\nJP-001,福建省特种设备检验研究院,闽JP-01,TS-JP-001,{},林工,0591-88888888\n\
         JP-002,江苏省特种设备安全监督检验研究院,,TS-JP-002,{},,\n\
         JP-003,坏代码机构,,TS-JP-003,91350100ABCDEFGHIJ,,\n\
         JP-001,重复编号机构,,TS-JP-009,{},,\n",
        code(1),
        code(2),
        code(3)
    );
    let file = dir.write("institutions.csv", list.as_bytes());
    let refused = registry(&dir, &["import", "institutions", file.to_str().unwrap()]);
    let out = text(&refused);
    assert_eq!(status(&refused), 3, "{out}");
    assert!(out.contains("第4行 坏代码机构：统一社会信用代码"), "{out}");
    assert!(
        out.contains("第5行 重复编号机构：与第2行的机构编号相同"),
        "{out}"
    );
    assert_eq!(count(&dir, "institutions"), 0);

    let good: String = list.lines().take(3).map(|l| format!("{l}\n")).collect();
    let file = dir.write("good.csv", good.as_bytes());
    let done = registry(&dir, &["import", "institutions", file.to_str().unwrap()]);
    assert_eq!(status(&done), 0, "{}", text(&done));
    assert_eq!(count(&dir, "institutions"), 2);
    assert_eq!(count(&dir, "accounts"), 2);
    let before = register(&dir);
    let again = registry(&dir, &["import", "institutions", file.to_str().unwrap()]);
    assert_eq!(status(&again), 0, "{}", text(&again));
    assert!(
        text(&again).contains("新增0行，已有2行"),
        "{}",
        text(&again)
    );
    assert_eq!(register(&dir), before);

    // The same number with another credit code is someone else's.
    let clash = format!("{header}\nJP-002,另一家机构,,TS-JP-002,{},,\n", code(4));
    let file = dir.write("clash.csv", clash.as_bytes());
    let refused = registry(&dir, &["import", "institutions", file.to_str().unwrap()]);
    assert_eq!(status(&refused), 3);
    assert!(
        text(&refused).contains("机构编号“JP-002”已被其他机构使用"),
        "{}",
        text(&refused)
    );
}

#[test]
fn an_unreadable_file_or_a_missing_column_is_refused_with_status_3() {
    let dir = Dir::new();
    let file = dir.write("bad.csv", b"\xFF\xFE\x00garbage\x81");
    let out = registry(&dir, &["import", "qualifications", file.to_str().unwrap()]);
    assert_eq!(status(&out), 3, "{}", text(&out));
    assert!(text(&out).contains("无法识别文件的编码"), "{}", text(&out));
    let file = dir.write("header.csv", "姓名,身份证号\n张三,1\n".as_bytes());
    let out = registry(&dir, &["import", "qualifications", file.to_str().unwrap()]);
    assert_eq!(status(&out), 3, "{}", text(&out));
    assert!(text(&out).contains("评审项目"), "{}", text(&out));
    let out = registry(&dir, &["import", "nonsense", file.to_str().unwrap()]);
    assert_eq!(status(&out), 2, "{}", text(&out));
}

#[test]
fn a_file_over_the_limits_is_refused_whole_and_max_rows_raises_the_limit() {
    let dir = Dir::new();
    // The header and three rows.
    let file = dir.write("good.csv", csv(&good_rows()).as_bytes());
    let file = file.to_str().unwrap();
    let refused = registry(&dir, &["import", "qualifications", file, "--max-rows", "3"]);
    assert_eq!(status(&refused), 3, "{}", text(&refused));
    assert!(
        text(&refused).contains("good.csv：第4行：超过行数上限（3 行）；未写入任何数据"),
        "{}",
        text(&refused)
    );
    assert_eq!(count(&dir, "people"), 0);
    let done = registry(&dir, &["import", "qualifications", file, "--max-rows", "4"]);
    assert_eq!(status(&done), 0, "{}", text(&done));
    assert_eq!(count(&dir, "people"), 3);
    let usage = registry(&dir, &["import", "qualifications", file, "--max-rows", "0"]);
    assert_eq!(status(&usage), 2, "{}", text(&usage));

    // A cell too long, in either format.
    let mut rows = good_rows();
    rows[1][3] = "长".repeat(4_097);
    for (name, bytes) in encodings(&rows).into_iter().take(2) {
        let file = dir.write(name, &bytes);
        let out = registry(&dir, &["import", "qualifications", file.to_str().unwrap()]);
        assert_eq!(status(&out), 3, "{}", text(&out));
        assert!(
            text(&out).contains("第3行第4列：单元格内容超过 4096 个字符；未写入任何数据"),
            "{}",
            text(&out)
        );
    }
    assert_eq!(count(&dir, "people"), 3);
}

#[test]
fn the_terminal_shows_the_first_200_refused_rows_and_the_report_has_them_all() {
    let dir = Dir::new();
    // 250 rows, each with an unknown review item.
    let list = large_pass_list(250).replace(",RQ-ZZ,", ",XX-YY,");
    let file = dir.write("list.csv", list.as_bytes());
    let file = file.to_str().unwrap();
    let report = dir.file("errors.csv");
    let out = registry(
        &dir,
        &[
            "import",
            "qualifications",
            file,
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(status(&out), 3, "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().filter(|l| l.starts_with('第')).count(), 200);
    assert!(
        stdout.contains(&format!("……另有50行有误，见错误报告 {}", report.display())),
        "{stdout}"
    );
    let written = std::fs::read_to_string(&report).unwrap();
    assert_eq!(written.lines().count(), 1 + 250);
    let out = registry(&dir, &["import", "qualifications", file]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("……另有50行有误未列出；用 --report FILE 保存完整的错误报告"),
        "{stdout}"
    );
}

/// A Chinese name for number `i` (names hold no digits).
fn name(i: u32) -> String {
    const SURNAMES: [char; 10] = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周'];
    const GIVEN: [char; 20] = [
        '伟', '芳', '娜', '敏', '静', '强', '磊', '军', '洋', '勇', '艳', '杰', '涛', '明', '超',
        '秀', '霞', '平', '刚', '桂',
    ];
    let mut out = String::from(SURNAMES[(i % 10) as usize]);
    let mut rest = i / 10;
    loop {
        out.push(GIVEN[(rest % 20) as usize]);
        rest /= 20;
        if rest == 0 {
            break;
        }
    }
    out
}

/// A pass list of `n` new people.
fn large_pass_list(n: u32) -> String {
    let mut out = PASS_HEADER.join(",");
    out.push('\n');
    for i in 0..n {
        let birth = date!(1975 - 01 - 01) + time::Duration::days(i64::from(i / 900));
        let id = id(u16::try_from(i % 900).unwrap() + 1, birth);
        out.push_str(&format!("{},{id},RQ-ZZ,2026-04-01,2026-04-20\n", name(i)));
    }
    out
}

#[test]
fn an_import_killed_while_writing_leaves_the_register_as_it_was() {
    let dir = Dir::new();
    let first = dir.write("first.csv", csv(&good_rows()).as_bytes());
    assert_eq!(
        status(&registry(
            &dir,
            &["import", "qualifications", first.to_str().unwrap()]
        )),
        0
    );
    let before = counts(&dir);
    let file = dir.write("large.csv", large_pass_list(30_000).as_bytes());
    let mut child = command(&dir, &["import", "qualifications", file.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the writing phase to start, then kill the process.
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        let read = std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
        assert!(read > 0, "the import ended before writing");
        if line.starts_with("写入") {
            break;
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the import finished before it could be killed: make the file larger"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    // The killed run's lock row stays until its lease ends (registry_store::job_lock):
    // the only row it leaves.
    let without_locks = |c: Vec<(String, i64)>| -> Vec<(String, i64)> {
        c.into_iter().filter(|(t, _)| t != "job_locks").collect()
    };
    assert_eq!(
        without_locks(counts(&dir)),
        without_locks(before),
        "a killed import left rows behind"
    );
    assert!(count(&dir, "job_locks") <= 1);
    runtime().block_on(async {
        registry_store::maintenance::check_sqlite_file(&dir.file("registry.sqlite3"))
            .await
            .expect("integrity_check and foreign_key_check pass");
    });
}

#[test]
fn exports_mask_id_numbers_unless_full_ids_are_asked_for_which_is_audited() {
    let dir = Dir::new();
    let file = dir.write("good.csv", csv(&good_rows()).as_bytes());
    assert_eq!(
        status(&registry(
            &dir,
            &["import", "qualifications", file.to_str().unwrap()]
        )),
        0
    );
    let zhang = id(11, date!(1980 - 03 - 15));
    let audit = count(&dir, "audit_log");
    let masked = registry(
        &dir,
        &["export", "people", "--format", "csv", "-o", "people.csv"],
    );
    assert_eq!(status(&masked), 0, "{}", text(&masked));
    let table = std::fs::read_to_string(dir.file("people.csv")).unwrap();
    assert_eq!(table.lines().count(), 4, "{table}");
    assert!(table.contains("张三"), "{table}");
    assert!(
        !table.contains(&zhang),
        "a full ID number in a masked export"
    );
    assert!(table.contains(&format!("{}********{}", &zhang[..6], &zhang[14..])));
    assert_eq!(
        count(&dir, "audit_log"),
        audit,
        "a masked export is not a disclosure"
    );

    let full = registry(
        &dir,
        &[
            "export",
            "people",
            "--format",
            "xlsx",
            "--full-id",
            "-o",
            "full.xlsx",
        ],
    );
    assert_eq!(status(&full), 0, "{}", text(&full));
    let source = registry_batch::table::Source::new(
        "full.xlsx",
        std::fs::read(dir.file("full.xlsx")).unwrap(),
    );
    let records = source.read_all().unwrap();
    assert_eq!(records.len(), 4);
    assert!(
        records.iter().any(|r| r.fields.contains(&zhang)),
        "{records:?}"
    );
    assert_eq!(
        count(&dir, "audit_log"),
        audit + 1,
        "the disclosure is logged"
    );

    for table in ["registrations", "courses", "attendance"] {
        let out = registry(&dir, &["export", table, "--format", "csv"]);
        assert_eq!(status(&out), 0, "{table}: {}", text(&out));
    }
    let unknown = registry(&dir, &["export", "people", "--institution", "NOPE"]);
    assert_eq!(status(&unknown), 2, "{}", text(&unknown));
}

#[test]
fn backup_and_restore_round_trip_the_whole_register() {
    let dir = Dir::new();
    let file = dir.write("good.csv", csv(&good_rows()).as_bytes());
    assert_eq!(
        status(&registry(
            &dir,
            &["import", "qualifications", file.to_str().unwrap()]
        )),
        0
    );
    let people = |dir: &Dir| {
        let out = registry(
            dir,
            &[
                "export",
                "people",
                "--format",
                "csv",
                "--full-id",
                "-o",
                "p.csv",
            ],
        );
        assert_eq!(status(&out), 0, "{}", text(&out));
        std::fs::read_to_string(dir.file("p.csv")).unwrap()
    };
    let before = counts(&dir);
    let content = people(&dir);
    let backup = dir.file("backup.sqlite3");
    let out = registry(&dir, &["backup", backup.to_str().unwrap()]);
    assert_eq!(status(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("完整性检查通过"));
    // Exporting with full IDs is audited: the backup holds that entry too.
    let at_backup = counts(&dir);
    assert_ne!(before, at_backup);

    // The register moves on, then the backup is put back.
    let later = dir.write("later.csv", large_pass_list(50).as_bytes());
    assert_eq!(
        status(&registry(
            &dir,
            &["import", "qualifications", later.to_str().unwrap()]
        )),
        0
    );
    assert_ne!(counts(&dir), at_backup);
    let again = registry(&dir, &["backup", backup.to_str().unwrap()]);
    assert_eq!(status(&again), 1, "an existing backup is never overwritten");
    let out = registry(&dir, &["restore", backup.to_str().unwrap()]);
    assert_eq!(status(&out), 0, "{}", text(&out));
    assert_eq!(counts(&dir), at_backup);
    assert_eq!(people(&dir), content);

    // A file that is not a backup is refused and the register stays.
    let junk = dir.write("junk.sqlite3", b"not a database");
    let refused = registry(&dir, &["restore", junk.to_str().unwrap()]);
    assert_eq!(status(&refused), 1, "{}", text(&refused));
    assert!(text(&refused).contains("is not a sound register backup"));
    assert!(counts(&dir).iter().any(|(t, n)| t == "people" && *n == 3));

    // PostgreSQL is backed up with its own tools.
    if let Ok(pg) = std::env::var("REGISTRY_TEST_DATABASE_URL") {
        let out = registry(&dir, &["backup", "--database", &pg, "x.dump"]);
        assert_eq!(status(&out), 1, "{}", text(&out));
        assert!(text(&out).contains("pg_dump"), "{}", text(&out));
    }
}

#[test]
fn the_sweep_runs_on_an_empty_register_and_takes_a_date() {
    let dir = Dir::new();
    // A dry run never creates a register.
    let nothing = registry(&dir, &["sweep", "--dry-run"]);
    assert_eq!(status(&nothing), 1, "{}", text(&nothing));
    assert!(text(&nothing).contains("不存在"), "{}", text(&nothing));
    assert!(!dir.file("registry.sqlite3").exists());

    let out = registry(&dir, &["sweep", "--as-of", "2026-09-01"]);
    assert_eq!(status(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("注册巡检（2026-09-01）"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("已终止注册 0 项"), "{}", text(&out));
    // Before 1 October nothing is asked of the calendar.
    assert!(!text(&out).contains("工作日历尚未载入"), "{}", text(&out));
    let bad = registry(&dir, &["sweep", "--as-of", "2026-13-01"]);
    assert_eq!(status(&bad), 2, "{}", text(&bad));

    // One runner at a time: while another holds the sweep's lock (a server's schedule, a
    // second command), the sweep says so, runs nothing and exits 0; once it is released,
    // the sweep runs. Each run that ran is recorded.
    let runs = |dir: &Dir| {
        runtime().block_on(async {
            let store = Store::connect(
                &DatabaseUrl::parse(&dir.url()).unwrap(),
                DataKey::from_hex(KEY).unwrap(),
            )
            .await
            .unwrap();
            store
                .runs_since(time::OffsetDateTime::UNIX_EPOCH, 100)
                .await
                .unwrap()
                .len()
        })
    };
    let before = runs(&dir);
    let holder = runtime();
    let store = holder.block_on(async {
        Store::connect(
            &DatabaseUrl::parse(&dir.url()).unwrap(),
            DataKey::from_hex(KEY).unwrap(),
        )
        .await
        .unwrap()
    });
    let lock = holder
        .block_on(store.try_lock_job("sweep"))
        .unwrap()
        .expect("free");
    let busy = registry(&dir, &["sweep"]);
    assert_eq!(status(&busy), 0, "{}", text(&busy));
    assert!(
        text(&busy).contains("正在运行") && !text(&busy).contains("注册巡检"),
        "{}",
        text(&busy)
    );
    assert_eq!(runs(&dir), before, "nothing ran");
    holder.block_on(lock.release()).unwrap();
    let ran = registry(&dir, &["sweep", "--wait"]);
    assert_eq!(status(&ran), 0, "{}", text(&ran));
    assert!(text(&ran).contains("注册巡检"), "{}", text(&ran));
    assert_eq!(runs(&dir), before + 1);

    // A day is swept once: the next runner (another machine's timer, seconds later) says
    // the day is done and runs nothing; --again sweeps it all the same.
    let second = registry(&dir, &["sweep"]);
    assert_eq!(status(&second), 0, "{}", text(&second));
    assert!(
        text(&second).contains("的巡检已完成") && !text(&second).contains("注册巡检"),
        "{}",
        text(&second)
    );
    assert_eq!(runs(&dir), before + 1, "nothing ran");
    let again = registry(&dir, &["sweep", "--again"]);
    assert_eq!(status(&again), 0, "{}", text(&again));
    assert!(text(&again).contains("注册巡检"), "{}", text(&again));
    assert_eq!(runs(&dir), before + 2);
}

/// Records an exam result as the association would on `day` (the command line only ever
/// acts today; this puts a pass list in the register's past or future).
fn record_exam_on(dir: &Dir, day: time::Date, name: &str, resident_id: &str) {
    use registry_core::ports::Actor;
    use registry_core::qualification::ExamResultForm;
    use registry_core::usecases::{Context, RecordExamResult, execute};
    runtime().block_on(async {
        let url = DatabaseUrl::parse(&dir.url()).unwrap();
        let store = Store::connect(&url, DataKey::from_hex(KEY).unwrap())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let catalogue = store.catalogue().await.unwrap();
        let calendar = store.calendar().await.unwrap();
        let ctx = Context {
            now: day
                .with_hms(2, 0, 0)
                .unwrap()
                .assume_offset(registry_core::date::CHINA_STANDARD_TIME),
            actor: Actor::Association {
                account: "test".into(),
            },
            catalogue: &catalogue,
            calendar: &calendar,
            entropy: &registry_http::secrets::OsEntropy,
        };
        let form = ExamResultForm {
            resident_id: resident_id.to_owned(),
            name: name.to_owned(),
            items: vec!["RQ-ZZ".into()],
            exam_date: registry_core::date::format_date(day),
            published_on: registry_core::date::format_date(day),
        };
        execute(&store, &ctx, &RecordExamResult { form })
            .await
            .unwrap();
    });
}

#[test]
fn a_dry_run_shows_what_a_sweep_would_do_on_any_day_and_writes_nothing() {
    let dir = Dir::new();
    let (_, gbk) = encodings(&good_rows()).remove(3);
    let file = dir.write("good.csv", &gbk);
    let done = registry(&dir, &["import", "qualifications", file.to_str().unwrap()]);
    assert_eq!(status(&done), 0, "{}", text(&done));
    // A pass list of 15 December 2026: its certificate is due 20 working days later, in
    // 2027, whose calendar is not loaded: an estimate.
    record_exam_on(
        &dir,
        date!(2026 - 12 - 15),
        "年评审",
        &id(21, date!(1976 - 06 - 06)),
    );
    let before = counts(&dir);

    let dry = registry(&dir, &["sweep", "--dry-run", "--as-of", "2027-02-01"]);
    assert_eq!(status(&dry), 0, "{}", text(&dry));
    let out = text(&dry);
    for wanted in [
        "注册巡检（2027-02-01，试运行：只列出将发生的变化，不写入任何数据）",
        "注意：2027 年工作日历尚未载入：请尽快在“工作日历”载入国务院办公厅公布的放假安排",
        "将终止注册 0 项",
        // The April pass list: official, long overdue.
        "资格证书  张三  应于 2026-05-",
        // December's: overdue on the estimate, said so.
        "资格证书  年评审  预计应于 2027-01-13 前发放（2027 年工作日历尚未载入，按法定节假日估算）",
        "试运行结束：未写入任何数据。",
    ] {
        assert!(out.contains(wanted), "{wanted} missing from\n{out}");
    }
    assert_eq!(counts(&dir), before, "a dry run writes nothing");

    // Any day: the past too.
    let past = registry(&dir, &["sweep", "--dry-run", "--as-of", "2026-01-05"]);
    assert_eq!(status(&past), 0, "{}", text(&past));
    assert!(text(&past).contains("逾期未发放的证书和注册卡 0 份"));
    assert_eq!(counts(&dir), before);

    // Without --dry-run a day after today is refused, and nothing is written.
    let later =
        registry_core::date::china_today(time::OffsetDateTime::now_utc()) + time::Duration::days(2);
    let later = registry_core::date::format_date(later);
    let refused = registry(&dir, &["sweep", "--as-of", &later]);
    assert_eq!(status(&refused), 2, "{}", text(&refused));
    assert!(
        text(&refused).contains("晚于今天") && text(&refused).contains("--dry-run"),
        "{}",
        text(&refused)
    );
    assert!(!text(&refused).contains("注册巡检"), "{}", text(&refused));
    assert_eq!(counts(&dir), before);

    // In the autumn every sweep asks for next year's calendar.
    let autumn = registry(&dir, &["sweep", "--as-of", "2026-10-01"]);
    assert_eq!(status(&autumn), 0, "{}", text(&autumn));
    assert!(
        text(&autumn).contains(
            "注意：2027 年工作日历尚未载入：请于 1 月 1 日前在“工作日历”载入国务院办公厅公布的放假安排；\
             在此之前，跨年的期限按法定节假日估算。"
        ),
        "{}",
        text(&autumn)
    );
}

#[test]
fn load_calendar_adds_a_year_and_refuses_a_gap() {
    let dir = Dir::new();
    let gap = dir.write(
        "2028.csv",
        "date,kind,name\n2028-01-01,holiday,元旦\n".as_bytes(),
    );
    let refused = registry(&dir, &["load-calendar", gap.to_str().unwrap()]);
    assert_eq!(status(&refused), 3, "{}", text(&refused));
    assert!(
        text(&refused).contains("2027年没有任何节假日数据"),
        "{}",
        text(&refused)
    );
    let bad = dir.write(
        "bad.csv",
        "date,kind,name\n2027-13-01,holiday,元旦\n".as_bytes(),
    );
    let refused = registry(&dir, &["load-calendar", bad.to_str().unwrap()]);
    assert_eq!(status(&refused), 3, "{}", text(&refused));
    assert!(text(&refused).contains("bad.csv:2:"), "{}", text(&refused));

    let year = dir.write(
        "2027.csv",
        "date,kind,name\n2027-01-01,holiday,元旦\n2027-02-07,workday,春节\n".as_bytes(),
    );
    let loaded = registry(&dir, &["load-calendar", year.to_str().unwrap()]);
    assert_eq!(status(&loaded), 0, "{}", text(&loaded));
    assert!(
        text(&loaded).contains("日历现覆盖 2013—2027 年"),
        "{}",
        text(&loaded)
    );
    // The same year again replaces it.
    let again = registry(&dir, &["load-calendar", year.to_str().unwrap()]);
    assert!(
        text(&again).contains("已导入 2027—2027 年（2 条）"),
        "{}",
        text(&again)
    );
}
