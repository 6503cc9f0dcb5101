//! What a change of a registration cycle's dates may not do (issue "One truth across
//! time", point 4: cycles that can't be bent).
//!
//! A cycle's dates are facts other records were made from: a registration of the cycle
//! lasts at most to its end; a certificate edition made for the cycle is printed valid to
//! its end, and a card to the end of the registrations it shows; a course's hours count in
//! the cycle containing its last day. Moving the dates afterwards would leave registrations
//! valid outside their cycle, printed documents disagreeing with the register, and hours
//! moved from one cycle to another without a word. So a change of the dates is refused
//! while anything bound to the cycle would no longer fit, and the refusal names what
//! ([`check_change`]); a change of the name or the policy alone is always allowed.
//!
//! What is bound to a cycle ([`CycleBindings`]) is loaded through
//! [`crate::ports::RegisterTx::bound_to_cycle`], for the days of the old and the new dates
//! together ([`days_concerned`]).

use time::Date;

use crate::cycle::RegistrationCycle;
use crate::date::format_date;
use crate::document::{DocumentKind, serial_of};
use crate::ids::{CourseId, DocumentId, HoldingId};
use crate::person::PersonName;
use crate::review_item::{ReviewItemCatalogue, ReviewItemCode};
use crate::text::Text;
use crate::violation::{Violation, Violations, ok_or_violations};

/// How many records a refusal names by name; the rest are counted.
pub const EXAMPLES: usize = 3;

/// A registration of the cycle: one of the registration history, or a holding's current
/// registration (the same registration in both is one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundRegistration {
    /// The holding registered.
    pub holding: HoldingId,
    /// The person's name.
    pub name: PersonName,
    /// The person's ID number, masked (`110105********002X`).
    pub masked_id: String,
    /// The item registered.
    pub item: ReviewItemCode,
    /// The first day of validity.
    pub valid_from: Date,
    /// The last day of validity.
    pub valid_until: Date,
}

/// An edition of a certificate or card, not void, whose validity ends within the days
/// concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundDocument {
    /// The edition.
    pub id: DocumentId,
    /// Certificate or card.
    pub kind: DocumentKind,
    /// The person's name.
    pub name: PersonName,
    /// The person's ID number, masked.
    pub masked_id: String,
    /// The last day it is valid, as printed.
    pub valid_until: Date,
}

/// A training course whose last day (the day that decides the cycle its hours count in)
/// lies within the days concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundCourse {
    /// The course (its number).
    pub id: CourseId,
    /// Its name.
    pub name: Text,
    /// Its last day.
    pub end: Date,
}

/// What a change of one cycle's dates may concern, as
/// [`crate::ports::RegisterTx::bound_to_cycle`] loads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleBindings {
    /// Every registration of the cycle, whatever the holding's state now: the history
    /// must stay true.
    pub registrations: Vec<BoundRegistration>,
    /// Every edition not void whose validity ends within the days concerned.
    pub documents: Vec<BoundDocument>,
    /// Every course whose last day lies within the days concerned.
    pub courses: Vec<BoundCourse>,
}

/// The days a change of `old` to `[new_start, new_end]` concerns: from the earlier start
/// to the later end. What is bound to the cycle is loaded for these days.
pub fn days_concerned(old: &RegistrationCycle, new_start: Date, new_end: Date) -> (Date, Date) {
    (old.start().min(new_start), old.end().max(new_end))
}

/// Whether a cycle changed from `old` to `new` (the same cycle, edited) leaves everything
/// bound to it in place; otherwise every reason at once, each with a count and the first
/// [`EXAMPLES`] records by name.
///
/// When the dates are unchanged, nothing is checked (a new name or policy is allowed).
/// Otherwise the change is refused when:
///
/// - a registration of the cycle would not fit in the new dates (it starts before the new
///   start or ends after the new end). A registration ending on the old end does not fit a
///   shortened cycle; when the cycle is lengthened it still fits, but it is **not**
///   extended: it keeps its last day, and is renewed as usual;
/// - an edition made for the cycle (its validity ends within the old dates) would end
///   outside the new ones; and, when the end moves, a certificate edition printed valid to
///   the old end (a certificate runs to the end of its cycle);
/// - a course's last day lies within the old dates and outside the new ones (its hours
///   would move out of the cycle), or outside the old and within the new (they would move
///   in).
pub fn check_change(
    old: &RegistrationCycle,
    new: &RegistrationCycle,
    bound: &CycleBindings,
    catalogue: &ReviewItemCatalogue,
) -> Result<(), Violations> {
    if old.start() == new.start() && old.end() == new.end() {
        return Ok(());
    }
    let mut problems = Vec::new();

    let mut registrations: Vec<&BoundRegistration> = bound
        .registrations
        .iter()
        .filter(|r| r.valid_from < new.start() || r.valid_until > new.end())
        .collect();
    registrations.sort_by_key(|r| (r.valid_until, r.holding));
    registrations.dedup_by_key(|r| (r.holding, r.valid_from, r.valid_until));
    if let Some((count, examples)) = listed(&registrations, |r| {
        format!(
            "{}（{}）{} 有效期 {} 至 {}",
            r.name.as_str(),
            r.masked_id,
            catalogue.name_of(&r.item),
            format_date(r.valid_from),
            format_date(r.valid_until)
        )
    }) {
        problems.push(Violation::CycleChangeRegistrations { count, examples });
    }

    let end_moves = old.end() != new.end();
    let mut documents: Vec<&BoundDocument> = bound
        .documents
        .iter()
        .filter(|d| old.contains(d.valid_until))
        .filter(|d| {
            !new.contains(d.valid_until)
                || (end_moves && d.kind == DocumentKind::Certificate && d.valid_until == old.end())
        })
        .collect();
    documents.sort_by_key(|d| d.id);
    if let Some((count, examples)) = listed(&documents, |d| {
        format!(
            "{}（{}）{} {} 有效期至 {}",
            d.name.as_str(),
            d.masked_id,
            d.kind.label(),
            serial_of(d.kind, d.id),
            format_date(d.valid_until)
        )
    }) {
        problems.push(Violation::CycleChangeDocuments { count, examples });
    }

    let mut courses: Vec<&BoundCourse> = bound.courses.iter().collect();
    courses.sort_by_key(|c| (c.end, c.id));
    let course = |c: &&BoundCourse| {
        format!(
            "“{}”（编号 {}，结束于 {}）",
            c.name.as_str(),
            c.id.get(),
            format_date(c.end)
        )
    };
    let moved_out: Vec<&BoundCourse> = courses
        .iter()
        .copied()
        .filter(|c| old.contains(c.end) && !new.contains(c.end))
        .collect();
    if let Some((count, examples)) = listed(&moved_out, course) {
        problems.push(Violation::CycleChangeCoursesOut { count, examples });
    }
    let moved_in: Vec<&BoundCourse> = courses
        .iter()
        .copied()
        .filter(|c| !old.contains(c.end) && new.contains(c.end))
        .collect();
    if let Some((count, examples)) = listed(&moved_in, course) {
        problems.push(Violation::CycleChangeCoursesIn { count, examples });
    }

    ok_or_violations((), problems)
}

/// The count of `records` and the first [`EXAMPLES`] of them, described and joined with
/// “、”, ending in “等” when some are left out; `None` when there are none.
fn listed<T>(records: &[T], describe: impl Fn(&T) -> String) -> Option<(usize, String)> {
    if records.is_empty() {
        return None;
    }
    let mut examples = records
        .iter()
        .take(EXAMPLES)
        .map(describe)
        .collect::<Vec<_>>()
        .join("、");
    if records.len() > EXAMPLES {
        examples.push_str(" 等");
    }
    Some((records.len(), examples))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::CycleId;
    use crate::policy::Policy;
    use time::macros::date;

    fn cycle(start: Date, end: Date) -> RegistrationCycle {
        RegistrationCycle::new(
            CycleId::new(1),
            Text::parse("2025—2028", 40).unwrap(),
            start,
            end,
            Policy::default(),
        )
        .unwrap()
    }

    fn registration(holding: i64, from: Date, until: Date) -> BoundRegistration {
        BoundRegistration {
            holding: HoldingId::new(holding),
            name: PersonName::parse("张伟").unwrap(),
            masked_id: "110105********002X".into(),
            item: ReviewItemCode::parse("GL-ZZ").unwrap(),
            valid_from: from,
            valid_until: until,
        }
    }

    fn document(id: i64, kind: DocumentKind, until: Date) -> BoundDocument {
        BoundDocument {
            id: DocumentId::new(id),
            kind,
            name: PersonName::parse("张伟").unwrap(),
            masked_id: "110105********002X".into(),
            valid_until: until,
        }
    }

    fn course(id: i64, end: Date) -> BoundCourse {
        BoundCourse {
            id: CourseId::new(id),
            name: Text::parse("锅炉培训班", 100).unwrap(),
            end,
        }
    }

    fn codes(result: Result<(), Violations>) -> Vec<&'static str> {
        result.err().map(|v| v.codes()).unwrap_or_default()
    }

    fn catalogue() -> ReviewItemCatalogue {
        crate::fixtures::review_items().unwrap()
    }

    #[test]
    fn unchanged_dates_are_never_refused() {
        let old = cycle(date!(2025 - 01 - 01), date!(2028 - 12 - 31));
        let bound = CycleBindings {
            registrations: vec![registration(
                1,
                date!(2024 - 01 - 01),
                date!(2030 - 01 - 01),
            )],
            documents: vec![],
            courses: vec![course(1, date!(2026 - 05 - 01))],
        };
        assert_eq!(check_change(&old, &old, &bound, &catalogue()), Ok(()));
    }

    #[test]
    fn a_registration_to_the_old_end_binds_the_end_but_is_not_extended() {
        let old = cycle(date!(2025 - 01 - 01), date!(2028 - 12 - 31));
        let bound = CycleBindings {
            registrations: vec![
                registration(1, date!(2025 - 03 - 01), date!(2028 - 12 - 31)),
                // The same registration, as the holding's current one: counted once.
                registration(1, date!(2025 - 03 - 01), date!(2028 - 12 - 31)),
                registration(2, date!(2025 - 03 - 01), date!(2027 - 06 - 30)),
            ],
            ..CycleBindings::default()
        };
        let shorter = cycle(date!(2025 - 01 - 01), date!(2028 - 06 - 30));
        let refused = check_change(&old, &shorter, &bound, &catalogue()).unwrap_err();
        assert_eq!(refused.codes(), ["cycle.change_registrations"]);
        assert_eq!(
            refused.to_string(),
            "周期日期修改后，1 项注册的有效期将超出本周期：\
             张伟（110105********002X）锅炉制造 有效期 2025-03-01 至 2028-12-31"
        );
        let longer = cycle(date!(2025 - 01 - 01), date!(2029 - 06 - 30));
        assert_eq!(check_change(&old, &longer, &bound, &catalogue()), Ok(()));
        let later_start = cycle(date!(2025 - 04 - 01), date!(2028 - 12 - 31));
        assert_eq!(
            codes(check_change(&old, &later_start, &bound, &catalogue())),
            ["cycle.change_registrations"]
        );
    }

    #[test]
    fn certificates_of_the_cycle_bind_its_end() {
        let old = cycle(date!(2025 - 01 - 01), date!(2028 - 12 - 31));
        let bound = CycleBindings {
            documents: vec![
                document(5, DocumentKind::Certificate, date!(2028 - 12 - 31)),
                document(6, DocumentKind::Card, date!(2028 - 12 - 31)),
                // Of the cycle before: not this cycle's.
                document(7, DocumentKind::Certificate, date!(2024 - 12 - 31)),
            ],
            ..CycleBindings::default()
        };
        // Lengthened: the certificate printed to the old end no longer matches; the card
        // matches its registrations, which are not extended.
        let longer = cycle(date!(2025 - 01 - 01), date!(2029 - 06 - 30));
        let refused = check_change(&old, &longer, &bound, &catalogue()).unwrap_err();
        assert_eq!(refused.codes(), ["cycle.change_documents"]);
        assert!(refused.to_string().contains("资格证书 ZS00000005"));
        assert!(!refused.to_string().contains("KP00000006"));
        // Shortened: both end after the new end.
        let shorter = cycle(date!(2025 - 01 - 01), date!(2028 - 06 - 30));
        let refused = check_change(&old, &shorter, &bound, &catalogue()).unwrap_err();
        assert!(refused.to_string().contains("2 份证件"));
        // Only the start moves: nothing printed changes.
        let later_start = cycle(date!(2025 - 02 - 01), date!(2028 - 12 - 31));
        assert_eq!(
            check_change(&old, &later_start, &bound, &catalogue()),
            Ok(())
        );
    }

    #[test]
    fn hours_may_move_neither_out_nor_in() {
        let old = cycle(date!(2025 - 01 - 01), date!(2028 - 12 - 31));
        let bound = CycleBindings {
            courses: vec![
                course(3, date!(2025 - 01 - 15)),
                course(4, date!(2029 - 03 - 01)),
                course(8, date!(2026 - 06 - 01)),
            ],
            ..CycleBindings::default()
        };
        let moved = cycle(date!(2025 - 02 - 01), date!(2029 - 06 - 30));
        let refused = check_change(&old, &moved, &bound, &catalogue()).unwrap_err();
        assert_eq!(
            refused.codes(),
            ["cycle.change_courses_out", "cycle.change_courses_in"]
        );
        assert!(
            refused
                .to_string()
                .contains("“锅炉培训班”（编号 3，结束于 2025-01-15）")
        );
        let within = cycle(date!(2025 - 01 - 01), date!(2029 - 01 - 31));
        assert_eq!(check_change(&old, &within, &bound, &catalogue()), Ok(()));
    }

    #[test]
    fn a_refusal_counts_all_and_names_the_first_few() {
        let old = cycle(date!(2025 - 01 - 01), date!(2028 - 12 - 31));
        let bound = CycleBindings {
            registrations: (1..=12)
                .map(|h| registration(h, date!(2025 - 03 - 01), date!(2028 - 12 - 31)))
                .collect(),
            ..CycleBindings::default()
        };
        let shorter = cycle(date!(2025 - 01 - 01), date!(2027 - 12 - 31));
        let message = check_change(&old, &shorter, &bound, &catalogue())
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with("周期日期修改后，12 项注册"),
            "{message}"
        );
        assert_eq!(message.matches("张伟").count(), EXAMPLES);
        assert!(message.ends_with(" 等"), "{message}");
    }

    #[test]
    fn the_days_concerned_span_both_dates() {
        let old = cycle(date!(2025 - 01 - 01), date!(2028 - 12 - 31));
        assert_eq!(
            days_concerned(&old, date!(2025 - 03 - 01), date!(2029 - 06 - 30)),
            (date!(2025 - 01 - 01), date!(2029 - 06 - 30))
        );
    }
}
