//! Each list exports what it shows: the same columns as the screen (ID numbers masked as
//! shown), every row of the list with its filters, as .xlsx or CSV (`format=xlsx` /
//! `format=csv` on the list's address). At most [`MAX_ROWS`] rows.

use poem::Response;
use poem::http::{StatusCode, header};
use registry_batch::table::{Format, write_table};

use std::future::Future;

use registry_core::ports::StoreError;

use crate::errors::PageResult;

/// The most rows one export holds.
pub(crate) const MAX_ROWS: u64 = 100_000;

/// The file format asked for by a list's `format=`, if any.
pub(crate) fn requested(format: &str) -> Option<Format> {
    match format {
        "xlsx" => Some(Format::Xlsx),
        "csv" => Some(Format::Csv),
        _ => None,
    }
}

/// Every row of a paged list, up to [`MAX_ROWS`]: `fetch(offset)` answers a page from
/// `offset` and the list's total; pages of `step` rows are asked for until the total.
pub(crate) async fn every_page<T, F, Fut>(step: u64, mut fetch: F) -> Result<Vec<T>, StoreError>
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, u64), StoreError>>,
{
    let mut rows = Vec::new();
    let mut offset = 0;
    loop {
        let (page, total) = fetch(offset).await?;
        let done = page.is_empty();
        rows.extend(page);
        offset += step;
        if done || offset >= total || offset >= MAX_ROWS {
            return Ok(rows);
        }
    }
}

/// The list as a file named `name-YYYY-MM-DD.ext`.
pub(crate) fn respond(
    format: Format,
    name: &str,
    today: time::Date,
    header: &[&str],
    rows: &[Vec<String>],
) -> PageResult {
    let bytes = write_table(format, name, header, rows)
        .map_err(|e| crate::errors::PageError::from(StoreError::Unexpected(e.to_string())))?;
    let file_name = format!(
        "{name}-{}.{}",
        registry_core::date::format_date(today),
        format.extension()
    );
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, format.media_type())
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(bytes))
}
