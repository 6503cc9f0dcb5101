//! Tables in and out: an uploaded or given file read as records, whatever Chinese users'
//! spreadsheets produce (.xlsx; CSV in UTF-8 with or without a byte-order mark, or in GBK
//! as Chinese Excel saves it), and tables written as .xlsx or as CSV that Excel opens.
//!
//! Reading streams: records come through a bounded channel from a blocking thread, so a
//! large table is never held as records all at once.
//!
//! Reading is bounded by [`Limits`], checked before anything is materialised: a file whose
//! parts would inflate past a size, or hold too many shared strings, is refused before
//! calamine opens it (`inspect`); rows, columns and the length of a cell are counted while
//! the records stream, and the first one over its limit stops the reading with its line.

use std::io::Cursor;
use std::sync::{Arc, OnceLock};

use registry_core::csv::Record;
use tokio::sync::mpsc;

mod inspect;

#[cfg(test)]
mod bombs;
#[cfg(test)]
mod limit_tests;

/// A table's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Office Open XML workbook; the first sheet is read.
    Xlsx,
    /// Comma-separated values.
    Csv,
}

impl Format {
    /// The format of a file: a ZIP archive is a workbook, anything else CSV.
    pub fn of(file_name: &str, bytes: &[u8]) -> Format {
        if bytes.starts_with(b"PK\x03\x04") || file_name.to_ascii_lowercase().ends_with(".xlsx") {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }

    /// Reads `xlsx` or `csv`.
    pub fn parse(text: &str) -> Option<Format> {
        match text.trim().to_ascii_lowercase().as_str() {
            "xlsx" => Some(Format::Xlsx),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
        }
    }

    /// The media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }
}

const MIB: u64 = 1024 * 1024;

/// How much a table may hold. A file over any limit is refused whole, with the limit in
/// the message, before it can take the memory or the time that its size would need; the
/// defaults hold a register's largest real table many times over.
///
/// The sizes of an .xlsx file are checked twice: as its ZIP directory declares them (and
/// their ratio to the compressed size), then by counting every byte while each part is
/// inflated, which stops at the limit whatever the directory said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Rows of the table, the header included; in .xlsx also rows whose cells are all
    /// empty, in CSV not blank lines (default 200,000).
    pub max_rows: usize,
    /// Columns: a cell with something in it beyond this column is refused; empty ones
    /// (formatting) are ignored (default 64).
    pub max_columns: usize,
    /// Characters in one cell (default 4,096).
    pub max_cell_chars: usize,
    /// The file as given: the .xlsx file, or the CSV file's bytes (default 64 MiB).
    pub max_file_bytes: u64,
    /// A CSV file's text, decoded to UTF-8 (default 64 MiB).
    pub max_csv_bytes: u64,
    /// One worksheet of an .xlsx file, inflated (default 256 MiB).
    pub max_sheet_bytes: u64,
    /// The shared strings of an .xlsx file (`sharedStrings.xml`), inflated (default 64 MiB).
    pub max_shared_strings_bytes: u64,
    /// Any other part of an .xlsx file (styles, the workbook, relationships, images),
    /// inflated (default 16 MiB).
    pub max_part_bytes: u64,
    /// Every part of an .xlsx file together, inflated (default 512 MiB).
    pub max_unpacked_bytes: u64,
    /// Parts (files) in an .xlsx file's ZIP archive (default 1,000).
    pub max_parts: usize,
    /// The ratio of a part's inflated size to its compressed size, for parts over 1 MiB
    /// (default 200; real worksheets stay far below, ZIP bombs far above).
    pub max_compression_ratio: u64,
    /// Shared strings (`<si>`) of an .xlsx file, and the count the file announces
    /// (default 1,000,000).
    pub max_shared_strings: u64,
    /// The text of every shared string together, in bytes (default 32 MiB).
    pub max_shared_string_bytes: u64,
    /// One XML element or text of an .xlsx part, and the text of one cell or shared string
    /// in the XML (default 1 MiB). The XML reader holds one such piece at a time.
    pub max_element_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_rows: 200_000,
            max_columns: 64,
            max_cell_chars: 4_096,
            max_file_bytes: 64 * MIB,
            max_csv_bytes: 64 * MIB,
            max_sheet_bytes: 256 * MIB,
            max_shared_strings_bytes: 64 * MIB,
            max_part_bytes: 16 * MIB,
            max_unpacked_bytes: 512 * MIB,
            max_parts: 1_000,
            max_compression_ratio: 200,
            max_shared_strings: 1_000_000,
            max_shared_string_bytes: 32 * MIB,
            max_element_bytes: MIB,
        }
    }
}

impl Limits {
    /// The defaults with `rows` rows allowed; when that is more than the default, the
    /// limits that grow with the rows (the sizes of the file, the CSV text, the worksheet,
    /// the shared strings and all parts together, and the number of shared strings) are
    /// raised in proportion. Never lowers a size.
    pub fn for_rows(rows: usize) -> Limits {
        let default = Limits::default();
        let scale = |value: u64| -> u64 {
            if rows <= default.max_rows {
                return value;
            }
            let scaled = u128::from(value) * rows as u128 / default.max_rows as u128;
            u64::try_from(scaled).unwrap_or(u64::MAX)
        };
        Limits {
            max_rows: rows,
            max_file_bytes: scale(default.max_file_bytes),
            max_csv_bytes: scale(default.max_csv_bytes),
            max_sheet_bytes: scale(default.max_sheet_bytes),
            max_shared_strings_bytes: scale(default.max_shared_strings_bytes),
            max_unpacked_bytes: scale(default.max_unpacked_bytes),
            max_shared_strings: scale(default.max_shared_strings),
            max_shared_string_bytes: scale(default.max_shared_string_bytes),
            ..default
        }
    }
}

/// A number as people read it: `4096`, `200,000`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    if n < 10_000 {
        return digits;
    }
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A size as people read it: `256 MiB`, `8 KiB`, `100 字节`.
fn size(bytes: &u64) -> String {
    let bytes = *bytes;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", grouped(bytes / MIB))
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", grouped(bytes / 1024))
    } else {
        format!("{} 字节", grouped(bytes))
    }
}

fn count(n: &u64) -> String {
    grouped(*n)
}

fn count_usize(n: &usize) -> String {
    grouped(*n as u64)
}

/// Why a table could not be read (as a whole; bad rows are the import's business). Each
/// has a stable code ([`ReadError::code`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Not a readable workbook.
    #[error("无法读取 Excel 文件：{0}")]
    Workbook(String),
    /// A workbook without sheets.
    #[error("Excel 文件中没有工作表")]
    NoSheet,
    /// A quoted CSV field that never ends.
    #[error("第{0}行：引号未闭合")]
    Quote(usize),
    /// Neither UTF-8 nor GBK.
    #[error("无法识别文件的编码（应为 UTF-8 或 GBK）")]
    Encoding,
    /// Nothing in it.
    #[error("文件为空，或没有表头")]
    Empty,
    /// The file is larger than [`Limits::max_file_bytes`].
    #[error("文件过大：超过 {}", size(.limit))]
    FileTooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// A CSV file's text is larger than [`Limits::max_csv_bytes`].
    #[error("文件过大：解码后超过 {}", size(.limit))]
    TextTooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// A part of an .xlsx file inflates past its limit.
    #[error("文件过大：解压后超过 {}（{part}）", size(.limit))]
    PartTooLarge {
        /// The part's name in the archive.
        part: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The parts of an .xlsx file together inflate past [`Limits::max_unpacked_bytes`].
    #[error("文件过大：解压后合计超过 {}", size(.limit))]
    UnpackedTooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// A part of an .xlsx file is compressed more than [`Limits::max_compression_ratio`].
    #[error("文件异常：{part} 的压缩比超过 {}:1（疑似压缩炸弹）", count(.limit))]
    CompressionRatio {
        /// The part's name in the archive.
        part: String,
        /// The limit.
        limit: u64,
    },
    /// An .xlsx file's archive has more parts than [`Limits::max_parts`].
    #[error("文件异常：压缩包中的文件超过 {} 个", count_usize(.limit))]
    TooManyParts {
        /// The limit.
        limit: usize,
    },
    /// More shared strings than [`Limits::max_shared_strings`].
    #[error("共享字符串过多：超过 {} 个", count(.limit))]
    TooManySharedStrings {
        /// The limit.
        limit: u64,
    },
    /// The shared strings' text is larger than [`Limits::max_shared_string_bytes`].
    #[error("共享字符串过多：合计超过 {}", size(.limit))]
    SharedStringsTooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// One XML element, text, cell or shared string of a part is larger than
    /// [`Limits::max_element_bytes`].
    #[error("文件异常：{part} 中有单个元素超过 {}", size(.limit))]
    ElementTooLarge {
        /// The part's name in the archive.
        part: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The cell formats of the styles part would take too much memory to read (each
    /// format copies its number format and font).
    #[error("文件异常：{part} 中的单元格格式过多或过大")]
    TooManyStyles {
        /// The part's name in the archive.
        part: String,
    },
    /// More rows than [`Limits::max_rows`].
    #[error("第{line}行：超过行数上限（{} 行）", count_usize(.limit))]
    TooManyRows {
        /// The first row over the limit.
        line: usize,
        /// The limit.
        limit: usize,
    },
    /// A cell beyond [`Limits::max_columns`] holds something.
    #[error("第{line}行：超过列数上限（{} 列）", count_usize(.limit))]
    TooManyColumns {
        /// The row.
        line: usize,
        /// The limit.
        limit: usize,
    },
    /// A cell longer than [`Limits::max_cell_chars`].
    #[error("第{line}行第{column}列：单元格内容超过 {} 个字符", count_usize(.limit))]
    CellTooLong {
        /// The row.
        line: usize,
        /// The column, from 1.
        column: usize,
        /// The limit, in characters.
        limit: usize,
    },
}

impl ReadError {
    /// The stable code of the error, for reports and programs.
    pub fn code(&self) -> &'static str {
        match self {
            ReadError::Workbook(_) => "file.unreadable",
            ReadError::NoSheet => "file.no_sheet",
            ReadError::Quote(_) => "file.unterminated_quote",
            ReadError::Encoding => "file.encoding",
            ReadError::Empty => "file.empty",
            ReadError::FileTooLarge { .. } => "file.too_large",
            ReadError::TextTooLarge { .. } => "file.text_too_large",
            ReadError::PartTooLarge { .. } => "file.part_too_large",
            ReadError::UnpackedTooLarge { .. } => "file.unpacked_too_large",
            ReadError::CompressionRatio { .. } => "file.compression_ratio",
            ReadError::TooManyParts { .. } => "file.too_many_parts",
            ReadError::TooManySharedStrings { .. } => "file.too_many_shared_strings",
            ReadError::SharedStringsTooLarge { .. } => "file.shared_strings_too_large",
            ReadError::ElementTooLarge { .. } => "file.element_too_large",
            ReadError::TooManyStyles { .. } => "file.too_many_styles",
            ReadError::TooManyRows { .. } => "table.too_many_rows",
            ReadError::TooManyColumns { .. } => "table.too_many_columns",
            ReadError::CellTooLong { .. } => "table.cell_too_long",
        }
    }

    /// Whether the error is a limit of [`Limits`] (the file may be fine, only too large).
    pub fn is_limit(&self) -> bool {
        !matches!(
            self,
            ReadError::Workbook(_)
                | ReadError::NoSheet
                | ReadError::Quote(_)
                | ReadError::Encoding
                | ReadError::Empty
        )
    }
}

/// A table to read, cheap to clone (an import reads it twice).
#[derive(Debug, Clone)]
pub struct Source {
    format: Format,
    bytes: Arc<Vec<u8>>,
    limits: Limits,
    /// The checks of the whole file ([`Source::check`]), made once.
    checked: Arc<OnceLock<Result<(), ReadError>>>,
}

impl Source {
    /// A file's bytes, with its name (for the format), read within the default limits.
    pub fn new(file_name: &str, bytes: Vec<u8>) -> Source {
        Source::with_limits(file_name, bytes, Limits::default())
    }

    /// A file's bytes, with its name (for the format), read within `limits`.
    pub fn with_limits(file_name: &str, bytes: Vec<u8>, limits: Limits) -> Source {
        Source {
            format: Format::of(file_name, &bytes),
            bytes: Arc::new(bytes),
            limits,
            checked: Arc::new(OnceLock::new()),
        }
    }

    /// The format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The limits it is read within.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Checks the whole file against the limits that need no reading of its records: the
    /// file's size; for .xlsx, its ZIP directory, then every part inflated through a
    /// counter (stopping at the limit) and its XML scanned for oversized elements and
    /// shared strings. Made once per file (and its clones), before the first record;
    /// [`Source::stream`], [`Source::records`] and [`Source::read_all`] call it. Blocking (it
    /// inflates every part): call it from a blocking thread, as they do.
    pub fn check(&self) -> Result<(), ReadError> {
        self.checked
            .get_or_init(|| {
                if self.bytes.len() as u64 > self.limits.max_file_bytes {
                    return Err(ReadError::FileTooLarge {
                        limit: self.limits.max_file_bytes,
                    });
                }
                match self.format {
                    Format::Csv => {
                        // Decoded text is never shorter than the bytes (GBK: 2 bytes, 3 in
                        // UTF-8), so a file over the limit is refused before decoding.
                        if self.bytes.len() as u64 > self.limits.max_csv_bytes {
                            return Err(ReadError::TextTooLarge {
                                limit: self.limits.max_csv_bytes,
                            });
                        }
                        Ok(())
                    }
                    Format::Xlsx => {
                        inspect::inspect(&self.bytes, &self.limits, &mut inspect::Tally::default())
                    }
                }
            })
            .clone()
    }

    /// The records, streamed from a blocking thread; at most 1,024 wait in the channel.
    /// The first error ends the stream.
    pub fn stream(&self) -> mpsc::Receiver<Result<Record, ReadError>> {
        let (sender, receiver) = mpsc::channel(1024);
        let source = self.clone();
        tokio::task::spawn_blocking(move || {
            let send = |item| sender.blocking_send(item).is_ok();
            source.read(send);
        });
        receiver
    }

    /// Every record at once (for small tables), read on a blocking thread.
    pub async fn records(&self) -> Result<Vec<Record>, ReadError> {
        let mut stream = self.stream();
        let mut out = Vec::new();
        while let Some(item) = stream.recv().await {
            out.push(item?);
        }
        Ok(out)
    }

    /// Every record at once (for small tables), read on this thread.
    pub fn read_all(&self) -> Result<Vec<Record>, ReadError> {
        let mut out = Vec::new();
        let mut error = None;
        let push = |item: Result<Record, ReadError>| match item {
            Ok(record) => {
                out.push(record);
                true
            }
            Err(e) => {
                error = Some(e);
                false
            }
        };
        self.read(push);
        match error {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    fn read(&self, mut send: impl FnMut(Result<Record, ReadError>) -> bool) {
        if let Err(e) = self.check() {
            send(Err(e));
            return;
        }
        match self.format {
            Format::Csv => read_csv(&self.bytes, &self.limits, send),
            Format::Xlsx => read_xlsx(&self.bytes, &self.limits, send),
        }
    }
}

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

fn read_csv(
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
struct CsvRecords<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    rows: usize,
    limits: Limits,
    failed: bool,
}

impl<'a> CsvRecords<'a> {
    fn new(text: &'a str, limits: Limits) -> CsvRecords<'a> {
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

/// An Excel serial date (days since 1899-12-30) as `YYYY-MM-DD`.
fn excel_date(serial: f64) -> Option<String> {
    let days = serial.floor();
    if !(1.0..=2_958_465.0).contains(&days) {
        return None;
    }
    // Julian day 2,415,019 is 1899-12-30.
    let date = time::Date::from_julian_day(2_415_019 + days as i32).ok()?;
    Some(registry_core::date::format_date(date))
}

fn cell_text(cell: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef;
    match cell {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) if d.is_datetime() => {
            excel_date(d.as_f64()).unwrap_or_else(|| d.as_f64().to_string())
        }
        DataRef::DateTime(d) => d.as_f64().to_string(),
        DataRef::Error(e) => e.to_string(),
    }
}

fn read_xlsx(
    bytes: &[u8],
    limits: &Limits,
    mut send: impl FnMut(Result<Record, ReadError>) -> bool,
) {
    use calamine::Reader;
    let mut workbook = match calamine::Xlsx::new(Cursor::new(bytes)) {
        Ok(w) => w,
        Err(e) => {
            send(Err(ReadError::Workbook(e.to_string())));
            return;
        }
    };
    let Some(sheet) = workbook.sheet_names().first().cloned() else {
        send(Err(ReadError::NoSheet));
        return;
    };
    let mut cells = match workbook.worksheet_cells_reader(&sheet) {
        Ok(cells) => cells,
        Err(e) => {
            send(Err(ReadError::Workbook(e.to_string())));
            return;
        }
    };
    let mut row: Option<(u32, Vec<String>)> = None;
    let mut rows = 0usize;
    loop {
        match cells.next_cell() {
            Ok(Some(cell)) => {
                let (r, c) = cell.get_position();
                let line = r as usize + 1;
                if row.as_ref().is_none_or(|(current, _)| *current != r) {
                    if let Some((line, fields)) = row.take()
                        && !send(Ok(Record {
                            line: line as usize + 1,
                            fields,
                        }))
                    {
                        return;
                    }
                    if rows >= limits.max_rows {
                        send(Err(ReadError::TooManyRows {
                            line,
                            limit: limits.max_rows,
                        }));
                        return;
                    }
                    rows += 1;
                }
                let (_, fields) = row.get_or_insert_with(|| (r, Vec::new()));
                let text = cell_text(cell.get_value());
                let c = c as usize;
                if c >= limits.max_columns {
                    if text.is_empty() {
                        continue;
                    }
                    send(Err(ReadError::TooManyColumns {
                        line,
                        limit: limits.max_columns,
                    }));
                    return;
                }
                if text.chars().count() > limits.max_cell_chars {
                    send(Err(ReadError::CellTooLong {
                        line,
                        column: c + 1,
                        limit: limits.max_cell_chars,
                    }));
                    return;
                }
                if fields.len() <= c {
                    fields.resize(c + 1, String::new());
                }
                if let Some(slot) = fields.get_mut(c) {
                    *slot = text;
                }
            }
            Ok(None) => break,
            Err(e) => {
                send(Err(ReadError::Workbook(e.to_string())));
                return;
            }
        }
    }
    if let Some((line, fields)) = row {
        send(Ok(Record {
            line: line as usize + 1,
            fields,
        }));
    }
}

/// Why a table could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("无法生成表格：{0}")]
pub struct WriteError(String);

/// A cell as CSV: quoted when needed; a cell that a spreadsheet would run as a formula
/// (starting with = + - @) gets a leading apostrophe.
fn csv_cell(text: &str, out: &mut String) {
    let guarded = matches!(
        text.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    ) && !text.chars().all(|c| c == '-' || c.is_ascii_digit());
    let value = if guarded {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&value);
    }
}

/// A table as a file: every cell as text (ID numbers and codes must not become numbers).
/// CSV is UTF-8 with a byte-order mark and CRLF line ends, which Excel opens as Chinese.
pub fn write_table(
    format: Format,
    sheet: &str,
    header: &[&str],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, WriteError> {
    match format {
        Format::Csv => {
            let mut out = String::from("\u{FEFF}");
            for line in std::iter::once(header.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>())
                .chain(rows.iter().cloned())
            {
                for (i, cell) in line.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    csv_cell(cell, &mut out);
                }
                out.push_str("\r\n");
            }
            Ok(out.into_bytes())
        }
        Format::Xlsx => {
            let error = |e: rust_xlsxwriter::XlsxError| WriteError(e.to_string());
            let mut workbook = rust_xlsxwriter::Workbook::new();
            let bold = rust_xlsxwriter::Format::new().set_bold();
            let worksheet = workbook.add_worksheet();
            worksheet.set_name(sheet).map_err(error)?;
            for (c, h) in header.iter().enumerate() {
                let c = u16::try_from(c).map_err(|_| WriteError("too many columns".into()))?;
                worksheet
                    .write_string_with_format(0, c, *h, &bold)
                    .map_err(error)?;
                worksheet.set_column_width(c, 16).map_err(error)?;
            }
            for (r, line) in rows.iter().enumerate() {
                let r = u32::try_from(r + 1).map_err(|_| WriteError("too many rows".into()))?;
                for (c, cell) in line.iter().enumerate() {
                    let c = u16::try_from(c).map_err(|_| WriteError("too many columns".into()))?;
                    if !cell.is_empty() {
                        worksheet.write_string(r, c, cell).map_err(error)?;
                    }
                }
            }
            worksheet.set_freeze_panes(1, 0).map_err(error)?;
            workbook.save_to_buffer().map_err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_recognised() {
        let text = "姓名,身份证号\n林建国,11010519491231002X\n";
        assert_eq!(decode(text.as_bytes()).unwrap(), text);
        let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        assert_eq!(decode(&bom).unwrap(), text);
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        assert_eq!(decode(&gbk).unwrap(), text);
        assert_eq!(decode(&[0xFF, 0xFF, 0xFF]), Err(ReadError::Encoding));
    }

    #[test]
    fn excel_serial_dates() {
        assert_eq!(excel_date(45555.0).as_deref(), Some("2024-09-20"));
        assert_eq!(excel_date(1.0).as_deref(), Some("1899-12-31"));
    }

    #[test]
    fn tables_round_trip_in_both_formats() {
        let header = ["姓名", "身份证号", "备注"];
        let rows = vec![vec![
            "林建国".to_owned(),
            "11010519491231002X".to_owned(),
            "=HYPERLINK(\"x\"), \"引号\"".to_owned(),
        ]];
        for format in [Format::Csv, Format::Xlsx] {
            let bytes = write_table(format, "人员", &header, &rows).unwrap();
            let records = Source::new(&format!("t.{}", format.extension()), bytes)
                .read_all()
                .unwrap();
            assert_eq!(records.len(), 2);
            assert_eq!(records[1].fields[0], "林建国");
            assert_eq!(records[1].fields[1], "11010519491231002X");
            if format == Format::Csv {
                assert_eq!(records[1].fields[2], "'=HYPERLINK(\"x\"), \"引号\"");
            }
        }
    }
}
