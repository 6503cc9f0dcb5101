//! The public pages: the home page with its four entries, 人员查询 (registered people
//! only, never an ID number, phone or address) and 无聘用单位人员.

use poem::http::StatusCode;
use poem::web::Query;
use poem::{Request, Response, handler};
use registry_core::education::format_hours;
use registry_core::review_item::ReviewItemCode;
use registry_store::queries::{PoolQuery, PublicQuery};
use serde::Deserialize;

use super::{Fields, layout, state};
use crate::client::client_address;
use crate::errors::{PageResult, html};
use crate::templates::{
    Home, PageNumber, Pager, Pool, PoolRow, PublicInstitutionView, PublicRow, PublicSearch,
};

#[handler]
pub(crate) fn home(req: &Request) -> Response {
    html(
        StatusCode::OK,
        &Home {
            layout: layout(req),
        },
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct SearchQuery {
    #[serde(default)]
    pub(crate) by: String,
    #[serde(default)]
    pub(crate) q: String,
}

/// Rows a public page shows.
pub(crate) const PAGE: u64 = 20;

/// Counts a public search of this client; `Err` with the response once over the limit.
pub(crate) fn rate_limit(req: &Request) -> Result<(), Response> {
    let state = state(req);
    let client = client_address(req, state.config.trusted_proxy);
    if !state.count_search(&client) {
        return Err(crate::errors::message_page(
            layout(req),
            StatusCode::TOO_MANY_REQUESTS,
            "查询过于频繁",
            "查询过于频繁，请稍后再试。",
            Some(("/", "返回首页")),
        ));
    }
    Ok(())
}

/// What a page says when an ID number comes in the address: it is looked up only from a
/// form's body, since addresses are kept in browser histories and proxies' logs.
pub(crate) const ID_IN_ADDRESS: &str =
    "按身份证号查询请使用本页的查询表单提交：身份证号不放在网址中。";

/// What a search is by: `id`, `number`, or (anything else) `name`.
pub(crate) fn search_kind(by: &str) -> &'static str {
    match by {
        "id" => "id",
        "number" => "number",
        _ => "name",
    }
}

/// A search of the people by `by` (name, id or number) for `q`: the one parser of every
/// search of people (`crate::queries::people_query`), its refusal as the page says it.
pub(crate) fn people_query(by: &str, q: &str, today: time::Date) -> Result<PublicQuery, String> {
    crate::queries::people_query(by, q, today).map_err(|refused| refused.message)
}

/// 人员查询 from a link (`?by=name&q=…`, `?by=number&q=…`); by ID number only from the form.
#[handler]
pub(crate) async fn search(req: &Request, Query(query): Query<SearchQuery>) -> PageResult {
    search_page(req, &query.by, &query.q, false).await
}

/// 人员查询 from its form.
#[handler]
pub(crate) async fn search_form(req: &Request, body: String) -> PageResult {
    let fields = Fields::parse(&body);
    search_page(req, &fields.get("by"), &fields.get("q"), true).await
}

async fn search_page(req: &Request, by: &str, q: &str, from_form: bool) -> PageResult {
    let state = state(req);
    let q = q.trim().to_owned();
    let by = search_kind(by).to_owned();
    let mut page = PublicSearch {
        layout: layout(req),
        by: by.clone(),
        // An ID number is not written back into the page (nor kept in its form).
        q: if by == "id" { String::new() } else { q.clone() },
        searched: false,
        error: None,
        results: vec![],
    };
    if q.is_empty() {
        return Ok(html(StatusCode::OK, &page));
    }
    if by == "id" && !from_form {
        page.error = Some(ID_IN_ADDRESS.to_owned());
        return Ok(html(StatusCode::OK, &page));
    }
    let query = match people_query(&by, &q, state.today()) {
        Ok(query) => query,
        Err(message) => {
            page.error = Some(message);
            return Ok(html(StatusCode::OK, &page));
        }
    };
    rate_limit(req)?;
    let found = state
        .store
        .public_search(&query, state.today(), &state.calendar(), PAGE)
        .await?;
    page.searched = true;
    page.results = found
        .into_iter()
        .map(|p| PublicRow {
            name: p.name,
            number: p
                .registration_number
                .map(|n| n.to_string())
                .unwrap_or_default(),
            institutions: p
                .institutions
                .into_iter()
                .map(|i| PublicInstitutionView {
                    name: i.name,
                    items: i
                        .items
                        .into_iter()
                        .map(|(code, until)| {
                            (
                                state.catalogue.name_of(&code).to_owned(),
                                registry_core::date::format_date(until),
                            )
                        })
                        .collect(),
                })
                .collect(),
            hours: format_hours(p.hours_this_cycle),
            cycle: p.cycle,
            working_days: p.working_days,
        })
        .collect();
    Ok(html(StatusCode::OK, &page))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PoolParams {
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) item: String,
    #[serde(default)]
    pub(crate) page: Option<u64>,
    /// `xlsx` or `csv`: the list as a file (an institution's only).
    #[serde(default)]
    pub(crate) format: String,
}

/// The pool page for the public (`hire` false) or an institution (`hire` true).
pub(crate) async fn pool_page(req: &Request, params: &PoolParams, hire: bool) -> PageResult {
    let state = state(req);
    let item = ReviewItemCode::parse(&params.item)
        .ok()
        .filter(|c| state.catalogue.get(c).is_some());
    let mut query = PoolQuery {
        name: Some(params.name.trim().to_owned()).filter(|n| !n.is_empty()),
        item: item.clone(),
        offset: 0,
        limit: PAGE,
    };
    let today = state.today();
    let age_limit = {
        use registry_core::ports::RegisterTx;
        let cycles = state.store.begin_read().await?.cycles().await?;
        registry_core::read::pool::pool_age_limit(&cycles, today)
    };
    let total = state.store.pool_total(&query, today, age_limit).await?;
    if hire && let Some(format) = crate::pages::export::requested(&params.format) {
        let step = registry_store::queries::MAX_PAGE;
        let rows: Vec<Vec<String>> = crate::pages::export::every_page(step, |offset| {
            let page = PoolQuery {
                offset,
                limit: step,
                ..query.clone()
            };
            async move {
                let listed = state.store.pool_search(&page, today, age_limit).await?;
                Ok((listed, total))
            }
        })
        .await?
        .into_iter()
        .map(|e| {
            vec![
                e.name,
                state.catalogue.name_of(&e.item).to_owned(),
                registry_core::date::format_date(e.qualified_on),
            ]
        })
        .collect();
        return crate::pages::export::respond(
            format,
            "pool",
            today,
            &["姓名", "评审项目", "取得资格日期"],
            &rows,
        );
    }
    let number = PageNumber::from_query(params.page);
    query.offset = number.offset(total);
    let entries = state.store.pool_search(&query, today, age_limit).await?;
    let action = if hire { "/institution/pool" } else { "/pool" };
    let pager = Pager::new(
        action,
        &[("name", params.name.trim()), ("item", params.item.as_str())],
        number,
        total,
        "条",
    );
    let pager = if hire { pager.exported() } else { pager };
    let page = Pool {
        layout: layout(req),
        action,
        hire,
        name: params.name.clone(),
        item: item.map(|c| c.as_str().to_owned()).unwrap_or_default(),
        catalogue: state
            .catalogue
            .items()
            .iter()
            .map(|i| (i.code().as_str().to_owned(), i.name().to_owned()))
            .collect(),
        rows: entries
            .into_iter()
            .map(|e| PoolRow {
                person: e.person.get(),
                name: e.name,
                item_name: state.catalogue.name_of(&e.item).to_owned(),
                item: e.item.as_str().to_owned(),
                qualified_on: registry_core::date::format_date(e.qualified_on),
            })
            .collect(),
        pager,
    };
    Ok(html(StatusCode::OK, &page))
}

#[handler]
pub(crate) async fn pool(req: &Request, Query(params): Query<PoolParams>) -> PageResult {
    if !params.name.trim().is_empty() || !params.item.is_empty() || params.page.is_some() {
        rate_limit(req)?;
    }
    pool_page(req, &params, false).await
}
