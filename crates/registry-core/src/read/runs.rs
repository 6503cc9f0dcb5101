//! The runs of batch jobs (imports of the institution list, of pass lists and attendance
//! rosters, and the sweep), as the audit log records them (`RecordRun`) and as the
//! association's workspace lists them: the job, how it ended, and one sentence of what it
//! did.

use std::collections::BTreeMap;

use time::Date;

/// The longest message kept with a run (a failure's reason), in characters.
pub const MESSAGE_CHARS: usize = 300;

/// A batch job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// An import of the institution list.
    ImportInstitutions,
    /// An import of a pass list.
    ImportQualifications,
    /// An import of an attendance roster.
    ImportAttendance,
    /// The sweep (registrations whose validity ended).
    Sweep,
}

impl Job {
    /// Every job.
    pub const ALL: [Job; 4] = [
        Job::ImportInstitutions,
        Job::ImportQualifications,
        Job::ImportAttendance,
        Job::Sweep,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Job::ImportInstitutions => "import.institutions",
            Job::ImportQualifications => "import.qualifications",
            Job::ImportAttendance => "import.attendance",
            Job::Sweep => "sweep",
        }
    }

    /// The audit log's action of a run of it.
    pub fn action(self) -> &'static str {
        match self {
            Job::Sweep => "run.sweep",
            _ => "run.import",
        }
    }

    /// In words.
    pub fn label(self) -> &'static str {
        match self {
            Job::ImportInstitutions => "导入鉴定评审机构名单",
            Job::ImportQualifications => "导入考核合格名单",
            Job::ImportAttendance => "导入继续教育学时名单",
            Job::Sweep => "注册到期处理",
        }
    }

    /// The job of a code.
    pub fn from_code(code: &str) -> Option<Job> {
        Job::ALL.into_iter().find(|j| j.code() == code)
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    /// It did what it was asked.
    Done,
    /// It refused its input (bad rows stop a whole file) and wrote nothing else.
    Refused,
    /// It failed (the file could not be read, the database failed).
    Failed,
}

impl RunOutcome {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            RunOutcome::Done => "done",
            RunOutcome::Refused => "refused",
            RunOutcome::Failed => "failed",
        }
    }

    /// In words.
    pub fn label(self) -> &'static str {
        match self {
            RunOutcome::Done => "完成",
            RunOutcome::Refused => "未导入（有错误行）",
            RunOutcome::Failed => "失败",
        }
    }

    /// The outcome of a code.
    pub fn from_code(code: &str) -> Option<RunOutcome> {
        [RunOutcome::Done, RunOutcome::Refused, RunOutcome::Failed]
            .into_iter()
            .find(|o| o.code() == code)
    }
}

/// A run as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The job.
    pub job: Job,
    /// How it ended.
    pub outcome: RunOutcome,
    /// What it did, in one sentence.
    pub summary: String,
}

impl Run {
    /// The run an audit entry records, from its fields (`RecordRun`'s snapshot); none for
    /// an entry that is not a run's or that a later version wrote differently.
    pub fn from_fields(fields: &BTreeMap<String, String>) -> Option<Run> {
        let job = Job::from_code(fields.get("job")?)?;
        let outcome = RunOutcome::from_code(fields.get("outcome")?)?;
        let count = |f: &str| fields.get(f).and_then(|v| v.parse::<u64>().ok());
        let mut parts: Vec<String> = Vec::new();
        let counted = [
            ("rows", "读取 {} 行"),
            ("new", "新增 {} 行"),
            ("unchanged", "已有 {} 行"),
            ("rejected", "有错误 {} 行"),
            ("expired", "注册到期 {} 项"),
            ("overdue", "逾期未发证件 {} 份"),
        ];
        for (field, words) in counted {
            if let Some(n) = count(field) {
                parts.push(words.replace("{}", &n.to_string()));
            }
        }
        if let Some(message) = fields.get("message").filter(|m| !m.is_empty()) {
            parts.push(message.clone());
        }
        Some(Run {
            job,
            outcome,
            summary: parts.join("，"),
        })
    }
}

/// Whether `job` was done (not refused, not failed) on `day`, among `runs` (each with the
/// day it ran for in China). The sweep asks it before running: a sweep of a day already
/// swept finds nothing new to end, so the scheduled runners of several machines (each
/// started by its own timer, seconds apart) sweep a day once and the others stand aside.
pub fn done_on(runs: impl IntoIterator<Item = (Date, Run)>, job: Job, day: Date) -> bool {
    runs.into_iter()
        .any(|(on, run)| on == day && run.job == job && run.outcome == RunOutcome::Done)
}

/// A message cut to [`MESSAGE_CHARS`] characters (with an ellipsis when cut).
pub fn clip(message: &str) -> String {
    if message.chars().count() <= MESSAGE_CHARS {
        return message.to_owned();
    }
    let mut cut: String = message.chars().take(MESSAGE_CHARS).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_run_reads_back_in_one_sentence() {
        let run = Run::from_fields(&fields(&[
            ("job", "import.qualifications"),
            ("outcome", "refused"),
            ("rows", "120"),
            ("new", "0"),
            ("rejected", "2"),
        ]))
        .unwrap();
        assert_eq!(run.job, Job::ImportQualifications);
        assert_eq!(run.outcome.label(), "未导入（有错误行）");
        assert_eq!(run.summary, "读取 120 行，新增 0 行，有错误 2 行");
        let sweep = Run::from_fields(&fields(&[
            ("job", "sweep"),
            ("outcome", "failed"),
            ("message", "数据库不可用"),
        ]))
        .unwrap();
        assert_eq!(sweep.summary, "数据库不可用");
        assert_eq!(Run::from_fields(&fields(&[("job", "other")])), None);
        for job in Job::ALL {
            assert_eq!(Job::from_code(job.code()), Some(job));
        }
    }

    #[test]
    fn long_messages_are_clipped() {
        let long = "错".repeat(MESSAGE_CHARS + 5);
        assert_eq!(clip(&long).chars().count(), MESSAGE_CHARS + 1);
        assert_eq!(clip("短"), "短");
    }

    #[test]
    fn a_day_is_swept_once_a_sweep_of_it_is_done() {
        let day = crate::date::parse_date("2026-11-30").unwrap_or(Date::MIN);
        let sweep = |outcome| Run {
            job: Job::Sweep,
            outcome,
            summary: String::new(),
        };
        let before = day.previous_day().unwrap_or(Date::MIN);
        assert!(!done_on([], Job::Sweep, day));
        // The day before, a failed sweep, or another job's run do not count.
        assert!(!done_on(
            [(before, sweep(RunOutcome::Done))],
            Job::Sweep,
            day
        ));
        assert!(!done_on(
            [(day, sweep(RunOutcome::Failed))],
            Job::Sweep,
            day
        ));
        assert!(!done_on(
            [(
                day,
                Run {
                    job: Job::ImportQualifications,
                    outcome: RunOutcome::Done,
                    summary: String::new()
                }
            )],
            Job::Sweep,
            day
        ));
        assert!(done_on(
            [
                (day, sweep(RunOutcome::Failed)),
                (day, sweep(RunOutcome::Done))
            ],
            Job::Sweep,
            day
        ));
    }
}
