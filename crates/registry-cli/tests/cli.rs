//! The `registry` binary, run as a user runs it.

use std::process::{Command, Output};

fn registry(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_registry"))
        .args(args)
        .env_remove("REGISTRY_CALENDAR")
        .env_remove("DATABASE_URL")
        .env_remove("REGISTRY_BIND")
        .env_remove("REGISTRY_DATA_KEY")
        .env_remove("REGISTRY_DATA_KEY_FILE")
        .env_remove("REGISTRY_SECURE_COOKIES")
        .env_remove("REGISTRY_TRUSTED_PROXY")
        .output()
        .expect("the registry binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn workdays_known_answers() {
    for (args, answer) in [
        (&["workdays", "2024-02-05", "2024-02-18"][..], "6"),
        (&["workdays", "2024-09-27", "2024-10-09"][..], "5"),
        (&["workdays", "2024-10-12", "2024-10-13"][..], "1"),
        (&["workdays", "--add", "20", "2024-09-20"][..], "2024-10-23"),
        (&["workdays", "--add", "20", "2024-12-31"][..], "2025-02-05"),
    ] {
        let output = registry(args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        assert_eq!(stdout(&output).trim(), answer, "{args:?}");
    }
}

#[test]
fn workdays_refuses_bad_and_uncovered_dates_with_status_2() {
    for (args, message) in [
        (
            &["workdays", "2027-01-04", "2027-01-08"][..],
            "超出工作日历覆盖的年份（2013年至2026年）",
        ),
        (
            &["workdays", "2024-13-01", "2024-12-31"][..],
            "日期“2024-13-01”不存在",
        ),
        (&["workdays", "2024/01/01", "2024-12-31"][..], "格式不正确"),
        (
            &["workdays", "2024-02-18", "2024-02-05"][..],
            "早于开始日期",
        ),
        (
            &["workdays", "--add", "20", "2026-12-20"][..],
            "超出工作日历覆盖的年份",
        ),
        (
            &["workdays", "--add", "3", "2024-01-01", "2024-01-02"][..],
            "exactly one DATE",
        ),
        (&["workdays", "2024-01-01"][..], "give FROM and TO"),
    ] {
        let output = registry(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains(message),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stdout(&output).is_empty());
    }
    let missing = registry(&[
        "workdays",
        "--calendar",
        "/nonexistent.csv",
        "2024-01-01",
        "2024-01-02",
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("无法读取日历文件"));
}

#[test]
fn workdays_provisional_estimates_deadlines_past_the_calendar() {
    // Into 2027, whose calendar is not loaded: an estimate, said so on stderr.
    let estimate = registry(&["workdays", "--add", "20", "2026-12-20", "--provisional"]);
    assert!(estimate.status.success(), "{}", stderr(&estimate));
    assert_eq!(stdout(&estimate), "2027-01-18\n");
    assert_eq!(
        stderr(&estimate),
        "注意：2027 年工作日历尚未载入，按法定节假日估算\n"
    );
    // Within the loaded calendar: the official answer, no note.
    let official = registry(&["workdays", "--provisional", "--add", "20", "2024-09-20"]);
    assert!(official.status.success());
    assert_eq!(stdout(&official), "2024-10-23\n");
    assert!(stderr(&official).is_empty(), "{}", stderr(&official));
    // Without the flag, as before: refused.
    let refused = registry(&["workdays", "--add", "20", "2026-12-20"]);
    assert_eq!(refused.status.code(), Some(2));
    // Two years of estimate at most.
    let beyond = registry(&["workdays", "--add", "20", "2028-12-20", "--provisional"]);
    assert_eq!(beyond.status.code(), Some(2));
    assert!(stderr(&beyond).contains("超出工作日历覆盖的年份"));
    // Counting working days never uses an estimate.
    let count = registry(&["workdays", "2027-01-04", "2027-01-08", "--provisional"]);
    assert_eq!(count.status.code(), Some(2));
    assert!(
        stderr(&count).contains("--add N DATE"),
        "{}",
        stderr(&count)
    );
    assert!(stdout(&count).is_empty());

    // Once 2027 is loaded (here a hand-made year: 元旦 1–4 January), the answer follows it
    // and is no estimate.
    let dir = std::env::temp_dir().join(format!("registry-cli-provisional-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("calendar.csv");
    let mut text = registry_core::fixtures::CALENDAR_CSV.to_owned();
    for day in 1..=4 {
        text.push_str(&format!("2027-01-0{day},holiday,元旦,New Year's Day,\n"));
    }
    std::fs::write(&file, text).unwrap();
    let loaded = registry(&[
        "workdays",
        "--calendar",
        file.to_str().unwrap(),
        "--add",
        "20",
        "2026-12-20",
        "--provisional",
    ]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(loaded.status.success(), "{}", stderr(&loaded));
    assert_eq!(stdout(&loaded), "2027-01-19\n");
    assert!(stderr(&loaded).is_empty(), "{}", stderr(&loaded));
}

#[test]
fn check_id_prints_birth_date_and_sex() {
    let valid = registry(&["check-id", "11010519491231002X"]);
    assert!(valid.status.success());
    assert_eq!(
        stdout(&valid),
        "有效的身份证号：11010519491231002X\n出生日期：1949-12-31\n性别：女\n"
    );
    let legacy = registry(&["check-id", "110105491231002"]);
    assert!(legacy.status.success());
    assert!(stdout(&legacy).starts_with("有效的身份证号：11010519491231002X\n（15位旧号码"));

    let invalid = registry(&["check-id", "110105194912310021"]);
    assert_eq!(invalid.status.code(), Some(1));
    assert!(
        stderr(&invalid).contains("校验码错误"),
        "{}",
        stderr(&invalid)
    );
}

#[test]
fn check_credit_code() {
    let valid = registry(&["check-credit-code", "91350100M000100Y43"]);
    assert!(valid.status.success());
    assert_eq!(
        stdout(&valid),
        "有效的统一社会信用代码：91350100M000100Y43\n"
    );
    let invalid = registry(&["check-credit-code", "91350100M000100Y44"]);
    assert_eq!(invalid.status.code(), Some(1));
    assert!(stderr(&invalid).contains("校验码错误"));
}

#[test]
fn help_is_complete() {
    let mut text = String::new();
    for args in [
        &["--help"][..],
        &["serve", "--help"][..],
        &["create-admin", "--help"][..],
        &["migrate", "--help"][..],
        &["workdays", "--help"][..],
        &["check-id", "--help"][..],
        &["check-credit-code", "--help"][..],
        &["import", "--help"][..],
        &["sweep", "--help"][..],
        &["audit", "verify", "--help"][..],
        &["audit", "purge", "--help"][..],
    ] {
        let output = registry(args);
        assert!(output.status.success(), "{args:?}");
        text.push_str(&format!(
            "$ registry {}\n{}\n",
            args.join(" "),
            stdout(&output)
        ));
    }
    insta::assert_snapshot!(text);
}

#[test]
fn migrate_creates_the_database_and_is_idempotent() {
    let dir = std::env::temp_dir().join(format!("registry-cli-migrate-{}", std::process::id()));
    let file = dir.join("nested").join("registry.sqlite3");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let first = registry(&["migrate", "--database", &url]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&first).contains("已完成数据库迁移"));
    assert!(stdout(&first).contains("m20261126_000001_schema"));
    assert!(file.exists(), "the directory and the file are created");
    let second = registry(&["migrate", "--database", &url]);
    assert!(second.status.success());
    assert!(stdout(&second).contains("数据库已是最新"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn migrate_reports_a_bad_database_without_its_password() {
    let bad = registry(&["migrate", "--database", "mysql://root:hunter2@localhost/db"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(!stderr(&bad).contains("hunter2"));
    let unreachable = registry(&[
        "migrate",
        "--database",
        "postgres://registry:s3cret@127.0.0.1:1/registry",
    ]);
    assert_eq!(unreachable.status.code(), Some(1));
    assert!(
        stderr(&unreachable).contains("cannot connect"),
        "{}",
        stderr(&unreachable)
    );
    assert!(!stderr(&unreachable).contains("s3cret"));
}

#[test]
fn serve_writes_the_audit_chains_anchor_to_its_log_and_stops_on_sigterm() {
    use std::io::BufRead as _;
    let dir = std::env::temp_dir().join(format!("registry-cli-anchor-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.join("registry.sqlite3").display()
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_registry"))
        .args(["serve", "--database", &url, "--bind", "127.0.0.1:0"])
        .env_remove("REGISTRY_DATA_KEY")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let (sender, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut anchor = None;
    while anchor.is_none() && std::time::Instant::now() < deadline {
        if let Ok(line) = lines.recv_timeout(std::time::Duration::from_millis(200))
            && line.contains("操作日志链锚点")
        {
            anchor = Some(line);
        }
    }
    // SIGTERM (systemd, a rolling restart) stops it cleanly: exit 0 within its grace.
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let exited = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        exited.is_some_and(|s| s.success()),
        "SIGTERM did not stop the server cleanly: {exited:?}"
    );
    let anchor = anchor.expect("no anchor in the log within 30 s");
    assert!(
        anchor.contains("date=") && anchor.contains("seq=") && anchor.contains("hash="),
        "{anchor}"
    );
}
