//! What several instances over one database see of each other's writes (issue 23), on
//! both engines: a commit of one store moves the other's generation on (every copy it
//! keeps in memory is then computed again) within a second.

use std::time::{Duration, Instant};

use crate::on_both_engines;
use crate::support::*;

async fn another_instances_commit_is_seen_within_a_second(db: TestDb) {
    let a = &db.store;
    let b = db.reopen().await;
    cycles(a).await;
    let mut slowest = Duration::ZERO;
    for n in 1..=10u32 {
        // Let B's watch read the head as it is now.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let before = b.generation();
        let committed = Instant::now();
        institution(a, n, &format!("第{n}鉴定评审中心")).await;
        loop {
            if b.generation() != before {
                break;
            }
            assert!(
                committed.elapsed() < Duration::from_secs(1),
                "B did not see A's commit within a second"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        slowest = slowest.max(committed.elapsed());
    }
    assert!(slowest < Duration::from_secs(1), "{slowest:?}");
}

/// A year of the calendar loaded through one store moves the calendar's version the other
/// reads (what tells `registry serve` to read the calendar again); a correction of the same
/// year moves it again; other writes do not.
async fn a_calendar_load_moves_the_calendars_version(db: TestDb) {
    use registry_core::calendar::WorkCalendar;
    use registry_core::usecases::LoadCalendar;
    let a = &db.store;
    let b = db.reopen().await;
    let load = |text: &str| LoadCalendar {
        calendar: WorkCalendar::parse_csv(text).unwrap(),
    };
    let first = b.calendar_version().await.unwrap();
    institution(a, 1, "甲鉴定评审中心").await;
    assert_eq!(
        b.calendar_version().await.unwrap(),
        first,
        "not a calendar load"
    );
    run(
        a,
        date(TODAY),
        admin(),
        load("date,kind,name\n2027-01-01,holiday,元旦\n2027-02-07,workday,春节\n"),
    )
    .await
    .unwrap();
    let loaded = b.calendar_version().await.unwrap();
    assert!(loaded > first);
    run(
        a,
        date(TODAY),
        admin(),
        load("date,kind,name\n2027-01-01,holiday,元旦\n"),
    )
    .await
    .unwrap();
    assert!(b.calendar_version().await.unwrap() > loaded, "a correction");
    assert_eq!(b.calendar().await.unwrap().years(), 2013..=2027);
}

on_both_engines!(
    another_instances_commit_is_seen_within_a_second,
    a_calendar_load_moves_the_calendars_version,
);
