//! The batch subcommands: import, export, sweep, backup, restore. They print what they
//! did on standard output, problems on standard error, and progress on standard error (a
//! bar on a terminal, plain lines otherwise).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use registry_batch::table::{Format, Limits, ReadError, Source};
use registry_batch::{Progress, Setting};
use registry_core::date::{format_date, parse_date};
use registry_core::ports::Actor;
use registry_store::{DatabaseUrl, Store};
use time::OffsetDateTime;

use crate::{DatabaseArg, FAILURE, USAGE, data_key, fail, runtime};

/// Exit status when rows of an import were refused, or the file could not be read.
pub(crate) const REJECTED: u8 = 3;

/// The database and the key, as every batch subcommand takes them.
#[derive(Debug, clap::Args)]
pub(crate) struct JobArgs {
    #[command(flatten)]
    database: DatabaseArg,
    /// A file holding the data key (see `registry serve --help`).
    #[arg(
        long,
        value_name = "FILE",
        env = "REGISTRY_DATA_KEY_FILE",
        hide_env_values = true
    )]
    data_key_file: Option<PathBuf>,
    /// When another runner (a server's schedule, another command) is running the same job:
    /// wait for it to finish (at most 6 hours) instead of exiting 0 without running.
    #[arg(long)]
    wait: bool,
}

/// Progress on standard error: a bar redrawn in place on a terminal; otherwise one line
/// per phase and one every 10 seconds.
struct Console {
    terminal: bool,
    phase: String,
    total: Option<u64>,
    started: Instant,
    last: Instant,
}

impl Console {
    fn new() -> Console {
        Console {
            terminal: std::io::stderr().is_terminal(),
            phase: String::new(),
            total: None,
            started: Instant::now(),
            last: Instant::now(),
        }
    }
}

impl Progress for Console {
    fn phase(&mut self, name: &str, total: Option<u64>) {
        if self.terminal && !self.phase.is_empty() {
            eprintln!();
        }
        self.phase = name.to_owned();
        self.total = total;
        self.started = Instant::now();
        self.last = Instant::now();
        if !self.terminal {
            match total {
                Some(n) => eprintln!("{name}：共 {n} 行"),
                None => eprintln!("{name}……"),
            }
        }
    }

    fn advance(&mut self, done: u64) {
        let now = Instant::now();
        let interval = if self.terminal {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(10)
        };
        if now.duration_since(self.last) < interval && Some(done) != self.total {
            return;
        }
        self.last = now;
        let seconds = now.duration_since(self.started).as_secs_f64();
        let rate = if seconds > 0.0 {
            done as f64 / seconds
        } else {
            0.0
        };
        if self.terminal {
            let line = match self.total {
                Some(total) if total > 0 => {
                    let width = 30;
                    let filled = (done.min(total) * width / total) as usize;
                    format!(
                        "\r{} [{}{}] {done}/{total} 行  {rate:.0} 行/秒",
                        self.phase,
                        "#".repeat(filled),
                        "-".repeat(width as usize - filled)
                    )
                }
                _ => format!("\r{} {done} 行  {rate:.0} 行/秒", self.phase),
            };
            let mut err = std::io::stderr();
            let _ = err.write_all(line.as_bytes());
            let _ = err.flush();
        } else {
            match self.total {
                Some(total) => eprintln!("{}：{done}/{total} 行", self.phase),
                None => eprintln!("{}：{done} 行", self.phase),
            }
        }
    }

    fn finish(&mut self) {
        if self.terminal && !self.phase.is_empty() {
            eprintln!();
        }
        self.phase.clear();
    }
}

/// Who a batch job acts as in the audit log: `system:<job>:<operating-system user>`.
fn actor(job: &str) -> Actor {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    Actor::System {
        job: format!("{job}:{user}"),
    }
}

/// Whether a job may bring the database's schema up to date before it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Schema {
    /// Apply pending migrations first (every job that writes).
    Migrate,
    /// Write nothing: the database must exist and be up to date (a dry run).
    AsItIs,
}

/// Opens the register (applying pending migrations) and runs `job` with a setting.
fn with_register<F>(args: &JobArgs, job: &str, now: OffsetDateTime, run: F) -> ExitCode
where
    F: AsyncFnOnce(&Setting<'_>) -> ExitCode,
{
    open_register(args, job, now, Schema::Migrate, false, run)
}

/// How long `--wait` waits for another runner of the job.
const WAIT: Duration = Duration::from_secs(6 * 3600);

/// Opens the register (applying pending migrations, unless `schema` says the job writes
/// nothing) and runs `job` with a setting; an `exclusive` job holds its lock in the
/// database while it runs (`registry_store::job_lock`): when another runner holds it, the
/// job says so and exits 0, or waits for it with `--wait`.
pub(crate) fn open_register<F>(
    args: &JobArgs,
    job: &str,
    now: OffsetDateTime,
    schema: Schema,
    exclusive: bool,
    run: F,
) -> ExitCode
where
    F: AsyncFnOnce(&Setting<'_>) -> ExitCode,
{
    let url = match args.database.url() {
        Ok(url) => url,
        Err(message) => return fail(message, USAGE),
    };
    if schema == Schema::AsItIs
        && let Some(file) = url.sqlite_file()
        && !file.exists()
    {
        return fail(
            format!("数据库 {} 不存在；试运行不创建任何文件", file.display()),
            FAILURE,
        );
    }
    let key = match data_key(args.data_key_file.as_deref(), &url) {
        Ok(key) => key,
        Err(message) => return fail(message, USAGE),
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(message) => return fail(message, FAILURE),
    };
    runtime.block_on(async move {
        let store = match Store::connect(&url, key).await {
            Ok(store) => store,
            Err(e) => return fail(e, FAILURE),
        };
        match schema {
            Schema::Migrate => {
                if let Err(e) = store.migrate().await {
                    return fail(e, FAILURE);
                }
            }
            Schema::AsItIs => match store.pending_migrations().await {
                Ok(pending) if pending.is_empty() => {}
                Ok(pending) => {
                    return fail(
                        format!(
                            "数据库尚未迁移到此版本（待迁移：{}）；试运行不写入任何数据，\
                             请先运行 registry migrate",
                            pending.join("、")
                        ),
                        FAILURE,
                    );
                }
                Err(e) => return fail(e, FAILURE),
            },
        }
        let (catalogue, calendar) = match (store.catalogue().await, store.calendar().await) {
            (Ok(catalogue), Ok(calendar)) => (catalogue, calendar),
            (Err(e), _) | (_, Err(e)) => return fail(format!("{e:?}"), FAILURE),
        };
        let lock = if exclusive {
            let taken = if args.wait {
                store.lock_job(job, Duration::from_secs(1), WAIT).await
            } else {
                store.try_lock_job(job).await
            };
            match taken {
                Ok(Some(lock)) => Some(lock),
                Ok(None) => {
                    println!(
                        "另一个 {job} 任务正在运行（其他服务器实例或命令），本次未运行；\
                         加 --wait 可等待其完成后运行。"
                    );
                    return ExitCode::SUCCESS;
                }
                Err(e) => return fail(e, FAILURE),
            }
        } else {
            None
        };
        let actor = actor(job);
        let setting = Setting {
            store: &store,
            catalogue: &catalogue,
            calendar: &calendar,
            entropy: &registry_http::secrets::OsEntropy,
            actor: &actor,
            now,
        };
        let status = run(&setting).await;
        if let Some(lock) = lock
            && let Err(e) = lock.release().await
        {
            eprintln!("未能释放 {job} 任务锁（租约到期后自动释放）：{e}");
        }
        status
    })
}

/// `registry load-calendar FILE`.
pub(crate) fn load_calendar(args: &JobArgs, file: &Path) -> ExitCode {
    use registry_core::calendar::WorkCalendar;
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) => return fail(format!("cannot read {}: {e}", file.display()), USAGE),
    };
    let calendar = match WorkCalendar::parse_csv(text.trim_start_matches('\u{feff}')) {
        Ok(calendar) => calendar,
        Err(problems) => {
            for p in problems {
                eprintln!(
                    "{}:{}: {} ({})",
                    file.display(),
                    p.line,
                    p.problem,
                    p.problem.code()
                );
            }
            return fail("未写入任何数据", REJECTED);
        }
    };
    with_register(
        args,
        "load-calendar",
        OffsetDateTime::now_utc(),
        async |setting| {
            let use_case = registry_core::usecases::LoadCalendar { calendar };
            match registry_core::usecases::execute(setting.store, &setting.context(), &use_case)
                .await
            {
                Ok(loaded) => {
                    println!(
                        "已导入 {}—{} 年（{} 条）；日历现覆盖 {}—{} 年",
                        loaded.years.start(),
                        loaded.years.end(),
                        loaded.entries,
                        loaded.covered.start(),
                        loaded.covered.end()
                    );
                    ExitCode::SUCCESS
                }
                Err(registry_core::usecases::UseCaseError::Rejected(v)) => {
                    fail(format!("{v}；未写入任何数据"), REJECTED)
                }
                Err(e) => fail(format!("未写入任何数据：{e} ({e:?})"), FAILURE),
            }
        },
    )
}

/// How `registry import` runs, from its flags.
#[derive(Debug)]
pub(crate) struct ImportOptions<'a> {
    pub(crate) dry_run: bool,
    pub(crate) good_rows_only: bool,
    /// Where to write every problem.
    pub(crate) report: Option<&'a Path>,
    /// The reading limits (`--max-rows`).
    pub(crate) limits: Limits,
}

/// `registry import TABLE FILE`.
pub(crate) fn import(args: &JobArgs, kind: &str, file: &Path, how: ImportOptions<'_>) -> ExitCode {
    use registry_batch::import::{ImportError, Kind, Options, SHOWN};
    let Some(kind) = Kind::parse(kind) else {
        return fail(
            format!("unknown table {kind}: institutions, qualifications or attendance"),
            USAGE,
        );
    };
    // A file over the limit is refused before it is read into memory.
    match std::fs::metadata(file) {
        Ok(meta) if meta.len() > how.limits.max_file_bytes => {
            let e = ReadError::FileTooLarge {
                limit: how.limits.max_file_bytes,
            };
            return fail(format!("{}：{e}；未写入任何数据", file.display()), REJECTED);
        }
        Ok(_) => {}
        Err(e) => return fail(format!("cannot read {}: {e}", file.display()), USAGE),
    }
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) => return fail(format!("cannot read {}: {e}", file.display()), USAGE),
    };
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let source = Source::with_limits(&name, bytes, how.limits);
    let options = Options {
        dry_run: how.dry_run,
        good_rows_only: how.good_rows_only,
        provider: None,
    };
    let report_file = how.report;
    let now = OffsetDateTime::now_utc();
    open_register(
        args,
        "import",
        now,
        Schema::Migrate,
        !how.dry_run,
        async |setting| {
            let mut progress = Console::new();
            let report = match registry_batch::import::import(
                setting,
                kind,
                &source,
                options,
                &mut progress,
            )
            .await
            {
                Ok(report) => report,
                Err(e @ (ImportError::Read(_) | ImportError::Header(_))) => {
                    return fail(format!("{}：{e}；未写入任何数据", file.display()), REJECTED);
                }
                Err(ImportError::Failed(e)) => {
                    return fail(format!("导入失败，未写入任何数据：{e} ({e:?})"), FAILURE);
                }
            };
            for line in report.first_problem_lines(SHOWN) {
                println!("{line}");
            }
            let more = report.rejected.len().saturating_sub(SHOWN);
            if more > 0 {
                match report_file {
                    Some(out) => println!("……另有{more}行有误，见错误报告 {}", out.display()),
                    None => {
                        println!("……另有{more}行有误未列出；用 --report FILE 保存完整的错误报告");
                    }
                }
            }
            println!("{}", report.summary());
            if let Some(out) = report_file {
                let format = Format::of(&out.to_string_lossy(), &[]);
                match report.problem_table(format) {
                    Ok(bytes) => {
                        if let Err(e) = std::fs::write(out, bytes) {
                            return fail(format!("cannot write {}: {e}", out.display()), FAILURE);
                        }
                        println!("错误报告：{}", out.display());
                    }
                    Err(e) => return fail(e, FAILURE),
                }
            }
            if report.rejected.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(REJECTED)
            }
        },
    )
}

/// `registry export TABLE`.
pub(crate) fn export(
    args: &JobArgs,
    table: &str,
    format: &str,
    institution: Option<&str>,
    full_id: bool,
    output: Option<&Path>,
) -> ExitCode {
    use registry_batch::export::{Request, Table};
    let Some(table) = Table::parse(table) else {
        return fail(
            format!("unknown table {table}: people, registrations, courses or attendance"),
            USAGE,
        );
    };
    let Some(format) = Format::parse(format) else {
        return fail(format!("unknown format {format}: xlsx or csv"), USAGE);
    };
    with_register(args, "export", OffsetDateTime::now_utc(), async |setting| {
        let institution = match institution {
            None => None,
            Some(number) => {
                let all = match setting.store.institutions().await {
                    Ok(all) => all,
                    Err(e) => return fail(format!("{e:?}"), FAILURE),
                };
                match all
                    .iter()
                    .find(|i| i.institution.details.number.as_str() == number.trim())
                {
                    Some(found) => Some(found.institution.id),
                    None => return fail(format!("没有机构编号为 {number} 的机构"), USAGE),
                }
            }
        };
        let request = Request {
            table,
            format,
            institution,
            full_id,
        };
        let exported = match registry_batch::export::export(setting, request).await {
            Ok(exported) => exported,
            Err(e) => return fail(e, FAILURE),
        };
        let path = output.map_or_else(|| PathBuf::from(&exported.file_name), Path::to_path_buf);
        if let Err(e) = std::fs::write(&path, &exported.bytes) {
            return fail(format!("cannot write {}: {e}", path.display()), FAILURE);
        }
        let ids = if !table.has_id_numbers() {
            ""
        } else if full_id {
            "，含完整身份证号（已记入审计日志）"
        } else {
            "，身份证号已遮蔽"
        };
        println!(
            "已导出{} {} 行到 {}{ids}",
            table.label(),
            exported.rows,
            path.display()
        );
        ExitCode::SUCCESS
    })
}

/// `registry sweep [--as-of DATE] [--dry-run]`.
pub(crate) fn sweep(
    args: &JobArgs,
    as_of: Option<&str>,
    dry_run: bool,
    again: bool,
    setup: &registry_batch::reminders::ReminderSetup,
) -> ExitCode {
    use registry_batch::sweep::Mode;
    let now = OffsetDateTime::now_utc();
    let today = registry_core::date::china_today(now);
    let now = match as_of {
        None => now,
        Some(text) => match parse_date(text) {
            Ok(day) if day > today && !dry_run => {
                return fail(
                    format!(
                        "--as-of {}：晚于今天（{}），巡检会按该日终止仍然有效的注册，不能提前执行；\
                         只查看将发生的变化请加 --dry-run（不写入任何数据）",
                        format_date(day),
                        format_date(today)
                    ),
                    USAGE,
                );
            }
            // Noon in China on that day.
            Ok(day) => day
                .with_hms(4, 0, 0)
                .map(time::PrimitiveDateTime::assume_utc)
                .unwrap_or(now),
            Err(e) => return fail(format!("--as-of {text}: {e}"), USAGE),
        },
    };
    let (mode, schema) = if dry_run {
        (Mode::DryRun, Schema::AsItIs)
    } else {
        (Mode::Write, Schema::Migrate)
    };
    open_register(args, "sweep", now, schema, !dry_run, async |setting| {
        if mode == Mode::Write && !again {
            match registry_batch::sweep::already_swept(setting).await {
                Ok(true) => {
                    println!(
                        "{} 的巡检已完成（其他服务器实例或命令），本次未运行；加 --again 可再次运行。",
                        format_date(registry_core::date::china_today(setting.now))
                    );
                    return ExitCode::SUCCESS;
                }
                Ok(false) => {}
                Err(e) => return fail(format!("{e:?}"), FAILURE),
            }
        }
        let mut progress = Console::new();
        let report = match registry_batch::sweep::sweep(setting, mode, setup, &mut progress).await {
            Ok(report) => report,
            Err(e) => return fail(format!("巡检失败：{e} ({e:?})"), FAILURE),
        };
        let institutions: std::collections::BTreeMap<_, _> =
            match setting.store.institutions().await {
                Ok(all) => all
                    .into_iter()
                    .map(|i| {
                        (
                            i.institution.id,
                            i.institution.details.name.as_str().to_owned(),
                        )
                    })
                    .collect(),
                Err(e) => return fail(format!("{e:?}"), FAILURE),
            };
        if report.dry_run {
            println!(
                "注册巡检（{}，试运行：只列出将发生的变化，不写入任何数据）",
                format_date(report.as_of)
            );
        } else {
            println!("注册巡检（{}）", format_date(report.as_of));
        }
        if let Some(warning) = &report.calendar_warning {
            println!("注意：{warning}");
        }
        if report.dry_run {
            println!("将终止注册 {} 项：", report.expired.len());
        } else {
            println!("已终止注册 {} 项：", report.expired.len());
        }
        for (person, e) in &report.expired {
            println!(
                "  人员 {person}  {}  {}  有效期至 {}  {}",
                institutions.get(&e.institution).map_or("", String::as_str),
                e.item,
                format_date(e.valid_until),
                e.reason
            );
        }
        println!(
            "{} 个月内到期、需延续注册 {} 项：",
            report.window_months,
            report.renewals.len()
        );
        for r in &report.renewals {
            println!(
                "  {}  {}  {}  有效期至 {}",
                r.name,
                r.institution,
                r.item,
                format_date(r.valid_until)
            );
        }
        println!("逾期未发放的证书和注册卡 {} 份：", report.overdue.len());
        for (listing, due) in &report.overdue {
            println!(
                "  {}  {}{}  {}应于 {} 前发放{}",
                listing.document.details.kind.label(),
                listing.person.name,
                listing
                    .institution_name
                    .as_deref()
                    .map(|n| format!("（{n}）"))
                    .unwrap_or_default(),
                if due.is_estimated() { "预计" } else { "" },
                format_date(due.date()),
                due.estimate_note()
                    .map(|note| format!("（{note}）"))
                    .unwrap_or_default()
            );
        }
        if report.dry_run {
            println!(
                "到期提醒 {} 条（试运行：未写入发件箱）",
                report.reminders.due
            );
            println!("试运行结束：未写入任何数据。");
        } else {
            println!(
                "到期提醒 {} 条，新写入发件箱 {} 条（registry notify 发送）",
                report.reminders.due, report.reminders.added
            );
        }
        ExitCode::SUCCESS
    })
}

fn print_counts(counts: &[(String, i64)]) {
    for (table, n) in counts {
        println!("  {table}: {n}");
    }
}

/// Runs `job` on the register at `database` opened without its data key: for what reads no
/// ID number (a backup, the audit chain), any key opens the store.
pub(crate) fn without_key<F>(database: &DatabaseArg, job: F) -> ExitCode
where
    F: AsyncFnOnce(Store, DatabaseUrl) -> ExitCode,
{
    let url = match database.url() {
        Ok(url) => url,
        Err(message) => return fail(message, USAGE),
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(message) => return fail(message, FAILURE),
    };
    runtime.block_on(async move {
        match Store::connect(&url, registry_store::DataKey::from_bytes([0; 32])).await {
            Ok(store) => job(store, url).await,
            Err(e) => fail(e, FAILURE),
        }
    })
}

/// `registry backup FILE`.
pub(crate) fn backup(database: &DatabaseArg, file: &Path) -> ExitCode {
    without_key(
        database,
        async |store, url| match registry_batch::backup::backup(&store, file).await {
            Ok(counts) => {
                println!("已备份 {url} 到 {}（完整性检查通过）：", file.display());
                print_counts(&counts);
                println!("数据密钥（registry.key 或 REGISTRY_DATA_KEY）须另行备份。");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e, FAILURE),
        },
    )
}

/// `registry restore FILE`.
pub(crate) fn restore(database: &DatabaseArg, file: &Path) -> ExitCode {
    let url: DatabaseUrl = match database.url() {
        Ok(url) => url,
        Err(message) => return fail(message, USAGE),
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(message) => return fail(message, FAILURE),
    };
    match runtime.block_on(registry_batch::backup::restore_sqlite(file, &url)) {
        Ok(counts) => {
            println!("已从 {} 恢复 {url}：", file.display());
            print_counts(&counts);
            ExitCode::SUCCESS
        }
        Err(e) => fail(e, FAILURE),
    }
}
