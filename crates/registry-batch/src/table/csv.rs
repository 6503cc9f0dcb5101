//! CSV in: text decoded from UTF-8 or GBK, and records read with every limit of the table
//! counted as they stream.

use registry_core::csv::Record;

use super::*;

/// Text from bytes: UTF-8 (a byte-order mark dropped), else GBK (GB 18030, which covers
/// what Chinese Excel writes).
pub fn decode(bytes: &[u8]) -> Result<String, ReadError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(ReadError::Encoding);
    }
    Ok(text.into_owned())
}

pub(super) fn read_csv(
    bytes: &[u8],
    limits: &Limits,
    mut send: impl FnMut(Result<Record, ReadError>) -> bool,
) {
    let text = match decode(bytes) {
        Ok(text) if text.len() as u64 > limits.max_csv_bytes => {
            send(Err(ReadError::TextTooLarge {
                limit: limits.max_csv_bytes,
            }));
            return;
        }
        Ok(text) => text,
        Err(e) => {
            send(Err(e));
            return;
        }
    };
    for record in CsvRecords::new(&text, *limits) {
        if !send(record) {
            return;
        }
    }
}

/// The records of a CSV text within the limits: the rules of [`registry_core::csv::Records`]
/// (RFC 4180, blank and `#` lines skipped), with the rows, the columns and the length of
/// each field counted as they are read, so that no record over a limit is ever built.
/// Empty fields beyond the last column allowed are dropped; a field with something in it
/// there is refused. Stops after the first error.
#[derive(Debug)]
pub(super) struct CsvRecords<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    rows: usize,
    limits: Limits,
    failed: bool,
}

impl<'a> CsvRecords<'a> {
    pub(super) fn new(text: &'a str, limits: Limits) -> CsvRecords<'a> {
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        CsvRecords {
            chars: text.chars().peekable(),
            line: 1,
            rows: 0,
            limits,
            failed: false,
        }
    }

    /// The next record, blank or not, or `None` at a comment line or the end.
    fn record(&mut self) -> Result<Option<Record>, ReadError> {
        let start_line = self.line;
        let chars = &mut self.chars;
        if chars.peek() == Some(&'#') {
            for c in chars.by_ref() {
                if c == '\n' {
                    self.line += 1;
                    break;
                }
            }
            return Ok(None);
        }
        let limits = &self.limits;
        let mut fields: Vec<String> = Vec::new();
        let mut field = Field::default();
        let mut quoted = false;
        let mut in_quotes = false;
        loop {
            match chars.next() {
                None => {
                    if in_quotes {
                        return Err(ReadError::Quote(start_line));
                    }
                    break;
                }
                Some('"') if in_quotes => {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        field.push('"', &fields, start_line, limits)?;
                    } else {
                        in_quotes = false;
                    }
                }
                Some('"') if field.text.is_empty() && !quoted => {
                    quoted = true;
                    in_quotes = true;
                }
                Some('\n') if in_quotes => {
                    self.line += 1;
                    field.push('\n', &fields, start_line, limits)?;
                }
                Some(c) if in_quotes => field.push(c, &fields, start_line, limits)?,
                Some(',') => {
                    if fields.len() < limits.max_columns {
                        fields.push(std::mem::take(&mut field.text));
                    }
                    field.chars = 0;
                    quoted = false;
                }
                Some('\r') if chars.peek() == Some(&'\n') => {}
                Some('\n') => {
                    self.line += 1;
                    break;
                }
                Some(c) => field.push(c, &fields, start_line, limits)?,
            }
        }
        if fields.len() < limits.max_columns {
            fields.push(field.text);
        }
        Ok(Some(Record {
            line: start_line,
            fields,
        }))
    }
}

/// The field being read, with its length in characters.
#[derive(Debug, Default)]
struct Field {
    text: String,
    chars: usize,
}

impl Field {
    /// Adds a character to the field after `fields`, within the limits.
    fn push(
        &mut self,
        c: char,
        fields: &[String],
        line: usize,
        limits: &Limits,
    ) -> Result<(), ReadError> {
        if fields.len() >= limits.max_columns {
            return Err(ReadError::TooManyColumns {
                line,
                limit: limits.max_columns,
            });
        }
        self.chars += 1;
        if self.chars > limits.max_cell_chars {
            return Err(ReadError::CellTooLong {
                line,
                column: fields.len() + 1,
                limit: limits.max_cell_chars,
            });
        }
        self.text.push(c);
        Ok(())
    }
}

impl Iterator for CsvRecords<'_> {
    type Item = Result<Record, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        while self.chars.peek().is_some() {
            let record = match self.record() {
                Ok(Some(record)) => record,
                Ok(None) => continue,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            };
            let blank = record.fields.len() <= 1
                && record.fields.first().is_none_or(|f| f.trim().is_empty());
            if blank {
                continue;
            }
            if self.rows >= self.limits.max_rows {
                self.failed = true;
                return Some(Err(ReadError::TooManyRows {
                    line: record.line,
                    limit: self.limits.max_rows,
                }));
            }
            self.rows += 1;
            return Some(Ok(record));
        }
        None
    }
}
