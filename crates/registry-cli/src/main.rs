//! `registry`: the one binary of the assessor register, for serving and batch jobs.
//!
//! Subcommands: `migrate` (the database), `workdays` (China's working days),
//! `check-id` and `check-credit-code`. Exit codes: 0 success (or valid); 1 an invalid ID
//! or code, or a database that cannot be opened or migrated; 2 a usage error, a malformed
//! date or a date outside the calendar.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use registry_core::calendar::WorkCalendar;
use registry_core::credit_code::CreditCode;
use registry_core::date::{china_today, format_date, parse_date};
use registry_core::resident_id::ResidentId;
use registry_store::DatabaseUrl;
use time::OffsetDateTime;

/// The register of special-equipment licensing assessors (特种设备鉴定评审人员管理系统).
#[derive(Debug, Parser)]
#[command(name = "registry", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
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
    /// calendar's years is an error (exit status 2), never a Monday-to-Friday guess.
    #[command(
        after_help = "Examples:\n  registry workdays 2024-09-27 2024-10-09   → 5\n  registry workdays --add 20 2024-09-20     → 2024-10-23"
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
        #[arg(long, value_name = "FILE", env = "REGISTRY_CALENDAR")]
        calendar: Option<PathBuf>,
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
        Command::Migrate { database } => migrate(&database),
        Command::Workdays {
            add,
            dates,
            calendar,
        } => workdays(add, &dates, calendar.as_deref()),
        Command::CheckId { id } => check_id(&id),
        Command::CheckCreditCode { code } => check_credit_code(&code),
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
        .map_err(|e| format!("cannot start the async runtime: {e}"))
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
            .map_err(|e| format!("cannot read the calendar {}: {e}", path.display()))?,
        None => registry_core::fixtures::CALENDAR_CSV.to_owned(),
    };
    WorkCalendar::parse_csv(&text).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        format!("工作日历数据有误：{}", lines.join("；"))
    })
}

fn workdays(add: Option<u32>, dates: &[String], calendar: Option<&Path>) -> ExitCode {
    let calendar = match load_calendar(calendar) {
        Ok(calendar) => calendar,
        Err(message) => return fail(message, USAGE),
    };
    let parsed: Result<Vec<_>, _> = dates.iter().map(|d| parse_date(d)).collect();
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return fail(e, USAGE),
    };
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
