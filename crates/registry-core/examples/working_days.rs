//! Counts working days on China's calendar (statutory holidays and adjusted working days,
//! 调休), and a deadline that reaches a year whose calendar is not published yet, estimated
//! from the holiday law.
//!
//! ```sh
//! cargo run -p registry-core --example working_days
//! ```

use registry_core::fixtures;
use registry_core::holiday_law::DeadlineCalendar;
use time::macros::date;

fn main() -> Result<(), String> {
    let calendar = fixtures::calendar().map_err(|e| format!("{e:?}"))?;
    // The National Day week of 2024: 1–7 October off, Sunday 29 September and Saturday
    // 12 October worked.
    let days = calendar
        .working_days(date!(2024 - 09 - 27), date!(2024 - 10 - 09))
        .map_err(|e| e.to_string())?;
    println!("2024-09-27 至 2024-10-09：{days} 个工作日");
    // A certificate is due 20 working days after its pass list is published.
    let due = calendar
        .add_working_days(date!(2024 - 09 - 20), 20)
        .map_err(|e| e.to_string())?;
    println!("2024-09-20 公布的合格名单，证书发放期限：{due}");
    // The official calendar ends with its last loaded year; a deadline beyond it is an
    // estimate from the statutory holidays, and says so.
    let festivals = fixtures::festivals().map_err(|e| format!("{e:?}"))?;
    let deadlines = DeadlineCalendar::new(&calendar, &festivals).map_err(|e| format!("{e:?}"))?;
    let due = deadlines
        .add_working_days(date!(2026 - 12 - 20), 20)
        .map_err(|e| e.to_string())?;
    println!("2026-12-20 公布的合格名单，证书发放期限：{due}");
    Ok(())
}
