//! The project's automation. `cargo xtask ci` runs what CI runs; `cargo xtask bench` runs
//! the benchmarks and prints their ratios; `cargo xtask proof` runs the long checks of
//! load, faults and hostile input; `cargo xtask festivals` writes the table of festival
//! dates that the core's provisional calendar years use. `cargo xtask <task> --help` prints
//! a task's usage.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

mod festivals;
mod tidy;

/// Each task: its name, its arguments, and what it does (continuation lines indented to
/// the description's column).
const TASKS: [(&str, &str, &str); 5] = [
    (
        "ci",
        "",
        "what CI runs: cargo fmt --check; cargo clippy --all-targets -D warnings;
          cargo machete (no unused dependency); cargo deny check licenses bans sources
          (deny.toml); cargo doc -p registry-core --no-deps with rustdoc warnings
          denied; every test (with cargo-nextest when installed, else cargo test);
          then the browser test. Needs cargo-machete and cargo-deny
          (cargo install --locked cargo-machete cargo-deny; .ci/run installs them)",
    ),
    (
        "browser",
        "",
        "the source document's registration flow in headless Chromium against a fresh
          server with the living demo (registry serve --demo, dated from today);
          screenshots of every step in target/browser/",
    ),
    (
        "bench",
        " [-- ARGS]",
        "the benchmarks, each against a baseline measured in the same run:
          - working-day queries: constant time against a day-by-day loop;
          - storage (release build): a synthetic register of 100,000 people loaded into
            SQLite and PostgreSQL against raw sqlx baselines, and every search's p50/p99;
          - import: a pass list of 100,000 rows from .xlsx through `registry import`'s
            code against raw prepared INSERTs of the same rows, and its peak memory at
            10,000 and 100,000 rows.
          ARGS go to the storage benchmark: --people N, --queries N, --import-rows N,
          --import-only, --no-import, --load-seconds N or --no-load,
          --postgres URL or --no-postgres (default: REGISTRY_TEST_DATABASE_URL, else
          postgres://postgres@127.0.0.1:5432/postgres)",
    ),
    (
        "proof",
        " [--quick | --scale]",
        "the long checks (release build; installs wrk from Debian and Schemathesis
          from PyPI into target/proof/venv when missing; the log in target/proof/):
          - Schemathesis against /api/openapi.json for every role: 0 server errors;
          - registry serve killed with SIGKILL during 20 registration bursts and 20
            imports: integrity, whole use cases, nothing acknowledged lost;
          - PostgreSQL stopped under load (pg_ctlcluster, or REGISTRY_PROOF_PG_STOP /
            REGISTRY_PROOF_PG_START): 503 with the message, recovery without restart;
          - the load: public search and institution workspace against /healthz under
            64 connections (wrk), on SQLite and PostgreSQL, 100,000 people;
          - memory: registry serve sent a 400 MB login (streamed and declared), a
            decompression bomb upload and 1,000 logins of 1 MB stays under 256 MiB
            of peak resident memory (VmHWM) and answers /healthz throughout.
          --quick: fewer examples, rounds and seconds (the memory check is the same)
          --scale: instead, three registry serve instances over one PostgreSQL with
            100,000 people behind nginx (installed from Debian when missing) configured
            from deploy/: the lockout and the search limit across instances, a release
            and a calendar year seen by another instance within 1 s, one sweep of three
            started at once, a rolling restart and a SIGKILL under load, and the public
            search's throughput over 1, 2 and 3 instances",
    ),
    (
        "festivals",
        "",
        "writes fixtures/cn-festivals.csv: the dates of 除夕, 春节 (正月初一), 清明, 端午
          and 中秋 for 2013-2100, computed with tyme4rs, which the core's provisional
          calendar years (deadlines beyond the loaded working-day calendar) use; xtask's
          tests check the committed file against a fresh run and the official calendar",
    ),
];

/// What `cargo xtask --help` prints: every task.
fn usage() -> String {
    let mut text = String::from(
        "usage: cargo xtask <ci|browser|bench|proof|festivals> [ARGS]\n\
         \x20      cargo xtask <task> --help\n",
    );
    for (name, _, about) in TASKS {
        text.push_str(&format!("\n  {name:<8}{about}"));
    }
    text
}

/// What `cargo xtask <task> --help` prints: that task's part of the usage.
fn task_usage(task: &str) -> Option<String> {
    TASKS
        .iter()
        .find(|(name, _, _)| *name == task)
        .map(|(name, args, about)| format!("usage: cargo xtask {name}{args}\n\n  {name:<8}{about}"))
}

/// A command line of `cargo xtask`, parsed.
#[derive(Debug, PartialEq, Eq)]
enum Task {
    /// Print this and do nothing else.
    Help(String),
    Ci,
    Browser,
    /// The arguments for the storage benchmark.
    Bench(Vec<String>),
    Proof {
        quick: bool,
        /// The scale proof (several instances behind nginx) instead of the others.
        scale: bool,
    },
    Festivals,
}

/// Parses the arguments after `cargo xtask`. `--help` or `-h` anywhere after a task (for
/// `bench`, also after `--`) asks for that task's usage: nothing runs.
fn parse(args: &[String]) -> Result<Task> {
    let Some((task, rest)) = args.split_first() else {
        bail!("{}", usage());
    };
    let task = task.as_str();
    if matches!(task, "-h" | "--help" | "help") {
        return match rest.first() {
            None => Ok(Task::Help(usage())),
            Some(name) => task_usage(name)
                .map(Task::Help)
                .with_context(|| format!("no task {name}\n\n{}", usage())),
        };
    }
    let Some(own_usage) = task_usage(task) else {
        bail!("no task {task}\n\n{}", usage());
    };
    if rest.iter().any(|a| a == "-h" || a == "--help") {
        return Ok(Task::Help(own_usage));
    }
    let args: Vec<String> = rest.iter().filter(|a| *a != "--").cloned().collect();
    let takes_no = |allowed: &[&str]| match args.iter().find(|a| !allowed.contains(&a.as_str())) {
        Some(other) => bail!("cargo xtask {task}: unexpected argument {other}\n\n{own_usage}"),
        None => Ok(()),
    };
    match task {
        "ci" => takes_no(&[]).map(|()| Task::Ci),
        "browser" => takes_no(&[]).map(|()| Task::Browser),
        "bench" => Ok(Task::Bench(args)),
        "proof" => {
            takes_no(&["--quick", "--scale"])?;
            let quick = args.iter().any(|a| a == "--quick");
            let scale = args.iter().any(|a| a == "--scale");
            if quick && scale {
                bail!("cargo xtask proof: --quick or --scale, not both\n\n{own_usage}");
            }
            Ok(Task::Proof { quick, scale })
        }
        "festivals" => takes_no(&[]).map(|()| Task::Festivals),
        _ => bail!("no task {task}\n\n{}", usage()),
    }
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match parse(&args)? {
        Task::Help(text) => {
            println!("{text}");
            Ok(())
        }
        Task::Ci => ci(),
        Task::Browser => browser(),
        Task::Bench(args) => bench(args),
        Task::Proof { scale: true, .. } => scale_proof(),
        Task::Proof { quick, .. } => proof(quick),
        Task::Festivals => festivals::write(),
    }
}

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(root());
    command
}

fn run(mut command: Command) -> Result<()> {
    eprintln!("$ {command:?}");
    let status = command
        .status()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok(())
}

fn has_nextest() -> bool {
    cargo()
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A cargo subcommand from crates.io (`cargo machete`, `cargo deny`), run as its own binary
/// (`cargo-machete`, from `~/.cargo/bin` or PATH, where `cargo install` put it and where
/// `.ci/run` checked it). Not as `cargo machete`: under `cargo run` (this task) the
/// environment carries `CARGO_PKG_NAME` and the like, and cargo-machete then takes the
/// subcommand's own name for a directory to analyse.
fn external(subcommand: &str) -> Command {
    let binary = format!("cargo-{subcommand}");
    // Where `cargo install` puts it (cargo looks there too), else whatever PATH finds.
    let installed = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
        .map(|home| home.join("bin").join(&binary))
        .filter(|path| path.is_file());
    let mut command = Command::new(installed.map_or_else(|| binary.into(), |p| p.into_os_string()));
    command.current_dir(root());
    command
}

/// A cargo subcommand CI needs, installed with `cargo install --locked <package>`.
fn require(subcommand: &str, package: &str) -> Result<()> {
    let probe = external(subcommand).arg("--version").output();
    match probe {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => bail!(
            "cargo xtask ci needs `cargo {subcommand}`, which did not answer `--version` \
             (cargo install --locked {package}; .ci/run installs it when missing):\n{}",
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(error) => bail!(
            "cargo xtask ci needs `cargo {subcommand}`, and `cargo-{subcommand}` could not be \
             started ({error}): cargo install --locked {package}"
        ),
    }
}

fn ci() -> Result<()> {
    require("machete", "cargo-machete")?;
    require("deny", "cargo-deny")?;
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    run(fmt)?;
    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    run(clippy)?;
    // No unused dependency in any Cargo.toml.
    let machete = external("machete");
    run(machete)?;
    // deny.toml: licenses, banned or duplicated crates, sources. Not `advisories`: its
    // database cannot be fetched from the machines CI runs on.
    let mut deny = external("deny");
    deny.args([
        "check",
        "--hide-inclusion-graph",
        "licenses",
        "bans",
        "sources",
    ]);
    run(deny)?;
    // The core's documentation builds without a warning (broken intra-doc links, …).
    let mut doc = cargo();
    doc.args(["doc", "-p", "registry-core", "--no-deps"])
        .env("RUSTDOCFLAGS", "-D warnings");
    run(doc)?;
    let mut test = cargo();
    // Snapshots must match as committed: a missing or changed one fails.
    test.env("INSTA_UPDATE", "no").env("CI", "true");
    if has_nextest() {
        test.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
        run(test)?;
        // nextest does not run doc tests.
        let mut doc = cargo();
        doc.args(["test", "--workspace", "--doc"]);
        run(doc)?;
    } else {
        test.args(["test", "--workspace", "--no-fail-fast"]);
        run(test)?;
    }
    browser()
}

/// The data key of the browser test's throwaway database.
const TEST_KEY: &str = "5d2c1b0a99887766554433221100ffeeddccbbaa99887766554433221100ffee";

fn chromium() -> Result<PathBuf> {
    let path =
        PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    if path.exists() {
        Ok(path)
    } else {
        bail!(
            "the browser test needs Chromium at {} (Debian: apt-get install -y chromium chromium-driver; or set CHROMIUM)",
            path.display()
        )
    }
}

/// Waits until the server answers /healthz.
fn wait_healthy(addr: &str) -> Result<()> {
    use std::io::{Read, Write};
    for _ in 0..240 {
        if let Ok(mut stream) = std::net::TcpStream::connect(addr) {
            let _ = stream.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n");
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            if answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200") {
                return Ok(());
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    bail!("the server on {addr} did not become healthy")
}

/// Where cargo puts what it builds: `CARGO_TARGET_DIR` (relative to the workspace) or
/// `target/`.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

/// The accounts `registry serve --demo` printed ("… 用户名 admin 密码 Cujinhui2026"), as
/// JSON for the browser test: {"admin": "…", "fjjp": "…", …}; and the person whose
/// document the demo left overdue ("逾期未发放的证件：NAME 的…").
fn demo_logins(printed: &str) -> Result<(String, String)> {
    let mut accounts = Vec::new();
    for line in printed.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let Some(at) = words.iter().position(|w| *w == "用户名")
            && let (Some(user), Some("密码"), Some(password)) = (
                words.get(at + 1),
                words.get(at + 2).copied(),
                words.get(at + 3),
            )
        {
            accounts.push(format!("\"{user}\":\"{password}\""));
            if let Some(key) = words
                .iter()
                .position(|w| *w == "双因素密钥")
                .and_then(|at| words.get(at + 1))
            {
                accounts.push(format!("\"{user}:totp\":\"{key}\""));
            }
        }
    }
    let overdue = printed
        .split("逾期未发放的证件：")
        .nth(1)
        .and_then(|rest| rest.split(" 的").next())
        .map(str::to_owned);
    match (accounts.is_empty(), overdue) {
        (false, Some(overdue)) => Ok((format!("{{{}}}", accounts.join(",")), overdue)),
        _ => bail!("serve --demo printed no logins or no overdue document:\n{printed}"),
    }
}

/// The browser test against the living demo: `registry serve --demo` on a fresh SQLite
/// file, then `tests/browser/flow.mjs` with the demo's logins.
fn browser() -> Result<()> {
    let root = root();
    let chromium = chromium()?;
    let tests = root.join("tests/browser");
    if !tests.join("node_modules/playwright-core").exists()
        || !tests.join("node_modules/axe-core").exists()
    {
        let mut npm = Command::new("npm");
        npm.args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&tests);
        run(npm)?;
    }
    let mut build = cargo();
    build.args(["build", "-p", "registry-cli"]);
    run(build)?;
    let registry = target_dir().join("debug/registry");
    let dir = std::env::temp_dir().join(format!("registry-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let database = format!(
        "sqlite://{}?mode=rwc",
        dir.join("registry.sqlite3").display()
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr = format!("127.0.0.1:{port}");
    // The demo prints its logins before it serves; they go to a file, read once it is up.
    let printed = dir.join("serve.out");
    let mut server = Command::new(&registry)
        .args(["serve", "--demo", "--database", &database, "--bind", &addr])
        .env("REGISTRY_DATA_KEY", TEST_KEY)
        .env("RUST_LOG", "warn")
        .stdout(std::fs::File::create(&printed)?)
        .spawn()
        .context("cannot start registry serve --demo")?;
    let outcome = wait_healthy(&addr)
        .and_then(|()| demo_logins(&std::fs::read_to_string(&printed)?))
        .and_then(|(accounts, overdue)| {
            let out = root.join("target/browser");
            let mut node = Command::new("node");
            node.arg("flow.mjs")
                .arg(format!("http://{addr}"))
                .arg(&accounts)
                .arg(&out)
                .arg(&overdue)
                .env("CHROMIUM", &chromium)
                .current_dir(&tests);
            run(node)
        });
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

fn bench(args: Vec<String>) -> Result<()> {
    let mut workdays = cargo();
    workdays.args(["bench", "-p", "registry-core", "--bench", "workdays"]);
    run(workdays)?;
    let mut storage = cargo();
    storage
        .args(["run", "--release", "-p", "registry-bench", "--"])
        .args(args);
    run(storage)
}

/// A program from Debian's package, installed when missing and allowed.
fn ensure_debian(program: &str, version_flag: &str, package: &str) -> Result<()> {
    if Command::new(program).arg(version_flag).output().is_ok() {
        return Ok(());
    }
    println!("{program} is missing: apt-get install -y {package}");
    let mut update = Command::new("apt-get");
    update.args(["update", "-qq"]);
    run(update)?;
    let mut install = Command::new("apt-get");
    install.args(["install", "-y", "-qq", package]);
    run(install)
        .with_context(|| format!("cannot install {program} (Debian: apt-get install -y {package})"))
}

/// `wrk` from Debian.
fn ensure_wrk() -> Result<()> {
    ensure_debian("wrk", "--version", "wrk")
}

/// The release build of `registry` and `registry-bench` the proofs run.
fn build_proof_binaries() -> Result<()> {
    let mut build = cargo();
    build.args([
        "build",
        "--release",
        "-p",
        "registry-cli",
        "-p",
        "registry-bench",
    ]);
    run(build)
}

/// `cargo xtask proof --scale`: the release build, nginx and wrk, then the scale proof.
fn scale_proof() -> Result<()> {
    let root = root();
    ensure_wrk()?;
    ensure_debian("nginx", "-v", "nginx-light")?;
    build_proof_binaries()?;
    let mut command = Command::new(root.join("target/release/registry-bench"));
    command.args(["--scale", "100000"]).current_dir(&root);
    println!("\n$ registry-bench --scale 100000");
    let status = command.status().context("cannot run the scale proof")?;
    if status.success() {
        println!(
            "\nproof --scale: every check passed; the figures are printed above (record them in docs/QUALITY.md)"
        );
        Ok(())
    } else {
        bail!("proof --scale: failed")
    }
}

/// Schemathesis from PyPI in a virtual environment of its own under target/proof.
fn ensure_schemathesis(dir: &Path) -> Result<PathBuf> {
    let venv = dir.join("venv");
    let binary = venv.join("bin/schemathesis");
    if binary.exists() {
        return Ok(binary);
    }
    let mut create = Command::new("python3");
    create.args(["-m", "venv"]).arg(&venv);
    run(create).context("python3 -m venv (Debian: apt-get install -y python3-venv)")?;
    let mut install = Command::new(venv.join("bin/pip"));
    install.args(["install", "-q", "schemathesis==4.32.5"]);
    run(install)?;
    Ok(binary)
}

fn proof(quick: bool) -> Result<()> {
    let root = root();
    let dir = root.join("target/proof");
    std::fs::create_dir_all(&dir)?;
    ensure_wrk()?;
    let schemathesis = ensure_schemathesis(&dir)?;
    build_proof_binaries()?;
    let bench = root.join("target/release/registry-bench");
    let (examples, rounds, seconds) = if quick {
        ("20", "3", "3")
    } else {
        ("100", "20", "10")
    };
    let steps: [(&str, Vec<&str>); 5] = [
        ("schemathesis", vec!["--schemathesis", examples]),
        ("crashes", vec!["--crashes", rounds]),
        ("outage", vec!["--outage"]),
        // The same in --quick: it takes seconds.
        ("memory", vec!["--memory", "1000"]),
        (
            "load",
            vec!["--no-import", "--queries", "100", "--load-seconds", seconds],
        ),
    ];
    let mut failed = Vec::new();
    for (name, args) in steps {
        let mut command = Command::new(&bench);
        command
            .args(&args)
            .env("SCHEMATHESIS", &schemathesis)
            .current_dir(&root);
        println!("\n$ registry-bench {}", args.join(" "));
        let status = command
            .status()
            .with_context(|| format!("cannot run {name}"))?;
        if !status.success() {
            failed.push(name);
        }
    }
    if failed.is_empty() {
        println!(
            "\nproof: Schemathesis, the crashes, the outage and the memory ceiling passed; the load's figures and whether each goal is met are printed above (record them in docs/QUALITY.md)"
        );
        Ok(())
    } else {
        bail!("proof: failed: {}", failed.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::{TASKS, Task, demo_logins, parse, usage};

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|a| (*a).to_owned()).collect()
    }

    #[test]
    fn every_task_answers_help_with_its_own_usage_and_runs_nothing() {
        for (name, _, about) in TASKS {
            for help in [
                vec![name, "--help"],
                vec![name, "-h"],
                vec![name, "--", "--help"],
                vec!["help", name],
                vec!["--help", name],
            ] {
                let Ok(Task::Help(text)) = parse(&args(&help)) else {
                    panic!("{help:?} is not a help request");
                };
                assert!(
                    text.starts_with(&format!("usage: cargo xtask {name}")),
                    "{help:?}: {text}"
                );
                assert!(text.contains(about), "{help:?}: {text}");
                for (other, _, _) in TASKS.iter().filter(|(other, _, _)| *other != name) {
                    assert!(!text.contains(&format!("\n  {other} ")), "{help:?}: {text}");
                }
            }
        }
        // `bench` passes its arguments on: help wins wherever it is.
        assert!(matches!(
            parse(&args(&["bench", "--people", "10", "-h"])),
            Ok(Task::Help(_))
        ));
    }

    #[test]
    fn help_alone_shows_every_task() {
        for help in [&["--help"][..], &["-h"], &["help"]] {
            let Ok(Task::Help(text)) = parse(&args(help)) else {
                panic!("{help:?} is not a help request");
            };
            assert_eq!(text, usage());
            for (name, _, _) in TASKS {
                assert!(text.contains(&format!("\n  {name}")), "{name}: {text}");
            }
        }
    }

    #[test]
    fn tasks_and_their_arguments() {
        assert_eq!(parse(&args(&["ci"])).ok(), Some(Task::Ci));
        assert_eq!(parse(&args(&["browser"])).ok(), Some(Task::Browser));
        assert_eq!(
            parse(&args(&["bench", "--", "--people", "1000", "--no-postgres"])).ok(),
            Some(Task::Bench(args(&["--people", "1000", "--no-postgres"])))
        );
        assert_eq!(
            parse(&args(&["proof"])).ok(),
            Some(Task::Proof {
                quick: false,
                scale: false
            })
        );
        assert_eq!(
            parse(&args(&["proof", "--", "--quick"])).ok(),
            Some(Task::Proof {
                quick: true,
                scale: false
            })
        );
        assert_eq!(
            parse(&args(&["proof", "--scale"])).ok(),
            Some(Task::Proof {
                quick: false,
                scale: true
            })
        );
        // A mistyped task or argument runs nothing.
        for wrong in [
            &[][..],
            &["cii"],
            &["help", "cii"],
            &["ci", "--fast"],
            &["browser", "x"],
            &["proof", "--quik"],
            &["proof", "--quick", "--scale"],
        ] {
            assert!(parse(&args(wrong)).is_err(), "{wrong:?}");
        }
    }

    #[test]
    fn the_demo_logins_are_read_from_what_serve_printed() {
        let printed =
            "演示数据已载入。注册周期：2021—2024、2025—2028、2029—2032（按今天 2026-11-30 计）
登录账户：
  促进会管理员                   用户名 admin      密码 Cujinhui2026  双因素密钥 ABCDEFGH
  机构 上海市特种设备鉴定评审中心         用户名 shjp       密码 Shanghai2026
评审人员信息填报（姓名、评审机构、填报密码、今天的情况）：
  王建国  福建省特种设备鉴定评审中心  Demo1000  已注册（由上一周期换证并续注册）
逾期未发放的证件：胡春梅 的资格证书（2025—2028 换证）
";
        let (accounts, overdue) = demo_logins(printed).unwrap();
        assert_eq!(
            accounts,
            r#"{"admin":"Cujinhui2026","admin:totp":"ABCDEFGH","shjp":"Shanghai2026"}"#
        );
        assert_eq!(overdue, "胡春梅");
        assert!(demo_logins("数据库中已有数据，未载入演示数据").is_err());
    }
}
