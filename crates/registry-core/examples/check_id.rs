//! Checks a resident ID number (身份证号, GB 11643-1999): its check digit, its birth date
//! and sex, and how back-office lists show it.
//!
//! ```sh
//! cargo run -p registry-core --example check_id -- 11010519491231002X
//! ```

use registry_core::resident_id::ResidentId;
use time::macros::date;

fn main() {
    let typed = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "11010519491231002X".to_owned());
    // Today is a parameter: the core never reads the clock (a birth date after it is
    // refused).
    let today = date!(2026 - 11 - 30);
    match ResidentId::parse(&typed, today) {
        Ok(id) => {
            println!("有效：{}", id.masked());
            println!("出生日期 {}，性别 {}", id.birth_date(), id.sex().label());
        }
        Err(e) => {
            println!("无效（{}）：{e}", e.code());
            std::process::exit(1);
        }
    }
}
