//! .xlsx in: the first sheet's cells as text (Excel serial dates as `YYYY-MM-DD`), read
//! after `inspect` found the workbook within its limits.

use std::io::Cursor;

use registry_core::csv::Record;

use super::*;

/// An Excel serial date (days since 1899-12-30) as `YYYY-MM-DD`.
pub(super) fn excel_date(serial: f64) -> Option<String> {
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

pub(super) fn read_xlsx(
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
