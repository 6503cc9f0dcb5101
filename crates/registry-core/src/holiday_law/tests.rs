//! Tests of the provisional years: 2027 by hand, coinciding festivals, the law against the
//! official 2025 and 2026, the table's parser, deadlines and their estimates.

use super::*;
use crate::calendar::{CalendarEntry, DayKind, WorkCalendar};
use crate::date::format_date;
use crate::review_item::LineProblem;
use proptest::prelude::*;
use time::macros::date;
use time::{Duration, Month};

fn table() -> FestivalTable {
    crate::fixtures::festivals().unwrap()
}

fn official() -> WorkCalendar {
    crate::fixtures::calendar().unwrap()
}

fn listed(entries: &[CalendarEntry]) -> Vec<(Date, &str)> {
    entries.iter().map(|e| (e.date, e.name.as_str())).collect()
}

#[test]
fn the_shipped_table_parses() {
    let table = table();
    assert_eq!(table.years(), 2013..=2100);
    let y2027 = table.year(2027).unwrap();
    assert_eq!(y2027.spring_festival_eve(), date!(2027 - 02 - 05));
    assert_eq!(y2027.spring_festival(), date!(2027 - 02 - 06));
    assert_eq!(y2027.qingming(), date!(2027 - 04 - 05));
    assert_eq!(y2027.dragon_boat(), date!(2027 - 06 - 09));
    assert_eq!(y2027.mid_autumn(), date!(2027 - 09 - 15));
    assert!(table.year(2012).is_none());
    assert!(table.year(2101).is_none());
    assert!(table.year(i32::MIN).is_none());
}

/// 2027, worked out by hand from the law and the table.
#[test]
fn the_days_off_of_2027() {
    let entries = provisional_year(2027, &table()).unwrap();
    assert!(entries.iter().all(|e| e.kind == DayKind::Holiday));
    assert_eq!(
        listed(&entries),
        [
            // 1 January is a Friday: a day off, nothing to make up.
            (date!(2027 - 01 - 01), "元旦"),
            // 除夕 (the last day of the lunar year) is Friday 5 February.
            (date!(2027 - 02 - 05), "春节"),
            // 正月初一 is Saturday 6 February: made up on 9 February (8 February is
            // 初三, already a day off).
            (date!(2027 - 02 - 06), "春节"),
            // 初二 is Sunday 7 February: made up on 10 February (9 February is taken).
            (date!(2027 - 02 - 07), "春节"),
            // 初三 is Monday 8 February: a day off.
            (date!(2027 - 02 - 08), "春节"),
            (date!(2027 - 02 - 09), "春节（补假）"),
            (date!(2027 - 02 - 10), "春节（补假）"),
            // The 清明 solar term falls on Monday 5 April.
            (date!(2027 - 04 - 05), "清明节"),
            // 1 and 2 May are Saturday and Sunday: made up on Monday 3 and Tuesday 4.
            (date!(2027 - 05 - 01), "劳动节"),
            (date!(2027 - 05 - 02), "劳动节"),
            (date!(2027 - 05 - 03), "劳动节（补假）"),
            (date!(2027 - 05 - 04), "劳动节（补假）"),
            // 五月初五 is Wednesday 9 June.
            (date!(2027 - 06 - 09), "端午节"),
            // 八月十五 is Wednesday 15 September.
            (date!(2027 - 09 - 15), "中秋节"),
            // 1 October is a Friday; 2 and 3 October (Saturday, Sunday) are made up on
            // Monday 4 and Tuesday 5.
            (date!(2027 - 10 - 01), "国庆节"),
            (date!(2027 - 10 - 02), "国庆节"),
            (date!(2027 - 10 - 03), "国庆节"),
            (date!(2027 - 10 - 04), "国庆节（补假）"),
            (date!(2027 - 10 - 05), "国庆节（补假）"),
        ]
    );
    // 261 weekdays in 2027, 13 of them off.
    let calendar = WorkCalendar::from_entries(entries).unwrap();
    assert_eq!(calendar.working_days_in_year(2027), Ok(248));
}

/// 中秋 on a day of 国庆节 is made up like a weekend day: each statutory day gives one
/// day off.
#[test]
fn mid_autumn_on_national_day_is_made_up() {
    let table = table();
    // 2031: 中秋 on Wednesday 1 October. 2 and 3 October are days off anyway, 4 and 5
    // October a weekend: 中秋 is made up on Monday 6 October.
    assert_eq!(
        table.year(2031).unwrap().mid_autumn(),
        date!(2031 - 10 - 01)
    );
    let entries = provisional_year(2031, &table).unwrap();
    let october: Vec<_> = listed(&entries)
        .into_iter()
        .filter(|(d, _)| d.month() == Month::October)
        .collect();
    assert_eq!(
        october,
        [
            (date!(2031 - 10 - 01), "国庆节、中秋节"),
            (date!(2031 - 10 - 02), "国庆节"),
            (date!(2031 - 10 - 03), "国庆节"),
            (date!(2031 - 10 - 06), "中秋节（补假）"),
        ]
    );
    // 2028: 中秋 on Tuesday 3 October, 1 October a Sunday. 国庆's Sunday is made up
    // first, on Wednesday 4 October; then 中秋 on Thursday 5 October: a chain.
    assert_eq!(
        table.year(2028).unwrap().mid_autumn(),
        date!(2028 - 10 - 03)
    );
    let entries = provisional_year(2028, &table).unwrap();
    let october: Vec<_> = listed(&entries)
        .into_iter()
        .filter(|(d, _)| d.month() == Month::October)
        .collect();
    assert_eq!(
        october,
        [
            (date!(2028 - 10 - 01), "国庆节"),
            (date!(2028 - 10 - 02), "国庆节"),
            (date!(2028 - 10 - 03), "国庆节、中秋节"),
            (date!(2028 - 10 - 04), "国庆节（补假）"),
            (date!(2028 - 10 - 05), "中秋节（补假）"),
        ]
    );
    // 2028 also has 元旦 on a Saturday and 端午 on a Sunday, each made up on Monday.
    let names = listed(&entries);
    assert!(names.contains(&(date!(2028 - 01 - 03), "元旦（补假）")));
    assert!(names.contains(&(date!(2028 - 05 - 29), "端午节（补假）")));
}

/// The rule of the law against the official calendars of 2025 and 2026, the first two
/// years under the amended law: every day the law gives off (statutory days and
/// make-ups) is off in the official data. The official data moreover bridges holidays
/// to weekends with extra weekdays off, paid back by weekend days worked (调休); in both
/// years these balance, so the yearly count of working days is the same.
#[test]
fn the_law_agrees_with_the_official_2025_and_2026() {
    let official = official();
    let table = table();
    let expected = [
        (
            2025,
            // Bridges: 3–4 February (春节), 5 May (劳动节), 7–8 October (国庆节).
            vec![
                date!(2025 - 02 - 03),
                date!(2025 - 02 - 04),
                date!(2025 - 05 - 05),
                date!(2025 - 10 - 07),
                date!(2025 - 10 - 08),
            ],
            vec![
                date!(2025 - 01 - 26),
                date!(2025 - 02 - 08),
                date!(2025 - 04 - 27),
                date!(2025 - 09 - 28),
                date!(2025 - 10 - 11),
            ],
        ),
        (
            2026,
            // Bridges: 2 January, 20 and 23 February, 5 May, 6–7 October.
            vec![
                date!(2026 - 01 - 02),
                date!(2026 - 02 - 20),
                date!(2026 - 02 - 23),
                date!(2026 - 05 - 05),
                date!(2026 - 10 - 06),
                date!(2026 - 10 - 07),
            ],
            vec![
                date!(2026 - 01 - 04),
                date!(2026 - 02 - 14),
                date!(2026 - 02 - 28),
                date!(2026 - 05 - 09),
                date!(2026 - 09 - 20),
                date!(2026 - 10 - 10),
            ],
        ),
    ];
    for (year, bridges, worked) in expected {
        let law = provisional_year(year, &table).unwrap();
        for entry in &law {
            let listed = official.entries().iter().find(|e| e.date == entry.date);
            assert!(
                listed.is_some_and(|e| e.kind == DayKind::Holiday),
                "{year}: the law gives {} ({}) off, the official calendar does not",
                format_date(entry.date),
                entry.name
            );
        }
        let in_year = |e: &&CalendarEntry| e.date.year() == year;
        let official_bridges: Vec<Date> = official
            .entries()
            .iter()
            .filter(in_year)
            .filter(|e| e.kind == DayKind::Holiday && !is_weekend(e.date))
            .filter(|e| law.iter().all(|l| l.date != e.date))
            .map(|e| e.date)
            .collect();
        let official_worked: Vec<Date> = official
            .entries()
            .iter()
            .filter(in_year)
            .filter(|e| e.kind == DayKind::Workday)
            .map(|e| e.date)
            .collect();
        assert_eq!(official_bridges, bridges, "{year}");
        assert_eq!(official_worked, worked, "{year}");
        let estimate = WorkCalendar::from_entries(law).unwrap();
        assert_eq!(
            estimate.working_days_in_year(year),
            official.working_days_in_year(year),
            "{year}"
        );
    }
}

/// Checks the law's rule on one year's days off; returns the number of make-up days.
fn check_days_off(dates: &FestivalDates) -> usize {
    let statutory = dates.statutory_days();
    assert_eq!(statutory.len(), STATUTORY_DAYS);
    for festival in Festival::ALL {
        let days = statutory.iter().filter(|d| d.festival == festival).count();
        let expected = match festival {
            Festival::SpringFestival => 4,
            Festival::NationalDay => 3,
            Festival::LabourDay => 2,
            _ => 1,
        };
        assert_eq!(days, expected, "{festival}");
    }
    let entries = dates.days_off();
    let statutory_dates: BTreeSet<Date> = statutory.iter().map(|d| d.date).collect();
    let make_ups: Vec<&CalendarEntry> = entries
        .iter()
        .filter(|e| !statutory_dates.contains(&e.date))
        .collect();
    // One entry per date, in order, all in the year, all days off.
    assert!(entries.windows(2).all(|w| w[0].date < w[1].date));
    assert!(entries.iter().all(|e| e.kind == DayKind::Holiday));
    assert!(entries.iter().all(|e| e.date.year() == dates.year()));
    assert_eq!(entries.len(), statutory_dates.len() + make_ups.len());
    // Make-ups are weekdays named after their festival.
    assert!(make_ups.iter().all(|e| !is_weekend(e.date)));
    assert!(make_ups.iter().all(|e| e.name.ends_with("（补假）")));
    // Each statutory day gives exactly one weekday off.
    let weekdays_off = entries.iter().filter(|e| !is_weekend(e.date)).count();
    assert_eq!(weekdays_off, STATUTORY_DAYS);
    // A weekend statutory day, and the second of two on one date, is made up.
    let on_weekend = statutory.iter().filter(|d| is_weekend(d.date)).count();
    let shared_weekdays = statutory.iter().filter(|d| !is_weekend(d.date)).count()
        - statutory_dates.iter().filter(|d| !is_weekend(**d)).count();
    assert_eq!(make_ups.len(), on_weekend + shared_weekdays);
    if statutory_dates.len() == STATUTORY_DAYS {
        assert_eq!(make_ups.len(), on_weekend);
    }
    make_ups.len()
}

#[test]
fn every_year_of_the_table_follows_the_rule() {
    let table = table();
    let mut coinciding = Vec::new();
    for year in table.years() {
        let dates = table.year(year).unwrap();
        check_days_off(dates);
        let distinct: BTreeSet<Date> = dates.statutory_days().iter().map(|d| d.date).collect();
        if distinct.len() < STATUTORY_DAYS {
            coinciding.push(year);
        }
    }
    // Every coincidence in 2013–2100 is 中秋 on 1–3 October.
    assert_eq!(coinciding, [2020, 2028, 2031, 2039, 2058, 2066, 2077, 2085]);
}

fn festival_dates() -> impl Strategy<Value = FestivalDates> {
    (1990i32..2200, 0i64..=30, 3u8..=6, 0i64..=31, 0i64..=32).prop_map(
        |(year, spring, qingming, dragon_boat, mid_autumn)| {
            let spring = ymd(year, 1, 21).unwrap() + Duration::days(spring);
            FestivalDates::new(
                year,
                spring.previous_day().unwrap(),
                spring,
                ymd(year, 4, u32::from(qingming)).unwrap(),
                ymd(year, 5, 26).unwrap() + Duration::days(dragon_boat),
                ymd(year, 9, 6).unwrap() + Duration::days(mid_autumn),
            )
            .unwrap()
        },
    )
}

proptest! {
    /// The rule on festival dates the table never has: every weekday and coincidence.
    #[test]
    fn the_rule_holds_for_any_festival_dates(dates in festival_dates()) {
        check_days_off(&dates);
    }

    /// Within the official years the deadline calendar is the official calendar; past
    /// them its answer is an estimate.
    #[test]
    fn deadlines_follow_the_official_calendar_while_they_can(
        days in 0i64..(14 * 365 + 3),
        count in 0u32..400,
    ) {
        let official = official_cached();
        let deadlines = deadlines_cached();
        let start = date!(2013 - 01 - 01) + Duration::days(days);
        let deadline = deadlines.add_working_days(start, count).unwrap();
        match official.add_working_days(start, count) {
            Ok(due) => {
                prop_assert_eq!(deadline.date(), due);
                prop_assert!(!deadline.is_estimated());
                prop_assert_eq!(deadline.to_string(), format_date(due));
            }
            Err(e) => {
                prop_assert_eq!(e.code(), "calendar.beyond");
                prop_assert!(deadline.is_estimated());
                prop_assert!(deadline.date().year() >= 2027);
                prop_assert!(deadline.to_string().starts_with("预计 "));
            }
        }
    }
}

fn official_cached() -> &'static WorkCalendar {
    static CALENDAR: std::sync::OnceLock<WorkCalendar> = std::sync::OnceLock::new();
    CALENDAR.get_or_init(official)
}

fn deadlines_cached() -> &'static DeadlineCalendar {
    static CALENDAR: std::sync::OnceLock<DeadlineCalendar> = std::sync::OnceLock::new();
    CALENDAR.get_or_init(|| DeadlineCalendar::new(official_cached(), &table()).unwrap())
}

#[test]
fn a_deadline_into_2027_is_an_estimate() {
    let deadlines = DeadlineCalendar::new(&official(), &table()).unwrap();
    assert_eq!(deadlines.official_years(), 2013..=2026);
    assert_eq!(deadlines.provisional_years(), Some(2027..=2028));
    assert!(deadlines.is_provisional(2027));
    assert!(!deadlines.is_provisional(2026));
    assert!(!deadlines.is_provisional(2029));
    assert_eq!(
        deadlines.provisional_entries().first().map(|e| e.date),
        Some(date!(2027 - 01 - 01))
    );
    // Official: the certificate of a list published on 2024-09-20.
    let official_due = deadlines
        .add_working_days(date!(2024 - 09 - 20), 20)
        .unwrap();
    assert_eq!(official_due, Deadline::official(date!(2024 - 10 - 23)));
    assert_eq!(official_due.to_string(), "2024-10-23");
    assert_eq!(official_due.estimate_note(), None);
    // 2026-12-20 (a Sunday): 9 working days in December 2026, 1 January 2027 off,
    // then 4–8, 11–15 and 18 January.
    let due = deadlines
        .add_working_days(date!(2026 - 12 - 20), 20)
        .unwrap();
    assert_eq!(due.date(), date!(2027 - 01 - 18));
    assert!(due.is_estimated());
    assert_eq!(due.provisional_years(), Some(2027..=2027));
    assert_eq!(
        due.to_string(),
        "预计 2027-01-18（2027 年工作日历尚未载入，按法定节假日估算）"
    );
    // Through two provisional years: December 2027, then 元旦 2028 on a Saturday,
    // made up on Monday 3 January.
    let due = deadlines
        .add_working_days(date!(2027 - 12 - 20), 20)
        .unwrap();
    assert_eq!(due.date(), date!(2028 - 01 - 18));
    assert_eq!(
        due.to_string(),
        "预计 2028-01-18（2027、2028 年工作日历尚未载入，按法定节假日估算）"
    );
    // Counting from the last day of 2027 touches 2028 only.
    let due = deadlines
        .add_working_days(date!(2027 - 12 - 31), 1)
        .unwrap();
    assert_eq!(due.date(), date!(2028 - 01 - 04));
    assert_eq!(due.provisional_years(), Some(2028..=2028));
    // A count of 0 is the day itself, an estimate in a provisional year.
    let today = deadlines
        .add_working_days(date!(2027 - 03 - 01), 0)
        .unwrap();
    assert!(today.is_estimated());
    let today = deadlines
        .add_working_days(date!(2026 - 12 - 31), 0)
        .unwrap();
    assert!(!today.is_estimated());
    // Two years of estimate, no more.
    assert_eq!(
        deadlines
            .add_working_days(date!(2028 - 12 - 20), 20)
            .map_err(|e| e.code()),
        Err("calendar.beyond")
    );
    assert_eq!(
        deadlines
            .add_working_days(date!(2029 - 01 - 02), 1)
            .map_err(|e| e.code()),
        Err("calendar.outside")
    );
}

/// Loading the official 2027 calendar removes the estimate: the deadline calendar is
/// rebuilt from it, and the date follows the official data.
#[test]
fn loading_the_official_year_removes_the_estimate() {
    let table = table();
    let mut entries = official().entries().to_vec();
    // A hand-made notice for 2027 (not the real one): 元旦 1–4 January.
    for day in 1..=4 {
        entries.push(CalendarEntry {
            date: ymd(2027, 1, day).unwrap(),
            kind: DayKind::Holiday,
            name: "元旦".to_owned(),
        });
    }
    let official_2027 = WorkCalendar::from_entries(entries).unwrap();
    let deadlines = DeadlineCalendar::new(&official_2027, &table).unwrap();
    assert_eq!(deadlines.official_years(), 2013..=2027);
    assert_eq!(deadlines.provisional_years(), Some(2028..=2029));
    let due = deadlines
        .add_working_days(date!(2026 - 12 - 20), 20)
        .unwrap();
    assert_eq!(due, Deadline::official(date!(2027 - 01 - 19)));
    assert_eq!(due.to_string(), "2027-01-19");
}

#[test]
fn the_table_ends_the_estimate() {
    let rows = "year,chuxi,chunjie,qingming,duanwu,zhongqiu\n\
                2026,2026-02-16,2026-02-17,2026-04-05,2026-06-19,2026-09-25\n\
                2027,2027-02-05,2027-02-06,2027-04-05,2027-06-09,2027-09-15\n";
    let short = FestivalTable::parse_csv(rows).unwrap();
    let deadlines = DeadlineCalendar::new(&official(), &short).unwrap();
    assert_eq!(deadlines.provisional_years(), Some(2027..=2027));
    let none = FestivalTable::parse_csv(
        "year,chuxi,chunjie,qingming,duanwu,zhongqiu\n\
         2026,2026-02-16,2026-02-17,2026-04-05,2026-06-19,2026-09-25\n",
    )
    .unwrap();
    let deadlines = DeadlineCalendar::new(&official(), &none).unwrap();
    assert_eq!(deadlines.provisional_years(), None);
    assert!(deadlines.provisional_entries().is_empty());
    assert_eq!(
        provisional_year(2027, &none).map_err(|e| e.to_string()),
        Err("节日日期表没有2027年（只有2026年至2026年）".to_owned())
    );
}

#[test]
fn bad_tables_are_reported_line_by_line() {
    let text = "# a comment\n\
                year,chuxi,chunjie,qingming,duanwu,zhongqiu\n\
                2027,2027-02-05,2027-02-06,2027-04-05,2027-06-09,2027-09-15\n\
                2027,2027-02-05,2027-02-06,2027-04-05,2027-06-09,2027-09-15\n\
                20x8,2028-01-25,2028-01-26,2028-04-04,2028-05-28,2028-10-03\n\
                2029,2029-02-12,2029-02-14,2029-04-04,2029-06-16,2029-09-22\n\
                2030,2030-02-02,2030-02-03,2030-05-05,2030-06-05,2031-09-12\n\
                2031,2031-01-22,2031-01-23,2031-04-05,2031-06-24,2031-13-01\n";
    let problems = FestivalTable::parse_csv(text).unwrap_err();
    let found: Vec<(usize, &str)> = problems
        .iter()
        .map(|p| (p.line, p.problem.code()))
        .collect();
    assert_eq!(
        found,
        [
            (4, "festivals.duplicate_year"),
            (5, "festivals.bad_year"),
            (6, "festivals.eve"),
            (7, "festivals.wrong_year"),
            (7, "festivals.out_of_season"),
            (8, "festivals.bad_date"),
        ]
    );
    assert_eq!(
        problems[2].to_string(),
        "第6行：除夕 2029-02-12 应为春节（正月初一）2029-02-14 的前一天"
    );
    assert_eq!(
        problems[4].to_string(),
        "第7行：清明节 2030-05-05 不在该节日可能的日期范围内"
    );
    let gap = "year,chuxi,chunjie,qingming,duanwu,zhongqiu\n\
               2027,2027-02-05,2027-02-06,2027-04-05,2027-06-09,2027-09-15\n\
               2029,2029-02-12,2029-02-13,2029-04-04,2029-06-16,2029-09-22\n";
    assert_eq!(
        FestivalTable::parse_csv(gap).unwrap_err(),
        [LineProblem {
            line: 0,
            problem: FestivalProblem::MissingYear(2028)
        }]
    );
    for (text, code) in [
        ("year,chuxi\n", "festivals.header"),
        ("", "festivals.header"),
        (
            "year,chuxi,chunjie,qingming,duanwu,zhongqiu\n",
            "festivals.empty",
        ),
        (
            "year,chuxi,chunjie,qingming,duanwu,zhongqiu\n\"2027,\n",
            "festivals.unterminated_quote",
        ),
    ] {
        assert_eq!(
            FestivalTable::parse_csv(text).unwrap_err()[0]
                .problem
                .code(),
            code,
            "{text:?}"
        );
    }
}
