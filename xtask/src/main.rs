//! The project's automation. `cargo xtask ci` runs what CI runs; `cargo xtask bench` runs
//! the benchmarks and prints their ratios.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

mod tidy;

const USAGE: &str = "usage: cargo xtask <ci|bench> [-- ARGS]

  ci      cargo fmt --check, cargo clippy --all-targets -D warnings, and every test
          (with cargo-nextest when installed, else cargo test)
  bench   the benchmarks, each against a baseline measured in the same run:
          - working-day queries: constant time against a day-by-day loop;
          - storage (release build): a synthetic register of 100,000 people loaded into
            SQLite and PostgreSQL against raw sqlx baselines, and every search's p50/p99.
          ARGS go to the storage benchmark: --people N, --queries N,
          --postgres URL or --no-postgres (default: REGISTRY_TEST_DATABASE_URL, else
          postgres://postgres@127.0.0.1:5432/postgres)";

fn main() -> Result<()> {
    let task = std::env::args().nth(1);
    match task.as_deref() {
        Some("ci") => ci(),
        Some("bench") => bench(std::env::args().skip(2).filter(|a| a != "--").collect()),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => bail!("{USAGE}"),
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

fn ci() -> Result<()> {
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
    let mut test = cargo();
    // Snapshots must match as committed: a missing or changed one fails.
    test.env("INSTA_UPDATE", "no").env("CI", "true");
    if has_nextest() {
        test.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
        run(test)?;
        // nextest does not run doc tests.
        let mut doc = cargo();
        doc.args(["test", "--workspace", "--doc"]);
        run(doc)
    } else {
        test.args(["test", "--workspace", "--no-fail-fast"]);
        run(test)
    }
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
