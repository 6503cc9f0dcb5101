//! Continuing education (继续教育): training courses, attendance, and the hours and covered
//! items of a person within a registration cycle (source document, question 4).
//!
//! Every course announces the review items it covers and the hours it counts. A person is
//! credited the hours they actually attended (partial attendance allowed); hours accumulate
//! within the cycle that contains the course's last day. Attendance is never edited: a
//! wrong entry is cancelled by a reversing entry of the opposite sign. Hours stay with the
//! person whatever institution employs them.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use time::Date;

use crate::cycle::RegistrationCycle;
use crate::date::{format_date, parse_date};
use crate::ids::{AttendanceId, CourseId, PersonId};
use crate::review_item::{ReviewItemCatalogue, ReviewItemCode};
use crate::text::{Text, TextProblem};
use crate::violation::{Violation, Violations, ok_or_violations};

/// A number of hours: positive, at most 1000, with at most one decimal place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hours(Decimal);

impl Hours {
    /// Checks a decimal number of hours.
    pub fn new(value: Decimal) -> Option<Hours> {
        (value > Decimal::ZERO && value <= Decimal::from(1000) && value.normalize().scale() <= 1)
            .then(|| Hours(value.normalize()))
    }

    /// Parses hours as typed (`8`, `7.5`).
    pub fn parse(text: &str) -> Option<Hours> {
        text.trim().parse::<Decimal>().ok().and_then(Hours::new)
    }

    /// The value.
    pub fn get(self) -> Decimal {
        self.0
    }
}

/// Formats hours without trailing zeros: `32`, `7.5`.
pub fn format_hours(hours: Decimal) -> String {
    hours.normalize().to_string()
}

/// What the association's course form sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CourseForm {
    /// 培训班名称
    pub name: String,
    /// 开始日期
    pub start: String,
    /// 结束日期
    pub end: String,
    /// Codes of the review items covered.
    pub items: Vec<String>,
    /// 计入课时
    pub hours: String,
}

/// A training course's recorded facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseDetails {
    /// The name.
    pub name: Text,
    /// The first day.
    pub start: Date,
    /// The last day; the course's hours count in the cycle containing it.
    pub end: Date,
    /// The review items covered, without duplicates, in catalogue order.
    pub items: Vec<ReviewItemCode>,
    /// The hours credited for full attendance.
    pub hours: Hours,
}

impl CourseDetails {
    /// Parses a course form; every problem is reported at once.
    pub fn parse(
        form: &CourseForm,
        catalogue: &ReviewItemCatalogue,
    ) -> Result<CourseDetails, Violations> {
        let mut problems = Vec::new();
        let name = Text::parse(&form.name, 100)
            .map_err(|p| {
                problems.push(match p {
                    TextProblem::Empty => Violation::Missing {
                        field: "name",
                        label: "培训班名称",
                    },
                    TextProblem::TooLong { max } => Violation::TooLong {
                        field: "name",
                        label: "培训班名称",
                        max,
                    },
                    TextProblem::ControlCharacter => Violation::BadCharacter {
                        field: "name",
                        label: "培训班名称",
                    },
                });
            })
            .ok();
        let mut date = |field, label, text: &str| {
            if text.trim().is_empty() {
                problems.push(Violation::Missing { field, label });
                None
            } else {
                parse_date(text).map_err(|e| problems.push(e.into())).ok()
            }
        };
        let start = date("start", "开始日期", &form.start);
        let end = date("end", "结束日期", &form.end);
        if let (Some(start), Some(end)) = (start, end)
            && end < start
        {
            problems.push(Violation::CourseDates {
                start: format_date(start),
                end: format_date(end),
            });
        }
        let mut items = BTreeSet::new();
        for raw in &form.items {
            match ReviewItemCode::parse(raw) {
                Ok(code) if catalogue.get(&code).is_some() => {
                    items.insert(code);
                }
                _ => problems.push(Violation::UnknownItem(raw.trim().to_owned())),
            }
        }
        if form.items.is_empty() {
            problems.push(Violation::NoItems);
        }
        let hours = Hours::parse(&form.hours);
        if hours.is_none() {
            problems.push(Violation::BadFormat {
                field: "hours",
                label: "计入课时",
                expected: "应为大于0、不超过1000的数，最多一位小数",
            });
        }
        let ordered: Vec<ReviewItemCode> = catalogue
            .items()
            .iter()
            .map(|item| item.code())
            .filter(|code| items.contains(*code))
            .cloned()
            .collect();
        match (name, start, end, hours) {
            (Some(name), Some(start), Some(end), Some(hours)) if problems.is_empty() => {
                Ok(CourseDetails {
                    name,
                    start,
                    end,
                    items: ordered,
                    hours,
                })
            }
            _ => Err(Violations::new(problems)),
        }
    }
}

/// A training course of the association.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingCourse {
    /// The identifier.
    pub id: CourseId,
    /// Its facts.
    pub details: CourseDetails,
    /// The training provider that runs it, whose token may post its attendance.
    pub provider: Option<crate::ids::ProviderId>,
}

impl TrainingCourse {
    /// Whether the course covers the item.
    pub fn covers(&self, item: &ReviewItemCode) -> bool {
        self.details.items.contains(item)
    }
}

/// One attendance entry: hours credited to a person for a course, or (negative) the
/// reversal of an earlier entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendance {
    /// The identifier.
    pub id: AttendanceId,
    /// The course.
    pub course: CourseId,
    /// The person.
    pub person: PersonId,
    /// Hours: positive for attendance, negative for a reversal.
    pub hours: Decimal,
    /// The entry this one reverses.
    pub reverses: Option<AttendanceId>,
    /// The day it was recorded.
    pub recorded_on: Date,
}

/// A new attendance entry, before storage assigns its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttendance {
    /// The course.
    pub course: CourseId,
    /// The person.
    pub person: PersonId,
    /// Hours, signed.
    pub hours: Decimal,
    /// The entry reversed, for a reversal.
    pub reverses: Option<AttendanceId>,
    /// The day it is recorded.
    pub recorded_on: Date,
}

/// Checks a new attendance entry of `hours` for a person and a course, given the entries
/// already recorded for that person and course.
pub fn check_attendance(
    course: &TrainingCourse,
    is_certificate_holder: bool,
    recorded: &[Attendance],
    hours: Decimal,
) -> Result<(), Violations> {
    let mut problems = Vec::new();
    if !is_certificate_holder {
        problems.push(Violation::NotCertificateHolder);
    }
    if Hours::new(hours).is_none() {
        problems.push(Violation::HoursNotPositive);
    } else {
        let already: Decimal = recorded.iter().map(|a| a.hours).sum();
        if already + hours > course.details.hours.get() {
            problems.push(Violation::HoursExceedCourse {
                course_hours: format_hours(course.details.hours.get()),
                recorded: format_hours(already),
                requested: format_hours(hours),
            });
        }
    }
    ok_or_violations((), problems)
}

/// Checks that an entry may be reversed: it is not itself a reversal and nothing reversed
/// it yet.
pub fn check_reversal(entry: &Attendance, all_of_person: &[Attendance]) -> Result<(), Violations> {
    let reversed = all_of_person.iter().any(|a| a.reverses == Some(entry.id));
    ok_or_violations(
        (),
        if entry.reverses.is_some() || reversed {
            vec![Violation::CannotReverse]
        } else {
            vec![]
        },
    )
}

/// How a roster row names its person: the registration number (`JP…`) or the resident
/// ID number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonRef {
    /// By resident ID number.
    ResidentId(crate::resident_id::ResidentId),
    /// By registration number.
    Number(crate::registration_number::RegistrationNumber),
}

impl PersonRef {
    /// Parses a registration number (starting with `JP`) or a resident ID number.
    pub fn parse(text: &str, today: Date) -> Result<PersonRef, Violation> {
        let trimmed = text.trim();
        if trimmed.to_ascii_uppercase().starts_with("JP") {
            crate::registration_number::RegistrationNumber::parse(trimmed)
                .map(PersonRef::Number)
                .map_err(Violation::from)
        } else {
            crate::resident_id::ResidentId::parse(trimmed, today)
                .map(PersonRef::ResidentId)
                .map_err(Violation::from)
        }
    }

    /// How messages name it: 注册号 JP… or 身份证号 110105********002X.
    pub fn describe(&self) -> String {
        match self {
            PersonRef::ResidentId(id) => format!("身份证号 {}", id.masked()),
            PersonRef::Number(n) => format!("注册号 {n}"),
        }
    }
}

/// One parsed row of an attendance roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    /// The line in the file (1-based; the header is line 1).
    pub line: usize,
    /// The course's number.
    pub course: CourseId,
    /// The name, as written.
    pub name: crate::person::PersonName,
    /// The person.
    pub person: PersonRef,
    /// Hours attended.
    pub hours: Hours,
}

/// The columns a roster must have, with the header names accepted for each.
const ROSTER_COLUMNS: [(&str, &[&str]); 4] = [
    ("培训班编号", &["培训班编号", "培训班", "course"]),
    ("姓名", &["姓名", "name"]),
    (
        "身份证号或注册号",
        &[
            "身份证号或注册号",
            "身份证号",
            "注册号",
            "证件号码",
            "person",
        ],
    ),
    ("课时", &["课时", "学时", "hours"]),
];

/// Parses a roster table (first row the header; columns 培训班编号, 姓名, 身份证号或注册号,
/// 课时 in any order). Returns the good rows and, for each bad row, its line and every
/// problem; a header without the columns is one problem for the whole file (line 0).
pub fn parse_roster(
    records: &[crate::csv::Record],
    today: Date,
) -> (Vec<RosterRow>, Vec<(usize, Vec<Violation>)>) {
    let Some((header, rows)) = records.split_first() else {
        return (
            vec![],
            vec![(0, vec![Violation::ImportHeader(roster_columns())])],
        );
    };
    let position = |names: &[&str]| {
        header
            .fields
            .iter()
            .position(|f| names.contains(&f.trim().trim_start_matches('\u{FEFF}')))
    };
    let columns: Vec<Option<usize>> = ROSTER_COLUMNS
        .iter()
        .map(|(_, names)| position(names))
        .collect();
    let &[Some(course), Some(name), Some(person), Some(hours)] = columns.as_slice() else {
        return (
            vec![],
            vec![(0, vec![Violation::ImportHeader(roster_columns())])],
        );
    };
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for record in rows {
        let cell = |i: usize| record.fields.get(i).map(|s| s.trim()).unwrap_or("");
        if record.fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let mut problems = Vec::new();
        let course_id = cell(course).parse::<i64>().ok().filter(|n| *n > 0);
        if course_id.is_none() {
            problems.push(Violation::UnknownCourse(cell(course).to_owned()));
        }
        let person_name = crate::person::PersonName::parse(cell(name))
            .map_err(|v| problems.push(v))
            .ok();
        let person_ref = if cell(person).is_empty() {
            problems.push(Violation::Missing {
                field: "person",
                label: "身份证号或注册号",
            });
            None
        } else {
            PersonRef::parse(cell(person), today)
                .map_err(|v| problems.push(v))
                .ok()
        };
        let hours_value = Hours::parse(cell(hours));
        if hours_value.is_none() {
            problems.push(Violation::HoursNotPositive);
        }
        match (course_id, person_name, person_ref, hours_value) {
            (Some(c), Some(n), Some(p), Some(h)) if problems.is_empty() => good.push(RosterRow {
                line: record.line,
                course: CourseId::new(c),
                name: n,
                person: p,
                hours: h,
            }),
            _ => bad.push((record.line, problems)),
        }
    }
    (good, bad)
}

fn roster_columns() -> String {
    ROSTER_COLUMNS
        .iter()
        .map(|(label, _)| *label)
        .collect::<Vec<_>>()
        .join("、")
}

/// A person's continuing education within one cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleEducation {
    /// Total hours credited in the cycle.
    pub hours: Decimal,
    /// The review items covered by at least one course the person attended in the cycle.
    pub covered: BTreeSet<ReviewItemCode>,
    /// Hours per course attended (net of reversals), for display.
    pub per_course: BTreeMap<CourseId, Decimal>,
}

/// Sums a person's attendance within a cycle: the courses whose last day falls in the
/// cycle. A course counts as attended (and its items as covered) when the person's net
/// hours for it are positive.
pub fn education_in_cycle(
    cycle: &RegistrationCycle,
    courses: &[TrainingCourse],
    attendance: &[Attendance],
) -> CycleEducation {
    let ends: BTreeMap<CourseId, &TrainingCourse> = courses.iter().map(|c| (c.id, c)).collect();
    let per_course = hours_per_course(
        cycle,
        attendance.iter().filter_map(|entry| {
            ends.get(&entry.course)
                .map(|course| (entry.course, course.details.end, entry.hours))
        }),
    );
    let covered = per_course
        .keys()
        .filter_map(|id| ends.get(id))
        .flat_map(|course| course.details.items.iter().cloned())
        .collect();
    CycleEducation {
        hours: per_course.values().copied().sum(),
        covered,
        per_course,
    }
}

/// The hours credited in `cycle` from attendance entries given as (course, the course's
/// last day, hours): the same sum as [`education_in_cycle`]'s, for a reader that has the
/// entries with their course's last day but not the courses (the public search).
pub fn hours_in_cycle(
    cycle: &RegistrationCycle,
    entries: impl IntoIterator<Item = (CourseId, Date, Decimal)>,
) -> Decimal {
    hours_per_course(cycle, entries).values().copied().sum()
}

/// Net hours per course whose last day falls in the cycle, for the courses with positive
/// net hours.
fn hours_per_course(
    cycle: &RegistrationCycle,
    entries: impl IntoIterator<Item = (CourseId, Date, Decimal)>,
) -> BTreeMap<CourseId, Decimal> {
    let mut per_course: BTreeMap<CourseId, Decimal> = BTreeMap::new();
    for (course, end, hours) in entries {
        if cycle.contains(end) {
            *per_course.entry(course).or_default() += hours;
        }
    }
    per_course.retain(|_, hours| *hours > Decimal::ZERO);
    per_course
}

/// Why an item cannot be renewed on account of continuing education in `cycle`: hours
/// short of `need` (the hours owed for that item, [`RegistrationCycle::hours_owed`]), and
/// (if the cycle's policy asks for it) no attended course covering the item.
pub fn education_obstacles(
    cycle: &RegistrationCycle,
    education: &CycleEducation,
    item: &ReviewItemCode,
    item_name: &str,
    need: Decimal,
) -> Vec<Violation> {
    let mut problems = Vec::new();
    if education.hours < need {
        problems.push(Violation::HoursShort {
            cycle: cycle.name().to_owned(),
            have: format_hours(education.hours),
            need: format_hours(need),
            short: format_hours(need - education.hours),
        });
    }
    if cycle.policy().require_item_coverage && !education.covered.contains(item) {
        problems.push(Violation::ItemNotCovered {
            cycle: cycle.name().to_owned(),
            item: item_name.to_owned(),
        });
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::CycleId;
    use crate::policy::Policy;
    use rust_decimal::dec;
    use time::macros::date;

    fn code(text: &str) -> ReviewItemCode {
        ReviewItemCode::parse(text).unwrap()
    }

    fn course(id: i64, end: Date, items: &[&str], hours: Decimal) -> TrainingCourse {
        TrainingCourse {
            id: CourseId::new(id),
            details: CourseDetails {
                name: Text::parse("培训班", 100).unwrap(),
                start: end,
                end,
                items: items.iter().map(|c| code(c)).collect(),
                hours: Hours::new(hours).unwrap(),
            },
            provider: None,
        }
    }

    fn entry(id: i64, course: i64, hours: Decimal, reverses: Option<i64>) -> Attendance {
        Attendance {
            id: AttendanceId::new(id),
            course: CourseId::new(course),
            person: PersonId::new(1),
            hours,
            reverses: reverses.map(AttendanceId::new),
            recorded_on: date!(2025 - 06 - 01),
        }
    }

    fn cycle() -> RegistrationCycle {
        RegistrationCycle::new(
            CycleId::new(1),
            Text::parse("2025—2028", 40).unwrap(),
            date!(2025 - 01 - 01),
            date!(2028 - 12 - 31),
            Policy::default(),
        )
        .unwrap()
    }

    #[test]
    fn thirty_two_hours_over_two_courses_cover_their_items_only() {
        let courses = [
            course(1, date!(2025 - 05 - 10), &["RQ-ZZ"], dec!(16)),
            course(2, date!(2026 - 05 - 10), &["GL-ZZ"], dec!(16)),
            course(3, date!(2024 - 05 - 10), &["DT-ZZ"], dec!(16)),
        ];
        let attendance = [
            entry(1, 1, dec!(16), None),
            entry(2, 2, dec!(16), None),
            entry(3, 3, dec!(16), None), // previous cycle: does not count
        ];
        let education = education_in_cycle(&cycle(), &courses, &attendance);
        assert_eq!(education.hours, dec!(32));
        for item in ["RQ-ZZ", "GL-ZZ"] {
            assert!(
                education_obstacles(&cycle(), &education, &code(item), item, dec!(32)).is_empty()
            );
        }
        let dt = education_obstacles(&cycle(), &education, &code("DT-ZZ"), "电梯制造", dec!(32));
        assert_eq!(dt.len(), 1);
        assert_eq!(
            dt[0].to_string(),
            "注册周期“2025—2028”参加的继续教育培训班均未覆盖“电梯制造”：该项不能换证，下一周期不能注册"
        );
    }

    #[test]
    fn a_reversed_course_neither_counts_nor_covers() {
        let courses = [course(1, date!(2025 - 05 - 10), &["RQ-ZZ"], dec!(16))];
        let attendance = [entry(1, 1, dec!(16), None), entry(2, 1, dec!(-16), Some(1))];
        let education = education_in_cycle(&cycle(), &courses, &attendance);
        assert_eq!(education.hours, dec!(0));
        let problems = education_obstacles(
            &cycle(),
            &education,
            &code("RQ-ZZ"),
            "压力容器制造",
            dec!(32),
        );
        assert_eq!(
            problems.iter().map(Violation::code).collect::<Vec<_>>(),
            ["education.hours_short", "education.item_not_covered"]
        );
        assert_eq!(
            problems[0].to_string(),
            "注册周期“2025—2028”继续教育课时为0，须满32，尚差32"
        );
    }

    #[test]
    fn attendance_is_bounded_by_the_course() {
        let c = course(1, date!(2025 - 05 - 10), &["RQ-ZZ"], dec!(16));
        let recorded = [entry(1, 1, dec!(10), None)];
        assert!(check_attendance(&c, true, &recorded, dec!(6)).is_ok());
        assert_eq!(
            check_attendance(&c, true, &recorded, dec!(6.5))
                .unwrap_err()
                .codes(),
            ["attendance.exceeds_course"]
        );
        assert_eq!(
            check_attendance(&c, false, &[], dec!(0))
                .unwrap_err()
                .codes(),
            [
                "attendance.not_certificate_holder",
                "attendance.hours_not_positive"
            ]
        );
        assert!(check_attendance(&c, true, &[], dec!(7.25)).is_err());
        let reversal = entry(2, 1, dec!(-10), Some(1));
        assert!(check_reversal(&recorded[0], &[recorded[0].clone(), reversal.clone()]).is_err());
        assert!(check_reversal(&reversal, std::slice::from_ref(&reversal)).is_err());
        assert!(check_reversal(&recorded[0], &recorded).is_ok());
    }
}
