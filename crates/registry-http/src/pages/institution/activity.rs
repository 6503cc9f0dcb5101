//! What an institution follows over time: its registrations ending within the renewal
//! window, each with its renewal outlook, and the on-site assessments it recorded.

use poem::http::StatusCode;

use poem::web::Query;
use poem::{Request, handler};
use serde::Deserialize;

use registry_core::date::format_date;

use registry_core::ports::RegisterTx;

use registry_core::read::outlook::person_outlook;
use registry_core::registration::Reference;

use crate::pages::person_file::{assessment_rows, load_person};
use crate::pages::{institution_account, layout, state};

use crate::errors::{PageResult, html};
use crate::templates::pager::PAGE_SIZE;
use crate::templates::{
    ExpiringRow, InstitutionAssessments, InstitutionExpiring, PageNumber, Pager,
};

#[handler]
pub(crate) async fn expiring(req: &Request, Query(query): Query<ListQuery>) -> PageResult {
    let (institution, _) = institution_account(req)?;
    let state = state(req);
    let today = state.today();
    let until = state
        .store
        .begin_read()
        .await?
        .cycles()
        .await?
        .renewal_horizon(today);
    let list = state.store.expiring(institution, today, until).await?;
    let export = crate::pages::export::requested(&query.format);
    let pager = Pager::new(
        "/institution/expiring",
        &[],
        PageNumber::from_query(query.page),
        list.len() as u64,
        "项",
    )
    .exported();
    let list = if export.is_some() {
        list
    } else {
        pager.slice(list)
    };
    let mut rows = Vec::with_capacity(list.len());
    for e in list {
        // The item's next step and what it needs, from the core's outlook.
        let problems = match load_person(state, e.person).await? {
            Some((record, cycles)) => {
                let reference = Reference {
                    catalogue: &state.catalogue,
                    cycles: &cycles,
                };
                let outlook = person_outlook(&record, reference, today);
                outlook
                    .items
                    .iter()
                    .find(|i| i.item == e.item)
                    .map(|i| {
                        std::iter::once(i.describe(&state.catalogue, today))
                            .chain(i.problems().iter().map(ToString::to_string))
                            .collect()
                    })
                    .unwrap_or_default()
            }
            None => vec![],
        };
        rows.push(ExpiringRow {
            person: e.person.get(),
            name: e.name,
            item: state.catalogue.name_of(&e.item).to_owned(),
            until: format_date(e.valid_until),
            problems,
        });
    }
    if let Some(format) = export {
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    r.item.clone(),
                    r.until.clone(),
                    if r.problems.is_empty() {
                        "可以换证".to_owned()
                    } else {
                        r.problems.join("；")
                    },
                ]
            })
            .collect();
        return crate::pages::export::respond(
            format,
            "expiring",
            today,
            &["姓名", "评审项目", "有效期至", "下一周期能否换证"],
            &cells,
        );
    }
    Ok(html(
        StatusCode::OK,
        &InstitutionExpiring {
            layout: layout(req),
            from: format_date(today),
            until: format_date(until),
            rows,
            pager,
        },
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    page: Option<u64>,
    #[serde(default)]
    format: String,
}

#[handler]
pub(crate) async fn assessment_list(req: &Request, Query(query): Query<ListQuery>) -> PageResult {
    let (institution, _) = institution_account(req)?;
    let state = state(req);
    if let Some(format) = crate::pages::export::requested(&query.format) {
        let listed = crate::pages::export::every_page(500, |offset| {
            state
                .store
                .assessments_recorded_by(institution, offset, 500)
        })
        .await?;
        let cells: Vec<Vec<String>> = listed
            .into_iter()
            .filter_map(|l| {
                let r = assessment_rows(state, std::slice::from_ref(&l.assessment))
                    .into_iter()
                    .next()?;
                Some(vec![
                    l.name,
                    r.unit,
                    r.item,
                    r.start,
                    r.end,
                    r.kind.to_owned(),
                    r.days.to_string(),
                ])
            })
            .collect();
        return crate::pages::export::respond(
            format,
            "assessments",
            state.today(),
            &[
                "姓名",
                "申请单位",
                "评审项目",
                "开始日期",
                "结束日期",
                "类型",
                "工作日",
            ],
            &cells,
        );
    }
    let page = PageNumber::from_query(query.page);
    let offset = (page.get() - 1).saturating_mul(PAGE_SIZE);
    let (mut list, total) = state
        .store
        .assessments_recorded_by(institution, offset, PAGE_SIZE)
        .await?;
    if list.is_empty() && total > 0 && offset > 0 {
        (list, _) = state
            .store
            .assessments_recorded_by(institution, page.offset(total), PAGE_SIZE)
            .await?;
    }
    let rows = list
        .into_iter()
        .filter_map(|l| {
            assessment_rows(state, std::slice::from_ref(&l.assessment))
                .into_iter()
                .next()
                .map(|row| (l.name, row))
        })
        .collect();
    Ok(html(
        StatusCode::OK,
        &InstitutionAssessments {
            layout: layout(req),
            rows,
            pager: Pager::new("/institution/assessments", &[], page, total, "次").exported(),
        },
    ))
}
