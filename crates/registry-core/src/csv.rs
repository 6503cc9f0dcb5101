//! The small CSV reader for the register's own data (the review-item catalogue, the
//! working-day calendar, imported rosters), which the core parses from text that the
//! caller read.
//!
//! RFC 4180: fields separated by commas, optionally quoted with `"` (a quote inside a
//! quoted field is doubled), records separated by LF or CRLF. A UTF-8 byte-order mark is
//! dropped, and lines starting with `#` are comments.

/// One record with the 1-based line number it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The 1-based line number the record starts on.
    pub line: usize,
    /// The fields.
    pub fields: Vec<String>,
}

/// An unterminated quoted field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnterminatedQuote {
    /// The line the field starts on.
    pub line: usize,
}

/// Splits text into records. Blank lines and comment lines are skipped.
pub fn records(text: &str) -> Result<Vec<Record>, UnterminatedQuote> {
    Records::new(text).collect()
}

/// The records of a text one at a time, for reading a large table without holding all
/// of it as records. Stops after an unterminated quote.
#[derive(Debug)]
pub struct Records<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    failed: bool,
}

impl<'a> Records<'a> {
    /// Reads `text` (a UTF-8 byte-order mark is dropped).
    pub fn new(text: &'a str) -> Records<'a> {
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        Records {
            chars: text.chars().peekable(),
            line: 1,
            failed: false,
        }
    }
}

impl Iterator for Records<'_> {
    type Item = Result<Record, UnterminatedQuote>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let chars = &mut self.chars;
        while chars.peek().is_some() {
            let start_line = self.line;
            if chars.peek() == Some(&'#') {
                for c in chars.by_ref() {
                    if c == '\n' {
                        self.line += 1;
                        break;
                    }
                }
                continue;
            }
            let mut fields = Vec::new();
            let mut field = String::new();
            let mut quoted = false;
            let mut in_quotes = false;
            loop {
                match chars.next() {
                    None => {
                        if in_quotes {
                            self.failed = true;
                            return Some(Err(UnterminatedQuote { line: start_line }));
                        }
                        break;
                    }
                    Some('"') if in_quotes => {
                        if chars.peek() == Some(&'"') {
                            chars.next();
                            field.push('"');
                        } else {
                            in_quotes = false;
                        }
                    }
                    Some('"') if field.is_empty() && !quoted => {
                        quoted = true;
                        in_quotes = true;
                    }
                    Some('\n') if in_quotes => {
                        self.line += 1;
                        field.push('\n');
                    }
                    Some(c) if in_quotes => field.push(c),
                    Some(',') => {
                        fields.push(std::mem::take(&mut field));
                        quoted = false;
                    }
                    Some('\r') if chars.peek() == Some(&'\n') => {}
                    Some('\n') => {
                        self.line += 1;
                        break;
                    }
                    Some(c) => field.push(c),
                }
            }
            fields.push(field);
            let blank = fields.len() == 1 && fields.first().is_some_and(|f| f.trim().is_empty());
            if !blank {
                return Some(Ok(Record {
                    line: start_line,
                    fields,
                }));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        records(text)
            .unwrap()
            .into_iter()
            .map(|r| r.fields)
            .collect()
    }

    #[test]
    fn reads_quoted_fields_comments_and_crlf() {
        let text = "\u{FEFF}# comment\r\na,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n\r\nlast,\n";
        assert_eq!(
            fields(text),
            vec![
                vec!["a".to_owned(), "b".to_owned()],
                vec!["x, y".to_owned(), "say \"hi\"".to_owned()],
                vec!["last".to_owned(), String::new()],
            ]
        );
        let lines: Vec<usize> = records(text).unwrap().iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 3, 5]);
    }

    #[test]
    fn reports_an_unterminated_quote() {
        assert_eq!(records("a\n\"open,b\n"), Err(UnterminatedQuote { line: 2 }));
    }
}
