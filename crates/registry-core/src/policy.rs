//! The register's policy: every number that a rule uses, in one value.
//!
//! Each registration cycle carries its own [`Policy`], which the association edits; a new
//! cycle starts from [`Policy::default`]. No rule of the core writes one of these numbers
//! as a constant. `docs/POLICY.md` gives the source of every default.

use rust_decimal::Decimal;

use crate::violation::{Violation, Violations, ok_or_violations};

/// The numbers the rules of the register use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Length of a registration cycle in years (第十六条: 4).
    pub cycle_years: u32,
    /// A candidate must be under this age (周岁) on the exam date (source document: 65).
    pub exam_age_limit: u32,
    /// A person must be under this age on the first day of a registration, and a
    /// registration ends the day before this birthday (source document: 70).
    pub registration_age_limit: u32,
    /// Renewal of the qualification certificate requires being under this age
    /// (第二十二条: 65).
    pub certificate_renewal_age_limit: u32,
    /// Continuing-education hours a person must accumulate within a cycle to renew
    /// (not published anywhere; default 32, i.e. 8 a year).
    pub hours_required: Decimal,
    /// Whether each renewed item must be covered by at least one course attended in the
    /// cycle (source document, question 4: yes).
    pub require_item_coverage: bool,
    /// A certificate is due within this many working days after its pass list is
    /// published (source document, question 10: 20).
    pub certificate_due_working_days: u32,
    /// The association publishes registered people within this many working days
    /// (第十九条: 5).
    pub publication_due_working_days: u32,
    /// Renewal may be applied for this many months before a registration ends
    /// (第二十一条: 3).
    pub renewal_window_months: u32,
    /// The hours owed in a cycle by a person whose pass list was published part-way
    /// through it (not published anywhere; default: in proportion to the whole years left,
    /// see [`LateHours`] and docs/POLICY.md).
    pub late_hours: LateHours,
    /// When reminders are sent (see [`ReminderPolicy`]).
    pub reminders: ReminderPolicy,
}

/// How many continuing-education hours a person owes in the cycle in which they
/// qualified (their pass list published after the cycle's first day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LateHours {
    /// The cycle's full requirement, however late.
    Full,
    /// The requirement times the whole years of the cycle left after the pass list's
    /// publication, divided by the cycle's years, rounded up: qualified in its first year,
    /// the full hours; in its last year, none.
    #[default]
    ProRataYears,
    /// None: the hours count from the next cycle.
    None,
}

impl LateHours {
    /// Every choice, in the order a form offers them.
    pub const ALL: [LateHours; 3] = [LateHours::ProRataYears, LateHours::Full, LateHours::None];

    /// The stable code stored and sent over the API.
    pub fn code(self) -> &'static str {
        match self {
            LateHours::Full => "full",
            LateHours::ProRataYears => "pro_rata_years",
            LateHours::None => "none",
        }
    }

    /// Reads a code.
    pub fn from_code(code: &str) -> Option<LateHours> {
        LateHours::ALL.into_iter().find(|l| l.code() == code.trim())
    }

    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            LateHours::Full => "足额：周期内取得资格者须满全周期课时",
            LateHours::ProRataYears => "按剩余整年数折算（向上取整）",
            LateHours::None => "免除：取得资格的周期内不要求课时",
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            cycle_years: 4,
            exam_age_limit: 65,
            registration_age_limit: 70,
            certificate_renewal_age_limit: 65,
            hours_required: Decimal::from(32),
            require_item_coverage: true,
            certificate_due_working_days: 20,
            publication_due_working_days: 5,
            renewal_window_months: 3,
            late_hours: LateHours::ProRataYears,
            reminders: ReminderPolicy::default(),
        }
    }
}

impl Policy {
    /// Checks every number against its sensible range and reports all that are out.
    pub fn check(&self) -> Result<(), Violations> {
        let mut problems = Vec::new();
        let mut within = |field, label, value: u32, min: u32, max: u32| {
            if !(min..=max).contains(&value) {
                problems.push(Violation::PolicyRange {
                    field,
                    label,
                    min: min.to_string(),
                    max: max.to_string(),
                });
            }
        };
        within("cycle_years", "注册周期（年）", self.cycle_years, 1, 10);
        within(
            "exam_age_limit",
            "考核年龄上限",
            self.exam_age_limit,
            18,
            100,
        );
        within(
            "registration_age_limit",
            "注册年龄上限",
            self.registration_age_limit,
            18,
            100,
        );
        within(
            "certificate_renewal_age_limit",
            "换证年龄上限",
            self.certificate_renewal_age_limit,
            18,
            100,
        );
        within(
            "certificate_due_working_days",
            "证书发放期限（工作日）",
            self.certificate_due_working_days,
            1,
            250,
        );
        within(
            "publication_due_working_days",
            "注册公示期限（工作日）",
            self.publication_due_working_days,
            1,
            250,
        );
        within(
            "renewal_window_months",
            "换证申请提前月数",
            self.renewal_window_months,
            0,
            24,
        );
        let max_hours = Decimal::from(1000);
        if self.hours_required < Decimal::ZERO || self.hours_required > max_hours {
            problems.push(Violation::PolicyRange {
                field: "hours_required",
                label: "继续教育课时要求",
                min: "0".to_owned(),
                max: max_hours.to_string(),
            });
        }
        self.reminders.check(&mut problems);
        ok_or_violations((), problems)
    }
}

/// The numbers of the reminders, part of each cycle's policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderPolicy {
    /// A registration's end is announced this many days before its last day (each one
    /// once), largest first: 60, 30, 7.
    pub ending_days: Vec<u32>,
    /// Hours still short are announced this many months before the cycle's end: 6.
    pub hours_short_months: u32,
    /// A fill-in entry not completed this many working days after its password was set
    /// is announced to the institution: 10.
    pub fill_in_working_days: u32,
    /// A person waiting this many working days to be registered (等待注册) is announced
    /// to the institution: 5.
    pub awaiting_working_days: u32,
    /// Certificates and cards due within this many working days are announced to the
    /// association: 3.
    pub document_due_working_days: u32,
}

impl Default for ReminderPolicy {
    fn default() -> Self {
        ReminderPolicy {
            ending_days: vec![60, 30, 7],
            hours_short_months: 6,
            fill_in_working_days: 10,
            awaiting_working_days: 5,
            document_due_working_days: 3,
        }
    }
}

/// The most days before a registration's end that may be announced, and how many such
/// announcements a policy may have.
const MOST_ENDING_DAYS: u32 = 366;
const MOST_ENDINGS: usize = 6;

impl ReminderPolicy {
    /// The days before a registration's end as the cycle form shows them: "60,30,7".
    pub fn ending_days_text(&self) -> String {
        self.ending_days
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Reads "60, 30, 7" (commas, 、 or spaces between; any order; each 1–366, at most 6):
    /// the days largest first, without repeats.
    pub fn parse_ending_days(text: &str) -> Option<Vec<u32>> {
        let mut days: Vec<u32> = text
            .split([',', '，', '、', ' '])
            .filter(|part| !part.trim().is_empty())
            .map(|part| part.trim().parse::<u32>().ok())
            .collect::<Option<_>>()?;
        days.sort_unstable_by(|a, b| b.cmp(a));
        days.dedup();
        let fits = !days.is_empty()
            && days.len() <= MOST_ENDINGS
            && days.iter().all(|d| (1..=MOST_ENDING_DAYS).contains(d));
        fits.then_some(days)
    }

    /// Checks the numbers, adding a problem for each out of range.
    pub(crate) fn check(&self, problems: &mut Vec<Violation>) {
        if Self::parse_ending_days(&self.ending_days_text()).as_ref() != Some(&self.ending_days) {
            problems.push(Violation::PolicyRange {
                field: "reminder_ending_days",
                label: "注册到期提醒（到期前天数）",
                min: "1".to_owned(),
                max: MOST_ENDING_DAYS.to_string(),
            });
        }
        let mut within = |field, label, value: u32, max: u32| {
            if !(1..=max).contains(&value) {
                problems.push(Violation::PolicyRange {
                    field,
                    label,
                    min: "1".to_owned(),
                    max: max.to_string(),
                });
            }
        };
        within(
            "reminder_hours_short_months",
            "课时不足提醒（周期结束前月数）",
            self.hours_short_months,
            24,
        );
        within(
            "reminder_fill_in_working_days",
            "填报未完成提醒（工作日）",
            self.fill_in_working_days,
            60,
        );
        within(
            "reminder_awaiting_working_days",
            "等待注册提醒（工作日）",
            self.awaiting_working_days,
            60,
        );
        within(
            "reminder_document_due_working_days",
            "证书发放到期提醒（工作日）",
            self.document_due_working_days,
            60,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_within_range() {
        assert_eq!(Policy::default().check(), Ok(()));
    }

    #[test]
    fn every_field_out_of_range_is_reported() {
        let policy = Policy {
            cycle_years: 0,
            exam_age_limit: 10,
            hours_required: Decimal::from(-1),
            ..Policy::default()
        };
        let fields: Vec<&str> = policy
            .check()
            .unwrap_err()
            .as_slice()
            .iter()
            .filter_map(Violation::field)
            .collect();
        assert_eq!(fields, ["cycle_years", "exam_age_limit", "hours_required"]);
    }
}
