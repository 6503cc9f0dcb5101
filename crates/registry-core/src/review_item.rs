//! Review items (评审项目 / 细项): the sub-items in which a person passes the assessment
//! exam and is registered, one institution per item.
//!
//! The items are **data**, not an enum: the association owns the list (26 sub-items in the
//! source document) and may edit it. [`ReviewItemCatalogue::parse_csv`] reads the layout of
//! `fixtures/review-items.csv`: `code,name,category`.

use std::collections::BTreeMap;
use std::fmt;

use crate::csv;

/// The stable code of a review item: 2–16 characters of `A`–`Z`, `0`–`9` and `-`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReviewItemCode(String);

impl ReviewItemCode {
    /// Parses a code; lower case is folded to capitals.
    pub fn parse(input: &str) -> Result<ReviewItemCode, CatalogueProblem> {
        let code = input.trim().to_ascii_uppercase();
        let ok = (2..=16).contains(&code.len())
            && code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(ReviewItemCode(code))
        } else {
            Err(CatalogueProblem::BadCode(input.trim().to_owned()))
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReviewItemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ReviewItemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One review item of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewItem {
    code: ReviewItemCode,
    name: String,
    category: String,
}

impl ReviewItem {
    /// A review item; the name and category must be 1–50 characters.
    pub fn new(
        code: ReviewItemCode,
        name: &str,
        category: &str,
    ) -> Result<ReviewItem, CatalogueProblem> {
        let name = name.trim();
        let category = category.trim();
        if name.is_empty() || name.chars().count() > 50 {
            return Err(CatalogueProblem::BadName(name.to_owned()));
        }
        if category.is_empty() || category.chars().count() > 50 {
            return Err(CatalogueProblem::BadCategory(category.to_owned()));
        }
        Ok(ReviewItem {
            code,
            name: name.to_owned(),
            category: category.to_owned(),
        })
    }

    /// The stable code.
    pub fn code(&self) -> &ReviewItemCode {
        &self.code
    }

    /// The Chinese name, for example 压力容器制造.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The category, for example 压力容器.
    pub fn category(&self) -> &str {
        &self.category
    }
}

/// A problem with the catalogue file or one of its lines.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueProblem {
    /// The header line is not `code,name,category`.
    #[error("表头应为“code,name,category”")]
    Header,
    /// A line does not have three fields.
    #[error("应有3列（代码、名称、类别），实为{0}列")]
    FieldCount(usize),
    /// The code is malformed.
    #[error("评审项目代码“{0}”无效：应为2至16位大写字母、数字或“-”")]
    BadCode(String),
    /// The name is empty or too long.
    #[error("评审项目名称“{0}”无效：应为1至50个字")]
    BadName(String),
    /// The category is empty or too long.
    #[error("评审项目类别“{0}”无效：应为1至50个字")]
    BadCategory(String),
    /// The same code twice.
    #[error("评审项目代码“{0}”重复")]
    DuplicateCode(String),
    /// A quoted field is never closed.
    #[error("引号未闭合")]
    UnterminatedQuote,
    /// No item at all.
    #[error("目录中没有任何评审项目")]
    Empty,
}

impl CatalogueProblem {
    /// The stable code of this problem.
    pub fn code(&self) -> &'static str {
        match self {
            CatalogueProblem::Header => "catalogue.header",
            CatalogueProblem::FieldCount(_) => "catalogue.field_count",
            CatalogueProblem::BadCode(_) => "catalogue.bad_code",
            CatalogueProblem::BadName(_) => "catalogue.bad_name",
            CatalogueProblem::BadCategory(_) => "catalogue.bad_category",
            CatalogueProblem::DuplicateCode(_) => "catalogue.duplicate_code",
            CatalogueProblem::UnterminatedQuote => "catalogue.unterminated_quote",
            CatalogueProblem::Empty => "catalogue.empty",
        }
    }
}

/// A problem on a line of a data file (1-based line number; 0 for the file as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem<P> {
    /// The 1-based line number, or 0 when the problem concerns the whole file.
    pub line: usize,
    /// What is wrong.
    pub problem: P,
}

impl<P: fmt::Display> fmt::Display for LineProblem<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.problem)
        } else {
            write!(f, "第{}行：{}", self.line, self.problem)
        }
    }
}

/// The catalogue of review items, in the order the association lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewItemCatalogue {
    items: Vec<ReviewItem>,
    by_code: BTreeMap<ReviewItemCode, usize>,
}

impl ReviewItemCatalogue {
    /// A catalogue of the given items; codes must be unique and the list non-empty.
    pub fn new(items: Vec<ReviewItem>) -> Result<ReviewItemCatalogue, CatalogueProblem> {
        if items.is_empty() {
            return Err(CatalogueProblem::Empty);
        }
        let mut by_code = BTreeMap::new();
        for (i, item) in items.iter().enumerate() {
            if by_code.insert(item.code.clone(), i).is_some() {
                return Err(CatalogueProblem::DuplicateCode(item.code.0.clone()));
            }
        }
        Ok(ReviewItemCatalogue { items, by_code })
    }

    /// Parses the CSV layout `code,name,category` (header line required, `#` comments
    /// allowed). Every problem is reported, each with its line number.
    pub fn parse_csv(
        text: &str,
    ) -> Result<ReviewItemCatalogue, Vec<LineProblem<CatalogueProblem>>> {
        let records = csv::records(text).map_err(|e| {
            vec![LineProblem {
                line: e.line,
                problem: CatalogueProblem::UnterminatedQuote,
            }]
        })?;
        let mut records = records.into_iter();
        let header_ok = records.next().is_some_and(|r| {
            r.fields.iter().map(|f| f.trim()).collect::<Vec<_>>() == ["code", "name", "category"]
        });
        if !header_ok {
            return Err(vec![LineProblem {
                line: 0,
                problem: CatalogueProblem::Header,
            }]);
        }
        let mut problems = Vec::new();
        let mut items = Vec::new();
        let mut seen = BTreeMap::new();
        for record in records {
            let line = record.line;
            let parsed = match record.fields.as_slice() {
                [code, name, category] => ReviewItemCode::parse(code)
                    .and_then(|code| ReviewItem::new(code, name, category)),
                other => Err(CatalogueProblem::FieldCount(other.len())),
            };
            match parsed {
                Ok(item) => {
                    if seen.insert(item.code.clone(), line).is_some() {
                        problems.push(LineProblem {
                            line,
                            problem: CatalogueProblem::DuplicateCode(item.code.0.clone()),
                        });
                    } else {
                        items.push(item);
                    }
                }
                Err(problem) => problems.push(LineProblem { line, problem }),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Self::new(items).map_err(|problem| vec![LineProblem { line: 0, problem }])
    }

    /// The items, in catalogue order.
    pub fn items(&self) -> &[ReviewItem] {
        &self.items
    }

    /// The item with this code.
    pub fn get(&self, code: &ReviewItemCode) -> Option<&ReviewItem> {
        self.by_code.get(code).and_then(|&i| self.items.get(i))
    }

    /// The item's place in the catalogue's order; `usize::MAX` for a code it does not hold
    /// (after every known item).
    pub fn position(&self, code: &ReviewItemCode) -> usize {
        self.by_code.get(code).copied().unwrap_or(usize::MAX)
    }

    /// The Chinese name of the item with this code, or the code itself if it is unknown.
    pub fn name_of<'a>(&'a self, code: &'a ReviewItemCode) -> &'a str {
        self.get(code).map_or(code.as_str(), ReviewItem::name)
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Always false: a catalogue has at least one item.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = include_str!("../../../fixtures/review-items.csv");

    #[test]
    fn the_sample_catalogue_has_26_items() {
        let catalogue = ReviewItemCatalogue::parse_csv(SAMPLE).unwrap();
        assert_eq!(catalogue.len(), 26);
        let code = ReviewItemCode::parse("rq-zz").unwrap();
        assert_eq!(catalogue.name_of(&code), "压力容器制造");
        assert_eq!(catalogue.get(&code).unwrap().category(), "压力容器");
        let categories: std::collections::BTreeSet<&str> =
            catalogue.items().iter().map(ReviewItem::category).collect();
        assert_eq!(categories.len(), 11);
    }

    #[test]
    fn every_bad_line_is_reported() {
        let text = "code,name,category\nA1,甲,类\nb c,乙,类\nA1,丙,类\nA2,,类\nA3,丁\n";
        let problems = ReviewItemCatalogue::parse_csv(text).unwrap_err();
        let found: Vec<(usize, &str)> = problems
            .iter()
            .map(|p| (p.line, p.problem.code()))
            .collect();
        assert_eq!(
            found,
            vec![
                (3, "catalogue.bad_code"),
                (4, "catalogue.duplicate_code"),
                (5, "catalogue.bad_name"),
                (6, "catalogue.field_count"),
            ]
        );
        assert_eq!(
            problems[1].to_string(),
            "第4行：评审项目代码“A1”重复".to_owned()
        );
        assert_eq!(
            ReviewItemCatalogue::parse_csv("id,name\n").unwrap_err()[0].problem,
            CatalogueProblem::Header
        );
    }
}
