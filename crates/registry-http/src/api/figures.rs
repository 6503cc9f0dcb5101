//! The association's figures through the API, decided by the core's `read::dashboard` as
//! the pages 覆盖情况 and 各评审项目有效注册 are: every (institution, item) with somebody
//! registered today or at a horizon (3, 6, 12 months ahead, if nobody renews), with the
//! horizon at which nobody is left; and the registrations in force on the first of each
//! month of the last and next 12 months, in all and per item. Read from the register as it
//! is at the request.

use std::collections::BTreeMap;

use poem::Request;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use registry_core::date::format_date;
use registry_core::read::dashboard::{
    coverage, horizons, in_force_by_item, in_force_on, month_points,
};

use super::wire::ItemCodeText;
use super::{ApiResult, Tag, association, state};

/// One institution's registered assessors of one item, today and ahead.
#[derive(Object, Debug)]
struct CoverageRowOut {
    institution_id: i64,
    institution: String,
    item: String,
    item_name: String,
    /// People registered on each day of `horizons`.
    counts: Vec<u32>,
    /// The first horizon (months from today) at which nobody is left, while somebody is
    /// registered today.
    runs_out_within_months: Option<u32>,
}

/// 覆盖情况.
#[derive(Object, Debug)]
struct CoverageOut {
    /// Today, then 3, 6 and 12 months ahead.
    horizons: Vec<String>,
    rows: Vec<CoverageRowOut>,
}

/// One item's registrations in force on each day of `days`.
#[derive(Object, Debug)]
struct ItemSeriesOut {
    item: String,
    item_name: String,
    counts: Vec<u32>,
}

/// 各评审项目有效注册.
#[derive(Object, Debug)]
struct InForceOut {
    /// The first of each month of the last 12 months, today, the first of each of the next
    /// 12 (ahead: if nobody renews).
    days: Vec<String>,
    /// Registrations in force on each day, every item.
    total: Vec<u32>,
    items: Vec<ItemSeriesOut>,
}

/// The association's figures (tag 促进会).
#[derive(Default)]
pub(crate) struct FiguresApi;

#[OpenApi]
impl FiguresApi {
    /// 覆盖情况: every (institution, item) with somebody registered today or at a horizon;
    /// of one item (`item`), or only those about to have nobody (`running_out`).
    #[oai(
        path = "/association/coverage",
        method = "get",
        tag = "Tag::Association"
    )]
    async fn coverage(
        &self,
        req: &Request,
        /// A review item's code (`RQ-ZZ`).
        item: Query<Option<ItemCodeText>>,
        /// Only the pairs about to have nobody registered.
        running_out: Query<Option<bool>>,
    ) -> ApiResult<Json<CoverageOut>> {
        association(req)?;
        let state = state(req)?;
        let today = state.today();
        let names: BTreeMap<_, _> = state
            .store
            .institutions()
            .await?
            .into_iter()
            .map(|i| {
                (
                    i.institution.id,
                    i.institution.details.name.as_str().to_owned(),
                )
            })
            .collect();
        let spans = state.store.registration_spans(None, today).await?;
        let running_out = running_out.0.unwrap_or(false);
        let rows = coverage(&spans, today)
            .into_iter()
            .filter(|r| item.0.as_deref().is_none_or(|i| r.item.as_str() == i))
            .filter(|r| !running_out || r.runs_out_within().is_some())
            .map(|r| CoverageRowOut {
                institution_id: r.institution.get(),
                institution: names.get(&r.institution).cloned().unwrap_or_default(),
                item: r.item.as_str().to_owned(),
                item_name: state.catalogue.name_of(&r.item).to_owned(),
                counts: r.counts.to_vec(),
                runs_out_within_months: r.runs_out_within(),
            })
            .collect();
        Ok(Json(CoverageOut {
            horizons: horizons(today).into_iter().map(format_date).collect(),
            rows,
        }))
    }

    /// 各评审项目有效注册: the registrations in force month by month, in all and per item.
    #[oai(
        path = "/association/in-force",
        method = "get",
        tag = "Tag::Association"
    )]
    async fn in_force(&self, req: &Request) -> ApiResult<Json<InForceOut>> {
        association(req)?;
        let state = state(req)?;
        let today = state.today();
        let days = month_points(today, 12, 12);
        let spans = state.store.registration_spans(None, days[0]).await?;
        Ok(Json(InForceOut {
            total: in_force_on(&spans, &days),
            items: in_force_by_item(&spans, &days, &state.catalogue)
                .into_iter()
                .map(|(item, counts)| ItemSeriesOut {
                    item_name: state.catalogue.name_of(&item).to_owned(),
                    item: item.as_str().to_owned(),
                    counts,
                })
                .collect(),
            days: days.into_iter().map(format_date).collect(),
        }))
    }
}
