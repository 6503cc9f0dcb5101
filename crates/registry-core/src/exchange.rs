//! Tables coming in: the header of an imported table, and each row of a pass list
//! (考核合格名单) or of the institution list (the layout of the 2013 list) checked on its
//! own and against the rows before it. What the register already holds is checked by the
//! importer, which reads it; writing is the use cases'.
//!
//! Every row gets every problem at once, with the line it came from, so an import can
//! report the whole file before it writes anything.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};

use time::Date;

use crate::access::Username;
use crate::csv::Record;
use crate::cycle::Cycles;
use crate::institution::{InstitutionDetails, InstitutionForm};
use crate::qualification::{ExamResult, ExamResultForm};
use crate::resident_id::ResidentId;
use crate::review_item::{ReviewItemCatalogue, ReviewItemCode};
use crate::violation::Violation;

/// One column an import reads: its label, the header names accepted, whether it must be
/// there.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The name shown in messages.
    pub label: &'static str,
    /// The header names accepted (case and surrounding spaces ignored).
    pub names: &'static [&'static str],
    /// Whether the table must have it.
    pub required: bool,
}

/// The columns of a pass list.
pub const PASS_LIST_COLUMNS: [Column; 5] = [
    Column {
        label: "姓名",
        names: &["姓名", "name"],
        required: true,
    },
    Column {
        label: "身份证号",
        names: &["身份证号", "身份证号码", "证件号码", "resident_id"],
        required: true,
    },
    Column {
        label: "评审项目",
        names: &["评审项目", "合格项目", "考核合格项目", "items"],
        required: true,
    },
    Column {
        label: "考核日期",
        names: &["考核日期", "exam_date"],
        required: true,
    },
    Column {
        label: "公布日期",
        names: &["公布日期", "合格名单公布日期", "published_on"],
        required: true,
    },
];

/// The columns of the institution list (the 2013 list's layout, plus the login name).
pub const INSTITUTION_COLUMNS: [Column; 8] = [
    Column {
        label: "机构编号",
        names: &["机构编号", "编号", "number"],
        required: true,
    },
    Column {
        label: "机构名称",
        names: &["机构名称", "名称", "name"],
        required: true,
    },
    Column {
        label: "省级资质编号",
        names: &["省级资质编号", "省级资格编号", "provincial_number"],
        required: false,
    },
    Column {
        label: "国家级资质编号",
        names: &["国家级资质编号", "国家级资格编号", "national_number"],
        required: false,
    },
    Column {
        label: "统一社会信用代码",
        names: &["统一社会信用代码", "信用代码", "credit_code"],
        required: true,
    },
    Column {
        label: "联系人",
        names: &["联系人", "contact"],
        required: false,
    },
    Column {
        label: "联系电话",
        names: &["联系电话", "电话", "phone"],
        required: false,
    },
    Column {
        label: "登录用户名",
        names: &["登录用户名", "用户名", "username"],
        required: false,
    },
];

/// Where each column is in a header, or the violation naming the missing ones.
pub fn find_columns(header: &Record, columns: &[Column]) -> Result<Vec<Option<usize>>, Violation> {
    let position = |names: &[&str]| {
        header.fields.iter().position(|f| {
            let f = f.trim().trim_start_matches('\u{FEFF}').to_lowercase();
            names.iter().any(|n| *n == f)
        })
    };
    let found: Vec<Option<usize>> = columns.iter().map(|c| position(c.names)).collect();
    let missing = columns
        .iter()
        .zip(&found)
        .any(|(c, at)| c.required && at.is_none());
    if missing {
        return Err(Violation::ImportHeader(
            columns
                .iter()
                .filter(|c| c.required)
                .map(|c| c.label)
                .collect::<Vec<_>>()
                .join("、"),
        ));
    }
    Ok(found)
}

fn cell(record: &Record, at: Option<usize>) -> &str {
    at.and_then(|i| record.fields.get(i))
        .map(|s| s.trim())
        .unwrap_or("")
}

/// Whether a record holds nothing (a blank line in a spreadsheet).
pub fn is_blank(record: &Record) -> bool {
    record.fields.iter().all(|f| f.trim().is_empty())
}

/// A date as people type it in spreadsheets — `2024-09-20`, `2024/9/20`, `2024.09.20`,
/// `2024年9月20日` — as `YYYY-MM-DD`; anything else unchanged (and then refused by the
/// date parser with its reason).
pub fn normalize_date(text: &str) -> String {
    let parts: Vec<&str> = text
        .trim()
        .trim_end_matches('日')
        .split(['-', '/', '.', '年', '月'])
        .collect();
    match parts.as_slice() {
        [y, m, d]
            if y.len() == 4
                && [y, m, d].iter().all(|p| {
                    !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit())
                }) =>
        {
            format!("{y}-{m:0>2}-{d:0>2}")
        }
        _ => text.trim().to_owned(),
    }
}

/// The items of a cell: codes or names from the catalogue, separated by 、 , ; / or spaces.
/// Unknown ones are returned as typed, for the message.
pub fn split_items(catalogue: &ReviewItemCatalogue, text: &str) -> Vec<String> {
    text.split(['、', ',', '，', ';', '；', '/', ' ', '\u{3000}', '\n'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            catalogue
                .items()
                .iter()
                .find(|i| i.name() == t)
                .map_or_else(|| t.to_owned(), |i| i.code().as_str().to_owned())
        })
        .collect()
}

/// One good row of a pass list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassListRow {
    /// The line in the file.
    pub line: usize,
    /// The exam result it records.
    pub result: ExamResult,
}

/// Checks the rows of a pass list one after the other: each on its own (the exam-result
/// rules), and against the rows before it (the same person under two names; the same
/// person and item twice).
///
/// What it keeps between rows is small and fixed per row (an ID number's 17 digits as a
/// number, a hash of the name, an item's place in the catalogue, a line number), so a pass
/// list of 100,000 rows needs a few megabytes, whatever the length of the names.
#[derive(Debug)]
pub struct PassListChecker {
    columns: Vec<Option<usize>>,
    people: HashMap<u64, (u32, u64)>,
    items: HashMap<(u64, u16), u32>,
}

/// An ID number as a number: its first 17 digits (the 18th is their check character).
fn id_key(id: &ResidentId) -> u64 {
    id.as_str()
        .get(..17)
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(u64::MAX)
}

/// A name's fingerprint (SipHash with fixed keys: the same in every run).
fn name_key(name: &str) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    name.hash(&mut hasher);
    hasher.finish()
}

fn item_key(catalogue: &ReviewItemCatalogue, item: &ReviewItemCode) -> u16 {
    u16::try_from(catalogue.position(item)).unwrap_or(u16::MAX)
}

fn line_key(line: usize) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX)
}

impl PassListChecker {
    /// Reads the header.
    pub fn new(header: &Record) -> Result<PassListChecker, Violation> {
        Ok(PassListChecker {
            columns: find_columns(header, &PASS_LIST_COLUMNS)?,
            people: HashMap::new(),
            items: HashMap::new(),
        })
    }

    /// The name in a row, as typed (for the report).
    pub fn name<'r>(&self, record: &'r Record) -> &'r str {
        cell(record, self.columns.first().copied().flatten())
    }

    /// Checks one row (not blank).
    pub fn check(
        &mut self,
        record: &Record,
        catalogue: &ReviewItemCatalogue,
        cycles: &Cycles,
        today: Date,
    ) -> Result<PassListRow, Vec<Violation>> {
        let c = |i: usize| cell(record, self.columns.get(i).copied().flatten());
        let form = ExamResultForm {
            name: c(0).to_owned(),
            resident_id: c(1).to_owned(),
            items: split_items(catalogue, c(2)),
            exam_date: normalize_date(c(3)),
            published_on: normalize_date(c(4)),
        };
        let result = match ExamResult::parse(&form, catalogue, cycles, today) {
            Ok(result) => result,
            Err(violations) => {
                // Still say if the person appeared earlier under another name.
                let mut problems = violations.into_vec();
                if let (Ok(id), Ok(name)) = (
                    ResidentId::parse(&form.resident_id, today),
                    crate::person::PersonName::parse(&form.name),
                ) && let Some((line, known)) = self.people.get(&id_key(&id))
                    && *known != name_key(name.as_str())
                {
                    problems.push(Violation::NameDiffersInFile {
                        line: *line as usize,
                    });
                }
                return Err(problems);
            }
        };
        let mut problems = Vec::new();
        let person = id_key(&result.resident_id);
        let name = name_key(result.name.as_str());
        match self.people.get(&person) {
            Some((line, known)) if *known != name => {
                problems.push(Violation::NameDiffersInFile {
                    line: *line as usize,
                });
            }
            Some(_) => {}
            None => {
                self.people.insert(person, (line_key(record.line), name));
            }
        }
        for item in &result.items {
            if let Some(line) = self.items.get(&(person, item_key(catalogue, item))) {
                problems.push(Violation::RepeatsRow {
                    line: *line as usize,
                    what: "身份证号和评审项目",
                });
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        for item in &result.items {
            self.items
                .insert((person, item_key(catalogue, item)), line_key(record.line));
        }
        Ok(PassListRow {
            line: record.line,
            result,
        })
    }
}

/// One good row of the institution list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstitutionRow {
    /// The line in the file.
    pub line: usize,
    /// The institution.
    pub details: InstitutionDetails,
    /// Its account's login name: the 登录用户名 column, or the institution number in lower
    /// case.
    pub username: Username,
}

/// Checks the rows of an institution list: each on its own, and against the rows before
/// it (a number, credit code or login name used twice).
#[derive(Debug)]
pub struct InstitutionChecker {
    columns: Vec<Option<usize>>,
    numbers: BTreeMap<String, usize>,
    codes: BTreeMap<String, usize>,
    usernames: BTreeMap<String, usize>,
}

impl InstitutionChecker {
    /// Reads the header.
    pub fn new(header: &Record) -> Result<InstitutionChecker, Violation> {
        Ok(InstitutionChecker {
            columns: find_columns(header, &INSTITUTION_COLUMNS)?,
            numbers: BTreeMap::new(),
            codes: BTreeMap::new(),
            usernames: BTreeMap::new(),
        })
    }

    /// The institution's name in a row, as typed.
    pub fn name<'r>(&self, record: &'r Record) -> &'r str {
        cell(record, self.columns.get(1).copied().flatten())
    }

    /// Checks one row (not blank).
    pub fn check(&mut self, record: &Record) -> Result<InstitutionRow, Vec<Violation>> {
        let c = |i: usize| cell(record, self.columns.get(i).copied().flatten());
        let contact = [c(5), c(6)]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        let form = InstitutionForm {
            number: c(0).to_owned(),
            name: c(1).to_owned(),
            provincial_number: c(2).to_owned(),
            national_number: c(3).to_owned(),
            credit_code: c(4).to_owned(),
            contact,
            email: String::new(),
        };
        let mut problems = Vec::new();
        let details = InstitutionDetails::parse(&form)
            .map_err(|v| problems.extend(v.into_vec()))
            .ok();
        let typed = if c(7).is_empty() {
            c(0).to_lowercase()
        } else {
            c(7).to_owned()
        };
        let username = Username::parse(&typed).map_err(|v| problems.push(v)).ok();
        let mut repeats = |map: &mut BTreeMap<String, usize>, key: String, what| {
            if key.is_empty() {
                return;
            }
            match map.get(&key) {
                Some(line) => problems.push(Violation::RepeatsRow { line: *line, what }),
                None => {
                    map.insert(key, record.line);
                }
            }
        };
        repeats(&mut self.numbers, c(0).to_owned(), "机构编号");
        repeats(
            &mut self.codes,
            c(4).to_ascii_uppercase(),
            "统一社会信用代码",
        );
        repeats(&mut self.usernames, typed.to_lowercase(), "登录用户名");
        match (details, username) {
            (Some(details), Some(username)) if problems.is_empty() => Ok(InstitutionRow {
                line: record.line,
                details,
                username,
            }),
            _ => Err(problems),
        }
    }
}

/// A person the register holds, as a pass-list import sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownPerson {
    /// The person.
    pub id: crate::ids::PersonId,
    /// The name recorded.
    pub name: String,
    /// The items they hold.
    pub items: Vec<ReviewItemCode>,
}

/// What the register makes of a good pass-list row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PassListJudgement {
    /// It adds something: a person new to the register, or an item new to a person.
    New,
    /// The person holds every item of the row already: nothing to do.
    Unchanged,
    /// Refused: the ID number is recorded under another name.
    Rejected(Vec<Violation>),
}

/// Judges a row's exam result against the person the register holds with its ID number,
/// if any. The check of an import and its writing judge every row alike.
pub fn judge_pass_list_row(result: &ExamResult, known: Option<&KnownPerson>) -> PassListJudgement {
    match known {
        None => PassListJudgement::New,
        Some(person) if person.name != result.name.as_str() => {
            PassListJudgement::Rejected(vec![Violation::NameMismatch {
                masked_id: result.resident_id.masked(),
                recorded: person.name.clone(),
                given: result.name.as_str().to_owned(),
            }])
        }
        Some(person) if result.items.iter().all(|i| person.items.contains(i)) => {
            PassListJudgement::Unchanged
        }
        Some(_) => PassListJudgement::New,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_typed_in_spreadsheets() {
        assert_eq!(normalize_date("2024/9/20"), "2024-09-20");
        assert_eq!(normalize_date("2024.09.20"), "2024-09-20");
        assert_eq!(normalize_date("2024年9月2日"), "2024-09-02");
        assert_eq!(normalize_date(" 2024-09-20 "), "2024-09-20");
        assert_eq!(normalize_date("20240920"), "20240920");
        assert_eq!(normalize_date("九月"), "九月");
    }
}
