//! The registration number (注册号) of an assessor: the system generates it when the
//! person's first item is registered, and it is the person's number for life. All older
//! personal numbers are void (source document, question 9).
//!
//! Format (documented in `docs/REGISTRATION-NUMBER.md`): `JP` (鉴评), the four-digit
//! year of the first registration, a six-digit serial number within that year, and an
//! ISO 7064 MOD 11-2 check character (`0`–`9` or `X`) over the ten digits, for example
//! `JP2026000001` followed by its check character. The check character catches every
//! single mistyped digit and every swap of two neighbouring digits.

use std::fmt;

/// A valid registration number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegistrationNumber {
    year: u16,
    serial: u32,
}

/// Why a text is not a valid registration number, or parts cannot form one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationNumberError {
    /// Not 13 characters once spaces and hyphens are dropped.
    #[error("注册号应为13位（JP + 4位年份 + 6位序号 + 1位校验码），实为{0}位")]
    Length(usize),
    /// Does not start with `JP`.
    #[error("注册号应以“JP”开头")]
    Prefix,
    /// A character other than a digit (or the final `X`).
    #[error("注册号第{position}位的字符“{found}”无效")]
    Character {
        /// 1-based position.
        position: usize,
        /// The character found.
        found: char,
    },
    /// The year or serial is out of range.
    #[error("注册号中的年份或序号超出范围")]
    Range,
    /// The check character does not match.
    #[error("注册号校验码错误，请核对号码")]
    Checksum,
}

impl RegistrationNumberError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            RegistrationNumberError::Length(_) => "registration_number.length",
            RegistrationNumberError::Prefix => "registration_number.prefix",
            RegistrationNumberError::Character { .. } => "registration_number.character",
            RegistrationNumberError::Range => "registration_number.range",
            RegistrationNumberError::Checksum => "registration_number.checksum",
        }
    }
}

/// The highest serial number within one year.
pub const MAX_SERIAL: u32 = 999_999;

fn check_character(ten: &str) -> char {
    // Weights 2^(11-i) mod 11 for the ten data digits, i = 1…10.
    const WEIGHTS: [u32; 10] = [1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = ten
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b.wrapping_sub(b'0')) * w)
        .sum();
    match (12 - sum % 11) % 11 {
        10 => 'X',
        n => char::from_digit(n, 10).unwrap_or('?'),
    }
}

impl RegistrationNumber {
    /// The number with the given year of first registration (2000–9999) and serial number
    /// within that year (1–999999).
    pub fn new(year: u16, serial: u32) -> Result<RegistrationNumber, RegistrationNumberError> {
        if !(2000..=9999).contains(&year) || !(1..=MAX_SERIAL).contains(&serial) {
            return Err(RegistrationNumberError::Range);
        }
        Ok(RegistrationNumber { year, serial })
    }

    /// Parses a number as typed: case, spaces and hyphens do not matter.
    pub fn parse(input: &str) -> Result<RegistrationNumber, RegistrationNumberError> {
        let chars: Vec<char> = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if chars.len() != 13 {
            return Err(RegistrationNumberError::Length(chars.len()));
        }
        if chars.get(..2) != Some(&['J', 'P'][..]) {
            return Err(RegistrationNumberError::Prefix);
        }
        for (i, &c) in chars.iter().enumerate().skip(2) {
            if !(c.is_ascii_digit() || (i == 12 && c == 'X')) {
                return Err(RegistrationNumberError::Character {
                    position: i + 1,
                    found: c,
                });
            }
        }
        let ten: String = chars.iter().skip(2).take(10).collect();
        if chars.get(12) != Some(&check_character(&ten)) {
            return Err(RegistrationNumberError::Checksum);
        }
        let year = ten.get(..4).and_then(|s| s.parse().ok()).unwrap_or(0);
        let serial = ten.get(4..).and_then(|s| s.parse().ok()).unwrap_or(0);
        Self::new(year, serial)
    }

    /// The year of the person's first registration.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The serial number within the year.
    pub fn serial(self) -> u32 {
        self.serial
    }
}

impl fmt::Display for RegistrationNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ten = format!("{:04}{:06}", self.year, self.serial);
        write!(f, "JP{ten}{}", check_character(&ten))
    }
}

impl fmt::Debug for RegistrationNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegistrationNumber({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_tolerates_typing() {
        let number = RegistrationNumber::new(2026, 123).unwrap();
        let text = number.to_string();
        assert_eq!(text.len(), 13);
        assert!(text.starts_with("JP2026000123"));
        assert_eq!(RegistrationNumber::parse(&text), Ok(number));
        let typed = format!("jp-2026-000123-{}", text.chars().last().unwrap());
        assert_eq!(RegistrationNumber::parse(&typed), Ok(number));
    }

    #[test]
    fn catches_every_single_digit_error_and_neighbour_swap() {
        for serial in [1, 7, 42, 999_999, 123_456] {
            let text = RegistrationNumber::new(2031, serial).unwrap().to_string();
            let chars: Vec<char> = text.chars().collect();
            for i in 2..13 {
                for d in "0123456789X".chars() {
                    let mut changed = chars.clone();
                    if changed[i] == d {
                        continue;
                    }
                    changed[i] = d;
                    let s: String = changed.iter().collect();
                    assert!(RegistrationNumber::parse(&s).is_err(), "{s} accepted");
                }
                if i < 12 && chars[i] != chars[i + 1] {
                    let mut swapped = chars.clone();
                    swapped.swap(i, i + 1);
                    let s: String = swapped.iter().collect();
                    assert!(RegistrationNumber::parse(&s).is_err(), "{s} accepted");
                }
            }
        }
    }

    #[test]
    fn rejects_out_of_range_parts() {
        assert_eq!(
            RegistrationNumber::new(1999, 1),
            Err(RegistrationNumberError::Range)
        );
        assert_eq!(
            RegistrationNumber::new(2026, 0),
            Err(RegistrationNumberError::Range)
        );
        assert_eq!(
            RegistrationNumber::parse("XX20260001231").map_err(|e| e.code()),
            Err("registration_number.prefix")
        );
    }
}
