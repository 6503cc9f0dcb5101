//! Working-day queries: the calendar's constant-time answer against a day-by-day loop, on
//! the same random ranges, measured in one run. Run with `cargo xtask bench` (or
//! `cargo bench -p registry-core --bench workdays`).
//!
//! Prints nanoseconds per query for both and their ratio. Reading the clock is what a
//! benchmark does, hence the allowance below; the core itself never does.
#![allow(clippy::disallowed_methods, clippy::print_stdout, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use registry_core::calendar::{WorkCalendar, working_days_day_by_day};
use time::{Date, Duration as Days, Month};

/// A small deterministic generator (xorshift), so both sides see the same ranges.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn ranges(count: usize) -> Vec<(Date, Date)> {
    let first = Date::from_calendar_date(2013, Month::January, 1).unwrap_or(Date::MIN);
    let last = Date::from_calendar_date(2026, Month::December, 31).unwrap_or(Date::MAX);
    let span = (last - first).whole_days() as u64 + 1;
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    (0..count)
        .map(|_| {
            let a = first + Days::days((rng.next() % span) as i64);
            let b = first + Days::days((rng.next() % span) as i64);
            if a <= b { (a, b) } else { (b, a) }
        })
        .collect()
}

fn time_per_query(ranges: &[(Date, Date)], mut query: impl FnMut(Date, Date) -> u32) -> Duration {
    // Warm up, then measure the whole batch a few times and keep the best.
    let mut sum = 0u64;
    for &(a, b) in ranges.iter().take(100) {
        sum += u64::from(query(a, b));
    }
    black_box(sum);
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        let mut sum = 0u64;
        for &(a, b) in ranges {
            sum += u64::from(query(black_box(a), black_box(b)));
        }
        black_box(sum);
        best = best.min(start.elapsed());
    }
    best / ranges.len() as u32
}

fn main() {
    let calendar = match WorkCalendar::parse_csv(registry_core::fixtures::CALENDAR_CSV) {
        Ok(calendar) => calendar,
        Err(problems) => {
            eprintln!("the shipped calendar does not parse: {problems:?}");
            std::process::exit(1);
        }
    };
    let ranges = ranges(20_000);
    let average_days: f64 = ranges
        .iter()
        .map(|(a, b)| (*b - *a).whole_days() as f64 + 1.0)
        .sum::<f64>()
        / ranges.len() as f64;

    let fast = time_per_query(&ranges, |a, b| calendar.working_days(a, b).unwrap_or(0));
    let slow = time_per_query(&ranges, |a, b| {
        working_days_day_by_day(&calendar, a, b).unwrap_or(0)
    });
    let add = time_per_query(&ranges, |a, b| {
        let n = ((b - a).whole_days() % 400) as u32;
        calendar
            .add_working_days(a, n)
            .map(|d| d.day().into())
            .unwrap_or(0)
    });

    println!(
        "working days in [start, end], {} random ranges of the 2013–2026 calendar",
        ranges.len()
    );
    println!("(average range: {average_days:.0} days)");
    println!(
        "  prefix sums (constant time): {:>10.1} ns/query",
        fast.as_nanos() as f64
    );
    println!(
        "  day-by-day loop (baseline):  {:>10.1} ns/query",
        slow.as_nanos() as f64
    );
    println!(
        "  ratio: the day-by-day loop takes {:.0}x the time of the constant-time answer",
        slow.as_nanos() as f64 / fast.as_nanos().max(1) as f64
    );
    println!(
        "  date N working days after (constant time): {:>6.1} ns/query",
        add.as_nanos() as f64
    );
}
