//! The resident ID number (公民身份号码, 身份证号) of GB 11643-1999.
//!
//! Eighteen characters: a six-digit administrative division code, the birth date
//! `YYYYMMDD`, a three-digit sequence number whose last digit is odd for men and even for
//! women, and a check character computed with ISO 7064 MOD 11-2 (`0`–`9` or `X`). The
//! legacy fifteen-digit form (before 1999: two-digit year, no check character) is accepted
//! by converting it to the eighteen-character form.
//!
//! The ID number is sensitive personal information (GB/T 35273-2020 annex B): outside the
//! association's own pages show it only through [`ResidentId::masked`].

use std::fmt;

use time::Date;

use crate::date::{format_date, ymd};

/// A valid resident ID number, always in its eighteen-character form with an upper-case `X`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResidentId {
    text: String,
    birth_date: Date,
    sex: Sex,
}

/// Sex, as the ID number records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sex {
    /// 男
    Male,
    /// 女
    Female,
}

impl Sex {
    /// The label the register shows: 男 or 女.
    pub fn label(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }

    /// Reads the label 男 or 女 (or `M`/`F`, `male`/`female`).
    pub fn parse(text: &str) -> Option<Sex> {
        match text.trim() {
            "男" | "M" | "m" | "male" | "Male" => Some(Sex::Male),
            "女" | "F" | "f" | "female" | "Female" => Some(Sex::Female),
            _ => None,
        }
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a text is not a valid resident ID number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    /// Neither 18 nor 15 characters.
    #[error("身份证号应为18位（或15位旧号码），实为{0}位")]
    Length(usize),
    /// A character that may not stand at that position.
    #[error("身份证号第{position}位的字符“{found}”无效：前17位应为数字，第18位应为数字或X")]
    Character {
        /// 1-based position.
        position: usize,
        /// The character found.
        found: char,
    },
    /// The legacy fifteen-character form holds something other than digits.
    #[error("15位旧身份证号第{position}位的字符“{found}”无效：应全部为数字")]
    LegacyCharacter {
        /// 1-based position.
        position: usize,
        /// The character found.
        found: char,
    },
    /// The first two digits name no province-level division.
    #[error("身份证号前两位“{0}”不是有效的省级行政区划代码")]
    Region(String),
    /// Positions 7–14 are not a real date.
    #[error("身份证号中的出生日期“{0}”不是有效日期")]
    BirthDate(String),
    /// The birth date lies after the date of entry.
    #[error("身份证号中的出生日期 {0} 晚于今天")]
    BirthInFuture(String),
    /// The birth date lies before 1900.
    #[error("身份证号中的出生日期 {0} 早于1900年")]
    BirthTooEarly(String),
    /// The check character does not match the first seventeen.
    #[error("身份证号校验码错误：按前17位应为“{expected}”，实为“{found}”，请核对号码")]
    Checksum {
        /// The check character the first seventeen call for.
        expected: char,
        /// The check character found.
        found: char,
    },
}

impl ResidentIdError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            ResidentIdError::Length(_) => "resident_id.length",
            ResidentIdError::Character { .. } => "resident_id.character",
            ResidentIdError::LegacyCharacter { .. } => "resident_id.legacy_character",
            ResidentIdError::Region(_) => "resident_id.region",
            ResidentIdError::BirthDate(_) => "resident_id.birth_date",
            ResidentIdError::BirthInFuture(_) => "resident_id.birth_in_future",
            ResidentIdError::BirthTooEarly(_) => "resident_id.birth_too_early",
            ResidentIdError::Checksum { .. } => "resident_id.checksum",
        }
    }
}

/// The province-level codes of GB/T 2260 (with 81 Hong Kong, 82 Macao and 83 Taiwan, which
/// residence permits of their residents use).
const PROVINCES: [u8; 35] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
];

/// ISO 7064 MOD 11-2 weights: 2^(17-i) mod 11 for positions i = 0…16.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// The check character for a weighted sum modulo 11.
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The ISO 7064 MOD 11-2 check character of seventeen digits.
fn check_character(digits: &[u8; 17]) -> char {
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK.get((sum % 11) as usize).copied().unwrap_or('?')
}

/// Full-width digits and letters, which Chinese input methods type, become ASCII; spaces
/// around the number are dropped.
fn normalize(input: &str) -> Vec<char> {
    input
        .trim()
        .chars()
        .map(|c| match c {
            '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            other => other,
        })
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

impl ResidentId {
    /// Parses an ID number typed by a person, on the date `today` (the birth date may not be
    /// later). Accepts the 18-character form (`x` or `X`) and the legacy 15-digit form.
    pub fn parse(input: &str, today: Date) -> Result<ResidentId, ResidentIdError> {
        let id = Self::parse_canonical(input)?;
        if id.birth_date > today {
            return Err(ResidentIdError::BirthInFuture(format_date(id.birth_date)));
        }
        Ok(id)
    }

    /// Parses an ID number read back from the register, where it was checked with
    /// [`ResidentId::parse`] when it was entered. Every check but the future birth date
    /// applies, so that reading a value never depends on the day it is read.
    pub fn parse_canonical(input: &str) -> Result<ResidentId, ResidentIdError> {
        let chars = normalize(input);
        match chars.len() {
            18 => Self::parse_eighteen(&chars),
            15 => Self::parse_fifteen(&chars),
            n => Err(ResidentIdError::Length(n)),
        }
    }

    fn parse_eighteen(chars: &[char]) -> Result<ResidentId, ResidentIdError> {
        let mut digits = [0u8; 17];
        for (i, &c) in chars.iter().enumerate() {
            let ok = c.is_ascii_digit() || (i == 17 && c == 'X');
            if !ok {
                return Err(ResidentIdError::Character {
                    position: i + 1,
                    found: c,
                });
            }
            if let Some(slot) = digits.get_mut(i) {
                *slot = c as u8;
            }
        }
        let found = chars.get(17).copied().unwrap_or('?');
        let birth_date = Self::check_region_and_birth(&digits)?;
        let expected = check_character(&digits);
        if expected != found {
            return Err(ResidentIdError::Checksum { expected, found });
        }
        let sex = if (digits[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        };
        Ok(ResidentId {
            text: chars.iter().collect(),
            birth_date,
            sex,
        })
    }

    fn parse_fifteen(chars: &[char]) -> Result<ResidentId, ResidentIdError> {
        if let Some((i, &c)) = chars.iter().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
            return Err(ResidentIdError::LegacyCharacter {
                position: i + 1,
                found: c,
            });
        }
        let mut seventeen: Vec<char> = Vec::with_capacity(18);
        seventeen.extend(chars.iter().take(6));
        seventeen.extend(['1', '9']);
        seventeen.extend(chars.iter().skip(6));
        let mut digits = [0u8; 17];
        for (slot, c) in digits.iter_mut().zip(&seventeen) {
            *slot = *c as u8;
        }
        seventeen.push(check_character(&digits));
        Self::parse_eighteen(&seventeen)
    }

    fn check_region_and_birth(digits: &[u8; 17]) -> Result<Date, ResidentIdError> {
        let text = |range: std::ops::Range<usize>| -> String {
            digits
                .get(range)
                .map(|s| s.iter().map(|&b| b as char).collect())
                .unwrap_or_default()
        };
        let region = text(0..2);
        if !region
            .parse::<u8>()
            .is_ok_and(|code| PROVINCES.contains(&code))
        {
            return Err(ResidentIdError::Region(region));
        }
        let birth = text(6..14);
        let number = |range: std::ops::Range<usize>| -> u32 {
            birth.get(range).and_then(|s| s.parse().ok()).unwrap_or(0)
        };
        let date = ymd(number(0..4) as i32, number(4..6), number(6..8))
            .ok_or_else(|| ResidentIdError::BirthDate(birth.clone()))?;
        if date.year() < 1900 {
            return Err(ResidentIdError::BirthTooEarly(format_date(date)));
        }
        Ok(date)
    }

    /// Builds the ID number of a person from its parts: the six-digit division code, the
    /// birth date and the three-digit sequence number (odd for men, even for women). Used to
    /// make demo and test data; returns `None` if the parts cannot form a valid number.
    pub fn from_parts(region: u32, birth_date: Date, sequence: u16) -> Option<ResidentId> {
        if region > 999_999 || sequence > 999 || !(1000..=9999).contains(&birth_date.year()) {
            return None;
        }
        let seventeen = format!(
            "{region:06}{:04}{:02}{:02}{sequence:03}",
            birth_date.year(),
            u8::from(birth_date.month()),
            birth_date.day()
        );
        let mut digits = [0u8; 17];
        for (slot, b) in digits.iter_mut().zip(seventeen.bytes()) {
            *slot = b;
        }
        let full = format!("{seventeen}{}", check_character(&digits));
        Self::parse_canonical(&full).ok()
    }

    /// The eighteen characters, with an upper-case `X`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The birth date written in the number.
    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    /// The sex written in the number (17th digit: odd for men, even for women).
    pub fn sex(&self) -> Sex {
        self.sex
    }

    /// The masked form for back-office lists: the first 6 and last 4 characters, which hides
    /// the birth date (`110105********002X`).
    pub fn masked(&self) -> String {
        let head: String = self.text.chars().take(6).collect();
        let tail: String = self.text.chars().skip(14).collect();
        format!("{head}********{tail}")
    }
}

/// Shows only the masked form, so that an ID number never reaches a log through `Debug`.
impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentId({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 26);

    #[test]
    fn known_answers() {
        let id = ResidentId::parse("11010519491231002X", TODAY).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), date!(1949 - 12 - 31));
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.masked(), "110105********002X");
        assert_eq!(format!("{id:?}"), "ResidentId(110105********002X)");

        let lower = ResidentId::parse("11010519491231002x", TODAY).unwrap();
        assert_eq!(lower, id);
        let legacy = ResidentId::parse("110105491231002", TODAY).unwrap();
        assert_eq!(legacy.as_str(), "11010519491231002X");
        let wide = ResidentId::parse("１１０１０５１９４９１２３１００２Ｘ", TODAY).unwrap();
        assert_eq!(wide, id);
    }

    #[test]
    fn each_reason_is_named() {
        let cases = [
            ("1101051949123100", "resident_id.length"),
            ("11010519491231002Y", "resident_id.character"),
            ("1101051949123A002X", "resident_id.character"),
            ("11010549123100A", "resident_id.legacy_character"),
            ("99010519491231002X", "resident_id.region"),
            ("11010519491331002X", "resident_id.birth_date"),
            ("11010518991231002X", "resident_id.birth_too_early"),
            ("110105194912310021", "resident_id.checksum"),
        ];
        for (input, code) in cases {
            assert_eq!(
                ResidentId::parse(input, TODAY).map_err(|e| e.code()),
                Err(code),
                "{input}"
            );
        }
        let future = ResidentId::from_parts(110105, date!(2026 - 11 - 27), 1).unwrap();
        assert_eq!(
            ResidentId::parse(future.as_str(), TODAY).map_err(|e| e.code()),
            Err("resident_id.birth_in_future")
        );
        assert!(ResidentId::parse(future.as_str(), date!(2026 - 11 - 27)).is_ok());
    }

    #[test]
    fn sex_follows_the_seventeenth_digit() {
        let man = ResidentId::from_parts(320102, date!(1970 - 01 - 01), 11).unwrap();
        let woman = ResidentId::from_parts(320102, date!(1970 - 01 - 01), 12).unwrap();
        assert_eq!(man.sex(), Sex::Male);
        assert_eq!(woman.sex(), Sex::Female);
    }
}
