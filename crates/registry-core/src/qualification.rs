//! Qualifications (评审资格): the review items a person passed in the assessment exam
//! (考核). The association records them from the published pass list (考核合格名单); the
//! qualification certificate lists all of them.

use time::Date;

use crate::cycle::Cycles;
use crate::date::{format_date, full_years, parse_date};
use crate::ids::PersonId;
use crate::person::PersonName;
use crate::resident_id::ResidentId;
use crate::review_item::{ReviewItemCatalogue, ReviewItemCode};
use crate::violation::{Violation, Violations, ok_or_violations};

/// One passed review item of one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qualification {
    /// The person.
    pub person: PersonId,
    /// The item passed.
    pub item: ReviewItemCode,
    /// The day of the exam.
    pub exam_date: Date,
    /// The day the pass list was published; the certificate is due counting from it.
    pub published_on: Date,
}

/// What the association's exam-result form (or a pass-list row) sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExamResultForm {
    /// 身份证号
    pub resident_id: String,
    /// 姓名
    pub name: String,
    /// The codes of the items passed.
    pub items: Vec<String>,
    /// 考核日期, `YYYY-MM-DD`.
    pub exam_date: String,
    /// 合格名单公布日期, `YYYY-MM-DD`.
    pub published_on: String,
}

/// A valid exam result: one person, the items passed, the exam and publication dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExamResult {
    /// The candidate's ID number.
    pub resident_id: ResidentId,
    /// The candidate's name.
    pub name: PersonName,
    /// The items passed, without duplicates, in catalogue order.
    pub items: Vec<ReviewItemCode>,
    /// The exam date.
    pub exam_date: Date,
    /// The publication date of the pass list.
    pub published_on: Date,
}

impl ExamResult {
    /// Parses and checks an exam result on `today`: a valid ID number and name, at least
    /// one item of the catalogue, an exam date not in the future, a publication date
    /// between the exam and today, and the candidate under the exam age limit (65) on the
    /// exam date. Every problem is reported at once.
    pub fn parse(
        form: &ExamResultForm,
        catalogue: &ReviewItemCatalogue,
        cycles: &Cycles,
        today: Date,
    ) -> Result<ExamResult, Violations> {
        let mut problems = Vec::new();
        let resident_id = if form.resident_id.trim().is_empty() {
            problems.push(Violation::Missing {
                field: "resident_id",
                label: "身份证号",
            });
            None
        } else {
            ResidentId::parse(&form.resident_id, today)
                .map_err(|e| problems.push(e.into()))
                .ok()
        };
        let name = PersonName::parse(&form.name)
            .map_err(|v| problems.push(v))
            .ok();
        let mut items = Vec::new();
        for raw in &form.items {
            match ReviewItemCode::parse(raw) {
                Ok(code) if catalogue.get(&code).is_some() => {
                    if !items.contains(&code) {
                        items.push(code);
                    }
                }
                _ => problems.push(Violation::UnknownItem(raw.trim().to_owned())),
            }
        }
        if form.items.is_empty() {
            problems.push(Violation::NoItems);
        }
        items.sort_by_key(|code| {
            catalogue
                .items()
                .iter()
                .position(|item| item.code() == code)
        });
        let mut date = |field, label, text: &str| {
            if text.trim().is_empty() {
                problems.push(Violation::Missing { field, label });
                return None;
            }
            parse_date(text).map_err(|e| problems.push(e.into())).ok()
        };
        let exam_date = date("exam_date", "考核日期", &form.exam_date);
        let published_on = date("published_on", "合格名单公布日期", &form.published_on);
        if let Some(exam_date) = exam_date {
            if exam_date > today {
                problems.push(Violation::ExamDateInFuture(format_date(exam_date)));
            }
            if let Some(published_on) = published_on
                && (published_on < exam_date || published_on > today)
            {
                problems.push(Violation::PublicationDate {
                    published_on: format_date(published_on),
                    exam_date: format_date(exam_date),
                });
            }
            if let Some(id) = &resident_id {
                let limit = cycles.policy_at(exam_date).exam_age_limit;
                let age = full_years(id.birth_date(), exam_date);
                if age >= limit {
                    problems.push(Violation::ExamAgeLimit {
                        age,
                        exam_date: format_date(exam_date),
                        limit,
                    });
                }
            }
        }
        match (resident_id, name, exam_date, published_on) {
            (Some(resident_id), Some(name), Some(exam_date), Some(published_on))
                if problems.is_empty() =>
            {
                Ok(ExamResult {
                    resident_id,
                    name,
                    items,
                    exam_date,
                    published_on,
                })
            }
            _ => Err(Violations::new(problems)),
        }
    }
}

/// Checks that a person may be credited with these qualifications: used by the exam-result
/// use case once the person is known.
pub(crate) fn check_name(
    recorded: &PersonName,
    given: &PersonName,
    id: &ResidentId,
) -> Result<(), Violations> {
    ok_or_violations(
        (),
        if recorded == given {
            vec![]
        } else {
            vec![Violation::NameMismatch {
                masked_id: id.masked(),
                recorded: recorded.as_str().to_owned(),
                given: given.as_str().to_owned(),
            }]
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 26);

    fn form(id: &str, exam: &str) -> ExamResultForm {
        ExamResultForm {
            resident_id: id.into(),
            name: "张三".into(),
            items: vec!["RQ-ZZ".into(), "rq-zz".into(), "GL-ZZ".into()],
            exam_date: exam.into(),
            published_on: "2026-10-20".into(),
        }
    }

    fn parse(form: &ExamResultForm) -> Result<ExamResult, Violations> {
        let catalogue = crate::fixtures::review_items().unwrap();
        ExamResult::parse(form, &catalogue, &Cycles::default(), TODAY)
    }

    #[test]
    fn the_exam_age_limit_is_checked_to_the_day() {
        let born = date!(1961 - 10 - 10);
        let id = ResidentId::from_parts(350102, born, 13).unwrap();
        let day_before = parse(&form(id.as_str(), "2026-10-09")).unwrap();
        assert_eq!(day_before.items.len(), 2);
        assert_eq!(day_before.items[0].as_str(), "GL-ZZ");
        let birthday = parse(&form(id.as_str(), "2026-10-10")).unwrap_err();
        assert_eq!(birthday.codes(), ["exam.age_limit"]);
        assert_eq!(
            birthday.to_string(),
            "考核日期 2026-10-10 时已满65周岁，考核年龄须在65周岁以下"
        );
    }

    #[test]
    fn every_problem_is_reported() {
        let bad = ExamResultForm {
            resident_id: "11010519491231002Y".into(),
            name: String::new(),
            items: vec!["NOPE".into()],
            exam_date: "2026-12-01".into(),
            published_on: "2026-11-01".into(),
        };
        assert_eq!(
            parse(&bad).unwrap_err().codes(),
            [
                "resident_id.character",
                "field.missing",
                "item.unknown",
                "exam.date_in_future",
                "exam.publication_date"
            ]
        );
    }
}
