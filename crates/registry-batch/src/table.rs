//! Tables in and out: an uploaded or given file read as records, whatever Chinese users'
//! spreadsheets produce (.xlsx; CSV in UTF-8 with or without a byte-order mark, or in GBK
//! as Chinese Excel saves it), and tables written as .xlsx or as CSV that Excel opens.
//!
//! Reading streams: records come through a bounded channel from a blocking thread, so a
//! large table is never held as records all at once.

use std::io::Cursor;
use std::sync::Arc;

use registry_core::csv::Record;
use tokio::sync::mpsc;

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

/// Why a table could not be read (as a whole; bad rows are the import's business).
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
}

/// A table to read, cheap to clone (an import reads it twice).
#[derive(Debug, Clone)]
pub struct Source {
    format: Format,
    bytes: Arc<Vec<u8>>,
}

impl Source {
    /// A file's bytes, with its name (for the format).
    pub fn new(file_name: &str, bytes: Vec<u8>) -> Source {
        Source {
            format: Format::of(file_name, &bytes),
            bytes: Arc::new(bytes),
        }
    }

    /// The format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The records, streamed from a blocking thread; at most 1,024 wait in the channel.
    pub fn stream(&self) -> mpsc::Receiver<Result<Record, ReadError>> {
        let (sender, receiver) = mpsc::channel(1024);
        let source = self.clone();
        tokio::task::spawn_blocking(move || {
            let send = |item| sender.blocking_send(item).is_ok();
            match source.format {
                Format::Csv => read_csv(&source.bytes, send),
                Format::Xlsx => read_xlsx(&source.bytes, send),
            }
        });
        receiver
    }

    /// Every record at once (for small tables).
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
        match self.format {
            Format::Csv => read_csv(&self.bytes, push),
            Format::Xlsx => read_xlsx(&self.bytes, push),
        }
        match error {
            Some(e) => Err(e),
            None => Ok(out),
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

fn read_csv(bytes: &[u8], mut send: impl FnMut(Result<Record, ReadError>) -> bool) {
    let text = match decode(bytes) {
        Ok(text) => text,
        Err(e) => {
            send(Err(e));
            return;
        }
    };
    for record in registry_core::csv::Records::new(&text) {
        let item = record.map_err(|e| ReadError::Quote(e.line));
        if !send(item) {
            return;
        }
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

fn read_xlsx(bytes: &[u8], mut send: impl FnMut(Result<Record, ReadError>) -> bool) {
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
    loop {
        match cells.next_cell() {
            Ok(Some(cell)) => {
                let (r, c) = cell.get_position();
                if row.as_ref().is_some_and(|(current, _)| *current != r)
                    && let Some((line, fields)) = row.take()
                    && !send(Ok(Record {
                        line: line as usize + 1,
                        fields,
                    }))
                {
                    return;
                }
                let (_, fields) = row.get_or_insert_with(|| (r, Vec::new()));
                let c = c as usize;
                if fields.len() <= c {
                    fields.resize(c + 1, String::new());
                }
                if let Some(slot) = fields.get_mut(c) {
                    *slot = cell_text(cell.get_value());
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
