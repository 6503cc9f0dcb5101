//! Tables out: .xlsx with every cell as text, or CSV with a byte-order mark and CRLF that
//! Excel opens; cells a spreadsheet would run as formulas get a leading apostrophe.

use super::*;

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
