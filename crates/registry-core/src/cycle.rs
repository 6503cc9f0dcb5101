//! Registration cycles (注册周期): the periods the association defines, each with its own
//! [`Policy`]. Continuing-education hours accumulate within a cycle, and a registration
//! lasts at most to the end of its cycle.

use time::Date;

use rust_decimal::Decimal;

use crate::date::{add_months, anniversary, format_date, full_years};
use crate::ids::CycleId;
use crate::policy::{LateHours, Policy};
use crate::text::Text;
use crate::violation::{Violation, Violations, ok_or_violations};

/// One registration cycle: `[start, end]`, both days included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationCycle {
    id: CycleId,
    name: Text,
    start: Date,
    end: Date,
    policy: Policy,
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
            },
            problems,
        )
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
