//! Free text typed into a form: trimmed, bounded in length, without control characters.

use std::fmt;

/// Why a free text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    /// Nothing but spaces.
    Empty,
    /// More characters than allowed.
    TooLong {
        /// The most characters allowed.
        max: usize,
    },
    /// A control character (a line break in a one-line field, for example).
    ControlCharacter,
}

/// A trimmed, non-empty text of at most a given number of characters and no control
/// characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Text(String);

impl Text {
    /// Parses a one-line text of 1 to `max` characters.
    pub fn parse(input: &str, max: usize) -> Result<Text, TextProblem> {
        let text = input.trim();
        if text.is_empty() {
            return Err(TextProblem::Empty);
        }
        if text.chars().count() > max {
            return Err(TextProblem::TooLong { max });
        }
        if text.chars().any(char::is_control) {
            return Err(TextProblem::ControlCharacter);
        }
        Ok(Text(text.to_owned()))
    }

    /// Parses an optional one-line text: empty input is `None`.
    pub fn parse_optional(input: &str, max: usize) -> Result<Option<Text>, TextProblem> {
        match Self::parse(input, max) {
            Ok(text) => Ok(Some(text)),
            Err(TextProblem::Empty) => Ok(None),
            Err(problem) => Err(problem),
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}
