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

use std::sync::{Arc, OnceLock};

use registry_core::csv::Record;
use tokio::sync::mpsc;

mod csv;
mod inspect;
mod write;
mod xlsx;

pub use csv::decode;
use csv::read_csv;
pub use write::{WriteError, write_table};
use xlsx::read_xlsx;

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

#[cfg(test)]
mod tests {
    use super::xlsx::excel_date;
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
