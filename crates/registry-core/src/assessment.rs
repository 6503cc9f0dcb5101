//! On-site assessments (现场评审) and the working days of a person's assessment experience
//! (鉴定评审工作经历, source document, question 5).
//!
//! For each on-site assessment the start and end dates are entered, and the system counts
//! the working days itself with China's working-day calendar. Later on-site re-reviews
//! (复审) count as well. A person's total counts each day once where assessments overlap,
//! and it stays with the person whatever institution employs them.

use time::Date;

use crate::calendar::WorkCalendar;
use crate::cycle::RegistrationCycle;
use crate::date::{format_date, parse_date};
use crate::ids::{AssessmentId, InstitutionId, PersonId};
use crate::review_item::{ReviewItemCatalogue, ReviewItemCode};
use crate::text::{Text, TextProblem};
use crate::violation::{Violation, Violations};

/// Initial assessment or re-review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssessmentKind {
    /// 首次评审
    Initial,
    /// 复审
    ReReview,
}

impl AssessmentKind {
    /// The label: 首次 or 复审.
    pub fn label(self) -> &'static str {
        match self {
            AssessmentKind::Initial => "首次",
            AssessmentKind::ReReview => "复审",
        }
    }

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            AssessmentKind::Initial => "initial",
            AssessmentKind::ReReview => "re_review",
        }
    }

    /// Reads a code or label.
    pub fn parse(text: &str) -> Option<AssessmentKind> {
        match text.trim() {
            "initial" | "首次" | "首次评审" => Some(AssessmentKind::Initial),
            "re_review" | "复审" => Some(AssessmentKind::ReReview),
            _ => None,
        }
    }
}

/// What the on-site assessment form sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssessmentForm {
    /// 申请单位: the maker or installer assessed.
    pub applicant_unit: String,
    /// The review item's code.
    pub item: String,
    /// 开始日期
    pub start: String,
    /// 结束日期
    pub end: String,
    /// 首次 or 复审.
    pub kind: String,
}

/// A valid on-site assessment, with its working days counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessmentDetails {
    /// The unit assessed.
    pub applicant_unit: Text,
    /// The review item.
    pub item: ReviewItemCode,
    /// The first day.
    pub start: Date,
    /// The last day.
    pub end: Date,
    /// Initial or re-review.
    pub kind: AssessmentKind,
    /// Working days in `[start, end]`, counted with the calendar.
    pub working_days: u32,
}

impl AssessmentDetails {
    /// Parses the form on `today` and counts the working days. The dates must lie within
    /// the calendar's years, in order, and not after today.
    pub fn parse(
        form: &AssessmentForm,
        catalogue: &ReviewItemCatalogue,
        calendar: &WorkCalendar,
        today: Date,
    ) -> Result<AssessmentDetails, Violations> {
        let mut problems = Vec::new();
        let applicant_unit = Text::parse(&form.applicant_unit, 100)
            .map_err(|p| {
                let (field, label) = ("applicant_unit", "申请单位");
                problems.push(match p {
                    TextProblem::Empty => Violation::Missing { field, label },
                    TextProblem::TooLong { max } => Violation::TooLong { field, label, max },
                    TextProblem::ControlCharacter => Violation::BadCharacter { field, label },
                });
            })
            .ok();
        let item = match ReviewItemCode::parse(&form.item) {
            Ok(code) if catalogue.get(&code).is_some() => Some(code),
            _ if form.item.trim().is_empty() => {
                problems.push(Violation::Missing {
                    field: "item",
                    label: "评审项目",
                });
                None
            }
            _ => {
                problems.push(Violation::UnknownItem(form.item.trim().to_owned()));
                None
            }
        };
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
        let kind = AssessmentKind::parse(&form.kind);
        if kind.is_none() {
            problems.push(Violation::BadFormat {
                field: "kind",
                label: "评审类型",
                expected: "应为“首次”或“复审”",
            });
        }
        let mut working_days = None;
        if let (Some(start), Some(end)) = (start, end) {
            if end > today {
                problems.push(Violation::AssessmentInFuture(format_date(end)));
            }
            match calendar.working_days(start, end) {
                Ok(days) => working_days = Some(days),
                Err(e) => problems.push(e.into()),
            }
        }
        match (applicant_unit, item, start, end, kind, working_days) {
            (Some(applicant_unit), Some(item), Some(start), Some(end), Some(kind), Some(days))
                if problems.is_empty() =>
            {
                Ok(AssessmentDetails {
                    applicant_unit,
                    item,
                    start,
                    end,
                    kind,
                    working_days: days,
                })
            }
            _ => Err(Violations::new(problems)),
        }
    }
}

/// An on-site assessment in which a person took part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnSiteAssessment {
    /// The identifier.
    pub id: AssessmentId,
    /// The person.
    pub person: PersonId,
    /// The institution that recorded it (none when the association did).
    pub recorded_by: Option<InstitutionId>,
    /// The facts.
    pub details: AssessmentDetails,
}

/// A person's working days of assessment experience within a cycle: the days of their
/// assessments that fall in the cycle, each counted once where assessments overlap.
pub fn working_days_in_cycle(
    calendar: &WorkCalendar,
    cycle: &RegistrationCycle,
    assessments: &[OnSiteAssessment],
) -> Result<u32, Violation> {
    let ranges: Vec<(Date, Date)> = assessments
        .iter()
        .filter_map(|a| {
            let start = a.details.start.max(cycle.start());
            let end = a.details.end.min(cycle.end());
            (start <= end).then_some((start, end))
        })
        .collect();
    calendar
        .working_days_in_union(&ranges)
        .map_err(Violation::from)
}

/// A person's working days over all their assessments, each day counted once.
pub fn total_working_days(
    calendar: &WorkCalendar,
    assessments: &[OnSiteAssessment],
) -> Result<u32, Violation> {
    let ranges: Vec<(Date, Date)> = assessments
        .iter()
        .map(|a| (a.details.start, a.details.end))
        .collect();
    calendar
        .working_days_in_union(&ranges)
        .map_err(Violation::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn form(start: &str, end: &str) -> AssessmentForm {
        AssessmentForm {
            applicant_unit: "某压力容器制造有限公司".into(),
            item: "RQ-ZZ".into(),
            start: start.into(),
            end: end.into(),
            kind: "首次".into(),
        }
    }

    fn parse(form: &AssessmentForm) -> Result<AssessmentDetails, Violations> {
        ExampleData::new().parse(form)
    }

    struct ExampleData {
        catalogue: ReviewItemCatalogue,
        calendar: WorkCalendar,
    }

    impl ExampleData {
        fn new() -> Self {
            ExampleData {
                catalogue: crate::fixtures::review_items().unwrap(),
                calendar: crate::fixtures::calendar().unwrap(),
            }
        }

        fn parse(&self, form: &AssessmentForm) -> Result<AssessmentDetails, Violations> {
            AssessmentDetails::parse(form, &self.catalogue, &self.calendar, date!(2026 - 11 - 26))
        }
    }

    #[test]
    fn national_day_week_counts_five_working_days() {
        let details = parse(&form("2024-09-27", "2024-10-09")).unwrap();
        assert_eq!(details.working_days, 5);
    }

    #[test]
    fn refuses_dates_outside_the_calendar_and_in_the_future() {
        assert_eq!(
            parse(&form("2012-12-28", "2013-01-04"))
                .unwrap_err()
                .codes(),
            ["calendar.outside"]
        );
        assert_eq!(
            parse(&form("2026-11-25", "2026-11-27"))
                .unwrap_err()
                .codes(),
            ["assessment.in_future"]
        );
        assert_eq!(
            parse(&form("2024-10-09", "2024-09-27"))
                .unwrap_err()
                .codes(),
            ["calendar.end_before_start"]
        );
    }

    #[test]
    fn overlapping_assessments_count_once() {
        let data = ExampleData::new();
        let assessment = |id, start, end| OnSiteAssessment {
            id: AssessmentId::new(id),
            person: PersonId::new(1),
            recorded_by: None,
            details: data.parse(&form(start, end)).unwrap(),
        };
        let both = [
            assessment(1, "2024-03-04", "2024-03-08"),
            assessment(2, "2024-03-07", "2024-03-11"),
        ];
        assert_eq!(
            both[0].details.working_days + both[1].details.working_days,
            8
        );
        assert_eq!(total_working_days(&data.calendar, &both), Ok(6));
    }
}
