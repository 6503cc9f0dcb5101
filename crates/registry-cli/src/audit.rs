//! `registry audit verify`: walks the audit chain (`registry_store::audit_chain`) and names
//! the first broken row. Exit 0 when the chain holds, 1 when it is broken (or cannot be
//! read), 2 on a usage error.
//!
//! `registry audit purge --before DATE --archive FILE`: archives the rows written before
//! DATE (a JSON object per line, every column and link) to FILE, then removes them — only
//! rows past the retention period (the core's `retention`: 180 days at least), only as a
//! prefix of the chain, and only once the file is written and synced.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use registry_core::date::{CHINA_STANDARD_TIME, china_today, parse_date};
use registry_core::retention::check_purge;
use time::OffsetDateTime;

use crate::{DatabaseArg, FAILURE, USAGE, fail};

/// What `registry audit` does.
#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Walks the audit log's hash chain from its first row; exit 1 naming the first
    /// broken row.
    Verify {
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Archives the rows written before DATE to FILE (one JSON object per line, with their
    /// links) and removes them from the database. Only rows older than the retention period
    /// (at least 180 days, 网络安全法第二十一条) are removed; a later DATE is refused (exit 2).
    Purge {
        #[command(flatten)]
        database: DatabaseArg,
        /// Remove the rows written before this day (YYYY-MM-DD, China's calendar).
        #[arg(long, value_name = "DATE")]
        before: String,
        /// The archive to create (must not exist).
        #[arg(long, value_name = "FILE")]
        archive: PathBuf,
        /// The retention period in days (180 at least).
        #[arg(long, value_name = "DAYS", default_value_t = registry_core::retention::AUDIT_RETENTION_DAYS)]
        retention_days: u32,
    },
}

/// Rows archived and removed at most per run (run again for more).
const PURGE_ROWS: u64 = 1_000_000;

/// `registry audit purge`.
pub(crate) fn purge(database: &DatabaseArg, before: &str, archive: &Path, days: u32) -> ExitCode {
    let Ok(day) = parse_date(before) else {
        return fail(format!("日期“{before}”无效，应为 YYYY-MM-DD"), USAGE);
    };
    let now = OffsetDateTime::now_utc();
    if let Err(refused) = check_purge(china_today(now), day, days) {
        return fail(refused, USAGE);
    }
    crate::jobs::without_key(database, async |store, _| {
        // Midnight in China starting `day`.
        let limit = day.midnight().assume_offset(CHINA_STANDARD_TIME);
        let rows = match store.audit_prefix_before(limit, PURGE_ROWS).await {
            Ok(rows) => rows,
            Err(e) => return fail(e, FAILURE),
        };
        let Some(last) = rows.last() else {
            println!("{before} 之前没有可清理的操作日志。");
            return ExitCode::SUCCESS;
        };
        if let Err(e) = write_archive(archive, &rows) {
            return fail(
                format!("未能写入归档文件 {}：{e}", archive.display()),
                FAILURE,
            );
        }
        match store.purge_audit_prefix(last.seq, limit).await {
            Ok(removed) => {
                println!(
                    "已归档并清理 {before} 之前的操作日志 {removed} 条（第 {} 至 {} 条）到 {}；链从第 {} 条之后继续，其哈希 {}",
                    rows.first().map_or(0, |r| r.seq),
                    last.seq,
                    archive.display(),
                    last.seq,
                    last.hash
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(e, FAILURE),
        }
    })
}

/// Writes the rows, one JSON object per line, to a new file, synced before it returns.
fn write_archive(
    path: &Path,
    rows: &[registry_store::audit_chain::ArchivedRow],
) -> std::io::Result<()> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    let mut out = std::io::BufWriter::new(file);
    for r in rows {
        let line = serde_json::json!({
            "id": r.id,
            "chain_seq": r.seq,
            "prev_hash": r.prev_hash,
            "hash": r.hash,
            "at_unix_micros": (r.at.unix_timestamp_nanos() / 1_000).to_string(),
            "actor": r.actor,
            "action": r.action,
            "entity": r.entity,
            "entity_id": r.entity_id,
            "person_id": r.person_id,
            "before": r.before,
            "after": r.after,
        });
        writeln!(out, "{line}")?;
    }
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
}

/// `registry audit verify`.
pub(crate) fn verify(database: &DatabaseArg) -> ExitCode {
    // The chain holds no ID number in clear: any key opens the store for it.
    crate::jobs::without_key(database, async |store, _| {
        let report = match store.verify_audit_chain().await {
            Ok(report) => report,
            Err(e) => return fail(e, FAILURE),
        };
        match report.broken {
            None => {
                println!(
                    "操作日志链完整：共 {} 条记录（{}），链头第 {} 条 {}",
                    report.rows, report.digest, report.head.seq, report.head.hash
                );
                ExitCode::SUCCESS
            }
            Some(broken) => {
                println!(
                    "操作日志链在第 {} 条记录处断开{}：{}（此前 {} 条记录完整）",
                    broken.seq,
                    broken
                        .id
                        .map(|id| format!("（id {id}）"))
                        .unwrap_or_default(),
                    broken.reason,
                    report.rows
                );
                ExitCode::from(FAILURE)
            }
        }
    })
}
