//! Calendar dates as the register writes them (`2026-11-26`), full-year age (周岁) and
//! China Standard Time.
//!
//! The core never reads the clock: every rule takes the date it applies to as a parameter.
//! [`china_today`] turns an instant that the caller read into the date in China.

use time::{Date, Month, OffsetDateTime, UtcOffset};

/// Why a text is not a date of the form `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The text does not have the shape `YYYY-MM-DD`.
    #[error("日期“{0}”格式不正确，应为 YYYY-MM-DD（例如 2026-11-26）")]
    Format(String),
    /// The shape is right but no such day exists (2023-02-29, 2024-13-01).
    #[error("日期“{0}”不存在")]
    NoSuchDay(String),
}

impl DateError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            DateError::Format(_) => "date.format",
            DateError::NoSuchDay(_) => "date.no_such_day",
        }
    }
}

/// Parses `YYYY-MM-DD` (four-digit year, two-digit month and day, ASCII digits only).
pub fn parse_date(text: &str) -> Result<Date, DateError> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes.get(4) == Some(&b'-')
        && bytes.get(7) == Some(&b'-')
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shape_ok {
        return Err(DateError::Format(text.to_owned()));
    }
    let number = |range: std::ops::Range<usize>| -> u32 {
        text.get(range)
            .and_then(|s| s.parse().ok())
            .unwrap_or_default()
    };
    ymd(number(0..4) as i32, number(5..7), number(8..10))
        .ok_or_else(|| DateError::NoSuchDay(text.to_owned()))
}

/// Builds a date from year, month (1–12) and day, or `None` if no such day exists.
pub fn ymd(year: i32, month: u32, day: u32) -> Option<Date> {
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()
}

/// Formats a date as the register writes it: `2026-11-26`.
pub fn format_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// China Standard Time, UTC+8, the time zone of every date in the register.
pub const CHINA_STANDARD_TIME: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// The date in China at the given instant.
pub fn china_today(now: OffsetDateTime) -> Date {
    now.to_offset(CHINA_STANDARD_TIME).date()
}

/// The day on which a person born on `birth` completes `years` full years.
///
/// This is the anniversary of the birth date. A person born on 29 February completes a
/// year in a common year on **1 March**: the anniversary does not exist that year, and on
/// 28 February the full year has not yet elapsed. Returns `None` only for years outside the
/// range of [`Date`].
pub fn anniversary(birth: Date, years: u32) -> Option<Date> {
    let year = birth.year().checked_add(i32::try_from(years).ok()?)?;
    match Date::from_calendar_date(year, birth.month(), birth.day()) {
        Ok(date) => Some(date),
        // Only 29 February in a common year has no anniversary.
        Err(_) => Date::from_calendar_date(year, Month::March, 1).ok(),
    }
}

/// Age in full years (周岁) on `on` of a person born on `birth`.
///
/// The age grows by one on each anniversary of the birth date (see [`anniversary`] for
/// 29 February). Before the birth date the age is 0.
pub fn full_years(birth: Date, on: Date) -> u32 {
    if on <= birth {
        return 0;
    }
    let mut years = u32::try_from(on.year() - birth.year()).unwrap_or(0);
    while years > 0 && anniversary(birth, years).is_none_or(|day| day > on) {
        years -= 1;
    }
    years
}

/// The same day `months` months later (earlier if negative), clamped to the last day of
/// the month: 2028-05-31 plus one month is 2028-06-30.
pub fn add_months(date: Date, months: i32) -> Date {
    let index =
        i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1 + i64::from(months);
    let year = i32::try_from(index.div_euclid(12)).unwrap_or(date.year());
    let month = u8::try_from(index.rem_euclid(12) + 1)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .unwrap_or(date.month());
    let day = date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or(date)
}

/// The latest birth date of a person who is `years` or older on `on`: a person is under
/// `years` on `on` exactly when they were born after this date. Lets storage filter by
/// birth date with the same rule as [`full_years`] (29 February included).
pub fn birth_cutoff(on: Date, years: u32) -> Date {
    let year = on.year()
        - i32::try_from(years)
            .unwrap_or(i32::MAX)
            .min(on.year() - Date::MIN.year());
    let day = on.day().min(on.month().length(year));
    let candidate = Date::from_calendar_date(year, on.month(), day).unwrap_or(on);
    // The candidate is the right answer except around 29 February; step to be exact.
    let mut cutoff = candidate;
    while full_years(cutoff, on) < years {
        match cutoff.previous_day() {
            Some(day) => cutoff = day,
            None => break,
        }
    }
    while let Some(next) = cutoff.next_day()
        && full_years(next, on) >= years
    {
        cutoff = next;
    }
    cutoff
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn parses_and_formats_dates() {
        assert_eq!(parse_date("2024-02-29"), Ok(date!(2024 - 02 - 29)));
        assert_eq!(parse_date(" 2026-11-26 "), Ok(date!(2026 - 11 - 26)));
        assert_eq!(format_date(date!(2024 - 02 - 05)), "2024-02-05");
        for bad in [
            "2024-2-5",
            "20240205",
            "2024/02/05",
            "",
            "２０２４-02-05",
            "2024-02-0a",
        ] {
            assert_eq!(
                parse_date(bad).map_err(|e| e.code()),
                Err("date.format"),
                "{bad}"
            );
        }
        for missing in ["2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31"] {
            assert_eq!(
                parse_date(missing).map_err(|e| e.code()),
                Err("date.no_such_day"),
                "{missing}"
            );
        }
    }

    #[test]
    fn full_years_grow_on_the_birthday_itself() {
        let birth = date!(1956 - 06 - 15);
        assert_eq!(full_years(birth, date!(2026 - 06 - 14)), 69);
        assert_eq!(full_years(birth, date!(2026 - 06 - 15)), 70);
        assert_eq!(full_years(birth, date!(2026 - 06 - 16)), 70);
        assert_eq!(full_years(birth, birth), 0);
        assert_eq!(full_years(birth, date!(1950 - 01 - 01)), 0);
    }

    #[test]
    fn leap_day_birthdays_turn_on_the_first_of_march_in_common_years() {
        let birth = date!(1956 - 02 - 29);
        assert_eq!(anniversary(birth, 70), Some(date!(2026 - 03 - 01)));
        assert_eq!(anniversary(birth, 68), Some(date!(2024 - 02 - 29)));
        assert_eq!(full_years(birth, date!(2026 - 02 - 28)), 69);
        assert_eq!(full_years(birth, date!(2026 - 03 - 01)), 70);
        assert_eq!(full_years(birth, date!(2024 - 02 - 28)), 67);
        assert_eq!(full_years(birth, date!(2024 - 02 - 29)), 68);
    }

    #[test]
    fn the_birth_cutoff_agrees_with_full_years() {
        for (today, cutoff) in [
            (date!(2026 - 11 - 26), date!(1956 - 11 - 26)),
            (date!(2026 - 02 - 28), date!(1956 - 02 - 28)),
            (date!(2026 - 03 - 01), date!(1956 - 03 - 01)),
            (date!(2024 - 02 - 29), date!(1954 - 02 - 28)),
        ] {
            assert_eq!(birth_cutoff(today, 70), cutoff, "{today}");
            assert!(full_years(cutoff, today) >= 70);
            assert!(full_years(cutoff.next_day().unwrap(), today) < 70);
        }
        // Born on 29 February 1956: still 69 on 2026-02-28, 70 from 2026-03-01.
        assert!(date!(1956 - 02 - 29) > birth_cutoff(date!(2026 - 02 - 28), 70));
        assert!(date!(1956 - 02 - 29) <= birth_cutoff(date!(2026 - 03 - 01), 70));
    }

    #[test]
    fn months_are_added_and_clamped() {
        assert_eq!(add_months(date!(2026 - 11 - 26), 3), date!(2027 - 02 - 26));
        assert_eq!(add_months(date!(2028 - 05 - 31), 1), date!(2028 - 06 - 30));
        assert_eq!(add_months(date!(2028 - 05 - 31), -3), date!(2028 - 02 - 29));
        assert_eq!(add_months(date!(2029 - 01 - 01), -3), date!(2028 - 10 - 01));
    }

    #[test]
    fn china_today_is_utc_plus_eight() {
        use time::macros::datetime;
        assert_eq!(
            china_today(datetime!(2026-11-26 15:59:59 UTC)),
            date!(2026 - 11 - 26)
        );
        assert_eq!(
            china_today(datetime!(2026-11-26 16:00:00 UTC)),
            date!(2026 - 11 - 27)
        );
    }
}
