//! The unified social credit code (统一社会信用代码) of an institution, GB 32100-2015.
//!
//! Eighteen characters from a 31-character alphabet (digits and capital letters without
//! I, O, S, V and Z): the registration authority (1), the kind of body (1), the six-digit
//! administrative division code of the registering authority (3–8), the nine-character
//! organization code of GB 11714 with its own check character (9–17), and a check
//! character over the first seventeen with weights 3^(i-1) mod 31 (18).

use std::fmt;

/// The 31 characters of the code, in the order of their values 0–30.
const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights 3^(i-1) mod 31 for positions 1–17.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Weights of the GB 11714 organization code (positions 9–16 of the credit code).
const ORGANIZATION_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// A valid unified social credit code, in capitals.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditCode(String);

/// Why a text is not a valid unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    /// Not 18 characters.
    #[error("统一社会信用代码应为18位，实为{0}位")]
    Length(usize),
    /// A character outside the code's alphabet.
    #[error(
        "统一社会信用代码第{position}位的字符“{found}”无效：只能使用数字和除 I、O、S、V、Z 以外的大写字母"
    )]
    Character {
        /// 1-based position.
        position: usize,
        /// The character found.
        found: char,
    },
    /// Positions 3–8 are not a six-digit division code.
    #[error("统一社会信用代码第3至8位应为6位数字的行政区划码，实为“{0}”")]
    Region(String),
    /// The organization code (positions 9–17) fails its GB 11714 check.
    #[error("统一社会信用代码第9至17位的组织机构代码校验码错误：应为“{expected}”，实为“{found}”")]
    OrganizationCheck {
        /// The check character positions 9–16 call for.
        expected: char,
        /// The character found at position 17.
        found: char,
    },
    /// The check character (position 18) does not match.
    #[error("统一社会信用代码校验码错误：按前17位应为“{expected}”，实为“{found}”，请核对代码")]
    Checksum {
        /// The check character the first seventeen call for.
        expected: char,
        /// The character found.
        found: char,
    },
}

impl CreditCodeError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            CreditCodeError::Length(_) => "credit_code.length",
            CreditCodeError::Character { .. } => "credit_code.character",
            CreditCodeError::Region(_) => "credit_code.region",
            CreditCodeError::OrganizationCheck { .. } => "credit_code.organization_check",
            CreditCodeError::Checksum { .. } => "credit_code.checksum",
        }
    }
}

fn value_of(c: char) -> Option<u32> {
    ALPHABET.find(c).map(|i| i as u32)
}

fn char_of(value: u32) -> char {
    ALPHABET.chars().nth(value as usize).unwrap_or('?')
}

/// The GB 11714 value of a character: digits 0–9, letters A–Z 10–35.
fn organization_value(c: char) -> u32 {
    c.to_digit(36).unwrap_or(0)
}

/// The check character of the organization code formed by eight characters.
fn organization_check(eight: &[char]) -> char {
    let sum: u32 = eight
        .iter()
        .zip(ORGANIZATION_WEIGHTS)
        .map(|(&c, w)| organization_value(c) * w)
        .sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        n => char::from_digit(n, 10).unwrap_or('?'),
    }
}

/// The check character of the first seventeen characters.
fn check_character(seventeen: &[char]) -> char {
    let sum: u32 = seventeen
        .iter()
        .zip(WEIGHTS)
        .map(|(&c, w)| value_of(c).unwrap_or(0) * w)
        .sum();
    char_of((31 - sum % 31) % 31)
}

impl CreditCode {
    /// Parses a code as typed (lower case and surrounding spaces are accepted).
    pub fn parse(input: &str) -> Result<CreditCode, CreditCodeError> {
        let chars: Vec<char> = input
            .trim()
            .chars()
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if chars.len() != 18 {
            return Err(CreditCodeError::Length(chars.len()));
        }
        if let Some((i, &c)) = chars
            .iter()
            .enumerate()
            .find(|(_, c)| value_of(**c).is_none())
        {
            return Err(CreditCodeError::Character {
                position: i + 1,
                found: c,
            });
        }
        let region: String = chars.iter().skip(2).take(6).collect();
        if !region.chars().all(|c| c.is_ascii_digit()) {
            return Err(CreditCodeError::Region(region));
        }
        let organization: Vec<char> = chars.iter().skip(8).take(9).copied().collect();
        let (eight, found) = organization.split_at(8);
        let expected = organization_check(eight);
        if found.first() != Some(&expected) {
            return Err(CreditCodeError::OrganizationCheck {
                expected,
                found: found.first().copied().unwrap_or('?'),
            });
        }
        let (seventeen, last) = chars.split_at(17);
        let expected = check_character(seventeen);
        let found = last.first().copied().unwrap_or('?');
        if expected != found {
            return Err(CreditCodeError::Checksum { expected, found });
        }
        Ok(CreditCode(chars.into_iter().collect()))
    }

    /// The eighteen characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Builds a code from its parts, computing both check characters: the registration
    /// authority and kind (2 characters), the division code (6 digits) and the first
    /// eight characters of the organization code. Used to make demo and test data; `None`
    /// if the parts cannot form a valid code.
    pub fn from_parts(
        authority_and_kind: &str,
        region: &str,
        organization: &str,
    ) -> Option<CreditCode> {
        let eight: Vec<char> = organization.chars().collect();
        if eight.len() != 8 {
            return None;
        }
        let seventeen: Vec<char> = authority_and_kind
            .chars()
            .chain(region.chars())
            .chain(eight.iter().copied())
            .chain(std::iter::once(organization_check(&eight)))
            .collect();
        if seventeen.len() != 17 {
            return None;
        }
        let full: String = seventeen
            .iter()
            .copied()
            .chain(std::iter::once(check_character(&seventeen)))
            .collect();
        Self::parse(&full).ok()
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CreditCode({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer() {
        let code = CreditCode::parse("91350100M000100Y43").unwrap();
        assert_eq!(code.as_str(), "91350100M000100Y43");
        assert_eq!(CreditCode::parse(" 91350100m000100y43 ").unwrap(), code);
        assert_eq!(
            CreditCode::from_parts("91", "350100", "M000100Y"),
            Some(code)
        );
    }

    #[test]
    fn each_reason_is_named() {
        let cases = [
            ("91350100M000100Y4", "credit_code.length"),
            ("91350100M000100O43", "credit_code.character"),
            ("913501A0M000100Y43", "credit_code.region"),
            ("91350100M000100Y53", "credit_code.organization_check"),
            ("91350100M000100Y44", "credit_code.checksum"),
        ];
        for (input, code) in cases {
            assert_eq!(
                CreditCode::parse(input).map_err(|e| e.code()),
                Err(code),
                "{input}"
            );
        }
    }

    #[test]
    fn every_single_character_change_is_caught() {
        let valid: Vec<char> = "91350100M000100Y43".chars().collect();
        for position in 0..valid.len() {
            for replacement in ALPHABET.chars() {
                if valid.get(position) == Some(&replacement) {
                    continue;
                }
                let mut changed = valid.clone();
                if let Some(slot) = changed.get_mut(position) {
                    *slot = replacement;
                }
                let text: String = changed.into_iter().collect();
                assert!(CreditCode::parse(&text).is_err(), "{text} was accepted");
            }
        }
    }
}
