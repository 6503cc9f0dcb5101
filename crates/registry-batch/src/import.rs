//! Imports: the institution list, pass lists (考核合格名单) and attendance rosters.
//!
//! Each import first checks every row — its own form, the rows before it, and the register
//! — and only then writes, in one transaction. A pass list is read twice from the file
//! (once to check, once to write), so its rows are never all held in memory; what is kept
//! between rows is the duplicate check's keys and the rejected rows.
//!
//! A file over the reading limits ([`crate::table::Limits`]) stops the import at the first
//! limit passed, with nothing written ([`ImportError::Read`]). A report may hold many
//! problems: pages and terminals show the first [`SHOWN`] ([`Report::first_problems`]) and
//! offer all of them as a file ([`Report::problem_table`]).

use std::collections::BTreeSet;

use registry_core::access::PasswordHash;
use registry_core::csv::Record;
use registry_core::exchange::{
    InstitutionChecker, PassListChecker, PassListJudgement, PassListRow, is_blank,
    judge_pass_list_row,
};

use registry_core::ports::{Register, RegisterTx, StoreError};

use registry_core::read::runs::{Job, RunOutcome};
use registry_core::usecases::RecordRun;
use registry_core::usecases::{
    CreateInstitution, ImportAttendance, MAX_ATTEMPTS, RecordPassList, RowOutcome, RowReport,
    UseCase, UseCaseError,
};
use registry_core::violation::Violation;

use crate::table::{Format, ReadError, Source, WriteError, write_table};
use crate::{Progress, Setting};

/// What is imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The institution list.
    Institutions,
    /// A pass list.
    Qualifications,
    /// An attendance roster.
    Attendance,
}

impl Kind {
    /// Reads `institutions`, `qualifications` or `attendance`.
    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "institutions" => Some(Kind::Institutions),
            "qualifications" => Some(Kind::Qualifications),
            "attendance" => Some(Kind::Attendance),
            _ => None,
        }
    }

    /// The name in commands and addresses.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Institutions => "institutions",
            Kind::Qualifications => "qualifications",
            Kind::Attendance => "attendance",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Institutions => "鉴定评审机构名单",
            Kind::Qualifications => "考核合格名单",
            Kind::Attendance => "继续教育学时名单",
        }
    }
}

/// How an import runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Check only; write nothing.
    pub dry_run: bool,
    /// Write the good rows even if some are bad (by default, any bad row stops the whole
    /// file).
    pub good_rows_only: bool,
    /// An attendance roster posted by this training provider: rows of courses it does
    /// not run are refused (other kinds ignore it).
    pub provider: Option<registry_core::ids::ProviderId>,
}

/// What an import found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// What was imported.
    pub kind: Kind,
    /// Rows read (blank lines not counted).
    pub rows: u64,
    /// Good rows that add something to the register.
    pub new: u64,
    /// Good rows the register already holds exactly: nothing to do.
    pub unchanged: u64,
    /// The refused rows, in file order, with every reason.
    pub rejected: Vec<RowReport>,
    /// Whether the good rows were written (false for a dry run, or when bad rows stopped
    /// the file).
    pub written: bool,
    /// Whether it was a dry run.
    pub dry_run: bool,
}

impl Report {
    fn new(kind: Kind) -> Report {
        Report {
            kind,
            rows: 0,
            new: 0,
            unchanged: 0,
            rejected: Vec::new(),
            written: false,
            dry_run: false,
        }
    }

    fn reject(&mut self, line: usize, name: &str, problems: Vec<Violation>) {
        self.rejected.push(RowReport {
            line,
            name: name.to_owned(),
            outcome: RowOutcome::Rejected(problems),
        });
    }

    /// Whether to write, given the options.
    fn may_write(&self, options: Options) -> bool {
        !options.dry_run && (self.rejected.is_empty() || options.good_rows_only)
    }

    /// One line per refused row: `第12行 张三：reason；reason`. Every row: to show them,
    /// take the first [`SHOWN`] ([`Report::first_problem_lines`]).
    pub fn problem_lines(&self) -> Vec<String> {
        self.first_problem_lines(usize::MAX)
    }

    /// The lines of the first `limit` refused rows (of [`Report::rejected`]`.len()`).
    pub fn first_problem_lines(&self, limit: usize) -> Vec<String> {
        self.rejected
            .iter()
            .take(limit)
            .map(|r| {
                let reasons = match &r.outcome {
                    RowOutcome::Rejected(v) => v
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("；"),
                    _ => String::new(),
                };
                if r.name.is_empty() {
                    format!("第{}行：{reasons}", r.line)
                } else {
                    format!("第{}行 {}：{reasons}", r.line, r.name)
                }
            })
            .collect()
    }

    /// The summary in one sentence.
    pub fn summary(&self) -> String {
        let outcome = if self.written {
            "已写入"
        } else if self.dry_run {
            "试运行，未写入"
        } else if !self.rejected.is_empty() {
            "未写入任何数据"
        } else {
            "无新数据需要写入"
        };
        format!(
            "{}：共{}行，新增{}行，已有{}行，有误{}行；{}",
            self.kind.label(),
            self.rows,
            self.new,
            self.unchanged,
            self.rejected.len(),
            outcome
        )
    }

    /// One row per problem of a refused row: line, name, error code, message (the
    /// columns of [`PROBLEM_HEADER`]). Every problem: for the download
    /// ([`Report::problem_table`]); to show them, take [`Report::first_problems`].
    pub fn problem_rows(&self) -> Vec<[String; 4]> {
        self.problems().collect()
    }

    /// The problems, one by one, in file order.
    fn problems(&self) -> impl Iterator<Item = [String; 4]> + '_ {
        self.rejected.iter().flat_map(|r| {
            let problems = match &r.outcome {
                RowOutcome::Rejected(v) => v.as_slice(),
                _ => &[],
            };
            problems.iter().map(move |p| {
                [
                    r.line.to_string(),
                    r.name.clone(),
                    p.code().to_owned(),
                    p.to_string(),
                ]
            })
        })
    }

    /// How many problems there are (rows of [`Report::problem_table`]; a refused row has
    /// one or more).
    pub fn problem_count(&self) -> usize {
        self.rejected
            .iter()
            .map(|r| match &r.outcome {
                RowOutcome::Rejected(v) => v.len(),
                _ => 0,
            })
            .sum()
    }

    /// The first `limit` problems (rows as [`Report::problem_rows`]), and how many there
    /// are in all: what a page shows, the rest being in [`Report::problem_table`].
    pub fn first_problems(&self, limit: usize) -> FirstProblems {
        FirstProblems {
            rows: self.problems().take(limit).collect(),
            total: self.problem_count(),
        }
    }

    /// The refused rows as a table, for download: every problem.
    pub fn problem_table(&self, format: Format) -> Result<Vec<u8>, WriteError> {
        let rows: Vec<Vec<String>> = self.problems().map(Vec::from).collect();
        write_table(format, "错误报告", &PROBLEM_HEADER, &rows)
    }
}

/// How many problems a page or a terminal shows; the rest are in the downloadable report.
pub const SHOWN: usize = 200;

/// The first problems of a report, and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstProblems {
    /// The first problems: line, name, error code, message ([`PROBLEM_HEADER`]).
    pub rows: Vec<[String; 4]>,
    /// Every problem of the report.
    pub total: usize,
}

impl FirstProblems {
    /// How many are not in [`FirstProblems::rows`].
    pub fn more(&self) -> usize {
        self.total.saturating_sub(self.rows.len())
    }
}

/// The columns of an import's error report.
pub const PROBLEM_HEADER: [&str; 4] = ["行号", "姓名或名称", "错误代码", "问题"];

/// Why an import stopped without a report of its rows.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read as a table.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The header lacks a column.
    #[error("{0}")]
    Header(Violation),
    /// The register refused or failed.
    #[error("{0}")]
    Failed(#[from] UseCaseError),
}

impl From<StoreError> for ImportError {
    fn from(e: StoreError) -> Self {
        ImportError::Failed(e.into())
    }
}

/// Imports `source` as `kind`.
pub async fn import(
    setting: &Setting<'_>,
    kind: Kind,
    source: &Source,
    options: Options,
    progress: &mut dyn Progress,
) -> Result<Report, ImportError> {
    let report = match kind {
        Kind::Institutions => institutions(setting, source, options, progress).await,
        Kind::Qualifications => pass_list(setting, source, options, progress).await,
        Kind::Attendance => attendance(setting, source, options, progress).await,
    };
    progress.finish();
    let report = report.map(|r| Report {
        dry_run: options.dry_run,
        ..r
    });
    if !options.dry_run {
        setting.record_run(run_of(kind, &report)).await;
    }
    report
}

/// The record of an import's run: done (the good rows written), refused (bad rows stopped
/// the file), or failed (and why).
fn run_of(kind: Kind, report: &Result<Report, ImportError>) -> RecordRun {
    let job = match kind {
        Kind::Institutions => Job::ImportInstitutions,
        Kind::Qualifications => Job::ImportQualifications,
        Kind::Attendance => Job::ImportAttendance,
    };
    match report {
        Ok(r) => RecordRun {
            job,
            outcome: if r.written || r.rejected.is_empty() {
                RunOutcome::Done
            } else {
                RunOutcome::Refused
            },
            counts: vec![
                ("rows", r.rows),
                ("new", if r.written { r.new } else { 0 }),
                ("unchanged", r.unchanged),
                ("rejected", r.rejected.len() as u64),
            ],
            message: None,
        },
        Err(e) => RecordRun {
            job,
            outcome: RunOutcome::Failed,
            counts: vec![],
            message: Some(e.to_string()),
        },
    }
}

/// The first non-blank record and the rest.
fn split_header(records: Vec<Record>) -> Result<(Record, Vec<Record>), ReadError> {
    let mut records = records.into_iter().skip_while(is_blank);
    let header = records.next().ok_or(ReadError::Empty)?;
    Ok((header, records.filter(|r| !is_blank(r)).collect()))
}

// The institution list: small; read at once.

async fn institutions(
    setting: &Setting<'_>,
    source: &Source,
    options: Options,
    progress: &mut dyn Progress,
) -> Result<Report, ImportError> {
    let (header, rows) = split_header(source.records().await?)?;
    let mut checker = InstitutionChecker::new(&header).map_err(ImportError::Header)?;
    let known = setting.store.institutions().await?;
    let mut report = Report::new(Kind::Institutions);
    let mut to_create = Vec::new();
    progress.phase("检查", Some(rows.len() as u64));
    for record in &rows {
        report.rows += 1;
        let name = checker.name(record).to_owned();
        let row = match checker.check(record) {
            Ok(row) => row,
            Err(problems) => {
                report.reject(record.line, &name, problems);
                continue;
            }
        };
        let d = &row.details;
        let same_number = known
            .iter()
            .find(|k| k.institution.details.number == d.number);
        let same_code = known
            .iter()
            .find(|k| k.institution.details.credit_code == d.credit_code);
        let mut problems = Vec::new();
        match same_number {
            Some(k)
                if k.institution.details.credit_code == d.credit_code
                    && k.institution.details.name == d.name =>
            {
                report.unchanged += 1;
                continue;
            }
            Some(_) => problems.push(Violation::AlreadyInRegister {
                what: "机构编号",
                value: d.number.as_str().to_owned(),
            }),
            None => {}
        }
        if same_code.is_some_and(|k| k.institution.details.number != d.number) {
            problems.push(Violation::AlreadyInRegister {
                what: "统一社会信用代码",
                value: d.credit_code.as_str().to_owned(),
            });
        }
        if setting
            .store
            .account_by_username(&row.username)
            .await?
            .is_some()
        {
            problems.push(Violation::AlreadyInRegister {
                what: "登录用户名",
                value: row.username.as_str().to_owned(),
            });
        }
        if problems.is_empty() {
            report.new += 1;
            to_create.push((record.line, row));
        } else {
            report.reject(record.line, &name, problems);
        }
        progress.advance(report.rows);
    }
    if !report.may_write(options) || to_create.is_empty() {
        return Ok(report);
    }
    progress.phase("写入", Some(to_create.len() as u64));
    let mut attempt = 1;
    loop {
        match create_institutions(setting, &to_create, progress).await {
            Err(UseCaseError::Busy) if attempt < MAX_ATTEMPTS => attempt += 1,
            other => break other?,
        }
    }
    report.written = true;
    Ok(report)
}

async fn create_institutions(
    setting: &Setting<'_>,
    rows: &[(usize, registry_core::exchange::InstitutionRow)],
    progress: &mut dyn Progress,
) -> Result<(), UseCaseError> {
    let ctx = setting.context();
    let mut tx = setting.store.begin().await?;
    for (done, (_, row)) in rows.iter().enumerate() {
        let d = &row.details;
        let opt = |t: &Option<registry_core::text::Text>| {
            t.as_ref()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default()
        };
        // No password yet: the association sets one (重置登录密码) and hands it over.
        CreateInstitution {
            form: registry_core::institution::InstitutionForm {
                number: d.number.as_str().to_owned(),
                name: d.name.as_str().to_owned(),
                provincial_number: opt(&d.provincial_number),
                national_number: opt(&d.national_number),
                credit_code: d.credit_code.as_str().to_owned(),
                contact: opt(&d.contact),
                email: String::new(),
            },
            username: row.username.as_str().to_owned(),
            password: PasswordHash::new("!".to_owned()),
        }
        .run(&ctx, &mut tx)
        .await?;
        progress.advance(done as u64 + 1);
    }
    tx.commit().await?;
    Ok(())
}

// Attendance rosters: small; the use case checks and writes.

async fn attendance(
    setting: &Setting<'_>,
    source: &Source,
    options: Options,
    progress: &mut dyn Progress,
) -> Result<Report, ImportError> {
    let records: Vec<Record> = source.records().await?;
    if records.iter().all(is_blank) {
        return Err(ReadError::Empty.into());
    }
    progress.phase("检查", Some(records.len() as u64));
    let ctx = setting.context();
    let use_case = ImportAttendance {
        provider: options.provider,
        records,
        good_rows_only: options.good_rows_only,
    };
    let mut attempt = 1;
    let imported = loop {
        let outcome = async {
            let mut tx = setting.store.begin().await?;
            let imported = use_case.run(&ctx, &mut tx).await?;
            if !options.dry_run && imported.written > 0 {
                tx.commit().await?;
            }
            Ok::<_, UseCaseError>(imported)
        }
        .await;
        match outcome {
            Err(UseCaseError::Busy) if attempt < MAX_ATTEMPTS => attempt += 1,
            other => break other?,
        }
    };
    let mut report = Report::new(Kind::Attendance);
    for row in imported.rows {
        report.rows += 1;
        match row.outcome {
            RowOutcome::Imported => report.new += 1,
            RowOutcome::AlreadyRecorded => report.unchanged += 1,
            RowOutcome::Rejected(problems) => report.reject(row.line, &row.name, problems),
        }
    }
    report.written = !options.dry_run && imported.written > 0;
    Ok(report)
}

// Pass lists: possibly large; streamed twice.

/// Rows checked against the register at once.
const BATCH: usize = 1000;

/// Reads the next non-blank record, or the end.
async fn next_record(
    records: &mut tokio::sync::mpsc::Receiver<Result<Record, ReadError>>,
) -> Result<Option<Record>, ReadError> {
    loop {
        match records.recv().await {
            None => return Ok(None),
            Some(Err(e)) => return Err(e),
            Some(Ok(r)) if is_blank(&r) => {}
            Some(Ok(r)) => return Ok(Some(r)),
        }
    }
}

async fn pass_list(
    setting: &Setting<'_>,
    source: &Source,
    options: Options,
    progress: &mut dyn Progress,
) -> Result<Report, ImportError> {
    let today = setting.today();
    let mut report = Report::new(Kind::Qualifications);
    // Check.
    progress.phase("检查", None);
    let mut read = setting.store.begin_read().await?;
    let cycles = read.cycles().await?;
    let mut records = source.stream();
    let header = next_record(&mut records).await?.ok_or(ReadError::Empty)?;
    let mut checker = PassListChecker::new(&header).map_err(ImportError::Header)?;
    let mut batch: Vec<PassListRow> = Vec::with_capacity(BATCH);
    loop {
        let record = next_record(&mut records).await?;
        if let Some(record) = &record {
            report.rows += 1;
            match checker.check(record, setting.catalogue, &cycles, today) {
                Ok(row) => batch.push(row),
                Err(problems) => {
                    let name = checker.name(record).to_owned();
                    report.reject(record.line, &name, problems);
                }
            }
        }
        if batch.len() >= BATCH || (record.is_none() && !batch.is_empty()) {
            let ids: Vec<_> = batch.iter().map(|r| r.result.resident_id.clone()).collect();
            let known = read.people_by_resident_ids(&ids).await?;
            for row in batch.drain(..) {
                match judge_pass_list_row(&row.result, known.get(&row.result.resident_id)) {
                    PassListJudgement::New => report.new += 1,
                    PassListJudgement::Unchanged => report.unchanged += 1,
                    PassListJudgement::Rejected(problems) => {
                        report.reject(row.line, row.result.name.as_str(), problems);
                    }
                }
            }
            progress.advance(report.rows);
        }
        if record.is_none() {
            break;
        }
    }
    drop(read);
    drop(checker);
    report.rejected.sort_by_key(|r| r.line);
    if !report.may_write(options) || report.new == 0 {
        return Ok(report);
    }
    // Write.
    let skip: BTreeSet<usize> = report.rejected.iter().map(|r| r.line).collect();
    let total = report.new;
    let mut attempt = 1;
    loop {
        match write_pass_list(setting, source, &skip, total, progress).await {
            Err(UseCaseError::Busy) if attempt < MAX_ATTEMPTS => attempt += 1,
            other => break other?,
        }
    }
    report.written = true;
    Ok(report)
}

async fn write_pass_list(
    setting: &Setting<'_>,
    source: &Source,
    skip: &BTreeSet<usize>,
    total: u64,
    progress: &mut dyn Progress,
) -> Result<(), UseCaseError> {
    let read_error = |e: ReadError| UseCaseError::Unexpected(format!("文件第二次读取失败：{e}"));
    progress.phase("写入", Some(total));
    let ctx = setting.context();
    let today = setting.today();
    let mut tx = setting.store.begin().await?;
    let cycles = tx.cycles().await?;
    let mut records = source.stream();
    let header = next_record(&mut records)
        .await
        .map_err(read_error)?
        .ok_or_else(|| read_error(ReadError::Empty))?;
    let mut checker = PassListChecker::new(&header).map_err(UseCaseError::from)?;
    let mut batch: Vec<PassListRow> = Vec::with_capacity(BATCH);
    let mut done = 0u64;
    loop {
        let record = next_record(&mut records).await.map_err(read_error)?;
        if let Some(record) = &record
            && let Ok(row) = checker.check(record, setting.catalogue, &cycles, today)
            && !skip.contains(&row.line)
        {
            batch.push(row);
        }
        if batch.len() >= BATCH || (record.is_none() && !batch.is_empty()) {
            done += write_batch(&ctx, &mut tx, &mut batch).await?;
            progress.advance(done);
        }
        if record.is_none() {
            break;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Writes a batch of good rows through the pass-list use case, in the import's
/// transaction. Returns how many rows added something.
async fn write_batch(
    ctx: &registry_core::usecases::Context<'_>,
    tx: &mut registry_store::StoreTx,
    batch: &mut Vec<PassListRow>,
) -> Result<u64, UseCaseError> {
    let results = batch.drain(..).map(|row| row.result).collect();
    let recorded = RecordPassList { results }.run(ctx, tx).await?;
    Ok(recorded.added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_shows_its_first_problems_and_counts_them_all() {
        let mut report = Report::new(Kind::Qualifications);
        for line in 2..252 {
            let problems = if line % 2 == 0 {
                vec![Violation::NoItems]
            } else {
                vec![Violation::NoItems, Violation::NoCertificate]
            };
            report.reject(line, "林建国", problems);
        }
        assert_eq!(report.problem_count(), 375);
        let first = report.first_problems(SHOWN);
        assert_eq!(first.rows.len(), 200);
        assert_eq!((first.total, first.more()), (375, 175));
        assert_eq!(first.rows[0][0], "2");
        assert_eq!(first.rows, report.problem_rows()[..200]);
        let lines = report.first_problem_lines(SHOWN);
        assert_eq!(lines.len(), 200);
        assert_eq!(lines[..], report.problem_lines()[..200]);
        let table = report.problem_table(Format::Csv).unwrap();
        let text = String::from_utf8(table).unwrap();
        assert_eq!(text.lines().count(), 1 + 375);
        let few = report.first_problems(1_000);
        assert_eq!((few.rows.len(), few.more()), (375, 0));
    }
}
