//! 上一页/下一页 of every list: 20 rows a page, the total, and links that keep the list's
//! filters. The page asked for is bounded by the last page, so an address cannot ask the
//! database to skip more rows than the list has.

/// Rows on a page of every list.
pub(crate) const PAGE_SIZE: u64 = 20;

/// The page of a list to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageNumber(u64);

impl PageNumber {
    /// The page from the address (`page=`), 1 when missing or nonsense.
    pub(crate) fn from_query(page: Option<u64>) -> PageNumber {
        PageNumber(page.unwrap_or(1).clamp(1, u64::from(u32::MAX)))
    }

    /// The first row of the page, once the total is known: a page past the last shows the
    /// last.
    pub(crate) fn offset(self, total: u64) -> u64 {
        (self.bounded(total) - 1) * PAGE_SIZE
    }

    /// The page number within `1..=pages` of a list of `total` rows.
    pub(crate) fn bounded(self, total: u64) -> u64 {
        self.0.min(pages(total))
    }

    /// The page asked for, unbounded (for lists whose total is counted with the page).
    pub(crate) fn get(self) -> u64 {
        self.0
    }
}

fn pages(total: u64) -> u64 {
    total.div_ceil(PAGE_SIZE).max(1)
}

/// What the pager under a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pager {
    /// The rows in all.
    pub(crate) total: u64,
    /// This page (from 1).
    pub(crate) page: u64,
    /// The number of pages (at least 1).
    pub(crate) pages: u64,
    /// The address of the previous page, if any.
    pub(crate) previous: Option<String>,
    /// The address of the next page, if any.
    pub(crate) next: Option<String>,
    /// What the rows are counted in (人, 条, 门 …).
    pub(crate) unit: &'static str,
    /// The whole list as .xlsx and as CSV (the same filters), where the list offers it.
    pub(crate) exports: Option<(String, String)>,
    /// The list's address with its filters, without the page.
    base: String,
}

impl Pager {
    /// The pager of a list at `path` whose filters are `params` (empty values left out).
    pub(crate) fn new(
        path: &str,
        params: &[(&str, &str)],
        page: PageNumber,
        total: u64,
        unit: &'static str,
    ) -> Pager {
        let pages = pages(total);
        let page = page.bounded(total);
        let link = |n: u64| {
            let mut query: Vec<(&str, String)> = params
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (*k, (*v).to_owned()))
                .collect();
            if n > 1 {
                query.push(("page", n.to_string()));
            }
            let encoded = serde_urlencoded::to_string(&query).unwrap_or_default();
            if encoded.is_empty() {
                path.to_owned()
            } else {
                format!("{path}?{encoded}")
            }
        };
        Pager {
            total,
            page,
            pages,
            previous: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
            unit,
            exports: None,
            base: link(1),
        }
    }

    /// The same pager, offering the whole list as a file (`format=xlsx` / `format=csv`
    /// added to the list's address).
    pub(crate) fn exported(mut self) -> Pager {
        let joiner = if self.base.contains('?') { '&' } else { '?' };
        self.exports = Some((
            format!("{}{joiner}format=xlsx", self.base),
            format!("{}{joiner}format=csv", self.base),
        ));
        self
    }

    /// The rows of this page out of a list the page computed whole.
    pub(crate) fn slice<T>(&self, rows: Vec<T>) -> Vec<T> {
        let start = usize::try_from((self.page - 1) * PAGE_SIZE).unwrap_or(usize::MAX);
        rows.into_iter()
            .skip(start)
            .take(PAGE_SIZE as usize)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{PageNumber, Pager};

    #[test]
    fn pages_keep_the_filters_and_stop_at_the_last() {
        let p = Pager::new(
            "/institution",
            &[("state", "released"), ("name", "")],
            PageNumber::from_query(Some(9)),
            45,
            "人",
        );
        assert_eq!((p.page, p.pages, p.total), (3, 3, 45));
        assert_eq!(
            p.previous.as_deref(),
            Some("/institution?state=released&page=2")
        );
        assert_eq!(p.next, None);
        let first = Pager::new(
            "/pool",
            &[("name", "张三")],
            PageNumber::from_query(Some(2)),
            45,
            "条",
        );
        assert_eq!(
            first.previous.as_deref(),
            Some("/pool?name=%E5%BC%A0%E4%B8%89")
        );
        assert_eq!(PageNumber::from_query(Some(0)).offset(45), 0);
        assert_eq!(PageNumber::from_query(Some(3)).offset(45), 40);
        assert_eq!(PageNumber::from_query(None).offset(0), 0);
    }

    #[test]
    fn a_computed_list_is_sliced() {
        let p = Pager::new("/x", &[], PageNumber::from_query(Some(2)), 25, "条");
        let rows: Vec<u32> = (0..25).collect();
        assert_eq!(p.slice(rows), (20..25).collect::<Vec<_>>());
    }
}
