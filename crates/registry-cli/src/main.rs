//! `registry`: the one binary of the assessor register, for serving and batch jobs.
//!
//! Subcommands: `serve` (the web system), `migrate` (the database), `create-admin`,
//! `import`, `export`, `sweep`, `notify`, `backup`, `restore` (batch jobs), `workdays` (China's
//! working days), `check-id` and `check-credit-code`. Exit codes: 0 success (or valid); 1
//! an invalid ID or code, or a database that cannot be opened, migrated or written; 2 a
//! usage error, a malformed date or a date outside the calendar; 3 an import with refused
//! rows or an unreadable file (nothing written unless --good-rows-only).

mod accounts;
use accounts::parse_duty;
mod audit;
mod jobs;
mod notify;
mod serve;
mod upkeep;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use registry_batch::table::Limits;
use registry_core::calendar::WorkCalendar;
use registry_core::credit_code::CreditCode;
use registry_core::date::{china_today, format_date, parse_date};
use registry_core::resident_id::ResidentId;
use registry_store::DatabaseUrl;
use time::OffsetDateTime;

/// The register of special-equipment licensing assessors (特种设备鉴定评审人员管理系统).
#[derive(Debug, Parser)]
#[command(
    name = "registry",
    version,
    after_help = "Exit status: 0 done (or valid); 1 failure (database, files; nothing half-done) or an invalid ID or code; 2 usage error or a date outside the calendar; 3 an import refused rows or the file (nothing written unless --good-rows-only).\nDetails: docs/OPERATIONS.md"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serves the web system (pages and JSON API) on --bind, after applying the database
    /// migrations. With --demo, an empty database first receives a demo register and the
    /// demo logins are printed.
    Serve(serve::ServeArgs),
    /// Creates an administrator account of the association (促进会) with one of the three
    /// separated duties (三员分立) and a generated password, printed once; it must be
    /// changed at the first login. This is how a new register gets its first
    /// administrators: one of each duty.
    CreateAdmin {
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
        /// The login name (3–32 of a–z, 0–9, . _ -, starting with a letter).
        username: String,
        /// The duty: `system` (系统管理员: the register's daily work), `security` (安全管理员:
        /// accounts, roles, lockouts) or `audit` (审计管理员: reads the audit log).
        #[arg(long, value_name = "DUTY", value_parser = parse_duty)]
        role: registry_core::access::Duty,
    },
    /// Applies the database migrations (creating the SQLite file if missing) and loads the
    /// review-item catalogue and the working-day calendar on the first run. Running it
    /// again changes nothing.
    Migrate {
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Counts working days (工作日) on China's calendar of statutory holidays and adjusted
    /// working days (调休).
    ///
    /// `registry workdays FROM TO` prints the number of working days in [FROM, TO], both
    /// included. `registry workdays --add N DATE` prints the date N working days after
    /// DATE (counting starts the day after DATE). Dates are YYYY-MM-DD. A date outside the
    /// calendar's years is an error (exit status 2), never a Monday-to-Friday guess, unless
    /// --provisional asks for an estimated deadline.
    #[command(
        after_help = "Examples:\n  registry workdays 2024-09-27 2024-10-09                → 5\n  registry workdays --add 20 2024-09-20                  → 2024-10-23\n  registry workdays --add 20 2026-12-20 --provisional    → 2027-01-18 (an estimate)"
    )]
    Workdays {
        /// Print the date N working days after DATE instead of counting.
        #[arg(long, value_name = "N")]
        add: Option<u32>,
        /// FROM and TO, or with --add, the one DATE.
        #[arg(value_name = "DATE", num_args = 1..=2, required = true)]
        dates: Vec<String>,
        /// A calendar file (date,kind,name,… CSV) to use instead of the one built in
        /// (fixtures/cn-calendar-2013-2026.csv).
        #[arg(
            long,
            value_name = "FILE",
            env = "REGISTRY_CALENDAR",
            hide_env_values = true
        )]
        calendar: Option<PathBuf>,
        /// With --add: count on into the years after the calendar's last year (two at
        /// most) on the holidays the law gives (全国年节及纪念日放假办法: 13 statutory days,
        /// a weekend one made up on the next working day, no adjusted working days). Such a
        /// date is an estimate, said so on stderr; it changes when the year's calendar is
        /// loaded. Never for counting working days (FROM TO).
        #[arg(long)]
        provisional: bool,
    },
    /// Checks a resident ID number (身份证号, GB 11643-1999); the legacy 15-digit form is
    /// converted. Prints the birth date and sex if valid (exit 0), the reason if not
    /// (exit 1).
    CheckId {
        /// The 18-character (or legacy 15-digit) number.
        id: String,
    },
    /// Checks a unified social credit code (统一社会信用代码, GB 32100-2015). Exit 0 if
    /// valid, 1 with the reason if not.
    CheckCreditCode {
        /// The 18-character code.
        code: String,
    },
    /// Prints the current 6-digit second-factor code (TOTP, RFC 6238) of a secret in
    /// base32, as an authenticator app would show it: for the demo's published secrets
    /// and for checking a set-up by hand.
    TotpCode {
        /// The secret in base32.
        secret: String,
    },
    /// Imports a table (.xlsx, or CSV in UTF-8 with or without BOM, or GBK): the
    /// institution list (机构编号, 机构名称, 省级/国家级资质编号, 统一社会信用代码, 联系人,
    /// 联系电话, 登录用户名), a pass list (姓名, 身份证号, 评审项目, 考核日期, 公布日期) or
    /// an attendance roster (培训班编号, 姓名, 身份证号或注册号, 课时).
    ///
    /// Every row is checked before anything is written; the refused rows are printed with
    /// their line and every reason (the first 200; all of them with --report). By default one
    /// bad row stops the whole file (nothing written, exit 3). Importing the same file twice
    /// changes nothing.
    ///
    /// A file over the reading limits is refused whole before it is read (exit 3): 200,000
    /// rows (--max-rows), 64 columns, 4,096 characters in a cell, a 64 MiB file; in an .xlsx
    /// file, a sheet that inflates past 256 MiB, shared strings past 64 MiB or 1,000,000
    /// strings, any other part past 16 MiB, a part compressed more than 200:1.
    /// docs/OPERATIONS.md lists every limit.
    Import {
        #[command(flatten)]
        job: jobs::JobArgs,
        /// institutions, qualifications or attendance.
        #[arg(value_name = "TABLE")]
        table: String,
        /// The file.
        file: PathBuf,
        /// Check every row and print the report; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write the good rows even if some rows are refused.
        #[arg(long)]
        good_rows_only: bool,
        /// Also write the refused rows to this file (.csv or .xlsx): every problem, where
        /// the terminal shows the first 200.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// Allow this many rows (the header included) instead of 200,000; the limits on
        /// sizes that grow with the rows (the file, the sheet, the shared strings) are raised
        /// in proportion.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        max_rows: Option<u64>,
    },
    /// Loads the working-day calendar of one or more whole years from a CSV file
    /// (`date,kind,name`: every statutory holiday and adjusted working day of each year, as
    /// the State Council publishes them), replacing those years. The calendar must stay
    /// whole (no missing year in between); on any problem nothing is written (exit 3).
    /// Running servers read it within the hour (the one whose 工作日历 page loaded it, at
    /// once).
    LoadCalendar {
        #[command(flatten)]
        job: jobs::JobArgs,
        /// The CSV file (UTF-8).
        file: PathBuf,
    },
    /// Exports a table as .xlsx or CSV: people, registrations, courses or attendance, for
    /// the association or for one institution. ID numbers are masked unless --full-id is
    /// given, which is recorded in the audit log.
    Export {
        #[command(flatten)]
        job: jobs::JobArgs,
        /// people, registrations, courses or attendance.
        #[arg(value_name = "TABLE")]
        table: String,
        /// xlsx or csv.
        #[arg(long, default_value = "xlsx")]
        format: String,
        /// Only what concerns the institution with this number (机构编号).
        #[arg(long, value_name = "NUMBER")]
        institution: Option<String>,
        /// Full ID numbers instead of masked ones (audit-logged).
        #[arg(long)]
        full_id: bool,
        /// The file to write [default: TABLE-DATE.FORMAT in the current directory].
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Ends the registrations whose validity has ended (70th birthday, end of the cycle)
    /// and records why; lists the registrations due for renewal within the policy's
    /// window and the certificates and cards past their due date (marked 预计 when
    /// estimated); warns when next year's working-day calendar is due to be loaded. Safe
    /// to run every night from cron: a second run ends nothing more. --dry-run writes
    /// nothing.
    Sweep {
        #[command(flatten)]
        job: jobs::JobArgs,
        /// Sweep as of this day (YYYY-MM-DD) instead of today. A day after today is
        /// refused (exit 2) unless --dry-run: a sweep would end registrations that are
        /// still valid.
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// Print what the sweep would do (the registrations it would end and why, the
        /// renewals due, the overdue documents) and write nothing at all. Any --as-of.
        #[arg(long)]
        dry_run: bool,
        /// Sweep even when the day was already swept (by another machine's timer or a
        /// command): without it, a second sweep of a day says so and exits 0.
        #[arg(long)]
        again: bool,
        #[command(flatten)]
        mail: notify::MailArgs,
    },
    /// Sends the reminders the sweep kept (one e-mail a day per recipient, grouping all
    /// that are due for them) through --smtp; a refused digest is tried again later and
    /// marked failed after 6 attempts. Safe to run from several machines at once: each
    /// digest goes once. --dry-run prints the digests and sends nothing.
    Notify(notify::NotifyArgs),
    /// The audit log: `verify` walks its hash chain and names the first row edited,
    /// deleted or inserted in the database (exit 1), or says it holds (exit 0).
    Audit {
        #[command(subcommand)]
        action: audit::AuditCommand,
    },
    /// Writes a consistent copy of a SQLite register to FILE while it is in use, and
    /// checks it. For PostgreSQL use pg_dump (docs/OPERATIONS.md).
    Backup {
        #[command(flatten)]
        database: DatabaseArg,
        /// The backup file to create (must not exist).
        file: PathBuf,
    },
    /// Replaces the SQLite register with a backup, after checking it. Stop the server
    /// first. For PostgreSQL use pg_restore (docs/OPERATIONS.md).
    Restore {
        #[command(flatten)]
        database: DatabaseArg,
        /// The backup file.
        file: PathBuf,
    },
}

/// The database option every subcommand that touches the database takes.
#[derive(Debug, clap::Args)]
struct DatabaseArg {
    /// The database: `sqlite:///abs/path.sqlite3?mode=rwc` or
    /// `postgres://user@host:port/db` [default: ./data/registry.sqlite3].
    #[arg(long, value_name = "URL", env = "DATABASE_URL", hide_env_values = true)]
    database: Option<String>,
}

impl DatabaseArg {
    fn url(&self) -> Result<DatabaseUrl, String> {
        match &self.database {
            Some(text) => DatabaseUrl::parse(text).map_err(|e| e.to_string()),
            None => Ok(DatabaseUrl::default_sqlite()),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve::serve(&args),
        Command::CreateAdmin {
            database,
            data_key_file,
            username,
            role,
        } => accounts::create_admin(&database, data_key_file.as_deref(), &username, role),
        Command::Migrate { database } => migrate(&database),
        Command::Workdays {
            add,
            dates,
            calendar,
            provisional,
        } => workdays(add, &dates, calendar.as_deref(), provisional),
        Command::LoadCalendar { job, file } => jobs::load_calendar(&job, &file),
        Command::CheckId { id } => check_id(&id),
        Command::CheckCreditCode { code } => check_credit_code(&code),
        Command::TotpCode { secret } => accounts::totp_code(&secret),
        Command::Import {
            job,
            table,
            file,
            dry_run,
            good_rows_only,
            report,
            max_rows,
        } => jobs::import(
            &job,
            &table,
            &file,
            jobs::ImportOptions {
                dry_run,
                good_rows_only,
                report: report.as_deref(),
                limits: max_rows.map_or_else(Limits::default, |n| {
                    Limits::for_rows(usize::try_from(n).unwrap_or(usize::MAX))
                }),
            },
        ),
        Command::Export {
            job,
            table,
            format,
            institution,
            full_id,
            output,
        } => jobs::export(
            &job,
            &table,
            &format,
            institution.as_deref(),
            full_id,
            output.as_deref(),
        ),
        Command::Sweep {
            job,
            as_of,
            dry_run,
            again,
            mail,
        } => match mail.setup() {
            Ok(setup) => jobs::sweep(&job, as_of.as_deref(), dry_run, again, &setup),
            Err(message) => fail(message, USAGE),
        },
        Command::Notify(args) => notify::notify(&args),
        Command::Audit {
            action: audit::AuditCommand::Verify { database },
        } => audit::verify(&database),
        Command::Audit {
            action:
                audit::AuditCommand::Purge {
                    database,
                    before,
                    archive,
                    retention_days,
                },
        } => audit::purge(&database, &before, &archive, retention_days),
        Command::Backup { database, file } => jobs::backup(&database, &file),
        Command::Restore { database, file } => jobs::restore(&database, &file),
    }
}

/// Exit status of a usage error, a malformed date or a date outside the calendar.
const USAGE: u8 = 2;

/// Exit status of a database that cannot be opened or migrated.
const FAILURE: u8 = 1;

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("无法启动异步运行时：{e}"))
}

/// The data key: REGISTRY_DATA_KEY, --data-key-file, or (SQLite only) `registry.key` beside
/// the database, created with a fresh key on first use.
fn data_key(
    data_key_file: Option<&Path>,
    url: &DatabaseUrl,
) -> Result<registry_store::DataKey, String> {
    if let Ok(hex) = std::env::var("REGISTRY_DATA_KEY") {
        return registry_store::DataKey::from_hex(&hex)
            .map_err(|e| format!("REGISTRY_DATA_KEY: {e}"));
    }
    let file = match (data_key_file, url.sqlite_file()) {
        (Some(file), _) => file.to_path_buf(),
        (None, Some(db)) => db.with_file_name("registry.key"),
        (None, None) => {
            return Err(
                "PostgreSQL needs a data key (it protects the ID numbers): set REGISTRY_DATA_KEY \
                        to 64 hexadecimal characters, or pass --data-key-file FILE"
                    .to_owned(),
            );
        }
    };
    if !file.exists() && data_key_file.is_none() {
        let hex = registry_store::DataKey::generate_hex()
            .map_err(|e| format!("无法生成数据密钥：{e}"))?;
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("无法创建目录 {}：{e}", dir.display()))?;
        }
        write_private(&file, &hex)
            .map_err(|e| format!("无法写入数据密钥 {}：{e}", file.display()))?;
        eprintln!(
            "registry: 已生成数据密钥 {}：请与数据库分开备份，没有它就无法读取身份证号",
            file.display()
        );
    }
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("无法读取数据密钥 {}：{e}", file.display()))?;
    registry_store::DataKey::from_hex(&text).map_err(|e| format!("{}: {e}", file.display()))
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

fn migrate(database: &DatabaseArg) -> ExitCode {
    let url = match database.url() {
        Ok(url) => url,
        Err(message) => return fail(message, USAGE),
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(message) => return fail(message, FAILURE),
    };
    match runtime.block_on(registry_store::migrate(&url)) {
        Ok(applied) if applied.is_empty() => {
            println!("数据库已是最新：{url}");
            ExitCode::SUCCESS
        }
        Ok(applied) => {
            println!("已完成数据库迁移：{url}");
            for name in applied {
                println!("  {name}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(e, FAILURE),
    }
}

fn fail(message: impl std::fmt::Display, status: u8) -> ExitCode {
    eprintln!("registry: {message}");
    ExitCode::from(status)
}

fn load_calendar(file: Option<&Path>) -> Result<WorkCalendar, String> {
    let text = match file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("无法读取日历文件 {}：{e}", path.display()))?,
        None => registry_core::fixtures::CALENDAR_CSV.to_owned(),
    };
    WorkCalendar::parse_csv(&text).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        format!("工作日历数据有误：{}", lines.join("；"))
    })
}

fn workdays(
    add: Option<u32>,
    dates: &[String],
    calendar: Option<&Path>,
    provisional: bool,
) -> ExitCode {
    let calendar = match load_calendar(calendar) {
        Ok(calendar) => calendar,
        Err(message) => return fail(message, USAGE),
    };
    let parsed: Result<Vec<_>, _> = dates.iter().map(|d| parse_date(d)).collect();
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return fail(e, USAGE),
    };
    if provisional {
        return match (add, parsed.as_slice()) {
            (Some(n), [date]) => estimated_deadline(&calendar, *date, n),
            _ => fail(
                "--provisional estimates a deadline (--add N DATE) only: working days \
                 between two dates are counted on the loaded calendar alone",
                USAGE,
            ),
        };
    }
    let answer = match (add, parsed.as_slice()) {
        (Some(n), [date]) => calendar.add_working_days(*date, n).map(format_date),
        (None, [from, to]) => calendar.working_days(*from, *to).map(|n| n.to_string()),
        (Some(_), _) => return fail("--add N takes exactly one DATE", USAGE),
        (None, _) => return fail("give FROM and TO, or --add N DATE", USAGE),
    };
    match answer {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e, USAGE),
    }
}

/// `workdays --add N DATE --provisional`: the deadline on the loaded calendar and then the
/// law's provisional years; an estimate is said so on stderr, the date alone on stdout.
fn estimated_deadline(calendar: &WorkCalendar, date: time::Date, count: u32) -> ExitCode {
    let deadlines = match registry_core::fixtures::deadline_calendar(calendar) {
        Ok(deadlines) => deadlines,
        Err(e) => return fail(e, FAILURE),
    };
    match deadlines.add_working_days(date, count) {
        Ok(deadline) => {
            if let Some(note) = deadline.estimate_note() {
                eprintln!("注意：{note}");
            }
            println!("{}", format_date(deadline.date()));
            ExitCode::SUCCESS
        }
        Err(e) => fail(e, USAGE),
    }
}

fn today() -> time::Date {
    china_today(OffsetDateTime::now_utc())
}

fn check_id(input: &str) -> ExitCode {
    match ResidentId::parse(input, today()) {
        Ok(id) => {
            println!("有效的身份证号：{}", id.as_str());
            if input.trim().chars().count() == 15 {
                println!("（15位旧号码，已转换为18位）");
            }
            println!("出生日期：{}", format_date(id.birth_date()));
            println!("性别：{}", id.sex());
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("无效的身份证号：{e}"), 1),
    }
}

fn check_credit_code(input: &str) -> ExitCode {
    match CreditCode::parse(input) {
        Ok(code) => {
            println!("有效的统一社会信用代码：{code}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("无效的统一社会信用代码：{e}"), 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
