//! The figures the association's and an institution's workspaces lead with, decided here
//! from plain rows the storage reads: who will still be registered for each item at each
//! institution in 3, 6 and 12 months if nobody renews (and which institution is about to
//! have nobody left for an item it registers), how many registrations end soon, the age
//! profile of the registered assessors against the policy's two age limits, and the
//! registrations in force month by month.
//!
//! A registration counts on a day when its period covers the day (`valid_from ≤ day ≤
//! valid_until`); its end is already the earlier of the cycle's end and the day before the
//! 70th birthday (see [`crate::registration`]), so the forecast needs nothing else. A
//! renewal already made (a period of the next cycle) counts: it exists.

use std::collections::{BTreeMap, BTreeSet};

use time::Date;

use crate::date::{add_months, full_years};
use crate::ids::{InstitutionId, PersonId};
use crate::review_item::{ReviewItemCatalogue, ReviewItemCode};

/// The months ahead of each forecast column after today.
pub const HORIZON_MONTHS: [u32; 3] = [3, 6, 12];

/// One registration period of a person's item at an institution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The institution.
    pub institution: InstitutionId,
    /// The review item.
    pub item: ReviewItemCode,
    /// The person.
    pub person: PersonId,
    /// The first day of validity.
    pub valid_from: Date,
    /// The last day of validity.
    pub valid_until: Date,
    /// The day the institution released the item, which ends the period that day.
    pub released_on: Option<Date>,
}

impl Span {
    /// Whether the registration was in force on `day`: its period covers the day, and the
    /// item was not released by then.
    pub fn covers(&self, day: Date) -> bool {
        self.valid_from <= day
            && day <= self.valid_until
            && self.released_on.is_none_or(|released| day < released)
    }
}

/// The days of the coverage columns: today, then [`HORIZON_MONTHS`] later.
pub fn horizons(today: Date) -> [Date; 4] {
    let [a, b, c] = HORIZON_MONTHS;
    [
        today,
        add_months(today, a as i32),
        add_months(today, b as i32),
        add_months(today, c as i32),
    ]
}

/// The registered assessors of one item at one institution, today and at each horizon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageRow {
    /// The institution.
    pub institution: InstitutionId,
    /// The review item.
    pub item: ReviewItemCode,
    /// People registered on each day of [`horizons`].
    pub counts: [u32; 4],
}

impl CoverageRow {
    /// The first horizon (in months from today) at which nobody is left, while somebody is
    /// registered today: the institution is about to lose its last assessor of the item.
    pub fn runs_out_within(&self) -> Option<u32> {
        if self.counts[0] == 0 {
            return None;
        }
        self.counts[1..]
            .iter()
            .zip(HORIZON_MONTHS)
            .find(|(count, _)| **count == 0)
            .map(|(_, months)| months)
    }
}

/// Registered assessors per (institution, item), today and at each horizon, of every pair
/// with somebody registered on one of those days; ordered by institution, then item code.
pub fn coverage(spans: &[Span], today: Date) -> Vec<CoverageRow> {
    let days = horizons(today);
    let mut people: BTreeMap<(InstitutionId, &ReviewItemCode), [BTreeSet<PersonId>; 4]> =
        BTreeMap::new();
    for span in spans {
        let sets = people.entry((span.institution, &span.item)).or_default();
        for (set, day) in sets.iter_mut().zip(days) {
            if span.covers(day) {
                set.insert(span.person);
            }
        }
    }
    people
        .into_iter()
        .map(|((institution, item), sets)| CoverageRow {
            institution,
            item: item.clone(),
            counts: sets.map(|s| u32::try_from(s.len()).unwrap_or(u32::MAX)),
        })
        .filter(|row| row.counts.iter().any(|c| *c > 0))
        .collect()
}

/// The registered assessors of one item, every institution together, today and at each
/// horizon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemCoverage {
    /// The review item.
    pub item: ReviewItemCode,
    /// People registered on each day of [`horizons`].
    pub counts: [u32; 4],
}

/// The coverage rows summed per item, in the catalogue's order (an item is held at one
/// institution at a time, so a person counts once per item).
pub fn per_item(rows: &[CoverageRow], catalogue: &ReviewItemCatalogue) -> Vec<ItemCoverage> {
    let mut totals: BTreeMap<&ReviewItemCode, [u32; 4]> = BTreeMap::new();
    for row in rows {
        let total = totals.entry(&row.item).or_default();
        for (t, c) in total.iter_mut().zip(row.counts) {
            *t = t.saturating_add(c);
        }
    }
    let mut out: Vec<ItemCoverage> = totals
        .into_iter()
        .map(|(item, counts)| ItemCoverage {
            item: item.clone(),
            counts,
        })
        .collect();
    out.sort_by_key(|c| catalogue.position(&c.item));
    out
}

/// The months of the "ending soon" figures.
pub const ENDING_MONTHS: [u32; 3] = [1, 3, 12];

/// How many of the registrations whose last day is `ends` end within 1, 3 and 12 months
/// of `today` (from today, inclusive, to the day before the same date that many months
/// later).
pub fn ending_within(ends: &[Date], today: Date) -> [u32; 3] {
    ENDING_MONTHS.map(|months| {
        let limit = add_months(today, months as i32);
        let n = ends.iter().filter(|d| today <= **d && **d < limit).count();
        u32::try_from(n).unwrap_or(u32::MAX)
    })
}

/// The last day of the "ending within `months`" window that starts `today`.
pub fn ending_window_end(today: Date, months: u32) -> Date {
    add_months(today, months as i32)
        .previous_day()
        .unwrap_or(today)
}

/// A band of ages of the age profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgeBand {
    /// The band, in words (`60–64 岁`).
    pub label: String,
    /// The youngest age of the band.
    pub from: u32,
    /// The people in it.
    pub count: u32,
    /// Whether the band is at or past the certificate's renewal age limit (65 by default).
    pub past_renewal_limit: bool,
}

/// The registered assessors by age today, in five-year bands from under 40 up to the
/// registration age limit, with the bands at or past the renewal age limit marked. The
/// band edges follow the two limits of the policy, whatever they are.
pub fn age_profile(
    births: &[Date],
    today: Date,
    renewal_limit: u32,
    registration_limit: u32,
) -> Vec<AgeBand> {
    let mut edges: Vec<u32> = (40..registration_limit).step_by(5).collect();
    edges.push(renewal_limit);
    edges.push(registration_limit);
    edges.sort_unstable();
    edges.dedup();
    let ages: Vec<u32> = births.iter().map(|b| full_years(*b, today)).collect();
    let mut bands = Vec::with_capacity(edges.len() + 1);
    let mut from = 0;
    for &to in &edges {
        let count = ages.iter().filter(|a| from <= **a && **a < to).count();
        bands.push(AgeBand {
            label: if from == 0 {
                format!("{to} 岁以下")
            } else {
                format!("{from}–{} 岁", to - 1)
            },
            from,
            count: u32::try_from(count).unwrap_or(u32::MAX),
            past_renewal_limit: from >= renewal_limit,
        });
        from = to;
    }
    let count = ages.iter().filter(|a| **a >= from).count();
    bands.push(AgeBand {
        label: format!("{from} 岁及以上"),
        from,
        count: u32::try_from(count).unwrap_or(u32::MAX),
        past_renewal_limit: true,
    });
    bands
}

/// The days of a month-by-month series: the first day of each of the `before` months
/// before today's, today itself (for today's month), and the first day of each of the
/// `after` months after it.
pub fn month_points(today: Date, before: u32, after: u32) -> Vec<Date> {
    let first = today.replace_day(1).unwrap_or(today);
    (-(before as i32)..=(after as i32))
        .map(|n| if n == 0 { today } else { add_months(first, n) })
        .collect()
}

/// The registrations (person and item at an institution) in force on each day.
pub fn in_force_on(spans: &[Span], days: &[Date]) -> Vec<u32> {
    days.iter()
        .map(|day| {
            u32::try_from(spans.iter().filter(|s| s.covers(*day)).count()).unwrap_or(u32::MAX)
        })
        .collect()
}

/// The registrations in force on each day, per item (every item with one on some day), in
/// the catalogue's order.
pub fn in_force_by_item(
    spans: &[Span],
    days: &[Date],
    catalogue: &ReviewItemCatalogue,
) -> Vec<(ReviewItemCode, Vec<u32>)> {
    let mut per: BTreeMap<&ReviewItemCode, Vec<u32>> = BTreeMap::new();
    for span in spans {
        let counts = per.entry(&span.item).or_insert_with(|| vec![0; days.len()]);
        for (count, day) in counts.iter_mut().zip(days) {
            if span.covers(*day) {
                *count = count.saturating_add(1);
            }
        }
    }
    let mut out: Vec<(ReviewItemCode, Vec<u32>)> = per
        .into_iter()
        .filter(|(_, counts)| counts.iter().any(|c| *c > 0))
        .map(|(item, counts)| (item.clone(), counts))
        .collect();
    out.sort_by_key(|(item, _)| catalogue.position(item));
    out
}

/// Editions mailed in each month starting on `months[i]` (up to the next one, the last
/// up to its month's end): how many on or before their due day, how many after. An
/// edition whose due day cannot be counted yet counts as on time.
pub fn mailed_on_time(mailed: &[(Date, Option<Date>)], months: &[Date]) -> Vec<(u32, u32)> {
    months
        .iter()
        .map(|start| {
            let end = add_months(*start, 1);
            let mut on_time = 0;
            let mut late = 0;
            for (on, due) in mailed.iter().filter(|(on, _)| start <= on && *on < end) {
                if due.is_some_and(|d| *on > d) {
                    late += 1;
                } else {
                    on_time += 1;
                }
            }
            (on_time, late)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn span(institution: i64, item: &str, person: i64, from: Date, until: Date) -> Span {
        Span {
            institution: InstitutionId::new(institution),
            item: ReviewItemCode::parse(item).unwrap(),
            person: PersonId::new(person),
            valid_from: from,
            valid_until: until,
            released_on: None,
        }
    }

    #[test]
    fn coverage_counts_people_on_each_horizon_and_finds_the_last_assessor_leaving() {
        let today = date!(2026 - 11 - 30);
        let spans = [
            // one assessor to the cycle's end, one to a 70th birthday in January
            span(1, "RQ-ZZ", 1, date!(2025 - 01 - 01), date!(2028 - 12 - 31)),
            span(1, "RQ-ZZ", 2, date!(2025 - 01 - 01), date!(2027 - 01 - 19)),
            // the only assessor of GL-ZZ at institution 2 leaves on the horizon's day's eve
            span(2, "GL-ZZ", 3, date!(2025 - 01 - 01), date!(2027 - 05 - 29)),
            // a renewal already made for the next cycle counts from its first day
            span(2, "DT-ZZ", 4, date!(2025 - 01 - 01), date!(2026 - 12 - 31)),
            span(2, "DT-ZZ", 4, date!(2027 - 01 - 01), date!(2030 - 12 - 31)),
            // ended last year: no row
            span(3, "QZ-ZZ", 5, date!(2021 - 01 - 01), date!(2024 - 12 - 31)),
        ];
        let rows = coverage(&spans, today);
        let counts: Vec<(&str, [u32; 4], Option<u32>)> = rows
            .iter()
            .map(|r| (r.item.as_str(), r.counts, r.runs_out_within()))
            .collect();
        assert_eq!(
            counts,
            [
                ("RQ-ZZ", [2, 1, 1, 1], None),
                ("DT-ZZ", [1, 1, 1, 1], None),
                ("GL-ZZ", [1, 1, 0, 0], Some(6)),
            ]
        );
        assert_eq!(
            horizons(today),
            [
                today,
                date!(2027 - 02 - 28),
                date!(2027 - 05 - 30),
                date!(2027 - 11 - 30)
            ]
        );
    }

    #[test]
    fn ending_windows_include_today_and_stop_before_the_same_day_months_later() {
        let today = date!(2026 - 11 - 30);
        let ends = [
            date!(2026 - 11 - 29), // ended yesterday: not ending
            today,
            date!(2026 - 12 - 29),
            date!(2026 - 12 - 30), // a month later to the day: outside the month
            date!(2027 - 02 - 27),
            date!(2027 - 11 - 29),
            date!(2027 - 11 - 30),
        ];
        assert_eq!(ending_within(&ends, today), [2, 4, 5]);
        assert_eq!(ending_window_end(today, 1), date!(2026 - 12 - 29));
    }

    #[test]
    fn the_age_profile_follows_the_policy_limits() {
        let today = date!(2026 - 11 - 30);
        let births = [
            date!(1990 - 01 - 01), // 36
            date!(1961 - 12 - 01), // 64
            date!(1961 - 11 - 30), // 65 today
            date!(1957 - 12 - 01), // 68
        ];
        let bands = age_profile(&births, today, 65, 70);
        let shown: Vec<(&str, u32, bool)> = bands
            .iter()
            .map(|b| (b.label.as_str(), b.count, b.past_renewal_limit))
            .collect();
        assert_eq!(shown[0], ("40 岁以下", 1, false));
        assert!(shown.contains(&("60–64 岁", 1, false)));
        assert!(shown.contains(&("65–69 岁", 2, true)));
        assert_eq!(shown.last(), Some(&("70 岁及以上", 0, true)));
        assert_eq!(bands.iter().map(|b| b.count).sum::<u32>(), 4);
    }

    #[test]
    fn editions_mailed_on_time_or_late_by_month() {
        let months = [date!(2026 - 10 - 01), date!(2026 - 11 - 01)];
        let mailed = [
            (date!(2026 - 10 - 05), Some(date!(2026 - 10 - 05))), // on its due day
            (date!(2026 - 10 - 31), Some(date!(2026 - 10 - 20))), // late
            (date!(2026 - 11 - 02), None),                        // no due day yet
            (date!(2026 - 09 - 30), Some(date!(2026 - 09 - 01))), // before the months
        ];
        assert_eq!(mailed_on_time(&mailed, &months), [(1, 1), (1, 0)]);
    }

    #[test]
    fn registrations_in_force_by_month() {
        let today = date!(2026 - 11 - 30);
        let months = month_points(today, 2, 1);
        assert_eq!(
            months,
            [
                date!(2026 - 09 - 01),
                date!(2026 - 10 - 01),
                today,
                date!(2026 - 12 - 01)
            ]
        );
        let spans = [
            span(1, "RQ-ZZ", 1, date!(2026 - 10 - 01), date!(2026 - 11 - 15)),
            span(1, "GL-ZZ", 1, date!(2026 - 09 - 01), date!(2028 - 12 - 31)),
        ];
        assert_eq!(in_force_on(&spans, &months), [1, 2, 1, 1]);
        let catalogue = crate::fixtures::review_items().unwrap();
        let by_item = in_force_by_item(&spans, &months, &catalogue);
        assert_eq!(by_item.len(), 2);
        let total: Vec<u32> = (0..months.len())
            .map(|m| by_item.iter().map(|(_, c)| c[m]).sum())
            .collect();
        assert_eq!(total, in_force_on(&spans, &months), "the items add up");
    }

    #[test]
    fn per_item_sums_the_institutions() {
        let today = date!(2026 - 11 - 30);
        let spans = [
            span(1, "RQ-ZZ", 1, date!(2025 - 01 - 01), date!(2028 - 12 - 31)),
            span(2, "RQ-ZZ", 2, date!(2025 - 01 - 01), date!(2027 - 01 - 19)),
            span(2, "GL-ZZ", 3, date!(2025 - 01 - 01), date!(2027 - 05 - 29)),
        ];
        let catalogue = crate::fixtures::review_items().unwrap();
        let rows = per_item(&coverage(&spans, today), &catalogue);
        let shown: Vec<(&str, [u32; 4])> =
            rows.iter().map(|r| (r.item.as_str(), r.counts)).collect();
        assert!(shown.contains(&("RQ-ZZ", [2, 1, 1, 1])));
        assert!(shown.contains(&("GL-ZZ", [1, 1, 0, 0])));
        let positions: Vec<usize> = rows
            .iter()
            .map(|r| {
                catalogue
                    .items()
                    .iter()
                    .position(|i| i.code() == &r.item)
                    .unwrap()
            })
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "catalogue order");
    }
}
