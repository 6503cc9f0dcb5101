//! Registration cycles (注册周期): the periods the association defines, each with its own
//! [`Policy`]. Continuing-education hours accumulate within a cycle, and a registration
//! lasts at most to the end of its cycle.
//!
//! The association defines and edits a cycle through a [`CycleForm`] (its raw text, parsed
//! with every problem at once). What a change of an existing cycle's dates may not do is
//! decided by [`crate::cycle_change`].

use rust_decimal::Decimal;
use time::Date;

use crate::date::{add_months, anniversary, format_date, full_years, parse_date};
use crate::ids::CycleId;
use crate::policy::{LateHours, Policy, ReminderPolicy};
use crate::text::{Text, TextProblem};
use crate::violation::{Violation, Violations, ok_or_violations};

/// The most characters of a cycle's name.
pub const NAME_MAX: usize = 40;

/// One registration cycle: `[start, end]`, both days included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationCycle {
    id: CycleId,
    name: Text,
    start: Date,
    end: Date,
    policy: Policy,
    version: i64,
}

impl RegistrationCycle {
    /// A cycle; the end may not precede the start and the policy must be within range.
    pub fn new(
        id: CycleId,
        name: Text,
        start: Date,
        end: Date,
        policy: Policy,
    ) -> Result<RegistrationCycle, Violations> {
        let mut problems = Vec::new();
        if end < start {
            problems.push(Violation::CycleDates {
                start: format_date(start),
                end: format_date(end),
            });
        }
        if let Err(policy_problems) = policy.check() {
            problems.extend(policy_problems.into_vec());
        }
        ok_or_violations(
            RegistrationCycle {
                id,
                name,
                start,
                end,
                policy,
                version: 1,
            },
            problems,
        )
    }

    /// The cycle as stored at `version` (each accepted edit adds one; a new cycle is 1).
    pub fn with_version(self, version: i64) -> RegistrationCycle {
        RegistrationCycle { version, ..self }
    }

    /// The stored version: an edit names the version it was made from, and is refused
    /// when the cycle changed since (`conflict.stale.cycle`).
    pub fn version(&self) -> i64 {
        self.version
    }

    /// The default last day of a cycle that starts on `start` and lasts `years` years: the
    /// day before the anniversary of its start.
    pub fn default_end(start: Date, years: u32) -> Date {
        anniversary(start, years)
            .and_then(|day| day.previous_day())
            .unwrap_or(start)
    }

    /// The identifier.
    pub fn id(&self) -> CycleId {
        self.id
    }

    /// The name, for example 2025—2028.
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// The first day.
    pub fn start(&self) -> Date {
        self.start
    }

    /// The last day.
    pub fn end(&self) -> Date {
        self.end
    }

    /// The cycle's policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Whether the day falls within the cycle.
    pub fn contains(&self, date: Date) -> bool {
        self.start <= date && date <= self.end
    }

    /// The continuing-education hours a person owes in this cycle for an item whose pass
    /// list was published on `qualified_on`: the cycle's requirement for a qualification
    /// older than the cycle; for one obtained part-way through it, what the policy's
    /// [`LateHours`] says (by default the requirement times the whole years left from the
    /// publication to the cycle's end, over the cycle's years, rounded up); nothing for a
    /// qualification obtained after the cycle.
    pub fn hours_owed(&self, qualified_on: Date) -> Decimal {
        let required = self.policy.hours_required;
        if qualified_on <= self.start {
            return required;
        }
        if qualified_on > self.end {
            return Decimal::ZERO;
        }
        match self.policy.late_hours {
            LateHours::Full => required,
            LateHours::None => Decimal::ZERO,
            LateHours::ProRataYears => {
                let after_end = self.end.next_day().unwrap_or(self.end);
                let years = self.policy.cycle_years.max(1);
                let left = full_years(qualified_on, after_end).min(years);
                (required * Decimal::from(left) / Decimal::from(years)).ceil()
            }
        }
    }
}

/// What the association's cycle form (and the API's cycle body) sends: raw text, parsed by
/// [`CycleForm::parse`] into a [`CycleDefinition`] or every problem at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleForm {
    /// 周期名称
    pub name: String,
    /// 开始日期 (YYYY-MM-DD)
    pub start: String,
    /// 结束日期 (YYYY-MM-DD)
    pub end: String,
    /// 注册周期（年）: a whole number.
    pub cycle_years: String,
    /// 继续教育课时要求: a number (decimal).
    pub hours_required: String,
    /// 换证、注册时须有覆盖该评审项的培训 (a checkbox).
    pub require_item_coverage: bool,
    /// 考核年龄上限: a whole number.
    pub exam_age_limit: String,
    /// 注册年龄上限: a whole number.
    pub registration_age_limit: String,
    /// 换证年龄上限: a whole number.
    pub certificate_renewal_age_limit: String,
    /// 证书发放期限（工作日）: a whole number.
    pub certificate_due_working_days: String,
    /// 注册公示期限（工作日）: a whole number.
    pub publication_due_working_days: String,
    /// 换证申请提前月数: a whole number.
    pub renewal_window_months: String,
    /// 周期内取得资格者的课时要求: a [`LateHours`] code (empty: the default).
    pub late_hours: String,
    /// 注册到期提醒（到期前天数）: days separated by commas, "60,30,7" (empty: the
    /// default).
    pub reminder_ending_days: String,
    /// 课时不足提醒（周期结束前月数）: a whole number (empty: the default).
    pub reminder_hours_short_months: String,
    /// 填报未完成提醒（工作日）: a whole number (empty: the default).
    pub reminder_fill_in_working_days: String,
    /// 等待注册提醒（工作日）: a whole number (empty: the default).
    pub reminder_awaiting_working_days: String,
    /// 证书发放到期提醒（工作日）: a whole number (empty: the default).
    pub reminder_document_due_working_days: String,
}

/// A cycle as the form defines it: its name, dates and policy, each valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleDefinition {
    /// The name.
    pub name: Text,
    /// The first day.
    pub start: Date,
    /// The last day (not before the first).
    pub end: Date,
    /// The policy, every number within range.
    pub policy: Policy,
}

impl CycleForm {
    /// The form showing a cycle's name, dates and policy as they are.
    pub fn of(name: &str, start: Date, end: Date, policy: &Policy) -> CycleForm {
        CycleForm {
            name: name.to_owned(),
            start: format_date(start),
            end: format_date(end),
            ..CycleForm::with_policy(policy)
        }
    }

    /// The form of a new cycle: no name nor dates, the policy's numbers filled in.
    pub fn with_policy(policy: &Policy) -> CycleForm {
        CycleForm {
            name: String::new(),
            start: String::new(),
            end: String::new(),
            cycle_years: policy.cycle_years.to_string(),
            // As `education::format_hours` writes hours (education uses this module).
            hours_required: policy.hours_required.normalize().to_string(),
            require_item_coverage: policy.require_item_coverage,
            exam_age_limit: policy.exam_age_limit.to_string(),
            registration_age_limit: policy.registration_age_limit.to_string(),
            certificate_renewal_age_limit: policy.certificate_renewal_age_limit.to_string(),
            certificate_due_working_days: policy.certificate_due_working_days.to_string(),
            publication_due_working_days: policy.publication_due_working_days.to_string(),
            renewal_window_months: policy.renewal_window_months.to_string(),
            late_hours: policy.late_hours.code().to_owned(),
            reminder_ending_days: policy.reminders.ending_days_text(),
            reminder_hours_short_months: policy.reminders.hours_short_months.to_string(),
            reminder_fill_in_working_days: policy.reminders.fill_in_working_days.to_string(),
            reminder_awaiting_working_days: policy.reminders.awaiting_working_days.to_string(),
            reminder_document_due_working_days: policy
                .reminders
                .document_due_working_days
                .to_string(),
        }
    }

    /// The reminders' numbers of the form, each empty field the default.
    fn reminders(&self, problems: &mut Vec<Violation>) -> Option<ReminderPolicy> {
        let default = ReminderPolicy::default();
        let ending_days = if self.reminder_ending_days.trim().is_empty() {
            Some(default.ending_days.clone())
        } else {
            let parsed = ReminderPolicy::parse_ending_days(&self.reminder_ending_days);
            if parsed.is_none() {
                problems.push(Violation::BadFormat {
                    field: "reminder_ending_days",
                    label: "注册到期提醒（到期前天数）",
                    expected: "应为 1 至 366 的整数，以逗号分隔，至多 6 个，例如 60,30,7",
                });
            }
            parsed
        };
        let mut whole = |field, label, text: &str, default: u32| -> Option<u32> {
            if text.trim().is_empty() {
                Some(default)
            } else {
                number(field, label, text, "应为整数", problems)
            }
        };
        let hours_short_months = whole(
            "reminder_hours_short_months",
            "课时不足提醒（周期结束前月数）",
            &self.reminder_hours_short_months,
            default.hours_short_months,
        );
        let fill_in_working_days = whole(
            "reminder_fill_in_working_days",
            "填报未完成提醒（工作日）",
            &self.reminder_fill_in_working_days,
            default.fill_in_working_days,
        );
        let awaiting_working_days = whole(
            "reminder_awaiting_working_days",
            "等待注册提醒（工作日）",
            &self.reminder_awaiting_working_days,
            default.awaiting_working_days,
        );
        let document_due_working_days = whole(
            "reminder_document_due_working_days",
            "证书发放到期提醒（工作日）",
            &self.reminder_document_due_working_days,
            default.document_due_working_days,
        );
        Some(ReminderPolicy {
            ending_days: ending_days?,
            hours_short_months: hours_short_months?,
            fill_in_working_days: fill_in_working_days?,
            awaiting_working_days: awaiting_working_days?,
            document_due_working_days: document_due_working_days?,
        })
    }

    /// Parses the form: the name (1 to [`NAME_MAX`] characters), both dates (the end not
    /// before the start), every number of the policy (whole numbers, the hours a decimal)
    /// and their ranges ([`Policy::check`]). Every problem is reported at once.
    pub fn parse(&self) -> Result<CycleDefinition, Violations> {
        let mut problems = Vec::new();
        let name = Text::parse(&self.name, NAME_MAX)
            .map_err(|p| problems.push(text_violation(p, "name", "周期名称")))
            .ok();
        let mut date = |field, label, text: &str| {
            if text.trim().is_empty() {
                problems.push(Violation::Missing { field, label });
                None
            } else {
                parse_date(text).map_err(|e| problems.push(e.into())).ok()
            }
        };
        let start = date("start", "开始日期", &self.start);
        let end = date("end", "结束日期", &self.end);
        if let (Some(start), Some(end)) = (start, end)
            && end < start
        {
            problems.push(Violation::CycleDates {
                start: format_date(start),
                end: format_date(end),
            });
        }
        let mut whole = |field, label, text: &str| -> Option<u32> {
            number(field, label, text, "应为整数", &mut problems)
        };
        let cycle_years = whole("cycle_years", "注册周期（年）", &self.cycle_years);
        let exam_age_limit = whole("exam_age_limit", "考核年龄上限", &self.exam_age_limit);
        let registration_age_limit = whole(
            "registration_age_limit",
            "注册年龄上限",
            &self.registration_age_limit,
        );
        let certificate_renewal_age_limit = whole(
            "certificate_renewal_age_limit",
            "换证年龄上限",
            &self.certificate_renewal_age_limit,
        );
        let certificate_due_working_days = whole(
            "certificate_due_working_days",
            "证书发放期限（工作日）",
            &self.certificate_due_working_days,
        );
        let publication_due_working_days = whole(
            "publication_due_working_days",
            "注册公示期限（工作日）",
            &self.publication_due_working_days,
        );
        let renewal_window_months = whole(
            "renewal_window_months",
            "换证申请提前月数",
            &self.renewal_window_months,
        );
        let late_hours = if self.late_hours.trim().is_empty() {
            Some(LateHours::default())
        } else {
            let parsed = LateHours::from_code(&self.late_hours);
            if parsed.is_none() {
                problems.push(Violation::BadFormat {
                    field: "late_hours",
                    label: "周期内取得资格者的课时要求",
                    expected: "应为 full、pro_rata_years 或 none",
                });
            }
            parsed
        };
        let reminders = self.reminders(&mut problems);
        let hours_required: Option<Decimal> = number(
            "hours_required",
            "继续教育课时要求",
            &self.hours_required,
            "应为数字，例如 32 或 7.5",
            &mut problems,
        );
        let policy = match (
            cycle_years,
            exam_age_limit,
            registration_age_limit,
            certificate_renewal_age_limit,
            hours_required,
            certificate_due_working_days,
            publication_due_working_days,
            renewal_window_months,
            late_hours,
            reminders,
        ) {
            (
                Some(cycle_years),
                Some(exam_age_limit),
                Some(registration_age_limit),
                Some(certificate_renewal_age_limit),
                Some(hours_required),
                Some(certificate_due_working_days),
                Some(publication_due_working_days),
                Some(renewal_window_months),
                Some(late_hours),
                Some(reminders),
            ) => {
                // Every field named: a new field of the policy must be added to the form.
                let policy = Policy {
                    cycle_years,
                    exam_age_limit,
                    registration_age_limit,
                    certificate_renewal_age_limit,
                    hours_required,
                    require_item_coverage: self.require_item_coverage,
                    certificate_due_working_days,
                    publication_due_working_days,
                    renewal_window_months,
                    late_hours,
                    reminders,
                };
                if let Err(out_of_range) = policy.check() {
                    problems.extend(out_of_range.into_vec());
                }
                Some(policy)
            }
            _ => None,
        };
        match (name, start, end, policy) {
            (Some(name), Some(start), Some(end), Some(policy)) if problems.is_empty() => {
                Ok(CycleDefinition {
                    name,
                    start,
                    end,
                    policy,
                })
            }
            _ => Err(Violations::new(problems)),
        }
    }
}

/// A number of the form: missing when empty, badly formed when it does not parse.
fn number<N: std::str::FromStr>(
    field: &'static str,
    label: &'static str,
    text: &str,
    expected: &'static str,
    problems: &mut Vec<Violation>,
) -> Option<N> {
    let text = text.trim();
    if text.is_empty() {
        problems.push(Violation::Missing { field, label });
        return None;
    }
    text.parse()
        .map_err(|_| {
            problems.push(Violation::BadFormat {
                field,
                label,
                expected,
            });
        })
        .ok()
}

fn text_violation(problem: TextProblem, field: &'static str, label: &'static str) -> Violation {
    match problem {
        TextProblem::Empty => Violation::Missing { field, label },
        TextProblem::TooLong { max } => Violation::TooLong { field, label, max },
        TextProblem::ControlCharacter => Violation::BadCharacter { field, label },
    }
}

/// All registration cycles, in order, none overlapping.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cycles(Vec<RegistrationCycle>);

impl Cycles {
    /// Orders the cycles and refuses overlapping ones.
    pub fn new(mut cycles: Vec<RegistrationCycle>) -> Result<Cycles, Violations> {
        cycles.sort_by_key(|c| c.start);
        let overlaps: Vec<Violation> = cycles
            .windows(2)
            .filter_map(|pair| match pair {
                [a, b] if b.start <= a.end => Some(Violation::CycleOverlap(a.name().to_owned())),
                _ => None,
            })
            .collect();
        ok_or_violations(Cycles(cycles), overlaps)
    }

    /// Checks that a new or edited cycle fits among the others (those with other ids).
    pub fn check_fits(&self, cycle: &RegistrationCycle) -> Result<(), Violations> {
        let overlaps: Vec<Violation> = self
            .0
            .iter()
            .filter(|c| c.id != cycle.id && c.start <= cycle.end && cycle.start <= c.end)
            .map(|c| Violation::CycleOverlap(c.name().to_owned()))
            .collect();
        ok_or_violations((), overlaps)
    }

    /// The cycles, in order.
    pub fn as_slice(&self) -> &[RegistrationCycle] {
        &self.0
    }

    /// The cycle that contains the day.
    pub fn at(&self, date: Date) -> Option<&RegistrationCycle> {
        self.0.iter().find(|c| c.contains(date))
    }

    /// The cycle with this id.
    pub fn get(&self, id: CycleId) -> Option<&RegistrationCycle> {
        self.0.iter().find(|c| c.id == id)
    }

    /// The cycle right before this one (the latest that ends before it starts).
    pub fn previous(&self, cycle: &RegistrationCycle) -> Option<&RegistrationCycle> {
        self.0.iter().rev().find(|c| c.end < cycle.start)
    }

    /// The cycle right after this one.
    pub fn next(&self, cycle: &RegistrationCycle) -> Option<&RegistrationCycle> {
        self.0.iter().find(|c| c.start > cycle.end)
    }

    /// The policy in force on a day: that of the cycle containing it, or the default.
    pub fn policy_at(&self, date: Date) -> Policy {
        self.at(date).map(|c| c.policy.clone()).unwrap_or_default()
    }

    /// The last day of the registrations whose renewal is due on `today`: those that end
    /// within the renewal window of the policy in force (3 months, 第二十一条) from today.
    pub fn renewal_horizon(&self, today: Date) -> Date {
        let months = self.policy_at(today).renewal_window_months;
        add_months(today, i32::try_from(months).unwrap_or(i32::MAX))
    }
}

/// The first day of the renewal window of a registration that ends on `valid_until`: the
/// same day `months` months before the day after the end (clamped to the month's last day).
pub fn renewal_window_opens(valid_until: Date, months: u32) -> Date {
    let after = valid_until.next_day().unwrap_or(valid_until);
    add_months(after, -i32::try_from(months).unwrap_or(i32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn cycle(id: i64, start: Date, end: Date) -> RegistrationCycle {
        RegistrationCycle::new(
            CycleId::new(id),
            Text::parse(&format!("{}—{}", start.year(), end.year()), 40).unwrap(),
            start,
            end,
            Policy::default(),
        )
        .unwrap()
    }

    #[test]
    fn default_end_is_the_day_before_the_anniversary() {
        assert_eq!(
            RegistrationCycle::default_end(date!(2025 - 01 - 01), 4),
            date!(2028 - 12 - 31)
        );
        assert_eq!(
            RegistrationCycle::default_end(date!(2024 - 02 - 29), 4),
            date!(2028 - 02 - 28)
        );
    }

    #[test]
    fn finds_the_cycle_of_a_day_and_its_neighbours() {
        let first = cycle(1, date!(2021 - 01 - 01), date!(2024 - 12 - 31));
        let second = cycle(2, date!(2025 - 01 - 01), date!(2028 - 12 - 31));
        let cycles = Cycles::new(vec![second.clone(), first.clone()]).unwrap();
        assert_eq!(cycles.at(date!(2024 - 12 - 31)), Some(&first));
        assert_eq!(cycles.at(date!(2025 - 01 - 01)), Some(&second));
        assert_eq!(cycles.at(date!(2029 - 01 - 01)), None);
        assert_eq!(cycles.previous(&second), Some(&first));
        assert_eq!(cycles.next(&first), Some(&second));
        assert_eq!(cycles.previous(&first), None);
    }

    #[test]
    fn refuses_overlaps_and_reversed_dates() {
        let a = cycle(1, date!(2021 - 01 - 01), date!(2024 - 12 - 31));
        let b = cycle(2, date!(2024 - 06 - 01), date!(2028 - 05 - 31));
        assert!(
            Cycles::new(vec![a.clone(), b.clone()])
                .unwrap_err()
                .has("cycle.overlap")
        );
        let cycles = Cycles::new(vec![a]).unwrap();
        assert!(cycles.check_fits(&b).is_err());
        let reversed = RegistrationCycle::new(
            CycleId::new(3),
            Text::parse("x", 10).unwrap(),
            date!(2025 - 01 - 01),
            date!(2024 - 01 - 01),
            Policy::default(),
        );
        assert!(reversed.unwrap_err().has("cycle.dates"));
    }

    fn owed(late: LateHours, qualified_on: Date) -> Decimal {
        let cycle = RegistrationCycle::new(
            CycleId::new(1),
            Text::parse("2025—2028", 40).unwrap(),
            date!(2025 - 01 - 01),
            date!(2028 - 12 - 31),
            Policy {
                late_hours: late,
                ..Policy::default()
            },
        )
        .unwrap();
        cycle.hours_owed(qualified_on)
    }

    #[test]
    fn hours_owed_by_a_late_qualification_pro_rata_on_the_boundaries() {
        use LateHours::*;
        let d = |n| Decimal::from(n);
        // Before the cycle, or on its first day: the full 32.
        assert_eq!(owed(ProRataYears, date!(2024 - 06 - 01)), d(32));
        assert_eq!(owed(ProRataYears, date!(2025 - 01 - 01)), d(32));
        // One day in: three whole years left, 32 × 3 / 4.
        assert_eq!(owed(ProRataYears, date!(2025 - 01 - 02)), d(24));
        // 2026-04-15: two whole years and some months left.
        assert_eq!(owed(ProRataYears, date!(2026 - 04 - 15)), d(16));
        // 29 February 2028: less than a year left.
        assert_eq!(owed(ProRataYears, date!(2028 - 02 - 29)), d(0));
        // The cycle's last day, and after it: nothing.
        assert_eq!(owed(ProRataYears, date!(2028 - 12 - 31)), d(0));
        assert_eq!(owed(ProRataYears, date!(2029 - 01 - 01)), d(0));
        // The other policies.
        assert_eq!(owed(Full, date!(2028 - 12 - 31)), d(32));
        assert_eq!(owed(None, date!(2025 - 01 - 02)), d(0));
        assert_eq!(owed(None, date!(2024 - 01 - 02)), d(32));
    }

    #[test]
    fn pro_rata_rounds_up() {
        // 30 hours over 4 years, 3 left: 22.5 → 23.
        let cycle = RegistrationCycle::new(
            CycleId::new(1),
            Text::parse("2025—2028", 40).unwrap(),
            date!(2025 - 01 - 01),
            date!(2028 - 12 - 31),
            Policy {
                hours_required: Decimal::from(30),
                ..Policy::default()
            },
        )
        .unwrap();
        assert_eq!(cycle.hours_owed(date!(2025 - 06 - 01)), Decimal::from(23));
    }

    #[test]
    fn a_cycle_form_round_trips_and_reports_every_problem() {
        let policy = Policy {
            hours_required: Decimal::new(75, 1),
            require_item_coverage: false,
            ..Policy::default()
        };
        let form = CycleForm::of(
            "2025—2028",
            date!(2025 - 01 - 01),
            date!(2028 - 12 - 31),
            &policy,
        );
        assert_eq!(form.hours_required, "7.5");
        assert_eq!(
            form.parse(),
            Ok(CycleDefinition {
                name: Text::parse("2025—2028", 40).unwrap(),
                start: date!(2025 - 01 - 01),
                end: date!(2028 - 12 - 31),
                policy,
            })
        );
        let bad = CycleForm {
            name: "x".repeat(41),
            start: String::new(),
            end: "2028/12/31".into(),
            renewal_window_months: "-1".into(),
            hours_required: "三十二".into(),
            ..CycleForm::with_policy(&Policy::default())
        };
        let fields: Vec<(&str, Option<&str>)> = bad
            .parse()
            .unwrap_err()
            .as_slice()
            .iter()
            .map(|v| (v.code(), v.field()))
            .collect();
        assert_eq!(
            fields,
            [
                ("field.too_long", Some("name")),
                ("field.missing", Some("start")),
                ("date.format", None),
                ("field.bad_format", Some("renewal_window_months")),
                ("field.bad_format", Some("hours_required")),
            ]
        );
        let out_of_range = CycleForm {
            cycle_years: "11".into(),
            ..form
        };
        assert!(out_of_range.parse().unwrap_err().has("policy.range"));
    }

    #[test]
    fn the_renewal_window_opens_three_months_before_the_end() {
        assert_eq!(
            renewal_window_opens(date!(2028 - 12 - 31), 3),
            date!(2028 - 10 - 01)
        );
        assert_eq!(
            renewal_window_opens(date!(2028 - 05 - 30), 3),
            date!(2028 - 02 - 29)
        );
        assert_eq!(
            renewal_window_opens(date!(2028 - 03 - 30), 2),
            date!(2028 - 01 - 31)
        );
        assert_eq!(
            renewal_window_opens(date!(2028 - 12 - 31), 0),
            date!(2029 - 01 - 01)
        );
    }
}
